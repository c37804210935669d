package data_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"stockroom/data"
	"stockroom/model"
)

// goodDir holds one valid file of every kind.
const goodDir = "../testdata/imports/good"

func mustOpenStore(tb testing.TB) *data.Store {
	tb.Helper()
	st, err := data.Open(context.Background(), filepath.Join(tb.TempDir(), "test.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func mustWriteFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// mustImport imports a file and fails on a store error or a file-level
// failure.
func mustImport(tb testing.TB, st *data.Store, path string, opt data.ImportOptions) data.FileResult {
	tb.Helper()
	res, err := st.ImportFile(context.Background(), path, opt)
	if err != nil {
		tb.Fatalf("import %s: %v", path, err)
	}
	if res.Failed() {
		tb.Fatalf("import %s failed: %s", path, res.Error)
	}
	return res
}

// mustImportGood imports the named kinds from the good fixtures, in order.
func mustImportGood(tb testing.TB, st *data.Store, kinds ...string) {
	tb.Helper()
	for _, k := range kinds {
		res := mustImport(tb, st, filepath.Join(goodDir, k+".csv"), data.ImportOptions{})
		if res.RowsRejected > 0 {
			tb.Fatalf("%s: %d rejected: %+v", k, res.RowsRejected, res.Errors)
		}
	}
}

type stockKey struct{ sku, loc string }

// stockMap reads every stock row through the paginated query.
func stockMap(tb testing.TB, st *data.Store) map[stockKey]int64 {
	tb.Helper()
	m := map[stockKey]int64{}
	q := model.StockQuery{Limit: 2}
	for {
		rows, err := st.StockPage(context.Background(), q)
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range rows {
			m[stockKey{r.SKU, r.Location}] = r.OnHand
		}
		if len(rows) < q.Limit {
			return m
		}
		q.After = rows[len(rows)-1].Cursor
	}
}
