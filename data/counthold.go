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
	loaded bool
	floor  model.Date             // stored holds every stored count day from floor on
	stored map[ilKey][]model.Date // sorted
	here   map[ilKey][]model.Date // this import's, not yet in count_result perhaps
	holds  map[holdKey]*countHold
}

// load reads the stored count days from d up to the days already read.
func (b *countBook) load(ctx context.Context, tx *sql.Tx, d model.Date) error {
	q, args := "SELECT DISTINCT item_id, loc_id, date FROM count_result WHERE date >= ?", []any{int64(d)}
	if b.loaded {
		q, args = q+" AND date < ?", append(args, int64(b.floor))
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if b.stored == nil {
		b.stored = map[ilKey][]model.Date{}
	}
	touched := map[ilKey]bool{}
	for rows.Next() {
		var k ilKey
		var x int64
		if err := rows.Scan(&k.item, &k.loc, &x); err != nil {
			return err
		}
		b.stored[k] = append(b.stored[k], model.Date(x))
		touched[k] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for k := range touched {
		slices.Sort(b.stored[k])
	}
	b.loaded, b.floor = true, d
	return nil
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
// The store's count days are read for every item×location at once, from
// the earliest day a line needed back (an export in date order reads once).
func (b *countBook) first(ctx context.Context, tx *sql.Tx, k ilKey, d model.Date, strict bool) (model.Date, bool, error) {
	if !b.loaded || d < b.floor {
		if err := b.load(ctx, tx, d); err != nil {
			return 0, false, err
		}
	}
	days := b.stored[k]
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
		// The day and kind columns say which count; the ref says why.
		ref := fmt.Sprintf("late line of %s", h.from)
		if h.lines > 1 {
			ref = fmt.Sprintf("%d late lines from %s", h.lines, h.from)
		}
		im.addLine(h.st, h.slot, ledgerLine{date: k.day, qty: -h.qty, kind: model.Count, line: h.line, ref: ref})
	}
}

// holdLedgers moves each held count's recorded ledger balance by what it
// now includes, once its row is in count_result; in batches, as a history
// loaded under an opening count holds one count per item×location a file.
func (im *importer) holdLedgers(ctx context.Context) error {
	if len(im.counts.holds) == 0 {
		return nil
	}
	b := newBatcher(im.tx, "UPDATE count_result SET ledger = ledger + v.column4 FROM (VALUES ",
		") AS v WHERE count_result.item_id = v.column1 AND count_result.loc_id = v.column2 AND count_result.date = v.column3", 4, 200)
	defer b.close()
	for k, h := range im.counts.holds {
		if h.qty != 0 {
			if err := b.add(ctx, k.item, k.loc, int64(k.day), h.qty); err != nil {
				return err
			}
		}
	}
	return b.flush(ctx)
}
