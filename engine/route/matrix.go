package route

import (
	"context"
	"runtime"
	"sync"
)

// Matrix holds costs and lengths between points: Cost[i][j] in the
// metric's unit (metres or seconds), LengthM[i][j] in metres; +Inf where
// no path exists.
type Matrix struct {
	Cost    [][]float64
	LengthM [][]float64
}

// Matrix computes the many-to-many table from every source to every
// target: one Dijkstra per source, stopped once all targets are settled,
// spread over workers goroutines (0: GOMAXPROCS).
func (g *Graph) Matrix(ctx context.Context, sources, targets []int32, m Metric, band, workers int) (*Matrix, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	w := g.weightsFor(m, band)
	out := &Matrix{Cost: make([][]float64, len(sources)), LengthM: make([][]float64, len(sources))}
	next := make(chan int)
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := NewSearcher(g)
			for i := range next {
				c, l := make([]float64, len(targets)), make([]float64, len(targets))
				s.tree(sources[i], targets, w, c, l)
				out.Cost[i], out.LengthM[i] = c, l
			}
		}()
	}
	var err error
feed:
	for i := range sources {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return out, nil
}
