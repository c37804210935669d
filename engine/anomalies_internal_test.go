package engine

import (
	"testing"

	"stockroom/model"
)

// The status line counts with separators, most frequent detector first.
func TestDescribeAdded(t *testing.T) {
	var as []model.Anomaly
	for i := range 1486 {
		det := "level_shift"
		if i%3 == 0 {
			det = "robust_z"
		}
		as = append(as, model.Anomaly{SKU: "A", Location: "DC1", Channel: "web", Date: model.MustDate("2026-11-25"), Detector: det, Score: 0.5})
	}
	as[7].Score = 0.9
	want := "1,486 new anomalies: 990 level_shift, 496 robust_z; top level_shift A @ DC1/web on 2026-11-25 (0.90)"
	if got := describeAdded(as); got != want {
		t.Errorf("describeAdded = %q\nwant %q", got, want)
	}
	if got := describeAdded(as[:1]); got != "1 new anomaly: 1 robust_z; top robust_z A @ DC1/web on 2026-11-25 (0.50)" {
		t.Errorf("one: %q", got)
	}
	// Members of a category-wide move arrive dismissed: not counted as new.
	for i := range 40 {
		as[i].State = model.AnomalyDismissed
	}
	want = "1,446 new anomalies: 964 level_shift, 482 robust_z; top level_shift A @ DC1/web on 2026-11-25 (0.50) (40 found and dismissed as part of a category-wide move)"
	if got := describeAdded(as); got != want {
		t.Errorf("with dismissed = %q\nwant %q", got, want)
	}
	if got := describeAdded(as[:2]); got != "anomalies: 2 found and dismissed as part of a category-wide move" {
		t.Errorf("only dismissed: %q", got)
	}
	if got := describeAdded(nil); got != "" {
		t.Errorf("none: %q", got)
	}
}
