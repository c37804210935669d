package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"stockroom/engine"
	"stockroom/model"
)

// Options configure a console session.
type Options struct {
	Backend Backend
	Keys    KeyMap
	Styles  *Styles
	// Poll is how often the store's data version is checked for commits by
	// other processes; 0 turns polling off (tests).
	Poll time.Duration
	// Start names the first screen: "stock" (default) or "overview".
	Start string
	// Actor is who is at the keyboard; actions need their role and are
	// audited with their name. The zero Actor is a local admin.
	Actor model.Actor
	// Remote is set for SSH sessions: nothing may touch the server's own
	// terminal.
	Remote bool
	// Jobs, when set (stockroom serve), reports the schedule's entries for
	// the overview: their last run, its outcome and the next.
	Jobs func() []engine.EntryStatus
}

// root is the console's top model: it owns the size, the global keys, the
// command line, live refresh and the status line, and routes everything
// else to the screens on its stack.
type root struct {
	env  *env
	poll time.Duration

	width, height int
	stack         []screen
	help          help.Model
	showHelp      bool
	cmd           *cmdLine

	sub     <-chan model.Change
	unsub   func()
	version int64
	pollGen int
	status  string
	errText string
	asOf    model.Date
	feed    []model.Change // recent changes, for the overview's alert feed
	work    *model.Change  // long work in progress (an import), for the status line
}

// New returns the console's root model.
func New(o Options) tea.Model {
	keys := o.Keys
	actor := o.Actor
	if actor.Role == "" {
		actor.Role = model.RoleAdmin
	}
	e := &env{be: o.Backend, keys: &keys, st: o.Styles, actor: actor, remote: o.Remote, jobs: o.Jobs}
	r := &root{env: e, poll: o.Poll, asOf: model.NoDate}
	r.help = help.New()
	st := o.Styles
	r.help.Styles.ShortKey, r.help.Styles.ShortDesc, r.help.Styles.ShortSeparator = st.Prompt, st.Dim, st.Dim
	r.help.Styles.FullKey, r.help.Styles.FullDesc, r.help.Styles.FullSeparator = st.Prompt, st.Cell, st.Dim
	r.cmd = newCmdLine(e)
	first := screen(newStockView(e))
	if o.Start == "overview" {
		first = newOverview(e, r.feedView)
	}
	r.stack = []screen{first}
	r.sub, r.unsub = o.Backend.Subscribe()
	return r
}

func (r *root) top() screen { return r.stack[len(r.stack)-1] }

func (r *root) Init() tea.Cmd {
	cmds := []tea.Cmd{r.top().Init(), waitChange(r.sub), r.cmd.load(), r.loadAsOf()}
	if r.poll > 0 {
		cmds = append(cmds, r.checkVersion())
	}
	return tea.Batch(cmds...)
}

// waitChange delivers the next change from the hub; it is re-armed after
// each one. It captures the channel, never the model.
func waitChange(sub <-chan model.Change) tea.Cmd {
	return func() tea.Msg {
		c, ok := <-sub
		if !ok {
			return subClosedMsg{}
		}
		return changeMsg(c)
	}
}

// asOfMsg is the store's as-of day, for the title bar.
type asOfMsg struct{ d model.Date }

func (r *root) loadAsOf() tea.Cmd {
	be := r.env.be
	return func() tea.Msg {
		d, err := be.AsOf(context.Background())
		if err != nil {
			return errMsg{err}
		}
		return asOfMsg{d}
	}
}

func (r *root) checkVersion() tea.Cmd {
	be := r.env.be
	return func() tea.Msg {
		v, err := be.Version(context.Background())
		return versionMsg{v: v, err: err}
	}
}

func (r *root) schedulePoll() tea.Cmd {
	gen := r.pollGen
	return tea.Tick(r.poll, func(time.Time) tea.Msg { return pollMsg{gen: gen} })
}

