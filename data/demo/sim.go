package demo

import (
	"math"
	"strconv"
	"strings"

	"stockroom/model"
)

// Anomaly kinds, as written to truth/anomalies.csv.
const (
	kindSpike      = "spike_typo"         // a sales line's qty keyed 10× or 100× too high
	kindPrice      = "price_typo"         // a sales line's price keyed 100× too high
	kindLevelShift = "level_shift"        // a series' demand steps up or down for good
	kindStuck      = "stuck"              // a feed repeats one qty for days
	kindNoStock    = "sale_without_stock" // a sale recorded with nothing on the shelf, taking the ledger below zero
	kindVanish     = "vanish"             // most of the stock written off, no sale
	kindTheft      = "theft"              // most of the stock stolen, unrecorded until a count
	kindDuplicate  = "duplicate_file"     // a sales file sent again under another name
	kindOverlap    = "overlap_export"     // one day's sales lines exported again
)

// anomalyKinds lists the per-item kinds in planning order.
var anomalyKinds = []string{kindSpike, kindPrice, kindLevelShift, kindStuck, kindNoStock, kindVanish, kindTheft}

// plan is an anomaly to inject into one item: at its location (and channel)
// on the first day at or after day when its condition holds.
type plan struct {
	kind   string
	loc    int
	ch     int
	day    model.Date
	until  model.Date // give up after this day
	factor float64
	n      int // stuck: days
	left   int
	val    int64
	done   bool
	fired  bool
}

// stats counts what a day (or a run) produced.
type stats struct {
	salesRows, moveRows, countRows, demandRows int64
	demand, sold, recorded, lost               int64
	shrink, returns, receipts, transfers       int64
	poLines, stockoutDays, anomRows            int64
}

func (s *stats) add(o *stats) {
	s.salesRows += o.salesRows
	s.moveRows += o.moveRows
	s.countRows += o.countRows
	s.demandRows += o.demandRows
	s.demand += o.demand
	s.sold += o.sold
	s.recorded += o.recorded
	s.lost += o.lost
	s.shrink += o.shrink
	s.returns += o.returns
	s.receipts += o.receipts
	s.transfers += o.transfers
	s.poLines += o.poLines
	s.stockoutDays += o.stockoutDays
	s.anomRows += o.anomRows
}

// dayBuf collects one worker's output lines for one day.
type dayBuf struct {
	sales, moves, counts, anoms, demand []byte
	st                                  stats
	fired                               map[string]int
}

func (b *dayBuf) reset() {
	b.sales, b.moves, b.counts, b.anoms, b.demand = b.sales[:0], b.moves[:0], b.counts[:0], b.anoms[:0], b.demand[:0]
	b.st = stats{}
	clear(b.fired)
}

