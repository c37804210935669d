package tui_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"

	"stockroom/engine"
	"stockroom/model"
)

// row returns the line of the screen that starts with the cursor mark.
func cursorLine(t *testing.T, screen string) string {
	t.Helper()
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "›") {
			return l
		}
	}
	t.Fatalf("no cursor on screen:\n%s", screen)
	return ""
}

func TestStock_Scroll(t *testing.T) {
	eng := newEngine(t, 200) // 600 rows: many screens
	d := drive(t, newConsole(t, eng), 100, 20)
	if got := cursorLine(t, d.view()); !strings.Contains(got, "SKU-0000") || !strings.Contains(got, "DC1") {
		t.Fatalf("first row: %q", got)
	}
	if !strings.Contains(d.view(), "row 1 of 600") {
		t.Errorf("status: %s", d.view())
	}
	d.keys("jj")
	if got := cursorLine(t, d.view()); !strings.Contains(got, "SKU-0000") || !strings.Contains(got, "ST2") {
		t.Errorf("after jj: %q", got)
	}
	// Page down far past the first fetched page: the view keeps fetching.
	for range 40 {
		d.keys("{pgdown}")
	}
	if !strings.Contains(d.view(), "row 600 of 600") {
		t.Errorf("after 40 pages: %s", d.view())
	}
	if got := cursorLine(t, d.view()); !strings.Contains(got, "SKU-0199") || !strings.Contains(got, "ST2") {
		t.Errorf("last row: %q", got)
	}
	d.keys("g")
	if !strings.Contains(d.view(), "row 1 of 600") {
		t.Errorf("after g: %s", d.view())
	}
	d.keys("G")
	if got := cursorLine(t, d.view()); !strings.Contains(got, "SKU-0199") || !strings.Contains(d.view(), "row 600 of 600") {
		t.Errorf("after G: %q", got)
	}
	// Up from the bottom across a page boundary.
	for range 30 {
		d.keys("k")
	}
	if !strings.Contains(d.view(), "row 570 of 600") {
		t.Errorf("after 30×k: %s", d.view())
	}
}

func TestStock_FilterAndSort(t *testing.T) {
	eng := newEngine(t, 40)
	d := drive(t, newConsole(t, eng), 120, 30)
	d.keys("/drl loc=ST1")
	if !strings.Contains(d.view(), "row 1 of 10") { // the 10 drills at ST1
		t.Fatalf("filter: %s", d.view())
	}
	for _, l := range strings.Split(d.view(), "\n")[2:12] {
		if !strings.Contains(l, "Drill") || !strings.Contains(l, "ST1") {
			t.Errorf("row does not match the filter: %q", l)
		}
	}
	d.keys("{enter}")
	if !strings.Contains(d.view(), "/drl loc=ST1") {
		t.Errorf("the applied filter is not shown")
	}
	// A half-typed condition says what is wrong until it is complete.
	d.keys("/ cover<")
	if !strings.Contains(d.view(), "cover< needs a number") {
		t.Errorf("bad condition: %s", d.view())
	}
	d.keys("1e6{enter}")
	if !strings.Contains(d.view(), "row 1 of 10") {
		t.Errorf("cover<1e6: %s", d.view())
	}
	d.keys("{esc}")
	if !strings.Contains(d.view(), "row 1 of 120") {
		t.Errorf("esc should clear the filter: %s", d.view())
	}
	// Sort: s cycles sku → name → location → on hand; S reverses.
	d.keys("sss")
	if !strings.Contains(d.view(), "ON HAND▲") {
		t.Fatalf("sort by on hand: %s", d.view())
	}
	first := cursorLine(t, d.view())
	d.keys("S")
	if !strings.Contains(d.view(), "ON HAND▼") || cursorLine(t, d.view()) == first {
		t.Errorf("reverse sort: %s", d.view())
	}
}

func TestStock_ManyRunesInOneMessage(t *testing.T) {
	eng := newEngine(t, 20)
	d := drive(t, newConsole(t, eng), 100, 20)
	// Over SSH "jjj" arrives as one message; it must move three rows.
	d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jjj")})
	if !strings.Contains(d.view(), "row 4 of 60") {
		t.Errorf("after one message of jjj: %s", d.view())
	}
	// "/ham" in one message opens the filter and types ham.
	d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/ham")})
	if !strings.Contains(d.view(), "row 1 of 15") {
		t.Errorf("after /ham: %s", d.view())
	}
}

