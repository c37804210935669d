package anomaly

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// InputError is a bad row or field in an input file.
type InputError struct {
	File  string
	Line  int
	Field string // column name, empty for a row-level problem
	Err   error
}

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

func (e *InputError) Unwrap() error { return e.Err }

// Table is a series file as read: every row's fields as they were (so
// they can be written back with scores beside them), grouped into series.
type Table struct {
	Header []string   // the header as written, BOM removed
	Rows   [][]string // the data rows' fields, in file order
	Lines  []int      // the line each row started on
	Series []Series   // in order of first appearance
	Long   bool       // series_id,period,value; else timestamp,value (one series)
}

// Series is one series of a Table: its rows in file order.
type Series struct {
	ID     string    // series_id; empty for a timestamp,value file
	Rows   []int     // indices into Table.Rows
	Times  []int64   // unix seconds of each point (or the period number when periods are plain integers)
	Values []float64 // NaN where the value is missing
	Clock  bool      // Times are timestamps (false: plain period numbers)
}

// timeLayouts are the timestamp forms accepted, tried in order.
var timeLayouts = []string{
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	time.RFC3339,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006/01/02",
	"2006/01/02 15:04:05",
}

// parseTime reads a timestamp, a date, or a plain integer period.
func parseTime(s string) (t int64, clock bool, err error) {
	for _, l := range timeLayouts {
		if tm, err := time.Parse(l, s); err == nil {
			return tm.Unix(), true, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, false, nil
	}
	return 0, false, errors.New("not a date, timestamp (YYYY-MM-DD[ HH:MM:SS]) or period number")
}

// isMissing reports the spellings of a missing value.
func isMissing(s string) bool {
	switch strings.ToLower(s) {
	case "", "na", "n/a", "nan", "null", "none", "-":
		return true
	}
	return false
}

// ReadTable reads a series file: timestamp,value (one series) or
// series_id,period,value (any number of series, rows in any order), with
// any other columns kept as they are. Columns are found by name
// (case-insensitive; a UTF-8 BOM and blanks around names are ignored);
// time is a date, a date and time, or a plain period number; a value of
// NA, NaN, null or nothing is a missing point. Blank lines are skipped.
// Errors name the file, the line and the field.
func ReadTable(r io.Reader, name string) (*Table, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, &InputError{File: name, Line: 1, Err: errors.New("empty file: want a header line")}
	}
	if err != nil {
		return nil, csvErr(name, err)
	}
	t := &Table{}
	cols := map[string]int{}
	for i, h := range head {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		t.Header = append(t.Header, h)
		key := strings.ToLower(strings.TrimSpace(h))
		if _, dup := cols[key]; dup && key != "" {
			return nil, &InputError{File: name, Line: 1, Field: key, Err: errors.New("column appears twice")}
		}
		cols[key] = i
	}
	for _, out := range []string{"anomaly_score", "is_anomaly"} {
		if _, ok := cols[out]; ok {
			return nil, &InputError{File: name, Line: 1, Field: out, Err: errors.New("already present: this looks like a scored file")}
		}
	}
	idCol, hasID := cols["series_id"]
	timeName := "timestamp"
	if hasID {
		timeName = "period"
		t.Long = true
	}
	timeCol, ok := cols[timeName]
	if !ok {
		want := "timestamp,value or series_id,period,value"
		return nil, &InputError{File: name, Line: 1, Field: timeName, Err: fmt.Errorf("missing column: want %s, header is %q", want, strings.Join(head, ","))}
	}
	valCol, ok := cols["value"]
	if !ok {
		return nil, &InputError{File: name, Line: 1, Field: "value", Err: fmt.Errorf("missing column: header is %q", strings.Join(head, ","))}
	}
	index := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(head) {
			return nil, &InputError{File: name, Line: line, Err: fmt.Errorf("%d fields, header has %d", len(rec), len(head))}
		}
		id := ""
		if hasID {
			id = strings.TrimSpace(rec[idCol])
			if id == "" {
				return nil, &InputError{File: name, Line: line, Field: "series_id", Err: errors.New("empty")}
			}
		}
		ts := strings.TrimSpace(rec[timeCol])
		tm, clock, err := parseTime(ts)
		if err != nil {
			return nil, &InputError{File: name, Line: line, Field: timeName, Err: fmt.Errorf("%q: %w", ts, err)}
		}
		vs := strings.TrimSpace(rec[valCol])
		v := math.NaN()
		if !isMissing(vs) {
			v, err = strconv.ParseFloat(vs, 64)
			if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, &InputError{File: name, Line: line, Field: "value", Err: fmt.Errorf("%q is not a number", vs)}
			}
		}
		k, ok := index[id]
		if !ok {
			k = len(t.Series)
			index[id] = k
			t.Series = append(t.Series, Series{ID: id, Clock: clock})
		}
		s := &t.Series[k]
		if len(s.Rows) > 0 && s.Clock != clock {
			return nil, &InputError{File: name, Line: line, Field: timeName, Err: fmt.Errorf("%q: mixes period numbers and dates in one series", ts)}
		}
		s.Rows = append(s.Rows, len(t.Rows))
		s.Times = append(s.Times, tm)
		s.Values = append(s.Values, v)
		t.Rows = append(t.Rows, append([]string(nil), rec...))
		t.Lines = append(t.Lines, line)
	}
	if len(t.Rows) == 0 {
		return nil, &InputError{File: name, Line: 2, Err: errors.New("no data rows")}
	}
	// Long files may list a series' rows in any order: score them in time
	// order. A timestamp,value file is scored in file order, as it came
	// (NAB's files repeat timestamps and step back once).
	if t.Long {
		for i := range t.Series {
			sortByTime(&t.Series[i])
		}
	}
	return t, nil
}

