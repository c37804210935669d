package vrp

import (
	"math"
	"sort"
)

// problem is the solver's flat view of an instance, with the granular
// neighbour lists and polar angles precomputed.
type problem struct {
	n          int // customers; nodes are 0 (depot) .. n
	nn         int // n + 1
	dist       []float64
	demand     []float64
	service    []float64
	ready, due []float64
	capacity   float64
	maxDur     float64 // +Inf when unbounded
	hasTW      bool
	hasDur     bool // duration or time windows: Split needs the Bellman variant
	symmetric  bool
	fleet      int // vehicle slots the search works with
	fleetFixed bool
	totalDem   float64
	maxDist    float64
	maxDemand  float64
	coords     bool
	polar      []int32
	relX, relY []float64 // coordinates relative to the depot
	neighbours [][]int32
}

func (p *problem) d(i, j int32) float64 { return p.dist[int(i)*p.nn+int(j)] }

func newProblem(in *Instance, granular int) *problem {
	nn := in.N()
	p := &problem{n: nn - 1, nn: nn, dist: in.Dist, capacity: float64(in.Capacity), maxDur: math.Inf(1)}
	p.demand = make([]float64, nn)
	p.service = make([]float64, nn)
	p.ready = make([]float64, nn)
	p.due = make([]float64, nn)
	for i := 0; i < nn; i++ {
		p.demand[i] = float64(in.Demand[i])
		p.service[i] = in.Service[i]
		p.totalDem += p.demand[i]
		p.maxDemand = math.Max(p.maxDemand, p.demand[i])
		p.due[i] = math.Inf(1)
	}
	p.service[0] = 0
	if in.Ready != nil {
		p.hasTW = true
		copy(p.ready, in.Ready)
		copy(p.due, in.Due)
	}
	if in.MaxDuration > 0 {
		p.maxDur = in.MaxDuration
	}
	p.hasDur = p.hasTW || in.MaxDuration > 0
	p.symmetric = true
	for i := 0; i < nn; i++ {
		for j := 0; j < nn; j++ {
			x := in.Dist[i*nn+j]
			p.maxDist = math.Max(p.maxDist, x)
			if x != in.Dist[j*nn+i] {
				p.symmetric = false
			}
		}
	}
	// As HGS-CVRP: a fleet large enough never to bind, unless it is given.
	if in.Vehicles > 0 {
		p.fleet, p.fleetFixed = in.Vehicles, true
	} else {
		p.fleet = int(math.Ceil(1.3*p.totalDem/p.capacity)) + 3
		if p.hasDur {
			// Duration limits and windows can need many more routes than
			// capacity alone suggests.
			p.fleet = max(p.fleet, int(math.Ceil(1.3*p.totalDem/p.capacity))+3+p.n/4)
		}
		p.fleet = min(p.fleet, max(p.n, 1))
	}
	if in.X != nil && len(in.X) == nn {
		p.coords = true
		p.polar = make([]int32, nn)
		p.relX, p.relY = make([]float64, nn), make([]float64, nn)
		for i := 1; i < nn; i++ {
			p.relX[i], p.relY[i] = in.X[i]-in.X[0], in.Y[i]-in.Y[0]
			a := math.Atan2(in.Y[i]-in.Y[0], in.X[i]-in.X[0])
			p.polar[i] = int32(positiveMod(int(32768 * a / math.Pi)))
		}
	}
	// Granular neighbourhoods: each customer's closest others, made
	// symmetric (if i lists j, j lists i).
	sets := make([]map[int32]bool, nn)
	for i := 1; i < nn; i++ {
		sets[i] = map[int32]bool{}
	}
	type cand struct {
		d float64
		j int32
	}
	order := make([]cand, 0, nn)
	for i := 1; i < nn; i++ {
		order = order[:0]
		for j := 1; j < nn; j++ {
			if j != i {
				order = append(order, cand{p.proximity(int32(i), int32(j)), int32(j)})
			}
		}
		sort.Slice(order, func(a, b int) bool {
			if order[a].d != order[b].d {
				return order[a].d < order[b].d
			}
			return order[a].j < order[b].j
		})
		for k := 0; k < granular && k < len(order); k++ {
			sets[i][order[k].j] = true
			sets[order[k].j][int32(i)] = true
		}
	}
	p.neighbours = make([][]int32, nn)
	for i := 1; i < nn; i++ {
		l := make([]int32, 0, len(sets[i]))
		for j := range sets[i] {
			l = append(l, j)
		}
		sort.Slice(l, func(a, b int) bool { return l[a] < l[b] })
		p.neighbours[i] = l
	}
	return p
}

// proximity ranks j as a neighbour of i: distance, plus with time windows
// the waiting or lateness of going from i to j (Vidal et al. 2013).
func (p *problem) proximity(i, j int32) float64 {
	d := p.d(i, j)
	if !p.hasTW {
		return d
	}
	wait := math.Max(p.ready[j]-p.service[i]-d-p.due[i], 0)
	late := math.Max(p.ready[i]+p.service[i]+d-p.due[j], 0)
	return d + 0.2*wait + 1.0*late
}

func positiveMod(i int) int { return (i%65536 + 65536) % 65536 }

// sector is an arc of polar angles (0..65535) that covers a route's
// customers around the depot; SWAP* only pairs routes whose arcs overlap.
type sector struct{ start, end int }

func (s *sector) init(a int) { s.start, s.end = a, a }

func (s *sector) enclosed(a int) bool {
	return positiveMod(a-s.start) <= positiveMod(s.end-s.start)
}

func (s *sector) extend(a int) {
	if !s.enclosed(a) {
		if positiveMod(a-s.end) <= positiveMod(s.start-a) {
			s.end = a
		} else {
			s.start = a
		}
	}
}

func overlap(a, b sector) bool {
	return positiveMod(b.start-a.start) <= positiveMod(a.end-a.start) ||
		positiveMod(a.start-b.start) <= positiveMod(b.end-b.start)
}
