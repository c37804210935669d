package engine

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"stockroom/data"
	"stockroom/engine/forecast"
	"stockroom/model"
)

// ForecastOptions tune a store-wide forecast run.
type ForecastOptions struct {
	Horizon   int       // days (28)
	Quantiles []float64 // forecast.DefaultQuantiles when empty
	Models    []string  // candidates; empty for all
	Workers   int
	User      string
	// Chunk is how many series are forecast together (the global model is
	// fitted on each chunk): it bounds memory on large stores (20,000).
	Chunk int
	// History is how many recent days each series keeps (730).
	History int
}

// ForecastAll forecasts every item×location of the store from its daily
// history (days out of stock are censored, not zero), with the calendar of
// events and the promotions as prices, and stores each forecast with its
// quantiles, distributions and the backtest scores of every candidate.
// progress sees series done out of all.
func (e *Engine) ForecastAll(ctx context.Context, o ForecastOptions, progress func(done, total int)) (model.ForecastRun, error) {
	if o.Horizon <= 0 {
		o.Horizon = 28
	}
	if o.Chunk <= 0 {
		o.Chunk = 20_000
	}
	if o.History <= 0 {
		o.History = 730
	}
	st := e.store
	asOf, err := st.AsOf(ctx)
	if err != nil {
		return model.ForecastRun{}, err
	}
	if asOf == model.NoDate {
		return model.ForecastRun{}, fmt.Errorf("forecast: the store has no sales or movements yet")
	}
	cal, prices, attrs, err := e.forecastInputs(ctx, asOf, o.Horizon)
	if err != nil {
		return model.ForecastRun{}, err
	}
	total, err := st.StockCount(ctx, model.StockQuery{})
	if err != nil {
		return model.ForecastRun{}, err
	}
	run := model.ForecastRun{Origin: asOf.AddDays(1), Horizon: o.Horizon, User: o.User, Models: map[string]int{}}
	if run.ID, err = st.BeginForecastRun(ctx, run.Origin, o.Horizon, o.User); err != nil {
		return run, err
	}
	acc := &pooled{}
	var chunk []forecast.Series
	keys := map[string][2]int64{}
	names := map[string][2]string{}
	done := 0
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		var batch []model.Forecast
		opt := forecast.Options{Horizon: o.Horizon, Quantiles: o.Quantiles, Models: o.Models, Workers: o.Workers,
			OnResult: func(r forecast.Result) error {
				f, err := toForecast(r, run.ID, keys[r.SeriesID], names[r.SeriesID])
				if err != nil {
					run.Failed++
					return nil
				}
				run.Series++
				run.Models[r.Model]++
				acc.add(f.Model, f.Scores)
				batch = append(batch, f)
				if len(batch) >= 500 {
					err := st.SaveForecasts(ctx, batch)
					batch = batch[:0]
					return err
				}
				return nil
			}}
		base := done
		_, err := forecast.Run(ctx, chunk, cal, opt, func(d, _ int) {
			if progress != nil {
				progress(base+d, total)
			}
		})
		if err != nil {
			return err
		}
		done += len(chunk)
		chunk, keys, names = chunk[:0], map[string][2]int64{}, map[string][2]string{}
		return st.SaveForecasts(ctx, batch)
	}
	today := model.DateOf(e.clock())
	err = st.EachHistory(ctx, asOf, func(h *data.History) error {
		if len(h.Units) == 0 {
			return nil
		}
		dayNotOver(h, today)
		s := seriesOf(h, o.History, prices, attrs, o.Horizon)
		keys[s.ID] = [2]int64{h.ItemID, h.LocID}
		names[s.ID] = [2]string{h.SKU, h.Location}
		chunk = append(chunk, s)
		if len(chunk) >= o.Chunk {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return run, fmt.Errorf("forecast: %w", err)
	}
	run.WAPE, run.MASE, run.Bias = acc.result()
	if err := st.FinishForecastRun(ctx, run); err != nil {
		return run, err
	}
	text := fmt.Sprintf("forecast: %s item×locations, pooled WAPE %.1f%%", model.Thousands(int64(run.Series)), 100*run.WAPE)
	if math.IsNaN(run.WAPE) {
		text = fmt.Sprintf("forecast: %s item×locations, none with a backtest yet", model.Thousands(int64(run.Series)))
	}
	e.hub.Publish(model.Change{Kind: model.ChangeForecasts, Text: text})
	return run, nil
}

// seriesOf turns a store history into a forecast series: the last keep
// days, days out of stock censored, prices over the history and horizon.
func seriesOf(h *data.History, keep int, prices map[string]func(model.Date, string) float64, attrs map[string]map[string]string, horizon int) forecast.Series {
	start := 0
	if len(h.Units) > keep {
		start = len(h.Units) - keep
	}
	s := forecast.Series{ID: h.SKU + "@" + h.Location, Start: h.Start.AddDays(start), Freq: forecast.Daily,
		Values: append([]float64(nil), h.Units[start:]...), Censored: append([]bool(nil), h.Stockout[start:]...),
		Attrs: map[string]string{"location": h.Location}}
	// A day that ended out of stock but sold is still censored: demand was
	// at least that. A day before the first receipt is not in the history.
	for k, v := range attrs[h.SKU] {
		s.Attrs[k] = v
	}
	if p := prices[h.SKU]; p != nil {
		s.Prices = make([]float64, len(s.Values)+horizon)
		for i := range s.Prices {
			s.Prices[i] = p(s.Start.AddDays(i), h.Location)
		}
	}
	return s
}

// forecastInputs reads the calendar, a price function per item (its list
// price, cut by the promotions that cover a day) and item attributes.
func (e *Engine) forecastInputs(ctx context.Context, asOf model.Date, horizon int) (forecast.Calendar, map[string]func(model.Date, string) float64, map[string]map[string]string, error) {
	st := e.store
	events, err := st.Events(ctx)
	if err != nil {
		return forecast.Calendar{}, nil, nil, err
	}
	items, err := st.Items(ctx)
	if err != nil {
		return forecast.Calendar{}, nil, nil, err
	}
	promos, err := st.Promotions(ctx)
	if err != nil {
		return forecast.Calendar{}, nil, nil, err
	}
	bySKU := map[string][]model.Promotion{}
	for _, p := range promos {
		bySKU[p.SKU] = append(bySKU[p.SKU], p)
	}
	prices := map[string]func(model.Date, string) float64{}
	attrs := map[string]map[string]string{}
	for _, it := range items {
		attrs[it.SKU] = map[string]string{"category": it.Category, "supplier": it.Supplier}
		if it.Price <= 0 {
			continue
		}
		list, ps := it.Price, bySKU[it.SKU]
		prices[it.SKU] = func(d model.Date, loc string) float64 {
			best := 0.0
			for _, p := range ps {
				// A promotion on any channel of the location moves the
				// location's demand (channels are summed).
				if d >= p.Start && d <= p.End && (p.Location == "" || p.Location == loc) {
					best = math.Max(best, p.DiscountPct)
				}
			}
			return list * (1 - best/100)
		}
	}
	return forecast.Calendar{Events: events}, prices, attrs, nil
}

func toForecast(r forecast.Result, run int64, key [2]int64, name [2]string) (model.Forecast, error) {
	dists, err := forecast.EncodeDists(r.Dists)
	if err != nil {
		return model.Forecast{}, err
	}
	f := model.Forecast{ItemID: key[0], LocID: key[1], SKU: name[0], Location: name[1], RunID: run, Model: r.Model,
		Params: r.Params, Levels: r.Levels, Point: r.Point, Quantiles: r.Quantiles, Dists: dists, Rho: r.Rho,
		Windows: r.Windows, Note: r.Note}
	if len(r.Periods) > 0 {
		f.Origin = r.Periods[0]
	}
	for _, s := range r.Scores {
		f.Scores = append(f.Scores, model.ModelScore{Model: s.Model, Params: s.Params, Err: s.Err, N: s.N, SPL: s.SPL,
			RMSSE: s.RMSSE, MASE: s.MASE, MAE: s.MAE, RMSE: s.RMSE, WAPE: s.WAPE, Bias: s.Bias, WQL: s.WQL,
			Volume: s.Volume, Coverage: s.Coverage})
	}
	return f, nil
}

// pooled sums the winners' backtest errors over many series: WAPE as
// total absolute error over total volume (a series that sold nothing in
// its windows adds error and no volume), MAE, RMSE and bias by days
// scored, MASE the mean of the series' (it is already scaled).
type pooled struct {
	series                    int
	volume, err, ae, se, days float64
	mase, nMASE               float64
}

// add pools one series' scores of its winning model; a series whose
// winner was not backtested (too short a history) adds nothing.
func (p *pooled) add(winner string, scores []model.ModelScore) {
	for _, s := range scores {
		if s.Model != winner || s.Err != "" || s.N == 0 {
			continue
		}
		p.series++
		if finiteF(s.WAPE) && finiteF(s.Bias) && finiteF(s.MAE) && finiteF(s.RMSE) {
			n := float64(s.N)
			p.volume += s.Volume
			p.err += s.Bias * n
			p.ae += s.MAE * n
			p.se += s.RMSE * s.RMSE * n
			p.days += n
		}
		if finiteF(s.MASE) {
			p.mase += s.MASE
			p.nMASE++
		}
		return
	}
}

// result is the pooled WAPE, mean MASE and bias (mean error, units a
// day). Each is NaN when nothing was backtested to give it (histories too
// short), and WAPE also when the backtests sold nothing: 0 would read as
// a perfect forecast.
func (p *pooled) result() (wape, mase, bias float64) {
	wape, mase, bias = math.NaN(), math.NaN(), math.NaN()
	if p.volume > 0 {
		wape = p.ae / p.volume
	}
	if p.days > 0 {
		bias = p.err / p.days
	}
	if p.nMASE > 0 {
		mase = p.mase / p.nMASE
	}
	return wape, mase, bias
}

func finiteF(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// ForecastAccuracy is the backtest accuracy of one model where it won,
// pooled over one category's item×locations.
type ForecastAccuracy struct {
	Model, Category       string
	Series                int
	MAE, RMSE, MASE, WAPE float64
	Bias                  float64 // mean error, units a day (+: forecasts too high)
}

// ForecastAccuracies pools the stored forecasts' backtest scores by
// winning model and item category ("" for items without one), ordered by
// model then category.
func (e *Engine) ForecastAccuracies(ctx context.Context) ([]ForecastAccuracy, error) {
	type key struct{ model, cat string }
	groups := map[key]*pooled{}
	err := e.store.EachForecastScores(ctx, func(winner, category string, scores []model.ModelScore) error {
		k := key{winner, category}
		if groups[k] == nil {
			groups[k] = &pooled{}
		}
		groups[k].add(winner, scores)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []ForecastAccuracy
	for k, p := range groups {
		if p.series == 0 {
			continue
		}
		wape, mase, bias := p.result()
		a := ForecastAccuracy{Model: k.model, Category: k.cat, Series: p.series, MASE: mase, WAPE: wape, Bias: bias}
		if p.days > 0 {
			a.MAE, a.RMSE = p.ae/p.days, math.Sqrt(p.se/p.days)
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b ForecastAccuracy) int {
		return cmp.Or(cmp.Compare(a.Model, b.Model), cmp.Compare(a.Category, b.Category))
	})
	return out, nil
}