func sortByTime(s *Series) {
	idx := make([]int, len(s.Rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.Times[idx[a]] < s.Times[idx[b]] })
	rows := make([]int, len(idx))
	times := make([]int64, len(idx))
	vals := make([]float64, len(idx))
	for i, j := range idx {
		rows[i], times[i], vals[i] = s.Rows[j], s.Times[j], s.Values[j]
	}
	s.Rows, s.Times, s.Values = rows, times, vals
}

func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{File: name, Line: pe.Line, Err: pe.Err}
	}
	return &InputError{File: name, Err: err}
}

// Step returns the series' typical spacing: the median gap between
// consecutive points, in seconds (or periods), ignoring gaps of zero or
// less (repeated or backward timestamps). 0 when it cannot tell.
func (s Series) Step() int64 {
	var gaps []float64
	for i := 1; i < len(s.Times); i++ {
		if g := s.Times[i] - s.Times[i-1]; g > 0 {
			gaps = append(gaps, float64(g))
		}
	}
	if len(gaps) == 0 {
		return 0
	}
	return int64(median(gaps))
}

// ConfigFor chooses the ensemble configuration and the phase of every
// point for a series, from its spacing: daily points get DailyConfig with
// a weekly season (phase = day of the week); points a fixed fraction of a
// day apart get a daily season of that many points (phase = slot of the
// day, so gaps and irregular timestamps keep their place); anything else
// (weekly, monthly, plain periods) no season unless period > 0 is given.
// threshold > 0 overrides the alarm threshold.
func ConfigFor(s Series, period int, threshold float64) (EnsembleConfig, []int) {
	step := s.Step()
	var cfg EnsembleConfig // the zero config is the daily one
	phases := make([]int, len(s.Times))
	switch {
	case period > 0:
		cfg.Period = period
		for i := range phases {
			phases[i] = i % period
		}
		if s.Clock && step > 0 {
			for i, t := range s.Times {
				phases[i] = PhaseOf(t, step, period)
			}
		}
	case s.Clock && step == 86400:
		for i, t := range s.Times {
			phases[i] = int(((t/86400)%7 + 7) % 7) // 0 = Thursday 1970-01-01; any fixed origin will do
		}
	case s.Clock && step > 0 && step < 86400 && 86400%step == 0:
		p := int(86400 / step)
		cfg.Period = p
		cfg.Bins = min(p, 24)
		cfg.Window = clampInt(4*p, 112, 2000)
		cfg.Level = max(p/24, 7)
		cfg.Cooldown = max(p/24, 7)
		for i, t := range s.Times {
			phases[i] = PhaseOf(t, step, p)
		}
	default:
		cfg.Period = 1
	}
	if threshold > 0 {
		cfg.Threshold = threshold
	}
	return cfg.withDefaults(), phases
}
