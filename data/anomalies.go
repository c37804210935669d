package data

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"stockroom/model"
)

// migrationAnomalies creates the tables for stored anomalies and the actions
// taken on them.
//
// An anomaly's identity is what it is about (sku, location, channel, file),
// its day and the detector that found it: the pipeline and the scans run
// again over the same days, and a finding already stored, whatever became of
// it since, is not stored twice. Empty strings, never NULL, stand for "none",
// so that the UNIQUE constraint holds for rules that concern no location or
// no file. item_id and loc_id are resolved from the codes at insert, for the
// markers the stock table looks up by id.
const migrationAnomalies = `
CREATE TABLE anomaly(
	id INTEGER PRIMARY KEY,
	sku TEXT NOT NULL DEFAULT '',
	location TEXT NOT NULL DEFAULT '',
	channel TEXT NOT NULL DEFAULT '',
	file TEXT NOT NULL DEFAULT '',
	day INTEGER NOT NULL,
	detector TEXT NOT NULL,
	item_id INTEGER,
	loc_id INTEGER,
	score REAL NOT NULL,
	observed REAL NOT NULL,
	expected REAL,            -- NULL: the detector had no opinion
	detail TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL DEFAULT 'open',
	replacement REAL,         -- the corrected value while state = 'corrected'
	note TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL,
	acted_by TEXT NOT NULL DEFAULT '',
	acted_at INTEGER,
	UNIQUE(sku, location, channel, file, day, detector)
);
CREATE INDEX anomaly_state_day ON anomaly(state, day, id);
CREATE INDEX anomaly_state_score ON anomaly(state, score, id);
CREATE INDEX anomaly_day ON anomaly(day, id);
CREATE INDEX anomaly_score ON anomaly(score, id);
CREATE INDEX anomaly_item ON anomaly(item_id, state);

-- Every action on an anomaly, append-only: who, when, from which state to
-- which, on the version they saw, with the value of a correction.
CREATE TABLE anomaly_action(
	id INTEGER PRIMARY KEY,
	anomaly_id INTEGER NOT NULL REFERENCES anomaly(id),
	at INTEGER NOT NULL,
	user TEXT NOT NULL,
	action TEXT NOT NULL,
	from_state TEXT NOT NULL,
	to_state TEXT NOT NULL,
	version INTEGER NOT NULL,
	value REAL,
	note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX anomaly_action_anomaly ON anomaly_action(anomaly_id, id);

-- Imported files whose rows have been checked for anomalies. The scan
-- checks the files not listed here, so an import left to it (too big for
-- the after-import step) is checked exactly once.
CREATE TABLE anomaly_checked(
	file_id INTEGER PRIMARY KEY REFERENCES file(id),
	at INTEGER NOT NULL
);
`

// AnomalySort is an order of the anomaly list.
type AnomalySort int

// The anomaly list orders.
const (
	AnomalyNewest  AnomalySort = iota // by day, newest first
	AnomalyByScore                    // by score, highest first
)

// String names the order as the CLI and the console show it.
func (s AnomalySort) String() string {
	if s == AnomalyByScore {
		return "score"
	}
	return "newest"
}

// ParseAnomalySort reads an order name: newest or score.
func ParseAnomalySort(s string) (AnomalySort, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "newest", "date", "day":
		return AnomalyNewest, true
	case "score":
		return AnomalyByScore, true
	}
	return 0, false
}

// AnomalyCursor is a row's place in an anomaly order, for keyset
// pagination: the next page is the rows after it.
type AnomalyCursor struct {
	Day   model.Date
	Score float64
	ID    int64
}

// AnomalyCursorOf is the cursor just after a. The page after it holds the
// rows that follow a in the query's order.
func AnomalyCursorOf(a model.Anomaly) *AnomalyCursor {
	return &AnomalyCursor{Day: a.Date, Score: a.Score, ID: a.ID}
}

