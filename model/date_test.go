package model

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"2026-11-25", "2026-11-25", true},
		{" 2026-11-25 ", "2026-11-25", true},
		{"2026/11/25", "2026-11-25", true},
		{"2026-11-25T23:59:59Z", "2026-11-25", true},
		{"2026-11-25 08:00", "2026-11-25", true},
		{"2024-02-29", "2024-02-29", true},
		{"2026-02-29", "", false},
		{"2026-13-01", "", false},
		{"2026-00-10", "", false},
		{"25/11/2026", "", false},
		{"2026-11-25x", "", false},
		{"", "", false},
		{"1969-12-31", "1969-12-31", true},
	}
	for _, tt := range tests {
		d, err := ParseDate(tt.in)
		if (err == nil) != tt.ok || (tt.ok && d.String() != tt.want) {
			t.Errorf("ParseDate(%q) = %s, %v; want %s ok=%v", tt.in, d, err, tt.want, tt.ok)
		}
	}
}

func TestDate_Weekday(t *testing.T) {
	for d := MustDate("1969-12-25"); d < MustDate("1970-01-10"); d++ {
		if got, want := d.Weekday(), d.Time().Weekday(); got != want {
			t.Errorf("%s: weekday %v, want %v", d, got, want)
		}
	}
	if got := DateOf(time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC)); got != MustDate("2026-11-25") {
		t.Errorf("DateOf: %s", got)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-11-25", "2026/02/29", "0000-01-01", "9999-12-31T00:00", "2026-1-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		// A parsed date prints as the YYYY-MM-DD it was read from.
		if back, err := ParseDate(d.String()); err != nil || back != d {
			t.Fatalf("%q → %s → %v, %v", s, d, back, err)
		}
	})
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"drill cover<7", "status=out loc=DC1", "on_hand>=10 x", "cover<", "a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseFilter(s)
		if err != nil {
			return
		}
		for _, c := range fl.Conds {
			if c.Col == "" || c.Op == "" {
				t.Fatalf("%q: condition %+v", s, c)
			}
		}
	})
}

func TestStockStatus(t *testing.T) {
	asOf := MustDate("2026-11-25")
	long := asOf - 400 // first stocked long ago
	tests := []struct {
		onHand int64
		cover  float64
		last   Date
		first  Date
		want   Status
	}{
		{0, 0, asOf, long, StatusOut},
		{-3, 0, asOf - 5, long, StatusOut},
		{0, NoCover, NoDate, long, StatusIdle},
		{5, NoCover, asOf - 200, long, StatusDead},
		{5, NoCover, NoDate, long, StatusDead},
		// Stocked a week ago and not sold yet: new, not dead; ninety days on, dead.
		{5, NoCover, NoDate, asOf - 7, StatusNew},
		{5, NoCover, NoDate, asOf - DeadDays, StatusNew},
		{5, NoCover, NoDate, asOf - DeadDays - 1, StatusDead},
		{5, NoCover, NoDate, NoDate, StatusDead},
		{5, 3, asOf, long, StatusLow},
		{5, 30, asOf, long, StatusOK},
		{5, 400, asOf, long, StatusOver},
	}
	for _, tt := range tests {
		if got := StockStatus(tt.onHand, tt.cover, tt.last, tt.first, asOf); got != tt.want {
			t.Errorf("StockStatus(%d, %g, %s, %s) = %s, want %s", tt.onHand, tt.cover, tt.last, tt.first, got, tt.want)
		}
	}
}
