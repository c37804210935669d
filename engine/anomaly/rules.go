package anomaly

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"stockroom/model"
)

// Rule names: the Detector of the anomalies the inventory rules find.
const (
	RuleNegativeStock  = "negative_stock"
	RuleShrinkage      = "shrinkage"
	RuleVanished       = "stock_vanished"
	RuleSaleNoStock    = "sale_without_stock"
	RuleDuplicateFile  = "duplicate_file"
	RuleOverlapExport  = "overlap_export"
	RulePrice          = "price_out_of_bounds"
	RuleCost           = "cost_out_of_bounds"
	RuleTransferLost   = "transfer_unreceived"
	ruleScoreCertain   = 1.0
	ruleScoreAtTheEdge = 0.5
)

// StockDay is one day of one item at one location as the ledger has it.
// The identity holds: Close = Open + In - Sold + Adjusted + Counted.
type StockDay struct {
	Date     model.Date
	Open     int64 // on hand at the start of the day (the day before's Close)
	In       int64 // receipts, transfers in and returns
	Sold     int64 // units sold (positive)
	Adjusted int64 // adjustments, write-offs and transfers out (signed)
	Counted  int64 // the correction a stock count booked (signed; Shrinkage judges it)
	Close    int64 // on hand at the end of the day
}

// StockRules holds the tolerances of the rules on stock days.
type StockRules struct {
	// VanishShare and VanishUnits: a day's stock loss not explained by
	// sales flags when it is at least this share of what was on hand and
	// at least this many units (defaults 0.5 and 5).
	VanishShare float64
	VanishUnits int64
}

func (r StockRules) withDefaults() StockRules {
	if r.VanishShare <= 0 {
		r.VanishShare = 0.5
	}
	if r.VanishUnits <= 0 {
		r.VanishUnits = 5
	}
	return r
}

func newFinding(rule, sku, loc string, d model.Date, score, observed, expected float64, detail string) model.Anomaly {
	return model.Anomaly{
		SKU: sku, Location: loc, Date: d, Detector: rule,
		Score: math.Max(0, math.Min(1, score)), Observed: observed, Expected: expected,
		Detail: detail, State: model.AnomalyOpen, Replacement: math.NaN(), Refresh: slices.Contains(LedgerRules, rule),
	}
}

// LedgerRules are the rules judged on the stock an item×location's ledger
// gives (the transfer rule on its item's, across locations): their
// numbers are the ledger's, a late line can change them, and a check that
// finds them again refreshes them.
var LedgerRules = []string{RuleNegativeStock, RuleSaleNoStock, RuleVanished, RuleShrinkage, RuleTransferLost}

// CheckStock runs the rules on the days of one item at one location
// (sorted by date, one entry per day with any movement; days without
// movement may be left out):
//
//   - negative_stock: the first day of each run of days that close below
//     zero (one finding per run, not per day);
//   - sale_without_stock: a sale on a day that had nothing to sell, with
//     no stock at the open and none coming in (not again inside a run
//     already flagged negative);
//   - stock_vanished: on-hand falls by at least VanishShare of the
//     opening stock and VanishUnits units in a day, with no sale to
//     explain the fall (a write-off, a count finding theft, a feed error).
func (r StockRules) CheckStock(sku, loc string, days []StockDay) []model.Anomaly {
	r = r.withDefaults()
	var out []model.Anomaly
	negative := false
	for _, d := range days {
		wasNegative := negative
		if d.Close < 0 && !negative {
			out = append(out, newFinding(RuleNegativeStock, sku, loc, d.Date, ruleScoreCertain,
				float64(d.Close), 0, fmt.Sprintf("closes at %d on hand", d.Close)))
		}
		negative = d.Close < 0
		// Stock found or booked in during the day (a positive adjustment,
		// the opening balance) was there to sell too. A sale inside a run
		// already flagged negative is the same episode.
		avail := d.Open + d.In + max(d.Adjusted, 0) + max(d.Counted, 0)
		if d.Sold > 0 && avail <= 0 && !wasNegative {
			out = append(out, newFinding(RuleSaleNoStock, sku, loc, d.Date, ruleScoreCertain,
				float64(d.Sold), 0, fmt.Sprintf("%d sold with %d on hand and nothing received", d.Sold, d.Open)))
		}
		// Units that left without a sale: what was there and came in, less
		// what sold and what is left, not counting what a stock count
		// corrected (that is Shrinkage's to judge).
		gone := d.Open + d.In - d.Sold - (d.Close - d.Counted)
		base := d.Open + d.In
		if gone >= r.VanishUnits && base > 0 && float64(gone) >= r.VanishShare*float64(base) {
			share := float64(gone) / float64(base)
			// 0.5 at the VanishShare edge, 1 when everything went.
			score := ruleScoreAtTheEdge + ruleScoreAtTheEdge*(share-r.VanishShare)/math.Max(1-r.VanishShare, 1e-9)
			out = append(out, newFinding(RuleVanished, sku, loc, d.Date, score,
				float64(d.Close-d.Counted), float64(base-d.Sold),
				fmt.Sprintf("%d of %d units gone without a sale", gone, base)))
		}
	}
	return out
}

