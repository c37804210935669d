package data

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"stockroom/model"
)

// Imports returns logged imports newest first, the page after file id
// before (0 for the first page).
func (s *Store) Imports(ctx context.Context, before int64, limit int) ([]model.ImportFile, error) {
	if before <= 0 {
		before = 1 << 62
	}
	return queryAll(ctx, s.r, `SELECT f.id, f.path, f.kind, f.format, f.rows_ok, f.rows_duplicate, f.rows_rejected,
		coalesce(d.path, ''), f.error, f.user, f.started_at, f.finished_at
		FROM file f LEFT JOIN file d ON d.id = f.duplicate_of WHERE f.id < ? ORDER BY f.id DESC LIMIT ?`,
		func(rows *sql.Rows) (model.ImportFile, error) {
			var f model.ImportFile
			var started, finished int64
			err := rows.Scan(&f.ID, &f.Path, &f.Kind, &f.Format, &f.RowsOK, &f.RowsDuplicate, &f.RowsRejected,
				&f.DuplicateOf, &f.Error, &f.User, &started, &finished)
			f.Started, f.Finished = time.UnixMilli(started), time.UnixMilli(finished)
			return f, err
		}, before, limit)
}

// Quarantine returns a file's rejected rows in line order, the page after
// quarantine id after.
func (s *Store) Quarantine(ctx context.Context, fileID, after int64, limit int) ([]model.QuarantineRow, error) {
	return queryAll(ctx, s.r, `SELECT id, line, col, reason, raw FROM quarantine WHERE file_id = ? AND id > ? ORDER BY id LIMIT ?`,
		func(rows *sql.Rows) (model.QuarantineRow, error) {
			var q model.QuarantineRow
			err := rows.Scan(&q.ID, &q.Line, &q.Column, &q.Reason, &q.Raw)
			return q, err
		}, fileID, after, limit)
}

// Overview sums the store up for the console's first screen.
func (s *Store) Overview(ctx context.Context) (model.Overview, error) {
	o := model.Overview{ByStatus: map[model.Status]int{}}
	var err error
	if o.AsOf, err = s.AsOf(ctx); err != nil {
		return o, err
	}
	if err := s.r.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM item), (SELECT count(*) FROM location)").Scan(&o.Items, &o.Locations); err != nil {
		return o, err
	}
	// One pass over the stock table counts every status.
	var sums []string
	var args []any
	var order []model.Status
	for st, cond := range statusSQL {
		sums = append(sums, "coalesce(sum("+cond+"), 0)")
		args = append(args, int64(o.AsOf)-model.DeadDays)
		order = append(order, st)
	}
	counts := make([]int, len(order))
	dest := make([]any, len(order))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := s.r.QueryRowContext(ctx, "SELECT "+strings.Join(sums, ", ")+" FROM stock s", args...).Scan(dest...); err != nil {
		return o, err
	}
	for i, st := range order {
		o.ByStatus[st] = counts[i]
		o.StockRows += counts[i]
	}
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce(sum(max(s.on_hand, 0) * i.unit_cost), 0) FROM stock s JOIN item i ON i.id = s.item_id`).Scan(&o.StockValue); err != nil {
		return o, err
	}
	weekAgo := time.Now().Add(-7 * 24 * time.Hour).UnixMilli()
	rows, err := s.r.QueryContext(ctx, `SELECT kind, count(*), max(finished_at),
		sum(CASE WHEN finished_at >= ? THEN rows_rejected ELSE 0 END),
		sum(CASE WHEN error != '' AND finished_at >= ? THEN 1 ELSE 0 END),
		(SELECT path FROM file g WHERE g.kind = f.kind ORDER BY id DESC LIMIT 1)
		FROM file f GROUP BY kind ORDER BY kind`, weekAgo, weekAgo)
	if err != nil {
		return o, err
	}
	defer rows.Close()
	for rows.Next() {
		var h model.SourceHealth
		var last int64
		if err := rows.Scan(&h.Kind, &h.Files, &last, &h.Rejected, &h.Failed, &h.LastFile); err != nil {
			return o, err
		}
		h.Last = time.UnixMilli(last)
		if h.Last.After(o.LastImport) {
			o.LastImport = h.Last
		}
		o.Rejected += h.Rejected
		o.FailedFiles += h.Failed
		o.Sources = append(o.Sources, h)
	}
	return o, rows.Err()
}
