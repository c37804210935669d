package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every key binding. The same bindings drive key matching,
// the hint line and the ? help screen; user overrides replace their keys
// (see LoadKeys).
type KeyMap struct {
	// Moving around a list.
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	// Lists.
	Filter, Sort, Reverse, Open, Mark key.Binding
	// Text fields.
	Accept, Complete key.Binding
	// Everywhere.
	Back, Command, NextPane, Help, Quit key.Binding
	// Routes.
	Replan, PlanAfresh key.Binding
	// Anomalies: the actions, and the state filter.
	Dismiss, Confirm, Correct, Exclude, Reopen, States key.Binding
	// Proposals: the actions (on the selected row or every marked one).
	Approve, Reject, EditQty, Snooze key.Binding
}

// DefaultKeyMap is the keymap without user overrides.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first row")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last row")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by next column")),
		Reverse:  key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Mark:     key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "mark")),
		Accept:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
		Complete: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back / clear")),
		Command:  key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command")),
		NextPane: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),

		Replan:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "re-plan")),
		PlanAfresh: key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "plan afresh")),

		Dismiss: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "dismiss")),
		Confirm: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "confirm")),
		Correct: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "correct value")),
		Exclude: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "exclude from training")),
		Reopen:  key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "reopen")),
		States:  key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "next state filter")),

		Approve: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve")),
		Reject:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reject")),
		EditQty: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit quantity")),
		Snooze:  key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "snooze")),
	}
}

// globalKeys are the bindings every screen shares, for help.
func (k *KeyMap) globalKeys() []key.Binding {
	return []key.Binding{k.Command, k.Back, k.NextPane, k.Help, k.Quit}
}

// moveKeys are the list movement bindings, for help.
func (k *KeyMap) moveKeys() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}
