package vrp

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// GenOptions choose the shape of a generated instance, after the generator
// of the X set (Uchoa et al. 2017, "New benchmark instances for the
// capacitated vehicle routing problem"). Zero values are drawn from the seed.
type GenOptions struct {
	Customers int
	Depot     string // "C" centre, "E" corner, "R" random
	Layout    string // "R" random, "C" clustered, "RC" half of each
	Demand    string // "U" unit, "1-10", "5-10", "1-100", "50-100", "Q" by quadrant, "SL" many small few large
	RouteSize float64
}

// Generate makes an X-like instance on a 1000×1000 grid with integer
// coordinates and TSPLIB-rounded distances. The same seed and options give
// the same instance.
func Generate(seed uint64, opt GenOptions) *Instance {
	r := rand.New(rand.NewPCG(seed, 0x5851F42D4C957F2D))
	pick := func(s string, from ...string) string {
		if s != "" {
			return s
		}
		return from[r.IntN(len(from))]
	}
	n := opt.Customers
	if n <= 0 {
		n = 100 + r.IntN(301)
	}
	opt.Depot = pick(opt.Depot, "C", "E", "R")
	opt.Layout = pick(opt.Layout, "R", "C", "RC")
	opt.Demand = pick(opt.Demand, "U", "1-10", "5-10", "1-100", "50-100", "Q", "SL")
	if opt.RouteSize <= 0 {
		// The X set draws mean route sizes from 3 to 25, most of them short.
		opt.RouteSize = 3 + 22*math.Pow(r.Float64(), 1.5)
	}
	in := &Instance{
		Name: fmt.Sprintf("X-gen-n%d-s%d-%s%s%s", n+1, seed, opt.Depot, opt.Layout, opt.Demand),
		X:    make([]float64, n+1), Y: make([]float64, n+1),
		Demand: make([]int64, n+1), Service: make([]float64, n+1),
		EdgeWeightType: "EUC_2D",
	}
	switch opt.Depot {
	case "C":
		in.X[0], in.Y[0] = 500, 500
	case "E":
		in.X[0], in.Y[0] = 0, 0
	default:
		in.X[0], in.Y[0] = float64(r.IntN(1001)), float64(r.IntN(1001))
	}
	used := map[[2]int]bool{{int(in.X[0]), int(in.Y[0])}: true}
	place := func(i int, x, y int) bool {
		if x < 0 || x > 1000 || y < 0 || y > 1000 || used[[2]int{x, y}] {
			return false
		}
		used[[2]int{x, y}] = true
		in.X[i], in.Y[i] = float64(x), float64(y)
		return true
	}
	clustered := 0
	switch opt.Layout {
	case "C":
		clustered = n
	case "RC":
		clustered = n / 2
	}
	var seeds [][2]int
	if clustered > 0 {
		s := 3 + r.IntN(6)
		for len(seeds) < s {
			x, y := r.IntN(1001), r.IntN(1001)
			if !used[[2]int{x, y}] {
				seeds = append(seeds, [2]int{x, y})
			}
		}
	}
	for i := 1; i <= n; i++ {
		for {
			if i <= clustered {
				// Attraction to a seed decays exponentially with distance.
				s := seeds[r.IntN(len(seeds))]
				d := -40 * math.Log(1-r.Float64())
				a := r.Float64() * 2 * math.Pi
				if place(i, s[0]+int(math.Round(d*math.Cos(a))), s[1]+int(math.Round(d*math.Sin(a)))) {
					break
				}
			} else if place(i, r.IntN(1001), r.IntN(1001)) {
				break
			}
		}
	}
	var total int64
	for i := 1; i <= n; i++ {
		var q int
		switch opt.Demand {
		case "U":
			q = 1
		case "1-10":
			q = 1 + r.IntN(10)
		case "5-10":
			q = 5 + r.IntN(6)
		case "1-100":
			q = 1 + r.IntN(100)
		case "50-100":
			q = 50 + r.IntN(51)
		case "Q":
			if (in.X[i] >= in.X[0]) == (in.Y[i] >= in.Y[0]) {
				q = 1 + r.IntN(50)
			} else {
				q = 51 + r.IntN(50)
			}
		default: // SL
			if r.Float64() < 0.8 {
				q = 1 + r.IntN(10)
			} else {
				q = 50 + r.IntN(51)
			}
		}
		in.Demand[i] = int64(q)
		total += int64(q)
	}
	var maxQ int64
	for _, q := range in.Demand {
		maxQ = max(maxQ, q)
	}
	in.Capacity = max(maxQ, int64(math.Ceil(opt.RouteSize*float64(total)/float64(n))))
	in.Euclidean(true)
	return in
}
