package forecast

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"stockroom/model"
)

// The global model is a direct multi-horizon regression: a training row is
// a target period j and a forecast origin c (the first period not yet
// seen), with 1 ≤ j−c+1 ≤ horizon drawn at random per target, and features
// that only use demand before c. The same rows at the real origin give the
// forecast, so every step of the horizon is predicted from the latest data
// without recursion, and the backtest is honest as long as the model was
// trained on targets before the backtest's first origin.

// gseries is one series prepared for feature extraction. Indices are
// local to the history (0 = the first sale).
type gseries struct {
	h      *History
	n      int
	cs, cn []float64 // prefix sums of observed demand and counts, len n+1
	ss, sn []float64 // seasonal-stride sums ending at each index, len n
	last   []int32   // index of the last sale at or before i (−1 none)
	cpos   []int32   // prefix counts of periods with a sale, len n+1
	price  []float64 // carried-forward price per local index, len n+horizon
	regMax []float64 // regMax[c]: the highest price over the year before c
	ev     *evTable
	attr   []int // value id per attribute key (−1 none)
}

// featSet describes the feature columns for one frequency.
type featSet struct {
	freq    Freq
	m       int    // seasonal stride
	wins    [4]int // mean windows in periods, for features
	lvWin   int    // the level window every row is measured against
	sk      [2]int // seasons averaged for the same-season features
	year    int    // periods per year, for the same-time-last-year feature
	attrs   []string
	kinds   int
	nBase   int
	nFeat   int
	colAttr int // first attribute column
	colName int // event name column
	colKind int // first per-kind column
	kStride int // columns per kind: event days in the period, days to, days since
}

const (
	fStep = iota
	fSeasonPos
	fMonth
	fDayOfMonth
	fWeekOfYear
	fMean1
	fMean2
	fMean3
	fMean4
	fSame1
	fSame2
	fLastYear
	fZeroShare
	fSinceSale
	fLogLevel
	fLast
	fPriceReg
	fPriceChg
	fAge
	nBaseFeat
)

func newFeatSet(freq Freq, attrs []string, kinds int) *featSet {
	fs := &featSet{freq: freq, m: freq.Season(), attrs: attrs, kinds: kinds, nBase: nBaseFeat}
	switch freq {
	case Daily:
		fs.wins, fs.lvWin, fs.sk, fs.year = [4]int{7, 28, 91, 364}, 91, [2]int{4, 12}, 364
	case Weekly:
		fs.wins, fs.lvWin, fs.sk, fs.year = [4]int{4, 13, 26, 52}, 26, [2]int{1, 2}, 52
	default:
		fs.wins, fs.lvWin, fs.sk, fs.year = [4]int{3, 6, 12, 24}, 12, [2]int{1, 2}, 12
	}
	fs.colAttr = fs.nBase
	fs.colName = fs.colAttr + len(attrs)
	fs.colKind = fs.colName + 1
	fs.kStride = 3
	fs.nFeat = fs.colKind + fs.kStride*kinds
	return fs
}

func prepSeries(h *History, horizon int, ev *evTable, attrIDs []map[string]int, attrs []string) *gseries {
	n := h.N()
	g := &gseries{h: h, n: n}
	g.cs = make([]float64, n+1)
	g.cn = make([]float64, n+1)
	g.ss = make([]float64, n)
	g.sn = make([]float64, n)
	g.last = make([]int32, n)
	g.cpos = make([]int32, n+1)
	m := h.Season
	last := int32(-1)
	for i, v := range h.Y {
		g.cs[i+1], g.cn[i+1] = g.cs[i], g.cn[i]
		var sv, sc float64
		if !math.IsNaN(v) {
			g.cs[i+1] += v
			g.cn[i+1]++
			sv, sc = v, 1
			if v > 0 {
				last = int32(i)
			}
		}
		if i >= m {
			sv += g.ss[i-m]
			sc += g.sn[i-m]
		}
		g.ss[i], g.sn[i] = sv, sc
		g.last[i] = last
		g.cpos[i+1] = g.cpos[i]
		if v > 0 {
			g.cpos[i+1]++
		}
	}
	s := h.Series
	if s.Prices != nil {
		g.price = make([]float64, n+horizon)
		p := math.NaN()
		for i := range g.price {
			if k := h.T0 + i; k < len(s.Prices) && !math.IsNaN(s.Prices[k]) && s.Prices[k] > 0 {
				p = s.Prices[k]
			}
			g.price[i] = p
		}
		g.regMax = slidingMax(g.price, n+1, regWindow(s.Freq))
	}
	g.ev = ev
	g.attr = make([]int, len(attrs))
	for a, key := range attrs {
		g.attr[a] = -1
		if v, ok := s.Attrs[key]; ok {
			g.attr[a] = attrIDs[a][v]
		}
	}
	return g
}

