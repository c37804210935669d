package vrp

import (
	"math"
	"math/rand/v2"
)

type lsNode struct {
	cour      int32 // instance node; 0 for depots
	isDepot   bool
	pos       int32
	lastRI    int // nbMoves when its moves were last tested
	next      int32
	prev      int32
	route     int32
	cumLoad   float64
	cumTime   float64 // travel + service from the route's start up to here
	cumRev    float64 // cost change of reversing the route up to here
	delRemove float64
	fw, bw    seg // time-window summaries: start..here and here..end
}

type lsRoute struct {
	depot        int32 // start node index; the end node is nodes[depot].prev
	customers    int
	lastModified int
	lastSwapStar int
	duration     float64
	load         float64
	revDist      float64
	penalty      float64 // penalties only, not distance
	polarBary    float64
	sec          sector
	tw           float64
}

type threeBest struct {
	when int
	cost [3]float64
	loc  [3]int32
}

func (t *threeBest) reset() {
	t.cost = [3]float64{1e30, 1e30, 1e30}
	t.loc = [3]int32{-1, -1, -1}
}

func (t *threeBest) add(c float64, loc int32) {
	switch {
	case c >= t.cost[2]:
		return
	case c >= t.cost[1]:
		t.cost[2], t.loc[2] = c, loc
	case c >= t.cost[0]:
		t.cost[2], t.loc[2] = t.cost[1], t.loc[1]
		t.cost[1], t.loc[1] = c, loc
	default:
		t.cost[2], t.loc[2] = t.cost[1], t.loc[1]
		t.cost[1], t.loc[1] = t.cost[0], t.loc[0]
		t.cost[0], t.loc[0] = c, loc
	}
}

// localSearch improves one solution with the HGS-CVRP neighbourhoods:
// relocate of one or two customers (also reversed), swaps of 1–1, 2–1 and
// 2–2, 2-opt, 2-opt* and SWAP*, each tried only between a customer and its
// granular neighbours, and only when a route involved changed since.
type localSearch struct {
	p          *problem
	dist       []float64 // p.dist, kept here to save an indirection
	nn         int
	rng        *rand.Rand
	pen        penalties
	nodes      []lsNode
	routes     []lsRoute
	orderNodes []int32
	orderRts   []int
	neigh      [][]int32 // own copy, shuffled now and then
	bestIns    [][]threeBest
	nbMoves    int
	done       bool
	loop       int
	buf        []int32

	// the move under evaluation
	u, x, v, y                 int32
	uc, xc, vc, yc             int32 // instance nodes
	uPrev, xNext, vPrev, yNext int32 // instance nodes
	ru, rv                     int32
	loadU, loadX, loadV, loadY float64
	svcU, svcX, svcV, svcY     float64
	intra                      bool
}

func newLocalSearch(p *problem, rng *rand.Rand) *localSearch {
	ls := &localSearch{p: p, rng: rng, dist: p.dist, nn: p.nn}
	n, f := p.n, p.fleet
	ls.nodes = make([]lsNode, n+1+2*f)
	for i := 1; i <= n; i++ {
		ls.nodes[i].cour = int32(i)
		ls.orderNodes = append(ls.orderNodes, int32(i))
	}
	ls.routes = make([]lsRoute, f)
	for r := 0; r < f; r++ {
		d, e := ls.depotStart(r), ls.depotEnd(r)
		ls.nodes[d] = lsNode{isDepot: true, route: int32(r)}
		ls.nodes[e] = lsNode{isDepot: true, route: int32(r)}
		ls.routes[r].depot = d
		ls.orderRts = append(ls.orderRts, r)
	}
	ls.neigh = make([][]int32, n+1)
	for i := 1; i <= n; i++ {
		ls.neigh[i] = append([]int32(nil), p.neighbours[i]...)
	}
	ls.bestIns = make([][]threeBest, f)
	for r := range ls.bestIns {
		ls.bestIns[r] = make([]threeBest, n+1)
	}
	return ls
}

func (ls *localSearch) depotStart(r int) int32 { return int32(ls.p.n + 1 + r) }
func (ls *localSearch) depotEnd(r int) int32   { return int32(ls.p.n + 1 + ls.p.fleet + r) }

// excessLoad and excessDur avoid math.Max, which the compiler does not
// inline on amd64; they run for almost every move evaluated.
func (ls *localSearch) excessLoad(l float64) float64 {
	if l > ls.p.capacity {
		return (l - ls.p.capacity) * ls.pen.cap
	}
	return 0
}

func (ls *localSearch) excessDur(d float64) float64 {
	if d > ls.p.maxDur {
		return (d - ls.p.maxDur) * ls.pen.dur
	}
	return 0
}

// segPenalty is the duration and time-warp penalty of a whole route
// summarised by s.
func (ls *localSearch) segPenalty(s seg) float64 {
	return ls.excessDur(s.dur) + ls.pen.tw*s.tw
}

