package engine_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/model"
)

// routeDay is far in the future so that no run has left whatever the
// wall clock says.
var routeDay = model.MustDate("2030-03-04")

// newRouteEngine is a store with the good fixtures' depot DC1, its road
// triangle (1-2 two-way, 2→3 one-way, 3-1 two-way), two vans and the given
// deliveries on routeDay.
func newRouteEngine(t *testing.T, deliveries string) *engine.Engine {
	t.Helper()
	e := newEngine(t)
	good := "../testdata/imports/good/"
	var paths []string
	for _, k := range []string{"locations", "nodes", "roads", "vehicles"} {
		paths = append(paths, good+k+".csv")
	}
	paths = append(paths, writeDeliveries(t, "deliveries.csv", deliveries))
	mustImportAll(t, e, paths...)
	return e
}

const deliveriesHeader = "id,date,depot,customer,lat,lon,demand,service_min,ready_min,due_min\n"

// Near node 3, with a window; near node 2.
const twoDeliveries = `D-1001,2030-03-04,DC1,Cafe Uno,52.4801,-1.8990,12,5,540,660
D-1002,2030-03-04,DC1,Garden Centre,52.4880,-1.8800,40,10,0,0
`

func writeDeliveries(t *testing.T, name, rows string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(deliveriesHeader+rows), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustImportAll(t *testing.T, e *engine.Engine, paths ...string) {
	t.Helper()
	res, err := e.Import(context.Background(), paths, data.ImportOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Failed() || r.RowsRejected > 0 {
			t.Fatalf("%s: %s %+v", r.Path, r.Error, r.Errors)
		}
	}
}

var quick = engine.RouteOptions{TimeLimit: 100 * time.Millisecond, Seed: 1, Workers: 1, User: "dispatch"}

// stopsOf lists the deliveries a plan serves, sorted.
func stopsOf(p *engine.RoutePlan) []string {
	var out []string
	for _, r := range p.Runs {
		for _, s := range r.Stops {
			out = append(out, s.Delivery)
		}
	}
	sort.Strings(out)
	return out
}

func TestEngine_PlanRoutes(t *testing.T) {
	e := newRouteEngine(t, twoDeliveries)
	ctx := context.Background()
	sub, stop := e.Subscribe()
	defer stop()
	p, err := e.PlanRoutes(ctx, "DC1", routeDay, quick)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(stopsOf(p), " "); got != "D-1001 D-1002" || len(p.Unassigned) != 0 || !p.Feasible || !p.Roads {
		t.Fatalf("plan: stops %q, unassigned %v, feasible %v, roads %v", got, p.Unassigned, p.Feasible, p.Roads)
	}
	// Both fit in one van; the shortest tour drives the one-way road
	// 2→3: depot(1)→2→3→depot = 420 + 950 + 810 m, plus nothing for
	// snapping (legs are node to node).
	if len(p.Runs) != 1 || math.Abs(p.DistanceM-2180) > 1e-6 {
		t.Errorf("runs %d, distance %.1f m, want 1 run of 2180 m", len(p.Runs), p.DistanceM)
	}
	r := p.Runs[0]
	if r.Stops[0].Delivery != "D-1002" || r.Stops[0].Node != 2 || r.Stops[1].Node != 3 || r.Load != 52 {
		t.Errorf("run: %+v", r)
	}
	// The window of D-1001 (09:00–11:00) is kept.
	if s := r.Stops[1]; s.StartMin < 540 || s.StartMin > 660 {
		t.Errorf("D-1001 starts at minute %.1f, outside 540..660", s.StartMin)
	}
	select {
	case c := <-sub:
		if c.Kind != model.ChangeRoutes || !strings.Contains(c.Text, "routes DC1 2030-03-04: 1 runs, 2 stops") {
			t.Errorf("change %+v", c)
		}
	default:
		t.Errorf("nothing published")
	}
	// What was stored is what was planned.
	got, err := e.LatestRoutePlan(ctx, "DC1", routeDay)
	if err != nil || got == nil {
		t.Fatalf("latest: %v %v", got, err)
	}
	if got.ID != p.ID || got.User != "dispatch" || got.Note != "planned afresh" || len(got.Runs) != 1 ||
		math.Abs(got.DistanceM-p.DistanceM) > 1e-9 || len(got.Runs[0].Path) != len(r.Path) {
		t.Errorf("stored %+v, planned %+v", got, p)
	}
	for k, s := range got.Runs[0].Stops {
		if s != r.Stops[k] {
			t.Errorf("stop %d stored %+v, planned %+v", k, s, r.Stops[k])
		}
	}
	if none, err := e.LatestRoutePlan(ctx, "DC1", routeDay.AddDays(1)); none != nil || err != nil {
		t.Errorf("another day: %v %v", none, err)
	}
}

func TestEngine_PlanRoutes_Errors(t *testing.T) {
	e := newRouteEngine(t, twoDeliveries)
	ctx := context.Background()
	if _, err := e.PlanRoutes(ctx, "DC1", routeDay.AddDays(1), quick); !errors.Is(err, engine.ErrNoDeliveries) {
		t.Errorf("empty day: %v", err)
	}
	if _, err := e.PlanRoutes(ctx, "ST2", routeDay, quick); err == nil || !strings.Contains(err.Error(), "no lat/lon") {
		t.Errorf("depot without coordinates: %v", err)
	}
	if _, err := e.PlanRoutes(ctx, "ST1", routeDay, quick); err == nil || !strings.Contains(err.Error(), "no vehicles") {
		t.Errorf("depot without vans: %v", err)
	}
	if _, err := e.PlanRoutes(ctx, "XX", routeDay, quick); err == nil || !strings.Contains(err.Error(), "no such location") {
		t.Errorf("unknown depot: %v", err)
	}
}

func TestEngine_ReplanRoutes(t *testing.T) {
	e := newRouteEngine(t, twoDeliveries)
	ctx := context.Background()
	first, err := e.ReplanRoutes(ctx, "DC1", routeDay, quick) // no plan yet: plans
	if err != nil || first.Note != "planned afresh" {
		t.Fatalf("first: %+v %v", first, err)
	}
	// A delivery added and one cancelled (the day's file re-exported
	// without D-1001 is not a cancellation in the store, so add a third).
	// The import's pipeline step re-plans the day by itself.
	mustImportAll(t, e, writeDeliveries(t, "more.csv", "D-1003,2030-03-04,DC1,Bakery,52.4865,-1.8906,30,5,0,0\n"))
	p, err := e.LatestRoutePlan(ctx, "DC1", routeDay)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(stopsOf(p), " "); got != "D-1001 D-1002 D-1003" || p.Note != "replan: 1 added, 0 cancelled" {
		t.Errorf("replan after import: stops %q, note %q", got, p.Note)
	}
	// Asked again, nothing changed since.
	if again, err := e.ReplanRoutes(ctx, "DC1", routeDay, quick); err != nil || again.Note != "replan: 0 added, 0 cancelled" {
		t.Errorf("replan again: %+v %v", again, err)
	}
	p, err = e.LatestRoutePlan(ctx, "DC1", routeDay)
	if err != nil {
		t.Fatal(err)
	}
	if latest, _ := e.LatestRoutePlan(ctx, "DC1", routeDay); latest.ID != p.ID || latest.ID == first.ID {
		t.Errorf("latest %d, replan %d, first %d", latest.ID, p.ID, first.ID)
	}
	// On the day, a minute after the first van left: its run keeps its
	// stops in order and is marked departed; the other is re-planned.
	if len(p.Runs) != 2 {
		t.Fatalf("want two runs (52 + 30 > 80 per van), got %+v", p.Runs)
	}
	sort.Slice(p.Runs, func(a, b int) bool { return p.Runs[a].StartMin < p.Runs[b].StartMin })
	run := p.Runs[0]
	if p.Runs[1].StartMin < run.StartMin+2 {
		t.Fatalf("runs start together (%v, %v): cannot leave one alone", run.StartMin, p.Runs[1].StartMin)
	}
	at := routeDay.Time().Add(time.Duration(run.StartMin+1) * time.Minute)
	opt := quick
	opt.Now = time.Date(at.Year(), at.Month(), at.Day(), at.Hour(), at.Minute(), 0, 0, time.Local)
	again, err := e.ReplanRoutes(ctx, "DC1", routeDay, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(again.Note, ", 1 runs on the road kept") {
		t.Errorf("note %q", again.Note)
	}
	for _, r := range again.Runs {
		if r.Departed != (r.Vehicle == run.Vehicle) {
			t.Errorf("run of %s departed %v", r.Vehicle, r.Departed)
		}
		if r.Vehicle != run.Vehicle {
			continue
		}
		if len(r.Stops) != len(run.Stops) || r.StartMin != run.StartMin {
			t.Fatalf("departed run changed: %+v, was %+v", r, run)
		}
		for k, s := range r.Stops {
			if s.Delivery != run.Stops[k].Delivery {
				t.Errorf("departed run reordered: stop %d is %s, was %s", k, s.Delivery, run.Stops[k].Delivery)
			}
		}
	}
	if got := strings.Join(stopsOf(again), " "); got != "D-1001 D-1002 D-1003" {
		t.Errorf("after the first van left: %q", got)
	}
}

func TestEngine_SetRoadFactor(t *testing.T) {
	e := newRouteEngine(t, twoDeliveries)
	ctx := context.Background()
	if _, err := e.PlanRoutes(ctx, "DC1", routeDay, quick); err != nil {
		t.Fatal(err)
	}
	// Slowing 1-2 makes the triangle slower but no longer.
	if err := e.SetRoadFactor(ctx, 1, 2, 3, "ann"); err != nil {
		t.Fatal(err)
	}
	slow, err := e.ReplanRoutes(ctx, "DC1", routeDay, quick)
	if err != nil {
		t.Fatal(err)
	}
	leg := slow.Runs[0].Stops[0] // depot → node 2 over 1-2
	if math.Abs(leg.LegMin-3*420.0/1000/48*60) > 1e-9 || len(slow.Unassigned) != 0 {
		t.Errorf("slow leg %.4f min, want %.4f; unassigned %v", leg.LegMin, 3*420.0/1000/48*60, slow.Unassigned)
	}
	// Closing 1-2 cuts node 2 off (2→3 is one-way): D-1002 cannot be served.
	if err := e.SetRoadFactor(ctx, 2, 1, math.Inf(1), "ann"); err != nil {
		t.Fatal(err)
	}
	closed, err := e.ReplanRoutes(ctx, "DC1", routeDay, quick)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(stopsOf(closed), " "); got != "D-1001" || len(closed.Unassigned) != 1 || closed.Unassigned[0] != "D-1002" || closed.Feasible {
		t.Errorf("closed: stops %q, unassigned %v, feasible %v", got, closed.Unassigned, closed.Feasible)
	}
	// Why it is not feasible is kept with the stored plan.
	stored, err := e.LatestRoutePlan(ctx, "DC1", routeDay)
	if err != nil || stored == nil || stored.ID != closed.ID || len(closed.Problems) == 0 ||
		strings.Join(stored.Problems, "|") != strings.Join(closed.Problems, "|") {
		t.Errorf("stored plan %v problems %q, planned %q", err, stored.Problems, closed.Problems)
	}
	if err := e.SetRoadFactor(ctx, 1, 3, 0.5, "ann"); err != nil {
		t.Fatal(err)
	}
	if err := e.SetRoadFactor(ctx, 3, 2, 2, "ann"); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("against a one-way road: %v", err)
	}
}

func TestEngine_RoutesStep(t *testing.T) {
	e := newRouteEngine(t, twoDeliveries)
	e.AddStep(engine.RoutesStep(100 * time.Millisecond))
	ctx := context.Background()
	p, err := e.PlanRoutes(ctx, "DC1", routeDay, quick)
	if err != nil {
		t.Fatal(err)
	}
	mustImportAll(t, e, writeDeliveries(t, "late.csv", "D-1004,2030-03-04,DC1,Florist,52.4850,-1.8950,5,5,0,0\n"))
	latest, err := e.LatestRoutePlan(ctx, "DC1", routeDay)
	if err != nil {
		t.Fatal(err)
	}
	if latest.ID == p.ID || latest.User != "pipeline" || strings.Join(stopsOf(latest), " ") != "D-1001 D-1002 D-1004" {
		t.Errorf("after importing a delivery: plan %d by %q serves %v", latest.ID, latest.User, stopsOf(latest))
	}
}

func TestEngine_RouteDay(t *testing.T) {
	e := newRouteEngine(t, twoDeliveries+"D-2001,2030-03-06,DC1,Later,52.4801,-1.8990,1,5,0,0\n")
	ctx := context.Background()
	depot, day, err := e.RouteDay(ctx, "")
	if err != nil || depot != "DC1" || day != routeDay {
		t.Errorf("default: %s %s %v", depot, day, err)
	}
	if _, err := e.PlanRoutes(ctx, "DC1", routeDay.AddDays(2), quick); err != nil {
		t.Fatal(err)
	}
	// The newest stored plan's day wins.
	if depot, day, _ := e.RouteDay(ctx, ""); depot != "DC1" || day != routeDay.AddDays(2) {
		t.Errorf("after a plan: %s %s", depot, day)
	}
	if _, day, _ := e.RouteDay(ctx, "ST1"); day != model.NoDate {
		t.Errorf("a depot without deliveries: %s", day)
	}
}
