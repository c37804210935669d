package replenish

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"stockroom/engine/forecast"
	"stockroom/model"
)

// The policies the simulator replays.
const (
	PolicyAuto          = "auto"           // service-level policy from forecasts (what plan does)
	PolicyMinMax        = "minmax"         // min/max as days of recent average demand
	PolicySeedThreshold = "seed-threshold" // order up to a fixed level when stock falls to 80% of a fixed threshold
)

// Policies lists the simulator's policies.
var Policies = []string{PolicyAuto, PolicyMinMax, PolicySeedThreshold}

// DefaultSimModels are the forecast models the auto policy chooses from in
// a replay: the fast per-series ones (no global model, so a refit costs
// well under a millisecond a series).
var DefaultSimModels = []string{"ses", "sba", "tsb", "ma"}

// SimOptions configures a replay.
type SimOptions struct {
	Policy     string
	Service    float64     // auto: the target (0.95)
	Kind       ServiceKind // auto: what the target measures (fill rate)
	LeadMean   float64     // supplier lead time, days
	LeadSD     float64     // its standard deviation, days
	ReviewDays int         // days between reviews (1)
	// Days is how many days at the end of the history are replayed
	// (365); the history before them is what the policies start from.
	Days int
	// MinHistory is how many days after its launch a series must have
	// before it joins the replay (56): launches are not replenishment.
	MinHistory int
	// RelaunchDays is how long a series must go without a single sale
	// for its next sale to count as a launch (365; negative: only the
	// first sale is a launch). An item off the shelf for a year was not
	// listed: no policy that sees only its sales could learn of its
	// return, and restocking it is a listing decision, so the replay
	// takes it up MinHistory days after it comes back, as for a launch.
	RelaunchDays int
	// RefitDays is how often the auto policy's forecast is refitted (7);
	// between refits it reads further along the last forecast.
	RefitDays int
	Models    []string // auto: forecast candidates (DefaultSimModels)
	// Combine is forecast.Options.Combine: 1 never blends the best models
	// (blends are slow to summarise), 0 uses the forecast's default.
	Combine  int
	Calendar forecast.Calendar
	// MinDays and MaxDays are minmax's levels in days of the average daily
	// demand over the last AvgDays (28) days in stock.
	MinDays, MaxDays float64
	AvgDays          int
	// ThresholdDays and LevelDays are seed-threshold's threshold and
	// order-up-to level, in days of the average daily demand before the
	// replay; fixed for the whole replay.
	ThresholdDays, LevelDays float64
	// SpreadDays is how many days of history SumVariance looks at for
	// the least spread of lead-time demand (auto; 0: the forecast's own
	// spread only).
	SpreadDays int
	ReplaceVar bool
	// Pooled chooses the auto policy's reorder points with one marginal
	// price across all series (AtPrice, Price) so that the service target
	// is met by the series together at the least stock, instead of by
	// each series on its own; MinService is then the least any series
	// gets.
	Pooled bool
	// NoCrossing makes the auto policy plan as if every order were as
	// late as the last (Policy.Crossing off), though the replay draws
	// each order's lead time on its own.
	NoCrossing bool
	// NoCap plans with the forecast's spread as it is, without the cap
	// from the series' own history that plan applies (HistoryCap).
	NoCap         bool
	MinService    float64
	Shrink        float64 // share of stock on hand lost each day (theft, damage)
	PackSize, MOQ int64   // rounding applied to every policy's orders
	Seed          uint64
	Workers       int
	// Progress, when set, hears after each block of RefitDays how many
	// of the replay's blocks are done.
	Progress func(done, total int)
	// reforecast, when set, replaces a refit's forecast of a series seen
	// up to index n (exclusive): a diagnostic for the M5 evaluation (what
	// the policy would do with a better forecast), never set in use.
	reforecast func(s *forecast.Series, n int, r *forecast.Result)
}

