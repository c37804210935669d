package data

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"stockroom/model"
)

// fields reads typed values out of a record, keeping the first error with
// the name of the column it came from.
type fields struct {
	rec *record
	b   *binding
	err *rowError
}

func (f *fields) fail(ci int, reason string) {
	if f.err == nil {
		f.err = &rowError{Line: f.rec.line, Column: f.b.colName(ci), Reason: reason}
	}
}

func (f *fields) failErr(err error) {
	if f.err != nil || err == nil {
		return
	}
	var fe *model.FieldError
	if errors.As(err, &fe) {
		col := fe.Field
		if ci := f.b.spec.resolve(fe.Field); ci >= 0 {
			col = f.b.colName(ci)
		}
		f.err = &rowError{Line: f.rec.line, Column: col, Reason: fe.Reason}
		return
	}
	f.err = &rowError{Line: f.rec.line, Reason: err.Error()}
}

func (f *fields) str(ci int) string { return f.rec.vals[ci] }

func (f *fields) has(ci int) bool { return f.rec.vals[ci] != "" }

// int reads a whole number; "12.0" is accepted, "12.5" is not. def is used
// when the cell is empty and the column optional.
func (f *fields) int(ci int, def int64) int64 {
	s := f.rec.vals[ci]
	if s == "" {
		if f.b.spec.cols[ci].required {
			f.fail(ci, "is empty")
		}
		return def
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	// In a semicolon file "1,234" reads 1.234, which no whole number is:
	// a count there groups thousands as anywhere else.
	if f.rec.delim == ';' {
		if t, ok := plainNumber(s, false); ok {
			if v, err := strconv.ParseFloat(t, 64); err == nil && v == math.Trunc(v) && math.Abs(v) <= 1<<53 {
				return int64(v)
			}
		}
	}
	v, ok := f.number(ci, s)
	if !ok {
		return def
	}
	if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
		f.fail(ci, "not a whole number: "+quoteShort(s))
		return def
	}
	return int64(v)
}

func (f *fields) float(ci int, def float64) float64 {
	s := f.rec.vals[ci]
	if s == "" {
		if f.b.spec.cols[ci].required {
			f.fail(ci, "is empty")
		}
		return def
	}
	v, ok := f.number(ci, strings.TrimSuffix(noCurrency(s), "%"))
	if !ok {
		return def
	}
	return v
}

// noCurrency drops a currency sign written with an amount, as a
// spreadsheet's formatted cell exports it: £5.99, $5.99, 5,99 €.
func noCurrency(s string) string {
	for _, sign := range []string{"£", "$", "€"} {
		if t, ok := strings.CutPrefix(s, sign); ok {
			return strings.TrimSpace(t)
		}
		if t, ok := strings.CutSuffix(s, sign); ok {
			return strings.TrimSpace(t)
		}
	}
	return s
}

// number reads a decimal as people's spreadsheets write it. In a
// semicolon-delimited file the comma is the decimal mark (Excel writes
// semicolons exactly where the comma is taken), so "2,50" is 2.5 and
// "1.234,50" is 1234.5. Anywhere else a comma only groups thousands, and
// only in threes: "1,5" is rejected rather than read as 15.
func (f *fields) number(ci int, s string) (float64, bool) {
	t, ok := plainNumber(s, f.rec.delim == ';')
	if !ok {
		reason := "not a number: " + quoteShort(s)
		if f.rec.delim != ';' && strings.Contains(s, ",") {
			reason += " (a comma here groups thousands; write decimals with a point)"
		}
		f.fail(ci, reason)
		return 0, false
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		f.fail(ci, "not a number: "+quoteShort(s))
		return 0, false
	}
	return v, true
}

// plainNumber rewrites s with its digit grouping taken out and a point
// for the decimal mark. It says false when the grouping is not in threes.
func plainNumber(s string, decimalComma bool) (string, bool) {
	group, mark := ",", "."
	if decimalComma {
		group, mark = ".", ","
		if !strings.Contains(s, ",") {
			// No comma at all: a point is a decimal point, as in the
			// many semicolon exports that write 2.50.
			return s, true
		}
	}
	whole, frac, hasMark := strings.Cut(s, mark)
	if hasMark && strings.Contains(frac, group) {
		return "", false
	}
	if strings.Contains(whole, group) {
		digits := strings.TrimLeft(whole, "+-")
		parts := strings.Split(digits, group)
		if len(parts[0]) == 0 || len(parts[0]) > 3 {
			return "", false
		}
		for _, p := range parts[1:] {
			if len(p) != 3 {
				return "", false
			}
		}
		whole = whole[:len(whole)-len(digits)] + strings.Join(parts, "")
	}
	if hasMark {
		return whole + "." + frac, true
	}
	return whole, true
}

