package data

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
)

// migrationNaturalKeys replaces ledger_key, one index per (class, item),
// with one ordered index per class whose keys name the item themselves.
const migrationNaturalKeys = `
CREATE TABLE natural_key(
	class INTEGER NOT NULL,
	max_key BLOB NOT NULL,
	n INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY(class, max_key)
) WITHOUT ROWID;
`

// convertKeys moves every key of ledger_key into natural_key: each key
// gains its item id, the lot is sorted per class through a scratch table
// and written back in chunks. Then ledger_key goes. The scratch table is in
// the store's own file, not in temp (memory): a store may hold more keys
// than fit in memory. About 100 s for 12.7 million keys.
//
// progress counts keys: read from ledger_key, then written to natural_key,
// so done runs to twice the number of keys.
func convertKeys(ctx context.Context, tx *sql.Tx, progress func(done, total int64)) error {
	var total, done int64
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(sum(n), 0) FROM ledger_key").Scan(&total); err != nil {
		return err
	}
	total *= 2
	step := max(total/50, 100_000)
	next := step
	tick := func(n int) {
		if done += int64(n); done >= next && done < total {
			progress(done, total)
			next = done + step
		}
	}
	if _, err := tx.ExecContext(ctx, "CREATE TABLE key_sort(class INTEGER NOT NULL, k BLOB NOT NULL, PRIMARY KEY(class, k)) WITHOUT ROWID"); err != nil {
		return err
	}
	sorter := newBatcher(tx, "INSERT OR IGNORE INTO key_sort(class, k) VALUES ", "", 2, 256)
	defer sorter.close()
	// Keyset pages, so no reader is open while the batcher writes.
	type chunk struct {
		class int
		item  int64
		data  []byte
	}
	var lastClass, lastItem int64
	lastKey := []byte{}
	for {
		rows, err := tx.QueryContext(ctx, `SELECT class, item_id, max_key, data FROM ledger_key
			WHERE (class, item_id, max_key) > (?, ?, ?) ORDER BY class, item_id, max_key LIMIT 2000`, lastClass, lastItem, lastKey)
		if err != nil {
			return err
		}
		var page []chunk
		for rows.Next() {
			var c chunk
			if err := rows.Scan(&c.class, &c.item, &lastKey, &c.data); err != nil {
				rows.Close()
				return err
			}
			lastClass, lastItem = int64(c.class), c.item
			page = append(page, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			keys, err := decodeKeys(c.data)
			if err != nil {
				return fmt.Errorf("key chunk of item %d: %w", c.item, err)
			}
			tick(len(keys))
			for _, k := range keys {
				nk, err := upgradeKey(c.class, c.item, k)
				if err != nil {
					return fmt.Errorf("key of item %d: %w", c.item, err)
				}
				if err := sorter.add(ctx, c.class, []byte(nk)); err != nil {
					return err
				}
			}
		}
	}
	if err := sorter.flush(ctx); err != nil {
		return err
	}
	out := newBatcher(tx, "INSERT INTO natural_key(class, max_key, n, data) VALUES ", "", 4, 64)
	defer out.close()
	var keys []string
	class := 0
	write := func() error {
		if len(keys) == 0 {
			return nil
		}
		tick(len(keys))
		err := out.add(ctx, class, []byte(keys[len(keys)-1]), len(keys), encodeKeys(nil, keys))
		keys = keys[:0]
		return err
	}
	lastClass, lastKey = 0, []byte{}
	for {
		rows, err := tx.QueryContext(ctx, "SELECT class, k FROM key_sort WHERE (class, k) > (?, ?) ORDER BY class, k LIMIT 20000",
			lastClass, lastKey)
		if err != nil {
			return err
		}
		type kv struct {
			class int
			k     []byte
		}
		var page []kv
		for rows.Next() {
			var r kv
			if err := rows.Scan(&r.class, &r.k); err != nil {
				rows.Close()
				return err
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			if r.class != class || len(keys) == chunkMax {
				if err := write(); err != nil {
					return err
				}
				class = r.class
			}
			keys = append(keys, string(r.k))
		}
		last := page[len(page)-1]
		lastClass, lastKey = int64(last.class), last.k
	}
	if err := write(); err != nil {
		return err
	}
	if err := out.flush(ctx); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "DROP TABLE ledger_key; DROP TABLE key_sort")
	if err == nil && total > 0 {
		progress(total, total) // keys read twice count once
	}
	return err
}

// upgradeKey turns a key of ledger_key into the natural_key form: the item
// goes in after the order number or reference, or after the date.
func upgradeKey(class int, item int64, k string) (string, error) {
	switch class {
	case keySale:
		return saleKey(k, item), nil
	case keyMovement:
		if len(k) < 9 || k[len(k)-9] != 0 {
			return "", fmt.Errorf("malformed movement key %q", k)
		}
		return movementKey(k[:len(k)-9], item, int64(binary.BigEndian.Uint64([]byte(k[len(k)-8:])))), nil
	case keyCount:
		if len(k) != 12 {
			return "", fmt.Errorf("malformed count key %q", k)
		}
		return countKey(int32(binary.BigEndian.Uint32([]byte(k[:4]))^0x80000000), item, int64(binary.BigEndian.Uint64([]byte(k[4:])))), nil
	}
	return "", fmt.Errorf("unknown key class %d", class)
}
