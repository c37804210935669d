package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"stockroom/data"
	"stockroom/engine/forecast"
	"stockroom/engine/replenish"
	"stockroom/model"
)

// Replenishment in the application layer: recompute the reorder proposals
// from the store (Plan), act on them (ActOnProposal and its shortcuts),
// list them for the console (Proposals, ProposalTotals), and close
// purchase orders from receipts (Receive). The policy math is in
// engine/replenish, on plain values.

// Forecaster gives the daily demand forecast a recompute plans from. The
// default (RunForecaster) forecasts on the fly; stored forecasts, once the
// store keeps them, plug in here without touching the rest.
type Forecaster interface {
	// Name says where forecasts come from, for the summary.
	Name() string
	// Forecast returns one forecast per history, in order, each starting
	// the day after the history ends and at least horizon days long.
	Forecast(ctx context.Context, hs []*data.History, horizon int) ([]ItemForecast, error)
}

// ItemForecast is one item×location's daily forecast and how good its
// model was in the backtest.
type ItemForecast struct {
	Days   []forecast.Dist
	Rho    float64
	Model  string
	MAE    float64 // backtest accuracy of the chosen model
	MASE   float64
	WAPE   float64
	N      int  // days the backtest scored
	Stored bool // from a stored forecast run, not made for this recompute
}

// RunForecaster forecasts with forecast.Run from the histories: the fast
// per-series models by default (a recompute of 100,000 item×locations
// must take seconds, not the minutes the global model needs).
type RunForecaster struct {
	Models   []string // forecast candidates (DefaultPlanModels)
	Windows  int      // backtest windows (1)
	Days     int      // history used, most recent days (365)
	Workers  int
	Calendar forecast.Calendar
}

// dayNotOver makes a history's last day missing demand when it is today
// by the clock: a day still being sold in (an intraday feed, a file for
// today) would otherwise read as a day of few sales for every item, and
// pull every forecast down. Its stock still counts; only its demand waits
// for the day to end. The flag is the one a day out of stock carries,
// which the forecasts already treat as missing.
func dayNotOver(h *data.History, today model.Date) {
	if n := len(h.Units); n > 0 && h.End() == today {
		h.Stockout[n-1] = true
	}
}

// DefaultPlanModels are RunForecaster's default candidates.
var DefaultPlanModels = []string{"ses", "sba", "tsb"}

// Name implements Forecaster.
func (f RunForecaster) Name() string {
	if len(f.Models) == 0 {
		return "on the fly (ses or sba by demand pattern, and tsb)"
	}
	return "on the fly (" + strings.Join(f.Models, ",") + ")"
}

// Forecast implements Forecaster.
func (f RunForecaster) Forecast(ctx context.Context, hs []*data.History, horizon int) ([]ItemForecast, error) {
	models := f.Models
	if len(models) == 0 {
		models = DefaultPlanModels
	}
	days := f.Days
	if days <= 0 {
		days = 365
	}
	windows := f.Windows
	if windows <= 0 {
		windows = 1
	}
	out := make([]ItemForecast, len(hs))
	var in []forecast.Series
	var idx []int
	for i, h := range hs {
		n := len(h.Units)
		from := max(0, n-days)
		// A series that never sold (or sold only while out of stock)
		// has nothing to forecast: zero demand.
		if firstSold(h.Units[from:]) < 0 {
			out[i] = zeroForecast(horizon)
			continue
		}
		in = append(in, forecast.Series{ID: h.SKU + "@" + h.Location, Start: h.Start.AddDays(from), Freq: forecast.Daily,
			Values: h.Units[from:n:n], Censored: h.Stockout[from:n:n]})
		idx = append(idx, i)
	}
	if len(in) == 0 {
		return out, nil
	}
	// With the default candidates, each series is offered the models that
	// suit its pattern (Syntetos–Boylan: intermittent when a sale comes
	// less than once in 1.32 observed days): SES for smooth demand, SBA
	// for intermittent, TSB for both. SES on intermittent demand is the
	// costliest fit and the worst; skipping it is a third of the work.
	groups := [][]int{make([]int, len(in))}
	groupModels := [][]string{models}
	if len(f.Models) == 0 {
		groups = [][]int{nil, nil}
		groupModels = [][]string{{"ses", "tsb"}, {"sba", "tsb"}}
		for j, s := range in {
			g := 0
			if intermittent(s.Values, s.Censored) {
				g = 1
			}
			groups[g] = append(groups[g], j)
		}
	} else {
		for j := range in {
			groups[0][j] = j
		}
	}
	res := make([]forecast.Result, len(in))
	for g, members := range groups {
		if len(members) == 0 {
			continue
		}
		sub := make([]forecast.Series, len(members))
		for k, j := range members {
			sub[k] = in[j]
		}
		r, err := forecast.Run(ctx, sub, f.Calendar, forecast.Options{Horizon: horizon, Models: groupModels[g], Windows: windows,
			Workers: f.Workers, Combine: 1}, nil)
		if err != nil {
			return nil, fmt.Errorf("forecast: %w", err)
		}
		for k, j := range members {
			res[j] = r[k]
		}
	}
	for j, r := range res {
		fc := ItemForecast{Days: r.Dists, Rho: r.Rho, Model: r.Model}
		for _, s := range r.Scores {
			if s.Model == r.Model && s.Err == "" {
				fc.MAE, fc.MASE, fc.WAPE, fc.N = s.MAE, s.MASE, s.WAPE, s.N
				break
			}
		}
		if len(fc.Days) == 0 {
			fc = zeroForecast(horizon)
		}
		out[idx[j]] = fc
	}
	return out, nil
}

// intermittent reports whether a series sells on fewer than one observed
// day in 1.32 (days out of stock are not observed).
func intermittent(units []float64, censored []bool) bool {
	var obs, pos float64
	for i, v := range units {
		if i < len(censored) && censored[i] {
			continue
		}
		obs++
		if v > 0 {
			pos++
		}
	}
	return obs > 0 && pos/obs < 1/1.32
}

