package data

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"stockroom/model"
)

// FormatXLSX is an Excel workbook (.xlsx, .xlsm): its active sheet is read
// as a table, the first non-empty row the header, as people keep stock
// lists and exports in Excel.
const FormatXLSX Format = "xlsx"

// isWorkbook reports whether a file is an Excel workbook stockroom reads:
// a zip named .xlsx or .xlsm.
func isWorkbook(head []byte, name string) bool {
	lower := strings.ToLower(name)
	return bytes.HasPrefix(head, []byte("PK\x03\x04")) && (strings.HasSuffix(lower, ".xlsx") || strings.HasSuffix(lower, ".xlsm"))
}

// xlsxReader reads the active sheet of a workbook. Cells are read raw,
// not as Excel would display them: a number is its value and a date its
// serial day number (which fields.date turns into the day), so neither
// depends on the workbook's formats or locale.
type xlsxReader struct {
	f     *excelize.File
	rows  *excelize.Rows
	sheet string
	row   int // the sheet's row number of the last row read
	hdr   []string
	b     binding
	vals  []string
}

func newXLSXReader(r io.Reader) (*xlsxReader, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, fmt.Errorf("cannot read the workbook (%v): open it in Excel and save it again, or save the sheet as CSV", err)
	}
	x := &xlsxReader{f: f, sheet: f.GetSheetName(f.GetActiveSheetIndex())}
	if x.rows, err = f.Rows(x.sheet); err != nil {
		f.Close()
		return nil, fmt.Errorf("sheet %q: %v", x.sheet, err)
	}
	for {
		cells, err := x.read()
		if err == io.EOF {
			x.Close()
			return nil, fmt.Errorf("sheet %q is empty", x.sheet)
		}
		if err != nil {
			x.Close()
			return nil, err
		}
		if blank(cells) {
			continue
		}
		for _, c := range cells {
			x.hdr = append(x.hdr, strings.TrimSpace(c))
		}
		for len(x.hdr) > 0 && x.hdr[len(x.hdr)-1] == "" {
			x.hdr = x.hdr[:len(x.hdr)-1]
		}
		return x, nil
	}
}

func (x *xlsxReader) read() ([]string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, fmt.Errorf("sheet %q: %v", x.sheet, err)
		}
		return nil, io.EOF
	}
	x.row++
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Errorf("sheet %q row %d: %v", x.sheet, x.row, err)
	}
	return cells, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (x *xlsxReader) header() []string { return x.hdr }
func (x *xlsxReader) bind(b binding)   { x.b = b }

// Close lets the workbook go.
func (x *xlsxReader) Close() error {
	x.rows.Close()
	return x.f.Close()
}

// next returns the next non-empty row. Cells past the header's last
// column must be empty; a row may stop short of it (Excel does not store
// trailing empty cells).
func (x *xlsxReader) next() (record, error) {
	for {
		cells, err := x.read()
		if err != nil {
			return record{}, err
		}
		if blank(cells) {
			continue
		}
		rec := record{line: x.row, fields: cells, delim: ','}
		if len(cells) > len(x.hdr) && !blank(cells[len(x.hdr):]) {
			rec.err = &rowError{Line: x.row, Reason: fmt.Sprintf("has a value in column %d, past the header's %d columns", len(cells), len(x.hdr))}
			return rec, nil
		}
		if x.vals == nil {
			x.vals = make([]string, len(x.b.pos))
		}
		rec.vals = x.vals
		clear(rec.vals)
		rec.serialDates = true
		for ci, p := range x.b.pos {
			if p >= 0 && p < len(cells) {
				rec.vals[ci] = strings.TrimSpace(cells[p])
			}
		}
		return rec, nil
	}
}

// excelEpoch is day 0 of Excel's serial dates (1899-12-30: Excel counts
// 1900 as a leap year, and serials from March 1900 on agree with it).
var excelEpoch = model.MustDate("1899-12-30")

// serialDate reads an Excel serial day number ("46352", or "46352.5" with
// a time of day) as its day.
func serialDate(s string) (model.Date, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 61 || v > 2958465 || math.IsNaN(v) {
		return model.NoDate, errors.New("not an Excel date")
	}
	return excelEpoch.AddDays(int(math.Floor(v))), nil
}