// CountCheck is a stock count beside the ledger's balance for the same
// item, location and day.
type CountCheck struct {
	SKU, Location string
	Date          model.Date
	Counted       int64
	Ledger        int64
	// Since is the day of the previous count of the item at the location
	// (the first day of its ledger for the first count), and Sold the
	// units sold after Since up to and including Date: the throughput
	// ordinary shrinkage grows with.
	Since model.Date
	Sold  int64
}

// ShrinkRules judge stock counts against the ledger. Every shop loses a
// little stock to theft, damage and miscounts, roughly in proportion to
// what passes through it, so a count below the ledger is ordinary; it is
// an anomaly when the loss is far beyond what the item×location usually
// loses for the units it sold since its previous count, or when most of
// the stock is gone.
type ShrinkRules struct {
	// AbsTol and RelTol: a gap within AbsTol units or RelTol of the
	// ledger balance, whichever is larger, never alerts (defaults 2
	// units, 5%).
	AbsTol, RelTol float64
	// Rate is the ordinary loss per unit sold assumed before the
	// item×location has counts of its own (default 0.02: retail shrink is
	// commonly 1–2% of sales), and Prior how many units sold it weighs as
	// beside the counts' own losses (default 500).
	Rate, Prior float64
	// ZAlarm is how many spreads beyond the expected loss score 0.5 and
	// alert (default 3). The spread is Poisson's, sqrt(expected + 1):
	// losses are a count of small events.
	ZAlarm float64
	// MostGone: a count that finds at least this share of the ledger
	// balance gone alerts at ZMost spreads already (defaults 0.5 and 2).
	MostGone, ZMost float64
}

func (r ShrinkRules) withDefaults() ShrinkRules {
	if r.AbsTol <= 0 {
		r.AbsTol = 2
	}
	if r.RelTol <= 0 {
		r.RelTol = 0.05
	}
	if r.Rate <= 0 {
		r.Rate = 0.02
	}
	if r.Prior <= 0 {
		r.Prior = 500
	}
	if r.ZAlarm <= 0 {
		r.ZAlarm = 3
	}
	if r.MostGone <= 0 {
		r.MostGone = 0.5
	}
	if r.ZMost <= 0 {
		r.ZMost = 2
	}
	return r
}

