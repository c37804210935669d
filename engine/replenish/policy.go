package replenish

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"stockroom/engine/forecast"
)

// ServiceKind says what a service level target measures.
type ServiceKind int

// The service measures.
const (
	// FillRate is the share of demanded units served from stock (β
	// service). It is what "95% service" means in stockroom.
	FillRate ServiceKind = iota
	// Cycle is the share of replenishment cycles without a stockout (α
	// service, the textbook z·σ safety stock).
	Cycle
)

// String names the measure as reasons show it.
func (k ServiceKind) String() string {
	if k == Cycle {
		return "cycle"
	}
	return "fill_rate"
}

// Policy is how one item×location is replenished.
type Policy struct {
	Service float64 // target in (0,1), e.g. 0.95
	Kind    ServiceKind
	// ReviewDays is the time between two looks at the stock (≥ 1): 1
	// when a plan runs every day. Demand over lead time + review is what
	// the stock must cover.
	ReviewDays int
	LeadTime   forecast.LeadTime // supplier lead time in days (LeadTimeDist)
	PackSize   int64             // orders are whole packs; ≤1: any quantity
	MOQ        int64             // minimum order quantity, units
	MaxStock   int64             // shelf capacity: the position never goes above it; 0: none
	// OrderCost (per order) and HoldingCost (per unit per year) give the
	// economic order quantity; either zero: order what the level needs.
	OrderCost   float64
	HoldingCost float64
	// Crossing says each order's lead time varies on its own, so orders
	// may overtake each other. When orders are frequent, the stock
	// arriving by a given day then varies far less than one order's lead
	// time does (a late order is made up for by an early one), and the
	// lead time's spread is scaled down accordingly (EffectiveLeadTime).
	// Without it every order is assumed as late as the last.
	Crossing bool
	// LostSales says unmet demand goes away (shoppers buy elsewhere)
	// rather than waiting: a fill-rate target then needs less stock,
	// because the demand lost while an order is on its way does not
	// deplete the stock it arrives to.
	LostSales bool
}

// Validate checks a policy's fields.
func (p Policy) Validate() error {
	if !(p.Service > 0 && p.Service < 1) {
		return fmt.Errorf("policy: service must be within (0,1), got %g", p.Service)
	}
	if p.ReviewDays < 1 {
		return fmt.Errorf("policy: review days must be at least 1, got %d", p.ReviewDays)
	}
	if len(p.LeadTime.Periods) == 0 || len(p.LeadTime.Periods) != len(p.LeadTime.Prob) {
		return errors.New("policy: lead time needs as many probabilities as days")
	}
	for i, k := range p.LeadTime.Periods {
		if k < 0 || p.LeadTime.Prob[i] < 0 || math.IsNaN(p.LeadTime.Prob[i]) {
			return fmt.Errorf("policy: bad lead time %d days with probability %g", k, p.LeadTime.Prob[i])
		}
	}
	if p.PackSize < 0 || p.MOQ < 0 || p.MaxStock < 0 {
		return errors.New("policy: pack size, MOQ and max stock must not be negative")
	}
	if p.OrderCost < 0 || p.HoldingCost < 0 {
		return errors.New("policy: costs must not be negative")
	}
	return nil
}

// Forecast is the demand forecast the policy works from: one predictive
// distribution per day starting tomorrow (forecast.Result.Dists; days past
// the end repeat the last) and the correlation of their errors.
type Forecast struct {
	Days []forecast.Dist
	Rho  float64
	// MinVar[k], when set, is the least variance demand over k days may
	// have: what the item's own history shows (SumVariance). A forecast's
	// spread is estimated from short backtests and misses the spikes and
	// level shifts that empty a shelf; the policy never assumes less
	// variability over the lead time than the item showed.
	MinVar []float64
	// MaxVar[k], when set (> 0), is the most variance demand over k days
	// may have (HistoryCap): a forecast fitted across a break in the
	// history (a relaunch, a promotion, a seasonal gap) can come with a
	// spread many times anything the item has shown, and a reorder point
	// sized to it is months of stock that service hardly needs.
	MaxVar     []float64
	ReplaceVar bool
	// mean, vr cache each day's moments (see Prepared): some
	// distributions (blends) compute them numerically.
	mean, vr []float64
	normal   []bool
}

