package tui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"stockroom/engine"
	"stockroom/model"
)

// anomaliesBackend is what the Anomalies screen (and the anomaly markers
// of the stock table and the item chart) need from the engine.
type anomaliesBackend interface {
	// Anomalies returns a page of stored anomalies (keyset: q.After).
	Anomalies(ctx context.Context, q engine.AnomalyQuery) ([]model.Anomaly, error)
	AnomalyCount(ctx context.Context, q engine.AnomalyQuery) (int, error)
	// AnomalyLog returns the actions taken on an anomaly, oldest first.
	AnomalyLog(ctx context.Context, id int64) ([]engine.AnomalyLogEntry, error)
	// AnomalySeries is the series an anomaly is a point of, for its chart.
	AnomalySeries(ctx context.Context, a model.Anomaly) (engine.AnomalySeries, error)
	// ActOnAnomaly applies an action on the version the person saw; a
	// conflict wraps model.ErrAnomalyStale, a viewer engine.ErrNotAllowed.
	ActOnAnomaly(ctx context.Context, actor model.Actor, id int64, r model.ActionRequest) (model.Anomaly, error)
	// OpenAnomalyCounts counts open anomalies on or after since per
	// (item id, location id), for markers in the stock table; keys without
	// any are left out.
	OpenAnomalyCounts(ctx context.Context, keys [][2]int64, since model.Date) (map[[2]int64]int, error)
	// SeriesAnomalies returns an item×location's anomalies in every state,
	// oldest first, for marking its chart.
	SeriesAnomalies(ctx context.Context, sku, location string) ([]model.Anomaly, error)
}

// anomaliesPage is how many anomalies a fetch asks for.
const anomaliesPage = 100

// wideAnomalies is the width from which the detail pane sits beside the
// list.
const wideAnomalies = 140

// stateCycle is the order the state filter key steps through; nil is
// every state.
var stateCycle = [][]model.AnomalyState{
	{model.AnomalyOpen}, {model.AnomalyConfirmed}, {model.AnomalyCorrected}, {model.AnomalyExcluded}, {model.AnomalyDismissed}, nil,
}

// anomalyDetailMsg is the chart series and the action log of one anomaly.
type anomalyDetailMsg struct {
	id     int
	aid    int64
	series engine.AnomalySeries
	log    []engine.AnomalyLogEntry
	err    error
}

// anomalyActedMsg is the result of an action taken on the screen.
type anomalyActedMsg struct {
	id     int
	act    model.AnomalyAction
	before model.Anomaly
	after  model.Anomaly
	err    error
}

// anomaliesView lists stored anomalies (a state filter, newest or highest
// score first, keyset pages), shows the selected one on a chart of its
// series with its log, and acts on it from the keyboard: each action
// states the version shown, so someone else's action in between is a
// conflict in the status line, not a silent override.
type anomaliesView struct {
	env *env
	id  int
	split

	states    []model.AnomalyState // nil: every state
	sort      engine.AnomalySort
	filterTxt string // sku=, loc=, det= conditions; a bare word is a sku
	filterErr string
	query     engine.AnomalyQuery

	pager[model.Anomaly]
	pending bool // an action is on its way

	detail  *anomalyDetailMsg // of the selected anomaly, when loaded
	loading int64             // the anomaly whose detail is being fetched
	chart   string
	result  string // what the last action did, for the status line until the cursor moves

	input     textinput.Model
	filtering bool
	editing   bool   // typing a correction
	question  string // what the correction asks, drawn before the field

	list, side string // rendered panes
	body       string
}

func newAnomaliesView(e *env, states []model.AnomalyState) *anomaliesView {
	in := textinput.New()
	in.PromptStyle = e.st.Prompt
	in.CharLimit = 60
	in.Cursor.SetMode(cursor.CursorStatic)
	v := &anomaliesView{env: e, id: e.id(), split: split{wideAt: wideAnomalies, rule: false}, states: states, input: in,
		pager: newPager(func(a model.Anomaly) int64 { return a.ID })}
	v.query = v.buildQuery()
	return v
}

