package model

import (
	"strconv"
	"strings"
)

// Thousands formats n with thousands separators, as the console and the
// command line show counts: 1,234,567; -1,234.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	return sign + group(s)
}

// Money formats an amount with two decimals and thousands separators:
// 1,234.50. Anything that rounds to zero prints as 0.00, never -0.00.
func Money(x float64) string {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	sign := ""
	if strings.HasPrefix(s, "-") {
		s = s[1:]
		if s != "0.00" {
			sign = "-"
		}
	}
	whole, frac, _ := strings.Cut(s, ".")
	return sign + group(whole) + "." + frac
}

// group puts a comma between every three digits from the right.
func group(digits string) string {
	var b strings.Builder
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(digits[i])
	}
	return b.String()
}
