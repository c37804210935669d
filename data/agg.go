package data

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"stockroom/model"
)

type ilKey struct{ item, loc int64 }

type stockDelta struct {
	onHand      int64
	first, last model.Date
	lastSale    model.Date
	hasSale     bool
}

type monthAgg struct {
	m   month
	row monthRow
}

// ilAgg is everything an import changes for one item×location. Imports
// mostly touch one or two months per series, so the month list is short
// and scanned linearly: one map lookup per row.
type ilAgg struct {
	stock  stockDelta
	months []monthAgg
	// first backs months until a second month comes: the header a row
	// reads and its month's share one allocation, and mostly a cache line.
	first [1]monthAgg
}

func newILAgg(d model.Date) *ilAgg {
	g := &ilAgg{stock: stockDelta{first: d, last: d}}
	g.months = g.first[:0:1]
	return g
}

func (g *ilAgg) month(m month, rows *int) *monthRow {
	for i := len(g.months) - 1; i >= 0; i-- {
		if g.months[i].m == m {
			return &g.months[i].row
		}
	}
	g.months = append(g.months, monthAgg{m: m})
	*rows++
	return &g.months[len(g.months)-1].row
}

// aggregates collects what an import changes in stock and series_month,
// and writes it in one upsert per row touched.
type aggregates struct {
	ils     map[ilKey]*ilAgg
	rows    int // month rows held, for the flush budget
	touched map[ilKey]struct{}
	maxDate model.Date
	// sr reads the stored state of touched item×locations as they come;
	// nil when not used, or once a flush made its readings stale.
	sr *stateReader

	lastDate model.Date // monthOf cache: rows come in runs of one date
	lastM    month
	lastDay  int
}

func newAggregates() *aggregates {
	return &aggregates{ils: map[ilKey]*ilAgg{}, touched: map[ilKey]struct{}{}, maxDate: model.NoDate, lastDate: model.NoDate}
}

func (a *aggregates) size() int { return a.rows }

// stopReader drops the state reader, if any.
func (a *aggregates) stopReader() {
	if a.sr != nil {
		a.sr.stop()
		a.sr = nil
	}
}

func (a *aggregates) monthOf(d model.Date) (month, int) {
	if d != a.lastDate {
		a.lastM, a.lastDay = monthOf(d)
		a.lastDate = d
	}
	return a.lastM, a.lastDay
}

func (a *aggregates) get(item, loc int64, d model.Date) *ilAgg {
	k := ilKey{item, loc}
	g := a.ils[k]
	if g == nil {
		g = newILAgg(d)
		a.ils[k] = g
		if _, ok := a.touched[k]; !ok {
			a.touched[k] = struct{}{}
			if a.sr != nil {
				a.sr.add(k)
			}
		}
	}
	return g
}

// move records a stock change; sale marks it as a sale for last_sale.
func (a *aggregates) move(item, loc int64, d model.Date, qty int64, sale bool) {
	a.moveIn(a.get(item, loc, d), d, qty, sale)
}

// moveIn is move on an item×location already looked up with get; the
// pointer stays valid until the next flush.
func (a *aggregates) moveIn(g *ilAgg, d model.Date, qty int64, sale bool) {
	s := &g.stock
	s.onHand += qty
	s.first, s.last = min(s.first, d), max(s.last, d)
	if sale && (!s.hasSale || d > s.lastSale) {
		s.lastSale, s.hasSale = d, true
	}
	m, day := a.monthOf(d)
	g.month(m, &a.rows).net[day] += qty
	if a.maxDate == model.NoDate || d > a.maxDate {
		a.maxDate = d
	}
}

// sell records units sold on a channel (demand), besides the stock move.
func (a *aggregates) sell(item, loc, ch int64, d model.Date, units int64, revenue float64) {
	a.sellIn(a.get(item, loc, d), ch, d, units, revenue)
}

// sellIn is sell on an item×location already looked up with get.
func (a *aggregates) sellIn(g *ilAgg, ch int64, d model.Date, units int64, revenue float64) {
	m, day := a.monthOf(d)
	c := g.month(m, &a.rows).channel(ch)
	c.units[day] += units
	c.revenue += revenue
}