// parseAnomaliesArgs reads `:anomalies [STATE]`: a state, a comma list of
// them, or all.
func parseAnomaliesArgs(args []string) ([]model.AnomalyState, error) {
	if len(args) == 0 {
		return []model.AnomalyState{model.AnomalyOpen}, nil
	}
	if len(args) > 1 {
		return nil, fmt.Errorf("usage: :anomalies [open|dismissed|confirmed|corrected|excluded|all]")
	}
	if strings.EqualFold(args[0], "all") {
		return nil, nil
	}
	var out []model.AnomalyState
	for _, p := range strings.Split(args[0], ",") {
		st, ok := model.ParseAnomalyState(p)
		if !ok {
			return nil, fmt.Errorf("%q is not a state (open, dismissed, confirmed, corrected, excluded, all)", p)
		}
		out = append(out, st)
	}
	return out, nil
}

// parseAnomalyFilter reads the / filter: sku=, loc=, det= match exactly;
// a bare word matches the sku, the file or the detector fuzzily, as the
// stock table's filter does.
func parseAnomalyFilter(s string) (q engine.AnomalyQuery, err error) {
	q.Text, err = filterTokens(s, "sku=, loc= or det=", func(name, val string) bool {
		switch name {
		case "sku":
			q.SKU = val
		case "loc", "location":
			q.Location = val
		case "det", "detector", "rule":
			q.Detector = val
		default:
			return false
		}
		return true
	})
	return q, err
}

func (v *anomaliesView) buildQuery() engine.AnomalyQuery {
	q, _ := parseAnomalyFilter(v.filterTxt)
	q.States, q.Sort = v.states, v.sort
	return q
}

func (v *anomaliesView) Init() tea.Cmd { return v.reload() }

// reload starts the list from the top for the current query.
func (v *anomaliesView) reload() tea.Cmd { return v.fetch(nil, anomaliesPage) }

// fetch loads a page (after the cursor given, or from the top with the
// count).
func (v *anomaliesView) fetch(after *engine.AnomalyCursor, limit int) tea.Cmd {
	be, q := v.env.be, v.query
	q.After, q.Limit = after, limit
	return v.load(v.id, limit, after != nil,
		func(ctx context.Context) ([]model.Anomaly, error) { return be.Anomalies(ctx, q) },
		func(ctx context.Context) (int, error) { return be.AnomalyCount(ctx, q) })
}

// Refresh reloads as many rows as are loaded, keeping the cursor on the
// same anomaly when it is still listed (or at the same place).
func (v *anomaliesView) Refresh() tea.Cmd {
	if v.busy || v.pending {
		return nil
	}
	v.detail, v.loading = nil, 0
	return v.fetch(nil, max(anomaliesPage, len(v.rows)))
}

// Title is the breadcrumb: the states shown and the order.
func (v *anomaliesView) Title() string {
	t := "Anomalies " + statesLabel(v.states)
	if v.sort == engine.AnomalyByScore {
		t += " by score"
	}
	if v.filterTxt != "" {
		t += " /" + v.filterTxt
	}
	return t
}

func statesLabel(states []model.AnomalyState) string {
	if len(states) == 0 {
		return "(all)"
	}
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

// Keys are the screen's own bindings.
func (v *anomaliesView) Keys() []key.Binding {
	k := v.env.keys
	// s toggles between two orders here, whatever it does elsewhere.
	order := key.NewBinding(key.WithKeys(k.Sort.Keys()...), key.WithHelp(k.Sort.Help().Key, "newest / by score"))
	return []key.Binding{k.Dismiss, k.Confirm, k.Correct, k.Exclude, k.Reopen, k.States, order, k.Filter, k.Open}
}

// Capturing reports whether the filter or a correction has the keyboard.
func (v *anomaliesView) Capturing() bool { return v.filtering || v.editing }

// Back clears the filter, if any. (While a field has the keyboard, esc
// reaches the field: it cancels a correction and clears the filter.)
func (v *anomaliesView) Back() (bool, tea.Cmd) {
	if v.filterTxt != "" {
		v.input.SetValue("")
		return true, v.setFilter("")
	}
	return false, nil
}

// SetSize lays the screen out for a new size.
func (v *anomaliesView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.input.Width = max(10, w-30)
	v.clamp()
	v.draw()
}

// Update handles the screen's data and keys.
func (v *anomaliesView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case pageMsg[model.Anomaly]:
		if msg.id != v.id || msg.gen != v.gen {
			return v, nil
		}
		return v, v.onPage(msg)
	case anomalyDetailMsg:
		if msg.id != v.id {
			return v, nil
		}
		if a, ok := v.selected(); !ok || a.ID != msg.aid {
			return v, v.wantDetail()
		}
		v.loading = 0
		v.detail = &msg
		v.draw()
		return v, nil
	case anomalyActedMsg:
		if msg.id != v.id {
			return v, nil
		}
		return v, v.onActed(msg)
	case tea.KeyMsg:
		switch {
		case v.editing:
			return v, v.editKey(msg)
		case v.filtering:
			return v, v.filterKey(msg)
		}
		return v, v.key(msg)
	}
	return v, nil
}

