package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"stockroom/model"
)

// sparkDays is how many days the row sparkline shows.
const sparkDays = 30

// markerDays is how far back an open anomaly marks a stock row: old
// findings nobody acted on belong to the Anomalies screen, not to today's
// table.
const markerDays = 30

// recountEvery bounds how often a refresh counts the table's rows again.
const recountEvery = 5 * time.Second

// stockLine is a loaded row with its sparkline, drawn once when it arrives.
type stockLine struct {
	row   model.StockRow
	extra rowExtra
	days  []float64
	spark string
	width int // sparkline width it was drawn for
}

// stockView is the stock table. It holds a window of rows around the
// cursor (a few screens), fetched by keyset pages as the cursor nears
// either end, so it costs the same at row 10 and row 299,990.
type stockView struct {
	env  *env
	be   Backend
	keys *KeyMap
	st   *Styles

	width, height int // of the whole view, header included
	cols          []column

	query     model.StockQuery // sort, order and filter; no cursors
	filterTxt string
	filterErr string
	filtering bool
	input     textinput.Model

	asOf     model.Date
	buf      []stockLine
	bufStart int  // absolute index of buf[0]
	atEnd    bool // the buffer holds the last row
	total    int  // rows the query selects; -1 until counted
	cursor   int  // absolute index of the selected row
	offset   int  // absolute index of the first visible row
	gen      int  // query generation: pages of older ones are dropped
	counted  time.Time
	inflight bool // a page is being fetched
	loaded   bool // the first page has arrived
	err      error

	// The detail pane of wide terminals (stockpane.go).
	paneKey   [2]int64
	paneGen   int
	pane      *stockDetail
	paneLines []string // drawn for paneFor: width, height, generation
	paneFor   [3]int

	body string // rendered rows, rebuilt in Update
}

func newStockView(e *env) *stockView {
	st := e.st
	in := textinput.New()
	in.Prompt = "/"
	in.PromptStyle = st.Prompt
	in.Placeholder = "text, cover<7, position<rop, status=out, loc=DC1"
	in.CharLimit = 200
	// A steady cursor: blinking would redraw the screen twice a second,
	// which costs bandwidth over SSH and buys nothing.
	in.Cursor.SetMode(cursor.CursorStatic)
	return &stockView{env: e, be: e.be, keys: e.keys, st: st, input: in, total: -1}
}

// presetFilter sets the filter before the first load (from :stock FILTER).
func (v *stockView) presetFilter(s string) {
	v.filterTxt = s
	v.input.SetValue(s)
	if f, err := model.ParseFilter(s); err == nil {
		v.query.Filter = f
	} else {
		v.filterErr = err.Error()
	}
}

// Title is the breadcrumb.
func (v *stockView) Title() string {
	if v.filterTxt != "" {
		return "Stock /" + v.filterTxt
	}
	return "Stock"
}

// Keys are the stock table's own bindings.
func (v *stockView) Keys() []key.Binding {
	k := v.keys
	return []key.Binding{k.Open, k.Filter, k.Sort, k.Reverse}
}

// Capturing reports whether the filter line has the keyboard.
func (v *stockView) Capturing() bool { return v.filtering }

// Back clears the filter, if any.
func (v *stockView) Back() (bool, tea.Cmd) {
	if v.filterTxt == "" {
		return false, nil
	}
	v.input.SetValue("")
	return true, v.setFilter("")
}

// Refresh reloads the rows held.
func (v *stockView) Refresh() tea.Cmd { return tea.Batch(v.refresh(), v.wantPane(true)) }

// visible is how many rows fit under the header.
func (v *stockView) visible() int { return max(1, v.height-1) }

// pageSize is how many rows a fetch asks for.
func (v *stockView) pageSize() int { return max(20, 2*v.visible()) }

// SetSize lays the table out for a new size.
func (v *stockView) SetSize(w, h int) {
	v.width, v.height = w, h
	v.cols = layoutColumns(v.tableWidth() - 1) // one cell for the cursor mark
	v.input.Width = max(10, w-4)
	v.redrawSparks()
	v.clamp()
	v.render()
}

