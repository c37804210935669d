// Package report writes stockroom's workbook: stock and its status,
// reorder proposals with their reasons, forecast accuracy by model and
// category, anomalies and imports, each on its own sheet with a chart. It
// takes plain values; the caller gathers them from the store.
//
// A section whose engine has stored nothing yet still gets its sheet,
// with a note saying why it is empty, so a scheduled report always has the
// same shape.
package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/xuri/excelize/v2"
)

// Data is everything a report shows.
type Data struct {
	Store     string
	Generated time.Time
	AsOf      string // the store's latest data day

	Items, Locations int
	StockValue       float64
	Status           []StatusCount
	Stock            []StockLine // rows that need a look (not ok), worst first
	StockTruncated   int         // rows left out of Stock to keep the sheet bounded

	Proposals     []Proposal
	ProposalsNote string // why Proposals is empty, when it is
	Accuracy      []Accuracy
	AccuracyNote  string
	Anomalies     []Anomaly
	AnomaliesNote string
	Imports       []Import // newest first
}

// StatusCount is how many item×locations have a stock status.
type StatusCount struct {
	Status string
	Rows   int
}

// StockLine is one item×location.
type StockLine struct {
	SKU, Name, Category, Location string
	OnHand, OnOrder               int64
	AvgDaily                      float64
	CoverDays                     float64 // < 0 when nothing sells
	LastSale                      string
	Status                        string
}

// Proposal is one reorder proposal and why it says what it says.
type Proposal struct {
	ID                 int64
	SKU, Location      string
	Supplier           string
	Kind               string // purchase or transfer
	Qty                int64
	Value              float64
	State              string
	OnHand, OnOrder    int64
	ReorderPoint       float64
	OrderUpTo          float64
	SafetyStock        float64
	LeadTimeDays       float64
	ForecastLeadTime   float64 // demand expected over the lead time
	Reason             string
	DecidedBy, Decided string
}

// Accuracy is the backtest error of one model over one category.
type Accuracy struct {
	Model, Category       string
	Series                int
	MAE, RMSE, MASE, WAPE float64
	Bias                  float64
}

// Anomaly is one flagged point.
type Anomaly struct {
	ID                     int64
	SKU, Location, Date    string
	Detector               string
	Score, Value, Expected float64
	State, By              string
}

// Import is one imported file.
type Import struct {
	Finished                    time.Time
	Path, Kind, User            string
	RowsOK, Duplicate, Rejected int
	Error                       string
}

// The sheets, in order.
const (
	SheetStatus    = "Status"
	SheetStock     = "Stock"
	SheetProposals = "Proposals"
	SheetAccuracy  = "Forecast accuracy"
	SheetAnomalies = "Anomalies"
	SheetImports   = "Imports"
)

// Write writes the workbook to w.
func Write(w io.Writer, d Data) error {
	f := excelize.NewFile()
	defer f.Close()
	b := &book{f: f}
	b.styles()
	f.SetSheetName("Sheet1", SheetStatus)
	for _, s := range []string{SheetStock, SheetProposals, SheetAccuracy, SheetAnomalies, SheetImports} {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	for _, step := range []func(Data) error{b.status, b.stock, b.proposals, b.accuracy, b.anomalies, b.imports} {
		if err := step(d); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	f.SetActiveSheet(0)
	_, err := f.WriteTo(w)
	return err
}

type book struct {
	f                           *excelize.File
	title, head, note, num, pct int
}

func (b *book) styles() {
	b.title, _ = b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	b.head, _ = b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Border: []excelize.Border{{Type: "bottom", Color: "7F7F7F", Style: 1}}})
	b.note, _ = b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "7F7F7F"}})
	b.num, _ = b.f.NewStyle(&excelize.Style{NumFmt: 4})  // #,##0.00
	b.pct, _ = b.f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
}