func (g *gseries) mean(c, w int) float64 {
	a := max(0, c-w)
	cnt := g.cn[c] - g.cn[a]
	if cnt == 0 {
		return math.NaN()
	}
	return (g.cs[c] - g.cs[a]) / cnt
}

// level is the scale a row is measured against: the recent mean demand,
// reaching further back when the recent past has none.
func (g *gseries) level(c int, fs *featSet) float64 {
	for _, w := range []int{fs.lvWin, fs.wins[3], c} {
		if v := g.mean(c, w); v > 0 {
			return v
		}
	}
	return 0.01
}

// sameSeason is the mean of the k latest observed values one or more whole
// seasons before target j that lie before the origin c.
func (g *gseries) sameSeason(j, c, k, m int) float64 {
	steps := (j - c + m) / m // ceil((j−c+1)/m)
	js := j - m*steps
	if js < 0 {
		return math.NaN()
	}
	s, n := g.ss[js], g.sn[js]
	if b := js - k*m; b >= 0 {
		s -= g.ss[b]
		n -= g.sn[b]
	}
	if n == 0 {
		return math.NaN()
	}
	return s / n
}

// row fills the features of target j seen from origin c.
func (fs *featSet) row(g *gseries, j, c int, ci *calIndex, out []float32) (level float64) {
	nan := float32(math.NaN())
	s := g.h.Series
	abs := g.h.T0 + j
	date := s.Date(abs)
	t := date.Time()
	lv := g.level(c, fs)
	out[fStep] = float32(j - c + 1)
	switch fs.freq {
	case Daily:
		out[fSeasonPos] = float32(date.Weekday())
		out[fDayOfMonth] = float32(t.Day())
		out[fWeekOfYear] = float32(t.YearDay() / 7)
	case Weekly:
		out[fSeasonPos] = float32(t.YearDay() / 7)
		out[fDayOfMonth] = nan
		out[fWeekOfYear] = nan
	default:
		out[fSeasonPos] = float32(t.Month())
		out[fDayOfMonth] = nan
		out[fWeekOfYear] = nan
	}
	out[fMonth] = float32(t.Month())
	for i, w := range fs.wins {
		out[fMean1+i] = float32(g.mean(c, w) / lv)
	}
	out[fSame1] = float32(g.sameSeason(j, c, fs.sk[0], fs.m) / lv)
	out[fSame2] = float32(g.sameSeason(j, c, fs.sk[1], fs.m) / lv)
	// Same time last year: a small window around j − year, all before c.
	ly := nan
	if a, b := j-fs.year-fs.m/2, j-fs.year+fs.m/2+1; a >= 0 && b <= c {
		if cnt := g.cn[b] - g.cn[a]; cnt > 0 {
			ly = float32((g.cs[b] - g.cs[a]) / cnt / lv)
		}
	}
	out[fLastYear] = ly
	w2 := fs.wins[1]
	a := max(0, c-w2)
	if cnt := g.cn[c] - g.cn[a]; cnt > 0 {
		// Zero share: observed periods in the window minus those with sales.
		pos := float64(g.cpos[c] - g.cpos[a])
		out[fZeroShare] = float32(1 - pos/cnt)
	} else {
		out[fZeroShare] = nan
	}
	if c > 0 && g.last[c-1] >= 0 {
		out[fSinceSale] = float32(min(c-1-int(g.last[c-1]), fs.wins[3]))
	} else {
		out[fSinceSale] = float32(fs.wins[3])
	}
	out[fLogLevel] = float32(math.Log(lv))
	if c > 0 && !math.IsNaN(g.h.Y[c-1]) {
		out[fLast] = float32(g.h.Y[c-1] / lv)
	} else {
		out[fLast] = nan
	}
	out[fPriceReg], out[fPriceChg] = nan, nan
	if g.price != nil && j < len(g.price) {
		p := g.price[j]
		reg := g.regMax[c]
		if !math.IsNaN(p) && reg > 0 {
			out[fPriceReg] = float32(p / reg)
		}
		if c > 0 && g.price[c-1] > 0 && !math.IsNaN(p) {
			out[fPriceChg] = float32(p / g.price[c-1])
		}
	}
	out[fAge] = float32(min(c, 2*fs.wins[3]))
	for i := range fs.attrs {
		out[fs.colAttr+i] = float32(g.attr[i])
	}
	out[fs.colName] = -1
	ks := fs.kStride
	for k := range fs.kinds {
		col := fs.colKind + ks*k
		out[col+ks-2] = eventCap
		out[col+ks-1] = eventCap
		if ks == 3 {
			out[col] = 0
		}
	}
	if g.ev != nil {
		d0 := int(date - ci.first)
		d1 := d0 + 1
		if fs.freq != Daily {
			d1 = int(s.Date(abs+1) - ci.first)
		}
		if d0 >= 0 && d0 < len(g.ev.name) {
			for d := d0; d < d1 && d < len(g.ev.name); d++ {
				if g.ev.name[d] >= 0 && out[fs.colName] < 0 {
					out[fs.colName] = float32(g.ev.name[d])
				}
				for k := range fs.kinds {
					if ks == 3 && g.ev.kinds[d]&(1<<k) != 0 {
						out[fs.colKind+ks*k]++
					}
				}
			}
			for k := range fs.kinds {
				col := fs.colKind + ks*k
				out[col+ks-2] = float32(g.ev.to[k][d0])
				out[col+ks-1] = float32(g.ev.since[k][d0])
			}
		}
	}
	return lv
}

