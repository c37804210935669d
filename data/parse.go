package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Format is how a file is encoded.
type Format string

// The formats the importer reads.
const (
	FormatCSV    Format = "csv" // any single-byte delimiter, RFC 4180 quoting
	FormatJSON   Format = "json"
	FormatNDJSON Format = "ndjson"
)

// record is one row of a file, with its values bound to the canonical
// columns of the file's kind.
type record struct {
	line int      // as an editor shows it: the header is line 1
	vals []string // canonical column → value ("" when absent)
	err  *rowError

	// What the row was, kept only until the next read, for the quarantine.
	fields []string
	delim  rune
	obj    map[string]json.RawMessage

	serialDates bool // a workbook's dates come as Excel serial day numbers
}

// rawText is the row as read (shortened), for the quarantine. Only
// rejected rows need it, so it is built on demand.
func (r *record) rawText() string {
	var b strings.Builder
	if r.obj != nil {
		keys := make([]string, 0, len(r.obj))
		for k := range r.obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if b.Len() > 512 {
				break
			}
			fmt.Fprintf(&b, "%s=%s ", k, bytes.TrimSpace(r.obj[k]))
		}
		return truncate(strings.TrimSpace(b.String()), 512)
	}
	for i, f := range r.fields {
		if i > 0 {
			b.WriteRune(r.delim)
		}
		if b.Len() > 512 {
			break
		}
		b.WriteString(f)
	}
	return truncate(b.String(), 512)
}

// rowError is a rejected row: where and why.
type rowError struct {
	Line   int
	Column string
	Reason string
}

