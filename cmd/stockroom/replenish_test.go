package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"stockroom/model"
)

var updateReplenish = flag.Bool("update-replenish", false, "rewrite the replenishment CLI golden files in testdata/replenish")

const replenishDir = "../../testdata/replenish"

// salesCSV writes a seeded demand history in the long series format:
// n series of Poisson demand with a weekly lift.
func salesCSV(t *testing.T, n, days int) string {
	t.Helper()
	r := rand.New(rand.NewPCG(42, 1))
	start := model.MustDate("2025-01-01")
	var b strings.Builder
	b.WriteString("series_id,period,value\n")
	for i := range n {
		mu := 0.5 + 8*r.Float64()
		for d := range days {
			m := mu
			if start.AddDays(d).Weekday() == 6 {
				m *= 1.5
			}
			k := 0
			for p := r.ExpFloat64(); p < m; p += r.ExpFloat64() {
				k++
			}
			fmt.Fprintf(&b, "S%02d,%s,%d\n", i, start.AddDays(d), k)
		}
	}
	p := filepath.Join(t.TempDir(), "sales.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func checkReplenishGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(replenishDir, name)
	if *updateReplenish {
		if err := os.MkdirAll(replenishDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-replenish to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestSimulateCLI(t *testing.T) {
	sales := salesCSV(t, 4, 240)
	t.Run("minmax golden", func(t *testing.T) {
		// Fixed parameters and seed: no forecast involved, so the numbers
		// are the simulator's alone.
		out := filepath.Join(t.TempDir(), "daily.csv")
		stdout, stderr, code := runCLI(t, nil, "simulate", "--input", sales, "--lead-time", "5,1.5", "--policy", "minmax",
			"--min-days", "6", "--max-days", "9", "--days", "60", "--shrink", "0.01", "--pack", "4", "--json", "--out", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		checkReplenishGolden(t, "simulate_minmax.json", stdout)
		daily, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(daily)), "\n")
		if lines[0] != "series_id,date,demand,served,lost,received,shrink,on_hand,on_order,ordered" || len(lines) != 1+4*60 {
			t.Errorf("daily CSV: header %q, %d lines, want 241", lines[0], len(lines))
		}
		checkReplenishGolden(t, "simulate_minmax_daily_head.csv", strings.Join(lines[:8], "\n")+"\n")
	})
	t.Run("auto", func(t *testing.T) {
		stdout, stderr, code := runCLI(t, nil, "simulate", "--input", sales, "--lead-time", "5,1", "--service", "0.95", "--policy", "auto",
			"--days", "90", "--models", "ses,sba", "--shrink", "0.005", "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r struct {
			FillRate     *float64 `json:"fill_rate"`
			CSL          *float64 `json:"cycle_service_level"`
			StockoutDays *int     `json:"stockout_days"`
			AvgOnHand    *float64 `json:"avg_on_hand"`
			Orders       *int     `json:"orders"`
			Start        int64    `json:"start_stock"`
			Received     int64    `json:"received"`
			Served       float64  `json:"served"`
			Shrinkage    int64    `json:"shrinkage"`
			End          int64    `json:"end_stock"`
			Series       int      `json:"series"`
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		if r.FillRate == nil || r.CSL == nil || r.StockoutDays == nil || r.AvgOnHand == nil || r.Orders == nil {
			t.Fatalf("missing fields: %s", stdout)
		}
		if *r.FillRate < 0.9 || *r.FillRate > 1 || *r.Orders == 0 || r.Series != 4 {
			t.Errorf("fill %g orders %d series %d", *r.FillRate, *r.Orders, r.Series)
		}
		if r.Start+r.Received-int64(r.Served)-r.Shrinkage != r.End {
			t.Errorf("start %d + received %d − served %g − shrinkage %d ≠ end %d", r.Start, r.Received, r.Served, r.Shrinkage, r.End)
		}
	})
	t.Run("tuned baseline", func(t *testing.T) {
		stdout, stderr, code := runCLI(t, nil, "simulate", "--input", sales, "--lead-time", "5", "--service", "0.9",
			"--policy", "seed-threshold", "--days", "90")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "tuned to 90.0% fill with hindsight") || !strings.Contains(stdout, "threshold_days=") {
			t.Errorf("output: %s", stdout)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"simulate", "--input", sales, "--service", "0.9"},
			{"simulate", "--input", sales, "--lead-time", "x"},
			{"simulate", "--input", sales, "--lead-time", "5,-1"},
			{"simulate", "--input", sales, "--lead-time", "5", "--policy", "magic"},
			{"simulate", "--input", sales, "--lead-time", "5", "--service", "1.5"},
			{"simulate", "--lead-time", "5"},
		} {
			if _, stderr, code := runCLI(t, nil, args...); code != 2 {
				t.Errorf("%v: exit %d (%s), want 2", args, code, stderr)
			}
		}
		// A percentage is read as meant, in the message.
		if _, stderr, code := runCLI(t, nil, "simulate", "--input", sales, "--lead-time", "5", "--service", "95"); code != 2 || !strings.Contains(stderr, "--service is a fraction: 0.95 for 95%") {
			t.Errorf("--service 95: exit %d %q", code, stderr)
		}
		bad := filepath.Join(t.TempDir(), "bad.csv")
		os.WriteFile(bad, []byte("series_id,period,value\nA,2025-01-01,x\n"), 0o644)
		if _, stderr, code := runCLI(t, nil, "simulate", "--input", bad, "--lead-time", "5"); code != 1 || !strings.Contains(stderr, "bad.csv:2") {
			t.Errorf("bad input: exit %d %q, want 1 naming bad.csv:2", code, stderr)
		}
		prices := filepath.Join(t.TempDir(), "prices.csv")
		os.WriteFile(prices, []byte("series_id,period,price\nA,2025-01-01,2.5\nA,2025-02-01,cheap\n"), 0o644)
		if _, stderr, code := runCLI(t, nil, "simulate", "--input", sales, "--lead-time", "5", "--prices", prices); code != 1 || !strings.Contains(stderr, "prices.csv:3: price") {
			t.Errorf("bad prices: exit %d %q, want 1 naming prices.csv:3 and the price", code, stderr)
		}
	})
}

// planStoreCLI builds a store by importing generated files through the
// CLI: two items that run short, one with plenty.
func planStoreCLI(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("locations.csv", "code,name,kind\nDC1,Depot,depot\nST1,Store,store\n")
	write("suppliers.csv", "code,name,lead_time_days,lead_time_sd_days,moq\nSUP1,Supplier one,7,2,0\nSUP2,Supplier two,5,1,0\n")
	write("items.csv", "sku,name,category,unit_cost,price,supplier,pack_size,moq\nK1,Kettle,home,12,25,SUP1,6,0\nK2,Toaster,home,20,40,SUP1,1,0\nK3,Mug,home,2,5,SUP2,12,24\nK4,Plate,home,3,6,SUP2,1,0\n")
	r := rand.New(rand.NewPCG(3, 3))
	var mv, sales strings.Builder
	mv.WriteString("date,sku,location,qty,kind,ref\n")
	sales.WriteString("date,order_id,sku,location,channel,qty,price\n")
	start := model.MustDate("2026-06-01")
	specs := []struct {
		sku, loc string
		stock    int64
		rate     float64
	}{{"K1", "ST1", 150, 1.2}, {"K2", "ST1", 120, 1}, {"K3", "DC1", 200, 2}, {"K4", "DC1", 5000, 2}}
	for i, s := range specs {
		fmt.Fprintf(&mv, "%s,%s,%s,%d,receipt,INIT-%d\n", start, s.sku, s.loc, s.stock, i)
		left := s.stock
		for d := 1; d < 150; d++ {
			k := int64(0)
			for p := r.ExpFloat64(); p < s.rate; p += r.ExpFloat64() {
				k++
			}
			if k = min(k, left); k > 0 {
				fmt.Fprintf(&sales, "%s,O%d-%d,%s,%s,web,%d,25\n", start.AddDays(d), i, d, s.sku, s.loc, k)
				left -= k
			}
		}
	}
	write("movements.csv", mv.String())
	write("sales.csv", sales.String())
	db := filepath.Join(t.TempDir(), "plan.db")
	if _, stderr, code := runCLI(t, nil, "import", "--db", db, dir); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	return db
}

type proposalOut struct {
	ID       int64  `json:"id"`
	SKU      string `json:"sku"`
	Location string `json:"location"`
	Qty      int64  `json:"qty"`
	State    string `json:"state"`
	Version  int64  `json:"version"`
	PO       string `json:"po"`
	Reasons  struct {
		Service float64 `json:"service"`
	} `json:"reasons"`
}

func proposalsJSON(t *testing.T, db string, args ...string) []proposalOut {
	t.Helper()
	stdout, stderr, code := runCLI(t, nil, append([]string{"proposals", "--db", db, "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("proposals: exit %d: %s", code, stderr)
	}
	var ps []proposalOut
	if err := json.Unmarshal([]byte(stdout), &ps); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	return ps
}

type poOut struct {
	ID       int64  `json:"id"`
	Supplier string `json:"supplier"`
	State    string `json:"state"`
	Lines    []struct {
		ProposalID int64  `json:"proposal_id"`
		SKU        string `json:"sku"`
		Location   string `json:"location"`
		Qty        int64  `json:"qty"`
	} `json:"lines"`
}

func poJSONOut(t *testing.T, db string) []poOut {
	t.Helper()
	stdout, stderr, code := runCLI(t, nil, "po", "--db", db, "--json")
	if code != 0 {
		t.Fatalf("po: exit %d: %s", code, stderr)
	}
	var pos []poOut
	if err := json.Unmarshal([]byte(stdout), &pos); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	return pos
}

func TestPlanCLI_Flow(t *testing.T) {
	db := planStoreCLI(t)
	stdout, stderr, code := runCLI(t, nil, "plan", "--db", db, "--quiet")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "4 item×locations planned") || !strings.Contains(stdout, "3 new") ||
		!regexp.MustCompile(`\ndemand: [\d,]+ units forecast for the next 28 days, \d+\.\d\d× the [\d,]+ sold in the last 28\n`).MatchString(stdout) {
		t.Errorf("plan output: %s", stdout)
	}
	ps := proposalsJSON(t, db)
	if len(ps) != 3 {
		t.Fatalf("proposals %+v, want K1, K2, K3", ps)
	}
	// Nothing approved yet: the text says so, the JSON is an empty array.
	if out, _, code := runCLI(t, nil, "po", "--db", db); code != 0 || !strings.HasPrefix(out, "no purchase orders:") {
		t.Errorf("po before any approval: exit %d %q", code, out)
	}
	if pos := poJSONOut(t, db); len(pos) != 0 {
		t.Errorf("po --json before any approval: %+v", pos)
	}
	byS := map[string]proposalOut{}
	for _, p := range ps {
		if p.State != "proposed" || p.Version != 1 || p.Qty <= 0 || p.ID == 0 || p.Location == "" {
			t.Errorf("proposal %+v", p)
		}
		byS[p.SKU] = p
	}
	if byS["K1"].Qty%6 != 0 {
		t.Errorf("K1 quantity %d is not whole packs of 6", byS["K1"].Qty)
	}
	if q := byS["K3"].Qty; q < 24 || q%12 != 0 {
		t.Errorf("K3 quantity %d: want at least the MOQ 24, in packs of 12", q)
	}
	// Approve K1 with flags after the ID, then again: the second refuses.
	k1 := strconv.FormatInt(byS["K1"].ID, 10)
	stdout, stderr, code = runCLI(t, nil, "approve", "--db", db, k1, "--as", "ann")
	if code != 0 || !strings.Contains(stdout, "approved "+k1) || !strings.Contains(stdout, "PO-") {
		t.Fatalf("approve: exit %d %q %q", code, stdout, stderr)
	}
	_, stderr, code = runCLI(t, nil, "approve", "--db", db, k1, "--as", "bob")
	if code != 1 || !strings.Contains(stderr, "already acted on") || !strings.Contains(stderr, "ann") {
		t.Errorf("second approve: exit %d %q, want 1 naming ann", code, stderr)
	}
	// A stale version is refused and changes nothing.
	k2 := strconv.FormatInt(byS["K2"].ID, 10)
	_, stderr, code = runCLI(t, nil, "approve", "--db", db, k2, "--as", "bob", "--version", "7", "--qty", "30")
	if code != 1 || !strings.Contains(stderr, "changed since you saw it") {
		t.Errorf("stale approve: exit %d %q", code, stderr)
	}
	stdout, stderr, code = runCLI(t, nil, "approve", "--db", db, k2, "--as", "bob", "--version", "1", "--qty", "30")
	if code != 0 || !strings.Contains(stdout, "30 × K2") {
		t.Errorf("approve with qty: exit %d %q %q", code, stdout, stderr)
	}
	k3 := strconv.FormatInt(byS["K3"].ID, 10)
	if _, stderr, code := runCLI(t, nil, "reject", "--db", db, k3, "--as", "cy"); code != 2 {
		t.Errorf("reject without reason: exit %d %q, want 2", code, stderr)
	}
	if _, stderr, code := runCLI(t, nil, "reject", "--db", db, k3, "--as", "cy", "--reason", "supplier on strike"); code != 0 {
		t.Errorf("reject: exit %d %q", code, stderr)
	}
	if _, _, code := runCLI(t, nil, "approve", "--db", db, "999", "--as", "cy"); code != 1 {
		t.Errorf("approve of a missing proposal: exit %d, want 1", code)
	}
	pos := poJSONOut(t, db)
	if len(pos) != 1 || pos[0].Supplier != "SUP1" || pos[0].State != "open" || len(pos[0].Lines) != 2 {
		t.Fatalf("purchase orders %+v, want one open SUP1 order with K1 and K2", pos)
	}
	for _, l := range pos[0].Lines {
		if l.SKU == "K2" && l.Qty != 30 || l.Location != "ST1" {
			t.Errorf("line %+v", l)
		}
	}
	all := proposalsJSON(t, db, "--state", "all")
	states := map[string]string{}
	for _, p := range all {
		states[p.SKU] = p.State
	}
	if states["K1"] != "approved" || states["K2"] != "approved" || states["K3"] != "rejected" {
		t.Errorf("states %v", states)
	}
	// A recompute leaves the approved ones netted and the rejected one
	// held: nothing new.
	stdout, _, _ = runCLI(t, nil, "plan", "--db", db, "--quiet", "--json")
	var sum struct {
		Proposals struct {
			Created, Held int
		} `json:"proposals"`
	}
	json.Unmarshal([]byte(stdout), &sum)
	if sum.Proposals.Created != 0 || sum.Proposals.Held != 1 {
		t.Errorf("replan: %s", stdout)
	}
	// Send the order, then receive it with an import carrying its code.
	if _, stderr, code := runCLI(t, nil, "po", "--db", db, "--send", strconv.FormatInt(pos[0].ID, 10), "--as", "ann"); code != 0 {
		t.Fatalf("po --send: exit %d %s", code, stderr)
	}
	rec := filepath.Join(t.TempDir(), "receipts.csv")
	code6 := fmt.Sprintf("PO-%06d", pos[0].ID)
	os.WriteFile(rec, []byte(fmt.Sprintf("date,sku,location,qty,kind,ref\n2026-10-29,K1,ST1,%d,receipt,%s\n2026-10-29,K2,ST1,30,receipt,%s/2\n",
		byS["K1"].Qty, code6, code6)), 0o644)
	if _, stderr, code := runCLI(t, nil, "import", "--db", db, rec); code != 0 {
		t.Fatalf("import receipts: %s", stderr)
	}
	if pos := poJSONOut(t, db); pos[0].State != "received" {
		t.Errorf("order after the receipts: %s", pos[0].State)
	}
	if out, _, _ := runCLI(t, nil, "po", "--db", db); !strings.Contains(out, code6+"  SUP1  received  2 lines  value ") {
		t.Errorf("po:\n%s", out)
	}
}

// Fifty stockroom processes approve the same proposals at once: every
// proposal gets exactly one purchase order line and exactly one process
// reports approving it.
func TestApproveCLI_ConcurrentProcesses(t *testing.T) {
	db := planStoreCLI(t)
	if _, stderr, code := runCLI(t, nil, "plan", "--db", db, "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	ps := proposalsJSON(t, db)
	var ids []string
	for _, p := range ps {
		ids = append(ids, strconv.FormatInt(p.ID, 10))
	}
	const n = 50
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, n)
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], append([]string{"approve", "--db", db}, append(ids, "--as", fmt.Sprintf("p%d", i))...)...)
			cmd.Env = append(os.Environ(), "STOCKROOM_TEST_MAIN=1")
			cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); ok {
				codes[i] = ee.ExitCode()
			} else if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	wins := map[string]int{}
	for i := range n {
		out := outs[i].String()
		won := 0
		for _, line := range strings.Split(out, "\n") {
			if rest, ok := strings.CutPrefix(line, "approved "); ok {
				id, _, _ := strings.Cut(rest, ":")
				wins[id]++
				won++
			} else if line != "" && !strings.Contains(line, "already acted on") && !strings.Contains(line, "not done") {
				t.Errorf("process %d: %q", i, line)
			}
		}
		if want := 0; won < len(ids) {
			if codes[i] != 1 {
				t.Errorf("process %d approved %d of %d and exited %d, want 1", i, won, len(ids), codes[i])
			}
		} else if codes[i] != want {
			t.Errorf("process %d approved all and exited %d", i, codes[i])
		}
	}
	lines := map[string]int{}
	for _, po := range poJSONOut(t, db) {
		for _, l := range po.Lines {
			lines[strconv.FormatInt(l.ProposalID, 10)]++
		}
	}
	for _, id := range ids {
		if wins[id] != 1 || lines[id] != 1 {
			t.Errorf("proposal %s: %d processes approved it, %d lines; want exactly 1 and 1", id, wins[id], lines[id])
		}
	}
}

