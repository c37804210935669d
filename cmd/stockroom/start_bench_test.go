package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// BenchmarkConsoleStart starts the real binary in a pseudo-terminal on the
// 100,000-item benchmark store (built by `go test ./tui -bench Keypress`,
// kept in the temp folder) and measures the time to the first frame (the
// title bar) and to the first rows, and the resident memory once the
// rows are on screen.
//
//	go test ./tui -run '^$' -bench Keypress/scroll -benchtime 1x   # builds the store once
//	go test ./cmd/stockroom -run '^$' -bench ConsoleStart -benchtime 10x
func BenchmarkConsoleStart(b *testing.B) {
	db := filepath.Join(os.TempDir(), "stockroom-bench-100000.db")
	if _, err := os.Stat(db); err != nil {
		b.Skipf("%s is missing: build it with go test ./tui -run '^$' -bench Keypress/scroll -benchtime 1x", db)
	}
	var first, rows []time.Duration
	var rss []int
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "--db", db)
		cmd.Env = append(os.Environ(), "STOCKROOM_TEST_MAIN=1", "TERM=xterm-256color")
		start := time.Now()
		f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
		if err != nil {
			b.Fatal(err)
		}
		screen := &screenLog{}
		go answer(f, screen)
		var t1, t2 time.Duration
		for time.Since(start) < 30*time.Second && t2 == 0 {
			s := screen.text()
			if t1 == 0 && strings.Contains(s, "stockroom") {
				t1 = time.Since(start)
			}
			if strings.Contains(s, "row 1 of") {
				t2 = time.Since(start)
			}
			time.Sleep(2 * time.Millisecond)
		}
		if t2 == 0 {
			b.Fatalf("no rows after 30s:\n%s", screen.text())
		}
		rss = append(rss, rssKiB(cmd.Process.Pid))
		f.WriteString("q")
		cmd.Wait()
		f.Close()
		first, rows = append(first, t1), append(rows, t2)
	}
	slices.Sort(first)
	slices.Sort(rows)
	slices.Sort(rss)
	b.ReportMetric(float64(first[len(first)/2].Milliseconds()), "first-frame-ms")
	b.ReportMetric(float64(rows[len(rows)/2].Milliseconds()), "first-rows-ms")
	b.ReportMetric(float64(rss[len(rss)-1])/1024, "max-rss-MB")
}

// rssKiB reads a process's resident set size.
func rssKiB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(l)[1])
			return n
		}
	}
	return 0
}
