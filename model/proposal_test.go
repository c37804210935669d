package model

import "testing"

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