func (ls *localSearch) run(x *indiv, pen penalties) {
	ls.pen = pen
	ls.load(x)
	rng := ls.rng
	rng.Shuffle(len(ls.orderNodes), func(i, j int) { ls.orderNodes[i], ls.orderNodes[j] = ls.orderNodes[j], ls.orderNodes[i] })
	rng.Shuffle(len(ls.orderRts), func(i, j int) { ls.orderRts[i], ls.orderRts[j] = ls.orderRts[j], ls.orderRts[i] })
	gran := max(1, len(ls.p.neighbours[1]))
	for i := 1; i <= ls.p.n; i++ {
		if rng.IntN(gran) == 0 {
			nb := ls.neigh[i]
			rng.Shuffle(len(nb), func(a, b int) { nb[a], nb[b] = nb[b], nb[a] })
		}
	}
	nodes := ls.nodes
	ls.done = false
	for ls.loop = 0; !ls.done; ls.loop++ {
		if ls.loop > 1 {
			ls.done = true
		}
		for _, u := range ls.orderNodes {
			lastTest := nodes[u].lastRI
			nodes[u].lastRI = ls.nbMoves
			for _, vc := range ls.neigh[u] {
				ls.u = u
				v := vc
				if ls.loop == 0 || max(ls.routes[nodes[u].route].lastModified, ls.routes[nodes[v].route].lastModified) > lastTest {
					ls.v = v
					ls.setU()
					ls.setV()
					if ls.move1() || ls.move2() || ls.move3() ||
						(ls.uc <= ls.vc && ls.move4()) || ls.move5() || (ls.uc <= ls.vc && ls.move6()) ||
						(ls.intra && ls.move7()) || (!ls.intra && ls.move8()) || (!ls.intra && ls.move9()) {
						continue
					}
					if nodes[nodes[v].prev].isDepot {
						ls.v = nodes[v].prev
						ls.setV()
						if ls.move1() || ls.move2() || ls.move3() || (!ls.intra && ls.move8()) || (!ls.intra && ls.move9()) {
							continue
						}
					}
				}
			}
			// Moves into an empty route, not in the first loop so that the
			// fleet does not grow too eagerly.
			if ls.loop > 0 {
				if er := ls.firstEmpty(); er >= 0 {
					ls.u = u
					ls.v = ls.routes[er].depot
					ls.setU()
					ls.setV()
					if ls.move1() || ls.move2() || ls.move3() || ls.move9() {
						continue
					}
				}
			}
		}
		if ls.p.coords && !ls.p.hasTW {
			for _, ru := range ls.orderRts {
				lastTest := ls.routes[ru].lastSwapStar
				ls.routes[ru].lastSwapStar = ls.nbMoves
				for _, rv := range ls.orderRts {
					RU, RV := &ls.routes[ru], &ls.routes[rv]
					if RU.customers > 0 && RV.customers > 0 && ru < rv &&
						(ls.loop == 0 || max(RU.lastModified, RV.lastModified) > lastTest) &&
						overlap(RU.sec, RV.sec) {
						ls.swapStar(int32(ru), int32(rv))
					}
				}
			}
		}
	}
	ls.export(x)
}

func (ls *localSearch) firstEmpty() int {
	for r := range ls.routes {
		if ls.routes[r].customers == 0 {
			return r
		}
	}
	return -1
}

func (ls *localSearch) setU() {
	n := ls.nodes
	u := ls.u
	ls.ru = n[u].route
	ls.x = n[u].next
	ls.uc, ls.xc = n[u].cour, n[ls.x].cour
	ls.xNext = n[n[ls.x].next].cour
	ls.uPrev = n[n[u].prev].cour
	p := ls.p
	ls.loadU, ls.loadX = p.demand[ls.uc], p.demand[ls.xc]
	ls.svcU, ls.svcX = p.service[ls.uc], p.service[ls.xc]
}

func (ls *localSearch) setV() {
	n := ls.nodes
	v := ls.v
	ls.rv = n[v].route
	ls.y = n[v].next
	ls.vc, ls.yc = n[v].cour, n[ls.y].cour
	ls.yNext = n[n[ls.y].next].cour
	ls.vPrev = n[n[v].prev].cour
	p := ls.p
	ls.loadV, ls.loadY = p.demand[ls.vc], p.demand[ls.yc]
	ls.svcV, ls.svcY = p.service[ls.vc], p.service[ls.yc]
	ls.intra = ls.ru == ls.rv
}

func (ls *localSearch) d(i, j int32) float64 { return ls.dist[int(i)*ls.nn+int(j)] }

func (ls *localSearch) cs(c int32) seg { return nodeSeg(ls.p, c) }

// chain concatenates segments left to right.
func (ls *localSearch) chain(ss ...seg) seg {
	s := ss[0]
	for _, t := range ss[1:] {
		s = ls.p.merge(s, t)
	}
	return s
}

func (ls *localSearch) applied(routes ...int32) bool {
	ls.nbMoves++
	ls.done = false
	for i, r := range routes {
		if i > 0 && r == routes[0] {
			continue
		}
		ls.updateRoute(r)
	}
	return true
}

// intraTW re-evaluates a route after an intra-route move with time
// windows: the change in penalties of the route given as node list.
func (ls *localSearch) intraDelta(r int32, seq []int32) float64 {
	p := ls.p
	s := ls.cs(0)
	for _, c := range seq {
		s = p.merge(s, ls.cs(c))
	}
	s = p.merge(s, ls.cs(0))
	return ls.segPenalty(s) + ls.excessLoad(ls.routes[r].load) - ls.routes[r].penalty
}

