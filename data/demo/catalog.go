package demo

import (
	"fmt"
	"math"
	"sort"

	"stockroom/model"
)

// site is a preset location: the distribution centre first, then stores
// around Greater Manchester. Coordinates are snapped to the generated road
// network, which is laid out around the same centre.
type site struct {
	code, name string
	kind       model.LocationKind
	lat, lon   float64
	weight     float64 // store footfall relative to the flagship
}

var sites = []site{
	{"DC1", "Trafford Park DC", model.Depot, 53.4690, -2.3200, 0},
	{"ST01", "Manchester Arndale", model.Store, 53.4833, -2.2393, 1.0},
	{"ST02", "Stockport Merseyway", model.Store, 53.4098, -2.1575, 0.7},
	{"ST03", "Salford Quays", model.Store, 53.4715, -2.2960, 0.6},
	{"ST04", "Oldham Spindles", model.Store, 53.5415, -2.1150, 0.55},
	{"ST05", "Altrincham", model.Store, 53.3872, -2.3497, 0.6},
	{"ST06", "Sale Square", model.Store, 53.4246, -2.3220, 0.5},
}

// depotShare is the part of an item's demand that the distribution centre
// ships as web orders when there are stores; the stores take the rest.
const depotShare = 0.42

// location is a location of the run with the channels it sells on.
type location struct {
	site
	idx    int
	shares [maxChannels]float64 // channel shares of the item demand this location takes
}

func makeLocations(seed int64, n, nch int, net *network) []location {
	r := newRNG(seed, streamLocations)
	locs := make([]location, n)
	wsum := 0.0
	for i := range n {
		var s site
		if i < len(sites) {
			s = sites[i]
		} else {
			s = site{code: fmt.Sprintf("ST%02d", i), name: fmt.Sprintf("Store %d", i), kind: model.Store,
				lat:    r.between(net.minLat+0.1*(net.maxLat-net.minLat), net.maxLat-0.1*(net.maxLat-net.minLat)),
				lon:    r.between(net.minLon+0.1*(net.maxLon-net.minLon), net.maxLon-0.1*(net.maxLon-net.minLon)),
				weight: r.between(0.35, 0.7)}
		}
		node := net.nearest(s.lat, s.lon)
		s.lat, s.lon = net.lat[node], net.lon[node]
		locs[i] = location{site: s, idx: i}
		wsum += s.weight
	}
	for i := range locs {
		l := &locs[i]
		var share float64
		switch {
		case n == 1:
			share = 1
		case i == 0:
			share = depotShare
		default:
			share = (1 - depotShare) * l.weight / wsum
		}
		if i == 0 {
			// The distribution centre ships online orders; a marketplace,
			// when there is one, takes a third of them.
			if nch >= 3 {
				l.shares[chWeb] = share * 0.7
				l.shares[chMarket] = share * 0.3
			} else {
				l.shares[chWeb] = share
			}
			continue
		}
		if nch >= 2 {
			l.shares[chStore] = share * 0.88 // tills
			l.shares[chWeb] = share * 0.12   // click & collect
		} else {
			l.shares[chWeb] = share // ship from store
		}
	}
	return locs
}

// supplier is a vendor with its lead time and the weekday each location
// orders from it.
type supplier struct {
	model.Supplier
	idx      int
	cat      int
	orderDay []int // per location: weekday (0 = Sunday) of the weekly review
}

var supplierWords = [2][]string{
	{"Northern", "Pennine", "Albion", "Meridian", "Castle", "Harbour", "Summit", "Oak", "Riverside", "Crown", "Atlas", "Beacon", "Lakeland", "Union", "Highfield", "Orient", "Pacific", "Kestrel"},
	{"Trading", "Supplies", "Wholesale", "Imports", "Brands", "Distribution", "Goods", "Industries", "Partners", "Merchants"},
}

func makeSuppliers(seed int64, items, nloc int) []supplier {
	n := max(len(categories), (items+149)/150)
	r := newRNG(seed, streamSuppliers)
	cum := categoryCum()
	out := make([]supplier, n)
	for i := range out {
		cat := i
		if i >= len(categories) {
			cat = r.pick(cum)
		}
		s := supplier{idx: i, cat: cat}
		s.Code = fmt.Sprintf("SUP%04d", i+1)
		s.Name = supplierWords[0][r.intn(len(supplierWords[0]))] + " " + categories[cat].name + " " +
			supplierWords[1][r.intn(len(supplierWords[1]))] + " Ltd"
		if r.chance(0.12) {
			// Shipped from overseas: long and uncertain.
			s.LeadTimeDays = math.Round(r.between(28, 49)*2) / 2
			s.LeadTimeSDays = math.Round(r.between(4, 9)*2) / 2
		} else {
			s.LeadTimeDays = math.Round(r.between(2, 12)*2) / 2
			s.LeadTimeSDays = math.Round(s.LeadTimeDays*r.between(0.1, 0.35)*2) / 2
		}
		if !r.chance(0.4) {
			s.MOQ = []int64{6, 12, 24, 48}[r.intn(4)]
		}
		s.orderDay = make([]int, nloc)
		for l := range nloc {
			s.orderDay[l] = 1 + r.intn(5) // Monday..Friday
		}
		out[i] = s
	}
	return out
}

