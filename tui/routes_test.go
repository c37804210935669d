package tui_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
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

// routeDay is far ahead so that no run has left, whatever the clock says.
var routeDay = model.MustDate("2030-03-04")

// newRouteEngine adds to the small test store a 6×6 grid of two-way roads
// around DC1 (52.48, -1.89), three vans of 40 and ten deliveries on
// routeDay, imported the real way.
func newRouteEngine(tb testing.TB) *engine.Engine {
	tb.Helper()
	spots := [][2]int{{0, 0}, {0, 5}, {5, 0}, {5, 5}, {1, 3}, {4, 1}, {2, 4}, {3, 0}, {0, 2}, {5, 3}}
	return routeNetwork(tb, 6, spots, 3, 40)
}

// routeNetwork builds an n×n grid of two-way roads with deliveries at grid
// spots (slightly off the junctions) and vans vans of capacity capacity.
func routeNetwork(tb testing.TB, n int, spots [][2]int, vans int, capacity int) *engine.Engine {
	tb.Helper()
	eng := newEngine(tb, 3)
	dir := tb.TempDir()
	lat0, lon0 := 52.48-float64(n-1)*0.002, -1.89-float64(n-1)*0.003 // DC1 near the middle
	const dLat, dLon = 0.004, 0.006
	var nodes, roads strings.Builder
	nodes.WriteString("id,lat,lon\n")
	roads.WriteString("from,to,length_m,speed_kmh,oneway\n")
	id := func(i, j int) int { return 1 + i*n + j }
	for i := range n {
		for j := range n {
			fmt.Fprintf(&nodes, "%d,%.6f,%.6f\n", id(i, j), lat0+float64(i)*dLat, lon0+float64(j)*dLon)
			if j < n-1 {
				fmt.Fprintf(&roads, "%d,%d,%.1f,30,0\n", id(i, j), id(i, j+1), model.HaversineM(0, 0, 0, dLon)*math.Cos(lat0*math.Pi/180))
			}
			if i < n-1 {
				fmt.Fprintf(&roads, "%d,%d,%.1f,30,0\n", id(i, j), id(i+1, j), model.HaversineM(0, 0, dLat, 0))
			}
		}
	}
	var ds strings.Builder
	ds.WriteString("id,date,depot,customer,lat,lon,demand,service_min,ready_min,due_min\n")
	for k, s := range spots {
		fmt.Fprintf(&ds, "D-%02d,%s,DC1,Customer %d,%.6f,%.6f,%d,5,0,0\n", k+1, routeDay, k+1,
			lat0+float64(s[0])*dLat+0.0003, lon0+float64(s[1])*dLon+0.0004, 8+k%3*3)
	}
	var vs strings.Builder
	vs.WriteString("id,depot,capacity,shift_start_min,shift_end_min,max_duration_min\n")
	for v := range vans {
		fmt.Fprintf(&vs, "VAN%d,DC1,%d,480,1080,0\n", v+1, capacity)
	}
	for _, p := range []string{
		writeTemp(tb, dir, "nodes.csv", nodes.String()),
		writeTemp(tb, dir, "roads.csv", roads.String()),
		writeTemp(tb, dir, "vehicles.csv", vs.String()),
		writeTemp(tb, dir, "deliveries.csv", ds.String()),
	} {
		if r := importFile(tb, eng, p); r.Failed() || r.RowsRejected > 0 {
			tb.Fatalf("%s: %s %+v", p, r.Error, r.Errors)
		}
	}
	return eng
}

