package forecast

import (
	"fmt"
	"math"
)

// Theta is the standard Theta method (Assimakopoulos & Nikolopoulos 2000),
// in the form of Hyndman & Billah (2003): simple exponential smoothing with
// a drift of half the slope of the linear trend, on seasonally adjusted
// data when a seasonality test at the seasonal lag says so. Alpha is fitted
// by least squares.
type Theta struct{ FitWindow int }

// Name returns "theta".
func (Theta) Name() string { return "theta" }

type thetaFit struct {
	start  int       // absolute index of the first fitted period
	m      int       // season, 1 if none
	mult   bool      // multiplicative seasonal indices
	idx    []float64 // seasonal indices by absolute period mod m
	alpha  float64
	l0     float64
	drift  float64 // the trend slope b0 (the forecast adds b0/2 per period)
	sigma  float64
	hasSea bool
}

// Fit decomposes, fits SES and the drift.
func (t Theta) Fit(h *History) (Fitted, error) {
	y := h.Y
	off := 0
	if w := windowOr(t.FitWindow); len(y) > w {
		off = len(y) - w
		y = y[off:]
	}
	nObs := 0
	for _, v := range y {
		if !math.IsNaN(v) {
			nObs++
		}
	}
	if nObs < 4 {
		return nil, fmt.Errorf("theta: %d observations, need 4", nObs)
	}
	f := &thetaFit{start: h.T0 + off, m: 1}
	m := h.Season
	if m >= 2 && len(y) >= 3*m && seasonalACF(y, m) {
		idx, mult, ok := seasonalIndices(y, m, f.start)
		if ok {
			f.m, f.idx, f.mult, f.hasSea = m, idx, mult, true
		}
	}
	x := f.adjust(y)
	// Drift: least-squares slope of the adjusted series.
	var sx, sy, sxx, sxy, n float64
	for i, v := range x {
		if !math.IsNaN(v) {
			xf := float64(i)
			sx += xf
			sy += v
			sxx += xf * xf
			sxy += xf * v
			n++
		}
	}
	if d := n*sxx - sx*sx; d > 0 {
		f.drift = (n*sxy - sx*sy) / d
	}
	first, _ := firstObserved(x)
	f.l0 = first
	obj := func(p []float64) float64 {
		if p[0] < 0 || p[0] > 1 {
			return math.Inf(1)
		}
		a := 1e-4 + (0.9999-1e-4)*p[0]
		sse, _, _ := sesRun(x, a, f.l0)
		return sse
	}
	best := nelderMead(obj, []float64{0.1}, 0.15, 50, 1e-8)
	f.alpha = 1e-4 + (0.9999-1e-4)*best[0]
	sse, _, cnt := sesRun(x, f.alpha, f.l0)
	f.sigma = math.Sqrt(sse / float64(max(1, cnt)))
	return f, nil
}

func firstObserved(y []float64) (float64, int) {
	for i, v := range y {
		if !math.IsNaN(v) {
			return v, i
		}
	}
	return 0, -1
}

// sesRun filters SES over x from level l0; returns the SSE, final level and
// number of observations.
func sesRun(x []float64, a, l0 float64) (float64, float64, int) {
	l := l0
	var sse float64
	n := 0
	for _, v := range x {
		if math.IsNaN(v) {
			continue
		}
		e := v - l
		sse += e * e
		l += a * e
		n++
	}
	return sse, l, n
}

func (f *thetaFit) adjust(y []float64) []float64 {
	x := make([]float64, len(y))
	for i, v := range y {
		x[i] = v
		if f.hasSea && !math.IsNaN(v) {
			s := f.idx[(f.start+i)%f.m]
			if f.mult {
				x[i] = v / s
			} else {
				x[i] = v - s
			}
		}
	}
	return x
}

// Params reports alpha, the drift and the seasonal adjustment.
func (f *thetaFit) Params() string {
	sea := "none"
	if f.hasSea {
		sea = "additive"
		if f.mult {
			sea = "multiplicative"
		}
	}
	return fmtParams("alpha", f.alpha, "drift", f.drift/2, "season", sea, "sigma", f.sigma)
}

