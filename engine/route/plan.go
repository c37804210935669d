package route

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"stockroom/engine/route/vrp"
	"stockroom/model"
)

// Depot is where runs start and end.
type Depot struct {
	Code     string
	Lat, Lon float64
}

// LatLon is a point of a drawn path.
type LatLon struct{ Lat, Lon float64 }

// Stop is one delivery within a run. Times are minutes after midnight.
type Stop struct {
	Delivery  string
	Customer  string
	Lat, Lon  float64
	Node      int64   // road node the address snapped to (0 without roads)
	SnapM     float64 // distance from the address to that node
	Demand    int64
	LegM      float64 // metres from the previous stop (or the depot)
	LegMin    float64 // driving minutes from the previous stop
	ArriveMin float64
	StartMin  float64 // start of service (after waiting for the window)
	DepartMin float64
	Late      bool // starts after its window closes (only when infeasible)
	Done      bool // already served when the plan was made
}

// Run is one vehicle's trip from the depot through its stops and back.
type Run struct {
	Vehicle     string
	Stops       []Stop
	Load        int64
	Capacity    int64
	DistanceM   float64
	DurationMin float64
	StartMin    float64 // leaves the depot
	EndMin      float64 // back at the depot
	Departed    bool    // left before the plan was made: its stops were kept
	// Path is the driven polyline, depot to depot: road geometry with a
	// road graph, straight segments without.
	Path []LatLon
}

// Plan is a day's runs from one depot.
type Plan struct {
	Depot       Depot
	Date        model.Date
	Runs        []Run
	Unassigned  []string // deliveries no vehicle can take (heavier than any vehicle, unreachable)
	DistanceM   float64
	DurationMin float64
	Feasible    bool          // every constraint met
	Roads       bool          // distances come from the road graph, not great circles
	MatrixTime  time.Duration // travel-time matrix (reused or repaired on re-plans)
	SolveTime   time.Duration // the whole planning call
	// Problems says, a line each, which limits an infeasible plan breaks:
	// unassigned deliveries first (when there are any), then each run's
	// broken limits in run order. Stored plans keep them.
	Problems []string
}

// PlanOptions tune planning.
type PlanOptions struct {
	TimeLimit time.Duration // solver time (default 2s)
	Seed      uint64
	Workers   int
	// DetourFactor multiplies great-circle distances when there is no road
	// graph (default 1.3, typical of road networks).
	DetourFactor float64
	// SpeedKmh is the driving speed without a road graph (default 40).
	SpeedKmh float64
	// RoadPaths fills Run.Path with the roads driven (one A* search per
	// leg); otherwise Path joins the stops with straight segments, which
	// is all a terminal map can show anyway. RunPath computes one later.
	RoadPaths bool
}

func (o PlanOptions) withDefaults() PlanOptions {
	if o.TimeLimit <= 0 {
		o.TimeLimit = 2 * time.Second
	}
	if o.DetourFactor <= 0 {
		o.DetourFactor = 1.3
	}
	if o.SpeedKmh <= 0 {
		o.SpeedKmh = 40
	}
	return o
}

// Planner plans and re-plans one depot's runs. It keeps the road graph,
// the snapping index and the last travel-time matrix, so a re-plan after a
// traffic change or an added delivery costs a fraction of the first plan.
// A Planner is not safe for concurrent use.
type Planner struct {
	g    *Graph
	snap *Snapper
	opt  PlanOptions

	// matrix cache, keyed by the snapped nodes and the traffic band
	key   []int32
	band  int
	gen   int
	mgen  int
	cost  [][]float64 // minutes
	meter [][]float64
}

// NewPlanner makes a planner over a road network; with no nodes it plans
// on great-circle distances × DetourFactor at SpeedKmh.
func NewPlanner(nodes []model.RoadNode, edges []model.RoadEdge, opt PlanOptions) (*Planner, error) {
	p := &Planner{opt: opt.withDefaults(), mgen: -1}
	if len(nodes) == 0 {
		return p, nil
	}
	g, err := NewGraph(nodes, edges)
	if err != nil {
		return nil, fmt.Errorf("route: %w", err)
	}
	return NewPlannerGraph(g, opt), nil
}

