package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"stockroom/engine/anomaly"
	"stockroom/model"
)

func runAnomalies(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "anomalies", "--input SERIES.csv [--out SCORES.csv] [flags]\n       stockroom anomalies --db DB [--state open] [--json]", `
Score series for anomalies, or list the anomalies stored in a store.

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

Exit status: 0 on success, 1 when the input cannot be read or is bad (the
message names the file, line and field), 2 for usage errors.`)
	input := fs.String("input", "", "series CSV to score: timestamp,value or series_id,period,value; - for standard input")
	out := fs.String("out", "-", "where to write the scored rows; - for standard output")
	period := fs.Int("period", 0, "season length in points (0: infer from the timestamps)")
	threshold := fs.Float64("threshold", 0, "combined score that raises an alert (0: the default, 0.5)")
	db := dbFlag(c, fs)
	state := fs.String("state", "", "with --db: list only anomalies in this state (open, dismissed, confirmed, corrected, excluded)")
	asJSON := fs.Bool("json", false, "with --db: print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("anomalies: unexpected argument %q (see 'stockroom anomalies --help')", pos[0])
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *input == "" {
		if *state != "" {
			if _, ok := model.ParseAnomalyState(*state); !ok {
				return usageErrorf("anomalies --state: %q is not a state (open, dismissed, confirmed, corrected, excluded)", *state)
			}
		}
		if set["db"] || set["state"] || set["json"] {
			_ = db
			_ = asJSON
			return usageErrorf("anomalies --db: listing stored anomalies is not wired to the store yet")
		}
		return usageErrorf("anomalies: --input SERIES.csv is required, or --db DB to list stored anomalies (see 'stockroom anomalies --help')")
	}
	if set["db"] || set["state"] || set["json"] {
		return usageErrorf("anomalies: --input scores a file; --db, --state and --json list a store: use one or the other")
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
the action is refused (exit 1) rather than silently overriding theirs.`)
	db := dbFlag(c, fs)
	value := fs.Float64("value", math.NaN(), "the corrected value (correct only)")
	user := fs.String("as", "", "who is acting (default: $USER)")
	version := fs.Int64("version", -1, "the version of the anomaly you saw (default: the current one)")
	note := fs.String("note", "", "why, for the audit trail")
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
	who := strings.TrimSpace(*user)
	if who == "" {
		who = c.getenv("USER")
	}
	_, _, _ = db, version, note
	return usageErrorf("anomaly %s %d: not wired to the store yet", act, id)
}