// routeSeq copies route r's customers into buf.
func (ls *localSearch) routeSeq(r int32, buf []int32) []int32 {
	buf = buf[:0]
	n := ls.nodes
	for v := n[ls.routes[r].depot].next; !n[v].isDepot; v = n[v].next {
		buf = append(buf, v)
	}
	return buf
}

// intraPenalty evaluates a candidate intra-route move with time windows by
// building the new sequence: relocate moves `take` (1 or 2 nodes, possibly
// reversed) after `after`, or swaps.
func (ls *localSearch) intraSeqPenalty(build func(seq []int32) []int32) float64 {
	seq := ls.routeSeq(ls.ru, ls.buf)
	out := build(seq)
	ls.buf = seq
	cs := make([]int32, len(out))
	for i, v := range out {
		cs[i] = ls.nodes[v].cour
	}
	return ls.intraDelta(ls.ru, cs)
}

// relocate U after V
func (ls *localSearch) move1() bool {
	p, n := ls.p, ls.nodes
	costU := ls.d(ls.uPrev, ls.xc) - ls.d(ls.uPrev, ls.uc) - ls.d(ls.uc, ls.xc)
	costV := ls.d(ls.vc, ls.uc) + ls.d(ls.uc, ls.yc) - ls.d(ls.vc, ls.yc)
	RU, RV := &ls.routes[ls.ru], &ls.routes[ls.rv]
	if !ls.intra {
		if costU+costV >= RU.penalty+RV.penalty {
			return false
		}
		if p.hasTW {
			costU += ls.segPenalty(p.merge(n[n[ls.u].prev].fw, n[ls.x].bw)) + ls.excessLoad(RU.load-ls.loadU) - RU.penalty
			costV += ls.segPenalty(ls.chain(n[ls.v].fw, ls.cs(ls.uc), n[ls.y].bw)) + ls.excessLoad(RV.load+ls.loadU) - RV.penalty
		} else {
			costU += ls.excessDur(RU.duration+costU-ls.svcU) + ls.excessLoad(RU.load-ls.loadU) - RU.penalty
			costV += ls.excessDur(RV.duration+costV+ls.svcU) + ls.excessLoad(RV.load+ls.loadU) - RV.penalty
		}
	}
	if costU+costV > -eps || ls.uc == ls.yc {
		return false
	}
	if ls.intra && p.hasDur {
		if costU+costV+ls.intraSeqPenalty(func(s []int32) []int32 { return moveAfter(s, ls.u, -1, ls.v) }) > -eps {
			return false
		}
	}
	ls.insert(ls.u, ls.v)
	return ls.applied(ls.ru, ls.rv)
}

// relocate U,X after V
func (ls *localSearch) move2() bool {
	p, n := ls.p, ls.nodes
	if ls.u == ls.y || ls.v == ls.x || n[ls.x].isDepot {
		return false
	}
	costU := ls.d(ls.uPrev, ls.xNext) - ls.d(ls.uPrev, ls.uc) - ls.d(ls.xc, ls.xNext)
	costV := ls.d(ls.vc, ls.uc) + ls.d(ls.xc, ls.yc) - ls.d(ls.vc, ls.yc)
	RU, RV := &ls.routes[ls.ru], &ls.routes[ls.rv]
	if !ls.intra {
		if costU+costV >= RU.penalty+RV.penalty {
			return false
		}
		if p.hasTW {
			costU += ls.segPenalty(p.merge(n[n[ls.u].prev].fw, n[n[ls.x].next].bw)) + ls.excessLoad(RU.load-ls.loadU-ls.loadX) - RU.penalty
			costV += ls.segPenalty(ls.chain(n[ls.v].fw, ls.cs(ls.uc), ls.cs(ls.xc), n[ls.y].bw)) + ls.excessLoad(RV.load+ls.loadU+ls.loadX) - RV.penalty
		} else {
			costU += ls.excessDur(RU.duration+costU-ls.d(ls.uc, ls.xc)-ls.svcU-ls.svcX) + ls.excessLoad(RU.load-ls.loadU-ls.loadX) - RU.penalty
			costV += ls.excessDur(RV.duration+costV+ls.d(ls.uc, ls.xc)+ls.svcU+ls.svcX) + ls.excessLoad(RV.load+ls.loadU+ls.loadX) - RV.penalty
		}
	}
	if costU+costV > -eps {
		return false
	}
	if ls.intra && p.hasDur {
		if costU+costV+ls.intraSeqPenalty(func(s []int32) []int32 { return moveAfter(s, ls.u, ls.x, ls.v) }) > -eps {
			return false
		}
	}
	ls.insert(ls.u, ls.v)
	ls.insert(ls.x, ls.u)
	return ls.applied(ls.ru, ls.rv)
}

