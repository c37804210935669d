package vrp

import "math"

// splitter turns a giant tour into routes optimally for the penalised cost
// (Prins 2004; the O(n) version of Vidal 2016 when only capacity binds).
type splitter struct {
	p                *problem
	demand           []float64 // 1-based along the tour
	d0x              []float64
	dx0              []float64
	dnext            []float64
	sumLoad, sumDist []float64
	pot              [][]float64
	pred             [][]int
	queue            []int
	giant            []int32
}

func newSplitter(p *problem) *splitter {
	n := p.n
	s := &splitter{p: p,
		demand: make([]float64, n+1), d0x: make([]float64, n+1), dx0: make([]float64, n+1), dnext: make([]float64, n+1),
		sumLoad: make([]float64, n+1), sumDist: make([]float64, n+1), queue: make([]int, n+1),
	}
	s.pot = make([][]float64, p.fleet+1)
	s.pred = make([][]int, p.fleet+1)
	for k := range s.pot {
		s.pot[k] = make([]float64, n+1)
		s.pred[k] = make([]int, n+1)
	}
	return s
}

// split fills x.routes from x.giant using at most maxVeh routes when the
// unlimited split would use more, then evaluates x.
func (s *splitter) split(x *indiv, maxVeh int, pen penalties) {
	p := s.p
	n := p.n
	maxVeh = max(maxVeh, int(math.Ceil(p.totalDem/p.capacity)))
	maxVeh = min(maxVeh, p.fleet)
	for i := 1; i <= n; i++ {
		c := x.giant[i-1]
		s.demand[i] = p.demand[c]
		s.d0x[i] = p.d(0, c)
		s.dx0[i] = p.d(c, 0)
		if i < n {
			s.dnext[i] = p.d(c, x.giant[i])
		} else {
			s.dnext[i] = -1e30
		}
		s.sumLoad[i] = s.sumLoad[i-1] + s.demand[i]
		if i > 1 {
			s.sumDist[i] = s.sumDist[i-1] + s.dnext[i-1]
		} else {
			s.sumDist[i] = 0
		}
	}
	if !s.simple(x, maxVeh, pen) {
		s.limited(x, maxVeh, pen)
	}
	x.evaluate(p, pen)
}

// routeCost is the penalised cost of the tour positions i+1..j as a route,
// for the Bellman variants that handle duration and time windows.
func (s *splitter) bellmanRow(pot []float64, i int, pen penalties, relax func(j int, c float64)) {
	p := s.p
	load, dist, svc := 0.0, 0.0, 0.0
	var sg seg
	for j := i + 1; j <= p.n && load <= 1.5*p.capacity; j++ {
		c := s.pCust(j)
		load += s.demand[j]
		svc += p.service[c]
		if j == i+1 {
			dist = s.d0x[j]
			if p.hasTW {
				sg = p.merge(nodeSeg(p, 0), nodeSeg(p, c))
			}
		} else {
			dist += s.dnext[j-1]
			if p.hasTW {
				sg = p.merge(sg, nodeSeg(p, c))
			}
		}
		cost := dist + s.dx0[j] + pen.cap*math.Max(load-p.capacity, 0)
		if p.hasTW {
			end := p.merge(sg, nodeSeg(p, 0))
			cost += pen.dur*math.Max(end.dur-p.maxDur, 0) + pen.tw*end.tw
		} else {
			cost += pen.dur * math.Max(dist+s.dx0[j]+svc-p.maxDur, 0)
		}
		relax(j, pot[i]+cost)
	}
}

// tour customer at 1-based position j, kept for the Bellman variant.
func (s *splitter) pCust(j int) int32 { return s.giant[j-1] }

