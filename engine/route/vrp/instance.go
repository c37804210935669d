// Package vrp solves capacitated vehicle routing problems: one depot, a
// fleet of identical vehicles, customers with demands, and optionally
// service times, a maximum route duration and time windows. The solver is a
// hybrid genetic search after Vidal (2022), "Hybrid genetic search for the
// CVRP: open-source implementation and SWAP* neighborhood".
package vrp

import (
	"fmt"
	"math"
)

// Instance is one routing problem. Node 0 is the depot; nodes 1..N-1 are
// customers. Dist is the travel cost between nodes and also the travel
// time: CVRPLIB instances use one number for both, and the store's plans
// pass driving minutes (the distance is then reported separately).
type Instance struct {
	Name     string
	Capacity int64
	Demand   []int64   // per node; Demand[0] is 0
	Service  []float64 // per node service time, counted in route duration
	// Ready and Due are per-node time windows on the start of service (the
	// depot's window bounds departure and return). Nil when no windows.
	Ready, Due []float64
	// MaxDuration bounds travel + service (+ waiting with time windows) of
	// each route; 0 means no bound.
	MaxDuration float64
	// Vehicles is the fleet size; 0 means as many as needed.
	Vehicles int
	X, Y     []float64 // coordinates when known (used by SWAP* and output)
	Dist     []float64 // N×N row-major
	// Round records whether EUC_2D distances were rounded, for writing the
	// instance back.
	Round bool
	// EdgeWeightType is the TSPLIB distance type the instance came with.
	EdgeWeightType string
}

// N is the number of nodes, depot included.
func (in *Instance) N() int { return len(in.Demand) }

// D returns the travel cost from i to j.
func (in *Instance) D(i, j int) float64 { return in.Dist[i*in.N()+j] }

// HasTimeWindows reports whether any node has a time window.
func (in *Instance) HasTimeWindows() bool { return in.Due != nil }

// TotalDemand is the sum of all demands.
func (in *Instance) TotalDemand() int64 {
	var s int64
	for _, d := range in.Demand {
		s += d
	}
	return s
}

// Validate checks that the instance is solvable in principle: sizes agree,
// no customer is heavier than a vehicle, and the numbers are finite.
func (in *Instance) Validate() error {
	n := in.N()
	if n < 1 {
		return fmt.Errorf("instance %s: no depot", in.Name)
	}
	if len(in.Dist) != n*n {
		return fmt.Errorf("instance %s: distance matrix has %d entries, want %d", in.Name, len(in.Dist), n*n)
	}
	if len(in.Service) != n {
		return fmt.Errorf("instance %s: %d service times for %d nodes", in.Name, len(in.Service), n)
	}
	if in.Capacity <= 0 {
		return fmt.Errorf("instance %s: capacity must be positive, got %d", in.Name, in.Capacity)
	}
	if (in.Ready == nil) != (in.Due == nil) || (in.Ready != nil && (len(in.Ready) != n || len(in.Due) != n)) {
		return fmt.Errorf("instance %s: time windows must be given for every node", in.Name)
	}
	for i := 1; i < n; i++ {
		if in.Demand[i] < 0 {
			return fmt.Errorf("instance %s: node %d: negative demand %d", in.Name, i+1, in.Demand[i])
		}
		if in.Demand[i] > in.Capacity {
			return fmt.Errorf("instance %s: node %d: demand %d exceeds capacity %d", in.Name, i+1, in.Demand[i], in.Capacity)
		}
		if in.Due != nil && in.Due[i] < in.Ready[i] {
			return fmt.Errorf("instance %s: node %d: time window %g..%g is empty", in.Name, i+1, in.Ready[i], in.Due[i])
		}
	}
	for k, d := range in.Dist {
		if math.IsNaN(d) || d < 0 || math.IsInf(d, 0) {
			return fmt.Errorf("instance %s: distance %d->%d is %g", in.Name, k/n+1, k%n+1, d)
		}
	}
	if in.Vehicles > 0 && int64(in.Vehicles)*in.Capacity < in.TotalDemand() {
		return fmt.Errorf("instance %s: %d vehicles of capacity %d cannot carry total demand %d", in.Name, in.Vehicles, in.Capacity, in.TotalDemand())
	}
	return nil
}

// Euclidean fills Dist from X, Y: rounded to the nearest integer when
// round is set (TSPLIB EUC_2D), exact otherwise.
func (in *Instance) Euclidean(round bool) {
	n := len(in.X)
	in.Dist = make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			d := math.Hypot(in.X[i]-in.X[j], in.Y[i]-in.Y[j])
			if round {
				d = math.Floor(d + 0.5)
			}
			in.Dist[i*n+j] = d
		}
	}
	in.Round = round
}

// Solution is a set of routes, each a list of customer nodes (1..N-1) in
// visiting order; the depot is implicit at both ends.
type Solution struct {
	Routes [][]int
	Cost   float64
}

// RouteStats are the measures of one route.
type RouteStats struct {
	Load     int64
	Cost     float64 // travel cost (distance)
	Duration float64 // travel + service + waiting
	TimeWarp float64 // total lateness beyond time windows; 0 when feasible
	Arrive   []float64
	Start    []float64 // start of service at each stop
}

// Route computes the measures of one route. With time windows the vehicle
// leaves the depot as late as it can without being late anywhere (which
// gives the shortest duration), and waits at early arrivals.
func (in *Instance) Route(r []int) RouteStats {
	var st RouteStats
	t := 0.0
	if in.Ready != nil {
		// Latest start of service at each stop, backwards from the depot's
		// closing time.
		late := in.Due[0]
		next := 0
		for i := len(r) - 1; i >= 0; i-- {
			c := r[i]
			late = math.Min(in.Due[c], late-in.D(c, next)-in.Service[c])
			next = c
		}
		late -= in.D(0, next)
		t = math.Max(in.Ready[0], math.Min(in.Due[0], late))
	}
	start := t
	prev := 0
	for _, c := range r {
		d := in.D(prev, c)
		st.Cost += d
		t += d
		st.Arrive = append(st.Arrive, t)
		if in.Ready != nil {
			if t < in.Ready[c] {
				t = in.Ready[c]
			}
			if t > in.Due[c] {
				st.TimeWarp += t - in.Due[c]
			}
		}
		st.Start = append(st.Start, t)
		t += in.Service[c]
		st.Load += in.Demand[c]
		prev = c
	}
	d := in.D(prev, 0)
	st.Cost += d
	t += d
	if in.Due != nil && t > in.Due[0] {
		st.TimeWarp += t - in.Due[0]
	}
	st.Duration = t - start
	return st
}

// Evaluate returns the total cost of routes.
func (in *Instance) Evaluate(routes [][]int) float64 {
	var c float64
	for _, r := range routes {
		if len(r) > 0 {
			c += in.Route(r).Cost
		}
	}
	return c
}
