package data

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"stockroom/model"
)

// migrationReplenishment creates the tables of replenishment: reorder
// proposals (one open per item×location, enforced by a partial unique
// index), purchase orders and their lines (one line per proposal, enforced
// by a unique key), the alerts of the last recompute, and the policy
// overrides. Who did what goes to the audit table of the ledger step.
const migrationReplenishment = `
CREATE TABLE proposal(
	id INTEGER PRIMARY KEY,
	item_id INTEGER NOT NULL REFERENCES item(id),
	loc_id INTEGER NOT NULL REFERENCES location(id),
	kind TEXT NOT NULL DEFAULT 'purchase',
	from_loc_id INTEGER REFERENCES location(id), -- source of a transfer
	supplier TEXT NOT NULL DEFAULT '',
	qty INTEGER NOT NULL,
	suggested_qty INTEGER NOT NULL,
	edited INTEGER NOT NULL DEFAULT 0,
	unit_cost REAL NOT NULL DEFAULT 0,
	state TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	urgency REAL NOT NULL DEFAULT 0,
	snooze_until INTEGER,
	as_of INTEGER NOT NULL,
	reasons TEXT NOT NULL DEFAULT '{}',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	acted_by TEXT NOT NULL DEFAULT '',
	acted_at INTEGER,
	note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX proposal_open ON proposal(item_id, loc_id) WHERE state IN ('proposed', 'snoozed');
CREATE INDEX proposal_queue ON proposal(state, urgency, id);
CREATE INDEX proposal_item ON proposal(item_id, loc_id, state);

-- Approved lines are grouped per supplier (per source location for
-- transfers); one open (unsent) order per supplier collects them.
CREATE TABLE purchase_order(
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL DEFAULT 'purchase',
	supplier TEXT NOT NULL,
	state TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	sent_at INTEGER,
	sent_by TEXT NOT NULL DEFAULT '',
	closed_at INTEGER
);
CREATE UNIQUE INDEX purchase_order_open ON purchase_order(kind, supplier) WHERE state = 'open';
CREATE INDEX purchase_order_state ON purchase_order(state, id);

CREATE TABLE po_line(
	id INTEGER PRIMARY KEY,
	po_id INTEGER NOT NULL REFERENCES purchase_order(id),
	proposal_id INTEGER NOT NULL UNIQUE REFERENCES proposal(id),
	item_id INTEGER NOT NULL REFERENCES item(id),
	loc_id INTEGER NOT NULL REFERENCES location(id),
	from_loc_id INTEGER REFERENCES location(id),
	qty INTEGER NOT NULL,
	unit_cost REAL NOT NULL DEFAULT 0,
	received INTEGER NOT NULL DEFAULT 0,
	shipped INTEGER NOT NULL DEFAULT 0,
	closed INTEGER NOT NULL DEFAULT 0,
	scanned INTEGER NOT NULL DEFAULT 0 -- ledger blocks up to this id are counted in received/shipped
);
CREATE INDEX po_line_po ON po_line(po_id);
CREATE INDEX po_line_open ON po_line(closed, item_id);

CREATE TABLE replenish_alert(
	item_id INTEGER NOT NULL,
	loc_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	as_of INTEGER NOT NULL,
	value REAL NOT NULL,
	detail TEXT NOT NULL DEFAULT '',
	PRIMARY KEY(kind, item_id, loc_id)
) WITHOUT ROWID;

-- Policy overrides: scope is default, class (A/B/C), category, supplier or
-- item; NULL leaves a field to the wider scope.
CREATE TABLE replenish_policy(
	scope TEXT NOT NULL,
	key TEXT NOT NULL,
	service REAL,
	review_days INTEGER,
	lead_time_days REAL,
	lead_time_sd_days REAL,
	max_stock INTEGER,
	order_cost REAL,
	holding_rate REAL,
	budget REAL,
	PRIMARY KEY(scope, key)
) WITHOUT ROWID;
`

// migrationLevels keeps every planned item×location's levels from the last
// recompute, so the stock table can show a reorder point for rows without
// a proposal.
const migrationLevels = `
CREATE TABLE replenish_level(
	item_id INTEGER NOT NULL,
	loc_id INTEGER NOT NULL,
	as_of INTEGER NOT NULL,
	class TEXT NOT NULL DEFAULT '',
	service REAL NOT NULL DEFAULT 0,
	service_kind TEXT NOT NULL DEFAULT '',
	daily_mean REAL NOT NULL DEFAULT 0,
	model TEXT NOT NULL DEFAULT '',
	lead_time_days REAL NOT NULL DEFAULT 0,
	lead_time_sd_days REAL NOT NULL DEFAULT 0,
	review_days INTEGER NOT NULL DEFAULT 0,
	safety_stock REAL NOT NULL DEFAULT 0,
	reorder_point INTEGER NOT NULL DEFAULT 0,
	order_up_to INTEGER NOT NULL DEFAULT 0,
	eoq REAL NOT NULL DEFAULT 0,
	PRIMARY KEY(item_id, loc_id)
) WITHOUT ROWID;
`

// openStates is the SQL list of the states a person can still act on.
const openStates = "('proposed', 'snoozed')"

// poCode is a purchase order's reference: PO-000012, or TR-000012 for a
// transfer order. Receipts close a line when they carry it.
func poCode(id int64, kind model.ProposalKind) string {
	if kind == model.ProposalTransfer {
		return fmt.Sprintf("TR-%06d", id)
	}
	return fmt.Sprintf("PO-%06d", id)
}

// ParsePOCode reads a purchase order reference as receipts carry it:
// "PO-000012", "po-12", and anything after a separator ("PO-000012/2",
// "PO-12 part 1") so several receipts of one order have distinct refs.
// It returns the order id.
func ParsePOCode(ref string) (int64, bool) {
	ref = strings.TrimSpace(ref)
	if len(ref) < 4 || (ref[2] != '-' && ref[2] != ' ' && ref[2] != '_') {
		return 0, false
	}
	switch strings.ToUpper(ref[:2]) {
	case "PO", "TR":
	default:
		return 0, false
	}
	n := 3
	for n < len(ref) && ref[n] >= '0' && ref[n] <= '9' {
		n++
	}
	if n == 3 || (n < len(ref) && strings.IndexByte("/#:-. _", ref[n]) < 0) {
		return 0, false
	}
	id, err := strconv.ParseInt(ref[3:n], 10, 64)
	return id, err == nil && id > 0
}

