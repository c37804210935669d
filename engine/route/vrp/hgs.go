package vrp

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"time"
)

// Options control a solve.
type Options struct {
	// TimeLimit stops the search; 0 means no time limit (then MaxIterations
	// must be set).
	TimeLimit time.Duration
	// MaxIterations stops each worker after that many iterations without
	// improvement of its best solution (0: no such stop). With a fixed seed,
	// no time limit and one worker, the result is fully reproducible.
	MaxIterations int
	// Seed makes runs repeatable.
	Seed uint64
	// Workers is the number of independent searches run in parallel; the
	// best result wins. 0 means GOMAXPROCS.
	Workers int
	// Initial, when set, is put into every worker's first population: the
	// search then never returns anything worse than it (when feasible).
	Initial *Solution
	// Params overrides the HGS parameters; zero fields keep the defaults.
	Params Params
}

// Params are the HGS-CVRP parameters (defaults from Vidal 2022).
type Params struct {
	Granular          int     // neighbours per customer (20)
	Mu                int     // minimum subpopulation size (25)
	Lambda            int     // generation size (40)
	Elite             int     // elite individuals (4)
	Close             int     // neighbours for the diversity measure (5)
	TargetFeasible    float64 // target share of feasible offspring (0.2)
	IterNoImprovement int     // iterations without improvement before a restart (20000)
}

func (p Params) withDefaults() Params {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.Granular, 20)
	def(&p.Mu, 25)
	def(&p.Lambda, 40)
	def(&p.Elite, 4)
	def(&p.Close, 5)
	def(&p.IterNoImprovement, 20000)
	if p.TargetFeasible <= 0 {
		p.TargetFeasible = 0.2
	}
	return p
}

// Result is the outcome of a solve.
type Result struct {
	Solution   *Solution
	Feasible   bool
	Iterations int           // summed over workers
	Elapsed    time.Duration // wall time
	FoundAfter time.Duration // when the returned solution was first found
}

// Solve runs the hybrid genetic search until the time limit, the iteration
// limit or ctx ends, and returns the best solution found (anytime). A
// cancelled ctx is not an error: it returns the best so far. With no
// feasible solution found (e.g. a fixed fleet too small) the least
// infeasible one is returned with Feasible false.
func Solve(ctx context.Context, in *Instance, opt Options) (*Result, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	if in.N() == 1 {
		return &Result{Solution: &Solution{}, Feasible: true}, nil
	}
	if opt.TimeLimit <= 0 && opt.MaxIterations <= 0 {
		opt.MaxIterations = 20000
	}
	if opt.TimeLimit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opt.TimeLimit)
		defer cancel()
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	prm := opt.Params.withDefaults()
	p := newProblem(in, prm.Granular)
	type out struct {
		best  *indiv
		iters int
		at    time.Duration
	}
	outs := make([]out, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			g := newGenetic(p, prm, opt.Seed+uint64(w)*0x9E3779B97F4A7C15, start)
			if dl, ok := ctx.Deadline(); ok {
				g.budget = dl.Sub(start)
			}
			if opt.Initial != nil {
				g.seed = solutionToIndiv(p, opt.Initial)
			}
			g.run(ctx, opt.MaxIterations)
			outs[w] = out{g.best, g.iter, g.bestAt}
		}(w)
	}
	wg.Wait()
	var best *indiv
	res := &Result{Elapsed: time.Since(start)}
	for _, o := range outs {
		res.Iterations += o.iters
		if o.best != nil && better(o.best, best) {
			best = o.best
			res.FoundAfter = o.at
		}
	}
	if best == nil {
		return nil, ctx.Err()
	}
	sol := &Solution{Cost: best.ev.distance}
	for _, r := range best.routes {
		if len(r) == 0 {
			continue
		}
		rr := make([]int, len(r))
		for i, c := range r {
			rr[i] = int(c)
		}
		sol.Routes = append(sol.Routes, rr)
	}
	res.Solution = sol
	res.Feasible = best.ev.feasible
	return res, nil
}

