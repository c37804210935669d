package forecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Dist is the predictive distribution of demand in one period. Every
// implementation is non-negative and its quantile function is
// non-decreasing, so quantiles taken from it never cross. Dists are
// immutable and safe for concurrent use.
type Dist interface {
	// Mean is the expected demand.
	Mean() float64
	// Var is the variance of demand.
	Var() float64
	// Quantile returns the smallest x with CDF(x) ≥ p (interpolated for
	// continuous and empirical distributions), p in (0,1).
	Quantile(p float64) float64
	// CDF returns P(demand ≤ x).
	CDF(x float64) float64
	// Sample draws one value.
	Sample(r *rand.Rand) float64
}

// Normal is a normal distribution N(Mu, Sigma²) censored at zero: demand is
// max(0, X). Additive-error exponential smoothing models give it.
type Normal struct{ Mu, Sigma float64 }

// Mean is E[max(0,X)].
func (d Normal) Mean() float64 {
	if d.Sigma <= 0 {
		return math.Max(0, d.Mu)
	}
	a := d.Mu / d.Sigma
	return d.Mu*normCDF(a) + d.Sigma*normPDF(a)
}

// Var is Var[max(0,X)].
func (d Normal) Var() float64 {
	if d.Sigma <= 0 {
		return 0
	}
	a := d.Mu / d.Sigma
	m := d.Mean()
	e2 := (d.Mu*d.Mu+d.Sigma*d.Sigma)*normCDF(a) + d.Mu*d.Sigma*normPDF(a)
	return math.Max(0, e2-m*m)
}

// Quantile returns max(0, Mu + Sigma·Φ⁻¹(p)).
func (d Normal) Quantile(p float64) float64 {
	return math.Max(0, d.Mu+d.Sigma*normQuantile(p))
}

// CDF returns P(max(0,X) ≤ x).
func (d Normal) CDF(x float64) float64 {
	if x < 0 {
		return 0
	}
	if d.Sigma <= 0 {
		if x >= d.Mu {
			return 1
		}
		return 0
	}
	return normCDF((x - d.Mu) / d.Sigma)
}

// Sample draws max(0, X).
func (d Normal) Sample(r *rand.Rand) float64 { return math.Max(0, d.Mu+d.Sigma*r.NormFloat64()) }

// NegBin is a negative binomial count distribution with mean Mu and size
// (dispersion) Size: Var = Mu + Mu²/Size. Size = +Inf (or 0) gives a Poisson
// distribution. Intermittent and count series use it.
type NegBin struct{ Mu, Size float64 }

func (d NegBin) poisson() bool { return d.Size <= 0 || math.IsInf(d.Size, 1) || d.Size > 1e8 }

// Mean returns Mu.
func (d NegBin) Mean() float64 { return math.Max(0, d.Mu) }

// Var returns Mu + Mu²/Size.
func (d NegBin) Var() float64 {
	if d.poisson() {
		return d.Mean()
	}
	return d.Mu + d.Mu*d.Mu/d.Size
}

// bigMu is where the exact count sums give way to a normal approximation:
// the sum is O(Mu) per call.
const bigMu = 5000

// pmf0 returns P(0) and the ratio function P(k+1)/P(k).
func (d NegBin) pmf0() (float64, func(k int) float64) {
	mu := d.Mean()
	if d.poisson() {
		return math.Exp(-mu), func(k int) float64 { return mu / float64(k+1) }
	}
	r := d.Size
	q := mu / (r + mu) // 1 − p
	return math.Exp(r * math.Log(r/(r+mu))), func(k int) float64 { return (float64(k) + r) / float64(k+1) * q }
}

// Quantile returns the smallest integer k with CDF(k) ≥ p.
func (d NegBin) Quantile(p float64) float64 {
	mu := d.Mean()
	if mu <= 0 || p <= 0 {
		return 0
	}
	if mu > bigMu {
		return math.Max(0, math.Ceil(mu+math.Sqrt(d.Var())*normQuantile(p)-0.5))
	}
	pk, ratio := d.pmf0()
	c := pk
	k := 0
	// The tail guard stops the walk where the remaining mass is below
	// rounding, so p close to 1 cannot loop forever.
	limit := int(mu + 50*math.Sqrt(d.Var()) + 50)
	for c < p && k < limit {
		pk *= ratio(k)
		k++
		c += pk
	}
	return float64(k)
}