func (v *stockView) Init() tea.Cmd { return v.reload() }

// reload starts the current query from the top.
func (v *stockView) reload() tea.Cmd {
	v.gen++
	v.counted = time.Now()
	v.inflight = true
	q := v.query
	q.Limit = v.pageSize()
	return tea.Batch(v.fetch(v.gen, pageReplace, q), v.count(v.gen, v.query))
}

func (v *stockView) sparkWidth() int {
	for _, c := range v.cols {
		if c.id == colSpark {
			return c.width
		}
	}
	return 0
}

// fetch loads a page and the sparkline data of its rows, and draws the
// sparklines, off the event loop.
func (v *stockView) fetch(gen int, kind pageKind, q model.StockQuery) tea.Cmd {
	be, sw, style := v.be, v.sparkWidth(), v.st.Spark
	return func() tea.Msg {
		ctx := context.Background()
		asOf, err := be.AsOf(ctx)
		if err != nil {
			return stockPageMsg{gen: gen, kind: kind, err: err}
		}
		q.Filter.AsOf = asOf
		rows, err := be.StockPage(ctx, q)
		if err != nil {
			return stockPageMsg{gen: gen, kind: kind, err: err}
		}
		keys := make([][2]int64, len(rows))
		for i, r := range rows {
			keys[i] = [2]int64{r.ItemID, r.LocID}
		}
		days, err := be.RecentDemand(ctx, keys, sparkDays, asOf)
		if err != nil {
			return stockPageMsg{gen: gen, kind: kind, err: err}
		}
		// Reorder points and anomaly markers are extras: a store without
		// them (or an older backend) still shows its stock.
		levels, _ := be.Levels(ctx, keys)
		flags, _ := be.OpenAnomalyCounts(ctx, keys, asOf.AddDays(-markerDays))
		lines := make([]stockLine, len(rows))
		for i, r := range rows {
			d := days[keys[i]]
			lv, planned := levels[keys[i]]
			x := rowExtra{ROP: lv.ReorderPoint, Planned: planned, Anomalies: flags[keys[i]]}
			lines[i] = stockLine{row: r, extra: x, days: d, spark: sparkText(d, sw, style), width: sw}
		}
		return stockPageMsg{gen: gen, kind: kind, lines: lines, asOf: asOf, limit: q.Limit}
	}
}

func (v *stockView) count(gen int, q model.StockQuery) tea.Cmd {
	be := v.be
	return func() tea.Msg {
		ctx := context.Background()
		asOf, err := be.AsOf(ctx)
		if err != nil {
			return stockCountMsg{gen: gen, err: err}
		}
		q.Filter.AsOf = asOf
		n, err := be.StockCount(ctx, q)
		return stockCountMsg{gen: gen, n: n, err: err}
	}
}

// refresh reloads the rows held now, keeping the cursor on the same
// item×location when it is still there.
func (v *stockView) refresh() tea.Cmd {
	if !v.loaded || v.inflight {
		return nil
	}
	v.inflight = true
	q := v.query
	q.Limit = max(len(v.buf), v.pageSize())
	gen := v.gen
	// The row count scans the filtered table: on a busy store (every
	// commit refreshes every console) recount at most every few seconds.
	var count tea.Cmd
	if time.Since(v.counted) > recountEvery {
		v.counted = time.Now()
		count = v.count(gen, v.query)
	}
	if v.bufStart == 0 || len(v.buf) == 0 {
		return tea.Batch(v.fetch(gen, pageRefresh, q), count)
	}
	// Start after the row before the buffer: one tiny query finds it.
	first := v.buf[0].row.Cursor
	be := v.be
	inner := func(after model.Cursor) tea.Msg {
		q.After = after
		return v.fetch(gen, pageRefresh, q)()
	}
	return tea.Batch(func() tea.Msg {
		ctx := context.Background()
		p := v.query
		p.Before, p.Limit = first, 1
		asOf, err := be.AsOf(ctx)
		if err != nil {
			return stockPageMsg{gen: gen, kind: pageRefresh, err: err}
		}
		p.Filter.AsOf = asOf
		prev, err := be.StockPage(ctx, p)
		if err != nil {
			return stockPageMsg{gen: gen, kind: pageRefresh, err: err}
		}
		if len(prev) == 0 {
			return inner(nil)
		}
		return inner(prev[0].Cursor)
	}, count)
}

