package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"stockroom/engine/route/vrp"
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

With --db, plan a depot's deliveries for a date from the store.`

func runRoute(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "route", "--instance FILE.vrp [--time-limit 10s] [--seed N] [--out FILE.sol] | --db DB --depot D --date YYYY-MM-DD", routeDescription)
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
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("route: unexpected argument %q", pos[0])
	}
	dbSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "db" || f.Name == "depot" || f.Name == "date" {
			dbSet = true
		}
	})
	switch {
	case *instance != "" && dbSet:
		return usageErrorf("route: give either --instance or --db/--depot/--date, not both")
	case *instance == "" && !dbSet:
		return usageErrorf("route: give --instance FILE.vrp, or --db DB --depot D --date YYYY-MM-DD")
	case *instance == "":
		_, _, _ = db, depot, date
		return usageErrorf("route --db: not wired to the store yet")
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
