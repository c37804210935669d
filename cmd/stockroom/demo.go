package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"stockroom/data"
	"stockroom/data/demo"
	"stockroom/engine"
	"stockroom/model"
)

func runDemo(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "demo", "[--db DB] [--items N] [--seed S] [--no-console [--scan]] [--fresh]", `
Build a realistic demo store and open the console on it. The data is
generated as import files (a catalogue, two years of daily sales with
seasonality, holidays, promotions, stockouts, receipts, counts with
shrinkage, injected anomalies, a road network, vehicles and deliveries) and
imported through the normal import path. The same --seed gives the same data.
Reorder proposals are then recomputed and the data scanned for anomalies.
The console opens at once and all of this happens behind it, files
appearing as they commit, with the progress in its status line. With
--no-console the build and the proposals happen before the command exits,
and the anomaly scan too with --scan. A build that was interrupted is
finished the next time.

The demo store lives apart from your real one (default: demo.db in the
stockroom data folder). An existing demo store is opened as it is unless
--fresh is given. The console watches the folder drop/ beside the store:
copy import files there to see them arrive live.`)
	db := fs.String("db", demoDBPath(c.getenv), "path of the demo store")
	items := fs.Int("items", demo.DefaultItems, "catalogue size")
	seed := fs.Int64("seed", 1, "random seed: the same seed gives the same data")
	days := fs.Int("days", demo.DefaultDays, "days of history")
	endFlag := fs.String("end", "", "last day of history, YYYY-MM-DD (default: yesterday)")
	noConsole := fs.Bool("no-console", false, "build the store and exit without opening the console")
	fresh := fs.Bool("fresh", false, "delete an existing demo store and build it again")
	scan := fs.Bool("scan", false, "with --no-console: also scan the whole history for anomalies before exiting (about a minute for the default demo; the console does it behind itself)")
	err := parseNoArgs(fs, args)
	if err != nil {
		return err
	}
	end := model.DateOf(time.Now()).AddDays(-1)
	if *endFlag != "" {
		if end, err = model.ParseDate(*endFlag); err != nil {
			return usageErrorf("demo: --end: %v", err)
		}
	}
	if *items < 1 {
		return usageErrorf("demo: --items must be at least 1")
	}
	dir := filepath.Join(filepath.Dir(*db), "demo-files")
	drop := filepath.Join(filepath.Dir(*db), "drop")
	exists := fileExists(*db)
	eng, closeFn, err := openEngine(ctx, c, *db)
	if err != nil {
		return err
	}
	built := false
	if exists {
		// Only a store the demo built may be finished or deleted: --db
		// can name any file, and a real store must never get demo data
		// poured into it or be removed by --fresh.
		built, err = demoBuilt(ctx, eng.Store(), *db)
		if err == nil && *fresh {
			closeFn()
			if err = removeStore(*db); err == nil {
				eng, closeFn, err = openEngine(ctx, c, *db)
			}
			if err != nil {
				return err
			}
			exists, built = false, false
		} else if err != nil {
			closeFn()
			return err
		}
	}
	defer closeFn()
	defer eng.Close()
	if exists {
		if built {
			fmt.Fprintf(c.stderr, "opening the demo store %s (built before; --fresh builds it again)\n", *db)
		} else {
			fmt.Fprintf(c.stderr, "finishing the demo store %s (its build was interrupted)\n", *db)
		}
	}
	opts := demo.Options{Items: *items, Seed: *seed, End: end, Days: *days}
	if *noConsole || !isTerminal(c.stdout) {
		prog := newProgress(c, !isTerminal(c.stderr))
		if !built {
			say := func(s string) { prog.done(); fmt.Fprintln(c.stderr, s) }
			if err := buildDemo(ctx, eng, dir, opts, say, prog.update); err != nil {
				return err
			}
		}
		err := demoEngines(ctx, eng, *scan, func(what string, done, total int) { prog.update(what, int64(done), int64(total)) })
		prog.done()
		if err == nil && !*scan {
			fmt.Fprintf(c.stderr, "anomalies: scan with 'stockroom anomalies --db %s --scan' (or open the console)\n", *db)
		}
		return err
	}
	// The console opens at once; the demo is built, planned and scanned
	// behind it, each file appearing as it commits, with the progress in
	// the status line.
	bg, stopBg := context.WithCancel(ctx)
	defer stopBg()
	go func() {
		hub := eng.Hub()
		say := func(s string) { hub.Publish(model.Change{Kind: model.ChangeImport, Text: s}) }
		progress := func(what string, done, total int64) {
			hub.Publish(model.Change{Kind: model.ChangeProgress, Text: what, Done: done, Total: total})
		}
		err := error(nil)
		if !built {
			err = buildDemo(bg, eng, dir, opts, say, progress)
		}
		if err == nil {
			err = demoEngines(bg, eng, true, func(what string, done, total int) { progress(what, int64(done), int64(total)) })
		}
		if err != nil && bg.Err() == nil {
			say("demo: " + err.Error())
		}
	}()
	if err := os.MkdirAll(drop, 0o755); err != nil {
		return err
	}
	eng.Hub().Publish(model.Change{Kind: model.ChangeImport, Text: "drop import files into " + drop + " to see them arrive"})
	cfg, err := loadConfig(defaultConfigPath(c.getenv))
	if err != nil {
		return err
	}
	return openConsole(ctx, c, eng, cfg, append(cfg.Watch, drop), 500*time.Millisecond)
}