// QuickForecaster fits one model per series without a backtest: SBA
// (Croston with the bias correction, negative binomial) for intermittent
// demand, simple exponential smoothing (Gaussian) otherwise, each with its
// own predictive distribution. It is several times faster than
// RunForecaster and has no backtest accuracy to show; errors across days
// are taken as uncorrelated (Rho 0).
type QuickForecaster struct {
	Days    int // history used, most recent days (365)
	Workers int
}

// Name implements Forecaster.
func (f QuickForecaster) Name() string { return "quick (sba or ses, no backtest)" }

// Forecast implements Forecaster.
func (f QuickForecaster) Forecast(ctx context.Context, hs []*data.History, horizon int) ([]ItemForecast, error) {
	days := f.Days
	if days <= 0 {
		days = 365
	}
	workers := f.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sba, err := forecast.NewModel("sba")
	if err != nil {
		return nil, err
	}
	ses, err := forecast.NewModel("ses")
	if err != nil {
		return nil, err
	}
	out := make([]ItemForecast, len(hs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = quickOne(hs[i], days, horizon, sba, ses)
			}
		}()
	}
	for i := range hs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return out, ctx.Err()
}

func quickOne(h *data.History, days, horizon int, sba, ses forecast.Model) ItemForecast {
	n := len(h.Units)
	from := max(0, n-days)
	if firstSold(h.Units[from:]) < 0 {
		return zeroForecast(horizon)
	}
	s := &forecast.Series{ID: h.SKU + "@" + h.Location, Start: h.Start.AddDays(from), Freq: forecast.Daily,
		Values: h.Units[from:n:n], Censored: h.Stockout[from:n:n]}
	fh := forecast.NewHistory(s)
	var obs, pos float64
	for _, v := range fh.Y {
		if !math.IsNaN(v) {
			obs++
			if v > 0 {
				pos++
			}
		}
	}
	m := ses
	if obs > 0 && pos/obs < 1/1.32 {
		m = sba
	}
	fit, err := m.Fit(fh)
	if err != nil && m != sba {
		m = sba
		fit, err = m.Fit(fh)
	}
	if err != nil {
		return zeroForecast(horizon)
	}
	p := fit.Predict(fh, horizon)
	if len(p.Dists) == 0 {
		p.Dists = make([]forecast.Dist, len(p.Mean))
		for i, mu := range p.Mean {
			p.Dists[i] = forecast.NegBin{Mu: math.Max(0, mu)}
		}
	}
	if len(p.Dists) == 0 {
		return zeroForecast(horizon)
	}
	return ItemForecast{Days: p.Dists, Model: m.Name() + " (quick)"}
}

func zeroForecast(horizon int) ItemForecast {
	days := make([]forecast.Dist, max(horizon, 1))
	for i := range days {
		days[i] = forecast.NegBin{}
	}
	return ItemForecast{Days: days, Model: "none (no sales)"}
}

func firstSold(u []float64) int {
	for i, v := range u {
		if v > 0 {
			return i
		}
	}
	return -1
}

// PlanOptions tunes a recompute. The zero value plans with the defaults.
type PlanOptions struct {
	// Service is the target per ABC class (by revenue over the last
	// year): A 0.98, B 0.95, C 0.90 unless set. Policy rules in the store
	// override it per class, category, supplier or item.
	Service map[string]float64
	// ClassA and ClassB are the cumulative revenue shares that end the A
	// and B classes (0.80, 0.95).
	ClassA, ClassB float64
	Kind           replenish.ServiceKind // what the target measures (fill rate)
	ReviewDays     int                   // days between recomputes the stock must bridge (1)
	// LeadTimeDays and LeadTimeSD are the lead time of items whose
	// supplier gives none (7 ± 2 days).
	LeadTimeDays, LeadTimeSD float64
	TransferDays             float64 // how long a transfer between locations takes (2)
	OverstockDays            float64 // cover above which stock is overstock (model.OverCoverDays)
	DeadDays                 int     // days without a sale that make stock dead (model.DeadDays)
	RejectHoldDays           int     // days a rejection keeps a new proposal away (7)
	// Backorders plans for customers who wait when an item is out; by
	// default unmet demand is lost.
	Backorders bool
	// SameLateness plans as if consecutive orders were late together;
	// by default each order's lead time varies on its own.
	SameLateness bool
	Forecaster   Forecaster // StoredForecaster falling back to RunForecaster when nil
	Workers      int
	User         string
	Now          time.Time
	// Progress, when set, is called with item×locations done of total.
	Progress func(done, total int)
}

