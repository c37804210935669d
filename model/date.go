package model

import (
	"fmt"
	"strings"
	"time"
)

// Date is a civil day counted from 1970-01-01. Daily demand, the ledger and
// the calendars all work in whole days, and an integer day makes date
// arithmetic, map keys and SQL comparisons exact and cheap.
type Date int32

// NoDate is the zero value of an optional date.
const NoDate Date = -1 << 31

// DateOf returns the civil day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return DateFromYMD(y, m, d)
}

// DateFromYMD returns the day for a calendar date.
func DateFromYMD(y int, m time.Month, d int) Date {
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time returns midnight UTC of the day.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return time.Weekday((int64(d)%7 + 7 + 4) % 7) }

// AddDays returns the day n days later.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// String formats the day as YYYY-MM-DD.
func (d Date) String() string {
	if d == NoDate {
		return ""
	}
	return d.Time().Format("2006-01-02")
}

// ErrBadDate is returned for text that is not a date.
var ErrBadDate = fmt.Errorf("not a date (want YYYY-MM-DD)")

// ParseDate reads a date. It accepts YYYY-MM-DD, optionally followed by a
// time (T or space separated, as exports from shops and WMSs often carry),
// and YYYY/MM/DD. The time part is dropped: stockroom counts in days.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if len(s) < 10 {
		return NoDate, ErrBadDate
	}
	if len(s) > 10 && s[10] != 'T' && s[10] != ' ' {
		return NoDate, ErrBadDate
	}
	b := s[:10]
	if (b[4] != '-' || b[7] != '-') && (b[4] != '/' || b[7] != '/') {
		return NoDate, ErrBadDate
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return NoDate, ErrBadDate
	}
	return DateFromYMD(y, time.Month(m), d), nil
}

// MustDate parses a date and panics on error; for tests and constants.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(fmt.Sprintf("model.MustDate(%q): %v", s, err))
	}
	return d
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
