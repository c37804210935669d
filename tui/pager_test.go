package tui

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// row is a stand-in for a listed record: only its id matters to a pager.
type row struct{ id int64 }

func rowsOf(ids ...int64) []row {
	out := make([]row, len(ids))
	for i, id := range ids {
		out[i] = row{id}
	}
	return out
}

func idsOf(rows []row) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.id
	}
	return out
}

// loadedPager is a pager holding ids with the cursor on index cursor.
func loadedPager(cursor int, ids ...int64) pager[row] {
	p := newPager(func(r row) int64 { return r.id })
	p.rows, p.total, p.loaded, p.cursor = rowsOf(ids...), len(ids), true, cursor
	return p
}

func TestPager_Load(t *testing.T) {
	page := func(ids ...int64) func(context.Context) ([]row, error) {
		return func(context.Context) ([]row, error) { return rowsOf(ids...), nil }
	}
	t.Run("FirstPage", func(t *testing.T) {
		p := newPager(func(r row) int64 { return r.id })
		cmd := p.load(7, 2, false, page(1, 2), func(context.Context) (int, error) { return 40, nil })
		if !p.busy || p.gen != 1 {
			t.Fatalf("busy %v gen %d, want a busy generation 1", p.busy, p.gen)
		}
		m := cmd().(pageMsg[row])
		if m.id != 7 || m.gen != 1 || m.append || m.total != 40 || m.limit != 2 || !slices.Equal(idsOf(m.rows), []int64{1, 2}) {
			t.Errorf("got %+v", m)
		}
	})
	t.Run("NextPageIsNotCounted", func(t *testing.T) {
		p := loadedPager(0, 1, 2)
		p.gen = 3
		cmd := p.load(7, 2, true, page(3), func(context.Context) (int, error) {
			t.Error("a next page must not be counted")
			return 0, nil
		})
		if m := cmd().(pageMsg[row]); m.gen != 3 || !m.append || m.total != -1 {
			t.Errorf("got %+v, want an uncounted append page of generation 3", m)
		}
	})
	t.Run("FailedPageIsNotCounted", func(t *testing.T) {
		p := newPager(func(r row) int64 { return r.id })
		boom := errors.New("boom")
		cmd := p.load(7, 2, false, func(context.Context) ([]row, error) { return nil, boom }, func(context.Context) (int, error) {
			t.Error("a failed page must not be counted")
			return 0, nil
		})
		if m := cmd().(pageMsg[row]); !errors.Is(m.err, boom) || m.total != -1 {
			t.Errorf("got %+v", m)
		}
	})
	t.Run("NewQueryLeavesOldPagesStale", func(t *testing.T) {
		p := newPager(func(r row) int64 { return r.id })
		old := p.load(7, 2, false, page(1), func(context.Context) (int, error) { return 1, nil })
		p.load(7, 2, false, page(2), func(context.Context) (int, error) { return 1, nil })
		if m := old().(pageMsg[row]); m.gen == p.gen {
			t.Errorf("the first query's page has the current generation %d", p.gen)
		}
	})
}

func TestPager_Take(t *testing.T) {
	tests := []struct {
		name       string
		cursor     int // on ids 10, 20, 30, 40
		follow     bool
		msg        pageMsg[row]
		wantIDs    []int64
		wantCursor int
		wantTotal  int
		wantEnd    bool
	}{
		{name: "RefreshFollowsSelectedRow", cursor: 2, follow: true,
			msg:     pageMsg[row]{rows: rowsOf(5, 10, 20, 30, 40), limit: 5, total: 5},
			wantIDs: []int64{5, 10, 20, 30, 40}, wantCursor: 3, wantTotal: 5},
		{name: "SelectedRowGoneKeepsPlace", cursor: 2, follow: true,
			msg:     pageMsg[row]{rows: rowsOf(10, 20, 40), limit: 3, total: 3},
			wantIDs: []int64{10, 20, 40}, wantCursor: 2, wantTotal: 3},
		{name: "NoFollowKeepsPlace", cursor: 2,
			msg:     pageMsg[row]{rows: rowsOf(5, 10, 20, 30), limit: 4, total: 9},
			wantIDs: []int64{5, 10, 20, 30}, wantCursor: 2, wantTotal: 9},
		{name: "ShortFirstPageIsTheEnd", cursor: 0, follow: true,
			msg:     pageMsg[row]{rows: rowsOf(10, 20), limit: 100, total: 2},
			wantIDs: []int64{10, 20}, wantCursor: 0, wantTotal: 2, wantEnd: true},
		{name: "AppendKeepsCursorAndCount", cursor: 1, follow: true,
			msg:     pageMsg[row]{rows: rowsOf(50, 60), limit: 2, total: -1, append: true},
			wantIDs: []int64{10, 20, 30, 40, 50, 60}, wantCursor: 1, wantTotal: 4},
		{name: "ShortAppendIsTheEnd", cursor: 1,
			msg:     pageMsg[row]{rows: rowsOf(50), limit: 2, total: -1, append: true},
			wantIDs: []int64{10, 20, 30, 40, 50}, wantCursor: 1, wantTotal: 4, wantEnd: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := loadedPager(tt.cursor, 10, 20, 30, 40)
			p.busy = true
			if !p.take(tt.msg, tt.follow) {
				t.Fatal("take refused a page without an error")
			}
			if got := idsOf(p.rows); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("rows %v, want %v", got, tt.wantIDs)
			}
			if p.cursor != tt.wantCursor || p.total != tt.wantTotal || p.atEnd != tt.wantEnd || p.busy {
				t.Errorf("cursor %d total %d atEnd %v busy %v, want %d %d %v false", p.cursor, p.total, p.atEnd, p.busy, tt.wantCursor, tt.wantTotal, tt.wantEnd)
			}
		})
	}
	t.Run("ErrorKeepsRows", func(t *testing.T) {
		p := loadedPager(1, 10, 20)
		p.busy = true
		boom := errors.New("boom")
		if p.take(pageMsg[row]{err: boom, limit: 2}, true) {
			t.Fatal("take accepted a failed page")
		}
		if !errors.Is(p.err, boom) || p.busy || !p.loaded || !slices.Equal(idsOf(p.rows), []int64{10, 20}) || p.cursor != 1 {
			t.Errorf("err %v busy %v loaded %v rows %v cursor %d", p.err, p.busy, p.loaded, idsOf(p.rows), p.cursor)
		}
	})
}

func TestPager_WantMore(t *testing.T) {
	tests := []struct {
		name        string
		cursor      int // on 10 rows, 3 shown
		atEnd, busy bool
		want        bool
	}{
		{name: "FarFromTheEnd", cursor: 5},
		{name: "NearTheEnd", cursor: 6, want: true},
		{name: "AtTheEnd", cursor: 9, atEnd: true},
		{name: "PageOnItsWay", cursor: 9, busy: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := loadedPager(tt.cursor, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
			p.atEnd, p.busy = tt.atEnd, tt.busy
			if got := p.wantMore(3); got != tt.want {
				t.Errorf("wantMore = %v, want %v", got, tt.want)
			}
		})
	}
	if p := newPager(func(r row) int64 { return r.id }); p.wantMore(3) {
		t.Error("an empty list wants more")
	}
}

func TestPager_Position(t *testing.T) {
	p := loadedPager(1, 10, 20)
	p.total = -1
	if got := p.position("anomaly"); got != "anomaly 2 of …" {
		t.Errorf("uncounted: %q", got)
	}
	p.total = 1234
	if got := p.position("anomaly"); got != "anomaly 2 of 1,234" {
		t.Errorf("counted: %q", got)
	}
}