// step simulates one item for day index k: stock arriving, demand, sales
// (never more than the shelf holds), shrinkage, injected anomalies, the
// weekly reorder review, transfers from the depot and cycle counts.
func (g *gen) step(it *item, k int, b *dayBuf) {
	d := g.start.AddDays(k)
	it.trend *= it.trendStep
	if d < it.launch {
		return
	}
	if k == 0 || d == it.launch {
		g.openStock(it, k, d, b)
	}
	for l := range it.locs {
		if sl := &it.locs[l]; len(sl.pending) > 0 && sl.nextDue <= d {
			g.arrive(it, l, d, b)
		}
	}
	base := it.rate * it.trend
	if it.launch > g.start && d < it.launch.AddDays(45) {
		base *= float64(d-it.launch+1) / 45 // a new item takes weeks to be found
	}
	if it.rate >= 0.5 {
		base *= math.Exp(it.noise*it.rng.norm() - it.noise*it.noise/2)
	}
	for it.promoAt < len(it.promos) && it.promos[it.promoAt].end < d {
		it.promoAt++
	}
	var act *promo
	if it.promoAt < len(it.promos) && it.promos[it.promoAt].start <= d {
		act = &it.promos[it.promoAt]
	}
	cat := &categories[it.cat]
	delisted := it.delist != model.NoDate && d > it.delist
	anySale := false
	for l := range it.locs {
		sl := &it.locs[l]
		if !sl.ranged {
			continue
		}
		for _, p := range it.plans {
			if p.loc == l && p.kind == kindLevelShift && !p.done && d >= p.day {
				sl.level[p.ch] *= p.factor
				p.done, p.fired = true, true
				g.truth(b, p.kind, it, l, p.ch, d, "demand x"+strconv.FormatFloat(p.factor, 'f', 2, 64)+" from this day on")
			}
		}
		var dem, sold, rec, price [maxChannels]int64
		open := sl.phys
		if !sl.gone {
			avail := sl.phys
			for _, ch := range allocOrder {
				if sl.share[ch] == 0 {
					continue
				}
				lam := base * sl.share[ch] * sl.level[ch] * g.cal.at(k, it.cat, ch)
				price[ch] = it.priceC
				if act != nil && act.covers(d, l, ch) {
					lam *= it.uplift(act.pct)
					price[ch] = promoPrice(it.priceC, act.pct)
				}
				if lam > 0 {
					dem[ch] = it.rng.lumps(it.rng.poisson(lam/it.lump), it.lump)
				}
				sold[ch] = min(dem[ch], avail)
				avail -= sold[ch]
				rec[ch] = sold[ch]
			}
		}
		truePrice := price
		if len(it.plans) > 0 {
			g.recordPlans(it, l, d, &sold, &rec, &price, truePrice, b)
		}
		var locSold, locRec int64
		for ch := range maxChannels {
			if rec[ch] > 0 {
				g.saleLine(b, it, l, ch, d, rec[ch], price[ch])
			}
			if dem[ch] > sold[ch] {
				b.st.stockoutDays++
			}
			b.st.demand += dem[ch]
			b.st.sold += sold[ch]
			b.st.recorded += rec[ch]
			b.st.lost += dem[ch] - sold[ch]
			locSold += sold[ch]
			locRec += rec[ch]
			if g.o.DemandTruth && (dem[ch] > 0 || rec[ch] > 0) {
				g.demandLine(b, it, l, ch, d, dem[ch], sold[ch], rec[ch], open)
			}
			if sold[ch] > 0 {
				rr := cat.returnRate
				if ch == chStore {
					rr *= 0.3 // walk-in shoppers see what they buy
				}
				if n := it.rng.binomial(sold[ch], rr); n > 0 {
					rd := d.AddDays(4 + it.rng.intn(18))
					if rd <= g.end {
						sl.expect(arrival{day: rd, qty: n, kind: arrReturn, refDay: d, refA: ch})
					}
				}
			}
		}
		sl.phys -= locSold
		sl.book -= locRec
		sl.ewma = 0.9*sl.ewma + 0.1*float64(locSold)
		if locSold > 0 {
			anySale = true
		}
		// Unrecorded shrinkage: theft and damage grow with footfall.
		if sl.phys > 0 && it.rng.chance(min(0.3, 0.0015+0.012*float64(locSold))) {
			sl.phys--
			b.st.shrink++
		}
		if len(it.plans) > 0 {
			g.lossPlans(it, l, k, d, &rec, b)
		}
		if delisted && sl.phys == 0 {
			sl.gone = true
		}
	}
	if anySale {
		it.saleDays++
	}
	it.liveDays++
	sup := &g.sups[it.sup]
	if !delisted {
		wd := int(d.Weekday())
		for l := range it.locs {
			sl := &it.locs[l]
			if sl.ranged && sup.orderDay[l] == wd {
				g.review(it, l, k, d, b)
			}
		}
	}
	if len(it.locs) > 1 && d < g.end && !delisted {
		g.transfers(it, k, d, b)
	}
	if ci := g.countLoc[k]; ci != 0 {
		for l := range it.locs {
			if ci&(1<<l) != 0 && it.locs[l].ranged && g.countGroup(it) == g.monthIdx[k]%countCycle {
				sl := &it.locs[l]
				g.countLine(b, it, l, d, sl.phys)
				sl.book = sl.phys
				sl.countedAt = d
			}
		}
	}
	for l := range it.locs {
		sl := &it.locs[l]
		if sl.minDay == model.NoDate || sl.book < sl.minBook {
			sl.minBook, sl.minDay = sl.book, d
		}
		if sl.book < 0 && sl.firstNeg == model.NoDate {
			sl.firstNeg = d
		}
	}
}

