package tui

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"stockroom/engine"
	"stockroom/model"
)

// proposalsBackend is what the Proposals screen needs from the engine.
type proposalsBackend interface {
	// Proposals returns a page of proposals, most urgent first (keyset:
	// q.After).
	Proposals(ctx context.Context, q model.ProposalQuery) ([]model.Proposal, error)
	ProposalCount(ctx context.Context, q model.ProposalQuery) (int, error)
	// ProposalAudit returns who did what to a proposal, oldest first.
	ProposalAudit(ctx context.Context, id int64) ([]engine.ProposalAuditEntry, error)
	// ActOnProposal applies an action on the version the person saw; a
	// conflict wraps model.ErrProposalStale or model.ErrProposalTransition.
	ActOnProposal(ctx context.Context, id int64, r model.ProposalRequest) (model.Proposal, error)
	// ActOnProposals applies one action to many proposals, each with the
	// version its row showed; a conflict on one leaves the others alone.
	ActOnProposals(ctx context.Context, versions map[int64]int64, r model.ProposalRequest) []engine.ActResult
	// PlannedAsOf is the data day of the last recompute; NoDate before
	// the first.
	PlannedAsOf(ctx context.Context) (model.Date, error)
}

// proposalsPage is how many proposals a fetch asks for.
const proposalsPage = 100

// proposalsSortCap is the most proposals the screen sorts by another
// column than urgency: the store pages by urgency only, so another order
// needs every selected row in memory.
const proposalsSortCap = 5000

// wideProposals is the width from which the reasons pane sits beside the
// queue.
const wideProposals = 140

// snoozeDays is how long z snoozes when no date or number is typed.
const snoozeDays = 7

// proposalStateCycle is the order the state filter key steps through.
var proposalStateCycle = [][]model.ProposalState{
	{model.ProposalProposed, model.ProposalSnoozed},
	{model.ProposalProposed},
	{model.ProposalSnoozed},
	{model.ProposalApproved},
	{model.ProposalOrdered},
	{model.ProposalPartlyReceived, model.ProposalReceived},
	{model.ProposalRejected},
	{model.ProposalWithdrawn},
	model.ProposalStates,
}

// proposalSort is the queue's order.
type proposalSort int

const (
	sortUrgency proposalSort = iota // most urgent first (keyset pages from the store)
	sortValue                       // highest value first
	sortSKU                         // sku, then location
)

func (s proposalSort) String() string {
	return [...]string{"by urgency", "by value", "by sku"}[s]
}

// proposalAuditMsg is the audit log of one proposal.
type proposalAuditMsg struct {
	id  int
	pid int64
	log []engine.ProposalAuditEntry
	err error
}

// proposalsActedMsg is the result of an action on one or many proposals.
type proposalsActedMsg struct {
	id      int
	act     model.ProposalAction
	shown   map[int64]model.Proposal // the rows as the person saw them
	results []engine.ActResult
}

// promptKind is what the text field is asking for.
type promptKind int

const (
	promptNone promptKind = iota
	promptFilter
	promptReason
	promptQty
	promptSnooze
)

// pendingAct is an action waiting for its y/n: the rows as shown when it
// was asked, so the versions sent are the ones the total was worked out
// from.
type pendingAct struct {
	act   model.ProposalAction
	rows  []model.Proposal
	note  string     // a rejection's reason
	qty   int64      // an edit's new quantity
	until model.Date // a snooze's day
	text  string     // the question, for the input line
}

// proposalsView is the replenishment queue: open proposals most urgent
// first (keyset pages), the reasons of the selected one with its audit
// log, and approve, reject, edit and snooze from the keyboard, on one row
// or on every marked row. Each action sends the version the row showed,
// so an order is never placed twice and someone else's change in between
// is a conflict in the status line.
type proposalsView struct {
	env *env
	id  int
	split

	states    []model.ProposalState
	sort      proposalSort
	filterTxt string // sku=, loc=, sup= conditions; a bare word matches sku, name or category
	filterErr string
	query     model.ProposalQuery

	pager[model.Proposal]
	// unplanned is set by the loader (another goroutine) when the queue
	// is empty because the store was never planned.
	unplanned atomic.Bool
	marks     map[int64]bool
	pending   bool // an action is on its way
	follow    bool // the page on its way is a refresh: keep the cursor on its row

	sideFocus bool // tab: the movement keys scroll the reasons pane
	sideTop   int  // the first reasons line shown under the heading

	audit   *proposalAuditMsg // of the selected proposal, when loaded
	loading int64             // the proposal whose log is being fetched
	result  string            // what the last action did, until the cursor moves

	input     textinput.Model
	prompt    promptKind
	promptErr string      // why the answer typed is refused, beside the field
	confirm   *pendingAct // a y/n question in the input line
	question  string      // what the open prompt asks, drawn before the field

	body string
}

func newProposalsView(e *env, states []model.ProposalState) *proposalsView {
	in := textinput.New()
	in.PromptStyle = e.st.Prompt
	in.CharLimit = 120
	in.Cursor.SetMode(cursor.CursorStatic)
	if len(states) == 0 {
		states = proposalStateCycle[0]
	}
	v := &proposalsView{env: e, id: e.id(), split: split{wideAt: wideProposals, rule: true}, states: states, input: in, marks: map[int64]bool{},
		pager: newPager(func(p model.Proposal) int64 { return p.ID })}
	v.query = v.buildQuery()
	return v
}

// parseProposalsArgs reads `:proposals [STATE]`: open (the default), all,
// a state or a comma list of them.
func parseProposalsArgs(args []string) ([]model.ProposalState, error) {
	if len(args) == 0 {
		return proposalStateCycle[0], nil
	}
	if len(args) > 1 {
		return nil, fmt.Errorf("usage: :proposals [open|proposed|snoozed|approved|ordered|received|rejected|withdrawn|all]")
	}
	switch strings.ToLower(args[0]) {
	case "open":
		return proposalStateCycle[0], nil
	case "all":
		return model.ProposalStates, nil
	}
	var out []model.ProposalState
	for _, p := range strings.Split(args[0], ",") {
		st, ok := model.ParseProposalState(p)
		if !ok {
			return nil, fmt.Errorf("%q is not a proposal state (open, proposed, snoozed, approved, ordered, partly_received, received, rejected, withdrawn, all)", p)
		}
		out = append(out, st)
	}
	return out, nil
}

