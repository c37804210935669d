package forecast

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"stockroom/model"
)

// The M5 evaluation: opt-in because it takes tens of seconds.
//
//	STOCKROOM_M5=1 go test ./engine/forecast -run TestM5 -v
//
// STOCKROOM_M5_CUTOFF moves the forecast origin (default 2016-04-24, the
// test window 2016-04-25…2016-05-22); earlier origins are for tuning.
// STOCKROOM_M5_OUT writes the markdown table to a file. On the test window
// TestM5 fails when auto misses a goal of the issue: WRMSSE at least 5%
// better than the best M5 benchmark, WQL better than every one, PIT
// coverage of p10…p90 within 3 points of nominal.

const m5Dir = "../../../shared/bench/m5"

type m5Data struct {
	series  []Series
	cal     Calendar
	prices  map[string][]PricePoint
	weights map[string]float64
}

func loadM5(tb testing.TB) *m5Data {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(m5Dir, "sales.csv")); err != nil {
		tb.Skipf("M5 data not found at %s (see ../shared/bench/README.md)", m5Dir)
	}
	open := func(name string) *os.File {
		f, err := os.Open(filepath.Join(m5Dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { f.Close() })
		return f
	}
	d := &m5Data{weights: map[string]float64{}}
	var err error
	if d.series, err = ReadSeriesCSV(open("sales.csv"), "sales.csv"); err != nil {
		tb.Fatal(err)
	}
	if d.cal, err = ReadEventsCSV(open("events.csv"), "events.csv"); err != nil {
		tb.Fatal(err)
	}
	if d.prices, err = ReadPricesCSV(open("prices.csv"), "prices.csv"); err != nil {
		tb.Fatal(err)
	}
	attrs, err := ReadAttributesCSV(open("meta.csv"), "meta.csv")
	if err != nil {
		tb.Fatal(err)
	}
	for i := range d.series {
		a := attrs[d.series[i].ID]
		w, err := strconv.ParseFloat(a["weight"], 64)
		if err != nil {
			tb.Fatalf("meta.csv: weight of %s: %v", d.series[i].ID, err)
		}
		d.weights[d.series[i].ID] = w
		delete(a, "weight") // a weight is not a category
		d.series[i].Attrs = a
	}
	return d
}

// split cuts every series at cutoff (last training day) and returns the
// training series with prices over the horizon, and the actuals after.
func (d *m5Data) split(cutoff model.Date, h int) ([]Series, map[string][]float64) {
	train := make([]Series, len(d.series))
	actual := map[string][]float64{}
	for i, s := range d.series {
		n, _ := s.Freq.Index(s.Start, cutoff)
		n++
		t := s
		t.Values = s.Values[:n]
		t.Censored = nil
		train[i] = t
		a := make([]float64, h)
		for k := range a {
			a[k] = math.NaN()
			if n+k < len(s.Values) {
				a[k] = s.Values[n+k]
			}
		}
		actual[s.ID] = a
	}
	ApplyPrices(train, d.prices, h)
	return train, actual
}

// windowWeights are the M5 level-12 weights for a window after cutoff:
// each series' share of dollar sales over the window. At the official
// origin they reproduce meta.csv's weights; earlier origins (for tuning)
// need their own.
func windowWeights(train []Series, actual map[string][]float64) map[string]float64 {
	w := map[string]float64{}
	var tot float64
	for _, s := range train {
		n := len(s.Values)
		var v float64
		for k, y := range actual[s.ID] {
			if p := s.Prices[n+k]; !math.IsNaN(y) && !math.IsNaN(p) {
				v += y * p
			}
		}
		w[s.ID] = v
		tot += v
	}
	for id := range w {
		w[id] /= tot
	}
	return w
}

// evalRow is one method's accuracy over all series on the test window.
type evalRow struct {
	name     string
	wrmsse   float64
	wql      float64
	cov, pit []float64
	busy     []float64 // plain coverage on series selling ≥ 5 a day
	nBusy    int
	covered  int // series the method forecast
}

type forecastOf struct {
	point []float64
	q     [][]float64
	d     []Dist
}

