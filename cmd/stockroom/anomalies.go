package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/engine/anomaly"
	"stockroom/model"
)

func runAnomalies(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "anomalies", "--input SERIES.csv [--out SCORES.csv] [flags]\n       stockroom anomalies --db DB [--state open] [--json] [--sort newest|score] [--limit N]\n       stockroom anomalies --db DB --scan [--full] [--json]", `
Score series for anomalies, list the anomalies stored in a store, or scan
a store for them.

SERIES.csv is timestamp,value (one series) or series_id,period,value (any
number of series, rows in any order); other columns are kept. Time is a
date, a date and time (YYYY-MM-DD HH:MM:SS, T or space) or a plain period
number; NA, NaN, null or an empty value is a missing point.

SCORES.csv is the input, row for row, with four columns added:
  anomaly_score  0..1, the ensemble's combined score of the point
  is_anomaly     1 on the first point of each anomalous episode, else 0
                 (a shift or a run of bad points raises one alert)
  detector       the detector that contributed most (robust_z, iqr,
                 level_shift, variance_shift, iforest, novelty)
  expected       what the seasonal model expected there (empty while it
                 is still learning the series)

The season is inferred from the spacing: daily points get a weekly season,
points a fixed fraction of a day apart a daily one; --period overrides it.
Each point is scored from the points before it only, as it would be when
it arrived.

With --db, the anomalies stored in the store are listed (all states unless
--state names some: open, dismissed, confirmed, corrected, excluded, comma
separated, or all), newest first or by score. --json prints an array of
{id, sku, location, channel, file, date, detector, score, observed,
expected, detail, state, replacement, note, version, created_at, by, at};
expected and replacement are null when there is none.

--scan checks what the after-import step left (imports that touched more
series than it takes) and --full everything from the first day: demand
series, stock rules, counts, prices and re-sent files. What is found again
is not stored twice. Run it from cron or the schedule ("anomaly-scan").

Exit status: 0 on success, 1 when the input cannot be read or is bad (the
message names the file, line and field) or the store fails, 2 for usage
errors.`)
	input := fs.String("input", "", "series CSV to score: timestamp,value or series_id,period,value; - for standard input")
	out := fs.String("out", "-", "where to write the scored rows; - for standard output")
	period := fs.Int("period", 0, "season length in points (0: infer from the timestamps)")
	threshold := fs.Float64("threshold", 0, "combined score that raises an alert (0: the default, 0.5)")
	db := dbFlag(c, fs)
	state := fs.String("state", "", "with --db: list only anomalies in these states (open, dismissed, confirmed, corrected, excluded; comma list, or all)")
	asJSON := fs.Bool("json", false, "with --db: print JSON")
	sortBy := fs.String("sort", "newest", "with --db: newest first, or score (highest first)")
	limit := fs.Int("limit", 0, "with --db: list at most this many (0: all)")
	sku := fs.String("sku", "", "with --db: only this SKU")
	loc := fs.String("location", "", "with --db: only this location")
	det := fs.String("detector", "", "with --db: only this detector or rule (robust_z, negative_stock, …)")
	scan := fs.Bool("scan", false, "with --db: scan the store for anomalies instead of listing them")
	full := fs.Bool("full", false, "with --scan: check everything from the first day, not only what is unchecked")
	err := parseNoArgs(fs, args)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	storeFlags := []string{"db", "state", "json", "sort", "limit", "sku", "location", "detector", "scan", "full"}
	usesStore := slices.ContainsFunc(storeFlags, func(f string) bool { return set[f] })
	if *input == "" {
		if !usesStore {
			return usageErrorf("anomalies: --input SERIES.csv is required, or --db DB to list stored anomalies (see 'stockroom anomalies --help')")
		}
		if *scan {
			for _, f := range []string{"state", "sort", "limit", "sku", "location", "detector"} {
				if set[f] {
					return usageErrorf("anomalies --scan: --%s lists; scan first, then list", f)
				}
			}
			return scanAnomalies(ctx, c, *db, *full, *asJSON)
		}
		if *full {
			return usageErrorf("anomalies: --full goes with --scan")
		}
		q := engine.AnomalyQuery{SKU: *sku, Location: *loc, Detector: *det, Limit: *limit}
		if q.States, err = parseAnomalyStates(*state); err != nil {
			return usageErrorf("anomalies --state: %v", err)
		}
		var ok bool
		if q.Sort, ok = data.ParseAnomalySort(*sortBy); !ok {
			return usageErrorf("anomalies --sort: %q is not an order (newest or score)", *sortBy)
		}
		if *limit < 0 {
			return usageErrorf("anomalies --limit: must be 0 (all) or more")
		}
		return listAnomalies(ctx, c, *db, q, *asJSON)
	}
	if usesStore {
		return usageErrorf("anomalies: --input scores a file; --db, --state, --json and --scan work on a store: use one or the other")
	}
	if *period < 0 {
		return usageErrorf("anomalies --period: must be 0 (infer) or a positive number of points")
	}
	if *threshold < 0 || *threshold > 1 || math.IsNaN(*threshold) {
		return usageErrorf("anomalies --threshold: must be within 0..1")
	}

	tb, err := readAnomalyInput(c, *input)
	if err != nil {
		return err
	}
	scores := scoreTable(ctx, tb, *period, *threshold)
	if err := ctx.Err(); err != nil {
		return err
	}
	return writeScores(c, *out, tb, scores)
}

