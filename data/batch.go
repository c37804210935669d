package data

import (
	"context"
	"database/sql"
	"strings"
)

// batcher executes a multi-row INSERT (or upsert) with up to max rows per
// statement. A statement per row costs more in the driver than the row
// costs in SQLite; sixty-four rows a statement makes that overhead vanish.
type batcher struct {
	tx     *sql.Tx
	head   string // "INSERT INTO t(a, b) VALUES "
	tail   string // " ON CONFLICT … " or ""
	cols   int
	max    int
	args   []any
	stmts  map[int]*sql.Stmt
	rowsPH string
}

func newBatcher(tx *sql.Tx, head, tail string, cols, max int) *batcher {
	return &batcher{tx: tx, head: head, tail: tail, cols: cols, max: max, stmts: map[int]*sql.Stmt{},
		rowsPH: "(" + placeholders(cols) + ")"}
}

func (b *batcher) add(ctx context.Context, vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) >= b.cols*b.max {
		return b.flush(ctx)
	}
	return nil
}

func (b *batcher) flush(ctx context.Context) error {
	n := len(b.args) / b.cols
	if n == 0 {
		return nil
	}
	st := b.stmts[n]
	if st == nil {
		q := b.head + strings.TrimSuffix(strings.Repeat(b.rowsPH+", ", n), ", ") + b.tail
		var err error
		if st, err = b.tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		b.stmts[n] = st
	}
	_, err := st.ExecContext(ctx, b.args...)
	clear(b.args)
	b.args = b.args[:0]
	return err
}

func (b *batcher) close() {
	for _, st := range b.stmts {
		st.Close()
	}
}
