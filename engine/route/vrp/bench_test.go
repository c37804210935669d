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

const xgenRef = "../../../testdata/route/xgen-ref.csv"

// xgenInstances are the generated X-like instances of the 5-second table:
// ten seeds, 100 to 400 customers.
func xgenInstances() []*Instance {
	var out []*Instance
	for i := 0; i < 10; i++ {
		out = append(out, Generate(uint64(i+1), GenOptions{Customers: 100 + 300*i/9}))
	}
	return out
}

// TestXGen_Sweep is the opt-in table on generated X-like instances
// (STOCKROOM_LONG=1). The reference is the best cost any long run has
// found, kept in testdata/route/xgen-ref.csv; STOCKROOM_XREF=60s runs the
// long searches and lowers the references they beat.
func TestXGen_Sweep(t *testing.T) {
	if os.Getenv("STOCKROOM_LONG") == "" {
		t.Skip("set STOCKROOM_LONG=1 for the generated-instance sweep")
	}
	ref := map[string]float64{}
	if f, err := os.Open(xgenRef); err == nil {
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			v, _ := strconv.ParseFloat(r[1], 64)
			ref[r[0]] = v
		}
	}
	ins := xgenInstances()
	if d := os.Getenv("STOCKROOM_XREF"); d != "" {
		lim, err := time.ParseDuration(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range ins {
			res, err := Solve(context.Background(), in, Options{TimeLimit: lim, Seed: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if err := Check(in, res.Solution, 1e-6); err != nil {
				t.Fatal(err)
			}
			if old, ok := ref[in.Name]; !ok || res.Solution.Cost < old {
				ref[in.Name] = res.Solution.Cost
			}
			fmt.Printf("REF %s %s\n", in.Name, FormatCost(ref[in.Name]))
		}
		var b strings.Builder
		b.WriteString("instance,reference\n")
		for _, in := range ins {
			fmt.Fprintf(&b, "%s,%s\n", in.Name, FormatCost(ref[in.Name]))
		}
		if err := os.WriteFile(xgenRef, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lim, err := time.ParseDuration(envOr("STOCKROOM_XLIMIT", "5s"))
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, in := range ins {
		res, err := Solve(context.Background(), in, Options{TimeLimit: lim, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(in, res.Solution, 1e-6); err != nil || !res.Feasible {
			t.Errorf("%s: infeasible: %v", in.Name, err)
		}
		r, ok := ref[in.Name]
		if !ok {
			t.Fatalf("%s: no reference; run with STOCKROOM_XREF=60s first", in.Name)
		}
		gap := 100 * (res.Solution.Cost - r) / r
		sum += gap
		fmt.Printf("| %s | %s | %d | %s | %s | %.2f | %d |\n", lim, in.Name, in.N()-1, FormatCost(r), FormatCost(res.Solution.Cost), gap, res.Iterations)
		if res.Solution.Cost < r {
			ref[in.Name] = res.Solution.Cost
		}
	}
	fmt.Printf("MEAN %s X-gen: %.3f%% over %d\n", lim, sum/float64(len(ins)), len(ins))
}
