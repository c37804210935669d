package data

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"stockroom/model"
)

// migrationForecasts creates the tables for stored forecasts: one row per
// item×location (the latest forecast; a new run replaces it) and one per
// run.
const migrationForecasts = `
CREATE TABLE forecast_run(
	id INTEGER PRIMARY KEY,
	started_at INTEGER NOT NULL,
	finished_at INTEGER,
	origin INTEGER NOT NULL,
	horizon INTEGER NOT NULL,
	series INTEGER NOT NULL DEFAULT 0,
	failed INTEGER NOT NULL DEFAULT 0,
	user TEXT NOT NULL DEFAULT '',
	models TEXT NOT NULL DEFAULT '{}',     -- series won per model, JSON
	wape REAL, mase REAL, bias REAL        -- winners' backtest accuracy, pooled
);

CREATE TABLE forecast(
	item_id INTEGER NOT NULL,
	loc_id INTEGER NOT NULL,
	run_id INTEGER NOT NULL REFERENCES forecast_run(id),
	origin INTEGER NOT NULL,
	model TEXT NOT NULL,
	params TEXT NOT NULL DEFAULT '',
	levels TEXT NOT NULL,      -- JSON array of quantile levels
	point BLOB NOT NULL,       -- float32 per day
	quantiles BLOB NOT NULL,   -- float32 per day per level
	dists BLOB NOT NULL,       -- engine/forecast.EncodeDists
	rho REAL NOT NULL DEFAULT 0,
	windows INTEGER NOT NULL DEFAULT 0,
	note TEXT NOT NULL DEFAULT '',
	scores TEXT NOT NULL,      -- JSON: every candidate's backtest scores
	PRIMARY KEY(item_id, loc_id)
) WITHOUT ROWID;
CREATE INDEX forecast_model ON forecast(model);
`

// BeginForecastRun records the start of a forecast run.
func (s *Store) BeginForecastRun(ctx context.Context, origin model.Date, horizon int, user string) (int64, error) {
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, "INSERT INTO forecast_run(started_at, origin, horizon, user) VALUES (?, ?, ?, ?)",
			time.Now().UnixMilli(), int64(origin), horizon, user)
		if err != nil {
			return err
		}
		id, err = r.LastInsertId()
		return err
	})
	return id, err
}

// SaveForecasts stores forecasts (replacing each item×location's previous
// one) in one transaction.
func (s *Store) SaveForecasts(ctx context.Context, fs []model.Forecast) error {
	if len(fs) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		b := newBatcher(tx, `INSERT OR REPLACE INTO forecast(item_id, loc_id, run_id, origin, model, params, levels, point,
			quantiles, dists, rho, windows, note, scores) VALUES `, "", 14, 32)
		defer b.close()
		for _, f := range fs {
			levels, _ := json.Marshal(f.Levels)
			scores, err := json.Marshal(f.Scores)
			if err != nil {
				return err
			}
			var q []float64
			for _, row := range f.Quantiles {
				q = append(q, row...)
			}
			if err := b.add(ctx, f.ItemID, f.LocID, f.RunID, int64(f.Origin), f.Model, f.Params, string(levels),
				f32s(f.Point), f32s(q), f.Dists, finiteOr0(f.Rho), f.Windows, f.Note, string(scores)); err != nil {
				return fmt.Errorf("save forecasts: %w", err)
			}
		}
		return b.flush(ctx)
	})
}

