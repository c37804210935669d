package data

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestKeyIndex_Property adds keys in runs that mimic imports (ascending
// order numbers, overlapping re-exports, random ids, a burst of random ids
// that splits chunks in memory), flushing between runs and sometimes in
// the middle of one, and checks every answer against a plain set.
func TestKeyIndex_Property(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[string]bool{}
	next := 0
	for run := range 40 {
		err := st.write(ctx, func(tx *sql.Tx) error {
			ix := newKeyIndex(tx, keySale)
			defer ix.close()
			var keys []string
			switch run % 5 {
			case 0: // new, ascending
				for range r.IntN(900) {
					next++
					keys = append(keys, fmt.Sprintf("SO-%07d", next))
				}
			case 1: // new orders of up to 60 lines, their items in any order
				for range r.IntN(40) {
					next++
					for range 1 + r.IntN(60) {
						keys = append(keys, fmt.Sprintf("SO-%07d/%d", next, r.IntN(100)))
					}
				}
			case 2: // a re-export overlapping the last few hundred
				for i := max(0, next-300); i < next+200; i++ {
					keys = append(keys, fmt.Sprintf("SO-%07d", i))
				}
				next += 200
			case 3: // random ids
				for range 300 {
					keys = append(keys, fmt.Sprintf("R-%x", r.Uint32()%5000))
				}
			case 4: // many random ids in one range: chunks split in memory
				for range 3000 {
					keys = append(keys, fmt.Sprintf("Q-%x", r.Uint32()%20000))
				}
			}
			for i, k := range keys {
				item := int64(1 + len(k)%3) // a few items share the class
				if o, it, ok := strings.Cut(k, "/"); ok {
					k, item = o, int64(len(it)*1000+int(it[0]))
				}
				sk := saleKey(k, item)
				dup, err := ix.add(ctx, sk)
				if err != nil {
					return err
				}
				if dup != seen[sk] {
					return fmt.Errorf("run %d: key %s of item %d: dup=%v, want %v", run, k, item, dup, seen[sk])
				}
				seen[sk] = true
				if run%7 == 6 && i == len(keys)/2 { // a flush for the memory budget
					if err := ix.flush(ctx); err != nil {
						return err
					}
				}
			}
			return ix.flush(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := countKeys(ctx, st.r); err != nil || n != int64(len(seen)) {
		t.Errorf("%d keys stored (%v), want %d", n, err, len(seen))
	}
}

func TestEncodeKeys_RoundTrip(t *testing.T) {
	keys := []string{"", "a", "ab", "abc", "abd", "b", "b\x00\xff"}
	got, err := decodeKeys(encodeKeys(nil, keys))
	if err != nil || fmt.Sprint(got) != fmt.Sprint(keys) {
		t.Errorf("round trip: %q, %v", got, err)
	}
	if _, err := decodeKeys([]byte{5, 1, 'x'}); err == nil {
		t.Errorf("a corrupt chunk must not decode")
	}
}

// TestSplitCoded cuts coded keys as flush cuts decoded ones: the parts
// decode, in order, to the keys, at most max each and as even as can be.
func TestSplitCoded(t *testing.T) {
	var keys []string
	for i := range 1000 {
		keys = append(keys, fmt.Sprintf("ord%06d\x00%c", i*7, 'a'+i%3))
	}
	for _, max := range []int{1, 3, 128, 999, 1000, 5000} {
		var got []string
		var sizes []int
		err := splitCoded(encodeKeys(nil, keys), max, func(last []byte, n int, data []byte) {
			part, err := decodeKeys(data)
			if err != nil || len(part) != n || part[n-1] != string(last) {
				t.Fatalf("max %d: part of %d keys ending %q decodes to %d (%v)", max, n, last, len(part), err)
			}
			got = append(got, part...)
			sizes = append(sizes, n)
		})
		if err != nil || !slices.Equal(got, keys) {
			t.Fatalf("max %d: %d keys back of %d (%v)", max, len(got), len(keys), err)
		}
		parts := (len(keys) + max - 1) / max
		if len(sizes) != parts || slices.Max(sizes) > max || slices.Max(sizes)-slices.Min(sizes) > parts {
			t.Errorf("max %d: part sizes %v", max, sizes)
		}
	}
	if err := splitCoded([]byte{5, 1, 'x'}, 10, func([]byte, int, []byte) {}); err == nil {
		t.Errorf("corrupt keys must not split")
	}
}

// TestConvertKeys builds a store, rewrites its keys into the per-item
// layout stores had before 0007, reopens it so the step runs, and checks
// that every key came back and that re-imports are still recognised.
func TestConvertKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "old.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{"locations", "suppliers", "items", "movements", "sales", "counts"}
	importGood(t, st, kinds...)
	before := storedKeys(t, st)
	if len(before) < 3 {
		t.Fatalf("keys of %d classes, want 3", len(before))
	}
	// The old layout: per (class, item), the key without its item.
	old := map[[2]int64][]string{}
	for class, keys := range before {
		for _, k := range keys {
			var item int64
			var ok string
			switch class {
			case keySale:
				ok, item = k[:len(k)-9], int64(binary.BigEndian.Uint64([]byte(k[len(k)-8:])))
			case keyMovement:
				item = int64(binary.BigEndian.Uint64([]byte(k[len(k)-16 : len(k)-8])))
				ok = k[:len(k)-16] + k[len(k)-8:]
			case keyCount:
				item = int64(binary.BigEndian.Uint64([]byte(k[4:12])))
				ok = k[:4] + k[12:]
			}
			old[[2]int64{int64(class), item}] = append(old[[2]int64{int64(class), item}], ok)
		}
	}
	err = st.write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`CREATE TABLE ledger_key(class INTEGER NOT NULL, item_id INTEGER NOT NULL, max_key BLOB NOT NULL,
			n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(class, item_id, max_key)) WITHOUT ROWID`,
			"DROP TABLE natural_key", "DELETE FROM schema_migration WHERE name = '0007_natural_keys'"} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		for gk, keys := range old {
			slices.Sort(keys)
			// Chunks of two keys, to convert more than one per item.
			for lo := 0; lo < len(keys); lo += 2 {
				part := keys[lo:min(lo+2, len(keys))]
				if _, err := tx.ExecContext(ctx, "INSERT INTO ledger_key VALUES (?, ?, ?, ?, ?)", gk[0], gk[1],
					[]byte(part[len(part)-1]), len(part), encodeKeys(nil, part)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A backup of such a store is verified before it is converted.
	if err := st.Check(ctx); err != nil {
		t.Errorf("the old layout: %v", err)
	}
	st.Close()

	var reports []string
	st, err = OpenWith(ctx, path, func(step string, done, total int64) {
		reports = append(reports, fmt.Sprintf("%s %d/%d", step, done, total))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	nkeys := 0
	for _, keys := range before {
		nkeys += len(keys)
	}
	// Small stores get one report, at the end: all keys read and written.
	if want := fmt.Sprintf("[0007_natural_keys %d/%d]", 2*nkeys, 2*nkeys); fmt.Sprint(reports) != want {
		t.Errorf("progress %v, want %s", reports, want)
	}
	if after := storedKeys(t, st); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("keys after the step differ:\n%v\nwant\n%v", after, before)
	}
	if err := st.Check(ctx); err != nil {
		t.Error(err)
	}
	var n int
	if err := st.r.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'ledger_key'").Scan(&n); err != nil || n != 0 {
		t.Errorf("ledger_key still there (%d, %v)", n, err)
	}
	// The same rows under another name and hash: every one a duplicate.
	for _, k := range kinds[3:] {
		b, err := os.ReadFile(goodDir + k + ".csv")
		if err != nil {
			t.Fatal(err)
		}
		again := filepath.Join(dir, k+"-again.csv")
		if err := os.WriteFile(again, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := st.ImportFile(ctx, again, ImportOptions{})
		if err != nil || r.RowsOK != 0 || r.RowsDuplicate == 0 || r.RowsRejected != 0 {
			t.Errorf("%s again: %v: %d new, %d duplicate, %d rejected", k, err, r.RowsOK, r.RowsDuplicate, r.RowsRejected)
		}
	}
}

// storedKeys reads every natural key, by class, in order.
func storedKeys(t *testing.T, st *Store) map[int][]string {
	t.Helper()
	rows, err := st.r.Query("SELECT class, data FROM natural_key ORDER BY class, max_key")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[int][]string{}
	for rows.Next() {
		var class int
		var data []byte
		if err := rows.Scan(&class, &data); err != nil {
			t.Fatal(err)
		}
		keys, err := decodeKeys(data)
		if err != nil {
			t.Fatal(err)
		}
		m[class] = append(m[class], keys...)
	}
	return m
}

// TestCheck_Keys: Check finds a row whose key went missing and a chunk
// that lies about its size.
func TestCheck_Keys(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	importGood(t, st, "locations", "suppliers", "items", "movements", "sales", "counts")
	if err := st.Check(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, sql, want string }{
		{"a chunk's count", "UPDATE natural_key SET n = n + 1 WHERE class = 1", "keys, says"},
		{"a lost chunk", "DELETE FROM natural_key WHERE class = 2", "natural keys for"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := st.write(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, c.sql); err != nil {
					return err
				}
				err := checkKeys(ctx, tx)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("checkKeys: %v, want %q", err, c.want)
				}
				return errors.New("roll back")
			})
			if err == nil {
				t.Fatal("the change was not rolled back")
			}
		})
	}
	if err := st.Check(ctx); err != nil {
		t.Errorf("after the rollbacks: %v", err)
	}
}
