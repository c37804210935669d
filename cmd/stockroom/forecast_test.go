package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"stockroom/data"
	"stockroom/model"
)

var updateForecast = flag.Bool("update-forecast", false, "rewrite the forecast CLI golden files in testdata/forecast")

const fcData = "../../testdata/forecast/"

// runForecastCLI runs stockroom through run(), as main does.
func runForecastCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"forecast"}, args...), strings.NewReader(""), &out, &errb)
	code := exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(fcData, name)
	if *updateForecast {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-forecast to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update-forecast to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestForecastCLI_Golden(t *testing.T) {
	out := filepath.Join(t.TempDir(), "forecast.csv")
	stdout, stderr, code := runForecastCLI(t, "--input", fcData+"series.csv", "--horizon", "7", "--out", out,
		"--events", fcData+"events.csv", "--prices", fcData+"prices.csv", "--attributes", fcData+"meta.csv",
		"--workers", "2", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "" || !strings.Contains(stderr, "4 series, 7 periods ahead") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if h := "series_id,period,forecast,p10,p20,p30,p40,p50,p60,p70,p80,p90,model"; lines[0] != h {
		t.Errorf("header %q, want %q", lines[0], h)
	}
	if len(lines) != 1+4*7 {
		t.Errorf("%d lines, want %d", len(lines), 1+4*7)
	}
	checkGolden(t, "forecast.golden.csv", string(got))
}

func TestForecastCLI_BacktestAndQuantiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "scores.csv")
	stdout, stderr, code := runForecastCLI(t, "--input", fcData+"series.csv", "--horizon", "7", "--backtest", "--out", out,
		"--models", "naive,snaive,ses,sba,tsb", "--quantiles", "0.9,0.05,0.5", "--workers", "2", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkGolden(t, "backtest.golden.txt", stdout)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "series_id,model,rank,chosen,periods,mae,rmse,mase,rmsse,wape,bias,spl,wql,coverage_p05,coverage_p50,coverage_p90,params,error\n") {
		t.Errorf("scores header: %q", strings.SplitN(string(got), "\n", 2)[0])
	}
	checkGolden(t, "scores.golden.csv", string(got))
	// Forecast to standard output with the requested levels, sorted.
	stdout, _, code = runForecastCLI(t, "--input", fcData+"series.csv", "--horizon", "2", "--models", "sba", "--quantiles", "0.9,0.05,0.5", "--quiet")
	if code != 0 || !strings.HasPrefix(stdout, "series_id,period,forecast,p05,p50,p90,model\n") {
		t.Errorf("exit %d, output %q", code, stdout)
	}
}

func TestForecastCLI_Errors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--horizon", "3"}, 2, "--input SERIES.csv is required"},
		{[]string{"--input", fcData + "series.csv"}, 2, "--horizon must be a positive"},
		{[]string{"--input", fcData + "series.csv", "--horizon", "3", "--quantiles", "0.5,1.2"}, 2, "--quantiles"},
		{[]string{"--input", fcData + "series.csv", "--horizon", "3", "--models", "arima"}, 2, `unknown model "arima"`},
		{[]string{"--input", fcData + "series.csv", "--horizon", "x"}, 2, "invalid value"},
		{[]string{"--db", "x.db"}, 1, "x.db: no such store"},
		{[]string{"--input", fcData + "bad_value.csv", "--horizon", "3"}, 1, `bad_value.csv:3: value: "three" is not a number`},
		{[]string{"--input", fcData + "missing.csv", "--horizon", "3"}, 1, "missing.csv: no such file"},
		{[]string{"--input", fcData + "series.csv", "--horizon", "3", "--events", fcData + "meta.csv"}, 1, "meta.csv:1: date: missing column"},
	}
	for _, c := range cases {
		_, stderr, code := runForecastCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d containing %q", c.args, code, stderr, c.code, c.msg)
		}
	}
}

// A series that sold nothing in its backtest windows has no WAPE of its
// own (NaN in the scores), but its errors count in the pooled WAPE: total
// absolute error over total volume.
func TestForecastCLI_BacktestPoolsUnsoldWindows(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("series_id,period,value\n")
	start := model.MustDate("2026-01-01")
	for d := range 120 {
		fmt.Fprintf(&b, "A,%s,%d\n", start.AddDays(d), 3+(d*7)%5)
		v := 0
		if d < 40 {
			v = 2
		}
		fmt.Fprintf(&b, "B,%s,%d\n", start.AddDays(d), v)
	}
	in := filepath.Join(dir, "series.csv")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "scores.csv")
	stdout, stderr, code := runForecastCLI(t, "--input", in, "--horizon", "7", "--backtest", "--out", out, "--models", "sba", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	num := func(r []string, c string) float64 {
		v, err := strconv.ParseFloat(r[col[c]], 64)
		if err != nil {
			t.Fatalf("%s %s: %v", r[0], c, err)
		}
		return v
	}
	var absErr, volume float64
	for _, r := range rows[1:] {
		e := num(r, "mae") * num(r, "periods")
		absErr += e
		switch r[0] {
		case "A":
			volume = e / num(r, "wape")
		case "B":
			if r[col["wape"]] != "NaN" || r[col["wql"]] != "NaN" || e == 0 {
				t.Errorf("B sold nothing in its windows: wape %q, wql %q, absolute error %g", r[col["wape"]], r[col["wql"]], e)
			}
		}
	}
	var got float64
	for _, l := range strings.Split(stdout, "\n") {
		if f := strings.Fields(l); len(f) > 6 && f[0] == "sba" {
			got, _ = strconv.ParseFloat(f[6], 64)
		}
	}
	if want := absErr / volume; math.Abs(got-want) > 0.0006 {
		t.Errorf("pooled WAPE %.3f, want %.3f (B's errors over A's volume)\n%s", got, want, stdout)
	}
}

// A new store's histories are too short to backtest: forecast --db says
// so instead of printing a perfect WAPE of 0%, and the run keeps its
// accuracy unknown (NaN) rather than 0.
func TestForecastDB_NoBacktestYet(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	for name, body := range map[string]string{
		"locations.csv": "code,name,kind\nWH,Warehouse,warehouse\n",
		"items.csv":     "sku,name\nA1,Widget\nB2,Gadget\n",
		"movements.csv": "date,sku,location,qty,kind,ref\n2026-11-19,A1,WH,24,receipt,R1\n2026-11-19,B2,WH,3,receipt,R2\n",
		"sales.csv":     "date,order_id,sku,location,qty\n2026-11-20,O1,A1,WH,3\n2026-11-21,O2,A1,WH,2\n2026-11-20,O3,B2,WH,1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, stderr, code := runCLI(t, nil, "import", "--db", db, dir); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	out, stderr, code := runCLI(t, nil, "forecast", "--db", db)
	if code != 0 || !strings.Contains(out, "no backtest: no item×location has history enough for one yet") || strings.Contains(out, "WAPE") {
		t.Fatalf("forecast --db: exit %d %s\n%s", code, stderr, out)
	}
	st, err := data.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	run, err := st.LatestForecastRun(context.Background())
	if err != nil || run.Series != 2 || !math.IsNaN(run.WAPE) || !math.IsNaN(run.MASE) || !math.IsNaN(run.Bias) {
		t.Errorf("stored run %+v, %v", run, err)
	}
}
