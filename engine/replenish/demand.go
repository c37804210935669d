package replenish

import (
	"errors"
	"math"

	"stockroom/engine/forecast"
)

// LeadTimeDist turns a supplier's lead time (mean and standard deviation
// in days) into a discrete distribution over whole days: a normal
// distribution rounded to the nearest day, cut at ±4 standard deviations,
// with the mass below one day moved to one day (an order placed today is
// not on the shelf today).
func LeadTimeDist(mean, sd float64) forecast.LeadTime {
	mean = math.Max(0, mean)
	if sd <= 0 || math.IsNaN(sd) {
		return forecast.FixedLeadTime(max(1, int(math.Round(mean))))
	}
	lo := max(1, int(math.Floor(mean-4*sd)))
	hi := max(lo, int(math.Ceil(mean+4*sd)))
	var lt forecast.LeadTime
	for k := lo; k <= hi; k++ {
		a, b := normCDF((float64(k)-0.5-mean)/sd), normCDF((float64(k)+0.5-mean)/sd)
		if k == lo {
			a = 0
		}
		if k == hi {
			b = 1
		}
		if b-a > 1e-9 {
			lt.Periods = append(lt.Periods, k)
			lt.Prob = append(lt.Prob, b-a)
		}
	}
	return lt
}

// EffectiveLeadTime is the lead time a policy should plan with when each
// order's lead time is drawn on its own and an order carries orderDays of
// demand. The units still outstanding at a given day are, order by order,
// those whose lead time has not yet run out; with an order every day
// their variance from lead-time randomness is μ²·Σₘ P(L ≥ m)·P(L < m)
// rather than μ²·Var(L) for a single order (about 1.1 instead of 4 for
// 7 ± 2 days). Orders carrying g days of demand give about g times that,
// never more than Var(L). The result has the same mean and that variance.
func EffectiveLeadTime(lt forecast.LeadTime, orderDays float64) forecast.LeadTime {
	mean, sd := ltMoments(lt)
	if sd <= 0 || len(lt.Periods) < 2 {
		return lt
	}
	maxK := 0
	for _, k := range lt.Periods {
		maxK = max(maxK, k)
	}
	var tot float64
	for _, p := range lt.Prob {
		tot += p
	}
	var c float64
	for m := 1; m <= maxK; m++ {
		var ge float64 // P(L ≥ m)
		for i, k := range lt.Periods {
			if k >= m {
				ge += lt.Prob[i] / tot
			}
		}
		c += ge * (1 - ge)
	}
	v := math.Min(math.Max(orderDays, 1)*c, sd*sd)
	return scaleLeadTime(lt, mean, math.Sqrt(v)/sd)
}

// scaleLeadTime shrinks a lead time distribution around its mean by f,
// keeping whole days: each day's mass is split between the two whole days
// around its scaled position so the mean stays exact.
func scaleLeadTime(lt forecast.LeadTime, mean, f float64) forecast.LeadTime {
	if f >= 1 {
		return lt
	}
	mass := map[int]float64{}
	lo, hi := math.MaxInt, 0
	for i, k := range lt.Periods {
		x := mean + (float64(k)-mean)*f
		a := int(math.Floor(x))
		w := x - float64(a)
		mass[a] += lt.Prob[i] * (1 - w)
		mass[a+1] += lt.Prob[i] * w
		lo, hi = min(lo, a), max(hi, a+1)
	}
	var out forecast.LeadTime
	for k := lo; k <= hi; k++ {
		if m := mass[k]; m > 1e-12 {
			out.Periods = append(out.Periods, k)
			out.Prob = append(out.Prob, m)
		}
	}
	return out
}

// ltMoments returns the mean and variance of a lead time distribution.
func ltMoments(lt forecast.LeadTime) (mean, sd float64) {
	var s, m, m2 float64
	for i, k := range lt.Periods {
		p := lt.Prob[i]
		s += p
		m += p * float64(k)
		m2 += p * float64(k) * float64(k)
	}
	if s <= 0 {
		return 0, 0
	}
	m /= s
	return m, math.Sqrt(math.Max(0, m2/s-m*m))
}

