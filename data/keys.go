package data

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
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

// keyClassOf is the key class of each ledger kind.
var keyClassOf = map[Kind]int{KindSales: keySale, KindMovements: keyMovement, KindCounts: keyCount}

// chunkMax is the most keys a stored chunk holds. Chunks act as the leaves
// of a B+tree whose inner nodes are SQLite's own index on (class, max_key):
// a lookup is one indexed read of a few kilobytes, and an import writes one
// row per chunk it touched rather than one per line.
//
// Keys are ordered across items, order number (or reference, or date)
// first. New exports carry new order numbers, so a file's keys land
// together: a 10,000-line file over 10,000 items writes about eighty new
// chunks and reads at most a couple, where one index per item would read
// and rewrite ten thousand.
const chunkMax = 128

// splitAt is the size at which a chunk held in memory is cut in two, so
// that keys arriving out of order into one range stay cheap to insert.
const splitAt = 8 * chunkMax

// keyChunk is one stored chunk as far as this import has read it, or a new
// one. It holds the keys in (lo, bound].
type keyChunk struct {
	stored string   // max_key the chunk is stored under; "" when new
	lo     string   // bound of the stored chunk before it ("" for the first); see loKnown
	bound  string   // max key: stored, or the last key once loaded
	n      int      // keys stored in the chunk
	keys   []string // sorted; nil until loaded
	// tail holds keys above stored, added without reading the chunk, front-
	// coded like a stored chunk: an import of a million keys in order keeps
	// no string per key alive for the garbage collector to scan.
	tail   []byte
	loaded bool
	dirty  bool
}

// loKnown reports whether lo is known: a chunk is read together with the
// bound before it, and a new chunk knows its place. Only the top chunk
// read by start (its name, not its data) does not.
func (c *keyChunk) loKnown() bool { return c.loaded || c.stored == "" }

// keyIndex is an import's view of one class of natural_key: it reads chunks
// on demand, answers "seen before?" and records new keys, and writes back
// the chunks it changed when flushed.
type keyIndex struct {
	tx    *sql.Tx
	class int
	// chunks are the chunks read or started so far, ordered by bound; the
	// last is the class's top chunk. Between them lie stored chunks not
	// read yet.
	chunks    []*keyChunk
	started   bool
	loaded    int // keys held as strings, for the flush budget
	tailBytes int // bytes of front-coded tails
	find      *sql.Stmt
	// win holds, sorted, the newest keys above the top chunk's bound, not
	// yet added to it. The lines of one order come together but not in
	// item order; the window puts them in order, so an export sorted by
	// order number stays on the append-only path.
	win []string
}

// winMax is the window's size; past it the lower half joins the top chunk.
const winMax = 64

func newKeyIndex(tx *sql.Tx, class int) *keyIndex {
	return &keyIndex{tx: tx, class: class}
}

// saleKey, movementKey and countKey build the byte keys; they compare as
// SQLite compares BLOBs (memcmp), so Go's string order matches the index.
// The ids are fixed-width, so no two different rows make the same key
// whatever bytes an order number holds.
func saleKey(orderID string, item int64) string {
	b := make([]byte, 0, len(orderID)+9)
	b = append(b, orderID...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(item))
	return string(b)
}

func movementKey(ref string, item, loc int64) string {
	b := make([]byte, 0, len(ref)+17)
	b = append(b, ref...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(item))
	b = binary.BigEndian.AppendUint64(b, uint64(loc))
	return string(b)
}

func countKey(date int32, item, loc int64) string {
	b := make([]byte, 0, 20)
	b = binary.BigEndian.AppendUint32(b, uint32(date)^0x80000000)
	b = binary.BigEndian.AppendUint64(b, uint64(item))
	b = binary.BigEndian.AppendUint64(b, uint64(loc))
	return string(b)
}

// bytes is roughly what the index holds in memory.
func (ix *keyIndex) bytes() int {
	return 48*(ix.loaded+len(ix.win)) + ix.tailBytes + 64*len(ix.chunks)
}

// start reads the class's top chunk, once per flush.
func (ix *keyIndex) start(ctx context.Context) error {
	if ix.started {
		return nil
	}
	top := &keyChunk{} // an empty class: one new chunk
	var k []byte
	err := ix.tx.QueryRowContext(ctx, "SELECT max_key, n FROM natural_key WHERE class = ? ORDER BY max_key DESC LIMIT 1",
		ix.class).Scan(&k, &top.n)
	switch {
	case err == nil:
		top.stored, top.bound = string(k), string(k)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("read key index: %w", err)
	}
	ix.chunks = []*keyChunk{top}
	ix.started = true
	return nil
}