func TestStock_Help(t *testing.T) {
	eng := newEngine(t, 5)
	d := drive(t, newConsole(t, eng), 100, 30)
	d.keys("?")
	for _, want := range []string{"page down", "filter", "reverse sort", "quit"} {
		if !strings.Contains(d.view(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	d.keys("x") // any key closes help
	if strings.Contains(d.view(), "page down") {
		t.Errorf("help still open")
	}
}

// TestStock_Golden snapshots whole screens at 80×24 and 160×48 (colour
// off): go test ./tui -run Golden -update.
func TestStock_Golden(t *testing.T) {
	for _, size := range []struct {
		w, h int
		last string // the bottom row: the screen is full once it shows
	}{{80, 24, `SKU-0006\s+Saw 6\s+ST1`}, {160, 48, `SKU-0014\s+Saw 14`}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			eng := newEngine(t, 30)
			tm := teatest.NewTestModel(t, newConsole(t, eng), teatest.WithInitialTermSize(size.w, size.h))
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
				return strings.Contains(string(b), "row 1 of 90") && regexp.MustCompile(size.last).Match(b)
			}, teatest.WithDuration(10*time.Second))
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")})
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")})
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "row 3 of 90") },
				teatest.WithDuration(5*time.Second))
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
			fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
			teatest.RequireEqualOutput(t, []byte(fm.View()))
		})
	}
}

// A row whose stock and orders are under its reorder point says so in
// the ROP column ("<38"), whatever its days of cover; the others do not.
func TestStock_BelowReorderPoint(t *testing.T) {
	eng := newProposalEngine(t)
	open := map[string]model.Proposal{}
	for _, p := range openProposals(t, eng) {
		open[p.SKU+" "+p.Location] = p
	}
	d := drive(t, newConsole(t, eng), 120, 40)
	var marked, plain int
	for _, line := range strings.Split(d.view(), "\n") {
		f := strings.Fields(strings.TrimLeft(line, "›! "))
		if len(f) < 4 || !strings.HasPrefix(f[0], "SKU-") {
			continue
		}
		p, ok := open[f[0]+" "+f[3]]
		switch {
		case ok && p.Kind == model.ProposalPurchase:
			if want := fmt.Sprintf("<%d", p.Reasons.ReorderPoint); !strings.Contains(line, want) {
				t.Errorf("%s @ %s has a proposal (position %d, reorder point %d) but no %q:\n%s", f[0], f[3], p.Reasons.Position, p.Reasons.ReorderPoint, want, line)
			}
			marked++
		case !ok:
			if strings.Contains(line, " <") {
				t.Errorf("%s @ %s has no proposal but is marked:\n%s", f[0], f[3], line)
			}
			plain++
		}
	}
	if marked == 0 || plain == 0 {
		t.Errorf("%d marked and %d plain rows on screen: the test saw nothing\n%s", marked, plain, d.view())
	}
}

// From 180 columns the selected row's details sit beside the table and
// follow the cursor; narrower, the table has the whole width.
func TestStock_DetailPane(t *testing.T) {
	eng := newProposalEngine(t)
	d := drive(t, newConsole(t, eng), 200, 50)
	v := d.view()
	for _, want := range []string{"SKU-0000 Hammer 0", "@ DC1 · on hand", "reorder point", "/day by ", "proposal #", "from SUP1 · out of stock", "units sold a day, last 90 days", "recent ledger"} {
		if !strings.Contains(v, want) {
			t.Errorf("pane lacks %q:\n%s", want, v)
		}
	}
	d.keys("j")
	if v := d.view(); !strings.Contains(v, "@ ST1 · on hand") || strings.Contains(v, "@ DC1 · on hand") || !strings.Contains(v, "· out on 2026-11-") {
		t.Errorf("pane did not follow the cursor:\n%s", v)
	}
	for _, line := range strings.Split(d.view(), "\n") {
		if w := lipgloss.Width(line); w > 200 {
			t.Fatalf("line %d wide: %q", w, line)
		}
	}
	n := drive(t, newConsole(t, eng), 120, 30)
	if strings.Contains(n.view(), "recent ledger") {
		t.Errorf("pane at 120 columns")
	}
}

// The pane says why a delisted item has no proposal, and shows no
// reorder point for it.
func TestStock_PaneDelisted(t *testing.T) {
	eng := newProposalEngine(t)
	p := openProposals(t, eng)[0]
	importFile(t, eng, writeTemp(t, t.TempDir(), "items.csv", fmt.Sprintf("sku,name,supplier,delisted_on\n%s,%s,SUP1,2026-10-01\n", p.SKU, p.Name)))
	if _, err := eng.Plan(context.Background(), engine.PlanOptions{User: "plan", Now: planNow}); err != nil {
		t.Fatal(err)
	}
	d := drive(t, newConsole(t, eng), 200, 50)
	d.keys("/sku=" + p.SKU + " loc=" + p.Location + "{enter}")
	v := d.view()
	if !strings.Contains(v, "no proposal: delisted from 2026-10-01, never reordered") || !strings.Contains(v, "reorder point 0 · order up to 0") {
		t.Errorf("pane of a delisted item:\n%s", v)
	}
}