func (o *PlanOptions) defaults(store *data.Store) {
	svc := map[string]float64{"A": 0.98, "B": 0.95, "C": 0.90}
	for k, v := range o.Service {
		svc[k] = v
	}
	o.Service = svc
	if o.ClassA <= 0 {
		o.ClassA = 0.80
	}
	if o.ClassB <= o.ClassA {
		o.ClassB = 0.95
	}
	if o.ReviewDays <= 0 {
		o.ReviewDays = 1
	}
	if o.LeadTimeDays <= 0 {
		o.LeadTimeDays, o.LeadTimeSD = 7, 2
	}
	if o.TransferDays <= 0 {
		o.TransferDays = 2
	}
	if o.OverstockDays <= 0 {
		o.OverstockDays = model.OverCoverDays
	}
	if o.DeadDays <= 0 {
		o.DeadDays = model.DeadDays
	}
	if o.RejectHoldDays == 0 {
		o.RejectHoldDays = 7
	}
	if o.Forecaster == nil {
		o.Forecaster = StoredForecaster{Store: store, Fallback: RunForecaster{Workers: o.Workers}}
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.User == "" {
		o.User = "plan"
	}
}

// PlanSummary is what a recompute found and did.
type PlanSummary struct {
	AsOf          model.Date              `json:"-"`
	AsOfText      string                  `json:"as_of"`
	ItemLocations int                     `json:"item_locations"`
	Purchases     int                     `json:"purchases"` // item×locations that need a purchase
	Transfers     int                     `json:"transfers"` // … that a transfer covers
	Units         int64                   `json:"units"`
	Value         float64                 `json:"value"`
	BudgetCut     int                     `json:"budget_cut"` // proposals cut or dropped by a supplier budget
	Proposals     data.PlanResult         `json:"proposals"`
	Alerts        map[model.AlertKind]int `json:"alerts"`
	Forecaster    string                  `json:"forecaster"`
	Seconds       float64                 `json:"seconds"`
	// NotSelling counts the item×locations with stock that has not sold
	// for DeadDays: nothing is proposed for them (see decide).
	NotSelling int `json:"not_selling"`
	// Delisted counts the item×locations of items the catalogue delisted
	// (items' delisted_on): nothing is reordered for them.
	Delisted int `json:"delisted"`
	// DemandAhead is the forecasts' mean demand over the next 28 days and
	// DemandBehind the units sold in the last 28 (days observed), summed
	// over every item×location: why a recompute buys more or less than
	// the last weeks' sales suggest (a season the forecasts see coming).
	DemandAhead  float64 `json:"demand_next_28d"`
	DemandBehind float64 `json:"demand_last_28d"`
	// BehindDays is how many days DemandBehind covers: 28, or fewer on a
	// store whose history is younger.
	BehindDays int `json:"demand_last_days"`
	// StoredForecasts counts the item×locations planned with a stored
	// forecast (the last `forecast --db` run); the rest were forecast on
	// the fly.
	StoredForecasts int `json:"stored_forecasts"`
}

// planItem is one item×location during a recompute.
type planItem struct {
	info     *data.PlanItem
	hist     *data.History
	fc       ItemForecast
	policy   replenish.Policy
	class    string
	pos      replenish.Position
	levels   replenish.Levels
	order    replenish.Order
	out      int // projected stockout day (0: not within a year)
	lead     float64
	lastDay  int  // index of the last sale in the history; -1 never
	notSold  int  // days since the last sale when over DeadDays, else 0
	delisted bool // the catalogue delisted it
	stale    bool // delisted, or stock unsold for DeadDays: nothing is proposed
	row      *data.PlanRow
	alerts   []data.AlertRow
	err      error
}

// Plan recomputes the reorder proposals of every item×location: it
// forecasts demand, works out the policy levels for the item's service
// target, nets the position against open orders and transfers, proposes a
// transfer from a location holding more than its order-up-to level before
// a purchase, applies supplier budgets, and writes the proposals and
// alerts in one transaction (data.Store.ApplyPlan).
func (e *Engine) Plan(ctx context.Context, opt PlanOptions) (PlanSummary, error) {
	if opt.Now.IsZero() {
		opt.Now = e.clock()
	}
	opt.defaults(e.store)
	start := time.Now()
	st := e.store
	asOf, err := st.AsOf(ctx)
	if err != nil {
		return PlanSummary{}, err
	}
	sum := PlanSummary{AsOf: asOf, AsOfText: asOf.String(), Forecaster: opt.Forecaster.Name(), Alerts: map[model.AlertKind]int{}}
	if asOf == model.NoDate {
		return sum, errors.New("plan: the store has no stock data yet: import movements or sales first")
	}
	// Receipts imported since the last recompute close their lines
	// first, so the position is netted against what is really open.
	if _, err := st.ReceivePOs(ctx); err != nil {
		return sum, fmt.Errorf("plan: receive: %w", err)
	}
	infos, err := st.PlanItems(ctx, asOf)
	if err != nil {
		return sum, err
	}
	rules, err := st.Policies(ctx)
	if err != nil {
		return sum, err
	}
	lines, err := st.OpenLines(ctx)
	if err != nil {
		return sum, err
	}
	classes := classify(infos, opt.ClassA, opt.ClassB)
	net := netLines(lines, opt, asOf)
	resolver := newPolicyResolver(rules)

	// The forecast reaches 28 days; the policy repeats the last day's
	// distribution beyond (as forecast.SumDist does). The fast models'
	// forecasts are flat, and a backtest as long as the longest lead time
	// would cost more than the rest of the recompute.
	const horizon = 28

	today := model.DateOf(opt.Now)
	// Histories stream from one read transaction in batches that keep an
	// item's locations together (transfers need them side by side).
	const batchSize = 1024
	batches := make(chan []*planItem, 1)
	readErr := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		var b []*planItem
		var lastItem int64 = -1
		err := st.EachHistory(rctx, asOf, func(h *data.History) error {
			if len(b) >= batchSize && h.ItemID != lastItem {
				select {
				case batches <- b:
				case <-rctx.Done():
					return rctx.Err()
				}
				b = nil
			}
			lastItem = h.ItemID
			info := infos[[2]int64{h.ItemID, h.LocID}]
			if info == nil {
				return nil
			}
			// Keep only what planning reads: a batch of full histories
			// would hold every channel's series and daily closings.
			h.ByChannel, h.Closing = nil, nil
			dayNotOver(h, today)
			b = append(b, &planItem{info: info, hist: h, class: classes[[2]int64{h.ItemID, h.LocID}]})
			return nil
		})
		if err == nil && len(b) > 0 {
			select {
			case batches <- b:
			case <-rctx.Done():
				err = rctx.Err()
			}
		}
		readErr <- err
	}()

	var needs []*planItem
	var alerts []data.AlertRow
	levels := make([]data.LevelRow, 0, len(infos))
	done := 0
	for b := range batches {
		hs := make([]*data.History, len(b))
		for i, it := range b {
			hs[i] = it.hist
		}
		fcs, err := opt.Forecaster.Forecast(ctx, hs, horizon)
		if err != nil {
			cancel()
			for range batches {
			}
			<-readErr
			return sum, err
		}
		for i, it := range b {
			it.fc = fcs[i]
		}
		e.decideBatch(b, opt, resolver, net, asOf)
		for _, g := range byItem(b) {
			planTransfers(g, opt)
			for _, it := range g {
				if it.err != nil {
					cancel()
					for range batches {
					}
					<-readErr
					return sum, fmt.Errorf("plan %s at %s: %w", it.info.SKU, it.info.Location, it.err)
				}
				sum.ItemLocations++
				switch {
				case it.delisted:
					sum.Delisted++
				case it.stale:
					sum.NotSelling++
				}
				levels = append(levels, levelOf(it, asOf))
				if it.fc.Stored {
					sum.StoredForecasts++
				}
				if d := it.levels.DailyMean; finiteF(d) { // plan --json cannot carry a NaN
					sum.DemandAhead += 28 * d
				}
				sum.DemandBehind += lastDays(it.hist, 28)
				if it.hist != nil {
					sum.BehindDays = max(sum.BehindDays, min(28, len(it.hist.Units)))
				}
				if it.row != nil {
					needs = append(needs, it)
				}
				alerts = append(alerts, it.alerts...)
				it.hist, it.fc = nil, ItemForecast{} // memory: only needs are kept
			}
		}
		done += len(b)
		if opt.Progress != nil {
			opt.Progress(done, len(infos))
		}
	}
	if err := <-readErr; err != nil {
		return sum, fmt.Errorf("plan: read histories: %w", err)
	}
	sum.BudgetCut = applyBudgets(needs, resolver)
	rows := make([]data.PlanRow, 0, len(needs))
	for _, it := range needs {
		rows = append(rows, *it.row)
	}
	for _, r := range rows {
		if r.Qty <= 0 {
			continue
		}
		if r.Kind == model.ProposalTransfer {
			sum.Transfers++
		} else {
			sum.Purchases++
		}
		sum.Units += r.Qty
		sum.Value += float64(r.Qty) * r.UnitCost
	}
	for _, a := range alerts {
		sum.Alerts[a.Kind]++
	}
	res, err := st.ApplyPlan(ctx, asOf, rows, alerts, data.PlanOptions{RejectHoldDays: opt.RejectHoldDays, User: opt.User, Now: opt.Now, Levels: levels})
	if err != nil {
		return sum, fmt.Errorf("plan: %w", err)
	}
	sum.Proposals = res
	sum.Seconds = time.Since(start).Seconds()
	e.hub.Publish(model.Change{Kind: model.ChangeProposals, Text: fmt.Sprintf("proposals recomputed: %d new, %d changed, %d withdrawn",
		res.Created, res.Updated, res.Withdrawn)})
	return sum, nil
}

