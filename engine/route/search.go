package route

import (
	"math"

	"stockroom/model"
)

// Result is one shortest path: its cost in the query's metric, the other
// measures along it, and the nodes it passes (when asked for).
type Result struct {
	Cost      float64 // metres for Distance, seconds for Time; +Inf when unreachable
	LengthM   float64 // metres driven along the path
	Nodes     []int32 // source..target; nil unless the path was asked for
	Settled   int     // nodes taken off the queue, a measure of work
	Reachable bool
}

// Searcher runs shortest-path queries on one graph. It keeps its arrays
// between queries and resets only what a query touched, so many queries
// cost no allocation. A Searcher is not safe for concurrent use; make one
// per goroutine.
type Searcher struct {
	g       *Graph
	dist    []float64
	length  []float64
	parent  []int32 // arc index into the forward (or reverse) arrays, -1 at the root
	done    []bool
	touched []int32
	heap    minHeap
	want    []bool // targets of a tree search
	// backward side for bidirectional search
	bdist    []float64
	blength  []float64
	bparent  []int32
	bdone    []bool
	btouched []int32
	bheap    minHeap
}

// NewSearcher makes a searcher for g.
func NewSearcher(g *Graph) *Searcher {
	n := g.NumNodes()
	s := &Searcher{g: g, dist: make([]float64, n), length: make([]float64, n), parent: make([]int32, n), done: make([]bool, n)}
	for i := range s.dist {
		s.dist[i] = math.Inf(1)
	}
	return s
}

func (s *Searcher) reset() {
	for _, v := range s.touched {
		s.dist[v] = math.Inf(1)
		s.done[v] = false
	}
	s.touched = s.touched[:0]
	s.heap = s.heap[:0]
	for _, v := range s.btouched {
		s.bdist[v] = math.Inf(1)
		s.bdone[v] = false
	}
	s.btouched = s.btouched[:0]
	s.bheap = s.bheap[:0]
}

// Dijkstra returns the shortest path from src to dst in metric m and
// traffic band.
func (s *Searcher) Dijkstra(src, dst int32, m Metric, band int, path bool) Result {
	return s.astar(src, dst, s.g.weightsFor(m, band), 0, path)
}

// AStar is Dijkstra guided by a great-circle lower bound of the remaining
// cost. The bound is scaled so that it never exceeds any arc's weight per
// metre (see heuristicScale), so it is admissible and consistent: the
// result equals Dijkstra's. Without coordinates it is Dijkstra.
func (s *Searcher) AStar(src, dst int32, m Metric, band int, path bool) Result {
	w := s.g.weightsFor(m, band)
	return s.astar(src, dst, w, w.hScale, path)
}

func (s *Searcher) astar(src, dst int32, w *weights, hs float64, path bool) Result {
	s.reset()
	g := s.g
	// The straight chord through the earth is never longer than the arc
	// over it, and obeys the triangle inequality, so hs·chord is as
	// admissible and consistent as hs·haversine at a fraction of the cost.
	var xyz [][3]float64
	var t [3]float64
	if hs != 0 {
		xyz = g.unitVectors()
		t = xyz[dst]
		hs *= model.EarthRadiusM
	}
	h := func(v int32) float64 {
		if hs == 0 {
			return 0
		}
		p := &xyz[v]
		dx, dy, dz := p[0]-t[0], p[1]-t[1], p[2]-t[2]
		return hs * math.Sqrt(dx*dx+dy*dy+dz*dz)
	}
	s.dist[src], s.length[src], s.parent[src] = 0, 0, -1
	s.touched = append(s.touched, src)
	s.heap.push(h(src), src)
	settled := 0
	for len(s.heap) > 0 {
		it := s.heap.pop()
		u := it.v
		if s.done[u] {
			continue
		}
		s.done[u] = true
		settled++
		if u == dst {
			break
		}
		du := s.dist[u]
		for i := g.first[u]; i < g.first[u+1]; i++ {
			v := g.head[i]
			nd := du + w.w[i]
			if nd < s.dist[v] {
				if math.IsInf(s.dist[v], 1) {
					s.touched = append(s.touched, v)
				}
				s.dist[v] = nd
				s.length[v] = s.length[u] + g.lenM[i]
				s.parent[v] = i
				s.heap.push(nd+h(v), v)
			}
		}
	}
	r := Result{Cost: s.dist[dst], Settled: settled, Reachable: s.done[dst]}
	if !r.Reachable {
		r.Cost = math.Inf(1)
		return r
	}
	r.LengthM = s.length[dst]
	if path {
		r.Nodes = s.forwardPath(dst)
	}
	return r
}