// PlanRow is one item×location that needs stock, as a recompute found it.
type PlanRow struct {
	ItemID, LocID int64
	Kind          model.ProposalKind
	FromLocID     int64 // source of a transfer
	Supplier      string
	Qty           int64
	UnitCost      float64
	Urgency       float64
	Reasons       model.Reasons
}

// AlertRow is one alert of a recompute.
type AlertRow struct {
	ItemID, LocID int64
	Kind          model.AlertKind
	Value         float64
	Detail        string
}

// PlanOptions tunes ApplyPlan.
type PlanOptions struct {
	// RejectHoldDays: after a rejection, no new proposal is made for the
	// item×location until the data is this many days newer.
	RejectHoldDays int
	User           string    // who recomputes, for the audit trail ("plan")
	Now            time.Time // defaults to time.Now()
	// Levels, when not nil, replace the stored levels of the last
	// recompute (see Store.Levels).
	Levels []LevelRow
}

// LevelRow is one item×location's levels, as a recompute found them.
type LevelRow struct {
	ItemID, LocID int64
	model.Level
}

// PlanResult counts what a recompute did to the proposals.
type PlanResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`   // changed quantity, kind or state (a new version)
	Refreshed int `json:"refreshed"` // same action, numbers refreshed, version kept
	Withdrawn int `json:"withdrawn"`
	Woken     int `json:"woken"` // snoozed proposals whose date came
	Held      int `json:"held"`  // needs left alone because of a recent rejection
	Alerts    int `json:"alerts"`
}

// ApplyPlan writes a recompute in one transaction: each row updates the
// open proposal of its item×location or creates one (never a second), open
// proposals whose need has gone are withdrawn, snoozed ones whose date has
// come are proposed again, and the alerts are replaced. A proposal's
// version goes up only when what a person would act on changes (kind,
// source, quantity, state); refreshed reasons keep it, so a recompute does
// not invalidate what someone is looking at for nothing.
func (s *Store) ApplyPlan(ctx context.Context, asOf model.Date, rows []PlanRow, alerts []AlertRow, opt PlanOptions) (PlanResult, error) {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	user := opt.User
	if user == "" {
		user = "plan"
	}
	var res PlanResult
	err := s.write(ctx, func(tx *sql.Tx) error {
		type openRow struct {
			id, from, qty, version int64
			kind, supplier, state  string
			edited                 bool
			snooze                 sql.NullInt64
			seen                   bool
		}
		open := map[[2]int64]*openRow{}
		rs, err := tx.QueryContext(ctx, `SELECT id, item_id, loc_id, kind, coalesce(from_loc_id, 0), supplier, qty, edited, state, version, snooze_until
			FROM proposal WHERE state IN `+openStates)
		if err != nil {
			return err
		}
		for rs.Next() {
			var o openRow
			var item, loc int64
			if err := rs.Scan(&o.id, &item, &loc, &o.kind, &o.from, &o.supplier, &o.qty, &o.edited, &o.state, &o.version, &o.snooze); err != nil {
				rs.Close()
				return err
			}
			open[[2]int64{item, loc}] = &o
		}
		rs.Close()
		// The latest data day each item×location's proposal was rejected on.
		rejected := map[[2]int64]model.Date{}
		{
			rs, err := tx.QueryContext(ctx, `SELECT item_id, loc_id, max(as_of) FROM proposal WHERE state = 'rejected'
				GROUP BY item_id, loc_id`)
			if err != nil {
				return err
			}
			for rs.Next() {
				var k [2]int64
				var d int64
				if err := rs.Scan(&k[0], &k[1], &d); err != nil {
					rs.Close()
					return err
				}
				rejected[k] = model.Date(d)
			}
			rs.Close()
		}
		// held: a rejection keeps a new proposal away for RejectHoldDays;
		// for an item×location that has not sold for a long time
		// (Reasons.NotSold), a rejection made since its last sale answers
		// the question its proposal asks (is it still sold here?) until it
		// sells again.
		held := func(k [2]int64, r model.Reasons) bool {
			d, ok := rejected[k]
			switch {
			case !ok:
				return false
			case opt.RejectHoldDays > 0 && d > asOf.AddDays(-opt.RejectHoldDays):
				return true
			}
			return r.NotSold > 0 && d >= asOf.AddDays(-r.NotSold)
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO proposal(item_id, loc_id, kind, from_loc_id, supplier, qty, suggested_qty,
			unit_cost, state, version, urgency, as_of, reasons, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'proposed', 1, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		upd, err := tx.PrepareContext(ctx, `UPDATE proposal SET kind = ?, from_loc_id = ?, supplier = ?, qty = ?, suggested_qty = ?, edited = ?,
			unit_cost = ?, state = ?, snooze_until = ?, urgency = ?, as_of = ?, reasons = ?, updated_at = ?, version = version + ?
			WHERE id = ? AND version = ? AND state IN `+openStates)
		if err != nil {
			return err
		}
		defer upd.Close()
		aud, err := tx.PrepareContext(ctx, `INSERT INTO audit(at, user, action, object, object_id, version, detail) VALUES (?, ?, ?, 'proposal', ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer aud.Close()
		ms := now.UnixMilli()
		for _, r := range rows {
			if r.Qty <= 0 {
				continue
			}
			reasons, err := json.Marshal(r.Reasons)
			if err != nil {
				return err
			}
			k := [2]int64{r.ItemID, r.LocID}
			from := sql.NullInt64{Int64: r.FromLocID, Valid: r.FromLocID != 0}
			kind := string(r.Kind)
			if kind == "" {
				kind = string(model.ProposalPurchase)
			}
			o := open[k]
			if o == nil {
				if held(k, r.Reasons) {
					res.Held++
					continue
				}
				x, err := ins.ExecContext(ctx, r.ItemID, r.LocID, kind, from, r.Supplier, r.Qty, r.Qty, r.UnitCost, r.Urgency, int64(asOf), string(reasons), ms, ms)
				if err != nil {
					return fmt.Errorf("create proposal: %w", err)
				}
				id, _ := x.LastInsertId()
				detail, _ := json.Marshal(map[string]any{"qty": r.Qty, "kind": kind})
				if _, err := aud.ExecContext(ctx, ms, user, "create", strconv.FormatInt(id, 10), 1, string(detail)); err != nil {
					return err
				}
				res.Created++
				continue
			}
			o.seen = true
			state, snooze := o.state, o.snooze
			if state == string(model.ProposalSnoozed) && snooze.Valid && model.Date(snooze.Int64) <= asOf {
				state, snooze = string(model.ProposalProposed), sql.NullInt64{}
				res.Woken++
			}
			qty, edited := r.Qty, false
			sameAction := kind == o.kind && r.FromLocID == o.from
			if o.edited && sameAction {
				qty, edited = o.qty, true
			}
			changed := !sameAction || qty != o.qty || state != o.state || r.Supplier != o.supplier
			bump := 0
			if changed {
				bump = 1
			}
			x, err := upd.ExecContext(ctx, kind, from, r.Supplier, qty, r.Qty, edited, r.UnitCost, state, snooze, r.Urgency,
				int64(asOf), string(reasons), ms, bump, o.id, o.version)
			if err != nil {
				return fmt.Errorf("update proposal %d: %w", o.id, err)
			}
			if n, _ := x.RowsAffected(); n != 1 {
				return fmt.Errorf("update proposal %d: it changed during the recompute", o.id)
			}
			prevQty, prevState, prevKind, prevVersion := o.qty, o.state, o.kind, o.version
			o.kind, o.from, o.supplier, o.qty, o.edited, o.state, o.snooze = kind, r.FromLocID, r.Supplier, qty, edited, state, snooze
			o.version += int64(bump)
			if !changed {
				res.Refreshed++
				continue
			}
			res.Updated++
			detail, _ := json.Marshal(map[string]any{"qty": []int64{prevQty, qty}, "state": []string{prevState, state}, "kind": []string{prevKind, kind}})
			if _, err := aud.ExecContext(ctx, ms, user, "recompute", strconv.FormatInt(o.id, 10), prevVersion, string(detail)); err != nil {
				return err
			}
		}
		for _, o := range open {
			if o.seen {
				continue
			}
			x, err := tx.ExecContext(ctx, `UPDATE proposal SET state = 'withdrawn', version = version + 1, updated_at = ?,
				note = 'no longer needed at the recompute of ' || ? WHERE id = ? AND version = ? AND state IN `+openStates,
				ms, asOf.String(), o.id, o.version)
			if err != nil {
				return err
			}
			if n, _ := x.RowsAffected(); n != 1 {
				return fmt.Errorf("withdraw proposal %d: it changed during the recompute", o.id)
			}
			if _, err := aud.ExecContext(ctx, ms, user, "withdraw", strconv.FormatInt(o.id, 10), o.version, "{}"); err != nil {
				return err
			}
			res.Withdrawn++
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM replenish_alert"); err != nil {
			return err
		}
		if len(alerts) > 0 {
			ia, err := tx.PrepareContext(ctx, "INSERT OR REPLACE INTO replenish_alert(item_id, loc_id, kind, as_of, value, detail) VALUES (?, ?, ?, ?, ?, ?)")
			if err != nil {
				return err
			}
			defer ia.Close()
			for _, a := range alerts {
				v := a.Value
				if math.IsNaN(v) || math.IsInf(v, 0) {
					v = model.NoCover
				}
				if _, err := ia.ExecContext(ctx, a.ItemID, a.LocID, string(a.Kind), int64(asOf), v, a.Detail); err != nil {
					return err
				}
			}
			res.Alerts = len(alerts)
		}
		if opt.Levels != nil {
			if err := replaceLevels(ctx, tx, asOf, opt.Levels); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('replenish_as_of', ?), ('replenish_planned_at', ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, asOf.String(), now.UTC().Format(time.RFC3339))
		return err
	})
	return res, err
}

