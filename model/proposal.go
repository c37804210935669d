package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ProposalState is where a reorder proposal stands.
type ProposalState string

// The proposal states. A recompute creates a proposal as proposed (or
// updates the one open proposal of its item×location); a person approves,
// rejects, snoozes it or edits its quantity. Approval makes a purchase
// order line; sending the order makes it ordered, and receipts carrying
// the order's reference make it partly or fully received. A recompute that
// finds no more need withdraws an open proposal.
const (
	ProposalProposed       ProposalState = "proposed"
	ProposalSnoozed        ProposalState = "snoozed"
	ProposalApproved       ProposalState = "approved"
	ProposalOrdered        ProposalState = "ordered"
	ProposalPartlyReceived ProposalState = "partly_received"
	ProposalReceived       ProposalState = "received"
	ProposalRejected       ProposalState = "rejected"
	ProposalWithdrawn      ProposalState = "withdrawn"
)

// ProposalStates lists every state, in lifecycle order.
var ProposalStates = []ProposalState{ProposalProposed, ProposalSnoozed, ProposalApproved, ProposalOrdered,
	ProposalPartlyReceived, ProposalReceived, ProposalRejected, ProposalWithdrawn}

// ParseProposalState reads a state name, case-insensitively ("partly
// received" and "partly-received" are accepted too).
func ParseProposalState(s string) (ProposalState, bool) {
	st := ProposalState(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s))))
	for _, x := range ProposalStates {
		if st == x {
			return x, true
		}
	}
	return "", false
}

// Open reports whether a proposal in this state still waits for a person:
// proposed or snoozed. An item×location has at most one open proposal.
func (s ProposalState) Open() bool { return s == ProposalProposed || s == ProposalSnoozed }

// ProposalKind says how a proposal fills the need: buy from the supplier
// or move stock from another location.
type ProposalKind string

// The proposal kinds.
const (
	ProposalPurchase ProposalKind = "purchase"
	ProposalTransfer ProposalKind = "transfer"
)

// ProposalAction is what a person does to a proposal.
type ProposalAction string

// The actions people take on proposals.
const (
	ActApprove ProposalAction = "approve"
	ActReject  ProposalAction = "reject"
	ActSnooze  ProposalAction = "snooze"
	ActEdit    ProposalAction = "edit" // change the quantity before approval
)

// ProposalActions lists every action, in a stable order.
var ProposalActions = []ProposalAction{ActApprove, ActReject, ActSnooze, ActEdit}

// Allows reports whether a person may take action a on a proposal in state
// s. Every action needs an open proposal (proposed or snoozed): once it is
// approved, rejected or withdrawn it is history, so two people pressing
// the same key never make two orders.
func (s ProposalState) Allows(a ProposalAction) bool {
	switch a {
	case ActApprove, ActReject, ActSnooze, ActEdit:
		return s.Open()
	}
	return false
}

// Target is the state an action leads to from an open proposal.
func (a ProposalAction) Target(from ProposalState) ProposalState {
	switch a {
	case ActApprove:
		return ProposalApproved
	case ActReject:
		return ProposalRejected
	case ActSnooze:
		return ProposalSnoozed
	case ActEdit:
		return from
	}
	return ""
}

// Sentinel errors of proposal actions.
var (
	// ErrProposalStale: the proposal changed (a recompute or another
	// person) after the version the action was based on.
	ErrProposalStale = errors.New("changed since it was read")
	// ErrProposalTransition: the proposal is no longer open (already
	// approved, rejected or withdrawn).
	ErrProposalTransition = errors.New("already acted on")
)

// Proposal is one reorder proposal for an item at a location: what to
// order (or transfer), how much, and the numbers that led to it.
type Proposal struct {
	ID           int64
	SKU          string
	Name         string // the item's name, for display
	Location     string
	Kind         ProposalKind
	From         string // source location of a transfer; empty for a purchase
	Supplier     string // supplier code of a purchase
	Qty          int64  // the quantity to order: the policy's, or a person's edit
	SuggestedQty int64  // the policy's quantity at the last recompute
	Edited       bool   // a person changed Qty; recomputes then leave it alone
	UnitCost     float64
	State        ProposalState
	Version      int64   // optimistic-concurrency version, set by the store
	Urgency      float64 // days of slack before a stockout that an order now can still prevent; lower is more urgent
	SnoozeUntil  Date    // NoDate unless snoozed
	AsOf         Date    // the data day the numbers were computed for
	Reasons      Reasons
	CreatedAt    time.Time
	UpdatedAt    time.Time
	By           string    // who took the last action; empty while untouched
	At           time.Time // when
	Note         string    // why (a rejection's reason)
	PO           string    // the purchase order the approval made, e.g. PO-000012; empty before
}