func (s *Searcher) forwardPath(v int32) []int32 {
	var p []int32
	for {
		p = append(p, v)
		a := s.parent[v]
		if a < 0 {
			break
		}
		v = s.tailOf(a)
	}
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// tailOf finds the tail of forward arc a by binary search on first.
func (s *Searcher) tailOf(a int32) int32 {
	f := s.g.first
	lo, hi := 0, len(f)-1
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if f[mid] <= a {
			lo = mid
		} else {
			hi = mid
		}
	}
	// Several nodes may share first[] when some have no arcs; the tail is
	// the last node whose first arc is ≤ a.
	return int32(lo)
}

// Bidirectional runs Dijkstra from both ends at once and stops when the two
// frontiers prove the best meeting point, which settles roughly half the
// nodes of a one-sided search on road networks.
func (s *Searcher) Bidirectional(src, dst int32, m Metric, band int, path bool) Result {
	g := s.g
	w := g.weightsFor(m, band)
	if s.bdist == nil {
		n := g.NumNodes()
		s.bdist, s.blength, s.bparent, s.bdone = make([]float64, n), make([]float64, n), make([]int32, n), make([]bool, n)
		for i := range s.bdist {
			s.bdist[i] = math.Inf(1)
		}
	}
	s.reset()
	s.dist[src], s.length[src], s.parent[src] = 0, 0, -1
	s.touched = append(s.touched, src)
	s.heap.push(0, src)
	s.bdist[dst], s.blength[dst], s.bparent[dst] = 0, 0, -1
	s.btouched = append(s.btouched, dst)
	s.bheap.push(0, dst)
	best, meet := math.Inf(1), int32(-1)
	settled := 0
	for len(s.heap) > 0 || len(s.bheap) > 0 {
		tf, tb := math.Inf(1), math.Inf(1)
		if len(s.heap) > 0 {
			tf = s.heap[0].k
		}
		if len(s.bheap) > 0 {
			tb = s.bheap[0].k
		}
		if tf+tb >= best {
			break
		}
		if tf <= tb {
			u := s.heap.pop().v
			if s.done[u] {
				continue
			}
			s.done[u] = true
			settled++
			du := s.dist[u]
			for i := g.first[u]; i < g.first[u+1]; i++ {
				v := g.head[i]
				nd := du + w.w[i]
				if nd < s.dist[v] {
					if math.IsInf(s.dist[v], 1) {
						s.touched = append(s.touched, v)
					}
					s.dist[v], s.length[v], s.parent[v] = nd, s.length[u]+g.lenM[i], i
					s.heap.push(nd, v)
				}
				if c := nd + s.bdist[v]; c < best {
					best, meet = c, v
				}
			}
		} else {
			u := s.bheap.pop().v
			if s.bdone[u] {
				continue
			}
			s.bdone[u] = true
			settled++
			du := s.bdist[u]
			for j := g.rfirst[u]; j < g.rfirst[u+1]; j++ {
				v := g.rtail[j]
				a := g.rarc[j]
				nd := du + w.rw[j]
				if nd < s.bdist[v] {
					if math.IsInf(s.bdist[v], 1) {
						s.btouched = append(s.btouched, v)
					}
					s.bdist[v], s.blength[v], s.bparent[v] = nd, s.blength[u]+g.lenM[a], a
					s.bheap.push(nd, v)
				}
				if c := nd + s.dist[v]; c < best {
					best, meet = c, v
				}
			}
		}
	}
	if src == dst {
		best, meet = 0, src
	}
	r := Result{Cost: best, Settled: settled, Reachable: meet >= 0}
	if !r.Reachable {
		return r
	}
	r.LengthM = s.length[meet] + s.blength[meet]
	if path {
		p := s.forwardPath(meet)
		for v := meet; s.bparent[v] >= 0; {
			v = g.head[s.bparent[v]]
			p = append(p, v)
		}
		r.Nodes = p
	}
	return r
}