// countCycle is how many months it takes to count every item once.
const countCycle = 6

func (g *gen) countGroup(it *item) int {
	return int(hashKeys(g.o.Seed, 77, uint64(it.idx)) % countCycle)
}

// expected is the planner's view of an item's demand at a location over day
// indexes [k0, k1): the seasonal calendar, the trend, and the share the
// location takes. Promotions and level shifts are not foreseen.
func (g *gen) expected(it *item, l, k0, k1 int) float64 {
	sl := &it.locs[l]
	e := 0.0
	for ch := range maxChannels {
		if sl.share[ch] > 0 {
			e += sl.share[ch] * g.cal.sum(k0, k1, it.cat, ch)
		}
	}
	return e * it.rate * it.trend
}

// policy is the reorder point s and order-up-to level S of a periodic
// review: cover the lead time plus a week, with safety stock for demand
// (compound Poisson), lead-time spread and forecast error.
func (g *gen) policy(it *item, l, k int) (s, S float64) {
	sl := &it.locs[l]
	sup := &g.sups[it.sup]
	const review = 7.0
	p := int(math.Ceil(sup.LeadTimeDays + review))
	e := 0.35*g.expected(it, l, k+1, k+1+p) + 0.65*sl.ewma*float64(p)
	daily := e / float64(p)
	v := e*(2*it.lump-1) + sq(sup.LeadTimeSDays*daily) + sq(0.15*e)
	s = e + sl.z*math.Sqrt(v)
	S = s + max(daily*review, 1)
	return s, S
}

func sq(x float64) float64 { return x * x }

// openStock puts the first stock on the shelves: the opening balance on the
// first day of history, or the first delivery of a newly launched item.
func (g *gen) openStock(it *item, k int, d model.Date, b *dayBuf) {
	for l := range it.locs {
		sl := &it.locs[l]
		if !sl.ranged {
			continue
		}
		sl.ewma = g.expected(it, l, k, k+7) / 7
		s, S := g.policy(it, l, k)
		var q int64
		if d == it.launch && k > 0 {
			q = g.orderQty(it, S, 0)
			sl.phys += q
			sl.book += q
			b.st.receipts += q
			g.moveLine(b, d, it, l, q, model.Receipt, g.poRef(l, d.AddDays(-7), it.sup))
			continue
		}
		q = int64(math.Round(s + it.rng.float()*(S-s)))
		if q <= 0 {
			continue
		}
		sl.phys += q
		sl.book += q
		g.moveLine(b, d, it, l, q, model.Adjustment, "OPENING")
	}
}

// orderQty rounds a need up to the item's MOQ, the supplier's MOQ and whole
// packs.
func (g *gen) orderQty(it *item, upTo float64, ip int64) int64 {
	q := max(int64(math.Ceil(upTo))-ip, 1, it.moq, g.sups[it.sup].MOQ)
	if it.pack > 1 {
		q = (q + it.pack - 1) / it.pack * it.pack
	}
	return q
}

// review is the weekly reorder check of an item at a location against its
// ledger stock (the system cannot see unrecorded losses) plus what is on
// order.
func (g *gen) review(it *item, l, k int, d model.Date, b *dayBuf) {
	sl := &it.locs[l]
	if sl.gone {
		return
	}
	s, S := g.policy(it, l, k)
	ip := max(sl.book, 0) + sl.onOrder
	if float64(ip) > s {
		return
	}
	q := g.orderQty(it, S, ip)
	lt := g.leadTime(it.sup, l, d)
	got := q
	if it.rng.chance(0.03) { // short shipment; the rest is cancelled
		got = max(1, int64(float64(q)*it.rng.between(0.4, 0.95)))
	}
	sl.onOrder += q
	sl.expect(arrival{day: d.AddDays(lt), qty: got, ordered: q, kind: arrReceipt, refDay: d, refA: it.sup})
	b.st.poLines++
}

