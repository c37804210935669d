package tui

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

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
}

// root is the console's top model: it owns the size, the global keys, the
// live refresh and the status line, and routes everything else to the
// screen on show.
type root struct {
	be   Backend
	keys KeyMap
	st   *Styles
	poll time.Duration

	width, height int
	stock         *stockView
	help          help.Model
	showHelp      bool

	sub     <-chan model.Change
	unsub   func()
	version int64
	pollGen int
	status  string
	errText string
}

// New returns the console's root model.
func New(o Options) tea.Model {
	r := &root{be: o.Backend, keys: o.Keys, st: o.Styles, poll: o.Poll}
	r.stock = newStockView(o.Backend, &r.keys, o.Styles)
	r.help = help.New()
	r.help.Styles.ShortKey = o.Styles.Prompt
	r.help.Styles.ShortDesc = o.Styles.Dim
	r.help.Styles.FullKey = o.Styles.Prompt
	r.help.Styles.FullDesc = o.Styles.Cell
	r.help.Styles.ShortSeparator = o.Styles.Dim
	r.help.Styles.FullSeparator = o.Styles.Dim
	r.sub, r.unsub = o.Backend.Subscribe()
	return r
}

func (r *root) Init() tea.Cmd {
	cmds := []tea.Cmd{r.stock.Init(), waitChange(r.sub)}
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

func (r *root) checkVersion() tea.Cmd {
	be := r.be
	return func() tea.Msg {
		v, err := be.Version(context.Background())
		return versionMsg{v: v, err: err}
	}
}

func (r *root) schedulePoll() tea.Cmd {
	gen := r.pollGen
	return tea.Tick(r.poll, func(time.Time) tea.Msg { return pollMsg{gen: gen} })
}

func (r *root) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		r.width, r.height = msg.Width, msg.Height
		r.help.Width = msg.Width
		r.stock.SetSize(msg.Width, max(1, msg.Height-3))
		return r, nil
	case tea.KeyMsg:
		return r, r.key(msg)
	case changeMsg:
		if msg.Text != "" && msg.Kind != model.ChangeProgress {
			r.status = msg.Text
		}
		return r, tea.Batch(r.stock.refresh(), waitChange(r.sub))
	case subClosedMsg:
		return r, nil
	case versionMsg:
		var cmd tea.Cmd
		if msg.err == nil {
			if r.version != 0 && msg.v != r.version {
				cmd = r.stock.refresh()
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
	}
	var cmd tea.Cmd
	r.stock, cmd = r.stock.Update(msg)
	return r, cmd
}

func (r *root) key(msg tea.KeyMsg) tea.Cmd {
	// Keys typed fast, pasted, or sent over SSH arrive as one message with
	// several runes; bindings are single keys, so take them one at a time
	// (until the filter line opens: the rest is text for it).
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !r.stock.Filtering() && !r.showHelp {
		var cmds []tea.Cmd
		for i, rn := range msg.Runes {
			cmds = append(cmds, r.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{rn}, Alt: msg.Alt}))
			if r.stock.Filtering() && i+1 < len(msg.Runes) {
				cmds = append(cmds, r.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[i+1:]}))
				break
			}
		}
		return tea.Batch(cmds...)
	}
	if r.showHelp {
		// Any key closes help; q still quits.
		r.showHelp = false
		if key.Matches(msg, r.keys.Quit) {
			return r.quit()
		}
		return nil
	}
	if r.stock.Filtering() {
		if msg.Type == tea.KeyCtrlC {
			return r.quit()
		}
		var cmd tea.Cmd
		r.stock, cmd = r.stock.Update(msg)
		return cmd
	}
	switch {
	case key.Matches(msg, r.keys.Quit):
		return r.quit()
	case key.Matches(msg, r.keys.Help):
		r.showHelp = true
		return nil
	}
	r.errText = ""
	var cmd tea.Cmd
	r.stock, cmd = r.stock.Update(msg)
	return cmd
}

func (r *root) quit() tea.Cmd {
	if r.unsub != nil {
		r.unsub()
	}
	r.pollGen++
	return tea.Quit
}

// View draws the title bar, the screen, the filter line and the status
// line. It only assembles strings rendered in Update.
func (r *root) View() string {
	if r.width == 0 {
		return "loading…"
	}
	title := r.st.Title.Render(" stockroom ")
	where := r.st.TitleBar.Render(" " + shortPath(r.be.Name(), r.width/3))
	var asOf string
	if r.stock.asOf != model.NoDate && r.stock.loaded {
		asOf = r.st.TitleBar.Render("  as of " + r.stock.asOf.String())
	}
	live := r.st.Live.Render(" ● live ")
	bar := title + where + asOf
	pad := r.width - lipgloss.Width(bar) - lipgloss.Width(live)
	if pad > 0 {
		bar += r.st.TitleBar.Render(strings.Repeat(" ", pad)) + live
	}
	if r.showHelp {
		box := r.st.HelpBox.Render(r.help.FullHelpView(r.keys.FullHelp()))
		return bar + "\n" + lipgloss.Place(r.width, r.height-1, lipgloss.Center, lipgloss.Center, box)
	}
	body := r.stock.View()
	// Pad the body so the footer stays at the bottom.
	if n := strings.Count(body, "\n") + 1; n < r.height-3 {
		body += strings.Repeat("\n", r.height-3-n)
	}
	footer := r.stock.FilterLine()
	if footer == "" {
		footer = r.help.ShortHelpView(r.keys.ShortHelp())
	}
	status := r.statusLine()
	return bar + "\n" + body + "\n" + fit(footer, r.width, false) + "\n" + status
}

func (r *root) statusLine() string {
	left := r.status
	switch {
	case r.stock.FilterError() != "":
		left = r.st.Error.Render("filter: " + r.stock.FilterError())
	case r.errText != "":
		left = r.st.Error.Render(r.errText)
	}
	right := r.stock.Position()
	pad := r.width - lipgloss.Width(right) - 1
	return r.st.StatusBar.Render(fit(left, max(0, pad), false) + " " + right)
}

// shortPath keeps the end of a long path: the file name matters most.
func shortPath(p string, n int) string {
	if n < 8 || len(p) <= n {
		return p
	}
	return "…" + p[len(p)-n+1:]
}