const (
	stockUpsertHead = "INSERT INTO stock(item_id, loc_id, on_hand, first_date, last_date, last_sale) VALUES "
	stockUpsertTail = ` ON CONFLICT(item_id, loc_id) DO UPDATE SET
		on_hand = on_hand + excluded.on_hand,
		first_date = min(first_date, excluded.first_date),
		last_date = max(last_date, excluded.last_date),
		last_sale = coalesce(max(last_sale, excluded.last_sale), last_sale, excluded.last_sale)`
	monthUpsertHead = "INSERT INTO series_month(item_id, loc_id, month, net, units, revenue, data) VALUES "
	monthUpsertTail = ` ON CONFLICT(item_id, loc_id, month) DO UPDATE SET net = net + excluded.net,
		units = units + excluded.units, revenue = revenue + excluded.revenue, data = sr_month_add(data, excluded.data)`
)

// flush writes what is held so far (stock deltas and months) so that
// memory stays flat or a count can read the balance; finish does the rest.
func (a *aggregates) flush(ctx context.Context, tx *sql.Tx) error {
	if len(a.ils) == 0 {
		return nil
	}
	// The store's stock and months change in this transaction now, where
	// the state reader cannot see: finish reads them itself.
	a.stopReader()
	st := newBatcher(tx, stockUpsertHead, stockUpsertTail, 6, 64)
	defer st.close()
	// Upserts in key order fill B-tree pages left to right, not at random.
	for _, k := range sortedKeys(a.ils) {
		s := &a.ils[k].stock
		var ls any
		if s.hasSale {
			ls = int64(s.lastSale)
		}
		if err := st.add(ctx, k.item, k.loc, s.onHand, int64(s.first), int64(s.last), ls); err != nil {
			return fmt.Errorf("update stock: %w", err)
		}
	}
	if err := st.flush(ctx); err != nil {
		return fmt.Errorf("update stock: %w", err)
	}
	return a.flushMonths(ctx, tx)
}

func (a *aggregates) flushMonths(ctx context.Context, tx *sql.Tx) error {
	mb := newBatcher(tx, monthUpsertHead, monthUpsertTail, 7, 64)
	defer mb.close()
	for _, k := range sortedKeys(a.ils) {
		g := a.ils[k]
		for i := range g.months {
			ma := &g.months[i]
			units, revenue := ma.row.totals()
			if err := mb.add(ctx, k.item, k.loc, int64(ma.m), ma.row.net.sum(), units, revenue, ma.row.encode(nil)); err != nil {
				return fmt.Errorf("update daily series: %w", err)
			}
		}
	}
	if err := mb.flush(ctx); err != nil {
		return fmt.Errorf("update daily series: %w", err)
	}
	a.ils = map[ilKey]*ilAgg{}
	a.rows = 0
	return nil
}

// balanceAsOf is the stock of an item×location at the end of day d: stored
// is what the ledger in tx says (storedBalances), to which it adds what the
// import holds in a, not yet written.
func (a *aggregates) balanceAsOf(item, loc int64, d model.Date, stored int64) int64 {
	bal := stored
	if g := a.ils[ilKey{item, loc}]; g != nil {
		m, day := monthOf(d)
		bal += g.stock.onHand
		for _, ma := range g.months {
			switch {
			case ma.m > m:
				bal -= ma.row.net.sum()
			case ma.m == m:
				for _, v := range ma.row.net[day+1:] {
					bal -= v
				}
			}
		}
	}
	return bal
}