// parseProposalFilter reads the / filter: sku=X, loc=L, sup=S (or their
// long names), exact; a bare word matches sku, name or category fuzzily,
// as in the stock table ("kettl" finds the kettles).
func parseProposalFilter(s string) (q model.ProposalQuery, err error) {
	q.Text, err = filterTokens(s, "sku=, loc= or sup=", func(name, val string) bool {
		switch name {
		case "sku":
			q.SKU = val
		case "loc", "location":
			q.Location = val
		case "sup", "supplier":
			q.Supplier = val
		default:
			return false
		}
		return true
	})
	return q, err
}

func (v *proposalsView) buildQuery() model.ProposalQuery {
	q, _ := parseProposalFilter(v.filterTxt)
	q.States = v.states
	return q
}

func (v *proposalsView) Init() tea.Cmd { return v.reload() }

// reload starts the queue from the top for the current query.
func (v *proposalsView) reload() tea.Cmd {
	v.follow = false
	if v.sort != sortUrgency {
		return v.fetch(nil, proposalsSortCap+1)
	}
	return v.fetch(nil, proposalsPage)
}

// fetch loads a page (after the cursor given, or from the top with the
// count).
func (v *proposalsView) fetch(after *model.ProposalCursor, limit int) tea.Cmd {
	be, q := v.env.be, v.query
	q.After, q.Limit = after, limit
	return v.load(v.id, limit, after != nil,
		func(ctx context.Context) ([]model.Proposal, error) { return be.Proposals(ctx, q) },
		func(ctx context.Context) (int, error) {
			n, err := be.ProposalCount(ctx, q)
			if err == nil && n == 0 {
				d, perr := be.PlannedAsOf(ctx)
				v.unplanned.Store(perr == nil && d == model.NoDate)
			}
			return n, err
		})
}

// Refresh reloads as many rows as are loaded, keeping the cursor on the
// same proposal when it is still listed (or at the same place), the marks
// on rows still listed, and the filter.
func (v *proposalsView) Refresh() tea.Cmd {
	if v.busy || v.pending {
		return nil
	}
	v.follow = true
	v.audit, v.loading = nil, 0
	if v.sort != sortUrgency {
		return v.fetch(nil, proposalsSortCap+1)
	}
	return v.fetch(nil, max(proposalsPage, len(v.rows)))
}

// Title is the breadcrumb: the states shown, the order and the filter.
func (v *proposalsView) Title() string {
	t := "Proposals " + proposalStatesLabel(v.states)
	if v.sort != sortUrgency {
		t += " " + v.sort.String()
	}
	if v.filterTxt != "" {
		t += " /" + v.filterTxt
	}
	return t
}

func proposalStatesLabel(states []model.ProposalState) string {
	switch {
	case slices.Equal(states, proposalStateCycle[0]):
		return "open"
	case slices.Equal(states, model.ProposalStates):
		return "(all)"
	}
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

// Keys are the screen's own bindings.
func (v *proposalsView) Keys() []key.Binding {
	k := v.env.keys
	// s steps through three orders here, whatever it does elsewhere.
	order := key.NewBinding(key.WithKeys(k.Sort.Keys()...), key.WithHelp(k.Sort.Help().Key, "urgency / value / sku"))
	pane := key.NewBinding(key.WithKeys(k.NextPane.Keys()...), key.WithHelp(k.NextPane.Help().Key, "scroll the reasons"))
	return []key.Binding{k.Approve, k.Reject, k.EditQty, k.Snooze, k.Mark, k.States, order, k.Filter, k.Open, pane}
}

// Capturing reports whether a text field or a y/n question has the
// keyboard.
func (v *proposalsView) Capturing() bool { return v.prompt != promptNone || v.confirm != nil }

// Back clears the marks, then the filter. (While a field has the
// keyboard, esc reaches the field and cancels it.)
func (v *proposalsView) Back() (bool, tea.Cmd) {
	if len(v.marks) > 0 {
		v.marks = map[int64]bool{}
		v.render()
		return true, nil
	}
	if v.filterTxt != "" {
		v.input.SetValue("")
		return true, v.setFilter("")
	}
	return false, nil
}

// SetSize lays the screen out for a new size.
func (v *proposalsView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.clamp()
	v.render()
}

// Update handles the screen's data and keys.
func (v *proposalsView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case pageMsg[model.Proposal]:
		if msg.id != v.id || msg.gen != v.gen {
			return v, nil
		}
		return v, v.onPage(msg)
	case proposalAuditMsg:
		if msg.id != v.id {
			return v, nil
		}
		if p, ok := v.selected(); !ok || p.ID != msg.pid {
			return v, v.wantAudit()
		}
		v.loading = 0
		v.audit = &msg
		v.render()
		return v, nil
	case proposalsActedMsg:
		if msg.id != v.id {
			return v, nil
		}
		return v, v.onActed(msg)
	case tea.KeyMsg:
		switch {
		case v.confirm != nil:
			return v, v.confirmKey(msg)
		case v.prompt != promptNone:
			return v, v.promptKey(msg)
		}
		return v, v.key(msg)
	}
	return v, nil
}

