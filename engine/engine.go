// Package engine is stockroom's application layer: it runs imports, the
// folder watchers and the pipeline that reacts to new data against the
// store, and publishes what changed to a hub that every console session
// subscribes to. The algorithms live in its subpackages (forecast,
// replenish, anomaly, route) and work on plain values.
package engine

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"stockroom/data"
	"stockroom/model"
)

// Engine ties the store to the pipeline and the hub.
type Engine struct {
	store     *data.Store
	hub       *Hub
	vp        versionPoller
	steps     []Step
	stepTimes stepTimes
	// proposalActed is called after each committed proposal action.
	proposalActed atomic.Pointer[func(model.ProposalAction)]
	// Work the pipeline leaves running behind an import (replan.go).
	replan replanner
	bg     sync.WaitGroup
	// now is the wall clock (time.Now unless SetClock): which day an
	// import re-plans from, and which vans have left.
	now func() time.Time
}

// SetClock replaces the wall clock the engine reads, before it is used.
func (e *Engine) SetClock(now func() time.Time) { e.now = now }

func (e *Engine) clock() time.Time {
	if e.now != nil {
		return e.now()
	}
	return time.Now()
}

// New returns an engine on an open store.
func New(store *data.Store) *Engine {
	return &Engine{store: store, hub: NewHub(), steps: defaultSteps()}
}

// Store is the engine's store.
func (e *Engine) Store() *data.Store { return e.store }

// Hub is where changes are published.
func (e *Engine) Hub() *Hub { return e.hub }

// Subscribe listens to changes; call the returned function to stop.
func (e *Engine) Subscribe() (<-chan model.Change, func()) { return e.hub.Subscribe() }

// ImportProgress reports a file's progress: bytes done of total.
type ImportProgress func(path string, done, total int64)

// Import imports files and folders (folders in kind order) one file per
// transaction, and publishes each result. It stops at the first store
// failure; a file that cannot be read is reported in its result and the
// rest still import.
func (e *Engine) Import(ctx context.Context, paths []string, opt data.ImportOptions, progress ImportProgress) ([]data.FileResult, error) {
	files, err := data.ExpandPaths(paths)
	if err != nil {
		return nil, err
	}
	var results []data.FileResult
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		o := opt
		if o.Today == 0 {
			o.Today = model.DateOf(e.clock())
		}
		if progress != nil {
			o.Progress = func(done, total int64) { progress(f, done, total) }
		}
		res, err := e.store.ImportFile(ctx, f, o)
		if err != nil {
			return results, err
		}
		results = append(results, res)
		// The feed is read on an 80-column status line: the file's name
		// says which it was; its folder is in the Imports screen.
		short := res
		short.Path, short.DuplicateOf = filepath.Base(res.Path), filepath.Base(res.DuplicateOf)
		e.hub.Publish(model.Change{Kind: model.ChangeImport, Text: short.Summary()})
		if res.RowsOK > 0 {
			e.hub.Publish(model.Change{Kind: model.ChangeStock})
		}
	}
	e.afterImport(ctx, results)
	return results, nil
}
