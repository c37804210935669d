package report_test

import (
	"archive/zip"
	"bytes"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"stockroom/engine/report"
)

func sample() report.Data {
	return report.Data{
		Store: "/srv/depot.db", Generated: time.Date(2026, 3, 9, 6, 0, 0, 0, time.UTC), AsOf: "2026-03-08",
		Items: 3, Locations: 2, StockValue: 1234.5,
		Status: []report.StatusCount{{"out", 1}, {"low", 1}, {"ok", 4}},
		Stock: []report.StockLine{
			{SKU: "DRL-18V", Name: "Cordless drill", Category: "tools", Location: "DC1", OnHand: 0, AvgDaily: 2.5, CoverDays: 0, LastSale: "2026-03-07", Status: "out"},
			{SKU: "HMR-16", Name: "Claw hammer", Category: "tools", Location: "DC1", OnHand: 4, AvgDaily: 1, CoverDays: 4, LastSale: "2026-03-08", Status: "low"},
			{SKU: "SEED-T", Name: "Tomato seeds", Category: "garden", Location: "ST1", OnHand: 9, CoverDays: -1, Status: "idle"},
		},
		Proposals: []report.Proposal{
			{ID: 7, SKU: "DRL-18V", Location: "DC1", Supplier: "BOSCHI", Kind: "purchase", Qty: 24, Value: 1200, State: "proposed",
				ReorderPoint: 12.4, OrderUpTo: 24, SafetyStock: 5.1, LeadTimeDays: 7, ForecastLeadTime: 17.5,
				Reason: "on hand 0 + on order 0 ≤ reorder point 12.4; order up to 24 in packs of 6"},
			{ID: 8, SKU: "HMR-16", Location: "DC1", Supplier: "ACME", Kind: "purchase", Qty: 10, Value: 90, State: "approved", DecidedBy: "olga (SHA256:x)"},
		},
		AccuracyNote: "The forecast engine has not stored a backtest yet.",
		Imports: []report.Import{
			{Finished: time.Date(2026, 3, 8, 22, 0, 0, 0, time.UTC), Path: "/drop/sales-0308.csv", Kind: "sales", RowsOK: 120, Rejected: 3},
			{Finished: time.Date(2026, 3, 8, 21, 0, 0, 0, time.UTC), Path: "/drop/items.csv", Kind: "items", RowsOK: 3},
			{Finished: time.Date(2026, 3, 8, 20, 0, 0, 0, time.UTC), Path: "/drop/sales-0307.csv", Kind: "sales", RowsOK: 80},
		},
	}
}

func TestWrite(t *testing.T) {
	var buf bytes.Buffer
	if err := report.Write(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{report.SheetStatus, report.SheetStock, report.SheetProposals, report.SheetAccuracy, report.SheetAnomalies, report.SheetImports}
	if got := f.GetSheetList(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("sheets %v", got)
	}
	get := func(sheet, c string) string {
		t.Helper()
		v, err := f.GetCellValue(sheet, c)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	checks := []struct{ sheet, cell, want string }{
		{report.SheetStatus, "B3", "/srv/depot.db"},
		{report.SheetStatus, "B5", "2026-03-08"},
		{report.SheetStatus, "A12", "out"},
		{report.SheetStatus, "B14", "4"},
		{report.SheetStock, "A2", "DRL-18V"},
		{report.SheetStock, "J3", "low"},
		{report.SheetStock, "H4", ""}, // no sales: no cover
		{report.SheetStock, "L2", "out"},
		{report.SheetStock, "M2", "1"}, // one row out of stock
		{report.SheetStock, "M3", "1"}, // one under 7 days
		{report.SheetStock, "M8", "1"}, // one with no sales
		{report.SheetProposals, "P2", "on hand 0 + on order 0 ≤ reorder point 12.4; order up to 24 in packs of 6"},
		{report.SheetProposals, "Q3", "olga (SHA256:x)"},
		{report.SheetProposals, "T2", "BOSCHI"}, // value by supplier, largest first
		{report.SheetProposals, "U3", "90"},
		{report.SheetAccuracy, "A3", "The forecast engine has not stored a backtest yet."},
		{report.SheetAnomalies, "A3", "No anomalies are stored."},
		{report.SheetImports, "B2", "/drop/sales-0308.csv"},
		{report.SheetImports, "J2", "items"},
		{report.SheetImports, "K3", "200"}, // sales rows ok summed
		{report.SheetImports, "L3", "3"},
	}
	for _, c := range checks {
		if got := get(c.sheet, c.cell); got != c.want {
			t.Errorf("%s!%s = %q, want %q", c.sheet, c.cell, got, c.want)
		}
	}
	// Charts: one on every sheet that has data, none on the empty ones.
	charts := chartsBySheet(t, buf.Bytes())
	for sheet, n := range map[string]int{report.SheetStatus: 1, report.SheetStock: 1, report.SheetProposals: 1,
		report.SheetAccuracy: 0, report.SheetAnomalies: 0, report.SheetImports: 1} {
		if charts[sheet] != n {
			t.Errorf("%s has %d charts, want %d", sheet, charts[sheet], n)
		}
	}
}

// chartsBySheet counts the charts each sheet's drawing holds, reading the
// package parts directly.
func chartsBySheet(t *testing.T, b []byte) map[string]int {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		for _, f := range z.File {
			if f.Name == name {
				rc, _ := f.Open()
				defer rc.Close()
				s, _ := io.ReadAll(rc)
				return string(s)
			}
		}
		return ""
	}
	wb := read("xl/workbook.xml")
	rels := read("xl/_rels/workbook.xml.rels")
	out := map[string]int{}
	for _, m := range regexp.MustCompile(`<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"`).FindAllStringSubmatch(wb, -1) {
		target := regexp.MustCompile(`Id="` + m[2] + `"[^>]*Target="([^"]+)"`).FindStringSubmatch(rels)
		if target == nil {
			target = regexp.MustCompile(`Target="([^"]+)"[^>]*Id="` + m[2] + `"`).FindStringSubmatch(rels)
		}
		if target == nil {
			t.Fatalf("no part for sheet %s", m[1])
		}
		part := strings.TrimPrefix(target[1], "/xl/")
		sheetRels := read("xl/worksheets/_rels/" + strings.TrimPrefix(part, "worksheets/") + ".rels")
		d := regexp.MustCompile(`Target="\.\./drawings/(drawing\d+\.xml)"`).FindStringSubmatch(sheetRels)
		if d == nil {
			continue
		}
		out[m[1]] = strings.Count(read("xl/drawings/_rels/"+d[1]+".rels"), `Target="../charts/`)
	}
	return out
}

// A detector with no expectation leaves the cell empty (a NaN would make a
// workbook Excel refuses), and negative figures round like positive ones.
func TestWrite_NaNAndNegatives(t *testing.T) {
	d := sample()
	d.Anomalies = []report.Anomaly{{ID: 1, SKU: "sales-07.csv", Date: "2026-03-08", Detector: "duplicate_file", Score: 1, Value: 1, Expected: math.NaN(), State: "open"}}
	// A group whose backtests sold nothing has no WAPE (and one with no
	// backtest no MASE or bias): empty cells, never NaN.
	d.Accuracy = []report.Accuracy{{Model: "sba", Category: "tools", Series: 2, MAE: 1.234, RMSE: 2, MASE: 0.9, WAPE: 0.5, Bias: -1.234},
		{Model: "sba", Category: "garden", Series: 3, MAE: 0.5, RMSE: 0.6, MASE: math.NaN(), WAPE: math.NaN(), Bias: math.NaN()}}
	var buf bytes.Buffer
	if err := report.Write(&buf, d); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, c := range []struct{ sheet, cell, want string }{
		{report.SheetAnomalies, "H2", ""},
		{report.SheetAnomalies, "E2", "duplicate_file"},
		{report.SheetAccuracy, "H2", "-1.23"},
		{report.SheetAccuracy, "D2", "1.23"},
		{report.SheetAccuracy, "G3", ""},
		{report.SheetAccuracy, "F3", ""},
		{report.SheetAccuracy, "H3", ""},
	} {
		if got, _ := f.GetCellValue(c.sheet, c.cell); got != c.want {
			t.Errorf("%s!%s = %q, want %q", c.sheet, c.cell, got, c.want)
		}
	}
	for _, sheet := range f.GetSheetList() {
		rows, _ := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		for i, r := range rows {
			for j, v := range r {
				if strings.EqualFold(v, "NaN") || strings.EqualFold(v, "-NaN") {
					t.Errorf("%s row %d col %d holds %q", sheet, i+1, j+1, v)
				}
			}
		}
	}
}
