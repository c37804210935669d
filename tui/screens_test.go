package tui_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"stockroom/engine"
	"stockroom/model"
	"stockroom/tui"
)

func TestCommandLine(t *testing.T) {
	eng := newEngine(t, 12)
	d := drive(t, newConsole(t, eng), 120, 30)
	// Tab completes a command name; enter runs it.
	d.keys(":imp\t")
	if !strings.Contains(d.view(), ":imports") {
		t.Fatalf("completion: %s", d.view())
	}
	d.keys("{enter}")
	if !strings.Contains(d.view(), "Imports") || !strings.Contains(d.view(), "sales.csv") {
		t.Fatalf(":imports: %s", d.view())
	}
	// A unique prefix is enough; an unknown command says so.
	d.keys(":frob{enter}")
	if !strings.Contains(d.view(), `unknown command "frob"`) {
		t.Errorf("unknown command: %s", d.view())
	}
	d.keys(":location XX1{enter}")
	if v := d.view(); !strings.Contains(v, "no location XX1 (the store has DC1, ST1, ST2)") {
		t.Errorf(":location XX1: %s", v)
	}
	d.keys(":loc ST1{enter}")
	if !strings.Contains(d.view(), "Stock /loc=ST1") || !strings.Contains(d.view(), "row 1 of 12") || strings.Contains(d.view(), "no location XX1") {
		t.Errorf(":location ST1 (the last error gone): %s", d.view())
	}
	// Location codes complete too.
	d.keys(":location S\t")
	if !strings.Contains(d.view(), ":location ST1") {
		t.Errorf("location completion: %s", d.view())
	}
	d.keys("\t")
	if !strings.Contains(d.view(), ":location ST2") {
		t.Errorf("second tab cycles: %s", d.view())
	}
	d.keys("{esc}")
	d.keys(":item SKU-0003 ST2{enter}")
	if !strings.Contains(d.view(), "SKU-0003 @ ST2") || !strings.Contains(d.view(), "Seeds 3") {
		t.Errorf(":item: %s", d.view())
	}
	// A mistyped sku says so, not "error: not found".
	d.keys(":item SKU-9999{enter}")
	if v := d.view(); !strings.Contains(v, `no item "SKU-9999" in this store`) || strings.Contains(v, "error: not found") {
		t.Errorf(":item of an unknown sku: %s", v)
	}
}

func TestDrillInAndBack(t *testing.T) {
	eng := newEngine(t, 12)
	d := drive(t, newConsole(t, eng), 120, 40)
	d.keys("/saw{enter}j")
	d.keys("{enter}")
	v := d.view()
	if !strings.Contains(v, "Stock /saw › SKU-0002 @ ST1") {
		t.Fatalf("breadcrumbs after drilling in: %s", v)
	}
	for _, want := range []string{"Saw 2", "supplier SUP1", "receipt", "PO-2-1", "sales.csv:", "movements.csv:", "units sold a day since 2026-10-01"} {
		if !strings.Contains(v, want) {
			t.Errorf("item screen lacks %q", want)
		}
	}
	// tab: the same item at the next location.
	d.keys("\t")
	if !strings.Contains(d.view(), "SKU-0002 @ ST2") {
		t.Errorf("tab: %s", d.view())
	}
	// esc goes back with the filter and cursor kept.
	d.keys("{esc}")
	v = d.view()
	if !strings.Contains(v, "Stock /saw") || !strings.Contains(v, "row 2 of 9") {
		t.Errorf("back: %s", v)
	}
	d.keys("{esc}") // clears the filter
	if !strings.Contains(d.view(), "row 1 of 36") {
		t.Errorf("esc clears the filter: %s", d.view())
	}
}

