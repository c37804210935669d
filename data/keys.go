package data

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
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
const chunkMax = 128

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
	// tail holds keys above stored, added without reading the chunk, front-
	// coded like a stored chunk: an import of a million keys in order keeps
	// no string per key alive for the garbage collector to scan.
	tail   []byte
	loaded bool
	marked bool // wanted by the next loadMarked
	dirty  bool
}

// keyIndex is an import's view of ledger_key: it reads chunks on demand,
// answers "seen before?" and records new keys, and writes back the chunks it
// changed when flushed.
type keyIndex struct {
	tx        *sql.Tx
	groups    map[groupKey]*keyGroup
	loaded    int // keys held as strings, for the flush budget
	tailBytes int // bytes of front-coded tails

	// preloaded is the class whose bounds were all read: a group missing
	// from groups has no stored keys.
	preloaded int

	marked []chunkRef
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

// bytes is roughly what the index holds in memory.
func (ix *keyIndex) bytes() int { return 48*ix.loaded + ix.tailBytes + 64*len(ix.groups) }

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
		g.chunks = append(g.chunks, &keyChunk{})
	}
	// Fast path: keys usually arrive in order (order numbers, dates), after
	// everything stored. A key above every bound is new; it is appended
	// without reading the stored chunk, which flush merges in one batch.
	if last := g.chunks[len(g.chunks)-1]; key > last.bound {
		if last.loaded {
			last.keys = append(last.keys, strings.Clone(key))
			ix.loaded++
		} else {
			n := len(last.tail)
			last.tail = appendKey(last.tail, last.bound, key, last.tailPrefix())
			ix.tailBytes += len(last.tail) - n
		}
		last.bound, last.dirty = strings.Clone(key), true
		return false, nil
	}
	// The chunk whose range (previous bound, bound] holds key.
	i := sort.Search(len(g.chunks), func(i int) bool { return g.chunks[i].bound >= key })
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
	key = strings.Clone(key) // not a slice of the file's row
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
	if c.stored == "" { // a chunk this import started: nothing to read
		return ix.merge(c, nil)
	}
	var data []byte
	err := ix.tx.QueryRowContext(ctx, "SELECT data FROM ledger_key WHERE class = ? AND item_id = ? AND max_key = ?",
		gk.class, gk.item, []byte(c.stored)).Scan(&data)
	if err != nil {
		return fmt.Errorf("read key chunk: %w", err)
	}
	return ix.merge(c, data)
}

// merge sets a chunk's keys from its stored data plus its tail.
func (ix *keyIndex) merge(c *keyChunk, data []byte) error {
	keys, err := decodeKeys(data)
	if err != nil {
		return err
	}
	tail, err := decodeKeys(c.tail)
	if err != nil {
		return err
	}
	ix.loaded += len(keys)
	c.keys, c.tail, c.loaded = append(keys, tail...), nil, true
	return nil
}

// tailPrefix is the key the next tail entry is front-coded against: the
// last key of the tail, or none for the first.
func (c *keyChunk) tailPrefix() bool { return len(c.tail) > 0 }

// appendKey front-codes key after prev (when hasPrev) onto b.
func appendKey(b []byte, prev, key string, hasPrev bool) []byte {
	p := 0
	if hasPrev {
		for p < len(prev) && p < len(key) && prev[p] == key[p] {
			p++
		}
	}
	b = binary.AppendUvarint(b, uint64(p))
	b = binary.AppendUvarint(b, uint64(len(key)-p))
	return append(b, key[p:]...)
}

type chunkRef struct {
	gk groupKey
	c  *keyChunk
}

// loadTails reads, in batches, the small stored chunks that got a tail, so
// the two are written back as one.
func (ix *keyIndex) loadTails(ctx context.Context) error {
	var want []chunkRef
	for gk, g := range ix.groups {
		for _, c := range g.chunks {
			if len(c.tail) > 0 && !c.loaded && c.n < chunkMax && c.stored != "" {
				want = append(want, chunkRef{gk, c})
			}
		}
	}
	return ix.loadChunks(ctx, want)
}