func (e *rowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// recordReader yields a file's rows one at a time, so memory stays flat
// whatever the file's size.
type recordReader interface {
	header() []string
	bind(b binding)
	// next returns the next record, io.EOF at the end, or a file-level error
	// that stops the import.
	next() (record, error)
}

// newRecordReader opens the reader for a file's format, the BOM already
// skipped; head is the file's first block, for the delimiter, and quotes
// says whether a '"' occurs in it. done releases what the reader holds.
func newRecordReader(br *bufio.Reader, format Format, head []byte, quotes bool) (rr recordReader, done func(), err error) {
	done = func() {}
	switch format {
	case FormatJSON, FormatNDJSON:
		rr, err = newJSONReader(br, format == FormatNDJSON)
	case FormatXLSX:
		var x *xlsxReader
		if x, err = newXLSXReader(br); err == nil {
			rr, done = x, func() { x.Close() }
		}
	default:
		rr, err = newCSVReader(br, sniffDelimiter(head), quotes)
	}
	return rr, done, err
}

// ErrBinary is returned for files that are not text.
var ErrBinary = errors.New("file is not text")

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// sniffFormat decides the format from the first bytes of the file (after a
// BOM) and its name.
func sniffFormat(head []byte, name string) Format {
	lower := strings.ToLower(name)
	switch {
	case isWorkbook(head, name):
		return FormatXLSX
	case strings.HasSuffix(lower, ".ndjson"), strings.HasSuffix(lower, ".jsonl"):
		return FormatNDJSON
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if len(t) > 0 && t[0] == '[' {
		return FormatJSON
	}
	if len(t) > 0 && t[0] == '{' {
		return FormatNDJSON
	}
	if strings.HasSuffix(lower, ".json") {
		return FormatJSON
	}
	return FormatCSV
}

// checkText rejects binary content in the first block of the file: a zip,
// an old workbook, NUL bytes. Text that is not UTF-8 passes: a CSV saved
// by Excel on Windows is in the system's code page, Windows-1252 in the
// West, and the import reads it as that (hashFile tells).
func checkText(head []byte) error {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		// A zip but not named .xlsx (which ImportFile reads): an .ods
		// workbook most likely.
		return fmt.Errorf("%w: a zip, such as an .ods workbook; save the sheet as .xlsx or as CSV (UTF-8) and import that", ErrBinary)
	case bytes.HasPrefix(head, []byte("\xD0\xCF\x11\xE0")):
		return fmt.Errorf("%w: an old Excel workbook (.xls); save it as .xlsx, or the sheet as CSV (UTF-8), and import that", ErrBinary)
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return fmt.Errorf("%w (NUL byte at offset %d)", ErrBinary, i)
	}
	return nil
}

// textReader buffers a file for newRecordReader: decoded from Windows-1252
// when legacy (the file is not UTF-8), a UTF-8 byte-order mark skipped.
// head is its first 64 KiB from there, for sniffing.
func textReader(r io.Reader, legacy bool) (*bufio.Reader, []byte) {
	if legacy {
		r = charmap.Windows1252.NewDecoder().Reader(r)
	}
	br := bufio.NewReaderSize(r, 256<<10)
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	head, _ := br.Peek(64 << 10)
	return br, head
}

// sniffDelimiter picks the delimiter that splits the header line into the
// most fields, counting only outside quotes.
func sniffDelimiter(head []byte) rune {
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	best, bestN := ',', 0
	for _, d := range []byte{',', '\t', ';', '|'} {
		n, inQ := 0, false
		for _, c := range line {
			switch {
			case c == '"':
				inQ = !inQ
			case c == d && !inQ:
				n++
			}
		}
		if n > bestN {
			best, bestN = rune(d), n
		}
	}
	return best
}

// csvReader reads delimited text.
type csvReader struct {
	r     *csv.Reader // nil when the file holds no quote
	delim rune
	hdr   []string
	b     binding
	width int
	vals  []string

	// A file without a single '"' is plain: each line splits at the
	// delimiter, which is all encoding/csv would do with it, at a fraction
	// of the cost.
	plain  *bufio.Reader
	line   int      // lines read by the plain reader
	fields []string // the plain reader's last record
	long   []byte   // a line longer than the buffer
}

// newCSVReader reads delimited text. quotes says whether the text may hold
// a '"'; when it cannot, lines are split without encoding/csv.
func newCSVReader(r io.Reader, delim rune, quotes bool) (*csvReader, error) {
	c := &csvReader{delim: delim}
	if quotes || delim >= utf8.RuneSelf {
		c.r = csv.NewReader(r)
		c.r.Comma = delim
		c.r.FieldsPerRecord = -1
		c.r.ReuseRecord = true
	} else {
		c.plain = bufio.NewReaderSize(r, 64<<10)
	}
	hdr, _, err := c.read()
	if err == io.EOF {
		return nil, errors.New("file is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("line 1: header: %w", cleanCSVErr(err))
	}
	h := make([]string, len(hdr))
	for i, s := range hdr {
		h[i] = strings.TrimSpace(s)
	}
	if len(h) == 1 && h[0] == "" {
		return nil, errors.New("header line is empty")
	}
	c.hdr, c.width = h, len(h)
	return c, nil
}

func (c *csvReader) header() []string { return c.hdr }
func (c *csvReader) bind(b binding)   { c.b = b }

// read returns the next record's fields and the line it starts on.
func (c *csvReader) read() ([]string, int, error) {
	if c.r != nil {
		fields, err := c.r.Read()
		if err != nil {
			return nil, 0, err
		}
		line, _ := c.r.FieldPos(0)
		return fields, line, nil
	}
	for {
		b, err := c.plain.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			c.long = append(c.long[:0], b...)
			for err == bufio.ErrBufferFull {
				b, err = c.plain.ReadSlice('\n')
				c.long = append(c.long, b...)
			}
			b = c.long
		}
		if len(b) == 0 && err != nil {
			return nil, 0, err
		}
		if err != nil && err != io.EOF {
			return nil, 0, err
		}
		c.line++
		// As encoding/csv: \r\n ends a line as \n does, and a \r before
		// the end of the file is dropped; empty lines are skipped.
		switch n := len(b); {
		case n >= 2 && b[n-2] == '\r' && b[n-1] == '\n':
			b = b[:n-2]
		case n >= 1 && (b[n-1] == '\n' || err == io.EOF && b[n-1] == '\r'):
			b = b[:n-1]
		}
		if len(b) == 0 {
			if err == io.EOF {
				return nil, 0, io.EOF
			}
			continue
		}
		if bytes.IndexByte(b, '"') >= 0 {
			// The file had none when it was hashed: it changed since.
			return nil, 0, fmt.Errorf("line %d: the file changed while it was read; import it again", c.line)
		}
		// One string per line; the fields are slices of it.
		text := string(b)
		c.fields = c.fields[:0]
		d := byte(c.delim)
		for {
			i := strings.IndexByte(text, d)
			if i < 0 {
				break
			}
			c.fields = append(c.fields, text[:i])
			text = text[i+1:]
		}
		c.fields = append(c.fields, text)
		return c.fields, c.line, nil
	}
}

func (c *csvReader) next() (record, error) {
	for {
		fields, line, err := c.read()
		if err == io.EOF {
			return record{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			reason := cleanCSVErr(pe.Err).Error()
			if pe.Column > 0 {
				reason = fmt.Sprintf("%s (line %d, character %d)", reason, pe.Line, pe.Column)
			}
			return record{line: pe.StartLine, err: &rowError{Line: pe.StartLine, Reason: reason}}, nil
		}
		if err != nil {
			return record{}, err
		}
		if len(fields) == 0 || (len(fields) == 1 && strings.TrimSpace(fields[0]) == "") {
			continue // blank line
		}
		rec := record{line: line, fields: fields, delim: c.delim}
		if len(fields) != c.width {
			rec.err = &rowError{Line: line, Reason: fmt.Sprintf("has %d fields, the header has %d", len(fields), c.width)}
			return rec, nil
		}
		// One vals for every record: convert copies out what it keeps
		// (the strings, which point into the record's own line).
		if c.vals == nil {
			c.vals = make([]string, len(c.b.pos))
		}
		rec.vals = c.vals
		clear(rec.vals)
		for ci, p := range c.b.pos {
			if p >= 0 {
				rec.vals[ci] = strings.TrimSpace(fields[p])
			}
		}
		return rec, nil
	}
}

func cleanCSVErr(err error) error {
	switch {
	case errors.Is(err, csv.ErrQuote):
		return errors.New(`malformed quoting: a quoted field is not closed, or a " follows a quoted field`)
	case errors.Is(err, csv.ErrBareQuote):
		return errors.New(`malformed quoting: a " inside an unquoted field (quote the field and double the ")`)
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// jsonReader reads a JSON array of objects, or NDJSON (one object a line).
type jsonReader struct {
	ndjson bool
	br     *bufio.Reader
	dec    *json.Decoder
	lines  *lineCounter
	first  map[string]json.RawMessage
	fline  int
	hdr    []string
	b      binding
	keyPos map[string]int
	line   int // NDJSON: lines read
	done   bool
}

// lineCounter turns decoder offsets into line numbers. It remembers the
// offsets of newlines it has passed but not yet been asked about, so memory
// stays small.
type lineCounter struct {
	r       io.Reader
	off     int64
	nl      []int64 // offsets of newlines not yet consumed by lineAt
	base    int     // lines before nl[0]
	pending []int64
}

func (lc *lineCounter) Read(p []byte) (int, error) {
	n, err := lc.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			lc.nl = append(lc.nl, lc.off+int64(i))
		}
	}
	lc.off += int64(n)
	return n, err
}

// lineAt returns the 1-based line of a byte offset; offsets must not
// decrease between calls.
func (lc *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(lc.nl) && lc.nl[i] < off {
		i++
	}
	lc.base += i
	lc.nl = lc.nl[i:]
	return lc.base + 1
}

func newJSONReader(r io.Reader, ndjson bool) (*jsonReader, error) {
	j := &jsonReader{ndjson: ndjson}
	if ndjson {
		j.br = bufio.NewReaderSize(r, 64<<10)
	} else {
		j.lines = &lineCounter{r: r}
		j.dec = json.NewDecoder(j.lines)
		j.dec.UseNumber()
		tok, err := j.dec.Token()
		if err == io.EOF {
			return nil, errors.New("file is empty")
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", j.lines.lineAt(j.dec.InputOffset()), err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return nil, errors.New("line 1: a JSON file must be an array of objects (or NDJSON, one object a line)")
		}
	}
	// The header is the keys of the first object.
	obj, line, err := j.readObject()
	if err == io.EOF {
		return nil, errors.New("file holds no records")
	}
	if err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, fmt.Errorf("line %d: first record is not a JSON object", line)
	}
	j.first, j.fline = obj, line
	for k := range obj {
		j.hdr = append(j.hdr, k)
	}
	sort.Strings(j.hdr)
	return j, nil
}

// readObject returns the next object and its line; nil obj with a nil
// error means a record that is not an object (reported by next).
func (j *jsonReader) readObject() (map[string]json.RawMessage, int, error) {
	if j.ndjson {
		for {
			b, err := j.br.ReadBytes('\n')
			if len(b) == 0 && err != nil {
				return nil, 0, err
			}
			j.line++
			t := bytes.TrimSpace(bytes.TrimPrefix(b, utf8BOM))
			if len(t) == 0 {
				if err != nil {
					return nil, 0, err
				}
				continue
			}
			var obj map[string]json.RawMessage
			if e := json.Unmarshal(t, &obj); e != nil {
				return nil, j.line, &rowError{Line: j.line, Reason: "not a JSON object: " + e.Error()}
			}
			return obj, j.line, nil
		}
	}
	if !j.dec.More() {
		return nil, 0, io.EOF
	}
	start := j.dec.InputOffset()
	var raw json.RawMessage
	if err := j.dec.Decode(&raw); err != nil {
		off := start + 1
		var se *json.SyntaxError
		if errors.As(err, &se) && se.Offset > off {
			off = se.Offset
		}
		line := j.lines.lineAt(off)
		return nil, line, fmt.Errorf("line %d: %v", line, err)
	}
	// The record's first byte: the decoder has just read past its last,
	// and the raw value holds exactly its bytes (no separator or blanks).
	line := j.lines.lineAt(j.dec.InputOffset() - int64(len(raw)))
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, line, &rowError{Line: line, Reason: "not a JSON object"}
	}
	return obj, line, nil
}

