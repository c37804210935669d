package main

import (
	"context"
	"errors"
)

func runConsole(ctx context.Context, c *cli, args []string) error {
	return errors.New("runConsole: not built yet")
}

func runDemo(ctx context.Context, c *cli, args []string) error {
	return errors.New("runDemo: not built yet")
}

func runImport(ctx context.Context, c *cli, args []string) error {
	return errors.New("runImport: not built yet")
}

func runWatch(ctx context.Context, c *cli, args []string) error {
	return errors.New("runWatch: not built yet")
}

func runStock(ctx context.Context, c *cli, args []string) error {
	return errors.New("runStock: not built yet")
}
