package data

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"stockroom/model"
)

// ImportOptions tune one import.
type ImportOptions struct {
	Kind        Kind   // the file's kind; empty to tell it from the header and name
	CreateItems bool   // create unknown SKUs in movements, sales and counts instead of rejecting the rows
	User        string // who imported, for the file log
	// Progress, when set, is called now and then with bytes read and the
	// file's size, from the importing goroutine.
	Progress func(done, total int64)
	// Today is the clock's day. When the data reaches it, the stock
	// table's average and cover end the day before: a day still being
	// sold in is not over, and its few sales so far would pull the
	// average down. The zero value means no clock: they end on the data
	// day.
	Today model.Date
}

// RowError is a rejected row: the line as an editor shows it (the header is
// line 1), the column as the file names it, and why.
type RowError struct {
	Line   int    `json:"line"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// FileResult is what importing one file did.
type FileResult struct {
	Path          string     `json:"path"`
	Kind          Kind       `json:"kind"`
	Format        Format     `json:"format,omitempty"`
	RowsOK        int        `json:"rows_ok"`        // new rows committed
	RowsDuplicate int        `json:"rows_duplicate"` // rows whose natural key was already in the ledger
	RowsRejected  int        `json:"rows_rejected"`  // rows sent to the quarantine
	Duplicate     bool       `json:"duplicate"`      // the same content was imported before: nothing done
	DuplicateOf   string     `json:"duplicate_of,omitempty"`
	Errors        []RowError `json:"errors"`
	ErrorsOmitted int        `json:"errors_omitted,omitempty"` // rejected rows beyond the first maxErrors listed here (all are in the quarantine)
	Error         string     `json:"error,omitempty"`          // why the file could not be read or parsed at all
	Encoding      string     `json:"encoding,omitempty"`       // "windows-1252" when the file was not UTF-8 and was read as that
	FileID        int64      `json:"file_id"`
	Seconds       float64    `json:"seconds"`
}

// Failed reports whether the file could not be read or parsed at all.
func (r FileResult) Failed() bool { return r.Error != "" }

// Summary is the result in one line, as the import command, the log and
// the console's feed say it: "sales.csv: sales, 1 row imported, 2
// already in the ledger, 3 rejected".
func (r FileResult) Summary() string {
	switch {
	case r.Failed():
		return fmt.Sprintf("%s: NOT IMPORTED: %s", r.Path, r.Error)
	case r.Duplicate:
		return fmt.Sprintf("%s: already imported (same content as %s), nothing to do", r.Path, r.DuplicateOf)
	}
	s := fmt.Sprintf("%s: %s, %d row", r.Path, r.Kind, r.RowsOK)
	if r.RowsOK != 1 {
		s += "s"
	}
	s += " imported"
	if r.Encoding != "" {
		s += " (read as " + r.Encoding + ": not UTF-8)"
	}
	if r.RowsDuplicate > 0 {
		s += fmt.Sprintf(", %d already in the ledger", r.RowsDuplicate)
	}
	if r.RowsRejected > 0 {
		s += fmt.Sprintf(", %d rejected", r.RowsRejected)
	}
	return s
}

// maxErrors bounds the errors a FileResult lists; the quarantine has all.
const maxErrors = 10000

// Import budgets: past these an import writes what it holds and carries on,
// so memory stays flat whatever the file's size.
const (
	budgetBlockBytes = 8 << 20
	budgetKeyBytes   = 16 << 20
	batchRows        = 2048
)

// budgetAggRows is the aggregates' budget (a variable for tests), and
// stateReaderMin the file size from which an import reads the stored state
// beside its rows (smaller files: one query at the end costs less than a
// goroutine and a connection).
var (
	budgetAggRows  = 100_000
	stateReaderMin = int64(64 << 10)
)

// ImportFile imports one file in one transaction: all of its good rows or
// none. Bad rows go to the quarantine with line, column and reason. Content
// already imported cleanly (same hash) is a no-op. The error is for failures
// of the store itself; a file that cannot be read or parsed is reported in
// the result (Error) and logged in the store.
func (s *Store) ImportFile(ctx context.Context, path string, opt ImportOptions) (FileResult, error) {
	start := time.Now()
	res := FileResult{Path: path, Errors: []RowError{}}
	hash, size, head, quotes, utf8ok, err := hashFile(path)
	if err == nil && !isWorkbook(head, path) {
		if err = checkText(head); err == nil && !utf8ok {
			res.Encoding = "windows-1252"
		}
	}
	if err != nil {
		res.Error = err.Error()
		return res, s.logFailure(ctx, &res, hash, size, start, opt.User)
	}
	res.Format = sniffFormat(head, path)
	defer relaxGC()()
	err = s.write(ctx, func(tx *sql.Tx) error {
		if dup, err := findDuplicate(ctx, tx, hash); err != nil {
			return err
		} else if dup != nil {
			res.Duplicate, res.DuplicateOf = true, dup.path
			res.Kind = Kind(dup.kind)
			return insertFileRow(ctx, tx, &res, hash, size, start, opt.User, dup.id)
		}
		imp := &importer{s: s, tx: tx, res: &res, opt: opt, size: size, hash: hash, quotes: quotes, legacy: res.Encoding != "",
			refSeed: maphash.MakeSeed()}
		if err := imp.run(ctx, path); err != nil {
			return err
		}
		return nil
	})
	if errors.Is(err, errFileFailed) {
		// The transaction was rolled back; log the failure on its own.
		return res, s.logFailure(ctx, &res, hash, size, start, opt.User)
	}
	res.Seconds = time.Since(start).Seconds()
	if err != nil {
		return res, fmt.Errorf("import %s: %w", path, err)
	}
	return res, nil
}

// errFileFailed rolls back an import whose file turned out to be unreadable
// part-way (its reason is in the result).
var errFileFailed = errors.New("file failed")

type dupFile struct {
	id         int64
	path, kind string
}

// findDuplicate finds an earlier clean import of the same content. A file
// that had rejected rows may be dropped again after its master data was
// fixed; natural keys keep its good rows from counting twice.
func findDuplicate(ctx context.Context, tx *sql.Tx, hash string) (*dupFile, error) {
	var d dupFile
	err := tx.QueryRowContext(ctx, `SELECT id, path, kind FROM file WHERE hash = ? AND error = '' AND duplicate_of IS NULL
		AND rows_rejected = 0 ORDER BY id LIMIT 1`, hash).Scan(&d.id, &d.path, &d.kind)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func insertFileRow(ctx context.Context, tx *sql.Tx, res *FileResult, hash string, size int64, start time.Time, user string, dupOf int64) error {
	var dup any
	if dupOf != 0 {
		dup = dupOf
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO file(path, kind, format, hash, size, rows_ok, rows_duplicate, rows_rejected,
		duplicate_of, error, user, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		res.Path, string(res.Kind), string(res.Format), hash, size, res.RowsOK, res.RowsDuplicate, res.RowsRejected,
		dup, res.Error, user, start.UnixMilli(), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("log import: %w", err)
	}
	res.FileID, err = r.LastInsertId()
	return err
}

// logFailure records a file that could not be imported at all.
func (s *Store) logFailure(ctx context.Context, res *FileResult, hash string, size int64, start time.Time, user string) error {
	res.RowsOK, res.RowsDuplicate = 0, 0
	res.Seconds = time.Since(start).Seconds()
	if hash == "" {
		hash = "-"
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		return insertFileRow(ctx, tx, res, hash, size, start, user, 0)
	})
}

// hashFile reads the whole file once for its SHA-256, keeps its first
// 64 KiB for sniffing, and notes whether it holds a '"' anywhere (a file
// without one is split without a CSV parser).
func hashFile(path string) (hash string, size int64, head []byte, quotes, utf8ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, nil, false, false, err
	}
	defer f.Close()
	h := sha256.New()
	head = make([]byte, 64<<10)
	n, err := io.ReadFull(f, head)
	head = head[:n]
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", 0, nil, false, false, err
	}
	q := quoteScan{w: h, valid: true}
	q.Write(head)
	m, err := io.Copy(&q, f)
	if err != nil {
		return "", 0, nil, false, false, err
	}
	if n == 0 {
		return hex.EncodeToString(h.Sum(nil)), 0, head, false, true, errors.New("file is empty")
	}
	return hex.EncodeToString(h.Sum(nil)), int64(n) + m, head, q.found, q.valid && len(q.carry) == 0, nil
}

// quoteScan passes bytes on and notes whether a '"' went by, and whether
// all of them were UTF-8 (a rune may straddle two writes: carry).
type quoteScan struct {
	w     io.Writer
	found bool
	valid bool
	carry []byte
}

func (q *quoteScan) Write(p []byte) (int, error) {
	if !q.found {
		q.found = bytes.IndexByte(p, '"') >= 0
	}
	if q.valid {
		b := p
		if len(q.carry) > 0 {
			b = append(q.carry, p...)
		}
		// Hold back a rune cut at the end for the next write.
		end := len(b)
		for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
			if utf8.RuneStart(b[len(b)-i]) {
				if !utf8.FullRune(b[len(b)-i:]) {
					end = len(b) - i
				}
				break
			}
		}
		q.valid = utf8.Valid(b[:end])
		q.carry = append(q.carry[:0], b[end:]...)
	}
	return q.w.Write(p)
}

// countingReader counts bytes for progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// parsed is a record converted on the reading goroutine.
type parsed struct {
	line int
	raw  string
	v    any
	err  *rowError

	// Set for ledger rows resolved before apply (by the reader when the
	// import preloaded the catalogue, else by prefetchItems), so apply does
	// not look them up again; key is the natural key when the reader made it.
	st   *itemState
	slot int
	key  string
}

type batch struct {
	rows  []parsed
	sales []model.SaleLine // what the rows of a sales file point to
	err   error            // a file-level error: stop
}

// importer is one file's import inside its write transaction.
type importer struct {
	s      *Store
	tx     *sql.Tx
	res    *FileResult
	opt    ImportOptions
	size   int64
	hash   string
	quotes bool // the file may hold a '"'
	legacy bool // the file is not UTF-8: read it as Windows-1252

	preloaded bool // every item's id was read before the rows

	kind   Kind
	fileID int64
	now    int64

	keys       *keyIndex
	agg        *aggregates
	blocks     map[int64]*blockBuf
	blockBytes int
	fullBlocks []*blockBuf                     // blocks that reached blockMax lines, to write
	refLines   map[int64][]refEntry            // see refLinesOf
	refAdded   map[int64]map[uint64][]refEntry // this import's ref lines added after refLinesOf read the item's
	refSeed    maphash.Seed
	sales      map[int64]*saleLines           // see saleLinesOf
	saleRefs   map[int64]map[string][]saleRef // see saleRefsOf
	salesStmt  *sql.Stmt
	refStmt    *sql.Stmt             // refLinesOf's query, prepared on first use
	order      string                // the order of the last sale line read
	orderLines []orderLine           // its lines, for saleTwice
	counts     countBook             // see counthold.go
	noRaw      []int                 // lines rejected without their text, for fillRaw
	batchBal   map[balKey]int64      // see prefetchBalances
	items      map[string]*itemState // by sku
	locSlot    map[string]int        // location code → index in locIDs
	locIDs     []int64
	chanIDs    map[string]int64

	quarantine *sql.Stmt
	insBlock   *batcher
	upsert     *sql.Stmt
	countRes   *batcher
}

func (im *importer) fail(msg string) error {
	im.res.Error = msg
	return errFileFailed
}

func (im *importer) run(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return im.fail(err.Error())
	}
	defer f.Close()
	cr := &countingReader{r: f}
	br, head := textReader(cr, im.legacy)
	rr, done, err := newRecordReader(br, im.res.Format, head, im.quotes)
	if err != nil {
		return im.fail(err.Error())
	}
	defer done()
	b, err := detectKind(rr.header(), path, im.opt.Kind)
	if err != nil {
		return im.fail(err.Error())
	}
	if b.spec.kind.Ledger() {
		// What happened cannot be dated years ahead (see binding.today).
		b.today = im.opt.Today
	}
	rr.bind(b)
	im.kind = b.spec.kind
	im.res.Kind = im.kind
	if err := insertFileRow(ctx, im.tx, im.res, im.hash, im.size, time.Now(), im.opt.User, 0); err != nil {
		return err
	}
	im.fileID = im.res.FileID
	im.now = time.Now().UnixMilli()
	if err := im.prepare(ctx); err != nil {
		return err
	}
	defer im.closeStmts()

	// Read and convert on one goroutine, apply on this one: parsing and
	// SQLite then each keep a core busy.
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan batch, 8)
	// Applied batches go back to the reader to be filled again.
	free := make(chan batch, cap(ch)+2)
	go readBatches(ctx, rr, &b, im.kind, ch, free, im.resolver())
	for bt := range ch {
		if bt.err != nil {
			cancel()
			for range ch {
			}
			if err := parent.Err(); err != nil {
				return err
			}
			return im.fail(bt.err.Error())
		}
		if err := im.prefetchItems(ctx, bt.rows); err != nil {
			cancel()
			for range ch {
			}
			return err
		}
		if err := im.prefetchBalances(ctx, bt.rows); err != nil {
			cancel()
			for range ch {
			}
			return err
		}
		for i := range bt.rows {
			if err := im.apply(ctx, &bt.rows[i]); err != nil {
				cancel()
				for range ch {
				}
				return err
			}
		}
		select {
		case free <- batch{rows: bt.rows[:0], sales: bt.sales[:0]}:
		default:
		}
		if im.opt.Progress != nil {
			im.opt.Progress(cr.n.Load(), im.size)
		}
		if err := im.maybeFlush(ctx); err != nil {
			cancel()
			for range ch {
			}
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := im.fillRaw(ctx, path); err != nil {
		return err
	}
	return im.finish(ctx)
}

// resolver returns what the reading goroutine uses to resolve ledger rows
// and build their natural keys, taking that work off the goroutine that
// writes; nil when the catalogue was not preloaded (small files: apply
// resolves them in batches). It works on copies: apply adds to the maps.
func (im *importer) resolver() func(p *parsed) {
	if !im.preloaded {
		return nil
	}
	items, locs, locIDs := maps.Clone(im.items), maps.Clone(im.locSlot), slices.Clone(im.locIDs)
	return func(p *parsed) {
		sku, loc, ok := ledgerTarget(p.v)
		if !ok {
			return
		}
		st := items[sku]
		slot, ok := locs[loc]
		if st == nil || !ok {
			return
		}
		p.st, p.slot, p.key = st, slot, naturalKey(p.v, st.id, locIDs[slot])
	}
}

// naturalKey is a ledger row's natural key, its item and location resolved.
func naturalKey(v any, item, loc int64) string {
	switch v := v.(type) {
	case *model.SaleLine:
		return saleKey(v.OrderID, item)
	case model.Movement:
		return movementKey(v.Ref, item, loc)
	case model.StockCount:
		return countKey(int32(v.Date), item, loc)
	}
	return ""
}

// rowKey is the natural key of a resolved ledger row: the reader's when it
// made it.
func (im *importer) rowKey(p *parsed, st *itemState, slot int) string {
	if p.key != "" {
		return p.key
	}
	return naturalKey(p.v, st.id, im.locIDs[slot])
}

func readBatches(ctx context.Context, rr recordReader, b *binding, kind Kind, out chan<- batch, free <-chan batch, resolve func(*parsed)) {
	defer close(out)
	fresh := func() batch {
		select {
		case bt := <-free:
			return bt
		default:
			bt := batch{rows: make([]parsed, 0, batchRows)}
			if kind == KindSales {
				bt.sales = make([]model.SaleLine, 0, batchRows)
			}
			return bt
		}
	}
	bt := fresh()
	// rec and the rows live on the heap (convert and resolve keep their
	// addresses for a while): one rec for the file, rows in the batch.
	var rec record
	for {
		var err error
		rec, err = rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			select {
			case out <- batch{err: err}:
			case <-ctx.Done():
			}
			return
		}
		bt.rows = append(bt.rows, parsed{line: rec.line, err: rec.err})
		p := &bt.rows[len(bt.rows)-1]
		if p.err == nil {
			if kind == KindSales {
				// Sales rows hold a pointer into the batch, which comes back
				// only once apply is done with it.
				bt.sales = append(bt.sales, model.SaleLine{})
				s := &bt.sales[len(bt.sales)-1]
				if p.err = convertSale(&rec, b, s); p.err == nil {
					p.v = s
				}
			} else {
				p.v, p.err = convert(kind, &rec, b)
			}
		}
		if p.err != nil {
			p.raw = rec.rawText()
		} else if resolve != nil {
			resolve(p)
		}
		if len(bt.rows) == batchRows {
			select {
			case out <- bt:
			case <-ctx.Done():
				return
			}
			bt = fresh()
		}
	}
	if len(bt.rows) > 0 {
		select {
		case out <- bt:
		case <-ctx.Done():
		}
	}
}

func (im *importer) prepare(ctx context.Context) error {
	var err error
	if im.quarantine, err = im.tx.PrepareContext(ctx, "INSERT INTO quarantine(file_id, line, col, reason, raw) VALUES (?, ?, ?, ?, ?)"); err != nil {
		return err
	}
	if im.kind.Ledger() {
		im.keys = newKeyIndex(im.tx, keyClassOf[im.kind])
		im.agg = newAggregates()
		if im.size >= stateReaderMin {
			// Read the stored stock and months beside the import rather
			// than after it.
			asOf, err := getAsOf(ctx, im.tx)
			if err != nil {
				return err
			}
			var fromM month
			if asOf != model.NoDate {
				// A day earlier: the window may end the day before the
				// data day (see ImportOptions.Today).
				_, fromM = coverFrom(asOf.AddDays(-1))
			}
			im.agg.sr = newStateReader(ctx, im.s.r, fromM)
		}
		im.blocks = map[int64]*blockBuf{}
		im.items, im.locSlot, im.chanIDs = map[string]*itemState{}, map[string]int{}, map[string]int64{}
		im.insBlock = newBatcher(im.tx, "INSERT INTO ledger_block(item_id, file_id, user, min_date, max_date, n, net, created_at, data) VALUES ", "", 9, 32)
		if err := im.loadLocations(ctx); err != nil {
			return err
		}
		if im.size > 1<<20 {
			// A big file touches most of the catalogue: read the ids in one
			// scan instead of one query per few hundred items.
			if err := im.preloadIDs(ctx); err != nil {
				return err
			}
			im.preloaded = true
		}
		if im.kind == KindCounts {
			im.countRes = newBatcher(im.tx, "INSERT INTO count_result(date, item_id, loc_id, counted, ledger, file_id, line) VALUES ", "", 7, 64)
		}
	} else if im.upsert, err = im.tx.PrepareContext(ctx, upsertSQL[im.kind]); err != nil {
		return err
	}
	return nil
}

func (im *importer) closeStmts() {
	if im.keys != nil {
		im.keys.close()
	}
	if im.agg != nil {
		im.agg.stopReader()
	}
	for _, b := range []*batcher{im.insBlock, im.countRes} {
		if b != nil {
			b.close()
		}
	}
	for _, st := range []*sql.Stmt{im.quarantine, im.upsert} {
		if st != nil {
			st.Close()
		}
	}
}

func (im *importer) reject(ctx context.Context, p *parsed, e *rowError) error {
	im.res.RowsRejected++
	if len(im.res.Errors) < maxErrors {
		im.res.Errors = append(im.res.Errors, RowError{Line: e.Line, Column: e.Column, Reason: e.Reason})
	} else {
		im.res.ErrorsOmitted++
	}
	if p.raw == "" && len(im.noRaw) < maxRawLater {
		im.noRaw = append(im.noRaw, e.Line)
	}
	_, err := im.quarantine.ExecContext(ctx, im.fileID, e.Line, e.Column, e.Reason, p.raw)
	return err
}

// maxRawLater caps the rejected rows whose text fillRaw reads back.
const maxRawLater = 10000

// fillRaw keeps the text of rows rejected after they were read (an unknown
// SKU, a ref that collides): the reader keeps a row's text only when it
// cannot read it, as keeping every row's would cost every import. A line
// file is read again for those lines, once, after the rows are applied.
func (im *importer) fillRaw(ctx context.Context, path string) error {
	if len(im.noRaw) == 0 || (im.res.Format != FormatCSV && im.res.Format != FormatNDJSON) {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil // the rows stay without their text
	}
	defer f.Close()
	want := slices.Compact(slices.Sorted(slices.Values(im.noRaw)))
	br, _ := textReader(f, im.legacy)
	st, err := im.tx.PrepareContext(ctx, "UPDATE quarantine SET raw = ? WHERE file_id = ? AND line = ? AND raw = ''")
	if err != nil {
		return err
	}
	defer st.Close()
	for line := 1; len(want) > 0; line++ {
		text, rerr := br.ReadString('\n')
		if text == "" && rerr != nil {
			break
		}
		if line == want[0] {
			want = want[1:]
			text = strings.TrimRight(text, "\r\n")
			if len(text) > 1000 {
				text = text[:1000]
			}
			if _, err := st.ExecContext(ctx, text, im.fileID, line); err != nil {
				return err
			}
		}
	}
	return nil
}

func (im *importer) rowErr(p *parsed, col, reason string) *rowError {
	return &rowError{Line: p.line, Column: col, Reason: reason}
}

func (im *importer) apply(ctx context.Context, p *parsed) error {
	if p.err != nil {
		return im.reject(ctx, p, p.err)
	}
	var e *rowError
	var err error
	switch v := p.v.(type) {
	case *model.SaleLine:
		e, err = im.applySale(ctx, p, v)
	case model.Movement:
		e, err = im.applyMovement(ctx, p, v)
	case model.StockCount:
		e, err = im.applyCount(ctx, p, v)
	default:
		e, err = im.applyUpsert(ctx, p, v)
	}
	if err != nil {
		return err
	}
	if e != nil {
		return im.reject(ctx, p, e)
	}
	return nil
}

// prefetchItems resolves, in a few queries, the items and locations a batch
// of rows names, so apply finds them in memory: one map lookup a row when
// the items are known (always, after preloadIDs), a query per few hundred
// when not.
func (im *importer) prefetchItems(ctx context.Context, rows []parsed) error {
	if im.keys == nil {
		return nil
	}
	var missing []any
	var asked map[string]bool
	set := func(p *parsed) (sku string, found bool) {
		sku, loc, ok := ledgerTarget(p.v)
		if !ok {
			return "", true
		}
		st := im.items[sku]
		if st == nil {
			return sku, false
		}
		if slot, ok := im.locSlot[loc]; ok {
			p.st, p.slot = st, slot
		}
		return sku, true
	}
	for i := range rows {
		if rows[i].st != nil {
			continue
		}
		if sku, found := set(&rows[i]); !found {
			if asked == nil {
				asked = map[string]bool{}
			}
			if !asked[sku] {
				asked[sku] = true
				missing = append(missing, sku)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	const per = 500
	for lo := 0; lo < len(missing); lo += per {
		part := missing[lo:min(lo+per, len(missing))]
		q, err := im.tx.QueryContext(ctx, "SELECT sku, id, price FROM item WHERE sku IN ("+
			placeholders(len(part))+")", part...)
		if err != nil {
			return err
		}
		for q.Next() {
			st := &itemState{priced: true}
			var sku string
			if err := q.Scan(&sku, &st.id, &st.price); err != nil {
				q.Close()
				return err
			}
			im.items[sku] = st
		}
		q.Close()
		if err := q.Err(); err != nil {
			return err
		}
	}
	// The rows whose items were just read; unknown items stay for apply.
	for i := range rows {
		if p := &rows[i]; p.st == nil {
			set(p)
		}
	}
	return nil
}

// loadLocations numbers every location for the import.
func (im *importer) loadLocations(ctx context.Context) error {
	locs, err := im.s.locationCodes(ctx)
	if err != nil {
		return err
	}
	for id, code := range locs {
		im.locSlot[code] = len(im.locIDs)
		im.locIDs = append(im.locIDs, id)
	}
	return nil
}

// ledgerTarget is the item and location a ledger row names; ok is false
// for rows of other kinds.
func ledgerTarget(v any) (sku, loc string, ok bool) {
	switch v := v.(type) {
	case *model.SaleLine:
		return v.SKU, v.Location, true
	case model.Movement:
		return v.SKU, v.Location, true
	case model.StockCount:
		return v.SKU, v.Location, true
	}
	return "", "", false
}

// itemState is what one import holds about one item: its id and price and
// the pointers into the key index, the ledger block and the aggregates, so
// that a row costs one map lookup rather than one per structure. The
// pointers are dropped whenever the structure they point into is flushed.
type itemState struct {
	id     int64
	price  float64
	priced bool
	block  *blockBuf
	ils    []*ilAgg // by location slot
}

// state finds the item and location of a ledger row.
func (im *importer) state(ctx context.Context, p *parsed, sku, loc string) (*itemState, int, *rowError, error) {
	st := im.items[sku]
	slot, ok := im.locSlot[loc]
	if st != nil && ok {
		return st, slot, nil, nil
	}
	item, locID, e, err := im.resolveSlow(ctx, p, sku, loc)
	if e != nil || err != nil {
		return nil, 0, e, err
	}
	if st == nil {
		st = &itemState{id: item}
		im.items[sku] = st
	}
	if !ok {
		slot = len(im.locIDs)
		im.locIDs = append(im.locIDs, locID)
		im.locSlot[loc] = slot
	}
	return st, slot, nil, nil
}

// il returns the aggregates of the item at a location slot.
func (im *importer) il(st *itemState, slot int, d model.Date) *ilAgg {
	for len(st.ils) <= slot {
		st.ils = append(st.ils, nil)
	}
	g := st.ils[slot]
	if g == nil {
		g = im.agg.get(st.id, im.locIDs[slot], d)
		st.ils[slot] = g
	}
	return g
}

// dropPointers forgets what flushed structures held.
func (im *importer) dropPointers(blocks, aggs bool) {
	for _, st := range im.items {
		if blocks {
			st.block = nil
		}
		if aggs {
			clear(st.ils)
		}
	}
}

func (im *importer) channel(ctx context.Context, code string) (int64, error) {
	if id, ok := im.chanIDs[code]; ok {
		return id, nil
	}
	id, err := im.s.ids.channel(ctx, im.tx, code)
	if err == nil {
		im.chanIDs[code] = id
	}
	return id, err
}

func (im *importer) resolveSlow(ctx context.Context, p *parsed, sku, loc string) (item, locID int64, e *rowError, err error) {
	ids := im.s.ids
	if item, err = ids.item(ctx, im.tx, sku); err != nil {
		return 0, 0, nil, err
	}
	if item == 0 {
		if !im.opt.CreateItems {
			return 0, 0, im.rowErr(p, "sku", fmt.Sprintf("unknown sku %q (import the items first, or pass --create-items)", sku)), nil
		}
		if _, err = im.tx.ExecContext(ctx, "INSERT INTO item(sku, name, placeholder) VALUES (?, ?, 1)", sku, sku); err != nil {
			return 0, 0, nil, err
		}
		if item, err = ids.item(ctx, im.tx, sku); err != nil {
			return 0, 0, nil, err
		}
	}
	if locID, err = ids.location(ctx, im.tx, loc); err != nil {
		return 0, 0, nil, err
	}
	if locID == 0 {
		return 0, 0, im.rowErr(p, "location", fmt.Sprintf("unknown location %q (import the locations first)", loc)), nil
	}
	return item, locID, nil, nil
}

func (im *importer) applySale(ctx context.Context, p *parsed, s *model.SaleLine) (*rowError, error) {
	st, slot := p.st, p.slot
	if st == nil {
		var e *rowError
		var err error
		if st, slot, e, err = im.state(ctx, p, s.SKU, s.Location); e != nil || err != nil {
			return e, err
		}
	}
	ch, err := im.channel(ctx, s.Channel)
	if err != nil {
		return nil, err
	}
	if s.OrderID != im.order {
		im.order, im.orderLines = s.OrderID, im.orderLines[:0]
	}
	dup, err := im.keys.add(ctx, im.rowKey(p, st, slot))
	if err != nil {
		return nil, err
	}
	if dup {
		e, seen := im.saleTwice(p, st, slot, s)
		if e == nil && !seen {
			e, err = im.saleConflict(ctx, p, st, slot, s.SKU, s.OrderID, s.Date, -s.Qty, false)
		}
		if e != nil || err != nil {
			return e, err
		}
	}
	// Duplicates too: the same export again refuses the same line again.
	im.orderLines = append(im.orderLines, orderLine{item: st.id, slot: slot, qty: s.Qty, date: s.Date, line: p.line, loc: s.Location})
	if dup {
		im.res.RowsDuplicate++
		return nil, nil
	}
	price := s.Price
	if math.IsNaN(price) {
		if price, err = im.itemPrice(ctx, st); err != nil {
			return nil, err
		}
	}
	im.addLine(st, slot, ledgerLine{date: s.Date, qty: -s.Qty, kind: model.Sale, channel: ch, line: p.line, ref: s.OrderID})
	g := im.il(st, slot, s.Date)
	im.agg.moveIn(g, s.Date, -s.Qty, true)
	im.agg.sellIn(g, ch, s.Date, s.Qty, float64(s.Qty)*price)
	if err := im.hold(ctx, p, st, slot, s.Date, -s.Qty, false); err != nil {
		return nil, err
	}
	im.res.RowsOK++
	return nil, nil
}

// orderLine is a sale line of the order being read, for saleTwice.
type orderLine struct {
	item       int64
	slot, line int
	qty        int64
	date       model.Date
	loc        string
}

// saleTwice rejects a sale line whose order already listed the same SKU a
// few lines up with another quantity, day or location: the natural key
// (order and SKU) would drop it as a duplicate, and its units with it. An
// export lists an order's lines together, so the current order's are kept
// at hand; seen says the line repeats one of them. A repeat further away
// is checked against the ledger (saleConflict).
func (im *importer) saleTwice(p *parsed, st *itemState, slot int, s *model.SaleLine) (e *rowError, seen bool) {
	for _, o := range im.orderLines {
		if o.item != st.id {
			continue
		}
		if o.qty == s.Qty && o.date == s.Date && o.slot == slot {
			return nil, true
		}
		return im.orderTwice(p, s.OrderID, s.SKU, fmt.Sprintf("on line %d", o.line), o.qty, o.loc, o.date), true
	}
	return nil, false
}

func (im *importer) orderTwice(p *parsed, order, sku, where string, qty int64, loc string, d model.Date) *rowError {
	return im.rowErr(p, "order_id", fmt.Sprintf("order %s lists %s %s already (%d at %s on %s); "+
		"if this is more of it, give this line its own order_id, such as %s/2", order, sku, where, qty, loc, d, order))
}

func (im *importer) applyMovement(ctx context.Context, p *parsed, m model.Movement) (*rowError, error) {
	st, slot := p.st, p.slot
	if st == nil {
		var e *rowError
		var err error
		if st, slot, e, err = im.state(ctx, p, m.SKU, m.Location); e != nil || err != nil {
			return e, err
		}
	}
	if dup, err := im.keys.add(ctx, im.rowKey(p, st, slot)); err != nil || dup {
		if dup {
			if e, err := im.refConflict(ctx, p, st, slot, m); e != nil || err != nil {
				return e, err
			}
			im.res.RowsDuplicate++
		}
		return nil, err
	}
	g := im.il(st, slot, m.Date)
	var ch int64
	if m.Kind == model.Sale {
		// A sale in a movements file is demand too, on the default channel.
		var err error
		if ch, err = im.channel(ctx, model.DefaultChannel); err != nil {
			return nil, err
		}
		price, err := im.itemPrice(ctx, st)
		if err != nil {
			return nil, err
		}
		im.agg.sellIn(g, ch, m.Date, -m.Qty, float64(-m.Qty)*price)
	}
	im.addLine(st, slot, ledgerLine{date: m.Date, qty: m.Qty, kind: m.Kind, channel: ch, line: p.line, ref: m.Ref})
	im.agg.moveIn(g, m.Date, m.Qty, m.Kind == model.Sale)
	if err := im.hold(ctx, p, st, slot, m.Date, m.Qty, false); err != nil {
		return nil, err
	}
	im.res.RowsOK++
	return nil, nil
}

// refConflict tells a re-sent line from a new movement that reuses a ref.
// A movement whose ref, item and location are in the ledger already is
// skipped as a duplicate, which is right for an overlapping export: the
// line says what the ledger says. But refs get reused: a purchase order is
// often received in parts, and a second receipt sent with the order's bare
// code (PO-000012 again, not PO-000012/2), or a shop that books every
// write-off as "damaged", would vanish as a "duplicate" with its units. So
// a line that matches no ledger line of its ref and location in day,
// quantity and kind is rejected with how to send it instead.
func (im *importer) refConflict(ctx context.Context, p *parsed, st *itemState, slot int, m model.Movement) (*rowError, error) {
	if m.Kind == model.Sale {
		return im.saleConflict(ctx, p, st, slot, m.SKU, m.Ref, m.Date, m.Qty, true)
	}
	h := im.refHash(m.Ref, im.locIDs[slot])
	lines, err := im.refLinesOf(ctx, st.id)
	if err != nil {
		return nil, err
	}
	i, _ := slices.BinarySearchFunc(lines, h, func(e refEntry, h uint64) int { return cmp.Compare(e.h, h) })
	same := lines[i:]
	for j, e := range same {
		if e.h != h {
			same = same[:j]
			break
		}
	}
	// The lines this import added since, after the older ones.
	same = append(slices.Clip(same), im.refAdded[st.id][h]...)
	for _, e := range same {
		if e.date == m.Date && e.qty == m.Qty && e.kind == kindCode[m.Kind] {
			return nil, nil
		}
	}
	if len(same) == 0 {
		return nil, nil
	}
	first := same[0]
	where := "is in the ledger already"
	if first.here {
		where = "came earlier in this file"
	}
	fix := "give it its own ref"
	if _, ok := ParsePOCode(m.Ref); ok {
		fix = "give it its own ref, such as " + m.Ref + "/2"
	}
	return im.rowErr(p, "ref", fmt.Sprintf("%s for %s at %s %s (%s %+d on %s); if this is another %s, %s",
		m.Ref, m.SKU, m.Location, where, kindByCode[first.kind], first.qty, first.date, deliveryOr(m.Kind), fix)), nil
}

func deliveryOr(k model.MovementKind) string {
	if k == model.Receipt {
		return "delivery"
	}
	return "movement"
}

// refEntry is a ledger line as refConflict needs it: 24 bytes, the ref and
// location as a 64-bit hash (two refs sharing one would at worst compare
// a line with the other's), so an overlap of a few hundred thousand lines
// holds megabytes, not the hundreds a map of strings took.
type refEntry struct {
	h    uint64
	qty  int64
	date model.Date
	kind byte
	here bool // written by this import
}

func (im *importer) refHash(ref string, loc int64) uint64 {
	return maphash.Comparable(im.refSeed, refAt{ref, loc})
}

type refAt struct {
	ref string
	loc int64
}

// refLinesOf returns an item's ledger lines, sales left out, sorted by
// the hash of ref and location (in ledger order within one). They are read
// once per import for the items that meet a duplicate ref (this import's
// lines included, and kept up to date by addLine), so an export that
// overlaps the ledger costs one read per item, not one per line.
func (im *importer) refLinesOf(ctx context.Context, item int64) ([]refEntry, error) {
	if es, ok := im.refLines[item]; ok {
		return es, nil
	}
	if im.refLines == nil {
		im.refLines = map[int64][]refEntry{}
	}
	if im.refStmt == nil {
		// Blocks of sales files hold nothing but sales: not read at all.
		st, err := im.tx.PrepareContext(ctx, `SELECT b.data, b.file_id IS ? FROM ledger_block b LEFT JOIN file f ON f.id = b.file_id
			WHERE b.item_id = ? AND (f.kind IS NULL OR f.kind != ?) ORDER BY b.id`)
		if err != nil {
			return nil, err
		}
		im.refStmt = st
	}
	var es []refEntry
	err := im.eachLineOf(ctx, item, im.refStmt, []any{im.fileID, item, string(KindSales)}, func(l ledgerLine, here bool) {
		if l.ref != "" && l.kind != model.Sale {
			es = append(es, im.refEntryOf(l, here))
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(es, func(a, b refEntry) int { return cmp.Compare(a.h, b.h) })
	im.refLines[item] = es
	return es, nil
}

func (im *importer) refEntryOf(l ledgerLine, here bool) refEntry {
	return refEntry{h: im.refHash(l.ref, l.loc), qty: l.qty, date: l.date, kind: kindCode[l.kind], here: here}
}

// eachLineOf calls fn with every line of an item's stored blocks that q
// (its first argument this import's file id) selects, in block order, then
// with this import's lines not yet written, in the order they were filled.
func (im *importer) eachLineOf(ctx context.Context, item int64, q *sql.Stmt, args []any, fn func(l ledgerLine, here bool)) error {
	add := func(here bool) func(int, ledgerLine) bool {
		return func(_ int, l ledgerLine) bool {
			fn(l, here)
			return true
		}
	}
	rows, err := q.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var data []byte
		var here bool
		if err := rows.Scan(&data, &here); err != nil {
			return err
		}
		if err := decodeBlock(data, add(here)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, b := range append(slices.Clone(im.fullBlocks), im.blocks[item]) {
		if b != nil && b.itemID == item {
			if err := decodeBlock(b.buf, add(true)); err != nil {
				return err
			}
		}
	}
	return nil
}

// noteRefLine keeps what refConflict and saleConflict compare with
// current as this import adds a line: after an item's ref lines were read,
// a new one goes to refAdded by its hash (inserting each in the sorted
// lines made a file of many lines for one item quadratic, and reading them
// again on a miss did too), a sale line to its item's saleRefsOf map.
func (im *importer) noteRefLine(item int64, l ledgerLine) {
	if l.ref == "" {
		return
	}
	if l.kind == model.Sale {
		if m := im.saleRefs[item]; m != nil {
			m[l.ref] = append(m[l.ref], saleRef{loc: l.loc, date: l.date, qty: l.qty, line: l.line, here: true})
		}
		return
	}
	if _, ok := im.refLines[item]; !ok {
		return
	}
	if im.refAdded[item] == nil {
		if im.refAdded == nil {
			im.refAdded = map[int64]map[uint64][]refEntry{}
		}
		im.refAdded[item] = map[uint64][]refEntry{}
	}
	e := im.refEntryOf(l, true)
	im.refAdded[item][e.h] = append(im.refAdded[item][e.h], e)
}

// balKey is an item×location on a day.
type balKey struct {
	ilKey
	day model.Date
}

// prefetchBalances reads the stored balances the counts of a batch will
// ask for, a few queries for the batch instead of three per count (a
// stocktake of 300,000 item×locations took half a minute). What the import
// holds in memory is added per count, as before; nothing is written
// between here and the batch's last row (maybeFlush runs after it).
func (im *importer) prefetchBalances(ctx context.Context, rows []parsed) error {
	clear(im.batchBal)
	if im.kind != KindCounts {
		return nil
	}
	byDay := map[model.Date][][2]int64{}
	for i := range rows {
		p := &rows[i]
		c, ok := p.v.(model.StockCount)
		if !ok || p.err != nil || p.st == nil {
			continue
		}
		byDay[c.Date] = append(byDay[c.Date], [2]int64{p.st.id, im.locIDs[p.slot]})
	}
	if im.batchBal == nil && len(byDay) > 0 {
		im.batchBal = map[balKey]int64{}
	}
	for d, keys := range byDay {
		got, err := storedBalances(ctx, im.tx, keys, d)
		if err != nil {
			return err
		}
		for _, k := range keys {
			im.batchBal[balKey{ilKey{k[0], k[1]}, d}] = got[k]
		}
	}
	return nil
}

// applyCount books the difference between a count and the ledger's
// balance at the end of that day as a count movement (shrinkage when
// negative), and keeps both numbers for the anomaly rules.
func (im *importer) applyCount(ctx context.Context, p *parsed, c model.StockCount) (*rowError, error) {
	st, slot, e, err := im.state(ctx, p, c.SKU, c.Location)
	if e != nil || err != nil {
		return e, err
	}
	loc := im.locIDs[slot]
	if dup, err := im.keys.add(ctx, im.rowKey(p, st, slot)); err != nil || dup {
		if dup {
			if e, err := im.recount(ctx, p, st.id, loc, c); e != nil || err != nil {
				return e, err
			}
			im.res.RowsDuplicate++
		}
		return nil, err
	}
	// The balance includes everything this import has booked so far.
	stored, ok := im.batchBal[balKey{ilKey{st.id, loc}, c.Date}]
	if !ok {
		// A row prefetchBalances could not resolve.
		k := [2]int64{st.id, loc}
		got, err := storedBalances(ctx, im.tx, [][2]int64{k}, c.Date)
		if err != nil {
			return nil, err
		}
		stored = got[k]
	}
	bal := im.agg.balanceAsOf(st.id, loc, c.Date, stored)
	if diff := c.CountedQty - bal; diff != 0 {
		im.addLine(st, slot, ledgerLine{date: c.Date, qty: diff, kind: model.Count, line: p.line, ref: "count " + c.Date.String()})
		im.agg.moveIn(im.il(st, slot, c.Date), c.Date, diff, false)
		// Strictly later: this count holds for its own day.
		if err := im.hold(ctx, p, st, slot, c.Date, diff, true); err != nil {
			return nil, err
		}
	}
	if err := im.countRes.add(ctx, int64(c.Date), st.id, loc, c.CountedQty, bal, im.fileID, p.line); err != nil {
		return nil, err
	}
	im.counts.note(ilKey{st.id, loc}, c.Date)
	im.res.RowsOK++
	return nil, nil
}

// recount rejects a second count of one item×location on one day that
// says another number: the natural key (day, SKU, location) would drop it
// as a duplicate, and a recount that found one more would vanish.
func (im *importer) recount(ctx context.Context, p *parsed, item, loc int64, c model.StockCount) (*rowError, error) {
	if err := im.countRes.flush(ctx); err != nil {
		return nil, err
	}
	var first int64
	var line int
	var here bool
	err := im.tx.QueryRowContext(ctx, `SELECT counted, line, file_id IS ? FROM count_result WHERE item_id = ? AND loc_id = ? AND date = ?
		ORDER BY id LIMIT 1`, im.fileID, item, loc, int64(c.Date)).Scan(&first, &line, &here)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && first == c.CountedQty) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	where := "in the ledger already"
	if here {
		where = fmt.Sprintf("on line %d already", line)
	}
	return im.rowErr(p, "counted_qty", fmt.Sprintf("%s at %s was counted %d on %s %s; one count a day stands: "+
		"if this recount is right, book the difference (%+d) as an adjustment movement", c.SKU, c.Location, first, c.Date, where, c.CountedQty-first)), nil
}

func (im *importer) itemPrice(ctx context.Context, st *itemState) (float64, error) {
	if !st.priced {
		if err := im.tx.QueryRowContext(ctx, "SELECT price FROM item WHERE id = ?", st.id).Scan(&st.price); err != nil {
			return 0, err
		}
		st.priced = true
	}
	return st.price, nil
}

func (im *importer) addLine(st *itemState, slot int, l ledgerLine) {
	l.loc = im.locIDs[slot]
	im.noteRefLine(st.id, l)
	b := st.block
	if b == nil {
		if b = im.blocks[st.id]; b == nil {
			b = newBlockBuf(st.id)
			im.blocks[st.id] = b
		}
		st.block = b
	}
	before := len(b.buf)
	b.add(l)
	im.blockBytes += len(b.buf) - before
	if b.n == blockMax {
		// A block is full: set it aside and start the item's next one.
		im.fullBlocks = append(im.fullBlocks, b)
		delete(im.blocks, st.id)
		st.block = nil
	}
}

func (im *importer) flushBlocks(ctx context.Context, all bool) error {
	blocks := im.fullBlocks
	if all {
		for _, k := range slices.Sorted(maps.Keys(im.blocks)) {
			blocks = append(blocks, im.blocks[k])
		}
		clear(im.blocks)
		im.dropPointers(true, false)
	}
	for _, b := range blocks {
		if err := im.insBlock.add(ctx, b.itemID, im.fileID, im.opt.User, int64(b.minDate),
			int64(b.maxDate), b.n, b.net, im.now, b.buf); err != nil {
			return fmt.Errorf("write ledger: %w", err)
		}
		im.blockBytes -= len(b.buf)
	}
	im.fullBlocks = im.fullBlocks[:0]
	if err := im.insBlock.flush(ctx); err != nil {
		return fmt.Errorf("write ledger: %w", err)
	}
	return nil
}

func (im *importer) maybeFlush(ctx context.Context) error {
	if im.blocks == nil {
		return nil
	}
	if err := im.flushBlocks(ctx, im.blockBytes > budgetBlockBytes); err != nil {
		return err
	}
	if im.keys.bytes() > budgetKeyBytes {
		if err := im.keys.flush(ctx); err != nil {
			return err
		}
	}
	if im.agg.size() > budgetAggRows {
		if err := im.agg.flush(ctx, im.tx); err != nil {
			return err
		}
		im.dropPointers(false, true)
	}
	return nil
}

func (im *importer) finish(ctx context.Context) error {
	if im.blocks != nil {
		im.bookHolds()
		if err := im.flushBlocks(ctx, true); err != nil {
			return err
		}
		if im.countRes != nil {
			if err := im.countRes.flush(ctx); err != nil {
				return err
			}
		}
		if err := im.holdLedgers(ctx); err != nil {
			return err
		}
		if err := im.keys.flush(ctx); err != nil {
			return err
		}
		asOf, err := advanceAsOf(ctx, im.tx, im.agg.maxDate)
		if err != nil {
			return err
		}
		end := asOf
		if im.opt.Today != 0 && asOf == im.opt.Today {
			end = asOf.AddDays(-1)
		}
		if err := im.agg.finish(ctx, im.tx, end); err != nil {
			return err
		}
	}
	res := im.res
	_, err := im.tx.ExecContext(ctx, `UPDATE file SET kind = ?, rows_ok = ?, rows_duplicate = ?, rows_rejected = ?,
		finished_at = ? WHERE id = ?`, string(res.Kind), res.RowsOK, res.RowsDuplicate, res.RowsRejected, time.Now().UnixMilli(), im.fileID)
	return err
}

// advanceAsOf moves the store's "as of" day (the latest day with ledger
// data) forward to d if d is later, and returns it.
func advanceAsOf(ctx context.Context, tx *sql.Tx, d model.Date) (model.Date, error) {
	cur, err := getAsOf(ctx, tx)
	if err != nil {
		return model.NoDate, err
	}
	if d == model.NoDate || (cur != model.NoDate && cur >= d) {
		return cur, nil
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES ('as_of', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", d.String())
	return d, err
}

func getAsOf(ctx context.Context, q querier) (model.Date, error) {
	var s string
	err := q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'as_of'").Scan(&s)
	if err == sql.ErrNoRows {
		return model.NoDate, nil
	}
	if err != nil {
		return model.NoDate, err
	}
	return model.ParseDate(s)
}

// preloadIDs reads every item's id and price in one scan, for files big
// enough to touch most of the catalogue.
func (im *importer) preloadIDs(ctx context.Context) error {
	rows, err := im.tx.QueryContext(ctx, "SELECT sku, id, price FROM item")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		st := &itemState{priced: true}
		var sku string
		if err := rows.Scan(&sku, &st.id, &st.price); err != nil {
			return err
		}
		im.items[sku] = st
	}
	return rows.Err()
}