// NewPlannerGraph makes a planner over an already built graph.
func NewPlannerGraph(g *Graph, opt PlanOptions) *Planner {
	big := LargestComponent(g)
	return &Planner{g: g, snap: NewSnapper(g, func(v int32) bool { return big[v] }), opt: opt.withDefaults(), mgen: -1}
}

// Graph returns the road graph (nil without roads).
func (p *Planner) Graph() *Graph { return p.g }

// SetFactor changes the traffic factor of a road edge in a band (see
// Graph.SetFactor); the next plan or re-plan uses it.
func (p *Planner) SetFactor(edge, band int, f float64) error {
	if p.g == nil {
		return fmt.Errorf("route: no road graph to set a factor on")
	}
	valid := p.mgen == p.gen && p.band == band && p.cost != nil
	var before *weights
	if valid {
		before = p.g.weightsFor(Time, band)
	}
	if err := p.g.SetFactor(edge, band, f); err != nil {
		return err
	}
	p.gen++
	if valid {
		p.updateMatrix(edge, band, before)
	}
	return nil
}

// updateMatrix repairs the cached matrix after one edge's factor changed,
// instead of recomputing it. For each arc u→v of the edge, one search back
// from u and one forward from v (with the old weights) give d(i,u) and
// d(v,j) for every cached point. If the arc got faster, the new d(i,j) is
// min(old, d(i,u) + w' + d(v,j)): a shortest path uses the arc at most once
// and neither half needs it. If it got slower, only pairs whose shortest
// path used the arc (d(i,u) + w + d(v,j) = d(i,j)) can change; their rows
// are searched again. Pairs of other rows keep their values exactly.
func (p *Planner) updateMatrix(edge, band int, before *weights) {
	after := p.g.weightsFor(Time, band)
	nodes := p.key
	n := len(nodes)
	s := NewSearcher(p.g)
	redo := map[[2]int]bool{}
	for u := int32(0); u < int32(p.g.NumNodes()); u++ {
		for a := p.g.first[u]; a < p.g.first[u+1]; a++ {
			if int(p.g.edge[a]) != edge {
				continue
			}
			v := p.g.head[a]
			toU, toUL := make([]float64, n), make([]float64, n)
			fromV, fromVL := make([]float64, n), make([]float64, n)
			s.treeDir(u, nodes, before, true, toU, toUL)
			s.treeDir(v, nodes, before, false, fromV, fromVL)
			wOld, wNew := before.w[a]/60, after.w[a]/60
			for i := 0; i < n; i++ {
				if math.IsInf(toU[i], 1) {
					continue
				}
				for j := 0; j < n; j++ {
					via := toU[i]/60 + fromV[j]/60
					if wNew < wOld {
						if c := via + wNew; c < p.cost[i][j] {
							p.cost[i][j] = c
							p.meter[i][j] = toUL[i] + p.g.lenM[a] + fromVL[j]
						}
					} else if via+wOld <= p.cost[i][j]*(1+1e-9)+1e-9 {
						redo[[2]int{i, j}] = true
					}
				}
			}
		}
	}
	// Cover the changed pairs with as few searches as possible: greedily a
	// forward search for a row or a backward one for a column, whichever
	// covers most pairs still open. An edge next to a stop touches that
	// stop's whole row and column: two searches, not two hundred.
	for len(redo) > 0 {
		rowCnt, colCnt := make([]int, n), make([]int, n)
		for k := range redo {
			rowCnt[k[0]]++
			colCnt[k[1]]++
		}
		bi, bc, byRow := 0, -1, true
		for i := 0; i < n; i++ {
			if rowCnt[i] > bc {
				bi, bc, byRow = i, rowCnt[i], true
			}
			if colCnt[i] > bc {
				bi, bc, byRow = i, colCnt[i], false
			}
		}
		var others []int
		for k := range redo {
			if byRow && k[0] == bi {
				others = append(others, k[1])
			} else if !byRow && k[1] == bi {
				others = append(others, k[0])
			}
		}
		sort.Ints(others)
		tg := make([]int32, len(others))
		for x, o := range others {
			tg[x] = nodes[o]
		}
		c, l := make([]float64, len(tg)), make([]float64, len(tg))
		s.treeDir(nodes[bi], tg, after, !byRow, c, l)
		for x, o := range others {
			i, j := bi, o
			if !byRow {
				i, j = o, bi
			}
			p.cost[i][j], p.meter[i][j] = c[x]/60, l[x]
			delete(redo, [2]int{i, j})
		}
	}
	p.mgen = p.gen
}

