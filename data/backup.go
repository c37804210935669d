package data

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	sqlite "modernc.org/sqlite"
)

// Backups are online, consistent copies of the store: the SQLite backup API
// copies every page inside one read transaction, so imports carry on while
// it runs (WAL readers never block the writer) and the copy is the store as
// of one instant. A backup is verified before it counts: the copy must pass
// PRAGMA integrity_check, hold the same number of rows in every table as
// the store did in that instant, and pass the ledger invariants (Check).
// It is then compressed with zstd and the compressed file is read back and
// checked against the copy's SHA-256.

// BackupExt is the extension of compressed backups; each has a manifest
// next to it named BackupExt+".json".
const BackupExt = ".db.zst"

// backupPrefix and backupStamp name backups: stockroom-20260102T030405Z.db.zst.
const (
	backupPrefix = "stockroom-"
	backupStamp  = "20060102T150405Z"
)

// Retention says how many backups to keep: the newest of each of the last
// Daily days, Weekly ISO weeks and Monthly months that have one. A backup
// kept by any rule stays. Zero values keep nothing by that rule; a
// Retention with every field zero keeps everything.
type Retention struct {
	Daily   int `json:"daily"`
	Weekly  int `json:"weekly"`
	Monthly int `json:"monthly"`
}

// DefaultRetention keeps 7 daily, 4 weekly and 12 monthly backups.
var DefaultRetention = Retention{Daily: 7, Weekly: 4, Monthly: 12}

// BackupManifest is written next to every backup: what the copy holds, so
// a restore can verify it without the store it came from.
type BackupManifest struct {
	Created  time.Time        `json:"created"`
	Source   string           `json:"source"`
	SHA256   string           `json:"sha256"`   // of the uncompressed database file
	DBBytes  int64            `json:"db_bytes"` // uncompressed size
	Counts   map[string]int64 `json:"counts"`   // rows per table
	Schema   []string         `json:"schema"`   // schema steps applied
	Verified bool             `json:"verified"` // integrity, counts and ledger checked before compressing
}

// BackupResult is what a backup did.
type BackupResult struct {
	File     string // the compressed backup
	Bytes    int64  // its size
	DBBytes  int64  // the uncompressed copy's size
	Manifest BackupManifest
	Removed  []string // older backups retention deleted
	Copy     time.Duration
	Verify   time.Duration
	Compress time.Duration
}

// BackupOptions tune Backup.
type BackupOptions struct {
	Keep Retention
	Now  time.Time // the backup's time; zero for now
}

// Backup writes a verified, compressed copy of the store into dir and
// applies the retention to the backups already there.
func (s *Store) Backup(ctx context.Context, dir string, opt BackupOptions) (BackupResult, error) {
	var res BackupResult
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".backup-")
	if err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	copyPath := filepath.Join(tmp, "copy.db")

	t0 := time.Now()
	counts, err := s.Snapshot(ctx, copyPath)
	if err != nil {
		return res, err
	}
	res.Copy = time.Since(t0)

	t0 = time.Now()
	if _, err := VerifyDatabase(ctx, copyPath, counts); err != nil {
		return res, fmt.Errorf("backup: the copy failed verification: %w", err)
	}
	res.Verify = time.Since(t0)
	schema, err := schemaSteps(ctx, copyPath)
	if err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}

	t0 = time.Now()
	name := backupPrefix + now.UTC().Format(backupStamp) + BackupExt
	final := filepath.Join(dir, name)
	partial := filepath.Join(tmp, name)
	sum, dbBytes, err := compressFile(ctx, copyPath, partial)
	if err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	// Read the compressed file back: what is on disk must decompress to
	// the very copy that was verified.
	back, _, err := hashCompressed(partial)
	if err != nil {
		return res, fmt.Errorf("backup: read back %s: %w", name, err)
	}
	if back != sum {
		return res, fmt.Errorf("backup: %s decompresses to sha256 %s, the copy was %s", name, back, sum)
	}
	res.Compress = time.Since(t0)
	res.Manifest = BackupManifest{Created: now.UTC(), Source: s.path, SHA256: sum, DBBytes: dbBytes, Counts: counts,
		Schema: schema, Verified: true}
	mb, err := json.MarshalIndent(res.Manifest, "", "  ")
	if err != nil {
		return res, err
	}
	if err := writeFileSync(filepath.Join(tmp, name+".json"), append(mb, '\n')); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	// The manifest goes first: a backup file without its manifest is never
	// left behind as if it were complete.
	if err := os.Rename(filepath.Join(tmp, name+".json"), final+".json"); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(partial, final); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	syncDir(dir)
	st, err := os.Stat(final)
	if err != nil {
		return res, err
	}
	res.File, res.Bytes, res.DBBytes = final, st.Size(), dbBytes
	res.Removed, err = PruneBackups(dir, opt.Keep, final)
	return res, err
}

