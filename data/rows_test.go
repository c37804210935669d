package data

import (
	"io"
	"testing"
)

func TestPlainNumber(t *testing.T) {
	cases := []struct {
		in           string
		decimalComma bool
		want         string
		ok           bool
	}{
		{"12", false, "12", true},
		{"1,234", false, "1234", true},
		{"-1,234,567.25", false, "-1234567.25", true},
		{"1,5", false, "", false},
		{"12,0", false, "", false},
		{",123", false, "", false},
		{"1234,567", false, "", false},
		{"1.5,0", false, "", false},
		{"2,50", true, "2.50", true},
		{"1.089,99", true, "1089.99", true},
		{"-1.234.567,5", true, "-1234567.5", true},
		{"2.50", true, "2.50", true},
		{"1.2,3", true, "", false},
		{"1,2.3", true, "", false},
	}
	for _, c := range cases {
		got, ok := plainNumber(c.in, c.decimalComma)
		if got != c.want || ok != c.ok {
			t.Errorf("plainNumber(%q, %v) = %q, %v; want %q, %v", c.in, c.decimalComma, got, ok, c.want, c.ok)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"qty", "qty", 0}, {"qunatity", "quantity", 1}, {"skus", "sku", 1}, {"locaton", "location", 1}, {"", "abc", 3}, {"order", "ordre", 1}, {"date", "name", 2}} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestNoCurrency(t *testing.T) {
	for in, want := range map[string]string{"£5.99": "5.99", "$1,299.00": "1,299.00", "5,99 €": "5,99", "12.5": "12.5", "€ 3": "3"} {
		if got := noCurrency(in); got != want {
			t.Errorf("noCurrency(%q) = %q, want %q", in, got, want)
		}
	}
}

// quoteScan tells UTF-8 from not however the bytes are cut into writes:
// a rune split between two writes is UTF-8, one cut at the end is not.
func TestQuoteScan_UTF8(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"plain ascii", true},
		{"Café crème brûlée – 😀", true},
		{"Caf\xe9", false},  // Windows-1252 é
		{"Café\xff", false}, // a byte UTF-8 never has
		{"ends in a cut rune \xe2\x82", false},
	} {
		for cut := 1; cut <= 5; cut++ {
			q := quoteScan{w: io.Discard, valid: true}
			b := []byte(tc.text)
			for len(b) > 0 {
				n := min(cut, len(b))
				q.Write(b[:n])
				b = b[n:]
			}
			if got := q.valid && len(q.carry) == 0; got != tc.want {
				t.Errorf("%q in writes of %d: UTF-8 %v, want %v", tc.text, cut, got, tc.want)
			}
		}
	}
}
