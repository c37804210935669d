package data_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"stockroom/data"
	"stockroom/data/benchgen"
	"stockroom/model"
)

// BenchmarkImportSales imports a generated 1,000,000-line sales export
// (ledger, natural-key dedup, stock, daily stock and demand aggregates, all
// in one transaction) and, in the same run, times the sqlite3 shell doing a
// bare `.import` of the same file into an empty table of a fresh database.
// It reports both rates and their ratio (>1 means stockroom is faster).
//
//	go test ./data -run '^$' -bench ImportSales -benchtime 3x
//
// STOCKROOM_BENCH_ROWS overrides the row count. The benchmark sets the
// soft memory limit the stockroom binary sets (256 MiB), so it measures
// the import as the binary runs it.
func BenchmarkImportSales(b *testing.B) {
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
	}
	o, dir, files := benchSales(b)
	shell, _ := exec.LookPath("sqlite3")
	ctx := context.Background()
	var ours, theirs time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := filepath.Join(dir, "store-"+strconv.Itoa(i)+".db")
		st, err := data.Open(ctx, db)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range []string{files.Locations, files.Items} {
			if r, err := st.ImportFile(ctx, f, data.ImportOptions{}); err != nil || r.Failed() || r.RowsRejected > 0 {
				b.Fatalf("%s: %v %+v", f, err, r)
			}
		}
		b.StartTimer()
		t0 := time.Now()
		r, err := st.ImportFile(ctx, files.Sales, data.ImportOptions{})
		ours += time.Since(t0)
		b.StopTimer()
		if err != nil || r.RowsOK != o.Rows {
			b.Fatalf("sales: %v: %d of %d rows (%d rejected, %d dup)", err, r.RowsOK, o.Rows, r.RowsRejected, r.RowsDuplicate)
		}
		st.Close()
		os.Remove(db)
		os.Remove(db + "-wal")
		os.Remove(db + "-shm")
		if shell != "" {
			bare := filepath.Join(dir, "bare-"+strconv.Itoa(i)+".db")
			cmd := exec.Command(shell, bare)
			cmd.Stdin = strings.NewReader("CREATE TABLE t(date,order_id,sku,location,channel,qty,price);\n.mode csv\n.import --skip 1 " + files.Sales + " t\n")
			t0 := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("sqlite3: %v: %s", err, out)
			}
			theirs += time.Since(t0)
			os.Remove(bare)
		}
		b.StartTimer()
	}
	b.StopTimer()
	rows := float64(o.Rows) * float64(b.N)
	b.ReportMetric(rows/ours.Seconds(), "rows/s")
	if shell != "" {
		b.ReportMetric(rows/theirs.Seconds(), "sqlite3-rows/s")
		b.ReportMetric(theirs.Seconds()/ours.Seconds(), "ratio")
	}
}

// BenchmarkImportSalesUnderCount imports the same sales file as
// BenchmarkImportSales into a store that already holds a count of every
// item×location: held, the counts are dated after the file's last day
// (history loaded under an opening stocktake) and every line is held under
// its count (counthold.go); before, the day before its first, the same
// store with nothing to hold.
//
//	go test ./data -run '^$' -bench ImportSalesUnderCount -benchtime 2x
func BenchmarkImportSalesUnderCount(b *testing.B) {
	b.Run("held", func(b *testing.B) { benchUnderCount(b, true) })
	b.Run("before", func(b *testing.B) { benchUnderCount(b, false) })
}

