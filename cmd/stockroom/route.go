package main

import (
	"context"
	"errors"
)

func runRoute(ctx context.Context, c *cli, args []string) error {
	return errors.New("runRoute: not built yet")
}
