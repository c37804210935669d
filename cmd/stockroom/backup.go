package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"stockroom/data"
	"stockroom/engine"
)

// backupConfig is the config file's "backup" section.
type backupConfig struct {
	Dir  string          `json:"dir"`  // default: backups/ next to the store
	Keep *data.Retention `json:"keep"` // default: 7 daily, 4 weekly, 12 monthly
}

func (c config) backupDir(dbDir string) string {
	if c.Backup.Dir != "" {
		return c.Backup.Dir
	}
	return filepath.Join(dbDir, "backups")
}

func (c config) retention() data.Retention {
	if c.Backup.Keep != nil {
		return *c.Backup.Keep
	}
	return data.DefaultRetention
}

func runBackup(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "backup", "--db DB --out DIR [--daily N] [--weekly N] [--monthly N]", `
Take an online, consistent copy of the store (imports and consoles carry
on), verify it (PRAGMA integrity_check, the row count of every table, the
ledger invariants), compress it with zstd to DIR/stockroom-TIME.db.zst with
a manifest next to it, read it back, and delete older backups beyond the
retention: the newest backup of each of the last 7 days, 4 weeks and 12
months are kept. Exit status 1 when anything fails; nothing unverified is
left in DIR.`)
	db := dbFlag(c, fs)
	out := fs.String("out", "", "the backup folder (default: the config's backup.dir, else backups/ next to the store)")
	cfgPath := fs.String("config", defaultConfigPath(c.getenv), "config file (env STOCKROOM_CONFIG)")
	var daily, weekly, monthly optNum[int]
	fs.Var(&daily, "daily", "keep `N` daily backups (default: the config's backup.keep, else 7)")
	fs.Var(&weekly, "weekly", "keep `N` weekly backups (default: the config's, else 4)")
	fs.Var(&monthly, "monthly", "keep `N` monthly backups (default: the config's, else 12)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	keep := cfg.retention()
	for _, o := range []struct {
		v   optNum[int]
		dst *int
	}{{daily, &keep.Daily}, {weekly, &keep.Weekly}, {monthly, &keep.Monthly}} {
		if o.v.set {
			*o.dst = o.v.v
		}
	}
	st, err := openExistingStore(ctx, c, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	dir := *out
	if dir == "" {
		dir = cfg.backupDir(filepath.Dir(st.Path()))
	}
	res, err := st.Backup(ctx, dir, data.BackupOptions{Keep: keep})
	if err != nil {
		return err
	}
	printBackup(c, res)
	return nil
}

func printBackup(c *cli, res data.BackupResult) {
	fmt.Fprintf(c.stdout, "%s: %s compressed from %s (%.1f×), verified: integrity ok, %d tables' row counts match, ledger checks pass\n",
		res.File, bytesHuman(res.Bytes), bytesHuman(res.DBBytes), float64(res.DBBytes)/float64(max(1, res.Bytes)), len(res.Manifest.Counts))
	fmt.Fprintf(c.stdout, "copy %s, verify %s, compress %s\n", res.Copy.Round(time.Millisecond), res.Verify.Round(time.Millisecond), res.Compress.Round(time.Millisecond))
	for _, r := range res.Removed {
		fmt.Fprintf(c.stdout, "removed %s (retention)\n", r)
	}
}

func bytesHuman(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func runRestore(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "restore", "--from FILE --db DB [--force]", `
Restore a store from a backup (a .db.zst made by 'stockroom backup', or a
plain SQLite file). The backup is unpacked next to DB and verified first:
its SHA-256 and row counts against its manifest, PRAGMA integrity_check and
the ledger invariants. An existing DB is only replaced with --force, and
only when nothing has it open (stop 'stockroom serve' first); it is kept
as DB.pre-restore.

Exit status: 0 restored, 1 verification or I/O failure, 2 usage, 3 the
store exists and --force was not given, 4 the store is in use.`)
	db := dbFlag(c, fs)
	from := fs.String("from", "", "the backup to restore")
	force := fs.Bool("force", false, "replace an existing store")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *from == "" {
		return usageErrorf("restore: name the backup with --from FILE")
	}
	res, err := data.Restore(ctx, *from, *db, *force)
	switch {
	case errors.Is(err, data.ErrStoreExists):
		return &exitError{3, err}
	case errors.Is(err, data.ErrStoreInUse):
		return &exitError{4, err}
	case err != nil:
		return err
	}
	var rows int64
	for _, n := range res.Counts {
		rows += n
	}
	how := "integrity and ledger checks pass"
	if res.Manifest {
		how = "sha256 and row counts match the manifest; " + how
	}
	fmt.Fprintf(c.stdout, "restored %s from %s: %s rows in %d tables; %s\n", res.DB, *from, thousands(rows), len(res.Counts), how)
	if res.Previous != "" {
		fmt.Fprintf(c.stdout, "the store it replaced is kept as %s\n", res.Previous)
	}
	return nil
}

// backupJob is the scheduled backup.
func backupJob(eng *engine.Engine, dir string, keep data.Retention, m *engine.Metrics, logf func(string, ...any)) engine.Job {
	return func(ctx context.Context) error {
		res, err := eng.Store().Backup(ctx, dir, data.BackupOptions{Keep: keep})
		if err != nil {
			return err
		}
		m.Backup(res.Manifest.Created, res.Bytes)
		logf("backup: %s (%s, verified)", res.File, bytesHuman(res.Bytes))
		for _, r := range res.Removed {
			logf("backup: removed %s (retention)", r)
		}
		return nil
	}
}