// better prefers feasible, then lower cost (for infeasible ones, lower
// penalised cost).
func better(a, b *indiv) bool {
	if b == nil {
		return true
	}
	if a.ev.feasible != b.ev.feasible {
		return a.ev.feasible
	}
	if a.ev.feasible {
		return a.ev.distance < b.ev.distance-eps
	}
	return a.ev.penalized < b.ev.penalized-eps
}

func solutionToIndiv(p *problem, s *Solution) *indiv {
	x := newIndiv(p)
	seen := make([]bool, p.nn)
	pos, k := 0, 0
	for _, r := range s.Routes {
		if len(r) == 0 {
			continue
		}
		if k >= p.fleet {
			return nil
		}
		for _, c := range r {
			if c < 1 || c > p.n || seen[c] {
				return nil
			}
			seen[c] = true
			x.routes[k] = append(x.routes[k], int32(c))
			x.giant[pos] = int32(c)
			pos++
		}
		k++
	}
	if pos != p.n {
		return nil
	}
	return x
}

type genetic struct {
	p        *problem
	prm      Params
	rng      *rand.Rand
	ls       *localSearch
	sp       *splitter
	pen      penalties
	feas     []*indiv
	infeas   []*indiv
	histLoad []bool
	histDur  []bool
	histTW   []bool
	hist     int
	best     *indiv // best feasible overall (or least infeasible if none)
	bestRun  float64
	bestAt   time.Duration
	start    time.Time
	iter     int
	seed     *indiv
	free     []*indiv
	budget   time.Duration // the time limit, 0 when none
}

func newGenetic(p *problem, prm Params, seed uint64, start time.Time) *genetic {
	g := &genetic{p: p, prm: prm, rng: rand.New(rand.NewPCG(seed, seed^0xDA3E39CB94B95BDB)), start: start}
	g.ls = newLocalSearch(p, g.rng)
	g.sp = newSplitter(p)
	g.pen = penalties{
		cap: math.Max(0.1, math.Min(1000, p.maxDist/math.Max(p.maxDemand, 1))),
		dur: 1,
		tw:  1,
	}
	const window = 100
	g.histLoad = make([]bool, window)
	g.histDur = make([]bool, window)
	g.histTW = make([]bool, window)
	for i := 0; i < window; i++ {
		g.histLoad[i], g.histDur[i], g.histTW[i] = true, true, true
	}
	g.bestRun = math.Inf(1)
	return g
}

func (g *genetic) newIndiv() *indiv {
	if k := len(g.free); k > 0 {
		x := g.free[k-1]
		g.free = g.free[:k-1]
		x.near = x.near[:0]
		return x
	}
	return newIndiv(g.p)
}

func (g *genetic) run(ctx context.Context, maxNoImprove int) {
	p := g.p
	if p.n == 1 {
		x := newIndiv(p)
		x.routes[0] = append(x.routes[0], 1)
		x.evaluate(p, g.pen)
		g.best = x
		return
	}
	stop := func() bool { return ctx.Err() != nil }
	g.initialPopulation(stop)
	off := newIndiv(p)
	noImp := 1
	for g.iter = 0; !stop(); g.iter++ {
		if maxNoImprove > 0 && noImp > maxNoImprove {
			break
		}
		g.crossoverOX(off, g.tournament(), g.tournament())
		g.ls.run(off, g.pen)
		newBest := g.add(off, true)
		if !off.ev.feasible && g.rng.IntN(2) == 0 {
			g.ls.run(off, penalties{g.pen.cap * 10, g.pen.dur * 10, g.pen.tw * 10})
			if off.ev.feasible {
				newBest = g.add(off, false) || newBest
			}
		}
		if newBest {
			noImp = 1
		} else {
			noImp++
		}
		if g.iter%100 == 0 {
			g.managePenalties()
		}
		if maxNoImprove == 0 && noImp == g.prm.IterNoImprovement {
			g.restart(stop)
			noImp = 1
		}
	}
}

