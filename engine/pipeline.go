package engine

import (
	"context"
	"fmt"
	"time"

	"stockroom/data"
	"stockroom/model"
)

// Step is one stage of the pipeline that reacts to committed imports:
// scanning new points for anomalies, recomputing proposals… Steps run in
// order after every import batch, on the importing goroutine; a failing
// step is reported on the hub and does not stop the others.
type Step struct {
	Name string
	// Run sees what was just imported (only files that committed rows).
	Run func(ctx context.Context, e *Engine, imported []data.FileResult) error
}

// defaultSteps are the steps every engine runs. Capabilities add theirs
// here, in the order they must run.
func defaultSteps() []Step {
	return []Step{
		AnomalyStep(DefaultStepSeries),
		// Proposals are recomputed after every import once someone has
		// planned (stockroom plan, or serve's schedule); receipts close
		// their orders first.
		ReplenishStep(),
		RoutesStep(2 * time.Second),
	}
}

// AddStep appends a step to the pipeline (tests, extra wiring).
func (e *Engine) AddStep(s Step) { e.steps = append(e.steps, s) }

// afterImport runs the pipeline for the files that committed rows.
func (e *Engine) afterImport(ctx context.Context, results []data.FileResult) {
	var changed []data.FileResult
	for _, r := range results {
		if r.RowsOK > 0 {
			changed = append(changed, r)
		}
	}
	if len(changed) == 0 {
		return
	}
	for _, s := range e.steps {
		start := time.Now()
		if err := s.Run(ctx, e, changed); err != nil {
			e.hub.Publish(model.Change{Kind: model.ChangeImport, Text: fmt.Sprintf("%s after import failed: %v", s.Name, err)})
			continue
		}
		e.stepTimes.observe(s.Name, time.Since(start))
	}
}

// stepTimes keeps the last duration of each step, for metrics.
type stepTimes struct{ last map[string]time.Duration }

func (t *stepTimes) observe(name string, d time.Duration) {
	if t.last == nil {
		t.last = map[string]time.Duration{}
	}
	t.last[name] = d
}
