package forecast

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"stockroom/model"
)

// InputError is a bad row or field in an input file.
type InputError struct {
	File  string
	Line  int
	Field string // column name, empty for a row-level problem
	Err   error
}

// Error formats file:line: field: reason.
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns the underlying reason.
func (e *InputError) Unwrap() error { return e.Err }

// csvTable reads a CSV file with a header and finds the columns by name
// (case-insensitive, BOM and surrounding spaces ignored).
type csvTable struct {
	name string
	r    *csv.Reader
	cols map[string]int
	head []string
}

func openCSV(r io.Reader, name string, required ...string) (*csvTable, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, &InputError{File: name, Line: 1, Err: errors.New("empty file: want a header line")}
	}
	if err != nil {
		return nil, csvErr(name, err)
	}
	t := &csvTable{name: name, r: cr, cols: map[string]int{}}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		t.head = append(t.head, h)
		if _, dup := t.cols[h]; dup && h != "" {
			return nil, &InputError{File: name, Line: 1, Field: h, Err: errors.New("column appears twice")}
		}
		t.cols[h] = i
	}
	for _, c := range required {
		if _, ok := t.cols[c]; !ok {
			return nil, &InputError{File: name, Line: 1, Field: c, Err: fmt.Errorf("missing column (header is %q)", strings.Join(t.head, ","))}
		}
	}
	return t, nil
}

func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{File: name, Line: pe.Line, Err: pe.Err}
	}
	return &InputError{File: name, Err: err}
}

// next returns the next record and its line, or io.EOF.
func (t *csvTable) next() ([]string, int, error) {
	for {
		rec, err := t.r.Read()
		if err != nil {
			if err == io.EOF {
				return nil, 0, io.EOF
			}
			return nil, 0, csvErr(t.name, err)
		}
		line, _ := t.r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) != len(t.head) {
			return nil, line, &InputError{File: t.name, Line: line, Err: fmt.Errorf("%d fields, header has %d", len(rec), len(t.head))}
		}
		return rec, line, nil
	}
}

func (t *csvTable) get(rec []string, col string) (string, bool) {
	i, ok := t.cols[col]
	if !ok {
		return "", false
	}
	return strings.TrimSpace(rec[i]), true
}

// seriesID is the row's series_id, which may not be empty.
func (t *csvTable) seriesID(rec []string, line int) (string, error) {
	id, _ := t.get(rec, "series_id")
	if id == "" {
		return "", &InputError{File: t.name, Line: line, Field: "series_id", Err: errors.New("empty")}
	}
	return id, nil
}

func (t *csvTable) date(rec []string, line int, col string) (model.Date, error) {
	s, _ := t.get(rec, col)
	d, err := model.ParseDate(s)
	if err != nil {
		return d, &InputError{File: t.name, Line: line, Field: col, Err: fmt.Errorf("%q: %w", s, err)}
	}
	return d, nil
}

// isMissing reports the spellings of a missing value.
func isMissing(s string) bool {
	switch strings.ToLower(s) {
	case "", "na", "n/a", "nan", "null", "none", "-":
		return true
	}
	return false
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "1", "true", "t", "yes", "y":
		return true, true
	case "0", "false", "f", "no", "n", "":
		return false, true
	}
	return false, false
}

