// Command stockroom is a terminal operations console for e-commerce
// inventory: a SQLite stock ledger fed by watched import folders, demand
// forecasting, replenishment proposals, anomaly flags and delivery routing.
//
// main only wires things together; every subcommand lives in its own file
// as a func(ctx, *cli, args) error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// STOCKROOM_CPUPROFILE=file profiles any command, for `go tool pprof`.
	if path := os.Getenv("STOCKROOM_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer f.Close()
		}
	}
	// Imports hold a bounded working set; a soft limit keeps the garbage
	// collector from letting the heap drift to twice that on big files.
	// GOMEMLIMIT, when set, wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(256 << 20)
	}
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	pprof.StopCPUProfile()
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// cli carries what every subcommand needs from the outside world, so that
// tests can run commands in-process with their own streams and environment.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// now, when set, is the clock the engine reads instead of time.Now
	// (tests pin it).
	now func() time.Time
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

func commands() []command {
	return []command{
		{"console", "open the live console on a store (the default)", runConsole},
		{"demo", "build a realistic demo store, then open the console", runDemo},
		{"import", "import files or folders of items, sales, movements, counts…", runImport},
		{"watch", "watch folders and import every file dropped into them", runWatch},
		{"stock", "print stock levels", runStock},
		{"forecast", "forecast demand from a series file or for every item in a store", runForecast},
		{"anomalies", "score a series file for anomalies, or list stored anomalies", runAnomalies},
		{"anomaly", "act on a stored anomaly: dismiss, confirm, correct or exclude", runAnomaly},
		{"plan", "recompute reorder proposals", runPlan},
		{"proposals", "list reorder proposals", runProposals},
		{"approve", "approve reorder proposals", runApprove},
		{"reject", "reject reorder proposals", runReject},
		{"po", "list purchase orders", runPO},
		{"simulate", "replay a demand history under a replenishment policy", runSimulate},
		{"route", "plan delivery routes (CVRPLIB instance or a store's deliveries)", runRoute},
		{"serve", "run unattended: watchers, schedule, metrics, Kafka feed and an SSH console per person", runServe},
		{"backup", "take a verified, compressed online backup and apply retention", runBackup},
		{"restore", "restore a store from a backup, verified before it replaces anything", runRestore},
		{"report", "write the stock report workbook (.xlsx), optionally mail it", runReport},
	}
}

// run is main without the process: it parses args, runs one subcommand and
// returns its error.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	return c.dispatch(ctx, args)
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return runConsole(ctx, c, nil)
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		c.usage(c.stdout)
		return nil
	}
	if len(name) > 0 && name[0] == '-' {
		// Flags without a subcommand belong to the console: `stockroom --db x.db`.
		return runConsole(ctx, c, args)
	}
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd.run(ctx, c, args[1:])
		}
	}
	c.usage(c.stderr)
	return usageErrorf("unknown command %q", name)
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintf(w, "stockroom: a terminal operations console for e-commerce inventory\n\n")
	fmt.Fprintf(w, "Usage:\n  stockroom [--db DB]              open the console\n  stockroom COMMAND [flags] [args]\n\nCommands:\n")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintf(w, "\nRun 'stockroom COMMAND --help' for a command's flags.\n")
	fmt.Fprintf(w, "The store defaults to %s; STOCKROOM_DB overrides it.\n", defaultDBPath(os.Getenv))
}

// usageError is a mistake in how the command was called: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// exitError carries an exit status chosen by a command, with a message that
// has already been printed (or none).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "stockroom: %v\n", err)
		return 2
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "stockroom: %v\n", ee.err)
		}
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "stockroom: interrupted")
		return 130
	}
	fmt.Fprintf(stderr, "stockroom: %v\n", err)
	return 1
}
