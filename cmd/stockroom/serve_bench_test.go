package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"stockroom/data"
	"stockroom/data/benchgen"
)

// benchDepot builds (once, cached in the temp folder) a store of n items
// at 3 locations with a month of sales.
func benchDepot(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("stockroom-ops-bench-%d.db", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	dir := b.TempDir()
	files, err := benchgen.WriteStore(dir, benchgen.StoreOptions{Items: n, Days: 30, End: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	tmp := path + ".building"
	os.Remove(tmp)
	st, err := data.Open(context.Background(), tmp)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range files {
		if _, err := st.ImportFile(context.Background(), f, data.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkServe_SSHScroll: 20 people scroll the stock table of a
// 20,000-item store (60,000 rows) over SSH at once, each pressing down
// every 30–60 ms. One iteration is one keypress in every session; the
// latency is from the key's write to the first bytes of the frame that
// answers it, measured by a real SSH client (x/crypto/ssh).
func BenchmarkServe_SSHScroll(b *testing.B) {
	const sessions = 20
	src := benchDepot(b, 20000)
	dir := b.TempDir()
	db := filepath.Join(dir, "depot.db")
	raw, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(db, raw, 0o644)
	who := newPerson(b, "bench")
	os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(who.line("viewer")+"\n"), 0o600)
	p := startServe(b, serveArgs(db, dir, "--poll", "500ms")...)

	type conn struct {
		cl     *gossh.Client
		sess   *gossh.Session
		in     io.Writer
		frames chan time.Time
	}
	conns := make([]*conn, sessions)
	for i := range conns {
		cl, _, err := dial(p.addr, who)
		if err != nil {
			b.Fatal(err)
		}
		s, err := cl.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		out, _ := s.StdoutPipe()
		in, _ := s.StdinPipe()
		if err := s.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
			b.Fatal(err)
		}
		if err := s.Shell(); err != nil {
			b.Fatal(err)
		}
		c := &conn{cl: cl, sess: s, in: in, frames: make(chan time.Time, 1024)}
		ready := make(chan struct{})
		go func() {
			buf := make([]byte, 64<<10)
			var seen strings.Builder
			for {
				n, err := out.Read(buf)
				if n > 0 {
					if ready != nil {
						seen.Write(buf[:n])
						if strings.Contains(seen.String(), "row 1 of") {
							close(ready)
							ready = nil
						}
						continue
					}
					select {
					case c.frames <- time.Now():
					default:
					}
				}
				if err != nil {
					close(c.frames)
					return
				}
			}
		}()
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			b.Fatalf("session %d never drew the stock screen", i)
		}
		conns[i] = c
	}
	// Every login writes an audit line, and every open console reloads on
	// a commit: let that settle before timing keys.
	settle := time.Now().Add(15 * time.Second)
	for quiet := 0; quiet < 10 && time.Now().Before(settle); {
		time.Sleep(200 * time.Millisecond)
		quiet++
		for _, c := range conns {
			if len(c.frames) > 0 {
				quiet = 0
			}
			for len(c.frames) > 0 {
				<-c.frames
			}
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < b.N; k++ {
				// Let any frame still in flight arrive, then press down.
				time.Sleep(time.Duration(30+(i*7+k*13)%30) * time.Millisecond)
				for len(c.frames) > 0 {
					<-c.frames
				}
				t0 := time.Now()
				c.in.Write([]byte("j"))
				select {
				case t1, ok := <-c.frames:
					if !ok {
						return
					}
					mu.Lock()
					lat = append(lat, t1.Sub(t0))
					mu.Unlock()
				case <-time.After(5 * time.Second):
					mu.Lock()
					lat = append(lat, 5*time.Second)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	q := func(f float64) float64 {
		return float64(lat[min(len(lat)-1, int(f*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(len(lat)), "keys")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
	for _, c := range conns {
		c.sess.Close()
		c.cl.Close()
	}
}