func (s *splitter) simple(x *indiv, maxVeh int, pen penalties) bool {
	p := s.p
	n := p.n
	s.giant = x.giant
	pot, pred := s.pot[0], s.pred[0]
	pot[0] = 0
	for i := 1; i <= n; i++ {
		pot[i] = 1e30
	}
	if p.hasDur {
		for i := 0; i < n; i++ {
			s.bellmanRow(pot, i, pen, func(j int, c float64) {
				if c < pot[j] {
					pot[j], pred[j] = c, i
				}
			})
		}
	} else {
		q := s.queue[:0]
		q = append(q, 0)
		head := 0
		for i := 1; i <= n; i++ {
			pot[i] = s.propagate(pot, q[head], i, pen)
			pred[i] = q[head]
			if i < n {
				if !s.dominates(pot, q[len(q)-1], i, pen) {
					for len(q) > head && s.dominatesRight(pot, q[len(q)-1], i) {
						q = q[:len(q)-1]
					}
					q = append(q, i)
				}
				for len(q)-head > 1 && s.propagate(pot, q[head], i+1, pen) > s.propagate(pot, q[head+1], i+1, pen)-eps {
					head++
				}
			}
		}
		s.queue = q
	}
	// Count the routes; too many for the fleet means the limited variant.
	end, k := n, 0
	for end > 0 {
		end = pred[end]
		k++
	}
	if k > maxVeh {
		return false
	}
	s.fill(x, pred, nil, k)
	return true
}

func (s *splitter) fill(x *indiv, pred []int, predK [][]int, k int) {
	for r := range x.routes {
		x.routes[r] = x.routes[r][:0]
	}
	end := s.p.n
	for r := k - 1; r >= 0; r-- {
		var begin int
		if predK != nil {
			begin = predK[r+1][end]
		} else {
			begin = pred[end]
		}
		x.routes[r] = append(x.routes[r], x.giant[begin:end]...)
		end = begin
	}
}

func (s *splitter) propagate(pot []float64, i, j int, pen penalties) float64 {
	return pot[i] + s.sumDist[j] - s.sumDist[i+1] + s.d0x[i+1] + s.dx0[j] +
		pen.cap*math.Max(s.sumLoad[j]-s.sumLoad[i]-s.p.capacity, 0)
}

func (s *splitter) dominates(pot []float64, i, j int, pen penalties) bool {
	return pot[j]+s.d0x[j+1] > pot[i]+s.d0x[i+1]+s.sumDist[j+1]-s.sumDist[i+1]+pen.cap*(s.sumLoad[j]-s.sumLoad[i])
}

func (s *splitter) dominatesRight(pot []float64, i, j int) bool {
	return pot[j]+s.d0x[j+1] < pot[i]+s.d0x[i+1]+s.sumDist[j+1]-s.sumDist[i+1]+eps
}

// limited splits with at most maxVeh routes (O(nK)).
func (s *splitter) limited(x *indiv, maxVeh int, pen penalties) {
	p := s.p
	n := p.n
	s.giant = x.giant
	for k := 0; k <= maxVeh; k++ {
		for i := 0; i <= n; i++ {
			s.pot[k][i] = 1e30
		}
	}
	s.pot[0][0] = 0
	for k := 0; k < maxVeh; k++ {
		pot, next, pred := s.pot[k], s.pot[k+1], s.pred[k+1]
		if p.hasDur {
			for i := k; i < n && pot[i] < 1e29; i++ {
				s.bellmanRow(pot, i, pen, func(j int, c float64) {
					if c < next[j] {
						next[j], pred[j] = c, i
					}
				})
			}
			continue
		}
		q := s.queue[:0]
		q = append(q, k)
		head := 0
		for i := k + 1; i <= n && len(q)-head > 0; i++ {
			next[i] = s.propagate(pot, q[head], i, pen)
			pred[i] = q[head]
			if i < n {
				if !s.dominates(pot, q[len(q)-1], i, pen) {
					for len(q)-head > 0 && s.dominatesRight(pot, q[len(q)-1], i) {
						q = q[:len(q)-1]
					}
					q = append(q, i)
				}
				for len(q)-head > 1 && s.propagate(pot, q[head], i+1, pen) > s.propagate(pot, q[head+1], i+1, pen)-eps {
					head++
				}
			}
		}
		s.queue = q
	}
	best, nr := s.pot[maxVeh][n], maxVeh
	for k := 1; k < maxVeh; k++ {
		if s.pot[k][n] < best {
			best, nr = s.pot[k][n], k
		}
	}
	if best > 1e29 {
		// Cannot happen with maxVeh ≥ 1 (one route takes everything, at a
		// penalty), but keep a valid individual if it ever does.
		for r := range x.routes {
			x.routes[r] = x.routes[r][:0]
		}
		x.routes[0] = append(x.routes[0], x.giant...)
		return
	}
	s.fill(x, nil, s.pred, nr)
}
