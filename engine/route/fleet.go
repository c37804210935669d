package route

import (
	"math"
	"slices"

	"stockroom/engine/route/vrp"
)

// fitFleet makes runs planned at the largest capacity fit a mixed fleet:
// runs[k] goes to the vehicle of capacity caps[k] (runs heaviest first,
// caps largest first). A run heavier than its vehicle gives up the stops
// whose removal saves the most, until it fits; each stop given up goes
// where it adds least (travel, with time-window lateness and an exceeded
// duration weighing far more), into a run, or an unused vehicle, with
// room. It returns one run per vehicle (empty for a vehicle not used) and
// the stops that found no room.
func fitFleet(in *vrp.Instance, runs [][]int, caps []int64) (out [][]int, left []int) {
	out = make([][]int, len(caps))
	for k := range out {
		if k < len(runs) {
			out[k] = slices.Clone(runs[k])
		}
	}
	for k := range out {
		for in.Route(out[k]).Load > caps[k] {
			base := in.Route(out[k]).Cost
			best, bestSave := -1, math.Inf(-1)
			for i := range out[k] {
				r := slices.Delete(slices.Clone(out[k]), i, i+1)
				if save := base - in.Route(r).Cost; save > bestSave {
					best, bestSave = i, save
				}
			}
			left = append(left, out[k][best])
			out[k] = slices.Delete(out[k], best, best+1)
		}
	}
	// Heaviest first: they have the fewest places to go.
	slices.SortStableFunc(left, func(a, b int) int { return int(in.Demand[b] - in.Demand[a]) })
	var stuck []int
	for _, c := range left {
		bestK, bestI, bestAdd := -1, -1, math.Inf(1)
		for k := range out {
			st := in.Route(out[k])
			if st.Load+in.Demand[c] > caps[k] {
				continue
			}
			for i := 0; i <= len(out[k]); i++ {
				r := slices.Insert(slices.Clone(out[k]), i, c)
				nt := in.Route(r)
				add := nt.Cost - st.Cost + 1e6*(nt.TimeWarp-st.TimeWarp)
				if in.MaxDuration > 0 && nt.Duration > in.MaxDuration {
					add += 1e6 * (nt.Duration - in.MaxDuration)
				}
				if add < bestAdd {
					bestK, bestI, bestAdd = k, i, add
				}
			}
		}
		if bestK < 0 {
			stuck = append(stuck, c)
			continue
		}
		out[bestK] = slices.Insert(out[bestK], bestI, c)
	}
	return out, stuck
}
