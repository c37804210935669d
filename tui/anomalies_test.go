package tui_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"stockroom/engine"
	"stockroom/model"
	"stockroom/tui"
)

// spikeDay is the day of the injected spike in newAnomalyEngine's store.
var spikeDay = model.MustDate("2026-09-15")

// newAnomalyEngine is the small test store plus 200 days of shop sales of
// SKU-0001 at DC1 with a weekly season and spikeDay's sales keyed ten
// times too high, imported the real way: the after-import step finds the
// spike, and the stock rules what the small store's thin stock does.
func newAnomalyEngine(tb testing.TB) (*engine.Engine, model.Anomaly) {
	tb.Helper()
	eng := newEngine(tb, 30)
	dir := tb.TempDir()
	start := model.MustDate("2026-04-14")
	r := rand.New(rand.NewPCG(5, 8))
	week := []float64{0.85, 0.9, 0.95, 1.0, 1.1, 1.35, 1.25}
	var b strings.Builder
	b.WriteString("date,order_id,sku,location,channel,qty,price\n")
	for d := start; d <= model.MustDate("2026-10-31"); d++ {
		lambda, q, p := 20*week[d.Weekday()], int64(0), 1.0
		for l := math.Exp(-lambda); ; q++ {
			if p *= r.Float64(); p <= l {
				break
			}
		}
		if d == spikeDay {
			q *= 10
		}
		fmt.Fprintf(&b, "%s,SHOP-%d,SKU-0001,DC1,shop,%d,5\n", d, d, q)
	}
	importFile(tb, eng, writeTemp(tb, dir, "receipts.csv", "date,sku,location,qty,kind,ref\n2026-04-14,SKU-0001,DC1,100000,receipt,PO-SHOP\n"))
	importFile(tb, eng, writeTemp(tb, dir, "shop-sales.csv", b.String()))
	as, err := eng.Anomalies(context.Background(), engine.AnomalyQuery{Detector: "robust_z", SKU: "SKU-0001"})
	if err != nil || len(as) != 1 || as[0].Date != spikeDay {
		tb.Fatalf("the spike was not found: %+v %v", as, err)
	}
	return eng, as[0]
}

func actorConsole(tb testing.TB, eng *engine.Engine, actor model.Actor) tea.Model {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return tui.New(tui.Options{Backend: fixedName{eng}, Keys: tui.DefaultKeyMap(), Styles: tui.NewStyles(r), Actor: actor})
}

// statusLine is the last line of the screen.
func statusLine(screen string) string {
	lines := strings.Split(screen, "\n")
	return lines[len(lines)-1]
}

