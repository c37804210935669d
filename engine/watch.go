package engine

import (
	"context"
	"path/filepath"
	"time"

	"stockroom/data"
	"stockroom/model"
)

// WatchOptions tune folder watching.
type WatchOptions struct {
	Import   data.ImportOptions
	Quiet    time.Duration // 0: the watcher's default
	Rescan   time.Duration // 0: the watcher's default
	OnResult func(data.FileResult)
	Logf     func(format string, args ...any)
}

// Watch imports every file that lands in the folders until ctx ends. Each
// import publishes its change, so every console refreshes.
func (e *Engine) Watch(ctx context.Context, dirs []string, opt WatchOptions) error {
	logf := opt.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	w := data.NewWatcher(dirs, func(ctx context.Context, paths []string) {
		results, err := e.Import(ctx, paths, opt.Import, e.progressPublisher())
		if err != nil && ctx.Err() == nil {
			logf("import: %v", err)
		}
		if opt.OnResult != nil {
			for _, r := range results {
				opt.OnResult(r)
			}
		}
	})
	w.Logf = logf
	if opt.Quiet > 0 {
		w.Quiet = opt.Quiet
	}
	if opt.Rescan > 0 {
		w.Rescan = opt.Rescan
	}
	return w.Run(ctx)
}

// progressPublisher reports import progress on the hub, five times a
// second at most, so consoles can show it.
func (e *Engine) progressPublisher() ImportProgress {
	var last time.Time
	return func(path string, done, total int64) {
		if done < total && time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		e.hub.Publish(model.Change{Kind: model.ChangeProgress, Text: "importing " + filepath.Base(path), Done: done, Total: total})
	}
}
