package tui

import (
	"fmt"
	"time"

	"github.com/NimbleMarkets/ntcharts/linechart"
	"github.com/NimbleMarkets/ntcharts/linechart/timeserieslinechart"

	"stockroom/model"
)

// series is one line of a time chart: values from a start day.
type series struct {
	name   string
	start  model.Date
	values []float64
}

// timeChart draws daily series on one time axis (braille lines), with the
// days marked (e.g. out of stock) shaded, and flagged days (anomalies)
// shaded in their own colour. Charts are drawn in Update when
// their data or size changes; the string is kept.
func timeChart(w, h int, st *Styles, lines []series, marked, flagged []model.Date, from, to model.Date) string {
	if w < 20 || h < 4 || to <= from {
		return ""
	}
	peak := 1.0
	for _, l := range lines {
		for i, v := range l.values {
			if d := l.start.AddDays(i); d >= from && d <= to {
				peak = max(peak, v)
			}
		}
	}
	tmin, tmax := from.Time(), to.Time()
	c := timeserieslinechart.New(w, h,
		timeserieslinechart.WithAxesStyles(st.Dim, st.Dim),
		timeserieslinechart.WithStyle(st.Spark),
		timeserieslinechart.WithXLabelFormatter(dayLabel),
		timeserieslinechart.WithYLabelFormatter(func(_ int, v float64) string { return fmt.Sprintf("%.0f", v) }),
		timeserieslinechart.WithTimeRange(tmin, tmax),
		timeserieslinechart.WithYRange(0, peak*1.05),
	)
	for _, l := range lines {
		style, ok := st.Chart[l.name]
		if !ok {
			style = st.Spark
		}
		c.SetDataSetStyle(l.name, style)
		for i, v := range l.values {
			d := l.start.AddDays(i)
			if d < from || d > to {
				continue
			}
			c.PushDataSet(l.name, timeserieslinechart.TimePoint{Time: d.Time(), Value: v})
		}
	}
	for _, d := range marked {
		if d >= from && d <= to {
			c.SetColumnBackgroundStyle(d.Time(), st.Marked)
		}
	}
	for _, d := range flagged {
		if d >= from && d <= to {
			c.SetColumnBackgroundStyle(d.Time(), st.Flagged)
		}
	}
	c.SetViewTimeAndYRange(tmin, tmax, 0, peak*1.05)
	c.DrawBrailleAll()
	return c.View()
}

// dayLabel prints axis days as Jan 02 (UTC, as the dates are civil days).
var dayLabel linechart.LabelFormatter = func(_ int, v float64) string {
	return time.Unix(int64(v), 0).UTC().Format("Jan 02")
}

// chartMarks are the days a sales chart shades: those that ended out of
// stock, and those with an anomaly.
func chartMarks(h model.DailyHistory, anoms []model.Anomaly) (out, flagged []model.Date) {
	for i, s := range h.Stockout {
		if s {
			out = append(out, h.Start.AddDays(i))
		}
	}
	for _, a := range anoms {
		flagged = append(flagged, a.Date)
	}
	return out, flagged
}
