package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for stockroom: tests that need a
// real process (to kill it, or to give it a terminal) run os.Args[0] with
// STOCKROOM_TEST_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("STOCKROOM_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// runCLI runs a command in-process and returns its output and exit code.
// testNow is the engine's clock in CLI tests: the day before the fixtures'
// deliveries (2026-11-26), so no van has left whatever the real date is.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] },
		now: func() time.Time { return testNow }}
	err := c.dispatch(context.Background(), args)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}