// PlanDay plans from scratch: the convenience entry for the store. nodes
// and edges may be empty (great-circle distances then).
func PlanDay(ctx context.Context, depot Depot, date model.Date, deliveries []model.Delivery, vehicles []model.Vehicle, nodes []model.RoadNode, edges []model.RoadEdge, opt PlanOptions) (*Plan, error) {
	p, err := NewPlanner(nodes, edges, opt)
	if err != nil {
		return nil, err
	}
	return p.Plan(ctx, depot, date, deliveries, vehicles)
}

// Plan assigns the deliveries to the vehicles and orders each run.
func (p *Planner) Plan(ctx context.Context, depot Depot, date model.Date, deliveries []model.Delivery, vehicles []model.Vehicle) (*Plan, error) {
	return p.solve(ctx, depot, date, deliveries, vehicles, nil, -1)
}

// Replan re-solves after a change — a traffic factor (SetFactor), a
// delivery added or cancelled (pass the current list), a vehicle lost —
// starting from prev. Runs that left the depot before nowMin keep the
// stops they have already served, in order, and the rest of their stops
// too (a driver on the road is not re-routed mid-run; only cancelled stops
// are dropped and times recomputed); the other runs are re-optimised,
// warm-started from prev so the result is never worse than prev adapted to
// the change.
func (p *Planner) Replan(ctx context.Context, prev *Plan, deliveries []model.Delivery, vehicles []model.Vehicle, nowMin float64) (*Plan, error) {
	return p.solve(ctx, prev.Depot, prev.Date, deliveries, vehicles, prev, nowMin)
}

// point is a place the matrix covers: index 0 the depot.
type point struct {
	lat, lon float64
	node     int32
	snapM    float64
}

func (p *Planner) points(depot Depot, ds []model.Delivery) []point {
	pts := make([]point, 0, len(ds)+1)
	add := func(lat, lon float64) {
		pt := point{lat: lat, lon: lon, node: -1}
		if p.snap != nil {
			pt.node, pt.snapM = p.snap.Nearest(lat, lon)
		}
		pts = append(pts, pt)
	}
	add(depot.Lat, depot.Lon)
	for _, d := range ds {
		add(d.Lat, d.Lon)
	}
	return pts
}

