package tui

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/NimbleMarkets/ntcharts/canvas"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"stockroom/engine"
	"stockroom/engine/route"
	"stockroom/model"
)

// routesBackend is what the Routes screen needs from the engine.
type routesBackend interface {
	// RouteDay picks the depot and day to show when not given: depot ""
	// picks one; the day is NoDate when the depot has no deliveries.
	RouteDay(ctx context.Context, depot string) (string, model.Date, error)
	// LatestRoutePlan is the newest stored plan of a depot's day; nil
	// when there is none.
	LatestRoutePlan(ctx context.Context, depot string, date model.Date) (*engine.RoutePlan, error)
	// ReplanRoutes re-plans a depot's day from its latest plan (or plans
	// it afresh), stores the plan and announces it.
	ReplanRoutes(ctx context.Context, depot string, date model.Date, opt engine.RouteOptions) (*engine.RoutePlan, error)
	// PlanRoutes plans a depot's day from scratch and stores the plan.
	PlanRoutes(ctx context.Context, depot string, date model.Date, opt engine.RouteOptions) (*engine.RoutePlan, error)
}

// replanLimit is how long a re-plan from the console searches: long
// enough for a day's runs, short enough to wait for.
const replanLimit = 2 * time.Second

// wideRoutes is the width from which the map sits beside the list.
const wideRoutes = 120

// routesMsg is a loaded (or freshly made) plan for the Routes screens.
type routesMsg struct {
	id      int
	depot   string
	date    model.Date
	plan    *engine.RoutePlan
	err     error
	planned bool // the result of p or P, not a reload
}

// routesView lists a depot's runs of one day (its latest stored plan)
// with a map of the depot and the stops; enter opens a run's stops.
type routesView struct {
	env   *env
	id    int
	depot string
	date  model.Date
	w, h  int

	plan     *engine.RoutePlan
	loaded   bool
	planning bool
	err      error
	cursor   int
	offset   int
	mp       routeMap
	mapStr   string
	body     string
}

func newRoutesView(e *env, depot string, date model.Date) *routesView {
	return &routesView{env: e, id: e.id(), depot: depot, date: date}
}

// parseRoutesArgs reads `:routes [DEPOT] [DATE]` in either order.
func parseRoutesArgs(args []string) (string, model.Date, error) {
	depot, date := "", model.NoDate
	if len(args) > 2 {
		return "", date, fmt.Errorf("usage: :routes [DEPOT] [YYYY-MM-DD]")
	}
	for _, a := range args {
		if d, err := model.ParseDate(a); err == nil {
			date = d
			continue
		}
		if depot != "" {
			return "", date, fmt.Errorf("usage: :routes [DEPOT] [YYYY-MM-DD] (%q is not a date)", a)
		}
		depot = a
	}
	return depot, date, nil
}

func (v *routesView) Init() tea.Cmd { return v.load() }

func (v *routesView) load() tea.Cmd {
	be, id, depot, date := v.env.be, v.id, v.depot, v.date
	return func() tea.Msg {
		ctx := context.Background()
		m := routesMsg{id: id, depot: depot, date: date}
		if depot == "" || date == model.NoDate {
			d, day, err := be.RouteDay(ctx, depot)
			if err != nil {
				m.err = err
				return m
			}
			if date == model.NoDate {
				date = day
			}
			m.depot, m.date = d, date
		}
		if m.depot != "" && m.date == model.NoDate {
			// No deliveries from it: perhaps no such place (a typo).
			locs, err := be.Locations(ctx)
			if err != nil {
				m.err = err
				return m
			}
			codes := make([]string, len(locs))
			for i, l := range locs {
				codes[i] = l.Code
			}
			m.err = unknownLocation(m.depot, codes)
			return m
		}
		if m.depot == "" || m.date == model.NoDate {
			return m
		}
		m.plan, m.err = be.LatestRoutePlan(ctx, m.depot, m.date)
		return m
	}
}