// Check judges the counts of one item at one location, in date order
// (each with the units sold since the one before). The expected loss of a
// count is the baseline rate times its units sold; the baseline is the
// losses of the earlier counts over their units sold, with Rate counted
// as Prior units sold of history, so a new item×location starts from the
// usual rate and its own counts take over as they accumulate. A count
// above the ledger (stock found that was never booked:
// sales recorded twice, a feed that repeated) is judged against zero.
// Findings score 0.5 at ZAlarm spreads and grow with the distance; a
// count that finds everything gone scores 1. Observed is the count,
// Expected the ledger.
func (r ShrinkRules) Check(counts []CountCheck) []model.Anomaly {
	r = r.withDefaults()
	var out []model.Anomaly
	var lost, sold float64 // the baseline: earlier counts' losses and units sold
	for _, c := range counts {
		gap := float64(c.Counted - c.Ledger)
		n := float64(max(c.Sold, 0))
		rate := (lost + r.Rate*r.Prior) / (sold + r.Prior)
		expect := rate * n
		spread := math.Sqrt(expect + 1)
		tol := math.Max(r.AbsTol, r.RelTol*math.Abs(float64(c.Ledger)))
		var score float64
		if math.Abs(gap) > tol {
			if gap > 0 {
				score = severityScore(gap / spread / r.ZAlarm)
			} else {
				loss := -gap
				z := (loss - expect) / spread
				if z >= r.ZAlarm {
					score = severityScore(z / r.ZAlarm)
				}
				if share := loss / float64(c.Ledger); c.Ledger > 0 && share >= r.MostGone && z >= r.ZMost {
					// 0.5 at the MostGone edge, 1 when nothing is left.
					score = math.Max(score, ruleScoreAtTheEdge+ruleScoreAtTheEdge*
						(math.Min(share, 1)-r.MostGone)/math.Max(1-r.MostGone, 1e-9))
				}
			}
		}
		// The baseline learns every count's loss, but no more of it than
		// ZAlarm spreads past what was expected (winsorised): one theft
		// barely moves it, while a shop that steadily loses more than the
		// prior lifts it count by count until it stops alerting.
		lost += math.Min(math.Max(-gap, 0), expect+r.ZAlarm*spread)
		sold += n
		if score < ruleScoreAtTheEdge {
			continue
		}
		what := "missing"
		if gap > 0 {
			what = "more than booked"
		}
		since := ""
		if c.Since != model.NoDate {
			since = " since " + c.Since.String()
		}
		out = append(out, newFinding(RuleShrinkage, c.SKU, c.Location, c.Date, score, float64(c.Counted), float64(c.Ledger),
			fmt.Sprintf("count %d vs ledger %d: %g units %s; about %.2g lost is usual for the %d sold%s",
				c.Counted, c.Ledger, math.Abs(gap), what, expect, max(c.Sold, 0), since)))
	}
	return out
}

// FileDigest is what the store knows about an imported file's content.
type FileDigest struct {
	Name       string
	Imported   model.Date
	Hash       string   // hash of the whole content
	LineHashes []uint64 // hashes of the data lines (optional: for overlapping exports)
}

// DuplicateFiles flags content imported again under another name: a file
// whose Hash equals an earlier file's (duplicate_file), and a file most of
// whose lines (at least overlap of them, default 0.9) are lines of one
// earlier file (overlap_export). Files are taken in the order given
// (import order); the later file of each pair is flagged. A store that
// skips a re-dropped identical file (same name, same hash) never lists it
// twice, so two entries with the same hash are two names.
func DuplicateFiles(files []FileDigest, overlap float64) []model.Anomaly {
	if overlap <= 0 || overlap > 1 {
		overlap = 0.9
	}
	var out []model.Anomaly
	byHash := map[string]string{}
	lineOwner := map[uint64][]int{} // line hash → earlier files holding it
	for i, f := range files {
		if prev, ok := byHash[f.Hash]; ok && f.Hash != "" {
			a := newFinding(RuleDuplicateFile, "", "", f.Imported, ruleScoreCertain, 1, 0,
				fmt.Sprintf("same content as %s", prev))
			a.File = f.Name
			out = append(out, a)
		} else {
			if f.Hash != "" {
				byHash[f.Hash] = f.Name
			}
			if best, shared := mostShared(f.LineHashes, lineOwner); len(f.LineHashes) > 0 &&
				float64(shared) >= overlap*float64(len(f.LineHashes)) {
				a := newFinding(RuleOverlapExport, "", "", f.Imported, ruleScoreCertain, float64(shared),
					0, fmt.Sprintf("%d of %d lines already in %s", shared, len(f.LineHashes), files[best].Name))
				a.File = f.Name
				out = append(out, a)
			}
		}
		seen := map[uint64]bool{}
		for _, h := range f.LineHashes {
			if !seen[h] {
				seen[h] = true
				lineOwner[h] = append(lineOwner[h], i)
			}
		}
	}
	return out
}

