package data

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"stockroom/model"
)

// migrationRoutes creates the tables for stored route plans. A plan is
// never changed once stored: a re-plan stores a new one, so the latest plan
// of a depot and day is the one with the highest id and earlier ones stay
// for comparison. Traffic factors set by dispatchers live here too, so a
// slow road set in one session is seen by every planner.
const migrationRoutes = `
CREATE TABLE route_plan(
	id INTEGER PRIMARY KEY,
	depot TEXT NOT NULL,
	date INTEGER NOT NULL,
	depot_lat REAL NOT NULL,
	depot_lon REAL NOT NULL,
	created_at INTEGER NOT NULL, -- unix ms
	user TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	runs INTEGER NOT NULL,
	stops INTEGER NOT NULL,
	distance_m REAL NOT NULL,
	duration_min REAL NOT NULL,
	feasible INTEGER NOT NULL,
	roads INTEGER NOT NULL,
	solve_ms INTEGER NOT NULL
);
CREATE INDEX route_plan_day ON route_plan(depot, date, id);

CREATE TABLE route_run(
	plan_id INTEGER NOT NULL REFERENCES route_plan(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	vehicle TEXT NOT NULL,
	load INTEGER NOT NULL,
	capacity INTEGER NOT NULL,
	distance_m REAL NOT NULL,
	duration_min REAL NOT NULL,
	start_min REAL NOT NULL,
	end_min REAL NOT NULL,
	departed INTEGER NOT NULL,
	path BLOB, -- (lat, lon) pairs as int32 micro-degrees, little endian
	PRIMARY KEY(plan_id, seq)
) WITHOUT ROWID;

CREATE TABLE route_stop(
	plan_id INTEGER NOT NULL REFERENCES route_plan(id) ON DELETE CASCADE,
	run_seq INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	delivery TEXT NOT NULL,
	customer TEXT NOT NULL,
	lat REAL NOT NULL,
	lon REAL NOT NULL,
	node INTEGER NOT NULL,
	snap_m REAL NOT NULL,
	demand INTEGER NOT NULL,
	leg_m REAL NOT NULL,
	leg_min REAL NOT NULL,
	arrive_min REAL NOT NULL,
	start_min REAL NOT NULL,
	depart_min REAL NOT NULL,
	late INTEGER NOT NULL,
	done INTEGER NOT NULL,
	PRIMARY KEY(plan_id, run_seq, seq)
) WITHOUT ROWID;

CREATE TABLE route_unassigned(
	plan_id INTEGER NOT NULL REFERENCES route_plan(id) ON DELETE CASCADE,
	delivery TEXT NOT NULL,
	PRIMARY KEY(plan_id, delivery)
) WITHOUT ROWID;

-- Traffic on a road: factor multiplies its driving time (2 = twice as
-- long, +Inf stored as NULL = closed). Keyed like road_edge.
CREATE TABLE road_traffic(
	from_id INTEGER NOT NULL,
	to_id INTEGER NOT NULL,
	factor REAL,
	set_at INTEGER NOT NULL,
	user TEXT NOT NULL DEFAULT '',
	PRIMARY KEY(from_id, to_id)
) WITHOUT ROWID;
`

// RoutePlan is a stored plan: one depot's runs on one day. Runs and
// Unassigned are filled by RoutePlan and LatestRoutePlan, not by
// RoutePlans (which lists headers only).
type RoutePlan struct {
	ID                 int64
	Depot              string
	Date               model.Date
	DepotLat, DepotLon float64
	CreatedAt          time.Time
	User               string
	Note               string // how it came about: "planned afresh", "replan: …"
	NumRuns, NumStops  int
	DistanceM          float64
	DurationMin        float64
	Feasible           bool
	Roads              bool // distances from the road graph, not great circles
	SolveTime          time.Duration
	Runs               []RouteRun
	Unassigned         []string // delivery ids no vehicle could take
	Problems           []string // which limits an infeasible plan breaks, one a line
}

// RouteRun is one vehicle's run within a stored plan. Times are minutes
// after midnight.
type RouteRun struct {
	Vehicle     string
	Load        int64
	Capacity    int64
	DistanceM   float64
	DurationMin float64
	StartMin    float64
	EndMin      float64
	Departed    bool
	Path        [][2]float64 // (lat, lon), depot to depot
	Stops       []RouteStop
}

