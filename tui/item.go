package tui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"stockroom/engine"
	"stockroom/model"
)

// itemDataMsg is everything the item screen shows.
type itemDataMsg struct {
	id      int
	item    model.Item
	stock   []model.StockRow // the item at every location
	loc     string
	hist    model.DailyHistory
	moves   []model.Movement
	fc      *model.Forecast
	level   *model.Level    // the policy of the last recompute at loc
	prop    *model.Proposal // the open proposal at loc; nil when none
	anoms   []model.Anomaly // anomalies of the item at loc, oldest first
	asOf    model.Date
	histErr error
	err     error
	keepCur bool
}

// itemView is one item at one location: what it is, its sales history
// with the days out of stock shaded, and its ledger.
type itemView struct {
	env  *env
	id   int
	sku  string
	loc  string // "" until the data says which locations hold it
	w, h int

	data   *itemDataMsg
	cursor int // ledger row
	offset int
	chart  string
	shown  model.Date // first day of history on the chart
	body   string
	// wrapped is how many lines the header and policy took beyond one
	// each at the last render: the ledger gives them up.
	wrapped int
}

func newItemView(e *env, sku, loc string) *itemView {
	return &itemView{env: e, id: e.id(), sku: sku, loc: loc}
}

// ledgerLimit is how many recent movements the screen reads.
const ledgerLimit = 500

func (v *itemView) Init() tea.Cmd { return v.load(false) }

func (v *itemView) load(keep bool) tea.Cmd {
	be, id, sku, loc := v.env.be, v.id, v.sku, v.loc
	return func() tea.Msg {
		ctx := context.Background()
		m := itemDataMsg{id: id, keepCur: keep}
		if m.item, m.err = be.Item(ctx, sku); m.err != nil {
			return m
		}
		if m.asOf, m.err = be.AsOf(ctx); m.err != nil {
			return m
		}
		if m.stock, m.err = be.StockPage(ctx, model.StockQuery{SKU: sku, Sort: model.SortLocation, Limit: 100}); m.err != nil {
			return m
		}
		if loc == "" && len(m.stock) > 0 {
			loc = m.stock[0].Location
		}
		m.loc = loc
		if loc != "" {
			m.hist, m.histErr = be.DailyHistory(ctx, sku, loc)
		}
		m.moves, m.err = be.Movements(ctx, sku, loc, ledgerLimit)
		if loc != "" {
			if f, err := be.Forecast(ctx, sku, loc); err == nil {
				m.fc = &f
			}
			for _, s := range m.stock {
				if s.Location != loc {
					continue
				}
				k := [2]int64{s.ItemID, s.LocID}
				if lv, err := be.Levels(ctx, [][2]int64{k}); err == nil {
					if l, ok := lv[k]; ok {
						m.level = &l
					}
				}
			}
			m.anoms, _ = be.SeriesAnomalies(ctx, sku, loc)
			if ps, err := be.Proposals(ctx, model.ProposalQuery{SKU: sku, Location: loc, Limit: 1}); err == nil && len(ps) > 0 {
				m.prop = &ps[0]
			}
		}
		return m
	}
}

func (v *itemView) Title() string {
	if v.loc == "" {
		return v.sku
	}
	return v.sku + " @ " + v.loc
}

func (v *itemView) Keys() []key.Binding { return []key.Binding{v.env.keys.NextPane} }

func (v *itemView) Capturing() bool { return false }

func (v *itemView) Back() (bool, tea.Cmd) { return false, nil }

func (v *itemView) Refresh() tea.Cmd { return v.load(true) }

func (v *itemView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.draw()
}

