package forecast

import (
	"cmp"
	"slices"
	"strings"

	"stockroom/model"
)

// Calendar is the set of dated events (holidays, shopping events, benefit
// days…) that the global model learns from. Each event applies to the
// series whose id matches its AppliesTo glob (all when empty). Future dates
// are welcome: they are what makes an event forecastable.
type Calendar struct {
	Events []model.Event
}

// maxKinds bounds the per-kind event features; the rarest kinds beyond it
// only feed the event-name feature.
const maxKinds = 6

// eventCap caps "days to" and "days since" event features.
const eventCap = 30

// calIndex is a calendar compiled for fast per-day lookups.
type calIndex struct {
	kinds    []string // most frequent first, at most maxKinds
	names    []string // event names; index = name id
	first    model.Date
	last     model.Date
	patterns []string // distinct AppliesTo globs
	byPat    [][]int  // event indices per pattern
	tables   map[string]*evTable
}

// evTable holds the events that apply to one set of patterns, per day from
// calIndex.first.
type evTable struct {
	name  []int16 // name id of the day's first event, −1 for none
	kinds []uint16
	to    [][]int16 // per kind: days to the next event (0 on the day), capped
	since [][]int16 // per kind: days since the last event, capped
}

func newCalIndex(c Calendar, from, to model.Date) *calIndex {
	ci := &calIndex{first: from, last: to, tables: map[string]*evTable{}}
	kindN := map[string]int{}
	nameID := map[string]int{}
	patID := map[string]int{}
	for i, e := range c.Events {
		k := strings.ToLower(strings.TrimSpace(e.Kind))
		kindN[k]++
		if _, ok := nameID[e.Name]; !ok {
			nameID[e.Name] = len(ci.names)
			ci.names = append(ci.names, e.Name)
		}
		p := e.AppliesTo
		if p == "*" {
			p = ""
		}
		id, ok := patID[p]
		if !ok {
			id = len(ci.patterns)
			patID[p] = id
			ci.patterns = append(ci.patterns, p)
			ci.byPat = append(ci.byPat, nil)
		}
		ci.byPat[id] = append(ci.byPat[id], i)
	}
	for k := range kindN {
		ci.kinds = append(ci.kinds, k)
	}
	slices.SortFunc(ci.kinds, func(a, b string) int {
		return cmp.Or(cmp.Compare(kindN[b], kindN[a]), cmp.Compare(a, b))
	})
	if len(ci.kinds) > maxKinds {
		ci.kinds = ci.kinds[:maxKinds]
	}
	return ci
}

// table returns the events table for a series id, built once per set of
// matching patterns (M5 has four: all stores, and one per state).
func (ci *calIndex) table(c Calendar, id string) *evTable {
	var key strings.Builder
	var pats []int
	for i, p := range ci.patterns {
		ok := p == ""
		if !ok {
			ok = (model.Event{AppliesTo: p}).Applies(id)
		}
		if ok {
			pats = append(pats, i)
			key.WriteString(p)
			key.WriteByte(0)
		}
	}
	if t, ok := ci.tables[key.String()]; ok {
		return t
	}
	days := int(ci.last-ci.first) + 1
	t := &evTable{name: make([]int16, days), kinds: make([]uint16, days)}
	for i := range t.name {
		t.name[i] = -1
	}
	kindIdx := map[string]int{}
	for i, k := range ci.kinds {
		kindIdx[k] = i
	}
	nameIdx := map[string]int{}
	for i, n := range ci.names {
		nameIdx[n] = i
	}
	for _, p := range pats {
		for _, ei := range ci.byPat[p] {
			e := c.Events[ei]
			d := int(e.Date - ci.first)
			if d < 0 || d >= days {
				continue
			}
			if t.name[d] < 0 {
				t.name[d] = int16(nameIdx[e.Name])
			}
			if k, ok := kindIdx[strings.ToLower(strings.TrimSpace(e.Kind))]; ok {
				t.kinds[d] |= 1 << k
			}
		}
	}
	t.to = make([][]int16, len(ci.kinds))
	t.since = make([][]int16, len(ci.kinds))
	for k := range ci.kinds {
		to := make([]int16, days)
		since := make([]int16, days)
		last := -eventCap - 1
		for d := range days {
			if t.kinds[d]&(1<<k) != 0 {
				last = d
			}
			since[d] = int16(min(eventCap, d-last))
		}
		next := days + eventCap + 1
		for d := days - 1; d >= 0; d-- {
			if t.kinds[d]&(1<<k) != 0 {
				next = d
			}
			to[d] = int16(min(eventCap, next-d))
		}
		t.to[k], t.since[k] = to, since
	}
	ci.tables[key.String()] = t
	return t
}
