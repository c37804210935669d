package engine

import "testing"

func TestIntermittent(t *testing.T) {
	tests := []struct {
		units    []float64
		censored []bool
		want     bool
	}{
		{[]float64{0, 0, 3, 0, 0, 1, 0, 0}, nil, true},                 // a sale in 4 days
		{[]float64{1, 2, 0, 1, 1}, nil, false},                         // 4 in 5
		{[]float64{1, 0, 1, 0, 1, 0, 1, 0, 1, 1}, nil, true},           // 6 in 10: below 1/1.32
		{[]float64{1, 0, 1, 1, 1, 1, 1, 1, 0, 1}, nil, false},          // 8 in 10
		{[]float64{0, 0, 0, 1, 1, 1}, []bool{true, true, true}, false}, // days out of stock are not observed
		{nil, nil, false},
	}
	for _, tt := range tests {
		if got := intermittent(tt.units, tt.censored); got != tt.want {
			t.Errorf("intermittent(%v, %v) = %v, want %v", tt.units, tt.censored, got, tt.want)
		}
	}
}
