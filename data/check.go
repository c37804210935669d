package data

import (
	"context"
	"database/sql"
	"fmt"
)

// Totals are counts over the whole ledger.
type Totals struct {
	Lines int64 // ledger lines
	Net   int64 // sum of every line's quantity
}

// LedgerTotals counts the ledger's lines and sums their quantities.
func (s *Store) LedgerTotals(ctx context.Context) (Totals, error) {
	var t Totals
	err := s.r.QueryRowContext(ctx, "SELECT coalesce(sum(n), 0), coalesce(sum(net), 0) FROM ledger_block").Scan(&t.Lines, &t.Net)
	return t, err
}

// Check verifies the store's invariants: every item×location's stock on
// hand and the sum of its daily series both equal the sum of its ledger
// lines, every block decodes to the line count and net it claims, and
// every row a file committed to the ledger left exactly one natural key
// (checkKeys). It reads the whole ledger, in one read transaction.
func (s *Store) Check(ctx context.Context) error {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ledger := map[ilKey]int64{}
	rows, err := tx.QueryContext(ctx, "SELECT id, item_id, n, net, data FROM ledger_block")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, item, net int64
		var n int
		var blob []byte
		if err := rows.Scan(&id, &item, &n, &net, &blob); err != nil {
			rows.Close()
			return err
		}
		var gotN int
		var gotNet int64
		if err := decodeBlock(blob, func(_ int, l ledgerLine) bool {
			gotN++
			gotNet += l.qty
			ledger[ilKey{item, l.loc}] += l.qty
			return true
		}); err != nil {
			rows.Close()
			return fmt.Errorf("ledger block %d: %w", id, err)
		}
		if gotN != n || gotNet != net || n > blockMax {
			rows.Close()
			return fmt.Errorf("ledger block %d holds %d lines netting %d, but says %d and %d", id, gotN, gotNet, n, net)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stock, err := quantitiesBy(ctx, tx, "SELECT item_id, loc_id, on_hand FROM stock")
	if err != nil {
		return err
	}
	series, err := quantitiesBy(ctx, tx, "SELECT item_id, loc_id, sum(net) FROM series_month GROUP BY item_id, loc_id")
	if err != nil {
		return err
	}
	for k, v := range ledger {
		if stock[k] != v {
			return fmt.Errorf("item %d at location %d: stock on hand %d, ledger says %d", k.item, k.loc, stock[k], v)
		}
		if series[k] != v {
			return fmt.Errorf("item %d at location %d: daily series net %d, ledger says %d", k.item, k.loc, series[k], v)
		}
	}
	for k, v := range stock {
		if _, ok := ledger[k]; !ok && v != 0 {
			return fmt.Errorf("item %d at location %d: stock on hand %d with no ledger lines", k.item, k.loc, v)
		}
	}
	return checkKeys(ctx, tx)
}

// checkKeys verifies that the natural keys (countKeys) are one per row the
// sales, movements and counts files committed: a key without its row would
// turn a later import of that row away, a row without its key would let it
// count twice.
func checkKeys(ctx context.Context, tx *sql.Tx) error {
	var committed int64
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(sum(rows_ok), 0) FROM file WHERE kind IN (?, ?, ?)",
		string(KindSales), string(KindMovements), string(KindCounts)).Scan(&committed); err != nil {
		return err
	}
	var layout string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name IN ('natural_key', 'ledger_key') ORDER BY name = 'natural_key' DESC LIMIT 1`).Scan(&layout); err != nil {
		return fmt.Errorf("natural keys: %w", err)
	}
	var total int64
	var err error
	if layout == "ledger_key" {
		// A copy made before step 0007 (a backup being verified): its
		// per-item chunks are converted when a store opens it.
		err = tx.QueryRowContext(ctx, "SELECT coalesce(sum(n), 0) FROM ledger_key").Scan(&total)
	} else {
		total, err = countKeys(ctx, tx)
	}
	if err != nil {
		return err
	}
	if total != committed {
		return fmt.Errorf("%d natural keys for %d rows committed from sales, movements and counts files", total, committed)
	}
	return nil
}

// countKeys reads every natural-key chunk, checks that it decodes to the
// count it claims, in order within and across chunks and named by its last
// key, and returns how many keys there are.
func countKeys(ctx context.Context, q rowsQuerier) (int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT class, max_key, n, data FROM natural_key ORDER BY class, max_key")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var total int64
	prev := map[int]string{}
	for rows.Next() {
		var class, n int
		var mk, blob []byte
		if err := rows.Scan(&class, &mk, &n, &blob); err != nil {
			return 0, err
		}
		keys, err := decodeKeys(blob)
		if err != nil {
			return 0, fmt.Errorf("key chunk %d/%x: %w", class, mk, err)
		}
		if len(keys) != n || n == 0 || n > chunkMax || keys[n-1] != string(mk) {
			return 0, fmt.Errorf("key chunk %d/%x holds %d keys, says %d", class, mk, len(keys), n)
		}
		for i, k := range keys {
			if (i > 0 && k <= keys[i-1]) || k <= prev[class] {
				return 0, fmt.Errorf("key chunk %d/%x is out of order", class, mk)
			}
		}
		prev[class] = string(mk)
		total += int64(n)
	}
	return total, rows.Err()
}

// quantitiesBy reads a query of (item id, location id, quantity) rows.
func quantitiesBy(ctx context.Context, tx *sql.Tx, q string) (map[ilKey]int64, error) {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[ilKey]int64{}
	for rows.Next() {
		var k ilKey
		var v int64
		if err := rows.Scan(&k.item, &k.loc, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}
