package data

import (
	"context"
	"database/sql"
	"strings"
)

// Queries that read many items at once list them in IN clauses, a few
// hundred at a time (SQLite binds at most 32,766 values a statement, and
// short lists keep each query on the index).

// placeholders is "?, ?, …" for n values.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// idsPerQuery is how many ids one IN list holds.
const idsPerQuery = 500

// eachIDChunk calls fn for the ids in chunks, with the placeholders of an
// IN list and the ids as arguments.
func eachIDChunk(ids []int64, fn func(in string, args []any) error) error {
	for lo := 0; lo < len(ids); lo += idsPerQuery {
		part := ids[lo:min(lo+idsPerQuery, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		if err := fn(placeholders(len(part)), args); err != nil {
			return err
		}
	}
	return nil
}

// pairsPerQuery is how many (item, location) pairs one query lists.
const pairsPerQuery = 400

// eachKeyChunk calls fn for the keys (item id, location id) in chunks, with
// the row values of an IN list ("(?, ?), (?, ?)") and their arguments.
func eachKeyChunk(keys [][2]int64, fn func(values string, args []any) error) error {
	for lo := 0; lo < len(keys); lo += pairsPerQuery {
		part := keys[lo:min(lo+pairsPerQuery, len(keys))]
		args := make([]any, 0, 2*len(part))
		for _, k := range part {
			args = append(args, k[0], k[1])
		}
		if err := fn(strings.TrimSuffix(strings.Repeat("(?, ?), ", len(part)), ", "), args); err != nil {
			return err
		}
	}
	return nil
}

// countBy runs a "SELECT key, count(*) … GROUP BY key" query.
func countBy[K ~string](ctx context.Context, db *sql.DB, q string) (map[K]int, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[K]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[K(k)] = n
	}
	return out, rows.Err()
}

// rowsQuerier is a pool or a transaction.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs q on a pool or in a transaction and scans every row.
func queryAll[T any](ctx context.Context, db rowsQuerier, q string, scan func(*sql.Rows) (T, error), args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
