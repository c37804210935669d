package data

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// storedRow is one row of what the store holds for an item×location before
// an import: its stock row, if any, with one of its months from the cover
// window on, if any (the shape of finish's join).
type storedRow struct {
	k                                ilKey
	onHand, first, last, lastSale, m sql.NullInt64
	blob                             []byte
}

// stateReader reads the stored stock and months of the item×locations an
// import touches while the import runs, on a reader connection, so that
// finish need not read them after the last row, when nothing else can run
// beside it. What it reads is what the writer would read: the import holds
// the write lock, so no one else commits, and it writes stock and months
// only in finish, or in a flush for memory, after which the readings are
// dropped (valid reports it).
type stateReader struct {
	in      chan []ilKey
	pending []ilKey
	fromM   month // months before this are not needed whatever asOf turns out to be
	keys    int
	wg      sync.WaitGroup

	// Owned by the goroutine until wg is done.
	rows map[ilKey][]storedRow
	err  error
}

// stateBatch is how many item×locations one query reads; stateMax is the
// most a reader holds (beyond it finish reads them itself: memory).
const (
	stateBatch = 500
	stateMax   = 200_000
)

// newStateReader starts a reader on its own connection of the pool.
func newStateReader(ctx context.Context, db *sql.DB, fromM month) *stateReader {
	r := &stateReader{in: make(chan []ilKey, 64), fromM: fromM, rows: map[ilKey][]storedRow{}}
	r.wg.Add(1)
	go r.run(ctx, db, r.in)
	return r
}

// add queues an item×location the import touched for the first time.
func (r *stateReader) add(k ilKey) {
	if r.keys++; r.keys > stateMax {
		return
	}
	r.pending = append(r.pending, k)
	if len(r.pending) == stateBatch {
		r.in <- r.pending
		r.pending = make([]ilKey, 0, stateBatch)
	}
}

// wait sends what is queued, waits for the reads and returns them; ok is
// false when the reader gave up (an error, or too many item×locations).
func (r *stateReader) wait() (rows map[ilKey][]storedRow, ok bool) {
	if len(r.pending) > 0 && r.keys <= stateMax {
		r.in <- r.pending
	}
	r.pending = nil
	close(r.in)
	r.wg.Wait()
	return r.rows, r.err == nil && r.keys <= stateMax
}

// stop ends the reader without waiting for its answers to be used.
func (r *stateReader) stop() {
	if r.in == nil {
		return
	}
	r.pending = nil
	close(r.in)
	r.in = nil
	r.wg.Wait()
}

func (r *stateReader) run(ctx context.Context, db *sql.DB, in <-chan []ilKey) {
	defer r.wg.Done()
	defer func() {
		for range in { // let add and wait finish after an error
		}
	}()
	conn, err := db.Conn(ctx)
	if err != nil {
		r.err = err
		return
	}
	defer conn.Close()
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, 2*stateBatch+1)
	for keys := range in {
		if r.err != nil {
			continue
		}
		st := stmts[len(keys)]
		if st == nil {
			vals := strings.TrimSuffix(strings.Repeat("(?, ?), ", len(keys)), ", ")
			st, err = conn.PrepareContext(ctx, `WITH t(item_id, loc_id) AS (VALUES `+vals+`)
				SELECT t.item_id, t.loc_id, s.on_hand, s.first_date, s.last_date, s.last_sale, m.month, m.data
				FROM t LEFT JOIN stock s ON s.item_id = t.item_id AND s.loc_id = t.loc_id
				LEFT JOIN series_month m ON m.item_id = t.item_id AND m.loc_id = t.loc_id AND m.month >= ?`)
			if err != nil {
				r.err = err
				continue
			}
			stmts[len(keys)] = st
		}
		args = args[:0]
		for _, k := range keys {
			args = append(args, k.item, k.loc)
		}
		args = append(args, int64(r.fromM))
		r.err = r.read(ctx, st, args)
	}
}

func (r *stateReader) read(ctx context.Context, st *sql.Stmt, args []any) error {
	q, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer q.Close()
	for q.Next() {
		var s storedRow
		if err := q.Scan(&s.k.item, &s.k.loc, &s.onHand, &s.first, &s.last, &s.lastSale, &s.m, &s.blob); err != nil {
			return err
		}
		r.rows[s.k] = append(r.rows[s.k], s)
	}
	return q.Err()
}
