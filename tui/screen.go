package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stockroom/engine"
	"stockroom/model"
)

// screen is one page of the console: stock, an item, imports… The root
// keeps a stack of them (the breadcrumbs); esc goes back one.
type screen interface {
	Init() tea.Cmd
	Update(msg tea.Msg) (screen, tea.Cmd)
	View() string
	SetSize(w, h int)
	// Title is the screen's breadcrumb.
	Title() string
	// Keys are the screen's own bindings, for the hint line and ? help.
	Keys() []key.Binding
	// Refresh reloads what the screen shows after the store changed,
	// keeping the cursor and filter.
	Refresh() tea.Cmd
	// Capturing reports whether a text field has the keyboard, so global
	// keys (q, :, ?) are typed instead.
	Capturing() bool
	// Back handles esc; false means the screen has nothing to undo and the
	// root may pop it.
	Back() (bool, tea.Cmd)
	// Position is the right side of the status line ("row 3 of 90").
	Position() string
}

// openMsg asks the root to push a screen, or with replace to make it the
// only one.
type openMsg struct {
	s       screen
	replace bool
}

// open pushes a screen (drilling in).
func open(s screen) tea.Cmd { return func() tea.Msg { return openMsg{s: s} } }

// openTop replaces the stack with a screen (going somewhere else).
func openTop(s screen) tea.Cmd { return func() tea.Msg { return openMsg{s: s, replace: true} } }

// env is what every screen of one session shares. It is only touched on
// the session's event loop.
type env struct {
	be     Backend
	keys   *KeyMap
	st     *Styles
	actor  model.Actor
	remote bool
	jobs   func() []engine.EntryStatus // nil outside stockroom serve
	nextID int
}

// id numbers a new screen, so that messages of two screens of the same
// kind (two item screens in the stack) are told apart.
func (e *env) id() int {
	e.nextID++
	return e.nextID
}
