package anomaly

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"stockroom/model"
)

func shift(sku, loc string, day string, obs, exp, score float64) model.Anomaly {
	return model.Anomaly{SKU: sku, Location: loc, Channel: "web", Date: model.MustDate(day), Detector: DetLevel,
		Score: score, Observed: obs, Expected: exp, State: model.AnomalyOpen, Replacement: math.NaN()}
}

var cohortCats = map[string]string{"T1": "Toys", "T2": "Toys", "T3": "Toys", "T4": "Toys", "T5": "Toys", "G1": "Garden", "X1": ""}

func catOf(sku string) string { return cohortCats[sku] }

// Toys rise together in the week of Monday 2026-11-30 (found Monday to
// Friday): one category_shift carried by the highest score, the others
// dismissed by stockroom with a note that points at it. A Toys item that
// rose ten times (not about twice, as the rest) and a Garden item the same
// week stay open on their own, and so does a finding two weeks on.
func TestCohorts_CategoryMovesTogether(t *testing.T) {
	at := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	fs := []model.Anomaly{
		shift("T1", "DC1", "2026-11-30", 21, 10, 0.6),
		shift("T2", "ST01", "2026-12-01", 41, 19, 0.8),
		shift("T3", "ST02", "2026-12-02", 9, 4, 0.5),
		shift("T4", "DC1", "2026-12-04", 31, 15, 0.7),
		shift("T5", "DC1", "2026-12-03", 109, 9, 0.9), // ×11: stands out
		shift("G1", "DC1", "2026-12-01", 20, 10, 0.6),
		shift("T1", "DC1", "2026-12-15", 30, 20, 0.6), // two weeks on
		{SKU: "T2", Location: "DC1", Date: model.MustDate("2026-12-01"), Detector: RuleNegativeStock, Score: 1, Observed: -3,
			Expected: 0, State: model.AnomalyOpen, Replacement: math.NaN()},
	}
	got, _ := Cohorts(fs, nil, catOf, at)
	if len(got) != len(fs) {
		t.Fatalf("%d findings back, want %d", len(got), len(fs))
	}
	carrier := got[1]
	if carrier.Detector != CohortShift || carrier.State != model.AnomalyOpen || carrier.SKU != "T2" ||
		!strings.HasPrefix(carrier.Detail, "Toys: 4 items (4 series) rose in the week of 2026-11-30, typically ×2.0 (this one ×2.1); also T1, T3, T4") {
		t.Errorf("carrier %+v", carrier)
	}
	for _, i := range []int{0, 2, 3} {
		m := got[i]
		want := "part of a category-wide move: Toys rose in the week of 2026-11-30; see category_shift on T2 @ ST01/web, 2026-12-01"
		if m.State != model.AnomalyDismissed || m.By != CohortBy || !m.At.Equal(at) || m.Note != want || m.Detector != DetLevel {
			t.Errorf("member %d: %+v", i, m)
		}
	}
	for _, i := range []int{4, 5, 6, 7} {
		if got[i].State != model.AnomalyOpen || got[i].Detector != fs[i].Detector {
			t.Errorf("finding %d: %+v", i, got[i])
		}
	}
	if fs[0].State != model.AnomalyOpen || fs[1].Detector != DetLevel {
		t.Errorf("Cohorts changed its input")
	}
}

// Two items are not a category-wide move; rises and falls are two moves;
// spikes in one week are a category_spike (not one two weeks on); an item
// without a category is never part of one.
func TestCohorts_Limits(t *testing.T) {
	at := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	two := []model.Anomaly{shift("T1", "DC1", "2026-12-01", 20, 10, 0.6), shift("T2", "DC1", "2026-12-01", 20, 10, 0.6),
		shift("X1", "DC1", "2026-12-01", 20, 10, 0.6)}
	two, _ = Cohorts(two, nil, catOf, at)
	for i, a := range two {
		if a.State != model.AnomalyOpen || a.Detector != DetLevel {
			t.Errorf("two items: %d became %+v", i, a)
		}
	}
	mixed := []model.Anomaly{
		shift("T1", "DC1", "2026-12-01", 20, 10, 0.6), shift("T2", "DC1", "2026-12-01", 20, 10, 0.6), shift("T3", "DC1", "2026-12-01", 20, 10, 0.7),
		shift("T4", "DC1", "2026-12-01", 5, 10, 0.6), shift("T5", "DC1", "2026-12-01", 5, 10, 0.6), shift("T1", "ST01", "2026-12-01", 5, 10, 0.8),
	}
	got, _ := Cohorts(mixed, nil, catOf, at)
	if got[2].Detector != CohortShift || got[5].Detector != CohortShift || !strings.Contains(got[5].Detail, " fell ") {
		t.Errorf("rises and falls: %+v", got)
	}
	spikes := []model.Anomaly{shift("T1", "DC1", "2026-12-01", 50, 10, 0.9), shift("T2", "DC1", "2026-12-01", 40, 9, 0.8),
		shift("T3", "ST01", "2026-12-02", 45, 10, 0.8), shift("T4", "DC1", "2026-12-15", 50, 10, 0.9)}
	for i := range spikes {
		spikes[i].Detector = DetSeasonalZ
	}
	got, _ = Cohorts(spikes, nil, catOf, at)
	if got[0].Detector != CohortSpike || !strings.Contains(got[0].Detail, "jumped in the week of 2026-11-30") || got[1].State != model.AnomalyDismissed ||
		got[3].State != model.AnomalyOpen || got[3].Detector != DetSeasonalZ {
		t.Errorf("spikes: %+v", got)
	}
}