// PlannedAsOf is the data day of the last recompute (NoDate: never).
func (s *Store) PlannedAsOf(ctx context.Context) (model.Date, error) {
	v, err := s.Meta(ctx, "replenish_as_of")
	if err != nil || v == "" {
		return model.NoDate, err
	}
	return model.ParseDate(v)
}

const proposalSelect = `SELECT p.id, i.sku, i.name, l.code, p.kind, coalesce(fl.code, ''), p.supplier, p.qty, p.suggested_qty, p.edited,
	p.unit_cost, p.state, p.version, p.urgency, p.snooze_until, p.as_of, p.reasons, p.created_at, p.updated_at, p.acted_by,
	p.acted_at, p.note, coalesce(pl.po_id, 0), coalesce(po.kind, '')
	FROM proposal p JOIN item i ON i.id = p.item_id JOIN location l ON l.id = p.loc_id
	LEFT JOIN location fl ON fl.id = p.from_loc_id
	LEFT JOIN po_line pl ON pl.proposal_id = p.id LEFT JOIN purchase_order po ON po.id = pl.po_id`

type rowScanner interface{ Scan(dest ...any) error }

func scanProposal(r rowScanner) (model.Proposal, error) {
	var p model.Proposal
	var snooze sql.NullInt64
	var asOf, created, updated int64
	var acted sql.NullInt64
	var reasons, kind, state, poKind string
	var poID int64
	err := r.Scan(&p.ID, &p.SKU, &p.Name, &p.Location, &kind, &p.From, &p.Supplier, &p.Qty, &p.SuggestedQty, &p.Edited,
		&p.UnitCost, &state, &p.Version, &p.Urgency, &snooze, &asOf, &reasons, &created, &updated, &p.By, &acted, &p.Note, &poID, &poKind)
	if err != nil {
		return p, err
	}
	p.Kind, p.State = model.ProposalKind(kind), model.ProposalState(state)
	p.SnoozeUntil = nullToDate(snooze)
	p.AsOf = model.Date(asOf)
	p.CreatedAt, p.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	if acted.Valid {
		p.At = time.UnixMilli(acted.Int64)
	}
	if poID != 0 {
		p.PO = poCode(poID, model.ProposalKind(poKind))
	}
	if err := json.Unmarshal([]byte(reasons), &p.Reasons); err != nil {
		return p, fmt.Errorf("proposal %d: reasons: %w", p.ID, err)
	}
	return p, nil
}

