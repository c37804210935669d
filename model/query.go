package model

import (
	"fmt"
	"strconv"
	"strings"
)

// StockSort is a column the stock table can be ordered by.
type StockSort int

// The stock sort orders, in the order the console cycles through them.
const (
	SortSKU StockSort = iota
	SortName
	SortLocation
	SortOnHand
	SortCover
	SortAvgDaily
	nSorts
)

// String names the sort order.
func (s StockSort) String() string {
	return [...]string{"sku", "name", "location", "on hand", "cover", "avg/day"}[s]
}

// Next is the sort order after s, wrapping around.
func (s StockSort) Next() StockSort { return (s + 1) % nSorts }

// ParseStockSort reads a sort name as the CLI takes it.
func ParseStockSort(s string) (StockSort, bool) {
	v, ok := map[string]StockSort{"sku": SortSKU, "name": SortName, "location": SortLocation, "on_hand": SortOnHand,
		"cover": SortCover, "avg": SortAvgDaily}[s]
	return v, ok
}

// Cursor marks a row's position in a sort order, for keyset pagination:
// the next page is the rows after it, never an OFFSET.
type Cursor []any

// StockQuery selects a page of stock rows.
type StockQuery struct {
	SKU      string // exact sku, or empty
	Location string // exact location code, or empty
	Filter   Filter
	Sort     StockSort
	Desc     bool
	After    Cursor // the page after this row; nil for the first page
	Before   Cursor // or the page that ends just before this row
	Last     bool   // or the last page
	Limit    int
}

// StockRow is one item×location in the stock table.
type StockRow struct {
	ItemID, LocID int64
	SKU           string
	Name          string
	Category      string
	Location      string
	OnHand        int64
	OnOrder       int64
	AvgDaily      float64
	CoverDays     float64 // NoCover when nothing sells
	LastSale      Date
	FirstDate     Date // the first movement here
	Cursor        Cursor
}

// Status is the row's verdict as of a day.
func (r StockRow) Status(asOf Date) Status {
	return StockStatus(r.OnHand, r.CoverDays, r.LastSale, r.FirstDate, asOf)
}

// Filter narrows the stock table: fuzzy text terms matched against sku,
// name and category (the letters of a term in order, not necessarily
// together: "cdrl" finds "Cordless drill"), and conditions on columns such
// as cover<7, on_hand>=100, status=out, loc=DC1.
type Filter struct {
	Terms []string
	Conds []Cond
	AsOf  Date // for status conditions: the store's as-of day
}

// Empty reports whether the filter selects everything.
func (f Filter) Empty() bool { return len(f.Terms) == 0 && len(f.Conds) == 0 }

// Cond is one column condition.
type Cond struct {
	Col string // canonical column: on_hand, cover, avg, on_order, position, rop, status, location, category, sku
	Op  string // < <= > >= = !=
	Num float64
	Str string
	// Other, when set, is a numeric column compared with instead of Num:
	// position<rop is what is below its reorder point.
	Other string
}

// FilterColumns maps the names a condition may use to canonical columns.
var FilterColumns = map[string]string{
	"on_hand": "on_hand", "onhand": "on_hand", "oh": "on_hand", "stock": "on_hand",
	"cover": "cover", "cover_days": "cover", "days": "cover",
	"avg": "avg", "avg_daily": "avg", "rate": "avg",
	"on_order": "on_order", "onorder": "on_order",
	// position is on hand + on order; rop the reorder point of the last
	// recompute (a row never planned has none and matches no rop test).
	"position": "position", "pos": "position", "rop": "rop", "reorder_point": "rop",
	"status": "status", "loc": "location", "location": "location", "category": "category", "cat": "category",
	"sku": "sku",
}

var filterOps = []string{"<=", ">=", "!=", "<", ">", "=", ":"}

// ParseFilter reads filter text as typed in the console.
func ParseFilter(s string) (Filter, error) {
	var f Filter
	for _, tok := range strings.Fields(s) {
		c, ok, err := parseCond(tok)
		if err != nil {
			return Filter{}, err
		}
		if ok {
			f.Conds = append(f.Conds, c)
		} else {
			f.Terms = append(f.Terms, tok)
		}
	}
	return f, nil
}

func parseCond(tok string) (Cond, bool, error) {
	for i := 1; i < len(tok); i++ {
		for _, op := range filterOps {
			if !strings.HasPrefix(tok[i:], op) {
				continue
			}
			name := strings.ToLower(tok[:i])
			col, ok := FilterColumns[name]
			if !ok {
				return Cond{}, false, nil // a text term with a symbol in it
			}
			val := tok[i+len(op):]
			if op == ":" {
				op = "="
			}
			c := Cond{Col: col, Op: op, Str: val}
			switch col {
			case "status", "location", "category", "sku":
				if op != "=" && op != "!=" {
					return Cond{}, false, fmt.Errorf("%s takes = or !=, not %s", name, op)
				}
				if col == "status" && !validStatus(Status(strings.ToLower(val))) {
					return Cond{}, false, fmt.Errorf("unknown status %q (want out, low, ok, over, dead or idle)", val)
				}
			default:
				if other, ok := FilterColumns[strings.ToLower(val)]; ok && numericColumn(other) {
					c.Other = other
					break
				}
				n, err := strconv.ParseFloat(val, 64)
				if err != nil {
					return Cond{}, false, fmt.Errorf("%s%s needs a number or a column such as rop, got %q", name, op, val)
				}
				c.Num = n
			}
			return c, true, nil
		}
	}
	return Cond{}, false, nil
}

// numericColumn reports whether a canonical filter column holds numbers.
func numericColumn(col string) bool {
	switch col {
	case "status", "location", "category", "sku":
		return false
	}
	return true
}

func validStatus(s Status) bool {
	switch s {
	case StatusOut, StatusLow, StatusOK, StatusOver, StatusDead, StatusNew, StatusIdle:
		return true
	}
	return false
}