func (v *itemView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case itemDataMsg:
		if msg.id != v.id {
			return v, nil
		}
		v.data = &msg
		v.loc = msg.loc
		if !msg.keepCur {
			v.cursor, v.offset = 0, 0
		}
		v.draw()
	case tea.KeyMsg:
		k := v.env.keys
		if n, ok := moveBy(msg, k, v.ledgerRows()); ok {
			v.move(n)
			return v, nil
		}
		switch {
		case key.Matches(msg, k.NextPane):
			// tab: the same item at its next location.
			if v.data != nil && len(v.data.stock) > 1 {
				for i, s := range v.data.stock {
					if s.Location == v.loc {
						v.loc = v.data.stock[(i+1)%len(v.data.stock)].Location
						break
					}
				}
				return v, v.load(false)
			}
		}
	}
	return v, nil
}

func (v *itemView) move(n int) {
	if v.data == nil || len(v.data.moves) == 0 {
		return
	}
	v.cursor = max(0, min(len(v.data.moves)-1, v.cursor+n))
	rows := v.ledgerRows()
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+rows {
		v.offset = v.cursor - rows + 1
	}
	v.render()
}

// wideItem is the width from which the forecast's scores sit beside the
// chart.
const wideItem = 140

// chartWidth leaves room for the scores panel on wide screens.
func (v *itemView) chartWidth() int {
	if v.w >= wideItem && v.data != nil && v.data.fc != nil {
		return v.w - 48
	}
	return v.w
}

// bandLevels finds the 10% and 90% quantile columns, or -1.
func bandLevels(levels []float64) (lo, hi int) {
	lo, hi = -1, -1
	for i, l := range levels {
		if math.Abs(l-0.1) < 1e-9 {
			lo = i
		}
		if math.Abs(l-0.9) < 1e-9 {
			hi = i
		}
	}
	return lo, hi
}

// chartHeight is the chart's share of the screen.
func (v *itemView) chartHeight() int { return max(6, min(16, (v.h-4)/2)) }

func (v *itemView) ledgerRows() int { return max(1, v.h-5-v.wrapped-v.chartHeight()-2) }

// draw redraws the chart (costly) and the rest.
func (v *itemView) draw() {
	v.chart = ""
	if d := v.data; d != nil && d.err == nil && d.histErr == nil && len(d.hist.Units) > 0 && v.w > 0 {
		to := d.hist.Start.AddDays(len(d.hist.Units) - 1)
		out, flagged := chartMarks(d.hist, d.anoms)
		lines := []series{{name: "sales", start: d.hist.Start, values: d.hist.Units}}
		if f := d.fc; f != nil && len(f.Point) > 0 {
			// The forecast and its p10–p90 band continue the history.
			lo, hi := bandLevels(f.Levels)
			lines = append(lines, series{name: "forecast", start: f.Origin, values: f.Point})
			if lo >= 0 && hi >= 0 {
				var p10, p90 []float64
				for _, q := range f.Quantiles {
					p10, p90 = append(p10, q[lo]), append(p90, q[hi])
				}
				lines = append(lines, series{name: "p10", start: f.Origin, values: p10}, series{name: "p90", start: f.Origin, values: p90})
			}
			to = max(to, f.Origin.AddDays(len(f.Point)-1))
		}
		// As many days as fit (braille: two a cell), ending with the
		// forecast; a young history shows whole beside it.
		days := min(int(to-d.hist.Start)+1, max(30, (v.w-8)*2))
		from := to.AddDays(-(days - 1))
		v.shown = max(from, d.hist.Start)
		v.chart = timeChart(v.chartWidth(), v.chartHeight(), v.env.st, lines, out, flagged, from, to)
	}
	v.render()
}

