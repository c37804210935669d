package model

import "testing"

func TestThousandsAndMoney(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 652245: "652,245",
		1234567: "1,234,567", -1234: "-1,234", -999: "-999"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for x, want := range map[float64]string{0: "0.00", 652245.3: "652,245.30", 999.995: "1,000.00", 1234.5: "1,234.50",
		-1234.5: "-1,234.50", -0.001: "0.00", 0.5: "0.50"} {
		if got := Money(x); got != want {
			t.Errorf("Money(%g) = %q, want %q", x, got, want)
		}
	}
}
