package model

import (
	"errors"
	"math"
	"testing"
	"time"
)

func openAnomaly() Anomaly {
	return Anomaly{
		ID: 7, SKU: "SKU-1", Location: "DC", Channel: "web", Date: MustDate("2025-03-04"),
		Detector: "robust_z", Score: 0.93, Observed: 1000, Expected: 10,
		State: AnomalyOpen, Replacement: math.NaN(), Version: 3,
	}
}

func TestCanApply(t *testing.T) {
	// Every (state, action) pair, against the table in CanApply's doc.
	allowed := map[AnomalyState][]AnomalyAction{
		AnomalyOpen:      {ActDismiss, ActConfirm, ActCorrect, ActExclude},
		AnomalyConfirmed: {ActDismiss, ActCorrect, ActExclude, ActReopen},
		AnomalyCorrected: {ActCorrect, ActExclude, ActReopen},
		AnomalyDismissed: {ActReopen},
		AnomalyExcluded:  {ActReopen},
	}
	for _, s := range AnomalyStates {
		for _, a := range AnomalyActions {
			want := false
			for _, x := range allowed[s] {
				want = want || x == a
			}
			if got := CanApply(s, a); got != want {
				t.Errorf("CanApply(%s, %s) = %v, want %v", s, a, got, want)
			}
		}
	}
	if CanApply("", ActReopen) || CanApply(AnomalyOpen, "frobnicate") {
		t.Error("unknown states and actions must be refused")
	}
}

func TestAnomaly_Apply(t *testing.T) {
	at := time.Date(2025, 3, 5, 9, 30, 0, 0, time.UTC)
	t.Run("correct keeps the original", func(t *testing.T) {
		a := openAnomaly()
		b, err := a.Apply(ActionRequest{Action: ActCorrect, Version: 3, User: "ann", At: at, Value: 10, Note: "typo"})
		if err != nil {
			t.Fatal(err)
		}
		if b.State != AnomalyCorrected || b.Replacement != 10 || b.Observed != 1000 {
			t.Errorf("got state %s replacement %g observed %g", b.State, b.Replacement, b.Observed)
		}
		if b.Version != 4 || b.By != "ann" || !b.At.Equal(at) || b.Note != "typo" {
			t.Errorf("got version %d by %q at %v note %q", b.Version, b.By, b.At, b.Note)
		}
		if a.State != AnomalyOpen || a.Version != 3 {
			t.Error("Apply changed its receiver")
		}
		if err := b.Validate(); err != nil {
			t.Errorf("result does not validate: %v", err)
		}
		// Reopening drops the replacement (the audit trail keeps it).
		c, err := b.Apply(ActionRequest{Action: ActReopen, Version: 4, User: "bob", At: at.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if c.State != AnomalyOpen || !math.IsNaN(c.Replacement) || c.Version != 5 || c.By != "bob" {
			t.Errorf("reopened: state %s replacement %g version %d by %s", c.State, c.Replacement, c.Version, c.By)
		}
	})
	t.Run("stale version", func(t *testing.T) {
		_, err := openAnomaly().Apply(ActionRequest{Action: ActDismiss, Version: 2, User: "ann", At: at})
		if !errors.Is(err, ErrAnomalyStale) {
			t.Fatalf("err = %v, want ErrAnomalyStale", err)
		}
	})
	t.Run("second dismissal refused", func(t *testing.T) {
		b, err := openAnomaly().Apply(ActionRequest{Action: ActDismiss, Version: 3, User: "ann", At: at})
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.Apply(ActionRequest{Action: ActDismiss, Version: 4, User: "bob", At: at})
		if !errors.Is(err, ErrAnomalyTransition) {
			t.Fatalf("err = %v, want ErrAnomalyTransition", err)
		}
	})
	for _, c := range []struct {
		name  string
		req   ActionRequest
		field string
	}{
		{"no user", ActionRequest{Action: ActDismiss, Version: 3, At: at}, "user"},
		{"no time", ActionRequest{Action: ActDismiss, Version: 3, User: "ann"}, "at"},
		{"bad action", ActionRequest{Action: "erase", Version: 3, User: "ann", At: at}, "action"},
		{"correction without value", ActionRequest{Action: ActCorrect, Version: 3, User: "ann", At: at, Value: math.NaN()}, "value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := openAnomaly().Apply(c.req)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("err = %v, want a FieldError on %s", err, c.field)
			}
		})
	}
}