// replan runs the planner in a command; the engine stores and announces
// the plan, and the message brings it here.
func (v *routesView) replan(fresh bool) tea.Cmd {
	if v.depot == "" || v.date == model.NoDate || v.planning {
		return nil
	}
	if !v.env.actor.Role.Can(model.RoleOperator) {
		v.err = fmt.Errorf("planning routes needs the operator role (you are %s)", v.env.actor.Role)
		v.render()
		return nil
	}
	v.planning, v.err = true, nil
	v.render()
	be, id, depot, date := v.env.be, v.id, v.depot, v.date
	user := v.env.actor.String()
	if user == "" {
		user = "console"
	}
	opt := engine.RouteOptions{TimeLimit: replanLimit, User: user}
	return func() tea.Msg {
		m := routesMsg{id: id, depot: depot, date: date, planned: true}
		if fresh {
			m.plan, m.err = be.PlanRoutes(context.Background(), depot, date, opt)
		} else {
			m.plan, m.err = be.ReplanRoutes(context.Background(), depot, date, opt)
		}
		return m
	}
}

func (v *routesView) Title() string {
	t := "Routes"
	if v.depot != "" {
		t += " " + v.depot
	}
	if v.date != model.NoDate {
		t += " " + v.date.String()
	}
	return t
}

func (v *routesView) Keys() []key.Binding {
	return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "stops")), v.env.keys.Replan, v.env.keys.PlanAfresh}
}

func (v *routesView) Capturing() bool       { return false }
func (v *routesView) Back() (bool, tea.Cmd) { return false, nil }

func (v *routesView) Refresh() tea.Cmd {
	if v.planning {
		return nil
	}
	return v.load()
}

func (v *routesView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.draw()
}

func (v *routesView) runs() []route.Run {
	if v.plan == nil {
		return nil
	}
	return v.plan.Runs
}

func (v *routesView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case routesMsg:
		if msg.id != v.id {
			return v, nil
		}
		v.loaded = true
		if msg.planned {
			v.planning = false
		}
		v.depot, v.date = msg.depot, msg.date
		if msg.err != nil {
			v.err = msg.err
			v.render()
			return v, nil
		}
		v.err = nil
		// Keep the cursor on the same vehicle across reloads.
		sel := ""
		if runs := v.runs(); v.cursor < len(runs) {
			sel = runs[v.cursor].Vehicle
		}
		v.plan = msg.plan
		v.cursor = 0
		for i, r := range v.runs() {
			if r.Vehicle == sel {
				v.cursor = i
			}
		}
		v.clamp()
		v.draw()
	case tea.KeyMsg:
		k := v.env.keys
		if n, ok := moveBy(msg, k, v.listRows()); ok {
			v.move(n)
			return v, nil
		}
		switch {
		case key.Matches(msg, v.env.keys.Replan):
			return v, v.replan(false)
		case key.Matches(msg, v.env.keys.PlanAfresh):
			return v, v.replan(true)
		case key.Matches(msg, k.Open):
			if runs := v.runs(); v.cursor < len(runs) {
				return v, open(newRouteRunView(v.env, v.plan, v.cursor))
			}
		}
	}
	return v, nil
}

func (v *routesView) move(n int) {
	if len(v.runs()) == 0 {
		return
	}
	v.cursor += n
	v.clamp()
	v.draw() // the map highlights the run under the cursor
}

func (v *routesView) clamp() {
	rows := v.listRows()
	v.cursor = max(0, min(v.cursor, len(v.runs())-1))
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+rows {
		v.offset = v.cursor - rows + 1
	}
	v.offset = max(0, v.offset)
}

// layout splits the body below the summary line: the list and the map
// side by side when wide, the map under the list when narrow.
func (v *routesView) layout() routePanes {
	return splitRoutePanes(v.w, v.h-2, len(v.runs())+1+v.extraLines())
}

// extraLines are the list pane's lines after the runs: the unassigned
// deliveries, and why the plan is not feasible.
func (v *routesView) extraLines() int {
	n := 0
	if v.plan != nil && len(v.plan.Unassigned) > 0 {
		n++
	}
	if len(v.brokenLimits()) > 0 {
		n++
	}
	return n
}

