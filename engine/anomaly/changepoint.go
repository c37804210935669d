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
	// counts as a stuck feed (VarianceShift only; default 1e-4).
	StuckAlpha float64
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
		c.StuckAlpha = 1e-4
	}
	return c
}

// reference is the in-control window both change detectors standardise
// against. It only takes points while no change is building up, so a
// shift does not leak into its own reference; once a change is declared
// the reference restarts from the points after it.
type reference struct {
	vals  ring
	buf   []float64
	min   int
	floor float64
}

func newReference(c ChangeConfig) reference {
	return reference{vals: newRing(c.Window), min: c.MinHistory, floor: c.MinScale}
}

// stats returns the median and robust scale of the reference.
func (r *reference) stats() (med, scale float64, ok bool) {
	if r.vals.len() < r.min {
		return 0, 0, false
	}
	r.buf = r.vals.appendTo(r.buf[:0])
	med = median(r.buf)
	scale = math.Max(r.floor, robustScale(r.buf, med))
	if !(scale > 0) {
		scale = math.Max(1e-9, 1e-6*math.Abs(med))
	}
	return med, scale, true
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
	d.ref.vals.reset()
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
	if !ok {
		d.ref.vals.push(x)
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
	switch {
	case u >= 1:
		// Declared: the new level is the reference from now on.
		d.ref.vals.reset()
		d.ref.vals.push(x)
		d.pos, d.neg = 0, 0
	case d.pos == 0 && d.neg == 0:
		d.ref.vals.push(x)
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
	pos, neg float64
	prev     float64
	run      int // identical consecutive values ending at the latest point
	repeats  int // identical consecutive pairs in the reference
	pairs    int
	has      bool
}

// NewVarianceShift returns a VarianceShift detector.
func NewVarianceShift(cfg ChangeConfig) *VarianceShift {
	cfg = cfg.withDefaults(0.5, 6)
	return &VarianceShift{cfg: cfg, ref: newReference(cfg)}
}

// Reset forgets the series.
func (d *VarianceShift) Reset() {
	d.ref.vals.reset()
	d.pos, d.neg, d.run, d.repeats, d.pairs, d.has = 0, 0, 0, 0, 0, false
}

// Push scores the next point.
func (d *VarianceShift) Push(x float64) float64 { return d.push(x, x) }

// push scores v (a value, or a deseasonalised one) and looks for stuck
// runs in raw, the value as it arrived.
func (d *VarianceShift) push(x, raw float64) float64 {
	if !finite(x) || !finite(raw) {
		return 0
	}
	same := d.has && raw == d.prev
	if same {
		d.run++
	} else {
		d.run = 1
	}
	d.prev, d.has = raw, true
	med, scale, ok := d.ref.stats()
	if !ok {
		d.learn(x, same)
		return 0
	}
	z := math.Abs(x-med) / scale
	// log|z| standardised; the floor keeps an exact hit on the median
	// from counting as infinite evidence of a calmer series.
	y := (math.Log(math.Max(z, 0.1)) + 0.635) / 1.11
	d.pos = math.Max(0, d.pos+y-d.cfg.Drift)
	d.neg = math.Max(0, d.neg-y-d.cfg.Drift)
	u := math.Max(d.pos, d.neg) / d.cfg.Alarm
	// A stuck feed: p^(run-1) < alpha, with p the (smoothed) share of
	// consecutive reference points that repeat.
	if d.run >= 3 {
		p := (float64(d.repeats) + 1) / (float64(d.pairs) + 2)
		logp := float64(d.run-1) * math.Log(p)
		u = math.Max(u, logp/math.Log(d.cfg.StuckAlpha))
	}
	if u >= 1 && d.run < 3 {
		d.ref.vals.reset()
		d.repeats, d.pairs = 0, 0
		d.pos, d.neg = 0, 0
		d.learn(x, false)
	} else if d.pos == 0 && d.neg == 0 && d.run < 3 {
		d.learn(x, same)
	}
	return severityScore(u)
}

// learn adds x to the reference, keeping the repeat counts of the
// reference's consecutive pairs (approximately: pairs leaving the window
// are forgotten by decay rather than exactly).
func (d *VarianceShift) learn(x float64, same bool) {
	if d.ref.vals.len() > 0 {
		if d.pairs >= d.cfg.Window {
			// Decay so the counts track the window.
			d.repeats = d.repeats * (d.cfg.Window - 1) / d.cfg.Window
			d.pairs = d.cfg.Window - 1
		}
		d.pairs++
		if same {
			d.repeats++
		}
	}
	d.ref.vals.push(x)
}
