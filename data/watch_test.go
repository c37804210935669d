package data_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"stockroom/data"
)

// readyLog collects what a watcher reports.
type readyLog struct {
	mu    sync.Mutex
	paths []string
	ch    chan string
}

func newReadyLog() *readyLog { return &readyLog{ch: make(chan string, 100)} }

func (l *readyLog) ready(_ context.Context, paths []string) {
	l.mu.Lock()
	l.paths = append(l.paths, paths...)
	l.mu.Unlock()
	for _, p := range paths {
		l.ch <- filepath.Base(p)
	}
}

func (l *readyLog) want(t *testing.T, name string) {
	t.Helper()
	select {
	case got := <-l.ch:
		if got != name {
			t.Fatalf("watcher reported %s, want %s", got, name)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("watcher did not report %s", name)
	}
}

func (l *readyLog) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case got := <-l.ch:
		t.Fatalf("watcher reported %s, want nothing", got)
	case <-time.After(d):
	}
}

func startWatcher(t *testing.T, dirs ...string) *readyLog {
	return startWatcherGrace(t, 600*time.Millisecond, dirs...)
}

func startWatcherGrace(t *testing.T, grace time.Duration, dirs ...string) *readyLog {
	t.Helper()
	log := newReadyLog()
	w := data.NewWatcher(dirs, log.ready)
	w.Quiet, w.Rescan, w.Grace = 50*time.Millisecond, 200*time.Millisecond, grace
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return log
}

func TestWatcher_Files(t *testing.T) {
	dir := t.TempDir()
	mustWriteFile(t, dir, "before.csv", "sku,name\nA,a\n")
	log := startWatcher(t, dir)
	log.want(t, "before.csv") // files already there count

	mustWriteFile(t, dir, "sales.csv", "a,b\n1,2\n")
	log.want(t, "sales.csv")

	// Hidden and temporary files are never reported; a rename into place is.
	mustWriteFile(t, dir, ".hidden.csv", "a\n")
	tmp := mustWriteFile(t, dir, "upload.csv.tmp", "a,b\n1,2\n")
	log.none(t, 300*time.Millisecond)
	if err := os.Rename(tmp, filepath.Join(dir, "upload.csv")); err != nil {
		t.Fatal(err)
	}
	log.want(t, "upload.csv")
}

func TestWatcher_HalfWritten(t *testing.T) {
	dir := t.TempDir()
	// The grace is well beyond the pause below even on a loaded machine:
	// under -race the 300 ms pause has stretched past 600 ms, and in a
	// full parallel run past 2 s, and the half-written file was rightly
	// taken at the grace, then again once finished.
	log := startWatcherGrace(t, 10*time.Second, dir)
	p := filepath.Join(dir, "sales.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("date,order_id,sku,location,channel,qty,price\n2026-11-02,SO-1,A,DC1,web,1,")
	f.Sync()
	// Quiet, but the last line is unfinished: not yet.
	log.none(t, 300*time.Millisecond)
	f.WriteString("2.5\n")
	f.Close()
	log.want(t, "sales.csv")

	// A file that never gets its last newline is taken after the grace time.
	dir2 := t.TempDir()
	log2 := startWatcherGrace(t, time.Second, dir2)
	mustWriteFile(t, dir2, "items.csv", "sku,name\nA,a")
	log2.want(t, "items.csv")
}

func TestWatcher_FolderRecreated(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "drop")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	log := startWatcher(t, dir)
	mustWriteFile(t, dir, "one.csv", "a\n")
	log.want(t, "one.csv")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, dir, "two.csv", "a\n")
	log.want(t, "two.csv")
}

func TestWatcher_MissingFolderAppears(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "later")
	log := startWatcher(t, dir)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, dir, "late.csv", "a\n")
	log.want(t, "late.csv")
}

func TestWatcher_Changed(t *testing.T) {
	dir := t.TempDir()
	log := startWatcher(t, dir)
	mustWriteFile(t, dir, "a.csv", "a\n")
	log.want(t, "a.csv")
	log.none(t, 500*time.Millisecond) // rescans do not report it again
	mustWriteFile(t, dir, "a.csv", "a\nb\n")
	log.want(t, "a.csv")
}

// A workbook ends with its zip directory, not a newline: it is taken once
// quiet, not only after the grace given to files that look unfinished.
func TestWatcher_Workbook(t *testing.T) {
	dir := t.TempDir()
	log := startWatcherGrace(t, time.Hour, dir)
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"sku", "name"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"A", "a"})
	if err := f.SaveAs(filepath.Join(dir, "items.xlsx")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	log.want(t, "items.xlsx")
}
