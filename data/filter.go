package data

import (
	"strings"

	"stockroom/model"
)

// statusSQL mirrors model.StockStatus; ?1 is the dead-stock cut-off day.
var statusSQL = map[model.Status]string{
	model.StatusIdle: "(s.on_hand <= 0 AND s.cover_days >= 1e9 AND (s.last_sale IS NULL OR s.last_sale < ?))",
	model.StatusOut:  "(s.on_hand <= 0 AND NOT (s.cover_days >= 1e9 AND (s.last_sale IS NULL OR s.last_sale < ?)))",
	model.StatusDead: "(s.on_hand > 0 AND coalesce(s.last_sale, s.first_date) < ?)",
	model.StatusNew:  "(s.on_hand > 0 AND s.last_sale IS NULL AND s.first_date >= ?)",
	model.StatusLow:  "(s.on_hand > 0 AND s.last_sale >= ? AND s.cover_days < 7)",
	model.StatusOver: "(s.on_hand > 0 AND s.last_sale >= ? AND s.cover_days > 180)",
	model.StatusOK:   "(s.on_hand > 0 AND s.last_sale >= ? AND s.cover_days BETWEEN 7 AND 180)",
}

// filterCols is the SQL of each canonical filter column. rop is the last
// recompute's reorder point: NULL for a row never planned, so every test
// on it is false there.
var filterCols = map[string]string{"on_hand": "s.on_hand", "cover": "s.cover_days", "avg": "s.avg_daily",
	"on_order": "s.on_order", "position": "(s.on_hand + s.on_order)", "location": "l.code", "category": "i.category", "sku": "i.sku",
	"rop": "(SELECT rl.reorder_point FROM replenish_level rl WHERE rl.item_id = s.item_id AND rl.loc_id = s.loc_id)"}

func filterSQL(f model.Filter) ([]string, []any) {
	var where []string
	var args []any
	for _, t := range f.Terms {
		w, a := fuzzyTerm(t, "i.sku", "i.name", "i.category")
		where, args = append(where, w), append(args, a...)
	}
	for _, c := range f.Conds {
		switch col := filterCols[c.Col]; c.Col {
		case "status":
			e := statusSQL[model.Status(strings.ToLower(c.Str))]
			if c.Op == "!=" {
				e = "NOT " + e
			}
			where = append(where, e)
			args = append(args, int64(f.AsOf)-model.DeadDays)
		case "location", "category", "sku":
			where = append(where, col+" "+c.Op+" ? COLLATE NOCASE")
			args = append(args, c.Str)
		default:
			if c.Other != "" {
				where = append(where, col+" "+c.Op+" "+filterCols[c.Other])
				continue
			}
			where = append(where, col+" "+c.Op+" ?")
			args = append(args, c.Num)
		}
	}
	return where, args
}

// fuzzyTerm is the condition that text term t matches any of cols
// fuzzily (its characters in order, anything between), and its arguments.
func fuzzyTerm(t string, cols ...string) (string, []any) {
	p := fuzzyPattern(t)
	conds := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		conds[i], args[i] = c+` LIKE ? ESCAPE '\'`, p
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
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
