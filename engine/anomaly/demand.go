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
type DemandFilter struct {
	MinUnits float64 // default 10
	MinShare float64 // default 0.5
	MinLevel float64 // default 5
	StuckRun int     // default 3
}

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
	if !p.Alarm {
		return p, false
	}
	stuck := d.run >= d.f.StuckRun && v > 0
	// While the seasonal model warms up there is no expectation to
	// measure against: the ensemble's word stands.
	dev := math.Abs(v - p.Expected)
	if p.Detector == DetLevel {
		var week float64
		for _, r := range d.res {
			week += r
		}
		dev = math.Max(dev, math.Abs(week))
	}
	material := !finite(p.Expected) || dev >= d.f.MinUnits || (p.Expected >= d.f.MinLevel && dev >= d.f.MinShare*p.Expected)
	return p, stuck || material
}
