package forecast

import (
	"fmt"
	"math"
)

// alphaGrid is where the intermittent-demand models look for their
// smoothing constants: in-sample squared error is flat and noisy on sparse
// data, so a coarse grid is as good as a continuous search and cheaper.
var alphaGrid = []float64{0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5}

// Croston is Croston's method for intermittent demand: demand sizes and
// intervals between demands are smoothed separately and the forecast is
// size / interval. Variant "sba" applies the Syntetos–Boylan bias
// correction (1 − alpha/2). Alpha 0 fits it by in-sample squared error.
// Its predictive distribution is a negative binomial whose dispersion
// comes from the in-sample errors.
type Croston struct {
	Variant   string // "croston" or "sba"
	Alpha     float64
	FitWindow int
}

// Name returns "croston" or "sba" (with ":alpha" when fixed).
func (c Croston) Name() string {
	if c.Alpha > 0 {
		return fmt.Sprintf("%s:%g", c.Variant, c.Alpha)
	}
	return c.Variant
}

type crostonFit struct {
	sba    bool
	alpha  float64
	z0, p0 float64
	start  int
	size   float64 // negative binomial size
}

// Fit picks alpha and the dispersion.
func (c Croston) Fit(h *History) (Fitted, error) {
	y, off := fitSlice(h, c.FitWindow)
	z0, p0, nd := intermittentInit(y)
	if nd == 0 {
		return nil, fmt.Errorf("%s: no demand in the history", c.Variant)
	}
	f := &crostonFit{sba: c.Variant == "sba", z0: z0, p0: p0, start: h.T0 + off}
	grid := alphaGrid
	if c.Alpha > 0 {
		grid = []float64{c.Alpha}
	}
	bestA, bestE := grid[0], math.Inf(1)
	for _, a := range grid {
		f.alpha = a
		if sse, _ := f.run(y, nil); sse < bestE {
			bestA, bestE = a, sse
		}
	}
	f.alpha = bestA
	var st momStats
	f.run(y, &st)
	f.size = st.size()
	return f, nil
}

// fitSlice returns the last window periods of the history and their offset.
func fitSlice(h *History, window int) ([]float64, int) {
	y := h.Y
	if w := windowOr(window); len(y) > w {
		return y[len(y)-w:], len(y) - w
	}
	return y, 0
}

// intermittentInit returns the mean demand size, the mean interval between
// demands (counting observed periods only) and the number of demands.
func intermittentInit(y []float64) (z, p float64, n int) {
	var sz, sp float64
	gap, obs := 0, 0
	for _, v := range y {
		if math.IsNaN(v) {
			continue
		}
		gap++
		obs++
		if v > 0 {
			sz += v
			// The interval before the first demand is unknown: the history
			// may start anywhere before it.
			if n > 0 {
				sp += float64(gap)
			}
			gap = 0
			n++
		}
	}
	switch n {
	case 0:
		return 0, 1, 0
	case 1:
		return sz, math.Max(1, float64(obs)), 1
	}
	return sz / float64(n), math.Max(1, sp/float64(n-1)), n
}

// momStats accumulates in-sample one-step errors for a moment estimate of
// the negative binomial dispersion: Var = μ + μ²/size.
type momStats struct{ se, sm, sm2 float64 }

func (s *momStats) add(y, f float64) {
	s.se += (y - f) * (y - f)
	s.sm += f
	s.sm2 += f * f
}

// disp returns the dispersion 1/size: 0 (Poisson) when the errors are
// not overdispersed.
func (s *momStats) disp() float64 {
	excess := s.se - s.sm
	if excess <= 0 || s.sm2 <= 0 {
		return 0
	}
	return math.Min(20, excess/s.sm2)
}

// size returns the dispersion; +Inf (Poisson) when the errors are not
// overdispersed.
func (s *momStats) size() float64 {
	excess := s.se - s.sm
	if excess <= 0 || s.sm2 <= 0 {
		return math.Inf(1)
	}
	return math.Max(0.05, s.sm2/excess)
}

