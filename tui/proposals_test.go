package tui_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"stockroom/engine"
	"stockroom/model"
	"stockroom/tui"
)

// planNow is the fixed wall clock of the fixture's recompute.
var planNow = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// newProposalEngine is the small test store of 12 items with a supplier
// (7 ± 2 days) and unit costs from 1.25 to 9.50, recomputed once: twelve
// open proposals, purchases and transfers, the most urgent already out.
func newProposalEngine(tb testing.TB) *engine.Engine {
	tb.Helper()
	eng := newEngine(tb, 12)
	dir := tb.TempDir()
	importFile(tb, eng, writeTemp(tb, dir, "suppliers.csv", "code,name,lead_time_days,lead_time_sd_days,moq\nSUP1,Supplier one,7,2,0\n"))
	var items strings.Builder
	items.WriteString("sku,name,category,uom,unit_cost,price,supplier,pack_size,moq\n")
	for i := range 12 {
		fmt.Fprintf(&items, "SKU-%04d,%s %d,%s,ea,%.2f,9,SUP1,1,0\n", i, []string{"Hammer", "Drill", "Saw", "Seeds"}[i%4], i,
			[]string{"tools", "garden"}[i%2], 1.25+float64(i)*0.75)
	}
	if r := importFile(tb, eng, writeTemp(tb, dir, "items.csv", items.String())); r.Failed() || r.RowsRejected > 0 {
		tb.Fatalf("items: %s %+v", r.Error, r.Errors)
	}
	sum, err := eng.Plan(context.Background(), engine.PlanOptions{User: "plan", Now: planNow})
	if err != nil {
		tb.Fatal(err)
	}
	if sum.Proposals.Created != 12 {
		tb.Fatalf("plan made %+v, want 12 proposals", sum.Proposals)
	}
	return eng
}

// openProposals lists the open proposals, most urgent first.
func openProposals(tb testing.TB, eng *engine.Engine) []model.Proposal {
	tb.Helper()
	ps, err := eng.Proposals(context.Background(), model.ProposalQuery{})
	if err != nil {
		tb.Fatal(err)
	}
	return ps
}