// planRoutes stores a plan made on one worker at a fixed time, so screens
// showing it are the same on every machine.
func planRoutes(tb testing.TB, eng *engine.Engine) *engine.RoutePlan {
	tb.Helper()
	p, err := eng.PlanRoutes(context.Background(), "DC1", routeDay, engine.RouteOptions{TimeLimit: 300 * time.Millisecond,
		Seed: 1, Workers: 1, User: "dispatch", Now: time.Date(2030, 3, 3, 16, 0, 0, 0, time.Local)})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestRoutes_Keys(t *testing.T) {
	eng := newRouteEngine(t)
	d := drive(t, newConsole(t, eng), 100, 30)
	d.keys(":routes{enter}")
	if !strings.Contains(d.view(), "no plan for DC1 on 2030-03-04 yet: press p to plan") || !strings.Contains(d.view(), "Routes DC1 2030-03-04") {
		t.Fatalf("before planning:\n%s", d.view())
	}
	d.keys("p") // the driver runs the planning command to its end
	v := d.view()
	if !strings.Contains(v, "DC1 2030-03-04") || !strings.Contains(v, "10 stops") || !strings.Contains(v, "run 1 of ") {
		t.Fatalf("after p:\n%s", v)
	}
	p, err := eng.LatestRoutePlan(context.Background(), "DC1", routeDay)
	if err != nil || p == nil {
		t.Fatalf("nothing stored: %v", err)
	}
	runs := len(p.Runs)
	if !strings.Contains(v, fmt.Sprintf("run 1 of %d", runs)) || !strings.Contains(v, fmt.Sprintf("plan %d by console at ", p.ID)) {
		t.Errorf("screen and stored plan disagree (%d runs, plan %d):\n%s", runs, p.ID, v)
	}
	// Every run has its row: vehicle, stops and load/capacity.
	for _, r := range p.Runs {
		if !strings.Contains(v, fmt.Sprintf("%-10s %5d %9s", r.Vehicle, len(r.Stops), fmt.Sprintf("%d/%d", r.Load, r.Capacity))) {
			t.Errorf("no row for %s (%d stops, %d/%d):\n%s", r.Vehicle, len(r.Stops), r.Load, r.Capacity, v)
		}
	}
	d.keys("j")
	if !strings.Contains(d.view(), fmt.Sprintf("run 2 of %d", runs)) || !strings.Contains(cursorLine(t, d.view()), p.Runs[1].Vehicle) {
		t.Fatalf("after j:\n%s", d.view())
	}
	// enter opens the run's stops in order.
	d.keys("{enter}")
	v = d.view()
	r := p.Runs[1]
	if !strings.Contains(v, "Routes DC1 2030-03-04 › "+r.Vehicle) || !strings.Contains(v, fmt.Sprintf("stop 1 of %d", len(r.Stops))) ||
		!strings.Contains(cursorLine(t, v), r.Stops[0].Delivery) {
		t.Fatalf("run screen:\n%s", v)
	}
	d.keys("G")
	if !strings.Contains(cursorLine(t, d.view()), r.Stops[len(r.Stops)-1].Delivery) {
		t.Errorf("G: not on the last stop:\n%s", d.view())
	}
	d.keys("{esc}")
	if !strings.Contains(d.view(), fmt.Sprintf("run 2 of %d", runs)) {
		t.Errorf("esc: not back on run 2:\n%s", d.view())
	}
	// p again re-plans from the stored plan: a new plan, nothing added.
	d.keys("p")
	if !strings.Contains(d.view(), fmt.Sprintf("plan %d by console at ", p.ID+1)) || !strings.Contains(d.view(), "replan: 0 added, 0 cancelled") {
		t.Errorf("second p:\n%s", d.view())
	}
}

func TestRoutes_Map(t *testing.T) {
	eng := newRouteEngine(t)
	p := planRoutes(t, eng)
	for _, size := range []struct{ w, h int }{{80, 24}, {160, 48}, {200, 50}} {
		d := drive(t, newConsole(t, eng), size.w, size.h)
		d.keys(":routes DC1 2030-03-04{enter}")
		v := d.view()
		lines := strings.Split(v, "\n")
		if len(lines) != size.h {
			t.Errorf("%dx%d: %d lines", size.w, size.h, len(lines))
		}
		for i, l := range lines {
			if w := lipgloss.Width(l); w > size.w {
				t.Errorf("%dx%d: line %d is %d wide: %q", size.w, size.h, i, w, l)
			}
		}
		// The depot once; the highlighted run's stops lettered A; the
		// other runs' stops as dots; roads in braille.
		if n := strings.Count(v, "■"); n != 1 {
			t.Errorf("%dx%d: %d depots on the map:\n%s", size.w, size.h, n, v)
		}
		others := 0
		for _, r := range p.Runs[1:] {
			others += len(r.Stops)
		}
		// Letters A also appear in text (the run column); count map cells only.
		mapA := 0
		for _, l := range lines[3:] {
			if size.w >= 120 {
				l = string([]rune(l)[min(len([]rune(l)), 77):])
			}
			mapA += strings.Count(l, "A")
		}
		// (The hint line separates keys with dots too: count the body only.)
		dots := func(v string) int {
			return strings.Count(strings.Join(strings.Split(v, "\n")[1:size.h-2], "\n"), "•")
		}
		if mapA < len(p.Runs[0].Stops) || dots(v) != others || !strings.ContainsAny(v, "⠁⠂⠄⡀⠈⠐⠠⢀⣀⠉⠒⠤") {
			t.Errorf("%dx%d: %d A marks for %d stops, %d dots for %d other stops:\n%s", size.w, size.h, mapA, len(p.Runs[0].Stops),
				dots(v), others, v)
		}
		// Wide: the map is beside the 76-column list; narrow: under it,
		// where the depot (in the middle of the stops) is left of column 76.
		depotCol := 0
		for _, l := range lines {
			if i := strings.Index(l, "■"); i >= 0 {
				depotCol = lipgloss.Width(l[:i])
			}
		}
		if beside := depotCol > 76; beside != (size.w >= 120) {
			t.Errorf("%dx%d: map beside the list %v:\n%s", size.w, size.h, beside, v)
		}
		// Moving the cursor moves the highlight: run 2's stops get the letters.
		d.keys("j")
		if dots(d.view()) != len(p.Runs[0].Stops)+others-len(p.Runs[1].Stops) {
			t.Errorf("%dx%d: after j, run 1 is not dotted:\n%s", size.w, size.h, d.view())
		}
	}
}

func TestRoutes_Args(t *testing.T) {
	eng := newRouteEngine(t)
	d := drive(t, newConsole(t, eng), 100, 30)
	d.keys(":routes 2030-03-05 DC1{enter}")
	if !strings.Contains(d.view(), "no plan for DC1 on 2030-03-05 yet") {
		t.Errorf("date then depot:\n%s", d.view())
	}
	d.keys(":routes DC1 ST1{enter}")
	if !strings.Contains(d.view(), "usage: :routes [DEPOT] [YYYY-MM-DD]") {
		t.Errorf("two depots:\n%s", d.view())
	}
	// A depot without deliveries says so.
	d.keys(":routes ST1{enter}")
	if !strings.Contains(d.view(), "no deliveries from ST1") {
		t.Errorf("ST1:\n%s", d.view())
	}
	// A depot the store does not have says which it has.
	d.keys(":routes ZZ{enter}")
	if v := d.view(); !strings.Contains(v, "no location ZZ (the store has DC1") || strings.Contains(v, "no deliveries from ZZ") {
		t.Errorf("ZZ:\n%s", v)
	}
	// Without roads or vans at all: the first screen says what to import.
	bare := drive(t, newConsole(t, newEngine(t, 2)), 100, 30)
	bare.keys(":routes{enter}")
	if !strings.Contains(bare.view(), "no vehicles yet") {
		t.Errorf("empty store:\n%s", bare.view())
	}
}

func TestRoutes_ViewerCannotPlan(t *testing.T) {
	eng := newRouteEngine(t)
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	m := tui.New(tui.Options{Backend: fixedName{eng}, Keys: tui.DefaultKeyMap(), Styles: tui.NewStyles(r),
		Actor: model.Actor{Name: "val", Role: model.RoleViewer}})
	d := drive(t, m, 100, 30)
	d.keys(":routes{enter}p")
	if !strings.Contains(d.view(), "planning routes needs the operator role (you are viewer)") {
		t.Errorf("viewer pressed p:\n%s", d.view())
	}
	if p, _ := eng.LatestRoutePlan(context.Background(), "DC1", routeDay); p != nil {
		t.Errorf("a viewer stored plan %d", p.ID)
	}
}

// TestRoutes_Live: a plan stored by someone else (here the engine) shows
// on an open Routes screen without a keypress.
func TestRoutes_Live(t *testing.T) {
	eng := newRouteEngine(t)
	tm := teatest.NewTestModel(t, newLiveConsole(t, eng), teatest.WithInitialTermSize(100, 30))
	tm.Type(":routes")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "press p to plan") },
		teatest.WithDuration(5*time.Second))
	planRoutes(t, eng)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "10 stops") },
		teatest.WithDuration(5*time.Second))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// TestRoutes_Golden snapshots the Routes screen at 80×24 and 160×48
