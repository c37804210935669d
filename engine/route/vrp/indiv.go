package vrp

import "math"

const eps = 1e-5

// penalties are the prices per unit of violated constraint; the search
// adapts them to keep a target share of feasible offspring.
type penalties struct {
	cap, dur, tw float64
}

type eval struct {
	penalized float64
	routes    int
	distance  float64
	capExcess float64
	durExcess float64
	timeWarp  float64
	feasible  bool
}

// indiv is one solution: a giant tour (the chromosome) and its split into
// routes, with successor and predecessor arrays for the broken-pairs
// distance.
type indiv struct {
	giant     []int32
	routes    [][]int32 // fleet slots, some empty
	ev        eval
	succ      []int32
	pred      []int32
	near      []proxEntry // other members by distance, ascending
	biasedFit float64
}

type proxEntry struct {
	d float64
	o *indiv
}

func newIndiv(p *problem) *indiv {
	x := &indiv{
		giant:  make([]int32, p.n),
		routes: make([][]int32, p.fleet),
		succ:   make([]int32, p.nn),
		pred:   make([]int32, p.nn),
	}
	for i := range x.giant {
		x.giant[i] = int32(i + 1)
	}
	return x
}

func (x *indiv) copyFrom(o *indiv) {
	copy(x.giant, o.giant)
	for r := range x.routes {
		x.routes[r] = append(x.routes[r][:0], o.routes[r]...)
	}
	x.ev = o.ev
	copy(x.succ, o.succ)
	copy(x.pred, o.pred)
}

func (x *indiv) clone() *indiv {
	c := &indiv{giant: make([]int32, len(x.giant)), routes: make([][]int32, len(x.routes)), succ: make([]int32, len(x.succ)), pred: make([]int32, len(x.pred))}
	c.copyFrom(x)
	return c
}

// evaluate recomputes costs and violations from the routes.
func (x *indiv) evaluate(p *problem, pen penalties) {
	var ev eval
	for _, r := range x.routes {
		if len(r) == 0 {
			continue
		}
		dist := p.d(0, r[0])
		load := p.demand[r[0]]
		x.pred[r[0]] = 0
		for i := 1; i < len(r); i++ {
			dist += p.d(r[i-1], r[i])
			load += p.demand[r[i]]
			x.pred[r[i]] = r[i-1]
			x.succ[r[i-1]] = r[i]
		}
		x.succ[r[len(r)-1]] = 0
		dist += p.d(r[len(r)-1], 0)
		ev.distance += dist
		ev.routes++
		ev.capExcess += math.Max(0, load-p.capacity)
		if p.hasDur {
			dur, tw := p.routeTime(r)
			ev.durExcess += math.Max(0, dur-p.maxDur)
			ev.timeWarp += tw
		}
	}
	ev.penalized = ev.distance + pen.cap*ev.capExcess + pen.dur*ev.durExcess + pen.tw*ev.timeWarp
	ev.feasible = ev.capExcess < eps && ev.durExcess < eps && ev.timeWarp < eps
	x.ev = ev
}

// routeTime returns the minimal duration and the time warp of a route.
func (p *problem) routeTime(r []int32) (dur, tw float64) {
	if !p.hasTW {
		dur = p.d(0, r[0]) + p.d(r[len(r)-1], 0)
		for i, c := range r {
			dur += p.service[c]
			if i > 0 {
				dur += p.d(r[i-1], c)
			}
		}
		return dur, 0
	}
	s := nodeSeg(p, 0)
	for _, c := range r {
		s = p.merge(s, nodeSeg(p, c))
	}
	s = p.merge(s, nodeSeg(p, 0))
	return s.dur, s.tw
}

// brokenPairs is the share of customers whose neighbours differ between
// two solutions (the diversity measure of HGS).
func brokenPairs(p *problem, a, b *indiv) float64 {
	diff := 0
	for j := 1; j <= p.n; j++ {
		if a.succ[j] != b.succ[j] && a.succ[j] != b.pred[j] {
			diff++
		}
		if a.pred[j] == 0 && b.pred[j] != 0 && b.succ[j] != 0 {
			diff++
		}
	}
	return float64(diff) / float64(p.n)
}

func (x *indiv) avgClosest(k int) float64 {
	k = min(k, len(x.near))
	if k == 0 {
		return 0
	}
	s := 0.0
	for i := 0; i < k; i++ {
		s += x.near[i].d
	}
	return s / float64(k)
}

func (x *indiv) addNear(d float64, o *indiv) {
	i := len(x.near)
	x.near = append(x.near, proxEntry{})
	for i > 0 && x.near[i-1].d > d {
		x.near[i] = x.near[i-1]
		i--
	}
	x.near[i] = proxEntry{d, o}
}

func (x *indiv) removeNear(o *indiv) {
	for i, e := range x.near {
		if e.o == o {
			x.near = append(x.near[:i], x.near[i+1:]...)
			return
		}
	}
}
