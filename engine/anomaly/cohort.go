package anomaly

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"stockroom/model"
)

// Detector names of the findings Cohorts makes out of many series'.
const (
	CohortShift = "category_shift" // a category's items shifted level together
	CohortSpike = "category_spike" // a category's items jumped or dropped on the same day
)

// CohortMin is how many items of one category must move the same way at
// once before their findings read as one category-wide move. By chance
// alone three coincide rarely: on the demo about 8 level shifts a week
// fall among 66 category × location × channel cells.
const CohortMin = 3

// cohortSpread is how far (as a ratio) a member's change may be from its
// category's median change and still be part of it: an item that moved
// three times as much as the rest of its category stands out on its own.
var cohortSpread = math.Log(3)

// CohortBy is who dismisses the members of a category-wide move.
const CohortBy = "stockroom"

// cohortKey is a category-wide move: one category, one kind of change,
// one direction, one week (level shifts are found days apart) or one day
// (spikes).
type cohortKey struct {
	cat  string
	det  string
	up   bool
	when model.Date
}

// cohortOf is the move a series finding may belong to; ok false for
// findings that are not series changes (rules, files) or not open.
func cohortOf(a model.Anomaly, category func(string) string) (cohortKey, bool) {
	if a.File != "" || a.SKU == "" || a.State != model.AnomalyOpen || math.IsNaN(a.Expected) || a.Observed == a.Expected {
		return cohortKey{}, false
	}
	k := cohortKey{cat: category(a.SKU), up: a.Observed > a.Expected, when: a.Date}
	switch a.Detector {
	case DetLevel, CohortShift:
		k.det = CohortShift
		k.when = a.Date.AddDays(-((int(a.Date.Weekday()) + 6) % 7)) // the Monday
	case DetSeasonalZ, CohortSpike:
		k.det = CohortSpike
	default:
		return cohortKey{}, false
	}
	return k, k.cat != ""
}

// change is a finding's move as a log ratio, +1 on both sides so a fall
// to zero stays finite.
func change(a model.Anomaly) float64 {
	return math.Log((a.Observed + 1) / (math.Max(0, a.Expected) + 1))
}

