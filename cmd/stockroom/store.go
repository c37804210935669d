package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/user"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/model"
)

// openExistingEngine is openEngine for commands that only read or act on
// a store: a mistyped path must not leave an empty store behind.
func openExistingEngine(ctx context.Context, c *cli, dbPath string) (*engine.Engine, func(), error) {
	if err := storeExists(dbPath); err != nil {
		return nil, nil, err
	}
	return openEngine(ctx, c, dbPath)
}

func storeExists(dbPath string) error {
	if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: no such store (make one with 'stockroom import --db %s FILE' or 'stockroom demo')", dbPath, dbPath)
	}
	return nil
}

// openExistingStore opens a store that must exist already.
func openExistingStore(ctx context.Context, c *cli, dbPath string) (*data.Store, error) {
	if err := storeExists(dbPath); err != nil {
		return nil, err
	}
	return openStore(ctx, c, dbPath)
}

// openStore opens a store, showing on stderr how far a long schema step is
// (a store from before a step that rewrites data; before any console
// takes the terminal).
func openStore(ctx context.Context, c *cli, dbPath string) (*data.Store, error) {
	p := newProgress(c, false)
	defer p.done()
	return data.OpenWith(ctx, dbPath, func(step string, done, total int64) {
		p.update("upgrading the store ("+step+")", done, total)
	})
}

func openEngine(ctx context.Context, c *cli, dbPath string) (*engine.Engine, func(), error) {
	st, err := openStore(ctx, c, dbPath)
	if err != nil {
		return nil, nil, err
	}
	eng := engine.New(st)
	if c.now != nil {
		eng.SetClock(c.now)
	}
	// The engine first: it waits for work an import left running.
	return eng, func() { eng.Close(); st.Close() }, nil
}

func runImport(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "import", "--db DB [--json] [--create-items] [--kind KIND] FILE|DIR...", `
Import files into the store, one transaction per file: all of a file's good
rows or none. Bad rows are quarantined with line, column and reason; rows
already in the ledger (same natural key) are skipped; a file whose content
was imported before is a no-op. Folders import their files in kind order
(locations, suppliers, items, events, promotions, nodes, roads, vehicles,
movements, sales, counts, deliveries), each kind in name order, as people
number files (sales-07 before sales-07-resend, day-9 before day-10).

Exit status: 0 when every file was read (even with rejected rows), 1 when a
file could not be read or parsed at all, 2 for usage errors.`)
	db := dbFlag(c, fs)
	asJSON := fs.Bool("json", false, "print a JSON summary: {\"files\":[{path,kind,rows_ok,rows_rejected,duplicate,errors:[{line,column,reason}]}]}")
	create := fs.Bool("create-items", false, "create unknown SKUs in movements, sales and counts instead of rejecting their rows")
	kind := fs.String("kind", "", "treat every file as this kind instead of telling it from the header")
	user := fs.String("as", "", "who is importing, for the import log (default: the login name)")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageErrorf("import: name at least one FILE or DIR (see 'stockroom import --help')")
	}
	eng, closeFn, err := openEngine(ctx, c, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	opt := data.ImportOptions{Kind: data.Kind(*kind), CreateItems: *create, User: userName(c, *user)}
	prog := newProgress(c, *asJSON || !isTerminal(c.stderr))
	results, err := eng.Import(ctx, paths, opt, prog.update)
	prog.done()
	if err != nil {
		return err
	}
	failed := false
	for _, r := range results {
		failed = failed || r.Failed()
	}
	if *asJSON {
		if results == nil {
			results = []data.FileResult{}
		}
		if err := writeJSON(c.stdout, map[string]any{"files": results}); err != nil {
			return err
		}
	} else if len(results) == 0 {
		fmt.Fprintf(c.stdout, "nothing to import: no files in %s (hidden, temporary and partial files are skipped)\n", strings.Join(paths, ", "))
	} else {
		printImportSummary(c.stdout, results)
		// Proposals follow imports only once a store has been planned (a
		// half-loaded catalogue is not planned): say how to start.
		ledger := slices.ContainsFunc(results, func(r data.FileResult) bool {
			return r.RowsOK > 0 && r.Kind.Ledger()
		})
		if planned, err := eng.PlannedAsOf(ctx); ledger && err == nil && planned == model.NoDate {
			fmt.Fprintf(c.stdout, "no reorder proposals yet: 'stockroom plan --db %s' makes them, and from then on every import recomputes them\n", eng.Name())
		}
	}
	if failed {
		return &exitError{code: 1}
	}
	return nil
}

// importLine is a file's result in one line, with the time it took when
// it was imported.
func importLine(r data.FileResult) string {
	if r.Failed() || r.Duplicate {
		return r.Summary()
	}
	return fmt.Sprintf("%s (%.2fs)", r.Summary(), r.Seconds)
}