// quantiles fills out with the quantiles at ascending ps in one walk.
func (d NegBin) quantiles(ps, out []float64) {
	mu := d.Mean()
	if mu <= 0 {
		clear(out)
		return
	}
	if mu > bigMu {
		for i, p := range ps {
			out[i] = d.Quantile(p)
		}
		return
	}
	pk, ratio := d.pmf0()
	c := pk
	k := 0
	limit := int(mu + 50*math.Sqrt(d.Var()) + 50)
	for i, p := range ps {
		for c < p && k < limit {
			pk *= ratio(k)
			k++
			c += pk
		}
		out[i] = float64(k)
	}
}

// CDF returns P(N ≤ x).
func (d NegBin) CDF(x float64) float64 {
	if x < 0 {
		return 0
	}
	mu := d.Mean()
	if mu <= 0 {
		return 1
	}
	if mu > bigMu {
		return normCDF((math.Floor(x) + 0.5 - mu) / math.Sqrt(d.Var()))
	}
	n := int(math.Floor(x))
	pk, ratio := d.pmf0()
	c := pk
	for k := 0; k < n; k++ {
		pk *= ratio(k)
		c += pk
		if pk < 1e-300 && float64(k) > mu {
			break
		}
	}
	return math.Min(1, c)
}

// PMF returns P(N = k).
func (d NegBin) PMF(k int) float64 {
	if k < 0 {
		return 0
	}
	mu := d.Mean()
	if mu <= 0 {
		if k == 0 {
			return 1
		}
		return 0
	}
	if d.poisson() {
		return math.Exp(float64(k)*math.Log(mu) - mu - lgamma(float64(k)+1))
	}
	r := d.Size
	return math.Exp(lgamma(float64(k)+r) - lgamma(r) - lgamma(float64(k)+1) +
		r*math.Log(r/(r+mu)) + float64(k)*math.Log(mu/(r+mu)))
}

// Sample draws by inversion, so copula sampling and plain sampling agree.
func (d NegBin) Sample(r *rand.Rand) float64 { return d.Quantile(r.Float64()) }

// Empirical is a location-scale distribution built from standardised
// residuals: demand is max(0, Loc + Scale·z) with z drawn from Z (sorted).
// Models without a distribution of their own get one from their backtest
// residuals.
type Empirical struct {
	Loc, Scale float64
	Z          []float64 // sorted ascending, shared between steps
}

// Mean returns E[max(0, Loc + Scale·z)].
func (d Empirical) Mean() float64 {
	if len(d.Z) == 0 {
		return math.Max(0, d.Loc)
	}
	var s float64
	for _, z := range d.Z {
		s += math.Max(0, d.Loc+d.Scale*z)
	}
	return s / float64(len(d.Z))
}

// Var returns Var[max(0, Loc + Scale·z)].
func (d Empirical) Var() float64 {
	if len(d.Z) < 2 {
		return 0
	}
	m := d.Mean()
	var s float64
	for _, z := range d.Z {
		v := math.Max(0, d.Loc+d.Scale*z) - m
		s += v * v
	}
	return s / float64(len(d.Z))
}

// Quantile interpolates the residual quantile linearly (Hyndman–Fan type 7).
func (d Empirical) Quantile(p float64) float64 {
	return math.Max(0, d.Loc+d.Scale*sortedQuantile(d.Z, p))
}

// CDF inverts Quantile.
func (d Empirical) CDF(x float64) float64 {
	if x < 0 {
		return 0
	}
	n := len(d.Z)
	if n == 0 || d.Scale <= 0 {
		if x >= d.Loc {
			return 1
		}
		return 0
	}
	z := (x - d.Loc) / d.Scale
	if z < d.Z[0] {
		return 0
	}
	if z >= d.Z[n-1] || n == 1 {
		return 1
	}
	i, _ := slices.BinarySearch(d.Z, z)
	// d.Z[i-1] ≤ z < d.Z[i] after skipping ties.
	for i < n && d.Z[i] <= z {
		i++
	}
	lo, hi := d.Z[i-1], d.Z[i]
	f := 0.0
	if hi > lo {
		f = (z - lo) / (hi - lo)
	}
	return (float64(i-1) + f) / float64(n-1)
}

