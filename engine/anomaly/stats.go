package anomaly

import "math"

// scratch is working memory a detector needs only within a push. An
// Ensemble gives all its detectors the same one: a process holding a
// hundred thousand series keeps one buffer per series, not six.
type scratch struct{ b []float64 }

// ring is a fixed-capacity FIFO of float64: the last cap values pushed.
type ring struct {
	buf  []float64
	head int // index of the oldest value when full
	n    int
}

func newRing(capacity int) ring { return ring{buf: make([]float64, max(capacity, 1))} }

func (r *ring) push(x float64) {
	if r.n < len(r.buf) {
		r.buf[(r.head+r.n)%len(r.buf)] = x
		r.n++
		return
	}
	r.buf[r.head] = x
	r.head = (r.head + 1) % len(r.buf)
}

// at returns the i-th oldest value (0 = oldest).
func (r *ring) at(i int) float64 { return r.buf[(r.head+i)%len(r.buf)] }

// last returns the i-th newest value (0 = newest).
func (r *ring) last(i int) float64 { return r.at(r.n - 1 - i) }

func (r *ring) len() int   { return r.n }
func (r *ring) full() bool { return r.n == len(r.buf) }
func (r *ring) reset()     { r.head, r.n = 0, 0 }

// appendTo appends the values oldest first.
func (r *ring) appendTo(dst []float64) []float64 {
	for i := 0; i < r.n; i++ {
		dst = append(dst, r.at(i))
	}
	return dst
}

// selectK partially orders a so that a[k] is the k-th smallest, in
// expected linear time (Hoare's quickselect with median-of-three pivots).
func selectK(a []float64, k int) float64 {
	lo, hi := 0, len(a)-1
	for hi > lo {
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		p := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < p {
				i++
			}
			for a[j] > p {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k]
		}
	}
	return a[k]
}

// median returns the median of a, reordering a. NaN for an empty slice.
func median(a []float64) float64 {
	n := len(a)
	switch n {
	case 0:
		return math.NaN()
	case 1:
		return a[0]
	}
	hi := selectK(a, n/2)
	if n%2 == 1 {
		return hi
	}
	// a[:n/2] now holds the n/2 smallest values; their maximum is the
	// lower middle.
	lo := a[0]
	for _, x := range a[1 : n/2] {
		lo = math.Max(lo, x)
	}
	return (lo + hi) / 2
}

// quantile returns the q-quantile of a (linear interpolation between
// order statistics, as R's type 7), reordering a.
func quantile(a []float64, q float64) float64 {
	n := len(a)
	if n == 0 {
		return math.NaN()
	}
	h := q * float64(n-1)
	k := int(math.Floor(h))
	if k >= n-1 {
		return selectK(a, n-1)
	}
	lo := selectK(a, k)
	hi := a[k+1]
	for _, x := range a[k+2:] {
		hi = math.Min(hi, x)
	}
	return lo + (h-float64(k))*(hi-lo)
}

// robustScale estimates the spread of a around its centre c, reordering
// a. It starts from 1.4826·MAD (1.2533·mean absolute deviation when more
// than half the deviations are zero, as in integer counts or flat
// stretches), then returns the standard deviation of the deviations
// winsorised at 3 of those: as robust to a few wild points as the MAD, but
// with nearly the efficiency of the standard deviation, so z-scores do
// not swing with the luck of a small window.
func robustScale(a []float64, c float64) float64 {
	if len(a) == 0 {
		return 0
	}
	var sum float64
	for i, x := range a {
		d := math.Abs(x - c)
		a[i] = d
		sum += d
	}
	s0 := 1.4826 * median(a)
	if !(s0 > 0) {
		s0 = 1.2533 * sum / float64(len(a))
	}
	if !(s0 > 0) {
		return 0
	}
	lim := 3 * s0
	var ss float64
	for _, d := range a {
		d = math.Min(d, lim)
		ss += d * d
	}
	// 0.9975 = sqrt(E[min(Z², 9)]) for a standard normal Z.
	return math.Sqrt(ss/float64(len(a))) / 0.9975
}

// severityScore maps a severity u >= 0 (1 = the detector's usual alarm
// level) to a score in [0, 1): u⁴/(1+u⁴), so 0.06 at u = 0.5, 0.5 at
// u = 1, 0.94 at u = 2. The steep middle keeps ordinary noise near 0, so
// that small scores from several detectors do not add up to an alarm.
func severityScore(u float64) float64 {
	if !(u > 0) { // also NaN
		return 0
	}
	if u > 1e5 {
		return 1 // and u⁴ would overflow long before float64 could tell
	}
	u2 := u * u
	return u2 * u2 / (1 + u2*u2)
}
