package data_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"stockroom/data"
	"stockroom/model"
)

func openAnomaly(sku, loc, ch string, day string, det string, score, observed float64) model.Anomaly {
	return model.Anomaly{SKU: sku, Location: loc, Channel: ch, Date: model.MustDate(day), Detector: det, Score: score,
		Observed: observed, Expected: math.NaN(), State: model.AnomalyOpen, Replacement: math.NaN(), Detail: det + " on " + day}
}

// anomalyStore is a store with the good fixtures' catalogue and a few
// anomalies: three on HMR-16 at DC1 (web), one on DRL-18V at ST1 and one
// item-level finding of SEED-TOM.
func anomalyStore(t *testing.T) (*data.Store, []model.Anomaly) {
	t.Helper()
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items", "movements", "sales", "counts")
	as := []model.Anomaly{
		openAnomaly("HMR-16", "DC1", "web", "2026-11-02", "robust_z", 0.9, 40),
		openAnomaly("HMR-16", "DC1", "web", "2026-11-04", "level_shift", 0.6, 12),
		openAnomaly("HMR-16", "DC1", "", "2026-11-06", "shrinkage", 0.7, 113),
		openAnomaly("DRL-18V", "ST1", "store", "2026-11-04", "robust_z", 0.95, 30),
		openAnomaly("SEED-TOM", "", "", "2026-11-06", "cost_out_of_bounds", 1, 1.99),
	}
	as[0].Expected = 2
	added, err := st.SaveAnomalies(context.Background(), as, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != len(as) {
		t.Fatalf("added %d of %d", len(added), len(as))
	}
	return st, added
}

func TestStore_SaveAnomalies(t *testing.T) {
	ctx := context.Background()
	st, added := anomalyStore(t)
	for i, a := range added {
		if a.ID == 0 || a.Version != 1 || a.State != model.AnomalyOpen || a.CreatedAt.IsZero() {
			t.Errorf("added[%d] = %+v", i, a)
		}
	}
	got, err := st.Anomaly(ctx, added[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SKU != "HMR-16" || got.Channel != "web" || got.Date != model.MustDate("2026-11-02") || got.Score != 0.9 ||
		got.Observed != 40 || got.Expected != 2 || !math.IsNaN(got.Replacement) || got.Detail != "robust_z on 2026-11-02" {
		t.Errorf("read back %+v", got)
	}
	if got, _ := st.Anomaly(ctx, added[1].ID); !math.IsNaN(got.Expected) {
		t.Errorf("no expected value should read back as NaN, got %g", got.Expected)
	}

	// The same findings again (even with another score), plus one new:
	// only the new one is stored.
	again := []model.Anomaly{
		openAnomaly("HMR-16", "DC1", "web", "2026-11-02", "robust_z", 0.5, 41),
		openAnomaly("SEED-TOM", "", "", "2026-11-06", "cost_out_of_bounds", 1, 1.99),
		openAnomaly("HMR-16", "DC1", "store", "2026-11-02", "robust_z", 0.8, 9), // another channel
	}
	more, err := st.SaveAnomalies(ctx, again, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(more) != 1 || more[0].Channel != "store" {
		t.Fatalf("second save added %+v, want only the store channel's", more)
	}
	if got, _ := st.Anomaly(ctx, added[0].ID); got.Score != 0.9 || got.Observed != 40 {
		t.Errorf("a stored anomaly was overwritten: %+v", got)
	}
	n, err := st.AnomalyCount(ctx, data.AnomalyQuery{})
	if err != nil || n != 6 {
		t.Errorf("count = %d, %v; want 6", n, err)
	}

	// A bad anomaly stores nothing of the batch.
	bad := []model.Anomaly{openAnomaly("HMR-16", "ST2", "web", "2026-11-03", "iqr", 0.7, 5), openAnomaly("HMR-16", "DC1", "web", "2026-11-03", "iqr", 1.5, 5)}
	if _, err := st.SaveAnomalies(ctx, bad, nil); err == nil {
		t.Error("a score of 1.5 was accepted")
	}
	if n, _ := st.AnomalyCount(ctx, data.AnomalyQuery{}); n != 6 {
		t.Errorf("count after a refused batch = %d, want 6", n)
	}
}

// A rule's finding on the ledger, found again with other numbers (late
// sales moved the ledger under a count), refreshes the open anomaly and
// bumps its version; the same numbers change nothing, and neither does a
// model's finding or an anomaly someone has acted on.
func TestStore_SaveAnomalies_Refresh(t *testing.T) {
	ctx := context.Background()
	st, added := anomalyStore(t)
	shrink, robust := added[2], added[0]
	find := func(a model.Anomaly, observed, expected float64, detail string, refresh bool) model.Anomaly {
		a.ID, a.Version, a.Observed, a.Expected, a.Detail, a.Refresh = 0, 0, observed, expected, detail, refresh
		return a
	}
	save := func(as ...model.Anomaly) {
		t.Helper()
		if more, err := st.SaveAnomalies(ctx, as, nil); err != nil || len(more) != 0 {
			t.Fatalf("save: %v, added %+v", err, more)
		}
	}
	get := func(id int64) model.Anomaly {
		t.Helper()
		a, err := st.Anomaly(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	save(find(shrink, 113, math.NaN(), shrink.Detail, true))
	if got := get(shrink.ID); got.Version != 1 {
		t.Errorf("the same numbers again: version %d, want 1", got.Version)
	}
	save(find(shrink, 113, 118, "count 113 vs ledger 118", true), find(robust, 41, 3, "other", false))
	if got := get(shrink.ID); got.Version != 2 || got.Observed != 113 || got.Expected != 118 || got.Detail != "count 113 vs ledger 118" {
		t.Errorf("refreshed: %+v", got)
	}
	if got := get(robust.ID); got.Version != 1 || got.Observed != 40 || got.Expected != 2 {
		t.Errorf("a model's finding was overwritten: %+v", got)
	}
	if _, err := st.ActOnAnomaly(ctx, shrink.ID, model.ActionRequest{Action: model.ActDismiss, User: "ann", Version: 2, Note: "known"}); err != nil {
		t.Fatal(err)
	}
	save(find(shrink, 113, 120, "count 113 vs ledger 120", true))
	if got := get(shrink.ID); got.Version != 3 || got.Expected != 118 || got.State != model.AnomalyDismissed {
		t.Errorf("dismissed, then found again: %+v", got)
	}
}

// A finding explained on arrival (one of a category's items that moved
// together) is stored dismissed, by whom and why, with the dismissal in
// its action log and the audit trail like a person's; one without who or
// when stores nothing of its batch.
func TestStore_SaveAnomalies_DismissedOnArrival(t *testing.T) {
	ctx := context.Background()
	st, _ := anomalyStore(t)
	at := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	m := openAnomaly("DRL-18V", "DC1", "web", "2026-11-05", "level_shift", 0.6, 20)
	m.State, m.By, m.At, m.Note = model.AnomalyDismissed, "stockroom", at, "part of a category-wide move: tools rose"
	added, err := st.SaveAnomalies(ctx, []model.Anomaly{m}, nil)
	if err != nil || len(added) != 1 {
		t.Fatalf("added %+v, %v", added, err)
	}
	got, err := st.Anomaly(ctx, added[0].ID)
	if err != nil || got.State != model.AnomalyDismissed || got.Version != 2 || got.By != "stockroom" || !got.At.Equal(at) ||
		got.Note != m.Note || added[0].State != model.AnomalyDismissed {
		t.Fatalf("stored %+v, returned %+v, %v", got, added[0], err)
	}
	log, err := st.AnomalyActions(ctx, got.ID)
	if err != nil || len(log) != 1 || log[0].User != "stockroom" || log[0].Action != model.ActDismiss || log[0].From != model.AnomalyOpen ||
		log[0].To != model.AnomalyDismissed || log[0].Version != 1 || log[0].Note != m.Note {
		t.Errorf("action log %+v, %v", log, err)
	}
	audit, err := st.AuditLog(ctx, data.AuditQuery{Object: "anomaly"})
	if err != nil || len(audit) == 0 || audit[0].User != "stockroom" || audit[0].ObjectID != fmt.Sprint(got.ID) {
		t.Errorf("audit %+v, %v", audit, err)
	}
	// A person may reopen it.
	if r, err := st.ActOnAnomaly(ctx, got.ID, model.ActionRequest{Action: model.ActReopen, Version: 2, User: "olga", At: at.Add(time.Hour)}); err != nil || r.State != model.AnomalyOpen {
		t.Errorf("reopen: %+v, %v", r, err)
	}
	n, _ := st.AnomalyCount(ctx, data.AnomalyQuery{})
	anon := openAnomaly("DRL-18V", "ST2", "web", "2026-11-05", "level_shift", 0.6, 20)
	anon.State = model.AnomalyDismissed
	if _, err := st.SaveAnomalies(ctx, []model.Anomaly{openAnomaly("HMR-16", "ST2", "web", "2026-11-05", "iqr", 0.7, 5), anon}, nil); err == nil {
		t.Error("a dismissal without who and when was accepted")
	}
	if n2, _ := st.AnomalyCount(ctx, data.AnomalyQuery{}); n2 != n {
		t.Errorf("a refused batch stored %d", n2-n)
	}
}

func TestStore_AnomaliesPages(t *testing.T) {
	ctx := context.Background()
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "items")
	// 60 anomalies over 20 days, three a day, scores repeating so that
	// ties must be broken by id.
	var as []model.Anomaly
	for i := range 60 {
		a := openAnomaly("HMR-16", "DC1", "web", model.MustDate("2026-10-01").AddDays(i/3).String(), fmt.Sprint("det", i%3), float64(i%7)/10, float64(i))
		as = append(as, a)
	}
	added, err := st.SaveAnomalies(ctx, as, nil)
	if err != nil || len(added) != 60 {
		t.Fatalf("added %d, %v", len(added), err)
	}
	// Dismiss every fourth, to filter on states.
	for i := 0; i < 60; i += 4 {
		if _, err := st.ActOnAnomaly(ctx, added[i].ID, model.ActionRequest{Action: model.ActDismiss, Version: 1, User: "t", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		q    data.AnomalyQuery
		want int
	}{
		{"newest, all", data.AnomalyQuery{Sort: data.AnomalyNewest}, 60},
		{"score, all", data.AnomalyQuery{Sort: data.AnomalyByScore}, 60},
		{"newest, open", data.AnomalyQuery{States: []model.AnomalyState{model.AnomalyOpen}}, 45},
		{"score, dismissed", data.AnomalyQuery{Sort: data.AnomalyByScore, States: []model.AnomalyState{model.AnomalyDismissed}}, 15},
		{"one detector", data.AnomalyQuery{Detector: "det1"}, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			full, err := st.Anomalies(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(full) != tc.want {
				t.Fatalf("%d rows, want %d", len(full), tc.want)
			}
			if n, _ := st.AnomalyCount(ctx, tc.q); n != tc.want {
				t.Errorf("count %d, want %d", n, tc.want)
			}
			for i := 1; i < len(full); i++ {
				a, b := full[i-1], full[i]
				var before bool
				if tc.q.Sort == data.AnomalyByScore {
					before = a.Score > b.Score || (a.Score == b.Score && a.ID > b.ID)
				} else {
					before = a.Date > b.Date || (a.Date == b.Date && a.ID > b.ID)
				}
				if !before {
					t.Fatalf("rows %d and %d out of order: %+v then %+v", i-1, i, a, b)
				}
			}
			// Pages of 7 through the cursor give the same rows.
			var paged []model.Anomaly
			q := tc.q
			q.Limit = 7
			for {
				page, err := st.Anomalies(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				paged = append(paged, page...)
				if len(page) < q.Limit {
					break
				}
				q.After = data.AnomalyCursorOf(page[len(page)-1])
			}
			if !slices.EqualFunc(paged, full, func(a, b model.Anomaly) bool { return a.ID == b.ID }) {
				t.Errorf("paged ids differ from the full list")
			}
		})
	}
}

func TestStore_ActOnAnomaly(t *testing.T) {
	ctx := context.Background()
	st, added := anomalyStore(t)
	id := added[0].ID
	at := time.Date(2026, 11, 7, 9, 30, 0, 0, time.UTC)
	req := func(act model.AnomalyAction, version int64) model.ActionRequest {
		return model.ActionRequest{Action: act, Version: version, User: "alice", At: at, Value: math.NaN(), Note: "checked the shelf"}
	}

	a, err := st.ActOnAnomaly(ctx, id, req(model.ActConfirm, 1))
	if err != nil {
		t.Fatal(err)
	}
	if a.State != model.AnomalyConfirmed || a.Version != 2 || a.By != "alice" || !a.At.Equal(at) || a.Note != "checked the shelf" {
		t.Errorf("after confirm: %+v", a)
	}
	// Someone still looking at version 1 is refused and changes nothing.
	_, err = st.ActOnAnomaly(ctx, id, req(model.ActDismiss, 1))
	if !errors.Is(err, model.ErrAnomalyStale) {
		t.Fatalf("acting on version 1 after it moved on: %v, want ErrAnomalyStale", err)
	}
	if got, _ := st.Anomaly(ctx, id); got.State != model.AnomalyConfirmed || got.Version != 2 {
		t.Errorf("a stale action changed the anomaly: %+v", got)
	}
	// Confirming twice is not a transition.
	if _, err := st.ActOnAnomaly(ctx, id, req(model.ActConfirm, 2)); !errors.Is(err, model.ErrAnomalyTransition) {
		t.Errorf("confirm a confirmed anomaly: %v, want ErrAnomalyTransition", err)
	}
	// Correct: the replacement is kept beside the recorded value.
	r := req(model.ActCorrect, 2)
	r.Value, r.User = 4, "bob"
	a, err = st.ActOnAnomaly(ctx, id, r)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.Anomaly(ctx, id)
	if got.State != model.AnomalyCorrected || got.Replacement != 4 || got.Observed != 40 || got.Version != 3 || got.By != "bob" {
		t.Errorf("after correct: %+v", got)
	}
	if a.Version != got.Version || a.Replacement != got.Replacement {
		t.Errorf("returned %+v, stored %+v", a, got)
	}
	// Reopen clears the replacement.
	if _, err := st.ActOnAnomaly(ctx, id, req(model.ActReopen, 3)); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Anomaly(ctx, id); got.State != model.AnomalyOpen || !math.IsNaN(got.Replacement) || got.Version != 4 {
		t.Errorf("after reopen: %+v", got)
	}
	// A missing anomaly, and a request without a user.
	if _, err := st.ActOnAnomaly(ctx, 999999, req(model.ActDismiss, 1)); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("missing anomaly: %v", err)
	}
	r = req(model.ActDismiss, 4)
	r.User = " "
	if _, err := st.ActOnAnomaly(ctx, id, r); err == nil {
		t.Error("an action without a user was accepted")
	}

	// The log has the four actions, each on the version it saw.
	log, err := st.AnomalyActions(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		act      model.AnomalyAction
		from, to model.AnomalyState
		version  int64
		user     string
	}{
		{model.ActConfirm, model.AnomalyOpen, model.AnomalyConfirmed, 1, "alice"},
		{model.ActCorrect, model.AnomalyConfirmed, model.AnomalyCorrected, 2, "bob"},
		{model.ActReopen, model.AnomalyCorrected, model.AnomalyOpen, 3, "alice"},
	}
	if len(log) != len(want) {
		t.Fatalf("%d actions logged, want %d: %+v", len(log), len(want), log)
	}
	for i, w := range want {
		l := log[i]
		if l.Action != w.act || l.From != w.from || l.To != w.to || l.Version != w.version || l.User != w.user || !l.At.Equal(at) {
			t.Errorf("action %d = %+v, want %+v", i, l, w)
		}
	}
	if log[1].Value != 4 || !math.IsNaN(log[0].Value) {
		t.Errorf("values logged: %g, %g", log[0].Value, log[1].Value)
	}
	audit, err := st.AuditLog(ctx, data.AuditQuery{Object: "anomaly"})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 3 || audit[0].Action != "reopen" || audit[2].Action != "confirm" || audit[2].Version != 1 {
		t.Errorf("audit trail: %+v", audit)
	}
}

// TestStore_ActOnAnomaly_Race: people acting at once on the version they
// all saw: exactly one wins, the others are told it changed.
func TestStore_ActOnAnomaly_Race(t *testing.T) {
	ctx := context.Background()
	st, added := anomalyStore(t)
	id := added[3].ID
	// A second store on the same file: another process.
	other, err := data.Open(ctx, st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := st
			if i%2 == 1 {
				s = other
			}
			act := []model.AnomalyAction{model.ActDismiss, model.ActExclude}[i%2]
			_, errs[i] = s.ActOnAnomaly(ctx, id, model.ActionRequest{Action: act, Version: 1, User: fmt.Sprint("user", i), At: time.Now(), Value: math.NaN()})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, model.ErrAnomalyStale):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d actions succeeded, want exactly 1", ok)
	}
	if got, _ := st.Anomaly(ctx, id); got.Version != 2 {
		t.Errorf("version %d after one action", got.Version)
	}
	if log, _ := st.AnomalyActions(ctx, id); len(log) != 1 {
		t.Errorf("%d actions logged, want 1", len(log))
	}
}

func TestStore_TrainingOverrides(t *testing.T) {
	ctx := context.Background()
	st, added := anomalyStore(t)
	act := func(a model.Anomaly, action model.AnomalyAction, v float64) {
		t.Helper()
		if _, err := st.ActOnAnomaly(ctx, a.ID, model.ActionRequest{Action: action, Version: a.Version, User: "t", At: time.Now(), Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.TrainingOverrides(ctx, "HMR-16", "DC1", "web")
	if err != nil || len(got) != 0 {
		t.Fatalf("open anomalies override nothing: %+v, %v", got, err)
	}
	act(added[0], model.ActCorrect, 3)
	act(added[1], model.ActExclude, math.NaN())
	act(added[2], model.ActExclude, math.NaN()) // the stock series: channel ""
	act(added[3], model.ActDismiss, math.NaN())
	got, err = st.TrainingOverrides(ctx, "HMR-16", "DC1", "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].State != model.AnomalyCorrected || got[0].Replacement != 3 || got[1].State != model.AnomalyExcluded {
		t.Fatalf("overrides: %+v", got)
	}
	start := model.MustDate("2026-11-01")
	vals, keep := model.CleanSeries(start, []float64{0, 40, 0, 12, 0, 0}, got)
	if !slices.Equal(vals, []float64{0, 3, 0, 12, 0, 0}) || !slices.Equal(keep, []bool{true, true, true, false, true, true}) {
		t.Errorf("cleaned series %v keep %v", vals, keep)
	}
	if got, _ := st.TrainingOverrides(ctx, "HMR-16", "DC1", "web", "robust_z"); len(got) != 1 || got[0].Detector != "robust_z" {
		t.Errorf("filtered on robust_z: %+v", got)
	}
	if got, _ := st.TrainingOverrides(ctx, "DRL-18V", "ST1", "store"); len(got) != 0 {
		t.Errorf("a dismissed anomaly overrides: %+v", got)
	}
}

func TestStore_OpenAnomalyCounts(t *testing.T) {
	ctx := context.Background()
	st, added := anomalyStore(t)
	ids := map[string]int64{}
	rows, err := st.StockPage(ctx, model.StockQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var keys [][2]int64
	for _, r := range rows {
		ids[r.SKU+"@"+r.Location] = r.ItemID<<20 | r.LocID
		keys = append(keys, [2]int64{r.ItemID, r.LocID})
	}
	key := func(s string) [2]int64 { v := ids[s]; return [2]int64{v >> 20, v & (1<<20 - 1)} }
	counts, err := st.OpenAnomalyCounts(ctx, keys, model.NoDate)
	if err != nil {
		t.Fatal(err)
	}
	// HMR-16@DC1 has three; DRL-18V@ST1 one; SEED-TOM's catalogue finding
	// shows at its one location.
	want := map[[2]int64]int{key("HMR-16@DC1"): 3, key("DRL-18V@ST1"): 1, key("SEED-TOM@ST1"): 1}
	if len(counts) != len(want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%v: %d open, want %d", k, counts[k], n)
		}
	}
	// Dismissing one takes it off.
	if _, err := st.ActOnAnomaly(ctx, added[0].ID, model.ActionRequest{Action: model.ActDismiss, Version: 1, User: "t", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	counts, _ = st.OpenAnomalyCounts(ctx, keys, model.NoDate)
	if counts[key("HMR-16@DC1")] != 2 {
		t.Errorf("after a dismissal: %d", counts[key("HMR-16@DC1")])
	}
	// Only findings on or after since count.
	var last model.Date
	for _, a := range added {
		last = max(last, a.Date)
	}
	if counts, _ = st.OpenAnomalyCounts(ctx, keys, last.AddDays(1)); len(counts) != 0 {
		t.Errorf("counts after the last finding: %v", counts)
	}
	if counts, _ = st.OpenAnomalyCounts(ctx, keys, last); len(counts) == 0 {
		t.Errorf("no counts on the day of the last finding")
	}
	series, err := st.SeriesAnomalies(ctx, "HMR-16", "DC1")
	if err != nil || len(series) != 3 || series[0].Date > series[2].Date {
		t.Errorf("series anomalies: %+v, %v", series, err)
	}
	states, err := st.AnomalyStateCounts(ctx)
	if err != nil || states[model.AnomalyOpen] != 4 || states[model.AnomalyDismissed] != 1 {
		t.Errorf("state counts %v, %v", states, err)
	}
}

// TestStore_DetectionInputs reads back what the good fixtures booked, day
// by day, as the anomaly rules see it.
func TestStore_DetectionInputs(t *testing.T) {
	ctx := context.Background()
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items")
	dir := filepath.Join("..", "testdata", "imports", "good")
	var files []data.FileResult
	for _, k := range []string{"movements", "sales", "counts"} {
		files = append(files, mustImport(t, st, filepath.Join(dir, k+".csv"), data.ImportOptions{}))
	}
	unchecked, err := st.CheckFiles(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(unchecked) != 6 || unchecked[5].ID != files[2].FileID || unchecked[4].Kind != data.KindSales {
		t.Fatalf("unchecked files: %+v", unchecked)
	}

	// The sales file touches four item×locations from their first sale.
	touched, err := st.TouchedSeries(ctx, []int64{files[1].FileID})
	if err != nil {
		t.Fatal(err)
	}
	if len(touched) != 4 {
		t.Fatalf("touched %+v, want 4 item×locations", touched)
	}
	lds, err := st.LedgerDaysOf(ctx, []int64{touched[0].ItemID, touched[1].ItemID, touched[2].ItemID, touched[3].ItemID}, model.MustDate("2026-11-06"))
	if err != nil {
		t.Fatal(err)
	}
	var hmr *data.LedgerDays
	for _, l := range lds {
		if l.SKU == "HMR-16" && l.Location == "DC1" {
			hmr = l
		}
	}
	if hmr == nil {
		t.Fatalf("no HMR-16 at DC1 among %d", len(lds))
	}
	if hmr.Start != model.MustDate("2026-11-01") || hmr.Len() != 6 {
		t.Fatalf("HMR-16@DC1 from %s, %d days", hmr.Start, hmr.Len())
	}
	eq := func(name string, got, want []int64) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	eq("in", hmr.In, []int64{120, 0, 0, 0, 1, 0})
	eq("sold", hmr.Sold, []int64{0, 1, 3, 0, 0, 0})
	eq("adjusted", hmr.Adjusted, []int64{0, 0, 0, -2, 0, 0})
	eq("counted", hmr.Counted, []int64{0, 0, 0, 0, 0, -2})
	eq("web", hmr.Sales["web"], []int64{0, 1, 0, 0, 0, 0})
	eq("store", hmr.Sales["store"], []int64{0, 0, 3, 0, 0, 0})
	// Days after `to` are left out.
	short, _ := st.LedgerDaysOf(ctx, []int64{hmr.ItemID}, model.MustDate("2026-11-03"))
	for _, l := range short {
		if l.LocID == hmr.LocID && (l.Len() != 3 || l.Sold[2] != 3) {
			t.Errorf("to 11-03: %+v", l)
		}
	}

	// The count beside the ledger's balance it found.
	if c := hmr.Counts; len(c) != 1 || c[0].SKU != "HMR-16" || c[0].Counted != 113 || c[0].Ledger != 115 || c[0].Date != model.MustDate("2026-11-06") {
		t.Errorf("HMR-16@DC1 counts %+v", c)
	}

	// Prices come back from the file while it holds what was imported.
	prices, ok, err := st.SalePrices(ctx, unchecked[4])
	if err != nil || !ok || len(prices) != 6 {
		t.Fatalf("sale prices %+v, %v, %v", prices, ok, err)
	}
	if p := prices[5]; p.SKU != "DRL-18V" || p.Channel != "web" || p.Price != 71.99 || p.Date != model.MustDate("2026-11-06") {
		t.Errorf("last price %+v", p)
	}
	// A copy edited since is not read.
	tmp := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(dir, "sales.csv"))
	f := unchecked[4]
	f.Path = mustWriteFile(t, tmp, "sales.csv", string(b)+"2026-11-07,SO-9,HMR-16,DC1,web,1,12.5\n")
	if _, ok, err := st.SalePrices(ctx, f); ok || err != nil {
		t.Errorf("an edited file was read: %v %v", ok, err)
	}
	f.Path = filepath.Join(tmp, "gone.csv")
	if _, ok, err := st.SalePrices(ctx, f); ok || err != nil {
		t.Errorf("a missing file: %v %v", ok, err)
	}

	// Saving marks files checked.
	if _, err := st.SaveAnomalies(ctx, nil, []int64{unchecked[0].ID, unchecked[4].ID}); err != nil {
		t.Fatal(err)
	}
	if left, _ := st.CheckFiles(ctx, true); len(left) != 4 {
		t.Errorf("%d unchecked after marking 2 of 6", len(left))
	}
	if all, _ := st.CheckFiles(ctx, false); len(all) != 6 {
		t.Errorf("%d files in all", len(all))
	}
}

func TestStore_ItemsBySKU(t *testing.T) {
	st, _ := anomalyStore(t)
	got, err := st.ItemsBySKU(context.Background(), []string{"HMR-16", "NOPE", "SEED-TOM"})
	if err != nil || len(got) != 2 || got["HMR-16"].Category != "tools" || got["HMR-16"].Price != 12.5 || got["SEED-TOM"].Category != "garden" {
		t.Errorf("ItemsBySKU = %+v, %v", got, err)
	}
}
