package forecast

import (
	"fmt"
	"math"
	"strings"
)

// DefaultFitWindow is how many of the latest periods the smoothing models
// are fitted on. Two years of daily data hold plenty of weekly seasons;
// older data mostly slows the fit down.
const DefaultFitWindow = 730

// ETS is one exponential smoothing state space model (Hyndman et al.,
// 2008) named by its error, trend and season: "ANN" is simple exponential
// smoothing, "AAdN" Holt's damped trend, "AAA" additive Holt-Winters, "AAM"
// multiplicative Holt-Winters (additive error), "MNM" and so on. The
// smoothing constants (and damping) are fitted by maximum likelihood on
// the last FitWindow periods; Alpha > 0 fixes alpha instead.
type ETS struct {
	Spec      string
	Alpha     float64
	FitWindow int
	label     string
}

// Name returns the model's name ("ses", "holt"…, or "ets(AAdA)").
func (m *ETS) Name() string {
	if m.label != "" {
		if m.Alpha > 0 {
			return fmt.Sprintf("%s:%g", m.label, m.Alpha)
		}
		return m.label
	}
	return "ets(" + m.Spec + ")"
}

// etsSpec is a parsed model name.
type etsSpec struct {
	errM   bool // multiplicative error
	trend  byte // 'N', 'A' or 'D' (damped)
	season byte // 'N', 'A', 'M'
}

func parseSpec(s string) (etsSpec, error) {
	var sp etsSpec
	if len(s) < 3 {
		return sp, fmt.Errorf("ets: bad spec %q", s)
	}
	switch s[0] {
	case 'A':
	case 'M':
		sp.errM = true
	default:
		return sp, fmt.Errorf("ets: bad error %q in %q", s[0], s)
	}
	mid := s[1 : len(s)-1]
	switch mid {
	case "N", "A":
		sp.trend = mid[0]
	case "Ad":
		sp.trend = 'D'
	default:
		return sp, fmt.Errorf("ets: bad trend %q in %q", mid, s)
	}
	switch c := s[len(s)-1]; c {
	case 'N', 'A', 'M':
		sp.season = c
	default:
		return sp, fmt.Errorf("ets: bad season %q in %q", c, s)
	}
	return sp, nil
}

func (sp etsSpec) String() string {
	var b strings.Builder
	if sp.errM {
		b.WriteByte('M')
	} else {
		b.WriteByte('A')
	}
	switch sp.trend {
	case 'D':
		b.WriteString("Ad")
	default:
		b.WriteByte(sp.trend)
	}
	b.WriteByte(sp.season)
	return b.String()
}

// etsPar are the smoothing parameters and initial states.
type etsPar struct {
	alpha, beta, gamma, phi float64
	l0, b0                  float64
	s0                      []float64 // indexed by absolute period mod m
}

// etsFit is a fitted ETS model.
type etsFit struct {
	spec  etsSpec
	name  string
	m     int
	par   etsPar
	start int // absolute period index the filter starts at
	sigma float64
	n     int     // observations used
	aicc  float64 // of the fit
	k     int     // number of estimated parameters
}

// Fit estimates the parameters, returning an error when the model does not
// apply (too short a history for its season, non-positive data for a
// multiplicative component).
func (m *ETS) Fit(h *History) (Fitted, error) {
	if h.cache != nil {
		if f, ok := h.cache[m.cacheKey()]; ok {
			return f, nil
		}
	}
	f, err := fitETS(h, m.Spec, m.Alpha, m.FitWindow)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name(), err)
	}
	f.name = m.Name()
	if h.cache != nil {
		h.cache[m.cacheKey()] = f
	}
	return f, nil
}

func (m *ETS) cacheKey() string { return fmt.Sprintf("ets/%s/%g/%d", m.Spec, m.Alpha, m.FitWindow) }