func evalMethod(name string, train []Series, actual map[string][]float64, weights map[string]float64, levels []float64, fc map[string]forecastOf) evalRow {
	r := evalRow{name: name}
	var rm, ws []float64
	var num, den float64
	hits := make([]float64, len(levels))
	pits := make([]float64, len(levels))
	var n, nb float64
	busy := make([]float64, len(levels))
	for _, s := range train {
		f, ok := fc[s.ID]
		if !ok {
			continue
		}
		r.covered++
		if recentMean(s.observed(), 28) >= 5 {
			h, cnt := coverageCounts(actual[s.ID], f.q, levels, nil)
			for j := range levels {
				busy[j] += h[j]
			}
			nb += cnt
			r.nBusy++
		}
		y := actual[s.ID]
		sc := NaiveScale(s.observed())
		rm = append(rm, RMSSE(y, f.point, sc))
		ws = append(ws, weights[s.ID])
		a, b := WQLParts(y, f.q, levels)
		num += a
		den += b
		h, cnt := coverageCounts(y, f.q, levels, nil)
		p, _ := coverageCounts(y, f.q, levels, f.d)
		for j := range levels {
			hits[j] += h[j]
			pits[j] += p[j]
		}
		n += cnt
	}
	r.wrmsse = WRMSSE(rm, ws)
	r.wql = ratio(num, den)
	for j := range levels {
		r.cov = append(r.cov, hits[j]/n)
		r.pit = append(r.pit, pits[j]/n)
		r.busy = append(r.busy, ratio(busy[j], nb))
	}
	return r
}

func maxDev(cov, levels []float64) float64 {
	var m float64
	for j, c := range cov {
		m = math.Max(m, math.Abs(c-levels[j]))
	}
	return m
}