// ForecastHorizon is how many days each refit forecasts: to the next
// refit, then the longest lead time and a review (at least 28). Prices
// given with the series should reach that far past the history.
func (o SimOptions) ForecastHorizon() int {
	longest := slices.Max(LeadTimeDist(o.LeadMean, o.LeadSD).Periods)
	return max(o.RefitDays, 1) + max(longest+max(o.ReviewDays, 1), 28)
}

func (o *SimOptions) defaults() error {
	if o.Policy == "" {
		o.Policy = PolicyAuto
	}
	if !slices.Contains(Policies, o.Policy) {
		return fmt.Errorf("simulate: unknown policy %q (want auto, minmax or seed-threshold)", o.Policy)
	}
	if o.ReviewDays <= 0 {
		o.ReviewDays = 1
	}
	if o.Days <= 0 {
		o.Days = 365
	}
	if o.MinHistory <= 0 {
		o.MinHistory = 56
	}
	if o.RelaunchDays == 0 {
		o.RelaunchDays = 365
	}
	if o.RefitDays <= 0 {
		o.RefitDays = 7
	}
	if len(o.Models) == 0 {
		o.Models = DefaultSimModels
	}
	if o.AvgDays <= 0 {
		o.AvgDays = 28
	}
	if o.LevelDays <= 0 {
		o.LevelDays = o.ThresholdDays
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Policy == PolicyAuto && !(o.Service > 0 && o.Service < 1) {
		return fmt.Errorf("simulate: service must be within (0,1), got %g", o.Service)
	}
	if o.LeadMean < 0 || o.LeadSD < 0 || math.IsNaN(o.LeadMean) || math.IsNaN(o.LeadSD) {
		return errors.New("simulate: lead time must not be negative")
	}
	if o.Shrink < 0 || o.Shrink >= 1 {
		return fmt.Errorf("simulate: shrink must be within [0,1), got %g", o.Shrink)
	}
	if o.MinDays < 0 || o.MaxDays < 0 || o.ThresholdDays < 0 {
		return errors.New("simulate: policy days must not be negative")
	}
	return nil
}

// SimDay is one series' day in a replay.
type SimDay struct {
	Series   string
	Date     model.Date
	Demand   float64
	Served   float64
	Lost     float64
	Received int64
	Shrink   int64
	OnHand   int64 // at the end of the day
	OnOrder  int64 // ordered, not yet received, at the end of the day
	Ordered  int64 // ordered at the end of the day
}

// SimTotals are a replay's figures, for one series or summed over all.
type SimTotals struct {
	Series       int     `json:"series"`
	Days         int     `json:"days"` // series-days replayed
	Demand       float64 `json:"demand"`
	Served       float64 `json:"served"`
	Lost         float64 `json:"lost"`
	Received     int64   `json:"received"`
	Shrinkage    int64   `json:"shrinkage"`
	StartStock   int64   `json:"start_stock"`
	EndStock     int64   `json:"end_stock"`
	Orders       int     `json:"orders"`
	StockoutDays int     `json:"stockout_days"` // days that ended with nothing on hand or lost demand
	Cycles       int     `json:"cycles"`        // replenishment cycles (between receipts)
	ShortCycles  int     `json:"short_cycles"`  // cycles that lost demand
	// AvgOnHand is the mean stock at the end of a day, summed over the
	// series (for one series, its mean).
	AvgOnHand float64 `json:"avg_on_hand"`
	sumOnHand float64
}

// FillRate is units served / units demanded.
func (t SimTotals) FillRate() float64 {
	if t.Demand <= 0 {
		return 1
	}
	return t.Served / t.Demand
}

// CycleService is the share of replenishment cycles without lost demand.
func (t SimTotals) CycleService() float64 {
	if t.Cycles == 0 {
		return 1
	}
	return 1 - float64(t.ShortCycles)/float64(t.Cycles)
}

func (t *SimTotals) add(u SimTotals) {
	t.Series += u.Series
	t.Days += u.Days
	t.Demand += u.Demand
	t.Served += u.Served
	t.Lost += u.Lost
	t.Received += u.Received
	t.Shrinkage += u.Shrinkage
	t.StartStock += u.StartStock
	t.EndStock += u.EndStock
	t.Orders += u.Orders
	t.StockoutDays += u.StockoutDays
	t.Cycles += u.Cycles
	t.ShortCycles += u.ShortCycles
	t.AvgOnHand += u.AvgOnHand
}

// SimResult is a replay's outcome.
type SimResult struct {
	Options   SimOptions
	Total     SimTotals
	PerSeries map[string]SimTotals
}

// simSeries is one series' state in a replay.
type simSeries struct {
	idx      int
	s        *forecast.Series
	first    int // index in s of the first replayed day
	obs      []float64
	censored []bool
	onHand   int64
	pipe     []pending
	rng      *rand.Rand
	tot      SimTotals
	short    bool // the current cycle lost demand
	started  bool
	// auto: the forecast made before day fcDay (series index).
	fc    *forecast.Result
	fcP   Forecast
	fcDay int
	price float64 // auto, pooled: the marginal price of this block
	// seed-threshold: fixed average demand before the replay.
	seedAvg float64
}

type pending struct {
	day int // series index of the day it is on the shelf
	qty int64
}

// Simulate replays demand histories day by day under a policy: each day
// the demand of the history arrives and is served from stock (what is not
// served is lost), then the policy looks at what it has seen so far (sales,
// with stockout days marked, never the demand it lost) and may order;
// an order arrives after a lead time drawn from N(LeadMean, LeadSD²)
// rounded to whole days (at least one). daily, when set, receives every
// series-day in date order within each series.
func Simulate(ctx context.Context, series []forecast.Series, o SimOptions, daily func(SimDay)) (SimResult, error) {
	if err := o.defaults(); err != nil {
		return SimResult{}, err
	}
	if len(series) == 0 {
		return SimResult{}, errors.New("simulate: no series")
	}
	end := model.Date(math.MinInt32 + 1)
	for i := range series {
		if series[i].Freq != forecast.Daily {
			return SimResult{}, fmt.Errorf("simulate: series %s is not daily", series[i].ID)
		}
		end = max(end, series[i].End())
	}
	// The replay covers [start, end] on the calendar; series join on the
	// first refit day they have enough history for.
	start := end.AddDays(-o.Days + 1)
	lt := LeadTimeDist(o.LeadMean, o.LeadSD)
	var sims []*simSeries
	for i := range series {
		s := &series[i]
		first := launch(s.Values, o.RelaunchDays)
		if first < 0 {
			continue
		}
		j := int(start - s.Start)
		j = max(j, first+o.MinHistory)
		// Align to the refit grid so every policy starts a series on the
		// same day, with a fresh forecast for auto.
		if off := (j - int(start-s.Start)) % o.RefitDays; off != 0 {
			j += o.RefitDays - off
		}
		if j >= len(s.Values) || j < 1 {
			continue
		}
		ss := &simSeries{idx: i, s: s, first: j, rng: rand.New(rand.NewPCG(o.Seed, uint64(i)*0x9e3779b97f4a7c15+1))}
		ss.obs = make([]float64, j, len(s.Values))
		copy(ss.obs, s.Values[:j])
		ss.censored = make([]bool, j, len(s.Values))
		if s.Censored != nil {
			copy(ss.censored, s.Censored[:j])
		}
		ss.seedAvg = meanObserved(ss.obs, ss.censored, max(0, j-365), j)
		sims = append(sims, ss)
	}
	if len(sims) == 0 {
		return SimResult{}, errors.New("simulate: no series has enough history to replay")
	}
	res := SimResult{Options: o, PerSeries: map[string]SimTotals{}}
	maxK := slices.Max(lt.Periods)
	horizon := o.ForecastHorizon()
	// Blocks of RefitDays calendar days: refit (auto), then every series
	// plays the block on its own, in parallel.
	blocks := (o.Days + o.RefitDays - 1) / o.RefitDays
	for b, done := start, 0; b <= end; b, done = b.AddDays(o.RefitDays), done+1 {
		if o.Progress != nil {
			o.Progress(done, blocks)
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		bEnd := min(end, b.AddDays(o.RefitDays-1))
		var active []*simSeries
		for _, ss := range sims {
			if ss.s.Start.AddDays(ss.first) <= bEnd && ss.s.Start.AddDays(len(ss.s.Values)-1) >= b {
				active = append(active, ss)
			}
		}
		if o.Policy == PolicyAuto {
			if err := refit(ctx, active, b, horizon, maxK+o.ReviewDays, o); err != nil {
				return res, err
			}
			if o.Pooled {
				if err := pool(active, b, o, lt); err != nil {
					return res, err
				}
			}
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		next := make(chan *simSeries)
		for range o.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var days []SimDay
				for ss := range next {
					days = days[:0]
					if err := ss.play(b, bEnd, o, lt, &days, daily != nil); err != nil {
						mu.Lock()
						firstErr = cmpErr(firstErr, err)
						mu.Unlock()
					}
					if daily != nil {
						mu.Lock()
						for _, d := range days {
							daily(d)
						}
						mu.Unlock()
					}
				}
			}()
		}
		for _, ss := range active {
			next <- ss
		}
		close(next)
		wg.Wait()
		if firstErr != nil {
			return res, firstErr
		}
	}
	if o.Progress != nil {
		o.Progress(blocks, blocks)
	}
	for _, ss := range sims {
		if !ss.started {
			continue
		}
		t := ss.tot
		if t.Days > 0 {
			t.AvgOnHand = t.sumOnHand / float64(t.Days)
		}
		t.EndStock = ss.onHand
		t.Series = 1
		// The cycle running when the replay ends counts as a cycle.
		t.Cycles++
		if ss.short {
			t.ShortCycles++
		}
		res.PerSeries[ss.s.ID] = t
		res.Total.add(t)
	}
	return res, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// refit forecasts every active series from what it has seen before day b.
func refit(ctx context.Context, active []*simSeries, b model.Date, horizon, maxDays int, o SimOptions) error {
	var in []forecast.Series
	var who []*simSeries
	for _, ss := range active {
		n := int(b - ss.s.Start) // days seen before b
		if n < 1 {
			continue
		}
		fs := forecast.Series{ID: ss.s.ID, Start: ss.s.Start, Freq: forecast.Daily,
			Values: ss.obs[:n:n], Censored: ss.censored[:n:n], Attrs: ss.s.Attrs}
		// Prices are the retailer's own plan, known ahead: the forecast
		// may read them over its horizon.
		if len(ss.s.Prices) >= n {
			fs.Prices = ss.s.Prices[:min(len(ss.s.Prices), n+horizon)]
		}
		in = append(in, fs)
		who = append(who, ss)
	}
	if len(in) == 0 {
		return nil
	}
	res, err := forecast.Run(ctx, in, o.Calendar, forecast.Options{Horizon: horizon, Models: o.Models, Workers: o.Workers,
		Seed: o.Seed, Combine: o.Combine}, nil)
	if err != nil {
		return fmt.Errorf("simulate: forecast before %s: %w", b, err)
	}
	for i := range res {
		if o.reforecast != nil {
			o.reforecast(who[i].s, int(b-who[i].s.Start), &res[i])
		}
		who[i].fc = &res[i]
		who[i].price = 0
		who[i].fcP = Forecast{Days: res[i].Dists, Rho: res[i].Rho}.Prepared()
		if o.SpreadDays > 0 {
			ss := who[i]
			n := int(b - ss.s.Start)
			who[i].fcP.MinVar = SumVariance(ss.obs[:n], ss.censored[:n], o.SpreadDays, maxDays)
			who[i].fcP.ReplaceVar = o.ReplaceVar
		}
		if !o.NoCap {
			ss := who[i]
			n := int(b - ss.s.Start)
			who[i].fcP.MaxVar = historyCap(ss.obs[:n], ss.censored[:n], maxDays)
		}
		who[i].fcDay = int(b - who[i].s.Start)
	}
	return nil
}

// pool sets the marginal price that meets the target across the active
// series with the forecasts made before day b.
func pool(active []*simSeries, b model.Date, o SimOptions, lt forecast.LeadTime) error {
	var items []Levels
	for _, ss := range active {
		lv, _, err := ss.autoLevels(int(b-ss.s.Start)-1, o, lt)
		if err != nil {
			return err
		}
		if lv != nil {
			items = append(items, *lv)
		}
	}
	price := Price(items, o.Service, o.MinService)
	for _, ss := range active {
		ss.price = price
	}
	return nil
}

// play runs one series through the calendar days [b, bEnd].
func (ss *simSeries) play(b, bEnd model.Date, o SimOptions, lt forecast.LeadTime, days *[]SimDay, keep bool) error {
	s := ss.s
	from := max(int(b-s.Start), ss.first)
	to := min(int(bEnd-s.Start), len(s.Values)-1)
	for t := from; t <= to; t++ {
		if !ss.started {
			ss.started = true
			lv, err := ss.level(t-1, o, lt)
			if err != nil {
				return err
			}
			ss.onHand = lv
			ss.tot.StartStock = lv
		}
		var rec int64
		kept := ss.pipe[:0]
		for _, p := range ss.pipe {
			if p.day == t {
				rec += p.qty
			} else {
				kept = append(kept, p)
			}
		}
		ss.pipe = kept
		if rec > 0 {
			ss.onHand += rec
			ss.tot.Received += rec
			ss.tot.Cycles++
			if ss.short {
				ss.tot.ShortCycles++
			}
			ss.short = false
		}
		dem := s.Values[t]
		if math.IsNaN(dem) || dem < 0 {
			dem = 0
		}
		served := math.Min(dem, float64(ss.onHand))
		// Stock is whole units; demand may be fractional in a file, so
		// serve whole units and lose the rest.
		served = math.Floor(served + 1e-9)
		if served > float64(ss.onHand) {
			served = float64(ss.onHand)
		}
		lost := dem - served
		ss.onHand -= int64(served)
		var shrink int64
		if o.Shrink > 0 && ss.onHand > 0 {
			x := float64(ss.onHand)*o.Shrink + ss.rng.Float64()
			shrink = min(ss.onHand, int64(x))
			ss.onHand -= shrink
		}
		ss.obs = append(ss.obs, served)
		ss.censored = append(ss.censored, ss.onHand <= 0)
		ss.tot.Days++
		ss.tot.Demand += dem
		ss.tot.Served += served
		ss.tot.Lost += lost
		ss.tot.Shrinkage += shrink
		ss.tot.sumOnHand += float64(ss.onHand)
		if lost > 1e-9 || ss.onHand <= 0 {
			ss.tot.StockoutDays++
		}
		if lost > 1e-9 {
			ss.short = true
		}
		var ordered int64
		if (t-ss.first)%o.ReviewDays == 0 {
			q, err := ss.decide(t, o, lt)
			if err != nil {
				return err
			}
			if q > 0 {
				l := max(1, int(math.Round(o.LeadMean+o.LeadSD*ss.rng.NormFloat64())))
				if o.LeadSD <= 0 {
					l = max(1, int(math.Round(o.LeadMean)))
				}
				ss.pipe = append(ss.pipe, pending{day: t + l + 1, qty: q})
				ss.tot.Orders++
				ordered = q
			}
		}
		if keep {
			var onOrder int64
			for _, p := range ss.pipe {
				onOrder += p.qty
			}
			*days = append(*days, SimDay{Series: s.ID, Date: s.Start.AddDays(t), Demand: dem, Served: served, Lost: lost,
				Received: rec, Shrink: shrink, OnHand: ss.onHand, OnOrder: onOrder, Ordered: ordered})
		}
	}
	return nil
}

// position is on hand + on order.
func (ss *simSeries) position() int64 {
	p := ss.onHand
	for _, x := range ss.pipe {
		p += x.qty
	}
	return p
}

// level is the stock a policy starts a series with: its order-up-to level
// as of the end of day t.
func (ss *simSeries) level(t int, o SimOptions, lt forecast.LeadTime) (int64, error) {
	switch o.Policy {
	case PolicyAuto:
		lv, p, err := ss.autoLevels(t, o, lt)
		if err != nil || lv == nil {
			return 0, err
		}
		return roundOrder(p, lv.OrderUpTo, 0, Order{}).Qty, nil
	case PolicyMinMax:
		avg := meanObserved(ss.obs, ss.censored, max(0, t+1-o.AvgDays), t+1)
		return int64(math.Ceil(avg * o.MaxDays)), nil
	}
	return int64(math.Ceil(ss.seedAvg * o.LevelDays)), nil
}

func (ss *simSeries) autoLevels(t int, o SimOptions, lt forecast.LeadTime) (*Levels, Policy, error) {
	p := Policy{Service: o.Service, Kind: o.Kind, ReviewDays: o.ReviewDays, LeadTime: lt, PackSize: o.PackSize, MOQ: o.MOQ,
		LostSales: true, Crossing: !o.NoCrossing}
	if ss.fc == nil || len(ss.fc.Dists) == 0 {
		return nil, p, nil
	}
	// The forecast's day 0 is fcDay; tomorrow is t+1.
	lv, err := ComputeLevels(p, ss.fcP.From(t+1-ss.fcDay))
	if err != nil {
		return nil, p, fmt.Errorf("simulate %s: %w", ss.s.ID, err)
	}
	if ss.price > 0 {
		lv = lv.AtPrice(ss.price, o.MinService)
	}
	return &lv, p, nil
}

// decide returns the quantity ordered at the end of day t.
func (ss *simSeries) decide(t int, o SimOptions, lt forecast.LeadTime) (int64, error) {
	pos := ss.position()
	round := func(q int64) int64 {
		if q <= 0 {
			return 0
		}
		p := Policy{PackSize: o.PackSize, MOQ: o.MOQ}
		return roundOrder(p, q, pos, Order{}).Qty
	}
	switch o.Policy {
	case PolicyAuto:
		lv, p, err := ss.autoLevels(t, o, lt)
		if err != nil || lv == nil {
			return 0, err
		}
		return OrderFor(p, *lv, pos).Qty, nil
	case PolicyMinMax:
		avg := meanObserved(ss.obs, ss.censored, max(0, t+1-o.AvgDays), t+1)
		lo, hi := avg*o.MinDays, avg*o.MaxDays
		if float64(pos) <= lo && avg > 0 {
			return round(int64(math.Ceil(hi - float64(pos)))), nil
		}
		return 0, nil
	}
	threshold := ss.seedAvg * o.ThresholdDays
	if float64(ss.onHand) <= 0.8*threshold && ss.seedAvg > 0 {
		return round(int64(math.Ceil(ss.seedAvg*o.LevelDays - float64(pos)))), nil
	}
	return 0, nil
}

// firstSale is the index of the first positive value, or -1.
func firstSale(v []float64) int {
	for i, x := range v {
		if x > 0 {
			return i
		}
	}
	return -1
}

// launch is the index of the first positive value after the last run of
// at least gap days without one (missing days count as no sale), or the
// first positive value when there is no such run or gap < 0; -1 when
// nothing ever sells.
func launch(v []float64, gap int) int {
	first := firstSale(v)
	if first < 0 || gap < 0 {
		return first
	}
	last, run := first, 0
	for i := first; i < len(v); i++ {
		if v[i] > 0 {
			if run >= gap {
				last = i
			}
			run = 0
			continue
		}
		run++
	}
	return last
}

// meanObserved is the mean of v[from:to] over the days not censored and
// not missing; when every day is censored it falls back to all of them.
func meanObserved(v []float64, censored []bool, from, to int) float64 {
	var s float64
	var n int
	for i := from; i < to; i++ {
		if math.IsNaN(v[i]) || (censored != nil && censored[i]) {
			continue
		}
		s += v[i]
		n++
	}
	if n == 0 {
		for i := from; i < to; i++ {
			if !math.IsNaN(v[i]) {
				s += v[i]
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}