func readAnomalyInput(c *cli, path string) (*anomaly.Table, error) {
	if path == "-" {
		return anomaly.ReadTable(bufio.NewReader(c.stdin), "standard input")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("anomalies: %w", err)
	}
	defer f.Close()
	return anomaly.ReadTable(bufio.NewReaderSize(f, 1<<16), path)
}

// scoreTable scores every series of the table with a fresh ensemble and
// returns the verdict on each row, indexed like tb.Rows.
func scoreTable(ctx context.Context, tb *anomaly.Table, period int, threshold float64) []anomaly.Point {
	pts := make([]anomaly.Point, len(tb.Rows))
	for _, s := range tb.Series {
		if ctx.Err() != nil {
			return pts
		}
		cfg, phases := anomaly.ConfigFor(s, period, threshold)
		e := anomaly.NewEnsemble(cfg)
		for i, v := range s.Values {
			e.PushPhase(phases[i], v)
			pts[s.Rows[i]] = e.Last()
		}
	}
	return pts
}

func writeScores(c *cli, path string, tb *anomaly.Table, pts []anomaly.Point) (err error) {
	var w io.Writer = c.stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("anomalies: %w", err)
		}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("anomalies: %w", cerr)
			}
		}()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	head := append(append([]string(nil), tb.Header...), "anomaly_score", "is_anomaly", "detector", "expected")
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("anomalies: %w", err)
	}
	rec := make([]string, 0, len(head))
	for i, row := range tb.Rows {
		p := pts[i]
		alarm := "0"
		if p.Alarm {
			alarm = "1"
		}
		expected := ""
		if !math.IsNaN(p.Expected) {
			expected = strconv.FormatFloat(p.Expected, 'f', 3, 64)
		}
		rec = append(append(rec[:0], row...), strconv.FormatFloat(p.Raw, 'f', 4, 64), alarm, p.Detector, expected)
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("anomalies: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("anomalies: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("anomalies: %w", err)
	}
	return nil
}

