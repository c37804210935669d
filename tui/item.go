package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

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
	body   string
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
		case key.Matches(msg, k.Down):
			v.move(1)
		case key.Matches(msg, k.Up):
			v.move(-1)
		case key.Matches(msg, k.PageDown):
			v.move(v.ledgerRows())
		case key.Matches(msg, k.PageUp):
			v.move(-v.ledgerRows())
		case key.Matches(msg, k.Top):
			v.move(-1 << 30)
		case key.Matches(msg, k.Bottom):
			v.move(1 << 30)
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

// chartHeight is the chart's share of the screen.
func (v *itemView) chartHeight() int { return max(6, min(16, (v.h-4)/2)) }

func (v *itemView) ledgerRows() int { return max(1, v.h-4-v.chartHeight()-2) }

// draw redraws the chart (costly) and the rest.
func (v *itemView) draw() {
	v.chart = ""
	if d := v.data; d != nil && d.err == nil && d.histErr == nil && len(d.hist.Units) > 0 && v.w > 0 {
		days := min(len(d.hist.Units), max(30, (v.w-8)*2)) // braille: two days a cell
		to := d.hist.Start.AddDays(len(d.hist.Units) - 1)
		from := to.AddDays(-(days - 1))
		var out []model.Date
		for i, s := range d.hist.Stockout {
			if s {
				out = append(out, d.hist.Start.AddDays(i))
			}
		}
		v.chart = timeChart(v.w, v.chartHeight(), v.env.st,
			[]series{{name: "sales", start: d.hist.Start, values: d.hist.Units}}, out, from, to)
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
	switch {
	case d == nil:
		v.body = st.Dim.Render("loading " + v.sku + "…")
		return
	case d.err != nil:
		v.body = st.Error.Render("error: " + d.err.Error())
		return
	}
	it := d.item
	b.WriteString(fit(st.Heading.Render(it.SKU)+"  "+it.Name+st.Dim.Render(fmt.Sprintf("  %s · supplier %s · pack %d · MOQ %d · cost %.2f · price %.2f",
		orDash(it.Category), orDash(it.Supplier), it.PackSize, it.MOQ, it.UnitCost, it.Price)), v.w, false))
	b.WriteString("\n")
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
	switch {
	case d.histErr != nil:
		b.WriteString(st.Dim.Render("no sales history here: "+d.histErr.Error()) + "\n")
	case v.chart != "":
		outDays := 0
		for _, s := range d.hist.Stockout {
			if s {
				outDays++
			}
		}
		b.WriteString(st.Dim.Render(fmt.Sprintf("units sold a day since %s · %d days ended out of stock (shaded)", d.hist.Start, outDays)) + "\n")
		b.WriteString(v.chart + "\n")
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