// bodyHeight is the rows between the title bar and the two footer lines.
func (r *root) bodyHeight() int { return max(1, r.height-3) }

func (r *root) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		r.width, r.height = msg.Width, msg.Height
		r.help.Width = msg.Width
		for _, s := range r.stack {
			s.SetSize(msg.Width, r.bodyHeight())
		}
		r.cmd.SetWidth(msg.Width)
		// Screens that load something for their size (the stock table's
		// detail pane) hear of it through Update, where they may return work.
		return r, func() tea.Msg { return resizedMsg{} }
	case tea.KeyMsg:
		return r, r.key(msg)
	case tea.MouseMsg:
		// The wheel scrolls whatever list is on screen: three rows a notch.
		if msg.Action != tea.MouseActionPress || r.capturing() || r.showHelp {
			return r, nil
		}
		var k tea.KeyMsg
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			k = tea.KeyMsg{Type: tea.KeyUp}
		case tea.MouseButtonWheelDown:
			k = tea.KeyMsg{Type: tea.KeyDown}
		default:
			return r, nil
		}
		var cmds []tea.Cmd
		for range 3 {
			cmds = append(cmds, r.toTop(k))
		}
		return r, tea.Batch(cmds...)
	case openMsg:
		msg.s.SetSize(r.width, r.bodyHeight())
		if msg.replace {
			r.stack = r.stack[:0]
		}
		r.stack = append(r.stack, msg.s)
		return r, msg.s.Init()
	case changeMsg:
		if msg.Kind == model.ChangeProgress {
			c := model.Change(msg)
			r.work = &c
			if c.Total > 0 && c.Done >= c.Total {
				r.work = nil
			}
			return r, waitChange(r.sub)
		}
		r.work = nil
		if msg.Text != "" {
			r.status = msg.Text
		}
		r.feed = append(r.feed, model.Change(msg))
		if len(r.feed) > 50 {
			r.feed = r.feed[len(r.feed)-50:]
		}
		return r, tea.Batch(r.top().Refresh(), waitChange(r.sub), r.loadAsOf())
	case asOfMsg:
		r.asOf = msg.d
		return r, nil
	case subClosedMsg:
		return r, nil
	case versionMsg:
		var cmd tea.Cmd
		if msg.err == nil {
			if r.version != 0 && msg.v != r.version {
				cmd = tea.Batch(r.top().Refresh(), r.loadAsOf())
			}
			r.version = msg.v
		}
		return r, tea.Batch(cmd, r.schedulePoll())
	case pollMsg:
		if msg.gen != r.pollGen {
			return r, nil
		}
		return r, r.checkVersion()
	case errMsg:
		r.errText = msg.err.Error()
		return r, nil
	case cmdDataMsg:
		r.cmd.onData(msg)
		return r, nil
	}
	// Data for screens: every screen on the stack sees it and keeps what is
	// its own (they check their generation or id).
	var cmds []tea.Cmd
	for i, s := range r.stack {
		var cmd tea.Cmd
		r.stack[i], cmd = s.Update(msg)
		cmds = append(cmds, cmd)
	}
	return r, tea.Batch(cmds...)
}

