package model

import (
	"math"
	"strings"
)

// Item is one stock-keeping unit of the catalogue.
type Item struct {
	SKU      string
	Name     string
	Category string
	UOM      string  // unit of measure, "ea" when not given
	UnitCost float64 // what one unit costs to buy
	Price    float64 // the usual selling price of one unit
	Supplier string  // supplier code
	PackSize int64   // orders are rounded up to whole packs; 1 when not given
	MOQ      int64   // minimum order quantity in units; 0 when none
	// Delisted is the first day the item is no longer reordered (the
	// catalogue's end of life; what is left may still sell); NoDate while
	// it is listed.
	Delisted Date
	Version  int64 // optimistic-concurrency version, set by the store
}

// DelistedBy reports whether the item is delisted on day d.
func (it Item) DelistedBy(d Date) bool { return it.Delisted != NoDate && it.Delisted <= d }

// Validate checks an item's fields.
func (it Item) Validate() error {
	if err := ValidCode("sku", it.SKU); err != nil {
		return err
	}
	if strings.TrimSpace(it.Name) == "" {
		return fieldErr("name", "is empty")
	}
	if err := nonNegative("unit_cost", it.UnitCost); err != nil {
		return err
	}
	if err := nonNegative("price", it.Price); err != nil {
		return err
	}
	if it.PackSize < 1 {
		return fieldErr("pack_size", "must be at least 1, got %d", it.PackSize)
	}
	if it.MOQ < 0 {
		return fieldErr("moq", "must not be negative, got %d", it.MOQ)
	}
	if err := withinMaxQty("pack_size", it.PackSize); err != nil {
		return err
	}
	return withinMaxQty("moq", it.MOQ)
}

// LocationKind says what a location is for.
type LocationKind string

// The location kinds.
const (
	Warehouse LocationKind = "warehouse"
	Store     LocationKind = "store"
	Depot     LocationKind = "depot"
)

// ParseLocationKind reads a location kind, case-insensitively. The words
// stock lists use for the same places read as their kind: a DC or
// distribution centre is a warehouse, a shop a store.
func ParseLocationKind(s string) (LocationKind, bool) {
	switch k := LocationKind(strings.ToLower(strings.TrimSpace(s))); k {
	case Warehouse, Store, Depot:
		return k, true
	case "dc", "distribution centre", "distribution center", "fulfilment centre", "fulfillment center":
		return Warehouse, true
	case "shop":
		return Store, true
	}
	return "", false
}

// Location is a place that holds stock: a warehouse, a store or a depot.
type Location struct {
	Code string
	Name string
	Kind LocationKind
	Lat  float64 // degrees; NaN when unknown
	Lon  float64
}

// Validate checks a location's fields.
func (l Location) Validate() error {
	if err := ValidCode("code", l.Code); err != nil {
		return err
	}
	if _, ok := ParseLocationKind(string(l.Kind)); !ok {
		return fieldErr("kind", "must be warehouse, store or depot, got %q", l.Kind)
	}
	if !math.IsNaN(l.Lat) && (l.Lat < -90 || l.Lat > 90) {
		return fieldErr("lat", "must be within -90..90, got %g", l.Lat)
	}
	if !math.IsNaN(l.Lon) && (l.Lon < -180 || l.Lon > 180) {
		return fieldErr("lon", "must be within -180..180, got %g", l.Lon)
	}
	return nil
}

// HasCoords reports whether the location's position is known.
func (l Location) HasCoords() bool { return !math.IsNaN(l.Lat) && !math.IsNaN(l.Lon) }

// Supplier delivers purchase orders after a lead time that varies.
type Supplier struct {
	Code          string
	Name          string
	LeadTimeDays  float64 // mean lead time
	LeadTimeSDays float64 // standard deviation of the lead time
	MOQ           int64   // minimum order quantity per line, in units
}

// Validate checks a supplier's fields.
func (s Supplier) Validate() error {
	if err := ValidCode("code", s.Code); err != nil {
		return err
	}
	if err := nonNegative("lead_time_days", s.LeadTimeDays); err != nil {
		return err
	}
	if err := nonNegative("lead_time_sd_days", s.LeadTimeSDays); err != nil {
		return err
	}
	if s.MOQ < 0 {
		return fieldErr("moq", "must not be negative, got %d", s.MOQ)
	}
	return nil
}

// DefaultChannel is the channel of a sale whose file names none.
const DefaultChannel = "default"

// ValidCode checks an identifier (sku, location code, channel…): not empty,
// at most 64 bytes, no control characters and no surrounding blanks.
func ValidCode(field, s string) error {
	if s == "" {
		return fieldErr(field, "is empty")
	}
	if len(s) > 64 {
		return fieldErr(field, "is longer than 64 characters")
	}
	if strings.TrimSpace(s) != s {
		return fieldErr(field, "has leading or trailing blanks")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return fieldErr(field, "contains a control or invalid character")
		}
	}
	return nil
}

func nonNegative(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fieldErr(field, "is not a finite number")
	}
	if v < 0 {
		return fieldErr(field, "must not be negative, got %g", v)
	}
	return nil
}
