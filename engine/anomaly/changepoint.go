package anomaly

import "math"

// ChangeConfig configures LevelShift and VarianceShift. Zero fields take
// the defaults.
type ChangeConfig struct {
	// Window is the reference: the in-control history the new points are
	// standardised against (default 56).
	Window int
	// MinHistory is how many reference points are needed before scoring
	// (default Window/2, at least 8).
	MinHistory int
	// Drift is the CUSUM allowance k per point, in standardised units
	// (default 0.5 for LevelShift, 0.5 for VarianceShift).
	Drift float64
	// Alarm is the CUSUM decision interval h: the statistic at which the
	// score is 0.5 and the detector declares a change (default 5 for
	// LevelShift, 6 for VarianceShift).
	Alarm float64
	// Clip bounds each standardised point (default 3), so that one spike
	// cannot make a level shift on its own.
	Clip float64
	// MinScale floors the reference spread, in the series' units.
	MinScale float64
	// StuckAlpha is the probability below which a run of identical values
	// counts as a stuck feed (VarianceShift only; default 1e-6: a
	// history of thousands of days holds many runs that are 1-in-10,000
	// by chance).
	StuckAlpha float64
	// Lag is how many points a new point waits before it joins the
	// reference (default 14).
	Lag int
}

func (c ChangeConfig) withDefaults(drift, alarm float64) ChangeConfig {
	if c.Window <= 0 {
		c.Window = 56
	}
	if c.MinHistory <= 0 {
		c.MinHistory = max(c.Window/2, 8)
	}
	c.MinHistory = min(c.MinHistory, c.Window)
	if c.Drift <= 0 {
		c.Drift = drift
	}
	if c.Alarm <= 0 {
		c.Alarm = alarm
	}
	if c.Clip <= 0 {
		c.Clip = 3
	}
	if c.StuckAlpha <= 0 {
		c.StuckAlpha = 1e-6
	}
	if c.Lag <= 0 {
		c.Lag = 14
	}
	return c
}

// reference is the in-control window both change detectors standardise
// against. A point joins it Lag points after it arrived, if no change was
// declared meanwhile: a shift does not leak into its own reference, and
// (unlike adding only the points that look in control) the reference
// keeps the series' full spread. Once a change is declared the reference
// restarts from the points since it.
type reference struct {
	vals    ring
	pending ring
	sc      *scratch // shared with the other detectors of an Ensemble
	min     int
	floor   float64
	// The median and scale are cached and refreshed after a sixteenth of
	// the window has joined: they move slowly, and this makes a push
	// several times cheaper.
	med, scale float64
	age        int // points joined since they were computed; -1: stale
}

func newReference(c ChangeConfig) reference {
	return reference{vals: newRing(c.Window), pending: newRing(c.Lag), min: c.MinHistory, floor: c.MinScale, age: -1, sc: &scratch{}}
}

func (r *reference) reset() {
	r.vals.reset()
	r.pending.reset()
	r.age = -1
}

func (r *reference) joined() {
	if r.age >= 0 {
		r.age++
	}
}

// add takes the latest point: straight into the reference while it is
// warming up, else through the delay line.
func (r *reference) add(x float64) {
	if r.vals.len() < r.min {
		r.vals.push(x)
		r.joined()
		return
	}
	if r.pending.full() {
		r.vals.push(r.pending.at(0))
		r.joined()
	}
	r.pending.push(x)
}

// restart makes the points since a declared change the new reference.
func (r *reference) restart() {
	r.vals.reset()
	for i := 0; i < r.pending.len(); i++ {
		r.vals.push(r.pending.at(i))
	}
	r.pending.reset()
	r.age = -1
}

// stats returns the median and robust scale of the reference.
func (r *reference) stats() (med, scale float64, ok bool) {
	if r.vals.len() < r.min {
		return 0, 0, false
	}
	if r.age < 0 || r.age >= max(1, len(r.vals.buf)/16) {
		r.sc.b = r.vals.appendTo(r.sc.b[:0])
		r.med = median(r.sc.b)
		r.scale = math.Max(r.floor, robustScale(r.sc.b, r.med))
		if !(r.scale > 0) {
			r.scale = math.Max(1e-9, 1e-6*math.Abs(r.med))
		}
		r.age = 0
	}
	return r.med, r.scale, true
}

// LevelShift is a two-sided CUSUM on points standardised (median, MAD)
// against an in-control reference window: it accumulates evidence that
// the level moved up or down by more than Drift spreads, and scores 0.5
// when the evidence reaches Alarm. After an alarm it re-learns the new
// level.
type LevelShift struct {
	cfg      ChangeConfig
	ref      reference
	pos, neg float64
	last     float64 // signed statistic of the latest point: +pos or -neg
}

// NewLevelShift returns a LevelShift detector.
func NewLevelShift(cfg ChangeConfig) *LevelShift {
	cfg = cfg.withDefaults(0.5, 5)
	return &LevelShift{cfg: cfg, ref: newReference(cfg)}
}

// Reset forgets the series.
func (d *LevelShift) Reset() {
	d.ref.reset()
	d.pos, d.neg, d.last = 0, 0, 0
}

// Statistic returns the CUSUM after the latest point, signed by the
// direction of the shift, in units of Alarm (1 = alarm).
func (d *LevelShift) Statistic() float64 { return d.last }

