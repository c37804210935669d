package model

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"
)

// AnomalyState is where a stored anomaly stands.
type AnomalyState string

// The anomaly states. An anomaly starts open; a person dismisses it (not
// an anomaly), confirms it (real, the data stays as it is), corrects it
// (real, and here is the right value) or excludes it (real, keep the point
// out of forecast training and backtests).
const (
	AnomalyOpen      AnomalyState = "open"
	AnomalyDismissed AnomalyState = "dismissed"
	AnomalyConfirmed AnomalyState = "confirmed"
	AnomalyCorrected AnomalyState = "corrected"
	AnomalyExcluded  AnomalyState = "excluded"
)

// AnomalyStates lists every state, in a stable order.
var AnomalyStates = []AnomalyState{AnomalyOpen, AnomalyDismissed, AnomalyConfirmed, AnomalyCorrected, AnomalyExcluded}

// ParseAnomalyState reads a state name, case-insensitively.
func ParseAnomalyState(s string) (AnomalyState, bool) {
	st := AnomalyState(strings.ToLower(strings.TrimSpace(s)))
	for _, x := range AnomalyStates {
		if st == x {
			return x, true
		}
	}
	return "", false
}

// AnomalyAction is what a person does to an anomaly.
type AnomalyAction string

// The actions. Reopen undoes any of the others (a mistaken dismissal, a
// wrong correction); the earlier action stays in the audit trail.
const (
	ActDismiss AnomalyAction = "dismiss"
	ActConfirm AnomalyAction = "confirm"
	ActCorrect AnomalyAction = "correct"
	ActExclude AnomalyAction = "exclude"
	ActReopen  AnomalyAction = "reopen"
)

// AnomalyActions lists every action, in a stable order.
var AnomalyActions = []AnomalyAction{ActDismiss, ActConfirm, ActCorrect, ActExclude, ActReopen}

// ParseAnomalyAction reads an action name, case-insensitively.
func ParseAnomalyAction(s string) (AnomalyAction, bool) {
	a := AnomalyAction(strings.ToLower(strings.TrimSpace(s)))
	for _, x := range AnomalyActions {
		if a == x {
			return x, true
		}
	}
	return "", false
}

// Target is the state an action leads to.
func (a AnomalyAction) Target() AnomalyState {
	switch a {
	case ActDismiss:
		return AnomalyDismissed
	case ActConfirm:
		return AnomalyConfirmed
	case ActCorrect:
		return AnomalyCorrected
	case ActExclude:
		return AnomalyExcluded
	case ActReopen:
		return AnomalyOpen
	}
	return ""
}

// Sentinel errors of anomaly actions.
var (
	// ErrAnomalyStale: someone acted on the anomaly after the version the
	// action was based on. Reload and decide again.
	ErrAnomalyStale = errors.New("anomaly changed since it was read")
	// ErrAnomalyTransition: the action is not allowed from the current
	// state (dismissing an already dismissed anomaly, say).
	ErrAnomalyTransition = errors.New("action not allowed in this state")
)

// CanApply reports whether action a may be taken on an anomaly in state s:
//
//	open      → dismissed, confirmed, corrected, excluded
//	confirmed → corrected, excluded, dismissed (confirmed first, then fixed or reconsidered)
//	corrected → corrected (a new replacement value), excluded
//	dismissed, corrected, excluded, confirmed → open (reopen)
//
// Everything else (re-dismissing, confirming a corrected point, …) is
// refused, so two people pressing the same key do not make two actions.
func CanApply(s AnomalyState, a AnomalyAction) bool {
	switch a {
	case ActReopen:
		return s != AnomalyOpen && s != ""
	case ActDismiss:
		return s == AnomalyOpen || s == AnomalyConfirmed
	case ActConfirm:
		return s == AnomalyOpen
	case ActCorrect:
		return s == AnomalyOpen || s == AnomalyConfirmed || s == AnomalyCorrected
	case ActExclude:
		return s == AnomalyOpen || s == AnomalyConfirmed || s == AnomalyCorrected
	}
	return false
}

// Anomaly is a stored anomaly: one suspicious point of one series (an
// item at a location and channel on a day), or one record an inventory
// rule flagged. Observed is never changed; a correction is kept beside it
// as Replacement, so the audit trail shows both.
type Anomaly struct {
	ID       int64
	SKU      string // empty only for a file rule
	Location string // empty for a rule that concerns no location
	Channel  string // empty for stock series and rules
	File     string // the imported file a file rule flagged (a re-sent export); else empty
	Date     Date
	Detector string  // the detector or rule that flagged it: "robust_z", "negative_stock"…
	Score    float64 // 0..1: how anomalous
	Observed float64 // the value as recorded
	Expected float64 // what the detector expected; NaN when it has no opinion
	Detail   string  // a short human reason: "count 12 vs ledger 40"
	// Refresh marks numbers that are facts of the ledger (a rule's, not a
	// model's): found again with other numbers (a late sale moved the
	// ledger under a count), an open anomaly takes them and a new version.
	Refresh bool

	State       AnomalyState
	Replacement float64 // the corrected value when State is corrected; NaN otherwise
	Note        string  // why the last action was taken, as the person typed it

	Version   int64     // optimistic-concurrency version, set by the store
	CreatedAt time.Time // when it was found
	By        string    // who took the last action; empty while untouched
	At        time.Time // when the last action was taken
}