func benchUnderCount(b *testing.B, held bool) {
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
	}
	o, dir, files := benchSales(b)
	day := o.Start.AddDate(0, 0, -1)
	if held {
		day = o.Start.AddDate(0, 0, o.Days)
	}
	counts := benchCounts(b, dir, o, day)
	ctx := context.Background()
	var took time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := filepath.Join(dir, "store-"+strconv.Itoa(i)+".db")
		st := benchStore(b, db, files.Locations, files.Items, counts)
		b.StartTimer()
		t0 := time.Now()
		r, err := st.ImportFile(ctx, files.Sales, data.ImportOptions{})
		took += time.Since(t0)
		b.StopTimer()
		if err != nil || r.RowsOK != o.Rows {
			b.Fatalf("sales: %v: %d of %d rows", err, r.RowsOK, o.Rows)
		}
		if i == 0 && held {
			// Every count still holds: the stock is what was counted.
			for _, s := range []struct {
				sku, loc string
				want     int64
			}{{"SKU000001", "DC1", 1}, {"SKU000007", "ST1", 7}, {"SKU000049", "ST2", 49}} {
				rows, err := st.StockPage(ctx, model.StockQuery{SKU: s.sku, Location: s.loc, Limit: 1})
				if err != nil || len(rows) != 1 || rows[0].OnHand != s.want {
					b.Fatalf("%s at %s: %+v %v, want %d on hand", s.sku, s.loc, rows, err, s.want)
				}
			}
		}
		st.Close()
		os.Remove(db)
		os.Remove(db + "-wal")
		os.Remove(db + "-shm")
		b.StartTimer()
	}
	b.ReportMetric(float64(o.Rows)*float64(b.N)/took.Seconds(), "rows/s")
}

// BenchmarkImportCounts imports a stocktake, a count of every one of the
// benchmark generator's 60,000 item×locations on the day after its month of
// sales, into a store holding those sales.
//
//	go test ./data -run '^$' -bench ImportCounts -benchtime 2x
func BenchmarkImportCounts(b *testing.B) {
	o, dir, files := benchSales(b)
	counts := benchCounts(b, dir, o, o.Start.AddDate(0, 0, o.Days))
	ctx := context.Background()
	var took time.Duration
	n := o.Items * len(o.Locations)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := filepath.Join(dir, "store-"+strconv.Itoa(i)+".db")
		st := benchStore(b, db, files.Locations, files.Items, files.Sales)
		b.StartTimer()
		t0 := time.Now()
		r, err := st.ImportFile(ctx, counts, data.ImportOptions{})
		took += time.Since(t0)
		b.StopTimer()
		if err != nil || r.RowsOK != n {
			b.Fatalf("counts: %v: %d of %d rows", err, r.RowsOK, n)
		}
		st.Close()
		os.Remove(db)
		os.Remove(db + "-wal")
		os.Remove(db + "-shm")
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/took.Seconds(), "rows/s")
}

// benchSales writes the benchmark generator's sales files
// (STOCKROOM_BENCH_ROWS overrides the row count) into a temporary folder.
func benchSales(b *testing.B) (benchgen.SalesOptions, string, benchgen.Files) {
	b.Helper()
	o := benchgen.DefaultSales()
	if n, err := strconv.Atoi(os.Getenv("STOCKROOM_BENCH_ROWS")); err == nil && n > 0 {
		o.Rows = n
	}
	dir := b.TempDir()
	files, err := benchgen.WriteSales(dir, o)
	if err != nil {
		b.Fatal(err)
	}
	return o, dir, files
}

