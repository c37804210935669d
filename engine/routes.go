package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"stockroom/data"
	"stockroom/engine/route"
	"stockroom/model"
)

// RouteOptions tune planning from the store.
type RouteOptions struct {
	TimeLimit time.Duration // solver time (default 2s)
	Seed      uint64
	Workers   int    // parallel searches (default: all cores)
	User      string // who planned, for the plan and the audit trail
	// Now is when the plan is made; runs of that day that left the depot
	// before it keep their stops on a re-plan. Zero means the engine's clock.
	Now time.Time
}

// RoutePlan is a stored plan: the engine's plan with who made it and when.
type RoutePlan struct {
	ID        int64
	CreatedAt time.Time
	User      string
	Note      string // "planned afresh", or what a re-plan reacted to
	*route.Plan
}

// ErrNoDeliveries says a depot has nothing to deliver on a day.
var ErrNoDeliveries = errors.New("no deliveries")

// routeInput is everything a plan of one depot and day reads.
type routeInput struct {
	depot      route.Depot
	deliveries []model.Delivery
	vehicles   []model.Vehicle
	planner    *route.Planner
}

// loadRouteInput reads a depot's day from the store and builds a planner
// over the road network with the traffic factors in force. The engine
// keeps no planner between calls: a plan is a few reads and one matrix,
// and every process (CLI, console, server) then sees the same roads.
func (e *Engine) loadRouteInput(ctx context.Context, depot string, date model.Date, opt RouteOptions) (*routeInput, error) {
	locs, err := e.store.Locations(ctx)
	if err != nil {
		return nil, err
	}
	in := &routeInput{depot: route.Depot{Code: depot, Lat: math.NaN(), Lon: math.NaN()}}
	for _, l := range locs {
		if l.Code == depot {
			in.depot.Lat, in.depot.Lon = l.Lat, l.Lon
		}
	}
	if math.IsNaN(in.depot.Lat) || math.IsNaN(in.depot.Lon) {
		if !hasCode(locs, depot) {
			return nil, fmt.Errorf("depot %s: no such location", depot)
		}
		return nil, fmt.Errorf("depot %s: the location has no lat/lon to start runs from", depot)
	}
	if in.vehicles, err = e.store.Vehicles(ctx, depot); err != nil {
		return nil, err
	}
	if len(in.vehicles) == 0 {
		return nil, fmt.Errorf("depot %s: no vehicles (import a vehicles file)", depot)
	}
	if in.deliveries, err = e.store.Deliveries(ctx, depot, date); err != nil {
		return nil, err
	}
	nodes, err := e.store.RoadNodes(ctx)
	if err != nil {
		return nil, err
	}
	edges, err := e.store.RoadEdges(ctx)
	if err != nil {
		return nil, err
	}
	factors, err := e.store.RoadFactors(ctx)
	if err != nil {
		return nil, err
	}
	in.planner, err = route.NewPlanner(nodes, edges, route.PlanOptions{TimeLimit: opt.TimeLimit, Seed: opt.Seed,
		Workers: opt.Workers, RoadPaths: len(nodes) > 0})
	if err != nil {
		return nil, err
	}
	if g := in.planner.Graph(); g != nil {
		for _, f := range factors {
			if ix, ok := g.EdgeIndex(f.From, f.To); ok {
				if err := in.planner.SetFactor(ix, 0, f.Factor); err != nil {
					return nil, err
				}
			}
		}
	}
	return in, nil
}

func hasCode(locs []model.Location, code string) bool {
	for _, l := range locs {
		if l.Code == code {
			return true
		}
	}
	return false
}