// Demand is the distribution of demand summed over a random number of
// days (the lead time, plus the review period): a mixture over the lead
// time's days of distributions fitted to the sum's mean and variance. The
// sum over k days of the forecast's daily distributions has mean Σμ and
// variance Σσ² + ρ·((Σσ)² − Σσ²), ρ being the forecast's error
// correlation across days (forecast.Result.Rho), so a level error shared
// by every day widens the sum the way forecast.SumDist's Gaussian copula
// does. Count forecasts are fitted with a negative binomial (Poisson when
// not overdispersed), Gaussian forecasts with a normal. Quantiles are
// never added: the combination happens on means and variances, and
// quantiles, loss functions and service levels come from the fitted sum.
//
// It replaces simulation (forecast.SumDist) where speed matters: planning
// 100,000 item×locations and replaying years of history take the same
// numbers in microseconds instead of milliseconds. The tests check it
// against SumDist.
type Demand struct {
	mean, vr float64
	// Discrete: pmf over 0..len(pmf)-1 of the mixture (the tail beyond
	// is below 1e-12); cdf and loss derived from it.
	pmf, cdf, loss []float64
	// Continuous: the mixture's normal components.
	w, mu, sd []float64
}

// Mean is the expected demand.
func (d *Demand) Mean() float64 { return d.mean }

// SD is the standard deviation of demand.
func (d *Demand) SD() float64 { return math.Sqrt(d.vr) }

// Discrete reports whether the demand is a count distribution.
func (d *Demand) Discrete() bool { return d.pmf != nil }

// CDF returns P(demand ≤ x).
func (d *Demand) CDF(x float64) float64 {
	if d.pmf != nil {
		if x < 0 {
			return 0
		}
		i := int(math.Floor(x))
		if i >= len(d.cdf) {
			return 1
		}
		return d.cdf[i]
	}
	var c float64
	for i, w := range d.w {
		if d.sd[i] <= 0 {
			if x >= d.mu[i] {
				c += w
			}
			continue
		}
		c += w * normCDF((x-d.mu[i])/d.sd[i])
	}
	return c
}

// Loss returns the expected shortage E[(demand − x)⁺] for x ≥ 0: the units
// short when the stock at the start is x.
func (d *Demand) Loss(x float64) float64 {
	if x < 0 {
		return d.mean - x
	}
	if d.pmf != nil {
		i := int(math.Floor(x))
		if i >= len(d.loss)-1 {
			return 0
		}
		// Linear between integers: exact at integers, where the policy
		// works.
		f := x - float64(i)
		return d.loss[i]*(1-f) + d.loss[i+1]*f
	}
	var g float64
	for i, w := range d.w {
		s := d.sd[i]
		if s <= 0 {
			g += w * math.Max(0, d.mu[i]-x)
			continue
		}
		z := (x - d.mu[i]) / s
		g += w * s * (normPDF(z) - z*(1-normCDF(z)))
	}
	return g
}

// Quantile returns the smallest x with CDF(x) ≥ p (a whole number for
// count demand).
func (d *Demand) Quantile(p float64) float64 {
	if p <= 0 {
		return 0
	}
	if d.pmf != nil {
		lo, hi := 0, len(d.cdf)-1
		if d.cdf[hi] < p {
			return float64(hi)
		}
		for lo < hi {
			m := (lo + hi) / 2
			if d.cdf[m] >= p {
				hi = m
			} else {
				lo = m + 1
			}
		}
		return float64(lo)
	}
	lo, hi := 0.0, d.mean+12*math.Sqrt(d.vr)+1
	for hi-lo > 1e-6*(1+hi) {
		m := (lo + hi) / 2
		if d.CDF(m) >= p {
			hi = m
		} else {
			lo = m
		}
	}
	return hi
}

// stepMoments are prefix sums over the forecast days: mean, standard
// deviation and variance of demand over the first k days.
type stepMoments struct {
	m, s1, s2  []float64 // length n+1
	normal     bool      // every day is Gaussian
	minVar     []float64 // Forecast.MinVar
	maxVar     []float64 // Forecast.MaxVar
	replaceVar bool
}

func newStepMoments(f Forecast, n int) (*stepMoments, error) {
	if len(f.Days) == 0 {
		return nil, errors.New("demand: no forecast days")
	}
	sm := &stepMoments{m: make([]float64, n+1), s1: make([]float64, n+1), s2: make([]float64, n+1), normal: true}
	var prev forecast.Dist
	var mu, v float64
	for j := range n {
		i := min(j, len(f.Days)-1)
		d := f.Days[i]
		switch {
		case f.mean != nil:
			mu, v = f.mean[i], f.vr[i]
			sm.normal = sm.normal && f.normal[i]
		case j == 0 || !sameDist(d, prev):
			// Flat forecasts repeat one value; Empirical's moments cost a
			// pass over its residuals, so reuse them.
			mu, v = d.Mean(), d.Var()
			if _, ok := d.(forecast.Normal); !ok {
				sm.normal = false
			}
			prev = d
		}
		mu, v = math.Max(0, mu), math.Max(0, v)
		if math.IsNaN(mu) || math.IsInf(mu, 0) || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("demand: the forecast has a non-finite mean or variance")
		}
		sd := math.Sqrt(v)
		sm.m[j+1] = sm.m[j] + mu
		sm.s1[j+1] = sm.s1[j] + sd
		sm.s2[j+1] = sm.s2[j] + v
	}
	return sm, nil
}