func TestAnomalies_ListFilterAndOpen(t *testing.T) {
	eng, spike := newAnomalyEngine(t)
	open, err := eng.AnomalyCount(context.Background(), engine.AnomalyQuery{States: []model.AnomalyState{model.AnomalyOpen}})
	if err != nil || open < 2 {
		t.Fatalf("%d open anomalies (%v): the fixture should have several", open, err)
	}
	d := drive(t, newConsole(t, eng), 120, 40)
	d.keys(":anomalies{enter}")
	v := d.view()
	if !strings.Contains(v, "Anomalies open") || !strings.Contains(v, fmt.Sprintf("anomaly 1 of %d", open)) {
		t.Fatalf("the list:\n%s", v)
	}
	// Newest first: the cursor row is the newest day.
	newest, _ := eng.Anomalies(context.Background(), engine.AnomalyQuery{States: []model.AnomalyState{model.AnomalyOpen}, Limit: 1})
	if got := cursorLine(t, v); !strings.Contains(got, newest[0].Date.String()) || !strings.Contains(got, newest[0].Detector) {
		t.Errorf("first row %q, want %s %s", got, newest[0].Date, newest[0].Detector)
	}
	// The filter narrows to the spike; its chart and its detail show.
	d.keys("/det=robust_z{enter}")
	v = d.view()
	if !strings.Contains(v, "anomaly 1 of 1") {
		t.Fatalf("filtered:\n%s", v)
	}
	line := cursorLine(t, v)
	for _, want := range []string{spikeDay.String(), "robust_z", "SKU-0001 @ DC1/shop", formatQty(spike.Observed), "open"} {
		if !strings.Contains(line, want) {
			t.Errorf("spike row %q lacks %q", line, want)
		}
	}
	for _, want := range []string{fmt.Sprintf("#%d robust_z · score", spike.ID), "shop units sold · " + spikeDay.String() + " shaded"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
	// Other states: f steps through them.
	d.keys("f")
	if !strings.Contains(d.view(), "Anomalies confirmed") || !strings.Contains(d.view(), "no confirmed anomalies match the filter") {
		t.Errorf("after f:\n%s", d.view())
	}
	d.keys("{esc}") // clears the filter
	if strings.Contains(d.view(), "det=robust_z") {
		t.Errorf("esc kept the filter:\n%s", d.view())
	}
	d.keys("fffff") // round to open again
	if !strings.Contains(d.view(), "Anomalies open") {
		t.Fatalf("back to open:\n%s", d.view())
	}
	// By score: the highest first.
	d.keys("s")
	top, _ := eng.Anomalies(context.Background(), engine.AnomalyQuery{States: []model.AnomalyState{model.AnomalyOpen}, Sort: engine.AnomalyByScore, Limit: 1})
	if v := d.view(); !strings.Contains(v, "Anomalies open by score") || !strings.Contains(cursorLine(t, v), fmt.Sprintf("%.2f", top[0].Score)) {
		t.Errorf("by score:\n%s", v)
	}
	// enter opens the item at the anomaly's location; esc comes back.
	d.keys("s/sku=SKU-0001 det=robust_z{enter}{enter}")
	if v := d.view(); !strings.Contains(v, "Anomalies open /sku=SKU-0001 det=robust_z › SKU-0001 @ DC1") {
		t.Errorf("enter:\n%s", v)
	}
	d.keys("{esc}")
	if v := d.view(); !strings.Contains(v, "anomaly 1 of 1") || strings.Contains(v, "› SKU-0001 @ DC1") {
		t.Errorf("back from the item:\n%s", v)
	}
}

func formatQty(x float64) string { return fmt.Sprintf("%.0f", x) }

// TestAnomalies_Actions: actions from the keyboard carry the version seen;
// a conflict shows in the status line; corrections take a value.
func TestAnomalies_Actions(t *testing.T) {
	ctx := context.Background()
	eng, spike := newAnomalyEngine(t)
	alice := model.Actor{Name: "alice", Role: model.RoleOperator}
	d := drive(t, actorConsole(t, eng, alice), 120, 40)
	d.keys(":anomalies all{enter}/det=robust_z{enter}")
	if !strings.Contains(d.view(), "anomaly 1 of 1") {
		t.Fatalf("filtered:\n%s", d.view())
	}
	// Confirm it.
	d.keys("c")
	a, _ := eng.Anomaly(ctx, spike.ID)
	if a.State != model.AnomalyConfirmed || a.Version != 2 || a.By != "alice" {
		t.Fatalf("after c: %+v", a)
	}
	v := d.view()
	if !strings.Contains(statusLine(v), fmt.Sprintf("#%d open → confirmed (v1 → v2) · anomaly 1 of 1", spike.ID)) || !strings.Contains(cursorLine(t, v), "confirmed") {
		t.Errorf("after c:\n%s", v)
	}
	if !strings.Contains(v, "confirm confirmed by alice (v1)") {
		t.Errorf("the log is not shown:\n%s", v)
	}

	// Someone else dismisses it meanwhile; this screen still shows v2.
	if _, err := eng.ActOnAnomaly(ctx, model.Actor{Name: "bob", Role: model.RoleAdmin}, spike.ID,
		model.ActionRequest{Action: model.ActDismiss, Version: 2}); err != nil {
		t.Fatal(err)
	}
	d.keys("x")
	v = d.view()
	if st := statusLine(v); !strings.Contains(st, fmt.Sprintf("#%d changed since you saw version 2", spike.ID)) {
		t.Errorf("conflict not in the status line: %q", st)
	}
	if a, _ := eng.Anomaly(ctx, spike.ID); a.State != model.AnomalyDismissed || a.Version != 3 {
		t.Errorf("the stale exclude changed it: %+v", a)
	}
	// The screen reloaded: it shows bob's dismissal now.
	if line := cursorLine(t, v); !strings.Contains(line, "dismissed") || !strings.Contains(v, "v3") {
		t.Errorf("after the conflict:\n%s", v)
	}

	// Reopen, then correct: e asks for the value (esc cancels).
	d.keys("u")
	d.keys("e")
	if v := d.view(); !strings.Contains(v, fmt.Sprintf("correct SKU-0001 @ DC1/shop on %s from %g to:", spikeDay, spike.Observed)) {
		t.Fatalf("correction prompt:\n%s", v)
	}
	d.keys("{esc}")
	if a, _ := eng.Anomaly(ctx, spike.ID); a.State != model.AnomalyOpen || a.Version != 4 {
		t.Fatalf("after reopen and a cancelled correction: %+v", a)
	}
	d.keys("e19x{backspace}{enter}")
	a, _ = eng.Anomaly(ctx, spike.ID)
	if a.State != model.AnomalyCorrected || a.Replacement != 19 || a.Version != 5 {
		t.Fatalf("after e19: %+v", a)
	}
	if v := d.view(); !strings.Contains(v, "· 19 for forecasting") || !strings.Contains(v, "correct corrected by alice (v4) = 19") {
		t.Errorf("after e19:\n%s", v)
	}
	ov, _ := eng.TrainingOverrides(ctx, "SKU-0001", "DC1", "shop")
	if len(ov) != 1 || ov[0].Replacement != 19 {
		t.Errorf("training overrides %+v", ov)
	}
	// Exclude it: under the open filter it leaves the list.
	d.keys("x")
	if a, _ := eng.Anomaly(ctx, spike.ID); a.State != model.AnomalyExcluded {
		t.Fatalf("after x: %+v", a)
	}
	d.keys(":anomalies{enter}/det=robust_z{enter}")
	if v := d.view(); !strings.Contains(v, "no open anomalies match the filter") {
		t.Errorf("excluded still listed as open:\n%s", v)
	}
}

func TestAnomalies_ViewerRefused(t *testing.T) {
	ctx := context.Background()
	eng, spike := newAnomalyEngine(t)
	d := drive(t, actorConsole(t, eng, model.Actor{Name: "vic", Role: model.RoleViewer}), 100, 30)
	d.keys(":anomalies{enter}/det=robust_z{enter}")
	for _, k := range []string{"d", "c", "x", "u", "e"} {
		d.keys(k)
		if st := statusLine(d.view()); !strings.Contains(st, "needs the operator role (you are viewer)") {
			t.Errorf("%s: status %q", k, st)
		}
	}
	if a, _ := eng.Anomaly(ctx, spike.ID); a.State != model.AnomalyOpen || a.Version != 1 {
		t.Errorf("a viewer changed it: %+v", a)
	}
	// The command takes a state; a wrong one says so.
	d.keys(":anomalies lost{enter}")
	if st := statusLine(d.view()); !strings.Contains(st, `"lost" is not a state`) {
		t.Errorf("bad state: %q", st)
	}
}

// TestAnomalies_Golden snapshots the screen at 80×24 and 160×48 (colour
// off) with the spike selected: go test ./tui -run Anomalies_Golden -update.
func TestAnomalies_Golden(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			eng, _ := newAnomalyEngine(t)
			tm := teatest.NewTestModel(t, newConsole(t, eng), teatest.WithInitialTermSize(size.w, size.h))
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "row 1 of 90") },
				teatest.WithDuration(5*time.Second))
			for _, k := range ":anomalies" {
				tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{k}})
			}
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "on hand ·") },
				teatest.WithDuration(5*time.Second))
			// The oldest open anomaly is the spike: the last row.
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("G")})
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "shop units sold ·") },
				teatest.WithDuration(5*time.Second))
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
			fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
			teatest.RequireEqualOutput(t, []byte(fm.View()))
		})
	}
}