func TestImportsAndQuarantine(t *testing.T) {
	eng := newEngine(t, 5)
	dir := t.TempDir()
	p := writeTemp(t, dir, "sales-bad.csv", "date,order_id,sku,location,channel,qty,price\n"+
		"2026-10-30,X1,SKU-0001,DC1,web,two,5\n2026-10-30,X2,NOPE,DC1,web,1,5\n2026-10-30,X3,SKU-0001,DC1,web,1,5\n")
	importFile(t, eng, p)
	d := drive(t, newConsole(t, eng), 140, 30)
	d.keys(":imports{enter}")
	v := d.view()
	if !strings.Contains(v, "sales-bad.csv") || !strings.Contains(v, "file 1 of 5") {
		t.Fatalf("imports: %s", v)
	}
	d.keys("{enter}")
	v = d.view()
	for _, want := range []string{"1 imported", "2 rejected", "qty", "not a number", `unknown sku "NOPE"`, "X1,SKU-0001"} {
		if !strings.Contains(v, want) {
			t.Errorf("quarantine lacks %q:\n%s", want, v)
		}
	}
	if !strings.Contains(v, "      2  qty") || !strings.Contains(v, "      3  sku") {
		t.Errorf("rejected rows must show their lines:\n%s", v)
	}
}

func TestOverview(t *testing.T) {
	eng := newEngine(t, 8)
	d := drive(t, newConsole(t, eng), 140, 40)
	d.keys(":overview{enter}")
	v := d.view()
	for _, want := range []string{"items", "item × locations", "out of stock", "sales", "movements", "Alerts and activity"} {
		if !strings.Contains(v, want) {
			t.Errorf("overview lacks %q:\n%s", want, v)
		}
	}
	if !strings.Contains(v, "24") { // 8 items × 3 locations
		t.Errorf("overview counts:\n%s", v)
	}
	// Never planned: the replenishment block says how, not zeros.
	if !strings.Contains(v, "never planned; make proposals with") || !strings.Contains(v, "stockroom plan --db test.db") || strings.Contains(v, "below reorder point") {
		t.Errorf("unplanned store's overview:\n%s", v)
	}
	if _, err := eng.Plan(context.Background(), engine.PlanOptions{User: "plan"}); err != nil {
		t.Fatal(err)
	}
	d = drive(t, newConsole(t, eng), 140, 40)
	d.keys(":overview{enter}")
	// The alert counts say they are the last recompute's (an approval
	// does not move them).
	if p := d.view(); !regexp.MustCompile(`below reorder point +[\d,]+  at last plan`).MatchString(p) || strings.Contains(p, "never planned") ||
		!regexp.MustCompile(`new, not sold yet +\d+`).MatchString(p) {
		t.Errorf("planned store's overview:\n%s", p)
	}
	// Money rounds to the nearest unit, as the proposals' worth does.
	o, err := eng.Overview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := "stock value at cost     " + model.Thousands(int64(math.Round(o.StockValue))); !strings.Contains(v, want) {
		t.Errorf("overview lacks %q:\n%s", want, v)
	}
}

