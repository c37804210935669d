package main

import (
	"context"
	"errors"
)

func runForecast(ctx context.Context, c *cli, args []string) error {
	return errors.New("runForecast: not built yet")
}