// A bare word in the / filter matches the sku, the file or the detector
// fuzzily, as the stock table's filter does; it used to have to be an
// exact sku.
func TestAnomalies_FilterWords(t *testing.T) {
	eng, spike := newAnomalyEngine(t)
	want, err := eng.AnomalyCount(context.Background(), engine.AnomalyQuery{Detector: spike.Detector, SKU: spike.SKU,
		States: []model.AnomalyState{model.AnomalyOpen}})
	if err != nil || want != 1 {
		t.Fatalf("fixture: %d %v", want, err)
	}
	d := drive(t, newConsole(t, eng), 120, 40)
	d.keys(":anomalies{enter}")
	d.keys("/sku0001 rbst{enter}") // SKU-0001, robust_z
	v := d.view()
	if !strings.Contains(v, "anomaly 1 of 1") || !strings.Contains(cursorLine(t, v), "robust_z") {
		t.Errorf("filtered by words:\n%s", v)
	}
}

// The item screen's caption names the item's anomalies: at 200 columns
// the latest with their day and score, at 80 the count whole rather than
// half the list.
func TestItem_AnomalyCaption(t *testing.T) {
	eng, _ := newAnomalyEngine(t)
	as, err := eng.Anomalies(context.Background(), engine.AnomalyQuery{SKU: "SKU-0001"})
	if err != nil {
		t.Fatal(err)
	}
	var n, open int
	for _, a := range as {
		if a.Location == "DC1" {
			n++
			if a.State == model.AnomalyOpen {
				open++
			}
		}
	}
	count := fmt.Sprintf("%d anomalies, %d open", n, open)
	if n == 1 {
		count = fmt.Sprintf("1 anomaly, %d open", open)
	}
	for _, size := range []struct {
		w, h   int
		detail bool
	}{{200, 50, true}, {80, 24, false}} {
		d := drive(t, actorConsole(t, eng, operator), size.w, size.h)
		d.keys(":item SKU-0001 DC1{enter}")
		var caption string
		for _, l := range strings.Split(d.view(), "\n") {
			if strings.Contains(l, "out of stock (shaded)") {
				caption = l
			}
		}
		if !strings.Contains(caption, count) || strings.Contains(caption, "…") ||
			strings.Contains(caption, count+": ") != size.detail {
			t.Errorf("%dx%d caption %q, want %q with the latest listed: %v", size.w, size.h, caption, count, size.detail)
		}
	}
}

