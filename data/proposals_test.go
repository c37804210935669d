package data_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"stockroom/data"
	"stockroom/model"
)

// planStore is a store with the good fixtures' catalogue and stock, and
// the ids of its item×locations by "SKU@LOC".
func planStore(tb testing.TB) (*data.Store, map[string]*data.PlanItem) {
	tb.Helper()
	st := mustOpenStore(tb)
	mustImportGood(tb, st, "locations", "suppliers", "items", "movements", "sales")
	asOf, err := st.AsOf(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	items, err := st.PlanItems(context.Background(), asOf)
	if err != nil {
		tb.Fatal(err)
	}
	byKey := map[string]*data.PlanItem{}
	for _, p := range items {
		byKey[p.SKU+"@"+p.Location] = p
	}
	if len(byKey) < 3 {
		tb.Fatalf("fixtures give %d item×locations, want at least 3", len(byKey))
	}
	return st, byKey
}

func row(p *data.PlanItem, qty int64, urgency float64) data.PlanRow {
	return data.PlanRow{ItemID: p.ItemID, LocID: p.LocID, Kind: model.ProposalPurchase, Supplier: p.Supplier, Qty: qty,
		UnitCost: p.UnitCost, Urgency: urgency, Reasons: model.Reasons{Model: "test", ReorderPoint: qty, Service: 0.95}}
}

func openOf(tb testing.TB, st *data.Store) []model.Proposal {
	tb.Helper()
	ps, err := st.Proposals(context.Background(), model.ProposalQuery{})
	if err != nil {
		tb.Fatal(err)
	}
	return ps
}

// The invariant: however often a recompute runs, an item×location has at
// most one open proposal, and its version moves only when what a person
// would act on changes.
func TestStore_ApplyPlan_OneOpenProposal(t *testing.T) {
	st, keys := planStore(t)
	ctx := context.Background()
	drl, hmr := keys["DRL-18V@DC1"], keys["HMR-16@DC1"]
	if drl == nil || hmr == nil {
		t.Fatalf("fixtures lack DRL-18V@DC1 or HMR-16@DC1: %v", keys)
	}
	asOf := model.MustDate("2026-11-20")
	rounds := []struct {
		rows                                   []data.PlanRow
		created, updated, refreshed, withdrawn int
	}{
		{[]data.PlanRow{row(drl, 10, 1), row(hmr, 24, 5)}, 2, 0, 0, 0},
		{[]data.PlanRow{row(drl, 10, 2), row(hmr, 24, 5)}, 0, 0, 2, 0}, // numbers refreshed only
		{[]data.PlanRow{row(drl, 12, 2), row(hmr, 24, 5)}, 0, 1, 1, 0}, // DRL's quantity changed
		{[]data.PlanRow{row(drl, 12, 2)}, 0, 0, 1, 1},                  // HMR no longer needed
		{[]data.PlanRow{row(drl, 12, 2), row(hmr, 36, 5)}, 1, 0, 1, 0}, // HMR needed again: a new proposal
		{[]data.PlanRow{row(drl, 14, 2), row(drl, 16, 2)}, 0, 2, 0, 1}, // a duplicate row never makes a second
	}
	for i, r := range rounds {
		res, err := st.ApplyPlan(ctx, asOf, r.rows, nil, data.PlanOptions{})
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if res.Created != r.created || res.Updated != r.updated || res.Refreshed != r.refreshed || res.Withdrawn != r.withdrawn {
			t.Errorf("round %d: %+v, want created %d updated %d refreshed %d withdrawn %d", i, res, r.created, r.updated, r.refreshed, r.withdrawn)
		}
		seen := map[string]int{}
		for _, p := range openOf(t, st) {
			seen[p.SKU+"@"+p.Location]++
		}
		for k, n := range seen {
			if n > 1 {
				t.Errorf("round %d: %d open proposals for %s", i, n, k)
			}
		}
	}
	open := openOf(t, st)
	if len(open) != 1 || open[0].SKU != "DRL-18V" || open[0].Qty != 16 {
		t.Fatalf("open proposals after the rounds: %+v, want DRL-18V × 16", open)
	}
	// 1 at creation, +1 for 10→12, +1 each for 12→14→16.
	if open[0].Version != 4 {
		t.Errorf("DRL version %d, want 4", open[0].Version)
	}
	all, err := st.Proposals(ctx, model.ProposalQuery{States: model.ProposalStates})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Errorf("%d proposals in all, want 3 (DRL, HMR withdrawn, HMR again)", len(all))
	}
}