func (g *genetic) initialPopulation(stop func() bool) {
	p := g.p
	if g.seed != nil {
		x := g.newIndiv()
		x.copyFrom(g.seed)
		x.evaluate(p, g.pen)
		g.add(x, false)
		// The local search only improves a warm start.
		y := g.newIndiv()
		y.copyFrom(g.seed)
		g.ls.run(y, g.pen)
		g.add(y, true)
		g.free = append(g.free, x, y)
	}
	if rs := savings(p); rs != nil {
		x := g.newIndiv()
		pos := 0
		for k := range x.routes {
			x.routes[k] = x.routes[k][:0]
			if k < len(rs) {
				x.routes[k] = append(x.routes[k], rs[k]...)
				pos += copy(x.giant[pos:], rs[k])
			}
		}
		g.ls.run(x, g.pen)
		g.add(x, true)
		g.free = append(g.free, x)
	}
	t0 := time.Now()
	for i := 0; i < 4*g.prm.Mu && (i == 0 || !stop()); i++ {
		// Under a short time limit on a large instance, building all 4µ
		// initial solutions can eat the whole budget; stop at a tenth of
		// it once there is a population to breed from.
		if g.budget > 0 && i >= g.prm.Mu/2 && time.Since(t0) > g.budget/10 {
			break
		}
		x := g.newIndiv()
		g.rng.Shuffle(len(x.giant), func(a, b int) { x.giant[a], x.giant[b] = x.giant[b], x.giant[a] })
		g.sp.split(x, p.fleet, g.pen)
		g.ls.run(x, g.pen)
		g.add(x, true)
		if !x.ev.feasible && g.rng.IntN(2) == 0 {
			g.ls.run(x, penalties{g.pen.cap * 10, g.pen.dur * 10, g.pen.tw * 10})
			if x.ev.feasible {
				g.add(x, false)
			}
		}
		g.free = append(g.free, x)
	}
}

func (g *genetic) restart(stop func() bool) {
	for _, x := range g.feas {
		g.free = append(g.free, x)
	}
	for _, x := range g.infeas {
		g.free = append(g.free, x)
	}
	g.feas, g.infeas = g.feas[:0], g.infeas[:0]
	g.bestRun = math.Inf(1)
	g.seed = nil
	g.initialPopulation(stop)
}

// add puts a copy of x into its subpopulation; it reports whether x is a
// new best of the run.
func (g *genetic) add(x *indiv, track bool) bool {
	if track {
		g.histLoad[g.hist] = x.ev.capExcess < eps
		g.histDur[g.hist] = x.ev.durExcess < eps
		g.histTW[g.hist] = x.ev.timeWarp < eps
		g.hist = (g.hist + 1) % len(g.histLoad)
	}
	c := g.newIndiv()
	c.copyFrom(x)
	sub := &g.infeas
	if c.ev.feasible {
		sub = &g.feas
	}
	for _, o := range *sub {
		d := brokenPairs(g.p, c, o)
		o.addNear(d, c)
		c.addNear(d, o)
	}
	s := append(*sub, nil)
	i := len(s) - 1
	for i > 0 && s[i-1].ev.penalized > c.ev.penalized+eps {
		s[i] = s[i-1]
		i--
	}
	s[i] = c
	*sub = s
	if len(s) > g.prm.Mu+g.prm.Lambda {
		for len(*sub) > g.prm.Mu {
			g.removeWorst(sub)
		}
	}
	if g.best == nil || better(x, g.best) {
		if g.best == nil {
			g.best = newIndiv(g.p)
		}
		g.best.copyFrom(x)
		g.bestAt = time.Since(g.start)
	}
	if c.ev.feasible && c.ev.penalized < g.bestRun-eps {
		g.bestRun = c.ev.penalized
		return true
	}
	return false
}

