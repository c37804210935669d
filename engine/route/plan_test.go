package route

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"stockroom/engine/route/vrp"
	"stockroom/model"
)

// gridRoads is a w×h street grid 250 m apart around 42.5N 1.5E, two-way,
// 30 km/h, with every fifth avenue a faster 50 km/h road.
func gridRoads(w, h int) ([]model.RoadNode, []model.RoadEdge) {
	var nodes []model.RoadNode
	var edges []model.RoadEdge
	const dLat, dLon = 0.00225, 0.00305 // ≈250 m each way at 42.5N
	id := func(i, j int) int64 { return int64(i*h + j + 1) }
	for i := 0; i < w; i++ {
		for j := 0; j < h; j++ {
			nodes = append(nodes, model.RoadNode{ID: id(i, j), Lat: 42.5 + float64(j)*dLat, Lon: 1.5 + float64(i)*dLon})
		}
	}
	for i := 0; i < w; i++ {
		for j := 0; j < h; j++ {
			sp := 30.0
			if i%5 == 0 {
				sp = 50
			}
			if j+1 < h {
				edges = append(edges, model.RoadEdge{From: id(i, j), To: id(i, j+1), LengthM: 250, SpeedKmh: sp})
			}
			if i+1 < w {
				edges = append(edges, model.RoadEdge{From: id(i, j), To: id(i+1, j), LengthM: 250, SpeedKmh: 30})
			}
		}
	}
	return nodes, edges
}

func randomDeliveries(seed uint64, n int, depot Depot, spread float64, windows bool) []model.Delivery {
	r := rand.New(rand.NewPCG(seed, 3))
	ds := make([]model.Delivery, n)
	for i := range ds {
		ds[i] = model.Delivery{
			ID: fmt.Sprintf("D%03d", i+1), Date: model.MustDate("2026-12-01"), Depot: depot.Code,
			Customer: fmt.Sprintf("C%03d", i+1),
			Lat:      depot.Lat + (r.Float64()-0.5)*spread, Lon: depot.Lon + (r.Float64()-0.5)*spread*1.36,
			Demand: int64(1 + r.IntN(9)), ServiceMin: 3,
		}
		if windows && i%3 == 0 {
			a := 8*60 + float64(r.IntN(6*60))
			ds[i].ReadyMin, ds[i].DueMin = a, a+90
		}
	}
	return ds
}

func vans(n int, capacity int64) []model.Vehicle {
	vs := make([]model.Vehicle, n)
	for i := range vs {
		vs[i] = model.Vehicle{ID: fmt.Sprintf("V%d", i+1), Depot: "DEP", Capacity: capacity, ShiftStartMin: 7 * 60, ShiftEndMin: 19 * 60}
	}
	return vs
}

// checkPlan verifies a plan independently of the solver: every delivery
// once (or reported unassigned), loads within capacity, windows and
// shifts kept, times consistent with the legs.
func checkPlan(t *testing.T, pl *Plan, ds []model.Delivery, vs []model.Vehicle) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range pl.Unassigned {
		seen[id]++
	}
	used := map[string]bool{}
	for _, r := range pl.Runs {
		if used[r.Vehicle] {
			t.Fatalf("vehicle %s drives two runs", r.Vehicle)
		}
		used[r.Vehicle] = true
		v := findVehicle(vs, r.Vehicle)
		if v == nil {
			t.Fatalf("unknown vehicle %s", r.Vehicle)
		}
		var load int64
		tm := r.StartMin
		if tm < v.ShiftStartMin-1e-9 {
			t.Fatalf("%s leaves at %v before its shift %v", r.Vehicle, tm, v.ShiftStartMin)
		}
		for _, s := range r.Stops {
			seen[s.Delivery]++
			load += s.Demand
			tm += s.LegMin
			if math.Abs(tm-s.ArriveMin) > 1e-6 {
				t.Fatalf("%s: arrival %v, legs say %v", s.Delivery, s.ArriveMin, tm)
			}
			var d model.Delivery
			for _, x := range ds {
				if x.ID == s.Delivery {
					d = x
				}
			}
			if d.HasWindow() && (s.StartMin < d.ReadyMin-1e-6 || s.StartMin > d.DueMin+1e-6) {
				t.Fatalf("%s: starts %v outside %v..%v", s.Delivery, s.StartMin, d.ReadyMin, d.DueMin)
			}
			tm = s.DepartMin
		}
		if load != r.Load || load > v.Capacity {
			t.Fatalf("%s: load %d (stated %d), capacity %d", r.Vehicle, load, r.Load, v.Capacity)
		}
		if v.ShiftEndMin > 0 && r.EndMin > v.ShiftEndMin+1e-6 {
			t.Fatalf("%s: back at %v after shift end %v", r.Vehicle, r.EndMin, v.ShiftEndMin)
		}
	}
	for _, d := range ds {
		if seen[d.ID] != 1 {
			t.Fatalf("delivery %s planned %d times", d.ID, seen[d.ID])
		}
	}
	if !pl.Feasible || len(pl.Problems) > 0 {
		t.Fatalf("plan not feasible: %q", pl.Problems)
	}
}

