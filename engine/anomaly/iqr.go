package anomaly

import "math"

// IQRConfig configures an IQR detector. Zero fields take the defaults.
type IQRConfig struct {
	Window     int     // points of history (default 56)
	MinHistory int     // points before scoring (default Window/2, at least 8)
	K          float64 // fence distance in IQRs (default 1.5: Tukey's inner fences)
	MinIQR     float64 // floor of the interquartile range, in the series' units
}

func (c IQRConfig) withDefaults() IQRConfig {
	if c.Window <= 0 {
		c.Window = 56
	}
	if c.MinHistory <= 0 {
		c.MinHistory = max(c.Window/2, 8)
	}
	c.MinHistory = min(c.MinHistory, c.Window)
	if c.K <= 0 {
		c.K = 1.5
	}
	return c
}

// IQR scores a point by how far it lies beyond Tukey's fences
// [Q1 - K·IQR, Q3 + K·IQR] of the recent window: 0 inside the box, 0.5 at
// a fence, 0.8 at twice the fence distance. Fed residuals (as the
// Ensemble does) it is seasonality-aware.
type IQR struct {
	cfg    IQRConfig
	vals   ring
	sc     *scratch // shared with the other detectors of an Ensemble
	q1, q3 float64
	age    int // points since the quartiles were computed; -1: stale
}

// NewIQR returns an IQR detector.
func NewIQR(cfg IQRConfig) *IQR {
	cfg = cfg.withDefaults()
	return &IQR{cfg: cfg, vals: newRing(cfg.Window), age: -1, sc: &scratch{}}
}

// Reset forgets the series.
func (d *IQR) Reset() {
	d.vals.reset()
	d.age = -1
}

// Fences returns the current lower and upper fences (NaN while warming up).
func (d *IQR) Fences() (lo, hi float64) {
	q1, q3, ok := d.quartiles()
	if !ok {
		return math.NaN(), math.NaN()
	}
	iqr := math.Max(q3-q1, d.cfg.MinIQR)
	return q1 - d.cfg.K*iqr, q3 + d.cfg.K*iqr
}

func (d *IQR) quartiles() (q1, q3 float64, ok bool) {
	if d.vals.len() < d.cfg.MinHistory {
		return 0, 0, false
	}
	// The quartiles move slowly: refresh them after a sixteenth of the
	// window.
	if d.age < 0 || d.age >= max(1, d.cfg.Window/16) {
		d.sc.b = d.vals.appendTo(d.sc.b[:0])
		d.q1 = quantile(d.sc.b, 0.25)
		d.q3 = quantile(d.sc.b, 0.75)
		d.age = 0
	}
	return d.q1, d.q3, true
}

// Push scores the next point.
func (d *IQR) Push(x float64) float64 {
	if !finite(x) {
		return 0
	}
	q1, q3, ok := d.quartiles()
	d.vals.push(x)
	if d.age >= 0 {
		d.age++
	}
	if !ok {
		return 0
	}
	iqr := math.Max(q3-q1, d.cfg.MinIQR)
	var out float64
	switch {
	case x > q3:
		out = x - q3
	case x < q1:
		out = q1 - x
	default:
		return 0
	}
	if !(iqr > 0) {
		// Half the window or more is one value: any other value is
		// beyond the fences; grade it by distance to the nearest quartile.
		iqr = math.Max(1e-9, 1e-6*math.Abs(q3))
	}
	return severityScore(out / (d.cfg.K * iqr))
}