// PlanRoutes plans a depot's deliveries of a day from scratch over the
// imported roads (great circles without them) and vehicles, stores the
// plan and announces it.
func (e *Engine) PlanRoutes(ctx context.Context, depot string, date model.Date, opt RouteOptions) (*RoutePlan, error) {
	in, err := e.loadRouteInput(ctx, depot, date, opt)
	if err != nil {
		return nil, fmt.Errorf("plan routes: %w", err)
	}
	if len(in.deliveries) == 0 {
		return nil, fmt.Errorf("plan routes: depot %s on %s: %w", depot, date, ErrNoDeliveries)
	}
	p, err := in.planner.Plan(ctx, in.depot, date, in.deliveries, in.vehicles)
	if err != nil {
		return nil, fmt.Errorf("plan routes: %w", err)
	}
	return e.storePlan(ctx, p, opt, "planned afresh")
}

// ReplanRoutes re-plans a depot's day from its latest stored plan (warm
// start) after deliveries were added or cancelled, vehicles changed or a
// road's traffic changed. On the day itself, runs that left before
// opt.Now keep their stops. Without a stored plan it plans from scratch.
func (e *Engine) ReplanRoutes(ctx context.Context, depot string, date model.Date, opt RouteOptions) (*RoutePlan, error) {
	sp, err := e.store.LatestRoutePlan(ctx, depot, date)
	if errors.Is(err, data.ErrNotFound) {
		return e.PlanRoutes(ctx, depot, date, opt)
	}
	if err != nil {
		return nil, fmt.Errorf("replan routes: %w", err)
	}
	in, err := e.loadRouteInput(ctx, depot, date, opt)
	if err != nil {
		return nil, fmt.Errorf("replan routes: %w", err)
	}
	prev := fromStored(sp).Plan
	// The depot may have moved since: runs start where it is now.
	prev.Depot = in.depot
	now := opt.Now
	if now.IsZero() {
		now = e.clock()
	}
	p, err := in.planner.Replan(ctx, prev, in.deliveries, in.vehicles, minuteOfPlanDay(date, now))
	if err != nil {
		return nil, fmt.Errorf("replan routes: %w", err)
	}
	return e.storePlan(ctx, p, opt, replanNote(prev, p, in.deliveries))
}

// minuteOfPlanDay is the minute of the plan's day that now falls on:
// negative before the day (nothing has left yet), past the day's end
// after it (everything has).
func minuteOfPlanDay(date model.Date, now time.Time) float64 {
	today := model.DateOf(now)
	switch {
	case today < date:
		return -1
	case today > date:
		return 1e9
	}
	h, m, s := now.Clock()
	return float64(h*60+m) + float64(s)/60
}

// replanNote says what a re-plan reacted to, for the plan list and audit.
func replanNote(prev, p *route.Plan, ds []model.Delivery) string {
	before := map[string]bool{}
	for _, r := range prev.Runs {
		for _, s := range r.Stops {
			before[s.Delivery] = true
		}
	}
	for _, d := range prev.Unassigned {
		before[d] = true
	}
	added, kept := 0, 0
	for _, d := range ds {
		if before[d.ID] {
			kept++
		} else {
			added++
		}
	}
	note := fmt.Sprintf("replan: %d added, %d cancelled", added, len(before)-kept)
	departed := 0
	for _, r := range p.Runs {
		if r.Departed {
			departed++
		}
	}
	if departed > 0 {
		note += fmt.Sprintf(", %d runs on the road kept", departed)
	}
	return note
}

func (e *Engine) storePlan(ctx context.Context, p *route.Plan, opt RouteOptions, note string) (*RoutePlan, error) {
	created := opt.Now
	if created.IsZero() {
		created = e.clock()
	}
	sp := toStored(p)
	sp.User, sp.Note, sp.CreatedAt = opt.User, note, created
	id, err := e.store.SaveRoutePlan(ctx, sp)
	if err != nil {
		return nil, err
	}
	stops := 0
	for _, r := range p.Runs {
		stops += len(r.Stops)
	}
	text := fmt.Sprintf("routes %s %s: %d runs, %d stops, %.1f km", p.Depot.Code, p.Date, len(p.Runs), stops, p.DistanceM/1000)
	if len(p.Unassigned) > 0 {
		text += fmt.Sprintf(", %d unassigned", len(p.Unassigned))
	}
	e.hub.Publish(model.Change{Kind: model.ChangeRoutes, Text: text})
	return &RoutePlan{ID: id, CreatedAt: created, User: opt.User, Note: note, Plan: p}, nil
}

