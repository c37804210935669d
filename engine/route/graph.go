// Package route plans delivery runs: a road graph with shortest paths and
// distance matrices, and (in route/vrp) a capacitated vehicle routing solver.
// Everything works on plain values; the store hands nodes and edges in and
// takes plans out.
package route

import (
	"fmt"
	"math"
	"sync"

	"stockroom/model"
)

// Metric is what a shortest path minimises.
type Metric int

const (
	// Distance minimises metres driven.
	Distance Metric = iota
	// Time minimises seconds driven, with the traffic factors of a band.
	Time
)

// String names the metric.
func (m Metric) String() string {
	if m == Time {
		return "time"
	}
	return "distance"
}

// Graph is a directed road network in compressed adjacency form. Node
// indexes (int32) are dense, 0..N-1; the external ids of the source data
// are kept for output. A Graph is safe for concurrent queries; traffic
// factors may change while queries run (a query sees the factors that held
// when it started).
type Graph struct {
	ids    []int64
	index  map[int64]int32
	lat    []float64
	lon    []float64
	hasXY  bool
	first  []int32 // arcs of node v are first[v]..first[v+1]
	head   []int32
	lenM   []float64
	speed  []float64 // km/h
	edge   []int32   // arc -> input edge index, for traffic factors
	rfirst []int32   // reverse adjacency for backward searches
	rarc   []int32   // reverse slot -> forward arc
	rtail  []int32
	nEdges int

	xyzOnce sync.Once
	xyz     [][3]float64

	mu      sync.RWMutex
	traffic *Traffic
	cache   map[weightKey]*weights
}

type weightKey struct {
	metric Metric
	band   int
}

// weights is one immutable set of arc weights and the scale that keeps the
// straight-line heuristic admissible for them.
type weights struct {
	w      []float64 // per forward arc
	rw     []float64 // per reverse slot
	hScale float64   // lower bound of weight per metre of great-circle distance
}

// arc is one directed arc while building.
type arc struct {
	from, to int32
	lenM     float64
	speed    float64
	edge     int32
}

// NewGraph builds a graph from road nodes and edges. A two-way edge becomes
// two arcs; both share the edge's traffic factors. Edges naming unknown
// nodes are an error.
func NewGraph(nodes []model.RoadNode, edges []model.RoadEdge) (*Graph, error) {
	b := newBuilder(len(nodes), len(edges))
	for i, n := range nodes {
		if err := n.Validate(); err != nil {
			return nil, fmt.Errorf("node %d (#%d): %w", n.ID, i+1, err)
		}
		if _, dup := b.index[n.ID]; dup {
			return nil, fmt.Errorf("node %d (#%d): duplicate id", n.ID, i+1)
		}
		b.addNode(n.ID, n.Lat, n.Lon)
	}
	b.hasXY = true
	for i, e := range edges {
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("edge %d->%d (#%d): %w", e.From, e.To, i+1, err)
		}
		u, ok := b.index[e.From]
		if !ok {
			return nil, fmt.Errorf("edge %d->%d (#%d): unknown from node", e.From, e.To, i+1)
		}
		v, ok := b.index[e.To]
		if !ok {
			return nil, fmt.Errorf("edge %d->%d (#%d): unknown to node", e.From, e.To, i+1)
		}
		b.addEdge(u, v, e.LengthM, e.SpeedKmh, e.OneWay)
	}
	return b.build(), nil
}

type builder struct {
	ids    []int64
	index  map[int64]int32
	lat    []float64
	lon    []float64
	hasXY  bool
	arcs   []arc
	nEdges int
}

func newBuilder(nodes, edges int) *builder {
	return &builder{
		ids:   make([]int64, 0, nodes),
		index: make(map[int64]int32, nodes),
		lat:   make([]float64, 0, nodes),
		lon:   make([]float64, 0, nodes),
		arcs:  make([]arc, 0, edges*2),
	}
}