// add records key and reports whether it was already there, in the store
// or earlier in this import. The index keeps key: it must not alias a
// buffer that is reused (the key constructors make new strings).
func (ix *keyIndex) add(ctx context.Context, key string) (dup bool, err error) {
	if err := ix.start(ctx); err != nil {
		return false, err
	}
	// Fast path: keys usually arrive in order (order numbers, dates), after
	// everything stored. A key above every bound is new, unless the window
	// has it; it is appended without reading the stored chunk, which flush
	// merges in one batch.
	if key > ix.chunks[len(ix.chunks)-1].bound {
		j, found := slices.BinarySearch(ix.win, key)
		if found {
			return true, nil
		}
		ix.win = slices.Insert(ix.win, j, key)
		if len(ix.win) > winMax {
			ix.spill(winMax / 2)
		}
		return false, nil
	}
	i, err := ix.chunkFor(ctx, key)
	if err != nil {
		return false, err
	}
	c := ix.chunks[i]
	j, found := slices.BinarySearch(c.keys, key)
	if found {
		return true, nil
	}
	c.keys = slices.Insert(c.keys, j, key)
	c.dirty = true
	ix.loaded++
	if len(c.keys) > splitAt {
		ix.split(i)
	}
	return false, nil
}

// spill moves the window's lowest n keys onto the top chunk: its keys when
// it is loaded, its front-coded tail when not.
func (ix *keyIndex) spill(n int) {
	for _, key := range ix.win[:n] {
		last := ix.chunks[len(ix.chunks)-1]
		if last.loaded {
			last.keys = append(last.keys, key)
			ix.loaded++
		} else {
			t := len(last.tail)
			last.tail = appendKey(last.tail, last.bound, key, len(last.tail) > 0)
			ix.tailBytes += len(last.tail) - t
		}
		last.bound, last.dirty = key, true
		if last.loaded && len(last.keys) > splitAt {
			ix.split(len(ix.chunks) - 1)
		}
	}
	ix.win = slices.Delete(ix.win, 0, n)
}

// chunkFor returns the index of the loaded chunk whose range holds key (not
// above the top bound), reading it from the store if need be.
func (ix *keyIndex) chunkFor(ctx context.Context, key string) (int, error) {
	i := sort.Search(len(ix.chunks), func(i int) bool { return ix.chunks[i].bound >= key })
	c := ix.chunks[i]
	if c.loKnown() && key > c.lo {
		if !c.loaded {
			// A new top chunk holding only a tail.
			if err := ix.merge(c, nil); err != nil {
				return 0, err
			}
		}
		return i, nil
	}
	// key lies in a stored chunk not read yet, between chunks[i-1] and c,
	// or in the top chunk's tail (then read the top chunk itself).
	probe := key
	if i == len(ix.chunks)-1 && !c.loaded && key > c.stored {
		probe = c.stored
	}
	if ix.find == nil {
		var err error
		ix.find, err = ix.tx.PrepareContext(ctx, `SELECT max_key, data, coalesce((SELECT p.max_key FROM natural_key p
			WHERE p.class = t.class AND p.max_key < t.max_key ORDER BY p.max_key DESC LIMIT 1), x'')
			FROM natural_key t WHERE t.class = ? AND t.max_key >= ? ORDER BY t.max_key LIMIT 1`)
		if err != nil {
			return 0, fmt.Errorf("read key index: %w", err)
		}
	}
	var mk, data, lo []byte
	if err := ix.find.QueryRowContext(ctx, ix.class, []byte(probe)).Scan(&mk, &data, &lo); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("read key index: no chunk holds %q: the index is damaged", key)
		}
		return 0, fmt.Errorf("read key index: %w", err)
	}
	if string(mk) != c.stored {
		// A chunk between the ones known: it goes before c.
		c = &keyChunk{stored: string(mk), bound: string(mk)}
		ix.chunks = slices.Insert(ix.chunks, i, c)
	}
	c.lo = string(lo)
	return i, ix.merge(c, data)
}

// split cuts a chunk grown in memory in two; the first half keeps the
// stored row's name, so flush replaces or deletes it.
func (ix *keyIndex) split(i int) {
	c := ix.chunks[i]
	h := len(c.keys) / 2
	d := &keyChunk{lo: c.keys[h-1], bound: c.bound, keys: slices.Clone(c.keys[h:]), loaded: true, dirty: true}
	c.keys = slices.Clip(c.keys[:h])
	c.bound = c.keys[h-1]
	ix.chunks = slices.Insert(ix.chunks, i+1, d)
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
	ix.loaded += len(keys) + len(tail)
	ix.tailBytes -= len(c.tail)
	c.keys, c.tail, c.loaded = append(keys, tail...), nil, true
	return nil
}

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

