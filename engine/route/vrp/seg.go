package vrp

import "math"

// seg summarises a sequence of visits for time-window evaluation (Vidal et
// al. 2013, "A hybrid genetic algorithm with adaptive diversity management
// for a large class of vehicle routing problems with time-windows"): its
// minimal duration, the time warp it cannot avoid, and the earliest and
// latest start that achieve them. Two segments concatenate in O(1).
type seg struct {
	dur, tw, e, l float64
	first, last   int32
}

func nodeSeg(in *problem, c int32) seg {
	return seg{dur: in.service[c], e: in.ready[c], l: in.due[c], first: c, last: c}
}

func (p *problem) merge(a, b seg) seg {
	d := p.d(a.last, b.first)
	delta := a.dur - a.tw + d
	wait := math.Max(b.e-delta-a.l, 0)
	warp := math.Max(a.e+delta-b.l, 0)
	return seg{
		dur:   a.dur + b.dur + d + wait,
		tw:    a.tw + b.tw + warp,
		e:     math.Max(b.e-delta, a.e) - wait,
		l:     math.Min(b.l-delta, a.l) + warp,
		first: a.first,
		last:  b.last,
	}
}
