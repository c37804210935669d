package data

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"stockroom/model"
)

// A stock count says what was on the shelf at the end of its day, whatever
// reaches the ledger later. A movement dated on or before a count but
// imported after it (a late sales export, a stocktake sheet keyed in before
// the week's receipts, history loaded under an opening count) is in that
// count already: booked as it stands it would move the stock past what was
// counted, and count it twice. So the first count on or after the
// movement's day takes the opposite correction, and the count's recorded
// ledger balance moves with the movement, so its shrinkage is what it would
// have been had the files come in date order. With that, the stock and the
// day-by-day ledger are the same whatever order the files arrive in.
//
// The same holds for a count dated before a later one (counted 8 on the
// 20th, then a sheet for the 10th says 5): the later count stays true.

// countBook knows which days each item×location was counted.
type countBook struct {
	read   bool       // last is the store's, not only this import's
	last   model.Date // the latest count day of any item×location
	stored map[ilKey][]model.Date
	here   map[ilKey][]model.Date // this import's, not yet in count_result perhaps
	stmt   *sql.Stmt
	holds  map[holdKey]*countHold
}

type holdKey struct {
	ilKey
	day model.Date
}

// countHold is the correction one count takes for the earlier lines of
// this import, booked as one ledger line when the import ends.
type countHold struct {
	st    *itemState
	slot  int
	qty   int64      // the lines' net change: the count line takes −qty
	from  model.Date // the earliest line held
	line  int        // the first line held
	lines int
}

func (b *countBook) note(k ilKey, d model.Date) {
	if b.here == nil {
		b.here = map[ilKey][]model.Date{}
	}
	b.here[k] = append(b.here[k], d)
	b.last = max(b.last, d)
}

// latest reads the latest count day in the store once per import: lines
// dated after it, the usual case, need nothing more.
func (b *countBook) latest(ctx context.Context, tx *sql.Tx) (model.Date, error) {
	if !b.read {
		var d sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT max(date) FROM count_result").Scan(&d); err != nil {
			return 0, err
		}
		if d.Valid {
			b.last = max(b.last, model.Date(d.Int64))
		}
		b.read = true
	}
	return b.last, nil
}

// first is the first count day of k on or after d (after d when strict).
func (b *countBook) first(ctx context.Context, tx *sql.Tx, k ilKey, d model.Date, strict bool) (model.Date, bool, error) {
	days, ok := b.stored[k]
	if !ok {
		if b.stmt == nil {
			q, err := tx.PrepareContext(ctx, "SELECT DISTINCT date FROM count_result WHERE item_id = ? AND loc_id = ? ORDER BY date")
			if err != nil {
				return 0, false, err
			}
			b.stmt = q
		}
		rows, err := b.stmt.QueryContext(ctx, k.item, k.loc)
		if err != nil {
			return 0, false, err
		}
		for rows.Next() {
			var x int64
			if err := rows.Scan(&x); err != nil {
				rows.Close()
				return 0, false, err
			}
			days = append(days, model.Date(x))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, false, err
		}
		if b.stored == nil {
			b.stored = map[ilKey][]model.Date{}
		}
		b.stored[k] = days
	}
	after := func(x model.Date) bool { return x > d || (!strict && x == d) }
	next, found := model.Date(0), false
	i, _ := slices.BinarySearch(days, d)
	for ; i < len(days); i++ {
		if after(days[i]) {
			next, found = days[i], true
			break
		}
	}
	for _, x := range b.here[k] {
		if after(x) && (!found || x < next) {
			next, found = x, true
		}
	}
	return next, found, nil
}

// hold keeps the first count on or after d (after d when strict) true
// against a change of qty just booked on day d.
func (im *importer) hold(ctx context.Context, p *parsed, st *itemState, slot int, d model.Date, qty int64, strict bool) error {
	if qty == 0 {
		return nil
	}
	last, err := im.counts.latest(ctx, im.tx)
	if err != nil || d > last || (strict && d == last) {
		return err
	}
	k := ilKey{st.id, im.locIDs[slot]}
	next, ok, err := im.counts.first(ctx, im.tx, k, d, strict)
	if err != nil || !ok {
		return err
	}
	im.agg.moveIn(im.il(st, slot, next), next, -qty, false)
	b := &im.counts
	if b.holds == nil {
		b.holds = map[holdKey]*countHold{}
	}
	h := b.holds[holdKey{k, next}]
	if h == nil {
		h = &countHold{st: st, slot: slot, from: d, line: p.line}
		b.holds[holdKey{k, next}] = h
	}
	h.qty += qty
	h.from = min(h.from, d)
	h.lines++
	return nil
}

// sortedHolds are the holds in item, location and day order, so an
// import's ledger lines do not depend on map order.
func (b *countBook) sortedHolds() []holdKey {
	ks := make([]holdKey, 0, len(b.holds))
	for k := range b.holds {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b holdKey) int {
		return cmp.Or(cmp.Compare(a.item, b.item), cmp.Compare(a.loc, b.loc), cmp.Compare(a.day, b.day))
	})
	return ks
}

// bookHolds writes each count's correction as one ledger line; the stock
// aggregates took it as the lines came.
func (im *importer) bookHolds() {
	for _, k := range im.counts.sortedHolds() {
		h := im.counts.holds[k]
		if h.qty == 0 {
			continue
		}
		ref := fmt.Sprintf("count %s held after %s", k.day, h.from)
		if h.lines > 1 {
			ref = fmt.Sprintf("count %s held after %d lines from %s", k.day, h.lines, h.from)
		}
		im.addLine(h.st, h.slot, ledgerLine{date: k.day, qty: -h.qty, kind: model.Count, line: h.line, ref: ref})
	}
}

// holdLedgers moves each held count's recorded ledger balance by what it
// now includes, once its row is in count_result.
func (im *importer) holdLedgers(ctx context.Context) error {
	for _, k := range im.counts.sortedHolds() {
		h := im.counts.holds[k]
		if h.qty == 0 {
			continue
		}
		if _, err := im.tx.ExecContext(ctx, "UPDATE count_result SET ledger = ledger + ? WHERE item_id = ? AND loc_id = ? AND date = ?",
			h.qty, k.item, k.loc, int64(k.day)); err != nil {
			return err
		}
	}
	return nil
}