// brokenLimits are the plan's problems besides unassigned deliveries
// (which have their own line, and come first in Problems).
func (v *routesView) brokenLimits() []string {
	if v.plan == nil || v.plan.Feasible {
		return nil
	}
	why := v.plan.Problems
	if len(v.plan.Unassigned) > 0 && len(why) > 0 {
		why = why[1:]
	}
	return why
}

func (v *routesView) listRows() int { return max(1, v.layout().listH-1-v.extraLines()) }

// draw redraws the map (the costly part) and the rest.
func (v *routesView) draw() {
	l := v.layout()
	v.mapStr = ""
	if v.plan != nil && l.mapW > 0 {
		v.mapStr = v.mp.draw(v.plan.Plan, l.mapW, l.mapH, v.cursor, -1, v.env.st)
	}
	v.render()
}

func (v *routesView) render() {
	if v.w == 0 {
		return
	}
	st := v.env.st
	var head string
	switch {
	case v.planning:
		head = st.Dim.Render(fmt.Sprintf("planning %s %s… (up to %s)", v.depot, v.date, replanLimit))
	case !v.loaded:
		head = st.Dim.Render("loading routes…")
	case v.err != nil:
		head = st.Error.Render("error: " + v.err.Error())
	case v.depot == "":
		head = st.Dim.Render("no vehicles yet: import vehicles, deliveries and roads (nodes, roads) files")
	case v.date == model.NoDate:
		head = st.Dim.Render("no deliveries from " + v.depot + ": import a deliveries file")
	case v.plan == nil:
		head = st.Dim.Render(fmt.Sprintf("no plan for %s on %s yet: press p to plan", v.depot, v.date))
	default:
		head = planSummary(v.plan, st)
	}
	lines := []string{fit(head, v.w, false)}
	if v.plan == nil {
		v.body = lines[0]
		return
	}
	lines = append(lines, fit(planByline(v.plan, st), v.w, false))
	l := v.layout()
	list := []string{st.Header.Render(fit(fmt.Sprintf("    %-2s %-10s %5s %9s %7s %8s %5s %5s", "#", "VEHICLE", "STOPS", "LOAD/CAP", "KM", "DURATION", "START", "END"), l.listW, false))}
	runs := v.runs()
	for i := v.offset; i < len(runs) && i < v.offset+v.listRows(); i++ {
		r := runs[i]
		line := fmt.Sprintf(" %s %-2d %-10s %5d %9s %7.1f %8s %5s %5s", runMark(i), i+1, truncateText(r.Vehicle, 10), len(r.Stops),
			fmt.Sprintf("%d/%d", r.Load, r.Capacity), r.DistanceM/1000, route.Span(r.DurationMin), route.Clock(r.StartMin), route.Clock(r.EndMin))
		if r.Departed {
			line += " on the road"
		}
		if i == v.cursor {
			list = append(list, st.Selected.Render(fit("›"+line, l.listW, false)))
		} else {
			list = append(list, " "+fit(line, l.listW-1, false))
		}
	}
	if len(runs) == 0 {
		list = append(list, st.Dim.Render(fit(" no runs", l.listW, false)))
	}
	if n := len(v.plan.Unassigned); n > 0 {
		list = append(list, st.Error.Render(fit(fmt.Sprintf(" %d unassigned: %s", n, strings.Join(v.plan.Unassigned, " ")), l.listW, false)))
	}
	if why := v.brokenLimits(); len(why) > 0 {
		text := " " + why[0]
		if len(why) > 1 {
			text += fmt.Sprintf(" (+%d more)", len(why)-1)
		}
		list = append(list, st.Error.Render(fit(text, l.listW, false)))
	}
	// Wide, the room under the runs previews the highlighted run's stops.
	if room := l.listH - len(list) - 2; l.beside && room >= 3 && v.cursor < len(runs) {
		r := runs[v.cursor]
		list = append(list, "", st.Header.Render(fit(fmt.Sprintf("%s · %s, stops in order (enter to scroll them)", runMark(v.cursor), r.Vehicle), l.listW, false)),
			st.Header.Render(fit(stopHeader, l.listW, false)))
		for i, s := range r.Stops {
			if i == room-1 && len(r.Stops) > room {
				list = append(list, st.Dim.Render(fmt.Sprintf("   … %d more", len(r.Stops)-i)))
				break
			}
			list = append(list, " "+stopRow(i, s))
		}
	}
	lines = append(lines, joinRoutePanes(list, v.mapStr, l))
	v.body = strings.Join(lines, "\n")
}

