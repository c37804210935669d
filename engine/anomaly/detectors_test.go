package anomaly

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"stockroom/model"
	"testing"
)

func TestMedianQuantile(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 60; n++ {
		a := make([]float64, n)
		for i := range a {
			a[i] = math.Round(r.NormFloat64() * 3) // ties on purpose
		}
		s := sortedCopy(a)
		want := s[n/2]
		if n%2 == 0 {
			want = (s[n/2-1] + s[n/2]) / 2
		}
		if got := median(slices.Clone(a)); got != want {
			t.Fatalf("n=%d: median %g, want %g (%v)", n, got, want, s)
		}
		for _, q := range []float64{0, 0.25, 0.5, 0.75, 1} {
			h := q * float64(n-1)
			k := int(h)
			w := s[k]
			if k+1 < n {
				w += (h - float64(k)) * (s[k+1] - s[k])
			}
			if got := quantile(slices.Clone(a), q); math.Abs(got-w) > 1e-12 {
				t.Fatalf("n=%d q=%g: %g, want %g", n, q, got, w)
			}
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing must be NaN")
	}
}

func TestRobustScale(t *testing.T) {
	// Deviations from 5: 4 3 2 1 0 1 2 3 4; MAD 2, none beyond 3·1.4826·2,
	// so the result is the plain RMS deviation, sqrt(60/9), over 0.9975.
	a := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	if got, want := robustScale(a, 5), math.Sqrt(60.0/9)/0.9975; math.Abs(got-want) > 1e-12 {
		t.Errorf("got %g, want %g", got, want)
	}
	// A wild point counts only up to 3 starting scales.
	b := []float64{1, 2, 3, 4, 5, 6, 7, 8, 1e6}
	lim := 3 * 1.4826 * 2 // deviations 4 3 2 1 0 1 2 3 and the wild one: MAD still 2
	bb := []float64{4, 3, 2, 1, 0, 1, 2, 3, lim}
	var ss float64
	for _, d := range bb {
		ss += d * d
	}
	if got, want := robustScale(b, 5), math.Sqrt(ss/9)/0.9975; math.Abs(got-want) > 1e-9 {
		t.Errorf("wild point: got %g, want %g", got, want)
	}
	// Mostly flat: MAD is 0, so the mean absolute deviation starts it:
	// s0 = 1.2533·10/8, and the one deviation of 10 is cut at 3·s0.
	c := []float64{3, 3, 3, 3, 3, 3, 3, 13}
	s0 := 1.2533 * 10 / 8
	if got, want := robustScale(c, 3), math.Sqrt(9*s0*s0/8)/0.9975; math.Abs(got-want) > 1e-12 {
		t.Errorf("flat: got %g, want %g", got, want)
	}
	// Normal noise: within 10% of the true spread on 200 points.
	r := rand.New(rand.NewPCG(3, 3))
	d := make([]float64, 200)
	for i := range d {
		d[i] = 2 * r.NormFloat64()
	}
	if got := robustScale(d, 0); math.Abs(got-2) > 0.2 {
		t.Errorf("normal noise of sd 2: got %g", got)
	}
}

func TestPhaseOf(t *testing.T) {
	for _, c := range []struct {
		t, step int64
		period  int
		want    int
	}{
		{0, 300, 288, 0},
		{86400 + 600, 300, 288, 2},
		{86400 - 300, 300, 288, 287},
		{-300, 300, 288, 287},
		{1234, 0, 288, 0},
		{1234, 300, 1, 0},
	} {
		if got := PhaseOf(c.t, c.step, c.period); got != c.want {
			t.Errorf("PhaseOf(%d, %d, %d) = %d, want %d", c.t, c.step, c.period, got, c.want)
		}
	}
}

func TestSeasonalZ_Push(t *testing.T) {
	xs := genClean(3, 300, 100, 4, false, 3)
	xs[250] += 60 // 15 noise sd
	d := NewSeasonalZ(SeasonalZConfig{Period: 7})
	scores := Batch(d, xs)
	for i, s := range scores[:d.Config().MinHistory] {
		if s != 0 {
			t.Fatalf("point %d scored %g while warming up", i, s)
		}
	}
	if scores[250] < 0.9 {
		t.Errorf("spike scored %g, want >= 0.9", scores[250])
	}
	var worst float64
	for i, s := range scores {
		if i != 250 {
			worst = math.Max(worst, s)
		}
	}
	if worst >= 0.5 {
		t.Errorf("clean points scored up to %g, want < 0.5", worst)
	}
	// The seasonal model must know Saturdays are busy: expected value of
	// the last point within 3 noise sd of the truth.
	d.Reset()
	for _, x := range xs[:294] {
		d.Push(x)
	}
	d.Push(xs[294])
	truth := 100 * weekShape[294%7]
	if e := d.Last(); !e.Ready || math.Abs(e.Expected-truth) > 12 {
		t.Errorf("expected %.1f (ready %v), truth %.1f", e.Expected, e.Ready, truth)
	}
}

func TestIQR_Push(t *testing.T) {
	d := NewIQR(IQRConfig{Window: 20, MinHistory: 20, K: 1.5})
	for i := 1; i <= 20; i++ {
		if s := d.Push(float64(i)); s != 0 {
			t.Fatalf("warm-up point %d scored %g", i, s)
		}
	}
	// Window 1..20: Q1 5.75, Q3 15.25, IQR 9.5: fences -8.5 and 29.5.
	lo, hi := d.Fences()
	if math.Abs(lo-(-8.5)) > 1e-9 || math.Abs(hi-29.5) > 1e-9 {
		t.Fatalf("fences %g, %g; want -8.5, 29.5", lo, hi)
	}
	if s := d.Push(29.5); math.Abs(s-0.5) > 1e-9 {
		t.Errorf("a point on the upper fence scored %g, want 0.5", s)
	}
	if s := d.Push(10); s != 0 {
		t.Errorf("a point inside the box scored %g, want 0", s)
	}
	if s := d.Push(-30); s < 0.9 {
		t.Errorf("far below the lower fence scored %g, want >= 0.9", s)
	}
}

func TestLevelShift_Push(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	xs := make([]float64, 400)
	for i := range xs {
		xs[i] = r.NormFloat64()
		if i >= 300 {
			xs[i] += 2.5
		}
	}
	d := NewLevelShift(ChangeConfig{Window: 112, Alarm: 10})
	first := -1
	for i, x := range xs {
		if d.Push(x) >= 0.5 && first < 0 {
			first = i
		}
	}
	if first < 300 || first > 310 {
		t.Fatalf("first alarm at %d, want within 10 points after the shift at 300", first)
	}
	if d.Statistic() != 0 && math.Abs(d.Statistic()) >= 1 {
		t.Errorf("statistic %g after re-learning the level, want below 1", d.Statistic())
	}
}

func TestVarianceShift_Push(t *testing.T) {
	t.Run("spread", func(t *testing.T) {
		r := rand.New(rand.NewPCG(4, 4))
		xs := make([]float64, 400)
		for i := range xs {
			xs[i] = 50 + r.NormFloat64()
			if i >= 300 {
				xs[i] = 50 + 5*r.NormFloat64()
			}
		}
		d := NewVarianceShift(ChangeConfig{Window: 112, Alarm: 10})
		first := -1
		for i, x := range xs {
			if d.Push(x) >= 0.5 && first < 0 {
				first = i
			}
		}
		if first < 300 || first > 315 {
			t.Fatalf("first alarm at %d, want within 15 points after the change at 300", first)
		}
	})
	t.Run("stuck", func(t *testing.T) {
		xs := genDaily(5, 200, 30, 0, true)
		for i := 150; i < 160; i++ {
			xs[i] = 27
		}
		d := NewVarianceShift(ChangeConfig{Window: 112, Alarm: 10})
		first := -1
		for i, x := range xs {
			if d.Push(x) >= 0.5 && first < 0 {
				first = i
			}
		}
		if first < 152 || first > 156 {
			t.Fatalf("first alarm at %d, want a stuck feed from 150 flagged within a few repeats", first)
		}
	})
}

func TestIForest_Push(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	xs := make([]float64, 400)
	for i := range xs {
		xs[i] = 50 + 3*r.NormFloat64()
	}
	xs[350] = 80 // 10 sd
	a := Batch(NewIForest(IForestConfig{Seed: 1}), xs)
	b := Batch(NewIForest(IForestConfig{Seed: 1}), xs)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave different scores")
	}
	if a[350] < 0.5 {
		t.Errorf("outlier scored %g, want >= 0.5", a[350])
	}
	s := sortedCopy(a[200:350])
	if q := s[len(s)*9/10]; q > 0.3 {
		t.Errorf("90th percentile of ordinary points %g, want <= 0.3", q)
	}
}

