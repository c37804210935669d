package vrp

import (
	"fmt"
	"math"
)

// Check verifies a solution on its own terms, without the solver's data
// structures: every customer exactly once, no depot or unknown node in a
// route, capacity, fleet size, maximum duration and time windows, and the
// stated cost (when not NaN) equal to the recomputed one within tol.
func Check(in *Instance, s *Solution, tol float64) error {
	n := in.N()
	seen := make([]int, n)
	routes := 0
	total := 0.0
	for k, r := range s.Routes {
		if len(r) == 0 {
			continue
		}
		routes++
		var load int64
		dist := 0.0
		prev := 0
		for _, c := range r {
			if c < 1 || c >= n {
				return fmt.Errorf("route %d: node %d is not a customer", k+1, c)
			}
			seen[c]++
			load += in.Demand[c]
			dist += in.Dist[prev*n+c]
			prev = c
		}
		dist += in.Dist[prev*n]
		total += dist
		if load > in.Capacity {
			return fmt.Errorf("route %d: load %d exceeds capacity %d", k+1, load, in.Capacity)
		}
		if in.Ready == nil {
			dur := dist
			for _, c := range r {
				dur += in.Service[c]
			}
			if in.MaxDuration > 0 && dur > in.MaxDuration+tol {
				return fmt.Errorf("route %d: duration %g exceeds %g", k+1, dur, in.MaxDuration)
			}
			continue
		}
		// Time windows: simulate leaving at the latest time that is still on
		// time everywhere; if even leaving at the opening is late, it fails.
		st := in.Route(r)
		if st.TimeWarp > tol {
			for i, c := range r {
				if st.Start[i] > in.Due[c]+tol {
					return fmt.Errorf("route %d: stop %d (node %d) starts at %g, after its window closes at %g", k+1, i+1, c, st.Start[i], in.Due[c])
				}
			}
			return fmt.Errorf("route %d: returns to the depot after it closes at %g", k+1, in.Due[0])
		}
		for i, c := range r {
			if st.Start[i] < in.Ready[c]-tol {
				return fmt.Errorf("route %d: stop %d (node %d) starts at %g, before its window opens at %g", k+1, i+1, c, st.Start[i], in.Ready[c])
			}
		}
		if in.MaxDuration > 0 && st.Duration > in.MaxDuration+tol {
			return fmt.Errorf("route %d: duration %g exceeds %g", k+1, st.Duration, in.MaxDuration)
		}
	}
	for c := 1; c < n; c++ {
		if seen[c] != 1 {
			return fmt.Errorf("customer %d visited %d times", c, seen[c])
		}
	}
	if in.Vehicles > 0 && routes > in.Vehicles {
		return fmt.Errorf("%d routes for a fleet of %d", routes, in.Vehicles)
	}
	if !math.IsNaN(s.Cost) && math.Abs(total-s.Cost) > tol*math.Max(1, total) {
		return fmt.Errorf("stated cost %g, recomputed %g", s.Cost, total)
	}
	return nil
}
