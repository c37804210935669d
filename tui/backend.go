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
}
