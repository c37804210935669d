package forecast

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"stockroom/model"
)

func TestReadSeriesCSV_Frequencies(t *testing.T) {
	in := "\ufeffseries_id,period,value\n" +
		"d,2024-01-01,1\nd,2024-01-03,3\nd,2024-01-02,NA\n" + // unsorted, NA
		"w,2024-01-01,5\nw,2024-01-15,7\n" + // weekly with a gap
		"m,2024-01-31,2\nm,2024-02-29,\nm,2024-03-31,4\n" + // month ends, empty = missing
		"one,2024-05-01,9\n"
	s, err := ReadSeriesCSV(strings.NewReader(in), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	want := []struct {
		id   string
		freq Freq
		vals []float64
	}{
		{"d", Daily, []float64{1, nan, 3}},
		{"w", Weekly, []float64{5, nan, 7}},
		{"m", Monthly, []float64{2, nan, 4}},
		{"one", Daily, []float64{9}}, // borrows the most common frequency, the finest on a tie
	}
	if len(s) != len(want) {
		t.Fatalf("%d series, want %d", len(s), len(want))
	}
	for i, w := range want {
		if s[i].ID != w.id || s[i].Freq != w.freq || len(s[i].Values) != len(w.vals) {
			t.Errorf("series %d: %s %s %v, want %s %s %v", i, s[i].ID, s[i].Freq, s[i].Values, w.id, w.freq, w.vals)
			continue
		}
		for k, v := range w.vals {
			if got := s[i].Values[k]; !(got == v || math.IsNaN(got) && math.IsNaN(v)) {
				t.Errorf("%s[%d] = %g, want %g", w.id, k, got, v)
			}
		}
	}
	if d := s[2].Date(1); d != model.MustDate("2024-02-29") {
		t.Errorf("monthly period 1 = %s, want 2024-02-29", d)
	}
}

func TestReadSeriesCSV_Errors(t *testing.T) {
	cases := []struct {
		in, line, field string
	}{
		{"series_id,value\n", ":1", "period"},
		{"series_id,period,value\nA,2024-13-01,1\n", ":2", "period"},
		{"series_id,period,value\nA,2024-01-01,x\n", ":2", "value"},
		{"series_id,period,value\nA,2024-01-01,-3\n", ":2", "value"},
		{"series_id,period,value\nA,2024-01-01,1\nA,2024-01-01,2\n", ":3", "period"},
		{"series_id,period,value\n,2024-01-01,1\n", ":2", "series_id"},
		{"series_id,period,value\nA,2024-01-01\n", ":2", ""},
		{"series_id,period,value,stockout\nA,2024-01-01,1,maybe\n", ":2", "stockout"},
		{"series_id,period,value\nA,2024-01-01,1\nA,2024-01-04,1\n", ":", "period"}, // 3-day gap
		{"", ":1", ""},
	}
	for _, c := range cases {
		_, err := ReadSeriesCSV(strings.NewReader(c.in), "bad.csv")
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%q: error %v, want an InputError", c.in, err)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "bad.csv"+c.line) || ie.Field != c.field {
			t.Errorf("%q: %q (field %q), want bad.csv%s… field %q", c.in, msg, ie.Field, c.line, c.field)
		}
	}
}

func TestReadSeriesCSV_Stockout(t *testing.T) {
	in := "series_id,period,value,stockout\nA,2024-01-01,4,0\nA,2024-01-02,0,1\nA,2024-01-03,5,false\n"
	s, err := ReadSeriesCSV(strings.NewReader(in), "s.csv")
	if err != nil {
		t.Fatal(err)
	}
	if c := s[0].Censored; len(c) != 3 || c[0] || !c[1] || c[2] {
		t.Errorf("censored = %v, want [false true false]", c)
	}
}