// matrix returns driving minutes and metres between points, reusing the
// cached one when the points, the band and the traffic are unchanged.
func (p *Planner) matrix(ctx context.Context, pts []point, band int) ([][]float64, [][]float64, error) {
	n := len(pts)
	if p.g == nil {
		cost, meter := square(n), square(n)
		for i := range pts {
			for j := range pts {
				d := model.HaversineM(pts[i].lat, pts[i].lon, pts[j].lat, pts[j].lon) * p.opt.DetourFactor
				meter[i][j] = d
				cost[i][j] = d / 1000 / p.opt.SpeedKmh * 60
			}
		}
		return cost, meter, nil
	}
	nodes := make([]int32, n)
	for i, pt := range pts {
		nodes[i] = pt.node
	}
	if p.mgen == p.gen && p.band == band && equal32(p.key, nodes) {
		return p.cost, p.meter, nil
	}
	// Reuse rows of nodes already computed when only the points changed
	// (a delivery added or cancelled) and the traffic did not.
	reuse := map[int32]int{}
	if p.mgen == p.gen && p.band == band {
		for i, v := range p.key {
			reuse[v] = i
		}
	}
	var todo []int32
	for _, v := range nodes {
		if _, ok := reuse[v]; !ok {
			todo = append(todo, v)
		}
	}
	cost, meter := square(n), square(n)
	if len(todo) > 0 {
		m, err := p.g.Matrix(ctx, todo, nodes, Time, band, p.opt.Workers)
		if err != nil {
			return nil, nil, err
		}
		k := 0
		fresh := map[int32]int{}
		for _, v := range todo {
			fresh[v] = k
			k++
		}
		for i, v := range nodes {
			if r, ok := fresh[v]; ok {
				for j := range nodes {
					cost[i][j] = m.Cost[r][j] / 60
					meter[i][j] = m.LengthM[r][j]
				}
			}
		}
	}
	for i, v := range nodes {
		if r, ok := reuse[v]; ok {
			// Old row r covers the old targets; map them to the new ones.
			for j, w := range nodes {
				if c, ok := reuse[w]; ok {
					cost[i][j], meter[i][j] = p.cost[r][c], p.meter[r][c]
				} else {
					// A new target: its row was computed; use the reverse
					// direction's search from the source instead.
					cost[i][j], meter[i][j] = p.oneCost(v, w, band)
				}
			}
		}
	}
	p.key, p.band, p.mgen, p.cost, p.meter = nodes, band, p.gen, cost, meter
	return cost, meter, nil
}

func (p *Planner) oneCost(a, b int32, band int) (float64, float64) {
	r := NewSearcher(p.g).Bidirectional(a, b, Time, band, false)
	return r.Cost / 60, r.LengthM
}

func square(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	return m
}

