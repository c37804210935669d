package tui

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// cmdSpec is one command of the : line.
type cmdSpec struct {
	name, args, help string
	top              bool // opens a top-level screen (replaces the stack)
	// open builds the screen for the arguments; nil for commands the root
	// carries out itself (quit, help).
	open func(e *env, feed feedFunc, args []string) (screen, error)
}

// feedFunc renders the recent-changes feed for the overview.
type feedFunc func(n, width int) []string

// commandTable lists the : commands; screens add theirs here.
var commandTable = []cmdSpec{
	{"overview", "", "KPIs, import health and the alert feed", true, func(e *env, feed feedFunc, _ []string) (screen, error) {
		return newOverview(e, feed), nil
	}},
	{"stock", "[FILTER]", "the stock table", true, func(e *env, _ feedFunc, args []string) (screen, error) {
		v := newStockView(e)
		if len(args) > 0 {
			v.presetFilter(strings.Join(args, " "))
		}
		return v, nil
	}},
	{"location", "CODE", "the stock table at one location", true, func(e *env, _ feedFunc, args []string) (screen, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("usage: :location CODE")
		}
		v := newStockView(e)
		v.presetFilter("loc=" + args[0])
		return v, nil
	}},
	{"item", "SKU [LOCATION]", "one item: history, ledger", false, func(e *env, _ feedFunc, args []string) (screen, error) {
		if len(args) < 1 || len(args) > 2 {
			return nil, fmt.Errorf("usage: :item SKU [LOCATION]")
		}
		loc := ""
		if len(args) == 2 {
			loc = args[1]
		}
		return newItemView(e, args[0], loc), nil
	}},
	{"imports", "", "imported files and their rejected rows", true, func(e *env, _ feedFunc, _ []string) (screen, error) {
		return newImportsView(e), nil
	}},
	{"routes", "[DEPOT] [DATE]", "a depot's delivery runs and their map", true, func(e *env, _ feedFunc, args []string) (screen, error) {
		depot, date, err := parseRoutesArgs(args)
		return newRoutesView(e, depot, date), err
	}},
	{"anomalies", "[STATE]", "anomalies: dismiss, confirm, correct, exclude", true, func(e *env, _ feedFunc, args []string) (screen, error) {
		states, err := parseAnomaliesArgs(args)
		return newAnomaliesView(e, states), err
	}},
	{"proposals", "[STATE]", "reorder proposals: approve, reject, edit, snooze", true, func(e *env, _ feedFunc, args []string) (screen, error) {
		states, err := parseProposalsArgs(args)
		return newProposalsView(e, states), err
	}},
	{"help", "", "all keys", false, nil},
	{"quit", "", "leave", false, nil},
}

// parsedCmd is a command line the user entered.
type parsedCmd struct {
	spec cmdSpec
	args []string
	err  error
}

// cmdDataMsg carries what completion needs.
type cmdDataMsg struct{ locations []string }

// cmdLine is the : command line, with completion of command names and
// location codes.
type cmdLine struct {
	env       *env
	in        textinput.Model
	active    bool
	locations []string
	cycle     []string // completions being cycled with tab
	cycleAt   int
	cycleBase string
}

func newCmdLine(e *env) *cmdLine {
	in := textinput.New()
	in.Prompt = ":"
	in.PromptStyle = e.st.Prompt
	in.Cursor.SetMode(cursor.CursorStatic)
	in.CharLimit = 200
	return &cmdLine{env: e, in: in}
}

// load fetches the location codes for completion.
func (c *cmdLine) load() tea.Cmd {
	be := c.env.be
	return func() tea.Msg {
		locs, err := be.Locations(context.Background())
		if err != nil {
			return errMsg{err}
		}
		var codes []string
		for _, l := range locs {
			codes = append(codes, l.Code)
		}
		return cmdDataMsg{locations: codes}
	}
}