// leadTime is the days one purchase order takes to arrive: log-normal with
// the supplier's mean and spread, and now and then a disruption. Every line
// of a PO (supplier, location, order day) arrives together.
func (g *gen) leadTime(sup, l int, d model.Date) int {
	s := &g.sups[sup]
	r := newRNG(g.o.Seed, streamPO, uint64(sup), uint64(l), uint64(int64(d)))
	m, sd := s.LeadTimeDays, s.LeadTimeSDays
	sig2 := math.Log(1 + sd*sd/(m*m))
	lt := math.Round(math.Exp(math.Log(m) - sig2/2 + math.Sqrt(sig2)*r.norm()))
	if r.chance(0.02) {
		lt += float64(7 + r.intn(15))
	}
	return max(1, int(lt))
}

const maxDate = model.Date(1<<31 - 1)

// expect adds stock that will arrive.
func (sl *stockLoc) expect(a arrival) {
	if len(sl.pending) == 0 || a.day < sl.nextDue {
		sl.nextDue = a.day
	}
	sl.pending = append(sl.pending, a)
}

// arrive books the stock due today at a location.
func (g *gen) arrive(it *item, l int, d model.Date, b *dayBuf) {
	sl := &it.locs[l]
	j := 0
	sl.nextDue = maxDate
	for _, a := range sl.pending {
		if a.day != d {
			sl.pending[j] = a
			j++
			sl.nextDue = min(sl.nextDue, a.day)
			continue
		}
		sl.phys += a.qty
		sl.book += a.qty
		switch a.kind {
		case arrReceipt:
			sl.onOrder -= a.ordered
			b.st.receipts += a.qty
			g.moveLine(b, d, it, l, a.qty, model.Receipt, g.poRef(l, a.refDay, a.refA))
		case arrTransfer:
			sl.onOrder -= a.ordered
			g.moveLine(b, d, it, l, a.qty, model.TransferIn, g.trRef(a.refA, l, a.refDay))
		case arrReturn:
			b.st.returns += a.qty
			g.moveLine(b, d, it, l, a.qty, model.Return, "RET-"+g.orderID(l, a.refA, a.refDay, it.idx))
		}
	}
	sl.pending = sl.pending[:j]
}

// transfers sends stock from the depot to a store whose ledger shows none,
// when the depot can spare it. It ships at the end of the day and arrives
// the next morning.
func (g *gen) transfers(it *item, k int, d model.Date, b *dayBuf) {
	dc := &it.locs[0]
	for l := 1; l < len(it.locs); l++ {
		sl := &it.locs[l]
		if !sl.ranged || sl.gone || sl.book > 0 || !it.rng.chance(0.35) {
			continue
		}
		need := max(1, int64(math.Ceil(g.expected(it, l, k+1, k+11))))
		keep := int64(math.Ceil(dc.ewma * 14))
		if dc.phys < need+keep || dc.book < need+keep {
			continue
		}
		dc.phys -= need
		dc.book -= need
		sl.onOrder += need
		sl.expect(arrival{day: d.AddDays(1), qty: need, ordered: need, kind: arrTransfer, refDay: d, refA: 0})
		b.st.transfers += need
		g.moveLine(b, d, it, 0, -need, model.TransferOut, g.trRef(0, l, d))
	}
}

// recordPlans applies the anomalies that change what a day's sales lines
// say: typos and a stuck feed.
func (g *gen) recordPlans(it *item, l int, d model.Date, sold, rec, price *[maxChannels]int64, truePrice [maxChannels]int64, b *dayBuf) {
	for _, p := range it.plans {
		if p.loc != l || p.done || d < p.day {
			continue
		}
		ch := p.ch
		switch p.kind {
		case kindSpike:
			if sold[ch] > 0 {
				f := int64(100)
				if sold[ch] >= 10 {
					f = 10
				}
				rec[ch] = sold[ch] * f
				p.done, p.fired = true, true
				g.truth(b, p.kind, it, l, ch, d, "qty "+itoa(rec[ch])+" recorded, "+itoa(sold[ch])+" sold")
			}
		case kindPrice:
			if rec[ch] > 0 {
				price[ch] = truePrice[ch] * 100
				p.done, p.fired = true, true
				g.truth(b, p.kind, it, l, ch, d, "price "+cents(price[ch])+" recorded, "+cents(truePrice[ch])+" charged")
			}
		case kindStuck:
			if !p.fired {
				if rec[ch] < 2 {
					break // a repeated 1 would hide among real ones
				}
				p.val, p.left, p.fired = rec[ch], p.n, true
				g.truth(b, p.kind, it, l, ch, d, "qty "+itoa(p.val)+" repeated for "+strconv.Itoa(p.n)+" days to "+d.AddDays(p.n-1).String())
			}
			rec[ch] = p.val
			p.left--
			if p.left == 0 {
				p.done = true
			}
		}
		if !p.done && !p.fired && d >= p.until {
			p.done = true
		}
	}
}