// Snapshot copies the store to dst (which must not exist) as of one
// instant, while others keep writing, and returns how many rows each table
// held in that instant. The copy is a self-contained file (rollback
// journal, no WAL).
func (s *Store) Snapshot(ctx context.Context, dst string) (map[string]int64, error) {
	if _, err := os.Stat(dst); err == nil {
		return nil, fmt.Errorf("snapshot: %s exists", dst)
	}
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer conn.Close()
	// The counts and the page copy must see the same snapshot: both run in
	// one read transaction on one connection, which the backup API reuses
	// instead of opening its own.
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	counts, err := tableCounts(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	err = conn.Raw(func(dc any) error {
		b, ok := dc.(interface {
			NewBackup(string) (*sqlite.Backup, error)
		})
		if !ok {
			return errors.New("the sqlite driver has no backup API")
		}
		bk, err := b.NewBackup(fileURI(dst, ""))
		if err != nil {
			return err
		}
		for {
			if err := ctx.Err(); err != nil {
				bk.Finish()
				return err
			}
			// A few MiB at a time, so a cancelled backup stops promptly.
			more, err := bk.Step(1024)
			if err != nil {
				bk.Finish()
				return err
			}
			if !more {
				break
			}
		}
		dconn, err := bk.Commit()
		if err != nil {
			return err
		}
		defer dconn.Close()
		// The copy inherits WAL mode from the page header; make it a plain
		// single file so it can be compressed, moved and opened read-only.
		if ex, ok := dconn.(driver.ExecerContext); ok {
			if _, err := ex.ExecContext(ctx, "PRAGMA journal_mode=DELETE", nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		os.Remove(dst)
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return counts, nil
}

// tableCounts counts the rows of every table.
func tableCounts(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, n := range names {
		var c int64
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM "`+strings.ReplaceAll(n, `"`, `""`)+`"`).Scan(&c); err != nil {
			return nil, fmt.Errorf("count %s: %w", n, err)
		}
		counts[n] = c
	}
	return counts, nil
}

func fileURI(path, query string) string {
	// A relative path would read as the URI's authority.
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: query}
	return u.String()
}

// VerifyDatabase checks a database file without changing it: PRAGMA
// integrity_check, the row count of every table against want (when not
// nil) and the ledger invariants. It returns the counts it found.
func VerifyDatabase(ctx context.Context, path string, want map[string]int64) (map[string]int64, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", fileURI(path, "mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return nil, fmt.Errorf("integrity check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return nil, err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("… %d more", len(problems)-5))
		}
		return nil, fmt.Errorf("integrity check: %s", strings.Join(problems, "; "))
	}
	got, err := tableCounts(ctx, db)
	if err != nil {
		return nil, err
	}
	if want != nil {
		for _, t := range slices.Sorted(maps.Keys(want)) {
			if got[t] != want[t] {
				return got, fmt.Errorf("table %s holds %d rows, the store held %d", t, got[t], want[t])
			}
		}
		for t := range got {
			if _, ok := want[t]; !ok {
				return got, fmt.Errorf("table %s is in the copy but was not in the store", t)
			}
		}
	}
	if _, ok := got["ledger_block"]; ok {
		ro := &Store{path: path, r: db}
		if err := ro.Check(ctx); err != nil {
			return got, fmt.Errorf("ledger check: %w", err)
		}
	}
	return got, nil
}

func schemaSteps(ctx context.Context, path string) ([]string, error) {
	db, err := sql.Open("sqlite", fileURI(path, "mode=ro"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return queryAll(ctx, db, "SELECT name FROM schema_migration ORDER BY name", func(r *sql.Rows) (string, error) {
		var s string
		return s, r.Scan(&s)
	})
}

// compressFile writes src to dst with zstd and returns the SHA-256 and
// size of src.
func compressFile(ctx context.Context, src, dst string) (string, int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", 0, err
	}
	defer out.Close()
	enc, err := zstd.NewWriter(out, zstd.WithEncoderConcurrency(max(1, min(2, runtime.GOMAXPROCS(0)))))
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(enc, h), ctxReader{ctx, in})
	if err != nil {
		enc.Close()
		return "", 0, err
	}
	if err := enc.Close(); err != nil {
		return "", 0, err
	}
	if err := out.Sync(); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, out.Close()
}

// hashCompressed decompresses a backup and returns its SHA-256 and size.
func hashCompressed(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	dec, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return "", 0, err
	}
	defer dec.Close()
	h := sha256.New()
	n, err := io.Copy(h, dec)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func writeFileSync(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// BackupFile is a backup found in a folder.
type BackupFile struct {
	Path string
	At   time.Time
}

// ListBackups returns the backups in dir, newest first.
func ListBackups(dir string) ([]BackupFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []BackupFile
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(n, backupPrefix) || !strings.HasSuffix(n, BackupExt) {
			continue
		}
		at, err := time.Parse(backupStamp, strings.TrimSuffix(strings.TrimPrefix(n, backupPrefix), BackupExt))
		if err != nil {
			continue // not ours
		}
		out = append(out, BackupFile{Path: filepath.Join(dir, n), At: at})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out, nil
}

// Keep returns which of the backup times (any order) the retention keeps,
// judging days, weeks and months in loc.
func (r Retention) Keep(times []time.Time, loc *time.Location) []bool {
	keep := make([]bool, len(times))
	if r.Daily <= 0 && r.Weekly <= 0 && r.Monthly <= 0 {
		for i := range keep {
			keep[i] = true
		}
		return keep
	}
	order := make([]int, len(times))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return times[order[a]].After(times[order[b]]) })
	rule := func(n int, bucket func(time.Time) string) {
		seen := map[string]bool{}
		for _, i := range order {
			if len(seen) >= n {
				return
			}
			b := bucket(times[i].In(loc))
			if !seen[b] {
				seen[b] = true
				keep[i] = true
			}
		}
	}
	rule(r.Daily, func(t time.Time) string { return t.Format("2006-01-02") })
	rule(r.Weekly, func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprintf("%d-W%02d", y, w) })
	rule(r.Monthly, func(t time.Time) string { return t.Format("2006-01") })
	return keep
}

