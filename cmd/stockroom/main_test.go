package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
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
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	err := c.dispatch(context.Background(), args)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}