// The proposals table says when an item×location has been out and unsold
// for months, so a delisted item is not bought back unseen.
func TestProposalsCLI_Unsold(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	var sales strings.Builder
	sales.WriteString("date,order_id,sku,location,channel,qty,price\n")
	start := model.MustDate("2026-05-01")
	for d := 1; d <= 60; d++ {
		fmt.Fprintf(&sales, "%s,O%d,OLD,ST1,web,5,20\n", start.AddDays(d), d)
	}
	for d := 1; d <= 179; d++ {
		fmt.Fprintf(&sales, "%s,N%d,NEW,ST1,web,1,20\n", start.AddDays(d), d)
	}
	for name, body := range map[string]string{
		"locations.csv": "code,name,kind\nST1,Store,store\n",
		"suppliers.csv": "code,name,lead_time_days\nSUP1,Supplier,7\n",
		"items.csv":     "sku,name,supplier\nOLD,Old kettle,SUP1\nNEW,New kettle,SUP1\n",
		"movements.csv": fmt.Sprintf("date,sku,location,qty,kind,ref\n%s,OLD,ST1,300,receipt,R1\n%[1]s,NEW,ST1,200,receipt,R2\n", start),
		"sales.csv":     sales.String(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"import", "--db", db, dir}, {"plan", "--db", db, "--quiet"}} {
		if _, errOut, code := runCLI(t, nil, args...); code != 0 {
			t.Fatalf("%v: %d %s", args, code, errOut)
		}
	}
	out, _, code := runCLI(t, nil, "proposals", "--db", db, "--sku", "OLD")
	// Last sale on day 60; the data ends on day 179.
	if code != 0 || !strings.Contains(out, "unsold 119d: still sold here?") || !strings.Contains(out, "\n1 proposal, ") {
		t.Errorf("proposals: %d\n%s", code, out)
	}
}

