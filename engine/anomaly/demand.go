package anomaly

import (
	"math"
	"slices"
)

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
	// hist holds every day seeded or pushed before the latest, oldest
	// first (NaN: missing, or a day stored as an anomaly, which must not
	// widen what counts as ordinary nor pass for last year's season).
	hist []float64
}

// NewDemand returns a Demand with the ensemble configuration cfg (see
// DailyConfig) and the filter f (zero fields take the defaults).
func NewDemand(cfg EnsembleConfig, f DemandFilter) *Demand {
	return &Demand{en: NewEnsemble(cfg), f: f.withDefaults(), prev: math.NaN()}
}

// Seed gives the days before the first Push (oldest first, NaN where
// missing): they are not scored and the detectors do not learn from them,
// but the filter's lumpiness and season checks look back on them (up to
// LookBack days). An after-import check pushes a few months and seeds the
// year before them, so it judges a day nearly as a scan of the whole
// history would (a seeded day is not known to have been an anomaly).
func (d *Demand) Seed(vs []float64) { d.hist = append(d.hist, vs...) }

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
	d.hist = append(d.hist, kept)
	if len(d.hist) > 2*LookBack { // bounded, whatever the series' length
		d.hist = append(d.hist[:0], d.hist[len(d.hist)-LookBack:]...)
	}
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
		if v > p.Expected && p.Expected < d.f.MinLevel && d.logTail(v, p.Expected) >= math.Log(d.f.MaxTail) {
			return false
		}
		return !d.lastYearsDay(v)
	case DetLevel, DetVariance:
		return !d.lastYear(v)
	}
	return true
}

// Season windows: the latest week against the four before it.
const (
	seasonLag  = 364 // a year ago on the same weekday
	seasonWeek = 7
	seasonBase = 28
)

// seasonTurn is the least move, as a factor, that counts as a season's
// turn: a busy series' weekly mean wanders by a few percent, a thin one's
// by more, and on simulated Poisson demand without seasons 1.3 already let
// noise a year earlier excuse one level shift in 40 at 8 a day.
var seasonTurn = math.Log(1.5)

// LookBack is how many days before a day the filter's checks read: the
// days an after-import check seeds (Seed) before the ones it pushes.
const LookBack = seasonLag + seasonWeek + seasonBase

// seasonC, a half unit a day, keeps a week of nothing from being
// infinitely far from a week of something.
const seasonC = 0.5

// meanOf is the mean of the finite days of hist[from:to], and with when
// it is finite, and how many there were.
func (d *Demand) meanOf(from, to int, with float64) (float64, int) {
	var s float64
	k := 0
	for _, x := range d.hist[from:to] {
		if finite(x) {
			s += x
			k++
		}
	}
	if finite(with) {
		s += with
		k++
	}
	if k == 0 {
		return 0, 0
	}
	return s / float64(k), k
}

// lastYear reports whether the week ending with v moved from the four
// weeks before it as the same weeks did a year ago, in the same direction
// and by at least half as much (in log terms) and seasonTurn, to much the
// same level (within a factor of 2): the Christmas build-up of a toy, the
// back-to-school weeks of a pencil. The weekly seasonal model knows
// nothing of the year, so without this every season's turn reads as a
// level shift.
func (d *Demand) lastYear(v float64) bool {
	n := len(d.hist) // v's index
	if n < LookBack {
		return false
	}
	week, kw := d.meanOf(n-seasonWeek+1, n, v)
	base, kb := d.meanOf(n-seasonWeek+1-seasonBase, n-seasonWeek+1, math.NaN())
	y := n - seasonLag
	week0, kw0 := d.meanOf(y-seasonWeek+1, y+1, math.NaN())
	base0, kb0 := d.meanOf(y-seasonWeek+1-seasonBase, y-seasonWeek+1, math.NaN())
	if kw < 4 || kw0 < 4 || kb < 14 || kb0 < 14 {
		return false
	}
	now := math.Log((week + seasonC) / (base + seasonC))
	then := math.Log((week0 + seasonC) / (base0 + seasonC))
	// Last year's move must be a season's, not a week's noise. And the
	// season only explains a week that sells like last year's, within a
	// factor of 2: a garden item's spring is expected, selling 2.5 times
	// last spring is not.
	sameLevel := math.Abs(math.Log((week+seasonC)/(week0+seasonC))) <= math.Log(2)
	return now*then > 0 && math.Abs(then) >= math.Max(0.5*math.Abs(now), seasonTurn) && sameLevel
}

// lastYearsDay is lastYear for a point detector's day v. A year ago, the
// week starting on the same weekday turned from the four weeks before it
// by seasonTurn, in v's direction; the last week sells like the same week
// a year ago (within a factor of 2); and v is no further from its
// weekday's four-week mean than that turned week's days typically were
// (their median), with half as much again to spare. A season lifts every
// day of its week: its first busy day passes. A lumpy day a year ago
// lifts one: it does not excuse a spike now, nor a typed 3× while the
// season builds.
func (d *Demand) lastYearsDay(v float64) bool {
	n := len(d.hist)
	if n < LookBack || !finite(v) {
		return false
	}
	wdBase := func(i int) (float64, bool) { // the same weekday's four weeks before day i
		var s float64
		k := 0
		for w := 1; w <= 4; w++ {
			if x := d.hist[i-7*w]; finite(x) {
				s += x
				k++
			}
		}
		return s / float64(max(k, 1)), k >= 2
	}
	b, ok := wdBase(n)
	if !ok {
		return false
	}
	now := math.Log((v + seasonC) / (b + seasonC))
	y := n - seasonLag
	next0, kn := d.meanOf(y, y+seasonWeek, math.NaN())
	base0, kb := d.meanOf(y-seasonBase, y, math.NaN())
	week, kw := d.meanOf(n-seasonWeek+1, n, v)
	week0, kw0 := d.meanOf(y-seasonWeek+1, y+1, math.NaN())
	if kn < 4 || kb < 14 || kw < 4 || kw0 < 4 {
		return false
	}
	turn := math.Log((next0 + seasonC) / (base0 + seasonC))
	if turn*now <= 0 || math.Abs(turn) < seasonTurn || math.Abs(math.Log((week+seasonC)/(week0+seasonC))) > math.Log(2) {
		return false
	}
	var ratios []float64
	for j := y; j < y+seasonWeek; j++ {
		if b0, ok := wdBase(j); ok && finite(d.hist[j]) {
			ratios = append(ratios, math.Log((d.hist[j]+seasonC)/(b0+seasonC)))
		}
	}
	if len(ratios) < 4 {
		return false
	}
	slices.Sort(ratios)
	typical := ratios[len(ratios)/2]
	return typical*now > 0 && math.Abs(now) <= math.Abs(typical)+math.Log(1.5)
}

// logTail is the log of the chance of v units or more on a day under a
// negative binomial with the series' recent mean (or the expectation, if
// higher) and variance, at least Poisson; 0 (certain) when there is too
// little history to say. The variance is taken about the mean, not about
// the seasonal model's expectations: on a series that mostly sells
// nothing those are 0, and say nothing of how big its busy days get.
func (d *Demand) logTail(v, expected float64) float64 {
	var n, s1, s2 float64
	for _, x := range d.hist[max(0, len(d.hist)-TailDays):] {
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
