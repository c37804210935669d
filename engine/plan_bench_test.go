package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"stockroom/data"
	"stockroom/data/demo"
	"stockroom/engine"
	"stockroom/model"
)

// BenchmarkPlan times one recompute of every item×location's proposal
// (engine.Plan with its defaults: forecasts on the fly, levels, transfers,
// budgets, the store written in one transaction) on a demo store of
// STOCKROOM_PLAN_ITEMS item×locations (3,000 unless set; the demo has three
// locations, so a third as many items). The store is built once through
// the normal import path, which costs far more than a plan: set
// STOCKROOM_PLAN_DB to a path to keep it there and reuse it in later runs
// (a store found there is used as it is, whatever its size).
//
//	STOCKROOM_PLAN_ITEMS=100000 STOCKROOM_PLAN_DB=/tmp/plan100k.db \
//	  go test ./engine -run '^$' -bench Plan -benchtime 1x -count 3 -timeout 60m
func BenchmarkPlan(b *testing.B) {
	n := 3000
	if v := os.Getenv("STOCKROOM_PLAN_ITEMS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 3 {
			b.Fatalf("STOCKROOM_PLAN_ITEMS=%q: want a number of item×locations, at least 3", v)
		}
	}
	ctx := context.Background()
	path := os.Getenv("STOCKROOM_PLAN_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "plan.db")
	}
	_, statErr := os.Stat(path)
	st, err := data.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e := engine.New(st)
	defer e.Close()
	if os.IsNotExist(statErr) {
		buildPlanStore(b, e, (n+2)/3)
	}
	var sum engine.PlanSummary
	b.ResetTimer()
	for b.Loop() {
		if sum, err = e.Plan(ctx, engine.PlanOptions{User: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if sum.ItemLocations == 0 {
		b.Fatal("the plan saw no item×locations")
	}
	b.ReportMetric(float64(sum.ItemLocations), "item×locations")
	b.ReportMetric(float64(sum.Purchases+sum.Transfers), "proposals")
}

// buildPlanStore imports a seeded demo of items items (two years to a
// fixed day, so every run plans the same store).
func buildPlanStore(b *testing.B, e *engine.Engine, items int) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	if _, err := demo.Generate(ctx, dir, demo.Options{Items: items, Seed: 1, End: model.MustDate("2026-11-25")}, nil); err != nil {
		b.Fatal(err)
	}
	res, err := e.Import(ctx, []string{filepath.Join(dir, "import")}, data.ImportOptions{User: "bench"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.Failed() {
			b.Fatalf("%s: %s", r.Path, r.Error)
		}
	}
}