// lastDays sums the units sold over a history's last n days, leaving out
// days not observed (NaN: a day still being sold in).
func lastDays(h *data.History, n int) float64 {
	if h == nil {
		return 0
	}
	var s float64
	for _, u := range h.Units[max(0, len(h.Units)-n):] {
		if !math.IsNaN(u) {
			s += u
		}
	}
	return s
}

// byItem splits a batch into runs of one item (histories come ordered by
// item, then location).
func byItem(b []*planItem) [][]*planItem {
	var out [][]*planItem
	for i := 0; i < len(b); {
		j := i + 1
		for j < len(b) && b[j].info.ItemID == b[i].info.ItemID {
			j++
		}
		out = append(out, b[i:j])
		i = j
	}
	return out
}

// decideBatch works out each item×location's levels, order and alerts,
// spread over the workers.
func (e *Engine) decideBatch(b []*planItem, opt PlanOptions, pr *policyResolver, net map[[2]int64]*netPos, asOf model.Date) {
	var wg sync.WaitGroup
	next := make(chan *planItem)
	for range opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				decide(it, opt, pr, net, asOf)
			}
		}()
	}
	for _, it := range b {
		next <- it
	}
	close(next)
	wg.Wait()
}

// decide computes one item×location's proposal (before transfers and
// budgets) and its alerts.
func decide(it *planItem, opt PlanOptions, pr *policyResolver, net map[[2]int64]*netPos, asOf model.Date) {
	info := it.info
	k := [2]int64{info.ItemID, info.LocID}
	pol := pr.resolve(info, it.class, opt)
	it.policy = pol.policy
	it.lead = pol.leadMean
	it.pos = replenish.Position{OnHand: info.OnHand}
	if n := net[k]; n != nil {
		it.pos.OnOrder, it.pos.Committed, it.pos.Arrivals = n.onOrder, n.committed, n.arrivals
	}
	f := replenish.Forecast{Days: it.fc.Days, Rho: it.fc.Rho, MaxVar: replenish.HistoryCap(it.hist.Units, it.hist.Stockout, it.policy)}
	lv, err := replenish.ComputeLevels(it.policy, f)
	if err != nil {
		it.err = err
		return
	}
	it.levels = lv
	it.order = replenish.OrderFor(it.policy, lv, it.pos.Net())
	it.out = replenish.Projection(f, it.pos, int(math.Round(it.lead)), 365)
	it.lastDay = -1
	for i := len(it.hist.Units) - 1; i >= 0; i-- {
		if it.hist.Units[i] > 0 {
			it.lastDay = i
			break
		}
	}
	// Stock on the shelf that has not sold for DeadDays is dead: most
	// often a delisted item. Its forecast still comes from when it sold
	// (carried through any days out of stock, which censoring rightly
	// treats as unknown demand), so its levels still ask for stock; buying
	// more is the one thing not to do. Nothing is proposed (an open
	// proposal is withdrawn) until it sells again; only its dead-stock
	// alert is raised. With nothing on the shelf the same silence may be a
	// delisted item or one nobody reordered: that is proposed, and its
	// reasons say how long it has not sold (Reasons.NotSold).
	// A delisted item is never reordered, whatever it has on hand: the
	// catalogue says so, which is better than any silence.
	if last := info.LastSale; last != model.NoDate && int(asOf-last) > opt.DeadDays {
		it.notSold = int(asOf - last)
	}
	it.delisted = info.Delisted != model.NoDate && info.Delisted <= asOf
	it.stale = it.delisted || (info.OnHand > 0 && it.notSold > 0)
	it.alerts = alertsFor(it, opt, asOf)
	if it.order.Qty <= 0 || it.stale {
		return
	}
	u := urgency(it.out, it.lead)
	if it.notSold > 0 {
		// Out and unsold for months: its demand is a guess (it may be
		// delisted), so it queues after everything known to sell rather
		// than at the top with the real stockouts.
		u = urgency(0, it.lead)
	}
	it.row = &data.PlanRow{ItemID: info.ItemID, LocID: info.LocID, Kind: model.ProposalPurchase, Supplier: info.Supplier,
		Qty: it.order.Qty, UnitCost: info.UnitCost, Urgency: u, Reasons: reasonsFor(it, asOf)}
}

