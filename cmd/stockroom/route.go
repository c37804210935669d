package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"stockroom/engine"
	"stockroom/engine/route"
	"stockroom/engine/route/vrp"
	"stockroom/model"
)

const routeDescription = `
Plan delivery routes.

With --instance, solve a CVRPLIB/TSPLIB instance (EUC_2D distances rounded
to the nearest integer as TSPLIB specifies, unless --round=false; DISTANCE
is the maximum route length and SERVICE_TIME the time at each customer) and
write the solution in CVRPLIB format (Route #k: customers numbered from 1,
depot omitted; then Cost N) to --out, or to standard output. The cost is
always printed. The search is a hybrid genetic search; it stops at
--time-limit and returns the best solution found.

With --db, plan a depot's deliveries of a day from the store: the imported
deliveries, the depot's vehicles (capacity, shift, longest run) and the
road network (great-circle distance × 1.3 at 40 km/h without one), with
the traffic factors set so far. Without --depot or --date it takes the
ones the Routes screen opens on (the depot of the latest plan, else the
first with vehicles; its first day with deliveries from the store's data
day on) and says which. The plan is stored (the console's Routes
screen shows the latest) and printed: one line per run with its vehicle,
stops, load/capacity, km and duration, or JSON with --json. --replan starts
from the day's latest stored plan instead of from scratch (new deliveries
are fitted in, cancelled ones dropped); with --now, runs that left the
depot before that time of day keep their stops. --traffic FROM-TO=FACTOR
slows the road between two nodes (2 = twice as long, 1 = clear, "closed")
for this and every later plan. --list lists the stored plans instead.

Exit status: 0 on success, 1 on errors (no deliveries that day, no
vehicles, a depot without coordinates), 2 for usage errors, 3 when the
plan leaves deliveries unassigned or breaks a limit (it is still stored
and printed).`

