package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"stockroom/model"
)

// On wide terminals the stock table keeps a detail pane beside it: the
// selected row's policy, open proposal, last 90 days on a chart, anomalies
// and latest ledger lines. It is loaded off the event loop a moment after
// the cursor settles, so scrolling costs what it costs on a narrow screen.

// wideStock is the width from which the detail pane sits beside the table.
const wideStock = 180

// paneDelay is how long the cursor must rest before the pane loads.
const paneDelay = 120 * time.Millisecond

// paneDays is how much history the pane's chart shows.
const paneDays = 90

// stockDetail is what the pane shows of one item×location.
type stockDetail struct {
	key      [2]int64
	row      model.StockRow
	item     model.Item // for its delisting
	level    *model.Level
	proposal *model.Proposal
	hist     model.DailyHistory
	anoms    []model.Anomaly
	moves    []model.Movement
	chart    string // drawn on arrival, for the pane's size
	err      error
}

type stockPaneTick struct{ gen int }

type stockDetailMsg struct {
	gen int
	d   stockDetail
}

// paneWidth is the pane's width, 0 when the terminal is too narrow.
func (v *stockView) paneWidth() int {
	if v.width < wideStock {
		return 0
	}
	return min(72, v.width/3)
}

// tableWidth is what the table may use beside the pane.
func (v *stockView) tableWidth() int {
	if p := v.paneWidth(); p > 0 {
		return v.width - p - 1
	}
	return v.width
}

// wantPane asks for the selected row's details once the cursor rests, when
// the pane is shown and the selection changed (or force, after a commit).
func (v *stockView) wantPane(force bool) tea.Cmd {
	if v.paneWidth() == 0 {
		return nil
	}
	r, ok := v.Selected()
	if !ok {
		return nil
	}
	k := [2]int64{r.ItemID, r.LocID}
	if k == v.paneKey && !force {
		return nil
	}
	v.paneKey = k
	v.paneGen++
	gen := v.paneGen
	return tea.Tick(paneDelay, func(time.Time) tea.Msg { return stockPaneTick{gen: gen} })
}

// loadPane reads the details of the selected row.
func (v *stockView) loadPane(gen int) tea.Cmd {
	r, ok := v.Selected()
	if !ok {
		return nil
	}
	be, w, st := v.be, v.paneWidth(), v.st
	h := max(4, min(10, v.height/4))
	return func() tea.Msg {
		ctx := context.Background()
		d := stockDetail{key: [2]int64{r.ItemID, r.LocID}, row: r}
		d.item, _ = be.Item(ctx, r.SKU)
		if lv, err := be.Levels(ctx, [][2]int64{d.key}); err == nil {
			if l, ok := lv[d.key]; ok {
				d.level = &l
			}
		}
		if ps, err := be.Proposals(ctx, model.ProposalQuery{SKU: r.SKU, Location: r.Location, Limit: 1}); err == nil && len(ps) > 0 {
			d.proposal = &ps[0]
		}
		d.hist, d.err = be.DailyHistory(ctx, r.SKU, r.Location)
		d.anoms, _ = be.SeriesAnomalies(ctx, r.SKU, r.Location)
		d.moves, _ = be.Movements(ctx, r.SKU, r.Location, 6)
		if d.err == nil && len(d.hist.Units) > 0 {
			to := d.hist.Start.AddDays(len(d.hist.Units) - 1)
			from := to.AddDays(-(paneDays - 1))
			out, flagged := chartMarks(d.hist, d.anoms)
			d.chart = timeChart(w, h, st, []series{{name: "sales", start: d.hist.Start, values: d.hist.Units}}, out, flagged, from, to)
		}
		return stockDetailMsg{gen: gen, d: d}
	}
}