func (v *itemView) render() {
	st := v.env.st
	d := v.data
	if v.w == 0 {
		return
	}
	var b strings.Builder
	v.wrapped = 0
	switch {
	case d == nil:
		v.body = st.Dim.Render("loading " + v.sku + "…")
		return
	case errors.Is(d.err, engine.ErrNotFound):
		v.body = st.Error.Render(fmt.Sprintf("no item %q in this store", v.sku)) + "\n" +
			st.Dim.Render("/ on the stock table finds items by sku, name or category")
		return
	case d.err != nil:
		v.body = st.Error.Render("error: " + d.err.Error())
		return
	}
	header, policy := v.headerLines(), v.policyLines()
	v.wrapped = len(header) - 1 + len(policy) - 1
	for _, l := range header {
		b.WriteString(fit(l, v.w, false) + "\n")
	}
	var at []string
	for _, s := range d.stock {
		label := fmt.Sprintf("%s %d", s.Location, s.OnHand)
		if s.Location == v.loc {
			label = st.Value.Render(fmt.Sprintf("[%s: on hand %d · %s/day · cover %s · %s]", s.Location, s.OnHand,
				formatRate(s.AvgDaily), formatCover(s.CoverDays), s.Status(d.asOf)))
		}
		at = append(at, label)
	}
	if len(at) == 0 {
		at = append(at, st.Dim.Render("no stock records"))
	}
	b.WriteString(fit(strings.Join(at, "  "), v.w, false) + "\n")
	for _, l := range policy {
		b.WriteString(fit(l, v.w, false) + "\n")
	}
	switch {
	case d.histErr != nil:
		b.WriteString(st.Dim.Render("no sales history here: "+d.histErr.Error()) + "\n")
	case v.chart != "":
		// The chart shows as many days as fit; say which, and count the
		// stockouts among them only.
		outDays := 0
		for i, s := range d.hist.Stockout {
			if s && d.hist.Start.AddDays(i) >= v.shown {
				outDays++
			}
		}
		span := "since " + v.shown.String()
		if v.shown > d.hist.Start {
			span = fmt.Sprintf("from %s (history since %s)", v.shown, d.hist.Start)
		}
		text := fmt.Sprintf("units sold a day %s · %d days ended out of stock (shaded)", span, outDays)
		if lipgloss.Width(text) > v.w {
			// Narrow: the shown span and the count matter, the words less.
			text = fmt.Sprintf("sold a day since %s · %d days out of stock (shaded)", v.shown, outDays)
		}
		caption := st.Dim.Render(text)
		if len(d.anoms) > 0 {
			// As many of the latest as fit: the count whole, never half a list.
			k := 3
			for k > 0 && lipgloss.Width(text+" · "+anomalyNote(d.anoms, k)) > v.w {
				k--
			}
			caption += st.Chart["anomaly"].Render(" · " + anomalyNote(d.anoms, k))
		}
		b.WriteString(fit(caption, v.w, false) + "\n")
		chart := v.chart
		if panel := v.forecastPanel(); panel != "" {
			if v.chartWidth() < v.w {
				chart = lipgloss.JoinHorizontal(lipgloss.Top, chart, "  ", panel)
			} else {
				b.WriteString(fit(panel, v.w, false) + "\n")
			}
		}
		b.WriteString(chart + "\n")
	}
	b.WriteString(st.Header.Render(fit(fmt.Sprintf(" %-10s %-12s %7s  %-22s %-8s %s", "DATE", "KIND", "QTY", "REF", "CHANNEL", "SOURCE"), v.w, false)))
	rows := v.ledgerRows()
	for i := v.offset; i < len(d.moves) && i < v.offset+rows; i++ {
		m := d.moves[i]
		src := m.Source.String()
		if m.Source.File != "" {
			src = fmt.Sprintf("%s:%d", filepath.Base(m.Source.File), m.Source.Line)
		}
		line := fmt.Sprintf("%-10s %-12s %+7d  %-22s %-8s %s", m.Date, m.Kind, m.Qty, truncateText(m.Ref, 22), m.Channel, src)
		if i == v.cursor {
			b.WriteString("\n" + st.Selected.Render(fit("›"+line, v.w, false)))
		} else {
			b.WriteString("\n " + fit(line, v.w-1, false))
		}
	}
	if len(d.moves) == 0 {
		b.WriteString("\n" + st.Dim.Render(" no ledger lines"))
	}
	v.body = b.String()
}

func (v *itemView) View() string { return v.body }