// urgency is the days of slack before a stockout that an order placed now
// can still prevent: negative when it is already too late.
func urgency(out int, lead float64) float64 {
	if out <= 0 {
		return 366 - lead
	}
	return float64(out) - lead
}

func reasonsFor(it *planItem, asOf model.Date) model.Reasons {
	lv, pos, p := it.levels, it.pos, it.policy
	ltMean, ltSD := ltMoments(p.LeadTime)
	r := model.Reasons{
		Model: it.fc.Model, ForecastMAE: it.fc.MAE, ForecastMASE: it.fc.MASE, ForecastWAPE: it.fc.WAPE, BacktestDays: it.fc.N,
		DailyMean: lv.DailyMean, HorizonDays: ltMean + float64(p.ReviewDays), HorizonMean: lv.Horizon.Mean(), HorizonSD: lv.Horizon.SD(),
		LeadTimeDays: it.lead, LeadTimeSD: ltSD, ReviewDays: p.ReviewDays, Class: it.class, Service: p.Service,
		ServiceKind: p.Kind.String(), OnHand: pos.OnHand, OnOrder: pos.OnOrder, Committed: pos.Committed, Position: pos.Net(),
		SafetyStock: lv.SafetyStock, ReorderPoint: lv.ReorderPoint, OrderUpTo: lv.OrderUpTo, EOQ: lv.EOQ,
		RawQty: it.order.Raw, Rounding: it.order.Rounding, MOQ: p.MOQ,
		CoverBefore: finite(replenish.Cover(float64(pos.Net()), lv.DailyMean)),
		CoverAfter:  finite(replenish.Cover(float64(pos.Net()+it.order.Qty), lv.DailyMean)),
	}
	if p.PackSize > 1 {
		r.PackSize = p.PackSize
	}
	if it.out > 0 {
		r.StockoutDate = asOf.AddDays(it.out).String()
	}
	r.NotSold = it.notSold
	for _, a := range it.alerts {
		r.Alerts = append(r.Alerts, a.Kind)
	}
	return r
}

// levelOf is what the stock table and the item screen show of an
// item×location's policy.
func levelOf(it *planItem, asOf model.Date) data.LevelRow {
	lv, p := it.levels, it.policy
	_, ltSD := ltMoments(p.LeadTime)
	row := data.LevelRow{ItemID: it.info.ItemID, LocID: it.info.LocID, Level: model.Level{
		AsOf: asOf, Class: it.class, Service: p.Service, ServiceKind: p.Kind.String(), DailyMean: lv.DailyMean,
		Model: it.fc.Model, LeadTimeDays: it.lead, LeadTimeSD: ltSD, ReviewDays: p.ReviewDays,
		SafetyStock: lv.SafetyStock, ReorderPoint: lv.ReorderPoint, OrderUpTo: lv.OrderUpTo, EOQ: lv.EOQ,
	}}
	if it.delisted {
		// Nothing is reordered for it: a reorder point would mark it due
		// in the stock table (and under position<rop) for ever.
		row.SafetyStock, row.ReorderPoint, row.OrderUpTo, row.EOQ = 0, 0, 0, 0
	}
	return row
}

func ltMoments(lt forecast.LeadTime) (float64, float64) {
	var s, m, m2 float64
	for i, k := range lt.Periods {
		s += lt.Prob[i]
		m += lt.Prob[i] * float64(k)
		m2 += lt.Prob[i] * float64(k) * float64(k)
	}
	if s <= 0 {
		return 0, 0
	}
	m /= s
	return m, math.Sqrt(math.Max(0, m2/s-m*m))
}

// finite keeps JSON encodable: no cover is shown as model.NoCover.
func finite(v float64) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) || v > model.NoCover {
		return model.NoCover
	}
	return v
}