// PruneBackups deletes the backups in dir that the retention does not keep
// (never keepAlso, the one just made) and returns what it deleted.
func PruneBackups(dir string, r Retention, keepAlso string) ([]string, error) {
	list, err := ListBackups(dir)
	if err != nil {
		return nil, err
	}
	times := make([]time.Time, len(list))
	for i, b := range list {
		times[i] = b.At
	}
	keep := r.Keep(times, time.Local)
	var removed []string
	for i, b := range list {
		if keep[i] || b.Path == keepAlso {
			continue
		}
		if err := os.Remove(b.Path); err != nil {
			return removed, fmt.Errorf("prune %s: %w", b.Path, err)
		}
		os.Remove(b.Path + ".json")
		removed = append(removed, b.Path)
	}
	return removed, nil
}

// ReadManifest reads the manifest next to a backup; ok is false when there
// is none.
func ReadManifest(backup string) (m BackupManifest, ok bool, err error) {
	b, err := os.ReadFile(backup + ".json")
	if errors.Is(err, os.ErrNotExist) {
		return m, false, nil
	}
	if err != nil {
		return m, false, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, false, fmt.Errorf("manifest %s.json: %w", backup, err)
	}
	return m, true, nil
}

// ErrStoreExists is returned by Restore when the target store exists and
// overwriting was not asked for.
var ErrStoreExists = errors.New("the store exists")