// A member found by a later import joins the move stored earlier, even
// alone, instead of waiting for two more.
func TestCohorts_JoinsStored(t *testing.T) {
	stored := shift("T2", "ST01", "2026-12-01", 41, 19, 0.8)
	stored.ID, stored.Detector = 7, CohortShift
	late := []model.Anomaly{shift("T5", "DC1", "2026-12-05", 20, 9, 0.7)}
	got, _ := Cohorts(late, []model.Anomaly{stored}, catOf, time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC))
	if got[0].State != model.AnomalyDismissed || !strings.HasSuffix(got[0].Note, "see category_shift on T2 @ ST01/web, 2026-12-01") {
		t.Errorf("late member: %+v", got[0])
	}
}

// Two Toys found the Monday after a move's week (it straddled the Monday)
// join it rather than stay open as two items.
func TestCohorts_JoinsTheWeekBefore(t *testing.T) {
	fs := []model.Anomaly{
		shift("T1", "DC1", "2026-12-04", 21, 10, 0.6), shift("T2", "DC1", "2026-12-05", 21, 10, 0.8), shift("T3", "DC1", "2026-12-06", 21, 10, 0.6),
		shift("T4", "DC1", "2026-12-07", 22, 10, 0.6), shift("T5", "DC1", "2026-12-07", 19, 10, 0.6),
	}
	got, _ := Cohorts(fs, nil, catOf, time.Date(2026, 12, 8, 6, 0, 0, 0, time.UTC))
	if got[1].Detector != CohortShift {
		t.Fatalf("carrier %+v", got[1])
	}
	for _, i := range []int{0, 2, 3, 4} {
		if got[i].State != model.AnomalyDismissed || !strings.Contains(got[i].Note, "week of 2026-11-30; see category_shift on T2") {
			t.Errorf("finding %d: %+v", i, got[i])
		}
	}
}

// Two toys' shifts stored open by Monday's import, three more found on
// Wednesday: the move forms on Wednesday's, and Monday's two come back to
// be dismissed. A scan that finds a stored finding again dismisses the
// stored copy, and the carrier's own stored copy is replaced by the move.
func TestCohorts_EarlierOpenFindings(t *testing.T) {
	at := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	early := []model.Anomaly{shift("T1", "DC1", "2026-11-30", 21, 10, 0.6), shift("T2", "DC1", "2026-11-30", 21, 10, 0.6)}
	for i := range early {
		early[i].ID, early[i].Version = int64(10+i), 1
	}
	again := early[0] // found again by a full scan
	again.ID, again.Version = 0, 0
	fs := []model.Anomaly{again, shift("T3", "DC1", "2026-12-02", 21, 10, 0.6), shift("T4", "DC1", "2026-12-02", 22, 10, 0.9),
		shift("T5", "DC1", "2026-12-02", 20, 10, 0.6)}
	out, dismiss := Cohorts(fs, early, catOf, at)
	if out[2].Detector != CohortShift || !strings.HasPrefix(out[2].Detail, "Toys: 5 items (5 series) rose") {
		t.Fatalf("carrier %+v", out[2])
	}
	ids := map[int64]bool{}
	for _, d := range dismiss {
		ids[d.ID] = true
		if d.Version != 1 || !strings.Contains(d.Note, "see category_shift on T4 @ DC1/web, 2026-12-02") {
			t.Errorf("to dismiss %+v", d)
		}
	}
	if len(dismiss) != 2 || !ids[10] || !ids[11] {
		t.Errorf("to dismiss %+v, want the stored 10 and 11", dismiss)
	}
	if out[0].State != model.AnomalyDismissed || out[1].State != model.AnomalyDismissed || out[3].State != model.AnomalyDismissed {
		t.Errorf("new members %+v", out)
	}
	// A stored finding someone reopened is theirs: never dismissed again.
	reopened := slices.Clone(early)
	reopened[1].By = "olga"
	if _, dismiss := Cohorts(fs, reopened, catOf, at); len(dismiss) != 1 || dismiss[0].ID != 10 {
		t.Errorf("with T2 reopened by olga, to dismiss %+v; want only 10", dismiss)
	}
	// The carrier found again: its stored level shift is what the move
	// replaces.
	kept := shift("T4", "DC1", "2026-12-02", 22, 10, 0.9)
	kept.ID, kept.Version = 20, 1
	_, dismiss = Cohorts(fs[1:], []model.Anomaly{kept}, catOf, at)
	if len(dismiss) != 1 || dismiss[0].ID != 20 || !strings.Contains(dismiss[0].Note, "see category_shift on this series") {
		t.Errorf("carrier's stored copy: %+v", dismiss)
	}
}