// lossPlans applies the anomalies that take stock away or sell what the
// ledger does not hold.
func (g *gen) lossPlans(it *item, l, k int, d model.Date, rec *[maxChannels]int64, b *dayBuf) {
	sl := &it.locs[l]
	for _, p := range it.plans {
		if (p.loc != l && p.loc >= 0) || p.done || d < p.day {
			continue
		}
		switch p.kind {
		case kindTheft:
			if sl.phys >= 6 {
				q := int64(math.Ceil(float64(sl.phys) * it.rng.between(0.6, 0.9)))
				g.truth(b, p.kind, it, l, -1, d, itoa(q)+" of "+itoa(sl.phys)+" units gone unrecorded; the ledger keeps "+itoa(sl.book)+" until a count")
				sl.phys -= q
				b.st.shrink += q
				p.done, p.fired = true, true
			}
		case kindVanish:
			if sl.phys >= 4 && sl.book >= 4 {
				q := int64(math.Ceil(float64(min(sl.phys, sl.book)) * it.rng.between(0.6, 0.9)))
				g.truth(b, p.kind, it, l, -1, d, "adjustment -"+itoa(q)+" of "+itoa(sl.book)+" on hand without a sale")
				sl.phys -= q
				sl.book -= q
				g.moveLine(b, d, it, l, -q, model.Adjustment, "ADJ-"+g.compact[k])
				p.done, p.fired = true, true
			}
		case kindNoStock:
			// The shelf is empty and the ledger (short of unrecorded losses)
			// nearly so: a sale is keyed on the location's main channel that
			// takes the ledger below zero. Any location of the item will do.
			ch := -1
			for c := range maxChannels {
				if sl.share[c] > 0 && rec[c] == 0 && g.cal.at(k, it.cat, c) > 0 && (ch < 0 || sl.share[c] > sl.share[ch]) {
					ch = c
				}
			}
			if sl.phys == 0 && sl.book >= 0 && sl.book <= 2 && ch >= 0 {
				q := sl.book + int64(1+it.rng.intn(2))
				pr := it.priceC
				if a := it.activePromo(d, l, ch); a != nil {
					pr = promoPrice(it.priceC, a.pct)
				}
				g.saleLine(b, it, l, ch, d, q, pr)
				g.truth(b, p.kind, it, l, ch, d, "sale of "+itoa(q)+" recorded with none on the shelf and "+itoa(sl.book)+" in the ledger")
				sl.book -= q
				b.st.recorded += q
				rec[ch] = q
				p.done, p.fired = true, true
			}
		}
		if !p.done && d >= p.until {
			p.done = true
		}
	}
}

func (it *item) activePromo(d model.Date, l, ch int) *promo {
	for i := it.promoAt; i < len(it.promos); i++ {
		p := &it.promos[i]
		if p.start > d {
			break
		}
		if p.covers(d, l, ch) {
			return p
		}
	}
	return nil
}

// Line writers. They append by hand: a run writes tens of millions of lines.

func (g *gen) orderID(l, ch int, d model.Date, idx int) string {
	return string(g.appendOrderID(nil, l, ch, int(d-g.start), idx))
}

func (g *gen) appendOrderID(b []byte, l, ch, k, idx int) []byte {
	b = append(b, g.locs[l].code...)
	b = append(b, '-', channelTag[ch], '-')
	b = append(b, g.compact[k]...)
	b = append(b, '-')
	return strconv.AppendInt(b, int64(idx+1), 10)
}