func cell(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

// table writes a header and rows starting at (col, row) and returns the
// row after the last.
func (b *book) table(sheet string, col, row int, header []string, rows [][]any) int {
	hdr := make([]any, len(header))
	for i, h := range header {
		hdr[i] = h
	}
	b.f.SetSheetRow(sheet, cell(col, row), &hdr)
	b.f.SetCellStyle(sheet, cell(col, row), cell(col+len(header)-1, row), b.head)
	for i, r := range rows {
		b.f.SetSheetRow(sheet, cell(col, row+1+i), &r)
	}
	return row + 1 + len(rows)
}

func (b *book) noteAt(sheet, at, text string) {
	b.f.SetCellValue(sheet, at, text)
	b.f.SetCellStyle(sheet, at, at, b.note)
}

// ref is an absolute range reference for chart series.
func ref(sheet string, c1, r1, c2, r2 int) string {
	a, _ := excelize.CoordinatesToCellName(c1, r1, true)
	z, _ := excelize.CoordinatesToCellName(c2, r2, true)
	return fmt.Sprintf("'%s'!%s:%s", sheet, a, z)
}

func (b *book) chart(sheet, at string, typ excelize.ChartType, title string, series []excelize.ChartSeries) error {
	return b.f.AddChart(sheet, at, &excelize.Chart{
		Type:      typ,
		Series:    series,
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Format:    excelize.GraphicOptions{OffsetX: 10, OffsetY: 10},
		Dimension: excelize.ChartDimension{Width: 560, Height: 300},
	})
}

func (b *book) status(d Data) error {
	s := SheetStatus
	b.f.SetCellValue(s, "A1", "Stock report")
	b.f.SetCellStyle(s, "A1", "A1", b.title)
	info := [][]any{
		{"Store", d.Store},
		{"Generated", d.Generated.Format("2006-01-02 15:04 MST")},
		{"Data as of", d.AsOf},
		{"Items", d.Items},
		{"Locations", d.Locations},
		{"Stock value (at cost)", d.StockValue},
	}
	for i, r := range info {
		b.f.SetSheetRow(s, cell(1, 3+i), &r)
	}
	b.f.SetCellStyle(s, "B8", "B8", b.num)
	rows := make([][]any, len(d.Status))
	for i, st := range d.Status {
		rows[i] = []any{st.Status, st.Rows}
	}
	top := 11
	end := b.table(s, 1, top, []string{"Status", "Item×locations"}, rows)
	b.f.SetColWidth(s, "A", "A", 24)
	b.f.SetColWidth(s, "B", "B", 40)
	if len(rows) == 0 {
		b.noteAt(s, cell(1, end), "The store holds no stock yet.")
		return nil
	}
	return b.chart(s, "D3", excelize.Col, "Item×locations by stock status", []excelize.ChartSeries{{
		Name: ref(s, 2, top, 2, top), Categories: ref(s, 1, top+1, 1, end-1), Values: ref(s, 2, top+1, 2, end-1)}})
}

func (b *book) stock(d Data) error {
	s := SheetStock
	// Cover buckets for the chart, from the listed rows.
	buckets := []struct {
		name string
		max  float64
	}{{"out", 0}, {"< 7 days", 7}, {"7–14 days", 14}, {"14–28 days", 28}, {"28–90 days", 90}, {"> 90 days", 1e18}, {"no sales", -1}}
	counts := make([]int, len(buckets))
	for _, r := range d.Stock {
		switch {
		case r.OnHand <= 0:
			counts[0]++
		case r.CoverDays < 0:
			counts[len(counts)-1]++
		default:
			for i := 1; i < len(buckets)-1; i++ {
				if r.CoverDays < buckets[i].max {
					counts[i]++
					break
				}
			}
		}
	}
	// The chart's table sits to the right of the listing: the listing is
	// streamed, and a stream writes its rows in order, so the small table
	// is written into the same rows.
	header := []any{"SKU", "Name", "Category", "Location", "On hand", "On order", "Avg/day", "Cover days", "Last sale", "Status", "", "Cover", "Rows"}
	sw, err := b.f.NewStreamWriter(s)
	if err != nil {
		return err
	}
	sw.SetColWidth(2, 2, 32)
	sw.SetColWidth(12, 12, 14)
	sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	if err := sw.SetRow("A1", header, excelize.RowOpts{StyleID: b.head}); err != nil {
		return err
	}
	n := max(len(d.Stock), len(buckets)+2)
	for i := 0; i < n; i++ {
		row := make([]any, 13)
		if i < len(d.Stock) {
			r := d.Stock[i]
			var cover any = r.CoverDays
			if r.CoverDays < 0 {
				cover = ""
			}
			row = []any{r.SKU, r.Name, r.Category, r.Location, r.OnHand, r.OnOrder, round2(r.AvgDaily), cover, r.LastSale, r.Status, nil, nil, nil}
		}
		if i < len(buckets) {
			row[11], row[12] = buckets[i].name, counts[i]
		}
		if i == len(buckets)+1 {
			switch {
			case len(d.Stock) == 0:
				row[11] = "Every item×location is ok."
			case d.StockTruncated > 0:
				row[11] = fmt.Sprintf("%d more rows left out.", d.StockTruncated)
			}
		}
		if err := sw.SetRow(cell(1, i+2), row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return b.chart(s, "O2", excelize.Bar, "Rows needing a look, by cover", []excelize.ChartSeries{{
		Name: ref(s, 13, 1, 13, 1), Categories: ref(s, 12, 2, 12, 1+len(buckets)), Values: ref(s, 13, 2, 13, 1+len(buckets))}})
}

// finite is v, or an empty cell when v is not a number (Excel refuses
// a workbook with a NaN in it).
func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// round2 is v to two decimals, or an empty cell when v is not a number
// (an anomaly whose detector had no expectation).
func round2(v float64) any { return finite(math.Round(v*100) / 100) }

// groupSum sums v by key, in descending order of the sum.
func groupSum[T any](rows []T, key func(T) string, v func(T) float64) ([]string, []float64) {
	sums := map[string]float64{}
	for _, r := range rows {
		sums[key(r)] += v(r)
	}
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if sums[keys[i]] != sums[keys[j]] {
			return sums[keys[i]] > sums[keys[j]]
		}
		return keys[i] < keys[j]
	})
	vals := make([]float64, len(keys))
	for i, k := range keys {
		vals[i] = sums[k]
	}
	return keys, vals
}

// sideTable writes a two-column summary at column col and charts it.
func (b *book) sideTable(s string, col int, h1, h2 string, keys []string, vals []float64, typ excelize.ChartType, title, at string) error {
	rows := make([][]any, len(keys))
	for i := range keys {
		rows[i] = []any{keys[i], round2(vals[i])}
	}
	end := b.table(s, col, 1, []string{h1, h2}, rows)
	if len(rows) == 0 {
		return nil
	}
	return b.chart(s, at, typ, title, []excelize.ChartSeries{{
		Name: ref(s, col+1, 1, col+1, 1), Categories: ref(s, col, 2, col, end-1), Values: ref(s, col+1, 2, col+1, end-1)}})
}

func (b *book) proposals(d Data) error {
	s := SheetProposals
	header := []string{"ID", "SKU", "Location", "Supplier", "Kind", "Qty", "Value", "State", "On hand", "On order",
		"Reorder point", "Order up to", "Safety stock", "Lead time (days)", "Demand over lead time", "Reason", "Decided by", "Decided"}
	rows := make([][]any, len(d.Proposals))
	for i, p := range d.Proposals {
		rows[i] = []any{p.ID, p.SKU, p.Location, p.Supplier, p.Kind, p.Qty, round2(p.Value), p.State, p.OnHand, p.OnOrder,
			round2(p.ReorderPoint), round2(p.OrderUpTo), round2(p.SafetyStock), round2(p.LeadTimeDays), round2(p.ForecastLeadTime),
			p.Reason, p.DecidedBy, p.Decided}
	}
	end := b.table(s, 1, 1, header, rows)
	b.f.SetColWidth(s, "P", "P", 60)
	if len(rows) == 0 {
		b.noteAt(s, cell(1, end+1), note(d.ProposalsNote, "No reorder proposals are stored."))
		return nil
	}
	keys, vals := groupSum(d.Proposals, func(p Proposal) string { return p.Supplier }, func(p Proposal) float64 { return p.Value })
	return b.sideTable(s, len(header)+2, "Supplier", "Proposed value", keys, vals, excelize.Col, "Proposed value by supplier", cell(len(header)+5, 2))
}

func (b *book) accuracy(d Data) error {
	s := SheetAccuracy
	header := []string{"Model", "Category", "Series", "MAE", "RMSE", "MASE", "WAPE", "Bias"}
	rows := make([][]any, len(d.Accuracy))
	for i, a := range d.Accuracy {
		rows[i] = []any{a.Model, a.Category, a.Series, round2(a.MAE), round2(a.RMSE), round2(a.MASE), finite(a.WAPE), round2(a.Bias)}
	}
	end := b.table(s, 1, 1, header, rows)
	if len(rows) == 0 {
		b.noteAt(s, cell(1, end+1), note(d.AccuracyNote, "No forecast run has stored its backtest yet."))
		return nil
	}
	b.f.SetCellStyle(s, "G2", cell(7, end-1), b.pct)
	// WAPE by model, weighted by how many series each model won; a group
	// whose backtests sold nothing has none (NaN) and does not count.
	w := map[string][2]float64{}
	for _, a := range d.Accuracy {
		if math.IsNaN(a.WAPE) || math.IsInf(a.WAPE, 0) {
			continue
		}
		x := w[a.Model]
		w[a.Model] = [2]float64{x[0] + a.WAPE*float64(a.Series), x[1] + float64(a.Series)}
	}
	keys, _ := groupSum(d.Accuracy, func(a Accuracy) string { return a.Model }, func(a Accuracy) float64 { return float64(a.Series) })
	vals := make([]float64, len(keys))
	for i, k := range keys {
		if w[k][1] > 0 {
			vals[i] = w[k][0] / w[k][1]
		}
	}
	return b.sideTable(s, len(header)+2, "Model", "WAPE", keys, vals, excelize.Col, "Backtest WAPE by model", cell(len(header)+5, 2))
}

func (b *book) anomalies(d Data) error {
	s := SheetAnomalies
	header := []string{"ID", "SKU", "Location", "Date", "Detector", "Score", "Value", "Expected", "State", "By"}
	rows := make([][]any, len(d.Anomalies))
	for i, a := range d.Anomalies {
		rows[i] = []any{a.ID, a.SKU, a.Location, a.Date, a.Detector, round2(a.Score), a.Value, round2(a.Expected), a.State, a.By}
	}
	end := b.table(s, 1, 1, header, rows)
	if len(rows) == 0 {
		b.noteAt(s, cell(1, end+1), note(d.AnomaliesNote, "No anomalies are stored."))
		return nil
	}
	keys, vals := groupSum(d.Anomalies, func(a Anomaly) string { return a.Detector }, func(Anomaly) float64 { return 1 })
	return b.sideTable(s, len(header)+2, "Detector", "Anomalies", keys, vals, excelize.Pie, "Anomalies by detector", cell(len(header)+5, 2))
}

func (b *book) imports(d Data) error {
	s := SheetImports
	header := []string{"Finished", "File", "Kind", "Rows ok", "Duplicate", "Rejected", "Error", "By"}
	rows := make([][]any, len(d.Imports))
	type agg struct{ ok, rej float64 }
	byKind := map[string]*agg{}
	var kinds []string
	for i, im := range d.Imports {
		rows[i] = []any{im.Finished.Format("2006-01-02 15:04:05"), im.Path, im.Kind, im.RowsOK, im.Duplicate, im.Rejected, im.Error, im.User}
		k := im.Kind
		if k == "" {
			k = "(unread)"
		}
		if byKind[k] == nil {
			byKind[k] = &agg{}
			kinds = append(kinds, k)
		}
		byKind[k].ok += float64(im.RowsOK)
		byKind[k].rej += float64(im.Rejected)
	}
	end := b.table(s, 1, 1, header, rows)
	b.f.SetColWidth(s, "A", "A", 20)
	b.f.SetColWidth(s, "B", "B", 48)
	if len(rows) == 0 {
		b.noteAt(s, cell(1, end+1), "Nothing has been imported.")
		return nil
	}
	sort.Strings(kinds)
	col := len(header) + 2
	side := make([][]any, len(kinds))
	for i, k := range kinds {
		side[i] = []any{k, byKind[k].ok, byKind[k].rej}
	}
	send := b.table(s, col, 1, []string{"Kind", "Rows ok", "Rejected"}, side)
	return b.chart(s, cell(col+4, 2), excelize.ColStacked, "Imported rows by kind", []excelize.ChartSeries{
		{Name: ref(s, col+1, 1, col+1, 1), Categories: ref(s, col, 2, col, send-1), Values: ref(s, col+1, 2, col+1, send-1)},
		{Name: ref(s, col+2, 1, col+2, 1), Categories: ref(s, col, 2, col, send-1), Values: ref(s, col+2, 2, col+2, send-1)},
	})
}

func note(given, def string) string {
	if given != "" {
		return given
	}
	return def
}
