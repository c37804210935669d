package anomaly

import "math"

// Detector scores the points of one series as they arrive. Push takes the
// next value and returns its score in [0, 1]; a NaN value is a missing
// point: it scores 0 and leaves the state alone. Reset forgets the series.
type Detector interface {
	Push(x float64) float64
	Reset()
}

// PhaseDetector is a Detector that can be told where in the season a
// point falls, for series with gaps or irregular timestamps. Push(x) is
// PushPhase(n mod period, x) for the n-th point pushed.
type PhaseDetector interface {
	Detector
	PushPhase(phase int, x float64) float64
}

// Batch scores a whole series with a fresh detector. The scores are the
// ones the detector gives in streaming: point i is scored from points
// 0..i only.
func Batch(d Detector, xs []float64) []float64 {
	d.Reset()
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = d.Push(x)
	}
	return out
}

// BatchPhases is Batch with an explicit phase per point (see PhaseOf).
func BatchPhases(d PhaseDetector, phases []int, xs []float64) []float64 {
	d.Reset()
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = d.PushPhase(phases[i], x)
	}
	return out
}

// PhaseOf returns the phase of a point at unix time t (seconds) in a
// season of period points spaced step seconds apart: which slot of the
// day (or week) it falls in, whatever gaps came before it.
func PhaseOf(t, step int64, period int) int {
	if period <= 1 || step <= 0 {
		return 0
	}
	season := step * int64(period)
	m := t % season
	if m < 0 {
		m += season
	}
	return int(m / step)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