// Update handles the view's keys and its data.
func (v *stockView) Update(msg tea.Msg) (screen, tea.Cmd) {
	s, cmd := v.update(msg)
	return s, tea.Batch(cmd, v.wantPane(false))
}

func (v *stockView) update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case stockPaneTick:
		if msg.gen == v.paneGen {
			return v, v.loadPane(msg.gen)
		}
		return v, nil
	case stockDetailMsg:
		if msg.gen == v.paneGen {
			v.pane = &msg.d
			v.paneLines = nil
			v.render()
		}
		return v, nil
	case stockPageMsg:
		return v, v.onPage(msg)
	case stockCountMsg:
		if msg.gen == v.gen && msg.err == nil {
			v.total = msg.n
			v.render()
		}
		return v, nil
	case tea.KeyMsg:
		if v.filtering {
			return v, v.filterKey(msg)
		}
		return v, v.key(msg)
	}
	return v, nil
}

// closeFilter gives the keyboard back to the list.
func (v *stockView) closeFilter() {
	v.filtering = false
	v.input.Blur()
	v.render()
}

func (v *stockView) filterKey(msg tea.KeyMsg) tea.Cmd {
	return editFilter(msg, v.keys, &v.input, v.filterTxt, v.closeFilter, v.setFilter)
}

// setFilter applies filter text; a half-typed condition keeps the last
// good filter and says what is wrong.
func (v *stockView) setFilter(s string) tea.Cmd {
	v.filterTxt = s
	f, err := model.ParseFilter(s)
	if err != nil {
		v.filterErr = err.Error()
		v.render()
		return nil
	}
	v.filterErr = ""
	v.query.Filter = f
	v.total = -1
	return v.reload()
}

func (v *stockView) key(msg tea.KeyMsg) tea.Cmd {
	k := v.keys
	switch {
	case key.Matches(msg, k.Down):
		return v.move(1)
	case key.Matches(msg, k.Up):
		return v.move(-1)
	case key.Matches(msg, k.PageDown):
		return v.move(v.visible())
	case key.Matches(msg, k.PageUp):
		return v.move(-v.visible())
	case key.Matches(msg, k.Top):
		if v.bufStart == 0 {
			v.cursor, v.offset = 0, 0
			v.render()
			return nil
		}
		return v.reload()
	case key.Matches(msg, k.Bottom):
		if v.atEnd && len(v.buf) > 0 {
			v.cursor = v.bufStart + len(v.buf) - 1
			v.clamp()
			v.render()
			return nil
		}
		v.gen++
		v.inflight = true
		q := v.query
		q.Last, q.Limit = true, v.pageSize()
		return tea.Batch(v.fetch(v.gen, pageLast, q), v.count(v.gen, v.query))
	case key.Matches(msg, k.Filter):
		v.filtering = true
		v.input.SetValue(v.filterTxt)
		v.input.CursorEnd()
		v.render()
		return v.input.Focus()
	case key.Matches(msg, k.Open):
		if r, ok := v.Selected(); ok {
			return open(newItemView(v.env, r.SKU, r.Location))
		}
	case key.Matches(msg, k.Sort):
		v.query.Sort = v.query.Sort.Next()
		return v.reload()
	case key.Matches(msg, k.Reverse):
		v.query.Desc = !v.query.Desc
		return v.reload()
	}
	return nil
}