func m5Options() Options {
	o := Options{Horizon: 28, Candidates: os.Getenv("STOCKROOM_M5_CANDIDATES") != "0", Seed: 1}
	if v := os.Getenv("STOCKROOM_M5_COMBINE"); v != "" {
		o.Combine, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("STOCKROOM_M5_WINDOWS"); v != "" {
		o.Windows, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("STOCKROOM_M5_COUNTDIST"); v != "" {
		o.CountDist = v
	}
	if v := os.Getenv("STOCKROOM_M5_OBJECTIVE"); v != "" {
		o.GBT.Objective = v
	}
	if v := os.Getenv("STOCKROOM_M5_TREES"); v != "" {
		o.GBT.Trees, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("STOCKROOM_M5_LEAVES"); v != "" {
		o.GBT.Leaves, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("STOCKROOM_M5_LR"); v != "" {
		o.GBT.LearningRate, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("STOCKROOM_M5_LEVELPOWER"); v != "" {
		o.GBT.LevelPower, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("STOCKROOM_M5_TRAINPERIODS"); v != "" {
		o.GBT.TrainPeriods, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("STOCKROOM_M5_SEED"); v != "" {
		o.Seed, _ = strconv.ParseUint(v, 10, 64)
	}
	if v := os.Getenv("STOCKROOM_M5_MINLEAF"); v != "" {
		o.GBT.MinLeaf, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("STOCKROOM_M5_ROWSAMPLE"); v != "" {
		o.GBT.RowSample, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("STOCKROOM_M5_BINS"); v != "" {
		o.GBT.Bins, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("STOCKROOM_M5_MODELS"); v != "" {
		o.Models = strings.Split(v, ",")
	}
	return o
}

// rows0Busy counts the series selling at least 5 a day over their last
// 28 training days.
func rows0Busy(d *m5Data, train []Series) int {
	n := 0
	for _, s := range train {
		if recentMean(s.observed(), 28) >= 5 {
			n++
		}
	}
	return n
}

// m5Benchmarks are the M5 competition's benchmark methods with the fixed
// constants the organisers used, next to our fitted versions (which are
// candidates of auto anyway).
var m5Benchmarks = []string{"naive", "snaive", "ses:0.1", "ma:28", "croston:0.1", "sba:0.1", "tsb:0.1"}

func TestM5(t *testing.T) {
	if os.Getenv("STOCKROOM_M5") == "" {
		t.Skip("set STOCKROOM_M5=1 to run the M5 evaluation (about a minute)")
	}
	d := loadM5(t)
	cut := model.MustDate("2016-04-24")
	if v := os.Getenv("STOCKROOM_M5_CUTOFF"); v != "" {
		cut = model.MustDate(v)
	}
	o := m5Options()
	train, actual := d.split(cut, o.Horizon)
	ww := windowWeights(train, actual)
	var maxDiff float64
	for id, w := range ww {
		maxDiff = math.Max(maxDiff, math.Abs(w-d.weights[id]))
	}
	t.Logf("window weights vs meta.csv: max difference %.2g", maxDiff)
	d.weights = ww
	levels := DefaultQuantiles
	start := time.Now()
	res, err := Run(context.Background(), train, d.cal, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	per := map[string]map[string]forecastOf{}
	auto := map[string]forecastOf{}
	winners := map[string]int{}
	for _, r := range res {
		auto[r.SeriesID] = forecastOf{r.Point, r.Quantiles, r.Dists}
		winners[r.Model]++
		for _, c := range r.Candidates {
			if per[c.Model] == nil {
				per[c.Model] = map[string]forecastOf{}
			}
			per[c.Model][r.SeriesID] = forecastOf{c.Point, c.Quantiles, c.Dists}
		}
	}
	// The M5 benchmark settings, each run on its own.
	bo := Options{Horizon: o.Horizon, Seed: 1, Models: m5Benchmarks, Candidates: true, Combine: 1, Windows: o.Windows, CountDist: o.CountDist}
	if os.Getenv("STOCKROOM_M5_BENCH") == "0" {
		bo.Models = []string{"naive"}
	}
	bres, err := Run(context.Background(), train, d.cal, bo, nil)
	if err != nil {
		t.Fatal(err)
	}
	bench := map[string]map[string]forecastOf{}
	for _, r := range bres {
		for _, c := range r.Candidates {
			name := "M5 " + c.Model
			if bench[name] == nil {
				bench[name] = map[string]forecastOf{}
			}
			bench[name][r.SeriesID] = forecastOf{c.Point, c.Quantiles, c.Dists}
		}
	}
	var rows []evalRow
	rows = append(rows, evalMethod("auto", train, actual, d.weights, levels, auto))
	names := make([]string, 0, len(per))
	for n := range per {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		rows = append(rows, evalMethod(n, train, actual, d.weights, levels, per[n]))
	}
	var benchRows []evalRow
	for _, n := range m5Benchmarks {
		benchRows = append(benchRows, evalMethod("M5 "+n, train, actual, d.weights, levels, bench["M5 "+n]))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "M5 subset, %d series, origin %s, horizon %d; run %.1fs on %d procs\n\n", len(train), cut, o.Horizon, elapsed.Seconds(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(&b, "| method | series | WRMSSE | WQL | PIT coverage p10…p90 | max dev | plain coverage p10…p90 | max dev | plain, %d busy series | max dev |\n|---|---|---|---|---|---|---|---|---|---|\n", rows0Busy(d, train))
	pct := func(v []float64) string {
		out := make([]string, len(v))
		for j := range v {
			out[j] = fmt.Sprintf("%.0f", 100*v[j])
		}
		return strings.Join(out, " ")
	}
	line := func(r evalRow) {
		fmt.Fprintf(&b, "| %s | %d | %.4f | %.4f | %s | %.1f | %s | %.1f | %s | %.1f |\n", r.name, r.covered, r.wrmsse, r.wql,
			pct(r.pit), 100*maxDev(r.pit, levels), pct(r.cov), 100*maxDev(r.cov, levels), pct(r.busy), 100*maxDev(r.busy, levels))
	}
	for _, r := range rows {
		line(r)
	}
	for _, r := range benchRows {
		line(r)
	}
	bestB, bestQ := math.Inf(1), math.Inf(1)
	for _, r := range append(slices.Clone(benchRows), rows[1:]...) {
		n := strings.TrimPrefix(r.name, "M5 ")
		if strings.HasPrefix(n, "naive") || strings.HasPrefix(n, "snaive") || strings.HasPrefix(n, "ses") || strings.HasPrefix(n, "ma") ||
			strings.HasPrefix(n, "croston") || strings.HasPrefix(n, "sba") || strings.HasPrefix(n, "tsb") {
			bestB = math.Min(bestB, r.wrmsse)
			bestQ = math.Min(bestQ, r.wql)
		}
	}
	fmt.Fprintf(&b, "\nauto vs best benchmark: WRMSSE %.4f vs %.4f (%.1f%% better); WQL %.4f vs %.4f (%.1f%% better)\n",
		rows[0].wrmsse, bestB, 100*(1-rows[0].wrmsse/bestB), rows[0].wql, bestQ, 100*(1-rows[0].wql/bestQ))
	wn := make([]string, 0, len(winners))
	for n, c := range winners {
		wn = append(wn, fmt.Sprintf("%s %d", n, c))
	}
	slices.Sort(wn)
	fmt.Fprintf(&b, "winners: %s\n", strings.Join(wn, ", "))
	t.Log("\n" + b.String())
	if p := os.Getenv("STOCKROOM_M5_OUT"); p != "" {
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The goals, judged on the test window (other origins are for
	// exploring; so are the STOCKROOM_M5_* knobs, which can miss them).
	if cut != model.MustDate("2016-04-24") || os.Getenv("STOCKROOM_M5_BENCH") == "0" {
		return
	}
	a := rows[0]
	if gain := 1 - a.wrmsse/bestB; gain < 0.05 {
		t.Errorf("auto WRMSSE %.4f is %.1f%% better than the best benchmark %.4f (goal: at least 5%%)", a.wrmsse, 100*gain, bestB)
	}
	if a.wql >= bestQ {
		t.Errorf("auto WQL %.4f is not better than the best benchmark's %.4f", a.wql, bestQ)
	}
	if dev := maxDev(a.pit, levels); dev > 0.03 {
		t.Errorf("auto PIT coverage %.3f is %.2f points off nominal at worst (goal: within 3)", a.pit, 100*dev)
	}
}

// m5ValidationOrigins are the three 28-day windows before the test
// window, where every choice is tuned.
var m5ValidationOrigins = []string{"2016-01-31", "2016-02-28", "2016-03-27"}

// m5Origins is m5ValidationOrigins, or STOCKROOM_M5_ORIGINS (comma
// separated) when it is set.
func m5Origins() []string {
	if v := os.Getenv("STOCKROOM_M5_ORIGINS"); v != "" {
		return strings.Split(v, ",")
	}
	return m5ValidationOrigins
}

// TestM5Tune runs the validation origins before the test window, for
// tuning without looking at the test window:
//
//	STOCKROOM_M5=1 go test ./engine/forecast -run TestM5Tune -v
func TestM5Tune(t *testing.T) {
	if os.Getenv("STOCKROOM_M5") == "" {
		t.Skip("set STOCKROOM_M5=1 to run the M5 tuning origins")
	}
	d := loadM5(t)
	origins := m5Origins()
	levels := DefaultQuantiles
	var sumA, sumG, sumB, sumQA, sumQB float64
	for _, org := range origins {
		cut := model.MustDate(org)
		o := m5Options()
		o.Candidates = true
		train, actual := d.split(cut, o.Horizon)
		w := windowWeights(train, actual)
		start := time.Now()
		res, err := Run(context.Background(), train, d.cal, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		el := time.Since(start)
		auto := map[string]forecastOf{}
		gbtF := map[string]forecastOf{}
		for _, r := range res {
			auto[r.SeriesID] = forecastOf{r.Point, r.Quantiles, r.Dists}
			for _, c := range r.Candidates {
				if c.Model == "gbt" {
					gbtF[r.SeriesID] = forecastOf{c.Point, c.Quantiles, c.Dists}
				}
			}
		}
		ra := evalMethod("auto", train, actual, w, levels, auto)
		rg := evalMethod("gbt", train, actual, w, levels, gbtF)
		bo := Options{Horizon: o.Horizon, Seed: 1, Models: m5Benchmarks, Candidates: true, Combine: 1, CountDist: o.CountDist}
		bres, err := Run(context.Background(), train, d.cal, bo, nil)
		if err != nil {
			t.Fatal(err)
		}
		bestW, bestQ := math.Inf(1), math.Inf(1)
		for _, name := range m5Benchmarks {
			f := map[string]forecastOf{}
			for _, r := range bres {
				for _, c := range r.Candidates {
					if c.Model == name {
						f[r.SeriesID] = forecastOf{c.Point, c.Quantiles, c.Dists}
					}
				}
			}
			rb := evalMethod(name, train, actual, w, levels, f)
			bestW = math.Min(bestW, rb.wrmsse)
			bestQ = math.Min(bestQ, rb.wql)
		}
		t.Logf("%s auto W=%.4f Q=%.4f pit=%.1f busy=%.1f | gbt W=%.4f Q=%.4f pit=%.1f | bench W=%.4f Q=%.4f | %.1fs",
			org, ra.wrmsse, ra.wql, 100*maxDev(ra.pit, levels), 100*maxDev(ra.busy, levels), rg.wrmsse, rg.wql, 100*maxDev(rg.pit, levels), bestW, bestQ, el.Seconds())
		t.Logf("   auto pit %.2f busy %.2f", ra.pit, ra.busy)
		sumA += ra.wrmsse / bestW
		sumG += rg.wrmsse / bestW
		sumQA += ra.wql / bestQ
		sumQB += rg.wql / bestQ
		sumB++
	}
	t.Logf("mean ratio to best benchmark: auto W %.4f Q %.4f | gbt W %.4f Q %.4f", sumA/sumB, sumQA/sumB, sumG/sumB, sumQB/sumB)
}

// BenchmarkM5 times the whole M5 subset: 280 series, global model fitted
// twice, every model backtested on 3 windows, selection, quantiles.
//
//	go test ./engine/forecast -run XXX -bench BenchmarkM5 -benchtime 3x -count 3
func BenchmarkM5(b *testing.B) {
	d := loadM5(b)
	train, _ := d.split(model.MustDate("2016-04-24"), 28)
	c0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		if _, err := Run(context.Background(), train, d.cal, Options{Horizon: 28, Seed: 1}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

// TestM5Selection compares selection rules on the validation origins,
// from one run's backtest scores and every candidate's forecast:
//
//	STOCKROOM_M5=1 go test ./engine/forecast -run TestM5Selection -v
func TestM5Selection(t *testing.T) {
	if os.Getenv("STOCKROOM_M5") == "" {
		t.Skip("set STOCKROOM_M5=1 to compare selection rules on M5")
	}
	d := loadM5(t)
	type rule struct {
		name    string
		def     bool // use the collection default
		margin  float64
		combine int
	}
	rules := []rule{
		{"each series' best", false, 0, 1},
		{"each series' best two, blended", false, 0, 2},
		{"collection default only", true, 1, 1},
		{"default, switch on 10% margin", true, 0.1, 1},
		{"default, switch on 30% margin", true, 0.3, 1},
		{"default, blend on 10% margin", true, 0.1, 2},
		{"default, blend on 30% margin (Run's default)", true, 0.3, 2},
	}
	origins := m5ValidationOrigins
	sumW := make([]float64, len(rules))
	sumQ := make([]float64, len(rules))
	var b strings.Builder
	for _, org := range origins {
		o := m5Options()
		o.Candidates = true
		train, actual := d.split(model.MustDate(org), o.Horizon)
		w := windowWeights(train, actual)
		res, err := Run(context.Background(), train, d.cal, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		coll := newCollection()
		for _, r := range res {
			st := &seriesState{cuts: []int{0}}
			for _, s := range r.Scores {
				if !strings.HasPrefix(s.Model, "blend(") {
					cd := &candidate{score: s}
					if s.Err != "" {
						cd.err = fmt.Errorf("%s", s.Err)
					}
					st.cands = append(st.cands, cd)
				}
			}
			coll.add(st)
		}
		def := coll.best()
		for ri, ru := range rules {
			fc := map[string]forecastOf{}
			for _, r := range res {
				var ok []*candidate
				for _, s := range r.Scores {
					if s.Err == "" && !strings.HasPrefix(s.Model, "blend(") {
						ok = append(ok, &candidate{score: s})
					}
				}
				dn := ""
				if ru.def {
					dn = def
				}
				parts := pick(ok, dn, ru.margin, ru.combine)
				var fs []forecastOf
				for _, p := range parts {
					for _, c := range r.Candidates {
						if c.Model == p.score.Model {
							fs = append(fs, forecastOf{c.Point, c.Quantiles, c.Dists})
						}
					}
				}
				fc[r.SeriesID] = blendForecasts(fs)
			}
			e := evalMethod(ru.name, train, actual, w, DefaultQuantiles, fc)
			sumW[ri] += e.wrmsse / float64(len(origins))
			sumQ[ri] += e.wql / float64(len(origins))
		}
		fmt.Fprintf(&b, "origin %s: collection default %s\n", org, def)
	}
	fmt.Fprintf(&b, "\n| rule | mean WRMSSE | mean WQL |\n|---|---|---|\n")
	for ri, ru := range rules {
		fmt.Fprintf(&b, "| %s | %.4f | %.4f |\n", ru.name, sumW[ri], sumQ[ri])
	}
	t.Log("\n" + b.String())
}

// blendForecasts is the quantile average of forecasts (one: itself).
func blendForecasts(fs []forecastOf) forecastOf {
	if len(fs) == 1 {
		return fs[0]
	}
	h := len(fs[0].point)
	out := forecastOf{point: make([]float64, h), q: make([][]float64, h), d: make([]Dist, h)}
	w := make([]float64, len(fs))
	for i := range w {
		w[i] = 1 / float64(len(fs))
	}
	for k := range h {
		parts := make([]Dist, len(fs))
		for i, f := range fs {
			out.point[k] += w[i] * f.point[k]
			parts[i] = f.d[k]
		}
		out.d[k] = Blend{Parts: parts, Weights: w}
		out.q[k] = Quantiles(out.d[k], DefaultQuantiles)
	}
	return out
}