func equal32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (p *Planner) solve(ctx context.Context, depot Depot, date model.Date, deliveries []model.Delivery, vehicles []model.Vehicle, prev *Plan, nowMin float64) (*Plan, error) {
	start := time.Now()
	if len(vehicles) == 0 {
		return nil, fmt.Errorf("route: no vehicles at depot %s", depot.Code)
	}
	for _, v := range vehicles {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("route: vehicle %s: %w", v.ID, err)
		}
	}
	byID := map[string]int{}
	for i, d := range deliveries {
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("route: delivery %s: %w", d.ID, err)
		}
		if _, dup := byID[d.ID]; dup {
			return nil, fmt.Errorf("route: delivery %s listed twice", d.ID)
		}
		byID[d.ID] = i
	}
	plan := &Plan{Depot: depot, Date: date, Roads: p.g != nil}
	shiftStart := math.Inf(1)
	for _, v := range vehicles {
		shiftStart = math.Min(shiftStart, v.ShiftStartMin)
	}
	band := 0
	if p.g != nil {
		band = p.g.Band(shiftStart)
	}
	pts := p.points(depot, deliveries)
	t0 := time.Now()
	cost, meter, err := p.matrix(ctx, pts, band)
	if err != nil {
		return nil, err
	}
	plan.MatrixTime = time.Since(t0)

	// Departed runs are kept as they are, less cancelled stops.
	vehicleBusy := map[string]bool{}
	taken := map[string]bool{}
	if prev != nil {
		for _, r := range prev.Runs {
			if !(r.Departed || (len(r.Stops) > 0 && r.StartMin < nowMin)) {
				continue
			}
			veh := findVehicle(vehicles, r.Vehicle)
			if veh == nil {
				continue // the vehicle is gone: its stops are planned afresh
			}
			var idx []int
			for _, s := range r.Stops {
				if i, ok := byID[s.Delivery]; ok {
					idx = append(idx, i)
					taken[s.Delivery] = true
				}
			}
			vehicleBusy[r.Vehicle] = true
			run := p.buildRun(*veh, idx, deliveries, pts, cost, meter, r.StartMin, true, nowMin)
			plan.Runs = append(plan.Runs, run)
		}
	}
	var free []model.Vehicle
	for _, v := range vehicles {
		if !vehicleBusy[v.ID] {
			free = append(free, v)
		}
	}
	sort.SliceStable(free, func(a, b int) bool { return free[a].Capacity > free[b].Capacity })

	// The solver works on identical vehicles: the tightest limits, so any
	// vehicle can drive any run, and the smallest free capacity, unless a
	// delivery or the day's total needs the larger vehicles (below).
	var todo []int // delivery indexes to route
	capMin, capMax := int64(math.MaxInt64), int64(0)
	maxDur := 0.0
	shiftEnd := 0.0
	for _, v := range free {
		capMin = min(capMin, v.Capacity)
		capMax = max(capMax, v.Capacity)
		if v.MaxDurationMin > 0 && (maxDur == 0 || v.MaxDurationMin < maxDur) {
			maxDur = v.MaxDurationMin
		}
		if v.ShiftEndMin > 0 && (shiftEnd == 0 || v.ShiftEndMin < shiftEnd) {
			shiftEnd = v.ShiftEndMin
		}
	}
	// As identical vehicles of the smallest capacity, the over deliveries
	// heavier than it would be left out, and a day heavier than the fleet
	// at that capacity (rest + the over ones) could not be planned at all.
	var over int
	var rest, total int64
	for i, d := range deliveries {
		if taken[d.ID] {
			continue
		}
		if len(free) == 0 || d.Demand > capMax || math.IsInf(cost[0][i+1], 1) || math.IsInf(cost[i+1][0], 1) {
			plan.Unassigned = append(plan.Unassigned, d.ID)
			continue
		}
		todo = append(todo, i)
		total += d.Demand
		if d.Demand > capMin {
			over++
		} else {
			rest += d.Demand
		}
	}
	lim := p.opt.TimeLimit
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < lim {
		lim = time.Until(dl)
	}
	solve := func(todo []int, capacity int64, lim time.Duration) (*vrp.Instance, [][]int, error) {
		in := p.instance(todo, deliveries, cost, capacity, maxDur, shiftStart, shiftEnd, len(free))
		var warm *vrp.Solution
		if prev != nil {
			warm = warmStart(prev, todo, deliveries, taken, in)
		}
		res, err := vrp.Solve(ctx, in, vrp.Options{TimeLimit: lim, Seed: p.opt.Seed, Workers: p.opt.Workers, Initial: warm})
		if err != nil {
			return nil, nil, fmt.Errorf("route: %w", err)
		}
		// Longest runs go to the largest vehicles.
		routes := res.Solution.Routes
		sort.SliceStable(routes, func(a, b int) bool { return in.Route(routes[a]).Load > in.Route(routes[b]).Load })
		return in, routes, nil
	}
	var routes [][]int
	if len(todo) > 0 && capMax > capMin && (over > 0 || total > int64(len(free))*capMin) {
		// A mixed fleet the smallest vehicle cannot stand for: plan with
		// the largest capacity, and keep the plan when its runs, heaviest
		// to the largest, fit the vehicles they get.
		in, rs, err := solve(todo, capMax, lim/2)
		if err != nil {
			return nil, err
		}
		caps := make([]int64, len(free))
		for k, v := range free {
			caps[k] = v.Capacity
		}
		fitted, stuck := fitFleet(in, rs, caps)
		if len(stuck) <= over || rest > int64(len(free))*capMin {
			routes = fitted
			for _, c := range stuck {
				plan.Unassigned = append(plan.Unassigned, deliveries[todo[c-1]].ID)
			}
		} else {
			lim -= lim / 2
			kept := todo[:0:0]
			for _, i := range todo {
				if deliveries[i].Demand > capMin {
					plan.Unassigned = append(plan.Unassigned, deliveries[i].ID)
				} else {
					kept = append(kept, i)
				}
			}
			todo = kept
		}
	}
	if routes == nil && len(todo) > 0 {
		var err error
		if _, routes, err = solve(todo, capMin, lim); err != nil {
			return nil, err
		}
	}
	for k, r := range routes {
		if len(r) == 0 {
			continue // a vehicle the fitted plan does not use
		}
		idx := make([]int, len(r))
		for i, c := range r {
			idx[i] = todo[c-1]
		}
		run := p.buildRun(free[k], idx, deliveries, pts, cost, meter, 0, false, nowMin)
		plan.Runs = append(plan.Runs, run)
	}
	plan.Feasible = len(plan.Unassigned) == 0
	if n := len(plan.Unassigned); n > 0 {
		plan.Problems = append(plan.Problems, fmt.Sprintf("%d deliveries could not be assigned (too heavy for every vehicle, or unreachable)", n))
	}
	due := map[string]float64{}
	for _, d := range deliveries {
		due[d.ID] = d.DueMin
	}
	for i := range plan.Runs {
		r := &plan.Runs[i]
		plan.DistanceM += r.DistanceM
		plan.DurationMin += r.DurationMin
		broke := func(format string, args ...any) {
			plan.Feasible = false
			plan.Problems = append(plan.Problems, fmt.Sprintf("run %d (%s) ", i+1, r.Vehicle)+fmt.Sprintf(format, args...))
		}
		if r.Load > r.Capacity {
			broke("carries %d, over its capacity %d", r.Load, r.Capacity)
		}
		veh := findVehicle(vehicles, r.Vehicle)
		if veh.MaxDurationMin > 0 && r.DurationMin > veh.MaxDurationMin+1e-6 {
			broke("takes %s, over its longest run %s", Span(r.DurationMin), Span(veh.MaxDurationMin))
		}
		if veh.ShiftEndMin > 0 && r.EndMin > veh.ShiftEndMin+1e-6 {
			broke("is back at %s, after its shift ends at %s", Clock(r.EndMin), Clock(veh.ShiftEndMin))
		}
		for _, s := range r.Stops {
			if s.Late {
				broke("serves %s at %s, after its window closes at %s", s.Delivery, Clock(s.StartMin), Clock(due[s.Delivery]))
			}
		}
		if p.g != nil && p.opt.RoadPaths {
			r.Path = p.RunPath(depot, r, band)
		} else {
			r.Path = append(r.Path, LatLon{depot.Lat, depot.Lon})
			for _, s := range r.Stops {
				r.Path = append(r.Path, LatLon{s.Lat, s.Lon})
			}
			r.Path = append(r.Path, LatLon{depot.Lat, depot.Lon})
		}
	}
	plan.SolveTime = time.Since(start)
	return plan, nil
}