// alertsFor raises an item×location's alerts.
func alertsFor(it *planItem, opt PlanOptions, asOf model.Date) []data.AlertRow {
	info, lv, pos := it.info, it.levels, it.pos
	var out []data.AlertRow
	add := func(k model.AlertKind, v float64, format string, args ...any) {
		out = append(out, data.AlertRow{ItemID: info.ItemID, LocID: info.LocID, Kind: k, Value: v, Detail: fmt.Sprintf(format, args...)})
	}
	daily := lv.DailyMean
	if it.stale {
		// Out of stock, running out and below reorder rest on a forecast
		// from when it sold.
		daily = 0
	}
	if pos.OnHand <= 0 && daily > 0 {
		// A slow mover's 0.04 a day is not "0.0".
		prec := 1
		if daily < 1 {
			prec = 2
		}
		add(model.AlertOutOfStock, daily, "nothing on hand; %.*f a day forecast", prec, daily)
	}
	if pos.OnHand > 0 && it.out > 0 && float64(it.out) <= it.lead && !it.stale {
		add(model.AlertBeforeDelivery, float64(it.out), "runs out in %d days; an order placed now takes %.0f", it.out, it.lead)
	}
	if pos.Net() < lv.ReorderPoint && !it.stale {
		add(model.AlertBelowReorder, float64(lv.ReorderPoint-pos.Net()), "position %d below reorder point %d", pos.Net(), lv.ReorderPoint)
	}
	if pos.OnHand > 0 && daily > 0 {
		if c := float64(pos.Net()) / daily; c > opt.OverstockDays {
			add(model.AlertOverstock, c, "%.0f days of cover (over %.0f)", c, opt.OverstockDays)
		}
	}
	if pos.OnHand > 0 {
		last := info.LastSale
		switch {
		case last == model.NoDate && int(asOf-info.FirstDate) > opt.DeadDays:
			// Stock first held within DeadDays is a new listing, not dead.
			add(model.AlertDeadStock, model.NoCover, "%d on hand, never sold here since %s", pos.OnHand, info.FirstDate)
		case int(asOf-last) > opt.DeadDays:
			add(model.AlertDeadStock, float64(asOf-last), "%d on hand, no sale for %d days (last %s)", pos.OnHand, asOf-last, last)
		}
	}
	return out
}

// planTransfers turns purchases into transfers where another location of
// the item holds stock above its own order-up-to level: the donor keeps
// its order-up-to level, and the transfer must at least lift the
// receiver to its reorder point (else buying is still needed, and one
// proposal per item×location means it must be the purchase).
func planTransfers(g []*planItem, opt PlanOptions) {
	if len(g) < 2 {
		return
	}
	excess := make([]int64, len(g))
	for i, it := range g {
		if it.err != nil || it.row != nil {
			continue
		}
		avail := it.pos.OnHand - it.pos.Committed
		over := it.pos.Net() - it.levels.OrderUpTo
		excess[i] = max(0, min(avail, over))
	}
	needs := make([]int, 0, len(g))
	for i, it := range g {
		if it.row != nil {
			needs = append(needs, i)
		}
	}
	sort.SliceStable(needs, func(a, b int) bool { return g[needs[a]].row.Urgency < g[needs[b]].row.Urgency })
	for _, i := range needs {
		it := g[i]
		best := -1
		for j := range g {
			if excess[j] > 0 && (best < 0 || excess[j] > excess[best]) {
				best = j
			}
		}
		if best < 0 {
			return
		}
		short := it.levels.ReorderPoint - it.pos.Net()
		if excess[best] < short {
			continue
		}
		q := min(it.order.Raw, excess[best])
		excess[best] -= q
		donor := g[best]
		it.row.Kind = model.ProposalTransfer
		it.row.FromLocID = donor.info.LocID
		it.row.Qty = q
		it.row.Urgency = urgency(it.out, opt.TransferDays)
		it.row.Reasons.Transfer = fmt.Sprintf("%s holds %d over its order-up-to level %d", donor.info.Location,
			donor.pos.Net()-donor.levels.OrderUpTo, donor.levels.OrderUpTo)
		it.row.Reasons.Rounding = ""
		it.row.Reasons.CoverAfter = finite(replenish.Cover(float64(it.pos.Net()+q), it.levels.DailyMean))
	}
}

// applyBudgets keeps each supplier's purchases within its budget, most
// urgent first: the proposal that crosses the budget is cut to whole
// packs that fit (if that still meets the MOQ), the rest are dropped. It
// returns how many were cut or dropped.
func applyBudgets(needs []*planItem, pr *policyResolver) int {
	bySup := map[string][]*planItem{}
	for _, it := range needs {
		if it.row.Kind == model.ProposalPurchase && !math.IsNaN(pr.budget(it.row.Supplier)) {
			bySup[it.row.Supplier] = append(bySup[it.row.Supplier], it)
		}
	}
	cut := 0
	for sup, its := range bySup {
		left := pr.budget(sup)
		slices.SortStableFunc(its, func(a, b *planItem) int {
			return cmp.Or(cmp.Compare(a.row.Urgency, b.row.Urgency), cmp.Compare(a.info.ItemID, b.info.ItemID), cmp.Compare(a.info.LocID, b.info.LocID))
		})
		for _, it := range its {
			r := it.row
			v := float64(r.Qty) * r.UnitCost
			if v <= left+1e-9 {
				left -= v
				continue
			}
			cut++
			q := int64(0)
			if r.UnitCost > 0 {
				q = int64(math.Floor(left/r.UnitCost + 1e-9))
				if pack := it.policy.PackSize; pack > 1 {
					q = q / pack * pack
				}
				if q < it.policy.MOQ {
					q = 0
				}
			}
			r.Reasons.Budget = fmt.Sprintf("budget of %s: %.2f left, %d→%d", sup, left, r.Qty, q)
			r.Qty = q
			left -= float64(q) * r.UnitCost
		}
	}
	return cut
}

// netPos is what open purchase order lines add to an item×location.
type netPos struct {
	onOrder, committed int64
	arrivals           []replenish.Arrival
}

// netLines sums the open lines per item×location: inbound as on order
// (expected after the lead time from when the order was sent, or created),
// outbound transfers not yet shipped as committed at their source.
func netLines(lines []data.OpenLine, opt PlanOptions, asOf model.Date) map[[2]int64]*netPos {
	out := map[[2]int64]*netPos{}
	get := func(k [2]int64) *netPos {
		n := out[k]
		if n == nil {
			n = &netPos{}
			out[k] = n
		}
		return n
	}
	today := model.DateOf(opt.Now)
	for _, l := range lines {
		left := max(0, l.Qty-l.Received)
		if left > 0 {
			n := get([2]int64{l.ItemID, l.LocID})
			n.onOrder += left
			placed := l.Sent
			if placed.IsZero() {
				placed = l.Created
			}
			lead := opt.LeadTimeDays
			if l.FromLocID != 0 {
				lead = opt.TransferDays
			}
			// Days since the order went out count against its lead time;
			// the data's as-of day lags the clock by the import delay.
			since := int(today - model.DateOf(placed))
			day := max(1, int(math.Round(lead))-since)
			n.arrivals = append(n.arrivals, replenish.Arrival{Day: day, Qty: left})
		}
		if l.FromLocID != 0 {
			if unshipped := max(0, l.Qty-l.Shipped); unshipped > 0 {
				get([2]int64{l.ItemID, l.FromLocID}).committed += unshipped
			}
		}
	}
	return out
}

