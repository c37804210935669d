package benchgen

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"stockroom/data"
	"stockroom/model"
)

// ConsoleStore is where the console benchmarks keep their store, and what
// it holds: STOCKROOM_BENCH_ITEMS items (default 100,000) × 3 locations with
// two weeks of sales. It lives in the temp folder between runs, since
// importing it takes a while; a store there holding 3 × Items stock rows is
// taken as built.
func ConsoleStore() (string, StoreOptions) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("STOCKROOM_BENCH_ITEMS")); err == nil && v > 0 {
		n = v
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("stockroom-bench-%d.db", n)),
		StoreOptions{Items: n, Days: 14, End: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), Seed: 1}
}

// BuildConsoleStore builds the console benchmarks' store unless it is
// there already, and returns its path. Benchmarks that write to it work on
// a copy (CopyConsoleStore), so every run starts from the same store.
func BuildConsoleStore(ctx context.Context) (string, error) {
	path, o := ConsoleStore()
	st, err := data.Open(ctx, path)
	if err != nil {
		return "", err
	}
	defer st.Close()
	if c, err := st.StockCount(ctx, model.StockQuery{}); err == nil && c == 3*o.Items {
		return path, nil
	}
	dir, err := os.MkdirTemp("", "stockroom-bench-files")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	files, err := WriteStore(dir, o)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		r, err := st.ImportFile(ctx, f, data.ImportOptions{})
		if err != nil {
			return "", err
		}
		if r.Failed() || r.RowsRejected > 0 {
			return "", fmt.Errorf("%s: %s, %d rows rejected", f, r.Error, r.RowsRejected)
		}
	}
	return path, nil
}

// CopyConsoleStore builds the console benchmarks' store if need be and
// copies it into dir, for a benchmark that writes.
func CopyConsoleStore(ctx context.Context, dir string) (string, error) {
	src, err := BuildConsoleStore(ctx)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(dir, filepath.Base(src))
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", err
	}
	return dst, out.Close()
}