func (v *proposalsView) onPage(msg pageMsg[model.Proposal]) tea.Cmd {
	var cmd tea.Cmd
	if msg.err == nil && !msg.append && v.sort != sortUrgency {
		if len(msg.rows) > proposalsSortCap {
			// Too many to sort in memory: back to the store's order, a
			// page of it, with more to fetch.
			err := fmt.Errorf("sorting %s needs every row in memory: more than %s proposals, filter first", v.sort, thousands(proposalsSortCap))
			v.sort = sortUrgency
			cmd = func() tea.Msg { return errMsg{err} }
			msg.rows, msg.limit = msg.rows[:proposalsPage], proposalsPage
		} else {
			sortProposals(msg.rows, v.sort)
		}
	}
	if !v.take(msg, v.follow) {
		v.render()
		return nil
	}
	if !msg.append {
		v.keepListedMarks()
	}
	v.clamp()
	v.render()
	return tea.Batch(cmd, v.wantAudit(), v.prefetch())
}

// keepListedMarks drops the marks of rows a reload no longer lists: the
// status line counts marks, and one on a row nobody can see would mislead.
func (v *proposalsView) keepListedMarks() {
	listed := make(map[int64]bool, len(v.rows))
	for _, p := range v.rows {
		listed[p.ID] = true
	}
	for id := range v.marks {
		if !listed[id] {
			delete(v.marks, id)
		}
	}
}

// sortProposals orders rows for a sort other than urgency; ties keep the
// urgency order the store returned.
func sortProposals(rows []model.Proposal, s proposalSort) {
	slices.SortStableFunc(rows, func(a, b model.Proposal) int {
		switch s {
		case sortValue:
			return cmp.Compare(b.Value(), a.Value())
		case sortSKU:
			return cmp.Or(cmp.Compare(a.SKU, b.SKU), cmp.Compare(a.Location, b.Location))
		}
		return 0
	})
}

// prefetch loads the next page when the cursor nears the end of what is
// loaded.
func (v *proposalsView) prefetch() tea.Cmd {
	// Other orders hold every row already.
	if v.sort != sortUrgency || !v.wantMore(v.listRows()) {
		return nil
	}
	last := v.rows[len(v.rows)-1]
	return v.fetch(&model.ProposalCursor{Snoozed: last.State == model.ProposalSnoozed, Urgency: last.Urgency, ID: last.ID}, proposalsPage)
}

// wantAudit fetches the selected proposal's log unless it is shown or on
// its way.
func (v *proposalsView) wantAudit() tea.Cmd {
	p, ok := v.selected()
	if !ok || (v.audit != nil && v.audit.pid == p.ID) || v.loading == p.ID {
		return nil
	}
	v.loading = p.ID
	be, id := v.env.be, v.id
	return func() tea.Msg {
		log, err := be.ProposalAudit(context.Background(), p.ID)
		return proposalAuditMsg{id: id, pid: p.ID, log: log, err: err}
	}
}

func (v *proposalsView) key(msg tea.KeyMsg) tea.Cmd {
	k := v.env.keys
	if v.sideFocus && v.scrollSide(msg) {
		return nil
	}
	if n, ok := moveBy(msg, k, v.listRows()); ok {
		return v.move(n)
	}
	switch {
	case key.Matches(msg, k.NextPane):
		v.sideFocus = !v.sideFocus
		v.render()
		return nil
	case key.Matches(msg, k.Sort):
		v.sort = (v.sort + 1) % 3
		v.cursor, v.offset = 0, 0
		return v.reload()
	case key.Matches(msg, k.States):
		v.states = nextProposalStates(v.states)
		v.query = v.buildQuery()
		v.cursor, v.offset = 0, 0
		v.marks = map[int64]bool{}
		return v.reload()
	case key.Matches(msg, k.Filter):
		return v.ask(promptFilter, "/", "text, sku=SKU loc=ST1 sup=SUP1", v.filterTxt)
	case key.Matches(msg, k.Open):
		if p, ok := v.selected(); ok {
			return open(newItemView(v.env, p.SKU, p.Location))
		}
	case key.Matches(msg, k.Mark):
		p, ok := v.selected()
		if !ok {
			return nil
		}
		if v.marks[p.ID] {
			delete(v.marks, p.ID)
		} else {
			v.marks[p.ID] = true
		}
		return v.move(1)
	case key.Matches(msg, k.Approve):
		rows, err := v.targets(model.ActApprove)
		if err != nil {
			return errCmd(err)
		}
		t := totalsOf(rows)
		v.confirm = &pendingAct{act: model.ActApprove, rows: rows,
			text: fmt.Sprintf("approve %s, %s units, %s? y/n", plural(t.Count, "proposal"), thousands(int(t.Units)), formatMoney(t.Value))}
		v.render()
	case key.Matches(msg, k.Reject):
		rows, err := v.targets(model.ActReject)
		if err != nil {
			return errCmd(err)
		}
		return v.ask(promptReason, fmt.Sprintf("reject %s, reason: ", subjectOf(rows)), "why (required)", "")
	case key.Matches(msg, k.EditQty):
		p, ok := v.selected()
		if !ok {
			return nil
		}
		if err := v.mayAct(model.ActEdit, []model.Proposal{p}); err != nil {
			return errCmd(err)
		}
		return v.ask(promptQty, fmt.Sprintf("quantity for #%d %s @ %s (now %d): ", p.ID, p.SKU, p.Location, p.Qty), strconv.FormatInt(p.Qty, 10), "")
	case key.Matches(msg, k.Snooze):
		rows, err := v.targets(model.ActSnooze)
		if err != nil {
			return errCmd(err)
		}
		return v.ask(promptSnooze, fmt.Sprintf("snooze %s until (YYYY-MM-DD or days): ", subjectOf(rows)), strconv.Itoa(snoozeDays), "")
	}
	return nil
}

// scrollSide moves the reasons pane for a movement key; false for any
// other key.
func (v *proposalsView) scrollSide(msg tea.KeyMsg) bool {
	k := v.env.keys
	_, h := v.sideSize()
	switch {
	case key.Matches(msg, k.Down):
		v.sideTop++
	case key.Matches(msg, k.Up):
		v.sideTop--
	case key.Matches(msg, k.PageDown):
		v.sideTop += max(1, h-2)
	case key.Matches(msg, k.PageUp):
		v.sideTop -= max(1, h-2)
	case key.Matches(msg, k.Top):
		v.sideTop = 0
	default:
		return false
	}
	v.sideTop = max(0, v.sideTop)
	v.render()
	return true
}

