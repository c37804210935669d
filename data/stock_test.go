package data_test

import (
	"context"
	"fmt"
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
