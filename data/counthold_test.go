package data_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"stockroom/data"
	"stockroom/model"
)

// A sale or movement dated on or before a count but imported after it is
// in the count already: the stock stays at what was counted (plus what came
// after), and the count's shrinkage is what date order would have given.
// Such lines once moved the stock past the count, counting them twice.
func TestImport_LateLinesUnderCount(t *testing.T) {
	ctx := context.Background()
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items")
	dir := t.TempDir()
	mustImport(t, st, mustWriteFile(t, dir, "movements-1.csv", "date,sku,location,qty,kind,ref\n2026-11-01,HMR-16,DC1,20,receipt,R1\n"), data.ImportOptions{})
	mustImport(t, st, mustWriteFile(t, dir, "counts.csv", "date,sku,location,counted_qty\n2026-11-20,HMR-16,DC1,10\n"), data.ImportOptions{})
	onHand := func() int64 { return stockMap(t, st)[stockKey{"HMR-16", "DC1"}] }
	if got := onHand(); got != 10 {
		t.Fatalf("after the count: on hand %d, want 10", got)
	}
	// 3 sold before the count, 1 on its day, 2 after it.
	res := mustImport(t, st, mustWriteFile(t, dir, "sales.csv", "date,order_id,sku,location,channel,qty,price\n"+
		"2026-11-15,O1,HMR-16,DC1,web,3,12.5\n2026-11-20,O2,HMR-16,DC1,web,1,12.5\n2026-11-21,O3,HMR-16,DC1,web,2,12.5\n"), data.ImportOptions{})
	if res.RowsOK != 3 {
		t.Fatalf("sales: %+v", res)
	}
	if got := onHand(); got != 8 {
		t.Errorf("after late sales: on hand %d, want 10 counted − 2 sold after = 8", got)
	}
	// A receipt on the count's day, sent late: on the shelf when counted.
	mustImport(t, st, mustWriteFile(t, dir, "movements-2.csv", "date,sku,location,qty,kind,ref\n2026-11-20,HMR-16,DC1,5,receipt,R2\n"), data.ImportOptions{})
	if got := onHand(); got != 8 {
		t.Errorf("after a late receipt: on hand %d, want 8", got)
	}
	// Each file's late lines are one count line on the count's day.
	ms, err := st.Movements(ctx, "HMR-16", "DC1", 10)
	if err != nil {
		t.Fatal(err)
	}
	var held []string
	for _, m := range ms {
		if m.Kind == model.Count {
			held = append(held, fmt.Sprintf("%s %+d %s", m.Date, m.Qty, m.Ref))
		}
	}
	slices.Sort(held)
	wantHeld := []string{"2026-11-20 +4 2 late lines from 2026-11-15", "2026-11-20 -10 count 2026-11-20", "2026-11-20 -5 late line of 2026-11-20"}
	if !reflect.DeepEqual(held, wantHeld) {
		t.Errorf("count lines %q, want %q", held, wantHeld)
	}
	// The count found 10 where the ledger, in date order, says 20 − 3 − 1 + 5 = 21.
	lds, err := st.LedgerDaysOf(ctx, ledgerItems(t, st), mustDate(t, "2026-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	var counts []data.CountResult
	for _, ld := range lds {
		counts = append(counts, ld.Counts...)
	}
	want := []data.CountResult{{SKU: "HMR-16", Location: "DC1", Date: mustDate(t, "2026-11-20"), Counted: 10, Ledger: 21}}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("counts %+v, want %+v", counts, want)
	}
	if err := st.Check(ctx); err != nil {
		t.Errorf("store invariants: %v", err)
	}
	// The same lines again change nothing.
	res = mustImport(t, st, mustWriteFile(t, dir, "sales-again.csv", "date,order_id,sku,location,channel,qty,price\n"+
		"2026-11-15,O1,HMR-16,DC1,web,3,12.5\n"), data.ImportOptions{})
	if res.RowsDuplicate != 1 || onHand() != 8 {
		t.Errorf("again: %+v, on hand %d", res, onHand())
	}
}

// Files of movements, sales and counts give the same stock, the same
// ledger day by day and the same count results in whatever order they are
// imported, and the stock is what a replay in date order says (a count
// sets the stock at the end of its day). Seeded; each seed is 12 files
// over 3 items at 2 locations and 4 weeks.
func TestImport_OrderDoesNotMatter(t *testing.T) {
	ctx := context.Background()
	type line struct {
		day        int
		sku, loc   string
		qty        int64 // signed change; the counted quantity for a count
		kind, file string
		text       string
	}
	skus, locs := []string{"DRL-18V", "HMR-16", "SEED-TOM"}, []string{"DC1", "ST1"}
	start := mustDate(t, "2026-10-01")
	for seed := uint64(1); seed <= 4; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		var lines []line
		for _, sku := range skus {
			for _, loc := range locs {
				for day := range 28 {
					date := start.AddDays(day)
					if day == 0 || rng.IntN(6) == 0 {
						q := int64(5 + rng.IntN(40))
						ref := fmt.Sprintf("R-%s-%s-%d", sku, loc, day)
						lines = append(lines, line{day, sku, loc, q, "receipt", "movements", fmt.Sprintf("%s,%s,%s,%d,receipt,%s", date, sku, loc, q, ref)})
					}
					if rng.IntN(10) == 0 {
						q := -int64(1 + rng.IntN(3))
						ref := fmt.Sprintf("A-%s-%s-%d", sku, loc, day)
						lines = append(lines, line{day, sku, loc, q, "adjustment", "movements", fmt.Sprintf("%s,%s,%s,%d,adjustment,%s", date, sku, loc, q, ref)})
					}
					for n := rng.IntN(3); n > 0; n-- {
						q := int64(1 + rng.IntN(4))
						order := fmt.Sprintf("SO-%s-%s-%d-%d", sku, loc, day, n)
						lines = append(lines, line{day, sku, loc, -q, "sale", "sales", fmt.Sprintf("%s,%s,%s,%s,web,%d,1", date, order, sku, loc, q)})
					}
					if day > 0 && rng.IntN(7) == 0 {
						q := int64(rng.IntN(30))
						lines = append(lines, line{day, sku, loc, q, "count", "counts", fmt.Sprintf("%s,%s,%s,%d", date, sku, loc, q)})
					}
				}
			}
		}
		// The replay in date order: within a day every change, then the count.
		type il struct{ sku, loc string }
		wantStock := map[stockKey]int64{}
		wantCounts := map[il][]data.CountResult{}
		for day := range 28 {
			for _, l := range lines {
				if l.day == day && l.kind != "count" {
					wantStock[stockKey{l.sku, l.loc}] += l.qty
				}
			}
			for _, l := range lines {
				if l.day == day && l.kind == "count" {
					k := stockKey{l.sku, l.loc}
					wantCounts[il{l.sku, l.loc}] = append(wantCounts[il{l.sku, l.loc}], data.CountResult{
						SKU: l.sku, Location: l.loc, Date: start.AddDays(day), Counted: l.qty, Ledger: wantStock[k]})
					wantStock[k] = l.qty
				}
			}
		}
		// Four files a kind, each a random share of its lines, in date
		// order within the file as exports are.
		heads := map[string]string{"movements": "date,sku,location,qty,kind,ref", "sales": "date,order_id,sku,location,channel,qty,price",
			"counts": "date,sku,location,counted_qty"}
		type file struct{ name, body string }
		var files []file
		for _, kind := range []string{"movements", "sales", "counts"} {
			parts := make([][]string, 4)
			for _, l := range lines {
				if l.file == kind {
					i := rng.IntN(4)
					parts[i] = append(parts[i], l.text)
				}
			}
			for i, p := range parts {
				files = append(files, file{fmt.Sprintf("%s-%d.csv", kind, i), heads[kind] + "\n" + strings.Join(p, "\n") + "\n"})
			}
		}
		var first map[stockKey]int64
		var firstDays []*data.LedgerDays
		for order := range 3 {
			t.Run(fmt.Sprintf("seed %d order %d", seed, order), func(t *testing.T) {
				st := mustOpenStore(t)
				mustImportGood(t, st, "locations", "suppliers", "items")
				dir := t.TempDir()
				perm := rng.Perm(len(files))
				for _, i := range perm {
					f := files[i]
					if res := mustImport(t, st, mustWriteFile(t, dir, f.name, f.body), data.ImportOptions{}); res.RowsRejected != 0 {
						t.Fatalf("%s: %+v", f.name, res.Errors)
					}
				}
				got := stockMap(t, st)
				for k, v := range got {
					if wantStock[k] != v {
						t.Errorf("order %v: %s at %s on hand %d, want %d", perm, k.sku, k.loc, v, wantStock[k])
					}
				}
				if len(got) != len(wantStock) {
					t.Errorf("%d stock rows, want %d", len(got), len(wantStock))
				}
				lds, err := st.LedgerDaysOf(ctx, ledgerItems(t, st), mustDate(t, "2026-12-31"))
				if err != nil {
					t.Fatal(err)
				}
				for _, ld := range lds {
					if w := wantCounts[il{ld.SKU, ld.Location}]; !reflect.DeepEqual(ld.Counts, w) && len(ld.Counts)+len(w) > 0 {
						t.Errorf("order %v: %s at %s counts %+v, want %+v", perm, ld.SKU, ld.Location, ld.Counts, w)
					}
				}
				if err := st.Check(ctx); err != nil {
					t.Errorf("store invariants: %v", err)
				}
				if first == nil {
					first, firstDays = got, lds
				} else if !reflect.DeepEqual(lds, firstDays) {
					t.Errorf("order %v: the ledger by day differs from the first order's", perm)
				}
			})
		}
	}
}

func ledgerItems(t *testing.T, st *data.Store) []int64 {
	t.Helper()
	ids, err := st.LedgerItems(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func mustDate(t *testing.T, s string) model.Date {
	t.Helper()
	d, err := model.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