// Tree runs one Dijkstra from src until every target is settled (or the
// graph is exhausted) and writes the cost and length to each target into
// cost[i] and length[i] (+Inf when unreachable). Targets may repeat.
func (s *Searcher) Tree(src int32, targets []int32, m Metric, band int, cost, length []float64) {
	s.tree(src, targets, s.g.weightsFor(m, band), cost, length)
}

func (s *Searcher) tree(src int32, targets []int32, w *weights, cost, length []float64) {
	s.treeDir(src, targets, w, false, cost, length)
}

// treeDir is tree on the forward graph, or with reverse on the reversed
// one: then cost[i] is the cost from targets[i] to src.
func (s *Searcher) treeDir(src int32, targets []int32, w *weights, reverse bool, cost, length []float64) {
	s.reset()
	g := s.g
	first, head, ww := g.first, g.head, w.w
	if reverse {
		first, head, ww = g.rfirst, g.rtail, w.rw
	}
	if s.want == nil {
		s.want = make([]bool, g.NumNodes())
	}
	left := 0
	for _, t := range targets {
		if !s.want[t] {
			s.want[t] = true
			left++
		}
	}
	defer func() {
		for _, t := range targets {
			s.want[t] = false
		}
	}()
	s.dist[src], s.length[src] = 0, 0
	s.touched = append(s.touched, src)
	s.heap.push(0, src)
	for len(s.heap) > 0 && left > 0 {
		u := s.heap.pop().v
		if s.done[u] {
			continue
		}
		s.done[u] = true
		if s.want[u] {
			left--
		}
		du := s.dist[u]
		for i := first[u]; i < first[u+1]; i++ {
			v := head[i]
			nd := du + ww[i]
			if nd < s.dist[v] {
				if math.IsInf(s.dist[v], 1) {
					s.touched = append(s.touched, v)
				}
				a := i
				if reverse {
					a = g.rarc[i]
				}
				s.dist[v], s.length[v] = nd, s.length[u]+g.lenM[a]
				s.heap.push(nd, v)
			}
		}
	}
	for i, t := range targets {
		if s.done[t] {
			cost[i], length[i] = s.dist[t], s.length[t]
		} else {
			cost[i], length[i] = math.Inf(1), math.Inf(1)
		}
	}
}

type heapItem struct {
	k float64
	v int32
}

// minHeap is a binary heap with lazy deletion: a node may sit in it several
// times and stale entries are skipped when popped. It beats a decrease-key
// heap on road graphs, where few entries go stale.
type minHeap []heapItem

func (h *minHeap) push(k float64, v int32) {
	*h = append(*h, heapItem{k, v})
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].k <= k {
			break
		}
		a[i] = a[p]
		i = p
	}
	a[i] = heapItem{k, v}
}

func (h *minHeap) pop() heapItem {
	a := *h
	top := a[0]
	last := a[len(a)-1]
	a = a[:len(a)-1]
	*h = a
	n := len(a)
	if n == 0 {
		return top
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && a[c+1].k < a[c].k {
			c++
		}
		if last.k <= a[c].k {
			break
		}
		a[i] = a[c]
		i = c
	}
	a[i] = last
	return top
}
