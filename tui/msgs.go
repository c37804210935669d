package tui

import (
	"stockroom/model"
)

// errMsg carries a failed command's error to the status line.
type errMsg struct{ err error }

// changeMsg is a change published in this process.
type changeMsg model.Change

// subClosedMsg says the change subscription ended.
type subClosedMsg struct{}

// versionMsg is the store's data version, polled.
type versionMsg struct {
	v   int64
	err error
}

// pollMsg asks for the next version poll; gen drops stale loops.
type pollMsg struct{ gen int }

// pageKind says where a loaded page goes in the stock view's buffer.
type pageKind int

const (
	pageReplace pageKind = iota // a new query: the rows from the top
	pageAppend                  // the rows after the buffer
	pagePrepend                 // the rows before the buffer
	pageLast                    // the last rows of the table
	pageRefresh                 // the buffer again, after a change
)

// stockPageMsg is a page of stock rows with their recent sales.
type stockPageMsg struct {
	gen   int
	kind  pageKind
	lines []stockLine
	asOf  model.Date
	limit int
	err   error
}

// stockCountMsg is how many rows the current query selects.
type stockCountMsg struct {
	gen int
	n   int
	err error
}

// resizedMsg follows a resize to every screen, after SetSize.
type resizedMsg struct{}

// pageMsg is a page of a paged list's rows (see pager), tagged with the
// screen and the generation it was asked for.
type pageMsg[T any] struct {
	id, gen int
	rows    []T
	append  bool
	total   int // -1 when not counted with this page
	limit   int
	err     error
}