// Value is what the proposal costs: quantity × unit cost.
func (p Proposal) Value() float64 { return float64(p.Qty) * p.UnitCost }

// Reasons are the numbers behind a proposal, so a planner can see why it
// says "order 240".
type Reasons struct {
	Model        string      `json:"model"`          // forecast model that made the demand forecast
	ForecastMAE  float64     `json:"forecast_mae"`   // its backtest mean absolute error, units a day
	ForecastMASE float64     `json:"forecast_mase"`  // its backtest MASE (1 = as good as naive)
	ForecastWAPE float64     `json:"forecast_wape"`  // its backtest weighted absolute percentage error
	BacktestDays int         `json:"backtest_days"`  // days the backtest scored (0: none, e.g. out of stock throughout)
	DailyMean    float64     `json:"daily_mean"`     // mean forecast demand a day over the next 28 days
	HorizonDays  float64     `json:"horizon_days"`   // lead time + review period, mean days
	HorizonMean  float64     `json:"horizon_demand"` // mean demand over lead time + review period
	HorizonSD    float64     `json:"horizon_demand_sd"`
	LeadTimeDays float64     `json:"lead_time_days"` // mean lead time used
	LeadTimeSD   float64     `json:"lead_time_sd_days"`
	ReviewDays   int         `json:"review_days"`
	Class        string      `json:"class"`                   // ABC class by revenue
	Service      float64     `json:"service"`                 // target, e.g. 0.95
	ServiceKind  string      `json:"service_kind"`            // fill_rate or cycle
	OnHand       int64       `json:"on_hand"`                 // stock now
	OnOrder      int64       `json:"on_order"`                // open purchase orders and inbound transfers not yet received
	Committed    int64       `json:"committed"`               // approved outbound transfers not yet shipped
	Position     int64       `json:"position"`                // on hand + on order − committed
	SafetyStock  float64     `json:"safety_stock"`            // reorder point − mean demand over lead time + review
	ReorderPoint int64       `json:"reorder_point"`           // order when the position falls below this
	OrderUpTo    int64       `json:"order_up_to"`             // an order brings the position up to at least this
	EOQ          float64     `json:"eoq,omitempty"`           // economic order quantity, when costs are known
	RawQty       int64       `json:"raw_qty"`                 // order-up-to − position, before rounding
	Rounding     string      `json:"rounding"`                // what rounding did: "pack 12: 37→48; MOQ 50: 48→50"
	PackSize     int64       `json:"pack_size,omitempty"`     // the purchase rounds to whole packs of this many (when over 1)
	MOQ          int64       `json:"moq,omitempty"`           // the least a purchase may be (when set)
	CoverBefore  float64     `json:"cover_days"`              // days the position lasts at forecast demand
	CoverAfter   float64     `json:"cover_days_after"`        // … after this order
	StockoutDate string      `json:"stockout_date"`           // projected first day out of stock if nothing is done; "" when not within a year
	Transfer     string      `json:"transfer,omitempty"`      // why a transfer: "DC2 holds 80 over its order-up-to level"
	Budget       string      `json:"budget,omitempty"`        // what the supplier budget did
	NotSold      int         `json:"not_sold_days,omitempty"` // days since the last sale here, when over model.DeadDays: out of stock that long, it may be delisted
	Alerts       []AlertKind `json:"alerts,omitempty"`
}

// MarshalJSON writes the forecast's accuracy as null when there was no
// backtest to measure it (or it is not a number): 0 would read as a
// perfect forecast. Reading null back leaves 0, as stored before.
func (r Reasons) MarshalJSON() ([]byte, error) {
	type plain Reasons
	acc := func(v float64) *float64 {
		if r.BacktestDays <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		plain
		ForecastMAE  *float64 `json:"forecast_mae"`
		ForecastMASE *float64 `json:"forecast_mase"`
		ForecastWAPE *float64 `json:"forecast_wape"`
	}{plain(r), acc(r.ForecastMAE), acc(r.ForecastMASE), acc(r.ForecastWAPE)})
}

// NotSoldText warns that the item×location has not sold for a long time
// (NotSold days), so it may no longer be sold here; "" when it has sold
// recently.
func (r Reasons) NotSoldText() string {
	if r.NotSold <= 0 {
		return ""
	}
	return fmt.Sprintf("no sale here for %d days: check it is still sold before ordering (reject it if it is delisted)", r.NotSold)
}