func fitETS(h *History, spec string, fixedAlpha float64, window int) (*etsFit, error) {
	sp, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	if window <= 0 {
		window = DefaultFitWindow
	}
	y := h.Y
	off := 0
	if len(y) > window {
		off = len(y) - window
		y = y[off:]
	}
	mSeason := 1
	if sp.season != 'N' {
		mSeason = h.Season
		if mSeason < 2 {
			return nil, fmt.Errorf("no season for %s data", h.Series.Freq)
		}
	}
	nObs := 0
	allPos := true
	var sum float64
	for _, v := range y {
		if !math.IsNaN(v) {
			nObs++
			sum += v
			if v <= 0 {
				allPos = false
			}
		}
	}
	minObs := 3
	if sp.trend != 'N' {
		minObs = 6
	}
	if sp.season != 'N' {
		minObs = 2*mSeason + 2
	}
	if nObs < minObs || len(y) < minObs {
		return nil, fmt.Errorf("%d observations, need %d", nObs, minObs)
	}
	if sp.errM && !allPos {
		return nil, fmt.Errorf("multiplicative error needs positive data")
	}
	if sp.season == 'M' && !(sum > 0) {
		return nil, fmt.Errorf("multiplicative season needs a positive level")
	}
	start := h.T0 + off
	par, err := initStates(y, sp, mSeason, start)
	if err != nil {
		return nil, err
	}
	f := &etsFit{spec: sp, m: mSeason, par: par, start: start}

	// Parameters to optimise, mapped from the unit cube: alpha, then
	// beta = alpha·u, gamma = (1−alpha)·v, phi in [0.8, 0.98].
	var dims []string
	if fixedAlpha <= 0 {
		dims = append(dims, "alpha")
	} else {
		f.par.alpha = math.Min(1, fixedAlpha)
	}
	if sp.trend != 'N' {
		dims = append(dims, "beta")
	}
	if sp.season != 'N' {
		dims = append(dims, "gamma")
	}
	if sp.trend == 'D' {
		dims = append(dims, "phi")
	}
	apply := func(x []float64, p *etsPar) {
		p.phi = 1
		u, v := 0.0, 0.0
		for i, d := range dims {
			t := x[i]
			switch d {
			case "alpha":
				p.alpha = 1e-4 + (0.9999-1e-4)*t
			case "beta":
				u = t
			case "gamma":
				v = t
			case "phi":
				p.phi = 0.8 + 0.18*t
			}
		}
		p.beta = p.alpha * u
		p.gamma = (1 - p.alpha) * v
	}
	if len(dims) > 0 {
		x0 := make([]float64, len(dims))
		for i, d := range dims {
			switch d {
			case "alpha":
				x0[i] = 0.1
			case "beta", "gamma":
				x0[i] = 0.1
			case "phi":
				x0[i] = 0.8
			}
		}
		p := f.par
		p.s0 = f.par.s0
		obj := func(x []float64) float64 {
			for _, t := range x {
				if t < 0 || t > 1 {
					return math.Inf(1)
				}
			}
			apply(x, &p)
			r := etsFilter(y, sp, mSeason, start, &p, nil)
			return r.lik
		}
		best := nelderMead(obj, x0, 0.15, 30+40*len(dims), 1e-7)
		apply(best, &f.par)
	} else {
		f.par.phi = 1
	}
	r := etsFilter(y, sp, mSeason, start, &f.par, nil)
	if math.IsInf(r.lik, 1) || math.IsNaN(r.lik) {
		return nil, fmt.Errorf("no stable fit")
	}
	f.n = r.n
	f.sigma = math.Sqrt(r.sse / float64(max(1, r.n)))
	f.k = len(dims) + 1 + 1 // parameters, initial level, sigma
	if sp.trend != 'N' {
		f.k++
	}
	if sp.season != 'N' {
		f.k += mSeason - 1
	}
	// −2 log L of the Gaussian likelihood, with the Jacobian term for a
	// multiplicative error, so additive and multiplicative fits compare.
	n := float64(r.n)
	m2ll := n*(math.Log(2*math.Pi*r.sse/n)+1) + 2*r.logMu
	k := float64(f.k)
	f.aicc = m2ll + 2*k
	if n-k-1 > 0 {
		f.aicc += 2 * k * (k + 1) / (n - k - 1)
	} else {
		f.aicc = math.Inf(1)
	}
	return f, nil
}