func TestReadEventsPricesAttributes(t *testing.T) {
	cal, err := ReadEventsCSV(strings.NewReader("date,name,kind,applies_to\n2024-01-01,New Year,holiday,\n2024-01-05,SNAP,benefit,*_CA_*\n"), "e.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(cal.Events) != 2 || !cal.Events[1].Applies("X_CA_1") || cal.Events[1].Applies("X_TX_1") {
		t.Errorf("events: %+v", cal.Events)
	}
	if _, err := ReadEventsCSV(strings.NewReader("date,name\n2024-01-01,\n"), "e.csv"); err == nil || !strings.Contains(err.Error(), "e.csv:2: name") {
		t.Errorf("empty name: %v", err)
	}
	if _, err := ReadEventsCSV(strings.NewReader("date,name,applies_to\n2024-01-01,x,[\n"), "e.csv"); err == nil || !strings.Contains(err.Error(), "applies_to") {
		t.Errorf("bad glob: %v", err)
	}
	pp, err := ReadPricesCSV(strings.NewReader("series_id,period,price\nA,2024-01-03,2.5\nA,2024-01-01,2\n"), "p.csv")
	if err != nil {
		t.Fatal(err)
	}
	s := []Series{{ID: "A", Start: model.MustDate("2023-12-31"), Freq: Daily, Values: []float64{1, 1, 1, 1}}}
	ApplyPrices(s, pp, 2)
	got := s[0].Prices
	if len(got) != 6 || !math.IsNaN(got[0]) || got[1] != 2 || got[2] != 2 || got[3] != 2.5 || got[5] != 2.5 {
		t.Errorf("prices = %v, want [NaN 2 2 2.5 2.5 2.5]", got)
	}
	if _, err := ReadPricesCSV(strings.NewReader("series_id,period,price\nA,2024-01-03,-1\n"), "p.csv"); err == nil || !strings.Contains(err.Error(), "p.csv:2: price") {
		t.Errorf("negative price: %v", err)
	}
	at, err := ReadAttributesCSV(strings.NewReader("series_id,Cat,store\nA,food,NA\nB,toys,s1\n"), "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if at["A"]["cat"] != "food" || len(at["A"]) != 1 || at["B"]["store"] != "s1" {
		t.Errorf("attributes: %v", at)
	}
	if _, err := ReadAttributesCSV(strings.NewReader("series_id,cat\nA,x\nA,y\n"), "a.csv"); err == nil || !strings.Contains(err.Error(), "a.csv:3: series_id") {
		t.Errorf("duplicate id: %v", err)
	}
}

func TestInferFreq(t *testing.T) {
	d := model.MustDate
	cases := []struct {
		dates []model.Date
		want  Freq
		bad   bool
	}{
		{[]model.Date{d("2024-01-01"), d("2024-01-02")}, Daily, false},
		{[]model.Date{d("2024-01-01"), d("2024-01-22")}, Weekly, false},
		{[]model.Date{d("2024-01-01"), d("2024-03-01"), d("2024-02-01")}, Monthly, false},
		{[]model.Date{d("2024-01-01"), d("2024-01-04")}, 0, true},
		{[]model.Date{d("2024-01-03"), d("2024-02-02")}, 0, true},
	}
	for _, c := range cases {
		f, err := InferFreq(c.dates)
		if (err != nil) != c.bad || f != c.want {
			t.Errorf("InferFreq(%v) = %s, %v; want %s (error %v)", c.dates, f, err, c.want, c.bad)
		}
	}
}

// FuzzReadSeriesCSV: the parser never panics, and whatever it accepts is
// a valid set of series.
func FuzzReadSeriesCSV(f *testing.F) {
	for _, s := range []string{
		"series_id,period,value\nA,2024-01-01,1\nA,2024-01-02,NA\n",
		"series_id,period,value,stockout\nA,2024-01-01,1,1\nB,2024-01-01,2,0\nB,2024-01-08,\n",
		"Series_ID ,PERIOD,value\n\"x,y\",2024/02/29,3.5\n",
		"series_id,period,value\nA,2024-01-31,1\nA,2024-02-29,2\nA,2024-03-31,0\n",
		"series_id,period,value\nA,2024-01-01,1e308\nA,1970-01-01,0\n",
		"value,series_id,period\n1,A,2024-01-01 10:00:00\n",
		"series_id,period,value\nA,2024-01-01,1\nA,2024-01-04,1\n",
		"series_id,period,value\n\"unterminated,2024-01-01,1\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		series, err := ReadSeriesCSV(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error %q is not an InputError naming the file", err)
			}
			return
		}
		for i := range series {
			if err := series[i].Validate(); err != nil {
				t.Fatalf("accepted an invalid series: %v", err)
			}
		}
	})
}

func TestSeriesFromDemand(t *testing.T) {
	d := model.MustDate
	days := []model.DemandDay{
		{SKU: "B", Location: "L1", Channel: "web", Date: d("2024-01-03"), Units: 2},
		{SKU: "A", Location: "L1", Channel: "web", Date: d("2024-01-01"), Units: 1},
		{SKU: "A", Location: "L1", Channel: "shop", Date: d("2024-01-01"), Units: 4},
		{SKU: "A", Location: "L1", Channel: "shop", Date: d("2024-01-04"), Units: 0, Stockout: true},
		{SKU: "A", Location: "L2", Channel: "shop", Date: d("2024-01-02"), Units: 3},
	}
	s := SeriesFromDemand(days, nil)
	if len(s) != 3 || s[0].ID != "A@L1" || s[1].ID != "A@L2" || s[2].ID != "B@L1" {
		t.Fatalf("series %v", s)
	}
	a := s[0]
	if a.Start != d("2024-01-01") || fmt.Sprint(a.Values) != "[5 0 0 0]" || fmt.Sprint(a.Censored) != "[false false false true]" {
		t.Errorf("A@L1: start %s values %v censored %v", a.Start, a.Values, a.Censored)
	}
	if s[1].Censored != nil || fmt.Sprint(s[1].Values) != "[3]" {
		t.Errorf("A@L2: %v %v", s[1].Values, s[1].Censored)
	}
	for i := range s {
		if err := s[i].Validate(); err != nil {
			t.Error(err)
		}
	}
}