func (g *gen) saleLine(b *dayBuf, it *item, l, ch int, d model.Date, qty, priceC int64) {
	k := int(d - g.start)
	s := append(b.sales, g.dates[k]...)
	s = append(s, ',')
	s = g.appendOrderID(s, l, ch, k, it.idx)
	s = append(s, ',')
	s = append(s, it.sku...)
	s = append(s, ',')
	s = append(s, g.locs[l].code...)
	s = append(s, ',')
	s = append(s, channelNames[ch]...)
	s = append(s, ',')
	s = strconv.AppendInt(s, qty, 10)
	s = append(s, ',')
	s = appendCents(s, priceC)
	b.sales = append(s, '\n')
	b.st.salesRows++
}

func (g *gen) moveLine(b *dayBuf, d model.Date, it *item, l int, qty int64, kind model.MovementKind, ref string) {
	s := append(b.moves, g.dates[int(d-g.start)]...)
	s = append(s, ',')
	s = append(s, it.sku...)
	s = append(s, ',')
	s = append(s, g.locs[l].code...)
	s = append(s, ',')
	s = strconv.AppendInt(s, qty, 10)
	s = append(s, ',')
	s = append(s, kind...)
	s = append(s, ',')
	s = append(s, ref...)
	b.moves = append(s, '\n')
	b.st.moveRows++
}

func (g *gen) countLine(b *dayBuf, it *item, l int, d model.Date, qty int64) {
	s := append(b.counts, g.dates[int(d-g.start)]...)
	s = append(s, ',')
	s = append(s, it.sku...)
	s = append(s, ',')
	s = append(s, g.locs[l].code...)
	s = append(s, ',')
	s = strconv.AppendInt(s, qty, 10)
	b.counts = append(s, '\n')
	b.st.countRows++
}

func (g *gen) demandLine(b *dayBuf, it *item, l, ch int, d model.Date, dem, sold, rec, open int64) {
	s := append(b.demand, g.dates[int(d-g.start)]...)
	s = append(s, ',')
	s = append(s, it.sku...)
	s = append(s, ',')
	s = append(s, g.locs[l].code...)
	s = append(s, ',')
	s = append(s, channelNames[ch]...)
	for _, v := range [...]int64{dem, sold, rec, open} {
		s = append(s, ',')
		s = strconv.AppendInt(s, v, 10)
	}
	b.demand = append(s, '\n')
	b.st.demandRows++
}

// truth records an injected anomaly: kind,sku,location,channel,date,detail.
func (g *gen) truth(b *dayBuf, kind string, it *item, l, ch int, d model.Date, detail string) {
	s := append(b.anoms, kind...)
	s = append(s, ',')
	s = append(s, it.sku...)
	s = append(s, ',')
	s = append(s, g.locs[l].code...)
	s = append(s, ',')
	if ch >= 0 {
		s = append(s, channelNames[ch]...)
	}
	s = append(s, ',')
	s = append(s, d.String()...)
	s = append(s, ',')
	s = appendField(s, detail)
	b.anoms = append(s, '\n')
	if b.fired == nil {
		b.fired = map[string]int{}
	}
	b.fired[kind]++
	b.st.anomRows++
}

func (g *gen) poRef(l int, d model.Date, sup int) string {
	return "PO-" + g.locs[l].code + "-" + compact(d) + "-" + g.sups[sup].Code
}

func (g *gen) trRef(from, to int, d model.Date) string {
	return "TR-" + g.locs[from].code + "-" + g.locs[to].code + "-" + compact(d)
}

// appendField appends a CSV field, quoted when it must be.
func appendField(b []byte, f string) []byte {
	if !strings.ContainsAny(f, ",\"\r\n") {
		return append(b, f...)
	}
	return append(append(b, '"'), strings.ReplaceAll(f, `"`, `""`)+`"`...)
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func cents(c int64) string { return string(appendCents(nil, c)) }

// appendCents formats an amount in cents as units with two decimals.
func appendCents(b []byte, c int64) []byte {
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	b = strconv.AppendInt(b, c/100, 10)
	b = append(b, '.', byte('0'+c/10%10), byte('0'+c%10))
	return b
}
