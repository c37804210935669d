package engine

import (
	"context"
	"sync"
	"time"

	"stockroom/model"
)

// replanGap is the least time between the end of one recompute that
// imports ask for and the start of the next:
// a stream of files or Kafka batches makes a recompute every few seconds,
// not one per batch.
const replanGap = 5 * time.Second

// replanner runs the recomputes imports ask for behind them, one at a
// time; a request while one runs makes one more after it.
type replanner struct {
	mu      sync.Mutex
	running bool
	pending bool
	lastEnd time.Time // when the last recompute finished
}

// requestPlan recomputes the proposals behind the caller, or once more
// after the recompute that is running.
func (e *Engine) requestPlan(ctx context.Context) {
	r := &e.replan
	r.mu.Lock()
	if r.running {
		r.pending = true
		r.mu.Unlock()
		return
	}
	r.running = true
	wait := replanGap - time.Since(r.lastEnd)
	r.mu.Unlock()
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		stop := func() {
			r.mu.Lock()
			r.running, r.pending = false, false
			r.mu.Unlock()
		}
		for {
			if wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					stop()
					return
				case <-t.C:
				}
			}
			// Requests made while waiting are answered by this recompute.
			r.mu.Lock()
			r.pending = false
			r.mu.Unlock()
			if _, err := e.Plan(ctx, PlanOptions{User: "import"}); err != nil && ctx.Err() == nil {
				e.hub.Publish(model.Change{Kind: model.ChangeProposals, Text: "recompute after import failed: " + err.Error()})
			}
			r.mu.Lock()
			r.lastEnd = time.Now()
			if !r.pending || ctx.Err() != nil {
				r.running, r.pending = false, false
				r.mu.Unlock()
				return
			}
			r.mu.Unlock()
			wait = replanGap
		}
	}()
}

// Settle waits for the work imports left running behind them (a
// recompute of the proposals).
func (e *Engine) Settle() { e.bg.Wait() }