// At 80×24 the overview is taller than the screen: it scrolls, says
// where it is, and its last lines (the schedule, the feed) can be reached.
func TestOverview_Scrolls(t *testing.T) {
	eng := newEngine(t, 3)
	jobs := func() []engine.EntryStatus {
		return []engine.EntryStatus{{Name: "plan", Job: "plan", Cron: "30 3 * * *"}, {Name: "backup", Job: "backup", Cron: "0 1 * * *"}}
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	m := tui.New(tui.Options{Backend: fixedName{eng}, Keys: tui.DefaultKeyMap(), Styles: tui.NewStyles(r), Start: "overview", Jobs: jobs})
	d := drive(t, m, 80, 24)
	v := d.view()
	pos := regexp.MustCompile(`lines (\d+)–(\d+) of (\d+)`)
	got := pos.FindStringSubmatch(v)
	if got == nil || got[1] != "1" || strings.Contains(v, "Alerts and activity") || !strings.Contains(v, "items") {
		t.Fatalf("first screen of a tall overview:\n%s", v)
	}
	d.keys("G")
	v = d.view()
	end := pos.FindStringSubmatch(v)
	if end == nil || end[2] != end[3] || end[3] != got[3] || !strings.Contains(v, "Alerts and activity") || !strings.Contains(v, "backup") {
		t.Fatalf("after G:\n%s", v)
	}
	d.keys("k")
	if up := pos.FindStringSubmatch(d.view()); up == nil || up[1] == end[1] {
		t.Errorf("k did not scroll up: %v then %v", end, up)
	}
	d.keys("g")
	if top := pos.FindStringSubmatch(d.view()); top == nil || top[1] != "1" {
		t.Errorf("g: %v", top)
	}
	// Where it all fits, nothing scrolls and no position is shown.
	wide := tui.New(tui.Options{Backend: fixedName{eng}, Keys: tui.DefaultKeyMap(), Styles: tui.NewStyles(r), Start: "overview", Jobs: jobs})
	if v := drive(t, wide, 160, 60).view(); pos.MatchString(v) || !strings.Contains(v, "Alerts and activity") {
		t.Errorf("position on a screen that fits:\n%s", v)
	}
}

// The ? page lists each key once: the overview's own ↓/j was also listed
// under moving, beside it.
func TestHelp_EachKeyOnce(t *testing.T) {
	eng := newEngine(t, 3)
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	for _, start := range []string{"overview", "stock"} {
		m := tui.New(tui.Options{Backend: fixedName{eng}, Keys: tui.DefaultKeyMap(), Styles: tui.NewStyles(r), Start: start})
		d := drive(t, m, 80, 24) // the overview scrolls at this size
		d.keys("?")
		v := d.view()
		for _, k := range []string{"↓/j", "↑/k", "pgdn", "pgup", "? ", "q "} {
			if n := strings.Count(v, k); n != 1 {
				t.Errorf("%s: %q listed %d times:\n%s", start, k, n, v)
			}
		}
	}
}

// Under stockroom serve the overview lists the schedule: each entry's last
// run, its outcome and the next.
func TestOverview_Schedule(t *testing.T) {
	eng := newEngine(t, 3)
	last := time.Date(2026, 11, 26, 3, 30, 0, 0, time.UTC)
	jobs := func() []engine.EntryStatus {
		return []engine.EntryStatus{
			{Name: "plan", Job: "plan", Cron: "30 3 * * *", LastRun: last, LastDuration: 2100 * time.Millisecond, Runs: 1, Next: last.Add(24 * time.Hour)},
			{Name: "backup", Job: "backup", Cron: "0 1 * * *", LastRun: last, Runs: 1, LastErr: "disk full", Next: last.Add(22 * time.Hour)},
			{Name: "report", Job: "report", Cron: "0 6 * * 1", Next: last.Add(100 * time.Hour)},
		}
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	m := tui.New(tui.Options{Backend: fixedName{eng}, Keys: tui.DefaultKeyMap(), Styles: tui.NewStyles(r), Start: "overview", Jobs: jobs})
	d := drive(t, m, 160, 48)
	v := d.view()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`plan\s+11-26 03:30\s+ok 2.1s\s+11-27 03:30`),
		regexp.MustCompile(`backup\s+11-26 03:30\s+FAILED\s+11-27 01:30`),
		regexp.MustCompile(`report\s+-\s+-\s+11-30 07:30`),
	} {
		if !want.MatchString(v) {
			t.Errorf("overview lacks %s:\n%s", want, v)
		}
	}
	plain := tui.New(tui.Options{Backend: fixedName{eng}, Keys: tui.DefaultKeyMap(), Styles: tui.NewStyles(r), Start: "overview"})
	n := drive(t, plain, 160, 48)
	if strings.Contains(n.view(), "Schedule") || !strings.Contains(n.view(), "Replenishment") {
		t.Errorf("schedule shown outside serve")
	}
	// No forecast stored: the command that makes one, whole, for this store.
	if !strings.Contains(n.view(), "stockroom forecast --db test.db") {
		t.Errorf("overview without a forecast does not say how to make one:\n%s", n.view())
	}
}

