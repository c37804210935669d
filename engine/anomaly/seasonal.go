package anomaly

import "math"

// SeasonalZConfig configures a SeasonalZ detector. Zero fields take the
// defaults given.
type SeasonalZConfig struct {
	// Period is the season in points: 7 for daily data with a weekly
	// cycle, 24 for hourly data with a daily one. 0 or 1: no season.
	Period int
	// Bins groups the phases of a long season into this many slots for
	// the seasonal profile, so each slot has enough history to take a
	// median of (default: Period, at most 48).
	Bins int
	// Window is the history kept, in points (default: 8 seasons, at
	// least 56).
	Window int
	// Level is how many recent points the local level is the median of
	// (default: one season, at least 7).
	Level int
	// MinHistory is how many points must be seen before anything is
	// scored (default: half the window, at least 2 seasons).
	MinHistory int
	// MinScale floors the residual scale, in the series' units (default:
	// 0, but see robustScale).
	MinScale float64
	// ZAlarm is the |z| that scores 0.5 (default 4).
	ZAlarm float64
	// Multiplicative makes the season a ratio to the level rather than an
	// offset, for positive series whose weekly swing grows with their
	// level (demand): after a level shift the old weeks still tell the
	// shape of the new ones.
	Multiplicative bool
}

func (c SeasonalZConfig) withDefaults() SeasonalZConfig {
	if c.Period < 1 {
		c.Period = 1
	}
	if c.Bins <= 0 || c.Bins > c.Period {
		c.Bins = min(c.Period, 48)
	}
	if c.Window <= 0 {
		c.Window = max(8*c.Period, 56)
	}
	if c.Level <= 0 {
		c.Level = max(c.Period, 7)
	}
	c.Level = min(c.Level, c.Window)
	if c.MinHistory <= 0 {
		c.MinHistory = max(c.Window/2, 2*c.Period)
	}
	c.MinHistory = min(c.MinHistory, c.Window)
	if c.ZAlarm <= 0 {
		c.ZAlarm = 4
	}
	return c
}

// SeasonalZ is a seasonality-aware robust z-score. The expected value of
// a point is a local level (the median of the recent deseasonalised
// points) with the seasonal profile of its phase put on it. The profile
// is the median, over the window's points in that phase, of each point
// relative to the level of the season before it (a difference, or a ratio
// when Multiplicative), so a level shift inside the window does not bend
// the profile. The z-score is the residual over 1.4826·MAD of the
// window's residuals: median and MAD, not mean and standard deviation, so
// the anomalies in the history do not hide the next one.
type SeasonalZ struct {
	cfg    SeasonalZConfig
	vals   ring
	det    ring    // each value relative to the level before it, same layout
	bins   []uint8 // phase bin of each value in vals, same layout
	resid  ring
	n      int // points pushed (for Push's implicit phase)
	last   Estimate
	sc     *scratch  // shared with the other detectors of an Ensemble
	season []float64 // per phase bin: an offset, or a ratio - 1

	// The profile and the residual scale move slowly; they are refreshed
	// every refresh points (a sixteenth of the window), which keeps a push
	// O(window) amortised but several times cheaper.
	refresh    int
	profileAge int // points since the profile was computed; -1: never
	scaleAge   int
	scale      float64
	scaleResid bool // scale was computed from residuals
}

// Estimate is what SeasonalZ knew about the latest point.
type Estimate struct {
	Expected float64 // level with the seasonal profile on it
	Level    float64 // the local level: Expected without the season
	Scale    float64 // robust spread of the residuals
	Z        float64 // (x - Expected) / Scale; 0 while warming up
	Ready    bool    // enough history for Expected (scores follow MinHistory/2 points later)
}

// NewSeasonalZ returns a SeasonalZ detector.
func NewSeasonalZ(cfg SeasonalZConfig) *SeasonalZ {
	cfg = cfg.withDefaults()
	d := &SeasonalZ{cfg: cfg, vals: newRing(cfg.Window), det: newRing(cfg.Window), resid: newRing(cfg.Window), sc: &scratch{}}
	d.bins = make([]uint8, cfg.Window)
	d.season = make([]float64, cfg.Bins)
	d.refresh = max(1, cfg.Window/16)
	d.Reset()
	return d
}

// Config returns the configuration in effect, defaults filled in.
func (d *SeasonalZ) Config() SeasonalZConfig { return d.cfg }

// Reset forgets the series.
func (d *SeasonalZ) Reset() {
	d.vals.reset()
	d.det.reset()
	d.resid.reset()
	d.n = 0
	d.last = Estimate{}
	d.profileAge, d.scaleAge = -1, -1
}

// Last returns the estimate behind the latest score.
func (d *SeasonalZ) Last() Estimate { return d.last }

// Push scores the next point, its phase counted from the first point.
func (d *SeasonalZ) Push(x float64) float64 {
	return d.PushPhase(d.n%d.cfg.Period, x)
}