func categoryCum() []float64 {
	cum := make([]float64, len(categories))
	acc := 0.0
	for i, c := range categories {
		acc += c.weight
		cum[i] = acc
	}
	return cum
}

// The catalogue's popularity curve: the item of rank r sells
// rateScale·(r+rateOffset)^-rateAlpha units a day at all locations together,
// times a log-normal spread. A bigger catalogue adds mostly slow items, as a
// real one does, so rows grow far slower than items.
const (
	rateScale  = 260.0
	rateOffset = 3.0
	rateAlpha  = 0.62
	rateSigma  = 1.4
)

// item is one sku with its demand parameters and its simulation state.
type item struct {
	idx        int
	sku        string
	name       string
	cat        int
	sup        int
	rank       int     // 1 = best seller
	quantile   float64 // rank / items
	rate       float64 // mean units a day over all locations, before seasonality
	lump       float64
	growth     float64 // log growth a year
	elasticity float64 // uplift = (1-discount)^-elasticity
	noise      float64 // day-to-day log sd of the item's demand
	priceC     int64   // list price in cents
	costC      int64
	pack, moq  int64
	launch     model.Date // first day on sale; before the history for most items
	delist     model.Date // last day it is reordered; NoDate when it stays
	promos     []promo
	locs       []stockLoc
	plans      []*plan
	rng        rng
	trend      float64 // current trend multiplier
	trendStep  float64
	promoAt    int // cursor into promos
	// What the history turned out to be.
	liveDays, saleDays int32
}

// stockLoc is an item at one location: the shelf (physical) and the
// ledger (book) disagree when stock is stolen or damaged unrecorded, until
// a count finds it.
type stockLoc struct {
	ranged    bool
	gone      bool // delisted and sold out: no longer offered here
	phys      int64
	book      int64
	onOrder   int64
	ewma      float64 // smoothed daily sales, the replenisher's view
	z         float64 // safety factor
	share     [maxChannels]float64
	level     [maxChannels]float64 // level-shift multiplier; 1 normally
	pending   []arrival
	nextDue   model.Date // earliest day in pending
	minBook   int64
	minDay    model.Date
	firstNeg  model.Date
	countedAt model.Date
}

// arrival is stock that will come in: a purchase receipt, a transfer or a
// customer return.
type arrival struct {
	day     model.Date
	qty     int64
	ordered int64
	kind    uint8
	refDay  model.Date // order day (PO), ship day (transfer) or sale day (return)
	refA    int        // supplier (PO), origin location (transfer), channel (return)
}

const (
	arrReceipt uint8 = iota
	arrTransfer
	arrReturn
)

// promo is one promotion of an item. loc and ch are -1 for all.
type promo struct {
	start, end model.Date
	loc, ch    int
	pct        int64
}

func (p *promo) covers(d model.Date, loc, ch int) bool {
	return d >= p.start && d <= p.end && (p.loc < 0 || p.loc == loc) && (p.ch < 0 || p.ch == ch)
}

