package data

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"stockroom/model"
)

// History is one item×location's daily record from its first ledger day to
// the day asked for: units sold per channel, the stock at the end of each
// day, and which days were out of stock. Zero sales on a day out of stock
// are censored demand, not zero demand, so forecasts treat them as missing.
type History struct {
	ItemID, LocID int64
	SKU, Location string
	Start         model.Date           // first day of the arrays
	Units         []float64            // units sold each day, all channels
	ByChannel     map[string][]float64 // units sold each day, per channel
	Revenue       float64              // over the whole history
	Closing       []int64              // stock at the end of each day
	Stockout      []bool               // the day ended with nothing on hand
}

// End is the last day of the history.
func (h *History) End() model.Date { return h.Start.AddDays(len(h.Units) - 1) }

// Days returns the history as model.DemandDay values, one per channel per
// day with sales or a stockout.
func (h *History) Days() []model.DemandDay {
	var out []model.DemandDay
	for ch, units := range h.ByChannel {
		for i, u := range units {
			if u != 0 || h.Stockout[i] {
				out = append(out, model.DemandDay{SKU: h.SKU, Location: h.Location, Channel: ch,
					Date: h.Start.AddDays(i), Units: int64(u), Stockout: h.Stockout[i]})
			}
		}
	}
	return out
}

// History returns one item×location's history up to day to (NoDate: the
// store's as-of day).
func (s *Store) History(ctx context.Context, sku, location string, to model.Date) (*History, error) {
	var found *History
	err := s.eachHistory(ctx, "AND i.sku = ? AND l.code = ?", []any{sku, location}, to, func(h *History) error {
		found = h
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("history of %s at %s: %w", sku, location, ErrNotFound)
	}
	return found, nil
}

// EachHistory calls fn with the history of every item×location in the
// store, one at a time (memory holds one history), up to day to (NoDate:
// the store's as-of day).
func (s *Store) EachHistory(ctx context.Context, to model.Date, fn func(*History) error) error {
	return s.eachHistory(ctx, "", nil, to, fn)
}

func (s *Store) eachHistory(ctx context.Context, where string, args []any, to model.Date, fn func(*History) error) error {
	if to == model.NoDate {
		var err error
		if to, err = s.AsOf(ctx); err != nil {
			return err
		}
		if to == model.NoDate {
			return nil
		}
	}
	chans, err := s.channelNames(ctx)
	if err != nil {
		return err
	}
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// One read transaction: the ledger cannot move under the scan.
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT s.item_id, s.loc_id, i.sku, l.code, s.on_hand, s.first_date, m.month, m.data
		FROM stock s JOIN item i ON i.id = s.item_id JOIN location l ON l.id = s.loc_id
		LEFT JOIN series_month m ON m.item_id = s.item_id AND m.loc_id = s.loc_id
		WHERE 1 `+where+` ORDER BY s.item_id, s.loc_id, m.month`, args...)
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	defer rows.Close()
	var (
		h      *History
		onHand int64
		net    []int64
		after  int64
		r      monthRow
	)
	emit := func() error {
		if h == nil {
			return nil
		}
		h.Closing = make([]int64, len(h.Units))
		h.Stockout = make([]bool, len(h.Units))
		closing := onHand - after
		for i := len(net) - 1; i >= 0; i-- {
			h.Closing[i] = closing
			h.Stockout[i] = closing <= 0
			closing -= net[i]
		}
		return fn(h)
	}
	for rows.Next() {
		var item, loc, first int64
		var sku, code string
		var oh int64
		var m sql.NullInt64
		var blob []byte
		if err := rows.Scan(&item, &loc, &sku, &code, &oh, &first, &m, &blob); err != nil {
			return err
		}
		if h == nil || h.ItemID != item || h.LocID != loc {
			if err := emit(); err != nil {
				return err
			}
			start := model.Date(first)
			n := max(0, int(to-start)+1)
			h = &History{ItemID: item, LocID: loc, SKU: sku, Location: code, Start: start,
				Units: make([]float64, n), ByChannel: map[string][]float64{}}
			onHand, after = oh, 0
			net = make([]int64, n)
		}
		if !m.Valid {
			continue
		}
		if err := r.decode(blob); err != nil {
			return fmt.Errorf("read history of %s at %s: %w", sku, code, err)
		}
		mFirst := month(m.Int64).firstDay()
		for d := range r.net {
			idx := int(mFirst) + d - int(h.Start)
			switch {
			case idx >= len(net):
				after += r.net[d]
			case idx >= 0:
				net[idx] += r.net[d]
			}
		}
		for _, c := range r.chans {
			name := chans[c.ch]
			series := h.ByChannel[name]
			if series == nil {
				series = make([]float64, len(h.Units))
				h.ByChannel[name] = series
			}
			h.Revenue += c.revenue
			for d, u := range c.units {
				if idx := int(mFirst) + d - int(h.Start); idx >= 0 && idx < len(series) && u != 0 {
					series[idx] += float64(u)
					h.Units[idx] += float64(u)
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return emit()
}

func (s *Store) channelNames(ctx context.Context) (map[int64]string, error) {
	return s.codesByID(ctx, "SELECT id, code FROM channel")
}

// codesByID reads a query of (id, code) rows into a map.
func (s *Store) codesByID(ctx context.Context, q string) (map[int64]string, error) {
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[int64]string{}
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, err
		}
		m[id] = code
	}
	return m, rows.Err()
}

// Movements returns the ledger lines of an item at a location (location ""
// for every location), newest first, at most limit (0 for all).
func (s *Store) Movements(ctx context.Context, sku, location string, limit int) ([]model.Movement, error) {
	locs, err := s.locationCodes(ctx)
	if err != nil {
		return nil, err
	}
	chans, err := s.channelNames(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT b.id, b.max_date, b.data, coalesce(f.path, ''), b.user FROM ledger_block b
		JOIN item i ON i.id = b.item_id LEFT JOIN file f ON f.id = b.file_id
		WHERE i.sku = ? ORDER BY b.max_date DESC, b.id DESC`, sku)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Movement
	for rows.Next() {
		var id, maxDate int64
		var blob []byte
		var path, user string
		if err := rows.Scan(&id, &maxDate, &blob, &path, &user); err != nil {
			return nil, err
		}
		// Blocks come newest first by their last day: once limit lines are
		// newer than everything this block holds, the rest cannot matter.
		if limit > 0 && len(out) >= limit {
			sortMovements(out)
			if out[limit-1].Date > model.Date(maxDate) {
				break
			}
		}
		var block []model.Movement
		err := decodeBlock(blob, func(i int, l ledgerLine) bool {
			code := locs[l.loc]
			if location != "" && code != location {
				return true
			}
			m := model.Movement{ID: id*blockMax + int64(i), Date: l.date, SKU: sku, Location: code, Qty: l.qty,
				Kind: l.kind, Ref: l.ref, Channel: chans[l.channel], Source: model.Source{File: path, Line: l.line, User: user}}
			if path != "" {
				m.Source.User = ""
			}
			block = append(block, m)
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("read ledger of %s: %w", sku, err)
		}
		out = append(out, block...)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Newest first: by date, then by id (the order they were booked).
	sortMovements(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sortMovements(ms []model.Movement) {
	slices.SortFunc(ms, func(a, b model.Movement) int {
		if a.Date != b.Date {
			return cmp.Compare(b.Date, a.Date)
		}
		return cmp.Compare(b.ID, a.ID)
	})
}

func (s *Store) locationCodes(ctx context.Context) (map[int64]string, error) {
	return s.codesByID(ctx, "SELECT id, code FROM location")
}
