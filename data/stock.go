package data

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"stockroom/model"
)

// joinOrder puts first the table whose index yields each sort order (sku,
// name, location), so a page walks that index and stops after LIMIT rows.
// Left to itself the planner may scan the whole stock table and sort it
// once a filter makes its estimates vague (CROSS JOIN fixes the order in
// SQLite). The numeric orders scan the stock table and keep the top rows.
var joinOrder = map[model.StockSort]string{
	model.SortSKU:      "item i CROSS JOIN stock s ON s.item_id = i.id CROSS JOIN location l ON l.id = s.loc_id",
	model.SortName:     "item i CROSS JOIN stock s ON s.item_id = i.id CROSS JOIN location l ON l.id = s.loc_id",
	model.SortLocation: "location l CROSS JOIN stock s ON s.loc_id = l.id CROSS JOIN item i ON i.id = s.item_id",
	model.SortOnHand:   "stock s CROSS JOIN item i ON i.id = s.item_id CROSS JOIN location l ON l.id = s.loc_id",
	model.SortCover:    "stock s CROSS JOIN item i ON i.id = s.item_id CROSS JOIN location l ON l.id = s.loc_id",
	model.SortAvgDaily: "stock s CROSS JOIN item i ON i.id = s.item_id CROSS JOIN location l ON l.id = s.loc_id",
}

// sortKeys are the ORDER BY columns of each sort; the last ones make the
// order total so keyset pagination never skips or repeats a row.
var sortKeys = map[model.StockSort][]string{
	model.SortSKU:      {"i.sku", "s.loc_id"},
	model.SortName:     {"i.name", "s.item_id", "s.loc_id"},
	model.SortLocation: {"l.code", "s.item_id"},
	model.SortOnHand:   {"s.on_hand", "s.item_id", "s.loc_id"},
	model.SortCover:    {"s.cover_days", "s.item_id", "s.loc_id"},
	model.SortAvgDaily: {"s.avg_daily", "s.item_id", "s.loc_id"},
}

const stockSelect = `SELECT s.item_id, s.loc_id, i.sku, i.name, i.category, l.code, s.on_hand, s.on_order, s.avg_daily,
	s.cover_days, s.last_sale, s.first_date`

// StockPage returns up to q.Limit rows in q's order after (or before)
// q's cursor. It reads only the rows it returns (plus the ones a filter
// skips), whatever the size of the table.
func (s *Store) StockPage(ctx context.Context, q model.StockQuery) ([]model.StockRow, error) {
	keys := sortKeys[q.Sort]
	where, args, err := stockWhere(q)
	if err != nil {
		return nil, err
	}
	desc := q.Desc
	cur := q.After
	reverse := q.Before != nil || q.Last
	if reverse {
		desc, cur = !desc, q.Before
	}
	if cur != nil {
		op := ">"
		if desc {
			op = "<"
		}
		where = append(where, fmt.Sprintf("(%s) %s (%s)", strings.Join(keys, ", "), op, placeholders(len(keys))))
		args = append(args, cur...)
	}
	order := make([]string, len(keys))
	for i, k := range keys {
		order[i] = k
		if desc {
			order[i] += " DESC"
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	qs := stockSelect + " FROM " + joinOrder[q.Sort]
	if len(where) > 0 {
		qs += " WHERE " + strings.Join(where, " AND ")
	}
	qs += " ORDER BY " + strings.Join(order, ", ") + " LIMIT " + strconv.Itoa(limit)
	rows, err := s.r.QueryContext(ctx, qs, args...)
	if err != nil {
		return nil, fmt.Errorf("stock page: %w", err)
	}
	defer rows.Close()
	var out []model.StockRow
	for rows.Next() {
		var r model.StockRow
		var lastSale sql.NullInt64
		if err := rows.Scan(&r.ItemID, &r.LocID, &r.SKU, &r.Name, &r.Category, &r.Location, &r.OnHand, &r.OnOrder,
			&r.AvgDaily, &r.CoverDays, &lastSale, &r.FirstDate); err != nil {
			return nil, err
		}
		r.LastSale = nullToDate(lastSale)
		r.Cursor = cursorOf(&r, q.Sort)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

func cursorOf(r *model.StockRow, s model.StockSort) model.Cursor {
	switch s {
	case model.SortName:
		return model.Cursor{r.Name, r.ItemID, r.LocID}
	case model.SortLocation:
		return model.Cursor{r.Location, r.ItemID}
	case model.SortOnHand:
		return model.Cursor{r.OnHand, r.ItemID, r.LocID}
	case model.SortCover:
		return model.Cursor{r.CoverDays, r.ItemID, r.LocID}
	case model.SortAvgDaily:
		return model.Cursor{r.AvgDaily, r.ItemID, r.LocID}
	}
	return model.Cursor{r.SKU, r.LocID}
}

func stockWhere(q model.StockQuery) ([]string, []any, error) {
	var where []string
	var args []any
	if q.SKU != "" {
		where = append(where, "i.sku = ?")
		args = append(args, q.SKU)
	}
	if q.Location != "" {
		where = append(where, "l.code = ?")
		args = append(args, q.Location)
	}
	w, a := filterSQL(q.Filter)
	return append(where, w...), append(args, a...), nil
}

// StockCount counts the rows a query's filters select.
func (s *Store) StockCount(ctx context.Context, q model.StockQuery) (int, error) {
	where, args, err := stockWhere(q)
	if err != nil {
		return 0, err
	}
	// Without conditions the joins only cost: count the stock table.
	qs := "SELECT count(*) FROM stock"
	if len(where) > 0 {
		qs = "SELECT count(*) FROM stock s JOIN item i ON i.id = s.item_id JOIN location l ON l.id = s.loc_id WHERE " +
			strings.Join(where, " AND ")
	}
	var n int
	err = s.r.QueryRowContext(ctx, qs, args...).Scan(&n)
	return n, err
}

// AsOf is the latest day with ledger data: "today" for the data set.
func (s *Store) AsOf(ctx context.Context) (model.Date, error) {
	return getAsOf(ctx, s.r)
}

// RecentDemand returns, for each item×location, units sold per day (all
// channels) over the n days ending at asOf, oldest first.
func (s *Store) RecentDemand(ctx context.Context, ils [][2]int64, n int, asOf model.Date) (map[[2]int64][]float64, error) {
	out := make(map[[2]int64][]float64, len(ils))
	if len(ils) == 0 || asOf == model.NoDate {
		return out, nil
	}
	from := asOf.AddDays(-(n - 1))
	fromM, _ := monthOf(from)
	toM, _ := monthOf(asOf)
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	st, err := conn.PrepareContext(ctx, "SELECT month, data FROM series_month WHERE item_id = ? AND loc_id = ? AND month BETWEEN ? AND ?")
	if err != nil {
		return nil, err
	}
	defer st.Close()
	w := window{net: make([]int64, n), units: make([]int64, n)}
	var r monthRow
	for _, il := range ils {
		clear(w.net)
		clear(w.units)
		rows, err := st.QueryContext(ctx, il[0], il[1], int64(fromM), int64(toM))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var m int64
			var blob []byte
			if err := rows.Scan(&m, &blob); err != nil {
				rows.Close()
				return nil, err
			}
			if err := r.decode(blob); err != nil {
				rows.Close()
				return nil, err
			}
			w.add(month(m), &r, from)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		v := make([]float64, n)
		for i, u := range w.units {
			v[i] = float64(u)
		}
		out[il] = v
	}
	return out, nil
}