// storedBalances is the stock of item×locations at the end of day d as the
// ledger stands in tx (on hand now, less every change dated after d), in
// three queries a chunk: a stocktake asks for every item×location of its
// file. Keys with nothing stored are left out (0).
func storedBalances(ctx context.Context, tx *sql.Tx, keys [][2]int64, d model.Date) (map[[2]int64]int64, error) {
	out := make(map[[2]int64]int64, len(keys))
	m, day := monthOf(d)
	err := eachKeyChunk(keys, func(values string, args []any) error {
		in := " WHERE (item_id, loc_id) IN (VALUES " + values + ")"
		each := func(q string, args []any, fn func(k [2]int64, rows *sql.Rows) error) error {
			rows, err := tx.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k [2]int64
				if err := fn(k, rows); err != nil {
					return err
				}
			}
			return rows.Err()
		}
		err := each("SELECT item_id, loc_id, on_hand FROM stock"+in, args, func(k [2]int64, rows *sql.Rows) error {
			var v int64
			if err := rows.Scan(&k[0], &k[1], &v); err != nil {
				return err
			}
			out[k] += v
			return nil
		})
		if err != nil {
			return err
		}
		err = each("SELECT item_id, loc_id, sum(net) FROM series_month"+in+" AND month > ? GROUP BY item_id, loc_id",
			append(slices.Clone(args), int64(m)), func(k [2]int64, rows *sql.Rows) error {
				var v int64
				if err := rows.Scan(&k[0], &k[1], &v); err != nil {
					return err
				}
				out[k] -= v
				return nil
			})
		if err != nil {
			return err
		}
		return each("SELECT item_id, loc_id, data FROM series_month"+in+" AND month = ?",
			append(slices.Clone(args), int64(m)), func(k [2]int64, rows *sql.Rows) error {
				var blob []byte
				if err := rows.Scan(&k[0], &k[1], &blob); err != nil {
					return err
				}
				var r monthRow
				if err := r.decode(blob); err != nil {
					return err
				}
				for _, v := range r.net[day+1:] {
					out[k] -= v
				}
				return nil
			})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// coverWindow is how many days of recent sales set an item's daily rate.
const coverWindow = 28

// window accumulates one item×location's recent days for refreshCover.
type window struct {
	onHand int64
	after  int64 // net change dated after the window
	net    []int64
	units  []int64
}

// add folds a month row into the window that starts on day from.
func (w *window) add(m month, r *monthRow, from model.Date) {
	first := m.firstDay()
	for i := range r.net {
		idx := int(first) + i - int(from)
		switch {
		case idx >= len(w.net):
			w.after += r.net[i]
		case idx >= 0:
			w.net[idx] += r.net[i]
			w.units[idx] += r.units(i)
		}
	}
}

// rate is units sold per day over the window's days in stock. A day counts
// when the item was on the shelf at some point: it ended in stock, or it
// sold something before running out. Days out of stock say nothing about
// demand.
func (w *window) rate() float64 {
	closing := w.onHand - w.after
	var sold, inStock int64
	for i := len(w.net) - 1; i >= 0; i-- {
		if closing > 0 || w.units[i] > 0 {
			inStock++
			sold += w.units[i]
		}
		closing -= w.net[i]
	}
	if inStock == 0 {
		return 0
	}
	return float64(sold) / float64(inStock)
}

// finish writes everything the import changed and brings avg_daily and
// cover_days of every item×location it touched up to date, over the
// window ending on day asOf (movements after it count in on hand only). It
// takes the stored state of those item×locations from the state reader
// when it has it, or else reads it in one query (through a temporary
// table), computes the new rows in Go, and writes each stock row once,
// complete.
func (a *aggregates) finish(ctx context.Context, tx *sql.Tx, asOf model.Date) error {
	var read map[ilKey][]storedRow
	ok := false
	if a.sr != nil {
		read, ok = a.sr.wait()
		a.sr = nil
	}
	if len(a.touched) == 0 {
		return nil
	}
	if asOf == model.NoDate {
		asOf = a.maxDate
	}
	from, fromM := coverFrom(asOf)
	keys := sortedKeys(a.touched)
	var next func() (storedRow, bool, error)
	if ok {
		// The reader's rows, in key order, without months before the window.
		i, j := 0, 0
		next = func() (storedRow, bool, error) {
			for i < len(keys) {
				rs := read[keys[i]]
				for j < len(rs) {
					r := rs[j]
					j++
					if r.m.Valid && month(r.m.Int64) < fromM {
						if j > 1 {
							continue
						}
						// The first row carries the stock row too.
						r.m, r.blob = sql.NullInt64{}, nil
					}
					return r, true, nil
				}
				i, j = i+1, 0
				if len(rs) == 0 {
					return storedRow{k: keys[i-1]}, true, nil
				}
			}
			return storedRow{}, false, nil
		}
	} else {
		rows, err := a.queryStored(ctx, tx, keys, fromM)
		if err != nil {
			return fmt.Errorf("update stock: %w", err)
		}
		defer rows.Close()
		next = func() (storedRow, bool, error) {
			if !rows.Next() {
				return storedRow{}, false, rows.Err()
			}
			var r storedRow
			err := rows.Scan(&r.k.item, &r.k.loc, &r.onHand, &r.first, &r.last, &r.lastSale, &r.m, &r.blob)
			return r, err == nil, err
		}
	}
	st := newBatcher(tx, "INSERT INTO stock(item_id, loc_id, on_hand, first_date, last_date, last_sale, avg_daily, cover_days) VALUES ",
		` ON CONFLICT(item_id, loc_id) DO UPDATE SET on_hand = excluded.on_hand, first_date = excluded.first_date,
			last_date = excluded.last_date, last_sale = excluded.last_sale, avg_daily = excluded.avg_daily,
			cover_days = excluded.cover_days`, 8, 64)
	defer st.close()
	type stockRow struct {
		k                     ilKey
		onHand                int64
		first, last, lastSale model.Date
		hasStock, hasSale     bool
	}
	w := window{net: make([]int64, coverWindow), units: make([]int64, coverWindow)}
	var cur stockRow
	have := false
	var r monthRow
	type out struct {
		k           ilKey
		onHand      int64
		first, last model.Date
		lastSale    any
		avg, cover  float64
	}
	// Written after the scan: never write a table a live query reads.
	var outs []out
	finishOne := func() {
		if g := a.ils[cur.k]; g != nil {
			s := &g.stock
			cur.onHand += s.onHand
			if !cur.hasStock {
				cur.first, cur.last = s.first, s.last
			} else {
				cur.first, cur.last = min(cur.first, s.first), max(cur.last, s.last)
			}
			if s.hasSale && (!cur.hasSale || s.lastSale > cur.lastSale) {
				cur.lastSale, cur.hasSale = s.lastSale, true
			}
			for i := range g.months {
				w.add(g.months[i].m, &g.months[i].row, from)
			}
		}
		w.onHand = cur.onHand
		avg := w.rate()
		cover := model.NoCover
		if avg > 0 {
			cover = max(0, float64(cur.onHand)/avg)
		}
		var ls any
		if cur.hasSale {
			ls = int64(cur.lastSale)
		}
		outs = append(outs, out{cur.k, cur.onHand, cur.first, cur.last, ls, avg, cover})
	}
	for {
		row, more, err := next()
		if err != nil {
			return fmt.Errorf("update stock: %w", err)
		}
		if !more {
			break
		}
		if !have || row.k != cur.k {
			if have {
				finishOne()
			}
			have = true
			cur = stockRow{k: row.k, onHand: row.onHand.Int64, first: model.Date(row.first.Int64), last: model.Date(row.last.Int64),
				lastSale: model.Date(row.lastSale.Int64), hasStock: row.onHand.Valid, hasSale: row.lastSale.Valid}
			w.after = 0
			clear(w.net)
			clear(w.units)
		}
		if row.m.Valid {
			if err := r.decode(row.blob); err != nil {
				return err
			}
			w.add(month(row.m.Int64), &r, from)
		}
	}
	if have {
		finishOne()
	}
	for _, o := range outs {
		if err := st.add(ctx, o.k.item, o.k.loc, o.onHand, int64(o.first), int64(o.last), o.lastSale, o.avg, o.cover); err != nil {
			return fmt.Errorf("update stock: %w", err)
		}
	}
	if err := st.flush(ctx); err != nil {
		return fmt.Errorf("update stock: %w", err)
	}
	// The stock rows are written; write the months without touching stock.
	for _, g := range a.ils {
		g.stock = stockDelta{}
	}
	if err := a.flushMonths(ctx, tx); err != nil {
		return err
	}
	a.touched = map[ilKey]struct{}{}
	return nil
}

// coverFrom is the first day of the cover window ending asOf, and its month.
func coverFrom(asOf model.Date) (model.Date, month) {
	from := asOf.AddDays(-(coverWindow - 1))
	m, _ := monthOf(from)
	return from, m
}

// queryStored reads the stored state of the item×locations keys (sorted)
// in one query, through a temporary table, in key order.
func (a *aggregates) queryStored(ctx context.Context, tx *sql.Tx, keys []ilKey, fromM month) (*sql.Rows, error) {
	for _, q := range []string{
		"CREATE TEMP TABLE IF NOT EXISTS touched(item_id INTEGER, loc_id INTEGER, PRIMARY KEY(item_id, loc_id)) WITHOUT ROWID",
		"DELETE FROM touched",
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, err
		}
	}
	in := newBatcher(tx, "INSERT INTO touched(item_id, loc_id) VALUES ", "", 2, 256)
	defer in.close()
	for _, k := range keys {
		if err := in.add(ctx, k.item, k.loc); err != nil {
			return nil, err
		}
	}
	if err := in.flush(ctx); err != nil {
		return nil, err
	}
	return tx.QueryContext(ctx, `SELECT t.item_id, t.loc_id, s.on_hand, s.first_date, s.last_date, s.last_sale, m.month, m.data
		FROM touched t LEFT JOIN stock s ON s.item_id = t.item_id AND s.loc_id = t.loc_id
		LEFT JOIN series_month m ON m.item_id = t.item_id AND m.loc_id = t.loc_id AND m.month >= ?
		ORDER BY t.item_id, t.loc_id`, int64(fromM))
}

func sortedKeys[V any](m map[ilKey]V) []ilKey {
	keys := make([]ilKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y ilKey) int {
		if x.item != y.item {
			return cmp.Compare(x.item, y.item)
		}
		return cmp.Compare(x.loc, y.loc)
	})
	return keys
}
