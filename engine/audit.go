package engine

import (
	"context"

	"stockroom/data"
	"stockroom/model"
)

// Audit records that an actor did something, with the actor as
// model.Actor.String() renders it (an SSH user's key name and fingerprint).
// Actions that change rows should audit inside their own transaction in
// data; this is for the rest: logins, refusals, manual job runs.
func (e *Engine) Audit(ctx context.Context, a model.Actor, action, object, objectID, detail string) error {
	return e.store.Audit(ctx, data.AuditEntry{User: a.String(), Action: action, Object: object, ObjectID: objectID, Detail: detail})
}

// AuditLog returns the audit trail newest first.
func (e *Engine) AuditLog(ctx context.Context, q data.AuditQuery) ([]data.AuditEntry, error) {
	return e.store.AuditLog(ctx, q)
}