func (r *root) key(msg tea.KeyMsg) tea.Cmd {
	k := r.env.keys
	// Keys typed fast, pasted, or sent over SSH arrive as one message with
	// several runes; bindings are single keys, so take them one at a time
	// (until a text field opens: the rest is text for it).
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !r.capturing() && !r.showHelp {
		var cmds []tea.Cmd
		for i, rn := range msg.Runes {
			cmds = append(cmds, r.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{rn}, Alt: msg.Alt}))
			if r.capturing() && i+1 < len(msg.Runes) {
				cmds = append(cmds, r.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[i+1:]}))
				break
			}
		}
		return tea.Batch(cmds...)
	}
	if msg.Type == tea.KeyCtrlC {
		return r.quit()
	}
	if r.showHelp {
		// Any key closes help; q still quits.
		r.showHelp = false
		if key.Matches(msg, k.Quit) {
			return r.quit()
		}
		return nil
	}
	if r.cmd.active {
		done, cmd := r.cmd.Update(msg)
		if done != nil {
			return tea.Batch(cmd, r.run(done))
		}
		return cmd
	}
	if r.top().Capturing() {
		return r.toTop(msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return r.quit()
	case key.Matches(msg, k.Help):
		r.showHelp = true
		return nil
	case key.Matches(msg, k.Command):
		return r.cmd.Open()
	case key.Matches(msg, k.Back):
		if handled, cmd := r.top().Back(); handled {
			return cmd
		}
		if len(r.stack) > 1 {
			r.stack = r.stack[:len(r.stack)-1]
			return r.top().Refresh()
		}
		return nil
	}
	r.errText = ""
	return r.toTop(msg)
}

func (r *root) toTop(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	r.stack[len(r.stack)-1], cmd = r.top().Update(msg)
	return cmd
}

func (r *root) capturing() bool { return r.cmd.active || r.top().Capturing() }

func (r *root) quit() tea.Cmd {
	if r.unsub != nil {
		r.unsub()
	}
	r.pollGen++
	return tea.Quit
}

// run carries out a command from the command line.
func (r *root) run(c *parsedCmd) tea.Cmd {
	if c.err != nil {
		r.errText = c.err.Error()
		return nil
	}
	switch c.spec.name {
	case "quit":
		return r.quit()
	case "help":
		r.showHelp = true
		return nil
	}
	if c.spec.open == nil {
		return nil
	}
	if c.spec.name == "location" && len(c.args) == 1 && len(r.cmd.locations) > 0 {
		// An empty table would not say the code was mistyped.
		if err := unknownLocation(c.args[0], r.cmd.locations); err != nil {
			r.errText = err.Error()
			return nil
		}
	}
	s, err := c.spec.open(r.env, r.feedView, c.args)
	if err != nil {
		r.errText = err.Error()
		return nil
	}
	r.errText = "" // the last command's error is answered by this one
	// Going to a top-level screen replaces the stack; drilling in pushes.
	if c.spec.top {
		return openTop(s)
	}
	return open(s)
}

// feedView renders the recent changes, newest first, for the overview.
func (r *root) feedView(n, width int) []string {
	var out []string
	for i := len(r.feed) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, fit(r.feed[i].Text, width, false))
	}
	return out
}

// View draws the title bar with breadcrumbs, the screen, the hint or input
// line and the status line. It only assembles strings rendered in Update.
func (r *root) View() string {
	if r.width == 0 {
		return "loading…"
	}
	st := r.env.st
	crumbs := make([]string, len(r.stack))
	for i, s := range r.stack {
		crumbs[i] = s.Title()
	}
	bar := st.Title.Render(" stockroom ") + st.TitleBar.Render(" "+strings.Join(crumbs, " › ")+"  ")
	// The store and its day, then the day alone, then only the live mark:
	// a long breadcrumb (a route's depot and date) gives up the least.
	asOf := ""
	if r.asOf != model.NoDate && r.asOf != 0 {
		asOf = "as of " + r.asOf.String()
	}
	name := shortPath(r.env.be.Name(), r.width/3)
	if asOf != "" {
		name += " · " + asOf
	}
	live := st.Live.Render(" ● live ")
	fitted := false
	for _, w := range []string{name + " ", asOf + " ", ""} {
		where := st.TitleBar.Render(w)
		if pad := r.width - lipgloss.Width(bar) - lipgloss.Width(where) - lipgloss.Width(live); pad > 0 {
			bar += st.TitleBar.Render(strings.Repeat(" ", pad)) + where + live
			fitted = true
			break
		}
	}
	if !fitted {
		bar = fit(bar, r.width, false)
	}
	if r.showHelp {
		keys := r.help.FullHelpView(r.helpGroups())
		box := st.HelpBox.Render(keys + "\n\n" + commandHelp(st, max(lipgloss.Width(keys), min(76, r.width-6))))
		return bar + "\n" + lipgloss.Place(r.width, r.height-1, lipgloss.Center, lipgloss.Center, box)
	}
	body := r.top().View()
	if n := strings.Count(body, "\n") + 1; n < r.bodyHeight() {
		body += strings.Repeat("\n", r.bodyHeight()-n)
	}
	var input string
	switch {
	case r.cmd.active:
		input = r.cmd.View()
	default:
		input = r.hintLine()
	}
	return bar + "\n" + body + "\n" + fit(input, r.width, false) + "\n" + r.statusLine()
}

