package demo

import "math"

// rng is a SplitMix64 generator. Every item owns one, seeded from the run's
// seed and the item's index, so an item's history does not depend on how the
// catalogue is split across workers. The samplers are written out here rather
// than taken from math/rand/v2, whose derived streams are not promised to stay
// the same across Go releases.
type rng struct{ s uint64 }

// mix64 is the SplitMix64 finaliser: a bijective avalanche of 64 bits.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// hashKeys folds a seed and any number of keys into one well-mixed word.
func hashKeys(seed int64, keys ...uint64) uint64 {
	h := mix64(uint64(seed) ^ 0x6a09e667f3bcc909)
	for _, k := range keys {
		h = mix64(h ^ (k + 0x9e3779b97f4a7c15))
	}
	return h
}

// newRNG returns a generator for one stream, named by its keys.
func newRNG(seed int64, keys ...uint64) rng { return rng{s: hashKeys(seed, keys...)} }

// Stream names, so that two uses of the same item index never share a stream.
const (
	streamCatalog uint64 = iota + 1
	streamSim
	streamPromo
	streamPO
	streamRoads
	streamDeliveries
	streamAnomaly
	streamCalendar
	streamSuppliers
	streamLocations
)

func (r *rng) u64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// float returns a uniform number in [0, 1).
func (r *rng) float() float64 { return float64(r.u64()>>11) * 0x1p-53 }

// intn returns a uniform integer in [0, n). The modulo bias is below 2^-40
// for the small n used here.
func (r *rng) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(r.u64() % uint64(n))
}

// between returns a uniform number in [lo, hi).
func (r *rng) between(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// norm returns a standard normal deviate (Box–Muller, one of the pair).
func (r *rng) norm() float64 {
	u := 1 - r.float() // (0, 1]
	v := r.float()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
}

// lognorm returns exp(N(mu, sigma²)).
func (r *rng) lognorm(mu, sigma float64) float64 { return math.Exp(mu + sigma*r.norm()) }

// poisson returns a Poisson deviate with mean lam.
func (r *rng) poisson(lam float64) int64 {
	if lam <= 0 {
		return 0
	}
	if lam < 12 {
		u := r.float()
		// P(0) = e^-lam ≥ 1-lam: most days of a slow item end here without
		// computing the exponential.
		if u < 1-lam {
			return 0
		}
		p := math.Exp(-lam)
		cdf := p
		var k int64
		for u >= cdf && k < 200 {
			k++
			p *= lam / float64(k)
			cdf += p
		}
		return k
	}
	return r.poissonPTRS(lam)
}

// poissonPTRS is Hörmann's transformed rejection with squeeze (1993), exact
// for lam ≥ 10.
func (r *rng) poissonPTRS(lam float64) int64 {
	slam := math.Sqrt(lam)
	loglam := math.Log(lam)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.float() - 0.5
		v := r.float()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lam + 0.43)
		if us >= 0.07 && v <= vr {
			return int64(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -lam+k*loglam-lg {
			return int64(k)
		}
	}
}

// lumps returns the units bought by n purchase occasions whose sizes are
// 1 + a geometric number with mean (m-1): most customers buy one, some buy a
// multipack. This makes slow items lumpy, as real intermittent demand is.
func (r *rng) lumps(n int64, m float64) int64 {
	if n <= 0 {
		return 0
	}
	if m <= 1.0001 {
		return n
	}
	q := 1 - 1/m // P(one more unit)
	if n > 64 {
		// Many occasions: the sum is close to normal with the compound mean and
		// variance; exactness matters little for fast movers.
		mean := float64(n) * m
		sd := math.Sqrt(float64(n) * m * (m - 1))
		v := int64(math.Round(mean + sd*r.norm()))
		if v < n {
			v = n
		}
		return v
	}
	lq := math.Log(q)
	units := n
	for range n {
		units += int64(math.Log(1-r.float()) / lq)
	}
	return units
}

// binomial returns the successes of n trials with probability p.
func (r *rng) binomial(n int64, p float64) int64 {
	if n <= 0 || p <= 0 {
		return 0
	}
	if n <= 40 {
		var k int64
		for range n {
			if r.float() < p {
				k++
			}
		}
		return k
	}
	mean := float64(n) * p
	v := int64(math.Round(mean + math.Sqrt(mean*(1-p))*r.norm()))
	return max(0, min(n, v))
}

// pick returns an index drawn with the given cumulative weights.
func (r *rng) pick(cum []float64) int {
	x := r.float() * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