func sameDist(a, b forecast.Dist) bool {
	switch x := a.(type) {
	case forecast.NegBin:
		y, ok := b.(forecast.NegBin)
		return ok && x == y
	case forecast.Normal:
		y, ok := b.(forecast.Normal)
		return ok && x == y
	}
	return false
}

// sum returns the mean and variance of demand over days [a, b).
func (sm *stepMoments) sum(a, b int, rho float64) (float64, float64) {
	m := sm.m[b] - sm.m[a]
	s1 := sm.s1[b] - sm.s1[a]
	s2 := sm.s2[b] - sm.s2[a]
	v := s2 + rho*math.Max(0, s1*s1-s2)
	if k := b - a; k < len(sm.minVar) {
		if sm.replaceVar {
			v = sm.minVar[k]
		} else {
			v = math.Max(v, sm.minVar[k])
		}
	}
	if k := b - a; k < len(sm.maxVar) && sm.maxVar[k] > 0 {
		v = math.Min(v, sm.maxVar[k])
	}
	return m, v
}

// normalMin is the mean above which Gaussian daily forecasts are summed
// as a normal; below it the count fit is closer (demand is whole units).
const normalMin = 20

// bigDiscrete is the mean above which even count demand is summed as a
// normal, to bound the pmf arrays.
const bigDiscrete = 50000

// newDemand fits demand over the first k+extra days for k drawn from lt,
// with the first k days' demand scaled by scale (1: as forecast; see
// Policy.LostSales).
func newDemand(sm *stepMoments, rho float64, lt forecast.LeadTime, extra int, scale float64) *Demand {
	var tot float64
	for _, p := range lt.Prob {
		tot += p
	}
	d := &Demand{}
	var e2 float64
	ms := make([]float64, len(lt.Periods))
	vs := make([]float64, len(lt.Periods))
	for i, k := range lt.Periods {
		k = min(k, len(sm.m)-1)
		n := min(k+extra, len(sm.m)-1)
		ms[i], vs[i] = sm.sum(0, n, rho)
		if scale != 1 {
			ma, va := sm.sum(0, k, rho)
			mb, vb := sm.sum(k, n, rho)
			cov := (vs[i] - va - vb) / 2
			ms[i] = scale*ma + mb
			vs[i] = math.Max(0, scale*scale*va+vb+2*scale*cov)
		}
		p := lt.Prob[i] / tot
		d.mean += p * ms[i]
		e2 += p * (vs[i] + ms[i]*ms[i])
	}
	d.vr = math.Max(0, e2-d.mean*d.mean)
	if (sm.normal && d.mean >= normalMin) || d.mean > bigDiscrete {
		for i := range lt.Periods {
			d.w = append(d.w, lt.Prob[i]/tot)
			d.mu = append(d.mu, ms[i])
			d.sd = append(d.sd, math.Sqrt(vs[i]))
		}
		return d
	}
	// The mixture's support: far enough that the tail is negligible.
	hi := 0
	for i := range ms {
		hi = max(hi, int(ms[i]+12*math.Sqrt(vs[i])+12))
	}
	d.pmf = make([]float64, hi+1)
	for i := range lt.Periods {
		addCount(d.pmf, ms[i], vs[i], lt.Prob[i]/tot)
	}
	d.cdf = make([]float64, len(d.pmf))
	var c float64
	for i, p := range d.pmf {
		c += p
		d.cdf[i] = math.Min(1, c)
	}
	// loss[x] = E[(D−x)⁺]; loss[x+1] = loss[x] − P(D > x).
	d.loss = make([]float64, len(d.pmf)+1)
	g := d.mean
	for x := range d.pmf {
		d.loss[x] = math.Max(0, g)
		g -= 1 - d.cdf[x]
	}
	d.loss[len(d.pmf)] = 0
	return d
}

