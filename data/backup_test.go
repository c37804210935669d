package data_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stockroom/data"
)

// writeSalesFile writes n sales lines with order ids unique to file i.
func writeSalesFile(tb testing.TB, dir string, i, n int) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("date,order_id,sku,location,channel,qty,price\n")
	for j := range n {
		fmt.Fprintf(&b, "2026-11-%02d,BK-%d-%d,DRL-18V,DC1,web,%d,89.99\n", 3+j%20, i, j, 1+j%3)
	}
	return mustWriteFile(tb, dir, fmt.Sprintf("sales-bk-%04d.csv", i), b.String())
}

func TestStore_BackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items", "movements")
	src := t.TempDir()

	// A writer imports files until told to stop; the backup runs in the
	// middle of it.
	var committed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p := writeSalesFile(t, src, i, 200)
			if _, err := st.ImportFile(ctx, p, data.ImportOptions{}); err != nil {
				t.Error(err)
				return
			}
			committed.Add(1)
		}
	}()
	for committed.Load() < 3 {
		time.Sleep(5 * time.Millisecond)
	}
	dir := t.TempDir()
	res, err := st.Backup(ctx, dir, data.BackupOptions{Keep: data.DefaultRetention})
	after := committed.Load()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !res.Manifest.Verified || res.Manifest.Counts["file"] == 0 || res.Bytes <= 0 || res.Bytes >= res.DBBytes {
		t.Fatalf("backup result %+v", res)
	}
	if _, err := os.Stat(res.File + ".json"); err != nil {
		t.Fatalf("no manifest: %v", err)
	}

	// Restore into a new place and compare with what the store held.
	dbPath := filepath.Join(t.TempDir(), "restored.db")
	rr, err := data.Restore(ctx, res.File, dbPath, false)
	if err != nil {
		t.Fatal(err)
	}
	if !rr.Manifest || rr.Previous != "" {
		t.Fatalf("restore result %+v", rr)
	}
	got, err := data.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if err := got.Check(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := got.Imports(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var salesFiles, rowsOK int64
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f.Path), "sales-bk-") {
			salesFiles++
		}
		rowsOK += int64(f.RowsOK)
	}
	// Files 0..salesFiles-1 were committed at the snapshot; every one of them
	// holds 200 lines.
	if salesFiles < 3 || salesFiles > after+1 {
		t.Fatalf("the copy holds %d of the writer's files; %d were committed before the backup ended", salesFiles, after)
	}
	tot, err := got.LedgerTotals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	base := mustOpenStore(t)
	mustImportGood(t, base, "locations", "suppliers", "items", "movements")
	bt, _ := base.LedgerTotals(ctx)
	if tot.Lines != bt.Lines+200*salesFiles {
		t.Fatalf("restored ledger holds %d lines, want %d (opening) + 200 × %d files", tot.Lines, bt.Lines, salesFiles)
	}
	if int64(res.Manifest.Counts["file"]) != int64(len(files)) {
		t.Fatalf("manifest says %d files, restored store has %d", res.Manifest.Counts["file"], len(files))
	}
	_ = rowsOK
}

