package data

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"stockroom/model"
)

// A sale whose natural key is in the ledger already is skipped as a
// re-sent line, which is right for an overlapping export. But a corrected
// re-export (order SO-1 now says 3 where it said 2), or an order that lists
// one SKU twice far apart in a file, would vanish with its units. So a
// duplicate sale must match a ledger line of its order (and location) in
// day and quantity, or it is rejected with what the ledger says and how to
// send it instead. The same goes for a sale in a movements file, keyed by
// ref and location.

// saleLines are an item's sale lines from the blocks that reach back to
// floor, sorted by the hash of ref and location: an overlapping export
// repeats recent days, so it reads recent blocks only, once per item. Lines
// this import adds later are not added (an insert each would make a big
// file quadratic): a line not found here is looked for in them all.
type saleLines struct {
	floor model.Date
	es    []refEntry
}

func (im *importer) saleLinesOf(ctx context.Context, item int64, d model.Date) ([]refEntry, error) {
	c := im.sales[item]
	if c != nil && c.floor <= d {
		return c.es, nil
	}
	if im.sales == nil {
		im.sales = map[int64]*saleLines{}
	}
	if c != nil {
		// Lines before the first one met: read the rest once, not again
		// for each earlier day.
		d = math.MinInt32
	}
	var es []refEntry
	err := im.eachSaleOf(ctx, item, d, func(l ledgerLine, here bool) {
		if l.ref != "" {
			es = append(es, im.refEntryOf(l, here))
		}
	})
	if err != nil {
		return nil, err
	}
	// Unstable: a match is any line of the hash.
	slices.SortFunc(es, func(a, b refEntry) int { return cmp.Compare(a.h, b.h) })
	im.sales[item] = &saleLines{floor: d, es: es}
	return es, nil
}

// eachSaleOf calls fn with the item's sale lines of the blocks whose last
// day is d or later, and this import's.
func (im *importer) eachSaleOf(ctx context.Context, item int64, d model.Date, fn func(l ledgerLine, here bool)) error {
	if im.salesStmt == nil {
		q, err := im.tx.PrepareContext(ctx, "SELECT data, file_id IS ? FROM ledger_block WHERE item_id = ? AND max_date >= ? ORDER BY id")
		if err != nil {
			return err
		}
		im.salesStmt = q
	}
	return im.eachLineOf(ctx, item, im.salesStmt, []any{im.fileID, item, int64(d)}, func(l ledgerLine, here bool) {
		if l.kind == model.Sale {
			fn(l, here)
		}
	})
}

// saleRef is a sale line as a conflict's message needs it.
type saleRef struct {
	loc, qty int64
	date     model.Date
	line     int
	here     bool
}

// saleRefsOf is every sale line of an item by its ref, read once per
// import when the item first meets a sale that conflicts, and kept up to
// date by addLine: a corrected re-export conflicts on every line, and one
// read of the item's whole ledger each took a minute for 200,000 lines.
func (im *importer) saleRefsOf(ctx context.Context, item int64) (map[string][]saleRef, error) {
	if m, ok := im.saleRefs[item]; ok {
		return m, nil
	}
	m := map[string][]saleRef{}
	err := im.eachSaleOf(ctx, item, math.MinInt32, func(l ledgerLine, here bool) {
		if l.ref != "" {
			m[l.ref] = append(m[l.ref], saleRef{loc: l.loc, date: l.date, qty: l.qty, line: l.line, here: here})
		}
	})
	if err != nil {
		return nil, err
	}
	if im.saleRefs == nil {
		im.saleRefs = map[int64]map[string][]saleRef{}
	}
	im.saleRefs[item] = m
	return m, nil
}

// saleConflict checks a sale whose key is in the ledger already (qty
// signed, as booked). byRef is a sale in a movements file, keyed by ref,
// SKU and location; otherwise the key is order and SKU, at any location.
func (im *importer) saleConflict(ctx context.Context, p *parsed, st *itemState, slot int, sku, ref string, d model.Date, qty int64, byRef bool) (*rowError, error) {
	es, err := im.saleLinesOf(ctx, st.id, d)
	if err != nil {
		return nil, err
	}
	loc := im.locIDs[slot]
	h := im.refHash(ref, loc)
	i, _ := slices.BinarySearchFunc(es, h, func(e refEntry, h uint64) int { return cmp.Compare(e.h, h) })
	for _, e := range es[i:] {
		if e.h != h {
			break
		}
		if e.date == d && e.qty == qty {
			return nil, nil
		}
	}
	// Not among the lines read (they leave out what this import added
	// since): look in all of them, for a match or the line that holds the
	// key.
	byOrder, err := im.saleRefsOf(ctx, st.id)
	if err != nil {
		return nil, err
	}
	var found *saleRef
	for _, l := range byOrder[ref] {
		if byRef && l.loc != loc {
			continue
		}
		if l.loc == loc && l.date == d && l.qty == qty {
			return nil, nil
		}
		if found == nil {
			found = &l
		}
	}
	if found == nil {
		// No line at all: a key of a store older than the check.
		return nil, nil
	}
	here := found.here
	at, err := im.locationCode(ctx, found.loc)
	if err != nil {
		return nil, err
	}
	if byRef {
		where := "is in the ledger already"
		if here {
			where = "came earlier in this file"
		}
		return im.rowErr(p, "ref", fmt.Sprintf("%s for %s at %s %s (sale %+d on %s); if this is another sale, give it its own ref",
			ref, sku, at, where, found.qty, found.date)), nil
	}
	where := "in the ledger"
	if here {
		where = fmt.Sprintf("on line %d", found.line)
	}
	if found.loc == loc && found.qty == qty {
		// Only the day differs: most often an export whose days moved (a
		// time zone, a cut-off), whose line is in already.
		return im.rowErr(p, "date", fmt.Sprintf("order %s lists %s %s already with the same quantity on %s; "+
			"if the export's days moved, this line is in already; if it is another sale, give it its own order_id, such as %s/2",
			ref, sku, where, found.date, ref)), nil
	}
	return im.orderTwice(p, ref, sku, where, -found.qty, at, found.date), nil
}

// locationCode is the code of a location id, for messages.
func (im *importer) locationCode(ctx context.Context, id int64) (string, error) {
	for code, slot := range im.locSlot {
		if im.locIDs[slot] == id {
			return code, nil
		}
	}
	var code string
	err := im.tx.QueryRowContext(ctx, "SELECT code FROM location WHERE id = ?", id).Scan(&code)
	return code, err
}