func (v *routesView) View() string { return v.body }

func (v *routesView) Position() string {
	if n := len(v.runs()); n > 0 {
		return fmt.Sprintf("run %d of %d", v.cursor+1, n)
	}
	return ""
}

// planSummary is the first line of a plan's header: what it does.
func planSummary(p *engine.RoutePlan, st *Styles) string {
	stops := 0
	for _, r := range p.Runs {
		stops += len(r.Stops)
	}
	state := st.Value.Render("feasible")
	if !p.Feasible {
		state = st.Error.Render("NOT feasible")
	}
	dist := "roads"
	if !p.Roads {
		dist = "great circles ×1.3"
	}
	return st.Heading.Render(fmt.Sprintf("%s %s", p.Depot.Code, p.Date)) +
		fmt.Sprintf("  %d runs · %d stops · %.1f km in %s · ", len(p.Runs), stops, p.DistanceM/1000, route.Span(p.DurationMin)) +
		state + st.Dim.Render(" · "+dist)
}

// planByline is the second line: which plan, who made it, when and why.
func planByline(p *engine.RoutePlan, st *Styles) string {
	who := ""
	if p.User != "" {
		who = " by " + p.User
	}
	return st.Dim.Render(fmt.Sprintf("plan %d%s at %s · %s", p.ID, who, p.CreatedAt.Format("2006-01-02 15:04"), p.Note))
}

// stopHeader heads the stop rows of stopRow.
var stopHeader = fmt.Sprintf(" %3s %-16s %-14s %6s %6s %5s %6s", "#", "DELIVERY", "CUSTOMER", "DEMAND", "ARRIVE", "START", "LEG KM")

// stopRow is the i-th stop of a run (after the cursor column).
func stopRow(i int, s route.Stop) string {
	line := fmt.Sprintf("%3d %-16s %-14s %6d %6s %5s %6.1f", i+1, truncateText(s.Delivery, 16), truncateText(s.Customer, 14),
		s.Demand, route.Clock(s.ArriveMin), route.Clock(s.StartMin), s.LegM/1000)
	switch {
	case s.Late:
		line += " late"
	case s.Done:
		line += " done"
	case s.StartMin > s.ArriveMin+0.5:
		line += " waits"
	}
	return line
}

// routeRunView is one run's stops in order, with the run on the map.
type routeRunView struct {
	env    *env
	id     int
	plan   *engine.RoutePlan
	run    int
	w, h   int
	cursor int
	offset int
	gone   bool // a newer plan no longer has this vehicle
	mp     routeMap
	mapStr string
	body   string
}

func newRouteRunView(e *env, p *engine.RoutePlan, run int) *routeRunView {
	return &routeRunView{env: e, id: e.id(), plan: p, run: run}
}

func (v *routeRunView) Init() tea.Cmd { return nil }

func (v *routeRunView) stops() []route.Stop {
	if v.gone {
		return nil
	}
	return v.plan.Runs[v.run].Stops
}

func (v *routeRunView) Title() string { return v.plan.Runs[v.run].Vehicle }

func (v *routeRunView) Keys() []key.Binding   { return nil }
func (v *routeRunView) Capturing() bool       { return false }
func (v *routeRunView) Back() (bool, tea.Cmd) { return false, nil }

// Refresh follows the vehicle into the depot's newest plan.
func (v *routeRunView) Refresh() tea.Cmd {
	be, id, depot, date := v.env.be, v.id, v.plan.Depot.Code, v.plan.Date
	return func() tea.Msg {
		p, err := be.LatestRoutePlan(context.Background(), depot, date)
		return routesMsg{id: id, depot: depot, date: date, plan: p, err: err}
	}
}

