package engine

import (
	"context"
	"errors"
	"sync"

	"stockroom/data"
	"stockroom/model"
)

// The console reads through the engine, never the store: these are the
// queries its screens page through.

// StockPage returns a page of the stock table.
func (e *Engine) StockPage(ctx context.Context, q model.StockQuery) ([]model.StockRow, error) {
	return e.store.StockPage(ctx, q)
}

// StockCount counts the stock rows a query selects.
func (e *Engine) StockCount(ctx context.Context, q model.StockQuery) (int, error) {
	return e.store.StockCount(ctx, q)
}

// RecentDemand returns units sold per day over the last n days to asOf,
// for each item×location (item id, location id).
func (e *Engine) RecentDemand(ctx context.Context, keys [][2]int64, n int, asOf model.Date) (map[[2]int64][]float64, error) {
	return e.store.RecentDemand(ctx, keys, n, asOf)
}

// AsOf is the latest day with data: "today" for the data set.
func (e *Engine) AsOf(ctx context.Context) (model.Date, error) { return e.store.AsOf(ctx) }

// Name is what the console shows as the store's name: its path.
func (e *Engine) Name() string { return e.store.Path() }

// versionPoller holds the connection PRAGMA data_version needs.
type versionPoller struct {
	mu sync.Mutex
	dv *data.DataVersion
}

// Version is a number that changes whenever anyone (this process or
// another) commits to the store. Consoles poll it to refresh live.
func (e *Engine) Version(ctx context.Context) (int64, error) {
	e.vp.mu.Lock()
	defer e.vp.mu.Unlock()
	if e.vp.dv == nil {
		dv, err := e.store.NewDataVersion(ctx)
		if err != nil {
			return 0, err
		}
		e.vp.dv = dv
	}
	return e.vp.dv.Get(ctx)
}

// Close releases what the engine holds in the store (not the store).
func (e *Engine) Close() error {
	e.Settle()
	e.vp.mu.Lock()
	defer e.vp.mu.Unlock()
	if e.vp.dv != nil {
		err := e.vp.dv.Close()
		e.vp.dv = nil
		return err
	}
	return nil
}

// Overview sums the store up for the console's first screen.
func (e *Engine) Overview(ctx context.Context) (model.Overview, error) {
	o, err := e.store.Overview(ctx)
	if err != nil {
		return o, err
	}
	if run, err := e.store.LatestForecastRun(ctx); err == nil {
		o.Forecast = &run
	} else if !errors.Is(err, data.ErrNotFound) {
		return o, err
	}
	tot, err := e.store.ProposalTotals(ctx, model.ProposalQuery{})
	if err != nil {
		return o, err
	}
	o.OpenProposals, o.OpenProposalValue = tot.Count, tot.Value
	if o.PlannedAsOf, err = e.store.PlannedAsOf(ctx); err != nil {
		return o, err
	}
	if o.OpenAnomalies, err = e.OpenAnomalies(ctx); err != nil {
		return o, err
	}
	if o.Alerts, err = e.store.AlertCounts(ctx); err != nil {
		return o, err
	}
	o.TopAlerts, err = e.store.Alerts(ctx, []model.AlertKind{model.AlertOutOfStock, model.AlertBeforeDelivery}, 20)
	return o, err
}

// Imports returns logged imports newest first, before file id before.
func (e *Engine) Imports(ctx context.Context, before int64, limit int) ([]model.ImportFile, error) {
	return e.store.Imports(ctx, before, limit)
}

// Quarantine returns a file's rejected rows after quarantine id after.
func (e *Engine) Quarantine(ctx context.Context, fileID, after int64, limit int) ([]model.QuarantineRow, error) {
	return e.store.Quarantine(ctx, fileID, after, limit)
}

// ErrNotFound is what a lookup of something the store does not hold
// returns (wrapped or not), for callers that say so in their own words.
var ErrNotFound = data.ErrNotFound

// Item returns an item of the catalogue, or ErrNotFound.
func (e *Engine) Item(ctx context.Context, sku string) (model.Item, error) {
	return e.store.Item(ctx, sku)
}

// Movements returns an item's ledger lines at a location ("" for all),
// newest first.
func (e *Engine) Movements(ctx context.Context, sku, location string, limit int) ([]model.Movement, error) {
	return e.store.Movements(ctx, sku, location, limit)
}

// DailyHistory returns an item×location's daily units sold and stock, with
// the days out of stock, up to the store's as-of day.
func (e *Engine) DailyHistory(ctx context.Context, sku, location string) (model.DailyHistory, error) {
	h, err := e.store.History(ctx, sku, location, model.NoDate)
	if err != nil {
		return model.DailyHistory{}, err
	}
	return model.DailyHistory{SKU: h.SKU, Location: h.Location, Start: h.Start, Units: h.Units, Closing: h.Closing,
		Stockout: h.Stockout}, nil
}

// Locations returns every location.
func (e *Engine) Locations(ctx context.Context) ([]model.Location, error) {
	return e.store.Locations(ctx)
}

// Forecast returns an item×location's stored forecast (data.ErrNotFound
// when none has been made).
func (e *Engine) Forecast(ctx context.Context, sku, location string) (model.Forecast, error) {
	return e.store.Forecast(ctx, sku, location)
}

// LatestForecastRun returns the last finished forecast run.
func (e *Engine) LatestForecastRun(ctx context.Context) (model.ForecastRun, error) {
	return e.store.LatestForecastRun(ctx)
}

// PlannedAsOf is the data day of the last recompute of proposals, NoDate
// before the first.
func (e *Engine) PlannedAsOf(ctx context.Context) (model.Date, error) {
	return e.store.PlannedAsOf(ctx)
}

// Levels returns the replenishment levels of the last recompute for the
// given item×locations (item id, location id); keys never planned are
// left out.
func (e *Engine) Levels(ctx context.Context, keys [][2]int64) (map[[2]int64]model.Level, error) {
	return e.store.Levels(ctx, keys)
}
