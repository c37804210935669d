package main

import (
	"context"
	"errors"
)

func runAnomalies(ctx context.Context, c *cli, args []string) error {
	return errors.New("runAnomalies: not built yet")
}

func runAnomaly(ctx context.Context, c *cli, args []string) error {
	return errors.New("runAnomaly: not built yet")
}