// makeItems builds the catalogue. Items own independent random streams, so
// the catalogue does not depend on the number of workers.
func makeItems(o *Options, start model.Date, locs []location, sups []supplier) []item {
	n := o.Items
	// Popularity ranks: a seeded shuffle, so best sellers are spread over the
	// sku range and categories.
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	pr := newRNG(o.Seed, streamCatalog, math.MaxUint64)
	for i := n - 1; i > 0; i-- {
		j := pr.intn(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	byCat := make([][]int, len(categories))
	for _, s := range sups {
		byCat[s.cat] = append(byCat[s.cat], s.idx)
	}
	cum := categoryCum()
	items := make([]item, n)
	end := o.End
	for i := range items {
		r := newRNG(o.Seed, streamCatalog, uint64(i))
		it := &items[i]
		it.idx = i
		it.rank = int(perm[i]) + 1
		it.quantile = float64(it.rank) / float64(n)
		it.cat = r.pick(cum)
		cat := &categories[it.cat]
		it.sku = fmt.Sprintf("%s-%06d", cat.code, i+1)
		it.name = brands[r.intn(len(brands))] + " " + cat.adjectives[r.intn(len(cat.adjectives))] + " " +
			cat.nouns[r.intn(len(cat.nouns))] + " " + cat.variants[r.intn(len(cat.variants))]
		it.rate = rateScale * math.Pow(float64(it.rank)+rateOffset, -rateAlpha) *
			r.lognorm(-rateSigma*rateSigma/2, rateSigma) * cat.velocity
		it.lump = max(1, cat.lump*r.lognorm(0, 0.2))
		it.growth = r.norm()*0.18 + 0.03
		if r.chance(0.08) {
			it.growth = r.between(-0.7, 0.8) // fading fashions and rising stars
		}
		it.elasticity = r.between(1.2, 3.0)
		it.noise = r.between(0.1, 0.35)
		price := cat.priceMedian * r.lognorm(0, cat.priceSigma)
		it.priceC = shelfPrice(price)
		it.costC = int64(math.Round(float64(it.priceC) * r.between(0.35, 0.6)))
		pk := cat.packs
		switch {
		case it.priceC > 10000: // dear items come singly
			it.pack = 1
		case it.priceC < 500:
			it.pack = pk[len(pk)-1-r.intn(min(2, len(pk)))]
		default:
			it.pack = pk[r.intn(len(pk))]
		}
		if r.chance(0.5) {
			it.moq = it.pack * []int64{1, 2, 2, 4}[r.intn(4)]
		}
		cs := byCat[it.cat]
		// A few suppliers carry most of a department.
		w := make([]float64, len(cs))
		acc := 0.0
		for j := range cs {
			acc += 1 / float64(j+1)
			w[j] = acc
		}
		it.sup = cs[r.pick(w)]
		it.launch = start
		it.delist = model.NoDate
		days := int(end-start) + 1
		if days > 90 && r.chance(0.09) {
			it.launch = start.AddDays(30 + r.intn(days-60))
		}
		if r.chance(0.04) {
			from := it.launch.AddDays(120)
			if span := int(end.AddDays(-10) - from); span > 0 {
				it.delist = from.AddDays(r.intn(span))
			}
		}
		g := it.growth / 365.25
		it.trendStep = math.Exp(g)
		it.trend = math.Exp(-g * float64(days) / 2)
		it.locs = make([]stockLoc, len(locs))
		for l := range locs {
			sl := &it.locs[l]
			sl.ranged = l == 0 || it.quantile < 0.35 || r.chance(0.45)
			sl.minDay, sl.firstNeg, sl.countedAt = model.NoDate, model.NoDate, model.NoDate
			// Service targets by class: A items 85%, B 80%, C 70% cycle service.
			sl.z = 0.52
			switch {
			case it.quantile < 0.2:
				sl.z = 1.04
			case it.quantile < 0.5:
				sl.z = 0.84
			}
			sl.z += r.between(-0.2, 0.2)
			if !sl.ranged {
				continue
			}
			tilt := r.lognorm(0, 0.35) // some stores sell more of this item
			for ch := range maxChannels {
				sl.share[ch] = locs[l].shares[ch] * tilt
				sl.level[ch] = 1
			}
		}
		it.rng = newRNG(o.Seed, streamSim, uint64(i))
	}
	return items
}

var brands = []string{"Acorn", "Bramble", "Cobalt", "Dovetail", "Ember", "Fennel", "Granite", "Harbour", "Indigo", "Juniper", "Kestrel", "Larch", "Maple", "Nimbus", "Orchard", "Pebble", "Quill", "Rowan", "Sable", "Thistle", "Umber", "Willow"}

// shelfPrice rounds a price in pounds to a shelf price in cents ending in 9
// (0.99 above £10, x.x9 below).
func shelfPrice(p float64) int64 {
	if p >= 10 {
		return int64(math.Ceil(p))*100 - 1
	}
	c := int64(math.Ceil(p*10))*10 - 1
	return max(c, 49)
}

// promotion windows the shopping events bring: days from the event's first
// day, the share of items of each category on promotion, and the channels.
type promoRule struct {
	event   string
	length  int
	webOnly bool
	prob    map[string]float64
	all     float64
	pcts    []int64
}

var promoRules = []promoRule{
	{event: "Black Friday", length: 4, all: 0.22, prob: map[string]float64{"ELC": 0.5, "TOY": 0.4, "APP": 0.35, "HOM": 0.3}, pcts: []int64{15, 20, 25, 30, 40}},
	{event: "Prime Day", length: 2, webOnly: true, all: 0.06, prob: map[string]float64{"ELC": 0.3, "HOM": 0.15}, pcts: []int64{15, 20, 30}},
	{event: "Singles Day 11.11", length: 1, webOnly: true, all: 0.05, prob: map[string]float64{"ELC": 0.15, "APP": 0.15, "BTY": 0.15}, pcts: []int64{11, 20}},
	{event: "618 Shopping Festival", length: 1, webOnly: true, all: 0.04, prob: map[string]float64{"ELC": 0.12}, pcts: []int64{10, 18}},
	{event: "Summer Sale", length: 14, all: 0.03, prob: map[string]float64{"APP": 0.35, "GDN": 0.2}, pcts: []int64{20, 30, 40, 50}},
	{event: "Boxing Day", length: 7, all: 0.08, prob: map[string]float64{"APP": 0.25, "TOY": 0.2, "ELC": 0.15, "SEA": 0.5}, pcts: []int64{20, 30, 50}},
}

// trigger is the first day of a shopping event that brings promotions.
type trigger struct {
	date model.Date
	rule *promoRule
}

// promoTriggers lists the first day of every event a promotion rule follows.
func promoTriggers(evs []calEvent) []trigger {
	var out []trigger
	for i, e := range evs {
		if i > 0 && evs[i-1].name == e.name && evs[i-1].date == e.date.AddDays(-1) {
			continue // the second day of a two-day event
		}
		for pi := range promoRules {
			if promoRules[pi].event == e.name {
				out = append(out, trigger{e.date, &promoRules[pi]})
			}
		}
	}
	return out
}

// makePromotions draws an item's promotions over [first, last]: the
// shopping events' price cuts, its own promotions (busier items get more),
// and a clearance when it is delisted. No two overlap, so a sale line's
// price names one promotion.
func makePromotions(seed int64, it *item, first, last model.Date, trig []trigger, locs []location) {
	r := newRNG(seed, streamPromo, uint64(it.idx))
	cat := categories[it.cat].code
	var ps []promo
	live := func(d model.Date) bool { return d >= it.launch && (it.delist == model.NoDate || d <= it.delist) }
	free := func(p promo) bool {
		for _, q := range ps {
			if p.start <= q.end && q.start <= p.end {
				return false
			}
		}
		return true
	}
	hasWeb := false
	for l := range it.locs {
		if it.locs[l].share[chWeb] > 0 {
			hasWeb = true
		}
	}
	if it.delist != model.NoDate {
		ps = append(ps, promo{start: it.delist.AddDays(1), end: it.delist.AddDays(28), loc: -1, ch: -1, pct: 40})
	}
	for _, t := range trig {
		pr := t.rule
		if pr.webOnly && !hasWeb {
			continue
		}
		p, ok := pr.prob[cat]
		if !ok {
			p = pr.all
		}
		// Slow items are rarely worth promoting.
		if it.quantile > 0.6 {
			p *= 0.3
		}
		if !r.chance(p) {
			continue
		}
		np := promo{start: t.date, end: t.date.AddDays(pr.length - 1), loc: -1, ch: -1, pct: pr.pcts[r.intn(len(pr.pcts))]}
		if pr.webOnly {
			np.ch = chWeb
		}
		if np.end < first || np.start > last || !live(np.start) || !live(np.end) || !free(np) {
			continue
		}
		ps = append(ps, np)
	}
	// The item's own promotions: a couple a year for best sellers.
	perYear := 0.3
	switch {
	case it.quantile < 0.1:
		perYear = 3
	case it.quantile < 0.4:
		perYear = 1.5
	}
	years := float64(last-first) / 365.25
	np := r.poisson(perYear * years)
	for range np {
		length := []int{7, 7, 14, 3}[r.intn(4)]
		s := first.AddDays(r.intn(int(last-first) + 1))
		p := promo{start: s, end: s.AddDays(length - 1), loc: -1, ch: -1, pct: []int64{10, 15, 20, 25, 30, 35}[r.intn(6)]}
		if r.chance(0.3) && len(locs) > 1 {
			p.loc = r.intn(len(locs))
			if !it.locs[p.loc].ranged {
				continue
			}
		}
		if r.chance(0.25) && hasWeb && (p.loc < 0 || it.locs[p.loc].share[chWeb] > 0) {
			p.ch = chWeb
		}
		if p.end > last || !live(p.start) || !live(p.end) || !free(p) {
			continue
		}
		ps = append(ps, p)
	}
	sort.Slice(ps, func(a, b int) bool { return ps[a].start < ps[b].start })
	it.promos = ps
}

// uplift is the demand multiplier of a price cut.
func (it *item) uplift(pct int64) float64 {
	return math.Pow(1-float64(pct)/100, -it.elasticity)
}

// promoPrice is the price in cents after a discount.
func promoPrice(listC, pct int64) int64 { return (listC*(100-pct) + 50) / 100 }
