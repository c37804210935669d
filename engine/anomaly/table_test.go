package anomaly

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadTable(t *testing.T) {
	t.Run("timestamp,value", func(t *testing.T) {
		in := "\ufefftimestamp,value,note\n2024-01-01 00:00:00,1.5,a\n\n2024-01-01 00:05:00,NA,b\n2024-01-01 00:10:00, 3 ,c\n"
		tb, err := ReadTable(strings.NewReader(in), "x.csv")
		if err != nil {
			t.Fatal(err)
		}
		if tb.Long || len(tb.Series) != 1 || len(tb.Rows) != 3 {
			t.Fatalf("long %v, %d series, %d rows", tb.Long, len(tb.Series), len(tb.Rows))
		}
		if strings.Join(tb.Header, ",") != "timestamp,value,note" {
			t.Errorf("header %q", tb.Header)
		}
		s := tb.Series[0]
		if s.Values[0] != 1.5 || !math.IsNaN(s.Values[1]) || s.Values[2] != 3 {
			t.Errorf("values %v", s.Values)
		}
		if s.Step() != 300 || !s.Clock {
			t.Errorf("step %d clock %v", s.Step(), s.Clock)
		}
		if tb.Lines[1] != 4 || tb.Rows[2][2] != "c" {
			t.Errorf("lines %v rows %v", tb.Lines, tb.Rows)
		}
	})
	t.Run("long, out of order", func(t *testing.T) {
		in := "series_id,period,value\nB,2024-01-02,5\nA,2024-01-02,2\nA,2024-01-01,1\nB,2024-01-01,4\n"
		tb, err := ReadTable(strings.NewReader(in), "x.csv")
		if err != nil {
			t.Fatal(err)
		}
		if !tb.Long || len(tb.Series) != 2 || tb.Series[0].ID != "B" {
			t.Fatalf("%+v", tb.Series)
		}
		a := tb.Series[1]
		if a.Values[0] != 1 || a.Values[1] != 2 || a.Rows[0] != 2 || a.Rows[1] != 1 {
			t.Errorf("A sorted by time: values %v rows %v", a.Values, a.Rows)
		}
		if a.Step() != 86400 {
			t.Errorf("step %d", a.Step())
		}
	})
	for _, c := range []struct {
		name, in string
		line     int
		field    string
	}{
		{"empty", "", 1, ""},
		{"no value column", "timestamp,amount\n2024-01-01,3\n", 1, "value"},
		{"no time column", "when,value\n2024-01-01,3\n", 1, "timestamp"},
		{"long without period", "series_id,value\nA,3\n", 1, "period"},
		{"scored already", "timestamp,value,anomaly_score\n2024-01-01,3,0\n", 1, "anomaly_score"},
		{"duplicate column", "timestamp,value,Value\n2024-01-01,3,4\n", 1, "value"},
		{"bad number", "timestamp,value\n2024-01-01,3\n2024-01-02,three\n", 3, "value"},
		{"infinite", "timestamp,value\n2024-01-01,+Inf\n", 2, "value"},
		{"bad time", "timestamp,value\n2024-13-01,3\n", 2, "timestamp"},
		{"short row", "timestamp,value\n2024-01-01\n", 2, ""},
		{"empty id", "series_id,period,value\n,2024-01-01,3\n", 2, "series_id"},
		{"mixed clocks", "series_id,period,value\nA,2024-01-01,3\nA,7,3\n", 3, "period"},
		{"no rows", "timestamp,value\n", 2, ""},
		{"bad quoting", "timestamp,value\n\"2024-01-01,3\n", 2, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadTable(strings.NewReader(c.in), "in.csv")
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InputError", err)
			}
			if ie.File != "in.csv" || ie.Line != c.line || ie.Field != c.field {
				t.Errorf("got %s (line %d field %q), want line %d field %q", err, ie.Line, ie.Field, c.line, c.field)
			}
		})
	}
}

func TestConfigFor(t *testing.T) {
	day := Series{Clock: true}
	five := Series{Clock: true}
	plain := Series{}
	for i := int64(0); i < 30; i++ {
		day.Times = append(day.Times, 1704067200+i*86400) // from Monday 2024-01-01
		five.Times = append(five.Times, 1704067200+i*300)
		plain.Times = append(plain.Times, i+1)
	}
	cfg, ph := ConfigFor(day, 0, 0)
	if cfg.Period != 7 || ph[0] != ph[7] || ph[0] == ph[1] {
		t.Errorf("daily: period %d phases %v", cfg.Period, ph[:8])
	}
	cfg, ph = ConfigFor(five, 0, 0.7)
	if cfg.Period != 288 || cfg.Threshold != 0.7 || ph[0] != 0 || ph[12] != 12 {
		t.Errorf("5-minute: period %d threshold %g phases %v", cfg.Period, cfg.Threshold, ph[:13])
	}
	if cfg.MinHistory != cfg.Window/2 {
		t.Errorf("5-minute: min history %d for window %d", cfg.MinHistory, cfg.Window)
	}
	cfg, ph = ConfigFor(plain, 0, 0)
	if cfg.Period != 1 || ph[5] != 0 {
		t.Errorf("plain periods: period %d", cfg.Period)
	}
	cfg, ph = ConfigFor(plain, 12, 0)
	if cfg.Period != 12 || ph[13] != 1 {
		t.Errorf("plain periods, --period 12: period %d phase %d", cfg.Period, ph[13])
	}
}

// FuzzReadTable: the parser never panics, and whatever it accepts is
// consistent: every row belongs to exactly one series, values are finite
// or NaN, and rows keep the header's width.
func FuzzReadTable(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/anomaly/*.csv")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("timestamp,value\n2024-01-01,1\n2024-01-02,NA\n"))
	f.Add([]byte("series_id,period,value\nA,1,2\nA,2,3\nB,1,\n"))
	f.Add([]byte("\ufefftimestamp,value\n\"2024-01-01 10:00\",\"1e3\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := ReadTable(strings.NewReader(string(data)), "fuzz.csv")
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.File != "fuzz.csv" {
				t.Fatalf("error %v is not an InputError naming the file", err)
			}
			return
		}
		seen := make([]int, len(tb.Rows))
		for _, s := range tb.Series {
			if len(s.Rows) != len(s.Values) || len(s.Rows) != len(s.Times) {
				t.Fatalf("series %q: %d rows, %d values, %d times", s.ID, len(s.Rows), len(s.Values), len(s.Times))
			}
			for i, r := range s.Rows {
				seen[r]++
				if math.IsInf(s.Values[i], 0) {
					t.Fatalf("infinite value accepted")
				}
			}
		}
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("row %d is in %d series", i, n)
			}
			if len(tb.Rows[i]) != len(tb.Header) {
				t.Fatalf("row %d has %d fields, header %d", i, len(tb.Rows[i]), len(tb.Header))
			}
		}
	})
}