// regWindow is how far back the regular (undiscounted) price is looked
// for: a year.
func regWindow(f Freq) int {
	switch f {
	case Weekly:
		return 52
	case Monthly:
		return 12
	}
	return 364
}

// slidingMax returns out[c] = max(x[c−w … c−1]) for c < n, ignoring NaN
// (NaN when the window holds no value), with a monotonic deque: O(len).
func slidingMax(x []float64, n, w int) []float64 {
	out := make([]float64, n)
	dq := make([]int, 0, 64) // indices of decreasing values
	for c := range n {
		// Window for out[c] is [c−w, c−1]: add c−1, drop c−w−1.
		if i := c - 1; i >= 0 && i < len(x) && !math.IsNaN(x[i]) {
			for len(dq) > 0 && x[dq[len(dq)-1]] <= x[i] {
				dq = dq[:len(dq)-1]
			}
			dq = append(dq, i)
		}
		for len(dq) > 0 && dq[0] < c-w {
			dq = dq[1:]
		}
		if len(dq) == 0 {
			out[c] = math.NaN()
		} else {
			out[c] = x[dq[0]]
		}
	}
	return out
}

// globalSpec is where the global model trains and predicts for one series.
type globalSpec struct {
	trainCut int   // targets before this local index train the model
	predCuts []int // origins to predict from
}