// benchCounts writes a count of every item×location of o on day d
// (SKU i counted i mod 50) and returns its path.
func benchCounts(b *testing.B, dir string, o benchgen.SalesOptions, d time.Time) string {
	b.Helper()
	var cs strings.Builder
	cs.WriteString("date,sku,location,counted_qty\n")
	for i := range o.Items {
		for _, l := range o.Locations {
			fmt.Fprintf(&cs, "%s,SKU%06d,%s,%d\n", d.Format(time.DateOnly), i, l, i%50)
		}
	}
	p := filepath.Join(dir, "counts.csv")
	if err := os.WriteFile(p, []byte(cs.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkImportDrop imports a 10,000-line sales file, touching 10,000
// item×locations, into a copy of the console benchmarks' store
// (benchgen.ConsoleStore, 100,000 items × 3 locations): the import part of
// a file dropped into a watched folder.
//
//	go test ./data -run '^$' -bench ImportDrop -benchtime 10x
func BenchmarkImportDrop(b *testing.B) {
	ctx := context.Background()
	path, err := benchgen.CopyConsoleStore(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	_, o := benchgen.ConsoleStore()
	n := o.Items
	st, err := data.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	dir := b.TempDir()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var sb strings.Builder
		sb.WriteString("date,order_id,sku,location,channel,qty,price\n")
		for j := range 10_000 {
			fmt.Fprintf(&sb, "2026-11-24,DROP-%d-%d,SKU%06d,ST2,web,1,9.99\n", i, j, (1000+j)%n)
		}
		f := filepath.Join(dir, fmt.Sprintf("sales-drop-%d.csv", i))
		if err := os.WriteFile(f, []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		r, err := st.ImportFile(ctx, f, data.ImportOptions{})
		lat = append(lat, time.Since(t0))
		if err != nil || r.RowsOK != 10_000 {
			b.Fatalf("%v: %+v", err, r)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkImportOverlap times a movements export that repeats one
// imported before (all but its last line are in the ledger already), the
// case where every line is checked against the ledger line of its ref:
// 200,000 lines over 2,000 items at two locations.
//
//	go test ./data -run '^$' -bench ImportOverlap -benchtime 3x
func BenchmarkImportOverlap(b *testing.B) {
	benchOverlap(b, "movements", "date,sku,location,qty,kind,ref", func(j int, sku, loc string) string {
		return fmt.Sprintf("2026-%02d-%02d,%s,%s,%d,receipt,R%d", 1+j%11, 1+j%28, sku, loc, 1+j%50, j)
	})
}

// BenchmarkImportSalesOverlap is the same for a sales export sent again:
// every duplicate sale is checked against the ledger line it repeats.
func BenchmarkImportSalesOverlap(b *testing.B) {
	benchOverlap(b, "sales", "date,order_id,sku,location,channel,qty,price", func(j int, sku, loc string) string {
		return fmt.Sprintf("2026-%02d-%02d,SO%d,%s,%s,web,%d,1", 1+j/20000, 1+j%28, j, sku, loc, 1+j%5)
	})
}

// benchOverlap imports a file of 200,000 ledger lines over 2,000 items,
// then times importing it again with one new line.
func benchOverlap(b *testing.B, kind, head string, line func(j int, sku, loc string) string) {
	ctx := context.Background()
	dir := b.TempDir()
	const items, lines = 2000, 200_000
	var loc, it, mv strings.Builder
	loc.WriteString("code,name,kind\nDC1,Depot,warehouse\nST1,Store,store\n")
	it.WriteString("sku,name\n")
	for i := range items {
		fmt.Fprintf(&it, "SKU%05d,Item %d\n", i, i)
	}
	mv.WriteString(head + "\n")
	for j := range lines {
		mv.WriteString(line(j, fmt.Sprintf("SKU%05d", j%items), []string{"DC1", "ST1"}[j%2]) + "\n")
	}
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			b.Fatal(err)
		}
		return p
	}
	files := []string{write("locations.csv", loc.String()), write("items.csv", it.String()), write(kind+".csv", mv.String())}
	var took time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := benchStore(b, filepath.Join(dir, fmt.Sprintf("s%d.db", i)), files...)
		again := write(fmt.Sprintf("%s-again-%d.csv", kind, i), mv.String()+line(lines+i, "SKU00000", "DC1")+"\n")
		b.StartTimer()
		t0 := time.Now()
		r, err := st.ImportFile(ctx, again, data.ImportOptions{})
		took += time.Since(t0)
		b.StopTimer()
		if err != nil || r.RowsOK != 1 || r.RowsDuplicate != lines {
			b.Fatalf("overlap: %v %+v", err, r)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(lines)*float64(b.N)/took.Seconds(), "rows/s")
}

// benchStore opens a new store at path with the files imported, none of
// their rows rejected.
func benchStore(b *testing.B, path string, files ...string) *data.Store {
	b.Helper()
	st, err := data.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range files {
		if r, err := st.ImportFile(context.Background(), f, data.ImportOptions{}); err != nil || r.Failed() || r.RowsRejected > 0 {
			b.Fatalf("%s: %v %+v", f, err, r)
		}
	}
	return st
}