// Subject names what an anomaly is about: "SKU @ LOC/channel", or the
// file a file rule flagged.
func (a Anomaly) Subject() string {
	if a.SKU == "" {
		return filepath.Base(a.File)
	}
	s := a.SKU
	if a.Location != "" {
		s += " @ " + a.Location
	}
	if a.Channel != "" {
		s += "/" + a.Channel
	}
	return s
}

// Validate checks an anomaly's fields.
func (a Anomaly) Validate() error {
	if a.SKU != "" || a.File == "" {
		if err := ValidCode("sku", a.SKU); err != nil {
			return err
		}
	}
	if a.Location != "" {
		if err := ValidCode("location", a.Location); err != nil {
			return err
		}
	}
	if a.Date == NoDate {
		return fieldErr("date", "is missing")
	}
	if strings.TrimSpace(a.Detector) == "" {
		return fieldErr("detector", "is empty")
	}
	if math.IsNaN(a.Score) || a.Score < 0 || a.Score > 1 {
		return fieldErr("score", "must be within 0..1, got %g", a.Score)
	}
	if math.IsNaN(a.Observed) || math.IsInf(a.Observed, 0) {
		return fieldErr("observed", "is not a finite number")
	}
	if _, ok := ParseAnomalyState(string(a.State)); !ok {
		return fieldErr("state", "unknown state %q", a.State)
	}
	corrected := a.State == AnomalyCorrected
	if corrected && (math.IsNaN(a.Replacement) || math.IsInf(a.Replacement, 0)) {
		return fieldErr("replacement", "a corrected anomaly needs a finite replacement value")
	}
	if !corrected && !math.IsNaN(a.Replacement) {
		return fieldErr("replacement", "only a corrected anomaly has one, state is %s", a.State)
	}
	return nil
}

// ActionRequest is one person's action on an anomaly, stating the version
// they saw.
type ActionRequest struct {
	Action  AnomalyAction
	Version int64     // the version the person saw; must match
	User    string    // who
	At      time.Time // when
	Value   float64   // the replacement, for ActCorrect
	Note    string
}

// Apply returns the anomaly after the action, or an error wrapping
// ErrAnomalyStale or ErrAnomalyTransition, or a *FieldError for a bad
// request. The receiver is not changed. The version goes up by one; a
// store writes the result with `WHERE id = ? AND version = ?` so that the
// check and the change are one step.
func (a Anomaly) Apply(r ActionRequest) (Anomaly, error) {
	if r.Version != a.Version {
		return a, fmt.Errorf("anomaly %d: saw version %d, now %d: %w", a.ID, r.Version, a.Version, ErrAnomalyStale)
	}
	if _, ok := ParseAnomalyAction(string(r.Action)); !ok {
		return a, fieldErr("action", "unknown action %q", r.Action)
	}
	if strings.TrimSpace(r.User) == "" {
		return a, fieldErr("user", "is empty: every action names who took it")
	}
	if r.At.IsZero() {
		return a, fieldErr("at", "is missing")
	}
	if !CanApply(a.State, r.Action) {
		return a, fmt.Errorf("anomaly %d: cannot %s when %s: %w", a.ID, r.Action, a.State, ErrAnomalyTransition)
	}
	out := a
	out.State = r.Action.Target()
	out.Replacement = math.NaN()
	if r.Action == ActCorrect {
		if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
			return a, fieldErr("value", "a correction needs a finite replacement value")
		}
		out.Replacement = r.Value
	}
	out.Note = r.Note
	out.By = r.User
	out.At = r.At
	out.Version = a.Version + 1
	return out, nil
}

// TrainingValue says what forecasting (training and backtests) must see for
// the point: the observed value, the replacement once corrected, nothing
// (ok false) once excluded. Open, dismissed and confirmed anomalies leave
// the data as recorded: only a person's correction or exclusion changes
// what a model learns from.
func (a Anomaly) TrainingValue() (v float64, ok bool) {
	switch a.State {
	case AnomalyCorrected:
		return a.Replacement, true
	case AnomalyExcluded:
		return 0, false
	}
	return a.Observed, true
}

// CleanSeries applies the corrections and exclusions among anomalies to a
// daily series that starts on day start: values are replaced, excluded
// days get keep[i] = false (and their value is left as recorded). Anomalies
// outside the series' days, or of other states, change nothing. The caller
// passes the anomalies of this one series (same sku, location, channel).
// The input slice is not modified.
func CleanSeries(start Date, values []float64, anomalies []Anomaly) (out []float64, keep []bool) {
	out = append([]float64(nil), values...)
	keep = make([]bool, len(values))
	for i := range keep {
		keep[i] = true
	}
	for _, a := range anomalies {
		i := int(a.Date - start)
		if a.Date == NoDate || i < 0 || i >= len(values) {
			continue
		}
		v, ok := a.TrainingValue()
		switch {
		case !ok:
			keep[i] = false
		case a.State == AnomalyCorrected:
			out[i] = v
		}
	}
	return out, keep
}