// relocate U,X after V as X,U
func (ls *localSearch) move3() bool {
	p, n := ls.p, ls.nodes
	if ls.u == ls.y || ls.x == ls.v || n[ls.x].isDepot {
		return false
	}
	costU := ls.d(ls.uPrev, ls.xNext) - ls.d(ls.uPrev, ls.uc) - ls.d(ls.uc, ls.xc) - ls.d(ls.xc, ls.xNext)
	costV := ls.d(ls.vc, ls.xc) + ls.d(ls.xc, ls.uc) + ls.d(ls.uc, ls.yc) - ls.d(ls.vc, ls.yc)
	RU, RV := &ls.routes[ls.ru], &ls.routes[ls.rv]
	if !ls.intra {
		if costU+costV >= RU.penalty+RV.penalty {
			return false
		}
		if p.hasTW {
			costU += ls.segPenalty(p.merge(n[n[ls.u].prev].fw, n[n[ls.x].next].bw)) + ls.excessLoad(RU.load-ls.loadU-ls.loadX) - RU.penalty
			costV += ls.segPenalty(ls.chain(n[ls.v].fw, ls.cs(ls.xc), ls.cs(ls.uc), n[ls.y].bw)) + ls.excessLoad(RV.load+ls.loadU+ls.loadX) - RV.penalty
		} else {
			costU += ls.excessDur(RU.duration+costU-ls.svcU-ls.svcX) + ls.excessLoad(RU.load-ls.loadU-ls.loadX) - RU.penalty
			costV += ls.excessDur(RV.duration+costV+ls.svcU+ls.svcX) + ls.excessLoad(RV.load+ls.loadU+ls.loadX) - RV.penalty
		}
	}
	if costU+costV > -eps {
		return false
	}
	if ls.intra && p.hasDur {
		if costU+costV+ls.intraSeqPenalty(func(s []int32) []int32 { return moveAfter(s, ls.x, ls.u, ls.v) }) > -eps {
			return false
		}
	}
	ls.insert(ls.x, ls.v)
	ls.insert(ls.u, ls.x)
	return ls.applied(ls.ru, ls.rv)
}

// swap U and V
func (ls *localSearch) move4() bool {
	p, n := ls.p, ls.nodes
	if ls.uc == ls.vPrev || ls.uc == ls.yc || n[ls.v].isDepot {
		return false
	}
	costU := ls.d(ls.uPrev, ls.vc) + ls.d(ls.vc, ls.xc) - ls.d(ls.uPrev, ls.uc) - ls.d(ls.uc, ls.xc)
	costV := ls.d(ls.vPrev, ls.uc) + ls.d(ls.uc, ls.yc) - ls.d(ls.vPrev, ls.vc) - ls.d(ls.vc, ls.yc)
	RU, RV := &ls.routes[ls.ru], &ls.routes[ls.rv]
	if !ls.intra {
		if costU+costV >= RU.penalty+RV.penalty {
			return false
		}
		if p.hasTW {
			costU += ls.segPenalty(ls.chain(n[n[ls.u].prev].fw, ls.cs(ls.vc), n[ls.x].bw)) + ls.excessLoad(RU.load+ls.loadV-ls.loadU) - RU.penalty
			costV += ls.segPenalty(ls.chain(n[n[ls.v].prev].fw, ls.cs(ls.uc), n[ls.y].bw)) + ls.excessLoad(RV.load+ls.loadU-ls.loadV) - RV.penalty
		} else {
			costU += ls.excessDur(RU.duration+costU+ls.svcV-ls.svcU) + ls.excessLoad(RU.load+ls.loadV-ls.loadU) - RU.penalty
			costV += ls.excessDur(RV.duration+costV-ls.svcV+ls.svcU) + ls.excessLoad(RV.load+ls.loadU-ls.loadV) - RV.penalty
		}
	}
	if costU+costV > -eps {
		return false
	}
	if ls.intra && p.hasDur {
		if costU+costV+ls.intraSeqPenalty(func(s []int32) []int32 { return swapIn(s, ls.u, -1, ls.v, -1) }) > -eps {
			return false
		}
	}
	ls.swap(ls.u, ls.v)
	return ls.applied(ls.ru, ls.rv)
}

// swap U,X with V
func (ls *localSearch) move5() bool {
	p, n := ls.p, ls.nodes
	if ls.u == n[ls.v].prev || ls.x == n[ls.v].prev || ls.u == ls.y || n[ls.x].isDepot || n[ls.v].isDepot {
		return false
	}
	costU := ls.d(ls.uPrev, ls.vc) + ls.d(ls.vc, ls.xNext) - ls.d(ls.uPrev, ls.uc) - ls.d(ls.xc, ls.xNext)
	costV := ls.d(ls.vPrev, ls.uc) + ls.d(ls.xc, ls.yc) - ls.d(ls.vPrev, ls.vc) - ls.d(ls.vc, ls.yc)
	RU, RV := &ls.routes[ls.ru], &ls.routes[ls.rv]
	if !ls.intra {
		if costU+costV >= RU.penalty+RV.penalty {
			return false
		}
		if p.hasTW {
			costU += ls.segPenalty(ls.chain(n[n[ls.u].prev].fw, ls.cs(ls.vc), n[n[ls.x].next].bw)) + ls.excessLoad(RU.load+ls.loadV-ls.loadU-ls.loadX) - RU.penalty
			costV += ls.segPenalty(ls.chain(n[n[ls.v].prev].fw, ls.cs(ls.uc), ls.cs(ls.xc), n[ls.y].bw)) + ls.excessLoad(RV.load+ls.loadU+ls.loadX-ls.loadV) - RV.penalty
		} else {
			costU += ls.excessDur(RU.duration+costU-ls.d(ls.uc, ls.xc)+ls.svcV-ls.svcU-ls.svcX) + ls.excessLoad(RU.load+ls.loadV-ls.loadU-ls.loadX) - RU.penalty
			costV += ls.excessDur(RV.duration+costV+ls.d(ls.uc, ls.xc)-ls.svcV+ls.svcU+ls.svcX) + ls.excessLoad(RV.load+ls.loadU+ls.loadX-ls.loadV) - RV.penalty
		}
	}
	if costU+costV > -eps {
		return false
	}
	if ls.intra && p.hasDur {
		if costU+costV+ls.intraSeqPenalty(func(s []int32) []int32 { return swapIn(s, ls.u, ls.x, ls.v, -1) }) > -eps {
			return false
		}
	}
	ls.swap(ls.u, ls.v)
	ls.insert(ls.x, ls.u)
	return ls.applied(ls.ru, ls.rv)
}