// Sample draws by inversion.
func (d Empirical) Sample(r *rand.Rand) float64 { return d.Quantile(r.Float64()) }

// Samples is the distribution of a set of simulated values (e.g. demand
// summed over a lead time). Quantiles are sample values (inverse empirical
// CDF), so sums of counts keep integer quantiles.
type Samples struct {
	X []float64 // sorted ascending
}

// NewSamples sorts x (in place) and wraps it.
func NewSamples(x []float64) Samples {
	slices.Sort(x)
	return Samples{X: x}
}

// Mean returns the sample mean.
func (d Samples) Mean() float64 {
	if len(d.X) == 0 {
		return 0
	}
	var s float64
	for _, v := range d.X {
		s += v
	}
	return s / float64(len(d.X))
}

// Var returns the sample variance (divisor n).
func (d Samples) Var() float64 {
	if len(d.X) < 2 {
		return 0
	}
	m := d.Mean()
	var s float64
	for _, v := range d.X {
		s += (v - m) * (v - m)
	}
	return s / float64(len(d.X))
}

// Quantile returns the smallest sample x with empirical CDF(x) ≥ p.
func (d Samples) Quantile(p float64) float64 {
	n := len(d.X)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(n))) - 1
	i = max(0, min(n-1, i))
	return d.X[i]
}

// CDF returns the fraction of samples ≤ x.
func (d Samples) CDF(x float64) float64 {
	if len(d.X) == 0 {
		return 1
	}
	i, found := slices.BinarySearch(d.X, x)
	for found && i < len(d.X) && d.X[i] == x {
		i++
	}
	return float64(i) / float64(len(d.X))
}

// Sample draws one of the samples.
func (d Samples) Sample(r *rand.Rand) float64 {
	if len(d.X) == 0 {
		return 0
	}
	return d.X[r.IntN(len(d.X))]
}

// Blend is the quantile average (Vincentisation) of several distributions:
// Q(p) = Σ wᵢ Qᵢ(p). A combination of the best few models is a Blend; its
// quantiles never cross because each member's do not.
type Blend struct {
	Parts   []Dist
	Weights []float64 // sum to 1
}

// Mean is the weighted mean of the parts' means (exact for quantile
// averaging).
func (d Blend) Mean() float64 {
	var s float64
	for i, p := range d.Parts {
		s += d.Weights[i] * p.Mean()
	}
	return s
}

// Quantile averages the parts' quantiles.
func (d Blend) Quantile(p float64) float64 {
	var s float64
	for i, q := range d.Parts {
		s += d.Weights[i] * q.Quantile(p)
	}
	return math.Max(0, s)
}

