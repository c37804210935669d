package data

import (
	"context"
	"os"
)

// OpsStats are the store's health figures for monitoring.
type OpsStats struct {
	QuarantineFiles int64 // files with rows in the quarantine
	QuarantineRows  int64
	DBBytes         int64 // the database file
	WALBytes        int64 // its write-ahead log
}

// OpsStats reads the store's health figures.
func (s *Store) OpsStats(ctx context.Context) (OpsStats, error) {
	var o OpsStats
	err := s.r.QueryRowContext(ctx, "SELECT count(DISTINCT file_id), count(*) FROM quarantine").Scan(&o.QuarantineFiles, &o.QuarantineRows)
	if st, err := os.Stat(s.path); err == nil {
		o.DBBytes = st.Size()
	}
	if st, err := os.Stat(s.path + "-wal"); err == nil {
		o.WALBytes = st.Size()
	}
	return o, err
}