func (v *anomaliesView) onPage(msg pageMsg[model.Anomaly]) tea.Cmd {
	if !v.take(msg, true) {
		v.draw()
		return nil
	}
	v.clamp()
	v.draw()
	return tea.Batch(v.wantDetail(), v.prefetch())
}

// prefetch loads the next page when the cursor nears the end of what is
// loaded.
func (v *anomaliesView) prefetch() tea.Cmd {
	if !v.wantMore(v.listRows()) {
		return nil
	}
	last := v.rows[len(v.rows)-1]
	return v.fetch(&engine.AnomalyCursor{Day: last.Date, Score: last.Score, ID: last.ID}, anomaliesPage)
}

// wantDetail fetches the selected anomaly's series and log unless they
// are shown or on their way.
func (v *anomaliesView) wantDetail() tea.Cmd {
	a, ok := v.selected()
	if !ok || (v.detail != nil && v.detail.aid == a.ID) || v.loading == a.ID {
		return nil
	}
	v.loading = a.ID
	be, id := v.env.be, v.id
	return func() tea.Msg {
		ctx := context.Background()
		m := anomalyDetailMsg{id: id, aid: a.ID}
		if m.series, m.err = be.AnomalySeries(ctx, a); m.err != nil {
			return m
		}
		m.log, m.err = be.AnomalyLog(ctx, a.ID)
		return m
	}
}

func (v *anomaliesView) key(msg tea.KeyMsg) tea.Cmd {
	k := v.env.keys
	if n, ok := moveBy(msg, k, v.listRows()); ok {
		return v.move(n)
	}
	switch {
	case key.Matches(msg, k.Sort):
		v.sort = 1 - v.sort
		v.query = v.buildQuery()
		v.cursor, v.offset = 0, 0
		return v.reload()
	case key.Matches(msg, k.States):
		v.states = nextStates(v.states)
		v.query = v.buildQuery()
		v.cursor, v.offset = 0, 0
		return v.reload()
	case key.Matches(msg, k.Filter):
		v.filtering = true
		v.question = ""
		v.input.Prompt = "/"
		v.input.Width = max(10, v.w-30)
		v.input.Placeholder = "text, sku=SKU loc=DC1 det=robust_z"
		v.input.SetValue(v.filterTxt)
		v.input.CursorEnd()
		v.render()
		return v.input.Focus()
	case key.Matches(msg, k.Open):
		if a, ok := v.selected(); ok && a.SKU != "" {
			return open(newItemView(v.env, a.SKU, a.Location))
		}
	case key.Matches(msg, k.Dismiss):
		return v.act(model.ActDismiss, math.NaN())
	case key.Matches(msg, k.Confirm):
		return v.act(model.ActConfirm, math.NaN())
	case key.Matches(msg, k.Exclude):
		return v.act(model.ActExclude, math.NaN())
	case key.Matches(msg, k.Reopen):
		return v.act(model.ActReopen, math.NaN())
	case key.Matches(msg, k.Correct):
		a, ok := v.selected()
		if !ok {
			return nil
		}
		if err := v.mayAct(); err != nil {
			return func() tea.Msg { return errMsg{err} }
		}
		v.editing = true
		// Drawn beside the field, not as its Prompt: bubbles v1 takes a
		// Prompt's width off the placeholder's room (the expected 14
		// showed as "1").
		v.question = fmt.Sprintf("correct %s on %s from %g to: ", a.Subject(), a.Date, a.Observed)
		v.input.Prompt = ""
		v.input.Width = max(10, min(20, v.w-len([]rune(v.question))-1))
		v.input.Placeholder = ""
		if !math.IsNaN(a.Expected) {
			v.input.Placeholder = strconv.FormatFloat(math.Round(a.Expected), 'f', -1, 64)
		}
		v.input.SetValue("")
		v.render()
		return v.input.Focus()
	}
	return nil
}