// (colour off): go test ./tui -run TestRoutes_Golden -update.
func TestRoutes_Golden(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			eng := newRouteEngine(t)
			p := planRoutes(t, eng)
			tm := teatest.NewTestModel(t, newConsole(t, eng), teatest.WithInitialTermSize(size.w, size.h))
			tm.Type(":routes")
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
			want := fmt.Sprintf("run 1 of %d", len(p.Runs))
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), want) },
				teatest.WithDuration(5*time.Second))
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")})
			want = fmt.Sprintf("run 2 of %d", len(p.Runs))
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), want) },
				teatest.WithDuration(5*time.Second))
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
			fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
			teatest.RequireEqualOutput(t, []byte(fm.View()))
		})
	}
}

// BenchmarkRoutes_Keypress times moving the cursor on the Routes screen
// (which redraws the map) and rendering the frame, at 200×50, on 150
// deliveries over a 30×30 road grid planned into about a dozen runs:
// go test ./tui -run '^$' -bench Routes -benchtime 300x
func BenchmarkRoutes_Keypress(b *testing.B) {
	var spots [][2]int
	for k := range 150 {
		spots = append(spots, [2]int{(k * 7) % 30, (k * 13) % 30})
	}
	eng := routeNetwork(b, 30, spots, 14, 120)
	planRoutes(b, eng)
	d := drive(b, newConsole(b, eng), 200, 50)
	d.keys(":routes{enter}")
	if !strings.Contains(d.view(), "150 stops") {
		b.Fatalf("no plan on screen:\n%s", d.view())
	}
	keys := []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune{'j'}}, {Type: tea.KeyRunes, Runes: []rune{'k'}}}
	times := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		d.send(keys[i%2])
		_ = d.view()
		times[i] = time.Since(t0)
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[b.N/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[b.N*99/100].Microseconds())/1000, "p99-ms")
}