func (g *genetic) biasedFitness(sub []*indiv) {
	n := len(sub)
	if n == 1 {
		sub[0].biasedFit = 0
		return
	}
	type rk struct {
		div float64
		i   int
	}
	r := make([]rk, n)
	for i, x := range sub {
		r[i] = rk{-x.avgClosest(g.prm.Close), i}
	}
	sort.SliceStable(r, func(a, b int) bool { return r[a].div < r[b].div })
	for i := range r {
		divRank := float64(i) / float64(n-1)
		fitRank := float64(r[i].i) / float64(n-1)
		if n <= g.prm.Elite {
			sub[r[i].i].biasedFit = fitRank
		} else {
			sub[r[i].i].biasedFit = fitRank + (1-float64(g.prm.Elite)/float64(n))*divRank
		}
	}
}

func (g *genetic) removeWorst(sub *[]*indiv) {
	s := *sub
	g.biasedFitness(s)
	worst := -1
	worstClone := false
	worstFit := -1.0
	for i := 1; i < len(s); i++ {
		clone := s[i].avgClosest(1) < eps
		if (clone && !worstClone) || (clone == worstClone && s[i].biasedFit > worstFit) {
			worst, worstClone, worstFit = i, clone, s[i].biasedFit
		}
	}
	w := s[worst]
	*sub = append(s[:worst], s[worst+1:]...)
	for _, o := range *sub {
		o.removeNear(w)
	}
	g.free = append(g.free, w)
}

func (g *genetic) tournament() *indiv {
	g.biasedFitness(g.feas)
	g.biasedFitness(g.infeas)
	pick := func() *indiv {
		k := g.rng.IntN(len(g.feas) + len(g.infeas))
		if k < len(g.feas) {
			return g.feas[k]
		}
		return g.infeas[k-len(g.feas)]
	}
	a, b := pick(), pick()
	if a.biasedFit < b.biasedFit {
		return a
	}
	return b
}

func (g *genetic) crossoverOX(res, p1, p2 *indiv) {
	n := g.p.n
	used := make([]bool, n+1)
	start := g.rng.IntN(n)
	end := g.rng.IntN(n)
	for n > 1 && end == start {
		end = g.rng.IntN(n)
	}
	j := start
	for j%n != (end+1)%n {
		res.giant[j%n] = p1.giant[j%n]
		used[res.giant[j%n]] = true
		j++
	}
	for i := 1; i <= n; i++ {
		c := p2.giant[(end+i)%n]
		if !used[c] {
			res.giant[j%n] = c
			j++
		}
	}
	g.sp.split(res, p1.ev.routes, g.pen)
}

func (g *genetic) managePenalties() {
	adj := func(hist []bool, v float64) float64 {
		f := 0.0
		for _, ok := range hist {
			if ok {
				f++
			}
		}
		f /= float64(len(hist))
		t := g.prm.TargetFeasible
		switch {
		case f < t-0.05 && v < 100000:
			v = math.Min(v*1.2, 100000)
		case f > t+0.05 && v > 0.1:
			v = math.Max(v*0.85, 0.1)
		}
		return v
	}
	g.pen.cap = adj(g.histLoad, g.pen.cap)
	if g.p.hasDur {
		g.pen.dur = adj(g.histDur, g.pen.dur)
	}
	if g.p.hasTW {
		g.pen.tw = adj(g.histTW, g.pen.tw)
	}
	for _, x := range g.infeas {
		x.ev.penalized = x.ev.distance + g.pen.cap*x.ev.capExcess + g.pen.dur*x.ev.durExcess + g.pen.tw*x.ev.timeWarp
	}
	s := g.infeas
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(s)-i-1; j++ {
			if s[j].ev.penalized > s[j+1].ev.penalized+eps {
				s[j], s[j+1] = s[j+1], s[j]
			}
		}
	}
}
