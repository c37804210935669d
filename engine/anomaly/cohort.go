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
	CohortSpike = "category_spike" // a category's items jumped or dropped in the same week
)

// CohortMin is how many items of one category must move the same way in
// one week before their findings read as one category-wide move. By
// chance alone three coincide rarely: the demo stores about 8 level
// shifts a week across 11 categories, so a category's rises (or falls) in
// a week are Poisson with mean 0.36, three or more in 0.6% of them (a
// dozen over two years, before the ×3 spread test thins them).
const CohortMin = 3

// cohortSpread is how far (as a ratio) a member's change may be from its
// category's median change and still be part of it: an item that moved
// three times as much as the rest of its category stands out on its own.
var cohortSpread = math.Log(3)

// CohortBy is who dismisses the members of a category-wide move.
const CohortBy = "stockroom"

// cohortKey is a category-wide move: one category, one kind of change,
// one direction, one week.
type cohortKey struct {
	cat  string
	det  string
	up   bool
	when model.Date
}

// cohortOf is the move an open series finding may belong to; ok false
// for findings that are not open.
func cohortOf(a model.Anomaly, category func(string) string) (cohortKey, bool) {
	if a.State != model.AnomalyOpen {
		return cohortKey{}, false
	}
	return cohortKeyOf(a, category)
}

// cohortKeyOf is the move a series finding would belong to, whatever its
// state; ok false for findings that are not series changes (rules, files).
func cohortKeyOf(a model.Anomaly, category func(string) string) (cohortKey, bool) {
	if a.File != "" || a.SKU == "" || math.IsNaN(a.Expected) || a.Observed == a.Expected {
		return cohortKey{}, false
	}
	// By week, the Monday: a season's turn or a promotion reaches each
	// item's series on its own day (the first day of a step reads as a
	// spike and the ensemble's episode covers the rest).
	k := cohortKey{cat: category(a.SKU), up: a.Observed > a.Expected, when: a.Date.AddDays(-((int(a.Date.Weekday()) + 6) % 7))}
	switch a.Detector {
	case DetLevel, CohortShift:
		k.det = CohortShift
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
// the same way at the same time (CohortMin or more items, level shifts or
// spikes in the same week, each within a factor of three of the
// category's median change) into one category-wide finding: the
// member with the highest score carries it (detector CohortShift or
// CohortSpike, the chart of a real series, a detail naming the others),
// and the others come back dismissed by CohortBy at at, with a note that
// says where the move is. A seasonal turn or an unlisted promotion of a
// whole category is then one line in the queue instead of forty, and a
// category-wide fall (a feed that stopped) is still one open finding.
//
// stored are findings kept by earlier checks, around the days of fs: the
// category-wide ones, which members found later join rather than start
// another, and open series findings, which count towards a new move (a
// season's turn is found over several days of imports) and come back in
// dismiss, as members to dismiss, when one forms. A new move's carrier is
// always one of fs. category maps a SKU to its category ("" leaves it
// out). fs keep their order in out; nothing is dropped.
func Cohorts(fs []model.Anomaly, stored []model.Anomaly, category func(string) string, at time.Time) (out, dismiss []model.Anomaly) {
	// all is fs then the stored open series findings; i >= len(fs) is
	// stored.
	all := slices.Clone(fs)
	type findingID struct {
		sku, loc, ch, det string
		day               model.Date
	}
	idOf := func(a model.Anomaly) findingID { return findingID{a.SKU, a.Location, a.Channel, a.Detector, a.Date} }
	fresh := make(map[findingID]int, len(fs))
	for i, a := range fs {
		fresh[idOf(a)] = i
	}
	// twin[i] is the stored copy of fs[i] when a scan finds it again: it
	// is the one to dismiss (the new copy is not stored twice).
	twin := map[int]model.Anomaly{}
	carriers := map[cohortKey]model.Anomaly{}
	for _, a := range stored {
		k, ok := cohortKeyOf(a, category)
		i, again := fresh[idOf(a)]
		switch {
		case !ok:
		case a.Detector == CohortShift || a.Detector == CohortSpike:
			carriers[k] = a
		case a.State != model.AnomalyOpen, a.By != "":
			// Acted on, or reopened by someone: theirs, not the pass's.
		case again:
			twin[i] = a
		default:
			all = append(all, a)
		}
	}
	groups := map[cohortKey][]int{}
	for i, a := range all {
		if k, ok := cohortOf(a, category); ok && a.Detector != CohortShift && a.Detector != CohortSpike {
			groups[k] = append(groups[k], i)
		}
	}
	keys := make([]cohortKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b cohortKey) int {
		return cmp.Or(cmp.Compare(a.when, b.when), cmp.Compare(a.cat, b.cat), cmp.Compare(a.det, b.det), cmp.Compare(b2i(a.up), b2i(b.up)))
	})
	out = slices.Clone(fs)
	dismissOne := func(i int, k cohortKey, carrier model.Anomaly) {
		where := fmt.Sprintf("%s @ %s", carrier.SKU, carrier.Location)
		if carrier.Channel != "" {
			where += "/" + carrier.Channel
		}
		note := fmt.Sprintf("part of a category-wide move: %s %s %s; see %s on %s, %s", k.cat, verb(k), whenText(k), k.det, where, carrier.Date)
		if t, ok := twin[i]; ok {
			t.Note = note
			dismiss = append(dismiss, t)
		}
		m := all[i]
		m.Note = note
		if i >= len(fs) {
			dismiss = append(dismiss, m) // stored: the caller acts on it
			return
		}
		m.State, m.By, m.At = model.AnomalyDismissed, CohortBy, at
		out[i] = m
	}
	// join dismisses the new findings of a group that moved as a carrier
	// already made did (within cohortSpread of its own change).
	join := func(k cohortKey, idx []int, carrier model.Anomaly) {
		for _, i := range idx {
			if i < len(fs) && math.Abs(change(all[i])-change(carrier)) <= cohortSpread {
				dismissOne(i, k, carrier)
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
			join(k, groups[k], c)
			continue
		}
		idx := members(all, groups[k])
		best := -1
		for _, i := range idx {
			if i < len(fs) && (best < 0 || all[i].Score > all[best].Score) {
				best = i
			}
		}
		if best < 0 || distinctSKUs(all, idx) < CohortMin {
			small = append(small, k)
			continue
		}
		carrier := all[best]
		carrier.Detector = k.det
		carrier.Detail = cohortDetail(k, all, idx, best)
		out[best] = carrier
		carriers[k] = carrier
		if t, ok := twin[best]; ok { // its own finding, kept before: the move replaces it
			t.Note = "part of a category-wide move: see " + k.det + " on this series, " + carrier.Date.String()
			dismiss = append(dismiss, t)
		}
		for _, i := range idx {
			if i != best {
				dismissOne(i, k, carrier)
			}
		}
	}
	for _, k := range small {
		for _, d := range []int{-7, 7} {
			n := k
			n.when = k.when.AddDays(d)
			if c, ok := carriers[n]; ok {
				join(n, groups[k], c)
				break
			}
		}
	}
	return out, dismiss
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

func whenText(k cohortKey) string { return "in the week of " + k.when.String() }

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
