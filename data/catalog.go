package data

import (
	"context"
	"database/sql"
	"math"

	"stockroom/model"
)

const itemCols = `sku, name, category, uom, unit_cost, price, supplier, pack_size, moq, delisted, version`

func scanItem(r interface{ Scan(...any) error }) (model.Item, error) {
	var it model.Item
	var delisted sql.NullInt64
	err := r.Scan(&it.SKU, &it.Name, &it.Category, &it.UOM, &it.UnitCost, &it.Price, &it.Supplier, &it.PackSize, &it.MOQ, &delisted, &it.Version)
	it.Delisted = nullToDate(delisted)
	return it, err
}

// Items returns the catalogue in sku order.
func (s *Store) Items(ctx context.Context) ([]model.Item, error) {
	return queryAll(ctx, s.r, `SELECT `+itemCols+` FROM item ORDER BY sku`, func(rows *sql.Rows) (model.Item, error) {
		return scanItem(rows)
	})
}

// ItemsBySKU returns the catalogue's items among skus, by sku (unknown
// skus are left out), a few hundred per query: what a check of a few
// findings or one file needs, without reading the whole catalogue.
func (s *Store) ItemsBySKU(ctx context.Context, skus []string) (map[string]model.Item, error) {
	out := make(map[string]model.Item, len(skus))
	for lo := 0; lo < len(skus); lo += idsPerQuery {
		part := skus[lo:min(lo+idsPerQuery, len(skus))]
		args := make([]any, len(part))
		for i, sku := range part {
			args[i] = sku
		}
		items, err := queryAll(ctx, s.r, `SELECT `+itemCols+` FROM item WHERE sku IN (`+placeholders(len(part))+`)`,
			func(rows *sql.Rows) (model.Item, error) { return scanItem(rows) }, args...)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			out[it.SKU] = it
		}
	}
	return out, nil
}

// Item returns one item by sku, or ErrNotFound.
func (s *Store) Item(ctx context.Context, sku string) (model.Item, error) {
	it, err := scanItem(s.r.QueryRowContext(ctx, `SELECT `+itemCols+` FROM item WHERE sku = ?`, sku))
	if err == sql.ErrNoRows {
		return it, ErrNotFound
	}
	return it, err
}

// Locations returns every location in code order.
func (s *Store) Locations(ctx context.Context) ([]model.Location, error) {
	return queryAll(ctx, s.r, "SELECT code, name, kind, lat, lon FROM location ORDER BY code", func(rows *sql.Rows) (model.Location, error) {
		var l model.Location
		var lat, lon sql.NullFloat64
		err := rows.Scan(&l.Code, &l.Name, &l.Kind, &lat, &lon)
		l.Lat, l.Lon = nullToNaN(lat), nullToNaN(lon)
		return l, err
	})
}

// Suppliers returns every supplier in code order.
func (s *Store) Suppliers(ctx context.Context) ([]model.Supplier, error) {
	return queryAll(ctx, s.r, "SELECT code, name, lead_time_days, lead_time_sd_days, moq FROM supplier ORDER BY code", func(rows *sql.Rows) (model.Supplier, error) {
		var v model.Supplier
		err := rows.Scan(&v.Code, &v.Name, &v.LeadTimeDays, &v.LeadTimeSDays, &v.MOQ)
		return v, err
	})
}

// Channels returns every channel code.
func (s *Store) Channels(ctx context.Context) ([]string, error) {
	return queryAll(ctx, s.r, "SELECT code FROM channel ORDER BY code", func(rows *sql.Rows) (string, error) {
		var c string
		err := rows.Scan(&c)
		return c, err
	})
}

// Events returns the calendar in date order.
func (s *Store) Events(ctx context.Context) ([]model.Event, error) {
	return queryAll(ctx, s.r, "SELECT date, name, kind, applies_to FROM event ORDER BY date, name", func(rows *sql.Rows) (model.Event, error) {
		var e model.Event
		err := rows.Scan(&e.Date, &e.Name, &e.Kind, &e.AppliesTo)
		return e, err
	})
}

// Promotions returns every promotion in start order.
func (s *Store) Promotions(ctx context.Context) ([]model.Promotion, error) {
	return queryAll(ctx, s.r, "SELECT sku, location, channel, start, end, discount_pct FROM promotion ORDER BY start, sku, location, channel", func(rows *sql.Rows) (model.Promotion, error) {
		var p model.Promotion
		err := rows.Scan(&p.SKU, &p.Location, &p.Channel, &p.Start, &p.End, &p.DiscountPct)
		return p, err
	})
}

// RoadNodes returns the road network's junctions.
func (s *Store) RoadNodes(ctx context.Context) ([]model.RoadNode, error) {
	return queryAll(ctx, s.r, "SELECT id, lat, lon FROM road_node ORDER BY id", func(rows *sql.Rows) (model.RoadNode, error) {
		var n model.RoadNode
		err := rows.Scan(&n.ID, &n.Lat, &n.Lon)
		return n, err
	})
}

// RoadEdges returns the road network's segments.
func (s *Store) RoadEdges(ctx context.Context) ([]model.RoadEdge, error) {
	return queryAll(ctx, s.r, "SELECT from_id, to_id, length_m, speed_kmh, oneway FROM road_edge ORDER BY from_id, to_id", func(rows *sql.Rows) (model.RoadEdge, error) {
		var e model.RoadEdge
		err := rows.Scan(&e.From, &e.To, &e.LengthM, &e.SpeedKmh, &e.OneWay)
		return e, err
	})
}

// Vehicles returns the fleet, of one depot or (depot "") all.
func (s *Store) Vehicles(ctx context.Context, depot string) ([]model.Vehicle, error) {
	return queryAll(ctx, s.r, `SELECT id, depot, capacity, shift_start_min, shift_end_min, max_duration_min FROM vehicle
		WHERE ? = '' OR depot = ? ORDER BY id`, func(rows *sql.Rows) (model.Vehicle, error) {
		var v model.Vehicle
		err := rows.Scan(&v.ID, &v.Depot, &v.Capacity, &v.ShiftStartMin, &v.ShiftEndMin, &v.MaxDurationMin)
		return v, err
	}, depot, depot)
}

// Deliveries returns the deliveries of a depot on a day (depot "" = all
// depots; date NoDate = all days).
func (s *Store) Deliveries(ctx context.Context, depot string, date model.Date) ([]model.Delivery, error) {
	return queryAll(ctx, s.r, `SELECT id, date, depot, customer, lat, lon, demand, service_min, ready_min, due_min FROM delivery
		WHERE (? = '' OR depot = ?) AND (? = ? OR date = ?) ORDER BY date, id`, func(rows *sql.Rows) (model.Delivery, error) {
		var d model.Delivery
		err := rows.Scan(&d.ID, &d.Date, &d.Depot, &d.Customer, &d.Lat, &d.Lon, &d.Demand, &d.ServiceMin, &d.ReadyMin, &d.DueMin)
		return d, err
	}, depot, depot, int64(date), int64(model.NoDate), int64(date))
}

func nullToNaN(v sql.NullFloat64) float64 {
	if !v.Valid {
		return math.NaN()
	}
	return v.Float64
}