// swap U,X with V,Y
func (ls *localSearch) move6() bool {
	p, n := ls.p, ls.nodes
	if n[ls.x].isDepot || n[ls.y].isDepot || n[ls.v].isDepot || ls.y == n[ls.u].prev || ls.u == ls.y || ls.x == ls.v || ls.v == n[ls.x].next {
		return false
	}
	costU := ls.d(ls.uPrev, ls.vc) + ls.d(ls.yc, ls.xNext) - ls.d(ls.uPrev, ls.uc) - ls.d(ls.xc, ls.xNext)
	costV := ls.d(ls.vPrev, ls.uc) + ls.d(ls.xc, ls.yNext) - ls.d(ls.vPrev, ls.vc) - ls.d(ls.yc, ls.yNext)
	RU, RV := &ls.routes[ls.ru], &ls.routes[ls.rv]
	if !ls.intra {
		if costU+costV >= RU.penalty+RV.penalty {
			return false
		}
		if p.hasTW {
			costU += ls.segPenalty(ls.chain(n[n[ls.u].prev].fw, ls.cs(ls.vc), ls.cs(ls.yc), n[n[ls.x].next].bw)) + ls.excessLoad(RU.load+ls.loadV+ls.loadY-ls.loadU-ls.loadX) - RU.penalty
			costV += ls.segPenalty(ls.chain(n[n[ls.v].prev].fw, ls.cs(ls.uc), ls.cs(ls.xc), n[n[ls.y].next].bw)) + ls.excessLoad(RV.load+ls.loadU+ls.loadX-ls.loadV-ls.loadY) - RV.penalty
		} else {
			costU += ls.excessDur(RU.duration+costU-ls.d(ls.uc, ls.xc)+ls.d(ls.vc, ls.yc)+ls.svcV+ls.svcY-ls.svcU-ls.svcX) + ls.excessLoad(RU.load+ls.loadV+ls.loadY-ls.loadU-ls.loadX) - RU.penalty
			costV += ls.excessDur(RV.duration+costV+ls.d(ls.uc, ls.xc)-ls.d(ls.vc, ls.yc)-ls.svcV-ls.svcY+ls.svcU+ls.svcX) + ls.excessLoad(RV.load+ls.loadU+ls.loadX-ls.loadV-ls.loadY) - RV.penalty
		}
	}
	if costU+costV > -eps {
		return false
	}
	if ls.intra && p.hasDur {
		if costU+costV+ls.intraSeqPenalty(func(s []int32) []int32 { return swapIn(s, ls.u, ls.x, ls.v, ls.y) }) > -eps {
			return false
		}
	}
	ls.swap(ls.u, ls.v)
	ls.swap(ls.x, ls.y)
	return ls.applied(ls.ru, ls.rv)
}

// 2-opt within a route: reverse X..V
func (ls *localSearch) move7() bool {
	n := ls.nodes
	if n[ls.u].pos > n[ls.v].pos {
		return false
	}
	cost := ls.d(ls.uc, ls.vc) + ls.d(ls.xc, ls.yc) - ls.d(ls.uc, ls.xc) - ls.d(ls.vc, ls.yc) + n[ls.v].cumRev - n[ls.x].cumRev
	if cost > -eps || n[ls.u].next == ls.v {
		return false
	}
	if ls.p.hasDur {
		if cost+ls.intraSeqPenalty(func(s []int32) []int32 { return reverseBetween(s, ls.x, ls.v) }) > -eps {
			return false
		}
	}
	seq := reverseBetween(ls.routeSeq(ls.ru, ls.buf), ls.x, ls.v)
	ls.relink(ls.ru, seq)
	ls.buf = seq
	return ls.applied(ls.ru)
}