// classify gives each item×location its ABC class by revenue over the
// last year: A up to share a of the total, B up to b, C the rest (and
// everything that sold nothing).
func classify(infos map[[2]int64]*data.PlanItem, a, b float64) map[[2]int64]string {
	type kv struct {
		k [2]int64
		v float64
	}
	var all []kv
	var total float64
	for k, p := range infos {
		v := p.Revenue
		all = append(all, kv{k, v})
		total += math.Max(0, v)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].v != all[j].v {
			return all[i].v > all[j].v
		}
		return all[i].k[0] < all[j].k[0] || all[i].k[0] == all[j].k[0] && all[i].k[1] < all[j].k[1]
	})
	out := make(map[[2]int64]string, len(all))
	var cum float64
	for _, x := range all {
		// An item×location is in the class its revenue starts in.
		share := 1.0
		if total > 0 {
			share = cum / total
		}
		switch {
		case x.v <= 0:
			out[x.k] = "C"
		case share < a:
			out[x.k] = "A"
		case share < b:
			out[x.k] = "B"
		default:
			out[x.k] = "C"
		}
		cum += math.Max(0, x.v)
	}
	return out
}

// policyResolver applies the store's policy rules, narrowest scope last.
type policyResolver struct {
	rules map[string]map[string]data.PolicyRule // scope → key → rule
}

func newPolicyResolver(rules []data.PolicyRule) *policyResolver {
	pr := &policyResolver{rules: map[string]map[string]data.PolicyRule{}}
	for _, r := range rules {
		if pr.rules[r.Scope] == nil {
			pr.rules[r.Scope] = map[string]data.PolicyRule{}
		}
		pr.rules[r.Scope][r.Key] = r
	}
	return pr
}

type resolvedPolicy struct {
	policy   replenish.Policy
	leadMean float64
}

func (pr *policyResolver) resolve(info *data.PlanItem, class string, opt PlanOptions) resolvedPolicy {
	service := opt.Service[class]
	if service == 0 {
		service = opt.Service["C"]
	}
	review := opt.ReviewDays
	lead, sd := info.LeadTimeDays, info.LeadTimeSD
	if lead <= 0 {
		lead, sd = opt.LeadTimeDays, opt.LeadTimeSD
	}
	var maxStock int64
	orderCost, holding := math.NaN(), math.NaN()
	for _, sc := range []struct{ scope, key string }{{"default", ""}, {"class", class}, {"category", info.Category},
		{"supplier", info.Supplier}, {"item", info.SKU}} {
		r, ok := pr.rules[sc.scope][sc.key]
		if !ok {
			continue
		}
		if !math.IsNaN(r.Service) {
			service = r.Service
		}
		if r.ReviewDays > 0 {
			review = int(r.ReviewDays)
		}
		if !math.IsNaN(r.LeadTimeDays) {
			lead = r.LeadTimeDays
		}
		if !math.IsNaN(r.LeadTimeSDDays) {
			sd = r.LeadTimeSDDays
		}
		if r.MaxStock >= 0 {
			maxStock = r.MaxStock
		}
		if !math.IsNaN(r.OrderCost) {
			orderCost = r.OrderCost
		}
		if !math.IsNaN(r.HoldingRate) {
			holding = r.HoldingRate
		}
	}
	p := replenish.Policy{Service: service, Kind: opt.Kind, ReviewDays: review, LeadTime: replenish.LeadTimeDist(lead, sd),
		PackSize: max(info.PackSize, 1), MOQ: max(info.MOQ, info.SupplierMOQ), MaxStock: maxStock,
		LostSales: !opt.Backorders, Crossing: !opt.SameLateness}
	if !math.IsNaN(orderCost) && !math.IsNaN(holding) && info.UnitCost > 0 {
		p.OrderCost, p.HoldingCost = orderCost, holding*info.UnitCost
	}
	return resolvedPolicy{policy: p, leadMean: lead}
}

func (pr *policyResolver) budget(supplier string) float64 {
	if r, ok := pr.rules["supplier"][supplier]; ok {
		return r.Budget
	}
	return math.NaN()
}

// Proposals returns the proposals a query selects, most urgent first.
func (e *Engine) Proposals(ctx context.Context, q model.ProposalQuery) ([]model.Proposal, error) {
	return e.store.Proposals(ctx, q)
}

// ProposalCount counts the proposals a query selects.
func (e *Engine) ProposalCount(ctx context.Context, q model.ProposalQuery) (int, error) {
	return e.store.ProposalCount(ctx, q)
}

// Proposal returns one proposal with its reasons.
func (e *Engine) Proposal(ctx context.Context, id int64) (model.Proposal, error) {
	return e.store.Proposal(ctx, id)
}

// ProposalTotals sums the proposals a query selects (count, units, value,
// value per supplier), for a confirmation before acting on many.
func (e *Engine) ProposalTotals(ctx context.Context, q model.ProposalQuery) (model.ProposalTotals, error) {
	return e.store.ProposalTotals(ctx, q)
}

// ProposalAudit returns who did what to a proposal, oldest first.
func (e *Engine) ProposalAudit(ctx context.Context, id int64) ([]data.AuditEntry, error) {
	return e.store.ProposalAudit(ctx, id)
}

