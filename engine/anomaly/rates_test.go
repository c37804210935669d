package anomaly

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

// TestEnsemble_rates measures the daily ensemble on simulated demand: how
// often it raises a false alert on clean series, and how often (and how
// soon) it finds injected anomalies. It logs the table BENCHMARKS.md
// quotes; STOCKROOM_LONG=1 only (about a minute).
func TestEnsemble_rates(t *testing.T) {
	if os.Getenv("STOCKROOM_LONG") == "" {
		t.Skip("the detection-rate tables are long: set STOCKROOM_LONG=1")
	}
	const seeds, days = 40, 730
	var b strings.Builder
	for _, mode := range []string{"ensemble alarms", "stored (DemandFilter)"} {
		find := func(xs []float64) []int { return alarms(DailyConfig(), xs) }
		if mode != "ensemble alarms" {
			find = storedAlarms
		}
		fmt.Fprintf(&b, "\n== %s ==\n", mode)
		rateTables(&b, seeds, days, find)
	}
	t.Log(b.String())
}

// storedAlarms are the points where a Demand with the defaults stores an
// alarm.
func storedAlarms(xs []float64) []int {
	d := NewDemand(DailyConfig(), DemandFilter{})
	var out []int
	for i, x := range xs {
		if _, store := d.Push(i%7, x); store {
			out = append(out, i)
		}
	}
	return out
}

// rateTables writes the false-alert and detection tables for find.
func rateTables(b *strings.Builder, seeds, days int, find func([]float64) []int) {
	fmt.Fprintf(b, "\nfalse alerts on clean series (%d series × %d days each):\n", seeds, days)
	var total, totalDays int
	for _, lv := range []float64{2, 8, 30, 200} {
		n := 0
		for seed := uint64(1); seed <= uint64(seeds); seed++ {
			n += len(find(genDaily(seed, days, lv, 0, true)))
		}
		total += n
		totalDays += seeds * days
		fmt.Fprintf(b, "  Poisson, %3.0f a day: %2d alerts, %.2f per 1,000 series-days\n", lv, n, 1000*float64(n)/float64(seeds*days))
	}
	fmt.Fprintf(b, "  all: %d alerts in %d series-days (one per %.0f)\n", total, totalDays, float64(totalDays)/math.Max(1, float64(total)))

	fmt.Fprintf(b, "\nfound within 3 weeks of the injection at day 400 (%d series each; mean delay in days):\n", seeds)
	kinds := []string{"spike x10", "spike x3", "dip to 0", "level x2", "level x0.5", "level x1.5", "stuck 7 days"}
	fmt.Fprintf(b, "  %-12s", "per day")
	for _, k := range kinds {
		fmt.Fprintf(b, " %14s", k)
	}
	b.WriteString("\n")
	for _, lv := range []float64{2, 8, 30, 200} {
		fmt.Fprintf(b, "  %-12.0f", lv)
		for _, k := range kinds {
			found, delay := 0, 0
			for seed := uint64(1); seed <= uint64(seeds); seed++ {
				xs := genDaily(seed, 600, lv, 0, true)
				const d = 400
				switch k {
				case "spike x10":
					xs[d] = math.Max(xs[d], 1) * 10
				case "spike x3":
					xs[d] = math.Max(xs[d], 1) * 3
				case "dip to 0":
					xs[d] = 0
				case "level x2", "level x0.5", "level x1.5":
					f := map[string]float64{"level x2": 2, "level x0.5": 0.5, "level x1.5": 1.5}[k]
					copy(xs[d:], genDaily(seed+1000, 600, lv*f, 0, true)[d:])
				case "stuck 7 days":
					for i := d; i < d+7; i++ {
						xs[i] = xs[d]
					}
				}
				for _, a := range find(xs) {
					if a >= d && a <= d+21 {
						found++
						delay += a - d
						break
					}
				}
			}
			fmt.Fprintf(b, " %8d%% %4.1fd", 100*found/seeds, float64(delay)/math.Max(1, float64(found)))
		}
		b.WriteString("\n")
	}
}
