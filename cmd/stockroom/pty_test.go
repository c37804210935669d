package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"

	"stockroom/data"
)

// screenLog collects what a process writes to its terminal.
type screenLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// answer reads a pseudo-terminal into screen and answers the queries a
// real terminal answers (background colour, cursor position): Bubble Tea
// asks at start and waits up to five seconds for a reply.
func answer(f io.ReadWriter, screen *screenLog) {
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			b := buf[:n]
			if bytes.Contains(b, []byte("\x1b]11;?")) {
				f.Write([]byte("\x1b]11;rgb:0000/0000/0000\x1b\\"))
			}
			if bytes.Contains(b, []byte("\x1b[6n")) {
				f.Write([]byte("\x1b[1;1R"))
			}
			screen.Write(b)
		}
		if err != nil {
			return
		}
	}
}

func (s *screenLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screenLog) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansi.Strip(s.buf.String())
}

func (s *screenLog) waitFor(t *testing.T, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(s.text(), want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tail := s.text()
	if len(tail) > 3000 {
		tail = tail[len(tail)-3000:]
	}
	t.Fatalf("%q not on screen after %v; screen ends:\n%s", want, d, tail)
}

// TestConsole_RealTerminal runs the real binary in a pseudo-terminal:
// the console draws, filters from the keyboard, shows a commit made by
// another process within a second, and quits on q.
func TestConsole_RealTerminal(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	if _, errOut, code := runCLI(t, nil, "import", "--db", db, good); code != 0 {
		t.Fatal(errOut)
	}
	cmd := exec.Command(os.Args[0], "--db", db)
	cmd.Env = append(os.Environ(), "STOCKROOM_TEST_MAIN=1", "TERM=xterm-256color")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	screen := &screenLog{}
	go answer(f, screen)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	screen.waitFor(t, "row 1 of 4", 10*time.Second)
	// Keys one at a time, as a person types.
	for _, k := range []string{"/", "h", "m", "r", "\r"} {
		f.WriteString(k)
		time.Sleep(30 * time.Millisecond)
	}
	screen.waitFor(t, "row 1 of 1", 5*time.Second)
	if !strings.Contains(screen.text(), "HMR-16") {
		t.Errorf("filtered row missing")
	}

	// Another process commits: the console shows it without a keypress.
	st, err := data.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sales.csv")
	os.WriteFile(p, []byte("date,order_id,sku,location,channel,qty,price\n2026-11-07,LIVE-1,HMR-16,DC1,web,13,12.5\n"), 0o644)
	start := time.Now()
	if r, err := st.ImportFile(context.Background(), p, data.ImportOptions{}); err != nil || r.RowsOK != 1 {
		t.Fatal(err, r)
	}
	st.Close()
	screen.waitFor(t, " 100 ", 5*time.Second) // 113 − 13
	if d := time.Since(start); d > 3*time.Second {
		t.Logf("live refresh took %v", d) // the benchmark measures it; this only reports
	}

	f.WriteString("q")
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("q did not quit")
	}
}
