package data

import (
	"fmt"
	"strconv"
	"strings"

	"stockroom/model"
)

// Filter narrows the stock table: fuzzy text terms matched against sku,
// name and category (the letters of a term in order, not necessarily
// together: "rdrl" finds "Red drill"), and conditions on columns such as
// cover<7, on_hand>=100, status=out, loc=DC1.
type Filter struct {
	Terms []string
	Conds []Cond
	AsOf  model.Date // for status=dead; the store's as-of day
}

// Cond is one column condition.
type Cond struct {
	Col string // canonical column name
	Op  string // < <= > >= = !=
	Num float64
	Str string
}

// filterCols are the columns a condition may name, with their SQL.
var filterCols = map[string]string{
	"on_hand": "s.on_hand", "onhand": "s.on_hand", "oh": "s.on_hand", "stock": "s.on_hand",
	"cover": "s.cover_days", "cover_days": "s.cover_days", "days": "s.cover_days",
	"avg": "s.avg_daily", "avg_daily": "s.avg_daily", "rate": "s.avg_daily",
	"on_order": "s.on_order", "onorder": "s.on_order",
	"status": "status", "loc": "l.code", "location": "l.code", "category": "i.category", "cat": "i.category",
	"sku": "i.sku",
}

var ops = []string{"<=", ">=", "!=", "<", ">", "=", ":"}

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
		for _, op := range ops {
			if !strings.HasPrefix(tok[i:], op) {
				continue
			}
			col := strings.ToLower(tok[:i])
			expr, ok := filterCols[col]
			if !ok {
				return Cond{}, false, nil // not a condition: a text term with a symbol in it
			}
			val := tok[i+len(op):]
			if op == ":" {
				op = "="
			}
			c := Cond{Col: expr, Op: op, Str: val}
			switch expr {
			case "status", "l.code", "i.category", "i.sku":
				if op != "=" && op != "!=" {
					return Cond{}, false, fmt.Errorf("%s takes = or !=, not %s", col, op)
				}
				if expr == "status" {
					if _, ok := statusSQL[model.Status(strings.ToLower(val))]; !ok {
						return Cond{}, false, fmt.Errorf("unknown status %q (want out, low, ok, over, dead or idle)", val)
					}
				}
			default:
				n, err := strconv.ParseFloat(val, 64)
				if err != nil {
					return Cond{}, false, fmt.Errorf("%s%s needs a number, got %q", col, op, val)
				}
				c.Num = n
			}
			return c, true, nil
		}
	}
	return Cond{}, false, nil
}

// statusSQL mirrors model.StockStatus; ?1 is the dead-stock cut-off day.
var statusSQL = map[model.Status]string{
	model.StatusIdle: "(s.on_hand <= 0 AND s.cover_days >= 1e9 AND (s.last_sale IS NULL OR s.last_sale < ?))",
	model.StatusOut:  "(s.on_hand <= 0 AND NOT (s.cover_days >= 1e9 AND (s.last_sale IS NULL OR s.last_sale < ?)))",
	model.StatusDead: "(s.on_hand > 0 AND (s.last_sale IS NULL OR s.last_sale < ?))",
	model.StatusLow:  "(s.on_hand > 0 AND s.last_sale >= ? AND s.cover_days < 7)",
	model.StatusOver: "(s.on_hand > 0 AND s.last_sale >= ? AND s.cover_days > 180)",
	model.StatusOK:   "(s.on_hand > 0 AND s.last_sale >= ? AND s.cover_days BETWEEN 7 AND 180)",
}

func (f Filter) sql() ([]string, []any) {
	var where []string
	var args []any
	for _, t := range f.Terms {
		p := fuzzyPattern(t)
		where = append(where, `(i.sku LIKE ? ESCAPE '\' OR i.name LIKE ? ESCAPE '\' OR i.category LIKE ? ESCAPE '\')`)
		args = append(args, p, p, p)
	}
	for _, c := range f.Conds {
		switch c.Col {
		case "status":
			e := statusSQL[model.Status(strings.ToLower(c.Str))]
			if c.Op == "!=" {
				e = "NOT " + e
			}
			where = append(where, e)
			args = append(args, int64(f.AsOf)-model.DeadDays)
		case "l.code", "i.category", "i.sku":
			where = append(where, c.Col+" "+c.Op+" ? COLLATE NOCASE")
			args = append(args, c.Str)
		default:
			where = append(where, c.Col+" "+c.Op+" ?")
			args = append(args, c.Num)
		}
	}
	return where, args
}

// fuzzyPattern turns "abc" into the LIKE pattern %a%b%c%.
func fuzzyPattern(t string) string {
	var b strings.Builder
	b.WriteByte('%')
	for _, r := range t {
		if r == '%' || r == '_' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		b.WriteByte('%')
	}
	return b.String()
}
