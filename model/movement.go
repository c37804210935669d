package model

import "fmt"

// MovementKind is why stock changed.
type MovementKind string

// The movement kinds. The sign of a movement's quantity is the change of
// stock, so a sale is negative and a receipt positive.
const (
	Receipt     MovementKind = "receipt"
	Sale        MovementKind = "sale"
	Return      MovementKind = "return"
	Adjustment  MovementKind = "adjustment"
	Count       MovementKind = "count" // the adjusting movement a stock count creates
	TransferOut MovementKind = "transfer_out"
	TransferIn  MovementKind = "transfer_in"
)

// MovementKinds lists every kind, in a stable order.
var MovementKinds = []MovementKind{Receipt, Sale, Return, Adjustment, Count, TransferOut, TransferIn}

// ParseMovementKind reads a kind name. "transfer-out" and "transfer out" are
// accepted as well as "transfer_out".
func ParseMovementKind(s string) (MovementKind, bool) {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c == '-' || c == ' ':
			b[i] = '_'
		}
	}
	k := MovementKind(b)
	for _, m := range MovementKinds {
		if k == m {
			return m, true
		}
	}
	return "", false
}

// Sign returns the sign a quantity of this kind must have: +1, -1, or 0 when
// either sign is allowed (adjustments and counts).
func (k MovementKind) Sign() int {
	switch k {
	case Receipt, Return, TransferIn:
		return 1
	case Sale, TransferOut:
		return -1
	}
	return 0
}

// Movement is one line of the stock ledger. Movements are never changed or
// deleted; a correction is a new reversing movement.
type Movement struct {
	ID       int64
	Date     Date
	SKU      string
	Location string
	Qty      int64 // change of stock on hand, signed
	Kind     MovementKind
	Ref      string // order id, PO number, transfer reference…
	Channel  string // sales channel for sales and returns; empty otherwise
	Source   Source
}

// Validate checks a movement's fields, including the sign its kind needs.
func (m Movement) Validate() error {
	if err := ValidCode("sku", m.SKU); err != nil {
		return err
	}
	if err := ValidCode("location", m.Location); err != nil {
		return err
	}
	if m.Date == NoDate {
		return fieldErr("date", "is missing")
	}
	if _, ok := ParseMovementKind(string(m.Kind)); !ok {
		return fieldErr("kind", "unknown movement kind %q", m.Kind)
	}
	if m.Qty == 0 && m.Kind != Count {
		return fieldErr("qty", "is zero")
	}
	if err := withinMaxQty("qty", m.Qty); err != nil {
		return err
	}
	switch s := m.Kind.Sign(); {
	case s > 0 && m.Qty < 0:
		return fieldErr("qty", "a %s must be positive, got %d", m.Kind, m.Qty)
	case s < 0 && m.Qty > 0:
		return fieldErr("qty", "a %s must be negative (it takes stock off), got %d", m.Kind, m.Qty)
	}
	return nil
}

// Source says where a ledger line came from: a file and line, or a person.
type Source struct {
	File string // path of the imported file, or empty
	Line int    // line in the file as an editor shows it (header = 1)
	User string // who did it, when it was done by hand
}

func (s Source) String() string {
	switch {
	case s.File != "":
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	case s.User != "":
		return "user " + s.User
	}
	return "unknown"
}

// StockLevel is what an item×location holds now.
type StockLevel struct {
	SKU      string
	Location string
	OnHand   int64
	OnOrder  int64 // open purchase-order quantity not yet received
	LastMove Date  // day of the latest movement
}

// DemandDay is one day of demand for an item×location×channel: units sold
// and whether the item was out of stock at the location that day. Zero sales
// on a stockout day are censored demand, not zero demand.
type DemandDay struct {
	SKU      string
	Location string
	Channel  string
	Date     Date
	Units    int64
	Stockout bool
}

// SaleLine is one line of a sales or orders export: units sold (positive).
type SaleLine struct {
	Date     Date
	OrderID  string
	SKU      string
	Location string
	Channel  string
	Qty      int64
	Price    float64 // unit price paid; NaN when not given
}

