package route

import (
	"bufio"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"stockroom/model"
)

const benchRoads = "../../../shared/bench/roads"

// randomGraph makes a connected-ish road-like graph: nodes scattered in a
// 10 km square around Andorra la Vella, each linked to a few near ones,
// some one-way, with speeds from 20 to 90 km/h.
func randomGraph(t testing.TB, seed uint64, n int) *Graph {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	nodes := make([]model.RoadNode, n)
	for i := range nodes {
		nodes[i] = model.RoadNode{ID: int64(1000 + i), Lat: 42.5 + r.Float64()*0.09, Lon: 1.5 + r.Float64()*0.12}
	}
	var edges []model.RoadEdge
	for i := range nodes {
		for k := 0; k < 3; k++ {
			j := r.IntN(n)
			if j == i {
				continue
			}
			d := model.HaversineM(nodes[i].Lat, nodes[i].Lon, nodes[j].Lat, nodes[j].Lon)
			if d > 3000 && r.IntN(4) != 0 {
				continue
			}
			edges = append(edges, model.RoadEdge{
				From: nodes[i].ID, To: nodes[j].ID,
				LengthM:  d * (1 + r.Float64()*0.5),
				SpeedKmh: 20 + float64(r.IntN(8))*10,
				OneWay:   r.IntN(5) == 0,
			})
		}
	}
	g, err := NewGraph(nodes, edges)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSearcher_AStarEqualsDijkstra(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		g := randomGraph(t, seed, 400)
		s := NewSearcher(g)
		r := rand.New(rand.NewPCG(seed, 2))
		for q := 0; q < 200; q++ {
			a, b := int32(r.IntN(g.NumNodes())), int32(r.IntN(g.NumNodes()))
			for _, m := range []Metric{Distance, Time} {
				d := s.Dijkstra(a, b, m, 0, true)
				as := s.AStar(a, b, m, 0, true)
				bi := s.Bidirectional(a, b, m, 0, true)
				if d.Reachable != as.Reachable || d.Reachable != bi.Reachable {
					t.Fatalf("seed %d %d->%d %v: reachable dijkstra %v astar %v bidir %v", seed, a, b, m, d.Reachable, as.Reachable, bi.Reachable)
				}
				if !d.Reachable {
					continue
				}
				if !approx(d.Cost, as.Cost) || !approx(d.Cost, bi.Cost) {
					t.Fatalf("seed %d %d->%d %v: dijkstra %v astar %v bidir %v", seed, a, b, m, d.Cost, as.Cost, bi.Cost)
				}
				for _, res := range []Result{d, as, bi} {
					if c := pathCost(g, res.Nodes, m); !approx(c, d.Cost) || res.Nodes[0] != a || res.Nodes[len(res.Nodes)-1] != b {
						t.Fatalf("seed %d %d->%d %v: path %v costs %v, want %v", seed, a, b, m, res.Nodes, c, d.Cost)
					}
				}
				if as.Settled > d.Settled {
					t.Errorf("A* settled %d nodes, more than Dijkstra's %d", as.Settled, d.Settled)
				}
			}
		}
	}
}

func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(a)) }

// pathCost re-adds the cheapest arc weight between consecutive nodes.
func pathCost(g *Graph, p []int32, m Metric) float64 {
	var c float64
	for i := 0; i+1 < len(p); i++ {
		best := math.Inf(1)
		g.Arcs(p[i], func(to int32, l, sp float64, e int) {
			if to != p[i+1] {
				return
			}
			w := l
			if m == Time {
				w = l / (sp / 3.6) * g.Factor(e, 0)
			}
			best = math.Min(best, w)
		})
		c += best
	}
	return c
}

func TestGraph_SetFactor(t *testing.T) {
	// A square a-b-d and a-c-d: closing a-b must send the path via c.
	nodes := []model.RoadNode{{ID: 1, Lat: 42.50, Lon: 1.50}, {ID: 2, Lat: 42.51, Lon: 1.50}, {ID: 3, Lat: 42.50, Lon: 1.51}, {ID: 4, Lat: 42.51, Lon: 1.51}}
	edges := []model.RoadEdge{
		{From: 1, To: 2, LengthM: 1200, SpeedKmh: 50},
		{From: 2, To: 4, LengthM: 900, SpeedKmh: 50},
		{From: 1, To: 3, LengthM: 1300, SpeedKmh: 50},
		{From: 3, To: 4, LengthM: 900, SpeedKmh: 50},
	}
	g, err := NewGraph(nodes, edges)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := g.EdgeIndex(4, 3); !ok || e != 3 {
		t.Fatalf("EdgeIndex(4, 3) = %d, %v; want the two-way edge 3", e, ok)
	}
	if _, ok := g.EdgeIndex(1, 4); ok {
		t.Fatal("EdgeIndex found an edge between unconnected nodes")
	}
	g.SetTraffic(NewTraffic([]float64{0, 7 * 60, 10 * 60}, g.NumEdges()))
	s := NewSearcher(g)
	want := 2100 / (50 / 3.6)
	if r := s.AStar(0, 3, Time, g.Band(8*60), true); !approx(r.Cost, want) || r.Nodes[1] != 1 {
		t.Fatalf("free flow: got %v via %v, want %v via node 2", r.Cost, r.Nodes, want)
	}
	if err := g.SetFactor(0, g.Band(8*60), 3); err != nil {
		t.Fatal(err)
	}
	want = 2200 / (50 / 3.6)
	for _, r := range []Result{s.AStar(0, 3, Time, 1, true), s.Dijkstra(0, 3, Time, 1, true), s.Bidirectional(0, 3, Time, 1, true)} {
		if !approx(r.Cost, want) || r.Nodes[1] != 2 {
			t.Fatalf("rush hour: got %v via %v, want %v via node 3", r.Cost, r.Nodes, want)
		}
	}
	// Other bands and the distance metric are untouched.
	if r := s.AStar(0, 3, Time, 2, false); !approx(r.Cost, 2100/(50/3.6)) {
		t.Fatalf("band 2: got %v", r.Cost)
	}
	if r := s.Dijkstra(0, 3, Distance, 1, false); r.Cost != 2100 {
		t.Fatalf("distance: got %v", r.Cost)
	}
	if err := g.SetFactor(99, 0, 2); err == nil {
		t.Fatal("edge out of range accepted")
	}
}

