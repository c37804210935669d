package benchgen

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestWriteFiles writes the benchmark inputs to a folder when asked, for
// measuring the CLI itself (e.g. its peak memory):
//
//	STOCKROOM_BENCH_OUT=/tmp/b STOCKROOM_BENCH_ROWS=1000000 go test ./data/benchgen -run WriteFiles
func TestWriteFiles(t *testing.T) {
	dir := os.Getenv("STOCKROOM_BENCH_OUT")
	if dir == "" {
		t.Skip("set STOCKROOM_BENCH_OUT to write the benchmark files")
	}
	o := DefaultSales()
	if n, err := strconv.Atoi(os.Getenv("STOCKROOM_BENCH_ROWS")); err == nil {
		o.Rows = n
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteSales(dir, o); err != nil {
		t.Fatal(err)
	}
}

// TestWriteSales_Shape checks the generated export: the header, the row
// count, unique order lines, increasing order numbers, known SKUs.
func TestWriteSales_Shape(t *testing.T) {
	dir := t.TempDir()
	o := DefaultSales()
	o.Rows, o.Items = 5000, 300
	f, err := WriteSales(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(f.Sales)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Scan()
	if sc.Text() != "date,order_id,sku,location,channel,qty,price" {
		t.Fatalf("header %q", sc.Text())
	}
	seen := map[string]bool{}
	prev := ""
	n := 0
	for sc.Scan() {
		c := strings.Split(sc.Text(), ",")
		if len(c) != 7 {
			t.Fatalf("line %d: %q", n+2, sc.Text())
		}
		key := c[1] + "/" + c[2]
		if seen[key] {
			t.Fatalf("order line %s twice", key)
		}
		seen[key] = true
		if c[1] < prev {
			t.Fatalf("order numbers go back: %s after %s", c[1], prev)
		}
		prev = c[1]
		n++
	}
	if n != o.Rows {
		t.Errorf("%d rows, want %d", n, o.Rows)
	}
}