func TestNovelty_Push(t *testing.T) {
	d := NewNovelty(NoveltyConfig{Min: 0, Max: 7, Levels: 8, Words: 2})
	// A repeating pattern becomes familiar; a new level is fully novel; a
	// known level after an unusual predecessor is half novel (its level
	// is known, the pair is not).
	for i := 0; i < 3; i++ {
		for _, x := range []float64{1, 2, 3, 2} {
			d.Push(x)
		}
	}
	if s := d.Push(1); s != 0 {
		t.Errorf("familiar point scored %g, want 0", s)
	}
	if s := d.Push(7); s != 1 {
		t.Errorf("new level scored %g, want 1", s)
	}
	if s := d.Push(3); s != 0.5 {
		t.Errorf("known level after a new one scored %g, want 0.5", s)
	}
}

func TestNovelty_warmupLayout(t *testing.T) {
	xs := genDaily(2, 200, 40, 0, true)
	d := NewNovelty(NoveltyConfig{Words: 1, Warmup: 56})
	sc := Batch(d, xs)
	for i := 0; i < 56; i++ {
		if sc[i] != 0 {
			t.Fatalf("warm-up point %d scored %g", i, sc[i])
		}
	}
	d.Push(400) // ten times the level: a level never seen
	if s := d.Push(4000); s != 1 {
		t.Errorf("a far new level scored %g, want 1", s)
	}
}