// TestReadDIMACS_Queries reproduces the reference distances of
// roads/queries.txt exactly with every algorithm.
func TestReadDIMACS_Queries(t *testing.T) {
	qf, err := os.Open(filepath.Join(benchRoads, "queries.txt"))
	if err != nil {
		t.Skipf("bench roads not present (%v)", err)
	}
	defer qf.Close()
	graphs := map[string]*Graph{}
	load := func(name string) *Graph {
		if g := graphs[name]; g != nil {
			return g
		}
		gr, err := os.Open(filepath.Join(benchRoads, name))
		if err != nil {
			t.Fatal(err)
		}
		defer gr.Close()
		var co *os.File
		if c, err := os.Open(filepath.Join(benchRoads, strings.TrimSuffix(name, ".gr")+".co")); err == nil {
			co = c
			defer c.Close()
		}
		var g *Graph
		if co != nil {
			g, err = ReadDIMACS(name, gr, co)
		} else {
			g, err = ReadDIMACS(name, gr, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		graphs[name] = g
		return g
	}
	sc := bufio.NewScanner(qf)
	n := 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		g := load(f[0])
		src, _ := strconv.Atoi(f[1])
		dst, _ := strconv.Atoi(f[2])
		want, _ := strconv.ParseFloat(f[3], 64)
		reach, _ := strconv.Atoi(f[4])
		s := NewSearcher(g)
		a, b := int32(src-1), int32(dst-1)
		for name, r := range map[string]Result{
			"dijkstra": s.Dijkstra(a, b, Distance, 0, false),
			"astar":    s.AStar(a, b, Distance, 0, false),
			"bidir":    s.Bidirectional(a, b, Distance, 0, false),
		} {
			if r.Cost != want {
				t.Errorf("%s %d->%d %s: got %v, want %v", f[0], src, dst, name, r.Cost, want)
			}
		}
		cost := make([]float64, g.NumNodes())
		all := make([]int32, g.NumNodes())
		for i := range all {
			all[i] = int32(i)
		}
		s.Tree(a, all, Distance, 0, cost, make([]float64, len(all)))
		got := 0
		for _, c := range cost {
			if !math.IsInf(c, 1) {
				got++
			}
		}
		if got != reach || cost[b] != want {
			t.Errorf("%s tree from %d: %d reachable, want %d; dist %v want %v", f[0], src, got, reach, cost[b], want)
		}
		n++
	}
	if n != 20 {
		t.Fatalf("checked %d queries, want 20", n)
	}
}

func TestReadOSM_Andorra(t *testing.T) {
	p := filepath.Join(benchRoads, "andorra-latest.osm.pbf")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("bench roads not present (%v)", err)
	}
	nodes, edges, err := ReadOSM(t.Context(), "andorra", func() (io.ReadCloser, error) { return os.Open(p) }, OSMOptions{Procs: 2})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGraph(nodes, edges)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("andorra: %d nodes, %d edges, %d arcs", g.NumNodes(), g.NumEdges(), g.NumArcs())
	// The DIMACS export of the same extract keeps 33,034 nodes in its largest
	// strongly connected component; ours must contain at least that many
	// road nodes and a comparable arc count.
	if g.NumNodes() < 33034 || g.NumArcs() < 60257 {
		t.Fatalf("too small: %d nodes, %d arcs", g.NumNodes(), g.NumArcs())
	}
	oneway := 0
	for _, e := range edges {
		if e.OneWay {
			oneway++
		}
	}
	if oneway == 0 || oneway == len(edges) {
		t.Fatalf("%d of %d edges one-way", oneway, len(edges))
	}
}

func TestParseMaxspeed(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
	}{{"50", 50}, {"50 km/h", 50}, {"30 mph", 30 * 1.609344}, {"none", 0}, {"FR:urban", 0}, {"90;70", 90}, {"", 0}, {"-5", 0}} {
		if got := parseMaxspeed(c.in); !approx(got, c.want) {
			t.Errorf("parseMaxspeed(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}