// poLines lists every purchase order line in the store.
func poLines(tb testing.TB, eng *engine.Engine) []model.POLine {
	tb.Helper()
	pos, err := eng.PurchaseOrders(context.Background(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	var out []model.POLine
	for _, po := range pos {
		out = append(out, po.Lines...)
	}
	return out
}

// operator is who acts in these tests.
var operator = model.Actor{Name: "alice", Role: model.RoleOperator}

func TestProposals_ListFilterSortOpen(t *testing.T) {
	eng := newProposalEngine(t)
	ps := openProposals(t, eng)
	d := drive(t, newConsole(t, eng), 120, 40)
	d.keys(":prop\t{enter}") // completion
	v := d.view()
	if !strings.Contains(v, "Proposals open") || !strings.Contains(v, "proposal 1 of 12") {
		t.Fatalf("the queue:\n%s", v)
	}
	// Most urgent first: the cursor is on the store's first row, and the
	// reasons pane explains it with its numbers.
	first := ps[0]
	line := cursorLine(t, v)
	for _, want := range []string{first.SKU, first.Location, fmt.Sprint(first.Qty), "proposed", fmt.Sprintf("%.0fd", first.Urgency)} {
		if !strings.Contains(line, want) {
			t.Errorf("first row %q lacks %q", line, want)
		}
	}
	r := first.Reasons
	for _, want := range []string{
		fmt.Sprintf("#%d %s @ %s · proposed · v1", first.ID, first.SKU, first.Location),
		fmt.Sprintf("why: position %d < reorder point %d (on hand %d + on order %d − committed %d)", r.Position, r.ReorderPoint, r.OnHand, r.OnOrder, r.Committed),
		"out of stock now; slack", // its on hand is below zero
		fmt.Sprintf("forecast %s:", r.Model),
		fmt.Sprintf("lead time %.1f ± %.1f days, review daily", r.LeadTimeDays, r.LeadTimeSD), // every fixture reviews daily
		fmt.Sprintf("class %s, target %.0f%% fill rate: safety stock %.1f", r.Class, r.Service*100, r.SafetyStock),
		fmt.Sprintf("reorder point %d, order-up-to %d", r.ReorderPoint, r.OrderUpTo),
		fmt.Sprintf("order-up-to − position = %d", r.RawQty),
		"create by plan (v1)",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("reasons lack %q:\n%s", want, v)
		}
	}
	if r.OnHand > 0 {
		t.Fatalf("the first proposal was expected out of stock, has %d on hand", r.OnHand)
	}
	// One with stock left says when it runs out, not that it is out.
	var left model.Proposal
	for _, p := range ps {
		if p.Reasons.OnHand > 0 && p.Reasons.StockoutDate != "" {
			left = p
			break
		}
	}
	d.keys("/sku=" + left.SKU + " loc=" + left.Location + "{enter}")
	v = d.view()
	if want := fmt.Sprintf("runs out on %s if nothing is done (%dd)", left.Reasons.StockoutDate, model.MustDate(left.Reasons.StockoutDate)-left.AsOf); !strings.Contains(v, want) || strings.Contains(v, "out of stock now") {
		t.Errorf("filtered to %s @ %s, want %q:\n%s", left.SKU, left.Location, want, v)
	}
	d.keys("{esc}")
	// A transfer says where from, and why.
	var tr model.Proposal
	for _, p := range ps {
		if p.Kind == model.ProposalTransfer {
			tr = p
			break
		}
	}
	d.keys("/sku=" + tr.SKU + " loc=" + tr.Location + "{enter}")
	v = d.view()
	if !strings.Contains(v, "proposal 1 of 1") || !strings.Contains(cursorLine(t, v), "from "+tr.From) || !strings.Contains(v, "transfer: "+tr.Reasons.Transfer) {
		t.Errorf("filtered to the transfer:\n%s", v)
	}
	d.keys("{esc}") // clears the filter
	d.keys("/loc=ST1{enter}")
	n, _ := eng.ProposalCount(context.Background(), model.ProposalQuery{Location: "ST1"})
	if v := d.view(); !strings.Contains(v, fmt.Sprintf("proposal 1 of %d", n)) || !strings.Contains(v, "Proposals open /loc=ST1") {
		t.Errorf("loc=ST1 (%d):\n%s", n, v)
	}
	d.keys("{esc}/zz=1")
	if st := statusLine(d.view()); !strings.Contains(st, `unknown column "zz"`) {
		t.Errorf("bad filter: %q", st)
	}
	d.keys("{esc}")
	// By value: the dearest first.
	best := ps[0]
	for _, p := range ps {
		if p.Value() > best.Value() {
			best = p
		}
	}
	d.keys("s")
	if v := d.view(); !strings.Contains(v, "Proposals open by value") || !strings.Contains(cursorLine(t, v), best.SKU) ||
		!strings.Contains(cursorLine(t, v), fmt.Sprintf("%.2f", best.Value())) {
		t.Errorf("by value (%s, %.2f):\n%s", best.SKU, best.Value(), v)
	}
	// enter opens the item at the proposal's location; esc comes back to
	// the same row.
	d.keys("{enter}")
	if v := d.view(); !strings.Contains(v, "Proposals open by value › "+best.SKU+" @ "+best.Location) {
		t.Errorf("enter:\n%s", v)
	}
	d.keys("{esc}")
	if v := d.view(); strings.Contains(v, "› "+best.SKU) || !strings.Contains(cursorLine(t, v), best.SKU) {
		t.Errorf("back:\n%s", v)
	}
	// f steps through the states: proposed only, then snoozed (none).
	d.keys("ssff")
	if v := d.view(); !strings.Contains(v, "Proposals snoozed") || !strings.Contains(v, "no snoozed proposals") {
		t.Errorf("ff:\n%s", v)
	}
	// ? lists the screen's keys from the keymap.
	d.keys("?")
	for _, want := range []string{"approve", "reject", "edit quantity", "snooze", "mark", "next state filter"} {
		if !strings.Contains(d.view(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

// TestProposals_ApproveOne: a asks with the value, n cancels, y approves
// the version shown and makes exactly one purchase order line.
func TestProposals_ApproveOne(t *testing.T) {
	ctx := context.Background()
	eng := newProposalEngine(t)
	p := openProposals(t, eng)[0]
	d := drive(t, actorConsole(t, eng, operator), 120, 50)
	d.keys(":proposals{enter}a")
	want := fmt.Sprintf("approve 1 proposal, %d units, %.2f? y/n", p.Qty, p.Value())
	if v := d.view(); !strings.Contains(v, want) {
		t.Fatalf("confirmation %q:\n%s", want, v)
	}
	d.keys("n")
	if got, _ := eng.Proposal(ctx, p.ID); got.State != model.ProposalProposed || len(poLines(t, eng)) != 0 {
		t.Fatalf("n approved it: %+v", got)
	}
	d.keys("ay")
	got, _ := eng.Proposal(ctx, p.ID)
	if got.State != model.ProposalApproved || got.Version != 2 || got.By != "alice" || got.Qty != p.Qty || got.PO == "" {
		t.Fatalf("after a y: %+v", got)
	}
	lines := poLines(t, eng)
	if len(lines) != 1 || lines[0].ProposalID != p.ID || lines[0].Qty != p.Qty || lines[0].UnitCost != p.UnitCost {
		t.Fatalf("po lines %+v, want one for proposal %d", lines, p.ID)
	}
	v := d.view()
	if st := statusLine(v); !strings.Contains(st, fmt.Sprintf("#%d approved: %d units on %s (v1 → v2)", p.ID, p.Qty, got.PO)) {
		t.Errorf("status %q", st)
	}
	// It left the open queue; the next one is selected.
	if !strings.Contains(v, "of 11") || strings.Contains(v, fmt.Sprintf("#%d %s", p.ID, p.SKU)) {
		t.Errorf("after approval:\n%s", v)
	}
	// The approved list shows it with its order and log.
	d.keys(":proposals approved{enter}")
	v = d.view()
	if !strings.Contains(v, "on order "+got.PO) || !strings.Contains(v, "approve by alice (v1): proposed → approved, on "+got.PO) {
		t.Errorf("approved list:\n%s", v)
	}
	// Nothing to approve twice.
	d.keys("a")
	if st := statusLine(d.view()); !strings.Contains(st, "is approved: cannot approve it") || len(poLines(t, eng)) != 1 {
		t.Errorf("approving again: %q", st)
	}
}

// TestProposals_ApproveMarked: space marks; the confirmation sums qty ×
// unit cost over the marked rows; each is approved with its version.
func TestProposals_ApproveMarked(t *testing.T) {
	ctx := context.Background()
	eng := newProposalEngine(t)
	ps := openProposals(t, eng)
	d := drive(t, actorConsole(t, eng, operator), 120, 40)
	d.keys(":proposals{enter}")
	// Marking every row: the total has thousands separators; n and esc
	// leave everything as it was.
	var all float64
	for _, p := range ps {
		all += p.Value()
		d.keys(" ")
	}
	if all < 1000 {
		t.Fatalf("the queue is worth %.2f: the fixture should pass 1,000", all)
	}
	d.keys("a")
	if v := d.view(); !strings.Contains(v, "approve 12 proposals") || !strings.Contains(v, formatThousands(all)+"? y/n") {
		t.Errorf("confirmation of %s:\n%s", formatThousands(all), v)
	}
	d.keys("n{esc}") // no; then esc clears the marks
	if st := statusLine(d.view()); strings.Contains(st, "marked") || len(poLines(t, eng)) != 0 {
		t.Errorf("after n esc: %q", st)
	}
	d.keys("g  j ") // marks rows 0, 1 and 3
	marked := []model.Proposal{ps[0], ps[1], ps[3]}
	var units int64
	var value float64
	for _, p := range marked {
		units += p.Qty
		value += float64(p.Qty) * p.UnitCost
	}
	if st := statusLine(d.view()); !strings.Contains(st, fmt.Sprintf("3 marked (%.2f)", value)) {
		t.Errorf("marks in the status line: %q", st)
	}
	d.keys("a")
	want := fmt.Sprintf("approve 3 proposals, %d units, %.2f? y/n", units, value)
	if v := d.view(); !strings.Contains(v, want) {
		t.Fatalf("confirmation %q:\n%s", want, v)
	}
	d.keys("y")
	if st := statusLine(d.view()); !strings.Contains(st, "approved 3") || strings.Contains(st, "marked") {
		t.Errorf("status %q", st)
	}
	lines := poLines(t, eng)
	if len(lines) != 3 {
		t.Fatalf("%d po lines, want 3: %+v", len(lines), lines)
	}
	var sum float64
	for _, l := range lines {
		sum += float64(l.Qty) * l.UnitCost
	}
	if fmt.Sprintf("%.2f", sum) != fmt.Sprintf("%.2f", value) {
		t.Errorf("ordered %.2f, confirmed %.2f", sum, value)
	}
	for _, p := range marked {
		if got, _ := eng.Proposal(ctx, p.ID); got.State != model.ProposalApproved || got.Version != 2 {
			t.Errorf("#%d is %s v%d", p.ID, got.State, got.Version)
		}
	}
}

// inputLine is the line above the status line: hints, a field or a
// question.
func inputLine(screen string) string {
	lines := strings.Split(screen, "\n")
	return lines[len(lines)-2]
}

// formatThousands is 1234.5 as 1,234.50.
func formatThousands(x float64) string {
	s := fmt.Sprintf("%.2f", x)
	whole, frac := s[:len(s)-3], s[len(s)-3:]
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return whole + frac
}

// TestProposals_Stale: another person changes a proposal after the screen
// showed it; the action is refused, nothing changes, and the screen
// reloads.
func TestProposals_Stale(t *testing.T) {
	ctx := context.Background()
	eng := newProposalEngine(t)
	ps := openProposals(t, eng)
	d := drive(t, actorConsole(t, eng, operator), 120, 40)
	d.keys(":proposals{enter}")
	// Bob edits the first one while alice looks at version 1.
	bob, err := eng.EditQty(ctx, ps[0].ID, 1, ps[0].Qty+7, "bob")
	if err != nil {
		t.Fatal(err)
	}
	d.keys("ay")
	if st := statusLine(d.view()); !strings.Contains(st, fmt.Sprintf("#%d changed since you saw version 1: nothing done", ps[0].ID)) {
		t.Errorf("status %q", st)
	}
	if got, _ := eng.Proposal(ctx, ps[0].ID); got.State != model.ProposalProposed || got.Version != bob.Version || got.Qty != bob.Qty || len(poLines(t, eng)) != 0 {
		t.Fatalf("the stale approval changed it: %+v", got)
	}
	// The screen shows bob's quantity now (edited: *).
	if line := cursorLine(t, d.view()); !strings.Contains(line, fmt.Sprintf("*%d", bob.Qty)) {
		t.Errorf("after the conflict: %q", line)
	}
	// Marked: one of three changes under alice's confirmation question.
	d.keys("   a")
	if _, err := eng.EditQty(ctx, ps[1].ID, 1, 3, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Approve(ctx, ps[2].ID, 1, 0, "carol"); err != nil {
		t.Fatal(err)
	}
	d.keys("y")
	if st := statusLine(d.view()); !strings.Contains(st, "approved 1, 1 changed since you saw it, 1 already acted on (refreshed)") {
		t.Errorf("status %q", st)
	}
	lines := poLines(t, eng)
	if len(lines) != 2 {
		t.Fatalf("po lines %+v, want carol's and alice's", lines)
	}
	for _, l := range lines {
		if l.ProposalID == ps[1].ID {
			t.Errorf("bob's edited proposal was ordered: %+v", l)
		}
	}
}

func TestProposals_RejectWithReason(t *testing.T) {
	ctx := context.Background()
	eng := newProposalEngine(t)
	p := openProposals(t, eng)[0]
	d := drive(t, actorConsole(t, eng, operator), 120, 50)
	d.keys(":proposals{enter}r")
	if v := d.view(); !strings.Contains(v, fmt.Sprintf("reject #%d %s @ %s, reason:", p.ID, p.SKU, p.Location)) {
		t.Fatalf("prompt:\n%s", v)
	}
	d.keys("{enter}")
	if l := inputLine(d.view()); !strings.Contains(l, "reason:") || !strings.Contains(l, "give a reason") {
		t.Errorf("empty reason: %q", l)
	}
	d.keys("q: stock due from DC2{enter}") // q and : are text here
	got, _ := eng.Proposal(ctx, p.ID)
	if got.State != model.ProposalRejected || got.Note != "q: stock due from DC2" || got.By != "alice" || got.Version != 2 {
		t.Fatalf("after r: %+v", got)
	}
	if len(poLines(t, eng)) != 0 {
		t.Errorf("a rejection ordered")
	}
	d.keys(":proposals rejected{enter}")
	if v := d.view(); !strings.Contains(v, "reject by alice (v1): proposed → rejected, “q: stock due from DC2”") {
		t.Errorf("log:\n%s", v)
	}
}

func TestProposals_EditThenApprove(t *testing.T) {
	ctx := context.Background()
	eng := newProposalEngine(t)
	p := openProposals(t, eng)[0]
	d := drive(t, actorConsole(t, eng, operator), 120, 40)
	d.keys(":proposals{enter}e")
	if v := d.view(); !strings.Contains(v, fmt.Sprintf("quantity for #%d %s @ %s (now %d):", p.ID, p.SKU, p.Location, p.Qty)) {
		t.Fatalf("prompt:\n%s", v)
	}
	for _, bad := range []string{"abc", "0", "-4", "2.5"} {
		d.keys(bad + "{enter}")
		if l := inputLine(d.view()); !strings.Contains(l, fmt.Sprintf("%q is not a positive whole number", bad)) {
			t.Errorf("%s: %q", bad, l)
		}
		for range bad {
			d.keys("{backspace}")
		}
	}
	d.keys("25{enter}")
	got, _ := eng.Proposal(ctx, p.ID)
	if got.State != model.ProposalProposed || got.Qty != 25 || !got.Edited || got.Version != 2 {
		t.Fatalf("after e25: %+v", got)
	}
	v := d.view()
	if !strings.Contains(cursorLine(t, v), "*25") || !strings.Contains(statusLine(v), fmt.Sprintf("qty %d → 25 (v1 → v2)", p.Qty)) {
		t.Errorf("after e25:\n%s", v)
	}
	d.keys("a")
	if v := d.view(); !strings.Contains(v, fmt.Sprintf("approve 1 proposal, 25 units, %.2f? y/n", 25*p.UnitCost)) {
		t.Fatalf("confirmation:\n%s", v)
	}
	d.keys("y")
	lines := poLines(t, eng)
	if len(lines) != 1 || lines[0].Qty != 25 || lines[0].ProposalID != p.ID {
		t.Fatalf("po lines %+v, want one of 25", lines)
	}
}

// An edit that breaks the item's pack size is accepted, and the status
// line says so; the reasons pane's cover after the order follows the
// edited quantity, not the suggested one.
func TestProposals_EditOffPack(t *testing.T) {
	ctx := context.Background()
	eng := newProposalEngine(t)
	p := openProposals(t, eng)[0]
	dir := t.TempDir()
	importFile(t, eng, writeTemp(t, dir, "items.csv", fmt.Sprintf("sku,name,supplier,pack_size\n%s,%s,SUP1,6\n", p.SKU, p.Name)))
	if _, err := eng.Plan(ctx, engine.PlanOptions{User: "plan", Now: planNow}); err != nil {
		t.Fatal(err)
	}
	p, _ = eng.Proposal(ctx, p.ID)
	if p.Kind != model.ProposalPurchase || p.Reasons.PackSize != 6 || p.Qty%6 != 0 {
		t.Fatalf("replanned with pack 6: %+v", p)
	}
	d := drive(t, actorConsole(t, eng, operator), 120, 40)
	d.keys(":proposals{enter}")
	for i := 0; !strings.Contains(cursorLine(t, d.view()), p.SKU+" "); i++ {
		if i == 12 {
			t.Fatalf("%s not in the queue:\n%s", p.SKU, d.view())
		}
		d.keys("j")
	}
	q := p.Qty + 1
	d.keys(fmt.Sprintf("e%d{enter}", q))
	v := d.view()
	if want := fmt.Sprintf("qty %d → %d, not a whole number of packs of 6 (%d or %d would be)", p.Qty, q, p.Qty, p.Qty+6); !strings.Contains(statusLine(v), want) {
		t.Errorf("status lacks %q:\n%s", want, v)
	}
	after := float64(p.Reasons.Position+q) / p.Reasons.DailyMean
	if want := fmt.Sprintf("→ %.1f days after this order", after); !strings.Contains(v, want) {
		t.Errorf("reasons lack %q:\n%s", want, v)
	}
}

func TestProposals_Snooze(t *testing.T) {
	ctx := context.Background()
	eng := newProposalEngine(t)
	ps := openProposals(t, eng)
	d := drive(t, actorConsole(t, eng, operator), 120, 40)
	d.keys(":proposals proposed{enter}z")
	if v := d.view(); !strings.Contains(v, fmt.Sprintf("snooze #%d %s @ %s until (YYYY-MM-DD or days):", ps[0].ID, ps[0].SKU, ps[0].Location)) {
		t.Fatalf("prompt:\n%s", v)
	}
	d.keys("{enter}") // the default: a week after the data day
	got, _ := eng.Proposal(ctx, ps[0].ID)
	if got.State != model.ProposalSnoozed || got.SnoozeUntil != ps[0].AsOf.AddDays(7) {
		t.Fatalf("after z: %+v (data day %s)", got, ps[0].AsOf)
	}
	if st := statusLine(d.view()); !strings.Contains(st, "snoozed until "+ps[0].AsOf.AddDays(7).String()) {
		t.Errorf("status %q", st)
	}
	// Bad answers say what is wrong; a date works.
	d.keys("zsoon{enter}")
	if l := inputLine(d.view()); !strings.Contains(l, `"soon" is neither a date`) {
		t.Errorf("soon: %q", l)
	}
	d.keys("{esc}z" + ps[0].AsOf.String() + "{enter}")
	if l := inputLine(d.view()); !strings.Contains(l, ps[0].AsOf.String()+" is not after the data day") {
		t.Errorf("same day: %q", l)
	}
	d.keys("{esc}z2026-11-20{enter}")
	if got, _ := eng.Proposal(ctx, ps[1].ID); got.State != model.ProposalSnoozed || got.SnoozeUntil != model.MustDate("2026-11-20") {
		t.Fatalf("second: %+v", got)
	}
	// Both are in the default (open) queue, shown as snoozed.
	d.keys(":proposals{enter}")
	if n := strings.Count(d.view(), "snoozed"); n < 2 {
		t.Errorf("%d snoozed rows:\n%s", n, d.view())
	}
}

func TestProposals_ViewerRefused(t *testing.T) {
	eng := newProposalEngine(t)
	before := openProposals(t, eng)
	d := drive(t, actorConsole(t, eng, model.Actor{Name: "vic", Role: model.RoleViewer}), 100, 30)
	d.keys(":proposals{enter}")
	for _, k := range []string{"a", "r", "e", "z", " a"} {
		d.keys(k)
		if st := statusLine(d.view()); !strings.Contains(st, "acting on proposals needs the operator role (you are viewer)") {
			t.Errorf("%q: status %q", k, st)
		}
		if strings.Contains(d.view(), "? y/n") {
			t.Errorf("%q: a viewer was asked to confirm", k)
		}
	}
	// The keys are shown, not hidden.
	if v := d.view(); !strings.Contains(v, "a approve") {
		t.Errorf("hints:\n%s", v)
	}
	after := openProposals(t, eng)
	if len(after) != len(before) || len(poLines(t, eng)) != 0 {
		t.Fatalf("a viewer changed proposals")
	}
	for i := range after {
		if after[i].Version != before[i].Version {
			t.Errorf("#%d: version %d → %d", after[i].ID, before[i].Version, after[i].Version)
		}
	}
	d.keys(":proposals lost{enter}")
	if st := statusLine(d.view()); !strings.Contains(st, `"lost" is not a proposal state`) {
		t.Errorf("bad state: %q", st)
	}
}

// TestProposals_KeyOverride: rebinding approve in the config moves it.
func TestProposals_KeyOverride(t *testing.T) {
	eng := newProposalEngine(t)
	keys := tui.DefaultKeyMap()
	if err := (tui.KeyOverrides{"approve": {"A"}, "snooze": {"Z"}}).Apply(&keys); err != nil {
		t.Fatal(err)
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	d := drive(t, tui.New(tui.Options{Backend: fixedName{eng}, Keys: keys, Styles: tui.NewStyles(r)}), 100, 30)
	d.keys(":proposals{enter}a")
	if strings.Contains(d.view(), "? y/n") {
		t.Fatalf("a still approves")
	}
	if !strings.Contains(d.view(), "A approve") || !strings.Contains(d.view(), "Z snooze") {
		t.Errorf("hints do not follow the config:\n%s", d.view())
	}
	d.keys("A")
	if !strings.Contains(d.view(), "? y/n") {
		t.Fatalf("A does not approve:\n%s", d.view())
	}
}

// TestProposals_Golden snapshots the queue at 80×24 and 160×48 (colour
// off) with the third row selected and the first marked: go test ./tui
// -run Proposals_Golden -update.
func TestProposals_Golden(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			eng := newProposalEngine(t)
			tm := teatest.NewTestModel(t, newConsole(t, eng), teatest.WithInitialTermSize(size.w, size.h))
			waitText(t, tm, "row 1 of 36")
			typeKeys(tm, ":proposals")
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
			waitText(t, tm, "proposal 1 of 12")
			typeKeys(tm, " j")
			want := []string{"proposal 3 of 12"}
			if size.h > 30 {
				want = append(want, "create by plan (v1): qty ")
			}
			waitText(t, tm, want...)
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
			fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
			teatest.RequireEqualOutput(t, []byte(fm.View()))
		})
	}
}

// At 80 columns a refused quantity still says why, whole, with what was
// typed kept for mending.
func TestProposals_EditErrorNarrow(t *testing.T) {
	eng := newProposalEngine(t)
	d := drive(t, actorConsole(t, eng, operator), 80, 24)
	d.keys(":proposals{enter}eabc{enter}")
	l := inputLine(d.view())
	if !strings.Contains(l, `"abc" is not a positive whole number`) || !strings.Contains(l, "abc") {
		t.Errorf("input line at 80 columns: %q", l)
	}
}

// A store never planned says how to get proposals, not that none are open.
func TestProposals_NeverPlanned(t *testing.T) {
	eng := newEngine(t, 4)
	d := drive(t, actorConsole(t, eng, operator), 200, 30)
	d.keys(":proposals{enter}")
	if v := d.view(); !strings.Contains(v, "no proposals yet: the store has never been planned; 'stockroom plan --db test.db' makes them") {
		t.Errorf("empty queue of an unplanned store:\n%s", v)
	}
	if _, err := eng.Plan(context.Background(), engine.PlanOptions{User: "plan", Now: planNow}); err != nil {
		t.Fatal(err)
	}
	d = drive(t, actorConsole(t, eng, operator), 200, 30)
	d.keys(":proposals{enter}")
	if v := d.view(); strings.Contains(v, "never been planned") {
		t.Errorf("still unplanned after a plan:\n%s", v)
	}
}

// TestProposals_StatusLineAt80: on a narrow terminal the result of an
// approval keeps the status line, and the store's notice of the same
// approval gives way instead of showing as a stub ("proposal 68…"); on a
// wide one both show.
func TestProposals_StatusLineAt80(t *testing.T) {
	eng := newProposalEngine(t)
	p := openProposals(t, eng)[0]
	notice := fmt.Sprintf("proposal %d (%s at %s): approved by alice on PO-000001", p.ID, p.SKU, p.Location)
	for _, width := range []int{80, 200} {
		d := drive(t, actorConsole(t, eng, operator), width, 24)
		if width == 200 {
			p = openProposals(t, eng)[0]
			notice = fmt.Sprintf("proposal %d (%s at %s): approved by alice on PO-000002", p.ID, p.SKU, p.Location)
		}
		d.keys(":proposals{enter}ay")
		d.send(tui.ChangeMsg{Kind: model.ChangeProposals, Text: notice})
		st := statusLine(d.view())
		if w := lipgloss.Width(st); w > width {
			t.Errorf("width %d: status line is %d cells: %q", width, w, st)
		}
		if !strings.Contains(st, fmt.Sprintf("#%d approved: %d units", p.ID, p.Qty)) {
			t.Errorf("width %d: no result in %q", width, st)
		}
		hasNotice := strings.Contains(st, notice)
		if width == 80 && (hasNotice || strings.HasPrefix(strings.TrimSpace(st), "proposal")) {
			t.Errorf("width 80: the notice shows cut: %q", st)
		}
		if width == 200 && !hasNotice {
			t.Errorf("width 200: the notice is missing: %q", st)
		}
	}
}

// At 80 columns the quantity prompt shows the whole quantity it starts
// from (bubbles took the question's width off it and left one digit).
func TestProposals_EditPromptAt80(t *testing.T) {
	eng := newProposalEngine(t)
	var p model.Proposal
	for _, q := range openProposals(t, eng) {
		if q.Qty >= 10 {
			p = q
			break
		}
	}
	if p.ID == 0 {
		t.Fatal("no proposal of 10 or more to edit")
	}
	d := drive(t, actorConsole(t, eng, operator), 80, 24)
	d.keys(":proposals{enter}")
	for range 20 {
		if strings.Contains(cursorLine(t, d.view()), p.SKU) {
			break
		}
		d.keys("j")
	}
	d.keys("e")
	want := fmt.Sprintf("quantity for #%d %s @ %s (now %d): %d", p.ID, p.SKU, p.Location, p.Qty, p.Qty)
	if v := d.view(); !strings.Contains(v, want) {
		t.Errorf("prompt lacks %q:\n%s", want, v)
	}
}