// globalFit trains the gradient-boosted trees on all series and returns, per
// series, the predicted mean for each requested origin (keyed by the
// absolute cut T0+c, as History.global expects) and the in-sample errors
// of its training rows (for the dispersion of its count distribution).
func globalFit(ctx context.Context, hs []*History, specs []globalSpec, cal Calendar, horizon int, cfg GBTConfig, workers int, seed uint64, tick func()) ([]map[int][]float64, []momStats, error) {
	if len(hs) == 0 {
		return nil, nil, nil
	}
	freq := hs[0].Series.Freq
	// The calendar spans every series' history plus the horizon.
	var from, to model.Date
	for i, h := range hs {
		a := h.Series.Date(h.T0)
		b := h.Series.Date(h.T0 + h.N() + horizon + 1)
		if i == 0 || a < from {
			from = a
		}
		if i == 0 || b > to {
			to = b
		}
	}
	var ci *calIndex
	if len(cal.Events) > 0 {
		ci = newCalIndex(cal, from, to)
	}
	// Attribute keys shared by the series, and value ids.
	keySet := map[string]bool{}
	for _, h := range hs {
		for k := range h.Series.Attrs {
			keySet[k] = true
		}
	}
	attrs := make([]string, 0, len(keySet))
	for k := range keySet {
		attrs = append(attrs, k)
	}
	slices.Sort(attrs)
	attrIDs := make([]map[string]int, len(attrs))
	for a, k := range attrs {
		attrIDs[a] = map[string]int{}
		for _, h := range hs {
			if v, ok := h.Series.Attrs[k]; ok {
				if _, seen := attrIDs[a][v]; !seen {
					attrIDs[a][v] = len(attrIDs[a])
				}
			}
		}
	}
	kinds := 0
	if ci != nil {
		kinds = len(ci.kinds)
	}
	fs := newFeatSet(freq, attrs, kinds)
	// Series are prepared (prefix sums…) only while their rows are built or
	// predicted, so memory stays bounded on large runs; the event tables
	// are shared and built up front.
	evs := make([]*evTable, len(hs))
	if ci != nil {
		for i, h := range hs {
			evs[i] = ci.table(cal, h.Series.ID)
		}
	}
	prep := func(i int) *gseries { return prepSeries(hs[i], horizon, evs[i], attrIDs, attrs) }
	cfg = cfg.withDefaults()
	if cfg.TrainPeriods <= 0 {
		switch freq {
		case Daily:
			cfg.TrainPeriods = 730
		case Weekly:
			cfg.TrainPeriods = 156
		default:
			cfg.TrainPeriods = 60
		}
	}

	// Training rows: every observed target in the training span, with a
	// random step; thinned evenly when there are more than MaxRows.
	type trow struct {
		s    int32
		j, c int32
	}
	total := 0
	for i := range hs {
		lo := max(1, specs[i].trainCut-cfg.TrainPeriods)
		total += max(0, specs[i].trainCut-lo)
	}
	keep := 1.0
	if total > cfg.MaxRows {
		keep = float64(cfg.MaxRows) / float64(total)
	}
	rows := make([]trow, 0, min(total, cfg.MaxRows+cfg.MaxRows/8))
	first := make([]int, len(hs)+1) // rows of series i: first[i]…first[i+1]
	for i, h := range hs {
		first[i] = len(rows)
		// One generator per series keeps the rows independent of the
		// order and parallelism of everything else.
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		lo := max(1, specs[i].trainCut-cfg.TrainPeriods)
		for j := lo; j < specs[i].trainCut; j++ {
			k := 1 + r.IntN(horizon)
			if keep < 1 && r.Float64() >= keep {
				continue
			}
			if math.IsNaN(h.Y[j]) {
				continue
			}
			rows = append(rows, trow{int32(i), int32(j), int32(max(1, j-k+1))})
		}
	}
	first[len(hs)] = len(rows)
	if len(rows) < 2*cfg.MinLeaf {
		return nil, nil, fmt.Errorf("gbt: %d training rows, need %d", len(rows), 2*cfg.MinLeaf)
	}
	nf := fs.nFeat
	raw := make([]float32, len(rows)*nf)
	lv := make([]float64, len(rows))
	target := make([]float64, len(rows))
	parallelFor(workers, len(hs), func(i int) {
		if first[i] == first[i+1] {
			return
		}
		g := prep(i)
		for k := first[i]; k < first[i+1]; k++ {
			tr := rows[k]
			lv[k] = fs.row(g, int(tr.j), int(tr.c), ci, raw[k*nf:(k+1)*nf])
			target[k] = g.h.Y[tr.j]
		}
	})
	rows = nil
	// Rank-encode categorical columns by their mean demand relative to the
	// level, so an ordered split can group similar categories (LightGBM's
	// categorical trick, fixed once per fit).
	ratioOf := func(i int) float64 { return target[i] / lv[i] }
	cats := []int{fs.colName}
	for a := range attrs {
		cats = append(cats, fs.colAttr+a)
	}
	encode := make(map[int]map[float32]float32, len(cats))
	for _, col := range cats {
		sum := map[float32]float64{}
		cnt := map[float32]float64{}
		for i := range lv {
			v := raw[i*nf+col]
			sum[v] += ratioOf(i)
			cnt[v]++
		}
		keys := make([]float32, 0, len(sum))
		for v := range sum {
			keys = append(keys, v)
		}
		// Shrink small categories toward 1 (the level) before ranking.
		score := func(v float32) float64 { return (sum[v] + 20) / (cnt[v] + 20) }
		slices.SortFunc(keys, func(a, b float32) int { return cmp.Or(cmp.Compare(score(a), score(b)), cmp.Compare(a, b)) })
		enc := make(map[float32]float32, len(keys))
		for rank, v := range keys {
			enc[v] = float32(rank)
		}
		encode[col] = enc
		for i := range lv {
			raw[i*nf+col] = enc[raw[i*nf+col]]
		}
	}
	nr := len(lv)
	bx := newBinned(raw, nr, nf, cfg.Bins, rand.New(rand.NewPCG(seed, 0x61b)))
	raw = nil
	d := &gbtData{x: bx, y: make([]float64, nr), w: make([]float64, nr), offset: make([]float64, nr)}
	for i := range nr {
		y := target[i]
		d.w[i] = math.Pow(lv[i], -cfg.LevelPower)
		if cfg.Objective == "l2" {
			d.y[i] = y / lv[i]
			d.w[i] *= lv[i] * lv[i]
		} else {
			d.y[i] = y
			d.offset[i] = math.Log(lv[i])
		}
	}
	model, F, err := trainGBT(ctx, d, cfg, workers, seed, tick)
	if err != nil {
		return nil, nil, err
	}
	ins := make([]momStats, len(hs))
	for i := range hs {
		for k := first[i]; k < first[i+1]; k++ {
			mu := math.Exp(F[k])
			if cfg.Objective == "l2" {
				mu = math.Max(0, F[k]*lv[k])
			}
			ins[i].add(target[k], mu)
		}
	}
	// Predict every requested origin.
	out := make([]map[int][]float64, len(hs))
	var mu sync.Mutex
	parallelFor(workers, len(hs), func(i int) {
		if len(specs[i].predCuts) == 0 {
			return
		}
		g := prep(i)
		x := make([]float32, nf)
		res := make(map[int][]float64, len(specs[i].predCuts))
		for _, c := range specs[i].predCuts {
			if c < 1 {
				continue
			}
			p := make([]float64, horizon)
			for k := range horizon {
				lvl := fs.row(g, c+k, c, ci, x)
				for _, col := range cats {
					if e, ok := encode[col][x[col]]; ok {
						x[col] = e
					} else {
						x[col] = float32(math.NaN())
					}
				}
				s := model.score(x)
				if cfg.Objective == "l2" {
					p[k] = math.Max(0, s*lvl)
				} else {
					p[k] = math.Exp(s + math.Log(lvl))
				}
			}
			res[g.h.T0+c] = p
		}
		mu.Lock()
		out[i] = res
		mu.Unlock()
	})
	return out, ins, nil
}

// parallelFor runs f(0..n−1) on up to workers goroutines, in chunks.
func parallelFor(workers, n int, f func(i int)) {
	if workers <= 1 || n < 64 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := max(16, n/(workers*8))
	var next int64
	var mu sync.Mutex
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				a := int(next)
				next += int64(chunk)
				mu.Unlock()
				if a >= n {
					return
				}
				for i := a; i < min(n, a+chunk); i++ {
					f(i)
				}
			}
		})
	}
	wg.Wait()
}