// ActOnProposal applies one person's action (approve, reject, snooze,
// edit) stating the version they saw; see data.Store.ActOnProposal. On a
// conflict the error wraps model.ErrProposalStale or
// model.ErrProposalTransition and nothing changed.
func (e *Engine) ActOnProposal(ctx context.Context, id int64, r model.ProposalRequest) (model.Proposal, error) {
	p, err := e.store.ActOnProposal(ctx, id, r)
	if err != nil {
		return p, err
	}
	done := map[model.ProposalAction]string{model.ActApprove: "approved", model.ActReject: "rejected",
		model.ActSnooze: "snoozed", model.ActEdit: "quantity changed"}[r.Action]
	if done == "" {
		done = string(r.Action)
	}
	text := fmt.Sprintf("proposal %d (%s at %s): %s by %s", id, p.SKU, p.Location, done, person(r.User))
	if p.PO != "" {
		text += " on " + p.PO
	}
	e.hub.Publish(model.Change{Kind: model.ChangeProposals, Text: text})
	e.proposalAction(r.Action)
	return p, nil
}

// person is who the live feed names for an audited user: the name
// without the SSH key's fingerprint (model.Actor's " (SHA256:…)"), which
// the audit trail keeps and which would fill a status line.
func person(user string) string {
	name, _, _ := strings.Cut(user, " (SHA256:")
	return name
}

// Approve approves a proposal the person saw at version (0: any), with
// qty (0: as proposed); the approval adds one line to the supplier's open
// purchase order.
func (e *Engine) Approve(ctx context.Context, id, version, qty int64, user string) (model.Proposal, error) {
	return e.ActOnProposal(ctx, id, model.ProposalRequest{Action: model.ActApprove, Version: version, Qty: qty, User: user})
}

// Reject rejects a proposal with a reason.
func (e *Engine) Reject(ctx context.Context, id, version int64, user, reason string) (model.Proposal, error) {
	return e.ActOnProposal(ctx, id, model.ProposalRequest{Action: model.ActReject, Version: version, User: user, Note: reason})
}

// Snooze hides a proposal until a day; the first recompute on or after it
// proposes it again (with fresh numbers).
func (e *Engine) Snooze(ctx context.Context, id, version int64, user string, until model.Date) (model.Proposal, error) {
	return e.ActOnProposal(ctx, id, model.ProposalRequest{Action: model.ActSnooze, Version: version, User: user, Until: until})
}

// EditQty changes a proposal's quantity before approval; recomputes keep
// the edited quantity while the proposal stays the same kind.
func (e *Engine) EditQty(ctx context.Context, id, version, qty int64, user string) (model.Proposal, error) {
	return e.ActOnProposal(ctx, id, model.ProposalRequest{Action: model.ActEdit, Version: version, Qty: qty, User: user})
}

// ActResult is the outcome of one proposal in a batch action.
type ActResult struct {
	ID       int64
	Proposal model.Proposal
	Err      error // nil, or a conflict wrapping model.ErrProposalStale / ErrProposalTransition
}

// ActOnProposals applies the same action to many proposals (the marked
// rows of the console), each in its own transaction with the version its
// row showed: a conflict on one leaves the others alone.
func (e *Engine) ActOnProposals(ctx context.Context, versions map[int64]int64, r model.ProposalRequest) []ActResult {
	ids := make([]int64, 0, len(versions))
	for id := range versions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]ActResult, 0, len(ids))
	for _, id := range ids {
		req := r
		req.Version = versions[id]
		p, err := e.ActOnProposal(ctx, id, req)
		out = append(out, ActResult{ID: id, Proposal: p, Err: err})
	}
	return out
}

// PurchaseOrders returns purchase orders with their lines, newest first.
func (e *Engine) PurchaseOrders(ctx context.Context, states []model.POState) ([]model.PurchaseOrder, error) {
	return e.store.PurchaseOrders(ctx, states)
}

// SendPO marks an open purchase order as sent to its supplier.
func (e *Engine) SendPO(ctx context.Context, id, version int64, user string) error {
	if err := e.store.SendPO(ctx, id, version, user, time.Time{}); err != nil {
		return err
	}
	e.hub.Publish(model.Change{Kind: model.ChangeProposals, Text: fmt.Sprintf("purchase order %d sent by %s", id, person(user))})
	return nil
}

// Receive matches imported receipts against open purchase order lines
// (see data.Store.ReceivePOs).
func (e *Engine) Receive(ctx context.Context) (data.ReceiveResult, error) {
	r, err := e.store.ReceivePOs(ctx)
	if err != nil {
		return r, err
	}
	if r.Lines > 0 {
		e.hub.Publish(model.Change{Kind: model.ChangeProposals, Text: fmt.Sprintf("received %d units on %d order lines; %d orders complete",
			r.Units, r.Lines, r.OrdersIn)})
	}
	return r, nil
}

// Alerts returns the alerts of the last recompute, most urgent first.
func (e *Engine) Alerts(ctx context.Context, kinds []model.AlertKind, limit int) ([]model.Alert, error) {
	return e.store.Alerts(ctx, kinds, limit)
}

// AlertCounts counts the alerts of the last recompute per kind.
func (e *Engine) AlertCounts(ctx context.Context) (map[model.AlertKind]int, error) {
	return e.store.AlertCounts(ctx)
}

// ReplenishStep is the pipeline step for replenishment: after an import it
// closes purchase order lines the new receipts complete and, once proposals
// are in use (a plan has run on this store), has them recomputed behind
// the import (at most one recompute at a time, the next one at least
// replanGap later; Engine.Settle and Close wait for it).
func ReplenishStep() Step {
	return Step{Name: "replenish", Run: func(ctx context.Context, e *Engine, imported []data.FileResult) error {
		if _, err := e.Receive(ctx); err != nil {
			return err
		}
		planned, err := e.store.PlannedAsOf(ctx)
		if err != nil || planned == model.NoDate {
			return err
		}
		e.requestPlan(ctx)
		return nil
	}}
}
