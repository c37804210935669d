package anomaly

import (
	"math"
	"testing"
)

func TestDemand_Push(t *testing.T) {
	const d = 300
	for _, c := range []struct {
		name   string
		level  float64
		inject func(xs []float64)
		stored bool // an alarm within 30 days of day d is stored
	}{
		// A thin series that goes from one sale in three days to one and a
		// half a day: the detectors are right that it changed, but a few
		// units a week are not worth a look.
		{"a thin series that sells a few more a week", 0.3, func(xs []float64) {
			copy(xs[d:], genDaily(1+100, len(xs), 1.5, 0, true)[d:])
		}, false},
		{"a typed 100 on a thin series", 1, func(xs []float64) { xs[d] = 100 }, true},
		{"a dip to nothing at 12 a day", 12, func(xs []float64) { xs[d] = 0 }, true},
		{"a feed stuck for ten days", 12, func(xs []float64) {
			for i := d; i < d+10; i++ {
				xs[i] = xs[d-1]
			}
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			xs := genDaily(1, 400, c.level, 0, true)
			c.inject(xs)
			var raised, stored []int
			dm := NewDemand(DailyConfig(), DemandFilter{})
			en := NewEnsemble(DailyConfig())
			for i, x := range xs {
				en.Push(x)
				p, store := dm.Push(i%7, x)
				if p.Alarm != en.Last().Alarm || p.Raw != en.Last().Raw {
					t.Fatalf("day %d: Demand's verdict %+v differs from the ensemble's %+v", i, p, en.Last())
				}
				if p.Alarm && i >= d && i < d+30 {
					raised = append(raised, i)
				}
				if store {
					if !p.Alarm {
						t.Fatalf("day %d stored without an alarm", i)
					}
					if i >= d && i < d+30 {
						stored = append(stored, i)
					}
				}
			}
			if len(raised) == 0 {
				t.Fatalf("the ensemble raised nothing: the case tests nothing")
			}
			if (len(stored) > 0) != c.stored {
				t.Errorf("alarms %v, stored %v; want stored: %v", raised, stored, c.stored)
			}
		})
	}
	// Missing days are neither stored nor counted as a repeat.
	dm := NewDemand(DailyConfig(), DemandFilter{})
	for i := range 20 {
		if _, store := dm.Push(i%7, math.NaN()); store {
			t.Fatalf("a missing day stored")
		}
	}
}