func printImportSummary(w io.Writer, results []data.FileResult) {
	for _, r := range results {
		fmt.Fprintln(w, importLine(r))
		for i, e := range r.Errors {
			if i == 20 {
				fmt.Fprintf(w, "  … %d more rejected rows; see the Imports screen or the quarantine table\n", r.RowsRejected-20)
				break
			}
			if e.Column != "" {
				fmt.Fprintf(w, "  %s:%d: %s: %s\n", r.Path, e.Line, e.Column, e.Reason)
			} else {
				fmt.Fprintf(w, "  %s:%d: %s\n", r.Path, e.Line, e.Reason)
			}
		}
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func userName(c *cli, given string) string {
	if given != "" {
		return given
	}
	for _, k := range []string{"STOCKROOM_USER", "USER", "LOGNAME", "USERNAME"} {
		if v := c.getenv(k); v != "" {
			return v
		}
	}
	// Containers, cron and service managers often set none of those; the
	// audit log still wants the account that acted.
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// stockJSON is one row of `stock --json`.
type stockJSON struct {
	SKU       string   `json:"sku"`
	Name      string   `json:"name"`
	Location  string   `json:"location"`
	OnHand    int64    `json:"on_hand"`
	OnOrder   int64    `json:"on_order"`
	AvgDaily  float64  `json:"avg_daily"`
	CoverDays *float64 `json:"cover_days"`
	Status    string   `json:"status"`
}

func runStock(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "stock", "--db DB [--json] [--sku S] [--location L] [--filter F] [--sort COL]", `
Print stock levels per item and location: on hand, on order, average daily
sales over the last 28 days in stock, days of cover and status.`)
	db := dbFlag(c, fs)
	asJSON := fs.Bool("json", false, "print a JSON array of {sku,name,location,on_hand,on_order,avg_daily,cover_days,status}")
	sku := fs.String("sku", "", "only this SKU")
	loc := fs.String("location", "", "only this location")
	filter := fs.String("filter", "", "filter as in the console, e.g. 'drill cover<7 status=low', or 'position<rop' for what is below its reorder point")
	sortBy := fs.String("sort", "sku", "order by sku, name, location, on_hand, cover or avg")
	desc := fs.Bool("desc", false, "descending order")
	limit := fs.Int("limit", 0, "print at most this many rows (0 = all)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	sortOrder, ok := model.ParseStockSort(*sortBy)
	if !ok {
		return usageErrorf("stock: --sort must be sku, name, location, on_hand, cover or avg")
	}
	f, err := model.ParseFilter(*filter)
	if err != nil {
		return usageErrorf("stock: --filter: %v", err)
	}
	st, err := openExistingStore(ctx, c, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	asOf, err := st.AsOf(ctx)
	if err != nil {
		return err
	}
	f.AsOf = asOf
	q := model.StockQuery{SKU: *sku, Location: *loc, Filter: f, Sort: sortOrder, Desc: *desc, Limit: 1000}
	var tw *tabwriter.Writer
	enc := json.NewEncoder(c.stdout)
	if *asJSON {
		fmt.Fprint(c.stdout, "[")
	} else {
		tw = tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "SKU\tLOCATION\tON HAND\tON ORDER\tAVG/DAY\tCOVER\tSTATUS\t")
	}
	n := 0
	for {
		rows, err := st.StockPage(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if *limit > 0 && n >= *limit {
				break
			}
			status := r.Status(asOf)
			if *asJSON {
				if n > 0 {
					fmt.Fprint(c.stdout, ",")
				}
				j := stockJSON{SKU: r.SKU, Name: r.Name, Location: r.Location, OnHand: r.OnHand, OnOrder: r.OnOrder,
					AvgDaily: round(r.AvgDaily, 3), Status: string(status)}
				if r.CoverDays < model.NoCover {
					cv := round(r.CoverDays, 1)
					j.CoverDays = &cv
				}
				if err := enc.Encode(j); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%s\t%s\t\n", r.SKU, r.Location, r.OnHand, r.OnOrder, r.AvgDaily, coverText(r.CoverDays), status)
			}
			n++
		}
		if len(rows) < q.Limit || (*limit > 0 && n >= *limit) {
			break
		}
		q.After = rows[len(rows)-1].Cursor
	}
	if *asJSON {
		fmt.Fprintln(c.stdout, "]")
		return nil
	}
	if n == 0 {
		// On stderr: the table on stdout stays a table for scripts.
		fmt.Fprintln(c.stderr, "no stock rows match (stock appears once movements or sales are imported)")
	}
	return tw.Flush()
}

func coverText(d float64) string {
	if d >= model.NoCover {
		return "-"
	}
	return fmt.Sprintf("%.1f", d)
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// progress prints a one-line progress bar on stderr while files import,
// at most ten times a second.
type progress struct {
	c       *cli
	quiet   bool
	last    string
	printed bool
	at      time.Time
}

func newProgress(c *cli, quiet bool) *progress { return &progress{c: c, quiet: quiet} }

func (p *progress) update(path string, done, total int64) {
	if p.quiet || total <= 0 {
		return
	}
	if time.Since(p.at) < 100*time.Millisecond && done < total {
		return
	}
	p.at = time.Now()
	pct := int(100 * done / total)
	line := fmt.Sprintf("\r%-50s %3d%%", truncateLeft(path, 50), pct)
	if line != p.last {
		fmt.Fprint(p.c.stderr, line)
		p.last, p.printed = line, true
	}
}

func (p *progress) done() {
	if p.printed {
		fmt.Fprint(p.c.stderr, "\r\033[K")
	}
}

func truncateLeft(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n+1:]
}