// PushPhase scores the next point, at a known phase of the season.
func (d *SeasonalZ) PushPhase(phase int, x float64) float64 {
	d.n++
	if !finite(x) {
		d.last = Estimate{}
		return 0
	}
	b := d.bin(phase)
	e := d.estimate(b)
	if e.Ready {
		// Only a residual history gives an honest scale: the spread of
		// the window itself understates how wrong the expectation can be.
		if d.resid.len() >= d.minResid() {
			e.Z = (x - e.Expected) / e.Scale
		}
		d.resid.push(x - e.Expected)
	}
	d.last = e
	d.det.push(d.detrend(x))
	// The ring's slot for the new value is where bins must go too.
	slot := (d.vals.head + d.vals.n) % len(d.vals.buf)
	if d.vals.full() {
		slot = d.vals.head
	}
	d.bins[slot] = uint8(b)
	d.vals.push(x)
	return severityScore(math.Abs(e.Z) / d.cfg.ZAlarm)
}

// detrend returns x relative to the median of the season before it: a
// difference, or a ratio when Multiplicative (NaN when that level is not
// positive).
func (d *SeasonalZ) detrend(x float64) float64 {
	k := min(d.cfg.Period, d.vals.len())
	if k == 0 || d.cfg.Bins <= 1 {
		return 0
	}
	d.sc.b = d.sc.b[:0]
	for i := 0; i < k; i++ {
		d.sc.b = append(d.sc.b, d.vals.last(i))
	}
	t := median(d.sc.b)
	if !d.cfg.Multiplicative {
		return x - t
	}
	if t <= 0 {
		return math.NaN()
	}
	return x / t
}

// minResid is how many residuals the scale needs before points are scored.
func (d *SeasonalZ) minResid() int { return max(3, d.cfg.MinHistory/2) }

func (d *SeasonalZ) bin(phase int) int {
	p := d.cfg.Period
	phase %= p
	if phase < 0 {
		phase += p
	}
	return phase * d.cfg.Bins / p
}

// estimate computes the expected value and residual scale of a point in
// phase bin b from the window, in O(window) and without allocating once
// warm.
func (d *SeasonalZ) estimate(b int) Estimate {
	n := d.vals.len()
	if n < d.cfg.MinHistory {
		return Estimate{}
	}
	size := len(d.vals.buf)
	binAt := func(i int) int { return int(d.bins[(d.vals.head+i)%size]) }
	season := d.season
	if d.profileAge >= 0 && d.profileAge < d.refresh {
		d.profileAge++
	} else if d.cfg.Bins > 1 {
		d.profileAge = 1
		for k := range season {
			season[k] = 0
		}
		d.sc.b = d.sc.b[:0]
		for i := 0; i < n; i++ {
			if v := d.det.at(i); !math.IsNaN(v) {
				d.sc.b = append(d.sc.b, v)
			}
		}
		centre := median(d.sc.b)
		// One pass per slot, in the same scratch: O(window × bins) every
		// refresh points, and no per-slot buffers to keep per series.
		for k := range season {
			v := d.sc.b[:0]
			for i := 0; i < n; i++ {
				if binAt(i) == k {
					if x := d.det.at(i); !math.IsNaN(x) {
						v = append(v, x)
					}
				}
			}
			// A slot with too little history gets no seasonal effect
			// rather than a noisy one.
			if len(v) < 3 {
				continue
			}
			if !d.cfg.Multiplicative {
				season[k] = median(v) - centre
			} else if centre > 0 {
				season[k] = median(v)/centre - 1
			}
		}
	}
	d.sc.b = d.sc.b[:0]
	for i := n - d.cfg.Level; i < n; i++ {
		d.sc.b = append(d.sc.b, d.des(d.vals.at(i), binAt(i)))
	}
	level := median(d.sc.b)
	fromResid := d.resid.len() >= d.minResid()
	if d.scaleAge >= 0 && d.scaleAge < d.refresh && fromResid == d.scaleResid {
		d.scaleAge++
	} else {
		d.scaleAge, d.scaleResid = 1, fromResid
		d.sc.b = d.sc.b[:0]
		if fromResid {
			d.sc.b = d.resid.appendTo(d.sc.b)
		} else {
			// Too few residuals to score yet; this scale only fills Scale.
			for i := 0; i < n; i++ {
				d.sc.b = append(d.sc.b, d.des(d.vals.at(i), binAt(i)))
			}
		}
		// median reorders but keeps the values, which is all robustScale
		// needs.
		d.scale = robustScale(d.sc.b, median(d.sc.b))
	}
	scale := math.Max(d.cfg.MinScale, d.scale)
	if !(scale > 0) {
		// A perfectly flat history: any change is hugely surprising, but
		// keep z finite.
		scale = math.Max(1e-9, 1e-6*math.Abs(level))
	}
	return Estimate{Expected: d.reseason(level, b), Level: level, Scale: scale, Ready: true}
}

// des removes the season from x in phase bin b.
func (d *SeasonalZ) des(x float64, b int) float64 {
	if d.cfg.Multiplicative {
		return x / (1 + d.season[b])
	}
	return x - d.season[b]
}

// reseason puts the season of phase bin b on a level.
func (d *SeasonalZ) reseason(level float64, b int) float64 {
	if d.cfg.Multiplicative {
		return level * (1 + d.season[b])
	}
	return level + d.season[b]
}

// Deseasonalize removes the current seasonal profile from x at a phase.
func (d *SeasonalZ) Deseasonalize(phase int, x float64) float64 { return d.des(x, d.bin(phase)) }
