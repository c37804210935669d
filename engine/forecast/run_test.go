package forecast

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"stockroom/model"
)

// genSeries makes a seeded mix of demand shapes: smooth seasonal, trending,
// intermittent, lumpy, all-zero, short, with missing and censored periods.
func genSeries(n int, freq Freq, length int, seed uint64) []Series {
	r := newRand(seed)
	out := make([]Series, n)
	for i := range out {
		l := length
		if i%5 == 4 {
			l = 3 + r.IntN(length) // some short ones
		}
		y := make([]float64, l)
		var cens []bool
		kind := i % 6
		level := 0.2 + 30*r.Float64()*r.Float64()
		for t := range y {
			season := 1 + 0.4*math.Sin(2*math.Pi*float64(t)/float64(freq.Season()))
			switch kind {
			case 0, 1:
				y[t] = poisson(r, level*season)
			case 2:
				y[t] = poisson(r, level*(1+0.01*float64(t)))
			case 3:
				if r.Float64() < 0.15 {
					y[t] = float64(1 + r.IntN(8))
				}
			case 4:
				if r.Float64() < 0.05 {
					y[t] = float64(1 + r.IntN(40))
				}
			case 5:
				y[t] = 0
			}
			if r.Float64() < 0.02 {
				y[t] = math.NaN()
			}
		}
		if i%3 == 0 && l > 5 {
			cens = make([]bool, l)
			for t := range cens {
				cens[t] = r.Float64() < 0.05
			}
		}
		out[i] = Series{ID: fmt.Sprintf("S%03d", i), Start: model.MustDate("2020-01-01"), Freq: freq, Values: y, Censored: cens,
			Attrs: map[string]string{"cat": fmt.Sprint(kind)}}
	}
	return out
}

func poisson(r interface{ Float64() float64 }, mu float64) float64 {
	// Knuth's method is fine for the small means used here.
	l := math.Exp(-mu)
	k := 0.0
	p := 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func checkResults(t *testing.T, res []Result, h int, levels []float64) {
	t.Helper()
	for _, r := range res {
		if len(r.Point) != h || len(r.Quantiles) != h || len(r.Dists) != h || len(r.Periods) != h {
			t.Fatalf("%s: lengths point %d quantiles %d dists %d periods %d, want %d", r.SeriesID, len(r.Point), len(r.Quantiles), len(r.Dists), len(r.Periods), h)
		}
		if r.Model == "" {
			t.Errorf("%s: no model", r.SeriesID)
		}
		for k := range h {
			p := r.Point[k]
			if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
				t.Errorf("%s step %d: point %g", r.SeriesID, k+1, p)
			}
			q := r.Quantiles[k]
			if len(q) != len(levels) {
				t.Fatalf("%s: %d quantiles, want %d", r.SeriesID, len(q), len(levels))
			}
			for j, v := range q {
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					t.Errorf("%s step %d: quantile %g = %g", r.SeriesID, k+1, levels[j], v)
				}
				if j > 0 && v < q[j-1] {
					t.Errorf("%s step %d: quantiles cross: %v", r.SeriesID, k+1, q)
				}
			}
			if m := r.Dists[k].Mean(); math.IsNaN(m) || m < 0 {
				t.Errorf("%s step %d: distribution mean %g", r.SeriesID, k+1, m)
			}
		}
		if math.IsNaN(r.Rho) || r.Rho < 0 || r.Rho >= 1 {
			t.Errorf("%s: rho %g", r.SeriesID, r.Rho)
		}
		for _, s := range r.Scores {
			if s.Err == "" && (math.IsNaN(s.SPL) || math.IsNaN(s.RMSSE)) {
				t.Errorf("%s: score of %s is NaN: %+v", r.SeriesID, s.Model, s)
			}
		}
	}
}

// TestRun_QuantilesValidProperty: whatever the series (daily, weekly,
// monthly; smooth, intermittent, short, all zero, gappy, censored), every
// forecast is finite, non-negative and non-crossing.
func TestRun_QuantilesValidProperty(t *testing.T) {
	levels := []float64{0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99}
	for _, c := range []struct {
		freq   Freq
		length int
		h      int
	}{{Daily, 200, 14}, {Weekly, 80, 8}, {Monthly, 30, 6}} {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("%s/%d", c.freq, seed), func(t *testing.T) {
				s := genSeries(24, c.freq, c.length, seed)
				res, err := Run(context.Background(), s, Calendar{}, Options{Horizon: c.h, Quantiles: levels, Seed: seed,
					GBT: GBTConfig{Trees: 20, MinLeaf: 20}}, nil)
				if err != nil {
					t.Fatal(err)
				}
				checkResults(t, res, c.h, levels)
			})
		}
	}
}