func (v *routeRunView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.clamp()
	v.draw()
}

func (v *routeRunView) layout() routePanes { return splitRoutePanes(v.w, v.h-1, len(v.stops())+1) }

func (v *routeRunView) listRows() int { return max(1, v.layout().listH-1) }

func (v *routeRunView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case routesMsg:
		if msg.id != v.id || msg.err != nil || msg.plan == nil {
			return v, nil
		}
		vehicle := v.plan.Runs[v.run].Vehicle
		v.gone = true
		for i, r := range msg.plan.Runs {
			if r.Vehicle == vehicle {
				v.plan, v.run, v.gone = msg.plan, i, false
			}
		}
		v.clamp()
		v.draw()
	case tea.KeyMsg:
		k := v.env.keys
		n, _ := moveBy(msg, k, v.listRows())
		if n != 0 && len(v.stops()) > 0 {
			v.cursor += n
			v.clamp()
			v.draw()
		}
	}
	return v, nil
}

func (v *routeRunView) clamp() {
	rows := v.listRows()
	v.cursor = max(0, min(v.cursor, len(v.stops())-1))
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+rows {
		v.offset = v.cursor - rows + 1
	}
	v.offset = max(0, v.offset)
}

func (v *routeRunView) draw() {
	l := v.layout()
	v.mapStr = ""
	if l.mapW > 0 && !v.gone {
		v.mapStr = v.mp.draw(v.plan.Plan, l.mapW, l.mapH, v.run, v.cursor, v.env.st)
	}
	v.render()
}

func (v *routeRunView) render() {
	if v.w == 0 {
		return
	}
	st := v.env.st
	r := v.plan.Runs[v.run]
	if v.gone {
		v.body = st.Dim.Render(fit(fmt.Sprintf("%s has no run in the newest plan of %s %s", r.Vehicle, v.plan.Depot.Code, v.plan.Date), v.w, false))
		return
	}
	head := st.Heading.Render(fmt.Sprintf("run %d · %s", v.run+1, r.Vehicle)) +
		fmt.Sprintf("  %d stops · %d/%d · %.1f km · %s · %s–%s", len(r.Stops), r.Load, r.Capacity, r.DistanceM/1000,
			route.Span(r.DurationMin), route.Clock(r.StartMin), route.Clock(r.EndMin))
	if r.Departed {
		head += st.Dim.Render(" · on the road")
	}
	l := v.layout()
	list := []string{st.Header.Render(fit(stopHeader, l.listW, false))}
	stops := v.stops()
	for i := v.offset; i < len(stops) && i < v.offset+v.listRows(); i++ {
		s := stops[i]
		line := stopRow(i, s)
		switch {
		case i == v.cursor:
			list = append(list, st.Selected.Render(fit("›"+line, l.listW, false)))
		case s.Late:
			list = append(list, " "+st.Error.Render(fit(line, l.listW-1, false)))
		default:
			list = append(list, " "+fit(line, l.listW-1, false))
		}
	}
	if len(stops) == 0 {
		list = append(list, st.Dim.Render(fit(" no stops", l.listW, false)))
	}
	v.body = fit(head, v.w, false) + "\n" + joinRoutePanes(list, v.mapStr, l)
}

func (v *routeRunView) View() string { return v.body }

func (v *routeRunView) Position() string {
	if n := len(v.stops()); n > 0 {
		return fmt.Sprintf("stop %d of %d", v.cursor+1, n)
	}
	return ""
}

// routePanes is how a body is split between a list and a map.
type routePanes struct {
	listW, listH int
	mapW, mapH   int // 0 when there is no room for a map
	beside       bool
}

// routeListWidth is what a routes list needs.
const routeListWidth = 76

