package anomaly

import (
	"fmt"
	"math"
	"reflect"
	"slices"
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

// monthlyCounts are counts of one item every 30 days, each finding
// loss[i] units fewer than the ledger's 60 after sold[i] units sold.
func monthlyCounts(sold, loss []int64) []CountCheck {
	var out []CountCheck
	since := day(0)
	for i := range loss {
		d := day(30 * (i + 1))
		out = append(out, CountCheck{SKU: "A", Location: "ST1", Date: d, Counted: 60 - loss[i], Ledger: 60, Since: since, Sold: sold[i]})
		since = d
	}
	return out
}

func repeat(v int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestShrinkRules_Check(t *testing.T) {
	// 300 units sold a month and 1–2% of them lost: ordinary shrink, even
	// though 3 to 7 units is well past the 2-unit tolerance.
	ordinary := []int64{4, 6, 3, 5, 7, 4, 5, 3, 6, 4, 5, 6}
	for _, c := range []struct {
		name      string
		sold      []int64
		loss      []int64
		want      []int // indexes of the counts that alert
		minScore  float64
		wantShare string
	}{
		{"ordinary monthly shrink", repeat(300, 12), ordinary, nil, 0, ""},
		{"within tolerance on a slow item", repeat(5, 6), []int64{1, 2, 0, 2, 1, 2}, nil, 0, ""},
		{"theft of most of the stock after a year of ordinary shrink", repeat(300, 13), append(append([]int64(nil), ordinary...), 52),
			[]int{12}, 0.9, "52 units missing"},
		{"theft on a slow item: most of little stock", repeat(10, 4), []int64{0, 1, 0, 50}, []int{3}, 0.9, "50 units missing"},
		{"a first count already far beyond the usual rate", []int64{300}, []int64{30}, []int{0}, 0.5, "30 units missing"},
		{"a first count within the usual rate", []int64{300}, []int64{8}, nil, 0, ""},
		{"stock found that was never booked", repeat(300, 3), []int64{5, 4, -20}, []int{2}, 0.9, "20 units more than booked"},
	} {
		t.Run(c.name, func(t *testing.T) {
			counts := monthlyCounts(c.sold, c.loss)
			got := ShrinkRules{}.Check(counts)
			var idx []int
			for _, a := range got {
				idx = append(idx, int(a.Date-day(0))/30-1)
				if a.Detector != RuleShrinkage || a.Score < c.minScore || a.Score > 1 || a.Expected != 60 {
					t.Errorf("%s: %+v", a.Date, a)
				}
				if !strings.Contains(a.Detail, c.wantShare) {
					t.Errorf("detail %q lacks %q", a.Detail, c.wantShare)
				}
				if err := a.Validate(); err != nil {
					t.Errorf("finding does not validate: %v", err)
				}
			}
			if fmt.Sprint(idx) != fmt.Sprint(c.want) && !(len(idx) == 0 && len(c.want) == 0) {
				t.Errorf("alerts at counts %v, want %v", idx, c.want)
			}
		})
	}
}

func TestShrinkRules_Check_score(t *testing.T) {
	// A first count with 300 sold expects 6 lost (the 2% prior), spread
	// sqrt(7): the score is 0.5 at 3 spreads and grows with the loss.
	score := func(loss int64) float64 {
		got := ShrinkRules{}.Check(monthlyCounts([]int64{300}, []int64{loss}))
		if len(got) == 0 {
			return 0
		}
		return got[0].Score
	}
	edge := 6 + 3*math.Sqrt(7) // 13.9 units
	if s := score(int64(math.Floor(edge))); s != 0 {
		t.Errorf("just below 3 spreads: scored %g", s)
	}
	z := (14 - 6) / math.Sqrt(7)
	if s, want := score(14), severityScore(z/3); math.Abs(s-want) > 1e-12 || s < 0.5 {
		t.Errorf("14 lost: score %g, want %g", s, want)
	}
	if !(score(20) > score(14) && score(40) > score(20)) {
		t.Errorf("scores do not grow with the loss: %g %g %g", score(14), score(20), score(40))
	}
	if s := score(60); s != 1 {
		t.Errorf("everything gone: score %g, want 1", s)
	}
	// A shop that steadily loses 5% alerts at first, then its own
	// baseline takes over.
	got := ShrinkRules{}.Check(monthlyCounts(repeat(300, 24), repeat(15, 24)))
	if len(got) == 0 || len(got) > 6 || got[len(got)-1].Date > day(30*8) {
		t.Errorf("steady 5%% shrink: alerts %v", rulesOf(got))
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
	// Thirty days of B at 5× a list price that is wrong, at two prices
	// (25 and 26): one finding about the list price, on its first day. C,
	// out of bounds on four days only, and D, out at prices all over the
	// place, keep a finding a day; so does E, out on 5 of its 10 days.
	var run []PriceCheck
	for d := range 30 {
		run = append(run, PriceCheck{SKU: "B", Location: "DC1", Channel: "web", Date: day(d), Price: 25 + float64(d%2), ListPrice: 5})
		if d < 4 {
			run = append(run, PriceCheck{SKU: "C", Location: "DC1", Channel: "web", Date: day(d), Price: 40, ListPrice: 5})
		}
		if d < 6 {
			run = append(run, PriceCheck{SKU: "D", Location: "DC1", Channel: "web", Date: day(d), Price: 20 * float64(d+1), ListPrice: 5})
		}
		if d < 10 {
			p := 5.0
			if d%2 == 0 {
				p = 30
			}
			run = append(run, PriceCheck{SKU: "E", Location: "DC1", Channel: "web", Date: day(d), Price: p, ListPrice: 5})
		}
	}
	got = PriceBounds{}.Prices(run)
	per := map[string]int{}
	for _, a := range got {
		per[a.SKU]++
	}
	if per["B"] != 1 || per["C"] != 4 || per["D"] != 6 || per["E"] != 5 {
		t.Fatalf("findings per sku %v, want B 1, C 4, D 6, E 5", per)
	}
	for _, a := range got {
		if a.SKU == "B" && (a.Date != day(0) || a.Observed != 25.5 || a.Channel != "web" ||
			a.Detail != fmt.Sprintf("30 days of B's sales here, %s to %s, at about 5.1× the list price 5.00: is the list price (or its unit) right?", day(0), day(29))) {
			t.Errorf("B's finding %+v", a)
		}
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

// Transfers pair by ref: what a location sent that no other location
// received, past the grace days, is one finding at the sender on the day
// it left, scored by the share missing.
func TestCheckTransfers(t *testing.T) {
	d0 := model.MustDate("2026-10-01")
	ts := []Transfer{
		{"DC1", d0, -5, "TR-1"}, {"ST1", d0.AddDays(1), 5, "TR-1"}, // received whole
		{"DC1", d0, -4, "TR-2"}, {"ST2", d0.AddDays(2), 1, "TR-2"}, // 3 lost
		{"DC1", d0.AddDays(20), -3, "TR-3"},                                   // still on the road
		{"ST1", d0.AddDays(2), -2, "TR-4"}, {"ST1", d0.AddDays(3), 2, "TR-4"}, // put back where it left: not received
		{"DC1", d0, -7, ""}, // no ref: nothing to pair
	}
	got := CheckTransfers("G", ts, d0.AddDays(30), TransferGraceDays)
	type f struct {
		loc              string
		day              model.Date
		score, obs, want float64
	}
	var fs []f
	for _, a := range got {
		if a.Detector != RuleTransferLost || a.SKU != "G" || !a.Refresh {
			t.Errorf("finding %+v", a)
		}
		fs = append(fs, f{a.Location, a.Date, a.Score, a.Observed, a.Expected})
	}
	want := []f{{"DC1", d0, 0.875, 1, 4}, {"ST1", d0.AddDays(2), 1, 0, 2}}
	if !reflect.DeepEqual(fs, want) {
		t.Errorf("findings %+v, want %+v", fs, want)
	}
	if got[0].Detail != "TR-2: 4 sent from DC1, 1 received elsewhere" {
		t.Errorf("detail %q", got[0].Detail)
	}
	// Fifteen days on, the third is late too.
	later := CheckTransfers("G", ts, d0.AddDays(35), TransferGraceDays)
	if len(later) != 3 || !slices.ContainsFunc(later, func(a model.Anomaly) bool { return a.Date == d0.AddDays(20) && a.Expected == 3 }) {
		t.Errorf("later: %+v", later)
	}
}