// forecastPanel says which model forecasts the item and how its
// candidates scored in the backtest: one line when narrow, a table when
// wide.
func (v *itemView) forecastPanel() string {
	d := v.data
	if d == nil || d.fc == nil {
		return v.env.st.Dim.Render("no stored forecast yet: stockroom forecast --db " + v.env.be.Name())
	}
	f, st := d.fc, v.env.st
	var sum float64
	for _, p := range f.Point {
		sum += p
	}
	total := model.Thousands(int64(math.Round(sum)))
	head := fmt.Sprintf("forecast %s: %s units over %d days from %s", f.Model, total, len(f.Point), f.Origin)
	if v.chartWidth() == v.w {
		line := head
		if len(f.Scores) > 0 {
			s := f.Scores[0]
			acc := fmt.Sprintf("MASE %.2f, WAPE %s, bias %+.2f", s.MASE, formatWAPE(s.WAPE, s.MAE), s.Bias)
			line += " · backtest " + acc
			if lipgloss.Width(line) > v.w { // 80 columns: the same in fewer words
				line = fmt.Sprintf("forecast %s %s in %d d from %s · %s", f.Model, total, len(f.Point), f.Origin, acc)
			}
		}
		return st.Chart["forecast"].Render(line)
	}
	rows := []string{st.Chart["forecast"].Render(truncateText(head, 46)),
		st.Header.Render(fmt.Sprintf("%-14s %6s %6s %6s %7s", "MODEL", "SPL", "MASE", "WAPE", "BIAS"))}
	for i, s := range f.Scores {
		if i == v.chartHeight()-3 {
			break
		}
		if s.Err != "" {
			rows = append(rows, st.Dim.Render(fmt.Sprintf("%-14s %s", truncateText(s.Model, 14), truncateText(s.Err, 30))))
			continue
		}
		line := fmt.Sprintf("%-14s %6.2f %6.2f %6s %+7.2f", truncateText(s.Model, 14), s.SPL, s.MASE, formatWAPE(s.WAPE, s.MAE), s.Bias)
		if s.Model == f.Model || i == 0 {
			line = st.Value.Render(line)
		}
		rows = append(rows, line)
	}
	return strings.Join(rows, "\n")
}

// headerLines names the item and its buying terms: one line when it fits,
// else two, so pack, MOQ, cost and price are not cut off at 80 columns.
func (v *itemView) headerLines() []string {
	st, it := v.env.st, v.data.item
	segs := []string{it.SKU + "  " + it.Name + "  " + orDash(it.Category), "supplier " + orDash(it.Supplier),
		fmt.Sprintf("pack %d", it.PackSize), fmt.Sprintf("MOQ %d", it.MOQ), fmt.Sprintf("cost %.2f", it.UnitCost), fmt.Sprintf("price %.2f", it.Price)}
	if it.Delisted != model.NoDate {
		segs = append(segs, "delisted from "+it.Delisted.String())
	}
	lines := packSegments(segs, " · ", v.w, 2)
	for i, l := range lines {
		if i == 0 {
			// The SKU stands out, the name reads plainly, the rest is dim.
			rest := strings.TrimPrefix(l, it.SKU+"  "+it.Name)
			lines[i] = st.Heading.Render(it.SKU) + "  " + it.Name + st.Dim.Render(rest)
			continue
		}
		lines[i] = st.Dim.Render(l)
	}
	return lines
}