// splitRoutePanes splits w×h: from wideRoutes columns the map takes the width
// the list leaves; below that it goes under the list, which keeps at most
// need lines (and half the height when it needs more).
func splitRoutePanes(w, h, need int) routePanes {
	if w >= wideRoutes {
		return routePanes{listW: routeListWidth, listH: h, mapW: w - routeListWidth - 1, mapH: h, beside: true}
	}
	listH := min(need, max(4, h/2))
	p := routePanes{listW: w, listH: max(1, listH)}
	if mapH := h - listH - 1; mapH >= 5 && w >= 20 {
		p.mapW, p.mapH = w, mapH
	} else {
		p.listH = h
	}
	return p
}

// joinRoutePanes puts the map beside or under the list lines.
func joinRoutePanes(list []string, mapStr string, l routePanes) string {
	for i := range list {
		list[i] = fit(list[i], l.listW, false)
	}
	left := strings.Join(list, "\n")
	switch {
	case mapStr == "":
		return left
	case l.beside:
		for len(list) < l.listH {
			list = append(list, strings.Repeat(" ", l.listW))
		}
		return lipgloss.JoinHorizontal(lipgloss.Top, strings.Join(list, "\n"), " ", mapStr)
	}
	for len(list) < l.listH {
		list = append(list, "")
	}
	return strings.Join(list, "\n") + "\n" + mapStr
}

// runMark is the letter a run's stops carry on the map.
func runMark(i int) string {
	const marks = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	return string(marks[i%len(marks)])
}

