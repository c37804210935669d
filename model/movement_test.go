package model

import (
	"strings"
	"testing"
)

// Quantities past MaxQty are refused wherever one enters: a ledger line,
// a sale, a count, a catalogue's pack and MOQ, an approval or an edit.
func TestMaxQty(t *testing.T) {
	d := MustDate("2026-11-02")
	const big = MaxQty + 1
	for name, err := range map[string]error{
		"movement":    Movement{Date: d, SKU: "A", Location: "L", Qty: big, Kind: Receipt, Ref: "R"}.Validate(),
		"movement -":  Movement{Date: d, SKU: "A", Location: "L", Qty: -big, Kind: Adjustment, Ref: "R"}.Validate(),
		"sale":        SaleLine{Date: d, OrderID: "O", SKU: "A", Location: "L", Channel: "web", Qty: big}.Validate(),
		"count":       StockCount{Date: d, SKU: "A", Location: "L", CountedQty: big}.Validate(),
		"pack":        Item{SKU: "A", Name: "a", PackSize: big}.Validate(),
		"moq":         Item{SKU: "A", Name: "a", PackSize: 1, MOQ: big}.Validate(),
		"approve qty": ProposalRequest{Action: ActApprove, User: "u", Qty: big}.Validate(),
		"edit qty":    ProposalRequest{Action: ActEdit, User: "u", Qty: big}.Validate(),
	} {
		if err == nil || !strings.Contains(err.Error(), "is beyond any stock (at most 1,000,000,000 units a line)") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := (Movement{Date: d, SKU: "A", Location: "L", Qty: MaxQty, Kind: Receipt, Ref: "R"}).Validate(); err != nil {
		t.Errorf("MaxQty itself: %v", err)
	}
}