// RouteStop is one delivery within a stored run.
type RouteStop struct {
	Delivery  string
	Customer  string
	Lat, Lon  float64
	Node      int64
	SnapM     float64
	Demand    int64
	LegM      float64
	LegMin    float64
	ArriveMin float64
	StartMin  float64
	DepartMin float64
	Late      bool
	Done      bool
}

// SaveRoutePlan stores a plan with its runs and stops in one transaction,
// audits it, and returns its id. p.ID is ignored; CreatedAt defaults to now.
func (s *Store) SaveRoutePlan(ctx context.Context, p *RoutePlan) (int64, error) {
	if err := model.ValidCode("depot", p.Depot); err != nil {
		return 0, fmt.Errorf("save route plan: %w", err)
	}
	if p.Date == model.NoDate {
		return 0, fmt.Errorf("save route plan: no date")
	}
	created := p.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	stops := 0
	for _, r := range p.Runs {
		stops += len(r.Stops)
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO route_plan(depot, date, depot_lat, depot_lon, created_at, user, note,
			runs, stops, distance_m, duration_min, feasible, roads, solve_ms, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Depot, int64(p.Date), p.DepotLat, p.DepotLon, created.UnixMilli(), p.User, p.Note,
			len(p.Runs), stops, p.DistanceM, p.DurationMin, p.Feasible, p.Roads, p.SolveTime.Milliseconds(), strings.Join(p.Problems, "\n"))
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		runStmt, err := tx.PrepareContext(ctx, `INSERT INTO route_run(plan_id, seq, vehicle, load, capacity, distance_m,
			duration_min, start_min, end_min, departed, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer runStmt.Close()
		stopStmt, err := tx.PrepareContext(ctx, `INSERT INTO route_stop(plan_id, run_seq, seq, delivery, customer, lat, lon,
			node, snap_m, demand, leg_m, leg_min, arrive_min, start_min, depart_min, late, done)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stopStmt.Close()
		for i, r := range p.Runs {
			if _, err := runStmt.ExecContext(ctx, id, i+1, r.Vehicle, r.Load, r.Capacity, r.DistanceM, r.DurationMin,
				r.StartMin, r.EndMin, r.Departed, encodePath(r.Path)); err != nil {
				return fmt.Errorf("run %d (%s): %w", i+1, r.Vehicle, err)
			}
			for k, st := range r.Stops {
				if _, err := stopStmt.ExecContext(ctx, id, i+1, k+1, st.Delivery, st.Customer, st.Lat, st.Lon, st.Node,
					st.SnapM, st.Demand, st.LegM, st.LegMin, st.ArriveMin, st.StartMin, st.DepartMin, st.Late, st.Done); err != nil {
					return fmt.Errorf("run %d stop %d (%s): %w", i+1, k+1, st.Delivery, err)
				}
			}
		}
		for _, d := range p.Unassigned {
			if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO route_unassigned(plan_id, delivery) VALUES (?, ?)", id, d); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("%s %s: %d runs, %d stops, %.1f km", p.Depot, p.Date, len(p.Runs), stops, p.DistanceM/1000)
		if p.Note != "" {
			detail += " (" + p.Note + ")"
		}
		return auditTx(ctx, tx, AuditEntry{At: created, User: p.User, Action: "plan", Object: "route_plan",
			ObjectID: fmt.Sprint(id), Detail: detail})
	})
	if err != nil {
		return 0, fmt.Errorf("save route plan: %w", err)
	}
	return id, nil
}

const routePlanCols = `id, depot, date, depot_lat, depot_lon, created_at, user, note, runs, stops, distance_m, duration_min,
	feasible, roads, solve_ms, problems`

func scanRoutePlan(rows interface{ Scan(...any) error }) (RoutePlan, error) {
	var p RoutePlan
	var created, solve int64
	var problems string
	err := rows.Scan(&p.ID, &p.Depot, &p.Date, &p.DepotLat, &p.DepotLon, &created, &p.User, &p.Note, &p.NumRuns, &p.NumStops,
		&p.DistanceM, &p.DurationMin, &p.Feasible, &p.Roads, &solve, &problems)
	if problems != "" {
		p.Problems = strings.Split(problems, "\n")
	}
	p.CreatedAt = time.UnixMilli(created)
	p.SolveTime = time.Duration(solve) * time.Millisecond
	return p, err
}

// RoutePlans lists stored plan headers newest first: of one depot (""
// for all) on one day (NoDate for all days), at most limit (0: 100).
func (s *Store) RoutePlans(ctx context.Context, depot string, date model.Date, limit int) ([]RoutePlan, error) {
	if limit <= 0 {
		limit = 100
	}
	ps, err := queryAll(ctx, s.r, `SELECT `+routePlanCols+` FROM route_plan
		WHERE (? = '' OR depot = ?) AND (? = ? OR date = ?) ORDER BY id DESC LIMIT ?`,
		func(rows *sql.Rows) (RoutePlan, error) { return scanRoutePlan(rows) },
		depot, depot, int64(date), int64(model.NoDate), int64(date), limit)
	if err != nil {
		return nil, fmt.Errorf("route plans: %w", err)
	}
	return ps, nil
}

// LatestRoutePlan returns the newest stored plan of a depot on a day, with
// its runs and stops, or ErrNotFound.
func (s *Store) LatestRoutePlan(ctx context.Context, depot string, date model.Date) (*RoutePlan, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, "SELECT id FROM route_plan WHERE depot = ? AND date = ? ORDER BY id DESC LIMIT 1",
		depot, int64(date)).Scan(&id)
	if err == sql.ErrNoRows {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("latest route plan: %w", err)
	}
	return s.RoutePlan(ctx, id)
}