// CDF inverts Quantile by bisection.
func (d Blend) CDF(x float64) float64 {
	if x < 0 {
		return 0
	}
	lo, hi := 0.0, 1.0
	if d.Quantile(1e-9) > x {
		return 0
	}
	for range 40 {
		mid := (lo + hi) / 2
		if d.Quantile(mid) <= x {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// Var integrates the quantile function numerically.
func (d Blend) Var() float64 {
	const n = 200
	var s, s2 float64
	for i := range n {
		q := d.Quantile((float64(i) + 0.5) / n)
		s += q
		s2 += q * q
	}
	m := s / n
	return math.Max(0, s2/n-m*m)
}

// Sample draws by inversion.
func (d Blend) Sample(r *rand.Rand) float64 { return d.Quantile(r.Float64()) }

// Quantiles returns the quantiles of d at ps (any order), forced
// non-negative and non-decreasing in p.
func Quantiles(d Dist, ps []float64) []float64 {
	out := make([]float64, len(ps))
	quantilesInto(d, ps, out)
	return out
}

func quantilesInto(d Dist, ps, out []float64) {
	if nb, ok := d.(NegBin); ok && slices.IsSorted(ps) {
		nb.quantiles(ps, out)
	} else {
		for i, p := range ps {
			out[i] = d.Quantile(p)
		}
	}
	fixQuantiles(ps, out)
}

// fixQuantiles clamps at zero and makes quantiles non-decreasing in their
// levels, whatever order the levels come in.
func fixQuantiles(ps, q []float64) {
	for i := range q {
		if !(q[i] > 0) { // also catches NaN
			q[i] = 0
		}
	}
	if slices.IsSorted(ps) {
		for i := 1; i < len(q); i++ {
			q[i] = math.Max(q[i], q[i-1])
		}
		return
	}
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmpFloat(ps[a], ps[b]) })
	for j := 1; j < len(idx); j++ {
		q[idx[j]] = math.Max(q[idx[j]], q[idx[j-1]])
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// LeadTime is a discrete distribution of a lead time in periods.
type LeadTime struct {
	Periods []int     // each ≥ 0
	Prob    []float64 // same length; normalised when used
}

// FixedLeadTime is a lead time of exactly n periods.
func FixedLeadTime(n int) LeadTime { return LeadTime{Periods: []int{n}, Prob: []float64{1}} }

func (lt LeadTime) draw(r *rand.Rand, cum []float64) int {
	if len(lt.Periods) == 1 {
		return lt.Periods[0]
	}
	u := r.Float64() * cum[len(cum)-1]
	i, _ := slices.BinarySearch(cum, u)
	return lt.Periods[min(i, len(lt.Periods)-1)]
}

// SumOptions tunes SumDist.
type SumOptions struct {
	// Rho is the equicorrelation of the per-period forecast errors
	// (Result.Rho): 0 treats periods as independent; positive values widen
	// the distribution of sums the way a shared level error does.
	Rho float64
	// Draws is the number of simulated paths (default 4000).
	Draws int
	// Seed makes the simulation reproducible.
	Seed uint64
}

// SumDist returns the distribution of demand summed over the first k
// periods of a forecast, where k is drawn from the lead time distribution
// lt, by simulating paths: each path draws k, then one value per period
// through a Gaussian copula with equicorrelation o.Rho. Periods past the
// end of steps repeat the last step's distribution. Take quantiles of the
// result (never add per-period quantiles: that overstates the spread).
func SumDist(steps []Dist, lt LeadTime, o SumOptions) (Samples, error) {
	if len(steps) == 0 {
		return Samples{}, fmt.Errorf("sum demand: no forecast steps")
	}
	if len(lt.Periods) == 0 || len(lt.Periods) != len(lt.Prob) {
		return Samples{}, fmt.Errorf("sum demand: lead time needs as many probabilities as periods")
	}
	cum := make([]float64, len(lt.Prob))
	var c float64
	for i, p := range lt.Prob {
		if p < 0 || math.IsNaN(p) || lt.Periods[i] < 0 {
			return Samples{}, fmt.Errorf("sum demand: bad lead time %d with probability %g", lt.Periods[i], p)
		}
		c += p
		cum[i] = c
	}
	if c <= 0 {
		return Samples{}, fmt.Errorf("sum demand: lead time probabilities sum to zero")
	}
	n := o.Draws
	if n <= 0 {
		n = 4000
	}
	rho := math.Max(0, math.Min(0.999, o.Rho))
	a, b := math.Sqrt(rho), math.Sqrt(1-rho)
	r := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	out := make([]float64, n)
	for i := range out {
		k := lt.draw(r, cum)
		z0 := r.NormFloat64()
		var s float64
		for j := range k {
			d := steps[min(j, len(steps)-1)]
			u := normCDF(a*z0 + b*r.NormFloat64())
			u = math.Max(1e-12, math.Min(1-1e-12, u))
			s += d.Quantile(u)
		}
		out[i] = s
	}
	return NewSamples(out), nil
}

// SumQuantiles returns the quantiles at ps of demand summed over the next k
// periods (a fixed horizon); see SumDist.
func SumQuantiles(steps []Dist, k int, ps []float64, o SumOptions) ([]float64, error) {
	d, err := SumDist(steps, FixedLeadTime(k), o)
	if err != nil {
		return nil, err
	}
	return Quantiles(d, ps), nil
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func normPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

func normQuantile(p float64) float64 {
	if p <= 0 {
		return math.Inf(-1)
	}
	if p >= 1 {
		return math.Inf(1)
	}
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// sortedQuantile is the type-7 quantile of sorted values.
func sortedQuantile(z []float64, p float64) float64 {
	n := len(z)
	if n == 0 {
		return 0
	}
	if n == 1 {
		return z[0]
	}
	h := p * float64(n-1)
	i := int(math.Floor(h))
	if i >= n-1 {
		return z[n-1]
	}
	if i < 0 {
		return z[0]
	}
	return z[i] + (h-float64(i))*(z[i+1]-z[i])
}