// nextStates is the state filter after s in stateCycle.
func nextStates(s []model.AnomalyState) []model.AnomalyState {
	for i, c := range stateCycle {
		if statesLabel(c) == statesLabel(s) {
			return stateCycle[(i+1)%len(stateCycle)]
		}
	}
	return stateCycle[0]
}

// closeFilter gives the keyboard back to the list.
func (v *anomaliesView) closeFilter() {
	v.filtering = false
	v.input.Blur()
	v.render()
}

func (v *anomaliesView) filterKey(msg tea.KeyMsg) tea.Cmd {
	return editFilter(msg, v.env.keys, &v.input, v.filterTxt, v.closeFilter, v.setFilter)
}

// setFilter applies filter text; a half-typed condition keeps the last
// good filter and says what is wrong.
func (v *anomaliesView) setFilter(s string) tea.Cmd {
	v.filterTxt = s
	if _, err := parseAnomalyFilter(s); err != nil {
		v.filterErr = err.Error()
		v.render()
		return nil
	}
	v.filterErr = ""
	v.query = v.buildQuery()
	v.cursor, v.offset = 0, 0
	return v.reload()
}

func (v *anomaliesView) editKey(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, v.env.keys.Back) {
		v.editing = false
		v.input.Blur()
		v.render()
		return nil
	}
	if key.Matches(msg, v.env.keys.Accept) {
		text := strings.TrimSpace(v.input.Value())
		if text == "" {
			text = v.input.Placeholder
		}
		val, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(val) || math.IsInf(val, 0) {
			return func() tea.Msg { return errMsg{fmt.Errorf("correct: %q is not a number", text)} }
		}
		v.editing = false
		v.input.Blur()
		return v.act(model.ActCorrect, val)
	}
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(msg)
	return cmd
}

// mayAct refuses viewers before anything is sent (the engine refuses them
// too).
func (v *anomaliesView) mayAct() error {
	if r := v.env.actor.Role; !r.Can(model.RoleOperator) {
		return fmt.Errorf("acting on anomalies needs the operator role (you are %s)", r)
	}
	return nil
}

// act sends an action on the selected anomaly, stating the version shown.
func (v *anomaliesView) act(act model.AnomalyAction, value float64) tea.Cmd {
	a, ok := v.selected()
	if !ok || v.pending {
		return nil
	}
	if err := v.mayAct(); err != nil {
		return func() tea.Msg { return errMsg{err} }
	}
	v.pending = true
	v.result = fmt.Sprintf("%s #%d…", act, a.ID)
	be, id, actor := v.env.be, v.id, v.env.actor
	if actor.Name == "" {
		actor.Name = "console"
	}
	req := model.ActionRequest{Action: act, Version: a.Version, User: actor.String(), At: time.Now(), Value: value}
	return func() tea.Msg {
		after, err := be.ActOnAnomaly(context.Background(), actor, a.ID, req)
		return anomalyActedMsg{id: id, act: act, before: a, after: after, err: err}
	}
}

// onActed shows the result and reloads: the anomaly may have left the
// state filter, and after a conflict the screen shows what is there now.
func (v *anomaliesView) onActed(m anomalyActedMsg) tea.Cmd {
	v.pending = false
	var cmd tea.Cmd
	if m.err != nil {
		v.result = ""
		err := m.err
		switch {
		case errors.Is(err, model.ErrAnomalyStale):
			err = fmt.Errorf("#%d changed since you saw version %d: someone acted on it first; the list is reloaded", m.before.ID, m.before.Version)
		case errors.Is(err, model.ErrAnomalyTransition):
			err = fmt.Errorf("#%d is %s: cannot %s it", m.before.ID, m.before.State, m.act)
		}
		cmd = func() tea.Msg { return errMsg{err} }
	} else {
		a := m.after
		v.result = fmt.Sprintf("#%d %s → %s (v%d → v%d)", a.ID, m.before.State, a.State, m.before.Version, a.Version)
		for i := range v.rows {
			if v.rows[i].ID == a.ID {
				v.rows[i] = a
			}
		}
	}
	v.draw()
	return tea.Batch(cmd, v.Refresh())
}

