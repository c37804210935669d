package engine

import (
	"testing"

	"stockroom/data"
	"stockroom/engine/replenish"
	"stockroom/model"
)

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

// An out-of-stock alert says how much is forecast to sell, and a slow
// mover's rate is not rounded away to 0.0.
func TestAlertsFor_OutOfStockRate(t *testing.T) {
	for _, tc := range []struct {
		daily float64
		want  string
	}{{0.04, "nothing on hand; 0.04 a day forecast"}, {0.5, "nothing on hand; 0.50 a day forecast"}, {12.34, "nothing on hand; 12.3 a day forecast"}} {
		it := &planItem{info: &data.PlanItem{LastSale: model.MustDate("2026-11-20")}, levels: replenish.Levels{DailyMean: tc.daily}}
		as := alertsFor(it, PlanOptions{OverstockDays: 180, DeadDays: 90}, model.MustDate("2026-11-25"))
		if len(as) == 0 || as[0].Kind != model.AlertOutOfStock || as[0].Detail != tc.want || as[0].Value != tc.daily {
			t.Errorf("daily %g: alerts %+v, want first %q", tc.daily, as, tc.want)
		}
	}
}
