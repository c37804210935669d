package main

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"stockroom/engine"
)

// runForecastDB forecasts every item×location of a store and stores the
// forecasts (stockroom forecast --db).
func runForecastDB(ctx context.Context, c *cli, dbPath string, o engine.ForecastOptions, quiet bool) error {
	eng, closeFn, err := openExistingEngine(ctx, c, dbPath)
	if err != nil {
		return err
	}
	defer closeFn()
	if o.Horizon <= 0 {
		o.Horizon = 28
	}
	if o.User == "" {
		o.User = userName(c, "")
	}
	show := !quiet && isTerminal(c.stderr)
	start := time.Now()
	var last time.Time
	run, err := eng.ForecastAll(ctx, o, func(done, total int) {
		if show && (time.Since(last) > 200*time.Millisecond || done == total) {
			last = time.Now()
			fmt.Fprintf(c.stderr, "\r  forecasting %s of %s item×locations", thousands(int64(done)), thousands(int64(total)))
		}
	})
	if show {
		fmt.Fprint(c.stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "forecast run %d: %s item×locations from %s for %d days in %.1fs", run.ID, thousands(int64(run.Series)), run.Origin, run.Horizon, time.Since(start).Seconds())
	if run.Failed > 0 {
		fmt.Fprintf(c.stdout, ", %s failed", thousands(int64(run.Failed)))
	}
	switch {
	case math.IsNaN(run.MASE):
		fmt.Fprintf(c.stdout, "\nno backtest: no item×location has history enough for one yet\n")
	case math.IsNaN(run.WAPE):
		fmt.Fprintf(c.stdout, "\nbacktest accuracy of the chosen models: nothing sold in the backtests, mean MASE %.2f, bias %+.3f units/day\n", run.MASE, run.Bias)
	default:
		fmt.Fprintf(c.stdout, "\nbacktest accuracy of the chosen models: WAPE %.1f%%, mean MASE %.2f, bias %+.3f units/day\n", 100*run.WAPE, run.MASE, run.Bias)
	}
	type mc struct {
		m string
		n int
	}
	var ms []mc
	for m, n := range run.Models {
		ms = append(ms, mc{m, n})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].n > ms[j].n || (ms[i].n == ms[j].n && ms[i].m < ms[j].m) })
	fmt.Fprintln(c.stdout, "models chosen:")
	for _, x := range ms {
		fmt.Fprintf(c.stdout, "  %-24s %6s\n", x.m, thousands(int64(x.n)))
	}
	return nil
}