func TestStore_ActOnProposal(t *testing.T) {
	st, keys := planStore(t)
	ctx := context.Background()
	drl := keys["DRL-18V@DC1"]
	asOf := model.MustDate("2026-11-20")
	if _, err := st.ApplyPlan(ctx, asOf, []data.PlanRow{row(drl, 16, 1)}, nil, data.PlanOptions{}); err != nil {
		t.Fatal(err)
	}
	p := openOf(t, st)[0]

	t.Run("stale version changes nothing", func(t *testing.T) {
		_, err := st.ActOnProposal(ctx, p.ID, model.ProposalRequest{Action: model.ActApprove, Version: p.Version + 1, User: "ann"})
		if !errors.Is(err, model.ErrProposalStale) {
			t.Fatalf("err = %v, want ErrProposalStale", err)
		}
		if !strings.Contains(err.Error(), "changed since you saw it") {
			t.Errorf("message %q does not say it changed", err)
		}
		got, _ := st.Proposal(ctx, p.ID)
		if got.State != model.ProposalProposed || got.Version != p.Version || got.PO != "" {
			t.Errorf("after a stale approval: %s v%d po %q, want untouched", got.State, got.Version, got.PO)
		}
		pos, _ := st.PurchaseOrders(ctx, nil)
		if len(pos) != 0 {
			t.Errorf("%d purchase orders after a refused approval", len(pos))
		}
	})
	t.Run("edit then approve", func(t *testing.T) {
		e, err := st.ActOnProposal(ctx, p.ID, model.ProposalRequest{Action: model.ActEdit, Version: p.Version, Qty: 24, User: "ann"})
		if err != nil {
			t.Fatal(err)
		}
		if e.Qty != 24 || !e.Edited || e.Version != p.Version+1 {
			t.Fatalf("edited: qty %d edited %v v%d", e.Qty, e.Edited, e.Version)
		}
		// A recompute keeps the person's quantity while the action stays
		// the same, and does not bump the version for it.
		if _, err := st.ApplyPlan(ctx, asOf, []data.PlanRow{row(drl, 20, 1)}, nil, data.PlanOptions{}); err != nil {
			t.Fatal(err)
		}
		re, _ := st.Proposal(ctx, p.ID)
		if re.Qty != 24 || re.SuggestedQty != 20 || re.Version != e.Version {
			t.Errorf("after recompute: qty %d suggested %d v%d, want 24, 20, v%d", re.Qty, re.SuggestedQty, re.Version, e.Version)
		}
		// The old version is refused.
		if _, err := st.ActOnProposal(ctx, p.ID, model.ProposalRequest{Action: model.ActApprove, Version: p.Version, User: "bob"}); !errors.Is(err, model.ErrProposalStale) {
			t.Fatalf("approve at the old version: %v, want stale", err)
		}
		a, err := st.ActOnProposal(ctx, p.ID, model.ProposalRequest{Action: model.ActApprove, Version: e.Version, User: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		if a.State != model.ProposalApproved || a.PO == "" || a.By != "bob" {
			t.Errorf("approved: %s po %q by %q", a.State, a.PO, a.By)
		}
		// Twice is refused, with who did it.
		_, err = st.ActOnProposal(ctx, p.ID, model.ProposalRequest{Action: model.ActApprove, User: "cy"})
		if !errors.Is(err, model.ErrProposalTransition) || !strings.Contains(err.Error(), "bob") {
			t.Errorf("second approval: %v, want already acted on by bob", err)
		}
		pos, err := st.PurchaseOrders(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(pos) != 1 || len(pos[0].Lines) != 1 || pos[0].Lines[0].Qty != 24 || pos[0].Supplier != "SUP1" || pos[0].Code != a.PO {
			t.Fatalf("purchase orders: %+v", pos)
		}
		rows, err := st.StockPage(ctx, model.StockQuery{SKU: "DRL-18V", Location: "DC1", Limit: 1})
		if err != nil || len(rows) != 1 || rows[0].OnOrder != 24 {
			t.Errorf("on order after approval: %+v (%v), want 24", rows, err)
		}
		trail, err := st.ProposalAudit(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range trail {
			actions = append(actions, fmt.Sprintf("%s:%s:v%d", e.Action, e.User, e.Version))
		}
		want := fmt.Sprintf("create:plan:v1 edit:ann:v%d approve:bob:v%d", p.Version, e.Version)
		if strings.Join(actions, " ") != want {
			t.Errorf("audit %v, want %s", actions, want)
		}
	})
}

func TestStore_SnoozeAndReject(t *testing.T) {
	st, keys := planStore(t)
	ctx := context.Background()
	drl, hmr := keys["DRL-18V@DC1"], keys["HMR-16@DC1"]
	day := model.MustDate("2026-11-20")
	rows := []data.PlanRow{row(drl, 16, 1), row(hmr, 24, 2)}
	if _, err := st.ApplyPlan(ctx, day, rows, nil, data.PlanOptions{}); err != nil {
		t.Fatal(err)
	}
	open := openOf(t, st)
	byS := map[string]model.Proposal{}
	for _, p := range open {
		byS[p.SKU] = p
	}
	if _, err := st.ActOnProposal(ctx, byS["DRL-18V"].ID, model.ProposalRequest{Action: model.ActSnooze, User: "ann", Until: day.AddDays(3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ActOnProposal(ctx, byS["HMR-16"].ID, model.ProposalRequest{Action: model.ActReject, User: "ann", Note: "discontinued"}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		day   int
		state model.ProposalState
		hmr   bool // a new HMR proposal exists
	}{{2, model.ProposalSnoozed, false}, {3, model.ProposalProposed, false}, {6, model.ProposalProposed, false}, {7, model.ProposalProposed, true}}
	for _, s := range steps {
		if _, err := st.ApplyPlan(ctx, day.AddDays(s.day), rows, nil, data.PlanOptions{RejectHoldDays: 7}); err != nil {
			t.Fatal(err)
		}
		got, _ := st.Proposal(ctx, byS["DRL-18V"].ID)
		if got.State != s.state {
			t.Errorf("day +%d: DRL is %s, want %s", s.day, got.State, s.state)
		}
		n, err := st.ProposalCount(ctx, model.ProposalQuery{SKU: "HMR-16"})
		if err != nil {
			t.Fatal(err)
		}
		if (n == 1) != s.hmr || n > 1 {
			t.Errorf("day +%d: %d open HMR proposals, want new one: %v", s.day, n, s.hmr)
		}
	}
}

func TestParsePOCode(t *testing.T) {
	tests := []struct {
		ref string
		id  int64
		ok  bool
	}{
		{"PO-000012", 12, true}, {"po-12", 12, true}, {"PO-000012/2", 12, true}, {"TR-000003", 3, true},
		{"PO-12 part 1", 12, true}, {"PO-12x", 0, false}, {"PO-", 0, false}, {"ORD-12", 0, false}, {"PO-0", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		id, ok := data.ParsePOCode(tt.ref)
		if id != tt.id || ok != tt.ok {
			t.Errorf("ParsePOCode(%q) = %d %v, want %d %v", tt.ref, id, ok, tt.id, tt.ok)
		}
	}
}

// Receipts imported with the order's reference fill its lines; a fully
// received order closes, on_order follows.
func TestStore_ReceivePOs(t *testing.T) {
	st, keys := planStore(t)
	ctx := context.Background()
	drl, hmr := keys["DRL-18V@DC1"], keys["HMR-16@DC1"]
	if _, err := st.ApplyPlan(ctx, model.MustDate("2026-11-20"), []data.PlanRow{row(drl, 16, 1), row(hmr, 24, 2)}, nil, data.PlanOptions{}); err != nil {
		t.Fatal(err)
	}
	var code string
	for _, p := range openOf(t, st) {
		a, err := st.ActOnProposal(ctx, p.ID, model.ProposalRequest{Action: model.ActApprove, User: "ann"})
		if err != nil {
			t.Fatal(err)
		}
		code = a.PO
	}
	dir := t.TempDir()
	mustImport(t, st, mustWriteFile(t, dir, "rec1.csv", fmt.Sprintf("date,sku,location,qty,kind,ref\n2026-11-27,DRL-18V,DC1,10,receipt,%s/1\n2026-11-27,HMR-16,ST1,5,receipt,%s\n", code, code)), data.ImportOptions{})
	r, err := st.ReceivePOs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Units != 10 || r.Lines != 1 || r.Closed != 0 {
		t.Errorf("first receipt: %+v, want 10 units on 1 line (HMR at ST1 is another location)", r)
	}
	pos, _ := st.PurchaseOrders(ctx, nil)
	if pos[0].State != model.POPartlyReceived {
		t.Errorf("order %s, want partly received", pos[0].State)
	}
	// Reconciling again counts nothing twice.
	if r, _ := st.ReceivePOs(ctx); r.Units != 0 {
		t.Errorf("second reconcile found %d units", r.Units)
	}
	mustImport(t, st, mustWriteFile(t, dir, "rec2.csv", fmt.Sprintf("date,sku,location,qty,kind,ref\n2026-11-28,DRL-18V,DC1,6,receipt,%s/2\n2026-11-28,HMR-16,DC1,24,receipt,%s\n", code, code)), data.ImportOptions{})
	r, err = st.ReceivePOs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Units != 30 || r.Closed != 2 || r.OrdersIn != 1 {
		t.Errorf("second receipt: %+v, want 30 units, 2 lines closed, 1 order", r)
	}
	pos, _ = st.PurchaseOrders(ctx, nil)
	if pos[0].State != model.POReceived || pos[0].Lines[0].Received+pos[0].Lines[1].Received != 40 {
		t.Errorf("order after all receipts: %+v", pos[0])
	}
	for _, sku := range []string{"DRL-18V", "HMR-16"} {
		rows, _ := st.StockPage(ctx, model.StockQuery{SKU: sku, Location: "DC1", Limit: 1})
		if len(rows) != 1 || rows[0].OnOrder != 0 {
			t.Errorf("%s on order after receipt: %+v", sku, rows)
		}
	}
	ps, _ := st.Proposals(ctx, model.ProposalQuery{States: []model.ProposalState{model.ProposalReceived}})
	if len(ps) != 2 {
		t.Errorf("%d received proposals, want 2", len(ps))
	}
}

// A second delivery sent with the order's bare code is not dropped as a
// duplicate: it is rejected with the fix, and nothing of it is booked;
// the re-sent first receipt is still a plain duplicate, in another file or
// the same one.
func TestStore_ReceiptReusingOrderRef(t *testing.T) {
	st, keys := planStore(t)
	ctx := context.Background()
	drl := keys["DRL-18V@DC1"]
	if _, err := st.ApplyPlan(ctx, model.MustDate("2026-11-20"), []data.PlanRow{row(drl, 16, 1)}, nil, data.PlanOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := st.ActOnProposal(ctx, openOf(t, st)[0].ID, model.ProposalRequest{Action: model.ActApprove, User: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	onHand := func() int64 {
		rows, _ := st.StockPage(ctx, model.StockQuery{SKU: "DRL-18V", Location: "DC1", Limit: 1})
		return rows[0].OnHand
	}
	before := onHand()
	dir := t.TempDir()
	head := "date,sku,location,qty,kind,ref\n"
	first := fmt.Sprintf("2026-11-27,DRL-18V,DC1,10,receipt,%s\n", a.PO)
	second := fmt.Sprintf("2026-11-28,DRL-18V,DC1,6,receipt,%s\n", a.PO)
	if r := mustImport(t, st, mustWriteFile(t, dir, "rec1.csv", head+first), data.ImportOptions{}); r.RowsOK != 1 {
		t.Fatalf("first receipt: %+v", r)
	}
	r := mustImport(t, st, mustWriteFile(t, dir, "rec2.csv", head+second), data.ImportOptions{})
	want := fmt.Sprintf("%s for DRL-18V at DC1 is in the ledger already (receipt +10 on 2026-11-27); if this is another delivery, give it its own ref, such as %s/2", a.PO, a.PO)
	if r.RowsOK != 0 || r.RowsDuplicate != 0 || r.RowsRejected != 1 || len(r.Errors) != 1 ||
		r.Errors[0].Line != 2 || r.Errors[0].Column != "ref" || r.Errors[0].Reason != want {
		t.Errorf("second delivery on the bare code: %+v, want one rejected row: %s", r, want)
	}
	// The first receipt re-sent, alone and beside a second delivery in one file.
	if r := mustImport(t, st, mustWriteFile(t, dir, "resent.csv", head+first+"\n"), data.ImportOptions{}); r.RowsDuplicate != 1 || r.RowsRejected != 0 {
		t.Errorf("re-sent first receipt: %+v, want a plain duplicate", r)
	}
	r = mustImport(t, st, mustWriteFile(t, dir, "both.csv", head+second+strings.Replace(second, "6,", "7,", 1)), data.ImportOptions{})
	if r.RowsRejected != 2 {
		t.Errorf("two deliveries on the bare code in one file: %+v, want both rejected", r)
	}
	if got := onHand(); got != before+10 {
		t.Errorf("on hand %d, want %d: only the first receipt booked", got, before+10)
	}
	// With its own ref the second delivery books and is received.
	mustImport(t, st, mustWriteFile(t, dir, "rec3.csv", head+strings.Replace(second, a.PO, a.PO+"/2", 1)), data.ImportOptions{})
	if got := onHand(); got != before+16 {
		t.Errorf("on hand %d after the second delivery, want %d", got, before+16)
	}
	// Any reused ref: a shop that books every write-off as "damaged".
	r = mustImport(t, st, mustWriteFile(t, dir, "adj.csv", head+
		"2026-11-29,DRL-18V,DC1,-1,adjustment,damaged\n2026-11-30,DRL-18V,DC1,-2,adjustment,damaged\n2026-11-29,DRL-18V,DC1,-1,adjustment,damaged\n"), data.ImportOptions{})
	want = "damaged for DRL-18V at DC1 came earlier in this file (adjustment -1 on 2026-11-29); if this is another movement, give it its own ref"
	if r.RowsOK != 1 || r.RowsDuplicate != 1 || r.RowsRejected != 1 || r.Errors[0].Line != 3 || r.Errors[0].Reason != want {
		t.Errorf("reused ref: %+v, want line 3 rejected: %s", r, want)
	}
	if got := onHand(); got != before+15 {
		t.Errorf("on hand %d after one write-off, want %d", got, before+15)
	}
	// A ref first met after the item's ref lines were read (line 2 reads
	// them): its repeat is still a duplicate, another quantity still not.
	r = mustImport(t, st, mustWriteFile(t, dir, "adj2.csv", head+first+
		"2026-11-30,DRL-18V,DC1,-3,adjustment,broken\n2026-11-30,DRL-18V,DC1,-3,adjustment,broken\n2026-11-30,DRL-18V,DC1,-4,adjustment,broken\n"), data.ImportOptions{})
	want = "broken for DRL-18V at DC1 came earlier in this file (adjustment -3 on 2026-11-30); if this is another movement, give it its own ref"
	if r.RowsOK != 1 || r.RowsDuplicate != 2 || r.RowsRejected != 1 || r.Errors[0].Line != 5 || r.Errors[0].Reason != want {
		t.Errorf("ref met after the read: %+v, want line 5 rejected: %s", r, want)
	}
	if got := onHand(); got != before+12 {
		t.Errorf("on hand %d, want %d", got, before+12)
	}
}

// approveAll approves every id once and reports which calls succeeded.
func approveAll(st *data.Store, ids []int64, who string) (ok []int64, errs []error) {
	for _, id := range ids {
		_, err := st.ActOnProposal(context.Background(), id, model.ProposalRequest{Action: model.ActApprove, User: who})
		switch {
		case err == nil:
			ok = append(ok, id)
		case errors.Is(err, model.ErrProposalTransition) || errors.Is(err, model.ErrProposalStale):
		default:
			errs = append(errs, err)
		}
	}
	return ok, errs
}

// checkOneLinePerProposal asserts the outcome of concurrent approvals.
func checkOneLinePerProposal(t *testing.T, st *data.Store, ids []int64, wins map[int64]int) {
	t.Helper()
	pos, err := st.PurchaseOrders(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[int64]int{}
	for _, po := range pos {
		for _, l := range po.Lines {
			lines[l.ProposalID]++
		}
	}
	for _, id := range ids {
		if lines[id] != 1 {
			t.Errorf("proposal %d has %d purchase order lines, want exactly 1", id, lines[id])
		}
		if wins[id] != 1 {
			t.Errorf("proposal %d was approved by %d callers, want exactly 1", id, wins[id])
		}
	}
	var openPOs int
	for _, po := range pos {
		if po.State == model.POOpen {
			openPOs++
		}
	}
	if openPOs != len(pos) || len(pos) != 1 {
		t.Errorf("%d purchase orders (%d open), want one open order for the supplier", len(pos), openPOs)
	}
}

func concurrencyStore(t *testing.T, n int) (*data.Store, []int64) {
	st, keys := planStore(t)
	var rows []data.PlanRow
	for _, p := range keys {
		if p.Supplier == "SUP1" {
			rows = append(rows, row(p, 8, 1))
		}
	}
	if len(rows) < n {
		t.Fatalf("only %d SUP1 item×locations in the fixtures", len(rows))
	}
	if _, err := st.ApplyPlan(context.Background(), model.MustDate("2026-11-20"), rows, nil, data.PlanOptions{}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, p := range openOf(t, st) {
		ids = append(ids, p.ID)
	}
	return st, ids
}

// Fifty approvers, each with its own connection to the same file (as
// separate consoles are), race on the same proposals: each proposal ends
// with exactly one purchase order line and one winner.
func TestStore_ConcurrentApprovals(t *testing.T) {
	st, ids := concurrencyStore(t, 2)
	path := st.Path()
	const approvers = 50
	var mu sync.Mutex
	wins := map[int64]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range approvers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half share the test's store, half open their own.
			s := st
			if i%2 == 1 {
				var err error
				if s, err = data.Open(context.Background(), path); err != nil {
					t.Error(err)
					return
				}
				defer s.Close()
			}
			<-start
			ok, errs := approveAll(s, ids, fmt.Sprintf("approver%d", i))
			for _, err := range errs {
				t.Errorf("approver %d: %v", i, err)
			}
			mu.Lock()
			for _, id := range ok {
				wins[id]++
			}
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	checkOneLinePerProposal(t, st, ids, wins)
}

// The same race between separate processes: the test binary re-runs
// itself as approvers (STOCKROOM_TEST_APPROVER names the store).
func TestStore_ConcurrentApprovalsProcesses(t *testing.T) {
	if path := os.Getenv("STOCKROOM_TEST_APPROVER"); path != "" {
		t.Skip("running as an approver")
	}
	st, ids := concurrencyStore(t, 2)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const approvers = 50
	var idList []string
	for _, id := range ids {
		idList = append(idList, strconv.FormatInt(id, 10))
	}
	cmds := make([]*exec.Cmd, approvers)
	outs := make([]*strings.Builder, approvers)
	for i := range cmds {
		cmd := exec.Command(exe, "-test.run=^TestApproverProcess$")
		cmd.Env = append(os.Environ(), "STOCKROOM_TEST_APPROVER="+st.Path(), "STOCKROOM_TEST_IDS="+strings.Join(idList, ","),
			"STOCKROOM_TEST_WHO=proc"+strconv.Itoa(i))
		outs[i] = &strings.Builder{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		cmds[i] = cmd
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	wins := map[int64]int{}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("approver process %d: %v\n%s", i, err, outs[i])
		}
		for _, line := range strings.Split(outs[i].String(), "\n") {
			if rest, ok := strings.CutPrefix(line, "WON "); ok {
				id, _ := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
				wins[id]++
			}
		}
	}
	checkOneLinePerProposal(t, st, ids, wins)
}

// TestApproverProcess is one approver of
// TestStore_ConcurrentApprovalsProcesses; it does nothing on its own.
func TestApproverProcess(t *testing.T) {
	path := os.Getenv("STOCKROOM_TEST_APPROVER")
	if path == "" {
		t.Skip("only runs as a child of TestStore_ConcurrentApprovalsProcesses")
	}
	st, err := data.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []int64
	for _, s := range strings.Split(os.Getenv("STOCKROOM_TEST_IDS"), ",") {
		id, _ := strconv.ParseInt(s, 10, 64)
		ids = append(ids, id)
	}
	ok, errs := approveAll(st, ids, os.Getenv("STOCKROOM_TEST_WHO"))
	for _, err := range errs {
		t.Error(err)
	}
	for _, id := range ok {
		fmt.Printf("WON %d\n", id)
	}
}

func TestStore_Policies(t *testing.T) {
	st := mustOpenStore(t)
	ctx := context.Background()
	rules := []data.PolicyRule{
		{Scope: "item", Key: "DRL-18V", Service: 0.99, ReviewDays: -1, LeadTimeDays: math.NaN(), LeadTimeSDDays: math.NaN(), MaxStock: 200,
			OrderCost: math.NaN(), HoldingRate: math.NaN(), Budget: math.NaN()},
		{Scope: "default", Key: "", Service: math.NaN(), ReviewDays: 7, LeadTimeDays: 5, LeadTimeSDDays: 1, MaxStock: -1,
			OrderCost: 25, HoldingRate: 0.2, Budget: math.NaN()},
		{Scope: "supplier", Key: "SUP1", Service: math.NaN(), ReviewDays: -1, LeadTimeDays: math.NaN(), LeadTimeSDDays: math.NaN(),
			MaxStock: -1, OrderCost: math.NaN(), HoldingRate: math.NaN(), Budget: 1000},
	}
	if err := st.SetPolicies(ctx, rules, "ann"); err != nil {
		t.Fatal(err)
	}
	got, err := st.Policies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Scope != "default" || got[1].Scope != "supplier" || got[2].Scope != "item" {
		t.Fatalf("policies %+v, want default, supplier, item", got)
	}
	if got[0].ReviewDays != 7 || got[0].OrderCost != 25 || !math.IsNaN(got[0].Service) || got[0].MaxStock != -1 {
		t.Errorf("default rule %+v", got[0])
	}
	if got[2].Service != 0.99 || got[2].MaxStock != 200 || got[1].Budget != 1000 {
		t.Errorf("rules %+v", got)
	}
	if err := st.SetPolicies(ctx, nil, "ann"); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Policies(ctx); len(got) != 0 {
		t.Errorf("%d rules after clearing", len(got))
	}
}

// Alerts come most urgent first: by kind, then within a kind the most
// demand out of stock, the soonest stockout, the largest shortfall.
func TestStore_AlertsOrder(t *testing.T) {
	st, byKey := planStore(t)
	var ps []*data.PlanItem
	for _, p := range byKey {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *data.PlanItem) int { return cmp.Compare(a.SKU+a.Location, b.SKU+b.Location) })
	a, b, c := ps[0], ps[1], ps[2]
	alert := func(p *data.PlanItem, k model.AlertKind, v float64) data.AlertRow {
		return data.AlertRow{ItemID: p.ItemID, LocID: p.LocID, Kind: k, Value: v, Detail: fmt.Sprintf("%s %g", k, v)}
	}
	rows := []data.AlertRow{
		alert(a, model.AlertBelowReorder, 3), alert(b, model.AlertBelowReorder, 12),
		alert(a, model.AlertBeforeDelivery, 5), alert(c, model.AlertBeforeDelivery, 2),
		alert(b, model.AlertOutOfStock, 0.1), alert(c, model.AlertOutOfStock, 4.5),
	}
	ctx := context.Background()
	asOf, _ := st.AsOf(ctx)
	if _, err := st.ApplyPlan(ctx, asOf, nil, rows, data.PlanOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Alerts(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, g := range got {
		details = append(details, g.Detail)
	}
	want := []string{"out_of_stock 4.5", "out_of_stock 0.1", "stockout_before_delivery 2", "stockout_before_delivery 5",
		"below_reorder 12", "below_reorder 3"}
	if !slices.Equal(details, want) {
		t.Errorf("alerts in order %q, want %q", details, want)
	}
}

// A snoozed proposal leaves the head of the queue for the day it comes
// back: the open queue lists it after every proposed one, and paging with
// a cursor visits each proposal once in that order.
func TestStore_Proposals_SnoozedLast(t *testing.T) {
	st, keys := planStore(t)
	ctx := context.Background()
	var rows []data.PlanRow
	i := 0
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		rows = append(rows, row(keys[k], 5, float64(i)))
		i++
	}
	if len(rows) < 4 {
		t.Fatalf("%d item×locations: the test needs 4", len(rows))
	}
	if _, err := st.ApplyPlan(ctx, model.MustDate("2026-11-20"), rows, nil, data.PlanOptions{}); err != nil {
		t.Fatal(err)
	}
	open := openOf(t, st)
	top := open[0]
	if _, err := st.ActOnProposal(ctx, top.ID, model.ProposalRequest{Action: model.ActSnooze, User: "ann", Until: model.MustDate("2026-11-27")}); err != nil {
		t.Fatal(err)
	}
	open = openOf(t, st)
	if len(open) != len(rows) || open[len(open)-1].ID != top.ID || open[len(open)-1].State != model.ProposalSnoozed || open[0].ID == top.ID {
		t.Fatalf("queue after snoozing the most urgent #%d: %v", top.ID, ids(open))
	}
	// One at a time with the cursor: the same order, each once.
	var paged []model.Proposal
	var after *model.ProposalCursor
	for range len(rows) + 2 {
		ps, err := st.Proposals(ctx, model.ProposalQuery{Limit: 1, After: after})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 {
			break
		}
		paged = append(paged, ps[0])
		after = &model.ProposalCursor{Snoozed: ps[0].State == model.ProposalSnoozed, Urgency: ps[0].Urgency, ID: ps[0].ID}
	}
	if !slices.Equal(ids(paged), ids(open)) {
		t.Errorf("paged %v, listed %v", ids(paged), ids(open))
	}
}

func ids(ps []model.Proposal) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}
