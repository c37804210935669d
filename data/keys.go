package data

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"sort"
)

// Natural-key classes. Every ledger line an import writes carries a natural
// key, so a row that arrives twice (the same file under another name, or two
// overlapping exports) is recognised and skipped, never counted twice.
const (
	keySale     = 1 // order_id + sku
	keyMovement = 2 // ref + sku + location
	keyCount    = 3 // date + sku + location
)

// chunkMax is the most keys a stored chunk holds. Chunks act as the leaves
// of a B+tree whose inner nodes are SQLite's own index on (class, item,
// max_key): a lookup is one indexed read of a few kilobytes, and an import
// writes one row per chunk it touched rather than one per line.
const chunkMax = 512

type groupKey struct {
	class int
	item  int64
}

// keyGroup is the part of the key index for one class and item, as far as
// this import has read it.
type keyGroup struct {
	gk     groupKey
	chunks []*keyChunk // ordered by max key
}

type keyChunk struct {
	stored string   // max_key the chunk is stored under; "" when new
	bound  string   // max key: stored, or the last key once loaded
	n      int      // keys stored in the chunk
	keys   []string // sorted; nil until loaded
	loaded bool
	dirty  bool
}

// keyIndex is an import's view of ledger_key: it reads chunks on demand,
// answers "seen before?" and records new keys, and writes back the chunks it
// changed when flushed.
type keyIndex struct {
	tx     *sql.Tx
	groups map[groupKey]*keyGroup
	loaded int // keys held in memory, for the flush budget

	// preloaded is the class whose bounds were all read: a group missing
	// from groups has no stored keys.
	preloaded int
}

func newKeyIndex(tx *sql.Tx) *keyIndex {
	return &keyIndex{tx: tx, groups: map[groupKey]*keyGroup{}}
}

// saleKey, movementKey and countKey build the byte keys; they compare as
// SQLite compares BLOBs (memcmp), so Go's string order matches the index.
func saleKey(orderID string) string { return orderID }

func movementKey(ref string, locID int64) string {
	b := make([]byte, 0, len(ref)+9)
	b = append(b, ref...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(locID))
	return string(b)
}

func countKey(date int32, locID int64) string {
	b := binary.BigEndian.AppendUint32(nil, uint32(date)^0x80000000)
	b = binary.BigEndian.AppendUint64(b, uint64(locID))
	return string(b)
}

// add records key for (class, item) and reports whether it was already
// there, in the store or earlier in this import.
func (ix *keyIndex) add(ctx context.Context, class int, item int64, key string) (dup bool, err error) {
	g, err := ix.group(ctx, class, item)
	if err != nil {
		return false, err
	}
	return ix.addTo(ctx, g, key)
}

// group returns the part of the index for (class, item), reading its chunk
// bounds on first use. The pointer stays valid until the next flush.
func (ix *keyIndex) group(ctx context.Context, class int, item int64) (*keyGroup, error) {
	gk := groupKey{class, item}
	g := ix.groups[gk]
	if g == nil {
		var err error
		if ix.preloaded == class {
			g = &keyGroup{}
		} else if g, err = ix.loadGroup(ctx, gk); err != nil {
			return nil, err
		}
		g.gk = gk
		ix.groups[gk] = g
	}
	return g, nil
}

// addTo is add on a group already looked up.
func (ix *keyIndex) addTo(ctx context.Context, g *keyGroup, key string) (dup bool, err error) {
	gk := g.gk
	if len(g.chunks) == 0 {
		g.chunks = append(g.chunks, &keyChunk{loaded: true})
	}
	// Fast path: keys usually arrive in order, after everything stored.
	if last := g.chunks[len(g.chunks)-1]; last.loaded && key > last.bound {
		last.keys = append(last.keys, key)
		last.bound, last.dirty = key, true
		ix.loaded++
		return false, nil
	}
	// The chunk whose range (previous bound, bound] holds key; keys above
	// every bound go to the last chunk.
	i := sort.Search(len(g.chunks), func(i int) bool { return g.chunks[i].bound >= key })
	if i == len(g.chunks) {
		i--
		// Keys usually grow (order numbers, dates): start a new chunk rather
		// than read a full one back just to append to it.
		if last := g.chunks[i]; !last.loaded && last.n >= chunkMax {
			g.chunks = append(g.chunks, &keyChunk{loaded: true})
			i++
		}
	}
	c := g.chunks[i]
	if !c.loaded {
		if err := ix.loadChunk(ctx, gk, c); err != nil {
			return false, err
		}
	}
	j := sort.SearchStrings(c.keys, key)
	if j < len(c.keys) && c.keys[j] == key {
		return true, nil
	}
	if j == len(c.keys) {
		c.keys = append(c.keys, key)
	} else {
		c.keys = append(c.keys, "")
		copy(c.keys[j+1:], c.keys[j:])
		c.keys[j] = key
	}
	if key > c.bound {
		c.bound = key
	}
	c.dirty = true
	ix.loaded++
	return false, nil
}

