package tui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
)

// pager is the keyset-paged list of a screen whose rows come from the
// store a page at a time (anomalies, proposals): the rows loaded so far,
// the count, and the cursor on them. The screen builds the queries; the
// pager keeps the bookkeeping the same on every such list.
type pager[T any] struct {
	rows   []T
	total  int // -1 until counted
	atEnd  bool
	loaded bool
	busy   bool
	gen    int
	listCursor
	err   error
	rowID func(T) int64 // to find the selected row again after a reload
}

func newPager[T any](rowID func(T) int64) pager[T] {
	return pager[T]{total: -1, rowID: rowID}
}

// load starts fetching a page with rows and, for a first page (app
// false), the count with count. A first page starts a new generation, so
// pages still on their way for the old query are dropped when they come.
func (p *pager[T]) load(id, limit int, app bool, rows func(context.Context) ([]T, error), count func(context.Context) (int, error)) tea.Cmd {
	if !app {
		p.gen++
	}
	p.busy = true
	gen := p.gen
	return func() tea.Msg {
		ctx := context.Background()
		m := pageMsg[T]{id: id, gen: gen, append: app, total: -1, limit: limit}
		if m.rows, m.err = rows(ctx); m.err != nil || app {
			return m
		}
		m.total, m.err = count(ctx)
		return m
	}
}

// take applies a page of the current generation and reports whether it
// came without an error (an error is kept in err for the list to show).
// A first page replaces the rows; with follow the cursor stays on the row
// it was on when that row is still listed, else it keeps its place.
func (p *pager[T]) take(msg pageMsg[T], follow bool) bool {
	p.busy = false
	p.loaded = true
	p.err = msg.err
	if msg.err != nil {
		return false
	}
	if msg.append {
		p.rows = append(p.rows, msg.rows...)
	} else {
		var sel int64 // 0 follows nothing: ids start at 1
		if r, ok := p.selected(); ok && follow {
			sel = p.rowID(r)
		}
		p.rows = msg.rows
		p.total = msg.total
		for i, r := range p.rows {
			if p.rowID(r) == sel {
				p.cursor = i
			}
		}
	}
	// A short page is the last one: nothing more to fetch.
	p.atEnd = len(msg.rows) < msg.limit
	return true
}

// wantMore reports whether the next page is due: the cursor is within a
// screen (of shown rows) of the end of what is loaded, there is more, and
// no page is on its way.
func (p *pager[T]) wantMore(shown int) bool {
	return !p.atEnd && !p.busy && len(p.rows) > 0 && len(p.rows)-p.cursor <= shown+1
}

func (p *pager[T]) selected() (T, bool) {
	if p.cursor >= 0 && p.cursor < len(p.rows) {
		return p.rows[p.cursor], true
	}
	var zero T
	return zero, false
}

// position is "noun N of M" for the status line; M is "…" until counted.
func (p *pager[T]) position(noun string) string {
	total := "…"
	if p.total >= 0 {
		total = thousands(p.total)
	}
	return fmt.Sprintf("%s %s of %s", noun, thousands(p.cursor+1), total)
}