// hintLine is the screen's own input line (a filter), or its key hints.
func (r *root) hintLine() string {
	if f, ok := r.top().(interface{ FilterLine() string }); ok {
		if line := f.FilterLine(); line != "" {
			return line
		}
	}
	keys := append([]key.Binding{}, r.top().Keys()...)
	keys = append(keys, r.env.keys.Command, r.env.keys.Help, r.env.keys.Quit)
	return r.help.ShortHelpView(keys)
}

// commandHelp lists the : commands for the help box, so the screens can be
// found from the keyboard alone.
func commandHelp(st *Styles, w int) string {
	lines := []string{st.Header.Render(fit("screens and commands (type : then the name; tab completes)", w, false))}
	for _, c := range commandTable {
		name := ":" + c.name
		if c.args != "" {
			name += " " + c.args
		}
		lines = append(lines, fit(fmt.Sprintf("%-24s %s", name, c.help), w, false))
	}
	return strings.Join(lines, "\n")
}

// helpGroups is the ? screen: the screen's keys, moving, and global keys.
// A key the screen already lists (the overview's own ↓/j, say) is not
// listed again under moving.
func (r *root) helpGroups() [][]key.Binding {
	k := r.env.keys
	seen := map[string]bool{}
	groups := [][]key.Binding{r.top().Keys(), k.moveKeys(), k.globalKeys()}
	for g, bs := range groups {
		kept := bs[:0:0]
		for _, b := range bs {
			if h := b.Help().Key; !seen[h] {
				seen[h] = true
				kept = append(kept, b)
			}
		}
		groups[g] = kept
	}
	return groups
}

func (r *root) statusLine() string {
	st := r.env.st
	left, isErr := r.status, false
	switch {
	case r.errText != "":
		left, isErr = st.Error.Render(r.errText), true
	default:
		if f, ok := r.top().(interface{ FilterError() string }); ok && f.FilterError() != "" {
			left, isErr = st.Error.Render("filter: "+f.FilterError()), true
		}
	}
	right := r.top().Position()
	if w := r.work; w != nil {
		bar := w.Text
		if w.Total > 0 {
			bar += fmt.Sprintf(" %3d%%", 100*w.Done/w.Total)
		}
		right = st.Prompt.Render(bar) + "  " + right
	}
	// The right side (where the screen reports an action's result) keeps
	// the line; a notice cut to a stub beside it ("proposal 68…") says
	// nothing, so it gives way, while an error keeps what fits.
	if lipgloss.Width(right) > r.width-1 {
		right = fit(right, max(0, r.width-1), false)
	}
	pad := r.width - lipgloss.Width(right) - 1
	if !isErr && lipgloss.Width(left) > pad && pad < minNotice {
		left = ""
	}
	return st.StatusBar.Render(fit(left, max(0, pad), false) + " " + right)
}

// minNotice is the fewest cells a cut notice keeps in the status line.
const minNotice = 24

// shortPath keeps the end of a long path: the file name matters most.
func shortPath(p string, n int) string {
	if n < 8 || len(p) <= n {
		return p
	}
	return "…" + p[len(p)-n+1:]
}
