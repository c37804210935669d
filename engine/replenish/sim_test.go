package replenish

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"stockroom/engine/forecast"
	"stockroom/model"
)

// genSeries makes n daily series of Poisson demand with a weekly pattern:
// a seeded stand-in for a sales history.
func genSeries(n, days int, seed uint64) []forecast.Series {
	r := rand.New(rand.NewPCG(seed, 1))
	start := model.MustDate("2024-01-01")
	out := make([]forecast.Series, n)
	for i := range out {
		mu := 0.3 + 20*r.Float64()*r.Float64()
		v := make([]float64, days)
		for d := range v {
			m := mu
			if start.AddDays(d).Weekday() >= 5 {
				m *= 1.4
			}
			v[d] = float64(poisson(r, m))
		}
		out[i] = forecast.Series{ID: string(rune('a'+i%26)) + string(rune('a'+i/26)), Start: start, Freq: forecast.Daily, Values: v}
	}
	return out
}

func poisson(r *rand.Rand, m float64) int {
	l, k, p := math.Exp(-m), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// Units are conserved, series by series and day by day: stock at the
// start + received − served − shrinkage = stock at the end, and demand =
// served + lost.
func TestSimulate_Conservation(t *testing.T) {
	series := genSeries(6, 200, 3)
	for _, o := range []SimOptions{
		{Policy: PolicyAuto, Service: 0.95, LeadMean: 5, LeadSD: 1.5, Days: 90, Shrink: 0.01, Seed: 1, Models: []string{"sba", "ses"}},
		{Policy: PolicyMinMax, MinDays: 6, MaxDays: 10, LeadMean: 5, LeadSD: 1.5, Days: 120, Shrink: 0.02, Seed: 2, PackSize: 6},
		{Policy: PolicySeedThreshold, ThresholdDays: 12, LeadMean: 3, Days: 120, ReviewDays: 3, Seed: 3, MOQ: 20},
	} {
		t.Run(o.Policy, func(t *testing.T) {
			type acc struct{ rec, served, shrink, last int64 }
			per := map[string]*acc{}
			var prev = map[string]int64{}
			res, err := Simulate(context.Background(), series, o, func(d SimDay) {
				a := per[d.Series]
				if a == nil {
					a = &acc{}
					per[d.Series] = a
				}
				if p, ok := prev[d.Series]; ok && p+d.Received-int64(d.Served)-d.Shrink != d.OnHand {
					t.Errorf("%s %s: %d + %d − %g − %d ≠ %d", d.Series, d.Date, p, d.Received, d.Served, d.Shrink, d.OnHand)
				}
				prev[d.Series] = d.OnHand
				if math.Abs(d.Demand-d.Served-d.Lost) > 1e-9 {
					t.Errorf("%s %s: demand %g ≠ served %g + lost %g", d.Series, d.Date, d.Demand, d.Served, d.Lost)
				}
				a.rec += d.Received
				a.served += int64(d.Served)
				a.shrink += d.Shrink
				a.last = d.OnHand
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total.Series != len(series) {
				t.Fatalf("%d series replayed, want %d", res.Total.Series, len(series))
			}
			for id, s := range res.PerSeries {
				if got := s.StartStock + s.Received - int64(s.Served) - s.Shrinkage; got != s.EndStock {
					t.Errorf("%s: start %d + received %d − served %g − shrinkage %d = %d, end %d", id, s.StartStock, s.Received, s.Served, s.Shrinkage, got, s.EndStock)
				}
				a := per[id]
				if a.rec != s.Received || a.served != int64(s.Served) || a.shrink != s.Shrinkage || a.last != s.EndStock {
					t.Errorf("%s: daily rows sum to %+v, totals %+v", id, *a, s)
				}
			}
			tt := res.Total
			if got := tt.StartStock + tt.Received - int64(tt.Served) - tt.Shrinkage; got != tt.EndStock {
				t.Errorf("totals: %d ≠ end %d", got, tt.EndStock)
			}
			if math.Abs(tt.Demand-tt.Served-tt.Lost) > 1e-6 {
				t.Errorf("totals: demand %g ≠ served %g + lost %g", tt.Demand, tt.Served, tt.Lost)
			}
			if o.Shrink > 0 && tt.Shrinkage == 0 {
				t.Errorf("shrink %g lost nothing", o.Shrink)
			}
			if tt.Orders == 0 || tt.FillRate() <= 0 || tt.FillRate() > 1 {
				t.Errorf("orders %d fill %g", tt.Orders, tt.FillRate())
			}
		})
	}
}

// The same seed gives the same replay; the workers do not change it.
func TestSimulate_Deterministic(t *testing.T) {
	series := genSeries(5, 160, 9)
	o := SimOptions{Policy: PolicyAuto, Service: 0.9, LeadMean: 4, LeadSD: 1, Days: 60, Seed: 5, Models: []string{"sba", "ses"}}
	a, err := Simulate(context.Background(), series, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Workers = 1
	b, err := Simulate(context.Background(), series, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Total != b.Total {
		t.Errorf("replays differ:\n%+v\n%+v", a.Total, b.Total)
	}
}

// On stationary demand the auto policy lands within 1.5 points of its
// fill-rate target, and a higher target costs more stock.
func TestSimulate_AutoMeetsTarget(t *testing.T) {
	series := genSeries(12, 400, 11)
	var prev SimTotals
	for _, target := range []float64{0.90, 0.98} {
		res, err := Simulate(context.Background(), series, SimOptions{Policy: PolicyAuto, Service: target, LeadMean: 7, LeadSD: 2,
			Days: 180, Seed: 1, Models: []string{"ses", "sba"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		fr := res.Total.FillRate()
		// The band: within 1.5 points of the target.
		if math.Abs(fr-target) > 0.015 {
			t.Errorf("target %.2f: fill rate %.4f", target, fr)
		}
		if prev.Days > 0 && res.Total.AvgOnHand <= prev.AvgOnHand {
			t.Errorf("target %.2f holds %.1f on average, not more than %.1f at the lower target", target, res.Total.AvgOnHand, prev.AvgOnHand)
		}
		prev = res.Total
	}
}

// Tune finds baseline parameters that reach the target from above, with
// the least stock among its shapes.
func TestTune(t *testing.T) {
	series := genSeries(8, 300, 4)
	for _, pol := range []string{PolicyMinMax, PolicySeedThreshold} {
		t.Run(pol, func(t *testing.T) {
			tu, err := Tune(context.Background(), series, SimOptions{Policy: pol, LeadMean: 5, LeadSD: 1, Days: 150, Seed: 1}, 0.93)
			if err != nil {
				t.Fatal(err)
			}
			fr := tu.Result.Total.FillRate()
			if fr < 0.93 || fr > 0.94 {
				t.Errorf("tuned fill rate %.4f, want just over 0.93", fr)
			}
			// Replaying the tuned options gives the same result.
			again, err := Simulate(context.Background(), series, tu.Options, nil)
			if err != nil {
				t.Fatal(err)
			}
			if again.Total != tu.Result.Total {
				t.Errorf("replaying tuned options differs")
			}
		})
	}
}

// TuneTo reaches a target on another measure of service: the cycle
// service level and the mean of the series' own fill rates.
func TestTuneTo(t *testing.T) {
	series := genSeries(24, 300, 4)
	o := SimOptions{Policy: PolicyMinMax, LeadMean: 5, LeadSD: 1, Days: 150, Seed: 1}
	for name, service := range map[string]func(SimResult) float64{"cycle service": TotalCycleService, "mean series fill": MeanSeriesFill} {
		tu, err := TuneTo(context.Background(), series, o, 0.9, service)
		if err != nil {
			t.Fatal(err)
		}
		if got := service(tu.Result); got < 0.9 || got > 0.92 {
			t.Errorf("%s: tuned to %.4f, want just over 0.9", name, got)
		}
	}
}

// MeanSeriesFill weighs every series that had demand the same.
func TestMeanSeriesFill(t *testing.T) {
	r := SimResult{PerSeries: map[string]SimTotals{
		"slow": {Demand: 10, Served: 5}, "none": {}, "fast": {Demand: 1000, Served: 1000}}}
	if got := MeanSeriesFill(r); got != 0.75 {
		t.Errorf("mean series fill %v, want (0.5 + 1) / 2 = 0.75", got)
	}
}

// Progress counts the replay's weekly blocks up to the whole, in order;
// tuning counts its shapes instead of restarting with every replay.
func TestSimulate_Progress(t *testing.T) {
	series := genSeries(3, 200, 5)
	var got [][2]int
	o := SimOptions{Policy: PolicyMinMax, MinDays: 6, MaxDays: 9, LeadMean: 3, Days: 30, Seed: 1,
		Progress: func(done, total int) { got = append(got, [2]int{done, total}) }}
	if _, err := Simulate(context.Background(), series, o, nil); err != nil {
		t.Fatal(err)
	}
	// 30 days in blocks of 7: 5 blocks, reported before each and at the end.
	want := [][2]int{{0, 5}, {1, 5}, {2, 5}, {3, 5}, {4, 5}, {5, 5}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("replay progress %v, want %v", got, want)
	}
	got = nil
	o.MinDays, o.MaxDays = 0, 0
	if _, err := Tune(context.Background(), series, o, 0.9); err != nil {
		t.Fatal(err)
	}
	n := len(TuneGaps)
	if len(got) != n+1 || got[0] != [2]int{0, n} || got[n] != [2]int{n, n} {
		t.Errorf("tuning progress %v, want 0…%d of %d", got, n, n)
	}
}

func TestSimulate_BadOptions(t *testing.T) {
	series := genSeries(1, 100, 1)
	for _, o := range []SimOptions{
		{Policy: "magic"},
		{Policy: PolicyAuto, Service: 1.2, LeadMean: 3},
		{Policy: PolicyMinMax, LeadMean: -1},
		{Policy: PolicyMinMax, Shrink: 1},
	} {
		if _, err := Simulate(context.Background(), series, o, nil); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// BenchmarkPoissonFill replays 40 series of stationary Poisson demand
// (0.3, 1, 3 and 10 a day, 500 days) under the auto policy and reports the
// fill rate it reaches at each target, beside its time: how the policy's
// lost-sales planning does where the forecast is as good as it can be.
//
//	go test ./engine/replenish -run '^$' -bench PoissonFill -benchtime 1x
func BenchmarkPoissonFill(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 1))
	start := model.MustDate("2023-01-01")
	var series []forecast.Series
	for s := range 40 {
		v := make([]float64, 500)
		for d := range v {
			v[d] = float64(poisson(r, []float64{0.3, 1, 3, 10}[s%4]))
		}
		series = append(series, forecast.Series{ID: "S" + strconv.Itoa(s), Start: start, Freq: forecast.Daily, Values: v})
	}
	for range b.N {
		for _, target := range []float64{0.90, 0.95, 0.98} {
			res, err := Simulate(context.Background(), series, SimOptions{Policy: PolicyAuto, Service: target, LeadMean: 7, LeadSD: 2, Seed: 1}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(100*res.Total.FillRate(), fmt.Sprintf("fill%%@%.0f", 100*target))
		}
	}
}
