package route

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"stockroom/model"
)

var andorra struct {
	once sync.Once
	g    *Graph
	err  error
}

func loadAndorra(b testing.TB) *Graph {
	b.Helper()
	andorra.once.Do(func() {
		gr, err := os.Open(filepath.Join(benchRoads, "andorra.gr"))
		if err != nil {
			andorra.err = err
			return
		}
		defer gr.Close()
		co, err := os.Open(filepath.Join(benchRoads, "andorra.co"))
		if err != nil {
			andorra.err = err
			return
		}
		defer co.Close()
		andorra.g, andorra.err = ReadDIMACS("andorra.gr", gr, co)
	})
	if andorra.err != nil {
		b.Skipf("bench roads not present (%v)", andorra.err)
	}
	return andorra.g
}

var andorraOSM struct {
	once sync.Once
	g    *Graph
	err  error
}

// loadAndorraOSM builds the graph from the OpenStreetMap extract: real
// speeds and one-way rules, so travel times are meaningful.
func loadAndorraOSM(b testing.TB) *Graph {
	b.Helper()
	andorraOSM.once.Do(func() {
		p := filepath.Join(benchRoads, "andorra-latest.osm.pbf")
		nodes, edges, err := ReadOSM(context.Background(), "andorra", func() (io.ReadCloser, error) { return os.Open(p) }, OSMOptions{Procs: 2})
		if err != nil {
			andorraOSM.err = err
			return
		}
		andorraOSM.g, andorraOSM.err = NewGraph(nodes, edges)
	})
	if andorraOSM.err != nil {
		b.Skipf("bench roads not present (%v)", andorraOSM.err)
	}
	return andorraOSM.g
}

// bigGrid is a generated road grid of side×side junctions, about 2·side²
// two-way edges with lengths jittered ±20% (708 gives 1,001,112 edges).
func bigGrid(side int, seed uint64) *Graph {
	r := rand.New(rand.NewPCG(seed, 5))
	b := newBuilder(side*side, 2*side*side)
	const step = 0.001
	for i := 0; i < side; i++ {
		for j := 0; j < side; j++ {
			b.addNode(int64(i*side+j+1), 40+float64(i)*step, float64(j)*step*1.3)
		}
	}
	b.hasXY = true
	for i := 0; i < side; i++ {
		for j := 0; j < side; j++ {
			v := int32(i*side + j)
			base := model.HaversineM(40, 0, 40+step, 0)
			if j+1 < side {
				b.addEdge(v, v+1, base*(1+0.2*r.Float64()), float64(30+10*r.IntN(6)), false)
			}
			if i+1 < side {
				b.addEdge(v, v+int32(side), base*(1+0.2*r.Float64()), float64(30+10*r.IntN(6)), false)
			}
		}
	}
	return b.build()
}

