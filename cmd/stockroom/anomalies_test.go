package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stockroom/data/demo"
	"stockroom/model"
)

var updateAnomalies = flag.Bool("update-anomalies", false, "rewrite testdata/anomaly (the generated input and the golden scores)")

const anomalyDir = "../../testdata/anomaly"

// genAnomalyInput is the seeded generator of testdata/anomaly/daily.csv:
// two years of daily demand for three series with a weekly season, and
// known anomalies in them. It returns the file and where the anomalies are
// (series and day index).
func genAnomalyInput() ([]byte, map[string][]int) {
	r := rand.New(rand.NewPCG(2024, 5))
	week := [7]float64{0.85, 0.9, 0.95, 1.0, 1.1, 1.35, 1.25}
	start := time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC) // a Monday
	const days = 300
	type spec struct {
		id    string
		level float64
	}
	truth := map[string][]int{
		"SKU-A_DC":  {200},      // a typo: ten times the day's sales
		"SKU-B_DC":  {230},      // demand halves for good
		"SKU-C_WEB": {150, 260}, // a feed stuck for a week; a day of nothing
	}
	var b bytes.Buffer
	b.WriteString("series_id,period,value\n")
	for _, s := range []spec{{"SKU-A_DC", 30}, {"SKU-B_DC", 60}, {"SKU-C_WEB", 20}} {
		var stuck float64
		for d := 0; d < days; d++ {
			mu := s.level * week[d%7]
			if s.id == "SKU-B_DC" && d >= 230 {
				mu /= 2
			}
			v := float64(poisson(r, mu))
			switch {
			case s.id == "SKU-A_DC" && d == 200:
				v *= 10
			case s.id == "SKU-C_WEB" && d == 150:
				stuck = v
			case s.id == "SKU-C_WEB" && d > 150 && d < 157:
				v = stuck
			case s.id == "SKU-C_WEB" && d == 260:
				v = 0
			}
			val := fmt.Sprint(v)
			if s.id == "SKU-A_DC" && d == 100 {
				val = "NA" // a missing day
			}
			fmt.Fprintf(&b, "%s,%s,%s\n", s.id, start.AddDate(0, 0, d).Format("2006-01-02"), val)
		}
	}
	return b.Bytes(), truth
}