// 2-opt* : (U,X),(V,Y) become (U,V),(X,Y), reversing the route parts.
func (ls *localSearch) move8() bool {
	p, n := ls.p, ls.nodes
	if p.hasTW {
		return false // needs reversed time-window segments; rarely pays with windows
	}
	RU, RV := &ls.routes[ls.ru], &ls.routes[ls.rv]
	cost := ls.d(ls.uc, ls.vc) + ls.d(ls.xc, ls.yc) - ls.d(ls.uc, ls.xc) - ls.d(ls.vc, ls.yc) +
		n[ls.v].cumRev + RU.revDist - n[ls.x].cumRev - RU.penalty - RV.penalty
	if cost >= 0 {
		return false
	}
	cost += ls.excessDur(n[ls.u].cumTime+n[ls.v].cumTime+n[ls.v].cumRev+ls.d(ls.uc, ls.vc)) +
		ls.excessDur(RU.duration-n[ls.u].cumTime-ls.d(ls.uc, ls.xc)+RU.revDist-n[ls.x].cumRev+RV.duration-n[ls.v].cumTime-ls.d(ls.vc, ls.yc)+ls.d(ls.xc, ls.yc)) +
		ls.excessLoad(n[ls.u].cumLoad+n[ls.v].cumLoad) +
		ls.excessLoad(RU.load+RV.load-n[ls.u].cumLoad-n[ls.v].cumLoad)
	if cost > -eps {
		return false
	}
	su := ls.routeSeq(ls.ru, nil)
	sv := ls.routeSeq(ls.rv, nil)
	iu := int(n[ls.u].pos) // customers su[:iu] are up to and including U
	iv := int(n[ls.v].pos)
	newU := append([]int32(nil), su[:iu]...)
	for k := iv - 1; k >= 0; k-- {
		newU = append(newU, sv[k])
	}
	var newV []int32
	for k := len(su) - 1; k >= iu; k-- {
		newV = append(newV, su[k])
	}
	newV = append(newV, sv[iv:]...)
	ls.relink(ls.ru, newU)
	ls.relink(ls.rv, newV)
	return ls.applied(ls.ru, ls.rv)
}

// 2-opt* : (U,X),(V,Y) become (U,Y),(V,X).
func (ls *localSearch) move9() bool {
	p, n := ls.p, ls.nodes
	RU, RV := &ls.routes[ls.ru], &ls.routes[ls.rv]
	cost := ls.d(ls.uc, ls.yc) + ls.d(ls.vc, ls.xc) - ls.d(ls.uc, ls.xc) - ls.d(ls.vc, ls.yc) - RU.penalty - RV.penalty
	if cost >= 0 {
		return false
	}
	if p.hasTW {
		cost += ls.segPenalty(p.merge(n[ls.u].fw, n[ls.y].bw)) + ls.segPenalty(p.merge(n[ls.v].fw, n[ls.x].bw))
	} else {
		cost += ls.excessDur(n[ls.u].cumTime+RV.duration-n[ls.v].cumTime-ls.d(ls.vc, ls.yc)+ls.d(ls.uc, ls.yc)) +
			ls.excessDur(RU.duration-n[ls.u].cumTime-ls.d(ls.uc, ls.xc)+n[ls.v].cumTime+ls.d(ls.vc, ls.xc))
	}
	cost += ls.excessLoad(n[ls.u].cumLoad+RV.load-n[ls.v].cumLoad) + ls.excessLoad(n[ls.v].cumLoad+RU.load-n[ls.u].cumLoad)
	if cost > -eps {
		return false
	}
	su := ls.routeSeq(ls.ru, nil)
	sv := ls.routeSeq(ls.rv, nil)
	iu, iv := int(n[ls.u].pos), int(n[ls.v].pos)
	newU := append(append([]int32(nil), su[:iu]...), sv[iv:]...)
	newV := append(append([]int32(nil), sv[:iv]...), su[iu:]...)
	ls.relink(ls.ru, newU)
	ls.relink(ls.rv, newV)
	return ls.applied(ls.ru, ls.rv)
}

// swapStar tries, for every U in route ru and V in rv, to exchange them,
// each going to its best position in the other route (not necessarily
// the other's old place), plus the plain relocations found on the way.
func (ls *localSearch) swapStar(ru, rv int32) bool {
	p, n := ls.p, ls.nodes
	ls.preprocessInsertions(ru, rv)
	ls.preprocessInsertions(rv, ru)
	RU, RV := &ls.routes[ru], &ls.routes[rv]
	best := struct {
		cost       float64
		u, v       int32
		posU, posV int32
	}{cost: 1e30, u: -1, v: -1, posU: -1, posV: -1}
	for u := n[RU.depot].next; !n[u].isDepot; u = n[u].next {
		for v := n[RV.depot].next; !n[v].isDepot; v = n[v].next {
			uc, vc := n[u].cour, n[v].cour
			penU := ls.excessLoad(RU.load+p.demand[vc]-p.demand[uc]) - RU.penalty
			penV := ls.excessLoad(RV.load+p.demand[uc]-p.demand[vc]) - RV.penalty
			if penU+n[u].delRemove+penV+n[v].delRemove <= 0 {
				posU, extraV := ls.cheapestInsertSimultRemoval(u, v)
				posV, extraU := ls.cheapestInsertSimultRemoval(v, u)
				c := penU + n[u].delRemove + extraU + penV + n[v].delRemove + extraV +
					ls.excessDur(RU.duration+n[u].delRemove+extraU+p.service[vc]-p.service[uc]) +
					ls.excessDur(RV.duration+n[v].delRemove+extraV-p.service[vc]+p.service[uc])
				if c < best.cost {
					best.cost, best.u, best.v, best.posU, best.posV = c, u, v, posU, posV
				}
			}
		}
	}
	for u := n[RU.depot].next; !n[u].isDepot; u = n[u].next {
		uc := n[u].cour
		bi := &ls.bestIns[rv][uc]
		dU := ls.d(n[n[u].prev].cour, n[n[u].next].cour) - ls.d(n[n[u].prev].cour, uc) - ls.d(uc, n[n[u].next].cour)
		dV := bi.cost[0]
		c := dU + dV + ls.excessLoad(RU.load-p.demand[uc]) - RU.penalty + ls.excessLoad(RV.load+p.demand[uc]) - RV.penalty +
			ls.excessDur(RU.duration+dU-p.service[uc]) + ls.excessDur(RV.duration+dV+p.service[uc])
		if c < best.cost {
			best.cost, best.u, best.v, best.posU, best.posV = c, u, -1, bi.loc[0], -1
		}
	}
	for v := n[RV.depot].next; !n[v].isDepot; v = n[v].next {
		vc := n[v].cour
		bi := &ls.bestIns[ru][vc]
		dU := bi.cost[0]
		dV := ls.d(n[n[v].prev].cour, n[n[v].next].cour) - ls.d(n[n[v].prev].cour, vc) - ls.d(vc, n[n[v].next].cour)
		c := dU + dV + ls.excessLoad(RU.load+p.demand[vc]) - RU.penalty + ls.excessLoad(RV.load-p.demand[vc]) - RV.penalty +
			ls.excessDur(RU.duration+dU+p.service[vc]) + ls.excessDur(RV.duration+dV-p.service[vc])
		if c < best.cost {
			best.cost, best.u, best.v, best.posU, best.posV = c, -1, v, -1, bi.loc[0]
		}
	}
	if best.cost > -eps {
		return false
	}
	if best.posU >= 0 {
		ls.insert(best.u, best.posU)
	}
	if best.posV >= 0 {
		ls.insert(best.v, best.posV)
	}
	return ls.applied(ru, rv)
}