// move moves the cursor by n rows within what is loaded, and fetches more
// when it comes within a screen of either end.
func (v *stockView) move(n int) tea.Cmd {
	if len(v.buf) == 0 {
		return nil
	}
	v.cursor += n
	v.clamp()
	v.render()
	return v.prefetch()
}

func (v *stockView) prefetch() tea.Cmd {
	if v.inflight || len(v.buf) == 0 {
		return nil
	}
	end := v.bufStart + len(v.buf)
	switch {
	case !v.atEnd && end-v.cursor <= v.visible()+1:
		v.inflight = true
		q := v.query
		q.After, q.Limit = v.buf[len(v.buf)-1].row.Cursor, v.pageSize()
		return v.fetch(v.gen, pageAppend, q)
	case v.bufStart > 0 && v.cursor-v.bufStart <= v.visible():
		v.inflight = true
		q := v.query
		q.Before, q.Limit = v.buf[0].row.Cursor, v.pageSize()
		return v.fetch(v.gen, pagePrepend, q)
	}
	return nil
}

// clamp keeps the cursor on a loaded row and on screen.
func (v *stockView) clamp() {
	if len(v.buf) == 0 {
		v.cursor, v.offset = v.bufStart, v.bufStart
		return
	}
	v.cursor = max(v.bufStart, min(v.cursor, v.bufStart+len(v.buf)-1))
	h := v.visible()
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+h {
		v.offset = v.cursor - h + 1
	}
	v.offset = max(v.bufStart, v.offset)
}

// maxBuf bounds the rows held: a few screens either side of the cursor.
func (v *stockView) maxBuf() int { return 6 * v.pageSize() }

func (v *stockView) onPage(msg stockPageMsg) tea.Cmd {
	if msg.gen != v.gen {
		return nil
	}
	v.inflight = false
	if msg.err != nil {
		v.err = msg.err
		v.render()
		return nil
	}
	v.err = nil
	v.asOf = msg.asOf
	lines := msg.lines
	full := len(lines) == msg.limit
	switch msg.kind {
	case pageReplace:
		v.buf, v.bufStart, v.cursor, v.offset = lines, 0, 0, 0
		v.atEnd = !full
		v.loaded = true
	case pageRefresh:
		var sel model.StockRow
		if c := v.cursor - v.bufStart; c >= 0 && c < len(v.buf) {
			sel = v.buf[c].row
		}
		v.buf = lines
		v.atEnd = !full
		for i, l := range lines {
			if l.row.ItemID == sel.ItemID && l.row.LocID == sel.LocID {
				v.cursor = v.bufStart + i
			}
		}
	case pageAppend:
		v.buf = append(v.buf, lines...)
		v.atEnd = !full
		if extra := len(v.buf) - v.maxBuf(); extra > 0 && v.cursor-v.bufStart > extra+v.visible() {
			v.buf = v.buf[extra:]
			v.bufStart += extra
		}
	case pagePrepend:
		v.buf = append(lines, v.buf...)
		v.bufStart -= len(lines)
		if v.bufStart < 0 || !full { // reached the first row
			v.bufStart = 0
		}
		if extra := len(v.buf) - v.maxBuf(); extra > 0 {
			v.buf = v.buf[:len(v.buf)-extra]
			v.atEnd = false
		}
	case pageLast:
		v.buf = lines
		v.atEnd = true
		start := 0
		if v.total >= 0 {
			start = max(0, v.total-len(lines))
		}
		v.bufStart = start
		v.cursor = start + len(lines) - 1
		v.offset = max(start, v.cursor-v.visible()+1)
	}
	v.redrawSparks() // drawn for another width if the terminal was resized meanwhile
	v.clamp()
	v.render()
	return v.prefetch()
}

// redrawSparks redraws the sparklines after a resize.
func (v *stockView) redrawSparks() {
	sw := v.sparkWidth()
	for i := range v.buf {
		if v.buf[i].width != sw {
			v.buf[i].spark = sparkText(v.buf[i].days, sw, v.st.Spark)
			v.buf[i].width = sw
		}
	}
}

