package forecast

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"stockroom/model"
)

// Freq is the spacing of a series' periods.
type Freq int8

// The supported frequencies.
const (
	Daily Freq = iota + 1
	Weekly
	Monthly
)

// String names the frequency.
func (f Freq) String() string {
	switch f {
	case Daily:
		return "daily"
	case Weekly:
		return "weekly"
	case Monthly:
		return "monthly"
	}
	return fmt.Sprintf("Freq(%d)", int(f))
}

// Season is the seasonal period used by the seasonal models: a week for
// daily data, a year for weekly and monthly data.
func (f Freq) Season() int {
	switch f {
	case Daily:
		return 7
	case Weekly:
		return 52
	case Monthly:
		return 12
	}
	return 1
}

// Period returns the date of period i of a series whose period 0 is start.
// Monthly periods keep start's day of the month, clamped to the month's
// length.
func (f Freq) Period(start model.Date, i int) model.Date {
	switch f {
	case Weekly:
		return start.AddDays(7 * i)
	case Monthly:
		t := start.Time()
		y, m, d := t.Date()
		mm := int(m) - 1 + i
		y += floorDiv(mm, 12)
		mm = mm - 12*floorDiv(mm, 12)
		last := time.Date(y, time.Month(mm+2), 0, 0, 0, 0, 0, time.UTC).Day()
		if d > last {
			d = last
		}
		return model.DateFromYMD(y, time.Month(mm+1), d)
	}
	return start.AddDays(i)
}

// Index returns the period index of d in a series whose period 0 is start,
// and whether d falls exactly on a period.
func (f Freq) Index(start, d model.Date) (int, bool) {
	switch f {
	case Weekly:
		n := int(d - start)
		i := floorDiv(n, 7)
		return i, n-7*i == 0
	case Monthly:
		ys, ms, _ := start.Time().Date()
		yd, md, _ := d.Time().Date()
		i := (yd-ys)*12 + int(md) - int(ms)
		return i, f.Period(start, i) == d
	}
	return int(d - start), true
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Series is one demand history: equally spaced periods from Start, one
// value per period. It is a plain value; the CLI and the store build it.
type Series struct {
	ID    string
	Start model.Date // date of period 0
	Freq  Freq
	// Values are the units demanded per period; NaN marks a missing period.
	Values []float64
	// Censored marks periods on which the item was out of stock, so the
	// value is a lower bound of demand, not demand. Such periods are
	// treated as missing. Nil means none; otherwise len(Censored) ==
	// len(Values).
	Censored []bool
	// Prices is the unit price in effect per period (NaN = unknown). It may
	// run past the end of Values to cover the forecast horizon; the last
	// known price is carried forward. Nil means no prices.
	Prices []float64
	// Attrs are categorical attributes (category, department, store…)
	// shared across series; the global model learns from them.
	Attrs map[string]string
}

// Len is the number of periods of history.
func (s *Series) Len() int { return len(s.Values) }

// Date returns the date of period i.
func (s *Series) Date(i int) model.Date { return s.Freq.Period(s.Start, i) }

// End returns the date of the last period of history.
func (s *Series) End() model.Date { return s.Date(len(s.Values) - 1) }

// Validate checks the series' fields.
func (s *Series) Validate() error {
	if s.ID == "" {
		return errors.New("series: empty id")
	}
	if s.Freq < Daily || s.Freq > Monthly {
		return fmt.Errorf("series %s: bad frequency %d", s.ID, s.Freq)
	}
	if len(s.Values) == 0 {
		return fmt.Errorf("series %s: no values", s.ID)
	}
	if s.Censored != nil && len(s.Censored) != len(s.Values) {
		return fmt.Errorf("series %s: %d censored flags for %d values", s.ID, len(s.Censored), len(s.Values))
	}
	if s.Prices != nil && len(s.Prices) < len(s.Values) {
		return fmt.Errorf("series %s: %d prices for %d values", s.ID, len(s.Prices), len(s.Values))
	}
	for i, v := range s.Values {
		if math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("series %s: value %g at %s: want a finite non-negative number or missing", s.ID, v, s.Date(i))
		}
	}
	return nil
}

