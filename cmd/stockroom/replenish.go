package main

import (
	"context"
	"errors"
)

func runPlan(ctx context.Context, c *cli, args []string) error {
	return errors.New("runPlan: not built yet")
}

func runProposals(ctx context.Context, c *cli, args []string) error {
	return errors.New("runProposals: not built yet")
}

func runApprove(ctx context.Context, c *cli, args []string) error {
	return errors.New("runApprove: not built yet")
}

func runReject(ctx context.Context, c *cli, args []string) error {
	return errors.New("runReject: not built yet")
}

func runPO(ctx context.Context, c *cli, args []string) error {
	return errors.New("runPO: not built yet")
}

func runSimulate(ctx context.Context, c *cli, args []string) error {
	return errors.New("runSimulate: not built yet")
}
