package tui_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"stockroom/data"
	"stockroom/data/benchgen"
	"stockroom/engine"
	"stockroom/model"
)

// benchEngine opens the console benchmarks' store (benchgen.ConsoleStore),
// building it on first use. Benchmarks that write to it pass a copy.
func benchEngine(b *testing.B) *engine.Engine {
	b.Helper()
	path, err := benchgen.BuildConsoleStore(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return openBenchEngine(b, path)
}

func openBenchEngine(b *testing.B, path string) *engine.Engine {
	b.Helper()
	st, err := data.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return engine.New(st)
}

// BenchmarkKeypress measures a keypress to its rendered frame (Update and
// View) on the console of a 100,000-item store at 200×50, and reports the
// median and 99th percentile. Work a key starts in the background (the
// next page, a filtered query) runs between keypresses, outside the
// timing; the "-results" cases time the round trip instead: the key, the
// query it starts and the frame showing its rows (the row count, a scan
// of the whole filtered table, arrives after, as it does in the program).
//
//	go test ./tui -run '^$' -bench Keypress -benchtime 2000x
func BenchmarkKeypress(b *testing.B) {
	eng := benchEngine(b)
	cases := []struct {
		name string
		keys []tea.KeyMsg
		wait bool // include the background work in the timing
	}{
		{"scroll", []tea.KeyMsg{key("j"), key("j"), key("j"), {Type: tea.KeyPgDown}, key("k"), {Type: tea.KeyPgUp}, key("j"), {Type: tea.KeyPgDown}}, false},
		{"filter", filterKeys, false},
		{"filter-results", filterKeys, true},
		{"sort", []tea.KeyMsg{key("s")}, false},
		{"sort-results", []tea.KeyMsg{key("s")}, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			d := drive(b, newConsole(b, eng), 200, 50)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				msg := c.keys[i%len(c.keys)]
				t0 := time.Now()
				m, cmd := d.m.Update(msg)
				d.m = m
				var rest []tea.Cmd
				if c.wait {
					// Until the screen shows the key's result (the row count
					// may still be on its way, as it is in the program).
					before := d.m.View()
					rest = d.runUntil(cmd, func() bool { return d.m.View() != before })
				}
				_ = d.m.View()
				lat = append(lat, time.Since(t0))
				b.StopTimer()
				if !c.wait {
					d.run(cmd)
				}
				for _, c := range rest {
					d.run(c)
				}
				b.StartTimer()
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			if !strings.Contains(d.view(), "of 300,000") && !strings.Contains(d.view(), "row") {
				b.Fatalf("unexpected screen:\n%s", d.view())
			}
		})
	}
}

// filterKeys type a filter, take it back and leave.
var filterKeys = []tea.KeyMsg{key("/"), key("d"), key("r"), key("i"), {Type: tea.KeyBackspace}, {Type: tea.KeyBackspace},
	{Type: tea.KeyBackspace}, {Type: tea.KeyEsc}}

func key(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// BenchmarkDropToScreen measures a 10,000-line sales file dropped into a
// watched folder to the console showing its effect: the watcher's quiet
// period, the import, the change notice and the redraw. It runs a real
// program (teatest) on the 100,000-item store.
//
//	go test ./tui -run '^$' -bench DropToScreen -benchtime 5x
func BenchmarkDropToScreen(b *testing.B) {
	path, err := benchgen.CopyConsoleStore(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	eng := openBenchEngine(b, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	drop := b.TempDir()
	go eng.Watch(ctx, []string{drop}, engine.WatchOptions{})
	tm := teatest.NewTestModel(b, newLiveConsole(b, eng), teatest.WithInitialTermSize(200, 50))
	defer tm.Quit()
	teatest.WaitFor(b, tm.Output(), func(o []byte) bool { return bytes.Contains(o, []byte("row 1 of")) }, teatest.WithDuration(30*time.Second))
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rows, err := eng.StockPage(ctx, model.StockQuery{Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		first := rows[0]
		// 10,000 lines; the first sells 7 of the first row's item there.
		var sb strings.Builder
		sb.WriteString("date,order_id,sku,location,channel,qty,price\n")
		fmt.Fprintf(&sb, "2026-11-24,DROP-%d-0,%s,%s,web,7,9.99\n", i, first.SKU, first.Location)
		for j := 1; j < 10_000; j++ {
			fmt.Fprintf(&sb, "2026-11-24,DROP-%d-%d,SKU%06d,ST2,web,1,9.99\n", i, j, 1000+j)
		}
		tmp := filepath.Join(drop, fmt.Sprintf("sales-drop-%d.csv.tmp", i))
		if err := os.WriteFile(tmp, []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		// The first row itself, with its new on-hand figure (the pane or
		// the status line may show the same number elsewhere).
		want := regexp.MustCompile(fmt.Sprintf(`%s[^\n]*?\s%s\s+%d\s`, regexp.QuoteMeta(first.SKU), regexp.QuoteMeta(first.Location), first.OnHand-7))
		b.StartTimer()
		t0 := time.Now()
		if err := os.Rename(tmp, strings.TrimSuffix(tmp, ".tmp")); err != nil {
			b.Fatal(err)
		}
		teatest.WaitFor(b, tm.Output(), func(o []byte) bool { return want.Match(o) },
			teatest.WithDuration(30*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max-ms")
}