// AnomalyQuery selects stored anomalies.
type AnomalyQuery struct {
	States   []model.AnomalyState // empty: every state
	Text     []string             // each term matches sku, file or detector fuzzily
	SKU      string               // exact, or empty
	Location string               // exact, or empty
	Detector string               // exact, or empty
	From, To model.Date           // days from and to, inclusive; the zero value is no bound
	Sort     AnomalySort
	After    *AnomalyCursor // the page after this row; nil for the first
	Limit    int            // 0: all
}

const anomalyCols = `id, sku, location, channel, file, day, detector, score, observed, expected, detail, state,
	replacement, note, version, created_at, acted_by, acted_at`

// anomalyRow is a *sql.Row or *sql.Rows.
type anomalyRow interface{ Scan(dest ...any) error }

func scanAnomaly(r anomalyRow) (model.Anomaly, error) {
	var a model.Anomaly
	var day, created int64
	var expected, repl sql.NullFloat64
	var state string
	var acted sql.NullInt64
	err := r.Scan(&a.ID, &a.SKU, &a.Location, &a.Channel, &a.File, &day, &a.Detector, &a.Score, &a.Observed,
		&expected, &a.Detail, &state, &repl, &a.Note, &a.Version, &created, &a.By, &acted)
	if err != nil {
		return a, err
	}
	a.Date = model.Date(day)
	a.Expected, a.Replacement = nullToNaN(expected), nullToNaN(repl)
	a.State = model.AnomalyState(state)
	a.CreatedAt = time.UnixMilli(created)
	if acted.Valid {
		a.At = time.UnixMilli(acted.Int64)
	}
	return a, nil
}