// keyClassOf is the key class of each ledger kind.
var keyClassOf = map[Kind]int{KindSales: keySale, KindMovements: keyMovement, KindCounts: keyCount}

// preload reads the chunk bounds of every item of a class in one scan, for
// large imports that would otherwise ask once per item.
func (ix *keyIndex) preload(ctx context.Context, class int) error {
	rows, err := ix.tx.QueryContext(ctx, "SELECT item_id, max_key, n FROM ledger_key WHERE class = ? ORDER BY item_id, max_key", class)
	if err != nil {
		return fmt.Errorf("read key index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var item int64
		var k []byte
		var n int
		if err := rows.Scan(&item, &k, &n); err != nil {
			return err
		}
		gk := groupKey{class, item}
		g := ix.groups[gk]
		if g == nil {
			g = &keyGroup{gk: gk}
			ix.groups[gk] = g
		}
		g.chunks = append(g.chunks, &keyChunk{stored: string(k), bound: string(k), n: n})
	}
	ix.preloaded = class
	return rows.Err()
}

func (ix *keyIndex) loadGroup(ctx context.Context, gk groupKey) (*keyGroup, error) {
	rows, err := ix.tx.QueryContext(ctx, "SELECT max_key, n FROM ledger_key WHERE class = ? AND item_id = ? ORDER BY max_key", gk.class, gk.item)
	if err != nil {
		return nil, fmt.Errorf("read key index: %w", err)
	}
	defer rows.Close()
	g := &keyGroup{}
	for rows.Next() {
		var k []byte
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		g.chunks = append(g.chunks, &keyChunk{stored: string(k), bound: string(k), n: n})
	}
	return g, rows.Err()
}

func (ix *keyIndex) loadChunk(ctx context.Context, gk groupKey, c *keyChunk) error {
	var data []byte
	err := ix.tx.QueryRowContext(ctx, "SELECT data FROM ledger_key WHERE class = ? AND item_id = ? AND max_key = ?",
		gk.class, gk.item, []byte(c.stored)).Scan(&data)
	if err != nil {
		return fmt.Errorf("read key chunk: %w", err)
	}
	keys, err := decodeKeys(data)
	if err != nil {
		return err
	}
	c.keys, c.loaded = keys, true
	ix.loaded += len(keys)
	return nil
}

// flush writes every changed chunk, splitting the ones that grew past
// chunkMax, and forgets what it read.
func (ix *keyIndex) flush(ctx context.Context) error {
	del, err := ix.tx.PrepareContext(ctx, "DELETE FROM ledger_key WHERE class = ? AND item_id = ? AND max_key = ?")
	if err != nil {
		return err
	}
	defer del.Close()
	ins := newBatcher(ix.tx, "INSERT OR REPLACE INTO ledger_key(class, item_id, max_key, n, data) VALUES ", "", 5, 64)
	defer ins.close()
	for gk, g := range ix.groups {
		for _, c := range g.chunks {
			if !c.dirty || len(c.keys) == 0 {
				continue
			}
			if c.stored != "" && c.stored != c.keys[len(c.keys)-1] {
				if _, err := del.ExecContext(ctx, gk.class, gk.item, []byte(c.stored)); err != nil {
					return fmt.Errorf("write key index: %w", err)
				}
			}
			parts := (len(c.keys) + chunkMax - 1) / chunkMax
			per := (len(c.keys) + parts - 1) / parts
			for lo := 0; lo < len(c.keys); lo += per {
				part := c.keys[lo:min(lo+per, len(c.keys))]
				if err := ins.add(ctx, gk.class, gk.item, []byte(part[len(part)-1]), len(part), encodeKeys(nil, part)); err != nil {
					return fmt.Errorf("write key index: %w", err)
				}
			}
		}
	}
	if err := ins.flush(ctx); err != nil {
		return fmt.Errorf("write key index: %w", err)
	}
	ix.groups = map[groupKey]*keyGroup{}
	ix.loaded = 0
	ix.preloaded = 0
	return nil
}

// encodeKeys front-codes sorted keys: each key is the length it shares with
// the one before, then the rest.
func encodeKeys(b []byte, keys []string) []byte {
	prev := ""
	for _, k := range keys {
		p := 0
		for p < len(prev) && p < len(k) && prev[p] == k[p] {
			p++
		}
		b = binary.AppendUvarint(b, uint64(p))
		b = binary.AppendUvarint(b, uint64(len(k)-p))
		b = append(b, k[p:]...)
		prev = k
	}
	return b
}

func decodeKeys(b []byte) ([]string, error) {
	var keys []string
	prev := ""
	for len(b) > 0 {
		p, n := binary.Uvarint(b)
		if n <= 0 || p > uint64(len(prev)) {
			return nil, fmt.Errorf("corrupt key chunk")
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, fmt.Errorf("corrupt key chunk")
		}
		k := prev[:p] + string(b[n:n+int(l)])
		b = b[n+int(l):]
		keys = append(keys, k)
		prev = k
	}
	return keys, nil
}
