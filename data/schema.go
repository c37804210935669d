package data

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migration is one step of the schema. Steps are applied in order, each
// once, and recorded by name in schema_migration. Never edit a step that has
// shipped; add a new one. Each capability keeps its step in its own file.
type migration struct {
	name string
	ddl  string
	// fn, when set, runs after ddl in the same transaction: for steps that
	// rewrite data SQL cannot (encoded blobs). It reports how far it is
	// through progress (never nil).
	fn func(context.Context, *sql.Tx, func(done, total int64)) error
}

// Progress is told how far a long schema step is: its name, the units done
// and their total (keys, rows). Opening a store from before a step that
// rewrites data can take minutes on a big store.
type Progress func(step string, done, total int64)

var migrations = []migration{
	{"0001_ledger", migrationLedger, nil},
	{"0002_forecasts", migrationForecasts, nil},
	{"0003_replenishment", migrationReplenishment, nil},
	{"0004_anomalies", migrationAnomalies, nil},
	{"0005_routes", migrationRoutes, nil},
	{"0006_levels", migrationLevels, nil},
	{"0007_natural_keys", migrationNaturalKeys, convertKeys},
	{"0008_route_problems", migrationRouteProblems, nil},
	{"0009_item_delisted", migrationItemDelisted, nil},
	{"0010_count_day", migrationCountDay, nil},
}

// migrationCountDay finds the latest count at once: an import checks it
// before anything else to know whether a line needs a count held.
const migrationCountDay = `CREATE INDEX count_result_date ON count_result(date);`

// migrationItemDelisted keeps the day an item leaves the catalogue (NULL
// while it is listed): the planner reorders nothing delisted.
const migrationItemDelisted = `ALTER TABLE item ADD COLUMN delisted INTEGER;`

// migrationRouteProblems keeps why a stored route plan is not feasible
// (one limit a line), so whoever opens it later sees why, not only that.
const migrationRouteProblems = `ALTER TABLE route_plan ADD COLUMN problems TEXT NOT NULL DEFAULT '';`

