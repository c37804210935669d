package data

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AuditEntry is one line of the audit trail: who did what to which object.
// User is the actor as model.Actor.String() renders it, so an SSH user's
// line carries the key's name and fingerprint ("alice (SHA256:…)").
type AuditEntry struct {
	ID       int64
	At       time.Time
	User     string
	Action   string // "approve", "import", "login", "denied:import", …
	Object   string // "proposal", "anomaly", "job", "session", "file", …
	ObjectID string
	Version  int64 // the object's version the action saw; 0 when none
	Detail   string
}

// Audit appends an entry to the audit trail in its own transaction.
// Actions that change rows should instead write their entry inside their
// own write transaction with auditTx, so the change and its audit line
// commit together.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error { return auditTx(ctx, tx, e) })
}

// auditTx appends an audit entry inside a write transaction.
func auditTx(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	var version any
	if e.Version != 0 {
		version = e.Version
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit(at, user, action, object, object_id, version, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.At.UnixMilli(), e.User, e.Action, e.Object, e.ObjectID, version, e.Detail)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditQuery selects audit entries, newest first.
type AuditQuery struct {
	Before int64  // entries with id below this; 0 for the newest
	Object string // "" for every object
	Limit  int    // 0 for 100
}

// AuditLog returns audit entries newest first.
func (s *Store) AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	if q.Before <= 0 {
		q.Before = 1 << 62
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	return queryAll(ctx, s.r, `SELECT id, at, user, action, object, object_id, coalesce(version, 0), detail FROM audit
		WHERE id < ? AND (? = '' OR object = ?) ORDER BY id DESC LIMIT ?`,
		func(rows *sql.Rows) (AuditEntry, error) {
			var e AuditEntry
			var at int64
			err := rows.Scan(&e.ID, &at, &e.User, &e.Action, &e.Object, &e.ObjectID, &e.Version, &e.Detail)
			e.At = time.UnixMilli(at)
			return e, err
		}, q.Before, q.Object, q.Object, q.Limit)
}