// Clock formats minutes after midnight as 14:05 (past 24:00 for runs that
// end after midnight; --:-- for no time).
func Clock(min float64) string {
	if math.IsNaN(min) || math.IsInf(min, 0) {
		return "--:--"
	}
	m := int(math.Round(min))
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// Span formats a duration in minutes as 45m or 2h05m.
func Span(min float64) string {
	m := int(math.Round(min))
	if m < 60 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh%02dm", m/60, m%60)
}

func findVehicle(vs []model.Vehicle, id string) *model.Vehicle {
	for i := range vs {
		if vs[i].ID == id {
			return &vs[i]
		}
	}
	return nil
}

// instance builds the solver's problem over the deliveries in todo.
func (p *Planner) instance(todo []int, ds []model.Delivery, cost [][]float64, capacity int64, maxDur, shiftStart, shiftEnd float64, fleet int) *vrp.Instance {
	n := len(todo) + 1
	in := &vrp.Instance{Name: "plan", Capacity: capacity, Demand: make([]int64, n), Service: make([]float64, n),
		Dist: make([]float64, n*n), MaxDuration: maxDur, Vehicles: fleet}
	ix := make([]int, n) // instance node -> point index
	for k, i := range todo {
		ix[k+1] = i + 1
		in.Demand[k+1] = ds[i].Demand
		in.Service[k+1] = ds[i].ServiceMin
	}
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			in.Dist[a*n+b] = cost[ix[a]][ix[b]]
		}
	}
	windows := shiftEnd > 0 || shiftStart > 0
	for _, i := range todo {
		if ds[i].HasWindow() {
			windows = true
		}
	}
	if windows {
		in.Ready, in.Due = make([]float64, n), make([]float64, n)
		in.Ready[0] = shiftStart
		in.Due[0] = shiftEnd
		if shiftEnd == 0 {
			in.Due[0] = 2 * 1440
		}
		for k, i := range todo {
			d := ds[i]
			in.Ready[k+1], in.Due[k+1] = 0, 2*1440
			if d.HasWindow() {
				in.Ready[k+1], in.Due[k+1] = d.ReadyMin, d.DueMin
			}
		}
	}
	return in
}

