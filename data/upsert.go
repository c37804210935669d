package data

import (
	"context"
	"database/sql"
	"fmt"
	"math"

	"stockroom/model"
)

// upsertSQL writes one row of a reference kind, replacing the row with the
// same natural key. Catalogue rows that change get a new version, so an
// action taken on what someone saw can tell it changed since.
var upsertSQL = map[Kind]string{
	KindLocations: `INSERT INTO location(code, name, kind, lat, lon) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(code) DO UPDATE SET name = excluded.name, kind = excluded.kind, lat = excluded.lat, lon = excluded.lon`,
	KindSuppliers: `INSERT INTO supplier(code, name, lead_time_days, lead_time_sd_days, moq) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(code) DO UPDATE SET name = excluded.name, lead_time_days = excluded.lead_time_days,
			lead_time_sd_days = excluded.lead_time_sd_days, moq = excluded.moq, version = version + 1
		WHERE (name, lead_time_days, lead_time_sd_days, moq) IS NOT (excluded.name, excluded.lead_time_days,
			excluded.lead_time_sd_days, excluded.moq)`,
	KindItems: `INSERT INTO item(sku, name, category, uom, unit_cost, price, supplier, pack_size, moq, delisted)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(sku) DO UPDATE SET name = excluded.name, category = excluded.category, uom = excluded.uom,
			unit_cost = excluded.unit_cost, price = excluded.price, supplier = excluded.supplier,
			pack_size = excluded.pack_size, moq = excluded.moq, delisted = excluded.delisted, placeholder = 0, version = version + 1
		WHERE (name, category, uom, unit_cost, price, supplier, pack_size, moq, delisted, placeholder) IS NOT
			(excluded.name, excluded.category, excluded.uom, excluded.unit_cost, excluded.price, excluded.supplier,
			excluded.pack_size, excluded.moq, excluded.delisted, 0)`,
	KindEvents: `INSERT INTO event(date, name, kind, applies_to) VALUES (?, ?, ?, ?)
		ON CONFLICT(date, name, applies_to) DO UPDATE SET kind = excluded.kind`,
	KindPromotions: `INSERT INTO promotion(sku, location, channel, start, end, discount_pct) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(sku, location, channel, start) DO UPDATE SET end = excluded.end, discount_pct = excluded.discount_pct`,
	KindNodes: `INSERT INTO road_node(id, lat, lon) VALUES (?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon`,
	KindRoads: `INSERT INTO road_edge(from_id, to_id, length_m, speed_kmh, oneway) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(from_id, to_id) DO UPDATE SET length_m = excluded.length_m, speed_kmh = excluded.speed_kmh, oneway = excluded.oneway`,
	KindVehicles: `INSERT INTO vehicle(id, depot, capacity, shift_start_min, shift_end_min, max_duration_min) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET depot = excluded.depot, capacity = excluded.capacity, shift_start_min = excluded.shift_start_min,
			shift_end_min = excluded.shift_end_min, max_duration_min = excluded.max_duration_min`,
	KindDeliveries: `INSERT INTO delivery(id, date, depot, customer, lat, lon, demand, service_min, ready_min, due_min)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET date = excluded.date, depot = excluded.depot, customer = excluded.customer,
			lat = excluded.lat, lon = excluded.lon, demand = excluded.demand, service_min = excluded.service_min,
			ready_min = excluded.ready_min, due_min = excluded.due_min`,
}

// nullDate stores NoDate as NULL.
func nullDate(d model.Date) any {
	if d == model.NoDate {
		return nil
	}
	return int64(d)
}

// nullToDate reads back what nullDate stored.
func nullToDate(v sql.NullInt64) model.Date {
	if !v.Valid {
		return model.NoDate
	}
	return model.Date(v.Int64)
}

func nullFloat(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}

func (im *importer) applyUpsert(ctx context.Context, p *parsed, v any) (*rowError, error) {
	var args []any
	switch v := v.(type) {
	case model.Location:
		args = []any{v.Code, v.Name, string(v.Kind), nullFloat(v.Lat), nullFloat(v.Lon)}
		defer im.s.ids.forget(im.s.ids.locs, v.Code)
	case model.Supplier:
		args = []any{v.Code, v.Name, v.LeadTimeDays, v.LeadTimeSDays, v.MOQ}
	case model.Item:
		args = []any{v.SKU, v.Name, v.Category, v.UOM, v.UnitCost, v.Price, v.Supplier, v.PackSize, v.MOQ, nullDate(v.Delisted)}
	case model.Event:
		args = []any{int64(v.Date), v.Name, v.Kind, v.AppliesTo}
	case model.Promotion:
		ok, err := im.known(ctx, "item", "sku", v.SKU)
		if err != nil {
			return nil, err
		}
		if !ok {
			return im.rowErr(p, "sku", fmt.Sprintf("unknown sku %q", v.SKU)), nil
		}
		if v.Location != "" {
			if ok, err = im.known(ctx, "location", "code", v.Location); err != nil {
				return nil, err
			} else if !ok {
				return im.rowErr(p, "location", fmt.Sprintf("unknown location %q", v.Location)), nil
			}
		}
		args = []any{v.SKU, v.Location, v.Channel, int64(v.Start), int64(v.End), v.DiscountPct}
	case model.RoadNode:
		args = []any{v.ID, v.Lat, v.Lon}
	case model.RoadEdge:
		ow := 0
		if v.OneWay {
			ow = 1
		}
		args = []any{v.From, v.To, v.LengthM, v.SpeedKmh, ow}
	case model.Vehicle:
		if ok, err := im.known(ctx, "location", "code", v.Depot); err != nil {
			return nil, err
		} else if !ok {
			return im.rowErr(p, "depot", fmt.Sprintf("unknown location %q", v.Depot)), nil
		}
		args = []any{v.ID, v.Depot, v.Capacity, v.ShiftStartMin, v.ShiftEndMin, v.MaxDurationMin}
	case model.Delivery:
		if ok, err := im.known(ctx, "location", "code", v.Depot); err != nil {
			return nil, err
		} else if !ok {
			return im.rowErr(p, "depot", fmt.Sprintf("unknown location %q", v.Depot)), nil
		}
		args = []any{v.ID, int64(v.Date), v.Depot, v.Customer, v.Lat, v.Lon, v.Demand, v.ServiceMin, v.ReadyMin, v.DueMin}
	default:
		return nil, fmt.Errorf("import: no writer for %T", v)
	}
	if _, err := im.upsert.ExecContext(ctx, args...); err != nil {
		return nil, fmt.Errorf("write %s: %w", im.kind, err)
	}
	im.res.RowsOK++
	return nil, nil
}

func (im *importer) known(ctx context.Context, table, col, code string) (bool, error) {
	var n int
	err := im.tx.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE "+col+" = ?", code).Scan(&n)
	return n > 0, err
}