// initStates gives the heuristic initial level, trend and seasonal states
// from the first seasons of y (which starts at absolute period start).
func initStates(y []float64, sp etsSpec, m, start int) (etsPar, error) {
	var p etsPar
	p.phi = 1
	span := len(y)
	if sp.season != 'N' {
		span = min(len(y), 4*m)
	} else {
		span = min(len(y), 28)
	}
	// A regression line over the first span periods gives level and slope.
	var sx, sy, sxx, sxy, n float64
	for t := range span {
		if v := y[t]; !math.IsNaN(v) {
			x := float64(t)
			sx += x
			sy += v
			sxx += x * x
			sxy += x * v
			n++
		}
	}
	if n == 0 {
		return p, fmt.Errorf("no observation to start from")
	}
	slope := 0.0
	if d := n*sxx - sx*sx; n > 2 && d > 0 {
		slope = (n*sxy - sx*sy) / d
	}
	mean := sy / n
	p.l0 = mean - slope*(sx/n) // level at t = 0
	if sp.trend != 'N' {
		p.b0 = slope
	} else {
		p.l0 = mean
	}
	if sp.season == 'N' {
		return p, nil
	}
	p.s0 = make([]float64, m)
	cnt := make([]float64, m)
	for t := range span {
		v := y[t]
		if math.IsNaN(v) {
			continue
		}
		trend := p.l0 + p.b0*float64(t)
		if sp.trend == 'N' {
			trend = mean
		}
		j := (start + t) % m
		if sp.season == 'A' {
			p.s0[j] += v - trend
		} else {
			if trend <= 0 {
				trend = mean
			}
			p.s0[j] += v / trend
		}
		cnt[j]++
	}
	var tot float64
	for j := range p.s0 {
		if cnt[j] > 0 {
			p.s0[j] /= cnt[j]
		} else if sp.season == 'M' {
			p.s0[j] = 1
		}
		tot += p.s0[j]
	}
	if sp.season == 'A' {
		for j := range p.s0 {
			p.s0[j] -= tot / float64(m)
		}
	} else {
		if tot <= 0 {
			return p, fmt.Errorf("multiplicative season needs positive data")
		}
		for j := range p.s0 {
			p.s0[j] = math.Max(0.01, p.s0[j]*float64(m)/tot)
		}
	}
	if sp.trend == 'N' {
		p.l0 = mean
	}
	return p, nil
}

type etsRun struct {
	lik   float64 // concentrated −2 log likelihood up to a constant
	sse   float64 // of the (relative, for M error) one-step errors
	logMu float64 // Σ log|μ| for multiplicative error
	n     int
	l, b  float64
	s     []float64
}

// etsFilter runs the model over y (starting at absolute period start) and
// returns the fit criterion and the final states. Missing values leave the
// states to evolve without correction. s, when non-nil, receives the final
// seasonal states.
func etsFilter(y []float64, sp etsSpec, m, start int, p *etsPar, sOut []float64) etsRun {
	// The seasonal states go to the result, so they live on the heap:
	// allocate them only for seasonal models (the optimiser runs the
	// filter hundreds of times a series).
	var s []float64
	if sp.season != 'N' {
		if sOut != nil {
			s = sOut
		} else {
			s = make([]float64, m)
		}
		copy(s, p.s0)
	}
	l, b := p.l0, p.b0
	phi := p.phi
	if sp.trend == 'N' {
		b, phi = 0, 0
	}
	a, be, g := p.alpha, p.beta, p.gamma
	var sse, logMu float64
	// Σ log μ as the log of a running product, folded before it can
	// overflow: one log per many steps instead of one per step.
	prodMu := 1.0
	n := 0
	j := start % m
	if m == 1 {
		j = 0
	}
	for _, v := range y {
		lb := l + phi*b
		var sv float64
		mu := lb
		switch sp.season {
		case 'A':
			sv = s[j]
			mu = lb + sv
		case 'M':
			sv = s[j]
			mu = lb * sv
		}
		if math.IsNaN(v) {
			l, b = lb, phi*b
		} else if !sp.errM {
			e := v - mu
			sse += e * e
			n++
			switch sp.season {
			case 'N':
				l = lb + a*e
				b = phi*b + be*e
			case 'A':
				l = lb + a*e
				b = phi*b + be*e
				s[j] = sv + g*e
			case 'M':
				if sv <= 0 || lb <= 0 {
					return etsRun{lik: math.Inf(1)}
				}
				l = lb + a*e/sv
				b = phi*b + be*e/sv
				s[j] = sv + g*e/lb
			}
		} else {
			if mu <= 0 {
				return etsRun{lik: math.Inf(1)}
			}
			e := (v - mu) / mu
			sse += e * e
			prodMu *= mu
			if prodMu > 1e150 || prodMu < 1e-150 {
				logMu += math.Log(prodMu)
				prodMu = 1
			}
			n++
			switch sp.season {
			case 'N':
				l = lb * (1 + a*e)
				b = phi*b + be*lb*e
			case 'A':
				l = lb + a*mu*e
				b = phi*b + be*mu*e
				s[j] = sv + g*mu*e
			case 'M':
				l = lb * (1 + a*e)
				b = phi*b + be*lb*e
				s[j] = sv * (1 + g*e)
			}
		}
		if math.IsNaN(l) || math.IsInf(l, 0) || math.Abs(l) > 1e12 {
			return etsRun{lik: math.Inf(1)}
		}
		j++
		if j == m {
			j = 0
		}
	}
	if n == 0 {
		return etsRun{lik: math.Inf(1)}
	}
	logMu += math.Log(prodMu)
	lik := float64(n)*math.Log(math.Max(sse, 1e-300)/float64(n)) + 2*logMu
	return etsRun{lik: lik, sse: sse, logMu: logMu, n: n, l: l, b: b, s: s}
}

