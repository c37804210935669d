package data

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCheckpoints: the writer leaves checkpoints to the store's own
// goroutine; without it the WAL would hold every import since the store
// opened. After thirty small imports, each followed by a pause in which the
// checkpoint can run, the WAL must not have grown: each write starts it
// again from the top once everything before was copied.
func TestCheckpoints(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	importGood(t, st, "locations", "items")
	wal := func() int64 {
		fi, err := os.Stat(filepath.Join(dir, "s.db-wal"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	var first int64
	for i := range 30 {
		f := filepath.Join(dir, fmt.Sprintf("sales-%d.csv", i))
		body := "date,order_id,sku,location,channel,qty,price\n"
		for j := range 20 {
			body += fmt.Sprintf("2026-11-0%d,O-%d-%d,DRL-18V,DC1,web,1,89.99\n", 1+j%9, i, j)
		}
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if r, err := st.ImportFile(ctx, f, ImportOptions{}); err != nil || r.RowsOK != 20 {
			t.Fatalf("import %d: %v %+v", i, err, r)
		}
		if i == 0 {
			first = wal()
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last := wal(); last > first+64<<10 {
		t.Errorf("the WAL grew from %d bytes after one import to %d after thirty: nothing checkpoints it", first, last)
	}
}

// goodDir holds one clean file of every kind.
const goodDir = "../testdata/imports/good/"

// importGood imports the good files of the kinds given, which must go in
// whole.
func importGood(t *testing.T, st *Store, kinds ...string) {
	t.Helper()
	for _, k := range kinds {
		r, err := st.ImportFile(context.Background(), goodDir+k+".csv", ImportOptions{})
		if err != nil || r.Failed() || r.RowsRejected > 0 {
			t.Fatalf("%s: %v %+v", k, err, r)
		}
	}
}