func (b *builder) addNode(id int64, lat, lon float64) int32 {
	v := int32(len(b.ids))
	b.ids = append(b.ids, id)
	b.index[id] = v
	b.lat = append(b.lat, lat)
	b.lon = append(b.lon, lon)
	return v
}

func (b *builder) addEdge(u, v int32, lenM, speed float64, oneWay bool) {
	e := int32(b.nEdges)
	b.nEdges++
	b.arcs = append(b.arcs, arc{u, v, lenM, speed, e})
	if !oneWay {
		b.arcs = append(b.arcs, arc{v, u, lenM, speed, e})
	}
}

func (b *builder) build() *Graph {
	n := len(b.ids)
	g := &Graph{
		ids: b.ids, index: b.index, lat: b.lat, lon: b.lon, hasXY: b.hasXY,
		first:  make([]int32, n+1),
		head:   make([]int32, len(b.arcs)),
		lenM:   make([]float64, len(b.arcs)),
		speed:  make([]float64, len(b.arcs)),
		edge:   make([]int32, len(b.arcs)),
		rfirst: make([]int32, n+1),
		rarc:   make([]int32, len(b.arcs)),
		rtail:  make([]int32, len(b.arcs)),
		nEdges: b.nEdges,
		cache:  map[weightKey]*weights{},
	}
	// Counting sort keeps arcs of a node in input order, so results do not
	// depend on map iteration or sort stability.
	for _, a := range b.arcs {
		g.first[a.from+1]++
		g.rfirst[a.to+1]++
	}
	for v := 0; v < n; v++ {
		g.first[v+1] += g.first[v]
		g.rfirst[v+1] += g.rfirst[v]
	}
	pos := append([]int32(nil), g.first[:n]...)
	for _, a := range b.arcs {
		i := pos[a.from]
		pos[a.from]++
		g.head[i], g.lenM[i], g.speed[i], g.edge[i] = a.to, a.lenM, a.speed, a.edge
	}
	rpos := append([]int32(nil), g.rfirst[:n]...)
	for v := 0; v < n; v++ {
		for i := g.first[v]; i < g.first[v+1]; i++ {
			w := g.head[i]
			j := rpos[w]
			rpos[w]++
			g.rarc[j], g.rtail[j] = i, int32(v)
		}
	}
	return g
}

// NumNodes is the number of nodes.
func (g *Graph) NumNodes() int { return len(g.ids) }

// NumArcs is the number of directed arcs (a two-way edge counts twice).
func (g *Graph) NumArcs() int { return len(g.head) }

// NumEdges is the number of input edges, the unit traffic factors apply to.
func (g *Graph) NumEdges() int { return g.nEdges }

// ID returns the external id of node v.
func (g *Graph) ID(v int32) int64 { return g.ids[v] }

// Node returns the index of the node with external id, and whether it exists.
func (g *Graph) Node(id int64) (int32, bool) {
	v, ok := g.index[id]
	return v, ok
}

// LatLon returns the coordinates of node v.
func (g *Graph) LatLon(v int32) (lat, lon float64) { return g.lat[v], g.lon[v] }

// HasCoords reports whether nodes carry coordinates (DIMACS .gr without .co
// does not), which A* and snapping need.
func (g *Graph) HasCoords() bool { return g.hasXY }

// Arcs calls fn for each arc leaving v with its head, length, free-flow
// speed and input edge index.
func (g *Graph) Arcs(v int32, fn func(to int32, lenM, speedKmh float64, edge int)) {
	for i := g.first[v]; i < g.first[v+1]; i++ {
		fn(g.head[i], g.lenM[i], g.speed[i], int(g.edge[i]))
	}
}

// EdgeBetween returns the input edge index of the first arc u->v, or -1.
func (g *Graph) EdgeBetween(u, v int32) int {
	for i := g.first[u]; i < g.first[u+1]; i++ {
		if g.head[i] == v {
			return int(g.edge[i])
		}
	}
	return -1
}