func TestRestore_Refuses(t *testing.T) {
	ctx := context.Background()
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items", "movements")
	res, err := st.Backup(ctx, t.TempDir(), data.BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "live.db")
	live, err := data.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	mustImportGood(t, live, "locations")

	t.Run("exists without force", func(t *testing.T) {
		_, err := data.Restore(ctx, res.File, target, false)
		if !errors.Is(err, data.ErrStoreExists) {
			t.Fatalf("got %v, want ErrStoreExists", err)
		}
	})
	t.Run("in use", func(t *testing.T) {
		_, err := data.Restore(ctx, res.File, target, true)
		if !errors.Is(err, data.ErrStoreInUse) {
			t.Fatalf("got %v, want ErrStoreInUse", err)
		}
	})
	t.Run("corrupt backup", func(t *testing.T) {
		live.Close()
		bad := filepath.Join(t.TempDir(), filepath.Base(res.File))
		b, _ := os.ReadFile(res.File)
		// Sixteen bytes: a single flipped bit of a compressed block can
		// decode to the very same database, which is then rightly restored.
		for i := range 16 {
			b[len(b)/2+i] ^= 0x55
		}
		os.WriteFile(bad, b, 0o644)
		mb, _ := os.ReadFile(res.File + ".json")
		os.WriteFile(bad+".json", mb, 0o644)
		if _, err := data.Restore(ctx, bad, target, true); err == nil {
			t.Fatal("restored a corrupt backup")
		}
		// The live store is untouched.
		again, err := data.Open(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		locs, _ := again.Locations(ctx)
		again.Close()
		if len(locs) == 0 {
			t.Fatal("the live store lost its rows")
		}
	})
	t.Run("force", func(t *testing.T) {
		rr, err := data.Restore(ctx, res.File, target, true)
		if err != nil {
			t.Fatal(err)
		}
		if rr.Previous != target+".pre-restore" {
			t.Fatalf("previous %q", rr.Previous)
		}
		if _, err := os.Stat(rr.Previous); err != nil {
			t.Fatal(err)
		}
		got, err := data.Open(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		defer got.Close()
		want, _ := st.LedgerTotals(ctx)
		have, _ := got.LedgerTotals(ctx)
		if want != have {
			t.Fatalf("restored totals %+v, want %+v", have, want)
		}
	})
}

func TestRetention_Keep(t *testing.T) {
	day := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04", s, time.UTC)
		if err != nil {
			panic(err)
		}
		return t
	}
	// Two backups a day for 60 days, newest first: 2026-03-31 back to 2026-01-31.
	var times []time.Time
	for d := 0; d < 60; d++ {
		base := day("2026-03-31 01:00").AddDate(0, 0, -d)
		times = append(times, base.Add(12*time.Hour), base)
	}
	tests := []struct {
		name string
		r    data.Retention
		want []string
	}{
		{"3 daily", data.Retention{Daily: 3}, []string{"2026-03-31 13:00", "2026-03-30 13:00", "2026-03-29 13:00"}},
		{"2 weekly", data.Retention{Weekly: 2}, []string{"2026-03-31 13:00", "2026-03-29 13:00"}}, // W14 (Mon 30) and W13 ends Sun 29
		{"3 monthly", data.Retention{Monthly: 3}, []string{"2026-03-31 13:00", "2026-02-28 13:00", "2026-01-31 13:00"}},
		{"daily and monthly", data.Retention{Daily: 1, Monthly: 2}, []string{"2026-03-31 13:00", "2026-02-28 13:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keep := tc.r.Keep(times, time.UTC)
			var got []string
			for i, k := range keep {
				if k {
					got = append(got, times[i].Format("2006-01-02 15:04"))
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("kept %v, want %v", got, tc.want)
			}
		})
	}
	if k := (data.Retention{}).Keep(times, time.UTC); len(k) != len(times) || !k[len(k)-1] {
		t.Fatal("zero retention must keep everything")
	}
}

func TestPruneBackups(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for d := range 40 {
		name := "stockroom-" + start.AddDate(0, 0, d).Format("20060102T150405Z") + data.BackupExt
		mustWriteFile(t, dir, name, "x")
		mustWriteFile(t, dir, name+".json", "{}")
	}
	mustWriteFile(t, dir, "notes.txt", "keep me")
	removed, err := data.PruneBackups(dir, data.DefaultRetention, "")
	if err != nil {
		t.Fatal(err)
	}
	left, _ := data.ListBackups(dir)
	// 7 daily (Feb 3–9) + newest of the 4 ISO weeks before (Feb 1, Jan 25,
	// Jan 18 fall in weeks not yet kept: W05 ends Sun Feb 1) + newest of
	// January (Jan 31).
	var names []string
	for _, b := range left {
		names = append(names, b.At.Format("0102"))
	}
	want := "0209,0208,0207,0206,0205,0204,0203,0201,0131,0125"
	if strings.Join(names, ",") != want {
		t.Fatalf("kept %v, want %s", names, want)
	}
	if len(removed) != 40-len(left) {
		t.Fatalf("removed %d, kept %d of 40", len(removed), len(left))
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatal("pruned a file that is not a backup")
	}
	for _, r := range removed {
		if _, err := os.Stat(r + ".json"); err == nil {
			t.Fatalf("manifest of %s left behind", r)
		}
	}
}

func TestStore_BackupRelativeDir(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations")
	wd, _ := os.Getwd()
	dir := t.TempDir()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	res, err := st.Backup(context.Background(), "bk", data.BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := data.Restore(context.Background(), res.File, "restored.db", false); err != nil {
		t.Fatal(err)
	}
}