// FinishForecastRun records a run's totals.
func (s *Store) FinishForecastRun(ctx context.Context, run model.ForecastRun) error {
	models, _ := json.Marshal(run.Models)
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE forecast_run SET finished_at = ?, series = ?, failed = ?, models = ?,
			wape = ?, mase = ?, bias = ? WHERE id = ?`, time.Now().UnixMilli(), run.Series, run.Failed, string(models),
			cleanFloat(run.WAPE), cleanFloat(run.MASE), cleanFloat(run.Bias), run.ID)
		return err
	})
}

// LatestForecastRun returns the last finished run, or ErrNotFound.
func (s *Store) LatestForecastRun(ctx context.Context) (model.ForecastRun, error) {
	var r model.ForecastRun
	var started, finished, origin int64
	var models string
	var wape, mase, bias sql.NullFloat64
	err := s.r.QueryRowContext(ctx, `SELECT id, started_at, finished_at, origin, horizon, series, failed, user, models, wape, mase, bias
		FROM forecast_run WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`).Scan(&r.ID, &started, &finished, &origin,
		&r.Horizon, &r.Series, &r.Failed, &r.User, &models, &wape, &mase, &bias)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, err
	}
	r.Started, r.Finished, r.Origin = time.UnixMilli(started), time.UnixMilli(finished), model.Date(origin)
	r.WAPE, r.MASE, r.Bias = nullToNaN(wape), nullToNaN(mase), nullToNaN(bias)
	err = json.Unmarshal([]byte(models), &r.Models)
	return r, err
}

const forecastSelect = `SELECT f.item_id, f.loc_id, i.sku, l.code, f.run_id, f.origin, f.model, f.params, f.levels, f.point,
	f.quantiles, f.dists, f.rho, f.windows, f.note, f.scores FROM forecast f
	JOIN item i ON i.id = f.item_id JOIN location l ON l.id = f.loc_id`

// Forecast returns an item×location's stored forecast, or ErrNotFound.
func (s *Store) Forecast(ctx context.Context, sku, location string) (model.Forecast, error) {
	rows, err := s.r.QueryContext(ctx, forecastSelect+" WHERE i.sku = ? AND l.code = ?", sku, location)
	if err != nil {
		return model.Forecast{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return model.Forecast{}, err
		}
		return model.Forecast{}, ErrNotFound
	}
	return scanForecast(rows)
}

// EachForecastScores calls fn with every stored forecast's winning model,
// its item's category and every candidate's backtest scores, one at a
// time: what accuracy reports pool, without reading the forecasts
// themselves.
func (s *Store) EachForecastScores(ctx context.Context, fn func(winner, category string, scores []model.ModelScore) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT f.model, i.category, f.scores FROM forecast f JOIN item i ON i.id = f.item_id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var winner, category, raw string
		if err := rows.Scan(&winner, &category, &raw); err != nil {
			return err
		}
		var scores []model.ModelScore
		if err := json.Unmarshal([]byte(raw), &scores); err != nil {
			return fmt.Errorf("forecast scores: %w", err)
		}
		if err := fn(winner, category, scores); err != nil {
			return err
		}
	}
	return rows.Err()
}

func scanForecast(rows *sql.Rows) (model.Forecast, error) {
	var f model.Forecast
	var origin int64
	var levels, scores string
	var point, quant []byte
	if err := rows.Scan(&f.ItemID, &f.LocID, &f.SKU, &f.Location, &f.RunID, &origin, &f.Model, &f.Params, &levels, &point,
		&quant, &f.Dists, &f.Rho, &f.Windows, &f.Note, &scores); err != nil {
		return f, err
	}
	f.Origin = model.Date(origin)
	if err := json.Unmarshal([]byte(levels), &f.Levels); err != nil {
		return f, fmt.Errorf("forecast of %s at %s: %w", f.SKU, f.Location, err)
	}
	if err := json.Unmarshal([]byte(scores), &f.Scores); err != nil {
		return f, fmt.Errorf("forecast of %s at %s: %w", f.SKU, f.Location, err)
	}
	f.Point = fromF32s(point)
	q := fromF32s(quant)
	if n := len(f.Levels); n > 0 {
		for i := 0; i+n <= len(q); i += n {
			f.Quantiles = append(f.Quantiles, q[i:i+n])
		}
	}
	return f, nil
}

func f32s(v []float64) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(x)))
	}
	return b
}

func fromF32s(b []byte) []float64 {
	out := make([]float64, len(b)/4)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return out
}

func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// cleanFloat stores NaN and infinities as NULL; nullToNaN reads them back
// as NaN (not known).
func cleanFloat(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// ForecastsFor returns the stored forecasts of the given item×locations
// (item id, location id); keys without one are left out.
func (s *Store) ForecastsFor(ctx context.Context, keys [][2]int64) (map[[2]int64]model.Forecast, error) {
	out := make(map[[2]int64]model.Forecast, len(keys))
	err := eachKeyChunk(keys, func(values string, args []any) error {
		rows, err := s.r.QueryContext(ctx, forecastSelect+" WHERE (f.item_id, f.loc_id) IN (VALUES "+values+")", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			f, err := scanForecast(rows)
			if err != nil {
				return err
			}
			out[[2]int64{f.ItemID, f.LocID}] = f
		}
		return rows.Err()
	})
	return out, err
}