// Cohorts turns the series findings of items of one category that moved
// the same way at the same time (CohortMin or more items, level shifts in
// the same week or spikes on the same day, each within a factor of three
// of the category's median change) into one category-wide finding: the
// member with the highest score carries it (detector CohortShift or
// CohortSpike, the chart of a real series, a detail naming the others),
// and the others come back dismissed by CohortBy at at, with a note that
// says where the move is. A seasonal turn or an unlisted promotion of a
// whole category is then one line in the queue instead of forty, and a
// category-wide fall (a feed that stopped) is still one open finding.
//
// stored are the category-wide findings already kept (from earlier
// imports): members found later join them rather than start another.
// category maps a SKU to its category ("" leaves it out). Findings keep
// their order; nothing is dropped.
func Cohorts(fs []model.Anomaly, stored []model.Anomaly, category func(string) string, at time.Time) []model.Anomaly {
	groups := map[cohortKey][]int{}
	for i, a := range fs {
		if k, ok := cohortOf(a, category); ok && a.Detector != CohortShift && a.Detector != CohortSpike {
			groups[k] = append(groups[k], i)
		}
	}
	carriers := map[cohortKey]model.Anomaly{}
	for _, a := range stored {
		if k, ok := cohortOf(model.Anomaly{SKU: a.SKU, Date: a.Date, Detector: a.Detector, Observed: a.Observed,
			Expected: a.Expected, State: model.AnomalyOpen}, category); ok {
			carriers[k] = a
		}
	}
	keys := make([]cohortKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b cohortKey) int {
		return cmp.Or(cmp.Compare(a.when, b.when), cmp.Compare(a.cat, b.cat), cmp.Compare(a.det, b.det), cmp.Compare(b2i(a.up), b2i(b.up)))
	})
	out := slices.Clone(fs)
	dismiss := func(i int, k cohortKey, carrier model.Anomaly) {
		where := fmt.Sprintf("%s @ %s", carrier.SKU, carrier.Location)
		if carrier.Channel != "" {
			where += "/" + carrier.Channel
		}
		m := fs[i]
		m.State, m.By, m.At = model.AnomalyDismissed, CohortBy, at
		m.Note = fmt.Sprintf("part of a category-wide move: %s %s %s; see %s on %s, %s", k.cat, verb(k), whenText(k), k.det, where, carrier.Date)
		out[i] = m
	}
	// join dismisses the findings of a group that moved as a carrier
	// already made did (within cohortSpread of its own change).
	join := func(k cohortKey, idx []int, carrier model.Anomaly) {
		for _, i := range idx {
			if math.Abs(change(fs[i])-change(carrier)) <= cohortSpread {
				dismiss(i, k, carrier)
			}
		}
	}
	// A group joins the move stored for its week by an earlier check, or
	// makes a new one; then what was too small for its own joins a level
	// shift's move of the week either side: a turn found over a few days
	// can straddle a Monday.
	var small []cohortKey
	for _, k := range keys {
		if c, ok := carriers[k]; ok {
			join(k, groups[k], c) // stored by an earlier check
			continue
		}
		idx := members(fs, groups[k])
		if distinctSKUs(fs, idx) < CohortMin {
			small = append(small, k)
			continue
		}
		best := idx[0]
		for _, i := range idx[1:] {
			if fs[i].Score > fs[best].Score {
				best = i
			}
		}
		carrier := fs[best]
		carrier.Detector = k.det
		carrier.Detail = cohortDetail(k, fs, idx, best)
		out[best] = carrier
		carriers[k] = carrier
		for _, i := range idx {
			if i != best {
				dismiss(i, k, carrier)
			}
		}
	}
	for _, k := range small {
		if k.det != CohortShift {
			continue
		}
		for _, d := range []int{-7, 7} {
			n := k
			n.when = k.when.AddDays(d)
			if c, ok := carriers[n]; ok {
				join(n, groups[k], c)
				break
			}
		}
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// members keeps the findings whose change is within cohortSpread of the
// group's median change.
func members(fs []model.Anomaly, idx []int) []int {
	ch := make([]float64, len(idx))
	for j, i := range idx {
		ch[j] = change(fs[i])
	}
	med := median(slices.Clone(ch)) // median reorders
	var keep []int
	for j, i := range idx {
		if math.Abs(ch[j]-med) <= cohortSpread {
			keep = append(keep, i)
		}
	}
	return keep
}

func distinctSKUs(fs []model.Anomaly, idx []int) int {
	seen := map[string]bool{}
	for _, i := range idx {
		seen[fs[i].SKU] = true
	}
	return len(seen)
}

func verb(k cohortKey) string {
	switch {
	case k.det == CohortSpike && k.up:
		return "jumped"
	case k.det == CohortSpike:
		return "dropped"
	case k.up:
		return "rose"
	}
	return "fell"
}

func whenText(k cohortKey) string {
	if k.det == CohortShift {
		return "in the week of " + k.when.String()
	}
	return "on " + k.when.String()
}

// cohortDetail says what moved: "Stationery: 41 items (63 series) rose in
// the week of 2025-08-18, typically ×2.3 (this one ×2.5); also STA-000012,
// STA-000031, … and 38 more".
func cohortDetail(k cohortKey, fs []model.Anomaly, idx []int, carrier int) string {
	ch := make([]float64, len(idx))
	var others []string
	seen := map[string]bool{fs[carrier].SKU: true}
	for j, i := range idx {
		ch[j] = change(fs[i])
		if !seen[fs[i].SKU] {
			seen[fs[i].SKU] = true
			others = append(others, fs[i].SKU)
		}
	}
	slices.Sort(others)
	list := others
	const shown = 5
	more := ""
	if len(list) > shown {
		list, more = list[:shown], fmt.Sprintf(" and %d more", len(others)-shown)
	}
	return fmt.Sprintf("%s: %d items (%d series) %s %s, typically ×%.1f (this one ×%.1f); also %s%s",
		k.cat, len(seen), len(idx), verb(k), whenText(k), math.Exp(median(ch)), math.Exp(change(fs[carrier])),
		strings.Join(list, ", "), more)
}
