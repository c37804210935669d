package forecast

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"stockroom/model"
)

// TestM5Calib reports the calibration of auto on the validation origins
// in detail: PIT coverage overall, by horizon step and by series volume,
// and the level (forecast over actual):
//
//	STOCKROOM_M5=1 go test ./engine/forecast -run TestM5Calib -v
func TestM5Calib(t *testing.T) {
	if os.Getenv("STOCKROOM_M5") == "" {
		t.Skip("set STOCKROOM_M5=1 to run the M5 calibration report")
	}
	d := loadM5(t)
	origins := m5Origins()
	levels := DefaultQuantiles
	pct := func(v []float64) string {
		out := make([]string, len(v))
		for j := range v {
			out[j] = fmt.Sprintf("%4.1f", 100*v[j])
		}
		return strings.Join(out, " ")
	}
	meanDev := func(cov []float64) float64 {
		var s float64
		for j, c := range cov {
			s += math.Abs(c - levels[j])
		}
		return s / float64(len(cov))
	}
	var b strings.Builder
	var sumW, sumQ, sumMax, sumMean, worst float64
	for _, org := range origins {
		o := m5Options()
		train, actual := d.split(model.MustDate(org), o.Horizon)
		w := windowWeights(train, actual)
		start := time.Now()
		res, err := Run(context.Background(), train, d.cal, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		el := time.Since(start)
		auto := map[string]forecastOf{}
		for _, r := range res {
			auto[r.SeriesID] = forecastOf{r.Point, r.Quantiles, r.Dists}
		}
		ra := evalMethod("auto", train, actual, w, levels, auto)
		md, mx := meanDev(ra.pit), maxDev(ra.pit, levels)
		fmt.Fprintf(&b, "%s W=%.4f Q=%.4f pit [%s] max %.1f mean %.2f (%.1fs)\n", org, ra.wrmsse, ra.wql, pct(ra.pit), 100*mx, 100*md, el.Seconds())
		sumW += ra.wrmsse
		sumQ += ra.wql
		sumMax += mx
		sumMean += md
		worst = math.Max(worst, mx)
		// By step quarter and by volume.
		groups := map[string][2][]float64{}
		add := func(key string, hit []float64, n float64) {
			g := groups[key]
			if g[0] == nil {
				g[0] = make([]float64, len(levels))
				g[1] = make([]float64, 1)
			}
			for j := range hit {
				g[0][j] += hit[j]
			}
			g[1][0] += n
			groups[key] = g
		}
		var sf, sy float64
		for _, s := range train {
			f := auto[s.ID]
			y := actual[s.ID]
			vol := "slow"
			if rm := recentMean(s.observed(), 28); rm >= 5 {
				vol = "busy"
			} else if rm >= 1 {
				vol = "mid "
			}
			for k := range y {
				if math.IsNaN(y[k]) {
					continue
				}
				sf += f.point[k]
				sy += y[k]
				hit := make([]float64, len(levels))
				for j, p := range levels {
					hit[j] = coverHit(y[k], f.q[k][j], p, f.d, k)
				}
				add(fmt.Sprintf("step %02d-%02d", 7*(k/7)+1, 7*(k/7)+7), hit, 1)
				add(vol, hit, 1)
			}
		}
		for _, key := range []string{"step 01-07", "step 08-14", "step 15-21", "step 22-28", "busy", "mid ", "slow"} {
			g := groups[key]
			c := make([]float64, len(levels))
			for j := range c {
				c[j] = g[0][j] / g[1][0]
			}
			fmt.Fprintf(&b, "   %-10s [%s] max %.1f\n", key, pct(c), 100*maxDev(c, levels))
		}
		fmt.Fprintf(&b, "   forecast/actual (units) %.3f\n", sf/sy)
	}
	n := float64(len(origins))
	fmt.Fprintf(&b, "mean W=%.4f Q=%.4f pit max %.2f (worst %.1f) mean dev %.2f\n", sumW/n, sumQ/n, 100*sumMax/n, 100*worst, 100*sumMean/n)
	t.Log("\n" + b.String())
}
