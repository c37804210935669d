package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"stockroom/model"
)

// importsMsg is a page of logged imports.
type importsMsg struct {
	id     int
	files  []model.ImportFile
	append bool
	err    error
}

// importsView lists imported files newest first; enter opens a file's
// rejected rows.
type importsView struct {
	env    *env
	id     int
	w, h   int
	files  []model.ImportFile
	atEnd  bool
	busy   bool
	cursor int
	offset int
	err    error
	body   string
}

func newImportsView(e *env) *importsView { return &importsView{env: e, id: e.id()} }

const importsPage = 200

func (v *importsView) Init() tea.Cmd { return v.fetch(0, false) }

func (v *importsView) fetch(before int64, app bool) tea.Cmd {
	v.busy = true
	be, id := v.env.be, v.id
	limit := importsPage
	if !app && len(v.files) > importsPage {
		limit = len(v.files) // a refresh keeps as many rows as were loaded
	}
	return func() tea.Msg {
		fs, err := be.Imports(context.Background(), before, limit)
		return importsMsg{id: id, files: fs, append: app, err: err}
	}
}

func (v *importsView) Title() string { return "Imports" }

func (v *importsView) Keys() []key.Binding {
	return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "rejected rows"))}
}

func (v *importsView) Capturing() bool { return false }

func (v *importsView) Back() (bool, tea.Cmd) { return false, nil }

func (v *importsView) Refresh() tea.Cmd {
	if v.busy {
		return nil
	}
	return v.fetch(0, false)
}

func (v *importsView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.clamp()
	v.render()
}

func (v *importsView) rows() int { return max(1, v.h-1) }

func (v *importsView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case importsMsg:
		if msg.id != v.id {
			return v, nil
		}
		v.busy = false
		v.err = msg.err
		if msg.err == nil {
			if msg.append {
				v.files = append(v.files, msg.files...)
			} else {
				var sel int64
				if v.cursor < len(v.files) {
					sel = v.files[v.cursor].ID
				}
				v.files = msg.files
				v.cursor = 0
				for i, f := range v.files {
					if f.ID == sel {
						v.cursor = i
					}
				}
			}
			v.atEnd = len(msg.files) < importsPage
		}
		v.clamp()
		v.render()
	case tea.KeyMsg:
		k := v.env.keys
		if n, ok := moveBy(msg, k, v.rows()); ok {
			return v, v.move(n)
		}
		switch {
		case key.Matches(msg, k.Open):
			if v.cursor < len(v.files) {
				return v, open(newQuarantineView(v.env, v.files[v.cursor]))
			}
		}
	}
	return v, nil
}

func (v *importsView) move(n int) tea.Cmd {
	v.cursor += n
	v.clamp()
	v.render()
	if !v.atEnd && !v.busy && len(v.files) > 0 && len(v.files)-v.cursor < v.rows() {
		return v.fetch(v.files[len(v.files)-1].ID, true)
	}
	return nil
}

func (v *importsView) clamp() {
	v.cursor = max(0, min(v.cursor, len(v.files)-1))
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+v.rows() {
		v.offset = v.cursor - v.rows() + 1
	}
	v.offset = max(0, v.offset)
}

func (v *importsView) render() {
	st := v.env.st
	var b strings.Builder
	b.WriteString(st.Header.Render(fit(fmt.Sprintf(" %-16s %-11s %9s %9s %9s  %s", "FINISHED", "KIND", "OK", "DUPLICATE", "REJECTED", "FILE"), v.w, false)))
	if v.err != nil {
		b.WriteString("\n" + st.Error.Render("error: "+v.err.Error()))
	}
	if len(v.files) == 0 && v.err == nil {
		b.WriteString("\n" + st.Dim.Render(" nothing imported yet"))
	}
	for i := v.offset; i < len(v.files) && i < v.offset+v.rows(); i++ {
		f := v.files[i]
		note := filepath.Base(f.Path)
		switch {
		case f.Error != "":
			note += "  — not imported: " + f.Error
		case f.DuplicateOf != "":
			note += "  — same content as " + filepath.Base(f.DuplicateOf)
		}
		line := fmt.Sprintf("%-16s %-11s %9d %9d %9d  %s", f.Finished.Format("2006-01-02 15:04"), orDash(f.Kind), f.RowsOK,
			f.RowsDuplicate, f.RowsRejected, note)
		switch {
		case i == v.cursor:
			b.WriteString("\n" + st.Selected.Render(fit("›"+line, v.w, false)))
		case f.Error != "" || f.RowsRejected > 0:
			b.WriteString("\n " + st.Error.Render(fit(line, v.w-1, false)))
		default:
			b.WriteString("\n " + fit(line, v.w-1, false))
		}
	}
	v.body = b.String()
}

func (v *importsView) View() string { return v.body }

func (v *importsView) Position() string {
	if len(v.files) == 0 {
		return ""
	}
	more := ""
	if !v.atEnd {
		more = "+"
	}
	return fmt.Sprintf("file %d of %d%s", v.cursor+1, len(v.files), more)
}

// quarantineMsg is a page of a file's rejected rows.
type quarantineMsg struct {
	id   int
	rows []model.QuarantineRow
	err  error
}