// render draws the visible rows once per change; View only returns it.
func (v *stockView) render() {
	if v.width == 0 {
		v.body = ""
		return
	}
	tw := v.tableWidth()
	var b strings.Builder
	b.WriteString(v.st.Header.Render(fit(" "+headerLine(v.cols, v.query.Sort, v.query.Desc), tw, false)))
	h := v.visible()
	switch {
	case v.err != nil:
		b.WriteString("\n" + v.st.Error.Render(fit("error: "+v.err.Error(), tw, false)))
		h--
	case !v.loaded:
		b.WriteString("\n" + v.st.Dim.Render("loading…"))
		h--
	case len(v.buf) == 0:
		msg := "no stock yet: import files with `stockroom import` or drop them in a watched folder"
		if !v.query.Filter.Empty() {
			msg = "no rows match the filter"
		}
		b.WriteString("\n" + v.st.Dim.Render(fit(msg, tw, false)))
		h--
	}
	statusCol := -1
	for i, c := range v.cols {
		if c.id == colStatus {
			statusCol = i
		}
	}
	sparkCol, flagCol, ropCol := -1, -1, -1
	for i, c := range v.cols {
		switch c.id {
		case colSpark:
			sparkCol = i
		case colFlag:
			flagCol = i
		case colROP:
			ropCol = i
		}
	}
	for i := 0; i < h; i++ {
		idx := v.offset + i - v.bufStart
		if idx < 0 || idx >= len(v.buf) {
			break
		}
		l := v.buf[idx]
		cells := stockCells(l.row, l.extra, v.asOf, "", v.cols)
		selected := v.offset+i == v.cursor
		if sparkCol >= 0 {
			cells[sparkCol] = fit(l.spark, v.cols[sparkCol].width, false)
		}
		if statusCol >= 0 && !selected {
			cells[statusCol] = v.st.Status[l.row.Status(v.asOf)].Render(cells[statusCol])
		}
		if ropCol >= 0 && !selected && belowROP(l.row, l.extra) {
			cells[ropCol] = v.st.Status[model.StatusLow].Render(cells[ropCol])
		}
		if flagCol >= 0 && !selected && l.extra.Anomalies > 0 {
			cells[flagCol] = v.st.Status[model.StatusOut].Render(cells[flagCol])
		}
		// The mark shows the cursor without colour too (NO_COLOR, dumb terminals).
		line := " " + strings.Join(cells, " ")
		if selected {
			if sparkCol >= 0 { // the selection bar shows the plain sparkline shape
				cells[sparkCol] = fit(stripANSI(l.spark), v.cols[sparkCol].width, false)
			}
			line = v.st.Selected.Render(fit("›"+strings.Join(cells, " "), tw, false))
		}
		b.WriteString("\n" + line)
	}
	v.body = v.withPane(b.String())
}

// View is the rendered table.
func (v *stockView) View() string { return v.body }

// Position says where the cursor is, for the status bar: "row 12 of 6,000".
func (v *stockView) Position() string {
	if len(v.buf) == 0 {
		return ""
	}
	total := "…"
	if v.total >= 0 {
		total = thousands(v.total)
	}
	return fmt.Sprintf("row %s of %s", thousands(v.cursor+1), total)
}

// FilterLine is the filter prompt or the active filter, for the footer.
func (v *stockView) FilterLine() string {
	switch {
	case v.filtering:
		return v.input.View()
	case v.filterTxt != "":
		return v.st.Prompt.Render("/") + v.filterTxt
	}
	return ""
}

// FilterError says why the filter being typed does not parse yet.
func (v *stockView) FilterError() string { return v.filterErr }

// Selected is the row under the cursor.
func (v *stockView) Selected() (model.StockRow, bool) {
	if c := v.cursor - v.bufStart; c >= 0 && c < len(v.buf) {
		return v.buf[c].row, true
	}
	return model.StockRow{}, false
}

func thousands(n int) string { return model.Thousands(int64(n)) }

func stripANSI(s string) string { return ansi.Strip(s) }
