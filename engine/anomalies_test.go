package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/engine/anomaly"
	"stockroom/model"
)

// anomalyStart is the first day of the fixture's history.
var anomalyStart = model.MustDate("2026-01-01")

// anomalyFixture is a store's worth of files with known anomalies in
// them: 200 days of daily web sales of A and B at DC1 and C at ST1 with a
// weekly season, plenty of stock, A's sales of day 170 keyed ten times too
// high, B's price of day 185 keyed 100× too high, C priced below its cost,
// and E, which sells out on day 1 and sells again on day 100 with nothing
// on the shelf.
type anomalyFixture struct {
	dir       string
	qty       map[string][]int64 // daily units by sku (A, B, C)
	spikeDay  int
	priceDay  int
	histories []string // sales files: days 0..159, days 160..199
}

func newAnomalyFixture(t *testing.T) *anomalyFixture {
	t.Helper()
	f := &anomalyFixture{dir: t.TempDir(), qty: map[string][]int64{}, spikeDay: 170, priceDay: 185}
	write := fileWriter(t, f.dir)
	write("locations.csv", "code,name,kind,lat,lon\nDC1,Depot,depot,,\nST1,Store,store,,\n")
	write("items.csv", "sku,name,category,uom,unit_cost,price,supplier,pack_size,moq\n"+
		"A,Hammer,tools,ea,4,10,S1,1,0\nB,Saw,tools,ea,4,10,S1,1,0\nC,Drill,tools,ea,40,10,S1,1,0\nE,Seeds,garden,ea,1,3,S1,1,0\n")
	write("movements.csv", "date,sku,location,qty,kind,ref\n"+
		fmt.Sprintf("%s,A,DC1,100000,receipt,PO-1\n%[1]s,B,DC1,100000,receipt,PO-2\n%[1]s,C,ST1,100000,receipt,PO-3\n%[1]s,E,ST1,5,receipt,PO-4\n", anomalyStart))
	rng := rand.New(rand.NewPCG(7, 11))
	season := []float64{1.0, 0.8, 0.8, 0.9, 1.1, 1.6, 1.8}
	for _, sku := range []string{"A", "B", "C"} {
		q := make([]int64, 200)
		for i := range q {
			q[i] = anomPoisson(rng, 20*season[anomaly.WeekdayPhase(anomalyStart.AddDays(i))])
		}
		f.qty[sku] = q
	}
	f.qty["A"][f.spikeDay] *= 10
	line := func(b *strings.Builder, day int, sku string, order int) {
		loc, price := "DC1", "10.00"
		if sku == "C" {
			loc = "ST1"
		}
		if sku == "B" && day == f.priceDay {
			price = "1000.00"
		}
		fmt.Fprintf(b, "%s,SO-%d,%s,%s,web,%d,%s\n", anomalyStart.AddDays(day), order, sku, loc, f.qty[sku][day], price)
	}
	for part, days := range [][2]int{{0, 160}, {160, 200}} {
		var b strings.Builder
		b.WriteString("date,order_id,sku,location,channel,qty,price\n")
		for d := days[0]; d < days[1]; d++ {
			for k, sku := range []string{"A", "B", "C"} {
				line(&b, d, sku, d*10+k)
			}
			switch d {
			case 1:
				fmt.Fprintf(&b, "%s,SO-E1,E,ST1,store,5,3\n", anomalyStart.AddDays(d))
			case 100:
				fmt.Fprintf(&b, "%s,SO-E2,E,ST1,store,2,3\n", anomalyStart.AddDays(d))
			}
		}
		f.histories = append(f.histories, write(fmt.Sprintf("sales-%d.csv", part+1), b.String()))
	}
	return f
}