// Predict runs SES to the end of hist and adds the drift.
func (f *thetaFit) Predict(hist *History, h int) Prediction {
	off := f.start - hist.T0
	if off < 0 || off >= len(hist.Y) {
		return Prediction{Mean: constMean(recentMean(hist.Y, 28), h)}
	}
	y := hist.Y[off:]
	x := f.adjust(y)
	_, l, n := sesRun(x, f.alpha, f.l0)
	a := f.alpha
	mean := make([]float64, h)
	dists := make([]Dist, h)
	end := f.start + len(y)
	for k := range h {
		mu := l + f.drift/2*(float64(k)+1/a-math.Pow(1-a, float64(n))/a)
		sd := f.sigma * math.Sqrt(1+float64(k)*a*a)
		if f.hasSea {
			s := f.idx[(end+k)%f.m]
			if f.mult {
				mu *= s
				sd *= s
			} else {
				mu += s
			}
		}
		mean[k] = math.Max(0, mu)
		dists[k] = Normal{Mu: mu, Sigma: sd}
	}
	return Prediction{Mean: mean, Dists: dists}
}

// seasonalACF is the classical seasonality test: the autocorrelation at lag
// m exceeds 1.645 standard errors (Bartlett's formula over lags below m).
func seasonalACF(y []float64, m int) bool {
	var mean float64
	n := 0
	for _, v := range y {
		if !math.IsNaN(v) {
			mean += v
			n++
		}
	}
	if n < 3*m {
		return false
	}
	mean /= float64(n)
	acf := func(lag int) float64 {
		var num, den float64
		for t := range y {
			v := y[t]
			if math.IsNaN(v) {
				continue
			}
			den += (v - mean) * (v - mean)
			if t >= lag && !math.IsNaN(y[t-lag]) {
				num += (v - mean) * (y[t-lag] - mean)
			}
		}
		return ratio(num, den)
	}
	var s float64
	for k := 1; k < m; k++ {
		r := acf(k)
		s += r * r
	}
	lim := 1.645 * math.Sqrt((1+2*s)/float64(n))
	return math.Abs(acf(m)) > lim
}

// seasonalIndices estimates classical decomposition indices against a
// centred moving average, indexed by absolute period mod m. They are
// multiplicative when the data are positive, additive otherwise (zeros
// make ratios meaningless).
func seasonalIndices(y []float64, m, start int) ([]float64, bool, bool) {
	n := len(y)
	mult := true
	for _, v := range y {
		if v <= 0 {
			mult = false
			break
		}
	}
	// Centred moving average of length m (2×m when m is even).
	cma := make([]float64, n)
	for i := range cma {
		cma[i] = math.NaN()
	}
	half := m / 2
	for t := half; t+half < n; t++ {
		var s, w float64
		for j := -half; j <= half; j++ {
			wt := 1.0
			if m%2 == 0 && (j == -half || j == half) {
				wt = 0.5
			}
			if v := y[t+j]; !math.IsNaN(v) {
				s += wt * v
				w += wt
			}
		}
		if w > 0 {
			cma[t] = s / w
		}
	}
	idx := make([]float64, m)
	cnt := make([]float64, m)
	for t := range y {
		if math.IsNaN(y[t]) || math.IsNaN(cma[t]) {
			continue
		}
		j := (start + t) % m
		if mult {
			if cma[t] <= 0 {
				continue
			}
			idx[j] += y[t] / cma[t]
		} else {
			idx[j] += y[t] - cma[t]
		}
		cnt[j]++
	}
	var tot float64
	for j := range idx {
		if cnt[j] == 0 {
			return nil, false, false
		}
		idx[j] /= cnt[j]
		tot += idx[j]
	}
	for j := range idx {
		if mult {
			idx[j] *= float64(m) / tot
			if idx[j] <= 0 {
				return nil, false, false
			}
		} else {
			idx[j] -= tot / float64(m)
		}
	}
	return idx, mult, true
}