func benchQueries(b *testing.B, g *Graph, m Metric, algo string) {
	s := NewSearcher(g)
	r := rand.New(rand.NewPCG(1, 1))
	pairs := make([][2]int32, 1000)
	for i := range pairs {
		pairs[i] = [2]int32{int32(r.IntN(g.NumNodes())), int32(r.IntN(g.NumNodes()))}
	}
	g.weightsFor(m, 0)
	b.ResetTimer()
	c0 := cpuTime()
	settled := 0
	for i := 0; i < b.N; i++ {
		p := pairs[i%len(pairs)]
		var res Result
		switch algo {
		case "dijkstra":
			res = s.Dijkstra(p[0], p[1], m, 0, false)
		case "astar":
			res = s.AStar(p[0], p[1], m, 0, false)
		default:
			res = s.Bidirectional(p[0], p[1], m, 0, false)
		}
		settled += res.Settled
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	b.ReportMetric(float64(b.N)/(cpuTime()-c0).Seconds(), "queries/cpu-s")
	b.ReportMetric(float64(settled)/float64(b.N), "settled/query")
}

// BenchmarkQuery: go test -run XXX -bench Query -count 3 ./engine/route/
func BenchmarkQuery(b *testing.B) {
	for _, algo := range []string{"dijkstra", "astar", "bidir"} {
		b.Run("andorra/distance/"+algo, func(b *testing.B) { benchQueries(b, loadAndorra(b), Distance, algo) })
	}
	var grid *Graph
	for _, algo := range []string{"dijkstra", "astar", "bidir"} {
		b.Run("grid1M/time/"+algo, func(b *testing.B) {
			if grid == nil {
				grid = bigGrid(708, 1)
				b.Logf("grid: %d nodes, %d edges, %d arcs", grid.NumNodes(), grid.NumEdges(), grid.NumArcs())
			}
			benchQueries(b, grid, Time, algo)
		})
	}
}

// BenchmarkMatrix200: a 200×200 travel-time matrix on Andorra's
// OpenStreetMap roads (points in the largest component), 2 workers.
func BenchmarkMatrix200(b *testing.B) {
	g := loadAndorraOSM(b)
	big := LargestComponent(g)
	r := rand.New(rand.NewPCG(2, 2))
	pts := make([]int32, 0, 200)
	for len(pts) < 200 {
		if v := int32(r.IntN(g.NumNodes())); big[v] {
			pts = append(pts, v)
		}
	}
	g.weightsFor(Time, 0)
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := g.Matrix(context.Background(), pts, pts, Time, 0, 2); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-c0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkReplan200: 200 deliveries on Andorra's roads, 25 vans; each
// iteration slows one road on a planned run and re-plans (matrix recompute
// plus a warm-started solve with a 500 ms limit).
func BenchmarkReplan200(b *testing.B) {
	g := loadAndorraOSM(b)
	p := NewPlannerGraph(g, PlanOptions{TimeLimit: 2 * time.Second, Seed: 1})
	r := rand.New(rand.NewPCG(3, 3))
	big := LargestComponent(g)
	pick := func() (float64, float64) {
		for {
			v := int32(r.IntN(g.NumNodes()))
			if big[v] {
				return g.LatLon(v)
			}
		}
	}
	lat, lon := pick()
	depot := Depot{Code: "DEP", Lat: lat, Lon: lon}
	ds := make([]model.Delivery, 200)
	for i := range ds {
		la, lo := pick()
		ds[i] = model.Delivery{ID: fmt.Sprintf("D%03d", i), Date: model.MustDate("2026-12-01"), Depot: "DEP",
			Lat: la + 0.0003, Lon: lo - 0.0003, Demand: int64(1 + r.IntN(9)), ServiceMin: 4}
	}
	vs := vans(25, 60)
	ctx := context.Background()
	plan, err := p.Plan(ctx, depot, model.MustDate("2026-12-01"), ds, vs)
	if err != nil {
		b.Fatal(err)
	}
	p.opt.TimeLimit = 500 * time.Millisecond
	var mat, solve time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run := plan.Runs[i%len(plan.Runs)]
		path := run.Path
		a, _ := p.snap.Nearest(path[len(path)/2].Lat, path[len(path)/2].Lon)
		var e int
		g.Arcs(a, func(to int32, l, sp float64, edge int) { e = edge })
		t0 := time.Now()
		if err := p.SetFactor(e, 0, 1.5+float64(i%5)); err != nil {
			b.Fatal(err)
		}
		mat += time.Since(t0)
		next, err := p.Replan(ctx, plan, ds, vs, 0)
		if err != nil {
			b.Fatal(err)
		}
		if !next.Feasible {
			for _, r := range next.Runs {
				b.Logf("%s load %d/%d dur %.0f end %.0f", r.Vehicle, r.Load, r.Capacity, r.DurationMin, r.EndMin)
			}
			b.Fatalf("re-plan infeasible: unassigned %v", next.Unassigned)
		}
		plan = next
		mat += next.MatrixTime
		solve += next.SolveTime
	}
	b.ReportMetric(float64(solve.Milliseconds())/float64(b.N), "replan-ms/op")
	b.ReportMetric(float64(mat.Milliseconds())/float64(b.N), "matrix-ms/op")
}