// Params reports the fitted constants.
func (f *etsFit) Params() string {
	kv := []any{"spec", f.spec.String(), "alpha", f.par.alpha}
	if f.spec.trend != 'N' {
		kv = append(kv, "beta", f.par.beta)
	}
	if f.spec.season != 'N' {
		kv = append(kv, "gamma", f.par.gamma)
	}
	if f.spec.trend == 'D' {
		kv = append(kv, "phi", f.par.phi)
	}
	kv = append(kv, "sigma", f.sigma)
	return fmtParams(kv...)
}

// Predict runs the filter with the fitted parameters to the end of hist and
// extrapolates. Additive-error models with no or additive season carry
// their Gaussian predictive distribution; the others leave it to the runner.
func (f *etsFit) Predict(hist *History, h int) Prediction {
	off := f.start - hist.T0
	if off < 0 || off >= len(hist.Y) {
		return Prediction{Mean: constMean(recentMean(hist.Y, 28), h)}
	}
	y := hist.Y[off:]
	var s []float64
	if f.spec.season != 'N' {
		s = make([]float64, f.m)
	}
	r := etsFilter(y, f.spec, f.m, f.start, &f.par, s)
	mean := make([]float64, h)
	raw := make([]float64, h)
	if math.IsInf(r.lik, 1) {
		v := recentMean(hist.Y, 28)
		for i := range mean {
			mean[i] = v
		}
		return Prediction{Mean: mean}
	}
	end := f.start + len(y) // absolute index of the first forecast period
	phi := f.par.phi
	if f.spec.trend == 'N' {
		phi = 0
	}
	phiSum := 0.0
	pw := 1.0
	for k := range h {
		pw *= phi
		if f.spec.trend == 'A' {
			phiSum = float64(k + 1)
		} else {
			phiSum += pw
		}
		mu := r.l + phiSum*r.b
		if f.spec.trend == 'N' {
			mu = r.l
		}
		switch f.spec.season {
		case 'A':
			mu += s[(end+k)%f.m]
		case 'M':
			mu *= s[(end+k)%f.m]
		}
		raw[k] = mu
		mean[k] = math.Max(0, mu)
	}
	if f.spec.errM || f.spec.season == 'M' {
		return Prediction{Mean: mean}
	}
	// Class 1 variance: σ²(1 + Σ_{j<k} c_j²), c_j = α + β·φ_j + γ·[j ≡ 0 mod m].
	dists := make([]Dist, h)
	var acc float64
	phiSum, pw = 0, 1
	for k := range h {
		// Mean uses the unclamped level so the distribution, not the point,
		// carries the mass at zero.
		v := f.sigma * f.sigma * (1 + acc)
		dists[k] = Normal{Mu: raw[k], Sigma: math.Sqrt(v)}
		j := k + 1
		pw *= phi
		if f.spec.trend == 'A' {
			phiSum = float64(j)
		} else {
			phiSum += pw
		}
		c := f.par.alpha
		if f.spec.trend != 'N' {
			c += f.par.beta * phiSum
		}
		if f.spec.season == 'A' && j%f.m == 0 {
			c += f.par.gamma
		}
		acc += c * c
	}
	return Prediction{Mean: mean, Dists: dists}
}