// ReadSeriesCSV reads long-format demand: columns series_id, period (an ISO
// date) and value (NA or empty for missing), in any order and with rows in
// any order, plus an optional stockout (or censored) column of booleans
// marking censored periods. The frequency of each series is inferred from
// its dates; gaps become missing periods. Series come back in order of
// first appearance; errors name the file, line and field.
func ReadSeriesCSV(r io.Reader, name string) ([]Series, error) {
	t, err := openCSV(r, name, "series_id", "period", "value")
	if err != nil {
		return nil, err
	}
	censCol := ""
	for _, c := range []string{"stockout", "censored"} {
		if _, ok := t.cols[c]; ok {
			censCol = c
			break
		}
	}
	type obs struct {
		d    model.Date
		v    float64
		cens bool
		line int
	}
	idx := map[string]int{}
	var ids []string
	var rows [][]obs
	for {
		rec, line, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		id, err := t.seriesID(rec, line)
		if err != nil {
			return nil, err
		}
		d, err := t.date(rec, line, "period")
		if err != nil {
			return nil, err
		}
		vs, _ := t.get(rec, "value")
		v := math.NaN()
		if !isMissing(vs) {
			v, err = strconv.ParseFloat(vs, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, &InputError{File: name, Line: line, Field: "value", Err: fmt.Errorf("%q is not a number", vs)}
			}
			if v < 0 {
				return nil, &InputError{File: name, Line: line, Field: "value", Err: fmt.Errorf("%g is negative: demand cannot be", v)}
			}
		}
		cens := false
		if censCol != "" {
			cs, _ := t.get(rec, censCol)
			b, ok := parseBool(cs)
			if !ok {
				return nil, &InputError{File: name, Line: line, Field: censCol, Err: fmt.Errorf("%q is not true/false", cs)}
			}
			cens = b
		}
		i, ok := idx[id]
		if !ok {
			i = len(ids)
			idx[id] = i
			ids = append(ids, id)
			rows = append(rows, nil)
		}
		rows[i] = append(rows[i], obs{d, v, cens, line})
	}
	if len(ids) == 0 {
		return nil, &InputError{File: name, Err: errors.New("no data rows")}
	}
	// A series with one period borrows the file's most common frequency
	// (the finest on a tie).
	freqs := make([]Freq, len(ids))
	votes := map[Freq]int{}
	for i, os := range rows {
		if len(os) < 2 {
			continue
		}
		ds := make([]model.Date, len(os))
		for k, o := range os {
			ds[k] = o.d
		}
		f, err := InferFreq(ds)
		if err != nil {
			return nil, &InputError{File: name, Line: os[0].line, Field: "period", Err: fmt.Errorf("series %s: %w", ids[i], err)}
		}
		freqs[i] = f
		votes[f]++
	}
	common := Daily
	for f, n := range votes {
		if n > votes[common] || (n == votes[common] && f < common) {
			common = f
		}
	}
	out := make([]Series, len(ids))
	for i, os := range rows {
		f := freqs[i]
		if f == 0 {
			f = common
		}
		slices.SortStableFunc(os, func(a, b obs) int { return int(a.d) - int(b.d) })
		start := os[0].d
		last, _ := f.Index(start, os[len(os)-1].d)
		const maxPeriods = 1 << 20
		if last >= maxPeriods {
			return nil, &InputError{File: name, Line: os[len(os)-1].line, Field: "period", Err: fmt.Errorf("series %s spans %d periods; at most %d", ids[i], last+1, maxPeriods)}
		}
		s := Series{ID: ids[i], Start: start, Freq: f, Values: make([]float64, last+1)}
		for k := range s.Values {
			s.Values[k] = math.NaN()
		}
		seen := make([]bool, last+1)
		anyCens := false
		for _, o := range os {
			k, exact := f.Index(start, o.d)
			if !exact {
				return nil, &InputError{File: name, Line: o.line, Field: "period", Err: fmt.Errorf("%s is off the %s grid of series %s starting %s", o.d, f, ids[i], start)}
			}
			if seen[k] {
				return nil, &InputError{File: name, Line: o.line, Field: "period", Err: fmt.Errorf("series %s has %s twice", ids[i], o.d)}
			}
			seen[k] = true
			s.Values[k] = o.v
			if o.cens {
				anyCens = true
			}
		}
		if anyCens {
			s.Censored = make([]bool, last+1)
			for _, o := range os {
				if o.cens {
					k, _ := f.Index(start, o.d)
					s.Censored[k] = true
				}
			}
		}
		out[i] = s
	}
	return out, nil
}

