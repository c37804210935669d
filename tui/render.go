package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/NimbleMarkets/ntcharts/sparkline"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"stockroom/model"
)

// Pure rendering: values in, strings out. Nothing here touches a model.

// colID names a stock table column.
type colID int

const (
	colSKU colID = iota
	colName
	colLoc
	colOnHand
	colOnOrder
	colAvg
	colCover
	colSpark
	colStatus
	colROP
	colFlag
)

// colSpec is a column's title, width range, alignment and priority (lower
// survives longer when the terminal is narrow).
type colSpec struct {
	id       colID
	title    string
	min, max int
	right    bool
	prio     int
}

// stockCols in display order.
var stockCols = []colSpec{
	{colFlag, "!", 1, 1, false, 2},
	{colSKU, "SKU", 10, 16, false, 0},
	{colName, "NAME", 16, 48, false, 6},
	{colLoc, "LOC", 4, 8, false, 2},
	{colOnHand, "ON HAND", 8, 9, true, 1},
	{colOnOrder, "ON ORD", 6, 8, true, 8},
	{colROP, "ROP", 5, 7, true, 7},
	{colAvg, "AVG/DAY", 7, 7, true, 9},
	{colCover, "COVER", 5, 6, true, 4},
	{colSpark, "SALES 30D", 12, 30, false, 5},
	{colStatus, "STATUS", 6, 6, false, 3},
}

// column is a laid-out column.
type column struct {
	colSpec
	width int
}

// layoutColumns fits the columns into width: columns are dropped from the
// lowest priority up until the minimum widths fit, then the spare room
// widens the sparkline and the name up to their maximum, then the rest.
func layoutColumns(width int) []column {
	const gap = 1
	keep := make([]bool, len(stockCols))
	for i := range keep {
		keep[i] = true
	}
	need := func() int {
		n := 0
		for i, c := range stockCols {
			if keep[i] {
				n += c.min + gap
			}
		}
		return n - gap
	}
	for need() > width {
		worst := -1
		for i, c := range stockCols {
			if keep[i] && c.prio > 0 && (worst < 0 || c.prio > stockCols[worst].prio) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		keep[worst] = false
	}
	var cols []column
	for i, c := range stockCols {
		if keep[i] {
			cols = append(cols, column{c, c.min})
		}
	}
	spare := width - need()
	grow := func(id colID) {
		for i := range cols {
			if cols[i].id == id && spare > 0 {
				add := min(spare, cols[i].max-cols[i].width)
				cols[i].width += add
				spare -= add
			}
		}
	}
	for _, id := range []colID{colSKU, colLoc, colSpark, colName, colOnHand, colCover} {
		grow(id)
	}
	// Whatever is left goes to the name: wide terminals show whole names.
	for i := range cols {
		if cols[i].id == colName {
			cols[i].width += spare
		}
	}
	return cols
}

// fit pads or cuts s to exactly w cells.
func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	pad := strings.Repeat(" ", w-sw)
	if right {
		return pad + s
	}
	return s + pad
}

// headerLine renders the column titles, marking the sort column.
func headerLine(cols []column, sort model.StockSort, desc bool) string {
	arrow := "▲"
	if desc {
		arrow = "▼"
	}
	sorted := map[model.StockSort]colID{model.SortSKU: colSKU, model.SortName: colName, model.SortLocation: colLoc,
		model.SortOnHand: colOnHand, model.SortCover: colCover, model.SortAvgDaily: colAvg}[sort]
	parts := make([]string, len(cols))
	for i, c := range cols {
		t := c.title
		if c.id == sorted {
			t += arrow
		}
		parts[i] = fit(t, c.width, c.right)
	}
	return strings.Join(parts, " ")
}

// rowExtra is what a stock row shows beyond the stock itself: its
// reorder point from the last recompute and its open anomalies.
type rowExtra struct {
	ROP       int64
	Planned   bool // ROP is known
	Anomalies int
}

// belowROP reports whether a row's stock and what is on order are under
// its reorder point: what the last recompute proposed an order for, even
// when days of cover still say ok (a long lead time).
func belowROP(r model.StockRow, x rowExtra) bool {
	return x.Planned && r.OnHand+r.OnOrder < x.ROP
}

// stockCells renders one row's cells as plain text (no colour), plus the
// status, which the caller colours.
func stockCells(r model.StockRow, x rowExtra, asOf model.Date, spark string, cols []column) []string {
	cells := make([]string, len(cols))
	for i, c := range cols {
		var s string
		switch c.id {
		case colFlag:
			if x.Anomalies > 0 {
				s = "!"
			}
		case colROP:
			s = "-"
			if x.Planned {
				s = fmt.Sprint(x.ROP)
				if belowROP(r, x) {
					s = "<" + s // on hand + on order is under it: read "19 <38"
				}
			}
		case colSKU:
			s = r.SKU
		case colName:
			s = r.Name
		case colLoc:
			s = r.Location
		case colOnHand:
			s = fmt.Sprint(r.OnHand)
		case colOnOrder:
			s = fmt.Sprint(r.OnOrder)
		case colAvg:
			s = formatRate(r.AvgDaily)
		case colCover:
			s = formatCover(r.CoverDays)
		case colSpark:
			s = spark
		case colStatus:
			s = string(r.Status(asOf))
		}
		cells[i] = fit(s, c.width, c.right)
	}
	return cells
}

func formatRate(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// formatWAPE shows a backtest's weighted absolute percentage error, or
// "-" when nothing sold in the backtest: the ratio is then undefined (the
// engine stores 0 for it), and "0%" would claim a perfect forecast.
func formatWAPE(wape, mae float64) string {
	if wape == 0 && mae > 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*wape)
}

// formatCover shows days of cover: "-" when nothing sells, "999+" beyond.
func formatCover(d float64) string {
	switch {
	case d >= model.NoCover:
		return "-"
	case d >= 999:
		return "999+"
	case d < 10:
		return fmt.Sprintf("%.1fd", d)
	}
	return fmt.Sprintf("%.0fd", d)
}

// bucket sums days into n columns (the newest on the right), so thirty days
// fit a narrower sparkline without dropping any.
func bucket(days []float64, n int) []float64 {
	if n <= 0 {
		return nil
	}
	if len(days) <= n {
		return days
	}
	out := make([]float64, n)
	for i, v := range days {
		out[i*n/len(days)] += v
	}
	return out
}

// sparkText draws a one-line sparkline of days in width cells, scaled to
// its own peak so slow sellers still show their shape.
func sparkText(days []float64, width int, style lipgloss.Style) string {
	if width <= 0 || len(days) == 0 {
		return ""
	}
	vals := bucket(days, width)
	peak := 0.0
	for _, v := range vals {
		peak = max(peak, v)
	}
	if peak == 0 {
		return style.Render(strings.Repeat("·", len(vals)))
	}
	sl := sparkline.New(len(vals), 1, sparkline.WithStyle(style), sparkline.WithMaxValue(peak), sparkline.WithNoAutoMaxValue())
	sl.PushAll(vals)
	sl.Draw()
	return sl.View()
}

// unknownLocation is the error for a location code the store does not
// have, naming the ones it has; nil when codes holds it.
func unknownLocation(code string, codes []string) error {
	if slices.ContainsFunc(codes, func(c string) bool { return strings.EqualFold(c, code) }) {
		return nil
	}
	return fmt.Errorf("no location %s (the store has %s)", code, strings.Join(codes, ", "))
}