// LatestRoutePlan returns the newest stored plan of a depot's day, or nil
// when there is none.
func (e *Engine) LatestRoutePlan(ctx context.Context, depot string, date model.Date) (*RoutePlan, error) {
	sp, err := e.store.LatestRoutePlan(ctx, depot, date)
	if errors.Is(err, data.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return fromStored(sp), nil
}

// RoutePlans lists stored plans newest first (headers: no runs), of a
// depot ("" for all) on a day (NoDate for all).
func (e *Engine) RoutePlans(ctx context.Context, depot string, date model.Date, limit int) ([]data.RoutePlan, error) {
	return e.store.RoutePlans(ctx, depot, date, limit)
}

// RouteDay picks the depot and day a routes screen opens on when none is
// given: the depot (with vehicles) of the newest stored plan or else the
// first one, and its first day with deliveries on or after the store's
// as-of day (else its last day with deliveries). The day is NoDate when
// the depot has no deliveries.
func (e *Engine) RouteDay(ctx context.Context, depot string) (string, model.Date, error) {
	if depot == "" {
		plans, err := e.store.RoutePlans(ctx, "", model.NoDate, 1)
		if err != nil {
			return "", model.NoDate, err
		}
		if len(plans) > 0 {
			return plans[0].Depot, plans[0].Date, nil
		}
		vs, err := e.store.Vehicles(ctx, "")
		if err != nil {
			return "", model.NoDate, err
		}
		if len(vs) == 0 {
			return "", model.NoDate, nil
		}
		depots := map[string]bool{}
		for _, v := range vs {
			depots[v.Depot] = true
		}
		var codes []string
		for d := range depots {
			codes = append(codes, d)
		}
		sort.Strings(codes)
		depot = codes[0]
	}
	days, _, err := e.store.DeliveryDays(ctx, depot)
	if err != nil || len(days) == 0 {
		return depot, model.NoDate, err
	}
	asOf, err := e.store.AsOf(ctx)
	if err != nil {
		return depot, model.NoDate, err
	}
	for _, d := range days {
		if d >= asOf {
			return depot, d, nil
		}
	}
	return depot, days[len(days)-1], nil
}

// SetRoadFactor records traffic on a road (factor × its driving time;
// +Inf closes it, 1 clears it) for every later plan, and announces it.
// Re-plan the days it affects with ReplanRoutes.
func (e *Engine) SetRoadFactor(ctx context.Context, from, to int64, factor float64, user string) error {
	if err := e.store.SetRoadFactor(ctx, data.RoadFactor{From: from, To: to, Factor: factor, User: user}); err != nil {
		return err
	}
	what := fmt.Sprintf("×%g", factor)
	switch {
	case math.IsInf(factor, 1):
		what = "closed"
	case factor == 1:
		what = "cleared"
	}
	e.hub.Publish(model.Change{Kind: model.ChangeRoutes, Text: fmt.Sprintf("road %d→%d %s", from, to, what)})
	return nil
}

// RoutesStep is the pipeline step that re-plans, warm, every stored plan
// of today or later whose depot got new deliveries, vehicles or roads in
// an import. It gives each re-plan timeLimit.
func RoutesStep(timeLimit time.Duration) Step {
	return Step{Name: "routes", Run: func(ctx context.Context, e *Engine, imported []data.FileResult) error {
		touched := false
		for _, r := range imported {
			switch r.Kind {
			case data.KindDeliveries, data.KindVehicles, data.KindRoads, data.KindNodes:
				touched = true
			}
		}
		if !touched {
			return nil
		}
		return e.replanFrom(ctx, model.DateOf(e.clock()), RouteOptions{TimeLimit: timeLimit, User: "pipeline"})
	}}
}

// replanFrom re-plans the latest stored plan of each depot and day from
// the given day on.
func (e *Engine) replanFrom(ctx context.Context, from model.Date, opt RouteOptions) error {
	plans, err := e.store.RoutePlans(ctx, "", model.NoDate, 1000)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var errs []error
	for _, p := range plans { // newest first: the first of each day is its latest
		k := p.Depot + " " + p.Date.String()
		if p.Date < from || seen[k] {
			continue
		}
		seen[k] = true
		if _, err := e.ReplanRoutes(ctx, p.Depot, p.Date, opt); err != nil && !errors.Is(err, ErrNoDeliveries) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func toStored(p *route.Plan) *data.RoutePlan {
	sp := &data.RoutePlan{Depot: p.Depot.Code, Date: p.Date, DepotLat: p.Depot.Lat, DepotLon: p.Depot.Lon,
		DistanceM: p.DistanceM, DurationMin: p.DurationMin, Feasible: p.Feasible, Roads: p.Roads, SolveTime: p.SolveTime,
		Unassigned: p.Unassigned, Problems: p.Problems}
	for _, r := range p.Runs {
		sr := data.RouteRun{Vehicle: r.Vehicle, Load: r.Load, Capacity: r.Capacity, DistanceM: r.DistanceM,
			DurationMin: r.DurationMin, StartMin: r.StartMin, EndMin: r.EndMin, Departed: r.Departed}
		for _, q := range r.Path {
			sr.Path = append(sr.Path, [2]float64{q.Lat, q.Lon})
		}
		for _, s := range r.Stops {
			sr.Stops = append(sr.Stops, data.RouteStop{Delivery: s.Delivery, Customer: s.Customer, Lat: s.Lat, Lon: s.Lon,
				Node: s.Node, SnapM: s.SnapM, Demand: s.Demand, LegM: s.LegM, LegMin: s.LegMin, ArriveMin: s.ArriveMin,
				StartMin: s.StartMin, DepartMin: s.DepartMin, Late: s.Late, Done: s.Done})
		}
		sp.Runs = append(sp.Runs, sr)
	}
	return sp
}

func fromStored(sp *data.RoutePlan) *RoutePlan {
	p := &route.Plan{Depot: route.Depot{Code: sp.Depot, Lat: sp.DepotLat, Lon: sp.DepotLon}, Date: sp.Date,
		Unassigned: sp.Unassigned, DistanceM: sp.DistanceM, DurationMin: sp.DurationMin, Feasible: sp.Feasible,
		Roads: sp.Roads, SolveTime: sp.SolveTime, Problems: sp.Problems}
	for _, r := range sp.Runs {
		run := route.Run{Vehicle: r.Vehicle, Load: r.Load, Capacity: r.Capacity, DistanceM: r.DistanceM,
			DurationMin: r.DurationMin, StartMin: r.StartMin, EndMin: r.EndMin, Departed: r.Departed}
		for _, q := range r.Path {
			run.Path = append(run.Path, route.LatLon{Lat: q[0], Lon: q[1]})
		}
		for _, s := range r.Stops {
			run.Stops = append(run.Stops, route.Stop{Delivery: s.Delivery, Customer: s.Customer, Lat: s.Lat, Lon: s.Lon,
				Node: s.Node, SnapM: s.SnapM, Demand: s.Demand, LegM: s.LegM, LegMin: s.LegMin, ArriveMin: s.ArriveMin,
				StartMin: s.StartMin, DepartMin: s.DepartMin, Late: s.Late, Done: s.Done})
		}
		p.Runs = append(p.Runs, run)
	}
	return &RoutePlan{ID: sp.ID, CreatedAt: sp.CreatedAt, User: sp.User, Note: sp.Note, Plan: p}
}