// warmStart maps prev's not-departed runs onto the new instance; new
// deliveries go where they add the least travel.
func warmStart(prev *Plan, todo []int, ds []model.Delivery, taken map[string]bool, in *vrp.Instance) *vrp.Solution {
	node := map[string]int{}
	for k, i := range todo {
		node[ds[i].ID] = k + 1
	}
	placed := map[int]bool{}
	var routes [][]int
	for _, r := range prev.Runs {
		var rr []int
		for _, s := range r.Stops {
			if c, ok := node[s.Delivery]; ok && !placed[c] {
				rr = append(rr, c)
				placed[c] = true
			}
		}
		if len(rr) > 0 {
			routes = append(routes, rr)
		}
	}
	for c := 1; c < in.N(); c++ {
		if placed[c] {
			continue
		}
		bestR, bestPos, bestCost := -1, 0, math.Inf(1)
		for ri, r := range routes {
			var load int64
			for _, x := range r {
				load += in.Demand[x]
			}
			if load+in.Demand[c] > in.Capacity {
				continue
			}
			for pos := 0; pos <= len(r); pos++ {
				a, b := 0, 0
				if pos > 0 {
					a = r[pos-1]
				}
				if pos < len(r) {
					b = r[pos]
				}
				if d := in.D(a, c) + in.D(c, b) - in.D(a, b); d < bestCost {
					bestR, bestPos, bestCost = ri, pos, d
				}
			}
		}
		if bestR < 0 {
			routes = append(routes, []int{c})
			continue
		}
		r := routes[bestR]
		r = append(r[:bestPos], append([]int{c}, r[bestPos:]...)...)
		routes[bestR] = r
	}
	if in.Vehicles > 0 && len(routes) > in.Vehicles {
		return nil
	}
	return &vrp.Solution{Routes: routes}
}