// CoverAfter is the days the position lasts at forecast demand after this
// order at its quantity now. Reasons.CoverAfter is for the suggested
// quantity; an edit moves it.
func (p Proposal) CoverAfter() float64 {
	r := p.Reasons
	if p.Qty == p.SuggestedQty || r.DailyMean <= 0 {
		return r.CoverAfter
	}
	return max(0, float64(r.Position+p.Qty)) / r.DailyMean
}

// QtyWarning says what is odd about buying qty: not a whole number of
// packs, or under the minimum order; "" when nothing is. Transfers move
// units and have neither.
func (p Proposal) QtyWarning(qty int64) string {
	if p.Kind == ProposalTransfer {
		return ""
	}
	var w []string
	if pack := p.Reasons.PackSize; pack > 1 && qty%pack != 0 {
		w = append(w, fmt.Sprintf("not a whole number of packs of %d (%d or %d would be)", pack, qty/pack*pack, (qty/pack+1)*pack))
	}
	if moq := p.Reasons.MOQ; moq > 0 && qty < moq {
		w = append(w, fmt.Sprintf("under the minimum order of %d", moq))
	}
	return strings.Join(w, "; ")
}

// OutNow reports whether the location had nothing free on hand when the
// proposal was made: it is out already, not about to run out.
func (r Reasons) OutNow() bool { return r.OnHand-r.Committed <= 0 }

// Summary is a one-line reason for a status line or a list.
func (r Reasons) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "position %d < reorder point %d (safety %.0f, %.0f%% %s, %s)", r.Position, r.ReorderPoint,
		r.SafetyStock, r.Service*100, strings.ReplaceAll(r.ServiceKind, "_", " "), r.Model)
	if r.StockoutDate != "" {
		fmt.Fprintf(&b, "; out on %s", r.StockoutDate)
	}
	if r.NotSold > 0 {
		fmt.Fprintf(&b, "; no sale for %d days: still sold here?", r.NotSold)
	}
	return b.String()
}

// ProposalRequest is one person's action on a proposal, stating the
// version they saw.
type ProposalRequest struct {
	Action  ProposalAction
	Version int64     // the version the person saw; 0 accepts whatever is current (the CLI without --version)
	User    string    // who: a local user or an SSH identity
	At      time.Time // when
	Qty     int64     // the new quantity for ActEdit; for ActApprove, 0 keeps the proposal's
	Until   Date      // for ActSnooze: the proposal comes back on this day
	Note    string    // a rejection's reason, or any remark
}

// Validate checks a request's own fields.
func (r ProposalRequest) Validate() error {
	if strings.TrimSpace(r.User) == "" {
		return fieldErr("user", "is empty: say who acts")
	}
	switch r.Action {
	case ActApprove:
		if r.Qty < 0 {
			return fieldErr("qty", "must not be negative, got %d", r.Qty)
		}
		if err := withinMaxQty("qty", r.Qty); err != nil {
			return err
		}
	case ActEdit:
		if r.Qty <= 0 {
			return fieldErr("qty", "must be positive, got %d (reject the proposal instead)", r.Qty)
		}
		if err := withinMaxQty("qty", r.Qty); err != nil {
			return err
		}
	case ActSnooze:
		if r.Until == NoDate {
			return fieldErr("until", "is missing")
		}
	case ActReject:
	default:
		return fieldErr("action", "unknown action %q", r.Action)
	}
	return nil
}

// Apply returns the proposal after the action, or an error wrapping
// ErrProposalStale or ErrProposalTransition, or a *FieldError for a bad
// request. The receiver is not changed. The version goes up by one; the
// store writes the change with `WHERE id = ? AND state IN (open) AND
// version = ?`, so the check and the change are one step.
func (p Proposal) Apply(r ProposalRequest) (Proposal, error) {
	if err := r.Validate(); err != nil {
		return p, err
	}
	if !p.State.Allows(r.Action) {
		return p, fmt.Errorf("proposal %d is %s%s: %w", p.ID, p.State, byWhom(p.By, p.At), ErrProposalTransition)
	}
	if r.Version != 0 && r.Version != p.Version {
		return p, fmt.Errorf("proposal %d changed since you saw it (version %d, now %d): %w", p.ID, r.Version, p.Version, ErrProposalStale)
	}
	if r.Action == ActSnooze && p.AsOf != NoDate && r.Until <= p.AsOf {
		return p, fieldErr("until", "must be after %s, got %s", p.AsOf, r.Until)
	}
	n := p
	n.State = r.Action.Target(p.State)
	n.Version++
	n.By, n.At = r.User, r.At
	n.UpdatedAt = r.At
	switch r.Action {
	case ActApprove:
		if r.Qty > 0 {
			n.Qty = r.Qty
			n.Edited = n.Edited || r.Qty != p.Qty
		}
		n.SnoozeUntil = NoDate
	case ActEdit:
		n.Qty, n.Edited = r.Qty, true
	case ActSnooze:
		n.SnoozeUntil = r.Until
	case ActReject:
		n.SnoozeUntil = NoDate
	}
	if r.Note != "" {
		n.Note = r.Note
	}
	return n, nil
}

