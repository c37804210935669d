package data

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// seedFiles adds every import fixture to a fuzz corpus.
func seedFiles(f *testing.F) {
	for _, pat := range []string{"../testdata/imports/good/*", "../testdata/imports/bad/*"} {
		paths, _ := filepath.Glob(pat)
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil && len(b) < 1<<16 {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("sku,name\n\"a\"\"b\",c\r\n\"multi\nline\",x\n"))
	f.Add([]byte("\xef\xbb\xbfdate;order_id;sku;location;qty\n2026-01-01;1;A;B;2\n"))
}

// readAll runs a reader to the end, checking what every record promises.
// Line numbers increase; in a JSON array several records may share one.
func readAll(t *testing.T, rr recordReader, kind Kind, strict bool) {
	b, err := detectKind(rr.header(), "x", kind)
	if err != nil {
		return
	}
	rr.bind(b)
	last := 0
	for i := 0; i < 100000; i++ {
		rec, err := rr.next()
		if err != nil {
			return // io.EOF or a file-level error: both fine
		}
		if rec.line < last || (strict && rec.line == last) {
			t.Fatalf("line numbers must increase: %d after %d", rec.line, last)
		}
		last = rec.line
		if rec.err == nil {
			if len(rec.vals) != len(b.spec.cols) {
				t.Fatalf("record has %d values for %d columns", len(rec.vals), len(b.spec.cols))
			}
			if _, e := convert(kind, &rec, &b); e != nil && e.Line != rec.line {
				t.Fatalf("error on line %d reported for line %d", rec.line, e.Line)
			}
		} else if rec.err.Line != rec.line {
			t.Fatalf("error line %d for record line %d", rec.err.Line, rec.line)
		}
		_ = rec.rawText()
	}
}

func FuzzCSVReader(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if checkText(b) != nil || !utf8.Valid(b) {
			return // the import decodes text that is not UTF-8 first (textReader)
		}
		b = bytes.TrimPrefix(b, utf8BOM)
		rr, err := newCSVReader(bytes.NewReader(b), sniffDelimiter(b), true)
		if err != nil {
			return
		}
		readAll(t, rr, "", true)
		if bytes.IndexByte(b, '"') < 0 {
			// Without a quote the plain reader must read what encoding/csv reads.
			if got, want := csvRecords(b, false), csvRecords(b, true); got != want {
				t.Fatalf("plain reader:\n%s\nencoding/csv:\n%s", got, want)
			}
		}
	})
}

// csvRecords lists every field and line number a CSV reader returns.
func csvRecords(b []byte, quotes bool) string {
	rr, err := newCSVReader(bytes.NewReader(b), sniffDelimiter(b), quotes)
	if err != nil {
		return "error: " + err.Error()
	}
	out := fmt.Sprintf("header %q\n", rr.header())
	for {
		fields, line, err := rr.read()
		if err != nil {
			return out + "end: " + err.Error()
		}
		out += fmt.Sprintf("%d %q\n", line, fields)
	}
}

// TestCSVReader_Plain reads, with and without encoding/csv, text that holds
// no quote: both give the same fields on the same lines.
func TestCSVReader_Plain(t *testing.T) {
	for _, text := range []string{
		"sku,name\nA,x\n",
		"sku,name\r\nA,x\r\n\r\nB,y",
		"sku;name\n\n\nA;x;extra\n;\n  \nB;y\r",
		"sku\tname\nA\r\r\n\tB\n",
		"sku,name\nA,x\rB,y\n",
		"sku|name|qty\n" + strings.Repeat("A|"+strings.Repeat("x", 100<<10)+"|1\n", 3),
		"",
		"\n\n",
	} {
		got, want := csvRecords([]byte(text), false), csvRecords([]byte(text), true)
		if got != want {
			t.Errorf("%.40q:\nplain reader:\n%.300s\nencoding/csv:\n%.300s", text, got, want)
		}
	}
}

func FuzzJSONReader(f *testing.F) {
	seedFiles(f)
	f.Add([]byte(`[{"sku":"A","name":"x"},{"sku":"B","name":null}]`))
	f.Add([]byte(`[{"date":"2026-01-01","order_id":7,"sku":"A","location":"B","qty":1.0}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, nd := range []bool{false, true} {
			rr, err := newJSONReader(bytes.NewReader(b), nd)
			if err != nil {
				continue
			}
			readAll(t, rr, "", nd)
		}
	})
}

func FuzzSniff(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = sniffFormat(b, "x.csv")
		d := sniffDelimiter(b)
		if d != ',' && d != '\t' && d != ';' && d != '|' {
			t.Fatalf("delimiter %q", d)
		}
		_ = checkText(b)
		_, _ = io.Copy(io.Discard, bytes.NewReader(b))
	})
}
