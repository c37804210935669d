package data_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"stockroom/data"
	"stockroom/data/benchgen"
)

// BenchmarkImportSales imports a generated 1,000,000-line sales export
// (ledger, natural-key dedup, stock, daily stock and demand aggregates, all
// in one transaction) and, in the same run, times the sqlite3 shell doing a
// bare `.import` of the same file into an empty table of a fresh database.
// It reports both rates and their ratio (>1 means stockroom is faster).
//
//	go test ./data -run '^$' -bench ImportSales -benchtime 3x
//
// STOCKROOM_BENCH_ROWS overrides the row count.
func BenchmarkImportSales(b *testing.B) {
	o := benchgen.DefaultSales()
	if n, err := strconv.Atoi(os.Getenv("STOCKROOM_BENCH_ROWS")); err == nil && n > 0 {
		o.Rows = n
	}
	dir := b.TempDir()
	files, err := benchgen.WriteSales(dir, o)
	if err != nil {
		b.Fatal(err)
	}
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
