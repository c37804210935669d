package tui_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/model"
	"stockroom/tui"
)

func init() {
	// Deterministic screens: no colour codes.
	lipgloss.SetColorProfile(termenv.Ascii)
}

// fixedName keeps the temporary store's path out of golden screens.
type fixedName struct{ *engine.Engine }

func (fixedName) Name() string { return "test.db" }

// Subscribe returns a closed channel: the driver runs commands one at a
// time and must not wait on a subscription. Live updates are tested with
// a real program (teatest).
func (fixedName) Subscribe() (<-chan model.Change, func()) {
	ch := make(chan model.Change)
	close(ch)
	return ch, func() {}
}

// newEngine builds a store of n items at three locations with sales and
// receipts over 40 days, from generated files imported the real way.
func newEngine(tb testing.TB, n int) *engine.Engine {
	tb.Helper()
	dir := tb.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("locations.csv", "code,name,kind,lat,lon\nDC1,Depot,depot,52.48,-1.89\nST1,Store one,store,,\nST2,Store two,store,,\n")
	var items, moves, sales strings.Builder
	items.WriteString("sku,name,category,uom,unit_cost,price,supplier,pack_size,moq\n")
	moves.WriteString("date,sku,location,qty,kind,ref\n")
	sales.WriteString("date,order_id,sku,location,channel,qty,price\n")
	order := 0
	for i := range n {
		fmt.Fprintf(&items, "SKU-%04d,%s %d,%s,ea,2,5,SUP1,1,0\n", i, []string{"Hammer", "Drill", "Saw", "Seeds"}[i%4], i, []string{"tools", "garden"}[i%2])
		for l, loc := range []string{"DC1", "ST1", "ST2"} {
			fmt.Fprintf(&moves, "2026-10-01,SKU-%04d,%s,%d,receipt,PO-%d-%d\n", i, loc, 5+(i*7+l*13)%90, i, l)
			for d := 0; d < 40; d++ {
				if (i+d*l+d)%3 != 0 {
					continue
				}
				order++
				fmt.Fprintf(&sales, "2026-10-%02d,SO-%d,SKU-%04d,%s,web,%d,5\n", 1+d%31, order, i, loc, 1+(i+d)%3)
			}
		}
	}
	write("items.csv", items.String())
	write("movements.csv", moves.String())
	write("sales.csv", sales.String())
	st, err := data.Open(context.Background(), filepath.Join(dir, "test.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	eng := engine.New(st)
	res, err := eng.Import(context.Background(), []string{dir}, data.ImportOptions{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range res {
		if r.Failed() || r.RowsRejected > 0 {
			tb.Fatalf("%s: %s %+v", r.Path, r.Error, r.Errors)
		}
	}
	return eng
}

func newConsole(tb testing.TB, eng *engine.Engine) tea.Model {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return tui.New(tui.Options{Backend: fixedName{eng}, Keys: tui.DefaultKeyMap(), Styles: tui.NewStyles(r)})
}

// newLiveConsole is a console with the engine's real change subscription
// and polling, for tests and benchmarks that run a real program.
func newLiveConsole(tb testing.TB, eng *engine.Engine) tea.Model {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return tui.New(tui.Options{Backend: eng, Keys: tui.DefaultKeyMap(), Styles: tui.NewStyles(r), Poll: 500 * time.Millisecond})
}

// driver runs a model's Update and its commands synchronously, the way
// the program would. Consoles under test have no ticks (Poll 0) and a
// closed subscription, so every command returns.
type driver struct {
	tb testing.TB
	m  tea.Model
}

func drive(tb testing.TB, m tea.Model, w, h int) *driver {
	d := &driver{tb: tb, m: m}
	d.run(m.Init())
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	return d
}

func (d *driver) send(msg tea.Msg) {
	m, cmd := d.m.Update(msg)
	d.m = m
	d.run(cmd)
}

// keys sends each key of s as its own message; names in {} are special
// keys: {enter}, {esc}, {down}, {up}, {pgdown}, {pgup}, {backspace}.
func (d *driver) keys(s string) {
	for len(s) > 0 {
		if s[0] == '{' {
			end := strings.IndexByte(s, '}')
			name := s[1:end]
			s = s[end+1:]
			t := map[string]tea.KeyType{"enter": tea.KeyEnter, "esc": tea.KeyEsc, "down": tea.KeyDown, "up": tea.KeyUp,
				"pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp, "backspace": tea.KeyBackspace}[name]
			d.send(tea.KeyMsg{Type: t})
			continue
		}
		r := []rune(s)[0]
		s = s[len(string(r)):]
		if r == '\t' {
			d.send(tea.KeyMsg{Type: tea.KeyTab})
			continue
		}
		d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func (d *driver) run(cmd tea.Cmd) { d.runUntil(cmd, nil) }

// runUntil runs commands until stop says so (after an Update) or none are
// left; it returns the commands not run yet.
func (d *driver) runUntil(cmd tea.Cmd, stop func() bool) []tea.Cmd {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(20 * time.Second):
			d.tb.Fatalf("a command did not return in 20s")
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
			return nil
		default:
			m, next := d.m.Update(msg)
			d.m = m
			queue = append(queue, next)
			if stop != nil && stop() {
				return queue
			}
		}
	}
	return nil
}

func (d *driver) view() string { return d.m.View() }

func writeTemp(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func importFile(tb testing.TB, eng *engine.Engine, path string) data.FileResult {
	tb.Helper()
	res, err := eng.Import(context.Background(), []string{path}, data.ImportOptions{}, nil)
	if err != nil || len(res) != 1 {
		tb.Fatal(err)
	}
	return res[0]
}

// Goldens show times of day (audit logs); they are rendered in the local
// zone, so pin it.
func init() { time.Local = time.UTC }