// migrationLedger: catalogue, imports, the ledger and its aggregates.
const migrationLedger = `
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE supplier(
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	lead_time_days REAL NOT NULL DEFAULT 0,
	lead_time_sd_days REAL NOT NULL DEFAULT 0,
	moq INTEGER NOT NULL DEFAULT 0,
	version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE item(
	id INTEGER PRIMARY KEY,
	sku TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL DEFAULT '',
	uom TEXT NOT NULL DEFAULT 'ea',
	unit_cost REAL NOT NULL DEFAULT 0,
	price REAL NOT NULL DEFAULT 0,
	supplier TEXT NOT NULL DEFAULT '',
	pack_size INTEGER NOT NULL DEFAULT 1,
	moq INTEGER NOT NULL DEFAULT 0,
	placeholder INTEGER NOT NULL DEFAULT 0, -- created by --create-items, not by the catalogue
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX item_name ON item(name);
CREATE INDEX item_category ON item(category, sku);

CREATE TABLE location(
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL DEFAULT 'warehouse',
	lat REAL,
	lon REAL
);

CREATE TABLE channel(id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);

-- One row per import attempt of a file, committed in the file's transaction.
CREATE TABLE file(
	id INTEGER PRIMARY KEY,
	path TEXT NOT NULL,
	kind TEXT NOT NULL DEFAULT '',
	format TEXT NOT NULL DEFAULT '',
	hash TEXT NOT NULL,
	size INTEGER NOT NULL DEFAULT 0,
	rows_ok INTEGER NOT NULL DEFAULT 0,
	rows_duplicate INTEGER NOT NULL DEFAULT 0,
	rows_rejected INTEGER NOT NULL DEFAULT 0,
	duplicate_of INTEGER REFERENCES file(id),
	error TEXT NOT NULL DEFAULT '',
	user TEXT NOT NULL DEFAULT '',
	started_at INTEGER NOT NULL,
	finished_at INTEGER NOT NULL
);
CREATE INDEX file_hash ON file(hash);
CREATE INDEX file_finished ON file(finished_at);

CREATE TABLE quarantine(
	id INTEGER PRIMARY KEY,
	file_id INTEGER NOT NULL REFERENCES file(id),
	line INTEGER NOT NULL,
	col TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL,
	raw TEXT NOT NULL DEFAULT ''
);
CREATE INDEX quarantine_file ON quarantine(file_id, line);

-- The ledger. Movements are packed into blocks: one block holds the
-- movements of one item from one import (or one user action), see
-- ledger.go. Blocks are only ever inserted.
CREATE TABLE ledger_block(
	id INTEGER PRIMARY KEY,
	item_id INTEGER NOT NULL REFERENCES item(id),
	file_id INTEGER REFERENCES file(id),
	user TEXT NOT NULL DEFAULT '',
	min_date INTEGER NOT NULL,
	max_date INTEGER NOT NULL,
	n INTEGER NOT NULL,
	net INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	data BLOB NOT NULL
);
CREATE INDEX ledger_block_item ON ledger_block(item_id, max_date);
CREATE INDEX ledger_block_file ON ledger_block(file_id);

-- Natural keys of every ledger line, in sorted chunks per (class, item); see keys.go.
CREATE TABLE ledger_key(
	class INTEGER NOT NULL,
	item_id INTEGER NOT NULL,
	max_key BLOB NOT NULL,
	n INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY(class, item_id, max_key)
) WITHOUT ROWID;

-- Stock on hand per item×location, maintained with every ledger write.
CREATE TABLE stock(
	item_id INTEGER NOT NULL REFERENCES item(id),
	loc_id INTEGER NOT NULL REFERENCES location(id),
	on_hand INTEGER NOT NULL DEFAULT 0,
	on_order INTEGER NOT NULL DEFAULT 0,
	first_date INTEGER NOT NULL,
	last_date INTEGER NOT NULL,
	last_sale INTEGER,
	avg_daily REAL NOT NULL DEFAULT 0, -- units a day over the last 28 days in stock
	cover_days REAL NOT NULL DEFAULT 1e9, -- on_hand / avg_daily; 1e9 (model.NoCover) when nothing sells
	PRIMARY KEY(item_id, loc_id)
) WITHOUT ROWID;
-- No index on on_hand, cover or avg_daily: every import rewrites them
-- for the rows it touches, and an index each would turn one page write per
-- row into four. Sorting a page by them scans the table instead (tens of
-- milliseconds at 300,000 rows, off the console's event loop).
CREATE INDEX stock_loc ON stock(loc_id, item_id);

-- One row per item×location per month: the net stock change of each day
-- (with the ledger it gives the balance on any day, and so the days out of
-- stock) and, per channel, units sold each day and revenue. See month.go.
CREATE TABLE series_month(
	item_id INTEGER NOT NULL,
	loc_id INTEGER NOT NULL,
	month INTEGER NOT NULL, -- months since 1970-01
	net INTEGER NOT NULL,   -- stock change over the month
	units INTEGER NOT NULL, -- units sold over the month, all channels
	revenue REAL NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY(item_id, loc_id, month)
) WITHOUT ROWID;

-- Every stock count with what the ledger said, for shrinkage.
CREATE TABLE count_result(
	id INTEGER PRIMARY KEY,
	date INTEGER NOT NULL,
	item_id INTEGER NOT NULL,
	loc_id INTEGER NOT NULL,
	counted INTEGER NOT NULL,
	ledger INTEGER NOT NULL,
	file_id INTEGER REFERENCES file(id),
	line INTEGER NOT NULL
);
CREATE INDEX count_result_item ON count_result(item_id, loc_id, date);

CREATE TABLE event(
	date INTEGER NOT NULL,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	applies_to TEXT NOT NULL,
	PRIMARY KEY(date, name, applies_to)
) WITHOUT ROWID;

CREATE TABLE promotion(
	sku TEXT NOT NULL,
	location TEXT NOT NULL,
	channel TEXT NOT NULL,
	start INTEGER NOT NULL,
	end INTEGER NOT NULL,
	discount_pct REAL NOT NULL,
	PRIMARY KEY(sku, location, channel, start)
) WITHOUT ROWID;

CREATE TABLE road_node(id INTEGER PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL);
CREATE TABLE road_edge(
	from_id INTEGER NOT NULL,
	to_id INTEGER NOT NULL,
	length_m REAL NOT NULL,
	speed_kmh REAL NOT NULL,
	oneway INTEGER NOT NULL,
	PRIMARY KEY(from_id, to_id)
) WITHOUT ROWID;
CREATE TABLE vehicle(
	id TEXT PRIMARY KEY,
	depot TEXT NOT NULL,
	capacity INTEGER NOT NULL,
	shift_start_min REAL NOT NULL,
	shift_end_min REAL NOT NULL,
	max_duration_min REAL NOT NULL
);
CREATE TABLE delivery(
	id TEXT PRIMARY KEY,
	date INTEGER NOT NULL,
	depot TEXT NOT NULL,
	customer TEXT NOT NULL,
	lat REAL NOT NULL,
	lon REAL NOT NULL,
	demand INTEGER NOT NULL,
	service_min REAL NOT NULL,
	ready_min REAL NOT NULL,
	due_min REAL NOT NULL
);
CREATE INDEX delivery_depot ON delivery(depot, date);

-- Who did what, append-only.
CREATE TABLE audit(
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	user TEXT NOT NULL,
	action TEXT NOT NULL,
	object TEXT NOT NULL,
	object_id TEXT NOT NULL,
	version INTEGER,
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_object ON audit(object, object_id);
`

func (s *Store) migrate(ctx context.Context, progress Progress) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migration(
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	applied := map[string]bool{}
	rows, err := conn.QueryContext(ctx, "SELECT name FROM schema_migration")
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		applied[n] = true
	}
	rows.Close()
	known := map[string]bool{}
	for _, m := range migrations {
		known[m.name] = true
	}
	for n := range applied {
		if !known[n] {
			return fmt.Errorf("the database has schema step %s, which this stockroom does not know: upgrade stockroom", n)
		}
	}
	for _, m := range migrations {
		if applied[m.name] || strings.TrimSpace(m.ddl) == "" {
			continue
		}
		if err := applyMigration(ctx, conn, m, progress); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, m migration, progress Progress) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.ddl); err != nil {
		return fmt.Errorf("schema step %s: %w", m.name, err)
	}
	if m.fn != nil {
		report := func(done, total int64) {
			if progress != nil {
				progress(m.name, done, total)
			}
		}
		if err := m.fn(ctx, tx, report); err != nil {
			return fmt.Errorf("schema step %s: %w", m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migration(name, applied_at) VALUES (?, ?)", m.name, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("schema step %s: %w", m.name, err)
	}
	return tx.Commit()
}