// TestPlanCLI_YoungStore: on a store two days old the demand line sets the
// month's forecast against the days there are, not "the last 28".
func TestPlanCLI_YoungStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(t.TempDir(), "young.db")
	for name, body := range map[string]string{
		"locations.csv": "code,name,kind\nDC1,Main DC,warehouse\n",
		"items.csv":     "sku,name,price,cost\nA1,Widget,2.50,1.00\n",
		"movements.csv": "date,sku,location,quantity,kind,reference\n2026-11-20,A1,DC1,10,receipt,R1\n2026-11-21,A1,DC1,-3,sale,S1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, stderr, code := runCLI(t, nil, "import", "--db", db, dir); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := runCLI(t, nil, "plan", "--db", db)
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`\ndemand: [\d,]+ units forecast for the next 28 days, \d+\.\d\d× the 3 sold in the 2 days of history so far\n`).MatchString(stdout) {
		t.Errorf("plan output: %s", stdout)
	}
	stdout, _, _ = runCLI(t, nil, "plan", "--db", db, "--json")
	var sum struct {
		Behind float64 `json:"demand_last_28d"`
		Days   int     `json:"demand_last_days"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Behind != 3 || sum.Days != 2 {
		t.Errorf("plan --json: %+v (%v): %s", sum, err, stdout)
	}
}

// Service targets typed as percentages are refused with the fraction
// meant, on the command line and in a policy file (naming its line and
// column); the same target as a fraction is taken.
func TestPlanCLI_ServiceAsPercent(t *testing.T) {
	db := planStoreCLI(t)
	if _, stderr, code := runCLI(t, nil, "plan", "--db", db, "--quiet", "--service", "A=98,B=0.95"); code != 2 || !strings.Contains(stderr, `"A=98": the level is a fraction: A=0.98 for 98%`) {
		t.Errorf("--service A=98: exit %d %q", code, stderr)
	}
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.csv")
	os.WriteFile(pol, []byte("scope,key,service\ndefault,,0.9\nclass,A,95\n"), 0o644)
	if _, stderr, code := runCLI(t, nil, "plan", "--db", db, "--quiet", "--policy", pol); code != 1 || !strings.Contains(stderr, `policy.csv:3: service: "95": a service level is a fraction: 0.95 for 95%`) {
		t.Errorf("policy service 95: exit %d %q", code, stderr)
	}
	os.WriteFile(pol, []byte("scope,key,service\ndefault,,0.9\n"), 0o644)
	if _, stderr, code := runCLI(t, nil, "plan", "--db", db, "--quiet", "--policy", pol); code != 0 {
		t.Fatalf("policy 0.9: exit %d %s", code, stderr)
	}
	ps := proposalsJSON(t, db)
	if len(ps) == 0 {
		t.Fatal("no proposals to check")
	}
	for _, p := range ps {
		if p.Reasons.Service != 0.9 {
			t.Errorf("proposal %d: service %g, want the policy's 0.9", p.ID, p.Reasons.Service)
		}
	}
}