func (v *anomaliesView) move(n int) tea.Cmd {
	if len(v.rows) == 0 {
		return nil
	}
	v.result = ""
	v.cursor += n
	v.clamp()
	v.draw()
	return tea.Batch(v.wantDetail(), v.prefetch())
}

// clamp keeps the cursor on a loaded row and on screen.
func (v *anomaliesView) clamp() { v.listCursor.clamp(len(v.rows), v.listRows()) }

// draw redraws the chart when the selection or the size changed, then
// the panes.
func (v *anomaliesView) draw() {
	if v.w == 0 {
		return
	}
	sw, sh := v.sideSize()
	v.chart = ""
	if d := v.detail; d != nil && d.err == nil && len(d.series.Values) > 0 {
		if a, ok := v.selected(); ok && a.ID == d.aid {
			v.chart = v.drawChart(a, d.series, sw, v.chartHeight(sh))
		}
	}
	v.render()
}

// chartHeight is the chart's share of the detail pane.
func (v *anomaliesView) chartHeight(sideH int) int {
	if v.wide() {
		return max(6, min(18, sideH-12))
	}
	return max(0, sideH-5) // heading, two lines of what, legend, last action
}

// drawChart draws the anomaly's series around its day, the day shaded.
func (v *anomaliesView) drawChart(a model.Anomaly, s engine.AnomalySeries, w, h int) string {
	if h < 4 || w < 24 {
		return ""
	}
	end := s.Start.AddDays(len(s.Values) - 1)
	days := max(30, (w-8)*2) // braille: two days a cell
	// The day sits three quarters of the way along, so what followed it
	// (a shift that stayed, a stock that recovered) shows too.
	to := min(end, a.Date.AddDays(days/4))
	from := max(s.Start, to.AddDays(-(days - 1)))
	if a.Date < from || a.Date > to {
		return ""
	}
	return timeChart(w, h, v.env.st, []series{{name: "sales", start: s.Start, values: s.Values}}, nil, []model.Date{a.Date}, from, to)
}

func (v *anomaliesView) render() {
	if v.w == 0 {
		return
	}
	v.list = v.renderList()
	v.side = v.renderSide()
	v.body = v.split.join(v.list, v.side, v.env.st)
}

// anomalyCols are the list's column widths for a pane width: date, score,
// detector, series (the rest), observed, expected, state.
func anomalyCols(w int) (det, ser int) {
	det = 14
	if w >= 100 {
		det = 19
	}
	ser = w - 1 - 10 - 1 - 5 - 1 - det - 1 - 1 - 8 - 1 - 8 - 1 - 9
	return det, max(8, ser)
}

func (v *anomaliesView) renderList() string {
	st := v.env.st
	w := v.listWidth()
	det, ser := anomalyCols(w)
	var b strings.Builder
	order := "DATE▼"
	score := "SCORE"
	if v.sort == engine.AnomalyByScore {
		order, score = "DATE", "SCORE▼"
	}
	b.WriteString(st.Header.Render(fit(fmt.Sprintf(" %-10s %5s %-*s %-*s %8s %8s %-9s", order, score, det, "DETECTOR", ser, "SERIES", "OBSERVED", "EXPECTED", "STATE"), w, false)))
	rows := v.listRows()
	switch {
	case v.err != nil:
		b.WriteString("\n" + st.Error.Render(fit("error: "+v.err.Error(), w, false)))
		rows--
	case !v.loaded:
		b.WriteString("\n" + st.Dim.Render("loading…"))
		rows--
	case len(v.rows) == 0:
		msg := "no " + statesLabel(v.states) + " anomalies"
		if len(v.states) == 0 {
			msg = "no anomalies stored"
		}
		if v.filterTxt != "" {
			msg += " match the filter"
		}
		b.WriteString("\n" + st.Dim.Render(fit(" "+msg+" (f: other states)", w, false)))
		rows--
	}
	for i := v.offset; i < len(v.rows) && i < v.offset+rows; i++ {
		a := v.rows[i]
		expected := "-"
		if !math.IsNaN(a.Expected) {
			expected = formatAmount(a.Expected)
		}
		stateCell := fit(string(a.State), 9, false)
		line := fmt.Sprintf("%-10s %5.2f %s %s %8s %8s ", a.Date, a.Score, fit(a.Detector, det, false), fit(a.Subject(), ser, false),
			formatAmount(a.Observed), expected)
		if i == v.cursor {
			b.WriteString("\n" + st.Selected.Render(fit("›"+line+stateCell, w, false)))
			continue
		}
		if s, ok := st.AnomalyState[a.State]; ok {
			stateCell = s.Render(stateCell)
		}
		b.WriteString("\n " + fit(line+stateCell, w-1, false))
	}
	return b.String()
}

