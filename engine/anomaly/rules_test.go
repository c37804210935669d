package anomaly

import (
	"math"
	"strings"
	"testing"

	"stockroom/model"
)

func day(i int) model.Date { return model.MustDate("2025-01-01").AddDays(i) }

// ledger builds consistent stock days from daily (in, sold, adjusted).
func ledger(open int64, moves [][3]int64) []StockDay {
	var out []StockDay
	for i, m := range moves {
		d := StockDay{Date: day(i), Open: open, In: m[0], Sold: m[1], Adjusted: m[2]}
		d.Close = d.Open + d.In - d.Sold + d.Adjusted
		out = append(out, d)
		open = d.Close
	}
	return out
}

func rulesOf(as []model.Anomaly) []string {
	var s []string
	for _, a := range as {
		s = append(s, a.Detector+"@"+a.Date.String())
	}
	return s
}

func TestStockRules_CheckStock(t *testing.T) {
	for _, c := range []struct {
		name  string
		open  int64
		moves [][3]int64
		want  []string
	}{
		{"clean", 10, [][3]int64{{0, 3, 0}, {5, 4, 0}, {0, 2, 0}, {0, 6, 0}}, nil},
		{"negative run flagged once", 3, [][3]int64{{0, 2, 0}, {0, 4, 0}, {0, 1, 0}, {10, 2, 0}, {0, 1, 0}},
			[]string{"negative_stock@2025-01-02"}},
		{"two negative runs", 1, [][3]int64{{0, 2, 0}, {5, 0, 0}, {0, 6, 0}},
			[]string{"negative_stock@2025-01-01", "negative_stock@2025-01-03"}},
		{"sale with nothing on the shelf", 0, [][3]int64{{0, 0, 0}, {0, 2, 0}},
			[]string{"negative_stock@2025-01-02", "sale_without_stock@2025-01-02"}},
		{"a receipt the same day explains the sale", 0, [][3]int64{{4, 2, 0}}, nil},
		{"write-off of most of the stock", 40, [][3]int64{{0, 2, 0}, {0, 1, -30}, {0, 1, 0}},
			[]string{"stock_vanished@2025-01-02"}},
		{"small write-off is no anomaly", 40, [][3]int64{{0, 2, -3}}, nil},
		{"half of tiny stock is below VanishUnits", 6, [][3]int64{{0, 0, -4}}, nil},
		{"an opening balance booked the day of the first sale", 0, [][3]int64{{0, 3, 40}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := rulesOf(StockRules{}.CheckStock("A", "DC", ledger(c.open, c.moves)))
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	// A count that finds 30 missing is Shrinkage's, not a vanishing.
	counted := ledger(40, [][3]int64{{0, 2, 0}})
	counted[0].Counted, counted[0].Close = -30, counted[0].Close-30
	if got := (StockRules{}).CheckStock("A", "DC", counted); len(got) != 0 {
		t.Errorf("count correction flagged: %v", rulesOf(got))
	}
	vs := StockRules{}.CheckStock("A", "DC", ledger(40, [][3]int64{{0, 0, -40}}))
	if len(vs) != 1 || vs[0].Score != 1 || vs[0].Observed != 0 || vs[0].Expected != 40 {
		t.Fatalf("all stock gone: %+v", vs)
	}
	if err := vs[0].Validate(); err != nil {
		t.Errorf("finding does not validate: %v", err)
	}
}

func TestShrinkage(t *testing.T) {
	counts := []CountCheck{
		{SKU: "A", Location: "DC", Date: day(0), Counted: 100, Ledger: 103}, // within 5%
		{SKU: "B", Location: "DC", Date: day(0), Counted: 10, Ledger: 12},   // within 2 units
		{SKU: "C", Location: "DC", Date: day(0), Counted: 10, Ledger: 40},   // 30 missing
		{SKU: "D", Location: "DC", Date: day(0), Counted: 50, Ledger: 40},   // 10 too many
		{SKU: "E", Location: "DC", Date: day(0), Counted: 0, Ledger: 3},     // 3 > 2 units
	}
	got := Shrinkage(counts, 0, 0)
	if len(got) != 3 || got[0].SKU != "C" || got[1].SKU != "D" || got[2].SKU != "E" {
		t.Fatalf("got %v", got)
	}
	// C: tolerance max(2, 2) = 2, gap 30: 15 tolerances.
	if want := severityScore(15); math.Abs(got[0].Score-want) > 1e-12 || got[0].Observed != 10 || got[0].Expected != 40 {
		t.Errorf("C: %+v", got[0])
	}
	if !strings.Contains(got[1].Detail, "more than booked") || !strings.Contains(got[0].Detail, "missing") {
		t.Errorf("details: %q, %q", got[0].Detail, got[1].Detail)
	}
	if got[2].Score <= 0.5 || got[2].Score >= got[0].Score {
		t.Errorf("E just past tolerance scored %g", got[2].Score)
	}
}

func TestDuplicateFiles(t *testing.T) {
	files := []FileDigest{
		{Name: "sales-2025-01.csv", Hash: "h1", LineHashes: []uint64{1, 2, 3, 4}},
		{Name: "sales-2025-02.csv", Hash: "h2", LineHashes: []uint64{5, 6, 7, 8}},
		{Name: "sales-2025-01-resend.csv", Hash: "h1", LineHashes: []uint64{1, 2, 3, 4}},
		{Name: "sales-2025-02-10-reexport.csv", Hash: "h3", LineHashes: []uint64{6, 7}},
		{Name: "sales-2025-03.csv", Hash: "h4", LineHashes: []uint64{9, 10, 8, 11}}, // one shared line only
	}
	got := DuplicateFiles(files, 0)
	if len(got) != 2 {
		t.Fatalf("got %d findings: %+v", len(got), got)
	}
	if got[0].Detector != RuleDuplicateFile || got[0].File != "sales-2025-01-resend.csv" || !strings.Contains(got[0].Detail, "sales-2025-01.csv") {
		t.Errorf("first: %+v", got[0])
	}
	if got[1].Detector != RuleOverlapExport || got[1].File != "sales-2025-02-10-reexport.csv" || !strings.Contains(got[1].Detail, "2 of 2 lines already in sales-2025-02.csv") {
		t.Errorf("second: %+v", got[1])
	}
	for _, a := range got {
		if err := a.Validate(); err != nil {
			t.Errorf("%s: %v", a.File, err)
		}
	}
}

func TestPriceBounds(t *testing.T) {
	lines := []PriceCheck{
		{SKU: "A", Date: day(0), Price: 9.99, ListPrice: 9.99},
		{SKU: "A", Date: day(1), Price: 999, ListPrice: 9.99}, // keyed 100× too high
		{SKU: "A", Date: day(2), Price: 0, ListPrice: 9.99},   // given away
		{SKU: "A", Date: day(3), Price: 2.5, ListPrice: 9.99}, // a 75% promotion: fine
		{SKU: "A", Date: day(4), Price: math.NaN(), ListPrice: 9.99},
	}
	got := PriceBounds{}.Prices(lines)
	if len(got) != 2 || got[0].Date != day(1) || got[1].Date != day(2) {
		t.Fatalf("got %v", rulesOf(got))
	}
	if got[0].Score < 0.99 || got[0].Expected != 9.99 {
		t.Errorf("100× price: %+v", got[0])
	}
	items := []model.Item{
		{SKU: "OK", Price: 10, UnitCost: 6},
		{SKU: "LOSS", Price: 10, UnitCost: 25}, // price is 0.4× cost
		{SKU: "FREE", Price: 0, UnitCost: 3},   // no price
		{SKU: "WILD", Price: 500, UnitCost: 2}, // 250× markup: a cost in pounds, price in pence
	}
	gi := PriceBounds{}.Costs(items, day(0))
	var skus []string
	for _, a := range gi {
		skus = append(skus, a.SKU)
	}
	if strings.Join(skus, ",") != "LOSS,FREE,WILD" {
		t.Fatalf("got %v", skus)
	}
}