// policyLines is the replenishment policy the last recompute used here:
// the numbers a proposal for this item×location would rest on. One line
// when it fits the width, else two, broken between its parts, so the
// reorder point is never cut off at 80 columns; then the open proposal
// that rests on them, or that there is none.
func (v *itemView) policyLines() []string {
	st, l := v.env.st, v.data.level
	if l == nil {
		return []string{st.Dim.Render("no policy yet: run `stockroom plan` (or wait for the next import)")}
	}
	segs := []string{"policy", "class " + orDash(l.Class),
		fmt.Sprintf("%.0f%% %s", 100*l.Service, strings.ReplaceAll(orDash(l.ServiceKind), "_", " ")),
		fmt.Sprintf("lead %.1f±%.1f d + review %d d", l.LeadTimeDays, l.LeadTimeSD, l.ReviewDays),
		fmt.Sprintf("demand %s/day by %s", formatRate(l.DailyMean), orDash(l.Model)),
		fmt.Sprintf("safety %.0f", l.SafetyStock), fmt.Sprintf("reorder point %d", l.ReorderPoint), fmt.Sprintf("order up to %d", l.OrderUpTo)}
	if l.EOQ > 0 {
		segs = append(segs, fmt.Sprintf("EOQ %.0f", l.EOQ))
	}
	// The recompute's day goes last, and goes first when room is short:
	// the title bar shows the store's.
	asOf := "as of " + l.AsOf.String()
	lines := packSegments(append(segs, asOf), " · ", v.w, 2)
	if lipgloss.Width(lines[len(lines)-1]) > v.w {
		lines = packSegments(segs, " · ", v.w, 2)
	}
	for i, line := range lines {
		if i == len(lines)-1 && strings.HasSuffix(line, asOf) {
			body := strings.TrimSuffix(line, asOf)
			lines[i] = st.Value.Render(body) + st.Dim.Render(asOf)
			continue
		}
		lines[i] = st.Value.Render(line)
	}
	return append(lines, v.proposalLine())
}

// proposalLine is the open proposal here, or why there is none when the
// plan leaves a delisted item or dead stock alone.
func (v *itemView) proposalLine() string {
	d := v.data
	var row model.StockRow // none here: only a delisting explains
	for _, s := range d.stock {
		if s.Location == v.loc {
			row = s
		}
	}
	return proposalLine(d.prop, notReordered(d.item, row, d.asOf), v.env.st)
}

// notReordered says why the plan leaves an item×location alone: the item
// is delisted, or its stock is dead (it sold once, and not for DeadDays);
// "" otherwise.
func notReordered(it model.Item, r model.StockRow, asOf model.Date) string {
	if it.DelistedBy(asOf) {
		return "no proposal: delisted from " + it.Delisted.String() + ", never reordered"
	}
	if r.Status(asOf) != model.StatusDead || r.LastSale == model.NoDate {
		return ""
	}
	return fmt.Sprintf("no proposal: stock unsold for %d days is not reordered", asOf-r.LastSale)
}

// packSegments joins segs with sep into at most n lines of w cells,
// breaking only between segments; what does not fit goes on the last
// line, to be cut there.
func packSegments(segs []string, sep string, w, n int) []string {
	var out []string
	line := ""
	for _, s := range segs {
		switch {
		case line == "":
			line = s
		case len(out) < n-1 && lipgloss.Width(line+sep+s) > w:
			out = append(out, line+strings.TrimRight(sep, " "))
			line = s
		default:
			line += sep + s
		}
	}
	return append(out, line)
}

// anomalyNote lists an item×location's anomalies: how many are open, and
// the latest few (up to k) with their day and score (their days are
// shaded on the chart in colour); "" when there are none.
func anomalyNote(as []model.Anomaly, k int) string {
	if len(as) == 0 {
		return ""
	}
	open := 0
	for _, a := range as {
		if a.State == model.AnomalyOpen {
			open++
		}
	}
	noun := "anomalies"
	if len(as) == 1 {
		noun = "anomaly"
	}
	s := fmt.Sprintf("%s %s, %d open", thousands(len(as)), noun, open)
	if k <= 0 {
		return s
	}
	s += ":"
	for i := len(as) - 1; i >= 0 && i >= len(as)-k; i-- {
		a := as[i]
		s += fmt.Sprintf(" %s %s %.2f %s;", a.Date, a.Detector, a.Score, a.State)
	}
	return strings.TrimSuffix(s, ";")
}

func (v *itemView) Position() string {
	if v.data == nil || len(v.data.moves) == 0 {
		return ""
	}
	more := ""
	if len(v.data.moves) == ledgerLimit {
		more = "+"
	}
	return fmt.Sprintf("ledger line %d of %d%s", v.cursor+1, len(v.data.moves), more)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncateText(s string, n int) string { return fit(s, n, false) }