// Prepared returns the forecast with each day's mean and variance worked
// out once, for callers that compute levels from many offsets of one
// forecast (the simulator, day after day).
func (f Forecast) Prepared() Forecast {
	n := len(f.Days)
	f.mean, f.vr, f.normal = make([]float64, n), make([]float64, n), make([]bool, n)
	for i, d := range f.Days {
		if i > 0 && sameDist(d, f.Days[i-1]) {
			f.mean[i], f.vr[i], f.normal[i] = f.mean[i-1], f.vr[i-1], f.normal[i-1]
			continue
		}
		f.mean[i], f.vr[i] = d.Mean(), d.Var()
		_, f.normal[i] = d.(forecast.Normal)
	}
	return f
}

// From returns the forecast starting off days later (the last day
// repeats past the end).
func (f Forecast) From(off int) Forecast {
	off = min(max(off, 0), max(len(f.Days)-1, 0))
	g := Forecast{Days: f.Days[off:], Rho: f.Rho, MinVar: f.MinVar, MaxVar: f.MaxVar, ReplaceVar: f.ReplaceVar}
	if f.mean != nil {
		g.mean, g.vr, g.normal = f.mean[off:], f.vr[off:], f.normal[off:]
	}
	return g
}

// Levels are a policy's stock levels for the coming cycle.
type Levels struct {
	// Lead is demand over the lead time; Horizon over lead time + review.
	Lead, Horizon *Demand
	DailyMean     float64 // mean demand a day over the next 28 days
	// ReorderPoint: order when the position falls below it. It is the
	// smallest level that meets the service target.
	ReorderPoint int64
	// OrderUpTo: an order brings the position to at least this:
	// ReorderPoint + lot − 1.
	OrderUpTo   int64
	Lot         int64   // the economic lot (1 without costs)
	EOQ         float64 // unrounded economic order quantity; 0 without costs
	SafetyStock float64 // ReorderPoint − mean demand over lead time + review
	Achieved    float64 // the service the reorder point is expected to give
	PerReview   float64 // mean demand per review period

	kind   ServiceKind
	spread int64 // the position after a review spreads over r … r+spread−1
	upper  int64 // bound of the reorder point search
}

// maxLevelDays bounds the search for a reorder point: no target asks for
// more than a year of demand.
const maxLevelDays = 365

// ComputeLevels finds the reorder point and order-up-to level that meet
// the policy's service target for the forecast.
//
// At each review the position (on hand + on order − committed) is brought
// to at least the reorder point r; between reviews it drifts down. With a
// lot of Q units (packs, MOQ or the EOQ) the position after a review is
// spread over r … r+Q−1. An order placed now arrives after the lead time L
// and the next one R days later, so the units short in the review period
// starting L days from now are E[(D(L+R) − y)⁺] − E[(D(L) − y)⁺] for a
// position y. The fill rate is one minus their average over y, divided by
// the mean demand of the review period; the cycle service level is
// P(D(L+R) ≤ y) averaged the same way. r is the smallest whole number
// meeting the target.
func ComputeLevels(p Policy, f Forecast) (Levels, error) {
	lv, err := prepareLevels(p, f)
	if err != nil {
		return lv, err
	}
	lv.set(lv.search(func(r int64) bool { return lv.service(r) >= p.Service }))
	return lv, nil
}

func prepareLevels(p Policy, f Forecast) (Levels, error) {
	if err := p.Validate(); err != nil {
		return Levels{}, err
	}
	maxK := 0
	for _, k := range p.LeadTime.Periods {
		maxK = max(maxK, k)
	}
	n := max(maxK+p.ReviewDays, 28)
	sm, err := newStepMoments(f, n)
	if err != nil {
		return Levels{}, err
	}
	if p.Crossing {
		// Days of demand one order carries: a review period, or a lot.
		daily := sm.m[28] / 28
		g := float64(p.ReviewDays)
		if daily > 0 {
			lot := float64(max(p.PackSize, p.MOQ, 1))
			if p.OrderCost > 0 && p.HoldingCost > 0 {
				lot = math.Max(lot, math.Sqrt(2*daily*365*p.OrderCost/p.HoldingCost))
			}
			g = math.Max(g, lot/daily)
		}
		p.LeadTime = EffectiveLeadTime(p.LeadTime, g)
	}
	rho := math.Max(0, math.Min(0.999, f.Rho))
	lv := Levels{DailyMean: sm.m[28] / 28, kind: p.Kind}
	sm.minVar = f.MinVar
	sm.maxVar = f.MaxVar
	sm.replaceVar = f.ReplaceVar
	// Lost sales: demand not served during the lead time does not eat
	// into the stock the next order finds (lostScale).
	scale := 1.0
	if p.LostSales && p.Kind == FillRate {
		scale = lostScale(p.Service)
	}
	lv.Horizon = newDemand(sm, rho, p.LeadTime, p.ReviewDays, scale)
	lv.Lead = newDemand(sm, rho, p.LeadTime, 0, scale)

	lot := int64(1)
	if p.OrderCost > 0 && p.HoldingCost > 0 && lv.DailyMean > 0 {
		lv.EOQ = math.Sqrt(2 * lv.DailyMean * 365 * p.OrderCost / p.HoldingCost)
		lot = max(1, int64(math.Round(lv.EOQ)))
	}
	lv.Lot = lot
	lv.spread = max(lot, p.PackSize, p.MOQ, 1)
	lv.PerReview = lv.Horizon.Mean() - lv.Lead.Mean()
	lv.upper = int64(math.Ceil(lv.Horizon.Mean()+12*lv.Horizon.SD())) + 1
	lv.upper = max(lv.upper, int64(math.Ceil(lv.DailyMean*maxLevelDays)))
	if lv.Horizon.Mean() <= 0 {
		lv.upper = 0
	}
	return lv, nil
}

