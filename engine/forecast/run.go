package forecast

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"stockroom/model"
)

// DefaultQuantiles are the levels forecast when none are asked for.
var DefaultQuantiles = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}

// Options tunes Run. Only Horizon is required.
type Options struct {
	Horizon   int       // periods to forecast
	Quantiles []float64 // levels in (0,1); DefaultQuantiles when empty
	// Models are the candidates, by NewModel name; empty means all of
	// ModelNames. With one model there is no choice, but its backtest is
	// still scored.
	Models []string
	// Windows is the number of rolling-origin backtest windows, each
	// Horizon periods long and ending at the end of the history (3).
	Windows int
	// Margin is how much lower (as a fraction) a series' backtest scaled
	// pinball loss must be than the collection default's for the series to
	// leave the default (0.3; negative for none). Backtests over a few
	// windows are noisy, and on the M5 data switching on smaller margins
	// cost accuracy.
	Margin float64
	// Combine > 1 blends a series' own best model with the default
	// (quantile average) instead of switching outright (2); with no
	// default, the best Combine candidates are blended when that scores
	// better than the best alone.
	Combine int
	// Sample bounds how many series are backtested to find the
	// collection's default model (1000); larger collections use an even
	// sample of them.
	Sample int
	// Workers bounds the parallelism (runtime.GOMAXPROCS(0)).
	Workers int
	// FitWindow is how many recent periods the smoothing models are
	// fitted on (DefaultFitWindow).
	FitWindow int
	Seed      uint64
	GBT       GBTConfig
	// CountDist chooses the distribution of models without their own:
	// "auto" (negative binomial for intermittent count series, empirical
	// backtest residuals otherwise), "always" (negative binomial for any
	// count series) or "never" (always empirical).
	CountDist string
	// Candidates also forecasts with every candidate refitted on the whole
	// history (Result.Candidates): for evaluations, at the cost of a refit
	// per model.
	Candidates bool
	// OnResult, when set, receives each series' result as soon as it is
	// ready (from one goroutine at a time, in completion order) and Run
	// returns no slice, so memory stays bounded on large runs.
	OnResult func(Result) error
}

// Score is one candidate model's accuracy over a series' backtest windows.
type Score struct {
	Model  string
	Params string // fitted on the training part before the first window
	Err    string // why the model could not be fitted; metrics are zero
	N      int    // periods scored
	SPL    float64
	RMSSE  float64
	MASE   float64
	MAE    float64
	RMSE   float64
	WAPE   float64
	Bias   float64
	WQL    float64
	Volume float64 // Σ|actual| over the scored periods, to pool WAPE and WQL
	// Loss is WQL's numerator (WQLParts), to pool WQL over series: a
	// series that sold nothing in its windows has WQL 0 but a loss all
	// the same.
	Loss float64
	// Coverage is the fraction of actuals at or below each quantile.
	Coverage []float64
}

// Result is the forecast of one series.
type Result struct {
	SeriesID string
	Freq     Freq
	Periods  []model.Date // dates of the forecast periods
	// Model names the chosen model, or "blend(a+b)" for a combination.
	Model   string
	Members []string
	Params  string    // the members' fitted parameters on the whole history
	Levels  []float64 // quantile levels
	Point   []float64 // mean forecast per period
	// Quantiles[t][j] is the quantile at Levels[j] for period t:
	// non-negative and non-decreasing in j.
	Quantiles [][]float64
	// Dists is the predictive distribution per period (for simulation,
	// service levels, any other quantile).
	Dists []Dist
	// Rho is the estimated equicorrelation of forecast errors across the
	// horizon, pooled with the other series of the run (PoolRho; not when
	// streamed); pass it to SumDist.
	Rho     float64
	Scores  []Score // every candidate, best first
	Windows int     // backtest windows used (0: history too short)
	Note    string
	// Candidates holds every candidate's own forecast when
	// Options.Candidates is set.
	Candidates []Candidate
}

// Candidate is one model's forecast, kept for evaluations.
type Candidate struct {
	Model     string
	Point     []float64
	Quantiles [][]float64
	Dists     []Dist
}