// ReadEventsCSV reads a calendar: columns date and name, optional kind and
// applies_to (a glob on series ids; empty for all).
func ReadEventsCSV(r io.Reader, name string) (Calendar, error) {
	t, err := openCSV(r, name, "date", "name")
	if err != nil {
		return Calendar{}, err
	}
	var c Calendar
	for {
		rec, line, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Calendar{}, err
		}
		d, err := t.date(rec, line, "date")
		if err != nil {
			return Calendar{}, err
		}
		e := model.Event{Date: d}
		e.Name, _ = t.get(rec, "name")
		e.Kind, _ = t.get(rec, "kind")
		e.AppliesTo, _ = t.get(rec, "applies_to")
		if err := e.Validate(); err != nil {
			var fe *model.FieldError
			if errors.As(err, &fe) {
				return Calendar{}, &InputError{File: name, Line: line, Field: fe.Field, Err: errors.New(fe.Reason)}
			}
			return Calendar{}, &InputError{File: name, Line: line, Err: err}
		}
		c.Events = append(c.Events, e)
	}
	return c, nil
}

// PricePoint is a price in effect from a date on.
type PricePoint struct {
	From  model.Date
	Price float64
}

// ReadPricesCSV reads columns series_id, period, price: each a price in
// effect from that date until the series' next price.
func ReadPricesCSV(r io.Reader, name string) (map[string][]PricePoint, error) {
	t, err := openCSV(r, name, "series_id", "period", "price")
	if err != nil {
		return nil, err
	}
	out := map[string][]PricePoint{}
	for {
		rec, line, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		id, err := t.seriesID(rec, line)
		if err != nil {
			return nil, err
		}
		d, err := t.date(rec, line, "period")
		if err != nil {
			return nil, err
		}
		ps, _ := t.get(rec, "price")
		if isMissing(ps) {
			continue
		}
		p, err := strconv.ParseFloat(ps, 64)
		if err != nil || !(p >= 0) || math.IsInf(p, 0) {
			return nil, &InputError{File: name, Line: line, Field: "price", Err: fmt.Errorf("%q is not a non-negative number", ps)}
		}
		out[id] = append(out[id], PricePoint{From: d, Price: p})
	}
	for id, pp := range out {
		slices.SortStableFunc(pp, func(a, b PricePoint) int { return int(a.From) - int(b.From) })
		out[id] = pp
	}
	return out, nil
}

// ApplyPrices sets each series' Prices from price steps, covering its
// history and the horizon after it. Periods before the first price are
// unknown (NaN).
func ApplyPrices(series []Series, prices map[string][]PricePoint, horizon int) {
	for i := range series {
		s := &series[i]
		pp, ok := prices[s.ID]
		if !ok || len(pp) == 0 {
			continue
		}
		n := len(s.Values) + max(0, horizon)
		s.Prices = make([]float64, n)
		k := 0
		cur := math.NaN()
		for t := range n {
			d := s.Date(t)
			for k < len(pp) && pp[k].From <= d {
				cur = pp[k].Price
				k++
			}
			s.Prices[t] = cur
		}
	}
}

// ReadAttributesCSV reads a series_id column plus any categorical columns,
// keyed by series id then lower-case column name.
func ReadAttributesCSV(r io.Reader, name string) (map[string]map[string]string, error) {
	t, err := openCSV(r, name, "series_id")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for {
		rec, line, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		id, err := t.seriesID(rec, line)
		if err != nil {
			return nil, err
		}
		if _, dup := out[id]; dup {
			return nil, &InputError{File: name, Line: line, Field: "series_id", Err: fmt.Errorf("%s appears twice", id)}
		}
		m := map[string]string{}
		for i, h := range t.head {
			if h == "series_id" || h == "" {
				continue
			}
			if v := strings.TrimSpace(rec[i]); !isMissing(v) {
				m[h] = v
			}
		}
		out[id] = m
	}
	return out, nil
}