func errCmd(err error) tea.Cmd { return func() tea.Msg { return errMsg{err} } }

// ask opens the text field for a filter, a reason, a quantity or a date.
func (v *proposalsView) ask(kind promptKind, prompt, placeholder, value string) tea.Cmd {
	v.prompt = kind
	// The question is drawn beside the field, not as its Prompt: bubbles
	// v1 takes a Prompt's width off the placeholder's room, and a long
	// question left room for one digit of the quantity shown ("1" for 114).
	v.question = prompt
	v.input.Prompt = ""
	// The field takes the rest of the line, up to 60; why an answer is
	// refused goes after it, or before it when the line is too narrow
	// (FilterLine).
	v.input.Width = max(10, min(60, v.w-len([]rune(prompt))-2))
	v.input.Placeholder = placeholder
	v.input.SetValue(value)
	v.input.CursorEnd()
	v.render()
	return v.input.Focus()
}

func (v *proposalsView) closePrompt() {
	v.prompt = promptNone
	v.promptErr = ""
	v.input.Blur()
	v.render()
}

// targets are the rows an action applies to: the marked ones, or else the
// selected one; viewers and rows that are no longer open are refused
// before anything is asked.
func (v *proposalsView) targets(act model.ProposalAction) ([]model.Proposal, error) {
	var rows []model.Proposal
	if len(v.marks) > 0 {
		for _, p := range v.rows {
			if v.marks[p.ID] {
				rows = append(rows, p)
			}
		}
	} else if p, ok := v.selected(); ok {
		rows = []model.Proposal{p}
	}
	if len(rows) == 0 {
		return nil, errors.New("no proposal selected")
	}
	return rows, v.mayAct(act, rows)
}

// mayAct refuses viewers, and actions on proposals the screen already
// shows as no longer open (the engine refuses both too).
func (v *proposalsView) mayAct(act model.ProposalAction, rows []model.Proposal) error {
	if r := v.env.actor.Role; !r.Can(model.RoleOperator) {
		return fmt.Errorf("acting on proposals needs the operator role (you are %s)", r)
	}
	for _, p := range rows {
		if !p.State.Allows(act) {
			return fmt.Errorf("#%d is %s: cannot %s it", p.ID, p.State, act)
		}
	}
	return nil
}