func TestBatch_matchesStreaming(t *testing.T) {
	xs := genDaily(11, 300, 20, 0, true)
	xs[200] = 200
	e := NewEnsemble(DailyConfig())
	var stream []float64
	for _, x := range xs {
		stream = append(stream, e.Push(x))
	}
	if got := Batch(NewEnsemble(DailyConfig()), xs); !slices.Equal(got, stream) {
		t.Fatal("Batch differs from pushing the points one by one")
	}
	// Reset must give a fresh detector: the same scores again.
	if got := Batch(e, xs); !slices.Equal(got, stream) {
		t.Fatal("Batch after Reset differs")
	}
}

func TestEnsemble_missingValues(t *testing.T) {
	xs := genDaily(12, 200, 20, 0, true)
	xs[150] = math.NaN()
	sc := Batch(NewEnsemble(DailyConfig()), xs)
	if sc[150] != 0 {
		t.Errorf("a missing point scored %g, want 0", sc[150])
	}
	for i, s := range sc {
		if math.IsNaN(s) || s < 0 || s > 1 {
			t.Fatalf("point %d scored %g, outside [0, 1]", i, s)
		}
	}
}

// TestEnsemble_clean: clean seasonal series (no point beyond 3 noise sd)
// of every volume raise no alert over two years.
func TestEnsemble_clean(t *testing.T) {
	for _, c := range []struct {
		name    string
		level   float64
		noise   float64
		poisson bool
		seed    uint64
	}{
		{"gaussian", 50, 5, false, 1},
		{"poisson 3", 3, 0, true, 2},
		{"poisson 12", 12, 0, true, 3},
		{"poisson 40", 40, 0, true, 4},
		{"poisson 250", 250, 0, true, 5},
		{"poisson 40 b", 40, 0, true, 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			xs := genClean(c.seed, 730, c.level, c.noise, c.poisson, 3)
			if a := alarms(DailyConfig(), xs); len(a) > 0 {
				t.Errorf("alarms at days %v on a clean series", a)
			}
		})
	}
}