// cheapestInsertSimultRemoval is the best place to insert u into v's route
// once v has left it: one of the three best precomputed places that is not
// next to v, or v's own place.
func (ls *localSearch) cheapestInsertSimultRemoval(u, v int32) (int32, float64) {
	n := ls.nodes
	bi := &ls.bestIns[n[v].route][n[u].cour]
	pos, cost := bi.loc[0], bi.cost[0]
	found := pos >= 0 && pos != v && n[pos].next != v
	if !found && bi.loc[1] >= 0 {
		pos, cost = bi.loc[1], bi.cost[1]
		found = pos != v && n[pos].next != v
		if !found && bi.loc[2] >= 0 {
			pos, cost = bi.loc[2], bi.cost[2]
			found = true
		}
	}
	uc := n[u].cour
	pv, nv := n[n[v].prev].cour, n[n[v].next].cour
	delta := ls.d(pv, uc) + ls.d(uc, nv) - ls.d(pv, nv)
	if !found || delta < cost {
		pos, cost = n[v].prev, delta
	}
	return pos, cost
}

func (ls *localSearch) preprocessInsertions(r1, r2 int32) {
	n := ls.nodes
	R2 := &ls.routes[r2]
	for u := n[ls.routes[r1].depot].next; !n[u].isDepot; u = n[u].next {
		uc := n[u].cour
		pc, nc := n[n[u].prev].cour, n[n[u].next].cour
		n[u].delRemove = ls.d(pc, nc) - ls.d(pc, uc) - ls.d(uc, nc)
		bi := &ls.bestIns[r2][uc]
		if R2.lastModified > bi.when {
			bi.reset()
			bi.when = ls.nbMoves
			first := n[n[R2.depot].next].cour
			bi.cost[0] = ls.d(0, uc) + ls.d(uc, first) - ls.d(0, first)
			bi.loc[0] = R2.depot
			for v := n[R2.depot].next; !n[v].isDepot; v = n[v].next {
				vc, nx := n[v].cour, n[n[v].next].cour
				bi.add(ls.d(vc, uc)+ls.d(uc, nx)-ls.d(vc, nx), v)
			}
		}
	}
}

// insert moves node u to just after v.
func (ls *localSearch) insert(u, v int32) {
	n := ls.nodes
	n[n[u].prev].next = n[u].next
	n[n[u].next].prev = n[u].prev
	n[n[v].next].prev = u
	n[u].prev = v
	n[u].next = n[v].next
	n[v].next = u
	n[u].route = n[v].route
}

// swap exchanges the places of u and v.
func (ls *localSearch) swap(u, v int32) {
	n := ls.nodes
	vp, vn, up, un := n[v].prev, n[v].next, n[u].prev, n[u].next
	ru, rv := n[u].route, n[v].route
	n[up].next = v
	n[un].prev = v
	n[vp].next = u
	n[vn].prev = u
	n[u].prev, n[u].next = vp, vn
	n[v].prev, n[v].next = up, un
	n[u].route, n[v].route = rv, ru
}

// relink makes route r visit seq (node indexes) in order.
func (ls *localSearch) relink(r int32, seq []int32) {
	n := ls.nodes
	d := ls.routes[r].depot
	e := n[d].prev
	prev := d
	for _, v := range seq {
		n[prev].next = v
		n[v].prev = prev
		n[v].route = r
		prev = v
	}
	n[prev].next = e
	n[e].prev = prev
}