// lostScale is the share of lead-time demand a lost-sales policy plans
// to see deplete its stock at a fill-rate target: the served share, the
// target itself, since demand that finds the shelf bare is lost and takes
// nothing. (Until stop 13 this was halfway to the backorder model's 1,
// which made up for lead-time distributions too narrow on drifting demand:
// on stationary Poisson demand that overshot by up to 2.9 points. The
// error correlation pooled across series, forecast.PoolRho, widens them
// instead; BENCHMARKS.md, Replenishment.)
func lostScale(service float64) float64 {
	return service
}

// service is the expected service of reorder point r.
func (lv *Levels) service(r int64) float64 {
	return expectedService(lv.kind, lv.Lead, lv.Horizon, r, lv.spread, lv.PerReview)
}

// search returns the smallest r in [0, upper] for which ok holds (ok is
// monotone), or upper.
func (lv *Levels) search(ok func(int64) bool) int64 {
	lo, hi := int64(0), lv.upper
	for lo < hi {
		m := lo + (hi-lo)/2
		if ok(m) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func (lv *Levels) set(r int64) {
	lv.ReorderPoint = r
	lv.OrderUpTo = r + lv.Lot - 1
	lv.SafetyStock = float64(r) - lv.Horizon.Mean()
	lv.Achieved = lv.service(r)
}

// Short is the expected units short per review period at reorder point r.
func (lv *Levels) Short(r int64) float64 {
	if lv.kind == Cycle {
		return 0
	}
	return lv.PerReview * (1 - lv.service(r))
}

// AtPrice returns the levels re-solved for a marginal price instead of
// the item's own target: the reorder point is the smallest r at which one
// more unit of reorder point would save less than lambda units of lost
// demand per review for each unit it adds to the expected stock (the
// chance P(D(L+R) ≤ r) that the unit is still there at the end of the
// cycle). One price across many items meets a target for them as a whole
// at the least total stock (Price finds it): items whose demand is cheap
// to cover get more service than the target, erratic ones less. floor is
// the least service any item gets.
func (lv Levels) AtPrice(lambda, floor float64) Levels {
	if lv.kind == Cycle {
		return lv
	}
	rFloor := lv.search(func(r int64) bool { return lv.service(r) >= floor })
	r := lv.search(func(r int64) bool {
		saved := lv.Short(r) - lv.Short(r+1)
		return saved <= lambda*math.Max(lv.Horizon.CDF(float64(r)), 1e-12)
	})
	lv.set(max(r, rFloor))
	return lv
}

// Price finds the marginal price (for AtPrice) at which a group of items
// meets a fill-rate target as a whole: expected units short over expected
// units demanded, summed over the items, is 1 − target. It returns 0 when
// even full service cannot be bought (no demand).
func Price(items []Levels, target, floor float64) float64 {
	fill := func(lambda float64) float64 {
		var short, dem float64
		for i := range items {
			lv := items[i].AtPrice(lambda, floor)
			short += lv.Short(lv.ReorderPoint)
			dem += lv.PerReview
		}
		if dem <= 0 {
			return 1
		}
		return 1 - short/dem
	}
	lo, hi := math.Log(1e-9), math.Log(1e4) // fill falls as the price rises
	if fill(math.Exp(lo)) < target {
		return math.Exp(lo)
	}
	for range 48 {
		m := (lo + hi) / 2
		if fill(math.Exp(m)) >= target {
			lo = m
		} else {
			hi = m
		}
	}
	return math.Exp(lo)
}

// expectedService is the fill rate or cycle service level of reorder
// point r with the position spread over r … r+spread−1.
func expectedService(kind ServiceKind, lead, horizon *Demand, r, spread int64, perReview float64) float64 {
	// Average over at most 64 evenly spaced positions: plenty for a
	// smooth average, and cheap for big lots.
	steps := min(spread, 64)
	var s float64
	for i := range steps {
		y := float64(r)
		if steps > 1 {
			y += float64(i) * float64(spread-1) / float64(steps-1)
		}
		if kind == Cycle {
			s += horizon.CDF(y)
		} else {
			s += math.Max(0, horizon.Loss(y)-lead.Loss(y))
		}
	}
	s /= float64(steps)
	if kind == Cycle {
		return s
	}
	if perReview <= 0 {
		return 1
	}
	return 1 - s/perReview
}

// Position is the stock an item×location can count on.
type Position struct {
	OnHand    int64
	OnOrder   int64 // open orders and inbound transfers not yet received
	Committed int64 // promised away (outbound transfers not yet shipped)
	// Arrivals are the expected days (from tomorrow = 1) and quantities of
	// what is on order, for projecting stock; OnOrder without arrivals is
	// assumed to arrive after the mean lead time.
	Arrivals []Arrival
}

// Arrival is an expected receipt.
type Arrival struct {
	Day int
	Qty int64
}

// Net is on hand + on order − committed: what the policy compares with the
// reorder point.
func (p Position) Net() int64 { return p.OnHand + p.OnOrder - p.Committed }

// Order is how much to order for a position, and what rounding did.
type Order struct {
	Raw      int64  // order-up-to − position (0 when the position is at or above the reorder point)
	Qty      int64  // after MOQ, pack and maximum stock
	Rounding string // "MOQ 50: 37→50; pack 12: 50→60"
}

// OrderFor returns the order for a position: nothing while the position is
// at or above the reorder point, else enough to reach the order-up-to
// level, raised to the MOQ, rounded up to whole packs, and cut (in whole
// packs) to stay within the maximum stock. An order the maximum stock cuts
// below the MOQ is dropped.
func OrderFor(p Policy, lv Levels, pos int64) Order {
	if pos >= lv.ReorderPoint {
		return Order{}
	}
	o := Order{Raw: lv.OrderUpTo - pos}
	return roundOrder(p, o.Raw, pos, o)
}

func roundOrder(p Policy, q, pos int64, o Order) Order {
	var notes []string
	if p.MOQ > 0 && q < p.MOQ {
		notes = append(notes, fmt.Sprintf("MOQ %d: %d→%d", p.MOQ, q, p.MOQ))
		q = p.MOQ
	}
	if p.PackSize > 1 && q%p.PackSize != 0 {
		r := (q + p.PackSize - 1) / p.PackSize * p.PackSize
		notes = append(notes, fmt.Sprintf("pack %d: %d→%d", p.PackSize, q, r))
		q = r
	}
	if p.MaxStock > 0 && pos+q > p.MaxStock {
		r := max(0, p.MaxStock-pos)
		if p.PackSize > 1 {
			r = r / p.PackSize * p.PackSize
		}
		if r < p.MOQ {
			r = 0
		}
		notes = append(notes, fmt.Sprintf("max stock %d: %d→%d", p.MaxStock, q, r))
		q = r
	}
	o.Qty = q
	o.Rounding = strings.Join(notes, "; ")
	return o
}

// Projection walks the mean forecast forward from a position: the first
// day (1 = tomorrow) on which stock runs out if nothing more is ordered,
// or 0 when it lasts the limit. Arrivals come on their day; on order
// without arrivals comes after leadDays.
func Projection(f Forecast, pos Position, leadDays int, limit int) int {
	if len(f.Days) == 0 {
		return 0
	}
	stock := float64(pos.OnHand - pos.Committed)
	arr := map[int]int64{}
	var listed int64
	for _, a := range pos.Arrivals {
		arr[max(a.Day, 1)] += a.Qty
		listed += a.Qty
	}
	if rest := pos.OnOrder - listed; rest > 0 {
		arr[max(leadDays, 1)] += rest
	}
	var last forecast.Dist
	var mu float64
	for d := 1; d <= limit; d++ {
		stock += float64(arr[d])
		dist := f.Days[min(d-1, len(f.Days)-1)]
		if d == 1 || !sameDist(dist, last) {
			mu, last = dist.Mean(), dist
		}
		if stock < mu-1e-9 || (stock <= 0 && mu > 0) {
			return d
		}
		stock -= mu
	}
	return 0
}

// Cover is how many days a quantity lasts at a daily demand (+Inf when
// nothing sells).
func Cover(qty float64, daily float64) float64 {
	if daily <= 0 {
		return math.Inf(1)
	}
	return math.Max(0, qty) / daily
}