// Proposals returns the proposals a query selects, most urgent first
// (then by id), snoozed ones after the rest (a snooze takes a proposal
// out of the way until its day), at most q.Limit (0: all), after q.After.
func (s *Store) Proposals(ctx context.Context, q model.ProposalQuery) ([]model.Proposal, error) {
	where, args := proposalWhere(q)
	if q.After != nil {
		where = append(where, "(p.state = 'snoozed', p.urgency, p.id) > (?, ?, ?)")
		args = append(args, q.After.Snoozed, q.After.Urgency, q.After.ID)
	}
	qs := proposalSelect
	if len(where) > 0 {
		qs += " WHERE " + strings.Join(where, " AND ")
	}
	qs += " ORDER BY p.state = 'snoozed', p.urgency, p.id"
	if q.Limit > 0 {
		qs += " LIMIT " + strconv.Itoa(q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, qs, args...)
	if err != nil {
		return nil, fmt.Errorf("proposals: %w", err)
	}
	defer rows.Close()
	var out []model.Proposal
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func proposalWhere(q model.ProposalQuery) ([]string, []any) {
	var where []string
	var args []any
	states := q.States
	if len(states) == 0 && len(q.IDs) == 0 {
		states = []model.ProposalState{model.ProposalProposed, model.ProposalSnoozed}
	}
	if len(states) > 0 {
		where = append(where, "p.state IN ("+placeholders(len(states))+")")
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	if len(q.IDs) > 0 {
		where = append(where, "p.id IN ("+placeholders(len(q.IDs))+")")
		for _, id := range q.IDs {
			args = append(args, id)
		}
	}
	if q.SKU != "" {
		where = append(where, "i.sku = ?")
		args = append(args, q.SKU)
	}
	for _, t := range q.Text {
		w, a := fuzzyTerm(t, "i.sku", "i.name", "i.category")
		where, args = append(where, w), append(args, a...)
	}
	if q.Location != "" {
		where = append(where, "l.code = ?")
		args = append(args, q.Location)
	}
	if q.Supplier != "" {
		where = append(where, "p.supplier = ?")
		args = append(args, q.Supplier)
	}
	return where, args
}

// ProposalCount counts the proposals a query selects (ignoring After and
// Limit).
func (s *Store) ProposalCount(ctx context.Context, q model.ProposalQuery) (int, error) {
	where, args := proposalWhere(q)
	qs := "SELECT count(*) FROM proposal p JOIN item i ON i.id = p.item_id JOIN location l ON l.id = p.loc_id"
	if len(where) > 0 {
		qs += " WHERE " + strings.Join(where, " AND ")
	}
	var n int
	err := s.r.QueryRowContext(ctx, qs, args...).Scan(&n)
	return n, err
}

// Proposal returns one proposal, or ErrNotFound.
func (s *Store) Proposal(ctx context.Context, id int64) (model.Proposal, error) {
	p, err := scanProposal(s.r.QueryRowContext(ctx, proposalSelect+" WHERE p.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("proposal %d: %w", id, ErrNotFound)
	}
	return p, err
}

// ProposalTotals sums the proposals a query selects: count, units and
// value (quantity × unit cost), in all and per supplier.
func (s *Store) ProposalTotals(ctx context.Context, q model.ProposalQuery) (model.ProposalTotals, error) {
	where, args := proposalWhere(q)
	qs := `SELECT CASE p.kind WHEN 'transfer' THEN '' ELSE p.supplier END, count(*), coalesce(sum(p.qty), 0), coalesce(sum(p.qty * p.unit_cost), 0)
		FROM proposal p JOIN item i ON i.id = p.item_id JOIN location l ON l.id = p.loc_id`
	if len(where) > 0 {
		qs += " WHERE " + strings.Join(where, " AND ")
	}
	qs += " GROUP BY 1"
	t := model.ProposalTotals{BySupplier: map[string]float64{}}
	rows, err := s.r.QueryContext(ctx, qs, args...)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	for rows.Next() {
		var sup string
		var n int
		var units int64
		var v float64
		if err := rows.Scan(&sup, &n, &units, &v); err != nil {
			return t, err
		}
		t.Count += n
		t.Units += units
		t.Value += v
		t.BySupplier[sup] += v
	}
	return t, rows.Err()
}

// ActOnProposal applies one person's action in one write transaction:
// it reads the proposal, checks the action against its state and the
// version the person saw (model.Proposal.Apply), and writes the change
// with `WHERE id = ? AND version = ? AND state IN (open)`, requiring one
// row changed. An approval also adds exactly one line to the supplier's
// open purchase order (the line's unique proposal key makes a second one
// impossible) and raises on_order. Every action is audited with the
// version the person saw. Conflicts come back as errors wrapping
// model.ErrProposalStale or model.ErrProposalTransition, and change
// nothing.
func (s *Store) ActOnProposal(ctx context.Context, id int64, r model.ProposalRequest) (model.Proposal, error) {
	if r.At.IsZero() {
		r.At = time.Now()
	}
	var out model.Proposal
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := scanProposal(tx.QueryRowContext(ctx, proposalSelect+" WHERE p.id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("proposal %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		next, err := cur.Apply(r)
		if err != nil {
			return err
		}
		ms := r.At.UnixMilli()
		var snooze sql.NullInt64
		if next.SnoozeUntil != model.NoDate {
			snooze = sql.NullInt64{Int64: int64(next.SnoozeUntil), Valid: true}
		}
		x, err := tx.ExecContext(ctx, `UPDATE proposal SET state = ?, version = version + 1, qty = ?, edited = ?, snooze_until = ?,
			acted_by = ?, acted_at = ?, updated_at = ?, note = ? WHERE id = ? AND version = ? AND state IN `+openStates,
			string(next.State), next.Qty, next.Edited, snooze, r.User, ms, ms, next.Note, id, cur.Version)
		if err != nil {
			return fmt.Errorf("proposal %d: %w", id, err)
		}
		if n, _ := x.RowsAffected(); n != 1 {
			return fmt.Errorf("proposal %d changed while being acted on: %w", id, model.ErrProposalStale)
		}
		detail := map[string]any{"state": []string{string(cur.State), string(next.State)}}
		if next.Qty != cur.Qty {
			detail["qty"] = []int64{cur.Qty, next.Qty}
		}
		if r.Action == model.ActSnooze {
			detail["until"] = next.SnoozeUntil.String()
		}
		if r.Note != "" {
			detail["note"] = r.Note
		}
		if r.Action == model.ActApprove {
			code, err := addPOLine(ctx, tx, id, next, r.User, ms)
			if err != nil {
				return err
			}
			detail["po"] = code
			next.PO = code
		}
		d, _ := json.Marshal(detail)
		seen := r.Version
		if seen == 0 {
			seen = cur.Version
		}
		if err := auditTx(ctx, tx, AuditEntry{At: r.At, User: r.User, Action: string(r.Action), Object: "proposal",
			ObjectID: strconv.FormatInt(id, 10), Version: seen, Detail: string(d)}); err != nil {
			return err
		}
		out = next
		return nil
	})
	return out, err
}

// addPOLine adds an approved proposal's line to its supplier's open order
// (creating the order if there is none) and raises on_order.
func addPOLine(ctx context.Context, tx *sql.Tx, id int64, p model.Proposal, user string, ms int64) (string, error) {
	var item, loc int64
	var from sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT item_id, loc_id, from_loc_id FROM proposal WHERE id = ?", id).Scan(&item, &loc, &from); err != nil {
		return "", err
	}
	kind := p.Kind
	if kind == "" {
		kind = model.ProposalPurchase
	}
	supplier := p.Supplier
	if kind == model.ProposalTransfer {
		supplier = p.From
	}
	var po int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM purchase_order WHERE kind = ? AND supplier = ? AND state = 'open'", string(kind), supplier).Scan(&po)
	if errors.Is(err, sql.ErrNoRows) {
		x, err := tx.ExecContext(ctx, "INSERT INTO purchase_order(kind, supplier, state, created_at, created_by) VALUES (?, ?, 'open', ?, ?)",
			string(kind), supplier, ms, user)
		if err != nil {
			return "", fmt.Errorf("create purchase order: %w", err)
		}
		po, _ = x.LastInsertId()
	} else if err != nil {
		return "", err
	}
	var maxBlock int64
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM ledger_block").Scan(&maxBlock); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO po_line(po_id, proposal_id, item_id, loc_id, from_loc_id, qty, unit_cost, scanned)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, po, id, item, loc, from, p.Qty, p.UnitCost, maxBlock); err != nil {
		return "", fmt.Errorf("add purchase order line for proposal %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE purchase_order SET version = version + 1 WHERE id = ?", po); err != nil {
		return "", err
	}
	if err := refreshOnOrder(ctx, tx, item, loc); err != nil {
		return "", err
	}
	return poCode(po, kind), nil
}

// refreshOnOrder sets stock.on_order of an item×location to what its open
// lines still wait for.
func refreshOnOrder(ctx context.Context, tx *sql.Tx, item, loc int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE stock SET on_order = (SELECT coalesce(sum(max(0, qty - received)), 0) FROM po_line
		WHERE item_id = ?1 AND loc_id = ?2 AND closed = 0) WHERE item_id = ?1 AND loc_id = ?2`, item, loc)
	return err
}

// OpenLine is a purchase order line still waiting for goods, for netting:
// the recompute counts it as on order at its location and (transfers) as
// committed at its source.
type OpenLine struct {
	ItemID, LocID, FromLocID int64
	Qty, Received, Shipped   int64
	Created                  time.Time // when the order was created
	Sent                     time.Time // when it was sent; zero while open
}

// OpenLines returns every purchase order line not yet fully received.
func (s *Store) OpenLines(ctx context.Context) ([]OpenLine, error) {
	return queryAll(ctx, s.r, `SELECT l.item_id, l.loc_id, coalesce(l.from_loc_id, 0), l.qty, l.received, l.shipped, po.created_at, coalesce(po.sent_at, 0)
		FROM po_line l JOIN purchase_order po ON po.id = l.po_id WHERE l.closed = 0`, func(rows *sql.Rows) (OpenLine, error) {
		var l OpenLine
		var c, sent int64
		err := rows.Scan(&l.ItemID, &l.LocID, &l.FromLocID, &l.Qty, &l.Received, &l.Shipped, &c, &sent)
		l.Created = time.UnixMilli(c)
		if sent > 0 {
			l.Sent = time.UnixMilli(sent)
		}
		return l, err
	})
}

// PurchaseOrders returns purchase orders with their lines, newest first;
// states empty means all.
func (s *Store) PurchaseOrders(ctx context.Context, states []model.POState) ([]model.PurchaseOrder, error) {
	q := "SELECT id, kind, supplier, state, version, created_at, created_by, coalesce(sent_at, 0), sent_by FROM purchase_order"
	var args []any
	if len(states) > 0 {
		q += " WHERE state IN (" + placeholders(len(states)) + ")"
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	q += " ORDER BY id DESC"
	pos, err := queryAll(ctx, s.r, q, func(rows *sql.Rows) (model.PurchaseOrder, error) {
		var po model.PurchaseOrder
		var kind, state string
		var created, sent int64
		err := rows.Scan(&po.ID, &kind, &po.Supplier, &state, &po.Version, &created, &po.CreatedBy, &sent, &po.SentBy)
		po.Kind, po.State = model.ProposalKind(kind), model.POState(state)
		po.Code = poCode(po.ID, po.Kind)
		po.CreatedAt = time.UnixMilli(created)
		if sent > 0 {
			po.SentAt = time.UnixMilli(sent)
		}
		return po, err
	}, args...)
	if err != nil || len(pos) == 0 {
		return pos, err
	}
	idx := map[int64]int{}
	for i, po := range pos {
		idx[po.ID] = i
	}
	rows, err := s.r.QueryContext(ctx, `SELECT l.id, l.po_id, l.proposal_id, i.sku, lo.code, coalesce(fl.code, ''), l.qty, l.unit_cost, l.received, l.shipped
		FROM po_line l JOIN item i ON i.id = l.item_id JOIN location lo ON lo.id = l.loc_id LEFT JOIN location fl ON fl.id = l.from_loc_id
		ORDER BY l.po_id, l.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var l model.POLine
		var po int64
		if err := rows.Scan(&l.ID, &po, &l.ProposalID, &l.SKU, &l.Location, &l.From, &l.Qty, &l.UnitCost, &l.Received, &l.Shipped); err != nil {
			return nil, err
		}
		if i, ok := idx[po]; ok {
			pos[i].Lines = append(pos[i].Lines, l)
		}
	}
	return pos, rows.Err()
}

// SendPO marks an open purchase order as sent to its supplier (ordered),
// with its proposals; version is the order's version the person saw (0:
// any). Later approvals for the supplier start a new order.
func (s *Store) SendPO(ctx context.Context, id, version int64, user string, at time.Time) error {
	if at.IsZero() {
		at = time.Now()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		q := "UPDATE purchase_order SET state = 'ordered', version = version + 1, sent_at = ?, sent_by = ? WHERE id = ? AND state = 'open'"
		args := []any{at.UnixMilli(), user, id}
		if version != 0 {
			q += " AND version = ?"
			args = append(args, version)
		}
		x, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := x.RowsAffected(); n != 1 {
			var state string
			var v int64
			err := tx.QueryRowContext(ctx, "SELECT state, version FROM purchase_order WHERE id = ?", id).Scan(&state, &v)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("purchase order %d: %w", id, ErrNotFound)
			case err != nil:
				return err
			case state != string(model.POOpen):
				return fmt.Errorf("purchase order %d is already %s: %w", id, state, model.ErrProposalTransition)
			}
			return fmt.Errorf("purchase order %d changed since you saw it (version %d, now %d): %w", id, version, v, model.ErrProposalStale)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE proposal SET state = 'ordered', version = version + 1, updated_at = ?
			WHERE state = 'approved' AND id IN (SELECT proposal_id FROM po_line WHERE po_id = ?)`, at.UnixMilli(), id); err != nil {
			return err
		}
		return auditTx(ctx, tx, AuditEntry{At: at, User: user, Action: "send", Object: "purchase_order",
			ObjectID: strconv.FormatInt(id, 10), Version: version, Detail: "{}"})
	})
}

// ReceiveResult counts what a reconciliation of open lines found.
type ReceiveResult struct {
	Lines    int   `json:"lines"`  // lines that received (or shipped) something new
	Units    int64 `json:"units"`  // units newly received
	Closed   int   `json:"closed"` // lines now fully received
	OrdersIn int   `json:"orders"` // orders now fully received
}

// ReceivePOs matches the ledger against the open purchase order lines:
// receipts (and transfers in) at a line's location carrying its order's
// reference count as received, transfers out at a transfer's source as
// shipped. Only ledger blocks written since a line was last reconciled
// are read. Fully received lines close; their orders and proposals become
// partly or fully received, and on_order follows.
func (s *Store) ReceivePOs(ctx context.Context) (ReceiveResult, error) {
	var res ReceiveResult
	err := s.write(ctx, func(tx *sql.Tx) error {
		type line struct {
			id, po, prop, item, loc, from, qty, received, shipped, scanned int64
			kind                                                           string
			changed                                                        bool
		}
		lines, err := queryAll(ctx, tx, `SELECT l.id, l.po_id, l.proposal_id, l.item_id, l.loc_id, coalesce(l.from_loc_id, 0), l.qty, l.received,
			l.shipped, l.scanned, po.kind FROM po_line l JOIN purchase_order po ON po.id = l.po_id WHERE l.closed = 0 ORDER BY l.item_id, l.id`,
			func(rows *sql.Rows) (*line, error) {
				l := &line{}
				err := rows.Scan(&l.id, &l.po, &l.prop, &l.item, &l.loc, &l.from, &l.qty, &l.received, &l.shipped, &l.scanned, &l.kind)
				return l, err
			})
		if err != nil || len(lines) == 0 {
			return err
		}
		var maxBlock int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM ledger_block").Scan(&maxBlock); err != nil {
			return err
		}
		byItem := map[int64][]*line{}
		var items []int64
		for _, l := range lines {
			if byItem[l.item] == nil {
				items = append(items, l.item)
			}
			byItem[l.item] = append(byItem[l.item], l)
		}
		st, err := tx.PrepareContext(ctx, "SELECT id, data FROM ledger_block WHERE item_id = ? AND id > ? ORDER BY id")
		if err != nil {
			return err
		}
		defer st.Close()
		for _, item := range items {
			ls := byItem[item]
			from := ls[0].scanned
			for _, l := range ls {
				from = min(from, l.scanned)
			}
			rows, err := st.QueryContext(ctx, item, from)
			if err != nil {
				return err
			}
			for rows.Next() {
				var bid int64
				var blob []byte
				if err := rows.Scan(&bid, &blob); err != nil {
					rows.Close()
					return err
				}
				err := decodeBlock(blob, func(_ int, m ledgerLine) bool {
					po, ok := ParsePOCode(m.ref)
					if !ok {
						return true
					}
					// Fill the item's lines of that order in line order: a
					// line takes receipts until it is complete, the last
					// matching line takes any excess.
					var match *line
					for _, l := range ls {
						if l.po != po || bid <= l.scanned {
							continue
						}
						var ok bool
						switch {
						case (m.kind == model.Receipt || m.kind == model.TransferIn) && m.loc == l.loc && m.qty > 0:
							ok = match == nil || l.received < l.qty && match.received >= match.qty
						case m.kind == model.TransferOut && m.loc == l.from && m.qty < 0:
							ok = match == nil || l.shipped < l.qty && match.shipped >= match.qty
						}
						if ok {
							match = l
						}
					}
					if match == nil {
						return true
					}
					match.changed = true
					if m.qty > 0 {
						match.received += m.qty
						res.Units += m.qty
					} else {
						match.shipped -= m.qty
					}
					return true
				})
				if err != nil {
					rows.Close()
					return fmt.Errorf("receive: ledger block %d: %w", bid, err)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		touchedPO := map[int64]bool{}
		for _, l := range lines {
			closed := l.received >= l.qty
			if _, err := tx.ExecContext(ctx, "UPDATE po_line SET received = ?, shipped = ?, closed = ?, scanned = ? WHERE id = ?",
				l.received, l.shipped, closed, maxBlock, l.id); err != nil {
				return err
			}
			if !l.changed {
				continue
			}
			res.Lines++
			touchedPO[l.po] = true
			state := model.ProposalPartlyReceived
			if closed {
				state = model.ProposalReceived
				res.Closed++
			}
			if _, err := tx.ExecContext(ctx, `UPDATE proposal SET state = ?, version = version + 1, updated_at = ? WHERE id = ?
				AND state IN ('approved', 'ordered', 'partly_received')`, string(state), time.Now().UnixMilli(), l.prop); err != nil {
				return err
			}
			if err := refreshOnOrder(ctx, tx, l.item, l.loc); err != nil {
				return err
			}
		}
		for po := range touchedPO {
			var open, got int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) - sum(closed), sum(received > 0) FROM po_line WHERE po_id = ?", po).Scan(&open, &got); err != nil {
				return err
			}
			state := model.POPartlyReceived
			closedAt := sql.NullInt64{}
			if open == 0 {
				state = model.POReceived
				closedAt = sql.NullInt64{Int64: time.Now().UnixMilli(), Valid: true}
				res.OrdersIn++
			}
			if _, err := tx.ExecContext(ctx, "UPDATE purchase_order SET state = ?, version = version + 1, closed_at = ? WHERE id = ?",
				string(state), closedAt, po); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// Alerts returns the alerts of the last recompute, most urgent kind
// first and within a kind the most pressing (the soonest stockout, else
// the largest value: demand out of stock, shortfall, cover, days unsold),
// at most limit (0: all); kinds empty means every kind.
func (s *Store) Alerts(ctx context.Context, kinds []model.AlertKind, limit int) ([]model.Alert, error) {
	q := `SELECT i.sku, l.code, a.kind, a.as_of, a.value, a.detail FROM replenish_alert a
		JOIN item i ON i.id = a.item_id JOIN location l ON l.id = a.loc_id`
	var args []any
	if len(kinds) > 0 {
		q += " WHERE a.kind IN (" + placeholders(len(kinds)) + ")"
		for _, k := range kinds {
			args = append(args, string(k))
		}
	}
	q += ` ORDER BY CASE a.kind WHEN 'out_of_stock' THEN 0 WHEN 'stockout_before_delivery' THEN 1 WHEN 'below_reorder' THEN 2
		WHEN 'overstock' THEN 3 ELSE 4 END,
		CASE a.kind WHEN 'stockout_before_delivery' THEN a.value ELSE -a.value END, i.sku, l.code`
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	return queryAll(ctx, s.r, q, func(rows *sql.Rows) (model.Alert, error) {
		var a model.Alert
		var kind string
		err := rows.Scan(&a.SKU, &a.Location, &kind, &a.AsOf, &a.Value, &a.Detail)
		a.Kind = model.AlertKind(kind)
		return a, err
	}, args...)
}

// AlertCounts counts the alerts of the last recompute per kind.
func (s *Store) AlertCounts(ctx context.Context) (map[model.AlertKind]int, error) {
	return countBy[model.AlertKind](ctx, s.r, "SELECT kind, count(*) FROM replenish_alert GROUP BY kind")
}

// ProposalAudit returns the audit trail of one proposal, oldest first:
// its creation, every recompute that changed it and every action on it.
func (s *Store) ProposalAudit(ctx context.Context, id int64) ([]AuditEntry, error) {
	return queryAll(ctx, s.r, `SELECT id, at, user, action, object, object_id, coalesce(version, 0), detail FROM audit
		WHERE object = 'proposal' AND object_id = ? ORDER BY id`, func(rows *sql.Rows) (AuditEntry, error) {
		var e AuditEntry
		var at int64
		err := rows.Scan(&e.ID, &at, &e.User, &e.Action, &e.Object, &e.ObjectID, &e.Version, &e.Detail)
		e.At = time.UnixMilli(at)
		return e, err
	}, strconv.FormatInt(id, 10))
}

// PlanItem is what a recompute needs to know of one item×location besides
// its history: ids, the catalogue's ordering data and its supplier's lead
// time.
type PlanItem struct {
	ItemID, LocID int64
	SKU, Location string
	Category      string
	Supplier      string
	UnitCost      float64
	Price         float64
	PackSize, MOQ int64
	LeadTimeDays  float64 // the supplier's; 0 when the item has none
	LeadTimeSD    float64
	SupplierMOQ   int64
	OnHand        int64
	LastSale      model.Date
	FirstDate     model.Date // the first movement here
	Delisted      model.Date // the item's end of life; NoDate while listed
	Revenue       float64    // revenue over the year to the as-of day
}

// PlanItems returns every item×location of the stock table with its
// ordering data, keyed by (item id, location id). Revenue is summed from
// the monthly aggregates since the month a year before asOf.
func (s *Store) PlanItems(ctx context.Context, asOf model.Date) (map[[2]int64]*PlanItem, error) {
	out := map[[2]int64]*PlanItem{}
	rows, err := s.r.QueryContext(ctx, `SELECT s.item_id, s.loc_id, i.sku, l.code, i.category, i.supplier, i.unit_cost, i.price, i.pack_size,
		i.moq, coalesce(v.lead_time_days, 0), coalesce(v.lead_time_sd_days, 0), coalesce(v.moq, 0), s.on_hand, s.last_sale, i.delisted, s.first_date
		FROM stock s JOIN item i ON i.id = s.item_id JOIN location l ON l.id = s.loc_id LEFT JOIN supplier v ON v.code = i.supplier`)
	if err != nil {
		return nil, fmt.Errorf("plan items: %w", err)
	}
	for rows.Next() {
		p := &PlanItem{}
		var last, delisted sql.NullInt64
		if err := rows.Scan(&p.ItemID, &p.LocID, &p.SKU, &p.Location, &p.Category, &p.Supplier, &p.UnitCost, &p.Price, &p.PackSize,
			&p.MOQ, &p.LeadTimeDays, &p.LeadTimeSD, &p.SupplierMOQ, &p.OnHand, &last, &delisted, &p.FirstDate); err != nil {
			rows.Close()
			return nil, err
		}
		p.LastSale, p.Delisted = nullToDate(last), nullToDate(delisted)
		out[[2]int64{p.ItemID, p.LocID}] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if asOf == model.NoDate {
		return out, nil
	}
	from, _ := monthOf(asOf.AddDays(-364))
	rows, err = s.r.QueryContext(ctx, "SELECT item_id, loc_id, sum(revenue) FROM series_month WHERE month >= ? GROUP BY item_id, loc_id", int64(from))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k [2]int64
		var rev float64
		if err := rows.Scan(&k[0], &k[1], &rev); err != nil {
			return nil, err
		}
		if p := out[k]; p != nil {
			p.Revenue = rev
		}
	}
	return out, rows.Err()
}

// PolicyRule is one row of the policy overrides: a scope (default, class,
// category, supplier or item), its key, and the fields it sets (NaN or -1:
// not set).
type PolicyRule struct {
	Scope, Key     string
	Service        float64
	ReviewDays     int64
	LeadTimeDays   float64
	LeadTimeSDDays float64
	MaxStock       int64
	OrderCost      float64
	HoldingRate    float64 // holding cost per year as a share of unit cost
	Budget         float64 // per supplier and recompute
}

// PolicyScopes are the scopes of PolicyRule, widest first: a narrower
// scope's field wins.
var PolicyScopes = []string{"default", "class", "category", "supplier", "item"}

// SetPolicies replaces the policy overrides.
func (s *Store) SetPolicies(ctx context.Context, rules []PolicyRule, user string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM replenish_policy"); err != nil {
			return err
		}
		for _, r := range rules {
			f := func(v float64) any {
				if math.IsNaN(v) {
					return nil
				}
				return v
			}
			i := func(v int64) any {
				if v < 0 {
					return nil
				}
				return v
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO replenish_policy(scope, key, service, review_days, lead_time_days, lead_time_sd_days,
				max_stock, order_cost, holding_rate, budget) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.Scope, r.Key, f(r.Service), i(r.ReviewDays),
				f(r.LeadTimeDays), f(r.LeadTimeSDDays), i(r.MaxStock), f(r.OrderCost), f(r.HoldingRate), f(r.Budget)); err != nil {
				return fmt.Errorf("policy %s %s: %w", r.Scope, r.Key, err)
			}
		}
		d, _ := json.Marshal(map[string]int{"rules": len(rules)})
		return auditTx(ctx, tx, AuditEntry{User: user, Action: "set", Object: "replenish_policy", Detail: string(d)})
	})
}

// Policies returns the policy overrides, widest scope first.
func (s *Store) Policies(ctx context.Context) ([]PolicyRule, error) {
	rules, err := queryAll(ctx, s.r, `SELECT scope, key, service, review_days, lead_time_days, lead_time_sd_days, max_stock, order_cost,
		holding_rate, budget FROM replenish_policy`, func(rows *sql.Rows) (PolicyRule, error) {
		var r PolicyRule
		var sv, lt, lts, oc, hr, b sql.NullFloat64
		var rd, ms sql.NullInt64
		err := rows.Scan(&r.Scope, &r.Key, &sv, &rd, &lt, &lts, &ms, &oc, &hr, &b)
		r.Service, r.LeadTimeDays, r.LeadTimeSDDays = nullToNaN(sv), nullToNaN(lt), nullToNaN(lts)
		r.OrderCost, r.HoldingRate, r.Budget = nullToNaN(oc), nullToNaN(hr), nullToNaN(b)
		r.ReviewDays, r.MaxStock = -1, -1
		if rd.Valid {
			r.ReviewDays = rd.Int64
		}
		if ms.Valid {
			r.MaxStock = ms.Int64
		}
		return r, err
	})
	if err != nil {
		return nil, err
	}
	rank := map[string]int{}
	for i, sc := range PolicyScopes {
		rank[sc] = i
	}
	sort.SliceStable(rules, func(a, b int) bool { return rank[rules[a].Scope] < rank[rules[b].Scope] })
	return rules, nil
}

func replaceLevels(ctx context.Context, tx *sql.Tx, asOf model.Date, levels []LevelRow) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM replenish_level"); err != nil {
		return err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO replenish_level(item_id, loc_id, as_of, class, service, service_kind,
		daily_mean, model, lead_time_days, lead_time_sd_days, review_days, safety_stock, reorder_point, order_up_to, eoq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	fin := func(v float64) float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0
		}
		return v
	}
	for _, l := range levels {
		if _, err := ins.ExecContext(ctx, l.ItemID, l.LocID, int64(asOf), l.Class, fin(l.Service), l.ServiceKind,
			fin(l.DailyMean), l.Model, fin(l.LeadTimeDays), fin(l.LeadTimeSD), l.ReviewDays, fin(l.SafetyStock),
			l.ReorderPoint, l.OrderUpTo, fin(l.EOQ)); err != nil {
			return fmt.Errorf("levels: %w", err)
		}
	}
	return nil
}

// Levels returns the levels of the last recompute for the given
// item×locations (item id, location id); keys never planned are left out.
func (s *Store) Levels(ctx context.Context, keys [][2]int64) (map[[2]int64]model.Level, error) {
	out := make(map[[2]int64]model.Level, len(keys))
	err := eachKeyChunk(keys, func(values string, args []any) error {
		rows, err := s.r.QueryContext(ctx, `SELECT item_id, loc_id, as_of, class, service, service_kind, daily_mean, model,
			lead_time_days, lead_time_sd_days, review_days, safety_stock, reorder_point, order_up_to, eoq
			FROM replenish_level WHERE (item_id, loc_id) IN (VALUES `+values+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k [2]int64
			var l model.Level
			var asOf int64
			if err := rows.Scan(&k[0], &k[1], &asOf, &l.Class, &l.Service, &l.ServiceKind, &l.DailyMean, &l.Model,
				&l.LeadTimeDays, &l.LeadTimeSD, &l.ReviewDays, &l.SafetyStock, &l.ReorderPoint, &l.OrderUpTo, &l.EOQ); err != nil {
				return err
			}
			l.AsOf = model.Date(asOf)
			out[k] = l
		}
		return rows.Err()
	})
	return out, err
}
