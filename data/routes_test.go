package data_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"stockroom/data"
	"stockroom/model"
)

func samplePlan(day model.Date, note string) *data.RoutePlan {
	return &data.RoutePlan{
		Depot: "DC1", Date: day, DepotLat: 52.4862, DepotLon: -1.8904,
		CreatedAt: time.UnixMilli(1_790_000_000_000), User: "ann", Note: note,
		DistanceM: 5120.5, DurationMin: 61.25, Feasible: true, Roads: true, SolveTime: 1500 * time.Millisecond,
		Runs: []data.RouteRun{
			{Vehicle: "VAN1", Load: 52, Capacity: 120, DistanceM: 3000, DurationMin: 40, StartMin: 480, EndMin: 520,
				Path: [][2]float64{{52.4862, -1.8904}, {52.4801, -1.899}, {52.488, -1.88}, {52.4862, -1.8904}},
				Stops: []data.RouteStop{
					{Delivery: "D-1001", Customer: "Cafe Uno", Lat: 52.4801, Lon: -1.899, Node: 3, SnapM: 12.5, Demand: 12,
						LegM: 810, LegMin: 1.62, ArriveMin: 481.62, StartMin: 540, DepartMin: 545},
					{Delivery: "D-1002", Customer: "Garden Centre", Lat: 52.488, Lon: -1.88, Node: 2, SnapM: 80, Demand: 40,
						LegM: 950, LegMin: 1.9, ArriveMin: 546.9, StartMin: 546.9, DepartMin: 556.9, Late: true, Done: true},
				}},
			{Vehicle: "VAN2", Capacity: 80, Departed: true},
		},
		Unassigned: []string{"D-9", "D-10"},
	}
}

func TestStore_SaveRoutePlan_RoundTrip(t *testing.T) {
	st := mustOpenStore(t)
	ctx := context.Background()
	day, _ := model.ParseDate("2026-11-26")
	in := samplePlan(day, "plan")
	id, err := st.SaveRoutePlan(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.RoutePlan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := *in
	want.ID, want.NumRuns, want.NumStops = id, 2, 2
	want.Unassigned = []string{"D-10", "D-9"} // sorted
	// Paths keep micro-degrees.
	for i := range want.Runs {
		for k, p := range want.Runs[i].Path {
			if g := got.Runs[i].Path[k]; math.Abs(g[0]-p[0]) > 5e-7 || math.Abs(g[1]-p[1]) > 5e-7 {
				t.Errorf("run %d path %d: %v, want %v", i, k, g, p)
			}
		}
		got.Runs[i].Path = want.Runs[i].Path
	}
	got.CreatedAt = got.CreatedAt.UTC()
	want.CreatedAt = want.CreatedAt.UTC()
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *got, want)
	}
	// The plan is audited with who made it.
	log, err := st.AuditLog(ctx, data.AuditQuery{Object: "route_plan"})
	if err != nil || len(log) != 1 || log[0].User != "ann" || log[0].Action != "plan" {
		t.Errorf("audit: %+v %v", log, err)
	}
}

func TestStore_LatestRoutePlan(t *testing.T) {
	st := mustOpenStore(t)
	ctx := context.Background()
	d1, _ := model.ParseDate("2026-11-26")
	d2 := d1.AddDays(1)
	if _, err := st.LatestRoutePlan(ctx, "DC1", d1); !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("empty store: %v", err)
	}
	first, _ := st.SaveRoutePlan(ctx, samplePlan(d1, "plan"))
	other, _ := st.SaveRoutePlan(ctx, samplePlan(d2, "plan"))
	second, err := st.SaveRoutePlan(ctx, samplePlan(d1, "replan: D-1003 added"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.LatestRoutePlan(ctx, "DC1", d1)
	if err != nil || p.ID != second || p.Note != "replan: D-1003 added" || len(p.Runs[0].Stops) != 2 {
		t.Fatalf("latest of day 1: %+v %v", p, err)
	}
	if _, err := st.LatestRoutePlan(ctx, "DC2", d1); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("other depot: %v", err)
	}
	list, err := st.RoutePlans(ctx, "DC1", model.NoDate, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, p := range list {
		ids = append(ids, p.ID)
		if p.Runs != nil || p.NumStops != 2 {
			t.Errorf("a listed header carries runs or a wrong count: %+v", p)
		}
	}
	if want := []int64{second, other, first}; !reflect.DeepEqual(ids, want) {
		t.Errorf("list %v, want %v newest first", ids, want)
	}
	if list, _ := st.RoutePlans(ctx, "DC1", d2, 0); len(list) != 1 || list[0].ID != other {
		t.Errorf("list of day 2: %+v", list)
	}
	if _, err := st.SaveRoutePlan(ctx, &data.RoutePlan{Depot: "DC1", Date: model.NoDate}); err == nil {
		t.Errorf("a plan without a date was stored")
	}
}

func TestStore_DeliveryDays(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "deliveries")
	days, counts, err := st.DeliveryDays(context.Background(), "DC1")
	if err != nil || len(days) != 1 || days[0].String() != "2026-11-26" || counts[0] != 2 {
		t.Errorf("days %v counts %v err %v", days, counts, err)
	}
	if days, _, _ := st.DeliveryDays(context.Background(), "NOPE"); len(days) != 0 {
		t.Errorf("unknown depot has days %v", days)
	}
}

func TestStore_SetRoadFactor(t *testing.T) {
	st := mustOpenStore(t)
	ctx := context.Background()
	mustImportGood(t, st, "nodes", "roads") // 1-2 two-way, 2-3 one-way, 3-1 two-way
	tests := []struct {
		name     string
		f        data.RoadFactor
		notFound bool
		bad      bool
	}{
		{"slow", data.RoadFactor{From: 1, To: 2, Factor: 2.5}, false, false},
		{"two-way road from its far end", data.RoadFactor{From: 1, To: 3, Factor: math.Inf(1)}, false, false},
		{"one-way road against its direction", data.RoadFactor{From: 3, To: 2, Factor: 2}, true, false},
		{"no such road", data.RoadFactor{From: 1, To: 9, Factor: 2}, true, false},
		{"zero", data.RoadFactor{From: 1, To: 2, Factor: 0}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := st.SetRoadFactor(ctx, tc.f)
			switch {
			case tc.notFound && !errors.Is(err, data.ErrNotFound):
				t.Errorf("want not found, got %v", err)
			case tc.bad && err == nil:
				t.Errorf("accepted factor %g", tc.f.Factor)
			case !tc.notFound && !tc.bad && err != nil:
				t.Error(err)
			}
		})
	}
	fs, err := st.RoadFactors(ctx)
	if err != nil || len(fs) != 2 || fs[0].From != 1 || fs[0].To != 2 || fs[0].Factor != 2.5 ||
		fs[1].From != 3 || fs[1].To != 1 || !math.IsInf(fs[1].Factor, 1) {
		t.Fatalf("factors %+v %v", fs, err)
	}
	// Factor 1 clears, named from either end of a two-way road.
	if err := st.SetRoadFactor(ctx, data.RoadFactor{From: 2, To: 1, Factor: 1}); err != nil {
		t.Fatal(err)
	}
	if fs, _ := st.RoadFactors(ctx); len(fs) != 1 || fs[0].From != 3 {
		t.Errorf("after clearing: %+v", fs)
	}
}