// The latest action on an anomaly shows whole, note and all, at 100
// columns; it was cut at the pane's width.
func TestAnomalies_LatestActionWhole(t *testing.T) {
	eng, spike := newAnomalyEngine(t)
	note := "part of a category-wide move: tools rose in the week of 2026-09-14; see category_shift on SKU-0002 @ DC1/web, 2026-09-15"
	if _, err := eng.ActOnAnomaly(context.Background(), model.Actor{Name: "bob", Role: model.RoleAdmin}, spike.ID,
		model.ActionRequest{Action: model.ActDismiss, Version: spike.Version, User: "bob", At: time.Now(), Note: note}); err != nil {
		t.Fatal(err)
	}
	d := drive(t, actorConsole(t, eng, operator), 100, 40)
	// The fixture's late receipt dismissed stock findings too: filter to the spike.
	d.keys(":anomalies dismissed{enter}/det=robust_z{enter}")
	v := d.view()
	if !strings.Contains(v, "dismissed by bob (v1): part of a category-wide move") || !strings.Contains(v, "SKU-0002 @ DC1/web, 2026-09-15") {
		t.Errorf("the latest action is cut:\n%s", v)
	}
}

// At 80 columns the correction prompt offers the whole expected value
// (bubbles took the question's width off it and left one digit).
func TestAnomalies_CorrectPromptAt80(t *testing.T) {
	eng, spike := newAnomalyEngine(t)
	if math.Round(spike.Expected) < 10 {
		t.Fatalf("the spike's expected value %g has one digit: the test needs two", spike.Expected)
	}
	d := drive(t, actorConsole(t, eng, operator), 80, 24)
	d.keys(":anomalies all{enter}/det=robust_z{enter}e")
	want := fmt.Sprintf("from %g to: %g", spike.Observed, math.Round(spike.Expected))
	if v := d.view(); !strings.Contains(v, want) {
		t.Errorf("prompt lacks %q:\n%s", want, v)
	}
}