// ErrStoreInUse is returned by Restore when another connection has the
// target store open.
var ErrStoreInUse = errors.New("the store is in use")

// RestoreResult is what a restore did.
type RestoreResult struct {
	DB       string
	Previous string // where the store that was replaced went; "" when there was none
	Counts   map[string]int64
	Manifest bool // the backup had a manifest and matched it
}

// Restore replaces the store at dbPath with a backup (a .db.zst made by
// Backup, or a plain SQLite file). The backup is decompressed next to the
// target and verified (its manifest's SHA-256 and row counts when it has
// one, integrity and ledger checks always) before anything is swapped. An
// existing store is only replaced when force is set and nobody has it open;
// it is kept as dbPath+".pre-restore".
func Restore(ctx context.Context, from, dbPath string, force bool) (RestoreResult, error) {
	var res RestoreResult
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return res, err
	}
	res.DB = abs
	exists := false
	if _, err := os.Stat(abs); err == nil {
		exists = true
		if !force {
			return res, fmt.Errorf("restore: %s: %w (pass --force to replace it)", abs, ErrStoreExists)
		}
	}
	man, hasMan, err := ReadManifest(from)
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	tmp := abs + ".restoring"
	os.Remove(tmp)
	defer os.Remove(tmp)
	sum, err := unpackBackup(ctx, from, tmp)
	if err != nil {
		return res, fmt.Errorf("restore: %s: %w", from, err)
	}
	var want map[string]int64
	if hasMan {
		if man.SHA256 != "" && man.SHA256 != sum {
			return res, fmt.Errorf("restore: %s: sha256 %s, its manifest says %s", from, sum, man.SHA256)
		}
		want = man.Counts
		res.Manifest = true
	}
	counts, err := VerifyDatabase(ctx, tmp, want)
	if err != nil {
		return res, fmt.Errorf("restore: %s failed verification: %w", from, err)
	}
	res.Counts = counts
	if exists {
		if err := releaseStore(ctx, abs); err != nil {
			return res, fmt.Errorf("restore: %s: %w", abs, err)
		}
		res.Previous = abs + ".pre-restore"
		for _, sfx := range []string{"", "-wal", "-shm"} {
			os.Remove(res.Previous + sfx)
		}
		if err := os.Rename(abs, res.Previous); err != nil {
			return res, fmt.Errorf("restore: %w", err)
		}
		// A WAL left beside the new file would be replayed into it.
		for _, sfx := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(abs + sfx); err == nil {
				os.Rename(abs+sfx, res.Previous+sfx)
			}
		}
	}
	if err := os.Rename(tmp, abs); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	syncDir(filepath.Dir(abs))
	return res, nil
}

// unpackBackup writes the database a backup holds to dst and returns its
// SHA-256.
func unpackBackup(ctx context.Context, from, dst string) (string, error) {
	f, err := os.Open(from)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var r io.Reader = f
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil {
		return "", fmt.Errorf("not a backup: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	if string(head) == "\x28\xb5\x2f\xfd" { // zstd frame magic
		dec, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return "", err
		}
		defer dec.Close()
		r = dec
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", err
	}
	defer out.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), ctxReader{ctx, r}); err != nil {
		return "", err
	}
	if err := out.Sync(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), out.Close()
}

// releaseStore makes sure no other connection has the store open and
// folds its WAL into the main file, so the file can be moved away whole.
func releaseStore(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", fileURI(path, "_pragma=busy_timeout(0)&_pragma=locking_mode(EXCLUSIVE)"))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// In exclusive locking mode a write takes the file's exclusive lock and
	// keeps it: that fails while any other connection (this process or
	// another) holds it open.
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		return fmt.Errorf("%w (stop stockroom serve and any console on it first): %v", ErrStoreInUse, err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	var busy, logN, done int
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logN, &done); err != nil {
		return err
	}
	if busy != 0 {
		return ErrStoreInUse
	}
	return nil
}