// Validate checks a sale's fields.
func (s SaleLine) Validate() error {
	if s.Date == NoDate {
		return fieldErr("date", "is missing")
	}
	if err := ValidCode("order_id", s.OrderID); err != nil {
		return err
	}
	if err := ValidCode("sku", s.SKU); err != nil {
		return err
	}
	if err := ValidCode("location", s.Location); err != nil {
		return err
	}
	if err := ValidCode("channel", s.Channel); err != nil {
		return err
	}
	if s.Qty < 0 {
		// Sales exports often carry returns as negative lines.
		return fieldErr("qty", "units sold must be positive, got %d (a return goes in a movements file, kind return)", s.Qty)
	}
	if s.Qty == 0 {
		return fieldErr("qty", "units sold must be positive, got 0")
	}
	if err := withinMaxQty("qty", s.Qty); err != nil {
		return err
	}
	if s.Price == s.Price && s.Price < 0 { // NaN means not given
		return fieldErr("price", "must not be negative, got %g", s.Price)
	}
	return nil
}

// StockCount is a counted snapshot of one item×location on a day.
type StockCount struct {
	Date       Date
	SKU        string
	Location   string
	CountedQty int64
}

// Validate checks a count's fields.
func (c StockCount) Validate() error {
	if c.Date == NoDate {
		return fieldErr("date", "is missing")
	}
	if err := ValidCode("sku", c.SKU); err != nil {
		return err
	}
	if err := ValidCode("location", c.Location); err != nil {
		return err
	}
	if c.CountedQty < 0 {
		return fieldErr("counted_qty", "must not be negative, got %d", c.CountedQty)
	}
	return withinMaxQty("counted_qty", c.CountedQty)
}

// MaxQty bounds any one quantity: a line, a count, an order. No stock
// moves a billion units at once, and the bound keeps every sum the ledger
// keeps far from overflowing (a quantity of 2⁶³−1 once wrapped a balance
// round to minus nine quintillion).
const MaxQty = 1_000_000_000

func withinMaxQty(field string, q int64) error {
	if q > MaxQty || q < -MaxQty {
		return fieldErr(field, "%d is beyond any stock (at most %s units a line)", q, Thousands(MaxQty))
	}
	return nil
}

// Status is a one-word verdict on an item×location's stock.
type Status string

// The statuses, most urgent first.
const (
	StatusOut  Status = "out"  // nothing on hand
	StatusLow  Status = "low"  // on hand covers less than LowCoverDays of demand
	StatusOK   Status = "ok"   //
	StatusOver Status = "over" // on hand covers more than OverCoverDays of demand
	StatusDead Status = "dead" // stock, but no sale for DeadDays
	StatusNew  Status = "new"  // stock first held within DeadDays, not sold yet
	StatusIdle Status = "idle" // no stock and no demand: nothing to do
)

// Status thresholds, in days.
const (
	LowCoverDays  = 7
	OverCoverDays = 180
	DeadDays      = 90
)

// NoCover is the days of cover of stock that nothing sells.
const NoCover = 1e9

// StockStatus classifies stock on hand against its recent daily demand.
// lastSale is NoDate when the item never sold there.
func StockStatus(onHand int64, coverDays float64, lastSale, firstDate, asOf Date) Status {
	switch {
	case onHand <= 0 && coverDays >= NoCover && (lastSale == NoDate || int(asOf-lastSale) > DeadDays):
		return StatusIdle
	case onHand <= 0:
		return StatusOut
	case lastSale == NoDate && firstDate != NoDate && int(asOf-firstDate) <= DeadDays:
		// A new listing has had no time to sell: not dead, and its
		// cover (nothing sells yet) says nothing.
		return StatusNew
	case lastSale == NoDate || int(asOf-lastSale) > DeadDays:
		return StatusDead
	case coverDays < LowCoverDays:
		return StatusLow
	case coverDays > OverCoverDays:
		return StatusOver
	}
	return StatusOK
}
