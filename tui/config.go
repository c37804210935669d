package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// KeyOverrides maps a binding's name (as in KeyNames) to the keys that
// replace its defaults, e.g. {"down": ["j", "down", "ctrl+n"]}. It is the
// "keys" section of the config file.
type KeyOverrides map[string][]string

// bindings names every binding of a keymap, for the config file.
func (k *KeyMap) bindings() map[string]*key.Binding {
	return map[string]*key.Binding{
		"up": &k.Up, "down": &k.Down, "page_up": &k.PageUp, "page_down": &k.PageDown, "top": &k.Top, "bottom": &k.Bottom,
		"filter": &k.Filter, "sort": &k.Sort, "reverse": &k.Reverse, "open": &k.Open, "mark": &k.Mark,
		"accept": &k.Accept, "complete": &k.Complete, "back": &k.Back, "command": &k.Command,
		"next_pane": &k.NextPane, "help": &k.Help, "quit": &k.Quit,
		"replan": &k.Replan, "plan_afresh": &k.PlanAfresh,
		"dismiss": &k.Dismiss, "confirm": &k.Confirm, "correct": &k.Correct, "exclude": &k.Exclude, "reopen": &k.Reopen,
		"states":  &k.States,
		"approve": &k.Approve, "reject": &k.Reject, "edit_qty": &k.EditQty, "snooze": &k.Snooze,
	}
}

// KeyNames lists the names a config file may rebind.
func KeyNames() []string {
	var k KeyMap
	var names []string
	for n := range k.bindings() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Apply rebinds keys; an unknown name or an empty key list is an error
// naming it, and nothing is changed.
func (o KeyOverrides) Apply(k *KeyMap) error {
	b := k.bindings()
	for name, keys := range o {
		if _, ok := b[name]; !ok {
			return fmt.Errorf("keys.%s: no such binding (want one of %s)", name, strings.Join(KeyNames(), ", "))
		}
		if len(keys) == 0 {
			return fmt.Errorf("keys.%s: give at least one key", name)
		}
	}
	for name, keys := range o {
		bd := b[name]
		help := bd.Help()
		*bd = key.NewBinding(key.WithKeys(keys...), key.WithHelp(strings.Join(keys, "/"), help.Desc))
	}
	return nil
}

// Theme names a palette: the colours every style is built from.
type Theme struct {
	Accent, Text, Dim, Bar, BarText, Good, Warn, Bad, Info, Muted, Chart string
}

// Themes are the built-in palettes (ANSI 256 colour numbers or #rrggbb).
var Themes = map[string]Theme{
	"dark":  {Accent: "214", Text: "252", Dim: "242", Bar: "236", BarText: "252", Good: "78", Warn: "221", Bad: "203", Info: "75", Muted: "139", Chart: "109"},
	"light": {Accent: "130", Text: "235", Dim: "244", Bar: "254", BarText: "235", Good: "28", Warn: "136", Bad: "160", Info: "25", Muted: "96", Chart: "31"},
}

// ThemeByName returns a built-in theme.
func ThemeByName(name string) (Theme, error) {
	if name == "" {
		name = "dark"
	}
	t, ok := Themes[name]
	if !ok {
		var names []string
		for n := range Themes {
			names = append(names, n)
		}
		sort.Strings(names)
		return Theme{}, fmt.Errorf("theme %q: no such theme (want %s)", name, strings.Join(names, " or "))
	}
	return t, nil
}

func (t Theme) c(s string) lipgloss.Color { return lipgloss.Color(s) }