func byWhom(by string, at time.Time) string {
	if by == "" {
		return ""
	}
	if at.IsZero() {
		return " (by " + by + ")"
	}
	return " (by " + by + " at " + at.Local().Format("2006-01-02 15:04:05") + ")"
}

// ProposalQuery selects proposals for a list or a screen.
type ProposalQuery struct {
	States   []ProposalState // empty: the open ones (proposed and snoozed)
	Text     []string        // each term matches sku, name or category fuzzily, as the stock filter's
	SKU      string
	Location string
	Supplier string
	IDs      []int64
	// After is the keyset cursor for the next page (the last row's
	// urgency and id); nil for the first page. Rows are ordered by
	// urgency, then id.
	After *ProposalCursor
	Limit int // 0: all
}

// ProposalCursor is a row's position in the queue's order: snoozed last,
// then by urgency and id.
type ProposalCursor struct {
	Snoozed bool
	Urgency float64
	ID      int64
}

// ProposalTotals sums a set of proposals, for a confirmation prompt.
type ProposalTotals struct {
	Count int
	Units int64
	Value float64
	// BySupplier is the value per supplier code (transfers under "").
	BySupplier map[string]float64
}

// POState is where a purchase order stands.
type POState string

// The purchase order states. Approved lines join their supplier's open
// order; sending it makes it ordered; receipts with its reference make it
// partly received and then received (closed).
const (
	POOpen           POState = "open"
	POOrdered        POState = "ordered"
	POPartlyReceived POState = "partly_received"
	POReceived       POState = "received"
)

// PurchaseOrder groups approved lines for one supplier (or, for a
// transfer order, one source location).
type PurchaseOrder struct {
	ID        int64
	Code      string       // the reference receipts must carry: PO-000012 or TR-000003
	Kind      ProposalKind // purchase or transfer
	Supplier  string       // supplier code; for a transfer order the source location
	State     POState
	Version   int64
	CreatedAt time.Time
	CreatedBy string
	SentAt    time.Time
	SentBy    string
	Lines     []POLine
}

// Value is the order's total cost.
func (po PurchaseOrder) Value() float64 {
	var v float64
	for _, l := range po.Lines {
		v += float64(l.Qty) * l.UnitCost
	}
	return v
}

// POLine is one line of a purchase order, made by approving one proposal.
type POLine struct {
	ID         int64
	ProposalID int64
	SKU        string
	Location   string // where the goods go
	From       string // source location of a transfer
	Qty        int64
	UnitCost   float64
	Received   int64 // units received at Location with the order's reference
	Shipped    int64 // transfers: units sent from From with the reference
}

// Open reports whether the line still waits for goods.
func (l POLine) Open() bool { return l.Received < l.Qty }

// AlertKind names a stock alert.
type AlertKind string

// The alerts a recompute raises per item×location.
const (
	AlertOutOfStock     AlertKind = "out_of_stock"             // nothing on hand now
	AlertBelowReorder   AlertKind = "below_reorder"            // position below the reorder point
	AlertBeforeDelivery AlertKind = "stockout_before_delivery" // projected to run out before an order placed now can arrive
	AlertOverstock      AlertKind = "overstock"                // cover above the overstock threshold
	AlertDeadStock      AlertKind = "dead_stock"               // stock, but no sale for the dead-stock days
)

// AlertKinds lists every alert, most urgent first.
var AlertKinds = []AlertKind{AlertOutOfStock, AlertBeforeDelivery, AlertBelowReorder, AlertOverstock, AlertDeadStock}

// ParseAlertKind reads an alert name.
func ParseAlertKind(s string) (AlertKind, bool) {
	k := AlertKind(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s))))
	for _, x := range AlertKinds {
		if k == x {
			return x, true
		}
	}
	return "", false
}

// Alert is one raised alert.
type Alert struct {
	SKU      string
	Location string
	Kind     AlertKind
	AsOf     Date
	Value    float64 // the number behind it: days of cover, days since the last sale, units short…
	Detail   string  // a short human line
}