func runAnomaly(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "anomaly", "dismiss|confirm|correct|exclude|reopen ID [--value V] [--as USER] [--version N] [--note TEXT]", `
Act on a stored anomaly (see 'stockroom anomalies --db DB' for the ids):

  dismiss  not an anomaly: the data stays as recorded
  confirm  a real anomaly, the data stays as recorded
  correct  a real anomaly: --value V replaces the recorded value in forecast
           training and backtests (the recorded value is kept for the audit)
  exclude  a real anomaly: the point is left out of training and backtests
  reopen   undo any of the above (the audit trail keeps it)

--version is the version you saw; if someone acted on the anomaly since,
the action is refused (exit 1) rather than silently overriding theirs.
An action the anomaly's state does not allow (dismissing a dismissed one)
and a missing id also exit 1; usage errors exit 2. Every action is kept
with who, when, the version and --note in the anomaly's log and the audit
trail.`)
	db := dbFlag(c, fs)
	value := fs.Float64("value", math.NaN(), "the corrected value (correct only)")
	user := fs.String("as", "", "who is acting (default: the login name)")
	version := fs.Int64("version", -1, "the version of the anomaly you saw (default: the current one)")
	note := fs.String("note", "", "why, for the audit trail")
	asJSON := fs.Bool("json", false, "print the anomaly after the action as JSON (the fields of 'anomalies --json')")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("anomaly: want an action and an id: dismiss|confirm|correct|exclude|reopen ID (see 'stockroom anomaly --help')")
	}
	act, ok := model.ParseAnomalyAction(pos[0])
	if !ok {
		return usageErrorf("anomaly: %q is not an action (dismiss, confirm, correct, exclude, reopen)", pos[0])
	}
	if len(pos) != 2 {
		return usageErrorf("anomaly %s: want exactly one anomaly id", act)
	}
	id, err := strconv.ParseInt(pos[1], 10, 64)
	if err != nil || id <= 0 {
		return usageErrorf("anomaly %s: %q is not an anomaly id", act, pos[1])
	}
	if act == model.ActCorrect && (math.IsNaN(*value) || math.IsInf(*value, 0)) {
		return usageErrorf("anomaly correct: --value V is required")
	}
	if act != model.ActCorrect && !math.IsNaN(*value) {
		return usageErrorf("anomaly %s: --value only goes with correct", act)
	}
	if *version < -1 {
		return usageErrorf("anomaly %s: --version must be a version you saw (1 or more)", act)
	}
	who := userName(c, strings.TrimSpace(*user))
	eng, closeFn, err := openExistingEngine(ctx, c, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	defer eng.Close()
	before, err := eng.Anomaly(ctx, id)
	if err != nil {
		return fmt.Errorf("anomaly %s: %w", act, err)
	}
	seen := *version
	if seen < 0 {
		// No version given: the person acts on what is there now.
		seen = before.Version
	}
	// A local user runs the store's own binary against its file: they
	// already have every right the store could refuse them.
	actor := model.Actor{Name: who, Role: model.RoleAdmin}
	a, err := eng.ActOnAnomaly(ctx, actor, id, model.ActionRequest{Action: act, Version: seen, User: who, At: time.Now(),
		Value: *value, Note: *note})
	if err != nil {
		var fe *model.FieldError
		if errors.As(err, &fe) {
			return usageErrorf("anomaly %s %d: %v", act, id, err)
		}
		return err
	}
	if *asJSON {
		return writeJSON(c.stdout, toAnomalyJSON(a))
	}
	fmt.Fprintf(c.stdout, "anomaly %d: %s → %s by %s (version %d → %d): %s %s on %s", a.ID, before.State, a.State, a.By,
		seen, a.Version, a.Detector, a.Subject(), a.Date)
	if a.State == model.AnomalyCorrected {
		fmt.Fprintf(c.stdout, ", %g recorded, %g for forecasting", a.Observed, a.Replacement)
	}
	fmt.Fprintln(c.stdout)
	return nil
}

// parseAnomalyStates reads --state: a comma list of states, or all.
func parseAnomalyStates(s string) ([]model.AnomalyState, error) {
	if strings.TrimSpace(s) == "" || strings.EqualFold(strings.TrimSpace(s), "all") {
		return nil, nil
	}
	var out []model.AnomalyState
	for _, part := range strings.Split(s, ",") {
		st, ok := model.ParseAnomalyState(part)
		if !ok {
			return nil, fmt.Errorf("%q is not a state (open, dismissed, confirmed, corrected, excluded, or all)", strings.TrimSpace(part))
		}
		out = append(out, st)
	}
	return out, nil
}

// anomalyJSON is one anomaly as `anomalies --db --json` prints it.
type anomalyJSON struct {
	ID          int64    `json:"id"`
	SKU         string   `json:"sku"`
	Location    string   `json:"location"`
	Channel     string   `json:"channel"`
	File        string   `json:"file"`
	Date        string   `json:"date"`
	Detector    string   `json:"detector"`
	Score       float64  `json:"score"`
	Observed    float64  `json:"observed"`
	Expected    *float64 `json:"expected"`
	Detail      string   `json:"detail"`
	State       string   `json:"state"`
	Replacement *float64 `json:"replacement"`
	Note        string   `json:"note"`
	Version     int64    `json:"version"`
	CreatedAt   string   `json:"created_at"`
	By          string   `json:"by"`
	At          string   `json:"at"`
}

func toAnomalyJSON(a model.Anomaly) anomalyJSON {
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	j := anomalyJSON{ID: a.ID, SKU: a.SKU, Location: a.Location, Channel: a.Channel, File: a.File, Date: a.Date.String(),
		Detector: a.Detector, Score: a.Score, Observed: a.Observed, Expected: num(a.Expected), Detail: a.Detail,
		State: string(a.State), Replacement: num(a.Replacement), Note: a.Note, Version: a.Version,
		CreatedAt: a.CreatedAt.UTC().Format(time.RFC3339), By: a.By}
	if !a.At.IsZero() {
		j.At = a.At.UTC().Format(time.RFC3339)
	}
	return j
}

