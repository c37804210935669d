package data_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"stockroom/data"
	"stockroom/model"
)

// TestStockPage_Keyset pages through every sort order, both ways, a few
// rows at a time, with and without a filter, and requires exactly the
// rows of one big page, in the same order.
func TestStockPage_Keyset(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers")
	dir := t.TempDir()
	var items, moves strings.Builder
	items.WriteString("sku,name,category\n")
	moves.WriteString("date,sku,location,qty,kind,ref\n")
	for i := range 40 {
		fmt.Fprintf(&items, "S%03d,%s %d,%s\n", i, []string{"drill", "saw", "hammer"}[i%3], i%7, []string{"tools", "garden"}[i%2])
		for _, loc := range []string{"DC1", "ST1", "ST2"}[:1+i%3] {
			fmt.Fprintf(&moves, "2026-11-01,S%03d,%s,%d,receipt,R%d\n", i, loc, 1+(i*7)%13, i)
		}
	}
	mustImport(t, st, mustWriteFile(t, dir, "items.csv", items.String()), data.ImportOptions{})
	mustImport(t, st, mustWriteFile(t, dir, "movements.csv", moves.String()), data.ImportOptions{})
	ctx := context.Background()
	for sort := model.SortSKU; sort <= model.SortAvgDaily; sort++ {
		for _, desc := range []bool{false, true} {
			for _, filter := range []string{"", "drl", "oh>5 loc=ST1"} {
				f, err := model.ParseFilter(filter)
				if err != nil {
					t.Fatal(err)
				}
				q := model.StockQuery{Sort: sort, Desc: desc, Filter: f, Limit: 1000}
				all, err := st.StockPage(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				n, err := st.StockCount(ctx, q)
				if err != nil || n != len(all) {
					t.Fatalf("count %d, rows %d, %v", n, len(all), err)
				}
				// Forward, 3 at a time.
				var fwd []model.StockRow
				q.Limit = 3
				for {
					page, err := st.StockPage(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					fwd = append(fwd, page...)
					if len(page) < q.Limit {
						break
					}
					q.After = page[len(page)-1].Cursor
				}
				// Backward from the last page.
				q.After, q.Last = nil, true
				var back []model.StockRow
				for {
					page, err := st.StockPage(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					back = append(page, back...)
					if len(page) < q.Limit {
						break
					}
					q.Last, q.Before = false, page[0].Cursor
				}
				name := fmt.Sprintf("sort %v desc %v filter %q", sort, desc, filter)
				if !reflect.DeepEqual(keys(fwd), keys(all)) || !reflect.DeepEqual(keys(back), keys(all)) {
					t.Errorf("%s: pages differ\n all %v\n fwd %v\nback %v", name, keys(all), keys(fwd), keys(back))
				}
				if filter == "drl" {
					for _, r := range all {
						if !strings.HasPrefix(r.Name, "drill") {
							t.Errorf("%s: %s does not match", name, r.Name)
						}
					}
				}
			}
		}
	}
}

func keys(rows []model.StockRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.SKU + "@" + r.Location
	}
	return out
}

// When the data reaches the clock's day, the average and cover end the day
// before: today's first sale is not a whole day. The next day's import,
// with today over, counts it.
func TestStock_TodayNotOverInAverage(t *testing.T) {
	for _, c := range []struct {
		name  string
		today model.Date
		avg   float64
	}{
		{"today not over", model.MustDate("2026-11-10"), 4},                // days 10-13 … 11-09, all 4
		{"no clock", 0, (27*4 + 1) / 28.0},                                 // days 10-14 … 11-10
		{"the day after", model.MustDate("2026-11-11"), (27*4 + 1) / 28.0}, // 11-10 is over
	} {
		t.Run(c.name, func(t *testing.T) {
			st := mustOpenStore(t)
			mustImportGood(t, st, "locations", "suppliers", "items")
			dir := t.TempDir()
			var b strings.Builder
			b.WriteString("date,order_id,sku,location,channel,qty,price\n")
			first := model.MustDate("2026-10-01")
			for d := first; d < model.MustDate("2026-11-10"); d++ {
				fmt.Fprintf(&b, "%s,O-%s,HMR-16,DC1,web,4,12.5\n", d, d)
			}
			b.WriteString("2026-11-10,O-TODAY,HMR-16,DC1,web,1,12.5\n")
			mustImport(t, st, mustWriteFile(t, dir, "receipt.csv", "date,sku,location,qty,kind,ref\n2026-09-30,HMR-16,DC1,1000,receipt,PO-1\n"),
				data.ImportOptions{Today: c.today})
			mustImport(t, st, mustWriteFile(t, dir, "sales.csv", b.String()), data.ImportOptions{Today: c.today})
			rows, err := st.StockPage(context.Background(), model.StockQuery{SKU: "HMR-16", Limit: 5})
			if err != nil || len(rows) != 1 {
				t.Fatalf("rows %+v %v", rows, err)
			}
			r := rows[0]
			if math.Abs(r.AvgDaily-c.avg) > 1e-9 || math.Abs(r.CoverDays-float64(r.OnHand)/c.avg) > 1e-9 {
				t.Errorf("avg %.4f cover %.2f (on hand %d), want avg %.4f", r.AvgDaily, r.CoverDays, r.OnHand, c.avg)
			}
		})
	}
}
