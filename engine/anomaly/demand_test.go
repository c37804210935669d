package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDemand_Push(t *testing.T) {
	const d = 300
	for _, c := range []struct {
		name   string
		level  float64
		lumpy  bool // bought about 4 at a time
		inject func(xs []float64)
		stored bool // an alarm within 30 days of day d is stored
	}{
		// A thin series that goes from one sale in three days to one and a
		// half a day: the detectors are right that it changed, but a few
		// units a week are not worth a look.
		{"a thin series that sells a few more a week", 0.3, false, func(xs []float64) {
			copy(xs[d:], genDaily(1+100, len(xs), 1.5, 0, true)[d:])
		}, false},
		{"a typed 100 on a thin series", 1, false, func(xs []float64) { xs[d] = 100 }, true},
		// Twelve on one day is three ordinary baskets for an item bought
		// four at a time, and a typed 100 is not.
		{"a day of 12 on a series bought in fours", 0.6, true, func(xs []float64) { xs[d] = 12 }, false},
		{"a typed 100 on a series bought in fours", 0.6, true, func(xs []float64) { xs[d] = 100 }, true},
		{"a dip to nothing at 12 a day", 12, false, func(xs []float64) { xs[d] = 0 }, true},
		{"a feed stuck for ten days", 12, false, func(xs []float64) {
			for i := d; i < d+10; i++ {
				xs[i] = xs[d-1]
			}
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			xs := genDaily(1, 400, c.level, 0, true)
			if c.lumpy {
				xs = genLumpy(1, 400, c.level, 4)
			}
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

// genLumpy is daily demand of purchases that come as a Poisson stream and
// buy a geometric number of units each (mean lump): rate units a day in
// all, the way a slow item bought a few at a time sells.
func genLumpy(seed uint64, n int, rate, lump float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 11))
	xs := make([]float64, n)
	for i := range xs {
		for range poissonDraw(r, rate/lump) {
			u := 1
			for r.Float64() < 1-1/lump {
				u++
			}
			xs[i] += float64(u)
		}
	}
	return xs
}

// Known answers: Poisson(1) has P(X ≥ 3) = 1 − e⁻¹·2.5; the negative
// binomial of mean 2 and variance 4 (size 2, p ½) has P(X ≥ 3) =
// 1 − (¼ + ¼ + 3/16).
func TestLogNBTail(t *testing.T) {
	for _, c := range []struct{ k, mu, vr, want float64 }{
		{3, 1, 1, 1 - math.Exp(-1)*2.5},
		{3, 2, 4, 0.3125},
		{1, 2, 4, 0.75},
		{0, 2, 4, 1},
		{2.5, 1, 1, 1 - math.Exp(-1)*2.5}, // whole units: 2.5 needs 3
		{1, 0, 0, 0},
	} {
		if got := math.Exp(logNBTail(c.k, c.mu, c.vr)); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("P(X ≥ %g | mean %g, var %g) = %.10f, want %.10f", c.k, c.mu, c.vr, got, c.want)
		}
	}
	// Far out it is tiny but finite, not 0: a typed 1,000 still ranks.
	if l := logNBTail(1000, 1, 1); math.IsInf(l, 0) || l > -1000 {
		t.Errorf("log P(X ≥ 1000 | Poisson 1) = %g", l)
	}
}

// A season's turn is not an anomaly once the series has a year to show it:
// the same rise a year earlier explains it. The first year it is stored;
// after-import checks, which push only a few months, see the year before
// through Seed.
func TestDemand_LastYearsSeason(t *testing.T) {
	const peak, weeks = 300, 4 // day of the year the season starts, and its length
	xs := genDaily(3, 800, 10, 0, true)
	for y := 0; y < 2; y++ {
		for i := y*364 + peak; i < y*364+peak+7*weeks; i++ {
			xs[i] *= 3
		}
	}
	stored := func(dm *Demand, from, to int) []int {
		var out []int
		for i := from; i < to; i++ {
			if _, store := dm.Push(i%7, xs[i]); store && (i%364 >= peak && i%364 < peak+7*weeks) {
				out = append(out, i)
			}
		}
		return out
	}
	all := stored(NewDemand(DailyConfig(), DemandFilter{}), 0, len(xs))
	var first, second []int
	for _, i := range all {
		if i < 364 {
			first = append(first, i)
		} else {
			second = append(second, i)
		}
	}
	if len(first) == 0 || len(second) != 0 {
		t.Errorf("season alarms stored in year one %v, year two %v; want some, then none", first, second)
	}
	// Pushing only the 140 days before the second season: seeded with the
	// year before, it is explained; without, it is not.
	begin := 364 + peak - 140
	seeded := NewDemand(DailyConfig(), DemandFilter{})
	seeded.Seed(xs[begin-LookBack : begin])
	if got := stored(seeded, begin, 364+peak+7*weeks); len(got) != 0 {
		t.Errorf("seeded: stored %v", got)
	}
	if got := stored(NewDemand(DailyConfig(), DemandFilter{}), begin, 364+peak+7*weeks); len(got) == 0 {
		t.Errorf("unseeded: nothing stored; the case tests nothing")
	}
}

// What last year's season does not explain: a day typed 3× or 10× in the
// season's first week or while it builds, and a season selling three
// times last year's.
func TestDemand_LastYearsSeasonLimits(t *testing.T) {
	const peak, weeks = 300, 4
	season := func(factor2 float64) []float64 {
		xs := genDaily(3, 800, 10, 0, true)
		for y, f := range []float64{3, factor2} {
			for i := y*364 + peak; i < y*364+peak+7*weeks; i++ {
				xs[i] *= f
			}
		}
		return xs
	}
	storedIn := func(xs []float64, from, to int) []int {
		dm := NewDemand(DailyConfig(), DemandFilter{})
		var out []int
		for i, x := range xs {
			if _, store := dm.Push(i%7, x); store && i >= from && i < to {
				out = append(out, i)
			}
		}
		return out
	}
	for _, c := range []struct {
		at     int
		factor float64
	}{{3, 10}, {3, 3}} {
		typo := season(3)
		day := 364 + peak + c.at
		typo[day] *= c.factor
		if got := storedIn(typo, day, day+1); len(got) != 1 {
			t.Errorf("a typed %g× on the season's day %d: stored %v", c.factor, c.at, got)
		}
	}
	// A season that builds up over three weeks, as last year's did: its
	// week is explained, a day three times that day's level is not.
	ramp := genDaily(3, 800, 10, 0, true)
	for y := 0; y < 2; y++ {
		for k := range 35 {
			ramp[y*364+peak+k] *= 1 + 2*min(1, float64(k)/21)
		}
	}
	day := 364 + peak + 10
	ramp[day] *= 3
	if got := storedIn(ramp, day, day+1); len(got) != 1 {
		t.Errorf("a typed 3× while the season builds: stored %v", got)
	}
	if got := storedIn(season(9), 364+peak, 364+peak+7*weeks); len(got) == 0 {
		t.Errorf("a season three times last year's: nothing stored")
	}
}