// RoutePlan returns one stored plan with its runs and stops, or
// ErrNotFound. It reads in one transaction so the parts agree.
func (s *Store) RoutePlan(ctx context.Context, id int64) (*RoutePlan, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("route plan %d: %w", id, err)
	}
	defer tx.Rollback()
	p, err := scanRoutePlan(tx.QueryRowContext(ctx, "SELECT "+routePlanCols+" FROM route_plan WHERE id = ?", id))
	if err == sql.ErrNoRows {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("route plan %d: %w", id, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT vehicle, load, capacity, distance_m, duration_min, start_min, end_min, departed, path
		FROM route_run WHERE plan_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("route plan %d: %w", id, err)
	}
	for rows.Next() {
		var r RouteRun
		var path []byte
		if err := rows.Scan(&r.Vehicle, &r.Load, &r.Capacity, &r.DistanceM, &r.DurationMin, &r.StartMin, &r.EndMin, &r.Departed, &path); err != nil {
			rows.Close()
			return nil, fmt.Errorf("route plan %d: %w", id, err)
		}
		r.Path = decodePath(path)
		p.Runs = append(p.Runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("route plan %d: %w", id, err)
	}
	rows, err = tx.QueryContext(ctx, `SELECT run_seq, delivery, customer, lat, lon, node, snap_m, demand, leg_m, leg_min,
		arrive_min, start_min, depart_min, late, done FROM route_stop WHERE plan_id = ? ORDER BY run_seq, seq`, id)
	if err != nil {
		return nil, fmt.Errorf("route plan %d: %w", id, err)
	}
	for rows.Next() {
		var run int
		var st RouteStop
		if err := rows.Scan(&run, &st.Delivery, &st.Customer, &st.Lat, &st.Lon, &st.Node, &st.SnapM, &st.Demand, &st.LegM,
			&st.LegMin, &st.ArriveMin, &st.StartMin, &st.DepartMin, &st.Late, &st.Done); err != nil {
			rows.Close()
			return nil, fmt.Errorf("route plan %d: %w", id, err)
		}
		if run < 1 || run > len(p.Runs) {
			rows.Close()
			return nil, fmt.Errorf("route plan %d: stop of run %d, which is not stored", id, run)
		}
		p.Runs[run-1].Stops = append(p.Runs[run-1].Stops, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("route plan %d: %w", id, err)
	}
	p.Unassigned, err = queryTx(ctx, tx, "SELECT delivery FROM route_unassigned WHERE plan_id = ? ORDER BY delivery", id)
	if err != nil {
		return nil, fmt.Errorf("route plan %d: %w", id, err)
	}
	return &p, nil
}

func queryTx(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// DeliveryDays returns the days with deliveries from a depot ("" for any
// depot), in date order, with how many deliveries each has.
func (s *Store) DeliveryDays(ctx context.Context, depot string) ([]model.Date, []int, error) {
	type day struct {
		d model.Date
		n int
	}
	ds, err := queryAll(ctx, s.r, `SELECT date, count(*) FROM delivery WHERE ? = '' OR depot = ? GROUP BY date ORDER BY date`,
		func(rows *sql.Rows) (day, error) {
			var d day
			err := rows.Scan(&d.d, &d.n)
			return d, err
		}, depot, depot)
	if err != nil {
		return nil, nil, fmt.Errorf("delivery days: %w", err)
	}
	dates, counts := make([]model.Date, len(ds)), make([]int, len(ds))
	for i, d := range ds {
		dates[i], counts[i] = d.d, d.n
	}
	return dates, counts, nil
}

// RoadFactor is a traffic factor on one road: its driving time is
// multiplied by Factor (+Inf: closed).
type RoadFactor struct {
	From, To int64
	Factor   float64
	SetAt    time.Time
	User     string
}

// SetRoadFactor stores the traffic factor of the road from→to (either
// direction of a two-way road); factor 1 clears it. The road must exist.
func (s *Store) SetRoadFactor(ctx context.Context, f RoadFactor) error {
	if math.IsNaN(f.Factor) || f.Factor <= 0 {
		return fmt.Errorf("road factor %d-%d: must be positive (+Inf closes the road), got %g", f.From, f.To, f.Factor)
	}
	if f.SetAt.IsZero() {
		f.SetAt = time.Now()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		// Key the factor as the road is keyed, so 2-1 and 1-2 name the
		// same two-way road; an exact match wins (two one-way roads).
		err := tx.QueryRowContext(ctx, `SELECT from_id, to_id FROM road_edge WHERE (from_id = ? AND to_id = ?)
			OR (from_id = ? AND to_id = ? AND oneway = 0) ORDER BY from_id = ? DESC LIMIT 1`,
			f.From, f.To, f.To, f.From, f.From).Scan(&f.From, &f.To)
		if err == sql.ErrNoRows {
			return fmt.Errorf("road factor: no road from node %d to node %d: %w", f.From, f.To, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if f.Factor == 1 {
			_, err := tx.ExecContext(ctx, "DELETE FROM road_traffic WHERE from_id = ? AND to_id = ?", f.From, f.To)
			return err
		}
		var factor any = f.Factor
		if math.IsInf(f.Factor, 1) {
			factor = nil // SQLite has no infinity literal that survives every driver
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO road_traffic(from_id, to_id, factor, set_at, user) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(from_id, to_id) DO UPDATE SET factor = excluded.factor, set_at = excluded.set_at, user = excluded.user`,
			f.From, f.To, factor, f.SetAt.UnixMilli(), f.User)
		if err != nil {
			return err
		}
		return auditTx(ctx, tx, AuditEntry{At: f.SetAt, User: f.User, Action: "traffic", Object: "road",
			ObjectID: fmt.Sprintf("%d-%d", f.From, f.To), Detail: fmt.Sprintf("factor %g", f.Factor)})
	})
}

// RoadFactors returns every traffic factor in force.
func (s *Store) RoadFactors(ctx context.Context) ([]RoadFactor, error) {
	fs, err := queryAll(ctx, s.r, "SELECT from_id, to_id, factor, set_at, user FROM road_traffic ORDER BY from_id, to_id",
		func(rows *sql.Rows) (RoadFactor, error) {
			var f RoadFactor
			var factor sql.NullFloat64
			var at int64
			err := rows.Scan(&f.From, &f.To, &factor, &at, &f.User)
			f.Factor = math.Inf(1)
			if factor.Valid {
				f.Factor = factor.Float64
			}
			f.SetAt = time.UnixMilli(at)
			return f, err
		})
	if err != nil {
		return nil, fmt.Errorf("road factors: %w", err)
	}
	return fs, nil
}

// encodePath packs a polyline as int32 micro-degree pairs: 8 bytes a
// point, about 11 cm of precision, plenty for a map.
func encodePath(path [][2]float64) []byte {
	if len(path) == 0 {
		return nil
	}
	b := make([]byte, 8*len(path))
	for i, p := range path {
		binary.LittleEndian.PutUint32(b[8*i:], uint32(int32(math.Round(p[0]*1e6))))
		binary.LittleEndian.PutUint32(b[8*i+4:], uint32(int32(math.Round(p[1]*1e6))))
	}
	return b
}

func decodePath(b []byte) [][2]float64 {
	if len(b) < 8 {
		return nil
	}
	out := make([][2]float64, len(b)/8)
	for i := range out {
		out[i][0] = float64(int32(binary.LittleEndian.Uint32(b[8*i:]))) / 1e6
		out[i][1] = float64(int32(binary.LittleEndian.Uint32(b[8*i+4:]))) / 1e6
	}
	return out
}
