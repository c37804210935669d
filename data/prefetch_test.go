package data

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stockroom/model"
)

// TestStateReader_SameAsQuery imports the same files into stores that read
// the stored stock and months beside the import (the state reader), after
// it (one query), and beside it until a flush for memory drops the
// readings: stock and series_month come out identical. The second and
// third files land on item×locations the first stocked, with months inside
// and before the cover window.
func TestStateReader_SameAsQuery(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	paths := []string{write("locations.csv", "code,name\nDC1,a\nST1,b\nST2,c\n")}
	var b strings.Builder
	b.WriteString("sku,name,price\n")
	for i := range 300 {
		fmt.Fprintf(&b, "I%03d,item %d,%d.5\n", i, i, i%20+1)
	}
	paths = append(paths, write("items.csv", b.String()))
	r := rand.New(rand.NewPCG(1, 2))
	order := 1000
	for f, start := range []model.Date{model.DateFromYMD(2026, 8, 20), model.DateFromYMD(2026, 10, 5), model.DateFromYMD(2026, 10, 30)} {
		b.Reset()
		b.WriteString("date,order_id,sku,location,channel,qty\n")
		for d := range 40 {
			for range 100 {
				order++
				fmt.Fprintf(&b, "%s,%d,I%03d,%s,%s,%d\n", start.AddDays(d), order, r.IntN(300),
					[]string{"DC1", "ST1", "ST2"}[r.IntN(3)], []string{"web", "store"}[r.IntN(2)], 1+r.IntN(4))
			}
		}
		paths = append(paths, write(fmt.Sprintf("sales%d.csv", f), b.String()))
	}
	defer func(m int64, b int) { stateReaderMin, budgetAggRows = m, b }(stateReaderMin, budgetAggRows)
	dump := func(name string, readerMin int64, budget int) (string, int) {
		stateReaderMin, budgetAggRows = readerMin, budget
		st, err := Open(ctx, filepath.Join(dir, name+".db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rows := 0
		for _, p := range paths {
			r, err := st.ImportFile(ctx, p, ImportOptions{})
			if err != nil || r.Failed() || r.RowsRejected > 0 {
				t.Fatalf("%s: %s: %v %+v", name, p, err, r)
			}
			rows += r.RowsOK
		}
		var out string
		for _, q := range []string{
			"SELECT item_id, loc_id, on_hand, first_date, last_date, last_sale, avg_daily, cover_days FROM stock ORDER BY 1, 2",
			"SELECT item_id, loc_id, month, net, units, revenue, hex(data) FROM series_month ORDER BY 1, 2, 3",
		} {
			rs, err := queryAll(ctx, st.r, q, func(r *sql.Rows) (string, error) {
				cols, _ := r.Columns()
				v := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range v {
					ptrs[i] = &v[i]
				}
				err := r.Scan(ptrs...)
				return fmt.Sprint(v), err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				out += r + "\n"
			}
		}
		return out, rows
	}
	want, n := dump("query", 1<<62, 1<<30)
	if n < 12000 {
		t.Fatalf("only %d rows imported", n)
	}
	for _, c := range []struct {
		name   string
		budget int
	}{{"reader", 1 << 30}, {"flushed", 200}} {
		got, _ := dump(c.name, 0, c.budget)
		if got != want {
			t.Errorf("%s: stock and months differ from the store that read them after the import", c.name)
		}
	}
}
