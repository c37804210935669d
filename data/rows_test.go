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