func nanToNull(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// anomalyWhere builds the WHERE clause of a query, its cursor included.
func anomalyWhere(q AnomalyQuery) (string, []any) {
	var where []string
	var args []any
	if len(q.States) > 0 {
		ph := make([]string, len(q.States))
		for i, s := range q.States {
			ph[i] = "?"
			args = append(args, string(s))
		}
		where = append(where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	for _, c := range []struct{ col, v string }{{"sku", q.SKU}, {"location", q.Location}, {"detector", q.Detector}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if q.From != 0 {
		where = append(where, "day >= ?")
		args = append(args, int64(q.From))
	}
	if q.To != 0 {
		where = append(where, "day <= ?")
		args = append(args, int64(q.To))
	}
	for _, t := range q.Text {
		w, a := fuzzyTerm(t, "sku", "file", "detector")
		where, args = append(where, w), append(args, a...)
	}
	if c := q.After; c != nil {
		if q.Sort == AnomalyByScore {
			where = append(where, "(score < ? OR (score = ? AND id < ?))")
			args = append(args, c.Score, c.Score, c.ID)
		} else {
			where = append(where, "(day < ? OR (day = ? AND id < ?))")
			args = append(args, int64(c.Day), int64(c.Day), c.ID)
		}
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// Anomalies returns a page of stored anomalies in the query's order.
func (s *Store) Anomalies(ctx context.Context, q AnomalyQuery) ([]model.Anomaly, error) {
	where, args := anomalyWhere(q)
	order := " ORDER BY day DESC, id DESC"
	if q.Sort == AnomalyByScore {
		order = " ORDER BY score DESC, id DESC"
	}
	limit := ""
	if q.Limit > 0 {
		limit = " LIMIT " + strconv.Itoa(q.Limit)
	}
	return queryAll(ctx, s.r, "SELECT "+anomalyCols+" FROM anomaly"+where+order+limit,
		func(rows *sql.Rows) (model.Anomaly, error) { return scanAnomaly(rows) }, args...)
}

// AnomalyCount counts the anomalies a query selects (its cursor and limit
// ignored).
func (s *Store) AnomalyCount(ctx context.Context, q AnomalyQuery) (int, error) {
	q.After = nil
	where, args := anomalyWhere(q)
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM anomaly"+where, args...).Scan(&n)
	return n, err
}

// AnomalyStateCounts counts the stored anomalies in each state.
func (s *Store) AnomalyStateCounts(ctx context.Context) (map[model.AnomalyState]int, error) {
	return countBy[model.AnomalyState](ctx, s.r, "SELECT state, count(*) FROM anomaly GROUP BY state")
}

// Anomaly returns one stored anomaly.
func (s *Store) Anomaly(ctx context.Context, id int64) (model.Anomaly, error) {
	a, err := scanAnomaly(s.r.QueryRowContext(ctx, "SELECT "+anomalyCols+" FROM anomaly WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("anomaly %d: %w", id, ErrNotFound)
	}
	return a, err
}

// SaveAnomalies stores new anomalies, open, and records the files whose
// rows they were looked for in (checked: file ids; see CheckFiles), all
// in one transaction. An anomaly already stored (same sku, location,
// channel, file, day and detector), whatever its state, is left alone, so
// running the pipeline or a scan again adds nothing twice. It returns the
// anomalies it added, with their ids.
//
// An anomaly passed in state dismissed, with who (By), when (At) and why
// (Note), is explained on arrival (one of a category's items that moved
// together): it is stored open and dismissed in the same transaction, the
// dismissal logged and audited like a person's. Every other state is
// stored open.
func (s *Store) SaveAnomalies(ctx context.Context, as []model.Anomaly, checked []int64) ([]model.Anomaly, error) {
	for i := range as {
		a := as[i]
		a.State, a.Replacement = model.AnomalyOpen, math.NaN()
		if as[i].State == model.AnomalyDismissed && (strings.TrimSpace(as[i].By) == "" || as[i].At.IsZero()) {
			return nil, fmt.Errorf("save anomaly %d of %d (%s %s %s %s): dismissed on arrival needs who and when", i+1, len(as),
				a.Detector, a.SKU, a.Location, a.Date)
		}
		if err := a.Validate(); err != nil {
			return nil, fmt.Errorf("save anomaly %d of %d (%s %s %s %s): %w", i+1, len(as), a.Detector, a.SKU, a.Location, a.Date, err)
		}
	}
	var added []model.Anomaly
	now := time.Now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		added = added[:0]
		ins, err := tx.PrepareContext(ctx, `INSERT INTO anomaly(sku, location, channel, file, day, detector, item_id, loc_id,
			score, observed, expected, detail, state, version, created_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT id FROM item WHERE sku = ?1), (SELECT id FROM location WHERE code = ?2),
			?7, ?8, ?9, ?10, 'open', 1, ?11)
			ON CONFLICT(sku, location, channel, file, day, detector) DO NOTHING RETURNING id`)
		if err != nil {
			return err
		}
		defer ins.Close()
		var refresh *sql.Stmt
		for _, a := range as {
			var id int64
			err := ins.QueryRowContext(ctx, a.SKU, a.Location, a.Channel, a.File, int64(a.Date), a.Detector,
				a.Score, a.Observed, nanToNull(a.Expected), a.Detail, now.UnixMilli()).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				// Already stored: an open one takes the ledger's numbers as
				// they are now, a changed one a new version.
				if a.Refresh {
					if refresh == nil {
						if refresh, err = tx.PrepareContext(ctx, `UPDATE anomaly SET score = ?7, observed = ?8, expected = ?9, detail = ?10,
							version = version + 1 WHERE sku = ?1 AND location = ?2 AND channel = ?3 AND file = ?4 AND day = ?5 AND detector = ?6
							AND state = 'open' AND (observed IS NOT ?8 OR expected IS NOT ?9 OR detail IS NOT ?10)`); err != nil {
							return err
						}
						defer refresh.Close()
					}
					if _, err := refresh.ExecContext(ctx, a.SKU, a.Location, a.Channel, a.File, int64(a.Date), a.Detector,
						a.Score, a.Observed, nanToNull(a.Expected), a.Detail); err != nil {
						return fmt.Errorf("refresh anomaly %s %s: %w", a.Detector, a.SKU, err)
					}
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("save anomaly %s %s: %w", a.Detector, a.SKU, err)
			}
			dismissed := a.State == model.AnomalyDismissed
			by, at, note := a.By, a.At, a.Note
			a.ID, a.State, a.Replacement, a.Version, a.CreatedAt = id, model.AnomalyOpen, math.NaN(), 1, time.UnixMilli(now.UnixMilli())
			a.Note, a.By, a.At = "", "", time.Time{}
			if dismissed {
				if a, err = dismissOnArrival(ctx, tx, a, by, at, note); err != nil {
					return err
				}
			}
			added = append(added, a)
		}
		for _, f := range checked {
			if _, err := tx.ExecContext(ctx, "INSERT INTO anomaly_checked(file_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING", f, now.UnixMilli()); err != nil {
				return fmt.Errorf("mark file %d checked: %w", f, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// dismissOnArrival dismisses a just-stored anomaly as ActOnAnomaly would
// (state, version, action log, audit), inside the saving transaction.
func dismissOnArrival(ctx context.Context, tx *sql.Tx, a model.Anomaly, by string, at time.Time, note string) (model.Anomaly, error) {
	return applyAnomalyAction(ctx, tx, a, model.ActionRequest{Action: model.ActDismiss, Version: a.Version, User: by, At: at, Note: note})
}

// ActOnAnomaly applies one person's action in one write transaction: it
// reads the anomaly, checks the action against its state and the version
// the person saw (model.Anomaly.Apply), and writes the change with
// `WHERE id = ? AND version = ?`, requiring one row changed. The action is
// kept in the anomaly's action log and the audit trail in the same
// transaction. A conflict comes back as an error wrapping
// model.ErrAnomalyStale or model.ErrAnomalyTransition and changes nothing.
func (s *Store) ActOnAnomaly(ctx context.Context, id int64, r model.ActionRequest) (model.Anomaly, error) {
	if r.At.IsZero() {
		r.At = time.Now()
	}
	var out model.Anomaly
	err := s.write(ctx, func(tx *sql.Tx) error {
		cur, err := scanAnomaly(tx.QueryRowContext(ctx, "SELECT "+anomalyCols+" FROM anomaly WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("anomaly %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		next, err := applyAnomalyAction(ctx, tx, cur, r)
		if err == nil {
			out = next
		}
		return err
	})
	return out, err
}

// applyAnomalyAction checks an action against the anomaly as read (state
// and version, model.Anomaly.Apply) and writes it with `WHERE id = ? AND
// version = ?`, requiring one row changed, then logs it in the anomaly's
// action log and the audit trail, all in tx.
func applyAnomalyAction(ctx context.Context, tx *sql.Tx, cur model.Anomaly, r model.ActionRequest) (model.Anomaly, error) {
	id := cur.ID
	next, err := cur.Apply(r)
	if err != nil {
		return cur, err
	}
	ms := r.At.UnixMilli()
	x, err := tx.ExecContext(ctx, `UPDATE anomaly SET state = ?, replacement = ?, note = ?, version = ?, acted_by = ?, acted_at = ?
		WHERE id = ? AND version = ?`, string(next.State), nanToNull(next.Replacement), next.Note, next.Version, next.By, ms,
		id, cur.Version)
	if err != nil {
		return cur, fmt.Errorf("anomaly %d: %w", id, err)
	}
	if n, _ := x.RowsAffected(); n != 1 {
		return cur, fmt.Errorf("anomaly %d changed while being acted on: %w", id, model.ErrAnomalyStale)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO anomaly_action(anomaly_id, at, user, action, from_state, to_state, version, value, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, ms, r.User, string(r.Action), string(cur.State), string(next.State), cur.Version,
		nanToNull(next.Replacement), r.Note); err != nil {
		return cur, fmt.Errorf("anomaly %d: log action: %w", id, err)
	}
	detail := map[string]any{"state": []string{string(cur.State), string(next.State)}}
	if !math.IsNaN(next.Replacement) {
		detail["value"] = []float64{cur.Observed, next.Replacement}
	}
	if r.Note != "" {
		detail["note"] = r.Note
	}
	d, _ := json.Marshal(detail)
	if err := auditTx(ctx, tx, AuditEntry{At: r.At, User: r.User, Action: string(r.Action), Object: "anomaly",
		ObjectID: strconv.FormatInt(id, 10), Version: cur.Version, Detail: string(d)}); err != nil {
		return cur, err
	}
	next.At = time.UnixMilli(ms)
	return next, nil
}

// AnomalyAction is one action in an anomaly's log.
type AnomalyAction struct {
	At       time.Time
	User     string
	Action   model.AnomalyAction
	From, To model.AnomalyState
	Version  int64   // the version the action was taken on
	Value    float64 // the replacement of a correction; NaN otherwise
	Note     string
}

// AnomalyActions returns the actions taken on an anomaly, oldest first.
func (s *Store) AnomalyActions(ctx context.Context, id int64) ([]AnomalyAction, error) {
	return queryAll(ctx, s.r, `SELECT at, user, action, from_state, to_state, version, value, note FROM anomaly_action
		WHERE anomaly_id = ? ORDER BY id`, func(rows *sql.Rows) (AnomalyAction, error) {
		var a AnomalyAction
		var at int64
		var act, from, to string
		var v sql.NullFloat64
		err := rows.Scan(&at, &a.User, &act, &from, &to, &a.Version, &v, &a.Note)
		a.At, a.Action, a.From, a.To, a.Value = time.UnixMilli(at), model.AnomalyAction(act), model.AnomalyState(from),
			model.AnomalyState(to), nullToNaN(v)
		return a, err
	}, id)
}

// TrainingOverrides returns the corrected and excluded anomalies of one
// series (sku, location, channel), by day: what model.CleanSeries needs to
// give forecasting the series as people fixed it. detectors, when given,
// keeps only anomalies found by those detectors (the caller knows which
// detectors' Observed is the series' value and not, say, a price).
func (s *Store) TrainingOverrides(ctx context.Context, sku, location, channel string, detectors ...string) ([]model.Anomaly, error) {
	q := "SELECT " + anomalyCols + " FROM anomaly WHERE sku = ? AND location = ? AND channel = ? AND state IN (?, ?)"
	args := []any{sku, location, channel, string(model.AnomalyCorrected), string(model.AnomalyExcluded)}
	if len(detectors) > 0 {
		q += " AND detector IN (" + placeholders(len(detectors)) + ")"
		for _, d := range detectors {
			args = append(args, d)
		}
	}
	return queryAll(ctx, s.r, q+" ORDER BY day, id", func(rows *sql.Rows) (model.Anomaly, error) { return scanAnomaly(rows) }, args...)
}

// SeriesAnomalies returns every stored anomaly of an item at a location
// (its series on every channel, its stock, and the item's catalogue
// findings), oldest first: what an item chart marks.
func (s *Store) SeriesAnomalies(ctx context.Context, sku, location string) ([]model.Anomaly, error) {
	return queryAll(ctx, s.r, "SELECT "+anomalyCols+" FROM anomaly WHERE sku = ? AND (location = ? OR location = '') ORDER BY day, id",
		func(rows *sql.Rows) (model.Anomaly, error) { return scanAnomaly(rows) }, sku, location)
}

// OpenAnomalyCounts counts the open anomalies on or after day since
// (model.NoDate: any day) of each item×location key (item id, location
// id). An item's findings that concern no location (its price against its
// cost) count at every location of the item. Keys with none are left out
// of the map.
func (s *Store) OpenAnomalyCounts(ctx context.Context, keys [][2]int64, since model.Date) (map[[2]int64]int, error) {
	out := map[[2]int64]int{}
	items := map[int64]bool{}
	for _, k := range keys {
		items[k[0]] = true
	}
	ids := make([]int64, 0, len(items))
	for id := range items {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	byKey := map[[2]int64]int{}
	err := eachIDChunk(ids, func(in string, args []any) error {
		rows, err := s.r.QueryContext(ctx, `SELECT item_id, coalesce(loc_id, 0), count(*) FROM anomaly
			WHERE state = ? AND day >= ? AND item_id IN (`+in+`) GROUP BY item_id, loc_id`,
			append([]any{string(model.AnomalyOpen), int64(since)}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k [2]int64
			var n int
			if err := rows.Scan(&k[0], &k[1], &n); err != nil {
				return err
			}
			byKey[k] += n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if n := byKey[k] + byKey[[2]int64{k[0], 0}]; n > 0 {
			out[k] = n
		}
	}
	return out, nil
}

// The inputs of anomaly detection: what the ledger, the counts and the
// file log say, as plain values for the engine's rules and detectors.

// CheckFile is an imported file as anomaly detection sees it.
type CheckFile struct {
	ID            int64
	Path          string
	Kind          Kind
	Hash          string
	RowsOK        int
	RowsDuplicate int
	DuplicateOf   string // the path of the earlier file with the same content; "" when none
	Failed        bool   // the file could not be imported at all
	Finished      time.Time
}

// CheckFiles returns the imported files, in import order: with
// uncheckedOnly, those whose rows have not been checked for anomalies yet
// (SaveAnomalies records those that were).
func (s *Store) CheckFiles(ctx context.Context, uncheckedOnly bool) ([]CheckFile, error) {
	return queryAll(ctx, s.r, `SELECT f.id, f.path, f.kind, f.hash, f.rows_ok, f.rows_duplicate, coalesce(d.path, ''), f.error != '', f.finished_at
		FROM file f LEFT JOIN file d ON d.id = f.duplicate_of
		WHERE ? = 0 OR NOT EXISTS (SELECT 1 FROM anomaly_checked c WHERE c.file_id = f.id) ORDER BY f.id`,
		func(rows *sql.Rows) (CheckFile, error) {
			var f CheckFile
			var kind string
			var fin int64
			err := rows.Scan(&f.ID, &f.Path, &kind, &f.Hash, &f.RowsOK, &f.RowsDuplicate, &f.DuplicateOf, &f.Failed, &fin)
			f.Kind, f.Finished = Kind(kind), time.UnixMilli(fin)
			return f, err
		}, uncheckedOnly)
}

// SeriesTouch is an item×location some files wrote ledger lines for, and
// the earliest day they wrote.
type SeriesTouch struct {
	ItemID, LocID int64
	From          model.Date
}

// TouchedSeries returns the item×locations the ledger lines of the given
// files concern, with the first day each file set touched.
func (s *Store) TouchedSeries(ctx context.Context, fileIDs []int64) ([]SeriesTouch, error) {
	from := map[[2]int64]model.Date{}
	err := eachIDChunk(fileIDs, func(in string, args []any) error {
		rows, err := s.r.QueryContext(ctx, "SELECT item_id, data FROM ledger_block WHERE file_id IN ("+in+")", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var item int64
			var blob []byte
			if err := rows.Scan(&item, &blob); err != nil {
				return err
			}
			err := decodeBlock(blob, func(_ int, l ledgerLine) bool {
				k := [2]int64{item, l.loc}
				if d, ok := from[k]; !ok || l.date < d {
					from[k] = l.date
				}
				return true
			})
			if err != nil {
				return fmt.Errorf("ledger of item %d: %w", item, err)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	out := make([]SeriesTouch, 0, len(from))
	for k, d := range from {
		out = append(out, SeriesTouch{ItemID: k[0], LocID: k[1], From: d})
	}
	slices.SortFunc(out, func(a, b SeriesTouch) int {
		if a.ItemID != b.ItemID {
			return int(a.ItemID - b.ItemID)
		}
		return int(a.LocID - b.LocID)
	})
	return out, nil
}

// LedgerItems returns the ids of the items that have ledger lines.
func (s *Store) LedgerItems(ctx context.Context) ([]int64, error) {
	return queryAll(ctx, s.r, "SELECT DISTINCT item_id FROM ledger_block ORDER BY item_id",
		func(rows *sql.Rows) (int64, error) {
			var id int64
			err := rows.Scan(&id)
			return id, err
		})
}

// LedgerDays is one item×location's ledger summed by day, from its first
// ledger day (Start, when the stock was 0) to the store's as-of day. Index
// i of every slice is day Start+i.
type LedgerDays struct {
	ItemID, LocID int64
	SKU, Location string
	Start         model.Date
	In            []int64            // receipts, returns and transfers in
	Sold          []int64            // units sold, all channels (positive)
	Adjusted      []int64            // adjustments and transfers out (signed)
	Counted       []int64            // what stock counts booked (signed)
	Sales         map[string][]int64 // units sold per channel
	Counts        []CountResult      // every stock count, with the ledger's balance it found, by date
	Transfers     []TransferLine     // transfers out and in that carry a ref, in ledger order
}

// TransferLine is one transfer of an item at a location: Qty negative out,
// positive in; the ref pairs the two sides.
type TransferLine struct {
	Date model.Date
	Qty  int64
	Ref  string
}

// Len is the number of days.
func (l *LedgerDays) Len() int { return len(l.In) }

// LedgerDaysOf reads the whole ledger of the given items and returns it
// summed by day for every location each item has lines at, through day to
// (lines after it are left out), ordered by item and location.
func (s *Store) LedgerDaysOf(ctx context.Context, itemIDs []int64, to model.Date) ([]*LedgerDays, error) {
	if len(itemIDs) == 0 {
		return nil, nil
	}
	locs, err := s.locationCodes(ctx)
	if err != nil {
		return nil, err
	}
	chans, err := s.channelNames(ctx)
	if err != nil {
		return nil, err
	}
	type line struct {
		date model.Date
		qty  int64
		kind model.MovementKind
		ch   int64
	}
	byLoc := map[[2]int64][]line{}
	transfers := map[[2]int64][]TransferLine{}
	skus := map[int64]string{}
	err = eachIDChunk(itemIDs, func(in string, args []any) error {
		rows, err := s.r.QueryContext(ctx, "SELECT b.item_id, i.sku, b.data FROM ledger_block b JOIN item i ON i.id = b.item_id WHERE b.item_id IN ("+
			in+")", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var item int64
			var sku string
			var blob []byte
			if err := rows.Scan(&item, &sku, &blob); err != nil {
				return err
			}
			skus[item] = sku
			err := decodeBlock(blob, func(_ int, l ledgerLine) bool {
				if l.date <= to {
					k := [2]int64{item, l.loc}
					byLoc[k] = append(byLoc[k], line{l.date, l.qty, l.kind, l.channel})
					if (l.kind == model.TransferOut || l.kind == model.TransferIn) && l.ref != "" {
						transfers[k] = append(transfers[k], TransferLine{l.date, l.qty, l.ref})
					}
				}
				return true
			})
			if err != nil {
				return fmt.Errorf("ledger of %s: %w", sku, err)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	counts, err := s.countsOf(ctx, itemIDs, to)
	if err != nil {
		return nil, err
	}
	out := make([]*LedgerDays, 0, len(byLoc))
	for k, lines := range byLoc {
		start := to
		for _, l := range lines {
			start = min(start, l.date)
		}
		n := int(to-start) + 1
		ld := &LedgerDays{ItemID: k[0], LocID: k[1], SKU: skus[k[0]], Location: locs[k[1]], Start: start,
			In: make([]int64, n), Sold: make([]int64, n), Adjusted: make([]int64, n), Counted: make([]int64, n),
			Sales: map[string][]int64{}}
		for _, l := range lines {
			i := int(l.date - start)
			switch l.kind {
			case model.Receipt, model.Return, model.TransferIn:
				ld.In[i] += l.qty
			case model.Sale:
				ld.Sold[i] -= l.qty
				ch := chans[l.ch]
				if ch == "" {
					ch = model.DefaultChannel
				}
				series := ld.Sales[ch]
				if series == nil {
					series = make([]int64, n)
					ld.Sales[ch] = series
				}
				series[i] -= l.qty
			case model.Count:
				ld.Counted[i] += l.qty
			default: // adjustments, transfers out
				ld.Adjusted[i] += l.qty
			}
		}
		ld.Counts, ld.Transfers = counts[k], transfers[k]
		for i := range ld.Counts {
			ld.Counts[i].SKU, ld.Counts[i].Location = ld.SKU, ld.Location
		}
		out = append(out, ld)
	}
	slices.SortFunc(out, func(a, b *LedgerDays) int {
		if a.ItemID != b.ItemID {
			return int(a.ItemID - b.ItemID)
		}
		return int(a.LocID - b.LocID)
	})
	return out, nil
}

// countsOf returns the stock counts of the given items through day to,
// by item and location, in date order (SKU and Location left empty).
func (s *Store) countsOf(ctx context.Context, itemIDs []int64, to model.Date) (map[[2]int64][]CountResult, error) {
	out := map[[2]int64][]CountResult{}
	err := eachIDChunk(itemIDs, func(in string, args []any) error {
		rows, err := s.r.QueryContext(ctx, "SELECT item_id, loc_id, date, counted, ledger FROM count_result WHERE item_id IN ("+
			in+") AND date <= ? ORDER BY date, id", append(args, int64(to))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k [2]int64
			var c CountResult
			var d int64
			if err := rows.Scan(&k[0], &k[1], &d, &c.Counted, &c.Ledger); err != nil {
				return err
			}
			c.Date = model.Date(d)
			out[k] = append(out[k], c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CountResult is a stock count beside the ledger's balance that day.
type CountResult struct {
	SKU, Location string
	Date          model.Date
	Counted       int64
	Ledger        int64
}

// SalePrice is the unit price one sales line recorded.
type SalePrice struct {
	SKU, Location, Channel string
	Date                   model.Date
	Price                  float64
}

// SalePrices reads back the prices a sales file recorded: the ledger keeps
// units, not each line's price, so the file is read again. ok is false when
// the file is no longer there or no longer holds what was imported (its
// content hash differs): then nothing can be said about its prices. Lines
// the import rejected, and lines without a price, are left out.
func (s *Store) SalePrices(ctx context.Context, f CheckFile) (prices []SalePrice, ok bool, err error) {
	if f.Kind != KindSales || f.Failed || f.DuplicateOf != "" {
		return nil, false, nil
	}
	hash, _, head, quotes, utf8ok, err := hashFile(f.Path)
	if err != nil || hash != f.Hash {
		return nil, false, nil
	}
	fh, err := os.Open(f.Path)
	if err != nil {
		return nil, false, nil
	}
	defer fh.Close()
	br, text := textReader(fh, !utf8ok) // as the import read it
	rr, done, err := newRecordReader(br, sniffFormat(head, f.Path), text, quotes)
	if err != nil {
		return nil, false, fmt.Errorf("read prices of %s: %w", f.Path, err)
	}
	defer done()
	b, err := detectKind(rr.header(), f.Path, KindSales)
	if err != nil {
		return nil, false, fmt.Errorf("read prices of %s: %w", f.Path, err)
	}
	rr.bind(b)
	for i := 0; ; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		rec, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("read prices of %s: %w", f.Path, err)
		}
		if rec.err != nil {
			continue
		}
		v, rerr := convert(KindSales, &rec, &b)
		if rerr != nil {
			continue
		}
		sl := v.(model.SaleLine)
		if math.IsNaN(sl.Price) {
			continue
		}
		prices = append(prices, SalePrice{SKU: sl.SKU, Location: sl.Location, Channel: sl.Channel, Date: sl.Date, Price: sl.Price})
	}
	return prices, true, nil
}
