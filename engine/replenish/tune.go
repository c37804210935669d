package replenish

import (
	"context"
	"errors"
	"fmt"

	"stockroom/engine/forecast"
)

// Tuned is a baseline policy's parameters fitted to reach a fill rate,
// and the replay they give.
type Tuned struct {
	Options SimOptions
	Result  SimResult
}

// TuneGaps are the spreads between min and max (minmax, in days of
// demand) and the level/threshold ratios (seed-threshold) Tune tries.
var (
	TuneGaps   = []float64{1, 3, 7, 14}
	TuneRatios = []float64{1, 1.25, 1.5, 2}
)

// Tune fits a baseline policy (minmax or seed-threshold) to a target fill
// rate with hindsight, for comparisons at equal service: for each shape
// (minmax: max − min in days; seed-threshold: level ÷ threshold) it finds
// by bisection the smallest level in days whose replay reaches the
// target, and it keeps the shape with the least average stock. The
// baselines get every advantage: their parameters are chosen on the very
// history they are scored on.
func Tune(ctx context.Context, series []forecast.Series, o SimOptions, target float64) (Tuned, error) {
	return TuneTo(ctx, series, o, target, TotalFill)
}

// TuneTo is Tune for another measure of service that grows with stock
// (TotalCycleService, MeanSeriesFill), to compare policies on it instead.
func TuneTo(ctx context.Context, series []forecast.Series, o SimOptions, target float64, service func(SimResult) float64) (Tuned, error) {
	if o.Policy != PolicyMinMax && o.Policy != PolicySeedThreshold {
		return Tuned{}, fmt.Errorf("tune: policy %q has no parameters to tune", o.Policy)
	}
	if !(target > 0 && target < 1) {
		return Tuned{}, fmt.Errorf("tune: target service must be within (0,1), got %g", target)
	}
	shapes := TuneGaps
	if o.Policy == PolicySeedThreshold {
		shapes = TuneRatios
	}
	// The replays' own progress would restart with each of them: report
	// shapes done instead.
	progress := o.Progress
	o.Progress = nil
	var best *Tuned
	for i, shape := range shapes {
		if progress != nil {
			progress(i, len(shapes))
		}
		set := func(o SimOptions, days float64) SimOptions {
			if o.Policy == PolicyMinMax {
				o.MinDays, o.MaxDays = days, days+shape
			} else {
				o.ThresholdDays, o.LevelDays = days, days*shape
			}
			return o
		}
		run := func(days float64) (SimResult, error) {
			return Simulate(ctx, series, set(o, days), nil)
		}
		lo, hi := 0.0, 16.0
		rh, err := run(hi)
		if err != nil {
			return Tuned{}, err
		}
		for service(rh) < target && hi < 1024 {
			lo, hi = hi, hi*2
			if rh, err = run(hi); err != nil {
				return Tuned{}, err
			}
		}
		if service(rh) < target {
			continue
		}
		// Bisect to 0.01 days: the fill rate then matches the target to
		// well under a tenth of a point.
		for hi-lo > 0.01 {
			m := (lo + hi) / 2
			r, err := run(m)
			if err != nil {
				return Tuned{}, err
			}
			if service(r) >= target {
				hi, rh = m, r
			} else {
				lo = m
			}
		}
		if best == nil || rh.Total.AvgOnHand < best.Result.Total.AvgOnHand {
			best = &Tuned{Options: set(o, hi), Result: rh}
		}
	}
	if progress != nil {
		progress(len(shapes), len(shapes))
	}
	if best == nil {
		return Tuned{}, errors.New("tune: no parameters reach the target service")
	}
	best.Options.Progress = progress
	return *best, nil
}

// TotalFill is a replay's units served / units demanded over all series.
func TotalFill(r SimResult) float64 { return r.Total.FillRate() }

// TotalCycleService is a replay's share of replenishment cycles without lost
// demand over all series.
func TotalCycleService(r SimResult) float64 { return r.Total.CycleService() }

// MeanSeriesFill is the mean of the series' own fill rates: every series
// counts the same, whatever it sells.
func MeanSeriesFill(r SimResult) float64 {
	var sum float64
	n := 0
	for _, s := range r.PerSeries {
		if s.Demand > 0 {
			sum += s.FillRate()
			n++
		}
	}
	if n == 0 {
		return 1
	}
	return sum / float64(n)
}