func listAnomalies(ctx context.Context, c *cli, db string, q engine.AnomalyQuery, asJSON bool) error {
	eng, closeFn, err := openExistingEngine(ctx, c, db)
	if err != nil {
		return err
	}
	defer closeFn()
	defer eng.Close()
	as, err := eng.Anomalies(ctx, q)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]anomalyJSON, len(as))
		for i, a := range as {
			out[i] = toAnomalyJSON(a)
		}
		return writeJSON(c.stdout, out)
	}
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDATE\tSCORE\tDETECTOR\tSERIES\tOBSERVED\tEXPECTED\tSTATE\tVER\tDETAIL")
	byState := map[model.AnomalyState]int{}
	for _, a := range as {
		expected := "-"
		if !math.IsNaN(a.Expected) {
			expected = strconv.FormatFloat(a.Expected, 'g', 4, 64)
		}
		state := string(a.State)
		if a.State == model.AnomalyCorrected {
			state += " → " + strconv.FormatFloat(a.Replacement, 'g', -1, 64)
		}
		fmt.Fprintf(tw, "%d\t%s\t%.2f\t%s\t%s\t%g\t%s\t%s\t%d\t%s\n", a.ID, a.Date, a.Score, a.Detector, a.Subject(),
			a.Observed, expected, state, a.Version, a.Detail)
		byState[a.State]++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, st := range model.AnomalyStates {
		if n := byState[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	fmt.Fprint(c.stdout, count(len(as), "anomaly", "anomalies"))
	if len(parts) > 0 {
		fmt.Fprintf(c.stdout, ": %s", strings.Join(parts, ", "))
	}
	fmt.Fprintln(c.stdout)
	return nil
}

func scanAnomalies(ctx context.Context, c *cli, db string, full, asJSON bool) error {
	eng, closeFn, err := openExistingEngine(ctx, c, db)
	if err != nil {
		return err
	}
	defer closeFn()
	defer eng.Close()
	opt := engine.ScanOptions{Full: full}
	show := isTerminal(c.stderr) && !asJSON
	if show {
		opt.Progress = func(done, total int) {
			fmt.Fprintf(c.stderr, "\r  scanning %d of %d items", done, total)
		}
	}
	res, err := eng.ScanAnomalies(ctx, opt)
	if show {
		fmt.Fprint(c.stderr, "\r\033[K")
	}
	if err != nil {
		return fmt.Errorf("anomalies --scan: %w", err)
	}
	// By detector: the new open ones. Findings of a category's items that
	// moved together are stored dismissed, counted apart.
	by := map[string]int{}
	explained := 0
	for _, a := range res.Added {
		if a.State == model.AnomalyDismissed {
			explained++
		} else {
			by[a.Detector]++
		}
	}
	if asJSON {
		return writeJSON(c.stdout, map[string]any{"files": res.Files, "series": res.Series, "found": res.Found,
			"added": len(res.Added), "added_by_detector": by, "dismissed_on_arrival": explained,
			"dismissed_explained": len(res.Cleared), "seconds": math.Round(res.Seconds*1000) / 1000})
	}
	fmt.Fprintf(c.stdout, "scanned %s files and %s item×locations in %.1fs: %s findings, %s new", thousands(int64(res.Files)),
		thousands(int64(res.Series)), res.Seconds, thousands(int64(res.Found)), thousands(int64(len(res.Added))))
	if explained > 0 {
		fmt.Fprintf(c.stdout, ", %s of them dismissed as part of a category-wide move", thousands(int64(explained)))
	}
	switch n := len(res.Cleared); {
	case n == 1:
		fmt.Fprint(c.stdout, "; 1 stock finding dismissed: the ledger explains it now")
	case n > 1:
		fmt.Fprintf(c.stdout, "; %s stock findings dismissed: the ledger explains them now", thousands(int64(n)))
	}
	dets := make([]string, 0, len(by))
	for d := range by {
		dets = append(dets, d)
	}
	slices.Sort(dets)
	for i, d := range dets {
		sep := ", "
		if i == 0 {
			sep = " ("
		}
		fmt.Fprintf(c.stdout, "%s%s %s", sep, thousands(int64(by[d])), d)
	}
	if len(dets) > 0 {
		fmt.Fprint(c.stdout, ")")
	}
	fmt.Fprintln(c.stdout)
	return nil
}
