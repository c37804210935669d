package anomaly

import "math"

// DemandFilter decides which of the ensemble's alarms on a daily demand
// series are worth a person's time. On demand the detectors are right that
// a day is unusual far more often than the day matters: a thin series that
// sells 12 on a day where it usually sells nothing is a bulk order, not a
// data error, yet it scores like one. An alarm is stored when the day
// departs from what the seasonal model expected by at least MinUnits units
// (a typed 100 for 10; for a level shift, the week's units up to the
// alarm), or by MinShare of the expected
// units on a series expected to sell at least MinLevel that day (a dip to
// nothing at 8 a day), or when the
// feed repeated the same non-zero value StuckRun days or more (a stuck
// feed sits on the expected value: its departure is in the spread, not the
// level). Other alarms still end an episode, so they are not raised again
// the next day either.
//
// On a series expected to sell under MinLevel that day, a day above the
// expectation raised by a point detector (robust z, isolation forest,
// novelty) must also be implausible for how lumpy the series has been:
// its chance under a negative binomial with the series' mean and variance
// over the last TailDays days must be below MaxTail.
// Items bought a few at a time sell 12 on a day now and then; robust
// scales, built from days that are mostly 0 or 1, cannot tell that from a
// typed 10× (which is far beyond any spread the series has shown).
type DemandFilter struct {
	MinUnits float64 // default 10
	MinShare float64 // default 0.5
	MinLevel float64 // default 5
	StuckRun int     // default 3
	MaxTail  float64 // default 1e-4: about one alert in 10,000 ordinary days
}

// TailDays is how far back the lumpiness check looks: 18 weeks, inside
// the history an after-import check rebuilds, so it judges a day as a
// full scan would.
const TailDays = 126

// tailMinDays is the least history the lumpiness check needs; before it,
// the ensemble's word stands.
const tailMinDays = 28

func (f DemandFilter) withDefaults() DemandFilter {
	if f.MinUnits <= 0 {
		f.MinUnits = 10
	}
	if f.MinShare <= 0 {
		f.MinShare = 0.5
	}
	if f.MinLevel <= 0 {
		f.MinLevel = 5
	}
	if f.StuckRun <= 0 {
		f.StuckRun = 3
	}
	if f.MaxTail <= 0 {
		f.MaxTail = 1e-4
	}
	return f
}

// Demand runs an Ensemble on a daily demand series and applies a
// DemandFilter to its alarms.
type Demand struct {
	en   *Ensemble
	f    DemandFilter
	prev float64
	run  int // identical consecutive values ending at the latest point
	// res holds the latest week's departures from the expectation: a
	// level shift is judged by what the week lost or gained, not by the
	// day its alarm happened to fall on.
	res  [7]float64
	nres int
	// past holds the latest TailDays days' units (NaN: missing, or a day
	// stored as an anomaly, which must not widen what counts as ordinary).
	past  [TailDays]float64
	npast int
}

// NewDemand returns a Demand with the ensemble configuration cfg (see
// DailyConfig) and the filter f (zero fields take the defaults).
func NewDemand(cfg EnsembleConfig, f DemandFilter) *Demand {
	return &Demand{en: NewEnsemble(cfg), f: f.withDefaults(), prev: math.NaN()}
}

// Push scores the day's units v (NaN: a day whose demand is explained or
// censored, neither scored nor learnt from) at its phase of the week, and
// says whether the verdict is an alarm worth storing.
func (d *Demand) Push(phase int, v float64) (p Point, store bool) {
	d.en.PushPhase(phase, v)
	if finite(v) && v == d.prev {
		d.run++
	} else {
		d.run = 1
	}
	d.prev = v
	p = d.en.Last()
	if finite(v) && finite(p.Expected) {
		d.res[d.nres%len(d.res)] = v - p.Expected
		d.nres++
	}
	store = p.Alarm && d.worth(p, v)
	kept := v
	if store {
		kept = math.NaN()
	}
	d.past[d.npast%TailDays] = kept
	d.npast++
	return p, store
}

// worth applies the filter to an alarm on v.
func (d *Demand) worth(p Point, v float64) bool {
	if d.run >= d.f.StuckRun && v > 0 {
		return true
	}
	// While the seasonal model warms up there is no expectation to
	// measure against: the ensemble's word stands.
	if !finite(p.Expected) {
		return true
	}
	dev := math.Abs(v - p.Expected)
	if p.Detector == DetLevel {
		var week float64
		for _, r := range d.res {
			week += r
		}
		dev = math.Max(dev, math.Abs(week))
	}
	if dev < d.f.MinUnits && (p.Expected < d.f.MinLevel || dev < d.f.MinShare*p.Expected) {
		return false
	}
	switch p.Detector {
	case DetSeasonalZ, DetIForest, DetNovelty:
		if v > p.Expected && p.Expected < d.f.MinLevel {
			return d.logTail(v, p.Expected) < math.Log(d.f.MaxTail)
		}
	}
	return true
}

// logTail is the log of the chance of v units or more on a day under a
// negative binomial with the series' recent mean (or the expectation, if
// higher) and variance, at least Poisson; 0 (certain) when there is too
// little history to say. The variance is taken about the mean, not about
// the seasonal model's expectations: on a series that mostly sells
// nothing those are 0, and say nothing of how big its busy days get.
func (d *Demand) logTail(v, expected float64) float64 {
	var n, s1, s2 float64
	for _, x := range d.past[:min(d.npast, TailDays)] {
		if finite(x) {
			n++
			s1 += x
			s2 += x * x
		}
	}
	if n < tailMinDays {
		return 0
	}
	mean := s1 / n
	mu := math.Max(mean, expected)
	return logNBTail(v, mu, math.Max(s2/n-mean*mean, mu))
}

// logNBTail is log P(X ≥ k) for X negative binomial with mean mu and
// variance vr ≥ mu (Poisson when they are equal), summed in log space so
// that a typed 100× gives a finite, very negative number rather than 0.
func logNBTail(k, mu, vr float64) float64 {
	k = math.Ceil(k)
	if k <= 0 {
		return 0
	}
	if mu <= 0 {
		return math.Inf(-1)
	}
	var logPMF func(x float64) float64
	if vr <= mu*(1+1e-9) {
		logPMF = func(x float64) float64 { return x*math.Log(mu) - mu - lgamma(x+1) }
	} else {
		r, q := mu*mu/(vr-mu), mu/vr // size and success probability
		lr := lgamma(r)
		logPMF = func(x float64) float64 {
			return lgamma(x+r) - lr - lgamma(x+1) + r*math.Log(q) + x*math.Log1p(-q)
		}
	}
	// Past the mean the terms fall, and geometrically fast far enough
	// out: stop once they no longer move the sum.
	sum := math.Inf(-1)
	for x := k; x < k+1e5; x++ {
		l := logPMF(x)
		sum = logAdd(sum, l)
		if l < sum-36 && x > mu {
			break
		}
	}
	return math.Min(0, sum)
}

func logAdd(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if a < b {
		a, b = b, a
	}
	return a + math.Log1p(math.Exp(b-a))
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}