func (j *jsonReader) header() []string { return j.hdr }

func (j *jsonReader) bind(b binding) {
	j.b = b
	j.keyPos = map[string]int{}
	for ci := range b.spec.cols {
		if p := b.pos[ci]; p >= 0 {
			j.keyPos[j.hdr[p]] = ci
		}
	}
}

func (j *jsonReader) next() (record, error) {
	if j.done {
		return record{}, io.EOF
	}
	obj, line := j.first, j.fline
	if obj != nil {
		j.first = nil
	} else {
		var err error
		obj, line, err = j.readObject()
		var re *rowError
		if errors.As(err, &re) {
			return record{line: re.Line, err: re}, nil
		}
		if err == io.EOF {
			j.done = true
			return record{}, io.EOF
		}
		if err != nil {
			return record{}, err
		}
	}
	rec := record{line: line, vals: make([]string, len(j.b.pos)), obj: obj}
	for k, v := range obj {
		ci, ok := j.keyPos[k]
		if !ok {
			// A key that differs from the first record's may still name a column.
			if ci = j.b.spec.resolve(normName(k)); ci < 0 {
				continue
			}
		}
		s, err := jsonScalar(v)
		if err != nil {
			rec.err = &rowError{Line: line, Column: k, Reason: err.Error()}
			return rec, nil
		}
		rec.vals[ci] = strings.TrimSpace(s)
	}
	return rec, nil
}

// jsonScalar turns a JSON value into the text a CSV cell would hold.
func jsonScalar(v json.RawMessage) (string, error) {
	t := bytes.TrimSpace(v)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return "", nil
	}
	switch t[0] {
	case '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return "", err
		}
		return s, nil
	case '{', '[':
		return "", errors.New("is an object or array, want a single value")
	case 't':
		return "true", nil
	case 'f':
		return "false", nil
	}
	return string(t), nil
}