// TestRun_MonthlyIntermittentShort is the monthly case: many zeros
// and short histories, down to a single month.
func TestRun_MonthlyIntermittentShort(t *testing.T) {
	start := model.MustDate("2023-01-01")
	series := []Series{
		{ID: "one", Start: start, Freq: Monthly, Values: []float64{3}},
		{ID: "zeros", Start: start, Freq: Monthly, Values: []float64{0, 0, 0, 0, 0}},
		{ID: "single", Start: start, Freq: Monthly, Values: []float64{0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0}},
		{ID: "sparse", Start: start, Freq: Monthly, Values: []float64{0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 7, 0, 0, 1, 0, 0, 0, 0}},
		{ID: "gappy", Start: start, Freq: Monthly, Values: []float64{math.NaN(), 1, math.NaN(), 0, 0, 2}},
		{ID: "allmissing", Start: start, Freq: Monthly, Values: []float64{math.NaN(), math.NaN()}},
	}
	res, err := Run(context.Background(), series, Calendar{}, Options{Horizon: 12}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkResults(t, res, 12, DefaultQuantiles)
	for _, r := range res {
		if r.Periods[0] != series[slices.IndexFunc(series, func(s Series) bool { return s.ID == r.SeriesID })].Date(len(series[0].Values)+0) &&
			r.SeriesID == "one" {
			t.Errorf("one: first forecast period %s, want 2023-02-01", r.Periods[0])
		}
		switch r.SeriesID {
		case "zeros", "allmissing":
			if r.Point[0] != 0 || r.Quantiles[0][8] != 0 {
				t.Errorf("%s: forecast %g, p90 %g; want 0", r.SeriesID, r.Point[0], r.Quantiles[0][8])
			}
		}
	}
}

func TestRun_WorkersDoNotChangeResults(t *testing.T) {
	s := genSeries(30, Daily, 150, 7)
	o := Options{Horizon: 7, Seed: 1, GBT: GBTConfig{Trees: 15, MinLeaf: 20}}
	o.Workers = 1
	a, err := Run(context.Background(), s, Calendar{}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Workers = 4
	b, err := Run(context.Background(), s, Calendar{}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i].Model != b[i].Model || !slices.Equal(a[i].Point, b[i].Point) {
			t.Errorf("%s: 1 worker %s %v; 4 workers %s %v", a[i].SeriesID, a[i].Model, a[i].Point, b[i].Model, b[i].Point)
		}
	}
}

func TestRun_CancelAndProgress(t *testing.T) {
	s := genSeries(40, Daily, 120, 2)
	var last, total int
	_, err := Run(context.Background(), s, Calendar{}, Options{Horizon: 7, Models: []string{"naive", "ses"}}, func(d, n int) {
		if d < last {
			t.Errorf("progress went back: %d after %d", d, last)
		}
		last, total = d, n
	})
	if err != nil {
		t.Fatal(err)
	}
	if last != total || total != len(s) {
		t.Errorf("progress ended at %d/%d, want %d/%d", last, total, len(s), len(s))
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err = Run(ctx, s, Calendar{}, Options{Horizon: 7, GBT: GBTConfig{Trees: 50}}, func(d, n int) {
		calls++
		if calls == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: err %v, want context.Canceled", err)
	}
}

func TestRun_OnResultStreams(t *testing.T) {
	s := genSeries(10, Weekly, 60, 3)
	seen := map[string]bool{}
	res, err := Run(context.Background(), s, Calendar{}, Options{Horizon: 4, Models: []string{"naive", "sba"},
		OnResult: func(r Result) error { seen[r.SeriesID] = true; return nil }}, nil)
	if err != nil || res != nil {
		t.Fatalf("streaming run: %v, %d results kept", err, len(res))
	}
	if len(seen) != len(s) {
		t.Errorf("streamed %d results, want %d", len(seen), len(s))
	}
	stop := errors.New("stop")
	_, err = Run(context.Background(), s, Calendar{}, Options{Horizon: 4, Models: []string{"naive"}, Workers: 1,
		OnResult: func(Result) error { return stop }}, nil)
	if !errors.Is(err, stop) {
		t.Errorf("OnResult error: got %v", err)
	}
}

func TestRun_BadOptions(t *testing.T) {
	s := genSeries(1, Daily, 30, 1)
	for _, o := range []Options{{}, {Horizon: 3, Quantiles: []float64{0.5, 1}}, {Horizon: 3, Models: []string{"bogus"}}, {Horizon: 3, CountDist: "x"}} {
		if _, err := Run(context.Background(), s, Calendar{}, o, nil); err == nil {
			t.Errorf("%+v: want an error", o)
		}
	}
	bad := []Series{{ID: "neg", Start: 0, Freq: Daily, Values: []float64{1, -2}}}
	if _, err := Run(context.Background(), bad, Calendar{}, Options{Horizon: 2}, nil); err == nil {
		t.Error("negative demand: want an error")
	}
}

// TestRun_SelectsTheRightModel: on a pure weekly pattern seasonal naive is
// exact, so the backtest must choose it (or a blend that includes it, no
// worse) and forecast the pattern.
func TestRun_SelectsTheRightModel(t *testing.T) {
	week := []float64{50, 30, 30, 40, 60, 90, 120}
	var y []float64
	for range 20 {
		y = append(y, week...)
	}
	s := []Series{{ID: "w", Start: model.MustDate("2024-01-01"), Freq: Daily, Values: y}}
	res, err := Run(context.Background(), s, Calendar{}, Options{Horizon: 7, Models: []string{"naive", "ses", "snaive", "ma"}, Combine: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Model != "snaive" {
		t.Fatalf("picked %s; scores %+v", r.Model, r.Scores)
	}
	for k, v := range r.Point {
		if v != week[k] {
			t.Errorf("step %d: %g, want %g", k+1, v, week[k])
		}
	}
	if r.Scores[0].Model != "snaive" || r.Scores[0].RMSSE != 0 || len(r.Scores) != 4 {
		t.Errorf("scores: %+v", r.Scores)
	}
}

func TestPick(t *testing.T) {
	c := func(name string, spl, vol float64) *candidate {
		return &candidate{score: Score{Model: name, SPL: spl, Volume: vol}}
	}
	names := func(cs []*candidate) string {
		var s []string
		for _, x := range cs {
			s = append(s, x.score.Model)
		}
		return fmt.Sprint(s)
	}
	cases := []struct {
		name    string
		ok      []*candidate
		def     string
		combine int
		want    string
	}{
		{"default is best", []*candidate{c("gbt", 1, 5), c("sba", 1.2, 5)}, "gbt", 2, "[gbt]"},
		{"within margin", []*candidate{c("sba", 0.8, 5), c("gbt", 1, 5)}, "gbt", 2, "[gbt]"},
		{"beyond margin, blend", []*candidate{c("sba", 0.6, 5), c("gbt", 1, 5)}, "gbt", 2, "[gbt sba]"},
		{"beyond margin, switch", []*candidate{c("sba", 0.6, 5), c("gbt", 1, 5)}, "gbt", 1, "[sba]"},
		{"no demand in the backtest", []*candidate{c("naive", 0, 0), c("gbt", 0.2, 0)}, "gbt", 2, "[gbt]"},
		{"default not fitted", []*candidate{c("sba", 0.6, 5), c("ses", 0.7, 5), c("naive", 1, 5)}, "gbt", 2, "[sba ses]"},
		{"no default, no blend", []*candidate{c("sba", 0.6, 5), c("ses", 0.7, 5)}, "", 1, "[sba]"},
	}
	for _, tc := range cases {
		if got := names(pick(tc.ok, tc.def, 0.3, tc.combine)); got != tc.want {
			t.Errorf("%s: picked %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestCollection_Best(t *testing.T) {
	st := func(scores ...Score) *seriesState {
		s := &seriesState{cuts: []int{1}}
		for _, sc := range scores {
			cd := &candidate{score: sc}
			if sc.Err != "" {
				cd.err = errors.New(sc.Err)
			}
			s.cands = append(s.cands, cd)
		}
		return s
	}
	c := newCollection()
	// Pooled loss weighs busy series: gbt loses on the small series but
	// wins the total; hw-mult looks best but fits only one series.
	c.add(st(Score{Model: "gbt", WQL: 0.5, Volume: 10}, Score{Model: "sba", WQL: 0.3, Volume: 10}, Score{Model: "hw-mult", Err: "zeros"}))
	c.add(st(Score{Model: "gbt", WQL: 0.2, Volume: 1000}, Score{Model: "sba", WQL: 0.3, Volume: 1000}, Score{Model: "hw-mult", WQL: 0.01, Volume: 1000}))
	if got := c.best(); got != "gbt" {
		t.Errorf("best = %q, want gbt", got)
	}
	if got := newCollection().best(); got != "" {
		t.Errorf("empty collection: best = %q", got)
	}
}

// PoolRho moves each series' shrunk estimate r·W/(W+2) to
// (W·r + 2·r̄)/(W+2); a series without windows gets r̄, and does not
// count in it. r̄ is shrunk by the collection's N windows, N/(N+2).
func TestPoolRho(t *testing.T) {
	// Own estimates 0.5, 0.1 and 0.3 over three windows: stored shrunk by
	// 3/5 to 0.3, 0.06, 0.18; their mean 0.3 over N = 9 windows gives
	// r̄ = 0.3·9/11, so each gains 2·r̄/5 and the last gets r̄.
	rho := []float64{0.3, 0.06, 0.18, 0}
	PoolRho(rho, []int{3, 3, 3, 0})
	bar := 0.3 * 9 / 11
	for i, want := range []float64{0.3 + 0.4*bar, 0.06 + 0.4*bar, 0.18 + 0.4*bar, bar} {
		if !near(rho[i], want, 1e-12) {
			t.Errorf("rho[%d] = %g, want %g", i, rho[i], want)
		}
	}
	// A new store: one series with one window that said 0.95 (stored
	// 0.95/3) must not hand 0.95 to a series with no history.
	rho = []float64{0.95 / 3, 0}
	PoolRho(rho, []int{1, 0})
	for i, want := range []float64{0.95/3 + 2*0.95/3/3, 0.95 / 3} {
		if !near(rho[i], want, 1e-12) {
			t.Errorf("new store: rho[%d] = %g, want %g", i, rho[i], want)
		}
	}
	none := []float64{0, 0}
	PoolRho(none, []int{0, 0})
	if none[0] != 0 || none[1] != 0 {
		t.Errorf("no windows anywhere: %v", none)
	}
}

// A run returned whole pools its error correlations; streamed, each
// series keeps its own, and PoolRho over them gives the same.
func TestRun_PoolsRho(t *testing.T) {
	s := genSeries(12, Daily, 300, 5)
	o := Options{Horizon: 14, Models: []string{"ses", "ma"}, Workers: 1}
	whole, err := Run(context.Background(), s, Calendar{}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Result{}
	o.OnResult = func(r Result) error { byID[r.SeriesID] = r; return nil }
	if _, err := Run(context.Background(), s, Calendar{}, o, nil); err != nil {
		t.Fatal(err)
	}
	rho := make([]float64, len(whole))
	windows := make([]int, len(whole))
	for i, r := range whole {
		rho[i], windows[i] = byID[r.SeriesID].Rho, byID[r.SeriesID].Windows
	}
	PoolRho(rho, windows)
	moved := false
	for i, r := range whole {
		if !near(r.Rho, rho[i], 1e-12) {
			t.Errorf("%s: rho %g, want %g", r.SeriesID, r.Rho, rho[i])
		}
		moved = moved || r.Rho != byID[r.SeriesID].Rho
	}
	if !moved {
		t.Errorf("pooling changed nothing: every series' rho is the collection's")
	}
}

func TestBacktestCuts(t *testing.T) {
	for _, c := range []struct {
		n, h, w, season int
		cuts            []int
		hb              int
	}{
		{200, 28, 3, 7, []int{116, 144, 172}, 28},
		{40, 28, 3, 7, []int{16}, 24},
		{13, 28, 3, 7, []int{6}, 7},
		{12, 28, 3, 7, nil, 0}, // six days held out cannot tell models apart
		{6, 28, 3, 7, nil, 0},
		{12, 3, 3, 12, []int{6, 9}, 3}, // monthly: a 3-month horizon is window enough
	} {
		cuts, hb := backtestCuts(c.n, c.h, c.w, c.season)
		if !slices.Equal(cuts, c.cuts) || hb != c.hb {
			t.Errorf("backtestCuts(%d, %d, %d, %d) = %v, %d; want %v, %d", c.n, c.h, c.w, c.season, cuts, hb, c.cuts, c.hb)
		}
	}
}

// A new item that sold on two days of its first week and not since is
// not backtested on its last two days (where naive's zero would win): it
// takes the intermittent fallback, whose rate is positive.
func TestRun_ShortHistoryFallsBack(t *testing.T) {
	s := Series{ID: "new", Start: model.MustDate("2026-11-19"), Freq: Daily, Values: []float64{0, 3, 2, 0, 0, 0, 0}}
	res, err := Run(context.Background(), []Series{s}, Calendar{}, Options{Horizon: 28, Workers: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Model != "sba" || r.Windows != 0 || r.Note != "no backtest: history too short" || !(r.Point[0] > 0.5) {
		t.Errorf("model %s, %d windows, note %q, first day %.3f", r.Model, r.Windows, r.Note, r.Point[0])
	}
}
