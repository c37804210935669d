// Package tui is stockroom's console: a Bubble Tea program with one model
// per screen and a root that routes between them. It reads the store only
// through the Backend interface (the engine), renders only visible rows,
// and refreshes live when anyone commits.
package tui

import (
	"context"

	"stockroom/model"
)

// Backend is what the console needs from the engine.
type Backend interface {
	StockPage(ctx context.Context, q model.StockQuery) ([]model.StockRow, error)
	StockCount(ctx context.Context, q model.StockQuery) (int, error)
	// RecentDemand returns units sold per day over the n days ending at
	// asOf, oldest first, keyed by (item id, location id).
	RecentDemand(ctx context.Context, keys [][2]int64, n int, asOf model.Date) (map[[2]int64][]float64, error)
	AsOf(ctx context.Context) (model.Date, error)
	// Version changes whenever anyone commits to the store.
	Version(ctx context.Context) (int64, error)
	// Subscribe delivers changes published in this process.
	Subscribe() (<-chan model.Change, func())
	Name() string

	Locations(ctx context.Context) ([]model.Location, error)
	Overview(ctx context.Context) (model.Overview, error)
	// Imports returns logged imports newest first, before file id before
	// (0: from the newest).
	Imports(ctx context.Context, before int64, limit int) ([]model.ImportFile, error)
	// Quarantine returns a file's rejected rows after quarantine id after.
	Quarantine(ctx context.Context, fileID, after int64, limit int) ([]model.QuarantineRow, error)
	Item(ctx context.Context, sku string) (model.Item, error)
	// Movements returns ledger lines newest first (location "" for all).
	Movements(ctx context.Context, sku, location string, limit int) ([]model.Movement, error)
	DailyHistory(ctx context.Context, sku, location string) (model.DailyHistory, error)
	// Forecast returns an item×location's stored forecast; an error when
	// there is none.
	Forecast(ctx context.Context, sku, location string) (model.Forecast, error)
	LatestForecastRun(ctx context.Context) (model.ForecastRun, error)
	// Levels returns the replenishment levels of the last recompute
	// (reorder point, policy) by (item id, location id).
	Levels(ctx context.Context, keys [][2]int64) (map[[2]int64]model.Level, error)
	routesBackend
	anomaliesBackend
	proposalsBackend
}
