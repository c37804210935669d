package engine_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/engine/forecast"
	"stockroom/model"
)

// TestEngine_ForecastAll forecasts a small store and reads the forecasts
// back: one per item×location, from the day after the data, with
// quantiles, decodable distributions and every candidate's scores.
func TestEngine_ForecastAll(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	dir := t.TempDir()
	var items, moves, sales strings.Builder
	items.WriteString("sku,name,category,price\nFAST,Fast seller,a,5\nSLOW,Slow seller,b,9\n")
	moves.WriteString("date,sku,location,qty,kind,ref\n2026-01-01,FAST,DC1,100000,receipt,P1\n2026-01-01,SLOW,DC1,1000,receipt,P2\n")
	sales.WriteString("date,order_id,sku,location,channel,qty,price\n")
	start := model.MustDate("2026-01-01")
	for d := range 200 {
		day := start.AddDays(d)
		// A weekly pattern: weekends sell 20, weekdays 10.
		q := 10
		if wd := day.Weekday(); wd == 0 || wd == 6 {
			q = 20
		}
		fmt.Fprintf(&sales, "%s,F%d,FAST,DC1,web,%d,5\n", day, d, q)
		if d%9 == 0 {
			fmt.Fprintf(&sales, "%s,S%d,SLOW,DC1,web,1,9\n", day, d)
		}
	}
	for name, content := range map[string]string{"locations.csv": "code,name,kind\nDC1,Depot,depot\n",
		"items.csv": items.String(), "movements.csv": moves.String(), "sales.csv": sales.String()} {
		mustWrite(t, filepath.Join(dir, name), content)
	}
	if _, err := e.Import(ctx, []string{dir}, data.ImportOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	run, err := e.ForecastAll(ctx, engine.ForecastOptions{Horizon: 14, Models: []string{"snaive", "croston", "ses"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Series != 2 || run.Failed != 0 || run.Origin != start.AddDays(200) {
		t.Fatalf("run %+v", run)
	}
	f, err := e.Store().Forecast(ctx, "FAST", "DC1")
	if err != nil {
		t.Fatal(err)
	}
	if f.Origin != start.AddDays(200) || len(f.Point) != 14 || len(f.Quantiles) != 14 || len(f.Levels) != 9 || len(f.Scores) != 3 {
		t.Fatalf("forecast %+v", f)
	}
	// Seasonal naive reproduces the weekly pattern exactly; it must win.
	if f.Model != "snaive" {
		t.Errorf("FAST won by %s, scores %+v", f.Model, f.Scores)
	}
	checkWeekly(t, "", f)
	dists, err := forecast.DecodeDists(f.Dists)
	if err != nil || len(dists) != 14 {
		t.Fatalf("distributions: %v, %d", err, len(dists))
	}
	for i, q := range f.Quantiles {
		for j := 1; j < len(q); j++ {
			if q[j] < q[j-1] || q[0] < 0 {
				t.Errorf("day %d quantiles cross or go negative: %v", i, q)
			}
		}
	}
	last, err := e.Store().LatestForecastRun(ctx)
	if err != nil || last.ID != run.ID || last.Models["snaive"] == 0 {
		t.Errorf("latest run %+v %v", last, err)
	}

	// Accuracy by winning model and category: one series each here, so
	// each row is that series' winning score; the run pools the two, its
	// bias a mean error per day scored (units a day, as `forecast --db`
	// prints it), not per unit sold.
	accs, err := e.ForecastAccuracies(ctx)
	if err != nil || len(accs) != 2 {
		t.Fatalf("accuracies %+v %v", accs, err)
	}
	var errSum, absErr, days, volume float64
	for _, a := range accs {
		sku := map[string]string{"a": "FAST", "b": "SLOW"}[a.Category]
		g, _ := e.Store().Forecast(ctx, sku, "DC1")
		w := g.Scores[slices.IndexFunc(g.Scores, func(s model.ModelScore) bool { return s.Model == g.Model })]
		if a.Model != g.Model || a.Series != 1 || math.Abs(a.MAE-w.MAE) > 1e-9 || math.Abs(a.RMSE-w.RMSE) > 1e-9 ||
			math.Abs(a.WAPE-w.WAPE) > 1e-9 || math.Abs(a.Bias-w.Bias) > 1e-9 || math.Abs(a.MASE-w.MASE) > 1e-9 {
			t.Errorf("%s accuracy %+v, its winner scored %+v", sku, a, w)
		}
		errSum += w.Bias * float64(w.N)
		absErr += w.MAE * float64(w.N)
		days += float64(w.N)
		volume += w.Volume
	}
	if math.Abs(run.Bias-errSum/days) > 1e-9 {
		t.Errorf("run bias %g, want %g", run.Bias, errSum/days)
	}
	if math.Abs(run.WAPE-absErr/volume) > 1e-9 {
		t.Errorf("run WAPE %g, want %g", run.WAPE, absErr/volume)
	}

	// An early sale of SLOW today makes today the data day while FAST
	// has sold nothing yet: the day is not over, so FAST's forecast keeps
	// its pattern (seasonal naive would copy a zero into next week).
	today := start.AddDays(200)
	mustWrite(t, filepath.Join(dir, "today.csv"), fmt.Sprintf("date,order_id,sku,location,channel,qty,price\n%s,EARLY,SLOW,DC1,web,1,9\n", today))
	if _, err := e.Import(ctx, []string{filepath.Join(dir, "today.csv")}, data.ImportOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	e.SetClock(func() time.Time { return today.Time().Add(10 * time.Hour) })
	if _, err := e.ForecastAll(ctx, engine.ForecastOptions{Horizon: 14, Models: []string{"snaive"}}, nil); err != nil {
		t.Fatal(err)
	}
	f, err = e.Store().Forecast(ctx, "FAST", "DC1")
	if err != nil {
		t.Fatal(err)
	}
	if f.Origin != today.AddDays(1) {
		t.Fatalf("origin %s, want %s", f.Origin, today.AddDays(1))
	}
	checkWeekly(t, "with today not over, ", f)
}

// checkWeekly requires FAST's fixture pattern from the forecast's origin
// on: weekends 20, weekdays 10.
func checkWeekly(t *testing.T, prefix string, f model.Forecast) {
	t.Helper()
	for i, p := range f.Point {
		want := 10.0
		if wd := f.Origin.AddDays(i).Weekday(); wd == 0 || wd == 6 {
			want = 20
		}
		if math.Abs(p-want) > 1e-3 {
			t.Errorf("%sday %d: forecast %g, want %g", prefix, i, p, want)
		}
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := writeFile(path, content); err != nil {
		t.Fatal(err)
	}
}
