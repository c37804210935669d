package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/model"
	"stockroom/tui"
)

// dirList is a repeatable flag of folders.
type dirList []string

func (d *dirList) String() string     { return strings.Join(*d, ",") }
func (d *dirList) Set(s string) error { *d = append(*d, s); return nil }

func runConsole(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "console", "[--db DB] [--watch DIR]...", `
Open the live console on a store. Keys: / filter, s sort, ? help, q quit.
With --watch, files dropped into the folders are imported while it runs.
Changes committed by any process show within a second.`)
	db := dbFlag(c, fs)
	var watch dirList
	fs.Var(&watch, "watch", "import files dropped into this folder (repeatable)")
	poll := fs.Duration("poll", 500*time.Millisecond, "how often to look for commits by other processes")
	cfgPath := fs.String("config", defaultConfigPath(c.getenv), "config file: theme, key bindings, mouse, watched folders (env STOCKROOM_CONFIG)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	// Before the store is opened: without a terminal nothing will use it,
	// and opening would make an empty one at the default path.
	if !isTerminal(c.stdout) {
		return errNoTerminal
	}
	eng, closeFn, err := openEngine(ctx, c, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	defer eng.Close()
	return openConsole(ctx, c, eng, cfg, append(cfg.Watch, watch...), *poll)
}

var errNoTerminal = errors.New("the console needs a terminal; for scripts use 'stockroom stock' or 'stockroom import'")

// openConsole runs the console until the user quits, with folder watchers
// in the background when given.
func openConsole(ctx context.Context, c *cli, eng *engine.Engine, cfg config, watch []string, poll time.Duration) error {
	if !isTerminal(c.stdout) {
		return errNoTerminal
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if len(watch) > 0 {
		go eng.Watch(ctx, watch, engine.WatchOptions{
			Import: data.ImportOptions{User: userName(c, "")},
			Logf: func(format string, args ...any) {
				eng.Hub().Publish(model.Change{Kind: model.ChangeImport, Text: fmt.Sprintf(format, args...)})
			},
		})
	}
	theme, _ := tui.ThemeByName(cfg.Theme) // checked at load
	r := lipgloss.DefaultRenderer()
	// The theme says light or dark. (Bubble Tea v1 has asked the terminal
	// once already, as the program loaded; see the README.)
	r.SetHasDarkBackground(cfg.Theme != "light")
	// A local console acts as its login user, with the rights of whoever
	// can open the store file.
	actor := model.Actor{Name: userName(c, ""), Role: model.RoleAdmin}
	m := tui.New(tui.Options{Backend: eng, Keys: cfg.keyMap(), Styles: tui.NewThemedStyles(r, theme), Poll: poll, Actor: actor})
	opts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(c.stdin), tea.WithOutput(c.stdout)}
	if cfg.Mouse {
		opts = append(opts, tea.WithMouseCellMotion())
	}
	p := tea.NewProgram(m, opts...)
	_, err := p.Run()
	if err == tea.ErrProgramKilled && ctx.Err() != nil {
		return nil
	}
	return err
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

func runWatch(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "watch", "--db DB [--create-items] DIR...", `
Watch folders and import every file dropped into them, printing one line
per file. A file is imported once it has stopped changing; hidden and
temporary files (.tmp, .part, ~…) are ignored; a folder that is deleted
and created again is picked up again. Files already in the folders are
imported at start (a no-op when they were imported before). Runs until
interrupted.`)
	db := dbFlag(c, fs)
	create := fs.Bool("create-items", false, "create unknown SKUs instead of rejecting their rows")
	quiet := fs.Duration("quiet", 250*time.Millisecond, "how long a file must stay unchanged before it is imported")
	rescan := fs.Duration("rescan", 2*time.Second, "how often to list the folders again for files fsnotify missed")
	dirs, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return usageErrorf("watch: name at least one DIR (see 'stockroom watch --help')")
	}
	for _, d := range dirs {
		switch st, err := os.Stat(d); {
		case err == nil && !st.IsDir():
			return usageErrorf("watch: %s is a file, not a folder (to import one file: stockroom import)", d)
		case err != nil:
			// A mount or a drop folder made later: watched from when it appears.
			fmt.Fprintf(c.stderr, "%s does not exist yet; it is watched from when it appears\n", d)
		}
	}
	eng, closeFn, err := openEngine(ctx, c, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	fmt.Fprintf(c.stderr, "watching %s (store %s); Ctrl-C to stop\n", strings.Join(dirs, ", "), eng.Name())
	return eng.Watch(ctx, dirs, engine.WatchOptions{
		Import: data.ImportOptions{CreateItems: *create, User: userName(c, "")},
		Quiet:  *quiet, Rescan: *rescan,
		OnResult: func(r data.FileResult) { printImportSummary(c.stdout, []data.FileResult{r}) },
		Logf:     func(format string, args ...any) { fmt.Fprintf(c.stderr, format+"\n", args...) },
	})
}
