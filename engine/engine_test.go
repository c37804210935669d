package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/model"
)

func newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	st, err := data.Open(context.Background(), filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := engine.New(st)
	t.Cleanup(func() { e.Close() })
	return e
}

// TestEngine_WatchPublishes: a file dropped into a watched folder is
// imported and every subscriber hears of it, and the data version moves.
func TestEngine_WatchPublishes(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	sub, stop := e.Subscribe()
	defer stop()
	v0, err := e.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan data.FileResult, 10)
	go e.Watch(ctx, []string{dir}, engine.WatchOptions{Quiet: 30 * time.Millisecond, Rescan: 100 * time.Millisecond,
		OnResult: func(r data.FileResult) { results <- r }})
	good := "../testdata/imports/good/"
	for _, name := range []string{"locations.csv", "suppliers.csv", "items.csv"} {
		b, err := os.ReadFile(good + name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.After(10 * time.Second)
	seen := map[data.Kind]bool{}
	for len(seen) < 3 {
		select {
		case r := <-results:
			if r.Failed() || r.RowsRejected > 0 {
				t.Fatalf("%s: %s %+v", r.Path, r.Error, r.Errors)
			}
			seen[r.Kind] = true
		case <-deadline:
			t.Fatalf("imported only %v", seen)
		}
	}
	var texts []string
	for len(texts) < 3 {
		select {
		case c := <-sub:
			if c.Kind == model.ChangeImport {
				texts = append(texts, c.Text)
			}
		case <-deadline:
			t.Fatalf("published only %q", texts)
		}
	}
	// The feed names the file, not its folder (an 80-column status line).
	if !slices.Contains(texts, "items.csv: items, 3 rows imported") {
		t.Errorf("changes: %q", texts)
	}
	v1, err := e.Version(ctx)
	if err != nil || v1 == v0 {
		t.Errorf("data version %d → %d (%v): commits must move it", v0, v1, err)
	}
}

// TestEngine_PipelineRunsAfterCommits: steps see the files that committed
// rows, in order, and a failing step does not stop the next.
func TestEngine_PipelineRunsAfterCommits(t *testing.T) {
	e := newEngine(t)
	sub, stop := e.Subscribe()
	defer stop()
	var seen []string
	e.AddStep(engine.Step{Name: "first", Run: func(ctx context.Context, _ *engine.Engine, imported []data.FileResult) error {
		for _, r := range imported {
			seen = append(seen, string(r.Kind))
		}
		return fmt.Errorf("boom")
	}})
	e.AddStep(engine.Step{Name: "second", Run: func(context.Context, *engine.Engine, []data.FileResult) error {
		seen = append(seen, "second")
		return nil
	}})
	good := "../testdata/imports/good/"
	if _, err := e.Import(context.Background(), []string{good + "locations.csv", good + "suppliers.csv"}, data.ImportOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	// The same files again commit nothing: the pipeline does not run.
	if _, err := e.Import(context.Background(), []string{good + "locations.csv"}, data.ImportOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Join(seen, ",") != "locations,suppliers,second" {
		t.Errorf("steps saw %v", seen)
	}
	failed := false
	for len(sub) > 0 {
		if c := <-sub; strings.Contains(c.Text, "first after import failed: boom") {
			failed = true
		}
	}
	if !failed {
		t.Errorf("the failing step was not reported")
	}
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }
