package data_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"stockroom/data"
	"stockroom/model"
)

// A sales export kept in Excel imports like its CSV: dates stored as
// Excel dates (whatever their display format) and as ISO text, numbers
// as numbers, a blank row skipped, a short row padded, rows numbered as
// the sheet numbers them, on the active sheet.
func TestImport_Workbook(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items")
	f := excelize.NewFile()
	defer f.Close()
	f.NewSheet("notes")
	f.SetCellValue("notes", "A1", "not this sheet")
	sheet := "Sales"
	f.SetSheetName("Sheet1", sheet)
	rows := [][]any{
		{"Date", "Order ID", "SKU", "Location", "Channel", "Qty", "Price"},
		{time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), "SO-1", "HMR-16", "DC1", "web", 2, 12.5},
		{"2026-11-03", "SO-2", "HMR-16", "DC1", "web", 1, 12.5},
		{},
		{time.Date(2026, 11, 4, 15, 30, 0, 0, time.UTC), "SO-3", "DRL-18V", "DC1", "web", "two", 89.99},
		{time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC), "SO-4", "DRL-18V", "DC1", "web", 3},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	// UK display: the cell shows 02/11/2026, the value is still the day.
	style, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("dd/mm/yyyy")})
	f.SetCellStyle(sheet, "A2", "A2", style)
	idx, _ := f.GetSheetIndex(sheet)
	f.SetActiveSheet(idx)
	path := filepath.Join(t.TempDir(), "sales-nov.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	if k := data.PeekKind(path); k != data.KindSales {
		t.Errorf("PeekKind = %q", k)
	}
	res, err := st.ImportFile(context.Background(), path, data.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []data.RowError{{Line: 5, Column: "Qty", Reason: `not a number: "two"`}}
	if res.Format != data.FormatXLSX || res.Kind != data.KindSales || res.RowsOK != 3 || !reflect.DeepEqual(res.Errors, want) {
		t.Fatalf("result %+v", res)
	}
	h, err := st.History(context.Background(), "HMR-16", "DC1", model.MustDate("2026-11-04"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[model.Date]float64{}
	for i, u := range h.Units {
		if u != 0 {
			got[h.Start.AddDays(i)] = u
		}
	}
	if !reflect.DeepEqual(got, map[model.Date]float64{model.MustDate("2026-11-02"): 2, model.MustDate("2026-11-03"): 1}) {
		t.Errorf("HMR-16 sales by day %v", got)
	}
	if s := stockMap(t, st); s[stockKey{"DRL-18V", "DC1"}] != -3 {
		t.Errorf("DRL-18V stock %d, want -3 (SO-4 without a price)", s[stockKey{"DRL-18V", "DC1"}])
	}
	// The same workbook again counts nothing twice, as any file: its rows
	// are already in the ledger (it was not a clean import, so it is read).
	if again, _ := st.ImportFile(context.Background(), path, data.ImportOptions{}); again.RowsOK != 0 || again.RowsDuplicate != 3 {
		t.Errorf("second import %+v", again)
	}
}

func ptr[T any](v T) *T { return &v }

// BenchmarkImportWorkbook imports a 100,000-line sales workbook written
// here with excelize's stream writer (dates as date cells; 500 SKUs, two
// locations):
//
//	go test ./data -run '^$' -bench ImportWorkbook -benchtime 3x
func BenchmarkImportWorkbook(b *testing.B) {
	dir := b.TempDir()
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	sw.SetRow("A1", []any{"date", "order_id", "sku", "location", "channel", "qty", "price"})
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	const lines = 100000
	for i := range lines {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		sw.SetRow(cell, []any{start.AddDate(0, 0, i%28), fmt.Sprintf("O%d", i), fmt.Sprintf("S%04d", i%500),
			[]string{"DC1", "ST1"}[i%2], "web", 1 + i%3, 9.99})
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	book := filepath.Join(dir, "sales.xlsx")
	if err := f.SaveAs(book); err != nil {
		b.Fatal(err)
	}
	f.Close()
	var items strings.Builder
	items.WriteString("sku,name\n")
	for i := range 500 {
		fmt.Fprintf(&items, "S%04d,Item %d\n", i, i)
	}
	itemsCSV := mustWriteFile(b, dir, "items.csv", items.String())
	locs := mustWriteFile(b, dir, "locations.csv", "code,name,kind\nDC1,Depot,depot\nST1,Store,store\n")
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := benchStore(b, filepath.Join(dir, fmt.Sprintf("s%d.db", i)), locs, itemsCSV)
		b.StartTimer()
		r, err := st.ImportFile(ctx, book, data.ImportOptions{})
		b.StopTimer()
		if err != nil || r.RowsOK != lines {
			b.Fatalf("workbook: %v %+v", err, r)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