// Run forecasts every series: it fits the global model across all of
// them, backtests every candidate per series on rolling origins and scores
// it by mean scaled pinball loss (RMSSE breaks ties), chooses per series,
// and forecasts with quantiles. The choice has two levels: the candidate
// with the lowest pooled backtest loss over the collection is the default,
// and a series leaves it only when its own best candidate beats it by more
// than o.Margin on windows that had demand (then blending the two when
// o.Combine > 1). progress, if set, is called with work done out of total.
// Results come back in input order unless o.OnResult is set.
func Run(ctx context.Context, series []Series, cal Calendar, o Options, progress func(done, total int)) ([]Result, error) {
	if o.Horizon <= 0 {
		return nil, errors.New("forecast: horizon must be positive")
	}
	if len(o.Quantiles) == 0 {
		o.Quantiles = DefaultQuantiles
	}
	for _, q := range o.Quantiles {
		if !(q > 0 && q < 1) {
			return nil, fmt.Errorf("forecast: quantile level %g is not in (0,1)", q)
		}
	}
	if o.Windows <= 0 {
		o.Windows = 3
	}
	if o.Combine <= 0 {
		o.Combine = 2
	}
	switch {
	case o.Margin == 0:
		o.Margin = 0.3
	case o.Margin < 0:
		o.Margin = 0
	case o.Margin >= 1:
		return nil, fmt.Errorf("forecast: margin %g is not below 1", o.Margin)
	}
	if o.Sample <= 0 {
		o.Sample = 1000
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	switch o.CountDist {
	case "":
		o.CountDist = "auto"
	case "auto", "always", "never":
	default:
		return nil, fmt.Errorf("forecast: count distribution %q: want auto, always or never", o.CountDist)
	}
	names := o.Models
	if len(names) == 0 {
		names = ModelNames
	}
	models := make([]Model, 0, len(names))
	useGlobal := false
	for _, n := range names {
		m, err := newModel(n, o.FitWindow)
		if err != nil {
			return nil, fmt.Errorf("forecast: %w", err)
		}
		if _, ok := m.(globalModel); ok {
			useGlobal = true
		}
		models = append(models, m)
	}
	for i := range series {
		if err := series[i].Validate(); err != nil {
			return nil, fmt.Errorf("forecast: %w", err)
		}
	}

	hs := make([]*History, len(series))
	for i := range series {
		hs[i] = NewHistory(&series[i])
	}
	gcfg := o.GBT.withDefaults()
	total := len(series)
	if len(series) > o.Sample {
		total += o.Sample
	}
	if useGlobal {
		total += 2 * gcfg.Trees * len(freqGroups(hs))
	}
	var pmu sync.Mutex
	done := 0
	tick := func() {
		if progress == nil {
			return
		}
		pmu.Lock()
		done++
		progress(done, total)
		pmu.Unlock()
	}

	if useGlobal {
		if err := runGlobal(ctx, hs, cal, o, tick); err != nil {
			return nil, err
		}
	}

	// Phase 1: backtest every series (or an even sample of a large
	// collection) to find the collection's default model.
	var sample []int
	if len(series) <= o.Sample {
		sample = make([]int, len(series))
		for i := range sample {
			sample[i] = i
		}
	} else {
		sample = make([]int, o.Sample)
		for k := range sample {
			sample[k] = k * len(series) / o.Sample
		}
	}
	keep := len(sample) == len(series)
	states := make([]*seriesState, len(series))
	coll := newCollection()
	var cmu sync.Mutex
	err := forEach(ctx, o.Workers, len(sample), func(k int) error {
		i := sample[k]
		st := backtestOne(hs[i], models, o)
		cmu.Lock()
		coll.add(st)
		cmu.Unlock()
		if keep {
			states[i] = st
		} else {
			tick()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	def := coll.best()

	// Phase 2: choose and forecast each series.
	var results []Result
	if o.OnResult == nil {
		results = make([]Result, len(series))
	}
	var rmu sync.Mutex
	err = forEach(ctx, o.Workers, len(series), func(i int) error {
		st := states[i]
		if st == nil {
			st = backtestOne(hs[i], models, o)
		}
		res := finishOne(st, o, def)
		states[i], hs[i] = nil, nil // let the series go once forecast
		tick()
		if o.OnResult != nil {
			rmu.Lock()
			defer rmu.Unlock()
			return o.OnResult(res)
		}
		results[i] = res
		return nil
	})
	if err != nil {
		return nil, err
	}
	if o.OnResult == nil {
		rho := make([]float64, len(results))
		windows := make([]int, len(results))
		for i, r := range results {
			rho[i], windows[i] = r.Rho, r.Windows
		}
		PoolRho(rho, windows)
		for i := range results {
			results[i].Rho = rho[i]
		}
	}
	return results, nil
}

// forEach runs f(0…n−1) on a bounded pool of workers, stopping at the
// first error or when ctx is cancelled.
func forEach(ctx context.Context, workers, n int, f func(i int) error) error {
	jobs := make(chan int)
	var mu sync.Mutex
	var first error
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return first != nil }
	var wg sync.WaitGroup
	for range min(workers, max(1, n)) {
		wg.Go(func() {
			for i := range jobs {
				if ctx.Err() != nil || failed() {
					continue
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil || failed() {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return first
}

// newModel is NewModel with the fit window applied.
func newModel(name string, fitWindow int) (Model, error) {
	m, err := NewModel(name)
	if err != nil || fitWindow <= 0 {
		return m, err
	}
	switch v := m.(type) {
	case *ETS:
		v.FitWindow = fitWindow
	case AutoETS:
		v.FitWindow = fitWindow
		return v, nil
	case Theta:
		v.FitWindow = fitWindow
		return v, nil
	case Croston:
		v.FitWindow = fitWindow
		return v, nil
	case TSB:
		v.FitWindow = fitWindow
		return v, nil
	}
	return m, nil
}

func freqGroups(hs []*History) map[Freq][]int {
	g := map[Freq][]int{}
	for i, h := range hs {
		g[h.Series.Freq] = append(g[h.Series.Freq], i)
	}
	return g
}

// minTrain is the shortest history a backtest window may start from.
func minTrain(n, season int) int { return max(4, min(2*season+2, n/2)) }

// minWindow is the shortest backtest window that can tell models apart,
// in periods (or the horizon, when that is shorter): a week of days. Two
// days with no sale once made naive's zero the winner of a new store.
const minWindow = 7

// backtestCuts returns the origins (local cut indices) of the backtest
// windows and their length. Short histories get fewer or shorter windows;
// none at all when not even one window of minWindow periods (or the
// horizon) can be held out, and the series takes the fallback model.
func backtestCuts(n, h, w, season int) ([]int, int) {
	mt := minTrain(n, season)
	hb := h
	for w > 0 && n-w*hb < mt {
		w--
	}
	if w == 0 {
		hb = min(h, n-mt)
		if hb < min(h, minWindow) || hb < 1 {
			return nil, 0
		}
		w = 1
	}
	cuts := make([]int, w)
	for i := range cuts {
		cuts[i] = n - (w-i)*hb
	}
	return cuts, hb
}

// runGlobal fits the global model twice per frequency: on targets before
// each series' first backtest origin (for the backtest) and on everything
// (for the forecast).
func runGlobal(ctx context.Context, hs []*History, cal Calendar, o Options, tick func()) error {
	groups := freqGroups(hs)
	freqs := make([]Freq, 0, len(groups))
	for f := range groups {
		freqs = append(freqs, f)
	}
	slices.Sort(freqs)
	for _, f := range freqs {
		idx := groups[f]
		sub := make([]*History, len(idx))
		bt := make([]globalSpec, len(idx))
		fin := make([]globalSpec, len(idx))
		for k, i := range idx {
			h := hs[i]
			sub[k] = h
			cuts, _ := backtestCuts(h.N(), o.Horizon, o.Windows, h.Season)
			if len(cuts) > 0 {
				bt[k] = globalSpec{trainCut: cuts[0], predCuts: cuts}
			}
			fin[k] = globalSpec{trainCut: h.N(), predCuts: []int{h.N()}}
		}
		// The backtest fit also finds the factor on each series' in-sample
		// dispersion that calibrates its backtest forecasts; the same
		// factor scales the dispersion of the final fit.
		// The two fits are independent: with two or more workers they run
		// side by side, which keeps both cores busier than splitting each
		// fit's histograms.
		var predsBT, predsFin []map[int][]float64
		var insBT, insFin []momStats
		var err, err2 error
		w1, w2 := o.Workers, o.Workers
		var wg sync.WaitGroup
		if o.Workers >= 2 {
			w1, w2 = o.Workers/2, o.Workers-o.Workers/2
			wg.Go(func() { predsBT, insBT, err = globalFit(ctx, sub, bt, cal, o.Horizon, o.GBT, w1, o.Seed, tick) })
		} else {
			predsBT, insBT, err = globalFit(ctx, sub, bt, cal, o.Horizon, o.GBT, w1, o.Seed, tick)
		}
		predsFin, insFin, err2 = globalFit(ctx, sub, fin, cal, o.Horizon, o.GBT, w2, o.Seed+1, tick)
		wg.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil || err2 != nil {
			// Too little data for the global model: the per-series models
			// carry on without it.
			continue
		}
		ks := pitDispersionScale(sub, bt, predsBT, insBT, o.Horizon)
		for j, i := range idx {
			g := &globalPreds{mean: map[int][]float64{}, disp: map[int]float64{}}
			for c, p := range predsBT[j] {
				g.mean[c] = p
				g.disp[c] = ks.at(p) * insBT[j].disp()
			}
			for c, p := range predsFin[j] {
				g.mean[c] = p
				g.disp[c] = ks.at(p) * insFin[j].disp()
			}
			hs[i].global = g
		}
	}
	return nil
}

// pitDispersionScale chooses the factor k on every series' in-sample
// dispersion (Var = μ + k·φ·μ²) whose backtest forecasts are best
// calibrated: the randomised PIT of the backtest actuals, pooled over the
// series, closest to uniform (least squared gap between its CDF and the
// diagonal at levels 0.05, 0.10 … 0.95). Matching the excess variance
// instead lets a few extreme days of one busy series set the width of
// every series' distribution; the PIT counts each observation once.
//
// One factor for all volumes left a steady pattern on M5's validation
// windows: slow series' p90 covered 88–90% and busy series' 91–93.5%. So
// a factor is chosen per band of forecast volume (the mean forecast of the
// window: below 1, 1 to 5, 5 and more per period), each on its own
// backtest observations; a band with fewer than dispBandMin takes the
// factor of all of them.
func pitDispersionScale(hs []*History, specs []globalSpec, preds []map[int][]float64, ins []momStats, horizon int) dispScales {
	var all []dispObs
	bands := make([][]dispObs, len(dispBandEdges)+1)
	for j, h := range hs {
		phi := ins[j].disp()
		for _, c := range specs[j].predCuts {
			p := preds[j][h.T0+c]
			b := dispBand(p)
			for t := 0; t < horizon && c+t < h.N(); t++ {
				if y := h.Y[c+t]; !math.IsNaN(y) {
					o := dispObs{y, p[t], phi}
					all = append(all, o)
					bands[b] = append(bands[b], o)
				}
			}
		}
	}
	overall := pitScale(all)
	ks := dispScales{k: make([]float64, len(bands))}
	for b, obs := range bands {
		ks.k[b] = overall
		if len(obs) >= dispBandMin {
			ks.k[b] = pitScale(obs)
		}
	}
	return ks
}

// dispBandEdges split forecasts by their mean per period; dispBandMin is
// the fewest backtest observations a band needs for a factor of its own.
var dispBandEdges = []float64{1, 5}

const dispBandMin = 2000

// dispScales are the dispersion factors by volume band.
type dispScales struct{ k []float64 }

// at is the factor for a window forecast p.
func (d dispScales) at(p []float64) float64 { return d.k[dispBand(p)] }

func dispBand(p []float64) int {
	var s float64
	for _, v := range p {
		s += v
	}
	m := s / float64(max(1, len(p)))
	b := 0
	for b < len(dispBandEdges) && m >= dispBandEdges[b] {
		b++
	}
	return b
}

type dispObs struct{ y, mu, phi float64 }

// pitScale searches k for one set of observations (see
// pitDispersionScale) on a grid of eighth powers of 2 from 1/4 to 16; at
// most dispScaleObs observations, taken evenly, are used.
func pitScale(all []dispObs) float64 {
	if len(all) == 0 {
		return 1
	}
	if len(all) > dispScaleObs {
		thin := make([]dispObs, dispScaleObs)
		step := float64(len(all)) / dispScaleObs
		for i := range thin {
			thin[i] = all[int(float64(i)*step)]
		}
		all = thin
	}
	const nLev = 19
	cov := make([]float64, nLev)
	gap := func(i int) float64 {
		k := math.Pow(2, float64(i)/8)
		clear(cov)
		for _, o := range all {
			lo, hi := nbBracket(o.y, o.mu, k*o.phi)
			for l := range cov {
				p := float64(l+1) / (nLev + 1)
				switch {
				case p >= hi:
					cov[l]++
				case p > lo:
					cov[l] += (p - lo) / (hi - lo)
				}
			}
		}
		var g float64
		for l, c := range cov {
			d := c/float64(len(all)) - float64(l+1)/(nLev+1)
			g += d * d
		}
		return g
	}
	// k = 2^(i/8) for i in −16…32: a coarse pass in steps of 2^½, then
	// the eighth-steps around the best. Ties (every series Poisson) keep
	// k = 1.
	best, bestI := gap(0), 0
	try := func(i int) {
		if g := gap(i); g < best {
			best, bestI = g, i
		}
	}
	for i := -16; i <= 32; i += 4 {
		if i != 0 {
			try(i)
		}
	}
	c := bestI
	for i := max(-16, c-3); i <= min(32, c+3); i++ {
		if i != c {
			try(i)
		}
	}
	return math.Pow(2, float64(bestI)/8)
}

// dispScaleObs bounds the backtest observations pitDispersionScale looks
// at, so large collections stay cheap.
const dispScaleObs = 200000

// nbBracket returns P(N ≤ y−1) and P(N ≤ y) for a negative binomial count
// with mean mu and dispersion disp (1/size; 0 is Poisson), in one walk.
func nbBracket(y, mu, disp float64) (lo, hi float64) {
	size := math.Inf(1)
	if disp > 0 {
		size = 1 / disp
	}
	d := NegBin{Mu: mu, Size: size}
	n := int(math.Floor(y))
	if d.Mean() <= 0 || d.Mean() > bigMu || n < 0 {
		if n >= 1 {
			lo = d.CDF(float64(n - 1))
		}
		return lo, d.CDF(float64(n))
	}
	pk, ratio := d.pmf0()
	c := pk
	for k := 0; k < n; k++ {
		lo = c
		pk *= ratio(k)
		c += pk
		if pk < 1e-300 && float64(k) > mu {
			lo = c // the rest of the tail adds nothing
			break
		}
	}
	return math.Min(1, lo), math.Min(1, c)
}

// candidate is one model's backtest on a series.
type candidate struct {
	model  Model
	fitted Fitted
	err    error
	means  [][]float64 // per window
	dists  [][]Dist    // per window; nil entries until calibrated
	own    bool        // the model gave its own distributions
	score  Score
	blend  []int // for the blend candidate: indices of its members
}

// seriesState is one series' backtest, between the two phases of Run.
type seriesState struct {
	h        *History
	cuts     []int
	hb       int
	actual   [][]float64
	scale    Scale
	cands    []*candidate // every model, in the order given
	useCount bool
	inter    bool
}

// backtestOne fits every candidate on the data before the first backtest
// window and forecasts each window.
func backtestOne(h *History, models []Model, o Options) *seriesState {
	st := &seriesState{h: h, inter: intermittent(h.Y)}
	st.useCount = isCount(h.Y) && (o.CountDist == "always" || (o.CountDist == "auto" && st.inter))
	st.cuts, st.hb = backtestCuts(h.N(), o.Horizon, o.Windows, h.Season)
	if len(st.cuts) == 0 {
		return st
	}
	train := h.Cut(st.cuts[0])
	train.cache = map[string]Fitted{}
	st.scale = guardScale(NaiveScale(train.Y), train.Y)
	st.actual = make([][]float64, len(st.cuts))
	for w, c := range st.cuts {
		st.actual[w] = h.Y[c : c+st.hb]
	}
	for _, m := range models {
		cd := &candidate{model: m, score: Score{Model: m.Name()}}
		st.cands = append(st.cands, cd)
		f, err := m.Fit(train)
		if err != nil {
			cd.err = err
			cd.score.Err = err.Error()
			continue
		}
		cd.fitted = f
		cd.score.Params = f.Params()
		cd.own = true
		for _, c := range st.cuts {
			p := f.Predict(h.Cut(c), st.hb)
			cd.means = append(cd.means, p.Mean)
			cd.dists = append(cd.dists, p.Dists)
			if p.Dists == nil {
				cd.own = false
			}
		}
		if !cd.own {
			for w := range st.cuts {
				rs := residualsExcept(cd.means, st.actual, w)
				cd.dists[w] = calibrated(cd.means[w], rs, st.useCount)
			}
		}
		cd.score = scoreWindows(cd.score, st.actual, cd.means, cd.dists, o.Quantiles, st.scale)
	}
	return st
}

// collection summarises the backtests of many series: for each model, its
// total pinball loss relative to the total demand (a pooled WQL) and on how
// many series it could be fitted.
type collection struct {
	series int
	loss   map[string]float64 // Σ WQL·volume
	volume map[string]float64
	fitted map[string]int
}

func newCollection() *collection {
	return &collection{loss: map[string]float64{}, volume: map[string]float64{}, fitted: map[string]int{}}
}

func (c *collection) add(st *seriesState) {
	if len(st.cuts) == 0 {
		return
	}
	c.series++
	for _, cd := range st.cands {
		if cd.err != nil {
			continue
		}
		c.fitted[cd.score.Model]++
		c.loss[cd.score.Model] += cd.score.Loss
		c.volume[cd.score.Model] += cd.score.Volume
	}
}

// best is the default model: the lowest pooled loss among the models that
// could be fitted on nearly every series (a model that only fits easy
// series would look better than it is).
func (c *collection) best() string {
	best, bv := "", math.Inf(1)
	for m, n := range c.fitted {
		if n*100 < c.series*99 || c.volume[m] <= 0 {
			continue
		}
		if v := c.loss[m] / c.volume[m]; v < bv || (v == bv && m < best) {
			best, bv = m, v
		}
	}
	return best
}

// finishOne chooses the model of one series and forecasts with it: the
// collection's default model, unless another candidate's scaled pinball
// loss beats it by more than the margin on windows that had demand; then
// the quantile average of the two (or that candidate alone with Combine 1).
// Without a default the best candidate wins, blended with the runner-up
// when that scores better.
func finishOne(st *seriesState, o Options, def string) Result {
	h := st.h
	s := h.Series
	H := o.Horizon
	res := Result{SeriesID: s.ID, Freq: s.Freq, Levels: o.Quantiles, Windows: len(st.cuts)}
	res.Periods = make([]model.Date, H)
	end := h.T0 + h.N()
	for k := range res.Periods {
		res.Periods[k] = s.Date(end + k)
	}
	ok := make([]*candidate, 0, len(st.cands))
	for _, cd := range st.cands {
		if cd.err == nil {
			ok = append(ok, cd)
		}
	}
	slices.SortStableFunc(ok, func(a, b *candidate) int { return cmpScore(a.score, b.score) })
	if len(ok) > 0 {
		chosen := ok[0]
		var extra *candidate
		switch parts := pick(ok, def, o.Margin, o.Combine); {
		case len(parts) == 1:
			chosen = parts[0]
		case len(parts) > 1:
			bl := blendCandidate(parts, st.actual, o.Quantiles, st.scale)
			// Without a default the blend must earn its place.
			if parts[0].score.Model == def || cmpScore(bl.score, ok[0].score) < 0 {
				chosen, extra = bl, bl
			}
		}
		if extra != nil {
			res.Scores = append(res.Scores, extra.score)
		}
		for _, cd := range ok {
			res.Scores = append(res.Scores, cd.score)
		}
		for _, cd := range st.cands {
			if cd.err != nil {
				res.Scores = append(res.Scores, cd.score)
			}
		}
		finalForecast(&res, h, chosen, ok, st.actual, st.useCount, o)
		return res
	}
	for _, cd := range st.cands {
		res.Scores = append(res.Scores, cd.score)
	}
	// No backtest (or nothing fitted on the training part): fall back to
	// a sensible default fitted on everything.
	res.Note = "no backtest: history too short"
	if len(st.cuts) > 0 {
		res.Note = "no candidate could be fitted on the backtest's training part"
	}
	// The mean level (ses) before the last value (naive): a short history
	// that ended on a day without a sale has not stopped selling.
	order := []string{"ets", "ses", "naive"}
	if st.inter {
		order = []string{"sba", "ses", "naive"}
	}
	count := isCount(h.Y)
	for _, name := range order {
		m, _ := newModel(name, o.FitWindow)
		f, err := m.Fit(h)
		if err != nil {
			continue
		}
		p := f.Predict(h, H)
		if p.Dists == nil {
			p.Dists = calibrated(p.Mean, nil, count)
			if !count {
				p.Dists = normalFallback(p.Mean, h.Y)
			}
		}
		res.Model, res.Members, res.Params = m.Name(), []string{m.Name()}, f.Params()
		fillForecast(&res, p.Mean, p.Dists)
		return res
	}
	res.Model, res.Members = "zero", []string{"zero"}
	res.Note = "no observed demand"
	z := make([]float64, H)
	d := make([]Dist, H)
	for i := range d {
		d[i] = NegBin{}
	}
	fillForecast(&res, z, d)
	return res
}

// pick applies the selection rule to a series' fitted candidates, sorted
// best first. It returns the default model, or what replaces it: the
// series' best alone, or with combine > 1 the default and the best (to be
// blended). Without a default it returns the best, or the best combine
// candidates for the caller to blend if that scores better.
func pick(ok []*candidate, def string, margin float64, combine int) []*candidate {
	var dc *candidate
	for _, cd := range ok {
		if cd.score.Model == def {
			dc = cd
		}
	}
	b := ok[0]
	if dc == nil {
		if combine > 1 && len(ok) >= 2 {
			return ok[:min(combine, len(ok))]
		}
		return ok[:1]
	}
	// A backtest without demand cannot tell models apart: every model
	// that forecasts zero is perfect on it.
	if b == dc || b.score.Volume == 0 || !(b.score.SPL < (1-margin)*dc.score.SPL) {
		return []*candidate{dc}
	}
	if combine > 1 {
		return []*candidate{dc, b}
	}
	return []*candidate{b}
}

// blendCandidate scores the quantile average of the given candidates.
func blendCandidate(parts []*candidate, actual [][]float64, ps []float64, sc Scale) *candidate {
	names := make([]string, len(parts))
	for i, p := range parts {
		names[i] = p.model.Name()
	}
	bl := &candidate{score: Score{Model: "blend(" + strings.Join(names, "+") + ")"}}
	wt := make([]float64, len(parts))
	for i := range wt {
		wt[i] = 1 / float64(len(parts))
	}
	for w := range actual {
		n := len(actual[w])
		mean := make([]float64, n)
		ds := make([]Dist, n)
		for t := range n {
			ms := make([]Dist, len(parts))
			for i, p := range parts {
				mean[t] += wt[i] * p.means[w][t]
				ms[i] = p.dists[w][t]
			}
			ds[t] = Blend{Parts: ms, Weights: wt}
		}
		bl.means = append(bl.means, mean)
		bl.dists = append(bl.dists, ds)
	}
	bl.score = scoreWindows(bl.score, actual, bl.means, bl.dists, ps, sc)
	bl.blend = make([]int, len(parts))
	for i := range parts {
		bl.blend[i] = i
	}
	bl.own = true
	// Keep the member candidates reachable for the final fit.
	bl.fitted = blendMembers(parts)
	return bl
}

// blendMembers carries a blend's members through to the final forecast.
type blendMembers []*candidate

func (blendMembers) Params() string                       { return "" }
func (blendMembers) Predict(*History, int) (p Prediction) { return p }

// finalForecast refits the chosen model(s) on the whole history and fills
// the result.
func finalForecast(res *Result, h *History, best *candidate, all []*candidate, actual [][]float64, useCount bool, o Options) {
	H := o.Horizon
	members := []*candidate{best}
	if bm, ok := best.fitted.(blendMembers); ok {
		members = bm
	}
	full := h.Cut(h.N())
	full.cache = map[string]Fitted{}
	refit := func(cd *candidate) (Prediction, string) {
		f, err := cd.model.Fit(full)
		if err != nil {
			// Keep the parameters from the backtest fit rather than drop
			// the model.
			f = cd.fitted
		}
		p := f.Predict(full, H)
		if p.Dists == nil {
			p.Dists = calibrated(p.Mean, residualsExcept(cd.means, actual, -1), useCount)
		}
		return p, f.Params()
	}
	var means [][]float64
	var dists [][]Dist
	var params []string
	var names []string
	for _, cd := range members {
		p, ps := refit(cd)
		means = append(means, p.Mean)
		dists = append(dists, p.Dists)
		names = append(names, cd.model.Name())
		if ps != "" {
			params = append(params, cd.model.Name()+": "+ps)
		}
	}
	if o.Candidates {
		for _, cd := range all {
			if cd.blend != nil {
				continue
			}
			p, _ := refit(cd)
			c := Candidate{Model: cd.model.Name(), Dists: p.Dists, Point: make([]float64, H), Quantiles: make([][]float64, H)}
			for t := range H {
				c.Point[t] = math.Max(0, p.Mean[t])
				c.Quantiles[t] = Quantiles(p.Dists[t], o.Quantiles)
			}
			res.Candidates = append(res.Candidates, c)
		}
	}
	res.Model = best.score.Model
	res.Members = names
	res.Params = strings.Join(params, "; ")
	mean := means[0]
	ds := dists[0]
	if len(members) > 1 {
		wt := make([]float64, len(members))
		for i := range wt {
			wt[i] = 1 / float64(len(members))
		}
		mean = make([]float64, H)
		ds = make([]Dist, H)
		for t := range H {
			parts := make([]Dist, len(members))
			for i := range members {
				mean[t] += wt[i] * means[i][t]
				parts[i] = dists[i][t]
			}
			ds[t] = Blend{Parts: parts, Weights: wt}
		}
	}
	res.Rho = estimateRho(actual, best.means, best.dists)
	fillForecast(res, mean, ds)
}

func fillForecast(res *Result, mean []float64, ds []Dist) {
	res.Point = make([]float64, len(mean))
	res.Dists = ds
	res.Quantiles = make([][]float64, len(mean))
	for t, m := range mean {
		if !(m > 0) {
			m = 0
		}
		res.Point[t] = m
		res.Quantiles[t] = Quantiles(ds[t], res.Levels)
	}
}

// cmpScore orders scores: lower SPL first, RMSSE breaks ties.
func cmpScore(a, b Score) int {
	if c := cmpTol(a.SPL, b.SPL); c != 0 {
		return c
	}
	return cmpTol(a.RMSSE, b.RMSSE)
}

func cmpTol(a, b float64) int {
	if math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) {
		return 0
	}
	return cmp.Compare(a, b)
}

// guardScale replaces a zero scale (a constant training history) by the
// mean level, so scaled errors stay finite and comparable.
func guardScale(s Scale, y []float64) Scale {
	m := recentMean(y, len(y))
	if m <= 0 {
		m = 1
	}
	if s.MAE <= 0 {
		s.MAE = m
	}
	if s.MSE <= 0 {
		s.MSE = m * m
	}
	return s
}

// scoreWindows computes a candidate's metrics over all windows together.
func scoreWindows(sc Score, actual, means [][]float64, dists [][]Dist, ps []float64, scale Scale) Score {
	var y, f []float64
	var q [][]float64
	for w := range actual {
		for t, v := range actual[w] {
			y = append(y, v)
			f = append(f, means[w][t])
			q = append(q, Quantiles(dists[w][t], ps))
		}
	}
	for _, v := range y {
		if !math.IsNaN(v) {
			sc.N++
			sc.Volume += math.Abs(v)
		}
	}
	sc.SPL = SPL(y, q, ps, scale)
	sc.RMSSE = RMSSE(y, f, scale)
	sc.MASE = MASE(y, f, scale)
	sc.MAE = MAE(y, f)
	sc.RMSE = RMSE(y, f)
	sc.WAPE = WAPE(y, f)
	sc.Bias = Bias(y, f)
	var den float64
	sc.Loss, den = WQLParts(y, q, ps)
	sc.WQL = ratio(sc.Loss, den)
	sc.Coverage = Coverage(y, q, ps)
	return sc
}

// resid is one backtest error: actual, forecast mean and step (1-based).
type resid struct {
	y, f float64
	k    int
}

// residualsExcept collects the backtest errors of every window but skip
// (−1 keeps all). With a single window there is nothing else to learn
// from, so that window's own errors are used.
func residualsExcept(means, actual [][]float64, skip int) []resid {
	var out []resid
	for w := range actual {
		if w == skip && len(actual) > 1 {
			continue
		}
		for t, v := range actual[w] {
			if !math.IsNaN(v) {
				out = append(out, resid{y: v, f: means[w][t], k: t + 1})
			}
		}
	}
	return out
}

// calibrated gives point forecasts a distribution from backtest errors: a
// negative binomial whose dispersion matches the errors' variance (count
// data), or the empirical errors scaled by horizon (anything else).
func calibrated(mean []float64, res []resid, count bool) []Dist {
	ds := make([]Dist, len(mean))
	if count {
		var st momStats
		for _, r := range res {
			st.add(r.y, r.f)
		}
		size := st.size()
		for t, m := range mean {
			ds[t] = NegBin{Mu: m, Size: size}
		}
		return ds
	}
	if len(res) < 2 {
		for t, m := range mean {
			ds[t] = NegBin{Mu: m}
		}
		return ds
	}
	// Error spread grows with the step as k^beta; beta is the slope of log
	// mean squared error on log step (0 when the windows are too short).
	var sx, sy, sxx, sxy, n float64
	var all float64
	for _, r := range res {
		e2 := (r.y - r.f) * (r.y - r.f)
		all += e2
		x := math.Log(float64(r.k))
		yv := math.Log(e2 + 1e-9)
		sx += x
		sy += yv
		sxx += x * x
		sxy += x * yv
		n++
	}
	beta := 0.0
	if d := n*sxx - sx*sx; d > 0 {
		beta = (n*sxy - sx*sy) / d / 2
	}
	beta = math.Max(0, math.Min(0.5, beta))
	var kbar float64
	for _, r := range res {
		kbar += math.Log(float64(r.k))
	}
	kbar = math.Exp(kbar / n)
	s0 := math.Sqrt(all / n)
	if s0 == 0 {
		s0 = 1e-9
	}
	scale := func(k int) float64 { return s0 * math.Pow(float64(k)/kbar, beta) }
	z := make([]float64, len(res))
	for i, r := range res {
		z[i] = (r.y - r.f) / scale(r.k)
	}
	slices.Sort(z)
	for t, m := range mean {
		ds[t] = Empirical{Loc: m, Scale: scale(t + 1), Z: z}
	}
	return ds
}

// normalFallback is the distribution of a model without one and without a
// backtest: the spread of the history around the forecast.
func normalFallback(mean, y []float64) []Dist {
	var s, s2, n float64
	for _, v := range y {
		if !math.IsNaN(v) {
			s += v
			s2 += v * v
			n++
		}
	}
	sd := 0.0
	if n > 1 {
		sd = math.Sqrt(math.Max(0, (s2-s*s/n)/(n-1)))
	}
	ds := make([]Dist, len(mean))
	for t, m := range mean {
		ds[t] = Normal{Mu: m, Sigma: sd}
	}
	return ds
}

// rhoPrior is the weight, in backtest windows, of the prior a series'
// error correlation is shrunk toward.
const rhoPrior = 2

// PoolRho shrinks each series' error correlation toward the mean of the
// series forecast together instead of toward zero. rho[i] is a Result.Rho
// (its own estimate r, shrunk to r·W/(W+2) over its W = windows[i]
// backtest windows); it becomes (W·r + 2·r̄)/(W+2), r̄ the mean r of the
// series with windows. Three windows say little about one series, but
// a collection whose demand drifts (so errors persist over a lead time)
// shows it in most of its series; shrinking toward zero then makes every
// lead-time distribution too narrow. Run pools its results unless they
// are streamed (Options.OnResult); whoever collects streamed results can
// pool them with this.
//
// r̄ is itself shrunk toward zero by N/(N+2), N the windows of the whole
// collection: a new store whose one series with history has a single
// short window would otherwise lend that window's say-so, at full
// weight, to every series it plans.
func PoolRho(rho []float64, windows []int) {
	var sum, n, all float64
	for i, r := range rho {
		if w := float64(windows[i]); w > 0 {
			sum += r * (w + rhoPrior) / w
			n++
			all += w
		}
	}
	if n == 0 {
		return
	}
	bar := sum / n * all / (all + rhoPrior)
	for i := range rho {
		w := float64(windows[i])
		rho[i] += rhoPrior * bar / (w + rhoPrior)
	}
}

// estimateRho estimates the equicorrelation of errors across a window from
// how much window sums vary beyond the per-step variances, shrunk toward
// zero for the few windows there are (PoolRho shrinks toward the
// collection instead).
func estimateRho(actual, means [][]float64, dists [][]Dist) float64 {
	if len(means) == 0 {
		return 0
	}
	var num, den float64
	for w := range actual {
		if w >= len(dists) || dists[w] == nil {
			continue
		}
		var S, V, sd float64
		for t, v := range actual[w] {
			if math.IsNaN(v) {
				continue
			}
			S += v - means[w][t]
			vt := dists[w][t].Var()
			V += vt
			sd += math.Sqrt(vt)
		}
		num += S*S - V
		den += sd*sd - V
	}
	if den <= 0 {
		return 0
	}
	r := math.Max(0, math.Min(0.95, num/den))
	W := float64(len(actual))
	return r * W / (W + rhoPrior)
}

// isCount reports whether all observed values are whole numbers.
func isCount(y []float64) bool {
	for _, v := range y {
		if !math.IsNaN(v) && v != math.Trunc(v) {
			return false
		}
	}
	return true
}

// intermittent reports whether demand occurs in fewer than 1/1.32 of the
// observed periods of the last two years (Syntetos–Boylan's ADI cut-off).
func intermittent(y []float64) bool {
	var n, pos float64
	for i := len(y) - 1; i >= 0 && n < 730; i-- {
		if !math.IsNaN(y[i]) {
			n++
			if y[i] > 0 {
				pos++
			}
		}
	}
	return n > 0 && pos/n < 1/1.32
}
