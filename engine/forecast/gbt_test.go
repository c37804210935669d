package forecast

import (
	"context"
	"fmt"
	"math"
	"testing"

	"stockroom/model"
)

func TestGBT_LearnsAStepAndAnInteraction(t *testing.T) {
	// y = 2 + 3·[x0 > 0.5] + 4·[x1 > 0.3 and x2 = category 1], with noise
	// and a missing-value column that carries no signal.
	r := newRand(1)
	n, nf := 6000, 4
	raw := make([]float32, n*nf)
	y := make([]float64, n)
	truth := func(x []float32) float64 {
		v := 2.0
		if x[0] > 0.5 {
			v += 3
		}
		if x[1] > 0.3 && x[2] == 1 {
			v += 4
		}
		return v
	}
	for i := range n {
		x := raw[i*nf : (i+1)*nf]
		x[0], x[1], x[2] = float32(r.Float64()), float32(r.Float64()), float32(r.IntN(3))
		x[3] = float32(math.NaN())
		if r.Float64() < 0.5 {
			x[3] = float32(r.Float64())
		}
		y[i] = truth(x) + 0.3*r.NormFloat64()
	}
	bx := newBinned(raw, n, nf, 63, r)
	d := &gbtData{x: bx, y: y, w: ones(n), offset: make([]float64, n)}
	m, _, err := trainGBT(context.Background(), d, GBTConfig{Trees: 200, LearningRate: 0.1, Leaves: 15, MinLeaf: 20, Objective: "l2"}.withDefaults(), 2, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range [][]float32{{0.2, 0.1, 1, 0}, {0.8, 0.1, 1, 0}, {0.8, 0.9, 1, 0}, {0.2, 0.9, 2, 0}, {0.9, 0.9, 1, float32(math.NaN())}} {
		if got, want := m.score(x), truth(x); math.Abs(got-want) > 0.25 {
			t.Errorf("f(%v) = %.3f, want %.1f", x, got, want)
		}
	}
	// Binned and raw-value traversal agree on the training rows.
	for i := 0; i < n; i += 97 {
		var sb float64 = m.base
		for _, tr := range m.trees {
			sb += tr.predictBinned(bx, i)
		}
		if got := m.score(raw[i*nf : (i+1)*nf]); math.Abs(got-sb) > 1e-9 {
			t.Fatalf("row %d: raw %g, binned %g", i, got, sb)
		}
	}
}

func ones(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}

func TestBinEdges(t *testing.T) {
	vals := []float64{1, 1, 1, 1, 2, 3, 3, 4}
	e := binEdges(vals, 10) // fewer distinct values than bins: one bin each
	if want := []float64{1.5, 2.5, 3.5}; fmt.Sprint(e) != fmt.Sprint(want) {
		t.Errorf("edges = %v, want %v", e, want)
	}
	for _, c := range []struct {
		v    float64
		want uint8
	}{{math.NaN(), 0}, {0, 1}, {1, 1}, {1.5, 1}, {2, 2}, {4, 4}, {9, 4}} {
		if got := binOf(e, c.v); got != c.want {
			t.Errorf("binOf(%g) = %d, want %d", c.v, got, c.want)
		}
	}
}

// TestGlobalFit_LearnsEventsAndPrices: many series share a weekly pattern,
// a monthly holiday that doubles demand and a price elasticity; the global
// model must forecast the holiday and a discount it has seen in other
// months and other series.
func TestGlobalFit_LearnsEventsAndPrices(t *testing.T) {
	start := model.MustDate("2021-01-01")
	n, h := 800, 21 // day n is 2023-03-12
	fest, promo := 3, 9
	r := newRand(4)
	var cal Calendar
	isFest := map[model.Date]bool{}
	for d := 0; d < n+h; d++ {
		if date := start.AddDays(d); date.Time().Day() == 15 {
			cal.Events = append(cal.Events, model.Event{Date: date, Name: "Fest", Kind: "holiday"})
			isFest[date] = true
		}
	}
	if !isFest[start.AddDays(n+fest)] {
		t.Fatal("test setup: the holiday is not on the 15th")
	}
	var series []Series
	for i := range 40 {
		level := 5 + float64(i%7)
		y := make([]float64, n)
		prices := make([]float64, n+h)
		for t := range prices {
			prices[t] = 10
			if i%2 == 0 && ((t/30)%4 == 1 || t == n+promo) {
				prices[t] = 7 // a 30% discount
			}
		}
		for t := range y {
			d := start.AddDays(t)
			mu := level * (1 + 0.3*float64(d.Weekday()%3))
			if isFest[d] {
				mu *= 2
			}
			if prices[t] < 10 {
				mu *= 1.6
			}
			y[t] = poisson(r, mu)
		}
		series = append(series, Series{ID: fmt.Sprintf("s%d", i), Start: start, Freq: Daily, Values: y, Prices: prices})
	}
	hs := make([]*History, len(series))
	specs := make([]globalSpec, len(series))
	for i := range series {
		hs[i] = NewHistory(&series[i])
		specs[i] = globalSpec{trainCut: hs[i].N(), predCuts: []int{hs[i].N()}}
	}
	preds, _, err := globalFit(context.Background(), hs, specs, cal, h, GBTConfig{Trees: 150, LearningRate: 0.1, Leaves: 15, MinLeaf: 30}, 2, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var festRatio, promoRatio float64
	for i := range series {
		p := preds[i][n]
		// Against the same weekday a week later.
		festRatio += p[fest] / p[fest+7] / float64(len(series))
		if i%2 == 0 {
			promoRatio += p[promo] / p[promo+7] / float64(len(series)/2)
		}
	}
	if festRatio < 1.7 || festRatio > 2.3 {
		t.Errorf("holiday uplift %.2f, want about 2", festRatio)
	}
	if promoRatio < 1.35 || promoRatio > 1.85 {
		t.Errorf("discount uplift %.2f, want about 1.6", promoRatio)
	}
}

// BenchmarkGBTTrain fits 50 trees on 200,000 rows × 40 features, about
// the shape of the M5 global model.
func BenchmarkGBTTrain(b *testing.B) {
	r := newRand(1)
	n, nf := 200000, 40
	raw := make([]float32, n*nf)
	y := make([]float64, n)
	for i := range n {
		x := raw[i*nf : (i+1)*nf]
		for f := range x {
			x[f] = float32(r.Float64())
		}
		y[i] = poisson(r, math.Exp(float64(x[0]+x[1]*x[2])))
	}
	bx := newBinned(raw, n, nf, 63, r)
	d := &gbtData{x: bx, y: y, w: ones(n), offset: make([]float64, n)}
	cfg := GBTConfig{Trees: 50}.withDefaults()
	c0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		if _, _, err := trainGBT(context.Background(), d, cfg, 1, 1, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

func TestSlidingMax(t *testing.T) {
	nan := math.NaN()
	x := []float64{3, nan, 1, 5, 2, 2, 0, nan, nan, nan}
	got := slidingMax(x, len(x)+1, 3)
	for c := range got {
		want := nan
		for i := max(0, c-3); i < c && i < len(x); i++ {
			if !math.IsNaN(x[i]) && !(x[i] <= want) {
				want = x[i]
			}
		}
		if !(got[c] == want || math.IsNaN(got[c]) && math.IsNaN(want)) {
			t.Errorf("max before %d = %g, want %g", c, got[c], want)
		}
	}
}

// The dispersion factor of the global model is the one that calibrates its
// backtest: with in-sample dispersions half the true ones it finds about 2,
// and one extreme day (which would dominate a variance match) barely moves
// it. Each volume band gets its own factor: true dispersions of 1×, 2× and
// 4× the in-sample ones for slow, middling and busy series come back as
// such.
func TestPITDispersionScale_RecoversFactor(t *testing.T) {
	const nSeries, horizon, phi = 600, 28, 0.5
	mus := []float64{0.5, 2.5, 12} // one per band
	build := func(factors []float64) ([]*History, []globalSpec, []map[int][]float64, []momStats) {
		r := newRand(3)
		hs := make([]*History, nSeries)
		specs := make([]globalSpec, nSeries)
		preds := make([]map[int][]float64, nSeries)
		ins := make([]momStats, nSeries)
		for i := range hs {
			b := i % 3
			mu := mus[b] * (0.8 + 0.4*r.Float64())
			y := make([]float64, 2*horizon)
			p := make([]float64, horizon)
			d := NegBin{Mu: mu, Size: 1 / (factors[b] * phi)}
			for t := range y {
				y[t] = d.Sample(r)
			}
			for k := range p {
				p[k] = mu
			}
			hs[i] = &History{Y: y}
			specs[i] = globalSpec{trainCut: horizon, predCuts: []int{horizon}}
			preds[i] = map[int][]float64{horizon: p}
			// In-sample errors whose moment estimate is phi: excess = phi·Σμ².
			ins[i] = momStats{se: 1 + phi, sm: 1, sm2: 1}
		}
		return hs, specs, preds, ins
	}
	check := func(what string, hs []*History, specs []globalSpec, preds []map[int][]float64, ins []momStats, want []float64) {
		t.Helper()
		ks := pitDispersionScale(hs, specs, preds, ins, horizon)
		for b, w := range want {
			p := []float64{mus[b]}
			if k := ks.at(p); k < w*0.7 || k > w*1.35 {
				t.Errorf("%s: band %d (mean %g) factor %.3f, want about %g", what, b, mus[b], k, w)
			}
		}
	}
	two := []float64{2, 2, 2}
	hs, specs, preds, ins := build(two)
	check("plain", hs, specs, preds, ins, two)
	hs[nSeries-1].Y[horizon+3] = 5000 // one extreme day on a busy series
	check("with a spike", hs, specs, preds, ins, two)
	apart := []float64{1, 2, 4}
	hs, specs, preds, ins = build(apart)
	check("by band", hs, specs, preds, ins, apart)
}