func TestAnomaly_Validate(t *testing.T) {
	ok := openAnomaly()
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid anomaly: %v", err)
	}
	file := openAnomaly()
	file.SKU, file.File = "", "sales-2025-03-resend.csv"
	if err := file.Validate(); err != nil {
		t.Fatalf("a file anomaly needs no sku: %v", err)
	}
	for _, c := range []struct {
		field string
		edit  func(*Anomaly)
	}{
		{"sku", func(a *Anomaly) { a.SKU = "" }},
		{"sku", func(a *Anomaly) { a.SKU = " x" }},
		{"date", func(a *Anomaly) { a.Date = NoDate }},
		{"detector", func(a *Anomaly) { a.Detector = " " }},
		{"score", func(a *Anomaly) { a.Score = 1.5 }},
		{"observed", func(a *Anomaly) { a.Observed = math.Inf(1) }},
		{"state", func(a *Anomaly) { a.State = "lost" }},
		{"replacement", func(a *Anomaly) { a.State = AnomalyCorrected }},
		{"replacement", func(a *Anomaly) { a.Replacement = 3 }},
	} {
		a := openAnomaly()
		c.edit(&a)
		var fe *FieldError
		if err := a.Validate(); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: err = %v", c.field, err)
		}
	}
}

func TestParseAnomalyState(t *testing.T) {
	if s, ok := ParseAnomalyState(" Excluded "); !ok || s != AnomalyExcluded {
		t.Errorf("got %q %v", s, ok)
	}
	if _, ok := ParseAnomalyState("gone"); ok {
		t.Error("unknown state accepted")
	}
	if a, ok := ParseAnomalyAction("CORRECT"); !ok || a != ActCorrect || a.Target() != AnomalyCorrected {
		t.Errorf("got %q %v", a, ok)
	}
}

// TestCleanSeries: actions change what forecasting sees. Only a correction
// or an exclusion does; open, confirmed and dismissed anomalies leave the
// recorded values.
func TestCleanSeries(t *testing.T) {
	start := MustDate("2025-03-01")
	values := []float64{10, 12, 1000, 11, 0, 9, 13}
	at := time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC)
	mk := func(day int, obs float64) Anomaly {
		a := openAnomaly()
		a.Date, a.Observed = start.AddDays(day), obs
		return a
	}
	corrected, err := mk(2, 1000).Apply(ActionRequest{Action: ActCorrect, Version: 3, User: "ann", At: at, Value: 10})
	if err != nil {
		t.Fatal(err)
	}
	excluded, err := mk(4, 0).Apply(ActionRequest{Action: ActExclude, Version: 3, User: "ann", At: at})
	if err != nil {
		t.Fatal(err)
	}
	confirmed, err := mk(6, 13).Apply(ActionRequest{Action: ActConfirm, Version: 3, User: "ann", At: at})
	if err != nil {
		t.Fatal(err)
	}
	outside := mk(30, 5)
	outside.State, outside.Replacement = AnomalyCorrected, 1

	out, keep := CleanSeries(start, values, []Anomaly{corrected, excluded, confirmed, mk(1, 12), outside})
	wantOut := []float64{10, 12, 10, 11, 0, 9, 13}
	wantKeep := []bool{true, true, true, true, false, true, true}
	for i := range values {
		if out[i] != wantOut[i] || keep[i] != wantKeep[i] {
			t.Errorf("day %d: %g keep %v, want %g keep %v", i, out[i], keep[i], wantOut[i], wantKeep[i])
		}
	}
	if values[2] != 1000 {
		t.Error("CleanSeries modified its input")
	}
	// Reopening the correction gives the recorded value back.
	reopened, err := corrected.Apply(ActionRequest{Action: ActReopen, Version: 4, User: "bob", At: at})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := CleanSeries(start, values, []Anomaly{reopened}); out[2] != 1000 {
		t.Errorf("after reopen day 2 is %g, want the recorded 1000", out[2])
	}
}
