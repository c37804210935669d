package vrp

import "sort"

// savings builds a solution by Clarke and Wright's parallel savings: start
// with one route per customer and merge the two routes whose joining saves
// most, d(i,0) + d(0,j) − d(i,j), while capacity and the duration limit
// allow. Only pairs of granular neighbours are considered, which keeps it
// O(n·k log(n·k)). It seeds the first population with a good solution; nil
// with time windows (merging would need window checks) or when the routes
// outnumber the fleet.
func savings(p *problem) [][]int32 {
	if p.hasTW {
		return nil
	}
	type pair struct {
		s    float64
		i, j int32
	}
	var ps []pair
	for i := int32(1); i <= int32(p.n); i++ {
		for _, j := range p.neighbours[i] {
			if p.symmetric && j < i {
				continue
			}
			ps = append(ps, pair{p.d(i, 0) + p.d(0, j) - p.d(i, j), i, j})
		}
	}
	sort.Slice(ps, func(a, b int) bool {
		if ps[a].s != ps[b].s {
			return ps[a].s > ps[b].s
		}
		if ps[a].i != ps[b].i {
			return ps[a].i < ps[b].i
		}
		return ps[a].j < ps[b].j
	})
	route := make([]int, p.nn) // customer -> route id
	routes := make([][]int32, p.nn)
	load := make([]float64, p.nn)
	dur := make([]float64, p.nn)
	for c := 1; c <= p.n; c++ {
		route[c] = c
		routes[c] = []int32{int32(c)}
		load[c] = p.demand[c]
		dur[c] = p.d(0, int32(c)) + p.service[c] + p.d(int32(c), 0)
	}
	for _, pr := range ps {
		if pr.s <= 0 {
			break
		}
		a, b := route[pr.i], route[pr.j]
		if a == b || load[a]+load[b] > p.capacity {
			continue
		}
		ra, rb := routes[a], routes[b]
		// Orient so that i ends route a and j starts route b; a symmetric
		// instance may reverse either route to get there.
		if ra[len(ra)-1] != pr.i {
			if !p.symmetric || ra[0] != pr.i {
				continue
			}
			ra = reversed(ra)
		}
		if rb[0] != pr.j {
			if !p.symmetric || rb[len(rb)-1] != pr.j {
				continue
			}
			rb = reversed(rb)
		}
		d := dur[a] + dur[b] - pr.s
		if d > p.maxDur {
			continue
		}
		merged := append(append(make([]int32, 0, len(ra)+len(rb)), ra...), rb...)
		routes[a], routes[b] = merged, nil
		load[a] += load[b]
		dur[a] = d
		for _, c := range rb {
			route[c] = a
		}
	}
	var out [][]int32
	for c := 1; c <= p.n; c++ {
		if routes[c] != nil {
			out = append(out, routes[c])
		}
	}
	if len(out) > p.fleet {
		return nil
	}
	return out
}

func reversed(r []int32) []int32 {
	out := make([]int32, len(r))
	for i, c := range r {
		out[len(r)-1-i] = c
	}
	return out
}