func (f *fields) date(ci int) model.Date {
	s := f.rec.vals[ci]
	if s == "" {
		if f.b.spec.cols[ci].required {
			f.fail(ci, "is empty")
		}
		return model.NoDate
	}
	d := f.b.lastDateVal
	if s != f.b.lastDate {
		var err error
		if d, err = model.ParseDate(s); err != nil && f.rec.serialDates {
			d, err = serialDate(s)
		}
		if err != nil {
			reason := "not a date (want YYYY-MM-DD): " + quoteShort(s)
			if dayOrMonthFirst.MatchString(s) {
				reason += ": day-first and month-first dates read alike; export dates as YYYY-MM-DD"
			}
			f.fail(ci, reason)
			return model.NoDate
		}
		f.b.lastDate, f.b.lastDateVal = s, d
	}
	if f.b.today != 0 && d > f.b.today.AddDays(futureDays) {
		f.fail(ci, fmt.Sprintf("%s is more than a year ahead (today is %s): a mistyped year?", d, f.b.today))
		return model.NoDate
	}
	return d
}

// dayOrMonthFirst is 26/11/2026 or 11-26-26: a spreadsheet's local date,
// which stockroom does not guess at (03/04 is April in London and March
// in New York).
var dayOrMonthFirst = regexp.MustCompile(`^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b`)

func (f *fields) bool(ci int) bool {
	switch strings.ToLower(f.rec.vals[ci]) {
	case "", "0", "false", "no", "n", "f":
		return false
	case "1", "true", "yes", "y", "t":
		return true
	}
	f.fail(ci, "not a yes/no value: "+quoteShort(f.rec.vals[ci]))
	return false
}

func quoteShort(s string) string { return strconv.Quote(truncate(s, 40)) }

// Column positions per kind, in the order of kindSpecs.
const (
	locCode, locName, locKind, locLat, locLon = 0, 1, 2, 3, 4
)
const (
	supCode, supName, supLead, supLeadSD, supMOQ = 0, 1, 2, 3, 4
)
const (
	itSKU, itName, itCategory, itUOM, itCost, itPrice, itSupplier, itPack, itMOQ, itDelisted = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
)
const (
	evDate, evName, evKind, evApplies = 0, 1, 2, 3
)
const (
	prSKU, prLoc, prChannel, prStart, prEnd, prDiscount = 0, 1, 2, 3, 4, 5
)
const (
	ndID, ndLat, ndLon = 0, 1, 2
)
const (
	rdFrom, rdTo, rdLength, rdSpeed, rdOneway = 0, 1, 2, 3, 4
)
const (
	vhID, vhDepot, vhCapacity, vhStart, vhEnd, vhMaxDur = 0, 1, 2, 3, 4, 5
)
const (
	mvDate, mvSKU, mvLoc, mvQty, mvKind, mvRef = 0, 1, 2, 3, 4, 5
)
const (
	slDate, slOrder, slSKU, slLoc, slChannel, slQty, slPrice = 0, 1, 2, 3, 4, 5, 6
)
const (
	ctDate, ctSKU, ctLoc, ctCounted = 0, 1, 2, 3
)
const (
	dlID, dlDate, dlDepot, dlCustomer, dlLat, dlLon, dlDemand, dlService, dlReady, dlDue = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
)