// TestEnsemble_injected: known spikes, dips, level shifts and stuck
// values are found, within a few days, on several series each.
func TestEnsemble_injected(t *testing.T) {
	const at = 400
	inject := map[string]func(xs []float64, seed uint64){
		"spike x10": func(xs []float64, _ uint64) { xs[at] = math.Max(xs[at], 1) * 10 },
		"dip to 0":  func(xs []float64, _ uint64) { xs[at] = 0 },
		"level x2": func(xs []float64, seed uint64) {
			copy(xs[at:], genDaily(seed+100, len(xs), 2*40, 0, true)[at:])
		},
		"level x0.5": func(xs []float64, seed uint64) {
			copy(xs[at:], genDaily(seed+100, len(xs), 0.5*40, 0, true)[at:])
		},
		"stuck 7 days": func(xs []float64, _ uint64) {
			for i := at; i < at+7; i++ {
				xs[i] = xs[at]
			}
		},
	}
	names := make([]string, 0, len(inject))
	for k := range inject {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for seed := uint64(21); seed < 26; seed++ {
				xs := genDaily(seed, 520, 40, 0, true)
				inject[name](xs, seed)
				a := alarms(DailyConfig(), xs)
				i := sort.SearchInts(a, at)
				if i == len(a) || a[i] > at+10 {
					t.Errorf("seed %d: alarms at %v, want one within 10 days of %d", seed, a, at)
				}
			}
		})
	}
}

// TestEnsemble_oneAlertPerEpisode: a level shift that stays raises one
// alert, however many points after it look anomalous before the models
// learn the new level; later points of the episode score 0.
func TestEnsemble_oneAlertPerEpisode(t *testing.T) {
	xs := genDaily(31, 700, 40, 0, true)
	copy(xs[400:], genDaily(32, 700, 160, 0, true)[400:])
	e := NewEnsemble(DailyConfig())
	var alerts []int
	suppressed := 0
	for i, x := range xs {
		e.Push(x)
		p := e.Last()
		if p.Alarm {
			alerts = append(alerts, i)
		}
		if i > 400 && p.Raw >= e.Config().Threshold {
			suppressed++
			if p.Score != 0 {
				t.Errorf("day %d: score %g inside the episode, want 0", i, p.Score)
			}
		}
	}
	if len(alerts) != 1 || alerts[0] < 400 || alerts[0] > 403 {
		t.Errorf("alerts at %v, want exactly one, at 400..403", alerts)
	}
	if suppressed == 0 {
		t.Error("no point after the shift scored high before suppression: nothing was suppressed")
	}
}

func TestEnsemble_expectedOfCounts(t *testing.T) {
	xs := genDaily(41, 300, 30, 0, true)
	e := NewEnsemble(DailyConfig())
	for _, x := range xs {
		e.Push(x)
	}
	// Day 299 is a Monday-shaped day (299 % 7 = 5: the Saturday slot).
	truth := 30 * weekShape[299%7]
	if p := e.Last(); math.Abs(p.Expected-truth) > 3*math.Sqrt(truth) {
		t.Errorf("expected %.1f, truth %.1f", p.Expected, truth)
	}
}

func TestPoint_Anomaly(t *testing.T) {
	xs := genClean(51, 300, 30, 0, true, 3)
	start := model.MustDate("2025-01-06") // a Monday
	e := NewEnsemble(DailyConfig())
	var got []model.Anomaly
	xs[250] = 400
	for i, x := range xs {
		e.PushPhase(WeekdayPhase(start.AddDays(i)), x)
		if p := e.Last(); p.Alarm {
			got = append(got, p.Anomaly("SKU-1", "DC", "web", start.AddDays(i), x))
		}
	}
	var a model.Anomaly
	for _, x := range got {
		if x.Date == start.AddDays(250) {
			a = x
		}
	}
	if a.Date != start.AddDays(250) || a.Observed != 400 || a.Detector == "" || a.State != model.AnomalyOpen {
		t.Errorf("%+v", a)
	}
	if err := a.Validate(); err != nil {
		t.Errorf("does not validate: %v", err)
	}
	if math.Abs(a.Expected-30*weekShape[250%7]) > 10 {
		t.Errorf("expected %.1f, truth %.1f", a.Expected, 30*weekShape[250%7])
	}
}