func (c *cmdLine) onData(m cmdDataMsg) { c.locations = m.locations }

func (c *cmdLine) SetWidth(w int) { c.in.Width = max(10, w-3) }

// Open activates the line.
func (c *cmdLine) Open() tea.Cmd {
	c.active = true
	c.in.SetValue("")
	c.cycle = nil
	return c.in.Focus()
}

func (c *cmdLine) close() {
	c.active = false
	c.in.Blur()
}

// Update edits the line; done is set when the user pressed enter.
func (c *cmdLine) Update(msg tea.KeyMsg) (*parsedCmd, tea.Cmd) {
	k := c.env.keys
	switch {
	case key.Matches(msg, k.Accept):
		line := c.in.Value()
		c.close()
		return parseCommand(line), nil
	case key.Matches(msg, k.Back):
		c.close()
		return nil, nil
	case key.Matches(msg, k.Complete):
		c.complete()
		return nil, nil
	}
	c.cycle = nil
	var cmd tea.Cmd
	c.in, cmd = c.in.Update(msg)
	return nil, cmd
}

// complete fills in the word being typed; pressing tab again cycles
// through the other matches.
func (c *cmdLine) complete() {
	if c.cycle != nil {
		c.cycleAt = (c.cycleAt + 1) % len(c.cycle)
		c.in.SetValue(c.cycleBase + c.cycle[c.cycleAt])
		c.in.CursorEnd()
		return
	}
	v := c.in.Value()
	fields := strings.Fields(v)
	var base, word string
	var options []string
	switch {
	case len(fields) == 0 || (len(fields) == 1 && !strings.HasSuffix(v, " ")):
		if len(fields) == 1 {
			word = fields[0]
		}
		for _, s := range commandTable {
			options = append(options, s.name)
		}
	case fields[0] == "location" || (fields[0] == "item" && len(fields) >= 2):
		if !strings.HasSuffix(v, " ") {
			word = fields[len(fields)-1]
			base = strings.Join(fields[:len(fields)-1], " ") + " "
		} else {
			base = v
		}
		options = c.locations
	default:
		return
	}
	var matches []string
	for _, o := range options {
		if strings.HasPrefix(strings.ToLower(o), strings.ToLower(word)) {
			matches = append(matches, o)
		}
	}
	sort.Strings(matches)
	if len(matches) == 0 {
		return
	}
	c.cycle, c.cycleAt, c.cycleBase = matches, 0, base
	c.in.SetValue(base + matches[0])
	c.in.CursorEnd()
	if len(matches) == 1 {
		c.cycle = nil
		c.in.SetValue(base + matches[0] + " ")
		c.in.CursorEnd()
	}
}

// View is the line being typed, with the commands that match.
func (c *cmdLine) View() string {
	v := c.in.View()
	word := strings.Fields(c.in.Value())
	if len(word) <= 1 {
		var names []string
		for _, s := range commandTable {
			if len(word) == 0 || strings.HasPrefix(s.name, word[0]) {
				names = append(names, s.name)
			}
		}
		v += "  " + c.env.st.Dim.Render(strings.Join(names, " "))
	}
	return v
}

// parseCommand reads a command line; a unique prefix names a command.
func parseCommand(line string) *parsedCmd {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return &parsedCmd{spec: cmdSpec{name: "none"}}
	}
	name := strings.ToLower(fields[0])
	var found []cmdSpec
	for _, s := range commandTable {
		if s.name == name {
			found = []cmdSpec{s}
			break
		}
		if strings.HasPrefix(s.name, name) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return &parsedCmd{err: fmt.Errorf("unknown command %q (tab completes; :help lists keys)", name)}
	case 1:
	default:
		var names []string
		for _, s := range found {
			names = append(names, s.name)
		}
		return &parsedCmd{err: fmt.Errorf("%q could be %s", name, strings.Join(names, ", "))}
	}
	return &parsedCmd{spec: found[0], args: fields[1:]}
}
