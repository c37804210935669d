package forecast

import "math"

// Accuracy metrics. Every function skips periods whose actual is NaN
// (missing or censored), so a stockout never counts as a forecast error.

// MAE is the mean absolute error.
func MAE(y, f []float64) float64 {
	var s float64
	n := 0
	for i, v := range y {
		if !math.IsNaN(v) {
			s += math.Abs(v - f[i])
			n++
		}
	}
	return ratio(s, float64(n))
}

// RMSE is the root mean squared error.
func RMSE(y, f []float64) float64 { return math.Sqrt(MSE(y, f)) }

// MSE is the mean squared error.
func MSE(y, f []float64) float64 {
	var s float64
	n := 0
	for i, v := range y {
		if !math.IsNaN(v) {
			d := v - f[i]
			s += d * d
			n++
		}
	}
	return ratio(s, float64(n))
}

// Bias is the mean of forecast − actual: positive means over-forecasting.
func Bias(y, f []float64) float64 {
	var s float64
	n := 0
	for i, v := range y {
		if !math.IsNaN(v) {
			s += f[i] - v
			n++
		}
	}
	return ratio(s, float64(n))
}

// WAPE is Σ|y − f| / Σ|y|.
func WAPE(y, f []float64) float64 {
	var e, a float64
	for i, v := range y {
		if !math.IsNaN(v) {
			e += math.Abs(v - f[i])
			a += math.Abs(v)
		}
	}
	return ratio(e, a)
}

// Scale holds a series' in-sample naive error levels, the denominators of
// the scaled metrics.
type Scale struct {
	MAE float64 // mean |y_t − y_{t−1}|: MASE and scaled pinball loss
	MSE float64 // mean (y_t − y_{t−1})²: RMSSE
}

// NaiveScale computes the scale over a training history, from the first
// non-zero value on (as the M5 competition does, so an item's pre-launch
// zeros do not shrink it). Pairs with a missing value are skipped. A scale
// of zero (a constant history) is returned as is; callers guard it.
func NaiveScale(train []float64) Scale {
	start := 0
	for start < len(train) && !(train[start] > 0) {
		start++
	}
	var sa, ss float64
	n := 0
	for t := start + 1; t < len(train); t++ {
		a, b := train[t], train[t-1]
		if math.IsNaN(a) || math.IsNaN(b) {
			continue
		}
		d := a - b
		sa += math.Abs(d)
		ss += d * d
		n++
	}
	return Scale{MAE: ratio(sa, float64(n)), MSE: ratio(ss, float64(n))}
}

// MASE is MAE scaled by the in-sample naive MAE.
func MASE(y, f []float64, s Scale) float64 { return ratio(MAE(y, f), s.MAE) }

// RMSSE is the root of MSE scaled by the in-sample naive MSE.
func RMSSE(y, f []float64, s Scale) float64 { return math.Sqrt(ratio(MSE(y, f), s.MSE)) }

// Pinball is the quantile (pinball) loss of quantile q at level p for
// actual y.
func Pinball(y, q, p float64) float64 {
	if y >= q {
		return p * (y - q)
	}
	return (1 - p) * (q - y)
}

// MeanPinball is the pinball loss averaged over periods and levels;
// q[t][j] is the quantile at level ps[j] for period t.
func MeanPinball(y []float64, q [][]float64, ps []float64) float64 {
	var s float64
	n := 0
	for t, v := range y {
		if math.IsNaN(v) {
			continue
		}
		for j, p := range ps {
			s += Pinball(v, q[t][j], p)
		}
		n += len(ps)
	}
	return ratio(s, float64(n))
}

// SPL is the scaled pinball loss: MeanPinball divided by the in-sample
// naive MAE, the M5 uncertainty competition's per-series score.
func SPL(y []float64, q [][]float64, ps []float64, s Scale) float64 {
	return ratio(MeanPinball(y, q, ps), s.MAE)
}

// WQL is the weighted quantile loss: for each level, 2·Σ pinball / Σ|y|,
// averaged over the levels. Sum the numerator and denominator over many
// series (WQLParts) to get the loss of a whole collection.
func WQL(y []float64, q [][]float64, ps []float64) float64 {
	num, den := WQLParts(y, q, ps)
	return ratio(num, den)
}

// WQLParts returns WQL's numerator (2·Σ pinball averaged over levels) and
// denominator (Σ|y|), to be summed over series.
func WQLParts(y []float64, q [][]float64, ps []float64) (num, den float64) {
	for t, v := range y {
		if math.IsNaN(v) {
			continue
		}
		for j, p := range ps {
			num += 2 * Pinball(v, q[t][j], p)
		}
		den += math.Abs(v)
	}
	if len(ps) > 0 {
		num /= float64(len(ps))
	}
	return num, den
}

// Coverage returns, for each level, the fraction of actuals at or below the
// quantile: a calibrated p90 covers 90%. On integer counts a quantile ties
// with the actual often, and this plain fraction overstates the level; see
// PITCoverage.
func Coverage(y []float64, q [][]float64, ps []float64) []float64 {
	hit, n := coverageCounts(y, q, ps, nil)
	out := make([]float64, len(ps))
	for j := range out {
		out[j] = ratio(hit[j], n)
	}
	return out
}

// PITCoverage is the coverage of count forecasts with ties split by the
// forecast's own probabilities (the randomised probability integral
// transform of Czado, Gneiting & Held 2009): an actual equal to the
// quantile counts as (p − F(y−1)) / (F(y) − F(y−1)) of a hit. For a
// calibrated count forecast it equals the level in expectation, which the
// plain fraction cannot for a series that is zero on half its days.
func PITCoverage(y []float64, q [][]float64, ps []float64, d []Dist) []float64 {
	hit, n := coverageCounts(y, q, ps, d)
	out := make([]float64, len(ps))
	for j := range out {
		out[j] = ratio(hit[j], n)
	}
	return out
}

// coverageCounts returns per-level hit counts and the number of periods;
// with d non-nil ties are split as in PITCoverage.
func coverageCounts(y []float64, q [][]float64, ps []float64, d []Dist) ([]float64, float64) {
	hit := make([]float64, len(ps))
	var n float64
	for t, v := range y {
		if math.IsNaN(v) {
			continue
		}
		n++
		for j, p := range ps {
			hit[j] += coverHit(v, q[t][j], p, d, t)
		}
	}
	return hit, n
}

func coverHit(v, q, p float64, d []Dist, t int) float64 {
	switch {
	case v < q:
		return 1
	case v > q:
		return 0
	case d == nil:
		return 1
	}
	hi := d[t].CDF(v)
	lo := 0.0
	if v > 0 {
		lo = d[t].CDF(math.Nextafter(v, math.Inf(-1)))
		if v == math.Floor(v) {
			lo = d[t].CDF(v - 1)
		}
	}
	if hi <= lo {
		return 1
	}
	return math.Max(0, math.Min(1, (p-lo)/(hi-lo)))
}

// WRMSSE is the weighted mean of per-series RMSSE values (the M5 accuracy
// metric); weights need not sum to one.
func WRMSSE(rmsse, w []float64) float64 {
	var s, sw float64
	for i, r := range rmsse {
		if math.IsNaN(r) || math.IsInf(r, 0) {
			continue
		}
		s += w[i] * r
		sw += w[i]
	}
	return ratio(s, sw)
}

// ratio is a/b, or 0 when b is 0 (an empty or constant series has no error
// to scale by).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