// convert turns a record into the model value for its kind, validated. It
// touches no store, so it runs on the reading goroutine.
func convert(k Kind, rec *record, b *binding) (any, *rowError) {
	f := &fields{rec: rec, b: b}
	var v any
	var verr error
	switch k {
	case KindLocations:
		l := model.Location{Code: f.str(locCode), Name: f.str(locName), Lat: math.NaN(), Lon: math.NaN()}
		l.Kind = model.Warehouse
		if f.has(locKind) {
			kind, ok := model.ParseLocationKind(f.str(locKind))
			if !ok {
				f.fail(locKind, "must be warehouse, store or depot: "+quoteShort(f.str(locKind)))
			}
			l.Kind = kind
		}
		if f.has(locLat) || f.has(locLon) {
			l.Lat, l.Lon = f.float(locLat, math.NaN()), f.float(locLon, math.NaN())
		}
		v, verr = l, l.Validate()
	case KindSuppliers:
		s := model.Supplier{Code: f.str(supCode), Name: f.str(supName), LeadTimeDays: f.float(supLead, 0),
			LeadTimeSDays: f.float(supLeadSD, 0), MOQ: f.int(supMOQ, 0)}
		v, verr = s, s.Validate()
	case KindItems:
		it := model.Item{SKU: f.str(itSKU), Name: f.str(itName), Category: f.str(itCategory), UOM: f.str(itUOM),
			UnitCost: f.float(itCost, 0), Price: f.float(itPrice, 0), Supplier: f.str(itSupplier),
			PackSize: f.int(itPack, 1), MOQ: f.int(itMOQ, 0), Delisted: f.date(itDelisted)}
		if it.UOM == "" {
			it.UOM = "ea"
		}
		v, verr = it, it.Validate()
	case KindEvents:
		e := model.Event{Date: f.date(evDate), Name: f.str(evName), Kind: strings.ToLower(f.str(evKind)), AppliesTo: f.str(evApplies)}
		v, verr = e, e.Validate()
	case KindPromotions:
		p := model.Promotion{SKU: f.str(prSKU), Location: f.str(prLoc), Channel: f.str(prChannel),
			Start: f.date(prStart), End: f.date(prEnd), DiscountPct: f.float(prDiscount, 0)}
		v, verr = p, p.Validate()
	case KindNodes:
		n := model.RoadNode{ID: f.int(ndID, 0), Lat: f.float(ndLat, 0), Lon: f.float(ndLon, 0)}
		v, verr = n, n.Validate()
	case KindRoads:
		e := model.RoadEdge{From: f.int(rdFrom, 0), To: f.int(rdTo, 0), LengthM: f.float(rdLength, 0),
			SpeedKmh: f.float(rdSpeed, 50), OneWay: f.bool(rdOneway)}
		v, verr = e, e.Validate()
	case KindVehicles:
		vh := model.Vehicle{ID: f.str(vhID), Depot: f.str(vhDepot), Capacity: f.int(vhCapacity, 0),
			ShiftStartMin: f.float(vhStart, 0), ShiftEndMin: f.float(vhEnd, 0), MaxDurationMin: f.float(vhMaxDur, 0)}
		v, verr = vh, vh.Validate()
	case KindMovements:
		m := model.Movement{Date: f.date(mvDate), SKU: f.str(mvSKU), Location: f.str(mvLoc), Qty: f.int(mvQty, 0), Ref: f.str(mvRef)}
		kind, ok := model.ParseMovementKind(f.str(mvKind))
		if !ok {
			f.fail(mvKind, "unknown movement kind "+quoteShort(f.str(mvKind))+" (want receipt, sale, return, adjustment, count, transfer_out or transfer_in)")
		}
		m.Kind = kind
		if f.err == nil {
			if err := model.ValidCode("ref", m.Ref); err != nil {
				verr = err
			} else {
				verr = m.Validate()
			}
		}
		v = m
	case KindSales:
		var s model.SaleLine
		verr = f.sale(&s)
		v = s
	case KindCounts:
		c := model.StockCount{Date: f.date(ctDate), SKU: f.str(ctSKU), Location: f.str(ctLoc), CountedQty: f.int(ctCounted, 0)}
		// A count holds every line dated up to its day (counthold.go): one
		// typed into the future would freeze the stock until then. A day of
		// grace for clocks a time zone ahead.
		if f.b.today != 0 && c.Date != model.NoDate && c.Date > f.b.today.AddDays(1) {
			f.fail(ctDate, fmt.Sprintf("%s has not come yet (today is %s): a count is dated the day it was taken", c.Date, f.b.today))
		}
		v, verr = c, c.Validate()
	case KindDeliveries:
		d := model.Delivery{ID: f.str(dlID), Date: f.date(dlDate), Depot: f.str(dlDepot), Customer: f.str(dlCustomer),
			Lat: f.float(dlLat, 0), Lon: f.float(dlLon, 0), Demand: f.int(dlDemand, 0), ServiceMin: f.float(dlService, 0),
			ReadyMin: f.float(dlReady, 0), DueMin: f.float(dlDue, 0)}
		v, verr = d, d.Validate()
	}
	if f.err != nil {
		return nil, f.err
	}
	if verr != nil {
		f.failErr(verr)
		return nil, f.err
	}
	return v, nil
}

func (f *fields) sale(s *model.SaleLine) error {
	*s = model.SaleLine{Date: f.date(slDate), OrderID: f.str(slOrder), SKU: f.str(slSKU), Location: f.str(slLoc),
		Channel: f.str(slChannel), Qty: f.int(slQty, 0), Price: f.float(slPrice, math.NaN())}
	if s.Channel == "" {
		s.Channel = model.DefaultChannel
	}
	return s.Validate()
}

// convertSale is convert for a sales row, into s: a value in an interface
// costs an allocation, and a file has millions of these.
func convertSale(rec *record, b *binding, s *model.SaleLine) *rowError {
	f := &fields{rec: rec, b: b}
	if verr := f.sale(s); f.err == nil && verr != nil {
		f.failErr(verr)
	}
	return f.err
}