func (ls *localSearch) updateRoute(r int32) {
	p, n := ls.p, ls.nodes
	R := &ls.routes[r]
	d := R.depot
	var place int32
	load, t, rev, cx, cy := 0.0, 0.0, 0.0, 0.0, 0.0
	n[d].pos, n[d].cumLoad, n[d].cumTime, n[d].cumRev = 0, 0, 0, 0
	if p.hasTW {
		n[d].fw = nodeSeg(p, 0)
	}
	first := true
	v := d
	for {
		v = n[v].next
		place++
		pv := n[v].prev
		c, pc := n[v].cour, n[pv].cour
		n[v].pos = place
		load += p.demand[c]
		t += p.d(pc, c) + p.service[c]
		rev += p.d(c, pc) - p.d(pc, c)
		n[v].cumLoad, n[v].cumTime, n[v].cumRev = load, t, rev
		if p.hasTW {
			n[v].fw = p.merge(n[pv].fw, nodeSeg(p, c))
		}
		if n[v].isDepot {
			break
		}
		if p.coords {
			cx += p.relX[c]
			cy += p.relY[c]
			if first {
				R.sec.init(int(p.polar[c]))
			} else {
				R.sec.extend(int(p.polar[c]))
			}
		}
		first = false
	}
	if p.hasTW {
		// Backward summaries, end depot first.
		e := v
		n[e].bw = nodeSeg(p, 0)
		for w := n[e].prev; ; w = n[w].prev {
			n[w].bw = p.merge(nodeSeg(p, n[w].cour), n[n[w].next].bw)
			if n[w].isDepot {
				break
			}
		}
		R.tw = n[e].fw.tw
		R.duration = n[e].fw.dur
	} else {
		R.duration = t
	}
	R.load = load
	R.revDist = rev
	R.customers = int(place) - 1
	R.penalty = ls.excessLoad(load)
	if p.hasTW {
		R.penalty += ls.segPenalty(n[v].fw)
	} else {
		R.penalty += ls.excessDur(t)
	}
	R.lastModified = ls.nbMoves
	if R.customers == 0 {
		R.polarBary = 1e30
	} else {
		R.polarBary = math.Atan2(cy, cx)
	}
}

func (ls *localSearch) load(x *indiv) {
	n := ls.nodes
	for r := range ls.routes {
		d, e := ls.depotStart(r), ls.depotEnd(r)
		n[d].prev, n[e].next = e, d
		ls.relink(int32(r), x.routes[r])
		ls.nbMoves = 0
		ls.updateRoute(int32(r))
		ls.routes[r].lastSwapStar = -1
		for i := range ls.bestIns[r] {
			ls.bestIns[r][i].when = -1
		}
	}
	for i := 1; i <= ls.p.n; i++ {
		n[i].lastRI = -1
	}
}

func (ls *localSearch) export(x *indiv) {
	order := make([]int, len(ls.routes))
	for i := range order {
		order[i] = i
	}
	// Routes in polar order make the giant tour a good parent for crossover.
	sortStable(order, func(a, b int) bool { return ls.routes[a].polarBary < ls.routes[b].polarBary })
	n := ls.nodes
	pos := 0
	for k, r := range order {
		x.routes[k] = x.routes[k][:0]
		for v := n[ls.routes[r].depot].next; !n[v].isDepot; v = n[v].next {
			x.giant[pos] = n[v].cour
			x.routes[k] = append(x.routes[k], n[v].cour)
			pos++
		}
	}
	x.evaluate(ls.p, ls.pen)
}

// moveAfter returns seq with a (and b after it, when b ≥ 0) moved to just
// after node v (v may be the route's depot: then to the front).
func moveAfter(seq []int32, a, b, v int32) []int32 {
	out := make([]int32, 0, len(seq))
	for _, s := range seq {
		if s != a && s != b {
			out = append(out, s)
		}
	}
	ins := []int32{a}
	if b >= 0 {
		ins = append(ins, b)
	}
	at := 0
	for i, s := range out {
		if s == v {
			at = i + 1
		}
	}
	res := make([]int32, 0, len(seq))
	res = append(res, out[:at]...)
	res = append(res, ins...)
	return append(res, out[at:]...)
}

// swapIn exchanges block (a[,b]) with block (c[,d]) in seq.
func swapIn(seq []int32, a, b, c, d int32) []int32 {
	blk := func(x, y int32) []int32 {
		if y >= 0 {
			return []int32{x, y}
		}
		return []int32{x}
	}
	A, C := blk(a, b), blk(c, d)
	out := make([]int32, 0, len(seq))
	for i := 0; i < len(seq); {
		switch seq[i] {
		case a:
			out = append(out, C...)
			i += len(A)
		case c:
			out = append(out, A...)
			i += len(C)
		default:
			out = append(out, seq[i])
			i++
		}
	}
	return out
}

// reverseBetween reverses the part of seq from a to b inclusive.
func reverseBetween(seq []int32, a, b int32) []int32 {
	i, j := -1, -1
	for k, s := range seq {
		if s == a {
			i = k
		}
		if s == b {
			j = k
		}
	}
	if i < 0 || j < 0 {
		return seq
	}
	if i > j {
		i, j = j, i
	}
	for ; i < j; i, j = i+1, j-1 {
		seq[i], seq[j] = seq[j], seq[i]
	}
	return seq
}

func sortStable(a []int, less func(x, y int) bool) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && less(a[j], a[j-1]); j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