// mostShared returns the earlier file sharing the most distinct lines with
// lines, and how many.
func mostShared(lines []uint64, owner map[uint64][]int) (best, n int) {
	count := map[int]int{}
	seen := map[uint64]bool{}
	for _, h := range lines {
		if seen[h] {
			continue
		}
		seen[h] = true
		for _, f := range owner[h] {
			count[f]++
		}
	}
	best = -1
	keys := make([]int, 0, len(count))
	for f := range count {
		keys = append(keys, f)
	}
	sort.Ints(keys)
	for _, f := range keys {
		if count[f] > n {
			best, n = f, count[f]
		}
	}
	return best, n
}

// PriceCheck is a price actually recorded (a sale line's unit price)
// beside the item's catalogue price.
type PriceCheck struct {
	SKU, Location, Channel string
	Date                   model.Date
	Price                  float64 // recorded unit price
	ListPrice              float64 // the item's usual price
}

// PriceBounds are the plausible ratios of a recorded price to the list
// price, and of an item's price to its cost.
type PriceBounds struct {
	MinRatio, MaxRatio float64 // price / list price (defaults 0.2 and 3: a deep promotion, a premium channel)
	MinMarkup          float64 // price / unit cost below this flags (default 0.5: selling at half cost)
	MaxMarkup          float64 // price / unit cost above this flags (default 20)
}

func (b PriceBounds) withDefaults() PriceBounds {
	if b.MinRatio <= 0 {
		b.MinRatio = 0.2
	}
	if b.MaxRatio <= 0 {
		b.MaxRatio = 3
	}
	if b.MinMarkup <= 0 {
		b.MinMarkup = 0.5
	}
	if b.MaxMarkup <= 0 {
		b.MaxMarkup = 20
	}
	return b
}

// ratioScore is 0.5 at a bound and grows with how many times past it the
// ratio is.
func ratioScore(ratio, lo, hi float64) float64 {
	var over float64
	switch {
	case ratio > hi:
		over = ratio / hi
	case ratio < lo:
		over = lo / math.Max(ratio, 1e-12)
	default:
		return 0
	}
	return severityScore(over)
}

// Prices flags recorded prices outside [MinRatio, MaxRatio] of the list
// price (a price keyed 100× too high, a price of zero). Lines with no
// recorded price (NaN) or no list price are skipped.
//
// A series (sku, location, channel) whose lines are out of bounds on
// priceRunDays days or more, nearly all of its priced days here, at one
// ratio (within ×1.25 of their median), is one finding on its first such
// day: the sales are consistent with each other, so the list price (or
// its unit) is what to check, and a month of daily findings would say
// the same thing thirty times.
func (b PriceBounds) Prices(lines []PriceCheck) []model.Anomaly {
	b = b.withDefaults()
	type series struct{ sku, loc, ch string }
	var out []model.Anomaly
	runs := map[series][]int{} // out-of-bounds findings by series
	priced := map[series]int{}
	for _, l := range lines {
		if !finite(l.Price) || !(l.ListPrice > 0) {
			continue
		}
		k := series{l.SKU, l.Location, l.Channel}
		priced[k]++
		ratio := l.Price / l.ListPrice
		if s := ratioScore(ratio, b.MinRatio, b.MaxRatio); s > 0 {
			a := newFinding(RulePrice, l.SKU, l.Location, l.Date, math.Max(s, ruleScoreAtTheEdge), l.Price, l.ListPrice,
				fmt.Sprintf("price %.2f is %.3g× the list price %.2f", l.Price, ratio, l.ListPrice))
			a.Channel = l.Channel
			runs[k] = append(runs[k], len(out))
			out = append(out, a)
		}
	}
	drop := map[int]bool{}
	for k, idx := range runs {
		if len(idx) < priceRunDays || float64(len(idx)) < 0.9*float64(priced[k]) {
			continue
		}
		ratios := make([]float64, len(idx))
		for j, i := range idx {
			ratios[j] = out[i].Observed / out[i].Expected
		}
		med := median(slices.Clone(ratios))
		if slices.ContainsFunc(ratios, func(r float64) bool { return math.Abs(math.Log(r/med)) > math.Log(1.25) }) {
			continue // prices all over the place: each line on its own
		}
		first, last := idx[0], idx[0]
		for _, i := range idx {
			if out[i].Date < out[first].Date {
				first = i
			}
			if out[i].Date > out[last].Date {
				last = i
			}
			drop[i] = true
		}
		a := out[first]
		a.Observed = med * a.Expected
		a.Detail = fmt.Sprintf("%d days of %s's sales here, %s to %s, at about %.3g× the list price %.2f: is the list price (or its unit) right?",
			len(idx), k.sku, out[first].Date, out[last].Date, med, a.Expected)
		out[first] = a
		delete(drop, first)
	}
	if len(drop) == 0 {
		return out
	}
	kept := out[:0]
	for i, a := range out {
		if !drop[i] {
			kept = append(kept, a)
		}
	}
	return kept
}

