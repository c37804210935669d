package route

import (
	"math"
	"sort"

	"stockroom/model"
)

// Snapper finds the road node nearest to a point. It is a static k-d tree
// over the nodes' positions as unit vectors in 3-D: straight-line (chord)
// distance between unit vectors grows with great-circle distance, so the
// nearest in the tree is the nearest on the globe, with no projection and
// no trouble at the antimeridian. Queries are O(log n) on average.
type Snapper struct {
	g    *Graph
	pts  [][3]float64 // tree order
	node []int32      // tree order -> graph node
}

// NewSnapper indexes the nodes of g for which keep returns true (nil:
// all). Restricting to the largest strongly connected component (see
// LargestComponent) keeps addresses from snapping to an island that no
// route can reach or leave.
func NewSnapper(g *Graph, keep func(v int32) bool) *Snapper {
	s := &Snapper{g: g}
	for v := int32(0); v < int32(g.NumNodes()); v++ {
		if keep == nil || keep(v) {
			s.node = append(s.node, v)
			s.pts = append(s.pts, unit(g.lat[v], g.lon[v]))
		}
	}
	s.build(0, len(s.pts), 0)
	return s
}

func unit(lat, lon float64) [3]float64 {
	const rad = math.Pi / 180
	cl := math.Cos(lat * rad)
	return [3]float64{cl * math.Cos(lon*rad), cl * math.Sin(lon*rad), math.Sin(lat * rad)}
}

// build arranges pts[lo:hi] as an implicit tree: the median on the axis
// at the middle, the lower half left of it, the upper half right.
func (s *Snapper) build(lo, hi, axis int) {
	if hi-lo <= 1 {
		return
	}
	mid := (lo + hi) / 2
	sort.Sort(byAxis{s, lo, hi, axis})
	s.build(lo, mid, (axis+1)%3)
	s.build(mid+1, hi, (axis+1)%3)
}

type byAxis struct {
	s      *Snapper
	lo, hi int
	axis   int
}

func (b byAxis) Len() int { return b.hi - b.lo }
func (b byAxis) Less(i, j int) bool {
	pi, pj := b.s.pts[b.lo+i][b.axis], b.s.pts[b.lo+j][b.axis]
	if pi != pj {
		return pi < pj
	}
	return b.s.node[b.lo+i] < b.s.node[b.lo+j]
}
func (b byAxis) Swap(i, j int) {
	i, j = b.lo+i, b.lo+j
	b.s.pts[i], b.s.pts[j] = b.s.pts[j], b.s.pts[i]
	b.s.node[i], b.s.node[j] = b.s.node[j], b.s.node[i]
}

// Nearest returns the node closest to (lat, lon) and its great-circle
// distance in metres; -1 when the index is empty.
func (s *Snapper) Nearest(lat, lon float64) (int32, float64) {
	if len(s.pts) == 0 {
		return -1, math.Inf(1)
	}
	q := unit(lat, lon)
	best, bestD := -1, math.Inf(1)
	s.search(0, len(s.pts), 0, q, &best, &bestD)
	v := s.node[best]
	return v, model.HaversineM(lat, lon, s.g.lat[v], s.g.lon[v])
}

func (s *Snapper) search(lo, hi, axis int, q [3]float64, best *int, bestD *float64) {
	if lo >= hi {
		return
	}
	mid := (lo + hi) / 2
	p := s.pts[mid]
	d := (p[0]-q[0])*(p[0]-q[0]) + (p[1]-q[1])*(p[1]-q[1]) + (p[2]-q[2])*(p[2]-q[2])
	if d < *bestD || (d == *bestD && s.node[mid] < s.node[*best]) {
		*best, *bestD = mid, d
	}
	diff := q[axis] - p[axis]
	next := (axis + 1) % 3
	if diff < 0 {
		s.search(lo, mid, next, q, best, bestD)
		if diff*diff <= *bestD {
			s.search(mid+1, hi, next, q, best, bestD)
		}
	} else {
		s.search(mid+1, hi, next, q, best, bestD)
		if diff*diff <= *bestD {
			s.search(lo, mid, next, q, best, bestD)
		}
	}
}

// LargestComponent marks the nodes of the largest strongly connected
// component (Kosaraju's algorithm, iterative so deep road chains cannot
// overflow the stack).
func LargestComponent(g *Graph) []bool {
	n := g.NumNodes()
	seen := make([]bool, n)
	order := make([]int32, 0, n)
	type frame struct {
		v int32
		i int32
	}
	var stack []frame
	for s := int32(0); s < int32(n); s++ {
		if seen[s] {
			continue
		}
		seen[s] = true
		stack = append(stack, frame{s, g.first[s]})
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.i < g.first[f.v+1] {
				w := g.head[f.i]
				f.i++
				if !seen[w] {
					seen[w] = true
					stack = append(stack, frame{w, g.first[w]})
				}
				continue
			}
			order = append(order, f.v)
			stack = stack[:len(stack)-1]
		}
	}
	comp := make([]int32, n)
	for i := range comp {
		comp[i] = -1
	}
	var size []int
	var q []int32
	for k := n - 1; k >= 0; k-- {
		s := order[k]
		if comp[s] >= 0 {
			continue
		}
		c := int32(len(size))
		size = append(size, 0)
		comp[s] = c
		q = append(q[:0], s)
		for len(q) > 0 {
			v := q[len(q)-1]
			q = q[:len(q)-1]
			size[c]++
			for j := g.rfirst[v]; j < g.rfirst[v+1]; j++ {
				u := g.rtail[j]
				if comp[u] < 0 {
					comp[u] = c
					q = append(q, u)
				}
			}
		}
	}
	best := 0
	for c := range size {
		if size[c] > size[best] {
			best = c
		}
	}
	out := make([]bool, n)
	for v := range out {
		out[v] = n > 0 && comp[v] == int32(best)
	}
	return out
}