// quarantineView lists one file's rejected rows: line, column, reason and
// the row as it was.
type quarantineView struct {
	env    *env
	id     int
	file   model.ImportFile
	w, h   int
	rows   []model.QuarantineRow
	atEnd  bool
	busy   bool
	cursor int
	offset int
	err    error
	body   string
}

func newQuarantineView(e *env, f model.ImportFile) *quarantineView {
	return &quarantineView{env: e, id: e.id(), file: f}
}

func (v *quarantineView) Init() tea.Cmd { return v.fetch(0) }

func (v *quarantineView) fetch(after int64) tea.Cmd {
	v.busy = true
	be, id, file := v.env.be, v.id, v.file.ID
	return func() tea.Msg {
		rows, err := be.Quarantine(context.Background(), file, after, importsPage)
		return quarantineMsg{id: id, rows: rows, err: err}
	}
}

func (v *quarantineView) Title() string {
	name := v.file.Path
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

func (v *quarantineView) Keys() []key.Binding   { return nil }
func (v *quarantineView) Capturing() bool       { return false }
func (v *quarantineView) Back() (bool, tea.Cmd) { return false, nil }
func (v *quarantineView) Refresh() tea.Cmd      { return nil } // a file's rejected rows never change

func (v *quarantineView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.render()
}

func (v *quarantineView) lines() int {
	n := v.h - 2 - len(v.errorLines())
	if len(v.rows) > 0 {
		n -= quarantineDetail
	}
	return max(1, n)
}

// quarantineDetail is the height of detailLines at most, kept for them
// whatever the row under the cursor, so the table does not jump.
const quarantineDetail = 5

// detailLines are the selected row's whole reason and the row as it was
// read, below the table: the table's columns cut both short.
func (v *quarantineView) detailLines() []string {
	if len(v.rows) == 0 {
		return nil
	}
	q := v.rows[min(v.cursor, len(v.rows)-1)]
	out := []string{""}
	out = append(out, wrapText(fmt.Sprintf("line %d, %s: %s", q.Line, orDash(q.Column), q.Reason), max(20, v.w-1), 3)...)
	if q.Raw != "" {
		out = append(out, "row: "+q.Raw)
	}
	return out
}

// errorLines is why the file was not imported, wrapped to the width (up
// to three lines), or one blank line when it was.
func (v *quarantineView) errorLines() []string {
	if v.file.Error == "" {
		return []string{""}
	}
	return wrapText("not imported: "+v.file.Error, max(20, v.w), 3)
}

func (v *quarantineView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case quarantineMsg:
		if msg.id != v.id {
			return v, nil
		}
		v.busy, v.err = false, msg.err
		v.rows = append(v.rows, msg.rows...)
		v.atEnd = len(msg.rows) < importsPage
		v.render()
	case tea.KeyMsg:
		k := v.env.keys
		n, _ := moveBy(msg, k, v.lines())
		if n != 0 && len(v.rows) > 0 {
			v.cursor = max(0, min(len(v.rows)-1, v.cursor+n))
			if v.cursor < v.offset {
				v.offset = v.cursor
			}
			if v.cursor >= v.offset+v.lines() {
				v.offset = v.cursor - v.lines() + 1
			}
			v.render()
			if !v.atEnd && !v.busy && len(v.rows)-v.cursor < v.lines() {
				return v, v.fetch(v.rows[len(v.rows)-1].ID)
			}
		}
	}
	return v, nil
}

func (v *quarantineView) render() {
	st := v.env.st
	f := v.file
	var b strings.Builder
	b.WriteString(fit(st.Heading.Render(f.Path)+st.Dim.Render(fmt.Sprintf("  %s · %d imported · %d already in the ledger · %d rejected",
		orDash(f.Kind), f.RowsOK, f.RowsDuplicate, f.RowsRejected)), v.w, false))
	for _, l := range v.errorLines() {
		b.WriteString("\n" + st.Error.Render(fit(l, v.w, false)))
	}
	// The reason takes what a wide terminal has beyond 40 cells of row.
	rw := max(44, min(100, v.w-26-40))
	b.WriteString("\n" + st.Header.Render(fit(fmt.Sprintf(" %7s  %-14s %-*s %s", "LINE", "COLUMN", rw, "REASON", "ROW"), v.w, false)))
	if len(v.rows) == 0 && !v.busy {
		b.WriteString("\n" + st.Dim.Render(" no rejected rows"))
	}
	n, rows := 0, v.lines()
	for i := v.offset; i < len(v.rows) && i < v.offset+rows; i++ {
		q := v.rows[i]
		line := fmt.Sprintf("%7d  %-14s %-*s %s", q.Line, truncateText(orDash(q.Column), 14), rw, truncateText(q.Reason, rw), q.Raw)
		if i == v.cursor {
			b.WriteString("\n" + st.Selected.Render(fit("›"+line, v.w, false)))
		} else {
			b.WriteString("\n " + fit(line, v.w-1, false))
		}
		n++
	}
	if d := v.detailLines(); len(d) > 0 {
		b.WriteString(strings.Repeat("\n", rows-n))
		for _, l := range d {
			b.WriteString("\n " + fit(l, v.w-1, false))
		}
	}
	v.body = b.String()
}

func (v *quarantineView) View() string { return v.body }

func (v *quarantineView) Position() string {
	if len(v.rows) == 0 {
		return ""
	}
	return fmt.Sprintf("rejected row %d of %d", v.cursor+1, v.file.RowsRejected)
}