// priceRunDays is how many days of consistent out-of-bounds prices make
// one finding about the list price instead of one a day.
const priceRunDays = 5

// Costs flags catalogue items whose price and cost do not fit together:
// a price below MinMarkup or above MaxMarkup times the unit cost, or a
// zero price or cost. Observed is the price, Expected the cost; the date
// is the day of the check.
func (b PriceBounds) Costs(items []model.Item, day model.Date) []model.Anomaly {
	b = b.withDefaults()
	var out []model.Anomaly
	for _, it := range items {
		var detail string
		score := ruleScoreCertain
		switch {
		case !(it.Price > 0):
			detail = fmt.Sprintf("price %.2f", it.Price)
		case !(it.UnitCost > 0):
			detail = fmt.Sprintf("unit cost %.2f", it.UnitCost)
		default:
			m := it.Price / it.UnitCost
			s := ratioScore(m, b.MinMarkup, b.MaxMarkup)
			if s == 0 {
				continue
			}
			score = math.Max(s, ruleScoreAtTheEdge)
			detail = fmt.Sprintf("price %.2f is %.3g× the unit cost %.2f", it.Price, m, it.UnitCost)
		}
		out = append(out, newFinding(RuleCost, it.SKU, "", day, score, it.Price, it.UnitCost, detail))
	}
	return out
}

// Transfer is one side of a transfer of an item between locations: Qty
// negative where it left, positive where it arrived; Ref pairs the sides.
type Transfer struct {
	Location string
	Date     model.Date
	Qty      int64
	Ref      string
}

// TransferGraceDays is how long units sent under a ref may be on the road
// before transfer_unreceived flags them.
const TransferGraceDays = 14

// CheckTransfers pairs an item's transfers by ref: units a location sent
// out under a ref that no other location received, grace days after the
// last of them left (as of asOf), are a transfer_unreceived finding at the
// sending location on the first day they left, observed what arrived,
// expected what left. Stock lost in transit shows nowhere else: the
// sender's ledger is right, the receiver never had it.
func CheckTransfers(sku string, ts []Transfer, asOf model.Date, grace int) []model.Anomaly {
	type side struct {
		ref, loc    string
		first, last model.Date
		sent        int64
	}
	var outs []*side
	byKey := map[[2]string]*side{}
	in := map[string]int64{}      // received under a ref
	inAt := map[[2]string]int64{} // … by the location that sent it (not a receipt of its own)
	for _, t := range ts {
		if t.Ref == "" || t.Qty == 0 {
			continue
		}
		if t.Qty > 0 {
			in[t.Ref] += t.Qty
			inAt[[2]string{t.Ref, t.Location}] += t.Qty
			continue
		}
		k := [2]string{t.Ref, t.Location}
		s := byKey[k]
		if s == nil {
			s = &side{ref: t.Ref, loc: t.Location, first: t.Date, last: t.Date}
			byKey[k] = s
			outs = append(outs, s)
		}
		s.sent -= t.Qty
		s.first, s.last = min(s.first, t.Date), max(s.last, t.Date)
	}
	var out []model.Anomaly
	for _, s := range outs {
		if int(asOf-s.last) <= grace {
			continue
		}
		got := in[s.ref] - inAt[[2]string{s.ref, s.loc}]
		if got >= s.sent {
			continue
		}
		missing := s.sent - got
		out = append(out, newFinding(RuleTransferLost, sku, s.loc, s.first,
			ruleScoreAtTheEdge+ruleScoreAtTheEdge*float64(missing)/float64(s.sent), float64(got), float64(s.sent),
			fmt.Sprintf("%s: %d sent from %s, %d received elsewhere", s.ref, s.sent, s.loc, got)))
	}
	return out
}
