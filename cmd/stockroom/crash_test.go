package main

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"stockroom/data"
	"stockroom/data/benchgen"
	"stockroom/model"
)

// TestImport_CrashSafety kills a real `stockroom import` process at random
// points of a large import, runs it again to the end, and requires every
// row counted exactly once: the same ledger, stock and demand as one clean
// import.
func TestImport_CrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes for several seconds")
	}
	dir := t.TempDir()
	o := benchgen.DefaultSales()
	o.Rows, o.Items = 150_000, 3000
	files, err := benchgen.WriteSales(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	open := func(name string) *data.Store {
		st, err := data.Open(ctx, filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		for _, f := range []string{files.Locations, files.Items} {
			if r, err := st.ImportFile(ctx, f, data.ImportOptions{}); err != nil || r.Failed() {
				t.Fatal(err, r.Error)
			}
		}
		return st
	}
	ref := open("ref.db")
	if r, err := ref.ImportFile(ctx, files.Sales, data.ImportOptions{}); err != nil || r.RowsOK != o.Rows {
		t.Fatalf("clean import: %v, %+v", err, r)
	}
	// Time one whole run of the real command, to kill the others inside it.
	open("probe.db").Close()
	probe := exec.Command(os.Args[0], "import", "--db", filepath.Join(dir, "probe.db"), files.Sales)
	probe.Env = append(os.Environ(), "STOCKROOM_TEST_MAIN=1")
	start := time.Now()
	if out, err := probe.CombinedOutput(); err != nil {
		t.Fatalf("probe import: %v\n%s", err, out)
	}
	took := time.Since(start)

	db := filepath.Join(dir, "crash.db")
	st := open("crash.db")
	st.Close()
	r := rand.New(rand.NewPCG(11, 12))
	killed := 0
	for i := range 8 {
		if killed >= 5 {
			break
		}
		cmd := exec.Command(os.Args[0], "import", "--db", db, files.Sales)
		cmd.Env = append(os.Environ(), "STOCKROOM_TEST_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Anywhere from opening the store to just before committing.
		time.Sleep(time.Duration(float64(took) * (0.05 + 0.8*r.Float64())))
		cmd.Process.Kill()
		err := cmd.Wait()
		t.Logf("run %d: %v", i, err)
		if cmd.ProcessState.Success() {
			break // it committed: later runs would only find duplicates
		}
		killed++
	}
	if killed < 2 {
		t.Fatalf("only %d runs were killed before they finished", killed)
	}
	cmd := exec.Command(os.Args[0], "import", "--db", db, files.Sales)
	cmd.Env = append(os.Environ(), "STOCKROOM_TEST_MAIN=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("final import: %v\n%s", err, out)
	}

	got, err := data.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if err := got.Check(ctx); err != nil {
		t.Fatalf("store invariants: %v", err)
	}
	wantT, _ := ref.LedgerTotals(ctx)
	gotT, err := got.LedgerTotals(ctx)
	if err != nil || gotT != wantT || gotT.Lines != int64(o.Rows) {
		t.Fatalf("ledger %+v, want %+v (%d rows)", gotT, wantT, o.Rows)
	}
	q := model.StockQuery{Limit: 100000}
	a, err := ref.StockPage(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	b, err := got.StockPage(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("stock differs from a clean import")
	}
}