// routeBrailleBit is the dot of a braille cell at (x 0..1, y 0..3).
var routeBrailleBit = [2][4]rune{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

// routeMap draws the depot, every run's path and its stops on a w×h
// canvas: the highlighted run in colour with its stops lettered, the others
// dim, the depot on top. Paths are braille lines (2×4 dots a cell); the
// projection keeps the ground's aspect, as Plan.Project does for whole
// cells. The rasterised paths and the canvas are kept for the plan and
// size they were made for, so moving the highlight only recolours.
type routeMap struct {
	plan  *route.Plan
	w, h  int
	c     canvas.Model
	class []string // the RouteMap style of each cell, "" blank
	runs  [][]pathCell
	stops [][]canvas.Point // per run
	depot canvas.Point
	bits  []rune
	owner []int8
}

// pathCell is the dots one run's path sets in one cell.
type pathCell struct {
	i    int32 // y*w + x
	bits rune
}

// draw returns the map with run hi highlighted and, when stop ≥ 0, that
// stop of it marked.
func (m *routeMap) draw(p *route.Plan, w, h, hi, stop int, st *Styles) string {
	if w < 10 || h < 3 || p == nil {
		return ""
	}
	if m.plan != p || m.w != w || m.h != h {
		m.prepare(p, w, h)
	}
	// Blank only the cells drawn last time: Clear would allocate a new
	// canvas, which costs more than the drawing.
	for i, cl := range m.class {
		if cl != "" {
			m.c.SetCell(canvas.Point{X: i % w, Y: i / w}, canvas.Cell{})
			m.class[i] = ""
		}
	}
	clear(m.bits)
	clear(m.owner)
	put := func(pt canvas.Point, r rune, cl string) {
		if m.c.SetRuneWithStyle(pt, r, st.RouteMap[cl]) {
			m.class[pt.Y*w+pt.X] = cl
		}
	}
	for ri, cells := range m.runs {
		o := int8(1)
		if ri == hi {
			o = 2
		}
		for _, pc := range cells {
			m.bits[pc.i] |= pc.bits
			m.owner[pc.i] = max(m.owner[pc.i], o)
		}
	}
	for i, b := range m.bits {
		if b == 0 {
			continue
		}
		cl := "other"
		if m.owner[i] == 2 {
			cl = "run"
		}
		put(canvas.Point{X: i % w, Y: i / w}, 0x2800+b, cl)
	}
	// Stops of the other runs first, so the highlighted run's stay visible.
	for ri, pts := range m.stops {
		if ri == hi {
			continue
		}
		for _, pt := range pts {
			put(pt, '•', "other")
		}
	}
	if hi >= 0 && hi < len(m.stops) {
		mark := rune(runMark(hi)[0])
		for j, pt := range m.stops[hi] {
			if j != stop {
				put(pt, mark, "stop")
			}
		}
		if stop >= 0 && stop < len(m.stops[hi]) {
			put(m.stops[hi][stop], '◆', "depot")
		}
	}
	put(m.depot, '■', "depot")
	return viewCanvas(&m.c, m.class, st)
}

// prepare projects and rasterises a plan for a w×h map.
func (m *routeMap) prepare(p *route.Plan, w, h int) {
	m.plan, m.w, m.h = p, w, h
	m.c = canvas.New(w, h)
	m.class, m.bits, m.owner = make([]string, w*h), make([]rune, w*h), make([]int8, w*h)
	minLat, minLon, maxLat, maxLon := p.Bounds()
	k := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	spanX := math.Max((maxLon-minLon)*k, 1e-9)
	spanY := math.Max(maxLat-minLat, 1e-9)
	dw, dh := float64(2*w-1), float64(4*h-1) // braille dots are about square
	scale := math.Min(dw/spanX, dh/spanY)
	offX, offY := (dw-spanX*scale)/2, (dh-spanY*scale)/2
	dot := func(lat, lon float64) (int, int) {
		return int(math.Round(offX + (lon-minLon)*k*scale)), int(math.Round(offY + (maxLat-lat)*scale))
	}
	cell := func(lat, lon float64) canvas.Point {
		x, y := dot(lat, lon)
		return canvas.Point{X: min(w-1, max(0, x/2)), Y: min(h-1, max(0, y/4))}
	}
	m.runs, m.stops = make([][]pathCell, len(p.Runs)), make([][]canvas.Point, len(p.Runs))
	seen := map[int32]int{} // cell -> index in the run's cells
	for ri, r := range p.Runs {
		clear(seen)
		var cells []pathCell
		plot := func(x, y int) {
			if x < 0 || y < 0 || x >= 2*w || y >= 4*h {
				return
			}
			i := int32((y/4)*w + x/2)
			b := routeBrailleBit[x%2][y%4]
			if at, ok := seen[i]; ok {
				cells[at].bits |= b
				return
			}
			seen[i] = len(cells)
			cells = append(cells, pathCell{i: i, bits: b})
		}
		for j := 1; j < len(r.Path); j++ {
			x0, y0 := dot(r.Path[j-1].Lat, r.Path[j-1].Lon)
			x1, y1 := dot(r.Path[j].Lat, r.Path[j].Lon)
			// Bresenham from (x0, y0) to (x1, y1).
			dx, dy := absInt(x1-x0), -absInt(y1-y0)
			sx, sy := signInt(x1-x0), signInt(y1-y0)
			e := dx + dy
			for {
				plot(x0, y0)
				if x0 == x1 && y0 == y1 {
					break
				}
				if e2 := 2 * e; e2 >= dy {
					e += dy
					x0 += sx
				} else {
					e += dx
					y0 += sy
				}
			}
		}
		m.runs[ri] = cells
		for _, s := range r.Stops {
			m.stops[ri] = append(m.stops[ri], cell(s.Lat, s.Lon))
		}
	}
	m.depot = cell(p.Depot.Lat, p.Depot.Lon)
}

// viewCanvas renders a canvas like its View, but styles each run of cells
// of one class with one Render call instead of one per cell: a map is
// mostly blank, and per-cell rendering cost more than the drawing.
func viewCanvas(c *canvas.Model, class []string, st *Styles) string {
	w, h := c.Width(), c.Height()
	var b, run strings.Builder
	b.Grow(w * h * 2)
	for y := range h {
		if y > 0 {
			b.WriteByte('\n')
		}
		for x := 0; x < w; {
			cl := class[y*w+x]
			run.Reset()
			for ; x < w && class[y*w+x] == cl; x++ {
				r := c.Cell(canvas.Point{X: x, Y: y}).Rune
				if r == 0 {
					r = ' '
				}
				run.WriteRune(r)
			}
			if cl == "" {
				b.WriteString(run.String())
			} else {
				b.WriteString(st.RouteMap[cl].Render(run.String()))
			}
		}
	}
	return b.String()
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func signInt(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