// observed returns the values with censored periods set to NaN.
func (s *Series) observed() []float64 {
	y := make([]float64, len(s.Values))
	copy(y, s.Values)
	for i, c := range s.Censored {
		if c {
			y[i] = math.NaN()
		}
	}
	return y
}

// InferFreq infers the frequency of a set of period dates (any order,
// duplicates allowed) from the smallest gap between distinct dates: 1 day is
// daily, 7 weekly, 28–31 monthly. A single date is taken as daily.
func InferFreq(dates []model.Date) (Freq, error) {
	if len(dates) == 0 {
		return 0, errors.New("infer frequency: no dates")
	}
	minGap := int64(math.MaxInt64)
	seen := make(map[model.Date]struct{}, len(dates))
	sorted := make([]model.Date, 0, len(dates))
	for _, d := range dates {
		if _, ok := seen[d]; !ok {
			seen[d] = struct{}{}
			sorted = append(sorted, d)
		}
	}
	slices.Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		if g := int64(sorted[i] - sorted[i-1]); g < minGap {
			minGap = g
		}
	}
	switch {
	case len(sorted) == 1, minGap == 1:
		return Daily, nil
	case minGap%7 == 0 && minGap < 28:
		return Weekly, nil
	case minGap >= 28 && minGap <= 31:
		// Monthly data keeps one day of the month; a month-length gap
		// between, say, 3 Jan and 31 Jan is not monthly.
		_, _, d0 := sorted[0].Time().Date()
		for _, d := range sorted {
			_, _, dd := d.Time().Date()
			if dd != d0 && !(dd > 27 && d0 > 27) {
				return 0, fmt.Errorf("infer frequency: dates %s and %s are not on the same day of the month", sorted[0], d)
			}
		}
		return Monthly, nil
	case minGap == 7*int64(minGap/7):
		return Weekly, nil
	}
	return 0, fmt.Errorf("infer frequency: smallest gap between periods is %d days; want 1 (daily), 7 (weekly) or a month", minGap)
}

// SeriesFromDemand turns the store's daily demand rows into daily series,
// one per item × location with channels summed. Days without a row are
// zero demand; a day flagged as a stockout is censored. id names a series
// (nil: "SKU@LOCATION"). Series come back sorted by id.
func SeriesFromDemand(days []model.DemandDay, id func(sku, location string) string) []Series {
	if id == nil {
		id = func(sku, loc string) string { return sku + "@" + loc }
	}
	type key struct{ sku, loc string }
	type span struct {
		first, last model.Date
		idx         int
	}
	spans := map[key]*span{}
	var keys []key
	for _, d := range days {
		k := key{d.SKU, d.Location}
		s, ok := spans[k]
		if !ok {
			s = &span{first: d.Date, last: d.Date}
			spans[k] = s
			keys = append(keys, k)
		}
		s.first = min(s.first, d.Date)
		s.last = max(s.last, d.Date)
	}
	slices.SortFunc(keys, func(a, b key) int { return strings.Compare(id(a.sku, a.loc), id(b.sku, b.loc)) })
	out := make([]Series, len(keys))
	for i, k := range keys {
		s := spans[k]
		s.idx = i
		n := int(s.last-s.first) + 1
		out[i] = Series{ID: id(k.sku, k.loc), Start: s.first, Freq: Daily, Values: make([]float64, n)}
	}
	for _, d := range days {
		s := spans[key{d.SKU, d.Location}]
		se := &out[s.idx]
		t := int(d.Date - s.first)
		se.Values[t] += float64(d.Units)
		if d.Stockout {
			if se.Censored == nil {
				se.Censored = make([]bool, len(se.Values))
			}
			se.Censored[t] = true
		}
	}
	return out
}