// The item's policy line breaks in two where one line would cut it at 80
// columns, so the reorder point and order-up-to level stay on screen; at
// 200 columns it is one line.
func TestItem_PolicyFitsNarrow(t *testing.T) {
	eng := newProposalEngine(t)
	for _, size := range []struct{ w, h, lines int }{{80, 24, 2}, {200, 50, 1}} {
		d := drive(t, newConsole(t, eng), size.w, size.h)
		d.keys(":item SKU-0003 ST2{enter}")
		v := d.view()
		var policy []string
		for _, line := range strings.Split(v, "\n") {
			if strings.Contains(line, "policy · class") || (len(policy) > 0 && len(policy) < 2 && strings.Contains(line, "reorder point")) {
				policy = append(policy, line)
			}
		}
		all := strings.Join(policy, "\n")
		if len(policy) != size.lines || !regexp.MustCompile(`reorder point \d+ · order up to \d+`).MatchString(all) ||
			(size.w > 100 && !strings.Contains(all, "as of 2026-10-31")) || strings.Contains(all, "…") {
			t.Errorf("%dx%d: policy on %d lines, want %d:\n%s", size.w, size.h, len(policy), size.lines, v)
		}
		// The buying terms and the chart's caption are whole too.
		// The open proposal those numbers make, as the stock pane words it.
		ps, err := eng.Proposals(context.Background(), model.ProposalQuery{SKU: "SKU-0003", Location: "ST2"})
		if err != nil || len(ps) != 1 {
			t.Fatalf("fixture: proposals %+v %v", ps, err)
		}
		if want := fmt.Sprintf("proposal #%d proposed: buy %d from %s", ps[0].ID, ps[0].Qty, ps[0].Supplier); !strings.Contains(v, want) {
			t.Errorf("%dx%d: no %q on the item screen:\n%s", size.w, size.h, want, v)
		}
		if strings.Contains(v, "1 anomalies") {
			t.Errorf("%dx%d: plural for one anomaly:\n%s", size.w, size.h, v)
		}
		if !regexp.MustCompile(`MOQ \d+ · cost \d+\.\d\d[ ·\n]+price \d+\.\d\d *\n`).MatchString(v) || !strings.Contains(v, "(shaded)") {
			t.Errorf("%dx%d: item header or caption cut:\n%s", size.w, size.h, v)
		}
		if n := strings.Count(v, "\n") + 1; n > size.h {
			t.Errorf("%dx%d: %d lines", size.w, size.h, n)
		}
		for _, line := range strings.Split(v, "\n") {
			if w := lipgloss.Width(line); w > size.w {
				t.Fatalf("%dx%d: line %d wide: %q", size.w, size.h, w, line)
			}
		}
	}
}

// engineWithOldKettle is the small test store plus an old kettle at ST1:
// 300 received on 2026-03-01, 5 sold a day for 60 days (the last sale on
// 2026-04-30; the store's data runs to 2026-10-31), then the movement
// lines more; the proposals are recomputed.
func engineWithOldKettle(t *testing.T, sku, more string) *engine.Engine {
	t.Helper()
	eng := newEngine(t, 3)
	dir := t.TempDir()
	var sales strings.Builder
	sales.WriteString("date,order_id,sku,location,channel,qty,price\n")
	start := model.MustDate("2026-03-02")
	for d := range 60 {
		fmt.Fprintf(&sales, "%s,SO-%s-%d,%s,ST1,web,5,5\n", start.AddDays(d), sku, d, sku)
	}
	for _, p := range []string{
		writeTemp(t, dir, "items.csv", "sku,name,category,uom,unit_cost,price,supplier,pack_size,moq\n"+sku+",Old kettle,home,ea,2,5,SUP1,1,0\n"),
		writeTemp(t, dir, "movements.csv", "date,sku,location,qty,kind,ref\n2026-03-01,"+sku+",ST1,300,receipt,PO-"+sku+"\n"+more),
		writeTemp(t, dir, "sales.csv", sales.String()),
	} {
		if r := importFile(t, eng, p); r.Failed() || r.RowsRejected > 0 {
			t.Fatalf("%s: %s %+v", p, r.Error, r.Errors)
		}
	}
	if _, err := eng.Plan(context.Background(), engine.PlanOptions{User: "test"}); err != nil {
		t.Fatal(err)
	}
	return eng
}

// The item screen says why dead stock has no proposal, where it would
// otherwise show one.
func TestItem_DeadStockNotReordered(t *testing.T) {
	// One unit comes back months after the last sale: dead stock.
	eng := engineWithOldKettle(t, "DEAD-1", "2026-10-20,DEAD-1,ST1,1,return,RET-D\n")
	d := drive(t, newConsole(t, eng), 80, 24)
	d.keys(":item DEAD-1 ST1{enter}")
	// Last sale 2026-04-30; the store's data runs to 2026-10-31.
	const why = "no proposal: stock unsold for 184 days is not reordered"
	if v := d.view(); !strings.Contains(v, why) {
		t.Errorf("dead stock's item screen:\n%s", v)
	}
	// The stock table's pane (from 180 columns) says the same.
	wide := drive(t, newConsole(t, eng), 200, 50)
	wide.keys("/DEAD-1{enter}")
	if v := wide.view(); !strings.Contains(v, why) {
		t.Errorf("dead stock's pane:\n%s", v)
	}
}

