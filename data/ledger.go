package data

import (
	"encoding/binary"
	"errors"
	"fmt"

	"stockroom/model"
)

// The ledger is append-only. Its lines are packed into blocks: one block
// holds the movements of one item written by one import (or one user
// action), at most blockMax lines. A 1,000,000-line file for 20,000 items
// becomes about 20,000 rows instead of a million, which is what lets an
// import with full ledger, dedup and aggregates keep up with a bare
// `sqlite3 .import`. A movement's id is blockID*blockMax + its index.
const blockMax = 4096

// kind codes stored in blocks; never renumber.
var kindCode = map[model.MovementKind]byte{
	model.Receipt: 1, model.Sale: 2, model.Return: 3, model.Adjustment: 4,
	model.Count: 5, model.TransferOut: 6, model.TransferIn: 7,
}

var kindByCode = func() [8]model.MovementKind {
	var k [8]model.MovementKind
	for m, c := range kindCode {
		k[c] = m
	}
	return k
}()

// ledgerLine is one movement as the importer hands it to a block.
type ledgerLine struct {
	loc     int64 // location id
	date    model.Date
	qty     int64
	kind    model.MovementKind
	channel int64 // channel id, 0 for none
	line    int   // source line, 0 for user actions
	ref     string
}

// blockBuf accumulates the encoded lines of one block.
type blockBuf struct {
	itemID   int64
	buf      []byte
	n        int
	net      int64
	minDate  model.Date
	maxDate  model.Date
	lastDate model.Date
	lastLine int
}

func newBlockBuf(itemID int64) *blockBuf {
	// Room for a dozen lines: most blocks of a big file then grow a few
	// times rather than from nothing.
	return &blockBuf{itemID: itemID, minDate: 1<<31 - 1, maxDate: -1 << 31, buf: make([]byte, 0, 256)}
}

// add encodes one line: date and line as deltas from the previous line, so
// a typical sales line takes about a dozen bytes.
func (b *blockBuf) add(l ledgerLine) {
	b.buf = binary.AppendUvarint(b.buf, uint64(l.loc))
	b.buf = binary.AppendVarint(b.buf, int64(l.date-b.lastDate))
	b.buf = binary.AppendVarint(b.buf, l.qty)
	b.buf = append(b.buf, kindCode[l.kind])
	b.buf = binary.AppendUvarint(b.buf, uint64(l.channel))
	b.buf = binary.AppendVarint(b.buf, int64(l.line-b.lastLine))
	b.buf = binary.AppendUvarint(b.buf, uint64(len(l.ref)))
	b.buf = append(b.buf, l.ref...)
	b.lastDate, b.lastLine = l.date, l.line
	b.n++
	b.net += l.qty
	b.minDate = min(b.minDate, l.date)
	b.maxDate = max(b.maxDate, l.date)
}

var errCorruptBlock = errors.New("corrupt ledger block")

// decodeBlock reads a block back into lines.
func decodeBlock(data []byte, fn func(i int, l ledgerLine) bool) error {
	var date model.Date
	line := 0
	for i := 0; len(data) > 0; i++ {
		loc, n := binary.Uvarint(data)
		if n <= 0 {
			return errCorruptBlock
		}
		data = data[n:]
		dd, n := binary.Varint(data)
		if n <= 0 {
			return errCorruptBlock
		}
		data = data[n:]
		qty, n := binary.Varint(data)
		if n <= 0 || len(data) <= n {
			return errCorruptBlock
		}
		data = data[n:]
		kc := data[0]
		data = data[1:]
		if int(kc) >= len(kindByCode) || kindByCode[kc] == "" {
			return fmt.Errorf("%w: kind code %d", errCorruptBlock, kc)
		}
		ch, n := binary.Uvarint(data)
		if n <= 0 {
			return errCorruptBlock
		}
		data = data[n:]
		dl, n := binary.Varint(data)
		if n <= 0 {
			return errCorruptBlock
		}
		data = data[n:]
		rl, n := binary.Uvarint(data)
		if n <= 0 || uint64(len(data)-n) < rl {
			return errCorruptBlock
		}
		ref := string(data[n : n+int(rl)])
		data = data[n+int(rl):]
		date += model.Date(dd)
		line += int(dl)
		if !fn(i, ledgerLine{loc: int64(loc), date: date, qty: qty, kind: kindByCode[kc], channel: int64(ch), line: line, ref: ref}) {
			return nil
		}
	}
	return nil
}