func poisson(r *rand.Rand, mu float64) int {
	l, k, p := math.Exp(-mu), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// runMain calls run as main does and returns the streams and exit code.
func runMain(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func TestRunAnomalies_golden(t *testing.T) {
	in, truth := genAnomalyInput()
	inPath := filepath.Join(anomalyDir, "daily.csv")
	goldPath := filepath.Join(anomalyDir, "daily.scores.csv")
	if *updateAnomalies {
		if err := os.MkdirAll(anomalyDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(inPath, in, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	onDisk, err := os.ReadFile(inPath)
	if err != nil {
		t.Fatalf("%v (run with -update-anomalies to create it)", err)
	}
	if !bytes.Equal(onDisk, in) {
		t.Fatalf("%s is not what the seeded generator makes (run with -update-anomalies)", inPath)
	}
	out := filepath.Join(t.TempDir(), "scores.csv")
	if _, stderr, code := runMain(t, "", "anomalies", "--input", inPath, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if *updateAnomalies {
		if err := os.WriteFile(goldPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldPath)
	if err != nil {
		t.Fatalf("%v (run with -update-anomalies to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("scores differ from %s (run with -update-anomalies to accept)", goldPath)
	}

	// Beyond the golden bytes: the injected anomalies are the alerts.
	recs, err := csv.NewReader(bytes.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if h := strings.Join(recs[0], ","); h != "series_id,period,value,anomaly_score,is_anomaly,detector,expected" {
		t.Fatalf("header %q", h)
	}
	alerts := map[string][]int{}
	day := map[string]int{}
	for _, r := range recs[1:] {
		id := r[0]
		if r[4] == "1" {
			alerts[id] = append(alerts[id], day[id])
		}
		if s := r[3]; s < "0" || s > "1.0000" {
			t.Errorf("%s day %d: score %s outside 0..1", id, day[id], s)
		}
		day[id]++
	}
	for id, at := range truth {
		for _, d := range at {
			found := false
			for _, a := range alerts[id] {
				found = found || (a >= d && a <= d+7)
			}
			if !found {
				t.Errorf("%s: no alert within a week of day %d (alerts at %v)", id, d, alerts[id])
			}
		}
	}
	var n int
	for _, a := range alerts {
		n += len(a)
	}
	if want := 4; n > want+1 {
		t.Errorf("%d alerts in all (%v), want about %d: one per injected anomaly", n, alerts, want)
	}
}

func TestRunAnomalies_stdin(t *testing.T) {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 2000; i++ {
		v := 50 + 10*math.Sin(2*math.Pi*float64(i)/288) + float64((i*7919)%13)/13
		if i == 1700 {
			v = 400
		}
		fmt.Fprintf(&b, "%s,%.3f\n", t0.Add(time.Duration(i)*5*time.Minute).Format("2006-01-02 15:04:05"), v)
	}
	stdout, stderr, code := runMain(t, b.String(), "anomalies", "--input", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2001 {
		t.Fatalf("%d output rows, want 2001", len(recs))
	}
	var alerts []int
	for i, r := range recs[1:] {
		if r[3] == "1" {
			alerts = append(alerts, i)
		}
	}
	if len(alerts) != 1 || alerts[0] != 1700 {
		t.Errorf("alerts at %v, want exactly [1700]", alerts)
	}
}

func TestRunAnomalies_errors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("series_id,period,value\nA,2024-01-01,3\nA,2024-01-02,lots\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no input", []string{"anomalies"}, 2, "--input SERIES.csv is required"},
		{"stray argument", []string{"anomalies", "--input", bad, "extra"}, 2, `unexpected argument "extra"`},
		{"unknown flag", []string{"anomalies", "--frobnicate"}, 2, "frobnicate"},
		{"bad threshold", []string{"anomalies", "--input", bad, "--threshold", "2"}, 2, "--threshold"},
		{"bad value names file, line and field", []string{"anomalies", "--input", bad}, 1, bad + ":3: value: \"lots\" is not a number"},
		{"missing file", []string{"anomalies", "--input", filepath.Join(dir, "nope.csv")}, 1, "nope.csv"},
		{"full without scan", []string{"anomalies", "--db", filepath.Join(dir, "x.db"), "--full"}, 2, "--full goes with --scan"},
		{"scan and list flags", []string{"anomalies", "--db", filepath.Join(dir, "x.db"), "--scan", "--state", "open"}, 2, "scan first, then list"},
		{"bad sort", []string{"anomalies", "--db", filepath.Join(dir, "x.db"), "--sort", "size"}, 2, `"size" is not an order`},
		{"bad state", []string{"anomalies", "--db", filepath.Join(dir, "x.db"), "--state", "lost"}, 2, `"lost" is not a state`},
		{"input and db", []string{"anomalies", "--input", bad, "--db", "x.db"}, 2, "one or the other"},
		{"action needs an id", []string{"anomaly", "dismiss"}, 2, "exactly one anomaly id"},
		{"unknown action", []string{"anomaly", "erase", "3"}, 2, `"erase" is not an action`},
		{"bad id", []string{"anomaly", "exclude", "x7"}, 2, `"x7" is not an anomaly id`},
		{"correct needs a value", []string{"anomaly", "correct", "3"}, 2, "--value V is required"},
		{"value only with correct", []string{"anomaly", "dismiss", "3", "--value", "4"}, 2, "--value only goes with correct"},
		{"missing store", []string{"anomaly", "correct", "3", "--value", "12", "--as", "ann", "--db", filepath.Join(dir, "x.db")}, 1, "x.db: no such store"},
		{"bad version", []string{"anomaly", "dismiss", "3", "--version", "-4", "--db", filepath.Join(dir, "x.db")}, 2, "--version must be"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runMain(t, "", c.args...)
			if code != c.code || !strings.Contains(stderr, c.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.msg)
			}
		})
	}
}

func TestRunAnomalies_help(t *testing.T) {
	stdout, _, code := runMain(t, "", "anomalies", "--help")
	if code != 0 || !strings.Contains(stdout, "is_anomaly") || !strings.Contains(stdout, "--period") {
		t.Errorf("exit %d, help:\n%s", code, stdout)
	}
}

// TestAnomalies_demo measures detectors and rules on the demo data: it
// generates the demo files (or reads STOCKROOM_DEMO_DIR), rebuilds the
// daily sales series and the ledger from them as the store would (a
// re-sent file and re-exported lines counted once), runs the ensemble and
// the rules, and scores them against truth/anomalies.csv. Long: only with
// STOCKROOM_LONG=1.
func TestAnomalies_demo(t *testing.T) {
	if os.Getenv("STOCKROOM_LONG") == "" {
		t.Skip("the demo evaluation is long: set STOCKROOM_LONG=1")
	}
	dir := os.Getenv("STOCKROOM_DEMO_DIR")
	if dir == "" {
		dir = t.TempDir()
		opt := demo.Options{Seed: 1, End: model.MustDate("2026-11-25")}
		if _, err := demo.Generate(context.Background(), dir, opt, nil); err != nil {
			t.Fatal(err)
		}
	}
	ev := evalDemo(t, dir)
	t.Log("\n" + ev)
}