func (v *proposalsView) promptKey(msg tea.KeyMsg) tea.Cmd {
	k := v.env.keys
	if v.prompt == promptFilter {
		return v.filterKey(msg)
	}
	if key.Matches(msg, k.Back) {
		v.closePrompt()
		return nil
	}
	if !key.Matches(msg, k.Accept) {
		var cmd tea.Cmd
		v.input, cmd = v.input.Update(msg)
		v.promptErr = ""
		return cmd
	}
	text := strings.TrimSpace(v.input.Value())
	switch v.prompt {
	case promptReason:
		if text == "" {
			v.promptErr = "give a reason"
			return nil
		}
		rows, err := v.targets(model.ActReject)
		v.closePrompt()
		if err != nil {
			return errCmd(err)
		}
		return v.act(&pendingAct{act: model.ActReject, rows: rows, note: text})
	case promptQty:
		if text == "" {
			text = v.input.Placeholder
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n <= 0 {
			v.promptErr = fmt.Sprintf("%q is not a positive whole number", text)
			return nil
		}
		p, ok := v.selected()
		v.closePrompt()
		if !ok {
			return nil
		}
		return v.act(&pendingAct{act: model.ActEdit, rows: []model.Proposal{p}, qty: n})
	case promptSnooze:
		rows, err := v.targets(model.ActSnooze)
		if err != nil {
			v.closePrompt()
			return errCmd(err)
		}
		until, err := snoozeUntil(text, rows)
		if err != nil {
			v.promptErr = err.Error()
			return nil
		}
		v.closePrompt()
		return v.act(&pendingAct{act: model.ActSnooze, rows: rows, until: until})
	}
	return nil
}

// snoozeUntil reads a snooze answer: a date, or a number of days after
// the data day of the proposals (snoozeDays when empty).
func snoozeUntil(text string, rows []model.Proposal) (model.Date, error) {
	base := model.NoDate
	for _, p := range rows {
		if p.AsOf != model.NoDate && (base == model.NoDate || p.AsOf > base) {
			base = p.AsOf
		}
	}
	if text == "" {
		text = strconv.Itoa(snoozeDays)
	}
	if n, err := strconv.Atoi(strings.TrimSuffix(text, "d")); err == nil {
		if n <= 0 {
			return model.NoDate, fmt.Errorf("%d days: give a positive number", n)
		}
		if base == model.NoDate {
			base = model.DateOf(time.Now())
		}
		return base.AddDays(n), nil
	}
	d, err := model.ParseDate(text)
	if err != nil {
		return model.NoDate, fmt.Errorf("%q is neither a date (YYYY-MM-DD) nor a number of days", text)
	}
	if base != model.NoDate && d <= base {
		return model.NoDate, fmt.Errorf("%s is not after the data day %s", d, base)
	}
	return d, nil
}

func (v *proposalsView) confirmKey(msg tea.KeyMsg) tea.Cmd {
	c := v.confirm
	switch strings.ToLower(msg.String()) {
	case "y":
		v.confirm = nil
		return v.act(c)
	case "n", "esc", "q":
		v.confirm = nil
		v.result = "not " + string(c.act) + "d"
		v.render()
	}
	return nil
}

func (v *proposalsView) filterKey(msg tea.KeyMsg) tea.Cmd {
	return editFilter(msg, v.env.keys, &v.input, v.filterTxt, v.closePrompt, v.setFilter)
}

// setFilter applies filter text; a half-typed condition keeps the last
// good filter and says what is wrong.
func (v *proposalsView) setFilter(s string) tea.Cmd {
	v.filterTxt = s
	if _, err := parseProposalFilter(s); err != nil {
		v.filterErr = err.Error()
		v.render()
		return nil
	}
	v.filterErr = ""
	v.query = v.buildQuery()
	v.cursor, v.offset = 0, 0
	return v.reload()
}

// act sends an action on the rows as they were shown, each with its
// version: never 0, so nothing is acted on that the person did not see.
func (v *proposalsView) act(c *pendingAct) tea.Cmd {
	if v.pending || len(c.rows) == 0 {
		return nil
	}
	if err := v.mayAct(c.act, c.rows); err != nil {
		return errCmd(err)
	}
	v.pending = true
	v.result = fmt.Sprintf("%s %s…", c.act, subjectOf(c.rows))
	v.render()
	be, id, actor := v.env.be, v.id, v.env.actor
	if actor.Name == "" {
		actor.Name = "console"
	}
	req := model.ProposalRequest{Action: c.act, User: actor.String(), At: time.Now(), Note: c.note, Until: c.until, Qty: c.qty}
	shown := make(map[int64]model.Proposal, len(c.rows))
	versions := make(map[int64]int64, len(c.rows))
	for _, p := range c.rows {
		shown[p.ID] = p
		versions[p.ID] = p.Version
	}
	if c.act == model.ActApprove && len(c.rows) == 1 {
		req.Qty = c.rows[0].Qty // the quantity in the confirmation
	}
	single := len(c.rows) == 1
	return func() tea.Msg {
		ctx := context.Background()
		m := proposalsActedMsg{id: id, act: c.act, shown: shown}
		if single {
			p := c.rows[0]
			r := req
			r.Version = p.Version
			after, err := be.ActOnProposal(ctx, p.ID, r)
			m.results = []engine.ActResult{{ID: p.ID, Proposal: after, Err: err}}
			return m
		}
		m.results = be.ActOnProposals(ctx, versions, req)
		return m
	}
}

// onActed reports the result (or the conflicts) in the status line and
// reloads: acted-on proposals may have left the state filter, and after a
// conflict the screen shows what is there now.
func (v *proposalsView) onActed(m proposalsActedMsg) tea.Cmd {
	v.pending = false
	v.result = ""
	var done, stale, gone int
	var other []string
	for _, r := range m.results {
		switch {
		case r.Err == nil:
			done++
			delete(v.marks, r.ID)
		case errors.Is(r.Err, model.ErrProposalStale):
			stale++
		case errors.Is(r.Err, model.ErrProposalTransition):
			gone++
		default:
			other = append(other, fmt.Sprintf("#%d: %v", r.ID, r.Err))
		}
	}
	var cmd tea.Cmd
	if len(m.results) == 1 {
		r := m.results[0]
		before := m.shown[r.ID]
		switch {
		case r.Err == nil:
			v.result = actedText(m.act, before, r.Proposal)
		case stale > 0:
			cmd = errCmd(fmt.Errorf("#%d changed since you saw version %d: nothing done; the list is reloaded", r.ID, before.Version))
		case gone > 0:
			cmd = errCmd(fmt.Errorf("#%d was already acted on by someone else: nothing done; the list is reloaded", r.ID))
		default:
			cmd = errCmd(fmt.Errorf("%s #%d: %w", m.act, r.ID, r.Err))
		}
	} else {
		parts := []string{fmt.Sprintf("%s %d", pastTense(m.act), done)}
		if stale > 0 {
			parts = append(parts, fmt.Sprintf("%d changed since you saw it", stale))
		}
		if gone > 0 {
			parts = append(parts, fmt.Sprintf("%d already acted on", gone))
		}
		parts = append(parts, other...)
		text := strings.Join(parts, ", ")
		if stale+gone+len(other) > 0 {
			cmd = errCmd(errors.New(text + " (refreshed)"))
		} else {
			v.result = text
		}
	}
	for _, r := range m.results {
		if r.Err != nil {
			continue
		}
		for i := range v.rows {
			if v.rows[i].ID == r.ID {
				v.rows[i] = r.Proposal
			}
		}
	}
	v.audit, v.loading = nil, 0
	v.render()
	return tea.Batch(cmd, v.Refresh())
}

// actedText says what one action did.
func actedText(act model.ProposalAction, before, after model.Proposal) string {
	s := fmt.Sprintf("#%d %s", after.ID, pastTense(act))
	switch act {
	case model.ActApprove:
		s += fmt.Sprintf(": %d units on %s", after.Qty, after.PO)
	case model.ActEdit:
		s += fmt.Sprintf(": qty %d → %d", before.Qty, after.Qty)
		if w := after.QtyWarning(after.Qty); w != "" {
			s += ", " + w
		}
	case model.ActSnooze:
		s += " until " + after.SnoozeUntil.String()
	}
	return s + fmt.Sprintf(" (v%d → v%d)", before.Version, after.Version)
}

func pastTense(a model.ProposalAction) string {
	switch a {
	case model.ActApprove:
		return "approved"
	case model.ActReject:
		return "rejected"
	case model.ActSnooze:
		return "snoozed"
	case model.ActEdit:
		return "edited"
	}
	return string(a)
}

// subjectOf names the rows of an action: "#12" or "3 proposals".
func subjectOf(rows []model.Proposal) string {
	if len(rows) == 1 {
		return fmt.Sprintf("#%d %s @ %s", rows[0].ID, rows[0].SKU, rows[0].Location)
	}
	return plural(len(rows), "proposal")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return thousands(n) + " " + word + "s"
}

// totalsOf sums rows as shown, for the confirmation.
func totalsOf(rows []model.Proposal) model.ProposalTotals {
	t := model.ProposalTotals{BySupplier: map[string]float64{}}
	for _, p := range rows {
		t.Count++
		t.Units += p.Qty
		t.Value += p.Value()
		t.BySupplier[p.Supplier] += p.Value()
	}
	return t
}

// formatMoney prints an amount with two decimals and thousands
// separators: 1,234.50.
func formatMoney(x float64) string { return model.Money(x) }

// nextProposalStates is the state filter after s in the cycle.
func nextProposalStates(s []model.ProposalState) []model.ProposalState {
	for i, c := range proposalStateCycle {
		if slices.Equal(c, s) {
			return proposalStateCycle[(i+1)%len(proposalStateCycle)]
		}
	}
	return proposalStateCycle[0]
}

func (v *proposalsView) move(n int) tea.Cmd {
	if len(v.rows) == 0 {
		return nil
	}
	v.result = ""
	v.cursor += n
	v.sideTop = 0
	v.clamp()
	v.render()
	return tea.Batch(v.wantAudit(), v.prefetch())
}

// clamp keeps the cursor on a loaded row and on screen.
func (v *proposalsView) clamp() { v.listCursor.clamp(len(v.rows), v.listRows()) }

func (v *proposalsView) render() {
	if v.w == 0 {
		return
	}
	v.body = v.split.join(v.renderList(), v.renderSide(), v.env.st)
}

// pcol names a queue column.
type pcol int

const (
	pcUrgency pcol = iota
	pcOut
	pcSKU
	pcName
	pcLoc
	pcKind
	pcQty
	pcValue
	pcSupplier
	pcState
	pcCover
)

// pcolSpec is a queue column: title, width, alignment and priority (lower
// survives longer when the pane is narrow; 0 always stays).
type pcolSpec struct {
	id    pcol
	title string
	width int
	right bool
	prio  int
}

// proposalCols in display order; the name takes whatever is left.
var proposalCols = []pcolSpec{
	{pcUrgency, "SLACK", 6, true, 0},
	{pcOut, "OUT", 6, true, 5}, // runs out: in 4d, now, idle
	{pcSKU, "SKU", 10, false, 0},
	{pcName, "NAME", 10, false, 6},
	{pcLoc, "LOC", 4, false, 0},
	{pcKind, "KIND", 8, false, 4},
	{pcQty, "QTY", 6, true, 0},
	{pcValue, "VALUE", 10, true, 1},
	{pcSupplier, "SUPPLIER", 8, false, 8},
	{pcState, "STATE", 9, false, 2},
	{pcCover, "COVER", 11, false, 7},
}

// proposalLayout picks the columns that fit in w cells (after the two of
// the cursor and mark) and their widths: the least useful go first, and
// the name gets the room left over.
func proposalLayout(w int) []pcolSpec {
	cols := slices.Clone(proposalCols)
	width := func() int {
		n := 2
		for _, c := range cols {
			n += c.width + 1
		}
		return n
	}
	for width() > w {
		worst := -1
		for i, c := range cols {
			if c.prio > 0 && (worst < 0 || c.prio > cols[worst].prio) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		cols = slices.Delete(cols, worst, worst+1)
	}
	// The name takes the room left over; past nameRoom cells the SKU
	// widens first, to 16 as in the stock table, for longer codes.
	grow := func(id pcol, limit int) {
		for i := range cols {
			if cols[i].id == id {
				cols[i].width += min(limit, max(0, w-width()))
			}
		}
	}
	grow(pcName, nameRoom-10)
	grow(pcSKU, 6)
	grow(pcName, w)
	return cols
}

// nameRoom is how wide the name column gets before a long SKU is shown
// whole.
const nameRoom = 30

// proposalCell is one cell of a queue row, as plain text.
func proposalCell(p model.Proposal, c pcol) string {
	switch c {
	case pcUrgency:
		if p.Reasons.NotSold > 0 {
			return "-" // idle: queued after what sells (see OUT)
		}
		return fmt.Sprintf("%.0fd", p.Urgency)
	case pcOut:
		return daysToStockout(p)
	case pcSKU:
		return p.SKU
	case pcName:
		return p.Name
	case pcLoc:
		return p.Location
	case pcKind:
		if p.Kind == model.ProposalTransfer {
			return "from " + p.From
		}
		return "purchase"
	case pcQty:
		if p.Edited {
			return "*" + strconv.FormatInt(p.Qty, 10)
		}
		return strconv.FormatInt(p.Qty, 10)
	case pcValue:
		return formatMoney(p.Value())
	case pcSupplier:
		return p.Supplier
	case pcState:
		return string(p.State)
	case pcCover:
		return formatCover(p.Reasons.CoverBefore) + "→" + formatCover(p.CoverAfter())
	}
	return ""
}

// daysToStockout is how many days after the data day the proposal's
// location runs out if nothing is done: "-" when not within a year;
// "idle" when it has been out so long without a sale that it may be
// delisted (the reasons say so), which the stock table calls idle too.
func daysToStockout(p model.Proposal) string {
	if p.Reasons.OutNow() {
		if p.Reasons.NotSold > 0 {
			return "idle"
		}
		return "now"
	}
	d, err := model.ParseDate(p.Reasons.StockoutDate)
	if err != nil || p.AsOf == model.NoDate {
		return "-"
	}
	if n := int(d - p.AsOf); n > 0 {
		return strconv.Itoa(n) + "d"
	}
	return "now"
}

func (v *proposalsView) renderList() string {
	st := v.env.st
	w := v.listWidth()
	cols := proposalLayout(w)
	head := make([]string, len(cols))
	for i, c := range cols {
		t := c.title
		if (c.id == pcUrgency && v.sort == sortUrgency) || (c.id == pcValue && v.sort == sortValue) || (c.id == pcSKU && v.sort == sortSKU) {
			if c.right {
				t = "▲" + t
			} else {
				t += "▲"
			}
			if c.id == pcValue {
				t = "▼" + c.title
			}
		}
		head[i] = fit(t, c.width, c.right)
	}
	var b strings.Builder
	b.WriteString(st.Header.Render(fit("  "+strings.Join(head, " "), w, false)))
	rows := v.listRows()
	switch {
	case v.err != nil:
		b.WriteString("\n" + st.Error.Render(fit("error: "+v.err.Error(), w, false)))
		rows--
	case !v.loaded:
		b.WriteString("\n" + st.Dim.Render("loading…"))
		rows--
	case len(v.rows) == 0 && v.unplanned.Load():
		msg := " no proposals yet: the store has never been planned; 'stockroom plan --db " + v.env.be.Name() +
			"' makes them, and imports recompute them from then on"
		b.WriteString("\n" + st.Dim.Render(fit(msg, w, false)))
		rows--
	case len(v.rows) == 0:
		msg := "no " + proposalStatesLabel(v.states) + " proposals"
		if v.filterTxt != "" {
			msg += " match the filter"
		}
		b.WriteString("\n" + st.Dim.Render(fit(" "+msg+" (f: other states)", w, false)))
		rows--
	}
	for i := v.offset; i < len(v.rows) && i < v.offset+rows; i++ {
		p := v.rows[i]
		mark := " "
		if v.marks[p.ID] {
			mark = "●"
		}
		cells := make([]string, len(cols))
		for j, c := range cols {
			cells[j] = fit(proposalCell(p, c.id), c.width, c.right)
			if c.id == pcState && i != v.cursor {
				if s, ok := st.ProposalState[p.State]; ok {
					cells[j] = s.Render(cells[j])
				}
			}
		}
		line := mark + strings.Join(cells, " ")
		if i == v.cursor {
			b.WriteString("\n" + st.Selected.Render(fit("›"+line, w, false)))
			continue
		}
		b.WriteString("\n " + fit(line, w-1, false))
	}
	return b.String()
}

// renderSide is the reasons pane: what the selected proposal orders, why,
// in plain words with every number, then its audit log, newest first.
func (v *proposalsView) renderSide() string {
	st := v.env.st
	w, h := v.sideSize()
	if h <= 0 || w <= 0 {
		return ""
	}
	p, ok := v.selected()
	if !ok {
		return ""
	}
	var lines []string
	add := func(s string, n int) {
		for _, l := range wrapText(s, w, n) {
			lines = append(lines, fit(l, w, false))
		}
	}
	for _, l := range proposalReasons(p) {
		add(l, 3)
	}
	if a := v.audit; a != nil && a.pid == p.ID {
		if a.err != nil {
			lines = append(lines, st.Error.Render(fit("log: "+a.err.Error(), w, false)))
		}
		for i := len(a.log) - 1; i >= 0; i-- {
			lines = append(lines, st.Dim.Render(fit(auditLine(a.log[i]), w, false)))
		}
	}
	// The heading stays; tab and the movement keys scroll what is under it.
	v.sideTop = min(v.sideTop, max(0, len(lines)-(h-1)))
	lines = lines[v.sideTop:]
	head := fmt.Sprintf("#%d %s @ %s · %s · v%d", p.ID, p.SKU, p.Location, p.State, p.Version)
	switch {
	case v.sideFocus:
		head += " · scrolling (tab: back to the list)"
	case len(lines) > h-1:
		head += " · tab: more"
	}
	lines = append([]string{fit(st.Heading.Render(head), w, false)}, lines...)
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// proposalReasons puts a proposal's numbers in plain words, most telling
// first (a narrow pane cuts the end).
func proposalReasons(p model.Proposal) []string {
	r := p.Reasons
	var out []string
	what := fmt.Sprintf("%s %d", verbOf(p), p.Qty)
	if p.Edited && p.SuggestedQty != p.Qty {
		what += fmt.Sprintf(" (edited; suggested %d)", p.SuggestedQty)
	}
	what += fmt.Sprintf(" × %s = %s", formatMoney(p.UnitCost), formatMoney(p.Value()))
	if p.Name != "" {
		what += " · " + p.Name
	}
	out = append(out, what)
	if p.State == model.ProposalSnoozed && p.SnoozeUntil != model.NoDate {
		out = append(out, "snoozed until "+p.SnoozeUntil.String())
	}
	if p.PO != "" {
		out = append(out, "on order "+p.PO)
	}
	if p.Note != "" {
		out = append(out, "note: "+p.Note)
	}
	out = append(out, fmt.Sprintf("why: position %d < reorder point %d (on hand %d + on order %d − committed %d)",
		r.Position, r.ReorderPoint, r.OnHand, r.OnOrder, r.Committed))
	if w := r.NotSoldText(); w != "" {
		out = append(out, w)
	}
	switch {
	case r.OutNow():
		if r.NotSold > 0 {
			out = append(out, fmt.Sprintf("out of stock now, and no sale here for %d days: queued after what sells", r.NotSold))
		} else {
			out = append(out, fmt.Sprintf("out of stock now; slack %.0f days after lead time", p.Urgency))
		}
	case r.StockoutDate != "":
		out = append(out, fmt.Sprintf("runs out on %s if nothing is done (%s); slack %.0f days after lead time", r.StockoutDate, daysToStockout(p), p.Urgency))
	default:
		out = append(out, "no stockout projected within a year")
	}
	out = append(out, fmt.Sprintf("cover %s now → %s after this order", coverWords(r.CoverBefore), coverWords(p.CoverAfter())))
	fc := fmt.Sprintf("forecast %s: %s a day", orDash(r.Model), formatRate(r.DailyMean))
	if r.BacktestDays > 0 {
		if w := formatWAPE(r.ForecastWAPE, r.ForecastMAE); w != "-" {
			fc += fmt.Sprintf("; backtest MAE %.2f, MASE %.2f, WAPE %s over %s", r.ForecastMAE, r.ForecastMASE, w, plural(r.BacktestDays, "day"))
		} else {
			fc += fmt.Sprintf("; backtest MAE %.2f, MASE %.2f (%s, none sold)", r.ForecastMAE, r.ForecastMASE, plural(r.BacktestDays, "day"))
		}
	} else {
		fc += "; no backtest"
	}
	out = append(out, fc)
	review := "review daily"
	if r.ReviewDays > 1 {
		review = fmt.Sprintf("review every %d days", r.ReviewDays)
	}
	out = append(out, fmt.Sprintf("lead time %.1f ± %.1f days, %s: demand over %.1f days %.1f ± %.1f",
		r.LeadTimeDays, r.LeadTimeSD, review, r.HorizonDays, r.HorizonMean, r.HorizonSD))
	out = append(out, fmt.Sprintf("class %s, target %.0f%% %s: safety stock %.1f",
		orDash(r.Class), r.Service*100, strings.ReplaceAll(orDash(r.ServiceKind), "_", " "), r.SafetyStock))
	lv := fmt.Sprintf("reorder point %d, order-up-to %d", r.ReorderPoint, r.OrderUpTo)
	if r.EOQ > 0 {
		lv += fmt.Sprintf(", EOQ %.0f", r.EOQ)
	}
	out = append(out, lv)
	rd := fmt.Sprintf("order-up-to − position = %d", r.RawQty)
	if r.Rounding != "" {
		rd += "; rounding: " + r.Rounding
	} else {
		rd += "; no rounding"
	}
	out = append(out, rd)
	if r.Transfer != "" {
		out = append(out, "transfer: "+r.Transfer)
	}
	if r.Budget != "" {
		out = append(out, "budget: "+r.Budget)
	}
	if len(r.Alerts) > 0 {
		names := make([]string, len(r.Alerts))
		for i, a := range r.Alerts {
			names[i] = strings.ReplaceAll(string(a), "_", " ")
		}
		out = append(out, "alerts: "+strings.Join(names, ", "))
	}
	return out
}

func verbOf(p model.Proposal) string {
	if p.Kind == model.ProposalTransfer {
		return "transfer from " + p.From + ":"
	}
	if p.Supplier != "" {
		return "buy from " + p.Supplier + ":"
	}
	return "buy:"
}

// coverWords is days of cover for a sentence.
func coverWords(d float64) string {
	if d >= model.NoCover {
		return "without end (no demand)"
	}
	return fmt.Sprintf("%.1f days", d)
}

// auditLine is one audit entry: when, what, who, the version seen and
// what changed (the store's JSON detail in words).
func auditLine(e engine.ProposalAuditEntry) string {
	l := fmt.Sprintf("%s %s by %s (v%d)", e.At.Local().Format("2006-01-02 15:04"), e.Action, e.User, e.Version)
	var d map[string]json.RawMessage
	if json.Unmarshal([]byte(e.Detail), &d) != nil {
		if e.Detail != "" {
			l += ": " + e.Detail
		}
		return l
	}
	var parts []string
	// The change of state first, then the quantity, then the rest.
	keys := slices.SortedFunc(maps.Keys(d), func(a, b string) int {
		rank := func(k string) int {
			return cmp.Or(slices.Index([]string{"note", "po", "until", "kind", "qty", "state"}, k)+1, 0)
		}
		return cmp.Or(cmp.Compare(rank(b), rank(a)), cmp.Compare(a, b))
	})
	for _, k := range keys {
		var pair []json.RawMessage
		var text string
		switch {
		case json.Unmarshal(d[k], &pair) == nil && len(pair) == 2:
			a, b := rawText(pair[0]), rawText(pair[1])
			if a == b {
				continue
			}
			text = a + " → " + b
			if k != "state" {
				text = k + " " + text
			}
		case k == "note":
			text = "“" + rawText(d[k]) + "”"
		case k == "po":
			text = "on " + rawText(d[k])
		default:
			text = k + " " + rawText(d[k])
		}
		parts = append(parts, text)
	}
	if len(parts) > 0 {
		l += ": " + strings.Join(parts, ", ")
	}
	return l
}

// rawText is a JSON value as text: a string without its quotes.
func rawText(r json.RawMessage) string {
	var s string
	if json.Unmarshal(r, &s) == nil {
		return s
	}
	return string(r)
}

// View is the rendered screen.
func (v *proposalsView) View() string { return v.body }

// Position is the right side of the status line.
func (v *proposalsView) Position() string {
	if len(v.rows) == 0 {
		return v.result
	}
	pos := v.position("proposal")
	if n := len(v.marks); n > 0 {
		t := totalsOf(v.markedRows())
		pos = fmt.Sprintf("%d marked (%s) · %s", n, formatMoney(t.Value), pos)
	}
	if v.result != "" {
		return v.result + " · " + pos
	}
	return pos
}

func (v *proposalsView) markedRows() []model.Proposal {
	var out []model.Proposal
	for _, p := range v.rows {
		if v.marks[p.ID] {
			out = append(out, p)
		}
	}
	return out
}

// FilterLine is the field being typed or the question asked, or the
// filter in force, for the footer.
func (v *proposalsView) FilterLine() string {
	switch {
	case v.confirm != nil:
		return v.env.st.Prompt.Render(v.confirm.text)
	case v.prompt != promptNone && v.promptErr != "":
		in, msg := v.env.st.Prompt.Render(v.question)+v.input.View(), v.env.st.Error.Render(v.promptErr)
		if lipgloss.Width(in)+2+lipgloss.Width(msg) > v.w {
			// Narrow: why it was refused comes first, whole.
			return msg + "  " + in
		}
		return in + "  " + msg
	case v.prompt != promptNone:
		return v.env.st.Prompt.Render(v.question) + v.input.View()
	case v.filterTxt != "":
		return v.env.st.Prompt.Render("/") + v.filterTxt
	}
	return ""
}

// FilterError says why the filter being typed does not parse yet.
func (v *proposalsView) FilterError() string { return v.filterErr }