// flush writes every changed chunk, splitting the ones that grew past
// chunkMax, and forgets what it read.
func (ix *keyIndex) flush(ctx context.Context) error {
	defer ix.reset()
	if !ix.started {
		return nil
	}
	ix.spill(len(ix.win))
	// A small stored top chunk that got a tail is read, so the two are
	// written back as one rather than leaving a run of small chunks.
	top := ix.chunks[len(ix.chunks)-1]
	if len(top.tail) > 0 && top.stored != "" && top.n < chunkMax {
		if _, err := ix.chunkFor(ctx, top.stored); err != nil {
			return err
		}
	}
	type row struct {
		max  string
		n    int
		data []byte
	}
	var dels []string
	var rows []row
	for _, c := range ix.chunks {
		if !c.dirty {
			continue
		}
		if !c.loaded {
			// A full stored chunk keeps its row; its tail starts new ones,
			// cut from the coded bytes without a string per key.
			err := splitCoded(c.tail, chunkMax, func(last []byte, n int, data []byte) {
				rows = append(rows, row{string(last), n, data})
			})
			if err != nil {
				return err
			}
			continue
		}
		if len(c.keys) == 0 {
			continue
		}
		if c.stored != "" && c.stored != c.keys[len(c.keys)-1] {
			dels = append(dels, c.stored)
		}
		parts := (len(c.keys) + chunkMax - 1) / chunkMax
		per := (len(c.keys) + parts - 1) / parts
		for lo := 0; lo < len(c.keys); lo += per {
			part := c.keys[lo:min(lo+per, len(c.keys))]
			rows = append(rows, row{part[len(part)-1], len(part), encodeKeys(nil, part)})
		}
	}
	// Every delete before any insert: a chunk split in memory may write a
	// row under the name another one leaves.
	if len(dels) > 0 {
		del, err := ix.tx.PrepareContext(ctx, "DELETE FROM natural_key WHERE class = ? AND max_key = ?")
		if err != nil {
			return err
		}
		defer del.Close()
		for _, k := range dels {
			if _, err := del.ExecContext(ctx, ix.class, []byte(k)); err != nil {
				return fmt.Errorf("write key index: %w", err)
			}
		}
	}
	ins := newBatcher(ix.tx, "INSERT OR REPLACE INTO natural_key(class, max_key, n, data) VALUES ", "", 4, 64)
	defer ins.close()
	for _, r := range rows {
		if err := ins.add(ctx, ix.class, []byte(r.max), r.n, r.data); err != nil {
			return fmt.Errorf("write key index: %w", err)
		}
	}
	if err := ins.flush(ctx); err != nil {
		return fmt.Errorf("write key index: %w", err)
	}
	return nil
}

// reset forgets what was read: the next add starts from the store.
func (ix *keyIndex) reset() {
	ix.chunks, ix.started, ix.win = nil, false, nil
	ix.loaded, ix.tailBytes = 0, 0
}

// close releases the prepared lookup.
func (ix *keyIndex) close() {
	if ix.find != nil {
		ix.find.Close()
		ix.find = nil
	}
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

// splitCoded cuts front-coded keys into parts of at most max keys, as even
// as flush makes them from decoded keys, each part coded on its own: only
// a part's first key changes coding, the rest are copied.
func splitCoded(b []byte, max int, emit func(last []byte, n int, data []byte)) error {
	count := 0
	err := walkCoded(b, func(p, l int, suffix []byte) { count++ })
	if err != nil || count == 0 {
		return err
	}
	parts := (count + max - 1) / max
	per := (count + parts - 1) / parts
	var key, out []byte
	n := 0
	walkCoded(b, func(p, l int, suffix []byte) {
		key = append(key[:p], suffix...)
		if n == 0 {
			out = appendKey(make([]byte, 0, len(b)/parts+16), "", string(key), false)
		} else {
			out = binary.AppendUvarint(out, uint64(p))
			out = binary.AppendUvarint(out, uint64(l))
			out = append(out, suffix...)
		}
		if n++; n == per {
			emit(key, n, out)
			n = 0
		}
	})
	if n > 0 {
		emit(key, n, out)
	}
	return nil
}

// walkCoded calls fn with each front-coded key's shared length, the length
// of the rest, and the rest, after checking the coding.
func walkCoded(b []byte, fn func(p, l int, suffix []byte)) error {
	prevLen := 0
	for len(b) > 0 {
		p, n := binary.Uvarint(b)
		if n <= 0 || p > uint64(prevLen) {
			return errCorruptKeys
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return errCorruptKeys
		}
		fn(int(p), int(l), b[n:n+int(l)])
		b = b[n+int(l):]
		prevLen = int(p) + int(l)
	}
	return nil
}

var errCorruptKeys = errors.New("corrupt key chunk")

// decodeKeys reads front-coded keys. The keys share one allocation: a
// chunk decodes in two, however many keys it holds.
func decodeKeys(b []byte) ([]string, error) {
	count, total := 0, 0
	if err := walkCoded(b, func(p, l int, _ []byte) { count++; total += p + l }); err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, nil
	}
	buf := make([]byte, 0, total)
	ends := make([]int, 0, count)
	prev := 0 // start of the previous key in buf
	for len(b) > 0 {
		p, n := binary.Uvarint(b)
		b = b[n:]
		l, n := binary.Uvarint(b)
		start := len(buf)
		buf = append(buf, buf[prev:prev+int(p)]...)
		buf = append(buf, b[n:n+int(l)]...)
		b = b[n+int(l):]
		prev = start
		ends = append(ends, len(buf))
	}
	s := string(buf)
	keys := make([]string, count)
	from := 0
	for i, e := range ends {
		keys[i] = s[from:e]
		from = e
	}
	return keys, nil
}
