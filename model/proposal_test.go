package model

import (
	"encoding/json"
	"math"
	"testing"
)

func TestReasons_SummaryAndNotSold(t *testing.T) {
	r := Reasons{Position: 0, ReorderPoint: 6, SafetyStock: 1.9, Service: 0.9, ServiceKind: "fill_rate", Model: "sba",
		StockoutDate: "2026-11-26"}
	if got, want := r.Summary(), "position 0 < reorder point 6 (safety 2, 90% fill rate, sba); out on 2026-11-26"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if r.NotSoldText() != "" {
		t.Errorf("a recent seller warns: %q", r.NotSoldText())
	}
	r.NotSold = 161
	if got, want := r.Summary(), "position 0 < reorder point 6 (safety 2, 90% fill rate, sba); out on 2026-11-26; no sale for 161 days: still sold here?"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if got, want := r.NotSoldText(), "no sale here for 161 days: check it is still sold before ordering (reject it if it is delisted)"; got != want {
		t.Errorf("NotSoldText() = %q, want %q", got, want)
	}
}

// An edited quantity moves the cover after the order, and one that breaks
// the item's pack or minimum order is pointed out.
func TestProposal_EditedQty(t *testing.T) {
	p := Proposal{Kind: ProposalPurchase, Qty: 18, SuggestedQty: 18,
		Reasons: Reasons{Position: 19, DailyMean: 0.8, CoverAfter: 46.25, PackSize: 6, MOQ: 12}}
	if got := p.CoverAfter(); got != 46.25 {
		t.Errorf("cover after the suggested quantity: %g", got)
	}
	p.Qty = 7
	if got := p.CoverAfter(); math.Abs(got-32.5) > 1e-12 { // (19 + 7) / 0.8
		t.Errorf("cover after 7: %g, want 32.5", got)
	}
	for qty, want := range map[int64]string{
		18: "",
		7:  "not a whole number of packs of 6 (6 or 12 would be); under the minimum order of 12",
		13: "not a whole number of packs of 6 (12 or 18 would be)",
		6:  "under the minimum order of 12",
	} {
		if got := p.QtyWarning(qty); got != want {
			t.Errorf("QtyWarning(%d) = %q, want %q", qty, got, want)
		}
	}
	p.Kind = ProposalTransfer
	if got := p.QtyWarning(7); got != "" {
		t.Errorf("a transfer has no packs: %q", got)
	}
}

// Reasons without a backtest write their accuracy as null, not as a
// perfect 0; with one, as numbers; both read back as stored.
func TestReasons_JSONAccuracy(t *testing.T) {
	for _, r := range []Reasons{
		{Model: "naive", DailyMean: 3, ReorderPoint: 36},
		{Model: "sba", ForecastMAE: 1.02, ForecastMASE: 0.79, ForecastWAPE: 0.53, BacktestDays: 28, DailyMean: 1.7},
		{Model: "tsb", ForecastMAE: 0.4, ForecastMASE: 1.1, ForecastWAPE: math.NaN(), BacktestDays: 28},
	} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"forecast_mae", "forecast_mase", "forecast_wape"} {
			v, ok := m[k]
			if !ok {
				t.Errorf("%s: %s missing", b, k)
			}
			wantNull := r.BacktestDays == 0 || (k == "forecast_wape" && math.IsNaN(r.ForecastWAPE))
			if (v == nil) != wantNull {
				t.Errorf("%s: %s = %v, null wanted %v", b, k, v, wantNull)
			}
		}
		if m["model"] != r.Model || m["backtest_days"] != float64(r.BacktestDays) {
			t.Errorf("%s: other fields lost", b)
		}
		var back Reasons
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		want := r
		if math.IsNaN(want.ForecastWAPE) {
			want.ForecastWAPE = 0
		}
		if back.Model != want.Model || back.ForecastMAE != want.ForecastMAE || back.ForecastWAPE != want.ForecastWAPE || back.DailyMean != want.DailyMean {
			t.Errorf("round trip %+v, want %+v", back, want)
		}
	}
}
