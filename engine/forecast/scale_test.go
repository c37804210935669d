package forecast

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"stockroom/model"
)

// genRetail makes n daily retail-like series of the given length from a
// seeded generator: weekly and yearly seasonality, a mix of busy, slow and
// intermittent items, weekly prices with occasional discounts, holidays,
// stockouts, and category/store attributes.
func genRetail(n, length, horizon int, seed uint64) ([]Series, Calendar) {
	start := model.MustDate("2022-01-01")
	var cal Calendar
	for d := 0; d < length+horizon; d++ {
		t := start.AddDays(d).Time()
		switch {
		case t.Month() == 12 && t.Day() == 24, t.Month() == 1 && t.Day() == 1:
			cal.Events = append(cal.Events, model.Event{Date: start.AddDays(d), Name: "Holiday", Kind: "holiday"})
		case t.Day() == 1:
			cal.Events = append(cal.Events, model.Event{Date: start.AddDays(d), Name: "Payday", Kind: "benefit", AppliesTo: "*_S1"})
		}
	}
	dow := []float64{0.9, 0.8, 0.85, 0.9, 1.1, 1.3, 1.15}
	out := make([]Series, n)
	r := newRand(seed)
	for i := range out {
		kind := r.IntN(10)
		var level float64
		switch {
		case kind < 3:
			level = 5 + 40*r.Float64()
		case kind < 7:
			level = 0.5 + 3*r.Float64()
		default:
			level = 0.05 + 0.3*r.Float64()
		}
		store := fmt.Sprintf("S%d", 1+r.IntN(10))
		cat := fmt.Sprintf("C%d", r.IntN(20))
		price := 1 + 20*r.Float64()
		y := make([]float64, length)
		var cens []bool
		prices := make([]float64, length+horizon)
		disc := 1.0
		for t := range prices {
			if t%7 == 0 {
				disc = 1
				if r.Float64() < 0.08 {
					disc = 0.75
				}
			}
			prices[t] = price * disc
		}
		phase := r.Float64() * 2 * math.Pi
		for t := range y {
			d := start.AddDays(t)
			mu := level * dow[d.Weekday()] * (1 + 0.2*math.Sin(2*math.Pi*float64(t)/365+phase))
			if prices[t] < price {
				mu *= 1.5
			}
			y[t] = poisson(r, mu)
			if r.Float64() < 0.003 {
				if cens == nil {
					cens = make([]bool, length)
				}
				cens[t], y[t] = true, 0
			}
		}
		out[i] = Series{ID: fmt.Sprintf("I%06d_%s", i, store), Start: start, Freq: Daily, Values: y, Censored: cens, Prices: prices,
			Attrs: map[string]string{"cat": cat, "store": store}}
	}
	return out, cal
}

// cpuTime is the CPU time (user + system) the process has used: on a
// shared machine it says more than wall time.
func cpuTime() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// TestScale forecasts generated daily series end to end and reports series
// per second, CPU time and peak memory. Opt-in:
//
//	STOCKROOM_SCALE=100000 go test ./engine/forecast -run TestScale -v -timeout 3h
//
// STOCKROOM_SCALE_DAYS sets the history length (730).
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("STOCKROOM_SCALE"))
	if n <= 0 {
		t.Skip("set STOCKROOM_SCALE=N to forecast N generated daily series")
	}
	days := 730
	if v, err := strconv.Atoi(os.Getenv("STOCKROOM_SCALE_DAYS")); err == nil && v > 0 {
		days = v
	}
	const h = 28
	series, cal := genRetail(n, days, h, 1)
	runtime.GC()
	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	done := 0
	lastLog := time.Now()
	var nonNeg, crossed int
	models := map[string]int{}
	_, err := Run(context.Background(), series, cal, Options{Horizon: h, Seed: 1, OnResult: func(r Result) error {
		models[r.Model]++
		for _, q := range r.Quantiles {
			for j, v := range q {
				if v < 0 || math.IsNaN(v) {
					nonNeg++
				}
				if j > 0 && v < q[j-1] {
					crossed++
				}
			}
		}
		return nil
	}}, func(d, total int) {
		done = d
		if time.Since(lastLog) > 30*time.Second {
			t.Logf("%d/%d after %s", d, total, time.Since(start).Round(time.Second))
			lastLog = time.Now()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	var after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()-before.Utime.Nano()) + time.Duration(after.Stime.Nano()-before.Stime.Nano())
	if nonNeg > 0 || crossed > 0 {
		t.Errorf("%d negative or NaN and %d crossing quantiles", nonNeg, crossed)
	}
	t.Logf("%d daily series × %d days, horizon %d, all models: %s wall (%.0f series/s), %s CPU on %d procs, peak RSS %d MiB; work units %d",
		n, days, h, el.Round(time.Second), float64(n)/el.Seconds(), cpu.Round(time.Second), runtime.GOMAXPROCS(0), after.Maxrss/1024, done)
	t.Logf("winners: %v", models)
}