// need marks the stored chunk that key falls in, if key is not above every
// bound and the chunk is not loaded: loadMarked reads all marked chunks in
// a few queries before the rows that need them are applied.
func (ix *keyIndex) need(g *keyGroup, key string) {
	if len(g.chunks) == 0 || key > g.chunks[len(g.chunks)-1].bound {
		return
	}
	i := sort.Search(len(g.chunks), func(i int) bool { return g.chunks[i].bound >= key })
	if c := g.chunks[i]; !c.loaded && !c.marked {
		c.marked = true
		ix.marked = append(ix.marked, chunkRef{g.gk, c})
	}
}

// loadMarked reads the chunks need marked.
func (ix *keyIndex) loadMarked(ctx context.Context) error {
	err := ix.loadChunks(ctx, ix.marked)
	for _, r := range ix.marked {
		r.c.marked = false
	}
	ix.marked = ix.marked[:0]
	return err
}

// groups returns the groups of a class for many items, reading the bounds
// of the ones not yet read in one query per few hundred items.
func (ix *keyIndex) groupsFor(ctx context.Context, class int, items []int64) error {
	var missing []int64
	for _, it := range items {
		if ix.groups[groupKey{class, it}] == nil {
			if ix.preloaded == class {
				ix.groups[groupKey{class, it}] = &keyGroup{gk: groupKey{class, it}}
				continue
			}
			missing = append(missing, it)
		}
	}
	const per = 500
	for lo := 0; lo < len(missing); lo += per {
		part := missing[lo:min(lo+per, len(missing))]
		args := []any{class}
		for _, it := range part {
			args = append(args, it)
			ix.groups[groupKey{class, it}] = &keyGroup{gk: groupKey{class, it}}
		}
		rows, err := ix.tx.QueryContext(ctx, "SELECT item_id, max_key, n FROM ledger_key WHERE class = ? AND item_id IN ("+
			placeholders(len(part))+") ORDER BY item_id, max_key", args...)
		if err != nil {
			return fmt.Errorf("read key index: %w", err)
		}
		for rows.Next() {
			var item int64
			var k []byte
			var n int
			if err := rows.Scan(&item, &k, &n); err != nil {
				rows.Close()
				return err
			}
			g := ix.groups[groupKey{class, item}]
			g.chunks = append(g.chunks, &keyChunk{stored: string(k), bound: string(k), n: n})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// loadChunks reads stored chunks in batches of a few hundred.
func (ix *keyIndex) loadChunks(ctx context.Context, want []chunkRef) error {
	const per = 300
	for lo := 0; lo < len(want); lo += per {
		part := want[lo:min(lo+per, len(want))]
		byKey := make(map[[3]string]*keyChunk, len(part))
		args := make([]any, 0, 3*len(part))
		for _, r := range part {
			if r.c.loaded {
				continue
			}
			args = append(args, r.gk.class, r.gk.item, []byte(r.c.stored))
			byKey[[3]string{fmt.Sprint(r.gk.class), fmt.Sprint(r.gk.item), r.c.stored}] = r.c
		}
		if len(args) == 0 {
			continue
		}
		q := "SELECT class, item_id, max_key, data FROM ledger_key WHERE (class, item_id, max_key) IN (VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(args)/3), ", ") + ")"
		rows, err := ix.tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("read key index: %w", err)
		}
		for rows.Next() {
			var class, item int64
			var k, data []byte
			if err := rows.Scan(&class, &item, &k, &data); err != nil {
				rows.Close()
				return err
			}
			if c := byKey[[3]string{fmt.Sprint(class), fmt.Sprint(item), string(k)}]; c != nil {
				if err := ix.merge(c, data); err != nil {
					rows.Close()
					return err
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
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
	if err := ix.loadTails(ctx); err != nil {
		return err
	}
	for gk, g := range ix.groups {
		for _, c := range g.chunks {
			if !c.dirty {
				continue
			}
			if !c.loaded {
				// A full stored chunk keeps its row; its tail starts new ones.
				tail, err := decodeKeys(c.tail)
				if err != nil {
					return err
				}
				c.keys, c.stored, c.tail = tail, "", nil
			}
			if len(c.keys) == 0 {
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
	ix.loaded, ix.tailBytes = 0, 0
	ix.preloaded = 0
	return nil
}

// encodeKeys front-codes sorted keys: each key is the length it shares with
// the one before, then the rest.
func encodeKeys(b []byte, keys []string) []byte {
	for i, k := range keys {
		if i == 0 {
			b = appendKey(b, "", k, false)
		} else {
			b = appendKey(b, keys[i-1], k, true)
		}
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
