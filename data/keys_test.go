package data

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestKeyIndex_Property adds keys in runs that mimic imports (ascending
// order numbers, overlapping re-exports, random ids), flushing between
// runs, and checks every answer against a plain set.
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
			ix := newKeyIndex(tx)
			if run%3 == 0 {
				if err := ix.preload(ctx, keySale); err != nil {
					return err
				}
			}
			var keys []string
			switch run % 4 {
			case 0, 1: // new, ascending
				for range r.IntN(900) {
					next++
					keys = append(keys, fmt.Sprintf("SO-%07d", next))
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
			}
			for _, k := range keys {
				item := int64(1 + len(k)%3) // a few items share the class
				sk := fmt.Sprint(item) + "/" + k
				dup, err := ix.add(ctx, keySale, item, k)
				if err != nil {
					return err
				}
				if dup != seen[sk] {
					return fmt.Errorf("run %d: key %s of item %d: dup=%v, want %v", run, k, item, dup, seen[sk])
				}
				seen[sk] = true
			}
			return ix.flush(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Every stored chunk is sorted, within chunkMax, and named by its max.
	rows, err := st.r.Query("SELECT item_id, max_key, n, data FROM ledger_key ORDER BY item_id, max_key")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	total := 0
	prev := map[int64]string{}
	for rows.Next() {
		var item int64
		var mk, data []byte
		var n int
		if err := rows.Scan(&item, &mk, &n, &data); err != nil {
			t.Fatal(err)
		}
		keys, err := decodeKeys(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != n || n > chunkMax || keys[len(keys)-1] != string(mk) {
			t.Errorf("chunk %d/%s: %d keys, n=%d, last %q", item, mk, len(keys), n, keys[len(keys)-1])
		}
		for i, k := range keys {
			if (i > 0 && keys[i-1] >= k) || k <= prev[item] {
				t.Errorf("chunk %d/%s is not in order at %q", item, mk, k)
			}
		}
		prev[item] = string(mk)
		total += n
	}
	if total != len(seen) {
		t.Errorf("%d keys stored, want %d", total, len(seen))
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