// A proposal for an item×location out of stock and unsold for months says
// so in the queue (idle, as the stock table calls it) and in its reasons.
func TestProposals_LongUnsoldSaysSo(t *testing.T) {
	eng := engineWithOldKettle(t, "QUIET-1", "")
	d := drive(t, newConsole(t, eng), 120, 30)
	d.keys(":proposals{enter}")
	d.keys("/old kettl{enter}") // bare words find it by name
	v := d.view()
	row := cursorLine(t, v)
	// Last sale 2026-04-30; the store's data runs to 2026-10-31.
	if !strings.Contains(row, "QUIET-1") || !strings.Contains(row, " idle ") || !strings.Contains(v, "no sale here for 184 days") {
		t.Errorf("a long-unsold proposal:\n%s", v)
	}
}

// At 80 columns the item screen's forecast line keeps the backtest's
// accuracy whole (bias last), in fewer words when the long form is cut.
func TestItem_ForecastLineFits(t *testing.T) {
	eng := newEngine(t, 4)
	if _, err := eng.ForecastAll(context.Background(), engine.ForecastOptions{Horizon: 28, Models: []string{"ses", "sba"}}, nil); err != nil {
		t.Fatal(err)
	}
	d := drive(t, newConsole(t, eng), 80, 24)
	d.keys(":item SKU-0001 DC1{enter}")
	var line string
	for _, l := range strings.Split(d.view(), "\n") {
		if strings.HasPrefix(l, "forecast ") {
			line = l
		}
	}
	if !regexp.MustCompile(`MASE \d+\.\d\d, WAPE (\d+%|-), bias [+-]\d+\.\d\d\s*$`).MatchString(line) || lipgloss.Width(line) > 80 {
		t.Errorf("forecast line %q:\n%s", line, d.view())
	}
	// The chart fits the month of history and the 28 days ahead, so it
	// shows all of the history beside the forecast (it once kept only as
	// many days as the history had, all of them in the forecast's future).
	if v := d.view(); !strings.Contains(v, "sold a day since 2026-10-01 ") || !strings.Contains(v, " Oct ") {
		t.Errorf("the chart does not start with the history:\n%s", v)
	}
}

// At 80 columns a file that could not be imported says all of why.
func TestQuarantine_WholeReason(t *testing.T) {
	eng := newEngine(t, 2)
	p := writeTemp(t, t.TempDir(), "sales-typo.csv", "date,order_id,sku,location,channel,qunatity,price\n2026-10-30,X1,SKU-0001,DC1,web,1,5\n")
	importFile(t, eng, p)
	d := drive(t, newConsole(t, eng), 80, 24)
	d.keys(":imports{enter}{enter}")
	v := d.view()
	if !strings.Contains(v, "not imported: looks like sales by its name") || !strings.Contains(v, `did you mean quantity?)`) {
		t.Errorf("the reason is cut:\n%s", v)
	}
}

// At 80 columns a rejected row's whole reason shows below the table, for
// the row under the cursor; the REASON column cuts it at 44 cells.
func TestQuarantine_RowReasonWhole(t *testing.T) {
	eng := newEngine(t, 2)
	p := writeTemp(t, t.TempDir(), "sales-new.csv", "date,order_id,sku,location,channel,qty,price\n"+
		"2026-10-30,X1,SKU-0001,DC1,web,1,5\n2026-10-30,X2,NOT-IN-THE-CATALOGUE,DC1,web,1,5\n2026-10-30,X3,SKU-0001,NOWHERE,web,1,5\n")
	importFile(t, eng, p)
	d := drive(t, newConsole(t, eng), 80, 24)
	d.keys(":imports{enter}{enter}")
	v := d.view()
	want := `line 3, sku: unknown sku "NOT-IN-THE-CATALOGUE" (import the items first, or pass --create-items)`
	if got := strings.Join(strings.Fields(v), " "); !strings.Contains(got, want) {
		t.Errorf("the first row's reason is cut, want %q:\n%s", want, v)
	}
	d.keys("j")
	if v := d.view(); !strings.Contains(v, "line 4, location:") {
		t.Errorf("the second row's reason does not follow the cursor:\n%s", v)
	}
}
