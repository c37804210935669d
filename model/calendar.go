package model

import (
	"math"
	"path"
	"strings"
)

// EventKind groups calendar events. Any text is accepted; these are the ones
// the demo data and the forecasting features know by name.
const (
	EventHoliday   = "holiday"
	EventSale      = "sale"     // shopping events: Black Friday, 11.11, 618…
	EventSporting  = "sporting" // matches the M5 event kinds
	EventCultural  = "cultural"
	EventReligious = "religious"
	EventNational  = "national"
)

// Event is a dated occasion that moves demand: a holiday, a shopping event,
// a benefit payment day. AppliesTo is empty for all series, or a glob
// (path.Match syntax) on the sku or series id.
type Event struct {
	Date      Date
	Name      string
	Kind      string
	AppliesTo string
}

// Validate checks an event's fields.
func (e Event) Validate() error {
	if e.Date == NoDate {
		return fieldErr("date", "is missing")
	}
	if strings.TrimSpace(e.Name) == "" {
		return fieldErr("name", "is empty")
	}
	if e.AppliesTo != "" {
		if _, err := path.Match(e.AppliesTo, ""); err != nil {
			return fieldErr("applies_to", "bad glob %q", e.AppliesTo)
		}
	}
	return nil
}

// Applies reports whether the event applies to a series or sku id.
func (e Event) Applies(id string) bool {
	if e.AppliesTo == "" || e.AppliesTo == "*" {
		return true
	}
	ok, _ := path.Match(e.AppliesTo, id)
	return ok
}

// Promotion is a price cut on an item at a location and channel over a span
// of days (both ends included). Empty location or channel means all.
type Promotion struct {
	SKU         string
	Location    string
	Channel     string
	Start, End  Date
	DiscountPct float64 // 0–100
}

// Validate checks a promotion's fields.
func (p Promotion) Validate() error {
	if err := ValidCode("sku", p.SKU); err != nil {
		return err
	}
	if p.Start == NoDate {
		return fieldErr("start", "is missing")
	}
	if p.End == NoDate {
		return fieldErr("end", "is missing")
	}
	if p.End < p.Start {
		return fieldErr("end", "%s is before start %s", p.End, p.Start)
	}
	if math.IsNaN(p.DiscountPct) || p.DiscountPct < 0 || p.DiscountPct >= 100 {
		return fieldErr("discount_pct", "must be within 0..100, got %g", p.DiscountPct)
	}
	return nil
}

// Covers reports whether the promotion runs on day d for the location and
// channel given.
func (p Promotion) Covers(d Date, location, channel string) bool {
	return d >= p.Start && d <= p.End &&
		(p.Location == "" || p.Location == location) &&
		(p.Channel == "" || p.Channel == channel)
}