func runRoute(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "route", "--instance FILE.vrp [--time-limit 10s] [--seed N] [--out FILE.sol]\n       stockroom route --db DB [--depot D] [--date YYYY-MM-DD] [--time-limit 10s] [--json] [--replan [--now HH:MM]] [--traffic FROM-TO=F]...\n       stockroom route --db DB --list [--depot D] [--date YYYY-MM-DD] [--json]", routeDescription)
	instance := fs.String("instance", "", "CVRPLIB/TSPLIB `file` to solve")
	limit := fs.Duration("time-limit", 10*time.Second, "stop the search after this long")
	seed := fs.Uint64("seed", 1, "random seed; the same seed and iteration budget give the same routes")
	out := fs.String("out", "", "write the solution to this `file` (default: standard output)")
	round := fs.Bool("round", true, "round EUC_2D distances to the nearest integer (TSPLIB); false for CMT-style unrounded")
	workers := fs.Int("workers", 0, "parallel searches (default: all cores)")
	vehicles := fs.Int("vehicles", 0, "fix the fleet size (default: the file's VEHICLES, else as many as needed)")
	iters := fs.Int("iterations", 0, "also stop after this many iterations without improvement (0: time limit only)")
	db := dbFlag(c, fs)
	depot := fs.String("depot", "", "depot location code (with --db)")
	date := fs.String("date", "", "delivery date YYYY-MM-DD (with --db)")
	asJSON := fs.Bool("json", false, "with --db: print the plan as JSON")
	replan := fs.Bool("replan", false, "with --db: start from the day's latest stored plan (warm start)")
	now := fs.String("now", "", "with --replan: time of day `HH:MM`; runs that left the depot before it keep their stops (default: the current time)")
	stops := fs.Bool("stops", false, "with --db: list each run's stops")
	user := fs.String("as", "", "with --db: who is planning, for the plan and the audit trail (default: the login name)")
	list := fs.Bool("list", false, "with --db: list the stored plans (of --depot and --date when given), newest first, instead of planning")
	var traffic []roadFactor
	fs.Func("traffic", "with --db: `FROM-TO=FACTOR` sets traffic on the road between two node ids (2: twice as long, 1: clear, closed); repeatable", func(v string) error {
		f, err := parseRoadFactor(v)
		traffic = append(traffic, f)
		return err
	})
	err := parseNoArgs(fs, args)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	dbSet := false
	for _, n := range []string{"db", "depot", "date", "json", "replan", "now", "stops", "as", "traffic", "list"} {
		dbSet = dbSet || set[n]
	}
	switch {
	case *instance != "" && dbSet:
		return usageErrorf("route: give either --instance or --db/--depot/--date, not both")
	case *instance == "" && !dbSet:
		return usageErrorf("route: give --instance FILE.vrp, or --db DB [--depot D] [--date YYYY-MM-DD]")
	case *instance == "":
		for _, n := range []string{"out", "round", "vehicles", "iterations"} {
			if set[n] {
				return usageErrorf("route: --%s is for --instance; with --db the fleet and limits come from the store", n)
			}
		}
		if *limit <= 0 {
			return usageErrorf("route: --time-limit must be positive")
		}
		if *list {
			for _, n := range []string{"replan", "now", "stops", "traffic"} {
				if set[n] {
					return usageErrorf("route: --%s plans; --list only lists", n)
				}
			}
		}
		day := model.NoDate
		if *date != "" {
			if day, err = model.ParseDate(*date); err != nil {
				return usageErrorf("route --date: %q is not a date YYYY-MM-DD", *date)
			}
		}
		if *list {
			return routeList(ctx, c, *db, *depot, day, *asJSON)
		}
		var hm *time.Time
		if *now != "" {
			if !*replan {
				return usageErrorf("route: --now is for --replan")
			}
			t, err := time.Parse("15:04", *now)
			if err != nil {
				return usageErrorf("route --now: %q is not a time of day HH:MM", *now)
			}
			hm = &t
		}
		return routeDB(ctx, c, *db, *depot, day, hm, traffic, engine.RouteOptions{TimeLimit: *limit, Seed: *seed,
			Workers: *workers, User: userName(c, *user)}, *replan, *asJSON, *stops)
	}
	if *limit <= 0 && *iters <= 0 {
		return usageErrorf("route: --time-limit must be positive (or give --iterations)")
	}
	f, err := os.Open(*instance)
	if err != nil {
		return fmt.Errorf("route: %w", err)
	}
	in, err := vrp.ReadTSPLIB(*instance, f, vrp.ParseOptions{Unrounded: !*round})
	f.Close()
	if err != nil {
		return fmt.Errorf("route: %w", err)
	}
	if *vehicles > 0 {
		in.Vehicles = *vehicles
		if err := in.Validate(); err != nil {
			return usageErrorf("route: --vehicles %d: %v", *vehicles, err)
		}
	}
	res, err := vrp.Solve(ctx, in, vrp.Options{TimeLimit: *limit, Seed: *seed, Workers: *workers, MaxIterations: *iters})
	if err != nil {
		return fmt.Errorf("route: %w", err)
	}
	if err := vrp.Check(in, res.Solution, 1e-6); err != nil && res.Feasible {
		return fmt.Errorf("route: internal error, solution fails the check: %w", err)
	}
	routes := len(res.Solution.Routes)
	fmt.Fprintf(c.stderr, "route: %s: %d customers, %d routes, cost %s, %d iterations in %.1fs (best after %.1fs)\n",
		in.Name, in.N()-1, routes, vrp.FormatCost(res.Solution.Cost), res.Iterations, res.Elapsed.Seconds(), res.FoundAfter.Seconds())
	if *out == "" {
		if err := vrp.WriteSolution(c.stdout, res.Solution); err != nil {
			return err
		}
	} else {
		w, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("route: %w", err)
		}
		if err := vrp.WriteSolution(w, res.Solution); err != nil {
			w.Close()
			return fmt.Errorf("route: write %s: %w", *out, err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("route: write %s: %w", *out, err)
		}
		fmt.Fprintf(c.stdout, "Cost %s\n", vrp.FormatCost(res.Solution.Cost))
	}
	if !res.Feasible {
		return &exitError{code: 3, err: fmt.Errorf("route: no feasible solution found (the fleet or the limits are too tight); best infeasible written")}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// roadFactor is one --traffic setting.
type roadFactor struct {
	from, to int64
	factor   float64
}

// parseRoadFactor reads FROM-TO=FACTOR, FACTOR a positive number or
// "closed".
func parseRoadFactor(v string) (roadFactor, error) {
	var f roadFactor
	road, val, ok := strings.Cut(v, "=")
	a, b, ok2 := strings.Cut(road, "-")
	if !ok || !ok2 {
		return f, fmt.Errorf("%q is not FROM-TO=FACTOR", v)
	}
	var err error
	if f.from, err = strconv.ParseInt(strings.TrimSpace(a), 10, 64); err != nil {
		return f, fmt.Errorf("%q: FROM is not a node id", v)
	}
	if f.to, err = strconv.ParseInt(strings.TrimSpace(b), 10, 64); err != nil {
		return f, fmt.Errorf("%q: TO is not a node id", v)
	}
	switch val = strings.ToLower(strings.TrimSpace(val)); val {
	case "closed", "inf", "+inf":
		f.factor = math.Inf(1)
	default:
		f.factor, err = strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(f.factor) || f.factor <= 0 {
			return f, fmt.Errorf("%q: FACTOR must be a positive number or closed", v)
		}
	}
	return f, nil
}

// routeDB plans (or re-plans) a depot's day from the store. Without a
// depot or a day it takes the ones the Routes screen opens on, and says so.
// hm, when set, is the time of day of --now.
func routeDB(ctx context.Context, c *cli, dbPath, depot string, day model.Date, hm *time.Time, traffic []roadFactor, opt engine.RouteOptions, replan, asJSON, stops bool) error {
	eng, closeFn, err := openExistingEngine(ctx, c, dbPath)
	if err != nil {
		return err
	}
	defer closeFn()
	if depot != "" {
		locs, err := eng.Locations(ctx)
		if err != nil {
			return err
		}
		codes := make([]string, len(locs))
		for i, l := range locs {
			codes[i] = l.Code
		}
		if !slices.Contains(codes, depot) {
			return fmt.Errorf("route: --depot %s: no such location (the store has %s)", depot, strings.Join(codes, ", "))
		}
	}
	if depot == "" || day == model.NoDate {
		d, first, err := eng.RouteDay(ctx, depot)
		if err != nil {
			return fmt.Errorf("route: %w", err)
		}
		if d == "" {
			return fmt.Errorf("route: %s has no vehicles: import a vehicles file, or give --depot", dbPath)
		}
		if day == model.NoDate && first == model.NoDate {
			return fmt.Errorf("route: nothing to deliver from %s on any day (import a deliveries file)", d)
		}
		depot = d // RouteDay keeps a depot it is given
		if day == model.NoDate {
			day = first
		}
		fmt.Fprintf(c.stderr, "route: planning %s for %s (--depot and --date choose another)\n", depot, day)
	}
	if hm != nil {
		t := day.Time()
		opt.Now = time.Date(t.Year(), t.Month(), t.Day(), hm.Hour(), hm.Minute(), 0, 0, time.Local)
	}
	for _, f := range traffic {
		if err := eng.SetRoadFactor(ctx, f.from, f.to, f.factor, opt.User); err != nil {
			return fmt.Errorf("route --traffic: %w", err)
		}
	}
	var p *engine.RoutePlan
	if replan {
		p, err = eng.ReplanRoutes(ctx, depot, day, opt)
	} else {
		p, err = eng.PlanRoutes(ctx, depot, day, opt)
	}
	if err != nil {
		if errors.Is(err, engine.ErrNoDeliveries) {
			return fmt.Errorf("route: nothing to deliver from %s on %s (import a deliveries file)", depot, day)
		}
		return fmt.Errorf("route: %w", err)
	}
	if asJSON {
		err = writeJSON(c.stdout, planJSON(p))
	} else {
		err = printPlan(c.stdout, p, stops)
	}
	if err != nil {
		return err
	}
	if !p.Feasible {
		why := "it breaks a capacity, duration or time-window limit"
		if n := len(p.Problems); n > 0 {
			why = strings.Join(p.Problems[:min(n, 3)], "; ")
			if n > 3 {
				why += fmt.Sprintf("; and %d more", n-3)
			}
		}
		return &exitError{code: 3, err: fmt.Errorf("route: plan %d stored, but %s", p.ID, why)}
	}
	return nil
}

func printPlan(w io.Writer, p *engine.RoutePlan, stops bool) error {
	n := 0
	for _, r := range p.Runs {
		n += len(r.Stops)
	}
	dist := "great-circle distances"
	if p.Roads {
		dist = "road distances"
	}
	state := "feasible"
	if !p.Feasible {
		state = "NOT feasible"
	}
	fmt.Fprintf(w, "plan %d: %s %s, %d runs, %d stops, %.1f km, %s on the road, %s, %s, planned in %.1fs (%s)\n",
		p.ID, p.Depot.Code, p.Date, len(p.Runs), n, p.DistanceM/1000, route.Span(p.DurationMin), state, dist, p.SolveTime.Seconds(), p.Note)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "RUN\tVEHICLE\tSTOPS\tLOAD/CAP\tKM\tDURATION\tSTART\tEND\t")
	for i, r := range p.Runs {
		note := ""
		if r.Departed {
			note = " on the road"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d/%d\t%.1f\t%s\t%s\t%s\t%s\n", i+1, r.Vehicle, len(r.Stops), r.Load, r.Capacity,
			r.DistanceM/1000, route.Span(r.DurationMin), route.Clock(r.StartMin), route.Clock(r.EndMin), note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if stops {
		for i, r := range p.Runs {
			fmt.Fprintf(w, "\nrun %d, %s:\n", i+1, r.Vehicle)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  #\tDELIVERY\tCUSTOMER\tDEMAND\tARRIVE\tSTART\tLEG KM\t")
			for k, s := range r.Stops {
				flag := ""
				switch {
				case s.Late:
					flag = "late"
				case s.Done:
					flag = "done"
				}
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%s\t%s\t%.1f\t%s\n", k+1, s.Delivery, s.Customer, s.Demand, route.Clock(s.ArriveMin),
					route.Clock(s.StartMin), s.LegM/1000, flag)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
	if len(p.Unassigned) > 0 {
		fmt.Fprintf(w, "unassigned: %s\n", strings.Join(p.Unassigned, " "))
	}
	return nil
}

type stopJSON struct {
	Delivery  string  `json:"delivery"`
	Customer  string  `json:"customer"`
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	Node      int64   `json:"node,omitempty"`
	SnapM     float64 `json:"snap_m"`
	Demand    int64   `json:"demand"`
	LegM      float64 `json:"leg_m"`
	LegMin    float64 `json:"leg_min"`
	ArriveMin float64 `json:"arrive_min"`
	StartMin  float64 `json:"start_min"`
	DepartMin float64 `json:"depart_min"`
	Late      bool    `json:"late"`
	Done      bool    `json:"done"`
}

type runJSON struct {
	Vehicle     string     `json:"vehicle"`
	Stops       []stopJSON `json:"stops"`
	Load        int64      `json:"load"`
	Capacity    int64      `json:"capacity"`
	DistanceM   float64    `json:"distance_m"`
	DurationMin float64    `json:"duration_min"`
	StartMin    float64    `json:"start_min"`
	EndMin      float64    `json:"end_min"`
	Departed    bool       `json:"departed"`
}

type planJSONOut struct {
	PlanID      int64     `json:"plan_id"`
	Depot       string    `json:"depot"`
	Date        string    `json:"date"`
	CreatedAt   time.Time `json:"created_at"`
	User        string    `json:"user"`
	Note        string    `json:"note"`
	Feasible    bool      `json:"feasible"`
	Roads       bool      `json:"roads"`
	DistanceM   float64   `json:"distance_m"`
	DurationMin float64   `json:"duration_min"`
	SolveMS     int64     `json:"solve_ms"`
	Runs        []runJSON `json:"runs"`
	Unassigned  []string  `json:"unassigned"`
	Problems    []string  `json:"problems"` // which limits a plan that is not feasible breaks
}

func planJSON(p *engine.RoutePlan) planJSONOut {
	out := planJSONOut{PlanID: p.ID, Depot: p.Depot.Code, Date: p.Date.String(), CreatedAt: p.CreatedAt, User: p.User,
		Note: p.Note, Feasible: p.Feasible, Roads: p.Roads, DistanceM: p.DistanceM, DurationMin: p.DurationMin,
		SolveMS: p.SolveTime.Milliseconds(), Runs: []runJSON{}, Unassigned: append([]string{}, p.Unassigned...),
		Problems: append([]string{}, p.Problems...)}
	for _, r := range p.Runs {
		rj := runJSON{Vehicle: r.Vehicle, Stops: []stopJSON{}, Load: r.Load, Capacity: r.Capacity, DistanceM: r.DistanceM,
			DurationMin: r.DurationMin, StartMin: r.StartMin, EndMin: r.EndMin, Departed: r.Departed}
		for _, s := range r.Stops {
			rj.Stops = append(rj.Stops, stopOf(s))
		}
		out.Runs = append(out.Runs, rj)
	}
	return out
}

func stopOf(s route.Stop) stopJSON {
	return stopJSON{Delivery: s.Delivery, Customer: s.Customer, Lat: s.Lat, Lon: s.Lon, Node: s.Node, SnapM: s.SnapM,
		Demand: s.Demand, LegM: s.LegM, LegMin: s.LegMin, ArriveMin: s.ArriveMin, StartMin: s.StartMin,
		DepartMin: s.DepartMin, Late: s.Late, Done: s.Done}
}

func routeList(ctx context.Context, c *cli, dbPath, depot string, day model.Date, asJSON bool) error {
	eng, closeFn, err := openExistingEngine(ctx, c, dbPath)
	if err != nil {
		return err
	}
	defer closeFn()
	plans, err := eng.RoutePlans(ctx, depot, day, 0)
	if err != nil {
		return fmt.Errorf("route --list: %w", err)
	}
	if asJSON {
		type planRow struct {
			PlanID      int64     `json:"plan_id"`
			CreatedAt   time.Time `json:"created_at"`
			User        string    `json:"user"`
			Depot       string    `json:"depot"`
			Date        string    `json:"date"`
			Runs        int       `json:"runs"`
			Stops       int       `json:"stops"`
			DistanceM   float64   `json:"distance_m"`
			DurationMin float64   `json:"duration_min"`
			Feasible    bool      `json:"feasible"`
			Roads       bool      `json:"roads"`
			Note        string    `json:"note"`
			Problems    []string  `json:"problems"`
		}
		rows := []planRow{}
		for _, p := range plans {
			rows = append(rows, planRow{p.ID, p.CreatedAt, p.User, p.Depot, p.Date.String(), p.NumRuns, p.NumStops,
				p.DistanceM, p.DurationMin, p.Feasible, p.Roads, p.Note, append([]string{}, p.Problems...)})
		}
		return writeJSON(c.stdout, map[string]any{"plans": rows})
	}
	if len(plans) == 0 {
		fmt.Fprintln(c.stdout, "no stored plans")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PLAN\tCREATED\tUSER\tDEPOT\tDATE\tRUNS\tSTOPS\tKM\tFEASIBLE\tNOTE")
	for _, p := range plans {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%.1f\t%v\t%s\n", p.ID, p.CreatedAt.Format("2006-01-02 15:04"), p.User,
			p.Depot, p.Date, p.NumRuns, p.NumStops, p.DistanceM/1000, p.Feasible, p.Note)
	}
	return tw.Flush()
}