// paneView draws the pane, exactly w cells wide and h lines tall.
func (v *stockView) paneView(w, h int) string {
	st := v.st
	var lines []string
	add := func(s string) { lines = append(lines, fit(s, w, false)) }
	d := v.pane
	switch {
	case d == nil || d.key != v.paneKey:
		add(st.Dim.Render("…"))
	default:
		r := d.row
		add(st.Heading.Render(r.SKU) + " " + r.Name)
		add(st.Dim.Render(fmt.Sprintf("@ %s · on hand %d · on order %d · cover %s · ", r.Location, r.OnHand, r.OnOrder,
			formatCover(r.CoverDays))) + st.Status[r.Status(v.asOf)].Render(string(r.Status(v.asOf))))
		if l := d.level; l != nil {
			add(fmt.Sprintf("class %s · %.0f%% %s · lead %.1f±%.1f d · %s/day by %s", orDash(l.Class), 100*l.Service,
				strings.ReplaceAll(orDash(l.ServiceKind), "_", " "), l.LeadTimeDays, l.LeadTimeSD, formatRate(l.DailyMean), orDash(l.Model)))
			add(fmt.Sprintf("safety %.0f · reorder point %d · order up to %d", l.SafetyStock, l.ReorderPoint, l.OrderUpTo))
		} else {
			add(st.Dim.Render("no policy yet: stockroom plan"))
		}
		add(proposalLine(d.proposal, notReordered(d.item, r, v.asOf), st))
		add("")
		if d.err != nil {
			add(st.Dim.Render("no sales history: " + d.err.Error()))
		} else if d.chart != "" {
			add(st.Dim.Render(fmt.Sprintf("units sold a day, last %d days", paneDays)))
			for _, l := range strings.Split(d.chart, "\n") {
				add(l)
			}
		}
		if len(d.anoms) > 0 {
			add(anomalyNote(d.anoms, 3))
		}
		add("")
		add(st.Header.Render("recent ledger"))
		for _, m := range d.moves {
			add(fmt.Sprintf("%s %-10s %+6d %s", m.Date, m.Kind, m.Qty, m.Ref))
		}
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines[:h], "\n")
}

// withPane puts the pane beside the rendered table, when it is shown. The
// pane's lines are drawn once per detail or size (paneLines), not per key.
func (v *stockView) withPane(table string) string {
	pw := v.paneWidth()
	if pw == 0 {
		return table
	}
	if v.paneFor != [3]int{pw, v.height, v.paneGen} || v.paneLines == nil {
		v.paneLines = strings.Split(v.paneView(pw, v.height), "\n")
		v.paneFor = [3]int{pw, v.height, v.paneGen}
	}
	tl := strings.Split(table, "\n")
	tw := v.tableWidth()
	sep := v.st.Dim.Render("│")
	var b strings.Builder
	for i := range v.height {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(tl) {
			b.WriteString(fit(tl[i], tw, false))
		} else {
			b.WriteString(strings.Repeat(" ", tw))
		}
		b.WriteString(sep)
		if i < len(v.paneLines) {
			b.WriteString(v.paneLines[i])
		}
	}
	return b.String()
}

// proposalLine says what an item×location's open proposal asks for and
// when it runs out without it, in the proposal's state colour; p is nil
// when there is none, and then why is why ("": just that there is none).
func proposalLine(p *model.Proposal, why string, st *Styles) string {
	if p == nil {
		if why == "" {
			why = "no open proposal"
		}
		return st.Dim.Render(why)
	}
	what := fmt.Sprintf("buy %d from %s", p.Qty, orDash(p.Supplier))
	if p.Kind == model.ProposalTransfer {
		what = fmt.Sprintf("move %d from %s", p.Qty, p.From)
	}
	s := fmt.Sprintf("proposal #%d %s: %s", p.ID, p.State, what)
	switch {
	case p.Reasons.OutNow():
		s += " · out of stock"
	case p.Reasons.StockoutDate != "":
		s += " · out on " + p.Reasons.StockoutDate
	}
	return st.ProposalState[p.State].Render(s)
}