// fileWriter returns a function that writes a file into dir and returns
// its path.
func fileWriter(t *testing.T, dir string) func(name, content string) string {
	return func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func (f *anomalyFixture) path(name string) string { return filepath.Join(f.dir, name) }

// anomPoisson draws a Poisson count (Knuth; fine for small means).
func anomPoisson(r *rand.Rand, lambda float64) int64 {
	l, k, p := math.Exp(-lambda), int64(0), 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func importPaths(t *testing.T, e *engine.Engine, paths ...string) []data.FileResult {
	t.Helper()
	res, err := e.Import(context.Background(), paths, data.ImportOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Failed() || r.RowsRejected > 0 {
			t.Fatalf("%s: %s %+v", r.Path, r.Error, r.Errors)
		}
	}
	return res
}

func allAnomalies(t *testing.T, e *engine.Engine) []model.Anomaly {
	t.Helper()
	as, err := e.Anomalies(context.Background(), engine.AnomalyQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// drain returns the texts of the anomaly changes published so far.
func drain(sub <-chan model.Change) []string {
	var out []string
	for {
		select {
		case c := <-sub:
			if c.Kind == model.ChangeAnomalies {
				out = append(out, c.Text)
			}
		default:
			return out
		}
	}
}

func seriesFindings(as []model.Anomaly) []model.Anomaly {
	return slices.DeleteFunc(slices.Clone(as), func(a model.Anomaly) bool {
		return !slices.Contains(anomaly.Components[:], a.Detector)
	})
}

// TestAnomalyStep_FindsInjected imports the fixture the way files arrive
// and checks that the after-import step finds what was injected, and only
// that, and that running again adds nothing twice.
func TestAnomalyStep_FindsInjected(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	sub, stop := e.Subscribe()
	defer stop()
	f := newAnomalyFixture(t)
	importPaths(t, e, f.path("locations.csv"), f.path("items.csv"))
	// The catalogue: C sells below its cost.
	as := allAnomalies(t, e)
	if len(as) != 1 || as[0].Detector != anomaly.RuleCost || as[0].SKU != "C" || as[0].Observed != 10 || as[0].Expected != 40 {
		t.Fatalf("after the catalogue: %+v", as)
	}
	importPaths(t, e, f.path("movements.csv"), f.histories[0])
	// 160 clean days: no demand finding; E's sale on an empty shelf.
	as = allAnomalies(t, e)
	if s := seriesFindings(as); len(s) != 0 {
		t.Errorf("clean history raised %+v", s)
	}
	rules := map[string]model.Date{}
	for _, a := range as {
		if a.SKU == "E" {
			rules[a.Detector] = a.Date
		}
	}
	day100 := anomalyStart.AddDays(100)
	if len(rules) != 2 || rules[anomaly.RuleNegativeStock] != day100 || rules[anomaly.RuleSaleNoStock] != day100 {
		t.Errorf("E's stock findings: %v, want negative stock and a sale without stock on %s", rules, day100)
	}
	before := len(as)

	// The next 40 days hold the spike and the price typo.
	importPaths(t, e, f.histories[1])
	as = allAnomalies(t, e)
	s := seriesFindings(as)
	spike := anomalyStart.AddDays(f.spikeDay)
	if len(s) != 1 {
		t.Fatalf("demand findings %+v, want the one spike", s)
	}
	if a := s[0]; a.SKU != "A" || a.Location != "DC1" || a.Channel != "web" || a.Date != spike ||
		a.Observed != float64(f.qty["A"][f.spikeDay]) || a.Score < 0.5 || !(a.Expected < a.Observed/4) {
		t.Errorf("spike found as %+v", a)
	}
	var prices []model.Anomaly
	for _, a := range as {
		if a.Detector == anomaly.RulePrice {
			prices = append(prices, a)
		}
	}
	if len(prices) != 1 || prices[0].SKU != "B" || prices[0].Date != anomalyStart.AddDays(f.priceDay) || prices[0].Observed != 1000 ||
		prices[0].Expected != 10 || prices[0].Channel != "web" {
		t.Errorf("price findings %+v", prices)
	}
	if len(as) != before+2 {
		t.Errorf("%d findings after the second file, want %d", len(as), before+2)
	}
	texts := drain(sub)
	if len(texts) != 3 || !strings.HasPrefix(texts[2], "2 new anomalies: ") || !strings.Contains(texts[2], "1 "+s[0].Detector) ||
		!strings.Contains(texts[2], "1 price_out_of_bounds") {
		t.Errorf("announced %q", texts)
	}

	// A count that finds 10,000 missing; a sales file sent again under another
	// name; the last five days exported again. The two re-sent files bring
	// no rows, so no step runs for them: the scan checks them.
	var ledger int64 = 100000
	for _, q := range f.qty["A"] {
		ledger -= q
	}
	last := anomalyStart.AddDays(199)
	countFile := filepath.Join(f.dir, "counts.csv")
	os.WriteFile(countFile, []byte(fmt.Sprintf("date,sku,location,counted_qty\n%s,A,DC1,%d\n", last, ledger-10000)), 0o644)
	importPaths(t, e, countFile)
	b, _ := os.ReadFile(f.histories[1])
	copyFile := filepath.Join(f.dir, "sales-2-resent.csv")
	os.WriteFile(copyFile, b, 0o644)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	overlapFile := filepath.Join(f.dir, "sales-last-week.csv")
	os.WriteFile(overlapFile, []byte(lines[0]+"\n"+strings.Join(lines[len(lines)-15:], "\n")+"\n"), 0o644)
	importPaths(t, e, copyFile, overlapFile)
	res, err := e.ScanAnomalies(ctx, engine.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 2 || res.Series != 0 || len(res.Added) != 2 {
		t.Fatalf("scan: %+v", res)
	}
	got := map[string]model.Anomaly{}
	for _, a := range allAnomalies(t, e) {
		got[a.Detector] = a
	}
	if a := got[anomaly.RuleShrinkage]; a.SKU != "A" || a.Observed != float64(ledger-10000) || a.Expected != float64(ledger) || a.Date != last {
		t.Errorf("shrinkage: %+v", a)
	}
	if a := got[anomaly.RuleDuplicateFile]; a.File != copyFile || !strings.Contains(a.Detail, f.histories[1]) {
		t.Errorf("duplicate file: %+v", a)
	}
	if a := got[anomaly.RuleOverlapExport]; a.File != overlapFile || a.Observed != 15 {
		t.Errorf("overlap export: %+v", a)
	}

	// Everything again, from the first day: nothing new.
	n := len(allAnomalies(t, e))
	res, err = e.ScanAnomalies(ctx, engine.ScanOptions{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 0 || res.Found < n-1 || res.Series != 4 {
		t.Errorf("full scan: %d found, %d added, %d series; %d stored", res.Found, len(res.Added), res.Series, n)
	}
	if m := len(allAnomalies(t, e)); m != n {
		t.Errorf("%d anomalies after a full scan, %d before", m, n)
	}
}

// TestEngine_ActOnAnomaly: actions change what forecasting sees; viewers
// may not act; an action on a version someone moved past is refused.
func TestEngine_ActOnAnomaly(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	f := newAnomalyFixture(t)
	importPaths(t, e, f.path("locations.csv"), f.path("items.csv"), f.path("movements.csv"), f.histories[0], f.histories[1])
	s := seriesFindings(allAnomalies(t, e))
	if len(s) != 1 {
		t.Fatalf("demand findings %+v", s)
	}
	spike := s[0]
	i := f.spikeDay
	recorded := float64(f.qty["A"][i])
	operator := model.Actor{Name: "alice", Role: model.RoleOperator}
	viewer := model.Actor{Name: "victor", Role: model.RoleViewer, Fingerprint: "SHA256:abc"}
	sub, stop := e.Subscribe()
	defer stop()

	history := func() (*data.History, []bool) {
		t.Helper()
		h, err := e.Store().History(ctx, "A", "DC1", model.NoDate)
		if err != nil {
			t.Fatal(err)
		}
		keep, err := e.CleanHistory(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		return h, keep
	}
	if h, keep := history(); h.Units[i] != recorded || !keep[i] {
		t.Fatalf("open anomaly: units %g keep %v", h.Units[i], keep[i])
	}

	// A viewer is refused, and the refusal is audited.
	_, err := e.ActOnAnomaly(ctx, viewer, spike.ID, model.ActionRequest{Action: model.ActExclude, Version: 1})
	if !errors.Is(err, engine.ErrNotAllowed) || !strings.Contains(err.Error(), "viewer") {
		t.Fatalf("viewer: %v", err)
	}
	audit, _ := e.Store().AuditLog(ctx, data.AuditQuery{Object: "anomaly"})
	if len(audit) != 1 || audit[0].Action != "denied:exclude" || audit[0].User != "victor (SHA256:abc)" {
		t.Errorf("audit after the refusal: %+v", audit)
	}

	// Correct to 24: training sees 24 on that day, the record keeps 240.
	a, err := e.ActOnAnomaly(ctx, operator, spike.ID, model.ActionRequest{Action: model.ActCorrect, Version: 1, Value: 24, Note: "typo"})
	if err != nil {
		t.Fatal(err)
	}
	if a.By != "alice" || a.Version != 2 || a.Observed != recorded {
		t.Errorf("after correct: %+v", a)
	}
	ov, err := e.TrainingOverrides(ctx, "A", "DC1", "web")
	if err != nil || len(ov) != 1 || ov[0].Replacement != 24 {
		t.Fatalf("overrides after correct: %+v %v", ov, err)
	}
	h, keep := history()
	if h.Units[i] != 24 || h.ByChannel["web"][i] != 24 || !keep[i] || h.Units[i-1] != float64(f.qty["A"][i-1]) {
		t.Errorf("cleaned: units %g, web %g, keep %v", h.Units[i], h.ByChannel["web"][i], keep[i])
	}
	if texts := drain(sub); len(texts) != 1 || !strings.Contains(texts[0], "corrected by alice") || !strings.Contains(texts[0], fmt.Sprintf("%g → 24", recorded)) {
		t.Errorf("announced %q", texts)
	}

	// Someone who still sees version 1 cannot exclude it.
	if _, err := e.ActOnAnomaly(ctx, operator, spike.ID, model.ActionRequest{Action: model.ActExclude, Version: 1}); !errors.Is(err, model.ErrAnomalyStale) {
		t.Fatalf("stale exclude: %v", err)
	}
	// Exclude on the version seen: the day leaves training.
	if _, err := e.ActOnAnomaly(ctx, operator, spike.ID, model.ActionRequest{Action: model.ActExclude, Version: 2}); err != nil {
		t.Fatal(err)
	}
	if h, keep := history(); h.Units[i] != recorded || keep[i] || slices.Contains(keep[:i], false) {
		t.Errorf("excluded: units %g keep %v", h.Units[i], keep[i])
	}
	// Reopen, then dismiss: the data is as recorded again.
	for v, act := range []model.AnomalyAction{model.ActReopen, model.ActDismiss} {
		if _, err := e.ActOnAnomaly(ctx, operator, spike.ID, model.ActionRequest{Action: act, Version: int64(3 + v)}); err != nil {
			t.Fatal(err)
		}
	}
	if ov, _ := e.TrainingOverrides(ctx, "A", "DC1", "web"); len(ov) != 0 {
		t.Errorf("overrides after dismiss: %+v", ov)
	}
	if h, keep := history(); h.Units[i] != recorded || !keep[i] {
		t.Errorf("dismissed: units %g keep %v", h.Units[i], keep[i])
	}

	// A corrected price is not a corrected demand.
	var price model.Anomaly
	for _, a := range allAnomalies(t, e) {
		if a.Detector == anomaly.RulePrice {
			price = a
		}
	}
	if _, err := e.ActOnAnomaly(ctx, operator, price.ID, model.ActionRequest{Action: model.ActCorrect, Version: 1, Value: 10}); err != nil {
		t.Fatal(err)
	}
	if ov, _ := e.TrainingOverrides(ctx, "B", "DC1", "web"); len(ov) != 0 {
		t.Errorf("a price correction overrides demand: %+v", ov)
	}

	// The chart series of each kind of finding.
	sr, err := e.AnomalySeries(ctx, spike)
	if err != nil || sr.Name != "web units sold" || sr.Start != anomalyStart || sr.Values[i] != recorded {
		t.Errorf("spike's series: %s from %s (%v)", sr.Name, sr.Start, err)
	}
	var neg model.Anomaly
	for _, a := range allAnomalies(t, e) {
		if a.Detector == anomaly.RuleNegativeStock {
			neg = a
		}
	}
	sr, err = e.AnomalySeries(ctx, neg)
	if err != nil || sr.Name != "on hand" || sr.Values[neg.Date-sr.Start] != -2 {
		t.Errorf("negative stock's series: %+v (%v)", sr, err)
	}

	// Markers: open counts by item×location id, and the item's findings.
	rows, _ := e.StockPage(ctx, model.StockQuery{Limit: 10})
	var keys [][2]int64
	byKey := map[[2]int64]string{}
	for _, r := range rows {
		k := [2]int64{r.ItemID, r.LocID}
		keys = append(keys, k)
		byKey[k] = r.SKU
	}
	counts, err := e.OpenAnomalyCounts(ctx, keys, model.NoDate)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for k, n := range counts {
		got[byKey[k]] = n
	}
	// A's spike is dismissed, B's price corrected: C's cost and E's two
	// stock findings stay open.
	if len(got) != 2 || got["C"] != 1 || got["E"] != 2 {
		t.Errorf("open counts %v", got)
	}
	marks, err := e.SeriesAnomalies(ctx, "A", "DC1")
	if err != nil || len(marks) != 1 || marks[0].State != model.AnomalyDismissed {
		t.Errorf("A's marks %+v %v", marks, err)
	}
}

// TestAnomalyStep_DefersBigImports: an import touching more item×locations
// than the step takes is left to the scan, which then checks it once.
func TestAnomalyStep_DefersBigImports(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	sub, stop := e.Subscribe()
	defer stop()
	dir := t.TempDir()
	n := engine.DefaultStepSeries/2 + 1 // two locations each: just over the limit
	var items, sales strings.Builder
	items.WriteString("sku,name,unit_cost,price\n")
	sales.WriteString("date,order_id,sku,location,channel,qty,price\n")
	for i := range n {
		fmt.Fprintf(&items, "S%05d,Item %d,1,2\n", i, i)
		fmt.Fprintf(&sales, "2026-05-01,O%d,S%05d,DC1,web,1,2\n2026-05-01,P%d,S%05d,ST1,web,1,2\n", i, i, i, i)
	}
	for name, content := range map[string]string{"locations.csv": "code,name\nDC1,Depot\nST1,Store\n", "items.csv": items.String(), "sales.csv": sales.String()} {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	importPaths(t, e, filepath.Join(dir, "locations.csv"), filepath.Join(dir, "items.csv"))
	drain(sub)
	importPaths(t, e, filepath.Join(dir, "sales.csv"))
	texts := drain(sub)
	if len(texts) != 1 || !strings.Contains(texts[0], fmt.Sprintf("touched %d item×locations", 2*n)) {
		t.Errorf("announced %q", texts)
	}
	left, _ := e.Store().CheckFiles(ctx, true)
	if len(left) != 1 || left[0].Kind != data.KindSales {
		t.Fatalf("unchecked after the step: %+v", left)
	}
	done := 0
	res, err := e.ScanAnomalies(ctx, engine.ScanOptions{Progress: func(d, total int) { done = d }})
	if err != nil {
		t.Fatal(err)
	}
	// Every series sold one unit with nothing booked in: not tracked, no
	// stock rules; one day is no demand history.
	if res.Files != 1 || res.Series != 2*n || res.Found != 0 || done != n {
		t.Errorf("scan: %+v, progress %d", res, done)
	}
	if left, _ := e.Store().CheckFiles(ctx, true); len(left) != 0 {
		t.Errorf("unchecked after the scan: %+v", left)
	}
	if res, _ := e.ScanAnomalies(ctx, engine.ScanOptions{}); res.Files != 0 || res.Series != 0 {
		t.Errorf("second scan: %+v", res)
	}
}

// BenchmarkAnomalyStep_DailyFile measures the after-import step for one
// day's sales of every series of a store with 200 days of history: items
// × 2 locations, one web series each. STOCKROOM_STEP_ITEMS sets the items
// (default 500).
func BenchmarkAnomalyStep_DailyFile(b *testing.B) {
	items := 500
	if v := os.Getenv("STOCKROOM_STEP_ITEMS"); v != "" {
		fmt.Sscan(v, &items)
	}
	ctx := context.Background()
	dir := b.TempDir()
	st, err := data.Open(ctx, filepath.Join(dir, "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e := engine.New(st)
	defer e.Close()
	rng := rand.New(rand.NewPCG(3, 5))
	season := []float64{1.0, 0.8, 0.8, 0.9, 1.1, 1.6, 1.8}
	var it, mv strings.Builder
	it.WriteString("sku,name,unit_cost,price\n")
	mv.WriteString("date,sku,location,qty,kind,ref\n")
	for i := range items {
		fmt.Fprintf(&it, "S%05d,Item %d,1,2\n", i, i)
		for _, loc := range []string{"DC1", "ST1"} {
			fmt.Fprintf(&mv, "%s,S%05d,%s,1000000,receipt,PO-%d-%s\n", anomalyStart, i, loc, i, loc)
		}
	}
	day := func(d int) string {
		var s strings.Builder
		s.WriteString("date,order_id,sku,location,channel,qty,price\n")
		for i := range items {
			for _, loc := range []string{"DC1", "ST1"} {
				fmt.Fprintf(&s, "%s,O%d-%d-%s,S%05d,%s,web,%d,2\n", anomalyStart.AddDays(d), d, i, loc, i, loc,
					1+anomPoisson(rng, 8*season[anomaly.WeekdayPhase(anomalyStart.AddDays(d))]))
			}
		}
		return s.String()
	}
	var hist strings.Builder
	hist.WriteString("date,order_id,sku,location,channel,qty,price\n")
	for d := range 200 {
		hist.WriteString(strings.SplitN(day(d), "\n", 2)[1])
	}
	w := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	paths := []string{w("locations.csv", "code,name\nDC1,Depot\nST1,Store\n"), w("items.csv", it.String()), w("movements.csv", mv.String()), w("history.csv", hist.String())}
	if _, err := e.Import(ctx, paths, data.ImportOptions{}, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := e.ScanAnomalies(ctx, engine.ScanOptions{}); err != nil {
		b.Fatal(err)
	}
	step := engine.AnomalyStep(0)
	b.ResetTimer()
	for n := range b.N {
		b.StopTimer()
		p := w(fmt.Sprintf("day-%d.csv", n), day(200+n))
		res, err := st.ImportFile(ctx, p, data.ImportOptions{})
		if err != nil || res.RowsOK != 2*items {
			b.Fatalf("%+v %v", res, err)
		}
		b.StartTimer()
		if err := step.Run(ctx, e, []data.FileResult{res}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*2*items), "µs/series")
}

// TestAnomalyStep_Shrinkage imports a shop's counts the way they arrive:
// five counts that find the ordinary loss of a little over 1% of what sold
// (one of them finds nothing missing) raise nothing, although each is past
// the 2-unit, 5% tolerance; the sixth finds most of the stock gone.
func TestAnomalyStep_Shrinkage(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	dir := t.TempDir()
	write := fileWriter(t, dir)
	importPaths(t, e, write("locations.csv", "code,name,kind,lat,lon\nST1,Store,store,,\n"),
		write("items.csv", "sku,name,category,uom,unit_cost,price,supplier,pack_size,moq\nG,Gloves,tools,ea,2,5,S1,1,0\n"))
	week := []int64{8, 9, 9, 10, 11, 12, 11} // 10 a day
	var moves, sales strings.Builder
	moves.WriteString("date,sku,location,qty,kind,ref\n")
	sales.WriteString("date,order_id,sku,location,channel,qty,price\n")
	const days = 180
	book := map[int]int64{} // the ledger's balance at the end of each day
	var bal int64
	for d := range days {
		if d%10 == 0 {
			q := int64(100) // a delivery every ten days, a safety stock of 50
			if d == 0 {
				q += 50
			}
			fmt.Fprintf(&moves, "%s,G,ST1,%d,receipt,PO-%d\n", anomalyStart.AddDays(d), q, d)
			bal += q
		}
		q := week[d%7]
		fmt.Fprintf(&sales, "%s,SO-%d,G,ST1,store,%d,5\n", anomalyStart.AddDays(d), d, q)
		bal -= q
		book[d] = bal
	}
	importPaths(t, e, write("movements.csv", moves.String()), write("sales.csv", sales.String()))
	counts := []struct {
		day  int
		loss int64
	}{{38, 6}, {68, 0}, {98, 7}, {128, 4}, {158, 5}, {178, 0}}
	var lost int64
	var cs strings.Builder
	cs.WriteString("date,sku,location,counted_qty\n")
	for i, c := range counts {
		ledger := book[c.day] - lost
		if i == len(counts)-1 {
			c.loss = ledger * 4 / 5 // most of the stock stolen
		}
		if c.loss > 0 && float64(c.loss) <= max(2, 0.05*float64(ledger)) {
			t.Fatalf("count on day %d: a loss of %d of %d is within the tolerance, the test proves nothing", c.day, c.loss, ledger)
		}
		fmt.Fprintf(&cs, "%s,G,ST1,%d\n", anomalyStart.AddDays(c.day), ledger-c.loss)
		lost += c.loss
	}
	importPaths(t, e, write("counts.csv", cs.String()))
	var shrink []model.Anomaly
	for _, a := range allAnomalies(t, e) {
		if a.Detector == anomaly.RuleShrinkage {
			shrink = append(shrink, a)
		}
	}
	theft := anomalyStart.AddDays(178)
	if len(shrink) != 1 || shrink[0].Date != theft || shrink[0].Score < 0.9 {
		t.Fatalf("shrinkage findings %+v, want one on %s scoring 0.9 or more", shrink, theft)
	}
	// The baseline runs from the count before, the one on day 158.
	if want := "since " + anomalyStart.AddDays(158).String(); !strings.Contains(shrink[0].Detail, want) {
		t.Errorf("detail %q lacks %q", shrink[0].Detail, want)
	}
	// Scanning everything again finds the same, and stores nothing twice.
	res, err := e.ScanAnomalies(ctx, engine.ScanOptions{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 0 {
		t.Errorf("full scan added %+v", res.Added)
	}
	// A till's sales of day 175 arrive after the count: 20 of the units
	// the count missed were sold, and the open finding says so.
	importPaths(t, e, write("sales-late.csv", fmt.Sprintf("date,order_id,sku,location,channel,qty,price\n%s,SO-LATE,G,ST1,store,20,5\n",
		anomalyStart.AddDays(175))))
	var got model.Anomaly
	for _, a := range allAnomalies(t, e) {
		if a.ID == shrink[0].ID {
			got = a
		}
	}
	if got.Version != 2 || got.Observed != shrink[0].Observed || got.Expected != shrink[0].Expected-20 ||
		!strings.Contains(got.Detail, fmt.Sprintf("vs ledger %d", int64(shrink[0].Expected)-20)) {
		t.Errorf("after the late sales: %+v, want version 2 and the ledger 20 lower than %g", got, shrink[0].Expected)
	}
	// The rest of what the count missed turns up as sales too: the finding
	// is dismissed, saying why.
	rest := int64(got.Expected - got.Observed)
	sub, stop := e.Subscribe()
	defer stop()
	importPaths(t, e, write("sales-later.csv", fmt.Sprintf("date,order_id,sku,location,channel,qty,price\n%s,SO-LATER,G,ST1,store,%d,5\n",
		anomalyStart.AddDays(176), rest)))
	for _, a := range allAnomalies(t, e) {
		if a.ID == got.ID {
			got = a
		}
	}
	wantNote := fmt.Sprintf("the ledger explains it now: count %d vs ledger %d", int64(got.Observed), int64(got.Observed))
	if got.State != model.AnomalyDismissed || got.By != anomaly.CohortBy || got.Note != wantNote {
		t.Errorf("after the rest: %+v, want dismissed by %s: %s", got, anomaly.CohortBy, wantNote)
	}
	if texts := drain(sub); !slices.Contains(texts, fmt.Sprintf("anomalies: the shrinkage finding of G @ ST1 on %s dismissed: the ledger explains it now", theft)) {
		t.Errorf("announced %q", texts)
	}
}

// Stock findings follow late lines: a late sale that makes a negative run
// start earlier leaves one finding for the run, on its new first day; a
// late receipt that keeps the stock above zero dismisses that one too,
// each with the reason in its note.
func TestAnomalyStep_LateLinesExplainStockFindings(t *testing.T) {
	e := newEngine(t)
	write := fileWriter(t, t.TempDir())
	day := func(i int) model.Date { return anomalyStart.AddDays(i) }
	importPaths(t, e, write("locations.csv", "code,name,kind,lat,lon\nST1,Store,store,,\n"),
		write("items.csv", "sku,name,category,uom,unit_cost,price,supplier,pack_size,moq\nG,Gloves,tools,ea,2,5,S1,1,0\n"),
		write("movements.csv", fmt.Sprintf("date,sku,location,qty,kind,ref\n%s,G,ST1,10,receipt,PO-0\n", day(0))),
		write("sales.csv", fmt.Sprintf("date,order_id,sku,location,channel,qty,price\n%s,S5,G,ST1,store,12,5\n%s,S8,G,ST1,store,1,5\n", day(5), day(8))))
	negatives := func() map[model.Date]model.Anomaly {
		t.Helper()
		out := map[model.Date]model.Anomaly{}
		for _, a := range allAnomalies(t, e) {
			if a.Detector == anomaly.RuleNegativeStock {
				out[a.Date] = a
			}
		}
		return out
	}
	if got := negatives(); len(got) != 1 || got[day(5)].State != model.AnomalyOpen {
		t.Fatalf("negative stock findings %+v, want one open on %s", got, day(5))
	}
	// 11 more sold on day 3, sent late: the run starts on day 3.
	importPaths(t, e, write("sales-late.csv", fmt.Sprintf("date,order_id,sku,location,channel,qty,price\n%s,S3,G,ST1,store,11,5\n", day(3))))
	got := negatives()
	if a := got[day(3)]; len(got) != 2 || a.State != model.AnomalyOpen {
		t.Errorf("after the late sale: %+v, want an open finding on %s", got, day(3))
	}
	if a := got[day(5)]; a.State != model.AnomalyDismissed || a.Note != "the same run below zero starts on "+day(3).String()+" now" {
		t.Errorf("the run's old first day: %+v", a)
	}
	// 30 received on day 2, sent late: the stock never went below zero.
	importPaths(t, e, write("movements-late.csv", fmt.Sprintf("date,sku,location,qty,kind,ref\n%s,G,ST1,30,receipt,PO-2\n", day(2))))
	if a := negatives()[day(3)]; a.State != model.AnomalyDismissed || a.By != anomaly.CohortBy ||
		a.Note != "the ledger explains it now: "+day(3).String()+" closes at 29" {
		t.Errorf("after the late receipt: %+v", a)
	}
}

// Units sent out under a transfer ref that nobody received are found once
// they are two weeks on the road; the import that brings the receiving
// side, which touches only the receiver, dismisses the finding.
func TestAnomalyStep_TransferUnreceived(t *testing.T) {
	e := newEngine(t)
	write := fileWriter(t, t.TempDir())
	day := func(i int) model.Date { return anomalyStart.AddDays(i) }
	var sales strings.Builder
	sales.WriteString("date,order_id,sku,location,channel,qty,price\n")
	for i := range 40 {
		fmt.Fprintf(&sales, "%s,S%d,G,ST1,store,1,5\n", day(i), i)
	}
	importPaths(t, e, write("locations.csv", "code,name,kind,lat,lon\nDC1,Depot,warehouse,,\nST1,Store,store,,\n"),
		write("items.csv", "sku,name,category,uom,unit_cost,price,supplier,pack_size,moq\nG,Gloves,tools,ea,2,5,S1,1,0\n"),
		write("movements.csv", fmt.Sprintf("date,sku,location,qty,kind,ref\n%s,G,DC1,100,receipt,PO-0\n%s,G,ST1,50,receipt,PO-1\n%s,G,DC1,-20,transfer_out,TR-9\n",
			day(0), day(0), day(10))),
		write("sales.csv", sales.String()))
	var lost model.Anomaly
	for _, a := range allAnomalies(t, e) {
		if a.Detector == anomaly.RuleTransferLost {
			lost = a
		}
	}
	if lost.Location != "DC1" || lost.Date != day(10) || lost.Observed != 0 || lost.Expected != 20 || lost.State != model.AnomalyOpen {
		t.Fatalf("unreceived transfer: %+v", lost)
	}
	importPaths(t, e, write("movements-st1.csv", fmt.Sprintf("date,sku,location,qty,kind,ref\n%s,G,ST1,20,transfer_in,TR-9\n", day(11))))
	for _, a := range allAnomalies(t, e) {
		if a.ID == lost.ID {
			lost = a
		}
	}
	if lost.State != model.AnomalyDismissed || lost.Note != "the ledger explains it now: the transfer was received" {
		t.Errorf("after the receiving side: %+v", lost)
	}
}

// A day still being sold in is not scored as demand: an intraday file
// that brings a fast mover's first few sales of today raises nothing. Once
// the day is over, the next import scores it whole.
func TestAnomalyStep_TodayIsNotOver(t *testing.T) {
	f := newAnomalyFixture(t)
	e := newEngine(t)
	importPaths(t, e, f.path("locations.csv"), f.path("items.csv"), f.path("movements.csv"))
	importPaths(t, e, f.histories...)
	today := anomalyStart.AddDays(200)
	write := fileWriter(t, f.dir)
	e.SetClock(func() time.Time { return today.Time().Add(10 * time.Hour) })
	importPaths(t, e, write("early.csv", fmt.Sprintf("date,order_id,sku,location,channel,qty,price\n%s,EARLY-1,A,DC1,web,2,10.00\n", today)))
	for _, a := range seriesFindings(allAnomalies(t, e)) {
		if a.Date == today {
			t.Errorf("today's first sales, scored as a whole day: %+v", a)
		}
	}
	// The next day: A sold nothing more on 200, so 2 is the day's demand.
	e.SetClock(func() time.Time { return today.AddDays(1).Time().Add(10 * time.Hour) })
	importPaths(t, e, write("next.csv", fmt.Sprintf("date,order_id,sku,location,channel,qty,price\n%s,NEXT-1,A,DC1,web,20,10.00\n", today.AddDays(1))))
	found := false
	for _, a := range seriesFindings(allAnomalies(t, e)) {
		found = found || (a.SKU == "A" && a.Date == today && a.Observed == 2)
	}
	if !found {
		t.Errorf("day %s (A sold 2 against about 20) not scored once it was over: %+v", today, seriesFindings(allAnomalies(t, e)))
	}
}

// A season that came a year ago too is not flagged by the after-import
// check, which pushes a few months of the series and seeds the year
// before them; the first year, with nothing to compare with, it is.
func TestAnomalyStep_LastYearsSeason(t *testing.T) {
	e := newEngine(t)
	// The history runs into 2027: the clock is after it, or its days
	// would be refused as future ones.
	e.SetClock(func() time.Time { return anomalyStart.AddDays(800).Time() })
	dir := t.TempDir()
	write := fileWriter(t, dir)
	write("locations.csv", "code,name,kind,lat,lon\nDC1,Depot,depot,,\n")
	write("items.csv", "sku,name,category,uom,unit_cost,price,supplier,pack_size,moq\nT,Toy train,toys,ea,4,10,S1,1,0\n")
	write("movements.csv", fmt.Sprintf("date,sku,location,qty,kind,ref\n%s,T,DC1,1000000,receipt,PO-1\n", anomalyStart))
	importPaths(t, e, filepath.Join(dir, "locations.csv"), filepath.Join(dir, "items.csv"), filepath.Join(dir, "movements.csv"))
	const peak, weeks = 300, 4
	weekShape := []float64{0.85, 0.9, 0.95, 1.0, 1.1, 1.35, 1.25}
	rng := rand.New(rand.NewPCG(5, 5))
	inSeason := func(d int) bool { return d%364 >= peak && d%364 < peak+7*weeks }
	sales := func(name string, from, to int) string {
		var b strings.Builder
		b.WriteString("date,order_id,sku,location,channel,qty,price\n")
		for d := from; d < to; d++ {
			mu := 10 * weekShape[anomaly.WeekdayPhase(anomalyStart.AddDays(d))]
			if inSeason(d) {
				mu *= 3
			}
			if q := anomPoisson(rng, mu); q > 0 {
				fmt.Fprintf(&b, "%s,SO-%d,T,DC1,web,%d,10.00\n", anomalyStart.AddDays(d), d, q)
			}
		}
		return write(name, b.String())
	}
	// Day by day in weekly files, the way a feed arrives.
	seasonal := func(from, to int) []model.Anomaly {
		var out []model.Anomaly
		for _, a := range seriesFindings(allAnomalies(t, e)) {
			if d := int(a.Date - anomalyStart); d >= from && d < to {
				out = append(out, a)
			}
		}
		return out
	}
	importPaths(t, e, sales("sales-0.csv", 0, peak-7))
	for w := peak - 7; w < 364+peak+7*weeks+14; w += 7 {
		importPaths(t, e, sales(fmt.Sprintf("sales-%d.csv", w), w, w+7))
	}
	if got := seasonal(peak, peak+7*weeks); len(got) == 0 {
		t.Errorf("the first season, with no year before it, was not flagged")
	}
	if got := seasonal(364+peak, 364+peak+7*weeks); len(got) != 0 {
		t.Errorf("the second season, like the first, was flagged: %+v", got)
	}
}

// Five toys sell 2.5 times as much from one week, two from the Monday and
// three from the Wednesday, found by daily imports: the store keeps one
// open category finding and the other toys' findings dismissed by
// stockroom, the two kept open on Monday too; the announcement counts
// them apart. A garden item selling on as before is not part of it.
func TestAnomalyStep_CategoryMovesTogether(t *testing.T) {
	e := newEngine(t)
	sub, stop := e.Subscribe()
	defer stop()
	dir := t.TempDir()
	write := fileWriter(t, dir)
	toys := []string{"T1", "T2", "T3", "T4", "T5"}
	items := "sku,name,category,uom,unit_cost,price,supplier,pack_size,moq\nG1,Rake,garden,ea,4,10,S1,1,0\n"
	moves := "date,sku,location,qty,kind,ref\n" + fmt.Sprintf("%s,G1,DC1,1000000,receipt,PO-G1\n", anomalyStart)
	for _, s := range toys {
		items += s + ",Toy " + s + ",toys,ea,4,10,S1,1,0\n"
		moves += fmt.Sprintf("%s,%s,DC1,1000000,receipt,PO-%s\n", anomalyStart, s, s)
	}
	write("locations.csv", "code,name,kind,lat,lon\nDC1,Depot,depot,,\n")
	write("items.csv", items)
	write("movements.csv", moves)
	importPaths(t, e, filepath.Join(dir, "locations.csv"), filepath.Join(dir, "items.csv"), filepath.Join(dir, "movements.csv"))
	const turn = 151 // a Monday
	lag := map[string]int{"T3": 2, "T4": 2, "T5": 2}
	if wd := anomalyStart.AddDays(turn).Weekday(); wd != time.Monday {
		t.Fatalf("day %d is a %s", turn, wd)
	}
	weekShape := []float64{0.85, 0.9, 0.95, 1.0, 1.1, 1.35, 1.25}
	rng := rand.New(rand.NewPCG(3, 9))
	sales := func(name string, from, to int) string {
		var b strings.Builder
		b.WriteString("date,order_id,sku,location,channel,qty,price\n")
		for d := from; d < to; d++ {
			for _, s := range append([]string{"G1"}, toys...) {
				mu := 20 * weekShape[anomaly.WeekdayPhase(anomalyStart.AddDays(d))]
				if s != "G1" && d >= turn+lag[s] {
					mu *= 2.5
				}
				if q := anomPoisson(rng, mu); q > 0 {
					fmt.Fprintf(&b, "%s,SO-%d-%s,%s,DC1,web,%d,10.00\n", anomalyStart.AddDays(d), d, s, s, q)
				}
			}
		}
		return write(name, b.String())
	}
	importPaths(t, e, sales("sales-0.csv", 0, turn-7))
	drain(sub)
	// Day by day: two toys turn on Monday, three on Wednesday, so the
	// first two are stored open before the move can form.
	for d := turn - 7; d < turn+21; d++ {
		importPaths(t, e, sales(fmt.Sprintf("sales-%d.csv", d), d, d+1))
	}
	var carriers, members, open []model.Anomaly
	for _, a := range allAnomalies(t, e) {
		if a.Date < anomalyStart.AddDays(turn) || a.SKU == "" {
			continue
		}
		switch {
		case a.Detector == anomaly.CohortShift || a.Detector == anomaly.CohortSpike:
			carriers = append(carriers, a)
		case a.State == model.AnomalyDismissed && a.By == anomaly.CohortBy:
			members = append(members, a)
		case a.State == model.AnomalyOpen && slices.Contains(anomaly.Components[:], a.Detector):
			open = append(open, a)
		}
	}
	if len(carriers) != 1 || !strings.HasPrefix(carriers[0].Detail, "toys: ") || carriers[0].State != model.AnomalyOpen {
		t.Fatalf("category findings %+v", carriers)
	}
	if len(members) < 2 || len(open) != 0 {
		t.Errorf("%d members dismissed, level shifts left open %+v", len(members), open)
	}
	for _, m := range append(members, carriers...) {
		if !strings.HasPrefix(m.SKU, "T") {
			t.Errorf("the garden item joined the toys: %+v", m)
		}
	}
	if !slices.ContainsFunc(drain(sub), func(s string) bool { return strings.Contains(s, "dismissed as part of a category-wide move") }) {
		t.Errorf("no announcement of the dismissed members")
	}
}
