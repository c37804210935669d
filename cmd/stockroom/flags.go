package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"stockroom/model"
)

// newFlags makes a flag set for a subcommand whose --help prints the usage
// line, the description and every flag.
func newFlags(c *cli, name, usage, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package prints its error, then the usage, for a bad flag
	// too: the error (returned, with a pointer to --help) is enough there,
	// so the usage is printed only when no error came before it.
	failed := &noted{}
	fs.SetOutput(failed)
	fs.Usage = func() {
		if failed.seen {
			failed.seen = false
			return
		}
		w := c.stdout
		fmt.Fprintf(w, "Usage: stockroom %s %s\n\n%s\n", name, usage, strings.TrimSpace(description))
		var n int
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintf(w, "\nFlags:\n")
			fs.SetOutput(w)
			fs.PrintDefaults()
			fs.SetOutput(failed)
		}
	}
	return fs
}

// noted is a writer that only notes it was written to.
type noted struct{ seen bool }

func (n *noted) Write(p []byte) (int, error) {
	n.seen = true
	return len(p), nil
}

// parseFlags parses flags that may come before, between or after the
// positional arguments (`approve --db x 12 13 --as ann`), and returns the
// positional ones. `--` ends flag parsing.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp // fs.Parse has printed the usage
			}
			return nil, usageErrorf("%s: %v (see 'stockroom %s --help')", fs.Name(), err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at "--" too; everything after it is positional.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseNoArgs parses flags for a command that takes no positional
// arguments, and refuses any.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("%s: unexpected argument %q (see 'stockroom %s --help')", fs.Name(), pos[0], fs.Name())
	}
	return nil
}

// dbFlag adds the --db flag every store command takes.
func dbFlag(c *cli, fs *flag.FlagSet) *string {
	return fs.String("db", defaultDBPath(c.getenv), "path of the SQLite store (env STOCKROOM_DB)")
}

// defaultDBPath is $STOCKROOM_DB, or stockroom.db in the user's data folder
// ($XDG_DATA_HOME/stockroom, ~/.local/share/stockroom).
func defaultDBPath(getenv func(string) string) string {
	if p := getenv("STOCKROOM_DB"); p != "" {
		return p
	}
	dir := getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "stockroom.db"
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "stockroom", "stockroom.db")
}

// thousands formats n with thousands separators.
func thousands(n int64) string { return model.Thousands(n) }

// count is n with its noun: "1 line", "2 lines", "1,204 proposals".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(int64(n)) + " " + many
}

// optNum is a numeric flag that may be left out: its help shows no
// default (the text says what happens without it), and set tells whether
// it was given. Negative values are refused.
type optNum[T int | float64] struct {
	v   T
	set bool
}

func (o *optNum[T]) String() string {
	if o == nil || !o.set {
		return ""
	}
	return fmt.Sprint(o.v)
}

func (o *optNum[T]) Set(s string) error {
	var v T
	switch p := any(&v).(type) {
	case *int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("not a whole number")
		}
		*p = n
	case *float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return errors.New("not a number")
		}
		*p = x
	}
	if v < 0 {
		return errors.New("must not be negative")
	}
	o.v, o.set = v, true
	return nil
}
