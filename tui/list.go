package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// Pieces the list screens (stock, anomalies, proposals) share.

// split lays out a list screen with a detail pane (anomalies, proposals):
// the pane sits beside the list from wideAt columns and under it below
// that, where the list keeps about two fifths of the height.
type split struct {
	w, h   int
	wideAt int
	rule   bool // a rule line between the list and the pane when stacked
}

func (s split) wide() bool { return s.w >= s.wideAt }

// listWidth is the list's width; the pane has the rest.
func (s split) listWidth() int {
	if s.wide() {
		return s.w * 58 / 100
	}
	return s.w
}

// listRows is how many rows the list shows under its header.
func (s split) listRows() int {
	if s.wide() {
		return max(1, s.h-1)
	}
	return max(3, s.h*2/5)
}

// sideSize is the pane's size.
func (s split) sideSize() (w, h int) {
	if s.wide() {
		return s.w - s.listWidth() - 1, s.h
	}
	h = s.h - s.listRows() - 1
	if s.rule {
		h--
	}
	return s.w, max(0, h)
}

// join puts the rendered list and pane together.
func (s split) join(list, side string, st *Styles) string {
	if s.wide() {
		lw := s.listWidth()
		left := strings.Split(list, "\n")
		right := strings.Split(side, "\n")
		lines := make([]string, s.h)
		for i := range lines {
			var l, r string
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			lines[i] = fit(l, lw, false) + st.Dim.Render("│") + r
		}
		return strings.Join(lines, "\n")
	}
	// The pane stays put however few rows the list has.
	if n := strings.Count(list, "\n") + 1; n < s.listRows()+1 {
		list += strings.Repeat("\n", s.listRows()+1-n)
	}
	if s.rule {
		list += "\n" + st.Dim.Render(strings.Repeat("─", s.w))
	}
	return list + "\n" + side
}

// listCursor is the selected row of a loaded list and the first row shown.
type listCursor struct {
	cursor, offset int
}

// clamp keeps the cursor on one of n rows and within the rows shown.
func (c *listCursor) clamp(n, rows int) {
	c.cursor = max(0, min(c.cursor, n-1))
	if c.cursor < c.offset {
		c.offset = c.cursor
	}
	if c.cursor >= c.offset+rows {
		c.offset = c.cursor - rows + 1
	}
	c.offset = max(0, min(c.offset, max(0, n-rows)))
}

// editFilter handles a key while a list's filter line has the keyboard,
// the same on every list: enter keeps the filter, esc clears it, and any
// other key edits the text, which set applies whenever it changes from
// applied. closeLine gives the keyboard back to the list.
func editFilter(msg tea.KeyMsg, keys *KeyMap, in *textinput.Model, applied string, closeLine func(), set func(string) tea.Cmd) tea.Cmd {
	switch {
	case key.Matches(msg, keys.Accept):
		closeLine()
		return nil
	case key.Matches(msg, keys.Back):
		closeLine()
		in.SetValue("")
		return set("")
	}
	var cmd tea.Cmd
	*in, cmd = in.Update(msg)
	if in.Value() != applied {
		return tea.Batch(cmd, set(in.Value()))
	}
	return cmd
}

// moveBy is how far a movement key moves a list's cursor (page is the rows
// a page moves); ok is false for any other key.
func moveBy(msg tea.KeyMsg, k *KeyMap, page int) (n int, ok bool) {
	switch {
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.PageDown):
		return page, true
	case key.Matches(msg, k.PageUp):
		return -page, true
	case key.Matches(msg, k.Top):
		return -1 << 30, true
	case key.Matches(msg, k.Bottom):
		return 1 << 30, true
	}
	return 0, false
}

// filterTokens splits a list's / filter into bare words (matched fuzzily
// by the query) and name=value columns (matched exactly), handing each
// column to set, which says whether it knows the name; want lists the
// names for the error.
func filterTokens(s, want string, set func(name, val string) bool) (text []string, err error) {
	for _, tok := range strings.Fields(s) {
		name, val, ok := strings.Cut(tok, "=")
		if !ok {
			text = append(text, tok)
			continue
		}
		if val == "" {
			return text, fmt.Errorf("%s= needs a value", name)
		}
		if !set(strings.ToLower(name), val) {
			return text, fmt.Errorf("unknown column %q (want %s)", name, want)
		}
	}
	return text, nil
}