// A plan that breaks a limit says which, under its runs, when it is opened
// later: the stored plan keeps its problems.
func TestRoutes_SaysWhyNotFeasible(t *testing.T) {
	eng := newRouteEngine(t)
	// Vans allowed 15 minutes out: no run can keep to that.
	vs := "id,depot,capacity,shift_start_min,shift_end_min,max_duration_min\n"
	for v := range 3 {
		vs += fmt.Sprintf("VAN%d,DC1,40,480,1080,15\n", v+1)
	}
	if r := importFile(t, eng, writeTemp(t, t.TempDir(), "vehicles.csv", vs)); r.Failed() || r.RowsRejected > 0 {
		t.Fatalf("vehicles: %s %+v", r.Error, r.Errors)
	}
	p := planRoutes(t, eng)
	if p.Feasible || len(p.Problems) == 0 {
		t.Fatalf("plan feasible %v, problems %q: the case tests nothing", p.Feasible, p.Problems)
	}
	d := drive(t, newConsole(t, eng), 120, 30)
	d.keys(":routes{enter}")
	v := d.view()
	if !strings.Contains(v, "NOT feasible") || !strings.Contains(v, "over its longest run 15m") {
		t.Errorf("why not feasible is not shown (problems %q):\n%s", p.Problems, v)
	}
}

// longName is a store with a long path, as a depot machine's is.
type longName struct{ fixedName }

func (longName) Name() string { return "/home/depot/.local/share/stockroom/warehouse-north.db" }

// At 80 columns a route's breadcrumb leaves no room for a long store path:
// the title keeps the live mark (it once dropped it with the path).
func TestRoutes_TitleAt80(t *testing.T) {
	eng := newRouteEngine(t)
	planRoutes(t, eng)
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	d := drive(t, tui.New(tui.Options{Backend: longName{fixedName{eng}}, Keys: tui.DefaultKeyMap(), Styles: tui.NewStyles(r)}), 80, 24)
	d.keys(":routes DC1 2030-03-04{enter}")
	title := strings.Split(d.view(), "\n")[0]
	if !strings.HasSuffix(strings.TrimRight(title, " "), "● live") || lipgloss.Width(title) > 80 {
		t.Errorf("title bar %q", title)
	}
	d.keys(":stock{enter}")
	if title := strings.Split(d.view(), "\n")[0]; !strings.Contains(title, "warehouse-north.db") {
		t.Errorf("the stock screen's title lost the store: %q", title)
	}
}