// Push scores the next point.
func (d *LevelShift) Push(x float64) float64 {
	if !finite(x) {
		return 0
	}
	med, scale, ok := d.ref.stats()
	d.ref.add(x)
	if !ok {
		d.last = 0
		return 0
	}
	z := math.Max(-d.cfg.Clip, math.Min(d.cfg.Clip, (x-med)/scale))
	d.pos = math.Max(0, d.pos+z-d.cfg.Drift)
	d.neg = math.Max(0, d.neg-z-d.cfg.Drift)
	u := math.Max(d.pos, d.neg) / d.cfg.Alarm
	d.last = u
	if d.neg > d.pos {
		d.last = -u
	}
	if u >= 1 {
		// Declared: the new level is the reference from now on.
		d.ref.restart()
		d.pos, d.neg = 0, 0
	}
	return severityScore(u)
}

// VarianceShift detects a change of spread: a two-sided CUSUM on
// log|z| (which for in-control normal noise has mean -0.635 and standard
// deviation 1.11), and a stuck feed: a run of identical values whose
// probability, given how often the reference repeats a value, is below
// StuckAlpha.
type VarianceShift struct {
	cfg      ChangeConfig
	ref      reference
	reps     bitRef // where a raw value repeated the one before
	pos, neg float64
	prev     float64
	run      int // identical consecutive values ending at the latest point
	has      bool
}

// NewVarianceShift returns a VarianceShift detector.
func NewVarianceShift(cfg ChangeConfig) *VarianceShift {
	cfg = cfg.withDefaults(0.5, 6)
	return &VarianceShift{cfg: cfg, ref: newReference(cfg), reps: newBitRef(cfg.Window, cfg.Lag)}
}

// Reset forgets the series.
func (d *VarianceShift) Reset() {
	d.ref.reset()
	d.reps.reset()
	d.pos, d.neg, d.run, d.has = 0, 0, 0, false
}

// Push scores the next point.
func (d *VarianceShift) Push(x float64) float64 { return d.push(x, x) }

// push scores v (a value, or a deseasonalised one) and looks for stuck
// runs in raw, the value as it arrived.
func (d *VarianceShift) push(x, raw float64) float64 {
	if !finite(x) || !finite(raw) {
		return 0
	}
	rep := d.has && raw == d.prev
	if rep {
		d.run++
	} else {
		d.run = 1
	}
	// The share of repeats in the reference, smoothed.
	p := (float64(d.reps.ones) + 1) / (float64(d.reps.vals.n) + 2)
	if d.has {
		d.reps.add(rep)
	}
	d.prev, d.has = raw, true
	med, scale, ok := d.ref.stats()
	d.ref.add(x)
	if !ok {
		return 0
	}
	z := math.Abs(x-med) / scale
	// log|z| standardised. The floor keeps hits on the median, common in
	// whole-number series, from adding up to a calmer series; a feed that
	// really went flat is caught as stuck below.
	y := (math.Log(math.Max(z, 0.5)) + 0.635) / 1.11
	d.pos = math.Max(0, d.pos+y-d.cfg.Drift)
	d.neg = math.Max(0, d.neg-y-d.cfg.Drift)
	u := math.Max(d.pos, d.neg) / d.cfg.Alarm
	if u >= 1 {
		d.ref.restart()
		d.pos, d.neg = 0, 0
	}
	// A stuck feed: p^(run-1) < alpha, p the share of reference points
	// that repeat the one before.
	if d.run >= 3 && d.reps.vals.n >= d.cfg.MinHistory {
		logp := float64(d.run-1) * math.Log(p)
		u = math.Max(u, logp/math.Log(d.cfg.StuckAlpha))
	}
	return severityScore(u)
}

// bitRef is a reference of yes/no flags with the same delay line as
// reference: a flag joins Lag points after it arrived. It keeps a bit per
// point and the count of ones.
type bitRef struct {
	vals, pending bitRing
	ones          int // ones in vals
}

func newBitRef(window, lag int) bitRef {
	return bitRef{vals: newBitRing(window), pending: newBitRing(lag)}
}

func (r *bitRef) reset() {
	r.vals.reset()
	r.pending.reset()
	r.ones = 0
}

func (r *bitRef) add(b bool) {
	if r.pending.full() {
		old := r.pending.at(0)
		if r.vals.full() && r.vals.at(0) {
			r.ones--
		}
		r.vals.push(old)
		if old {
			r.ones++
		}
	}
	r.pending.push(b)
}

// bitRing is a ring of bits: the last cap flags pushed.
type bitRing struct {
	words   []uint64
	cap     int
	head, n int
}

func newBitRing(capacity int) bitRing {
	capacity = max(capacity, 1)
	return bitRing{words: make([]uint64, (capacity+63)/64), cap: capacity}
}

func (r *bitRing) reset()     { r.head, r.n = 0, 0 }
func (r *bitRing) full() bool { return r.n == r.cap }

func (r *bitRing) set(i int, b bool) {
	if b {
		r.words[i/64] |= 1 << (i % 64)
	} else {
		r.words[i/64] &^= 1 << (i % 64)
	}
}

// at returns the i-th oldest flag.
func (r *bitRing) at(i int) bool {
	k := (r.head + i) % r.cap
	return r.words[k/64]&(1<<(k%64)) != 0
}

func (r *bitRing) push(b bool) {
	if r.n < r.cap {
		r.set((r.head+r.n)%r.cap, b)
		r.n++
		return
	}
	r.set(r.head, b)
	r.head = (r.head + 1) % r.cap
}