// renderSide is the detail pane: what the selected anomaly is, its chart,
// the last action's result and its log.
func (v *anomaliesView) renderSide() string {
	st := v.env.st
	w, h := v.sideSize()
	if h <= 0 || w <= 0 {
		return ""
	}
	a, ok := v.selected()
	if !ok {
		return ""
	}
	var lines []string
	head := fmt.Sprintf("#%d %s · score %.2f · %s · v%d", a.ID, a.Detector, a.Score, a.State, a.Version)
	if a.State == model.AnomalyCorrected {
		head += fmt.Sprintf(" · %g for forecasting", a.Replacement)
	}
	lines = append(lines, fit(st.Heading.Render(head), w, false))
	what := a.Subject() + " on " + a.Date.Weekday().String()[:3] + " " + a.Date.String()
	if a.Detail != "" {
		what += ": " + a.Detail
	}
	for _, l := range wrapText(what, w, 2) {
		lines = append(lines, fit(l, w, false))
	}
	d := v.detail
	switch {
	case d != nil && d.aid == a.ID && d.err != nil:
		lines = append(lines, st.Error.Render(fit("error: "+d.err.Error(), w, false)))
	case v.chart != "":
		lines = append(lines, strings.Split(v.chart, "\n")...)
		lines = append(lines, st.Dim.Render(fit(fmt.Sprintf("%s · %s shaded", d.series.Name, a.Date), w, false)))
	case d != nil && d.aid == a.ID && len(d.series.Values) == 0:
		lines = append(lines, st.Dim.Render(fit("no series to chart: the finding is about a file or the catalogue", w, false)))
	}
	if d != nil && d.aid == a.ID {
		for i := len(d.log) - 1; i >= 0; i-- {
			e := d.log[i]
			l := fmt.Sprintf("%s %s %s by %s (v%d)", e.At.Format("2006-01-02 15:04"), e.Action, e.To, e.User, e.Version)
			if !math.IsNaN(e.Value) {
				l += fmt.Sprintf(" = %g", e.Value)
			}
			if e.Note != "" {
				l += ": " + e.Note
			}
			// The latest action whole (a note says why, or where the
			// category-wide move is); older ones a line each.
			n := 1
			if i == len(d.log)-1 {
				n = 3
			}
			for _, part := range wrapText(l, w, n) {
				lines = append(lines, st.Dim.Render(fit(part, w, false)))
			}
		}
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// wrapText breaks s into at most n lines of w cells, the last cut short.
func wrapText(s string, w, n int) []string {
	var out []string
	words := strings.Fields(s)
	line := ""
	for _, wd := range words {
		switch {
		case line == "":
			line = wd
		case len([]rune(line))+1+len([]rune(wd)) <= w:
			line += " " + wd
		default:
			out = append(out, line)
			line = wd
		}
	}
	if line != "" {
		out = append(out, line)
	}
	if len(out) > n {
		out[n-1] = strings.Join(out[n-1:], " ")
		out = out[:n]
	}
	return out
}

// formatAmount prints a value in at most 8 cells.
func formatAmount(x float64) string {
	switch {
	case x == math.Trunc(x) && math.Abs(x) < 1e7:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case math.Abs(x) < 1000:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// View is the rendered screen.
func (v *anomaliesView) View() string { return v.body }

// Position is the right side of the status line.
func (v *anomaliesView) Position() string {
	if len(v.rows) == 0 {
		return ""
	}
	pos := v.position("anomaly")
	if v.result != "" {
		return v.result + " · " + pos
	}
	return pos
}

// FilterLine is the filter or the correction being typed, or the filter
// in force, for the footer.
func (v *anomaliesView) FilterLine() string {
	switch {
	case v.editing || v.filtering:
		return v.env.st.Prompt.Render(v.question) + v.input.View()
	case v.filterTxt != "":
		return v.env.st.Prompt.Render("/") + v.filterTxt
	}
	return ""
}

// FilterError says why the filter being typed does not parse yet.
func (v *anomaliesView) FilterError() string { return v.filterErr }
