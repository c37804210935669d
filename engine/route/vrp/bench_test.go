package vrp

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const benchCVRP = "../../../../shared/bench/cvrplib"

type bksRow struct {
	set, name string
	bks       float64
	unrounded bool
}

func readBKS(t testing.TB) []bksRow {
	t.Helper()
	f, err := os.Open(filepath.Join(benchCVRP, "bks.csv"))
	if err != nil {
		t.Skipf("bench cvrplib not present (%v)", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []bksRow
	for _, r := range recs[1:] {
		b, err := strconv.ParseFloat(r[6], 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bksRow{r[0], r[1], b, strings.HasPrefix(r[8], "unrounded")})
	}
	return out
}

func loadBench(t testing.TB, row bksRow) *Instance {
	t.Helper()
	p := filepath.Join(benchCVRP, row.set, row.name+".vrp")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := ReadTSPLIB(p, f, ParseOptions{Unrounded: row.unrounded})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TestCVRPLIB_Sweep is the opt-in gap table: STOCKROOM_LONG=1, with
// STOCKROOM_SETS (e.g. "A,B") and STOCKROOM_LIMITS (e.g. "1s,10s").
func TestCVRPLIB_Sweep(t *testing.T) {
	if os.Getenv("STOCKROOM_LONG") == "" {
		t.Skip("set STOCKROOM_LONG=1 for the CVRPLIB sweep")
	}
	sets := strings.Split(envOr("STOCKROOM_SETS", "A,B,P,CMT"), ",")
	var limits []time.Duration
	for _, s := range strings.Split(envOr("STOCKROOM_LIMITS", "1s,10s"), ",") {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		limits = append(limits, d)
	}
	rows := readBKS(t)
	for _, lim := range limits {
		sum := map[string]float64{}
		cnt := map[string]int{}
		for _, row := range rows {
			if !contains(sets, row.set) {
				continue
			}
			if only := os.Getenv("STOCKROOM_ONLY"); only != "" && !strings.Contains(row.name, only) {
				continue
			}
			in := loadBench(t, row)
			in.Vehicles = fleetFromName(row)
			res, err := Solve(context.Background(), in, Options{TimeLimit: lim, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if err := Check(in, res.Solution, 1e-6); err != nil || !res.Feasible {
				t.Errorf("%s: infeasible (%v, feasible=%v)", row.name, err, res.Feasible)
			}
			cost := res.Solution.Cost
			if row.unrounded {
				cost = float64(int64(cost*100+0.5)) / 100
			}
			gap := 100 * (cost - row.bks) / row.bks
			sum[row.set] += gap
			cnt[row.set]++
			fmt.Printf("| %s | %s | %s | %s | %.2f | %d | %.1f |\n", lim, row.name, FormatCost(row.bks), FormatCost(cost), gap, res.Iterations, res.FoundAfter.Seconds())
		}
		for _, s := range sets {
			if cnt[s] > 0 {
				fmt.Printf("MEAN %s %s: %.3f%% over %d\n", lim, s, sum[s]/float64(cnt[s]), cnt[s])
			}
		}
	}
}

// fleetFromName returns k of the Augerat "-kN" names: their optimal values
// are for exactly that many vehicles (with more, some cost less). CMT
// values are for a free fleet.
func fleetFromName(row bksRow) int {
	if row.set == "CMT" {
		return 0
	}
	i := strings.LastIndex(row.name, "-k")
	k, err := strconv.Atoi(row.name[i+2:])
	if i < 0 || err != nil {
		return 0
	}
	return k
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
