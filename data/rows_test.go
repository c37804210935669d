package data

import "testing"

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