// addCount adds w × (the count distribution with mean m and variance v) to
// pmf: negative binomial when overdispersed, else Poisson. It evaluates
// the log-pmf at the mode and walks outwards with the pmf ratios, so large
// means neither underflow nor cost a log-gamma per point.
func addCount(pmf []float64, m, v, w float64) {
	if m <= 1e-12 {
		pmf[0] += w
		return
	}
	poisson := v <= m*(1+1e-9)
	var r, q float64 // NegBin size and 1-p
	var lp func(k float64) float64
	if poisson {
		lp = func(k float64) float64 { return k*math.Log(m) - m - lgamma(k+1) }
	} else {
		r = m * m / (v - m)
		q = m / (r + m)
		lp = func(k float64) float64 {
			return lgamma(k+r) - lgamma(r) - lgamma(k+1) + r*math.Log(r/(r+m)) + k*math.Log(q)
		}
	}
	ratio := func(k int) float64 { // P(k+1)/P(k)
		if poisson {
			return m / float64(k+1)
		}
		return (float64(k) + r) / float64(k+1) * q
	}
	mode := 0
	if poisson {
		mode = int(math.Floor(m))
	} else if r > 1 {
		mode = int(math.Floor((r - 1) * q / (1 - q)))
	}
	mode = min(mode, len(pmf)-1)
	p0 := math.Exp(lp(float64(mode)))
	pmf[mode] += w * p0
	p := p0
	for k := mode; k+1 < len(pmf); k++ {
		p *= ratio(k)
		if p < 1e-17*p0 && float64(k) > m {
			break
		}
		pmf[k+1] += w * p
	}
	p = p0
	for k := mode - 1; k >= 0; k-- {
		p /= ratio(k)
		if p < 1e-17*p0 {
			break
		}
		pmf[k] += w * p
	}
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func normPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

func normQuantile(p float64) float64 {
	// Bisection on the CDF is plenty for the few calls made here.
	lo, hi := -40.0, 40.0
	for range 200 {
		m := (lo + hi) / 2
		if normCDF(m) < p {
			lo = m
		} else {
			hi = m
		}
		if hi-lo < 1e-12 {
			break
		}
	}
	return (lo + hi) / 2
}

// CapWindow and CapFactor are HistoryCap's look-back in days and the
// multiple of the history's variance it allows. The factor leaves room
// for a forecast to be less sure than a year's spread (a level that has
// just moved); on the M5 replay 1 cost a point of fill rate at 95% and
// 2 kept it while the stock fell by 40% (BENCHMARKS.md, Replenishment).
const (
	CapWindow = 365
	CapFactor = 2.0
)

// HistoryCap is Forecast.MaxVar from an item's daily sales (censored:
// days that ended out of stock): CapFactor times the variance of its
// sums over k consecutive days in the last CapWindow days, for k up to
// the longest lead time plus the review period of p. It returns nil when
// the policy is not valid.
func HistoryCap(y []float64, censored []bool, p Policy) []float64 {
	if p.Validate() != nil {
		return nil
	}
	maxK := 0
	for _, k := range p.LeadTime.Periods {
		maxK = max(maxK, k)
	}
	return historyCap(y, censored, maxK+p.ReviewDays)
}

func historyCap(y []float64, censored []bool, maxDays int) []float64 {
	v := SumVariance(y, censored, CapWindow, maxDays)
	for k := range v {
		v[k] *= CapFactor
	}
	return v
}

// SumVariance returns, for k = 0 … maxDays, the variance of demand summed
// over k consecutive days within the last window days of a history
// (overlapping windows; a window containing a missing or censored day is
// left out). Entries stay zero when fewer than two windows remain.
func SumVariance(y []float64, censored []bool, window, maxDays int) []float64 {
	n := len(y)
	from := max(0, n-window)
	// Prefix sums of values and of bad days.
	ps := make([]float64, n-from+1)
	bad := make([]int, n-from+1)
	for i := from; i < n; i++ {
		v, b := y[i], 0
		if math.IsNaN(v) || (censored != nil && censored[i]) {
			v, b = 0, 1
		}
		ps[i-from+1] = ps[i-from] + v
		bad[i-from+1] = bad[i-from] + b
	}
	out := make([]float64, maxDays+1)
	m := n - from
	for k := 1; k <= maxDays && k <= m; k++ {
		var s, s2 float64
		var c int
		for a := 0; a+k <= m; a++ {
			if bad[a+k] != bad[a] {
				continue
			}
			x := ps[a+k] - ps[a]
			s += x
			s2 += x * x
			c++
		}
		if c >= 2 {
			mean := s / float64(c)
			out[k] = math.Max(0, (s2-float64(c)*mean*mean)/float64(c-1))
		}
	}
	return out
}
