// Package data is stockroom's store: a SQLite database (modernc.org/sqlite,
// no cgo) holding the append-only stock ledger and the aggregates derived from
// it, plus the file importers, the folder watcher and the queries the console
// pages through.
//
// One writer connection serialises every write (SQLite allows one writer at
// a time; queueing in Go is cheaper than SQLITE_BUSY retries) and a pool of
// query-only readers serves the consoles.
package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is an open stockroom database.
type Store struct {
	path string
	w    *sql.DB // the one writer connection
	r    *sql.DB // query-only readers

	// writeMu serialises write transactions so that a long import and a
	// keypress approval queue in Go instead of in SQLite's busy handler.
	writeMu sync.Mutex

	ids *idCache

	// The writer does not checkpoint the WAL on commit (a checkpoint of an
	// import's pages costs more than the rest of a small import); a
	// goroutine on its own connection does, after each commit.
	ckpt     *sql.DB
	ckptMu   sync.Mutex // guards ckptWake against a commit racing Close
	ckptWake chan struct{}
	ckptDone chan struct{}
}

// ErrNotFound is returned when a row asked for by key does not exist.
var ErrNotFound = errors.New("not found")

// Open opens (creating if needed) the store at path and brings its schema up
// to date.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, nil)
}

// OpenWith is Open that tells progress how far a long schema step is.
func OpenWith(ctx context.Context, path string, progress Progress) (*Store, error) {
	registerFuncs()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// The writer gets the bigger page cache: imports touch rows all over
	// the aggregates, and a page read back from the OS costs a syscall.
	w, err := sql.Open("sqlite", dsn(abs, 64<<10)+"&_txlock=immediate&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: abs, w: w, ids: newIDCache()}
	if err := s.migrate(ctx, progress); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	r, err := sql.Open("sqlite", dsn(abs, 32<<10)+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	r.SetConnMaxIdleTime(5 * time.Minute)
	s.r = r
	c, err := sql.Open("sqlite", dsn(abs, 2<<10))
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	c.SetMaxOpenConns(1)
	s.ckpt, s.ckptWake, s.ckptDone = c, make(chan struct{}, 1), make(chan struct{})
	go s.checkpoints(s.ckptWake)
	return s, nil
}

// checkpoints copies committed pages from the WAL into the database file
// whenever a write commits, without blocking the writer or the readers
// (PASSIVE: it copies what no reader still needs and leaves the rest to
// the next round). It ends when Close closes wake.
func (s *Store) checkpoints(wake <-chan struct{}) {
	defer close(s.ckptDone)
	for range wake {
		s.ckpt.Exec("PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// dsn is the connection string. The busy timeout is long because another
// process's import may hold the write lock for seconds; a writer waits its
// turn rather than fail.
func dsn(abs string, cacheKiB int) string {
	u := url.URL{Scheme: "file", Path: abs}
	q := "_pragma=busy_timeout(60000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)" + fmt.Sprintf("&_pragma=cache_size(-%d)", cacheKiB)
	return u.String() + "?" + q
}

// Path is the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close closes the pools; the last connection to close checkpoints the WAL
// in full.
func (s *Store) Close() error {
	var errs []error
	s.ckptMu.Lock()
	wake := s.ckptWake
	s.ckptWake = nil
	s.ckptMu.Unlock()
	if wake != nil {
		close(wake)
		<-s.ckptDone
		errs = append(errs, s.ckpt.Close())
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// write runs fn in the one write transaction. fn must not start another.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		// Cached ids may name rows the rollback just removed.
		s.ids.reset()
		return err
	}
	if err := tx.Commit(); err != nil {
		s.ids.reset()
		return err
	}
	s.ckptMu.Lock()
	if s.ckptWake != nil {
		select {
		case s.ckptWake <- struct{}{}:
		default: // one is due already
		}
	}
	s.ckptMu.Unlock()
	return nil
}

// DataVersion returns a number that changes whenever another connection
// (this process's writer or any other process) commits to the database.
// Consoles poll it to refresh live. It holds a reader connection of its own
// because PRAGMA data_version is per connection.
type DataVersion struct {
	conn *sql.Conn
}

// NewDataVersion takes a reader connection for polling.
func (s *Store) NewDataVersion(ctx context.Context) (*DataVersion, error) {
	c, err := s.r.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &DataVersion{conn: c}, nil
}

// Get returns the current data version.
func (d *DataVersion) Get(ctx context.Context) (int64, error) {
	var v int64
	err := d.conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
	return v, err
}

// Close returns the connection to the pool.
func (d *DataVersion) Close() error { return d.conn.Close() }

// SetMeta stores a value in the store's key-value table.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
		return err
	})
}

// Meta reads a value from the store's key-value table; "" when absent.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return v, err
}