// EdgeIndex returns the index of the input edge from one external node id
// to another (either direction for a two-way edge), the index SetFactor and
// Traffic take.
func (g *Graph) EdgeIndex(from, to int64) (int, bool) {
	u, ok1 := g.index[from]
	v, ok2 := g.index[to]
	if !ok1 || !ok2 {
		return -1, false
	}
	e := g.EdgeBetween(u, v)
	return e, e >= 0
}

// SetTraffic installs traffic factors (nil removes them). Queries that
// start afterwards use them.
func (g *Graph) SetTraffic(t *Traffic) {
	g.mu.Lock()
	g.traffic = t
	g.cache = map[weightKey]*weights{}
	g.mu.Unlock()
}

// SetFactor sets the traffic factor of edge e in band (see Traffic.Set) and
// invalidates the weights cached for that band.
func (g *Graph) SetFactor(e, band int, f float64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// Copy on write: queries that already hold the old table keep reading
	// it without a lock.
	var t *Traffic
	if g.traffic == nil {
		t = NewTraffic(nil, g.nEdges)
	} else {
		t = g.traffic.clone()
	}
	if err := t.Set(e, band, f); err != nil {
		return err
	}
	g.traffic = t
	g.cache = map[weightKey]*weights{}
	return nil
}

// Band returns the traffic band index in force at minute of day m (0 when
// there is no traffic table).
func (g *Graph) Band(minuteOfDay float64) int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.traffic == nil {
		return 0
	}
	return g.traffic.Band(minuteOfDay)
}

// Factor returns the traffic factor of edge e in band.
func (g *Graph) Factor(e, band int) float64 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.traffic == nil {
		return 1
	}
	return g.traffic.Factor(e, band)
}

// weightsFor returns the arc weights for a metric and band: metres for
// Distance, seconds (length / speed × factor) for Time.
func (g *Graph) weightsFor(m Metric, band int) *weights {
	if m == Distance {
		band = 0
	}
	k := weightKey{m, band}
	g.mu.RLock()
	w := g.cache[k]
	tr := g.traffic
	g.mu.RUnlock()
	if w != nil {
		return w
	}
	w = &weights{w: make([]float64, len(g.head)), rw: make([]float64, len(g.head))}
	for i := range g.head {
		x := g.lenM[i]
		if m == Time {
			f := 1.0
			if tr != nil {
				f = tr.Factor(int(g.edge[i]), band)
			}
			x = x / (g.speed[i] / 3.6) * f
		}
		w.w[i] = x
	}
	for j, a := range g.rarc {
		w.rw[j] = w.w[a]
	}
	w.hScale = g.heuristicScale(w.w)
	g.mu.Lock()
	// A factor may have changed while we computed: keep ours only if the
	// table is still the one we read.
	if g.traffic == tr {
		g.cache[k] = w
	}
	g.mu.Unlock()
	return w
}

// unitVectors returns each node's position on the unit sphere.
func (g *Graph) unitVectors() [][3]float64 {
	g.xyzOnce.Do(func() {
		g.xyz = make([][3]float64, len(g.ids))
		for v := range g.xyz {
			g.xyz[v] = unit(g.lat[v], g.lon[v])
		}
	})
	return g.xyz
}

// heuristicScale is the largest s with s·greatCircle(u,v) ≤ w(u,v) on every
// arc. Because great-circle distance obeys the triangle inequality, s·gc(v,t)
// is then a consistent lower bound of the remaining cost, whatever the
// rounding of the input lengths or the speeds.
func (g *Graph) heuristicScale(w []float64) float64 {
	if !g.hasXY {
		return 0
	}
	s := math.Inf(1)
	for v := 0; v < len(g.ids); v++ {
		for i := g.first[v]; i < g.first[v+1]; i++ {
			d := model.HaversineM(g.lat[v], g.lon[v], g.lat[g.head[i]], g.lon[g.head[i]])
			if d > 0 {
				if r := w[i] / d; r < s {
					s = r
				}
			}
		}
	}
	if math.IsInf(s, 1) {
		return 0
	}
	// Leave room for floating-point error in the haversine itself.
	return s * (1 - 1e-9)
}