// buildRun times a run: it leaves at the latest moment that keeps every
// window (never before the shift), waits at early arrivals, and marks
// stops served before nowMin as done.
func (p *Planner) buildRun(v model.Vehicle, idx []int, ds []model.Delivery, pts []point, cost, meter [][]float64, fixedStart float64, departed bool, nowMin float64) Run {
	r := Run{Vehicle: v.ID, Capacity: v.Capacity, Departed: departed}
	// Latest start of service backwards from the end of the shift.
	late := math.Inf(1)
	if v.ShiftEndMin > 0 {
		late = v.ShiftEndMin
	}
	next := 0
	for k := len(idx) - 1; k >= 0; k-- {
		i := idx[k]
		due := math.Inf(1)
		if ds[i].HasWindow() {
			due = ds[i].DueMin
		}
		late = math.Min(due, late-cost[i+1][next]-ds[i].ServiceMin)
		next = i + 1
	}
	t := v.ShiftStartMin
	if len(idx) > 0 && !math.IsInf(late, 1) {
		t = math.Max(t, late-cost[0][next])
	}
	if departed {
		t = fixedStart
	}
	r.StartMin = t
	prev := 0
	for _, i := range idx {
		d := ds[i]
		leg := cost[prev][i+1]
		t += leg
		s := Stop{Delivery: d.ID, Customer: d.Customer, Lat: d.Lat, Lon: d.Lon, SnapM: pts[i+1].snapM,
			Demand: d.Demand, LegM: meter[prev][i+1], LegMin: leg, ArriveMin: t}
		if p.g != nil && pts[i+1].node >= 0 {
			s.Node = p.g.ID(pts[i+1].node)
		}
		if d.HasWindow() && t < d.ReadyMin {
			t = d.ReadyMin
		}
		s.StartMin = t
		s.Late = d.HasWindow() && t > d.DueMin+1e-6
		t += d.ServiceMin
		s.DepartMin = t
		s.Done = departed && s.DepartMin <= nowMin
		r.Stops = append(r.Stops, s)
		r.Load += d.Demand
		r.DistanceM += s.LegM
		prev = i + 1
	}
	t += cost[prev][0]
	r.DistanceM += meter[prev][0]
	r.EndMin = t
	r.DurationMin = t - r.StartMin
	return r
}

// RunPath follows the roads a run drives, depot to depot, in a traffic
// band (nil without a road graph).
func (p *Planner) RunPath(depot Depot, r *Run, band int) []LatLon {
	if p.g == nil {
		return nil
	}
	s := NewSearcher(p.g)
	d, _ := p.snap.Nearest(depot.Lat, depot.Lon)
	seq := []int32{d}
	for _, st := range r.Stops {
		v, _ := p.snap.Nearest(st.Lat, st.Lon)
		seq = append(seq, v)
	}
	seq = append(seq, d)
	var out []LatLon
	for k := 0; k+1 < len(seq); k++ {
		res := s.AStar(seq[k], seq[k+1], Time, band, true)
		for i, v := range res.Nodes {
			if i == 0 && len(out) > 0 {
				continue
			}
			lat, lon := p.g.LatLon(v)
			out = append(out, LatLon{lat, lon})
		}
	}
	return out
}

// Bounds is the box around the depot, the stops and the paths, for drawing.
func (pl *Plan) Bounds() (minLat, minLon, maxLat, maxLon float64) {
	minLat, minLon, maxLat, maxLon = pl.Depot.Lat, pl.Depot.Lon, pl.Depot.Lat, pl.Depot.Lon
	grow := func(lat, lon float64) {
		minLat, maxLat = math.Min(minLat, lat), math.Max(maxLat, lat)
		minLon, maxLon = math.Min(minLon, lon), math.Max(maxLon, lon)
	}
	for _, r := range pl.Runs {
		for _, s := range r.Stops {
			grow(s.Lat, s.Lon)
		}
		for _, q := range r.Path {
			grow(q.Lat, q.Lon)
		}
	}
	return
}

// Project maps a point into a w×h cell grid over Bounds (x right, y down),
// keeping the aspect ratio of the ground (a degree of longitude shrinks by
// cos(latitude)) with terminal cells about twice as tall as wide.
func (pl *Plan) Project(lat, lon float64, w, h int) (x, y int) {
	minLat, minLon, maxLat, maxLon := pl.Bounds()
	k := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	spanX := math.Max((maxLon-minLon)*k, 1e-9)
	spanY := math.Max(maxLat-minLat, 1e-9)
	// Cells are ~2:1, so a cell covers half as much ground across as down.
	scale := math.Min(float64(w-1)/spanX, float64(h-1)*2/spanY)
	offX := (float64(w-1) - spanX*scale) / 2
	offY := (float64(h-1) - spanY*scale/2) / 2
	x = int(math.Round(offX + (lon-minLon)*k*scale))
	y = int(math.Round(offY + (maxLat-lat)*scale/2))
	return
}
