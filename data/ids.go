package data

import (
	"context"
	"database/sql"
	"sync"
)

// idCache maps codes (sku, location, channel) to row ids. Imports look one
// up per row, so a map beats a query; a miss falls back to the database,
// which another process may have written.
type idCache struct {
	mu       sync.Mutex
	items    map[string]int64
	locs     map[string]int64
	channels map[string]int64
}

func newIDCache() *idCache {
	c := &idCache{}
	c.reset()
	return c
}

func (c *idCache) reset() {
	c.mu.Lock()
	c.items = map[string]int64{}
	c.locs = map[string]int64{}
	c.channels = map[string]int64{}
	c.mu.Unlock()
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// lookup returns the id for code in table, 0 when absent.
func (c *idCache) lookup(ctx context.Context, q querier, m map[string]int64, table, col, code string) (int64, error) {
	c.mu.Lock()
	id, ok := m[code]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	err := q.QueryRowContext(ctx, "SELECT id FROM "+table+" WHERE "+col+" = ?", code).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	m[code] = id
	c.mu.Unlock()
	return id, nil
}

func (c *idCache) item(ctx context.Context, q querier, sku string) (int64, error) {
	return c.lookup(ctx, q, c.items, "item", "sku", sku)
}

func (c *idCache) location(ctx context.Context, q querier, code string) (int64, error) {
	return c.lookup(ctx, q, c.locs, "location", "code", code)
}

// channel returns the channel's id, creating the channel if it is new:
// channels are just names that sales files bring.
func (c *idCache) channel(ctx context.Context, q querier, code string) (int64, error) {
	id, err := c.lookup(ctx, q, c.channels, "channel", "code", code)
	if err != nil || id != 0 {
		return id, err
	}
	if _, err := q.ExecContext(ctx, "INSERT INTO channel(code) VALUES (?) ON CONFLICT DO NOTHING", code); err != nil {
		return 0, err
	}
	return c.lookup(ctx, q, c.channels, "channel", "code", code)
}

func (c *idCache) forget(m map[string]int64, code string) {
	c.mu.Lock()
	delete(m, code)
	c.mu.Unlock()
}