// run filters the history; it returns the one-step SSE and the forecast
// from the end.
func (f *crostonFit) run(y []float64, st *momStats) (float64, float64) {
	z, p := f.z0, f.p0
	a := f.alpha
	corr := 1.0
	if f.sba {
		corr = 1 - a/2
	}
	var sse float64
	gap := 0
	seen := false
	for _, v := range y {
		if math.IsNaN(v) {
			continue
		}
		fc := corr * z / p
		sse += (v - fc) * (v - fc)
		if st != nil {
			st.add(v, fc)
		}
		gap++
		if v > 0 {
			z += a * (v - z)
			if seen {
				p += a * (float64(gap) - p)
			}
			seen = true
			gap = 0
		}
	}
	return sse, corr * z / p
}

// Params reports alpha and the dispersion.
func (f *crostonFit) Params() string {
	return fmtParams("alpha", f.alpha, "size", f.size)
}

// Predict forecasts a flat rate with a negative binomial per period.
func (f *crostonFit) Predict(hist *History, h int) Prediction {
	off := f.start - hist.T0
	if off < 0 || off >= len(hist.Y) {
		off = 0
	}
	_, fc := f.run(hist.Y[off:], nil)
	return flatCount(fc, f.size, h)
}

func flatCount(mu, size float64, h int) Prediction {
	mu = math.Max(0, mu)
	mean := constMean(mu, h)
	d := make([]Dist, h)
	for i := range d {
		d[i] = NegBin{Mu: mu, Size: size}
	}
	return Prediction{Mean: mean, Dists: d}
}

// TSB is the Teunter–Syntetos–Babai method: the probability of a demand is
// smoothed every period (Beta) and the demand size on demand periods
// (Alpha); the forecast is their product, so it decays through long runs
// of zeros, as obsolescence needs. Zero constants are fitted on a grid.
type TSB struct {
	Alpha, Beta float64
	FitWindow   int
}

// Name returns "tsb".
func (t TSB) Name() string {
	if t.Alpha > 0 {
		return fmt.Sprintf("tsb:%g", t.Alpha)
	}
	return "tsb"
}

type tsbFit struct {
	alpha, beta float64
	z0, p0      float64
	start       int
	size        float64
}

// Fit picks the constants by in-sample squared error.
func (t TSB) Fit(h *History) (Fitted, error) {
	y, off := fitSlice(h, t.FitWindow)
	z0, _, nd := intermittentInit(y)
	if nd == 0 {
		return nil, fmt.Errorf("tsb: no demand in the history")
	}
	nObs := 0
	for _, v := range y {
		if !math.IsNaN(v) {
			nObs++
		}
	}
	f := &tsbFit{z0: z0, p0: float64(nd) / float64(nObs), start: h.T0 + off}
	ga, gb := alphaGrid, alphaGrid
	if t.Alpha > 0 {
		ga = []float64{t.Alpha}
	}
	if t.Beta > 0 {
		gb = []float64{t.Beta}
	}
	bestE := math.Inf(1)
	var ba, bb float64
	for _, a := range ga {
		for _, b := range gb {
			f.alpha, f.beta = a, b
			if sse, _ := f.run(y, nil); sse < bestE {
				bestE, ba, bb = sse, a, b
			}
		}
	}
	f.alpha, f.beta = ba, bb
	var st momStats
	f.run(y, &st)
	f.size = st.size()
	return f, nil
}

func (f *tsbFit) run(y []float64, st *momStats) (float64, float64) {
	z, p := f.z0, f.p0
	var sse float64
	for _, v := range y {
		if math.IsNaN(v) {
			continue
		}
		fc := p * z
		sse += (v - fc) * (v - fc)
		if st != nil {
			st.add(v, fc)
		}
		if v > 0 {
			p += f.beta * (1 - p)
			z += f.alpha * (v - z)
		} else {
			p -= f.beta * p
		}
	}
	return sse, p * z
}

// Params reports the constants and the dispersion.
func (f *tsbFit) Params() string {
	return fmtParams("alpha", f.alpha, "beta", f.beta, "size", f.size)
}

// Predict forecasts a flat rate with a negative binomial per period.
func (f *tsbFit) Predict(hist *History, h int) Prediction {
	off := f.start - hist.T0
	if off < 0 || off >= len(hist.Y) {
		off = 0
	}
	_, fc := f.run(hist.Y[off:], nil)
	return flatCount(fc, f.size, h)
}
