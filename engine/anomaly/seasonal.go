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
// points) plus the seasonal profile of its phase (the median of the
// window's points in that phase, less the window's median). The z-score
// is the residual over 1.4826·MAD of the residuals of the window: median
// and MAD, not mean and standard deviation, so the anomalies in the
// history do not hide the next one.
type SeasonalZ struct {
	cfg    SeasonalZConfig
	vals   ring
	bins   []int // phase bin of each value in vals, same ring layout
	resid  ring
	n      int // points pushed (for Push's implicit phase)
	last   Estimate
	byBin  [][]float64
	buf    []float64
	season []float64
}

// Estimate is what SeasonalZ knew about the latest point.
type Estimate struct {
	Expected float64 // level + seasonal profile
	Seasonal float64 // the seasonal profile's part of Expected
	Scale    float64 // robust spread of the residuals
	Z        float64 // (x - Expected) / Scale; 0 while warming up
	Ready    bool    // enough history to score
}

// NewSeasonalZ returns a SeasonalZ detector.
func NewSeasonalZ(cfg SeasonalZConfig) *SeasonalZ {
	cfg = cfg.withDefaults()
	d := &SeasonalZ{cfg: cfg, vals: newRing(cfg.Window), resid: newRing(cfg.Window)}
	d.bins = make([]int, cfg.Window)
	d.byBin = make([][]float64, cfg.Bins)
	d.season = make([]float64, cfg.Bins)
	return d
}

// Config returns the configuration in effect, defaults filled in.
func (d *SeasonalZ) Config() SeasonalZConfig { return d.cfg }

// Reset forgets the series.
func (d *SeasonalZ) Reset() {
	d.vals.reset()
	d.resid.reset()
	d.n = 0
	d.last = Estimate{}
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
		e.Z = (x - e.Expected) / e.Scale
		d.resid.push(x - e.Expected)
	}
	d.last = e
	// The ring's slot for the new value is where bins must go too.
	slot := (d.vals.head + d.vals.n) % len(d.vals.buf)
	if d.vals.full() {
		slot = d.vals.head
	}
	d.bins[slot] = b
	d.vals.push(x)
	return severityScore(math.Abs(e.Z) / d.cfg.ZAlarm)
}

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
	binAt := func(i int) int { return d.bins[(d.vals.head+i)%size] }
	season := d.season
	for k := range season {
		season[k] = 0
	}
	if d.cfg.Bins > 1 {
		d.buf = d.vals.appendTo(d.buf[:0])
		overall := median(d.buf)
		for k := range d.byBin {
			d.byBin[k] = d.byBin[k][:0]
		}
		for i := 0; i < n; i++ {
			k := binAt(i)
			d.byBin[k] = append(d.byBin[k], d.vals.at(i))
		}
		for k, v := range d.byBin {
			// A slot with too little history gets no seasonal effect
			// rather than a noisy one.
			if len(v) >= 3 {
				season[k] = median(v) - overall
			}
		}
	}
	d.buf = d.buf[:0]
	for i := n - d.cfg.Level; i < n; i++ {
		d.buf = append(d.buf, d.vals.at(i)-season[binAt(i)])
	}
	level := median(d.buf)
	d.buf = d.buf[:0]
	if d.resid.len() >= max(3, d.cfg.MinHistory/2) {
		d.buf = d.resid.appendTo(d.buf)
	} else {
		// Too few residuals yet: use the spread of the deseasonalised
		// window itself.
		for i := 0; i < n; i++ {
			d.buf = append(d.buf, d.vals.at(i)-season[binAt(i)])
		}
	}
	// median reorders but keeps the values, which is all robustScale needs.
	scale := math.Max(d.cfg.MinScale, robustScale(d.buf, median(d.buf)))
	if !(scale > 0) {
		// A perfectly flat history: any change is hugely surprising, but
		// keep z finite.
		scale = math.Max(1e-9, 1e-6*math.Abs(level))
	}
	return Estimate{Expected: level + season[b], Seasonal: season[b], Scale: scale, Ready: true}
}