// demoEngines recomputes the reorder proposals if the store was never
// planned, then, with scan, looks for anomalies in what no check has seen
// yet (all of it on a new demo store; nothing on one scanned before).
func demoEngines(ctx context.Context, eng *engine.Engine, scan bool, progress func(what string, done, total int)) error {
	planned, err := eng.PlannedAsOf(ctx)
	if err != nil {
		return err
	}
	if planned == model.NoDate {
		_, err := eng.Plan(ctx, engine.PlanOptions{User: "demo", Progress: func(done, total int) {
			progress("planning proposals", done, total)
		}})
		if err != nil {
			return err
		}
	}
	if !scan {
		return nil
	}
	_, err = eng.ScanAnomalies(ctx, engine.ScanOptions{Progress: func(done, total int) {
		progress("scanning for anomalies", done, total)
	}})
	return err
}

// buildDemo generates the demo's files and imports them, saying what it
// did through say and its progress through progress (a file, or the
// generator as "generating").
func buildDemo(ctx context.Context, eng *engine.Engine, dir string, o demo.Options, say func(string), progress func(what string, done, total int64)) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	// Marked before the first import, so an interrupted build is still
	// known for a demo store.
	if err := eng.Store().SetMeta(ctx, demoBuildMeta, "started"); err != nil {
		return err
	}
	start := time.Now()
	say(fmt.Sprintf("generating %d items × %d days of history (seed %d) in %s", o.Items, max(o.Days, demo.DefaultDays), o.Seed, dir))
	sum, err := demo.Generate(ctx, dir, o, func(done, total int64) { progress("generating the demo", done, total) })
	if err != nil {
		return err
	}
	say(fmt.Sprintf("  %s sales lines, %s movements, %s counts in %.1fs", commas(sum.SalesRows), commas(sum.MovementRows), commas(sum.CountRows), time.Since(start).Seconds()))
	start = time.Now()
	results, err := eng.Import(ctx, []string{filepath.Join(dir, "import")}, data.ImportOptions{User: "demo"}, func(path string, done, total int64) {
		progress("importing "+filepath.Base(path), done, total)
	})
	if err != nil {
		return err
	}
	var ok, dup, rej int
	for _, r := range results {
		if r.Failed() {
			return fmt.Errorf("demo: %s: %s", r.Path, r.Error)
		}
		ok, dup, rej = ok+r.RowsOK, dup+r.RowsDuplicate, rej+r.RowsRejected
	}
	say(fmt.Sprintf("  imported %d files: %s rows, %s already in the ledger, %s rejected, in %.1fs",
		len(results), commas(int64(ok)), commas(int64(dup)), commas(int64(rej)), time.Since(start).Seconds()))
	meta, _ := json.Marshal(map[string]any{"seed": o.Seed, "items": o.Items, "end": o.End.String(), "files": dir})
	return eng.Store().SetMeta(ctx, "demo", string(meta))
}

// demoBuildMeta marks a store the demo started to build.
const demoBuildMeta = "demo_build"

// demoDBPath is demo.db in the user's data folder. STOCKROOM_DB names the
// real store, which the demo keeps apart from.
func demoDBPath(getenv func(string) string) string {
	real := defaultDBPath(func(k string) string {
		if k == "STOCKROOM_DB" {
			return ""
		}
		return getenv(k)
	})
	return filepath.Join(filepath.Dir(real), "demo.db")
}

// demoBuilt reports whether the demo finished building the store at path
// (its meta is written last: a store without it was interrupted while
// being built, and building it again imports only the files not yet in
// it). It fails for a store the demo never started to build.
func demoBuilt(ctx context.Context, st *data.Store, path string) (bool, error) {
	for _, k := range []string{"demo", demoBuildMeta} {
		m, err := st.Meta(ctx, k)
		if err != nil || m != "" {
			return k == "demo" && m != "", err
		}
	}
	return false, fmt.Errorf("%s was not built by 'stockroom demo', which leaves it alone: give --db a path that does not exist yet (or delete it yourself if it is an old demo store)", path)
}

// removeStore deletes a store's file and its WAL companions.
func removeStore(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func commas(n int64) string { return thousands(n) }