// AutoETS fits a family of ETS models and keeps the one with the lowest
// AICc. Multiplicative errors are tried only on strictly positive data.
type AutoETS struct{ FitWindow int }

// Name returns "ets".
func (AutoETS) Name() string { return "ets" }

// Fit tries the family and keeps the best by AICc.
func (a AutoETS) Fit(h *History) (Fitted, error) {
	specs := []string{"ANN", "AAdN", "ANA", "AAdA", "ANM", "AAdM"}
	pos := true
	for _, v := range h.Y[max(0, len(h.Y)-windowOr(a.FitWindow)):] {
		if v <= 0 {
			pos = false
			break
		}
	}
	if pos {
		specs = append(specs, "MNN", "MAdN", "MNA", "MNM", "MAdM")
	}
	var best *etsFit
	for _, sp := range specs {
		m := &ETS{Spec: sp, FitWindow: a.FitWindow}
		// Share fits with the named models when they are the same model.
		switch sp {
		case "ANN":
			m.label = "ses"
		case "AAdN":
			m.label = "holt"
		}
		f, err := m.Fit(h)
		if err != nil {
			continue
		}
		ef := f.(*etsFit)
		if best == nil || ef.aicc < best.aicc {
			best = ef
		}
	}
	if best == nil {
		return nil, fmt.Errorf("ets: no member of the family could be fitted")
	}
	c := *best
	c.name = "ets"
	return &c, nil
}

func windowOr(w int) int {
	if w <= 0 {
		return DefaultFitWindow
	}
	return w
}

// nelderMead minimises f from x0 with initial step size step.
func nelderMead(f func([]float64) float64, x0 []float64, step float64, maxEval int, tol float64) []float64 {
	n := len(x0)
	pts := make([][]float64, n+1)
	vals := make([]float64, n+1)
	for i := range pts {
		p := make([]float64, n)
		copy(p, x0)
		if i > 0 {
			if p[i-1]+step <= 1 {
				p[i-1] += step
			} else {
				p[i-1] -= step
			}
		}
		pts[i] = p
		vals[i] = f(p)
	}
	evals := n + 1
	cen := make([]float64, n)
	xr := make([]float64, n)
	xe := make([]float64, n)
	xc := make([]float64, n)
	for evals < maxEval {
		// Order: best first.
		for i := 1; i <= n; i++ {
			for j := i; j > 0 && vals[j] < vals[j-1]; j-- {
				vals[j], vals[j-1] = vals[j-1], vals[j]
				pts[j], pts[j-1] = pts[j-1], pts[j]
			}
		}
		if math.Abs(vals[n]-vals[0]) <= tol*(math.Abs(vals[0])+tol) {
			break
		}
		clear(cen)
		for i := range n {
			for d := range n {
				cen[d] += pts[i][d] / float64(n)
			}
		}
		for d := range n {
			xr[d] = cen[d] + (cen[d] - pts[n][d])
		}
		fr := f(xr)
		evals++
		switch {
		case fr < vals[0]:
			for d := range n {
				xe[d] = cen[d] + 2*(cen[d]-pts[n][d])
			}
			fe := f(xe)
			evals++
			if fe < fr {
				copy(pts[n], xe)
				vals[n] = fe
			} else {
				copy(pts[n], xr)
				vals[n] = fr
			}
		case fr < vals[n-1]:
			copy(pts[n], xr)
			vals[n] = fr
		default:
			if fr < vals[n] {
				for d := range n {
					xc[d] = cen[d] + 0.5*(xr[d]-cen[d])
				}
			} else {
				for d := range n {
					xc[d] = cen[d] + 0.5*(pts[n][d]-cen[d])
				}
			}
			fc := f(xc)
			evals++
			if fc < math.Min(fr, vals[n]) {
				copy(pts[n], xc)
				vals[n] = fc
			} else {
				for i := 1; i <= n; i++ {
					for d := range n {
						pts[i][d] = pts[0][d] + 0.5*(pts[i][d]-pts[0][d])
					}
					vals[i] = f(pts[i])
					evals++
				}
			}
		}
	}
	bi := 0
	for i := range vals {
		if vals[i] < vals[bi] {
			bi = i
		}
	}
	return pts[bi]
}
