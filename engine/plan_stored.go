package engine

import (
	"context"
	"fmt"

	"stockroom/data"
	"stockroom/engine/forecast"
)

// StoredForecaster plans from the forecasts the last forecast run stored
// (stockroom forecast --db, or serve's nightly refit): the same models,
// quantiles and backtest scores the item screen shows, so a proposal's
// reasons match what a planner sees. An item×location without a stored
// forecast, or whose forecast is more than MaxAgeDays behind its history,
// is forecast by Fallback instead.
type StoredForecaster struct {
	Store      *data.Store
	MaxAgeDays int        // 14 when zero
	Fallback   Forecaster // RunForecaster{} when nil
}

// Name implements Forecaster.
func (f StoredForecaster) Name() string { return "stored forecasts, else " + f.fallback().Name() }

func (f StoredForecaster) fallback() Forecaster {
	if f.Fallback == nil {
		return RunForecaster{}
	}
	return f.Fallback
}

// minStoredDays is the fewest days a stored forecast must still cover
// from the day after the history to be used.
const minStoredDays = 7

// Forecast implements Forecaster.
func (f StoredForecaster) Forecast(ctx context.Context, hs []*data.History, horizon int) ([]ItemForecast, error) {
	maxAge := f.MaxAgeDays
	if maxAge <= 0 {
		maxAge = 14
	}
	keys := make([][2]int64, len(hs))
	for i, h := range hs {
		keys[i] = [2]int64{h.ItemID, h.LocID}
	}
	stored, err := f.Store.ForecastsFor(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("stored forecasts: %w", err)
	}
	out := make([]ItemForecast, len(hs))
	var missing, used []int
	var rho []float64
	var windows []int
	for i, h := range hs {
		sf, ok := stored[keys[i]]
		if !ok {
			missing = append(missing, i)
			continue
		}
		// The forecast's first day should be the day after the history;
		// a forecast made a few days ago is used from today on.
		off := int(h.End().AddDays(1) - sf.Origin)
		dists, err := forecast.DecodeDists(sf.Dists)
		if err != nil || off < 0 || off > maxAge || len(dists)-off < minStoredDays {
			missing = append(missing, i)
			continue
		}
		fc := ItemForecast{Days: dists[off:], Rho: sf.Rho, Model: fmt.Sprintf("%s (run %d)", sf.Model, sf.RunID), Stored: true}
		for j, s := range sf.Scores {
			if s.Model == sf.Model || j == 0 {
				fc.MAE, fc.MASE, fc.WAPE, fc.N = s.MAE, s.MASE, s.WAPE, s.N
			}
			if s.Model == sf.Model {
				break
			}
		}
		out[i] = fc
		used = append(used, i)
		rho, windows = append(rho, sf.Rho), append(windows, sf.Windows)
	}
	// Stored one by one as the run streamed them: pooled here, as Run
	// pools what it returns whole.
	forecast.PoolRho(rho, windows)
	for k, i := range used {
		out[i].Rho = rho[k]
	}
	if len(missing) == 0 {
		return out, nil
	}
	sub := make([]*data.History, len(missing))
	for j, i := range missing {
		sub[j] = hs[i]
	}
	fcs, err := f.fallback().Forecast(ctx, sub, horizon)
	if err != nil {
		return nil, err
	}
	for j, i := range missing {
		out[i] = fcs[j]
	}
	return out, nil
}
