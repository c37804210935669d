package anomaly

import (
	"math"
	"math/rand/v2"
	"sort"
)

// weekShape is a retail week, Monday first: quiet early week, busy weekend.
var weekShape = [7]float64{0.85, 0.9, 0.95, 1.0, 1.1, 1.35, 1.25}

// genDaily makes n days of seeded demand with a weekly season around
// level: Poisson counts when poisson, else Gaussian noise of sd noise.
func genDaily(seed uint64, n int, level, noise float64, poisson bool) []float64 {
	return genClean(seed, n, level, noise, poisson, math.Inf(1))
}

// genClean is genDaily with every point within clip noise sd of its mean
// (redrawn until it is): a series with no outlier in it by construction.
func genClean(seed uint64, n int, level, noise float64, poisson bool, clip float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	xs := make([]float64, n)
	for i := range xs {
		mu := level * weekShape[i%7]
		for {
			if poisson {
				xs[i] = float64(poissonDraw(r, mu))
				if math.IsInf(clip, 1) || math.Abs(xs[i]-mu) <= clip*math.Sqrt(mu) {
					break
				}
			} else {
				xs[i] = mu + noise*r.NormFloat64()
				if math.IsInf(clip, 1) || math.Abs(xs[i]-mu) <= clip*noise {
					break
				}
			}
		}
	}
	return xs
}

// poissonDraw draws a Poisson count (Knuth for small means, a rounded
// normal approximation for large ones).
func poissonDraw(r *rand.Rand, mu float64) int {
	if mu > 60 {
		return max(0, int(math.Round(mu+math.Sqrt(mu)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-mu), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// alarms returns the indices at which the ensemble raised an alert.
func alarms(cfg EnsembleConfig, xs []float64) []int {
	e := NewEnsemble(cfg)
	var out []int
	for i, x := range xs {
		e.Push(x)
		if e.Last().Alarm {
			out = append(out, i)
		}
	}
	return out
}

// sortedCopy returns a sorted copy of a.
func sortedCopy(a []float64) []float64 {
	b := append([]float64(nil), a...)
	sort.Float64s(b)
	return b
}