func TestPlanDay_GreatCircle(t *testing.T) {
	depot := Depot{Code: "DEP", Lat: 42.51, Lon: 1.53}
	ds := randomDeliveries(1, 40, depot, 0.2, true)
	vs := vans(6, 60)
	pl, err := PlanDay(context.Background(), depot, model.MustDate("2026-12-01"), ds, vs, nil, nil, PlanOptions{TimeLimit: 500 * time.Millisecond, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, pl, ds, vs)
	if pl.Roads {
		t.Fatal("no roads given, plan says roads")
	}
	// Great circle × detour at 40 km/h: a leg's minutes follow its metres.
	for _, r := range pl.Runs {
		for _, s := range r.Stops {
			if math.Abs(s.LegMin-s.LegM/1000/40*60) > 1e-9 {
				t.Fatalf("leg %v m takes %v min", s.LegM, s.LegMin)
			}
		}
	}
}

func TestPlanDay_Unassigned(t *testing.T) {
	depot := Depot{Code: "DEP", Lat: 42.51, Lon: 1.53}
	ds := randomDeliveries(2, 5, depot, 0.05, false)
	ds[2].Demand = 500
	vs := vans(2, 100)
	pl, err := PlanDay(context.Background(), depot, model.MustDate("2026-12-01"), ds, vs, nil, nil, PlanOptions{TimeLimit: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Unassigned) != 1 || pl.Unassigned[0] != ds[2].ID || pl.Feasible {
		t.Fatalf("unassigned %v, feasible %v", pl.Unassigned, pl.Feasible)
	}
}

// A mixed fleet: a delivery only the large van can carry is planned on it,
// not left out because the smallest van cannot take it.
func TestPlanDay_MixedFleet(t *testing.T) {
	depot := Depot{Code: "DEP", Lat: 42.51, Lon: 1.53}
	ds := randomDeliveries(4, 8, depot, 0.05, false)
	ds[2].Demand = 100
	vs := append(vans(2, 40), model.Vehicle{ID: "BIG", Depot: "DEP", Capacity: 140, ShiftStartMin: 7 * 60, ShiftEndMin: 19 * 60})
	pl, err := PlanDay(context.Background(), depot, model.MustDate("2026-12-01"), ds, vs, nil, nil, PlanOptions{TimeLimit: 300 * time.Millisecond, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Unassigned) != 0 {
		t.Fatalf("unassigned %v with a van of 140 free", pl.Unassigned)
	}
	checkPlan(t, pl, ds, vs)
	for _, r := range pl.Runs {
		for _, s := range r.Stops {
			if s.Delivery == ds[2].ID && r.Vehicle != "BIG" {
				t.Errorf("%s (100) on %s", s.Delivery, r.Vehicle)
			}
		}
	}
	// Only small vans free: the heavy delivery is reported, the rest planned.
	pl, err = PlanDay(context.Background(), depot, model.MustDate("2026-12-01"), ds, vs[:2], nil, nil, PlanOptions{TimeLimit: 200 * time.Millisecond, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Unassigned) != 1 || pl.Unassigned[0] != ds[2].ID || pl.Feasible {
		t.Errorf("small vans only: unassigned %v, feasible %v", pl.Unassigned, pl.Feasible)
	}
	stops := 0
	for _, r := range pl.Runs {
		stops += len(r.Stops)
	}
	if stops != len(ds)-1 {
		t.Errorf("small vans only: %d stops planned, want %d", stops, len(ds)-1)
	}
}

// A day heavier than the small vans could carry between them, with a
// large van that makes the difference: runs planned at the large capacity
// are fitted to the vans, not refused.
func TestPlanDay_MixedFleetHeavyDay(t *testing.T) {
	depot := Depot{Code: "DEP", Lat: 42.51, Lon: 1.53}
	ds := randomDeliveries(4, 30, depot, 0.05, false)
	var total int64
	for _, d := range ds {
		total += d.Demand
	}
	vs := append(vans(2, 40), model.Vehicle{ID: "BIG", Depot: "DEP", Capacity: 140, ShiftStartMin: 7 * 60, ShiftEndMin: 19 * 60})
	if total <= 3*40 || total > 40+40+140-20 {
		t.Fatalf("the case needs a day between three small vans and the fleet with room: total %d", total)
	}
	pl, err := PlanDay(context.Background(), depot, model.MustDate("2026-12-01"), ds, vs, nil, nil, PlanOptions{TimeLimit: 300 * time.Millisecond, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Unassigned) != 0 {
		t.Fatalf("unassigned %v (total %d for vans of 40, 40 and 140)", pl.Unassigned, total)
	}
	checkPlan(t, pl, ds, vs)
}

func TestPlanner_ReplanOnRoads(t *testing.T) {
	nodes, edges := gridRoads(30, 30)
	p, err := NewPlanner(nodes, edges, PlanOptions{TimeLimit: 400 * time.Millisecond, Seed: 1, RoadPaths: true})
	if err != nil {
		t.Fatal(err)
	}
	depot := Depot{Code: "DEP", Lat: 42.5 + 15*0.00225, Lon: 1.5 + 15*0.00305}
	ds := randomDeliveries(3, 60, depot, 0.06, false)
	vs := vans(8, 50)
	ctx := context.Background()
	pl, err := p.Plan(ctx, depot, model.MustDate("2026-12-01"), ds, vs)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, pl, ds, vs)
	if !pl.Roads || len(pl.Runs[0].Path) < 3 {
		t.Fatalf("roads %v, path %d points", pl.Roads, len(pl.Runs[0].Path))
	}
	// Snapped nodes sit on the 250 m grid: at most ~180 m from the address.
	for _, r := range pl.Runs {
		for _, s := range r.Stops {
			if s.Node == 0 || s.SnapM > 180 {
				t.Fatalf("%s snapped to %d at %v m", s.Delivery, s.Node, s.SnapM)
			}
		}
	}

	// The first run has left; a road on the way slows to a crawl; one
	// delivery is cancelled and one added.
	pl.Runs[0].Departed = true
	now := pl.Runs[0].StartMin + 5
	kept := append([]Stop(nil), pl.Runs[0].Stops...)
	g := p.Graph()
	a, _ := g.Node(nodes[15*30+15].ID)
	b, _ := g.Node(nodes[16*30+15].ID)
	if err := p.SetFactor(g.EdgeBetween(a, b), 0, 10); err != nil {
		t.Fatal(err)
	}
	cancel := pl.Runs[1].Stops[0].Delivery
	var ds2 []model.Delivery
	for _, d := range ds {
		if d.ID != cancel {
			ds2 = append(ds2, d)
		}
	}
	extra := randomDeliveries(99, 1, depot, 0.05, false)[0]
	extra.ID = "NEW1"
	ds2 = append(ds2, extra)
	pl2, err := p.Replan(ctx, pl, ds2, vs, now)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, pl2, ds2, vs)
	var run0 *Run
	for i := range pl2.Runs {
		if pl2.Runs[i].Vehicle == pl.Runs[0].Vehicle {
			run0 = &pl2.Runs[i]
		}
	}
	if run0 == nil || !run0.Departed || len(run0.Stops) != len(kept) {
		t.Fatalf("departed run not kept: %+v", run0)
	}
	for i := range kept {
		if run0.Stops[i].Delivery != kept[i].Delivery {
			t.Fatalf("departed run reordered at stop %d", i)
		}
	}
}

func TestSnapper_Nearest(t *testing.T) {
	g := randomGraph(t, 7, 2000)
	s := NewSnapper(g, nil)
	r := rand.New(rand.NewPCG(1, 1))
	for q := 0; q < 500; q++ {
		lat, lon := 42.49+r.Float64()*0.11, 1.49+r.Float64()*0.14
		v, d := s.Nearest(lat, lon)
		best, bd := int32(-1), math.Inf(1)
		for u := int32(0); u < int32(g.NumNodes()); u++ {
			la, lo := g.LatLon(u)
			if x := model.HaversineM(lat, lon, la, lo); x < bd {
				best, bd = u, x
			}
		}
		if math.Abs(d-bd) > 1e-6 {
			t.Fatalf("query %d: snapped to %d at %v m, nearest is %d at %v m", q, v, d, best, bd)
		}
	}
}

func TestLargestComponent(t *testing.T) {
	// 1<->2<->3 is strongly connected; 3->4 is a one-way dead end; 5<->6 an island.
	nodes := []model.RoadNode{{ID: 1, Lat: 42.5, Lon: 1.5}, {ID: 2, Lat: 42.5, Lon: 1.51}, {ID: 3, Lat: 42.5, Lon: 1.52}, {ID: 4, Lat: 42.5, Lon: 1.53}, {ID: 5, Lat: 42.6, Lon: 1.5}, {ID: 6, Lat: 42.6, Lon: 1.51}}
	edges := []model.RoadEdge{{From: 1, To: 2, LengthM: 800, SpeedKmh: 50}, {From: 2, To: 3, LengthM: 800, SpeedKmh: 50}, {From: 3, To: 4, LengthM: 800, SpeedKmh: 50, OneWay: true}, {From: 5, To: 6, LengthM: 800, SpeedKmh: 50}}
	g, err := NewGraph(nodes, edges)
	if err != nil {
		t.Fatal(err)
	}
	got := LargestComponent(g)
	want := []bool{true, true, true, false, false, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("node %d: got %v, want %v", i+1, got[i], want[i])
		}
	}
}

func TestGraph_Matrix(t *testing.T) {
	g := randomGraph(t, 4, 600)
	r := rand.New(rand.NewPCG(2, 2))
	var src, dst []int32
	for i := 0; i < 15; i++ {
		src = append(src, int32(r.IntN(g.NumNodes())))
		dst = append(dst, int32(r.IntN(g.NumNodes())))
	}
	m, err := g.Matrix(context.Background(), src, dst, Time, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSearcher(g)
	for i, a := range src {
		for j, b := range dst {
			want := s.Dijkstra(a, b, Time, 0, false)
			if m.Cost[i][j] != want.Cost || (want.Reachable && !approx(m.LengthM[i][j], want.LengthM)) {
				t.Fatalf("%d->%d: matrix %v/%v, dijkstra %v/%v", a, b, m.Cost[i][j], m.LengthM[i][j], want.Cost, want.LengthM)
			}
		}
	}
}

// TestPlanner_SetFactorRepairsMatrix: after each factor change, the
// repaired cached matrix equals one computed from scratch.
func TestPlanner_SetFactorRepairsMatrix(t *testing.T) {
	nodes, edges := gridRoads(25, 25)
	p, err := NewPlanner(nodes, edges, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	depot := Depot{Code: "DEP", Lat: 42.5 + 12*0.00225, Lon: 1.5 + 12*0.00305}
	ds := randomDeliveries(5, 40, depot, 0.05, false)
	pts := p.points(depot, ds)
	ctx := context.Background()
	if _, _, err := p.matrix(ctx, pts, 0); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(8, 8))
	for step := 0; step < 30; step++ {
		e := r.IntN(p.g.NumEdges())
		f := []float64{0.5, 2, 5, 1, math.Inf(1)}[step%5]
		if err := p.SetFactor(e, 0, f); err != nil {
			t.Fatal(err)
		}
		if p.mgen != p.gen {
			t.Fatalf("step %d: cache dropped instead of repaired", step)
		}
		got := p.cost
		fresh := NewPlannerGraph(p.g, PlanOptions{})
		want, _, err := fresh.matrix(ctx, pts, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			for j := range want[i] {
				if !approx(got[i][j], want[i][j]) && !(math.IsInf(got[i][j], 1) && math.IsInf(want[i][j], 1)) {
					t.Fatalf("step %d (edge %d ×%v): [%d][%d] repaired %v, fresh %v", step, e, f, i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}

func TestPlan_Project(t *testing.T) {
	pl := &Plan{Depot: Depot{Lat: 42.50, Lon: 1.50}, Runs: []Run{{Stops: []Stop{{Lat: 42.52, Lon: 1.50}, {Lat: 42.50, Lon: 1.54}}}}}
	minLat, minLon, maxLat, maxLon := pl.Bounds()
	if minLat != 42.50 || maxLat != 42.52 || minLon != 1.50 || maxLon != 1.54 {
		t.Fatalf("bounds %v %v %v %v", minLat, minLon, maxLat, maxLon)
	}
	const w, h = 60, 20
	for _, p := range []LatLon{{42.50, 1.50}, {42.52, 1.50}, {42.50, 1.54}, {42.51, 1.52}} {
		x, y := pl.Project(p.Lat, p.Lon, w, h)
		if x < 0 || x >= w || y < 0 || y >= h {
			t.Fatalf("%v projects to %d,%d outside %dx%d", p, x, y, w, h)
		}
	}
	// North is up and east is right.
	_, yS := pl.Project(42.50, 1.50, w, h)
	_, yN := pl.Project(42.52, 1.50, w, h)
	xW, _ := pl.Project(42.50, 1.50, w, h)
	xE, _ := pl.Project(42.50, 1.54, w, h)
	if yN >= yS || xE <= xW {
		t.Fatalf("orientation: north y %d vs south %d, east x %d vs west %d", yN, yS, xE, xW)
	}
	// 0.04° of longitude at 42.5N is ~3.3 km, 0.02° of latitude ~2.2 km; a
	// cell is twice as tall as wide, so the span across is ~3× the span down.
	if r := float64(xE-xW) / float64(yS-yN); r < 2.2 || r > 3.8 {
		t.Fatalf("aspect %v, want about 3", r)
	}
}

// fitFleet on a line: one run of 90 for vans of 60 and 30 gives up the
// stop whose removal saves most (the farthest) to the empty van.
func TestFitFleet(t *testing.T) {
	in := &vrp.Instance{Name: "line", Capacity: 90, Demand: []int64{0, 30, 30, 30}, Service: make([]float64, 4)}
	x := []float64{0, 1, 2, 10}
	in.Dist = make([]float64, 16)
	for a := range 4 {
		for b := range 4 {
			in.Dist[a*4+b] = math.Abs(x[a] - x[b])
		}
	}
	out, left := fitFleet(in, [][]int{{1, 2, 3}}, []int64{60, 30})
	if len(left) != 0 || len(out) != 2 || !slices.Equal(out[0], []int{1, 2}) || !slices.Equal(out[1], []int{3}) {
		t.Errorf("fitted %v, left %v; want [[1 2] [3]], none left", out, left)
	}
	// No room anywhere: the stop is reported.
	out, left = fitFleet(in, [][]int{{1, 2, 3}}, []int64{60})
	if !slices.Equal(left, []int{3}) || !slices.Equal(out[0], []int{1, 2}) {
		t.Errorf("one van: fitted %v, left %v", out, left)
	}
}

// An infeasible plan says which limits it breaks, run by run: a customer
// 100 km away (150 minutes each way at 40 km/h) for a van with a 3-hour
// shift and a 2-hour longest run, with a window it cannot make.
func TestPlanDay_Problems(t *testing.T) {
	depot := Depot{Code: "DEP", Lat: 42.51, Lon: 1.53}
	far := model.Delivery{ID: "FAR", Date: model.MustDate("2026-12-01"), Depot: "DEP", Customer: "Far away",
		Lat: depot.Lat + 100/111.2/1.3, Lon: depot.Lon, Demand: 5, ServiceMin: 0, ReadyMin: 0, DueMin: 9 * 60}
	vs := []model.Vehicle{{ID: "V1", Depot: "DEP", Capacity: 10, ShiftStartMin: 8 * 60, ShiftEndMin: 11 * 60, MaxDurationMin: 120}}
	pl, err := PlanDay(context.Background(), depot, far.Date, []model.Delivery{far}, vs, nil, nil, PlanOptions{TimeLimit: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if pl.Feasible || len(pl.Runs) != 1 {
		t.Fatalf("feasible %v, %d runs", pl.Feasible, len(pl.Runs))
	}
	r := pl.Runs[0]
	want := []string{
		fmt.Sprintf("run 1 (V1) takes %s, over its longest run 2h00m", Span(r.DurationMin)),
		fmt.Sprintf("run 1 (V1) is back at %s, after its shift ends at 11:00", Clock(r.EndMin)),
		fmt.Sprintf("run 1 (V1) serves FAR at %s, after its window closes at 09:00", Clock(r.Stops[0].StartMin)),
	}
	if !slices.Equal(pl.Problems, want) {
		t.Errorf("problems %q\nwant %q", pl.Problems, want)
	}
	if r.DurationMin < 299 || r.DurationMin > 301 {
		t.Errorf("the run takes %v minutes, want 300", r.DurationMin)
	}
}
