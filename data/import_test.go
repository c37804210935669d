package data_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"stockroom/data"
	"stockroom/model"
)

var update = flag.Bool("update", false, "rewrite golden files")

var allKinds = []string{"locations", "suppliers", "items", "events", "promotions", "nodes", "roads", "vehicles",
	"movements", "sales", "counts", "deliveries"}

// snapshot is everything a store holds that imports write, read back
// through the store's own queries.
type snapshot struct {
	Items      []model.Item
	Locations  []model.Location
	Suppliers  []model.Supplier
	Events     []model.Event
	Promotions []model.Promotion
	Nodes      []model.RoadNode
	Edges      []model.RoadEdge
	Vehicles   []model.Vehicle
	Deliveries []model.Delivery
	Stock      map[stockKey]int64
	Ledger     map[string][]string
}

func takeSnapshot(t *testing.T, st *data.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	var err error
	must := func(e error) {
		t.Helper()
		if e != nil {
			t.Fatal(e)
		}
	}
	s.Items, err = st.Items(ctx)
	must(err)
	s.Locations, err = st.Locations(ctx)
	must(err)
	for i := range s.Locations { // NaN != NaN: compare missing coordinates as zero
		if math.IsNaN(s.Locations[i].Lat) {
			s.Locations[i].Lat, s.Locations[i].Lon = 0, 0
		}
	}
	s.Suppliers, err = st.Suppliers(ctx)
	must(err)
	s.Events, err = st.Events(ctx)
	must(err)
	s.Promotions, err = st.Promotions(ctx)
	must(err)
	s.Nodes, err = st.RoadNodes(ctx)
	must(err)
	s.Edges, err = st.RoadEdges(ctx)
	must(err)
	s.Vehicles, err = st.Vehicles(ctx, "")
	must(err)
	s.Deliveries, err = st.Deliveries(ctx, "", model.NoDate)
	must(err)
	s.Stock = stockMap(t, st)
	s.Ledger = map[string][]string{}
	for _, it := range s.Items {
		ms, err := st.Movements(ctx, it.SKU, "", 0)
		must(err)
		for _, m := range ms {
			s.Ledger[it.SKU] = append(s.Ledger[it.SKU], fmt.Sprintf("%s %s %+d %s %s %s line %d", m.Date, m.Location, m.Qty, m.Kind, m.Ref, m.Channel, m.Source.Line))
		}
	}
	return s
}

// TestImport_Known checks the canonical CSV fixtures against values worked
// out by hand.
func TestImport_Known(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, allKinds...)
	s := takeSnapshot(t, st)

	wantStock := map[stockKey]int64{
		// +40 receipt −2 sale −10 transfer out −28 sale
		{"DRL-18V", "DC1"}: 0,
		// +10 transfer in −1 sale
		{"DRL-18V", "ST1"}: 9,
		// +120 −1 −3 −2 +1 = 115; counted 113 on the 6th: −2 shrinkage
		{"HMR-16", "DC1"}: 113,
		// +200 −5 = 195, counted 195: no adjustment
		{"SEED-TOM", "ST1"}: 195,
	}
	if !reflect.DeepEqual(s.Stock, wantStock) {
		t.Errorf("stock:\n got %v\nwant %v", s.Stock, wantStock)
	}
	wantItem := model.Item{SKU: "DRL-18V", Name: `Cordless drill 18V, with "two" batteries`, Category: "tools", UOM: "ea",
		UnitCost: 41.5, Price: 89.99, Supplier: "SUP1", PackSize: 4, MOQ: 8, Delisted: model.NoDate, Version: 1}
	if len(s.Items) != 3 || s.Items[0] != wantItem {
		t.Errorf("items[0] = %+v, want %+v", s.Items[0], wantItem)
	}
	if l := s.Locations[2]; l.Code != "ST2" || l.Name != "Retail park store, unit 4" || l.Kind != model.Store || l.Lat != 0 {
		t.Errorf("location ST2 = %+v", l)
	}
	if v := s.Suppliers[1]; v != (model.Supplier{Code: "SUP2", Name: "Global Garden", LeadTimeDays: 14.5, LeadTimeSDays: 3.5}) {
		t.Errorf("supplier SUP2 = %+v", v)
	}
	if e := s.Events[0]; e.Name != "Spring garden week" || e.AppliesTo != "SEED-*" || !e.Applies("SEED-TOM") || e.Applies("HMR-16") {
		t.Errorf("first event = %+v", e)
	}
	if len(s.Edges) != 3 || !s.Edges[1].OneWay || s.Edges[0].SpeedKmh != 48 {
		t.Errorf("edges = %+v", s.Edges)
	}
	if d := s.Deliveries[0]; d.ID != "D-1001" || d.ReadyMin != 540 || d.DueMin != 660 || d.Demand != 12 {
		t.Errorf("delivery = %+v", d)
	}
	wantLedger := []string{
		"2026-11-06 DC1 -2 count count 2026-11-06  line 2",
		"2026-11-05 DC1 +1 return RMA-9  line 8",
		"2026-11-04 DC1 -2 adjustment ADJ-3  line 7",
		"2026-11-03 DC1 -3 sale SO-2 store line 4",
		"2026-11-02 DC1 -1 sale SO-1 web line 3",
		"2026-11-01 DC1 +120 receipt PO-7001  line 3",
	}
	if got := s.Ledger["HMR-16"]; !reflect.DeepEqual(got, wantLedger) {
		t.Errorf("ledger of HMR-16:\n got %q\nwant %q", got, wantLedger)
	}
}

// formats rewrites a canonical CSV into the other encodings the importer
// must read identically.
var formats = map[string]func(t *testing.T, rows [][]string) (string, []byte){
	"csv": func(t *testing.T, rows [][]string) (string, []byte) {
		return ".csv", csvBytes(rows, ',', false, false, false)
	},
	"tsv": func(t *testing.T, rows [][]string) (string, []byte) {
		return ".tsv", csvBytes(rows, '\t', false, false, false)
	},
	"semicolon-quoted-bom-crlf": func(t *testing.T, rows [][]string) (string, []byte) {
		return ".csv", csvBytes(rows, ';', true, true, true)
	},
	"pipe": func(t *testing.T, rows [][]string) (string, []byte) {
		return ".txt", csvBytes(rows, '|', false, false, false)
	},
	"json-array": func(t *testing.T, rows [][]string) (string, []byte) {
		b, err := json.MarshalIndent(objects(rows), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return ".json", b
	},
	"ndjson": func(t *testing.T, rows [][]string) (string, []byte) {
		var buf bytes.Buffer
		for _, o := range objects(rows) {
			b, _ := json.Marshal(o)
			buf.Write(b)
			buf.WriteString("\r\n")
		}
		return ".ndjson", buf.Bytes()
	},
}

func csvBytes(rows [][]string, comma rune, quoteAll, bom, crlf bool) []byte {
	var buf bytes.Buffer
	if bom {
		buf.WriteString("\ufeff")
	}
	if !quoteAll {
		w := csv.NewWriter(&buf)
		w.Comma, w.UseCRLF = comma, crlf
		w.WriteAll(rows)
		return buf.Bytes()
	}
	for _, r := range rows {
		for i, f := range r {
			if i > 0 {
				buf.WriteRune(comma)
			}
			buf.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		}
		if crlf {
			buf.WriteString("\r\n")
		} else {
			buf.WriteString("\n")
		}
	}
	return buf.Bytes()
}

// objects turns rows into JSON objects; numbers stay numbers where they
// parse, as exports write them.
func objects(rows [][]string) []map[string]any {
	var out []map[string]any
	for _, r := range rows[1:] {
		o := map[string]any{}
		for i, h := range rows[0] {
			var n json.Number = json.Number(r[i])
			if _, err := n.Float64(); err == nil && r[i] != "" {
				o[h] = n
			} else if r[i] != "" {
				o[h] = r[i]
			}
		}
		out = append(out, o)
	}
	return out
}

// TestImport_RoundTrip imports every kind in every format into its own
// store and requires the same store contents as the canonical CSV gives.
func TestImport_RoundTrip(t *testing.T) {
	ref := mustOpenStore(t)
	mustImportGood(t, ref, allKinds...)
	want := takeSnapshot(t, ref)
	for name, conv := range formats {
		t.Run(name, func(t *testing.T) {
			st := mustOpenStore(t)
			dir := t.TempDir()
			for _, k := range allKinds {
				f, err := os.Open(filepath.Join(goodDir, k+".csv"))
				if err != nil {
					t.Fatal(err)
				}
				rows, err := csv.NewReader(f).ReadAll()
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				ext, b := conv(t, rows)
				p := filepath.Join(dir, k+ext)
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				res := mustImport(t, st, p, data.ImportOptions{})
				if res.RowsRejected > 0 || res.Kind != data.Kind(k) || res.RowsOK != len(rows)-1 {
					t.Fatalf("%s: kind %s, %d ok, %d rejected: %+v", p, res.Kind, res.RowsOK, res.RowsRejected, res.Errors)
				}
			}
			got := takeSnapshot(t, st)
			// JSON records sit on other lines than the CSV's (there is
			// no header line), so their ledger lines cite other numbers.
			want := want
			if strings.Contains(name, "json") {
				got.Ledger, want.Ledger = nil, nil
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("store differs from the CSV import:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestImport_Aliases reads headers in other words and cases.
func TestImport_Aliases(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items")
	dir := t.TempDir()
	p := mustWriteFile(t, dir, "export.csv", "Order Date;Order-No;Product;Warehouse;Sales Channel;Quantity;Unit Price\n"+
		"2026-11-02;A1;HMR-16;DC1;web;4;12.5\n")
	res := mustImport(t, st, p, data.ImportOptions{})
	if res.Kind != data.KindSales || res.RowsOK != 1 {
		t.Fatalf("got %+v", res)
	}
	if got := stockMap(t, st)[stockKey{"HMR-16", "DC1"}]; got != -4 {
		t.Errorf("on hand = %d, want -4", got)
	}
}

// An items file may say when an item leaves the catalogue (under any of
// its names); a bad date is refused with its line and column, and a later
// file without the column lists it again, as the file is the whole row.
func TestImport_Delisted(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "suppliers")
	dir := t.TempDir()
	ctx := context.Background()
	res := mustImport(t, st, mustWriteFile(t, dir, "items-eol.csv", "sku,name,supplier,discontinued_on\n"+
		"OLD-1,Old kettle,SUP1,2026-09-30\nNEW-1,New kettle,SUP1,\nBAD-1,Bad kettle,SUP1,30/09/2026\n"), data.ImportOptions{})
	if res.RowsOK != 2 || res.RowsRejected != 1 || res.Errors[0].Line != 4 || res.Errors[0].Column != "discontinued_on" {
		t.Fatalf("import: %+v", res)
	}
	old, err := st.Item(ctx, "OLD-1")
	if err != nil || old.Delisted != model.MustDate("2026-09-30") || !old.DelistedBy(model.MustDate("2026-09-30")) || old.DelistedBy(model.MustDate("2026-09-29")) {
		t.Errorf("OLD-1: %+v %v", old, err)
	}
	if nw, _ := st.Item(ctx, "NEW-1"); nw.Delisted != model.NoDate || nw.DelistedBy(model.MustDate("2030-01-01")) {
		t.Errorf("NEW-1: %+v", nw)
	}
	mustImport(t, st, mustWriteFile(t, dir, "items.csv", "sku,name,supplier\nOLD-1,Old kettle,SUP1\n"), data.ImportOptions{})
	if again, _ := st.Item(ctx, "OLD-1"); again.Delisted != model.NoDate || again.Version != 2 {
		t.Errorf("OLD-1 after a file without the column: %+v", again)
	}
}

// TestImport_BadInput runs the bad-input corpus; each file's result is
// compared with its golden JSON (go test ./data -run BadInput -update).
func TestImport_BadInput(t *testing.T) {
	dir := "../testdata/imports/bad"
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".golden") {
			cases[e.Name()] = filepath.Join(dir, e.Name())
		}
	}
	// Generated cases, too big or too random to commit.
	gen := t.TempDir()
	long := make([]byte, 0, 10<<20+200)
	long = append(long, "date,order_id,sku,location,channel,qty,price\n2026-11-02,SO-1,"...)
	long = append(long, bytes.Repeat([]byte("X"), 10<<20)...)
	long = append(long, ",DC1,web,1,12.5\n2026-11-02,SO-2,HMR-16,DC1,web,1,12.5\n"...)
	cases["generated-10mb-line.csv"] = mustWriteFile(t, gen, "sales-long.csv", string(long))
	r := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(r.UintN(256))
	}
	cases["generated-random-bytes.csv"] = mustWriteFile(t, gen, "random.csv", string(junk))

	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			st := mustOpenStore(t)
			mustImportGood(t, st, "locations", "suppliers", "items")
			before := stockMap(t, st)
			res, err := st.ImportFile(context.Background(), path, data.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			type golden struct {
				Kind          data.Kind        `json:"kind"`
				RowsOK        int              `json:"rows_ok"`
				RowsDuplicate int              `json:"rows_duplicate"`
				RowsRejected  int              `json:"rows_rejected"`
				Errors        []data.RowError  `json:"errors"`
				Error         string           `json:"error,omitempty"`
				Stock         map[string]int64 `json:"stock_after"`
			}
			g := golden{Kind: res.Kind, RowsOK: res.RowsOK, RowsDuplicate: res.RowsDuplicate, RowsRejected: res.RowsRejected,
				Errors: res.Errors, Error: res.Error, Stock: map[string]int64{}}
			for k, v := range stockMap(t, st) {
				g.Stock[k.sku+"@"+k.loc] = v
			}
			if res.Failed() && !reflect.DeepEqual(stockMap(t, st), before) {
				t.Errorf("a failed file changed stock")
			}
			if len(res.Errors) != res.RowsRejected {
				t.Errorf("%d errors listed for %d rejected rows", len(res.Errors), res.RowsRejected)
			}
			got, _ := json.MarshalIndent(g, "", "  ")
			got = append(got, '\n')
			gp := filepath.Join(dir, strings.TrimSuffix(name, filepath.Ext(name))+".golden")
			if *update {
				if err := os.WriteFile(gp, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gp)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("result differs from %s:\n got %s\nwant %s", gp, got, want)
			}
		})
	}
}

// TestImport_Idempotent: the same file twice, under the same or another
// name, and two overlapping exports give the stock of one clean import.
func TestImport_Idempotent(t *testing.T) {
	header := "date,order_id,sku,location,channel,qty,price\n"
	var lines []string
	for i := range 150 {
		sku := []string{"DRL-18V", "HMR-16", "SEED-TOM"}[i%3]
		lines = append(lines, fmt.Sprintf("2026-11-%02d,SO-%d,%s,DC1,web,%d,9.5\n", 1+i/10, 1000+i, sku, 1+i%4))
	}
	dir := t.TempDir()
	all := mustWriteFile(t, dir, "sales-all.csv", header+strings.Join(lines, ""))
	a := mustWriteFile(t, dir, "sales-a.csv", header+strings.Join(lines[:100], ""))
	b := mustWriteFile(t, dir, "sales-b.csv", header+strings.Join(lines[50:], ""))
	copyA := mustWriteFile(t, dir, "sales-a-resent.csv", header+strings.Join(lines[:100], ""))

	ref := mustOpenStore(t)
	mustImportGood(t, ref, "locations", "suppliers", "items")
	mustImport(t, ref, all, data.ImportOptions{})
	want := stockMap(t, ref)

	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items")
	if r := mustImport(t, st, a, data.ImportOptions{}); r.RowsOK != 100 {
		t.Fatalf("first export: %+v", r)
	}
	if r := mustImport(t, st, a, data.ImportOptions{}); !r.Duplicate || r.RowsOK != 0 {
		t.Errorf("same file again: %+v", r)
	}
	if r := mustImport(t, st, copyA, data.ImportOptions{}); !r.Duplicate || r.DuplicateOf != a {
		t.Errorf("same content, other name: %+v", r)
	}
	if r := mustImport(t, st, b, data.ImportOptions{}); r.RowsOK != 50 || r.RowsDuplicate != 50 {
		t.Errorf("overlapping export: %d new, %d already in the ledger; want 50 and 50", r.RowsOK, r.RowsDuplicate)
	}
	if got := stockMap(t, st); !reflect.DeepEqual(got, want) {
		t.Errorf("stock after overlapping imports %v, want %v", got, want)
	}
	// The demand aggregates must agree too.
	for _, sku := range []string{"DRL-18V", "HMR-16", "SEED-TOM"} {
		h1, err := ref.History(context.Background(), sku, "DC1", model.NoDate)
		if err != nil {
			t.Fatal(err)
		}
		h2, err := st.History(context.Background(), sku, "DC1", model.NoDate)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(h1.Units, h2.Units) {
			t.Errorf("%s demand %v, want %v", sku, h2.Units, h1.Units)
		}
	}
}

// TestImport_RejectedThenFixed: a file with rejected rows may be dropped
// again once its master data exists; the rows imported the first time are
// not counted twice.
func TestImport_RejectedThenFixed(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers")
	dir := t.TempDir()
	p := mustWriteFile(t, dir, "sales.csv", "date,order_id,sku,location,channel,qty,price\n"+
		"2026-11-02,SO-1,NEW-1,DC1,web,2,5\n2026-11-02,SO-1,NEW-2,DC1,web,3,5\n")
	items := mustWriteFile(t, dir, "items.csv", "sku,name\nNEW-1,New one\n")
	mustImport(t, st, items, data.ImportOptions{})
	if r := mustImport(t, st, p, data.ImportOptions{}); r.RowsOK != 1 || r.RowsRejected != 1 {
		t.Fatalf("first: %+v", r)
	}
	items2 := mustWriteFile(t, dir, "items2.csv", "sku,name\nNEW-2,New two\n")
	mustImport(t, st, items2, data.ImportOptions{})
	r := mustImport(t, st, p, data.ImportOptions{})
	if r.Duplicate || r.RowsOK != 1 || r.RowsDuplicate != 1 {
		t.Fatalf("again: %+v", r)
	}
	want := map[stockKey]int64{{"NEW-1", "DC1"}: -2, {"NEW-2", "DC1"}: -3}
	if got := stockMap(t, st); !reflect.DeepEqual(got, want) {
		t.Errorf("stock %v, want %v", got, want)
	}
}

// TestImport_CreateItems creates unknown SKUs only when asked.
func TestImport_CreateItems(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations")
	p := mustWriteFile(t, t.TempDir(), "movements.csv", "date,sku,location,qty,kind,ref\n2026-11-02,X-1,DC1,5,receipt,PO-1\n")
	if r := mustImport(t, st, p, data.ImportOptions{}); r.RowsRejected != 1 || r.Errors[0].Column != "sku" {
		t.Fatalf("without --create-items: %+v", r)
	}
	if r := mustImport(t, st, p, data.ImportOptions{CreateItems: true}); r.RowsOK != 1 {
		t.Fatalf("with --create-items: %+v", r)
	}
	it, err := st.Item(context.Background(), "X-1")
	if err != nil || it.Name != "X-1" {
		t.Errorf("created item = %+v, %v", it, err)
	}
}

// TestHistory_Stockout: days that end with nothing on hand are marked, and
// the closing balance runs through days without movements.
func TestHistory_Stockout(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items", "movements", "sales")
	h, err := st.History(context.Background(), "DRL-18V", "DC1", model.MustDate("2026-11-08"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Start != model.MustDate("2026-11-01") {
		t.Errorf("start %s", h.Start)
	}
	wantClosing := []int64{40, 38, 28, 28, 28, 0, 0, 0}
	wantUnits := []float64{0, 2, 0, 0, 0, 28, 0, 0}
	wantOut := []bool{false, false, false, false, false, true, true, true}
	if !reflect.DeepEqual(h.Closing, wantClosing) || !reflect.DeepEqual(h.Units, wantUnits) || !reflect.DeepEqual(h.Stockout, wantOut) {
		t.Errorf("closing %v units %v stockout %v\nwant    %v units %v stockout %v", h.Closing, h.Units, h.Stockout, wantClosing, wantUnits, wantOut)
	}
	if web := h.ByChannel["web"]; web[5] != 28 {
		t.Errorf("web channel %v", web)
	}
}

func TestFileResult_Summary(t *testing.T) {
	for _, tc := range []struct {
		r    data.FileResult
		want string
	}{
		{data.FileResult{Path: "s.csv", Kind: data.KindSales, RowsOK: 1}, "s.csv: sales, 1 row imported"},
		{data.FileResult{Path: "s.csv", Kind: data.KindSales, RowsOK: 0, RowsRejected: 2}, "s.csv: sales, 0 rows imported, 2 rejected"},
		{data.FileResult{Path: "m.csv", Kind: data.KindMovements, RowsOK: 1200, RowsDuplicate: 3, RowsRejected: 1}, "m.csv: movements, 1200 rows imported, 3 already in the ledger, 1 rejected"},
		{data.FileResult{Path: "x.csv", Error: "cannot tell what the file holds"}, "x.csv: NOT IMPORTED: cannot tell what the file holds"},
		{data.FileResult{Path: "b.csv", Duplicate: true, DuplicateOf: "a.csv"}, "b.csv: already imported (same content as a.csv), nothing to do"},
	} {
		if got := tc.r.Summary(); got != tc.want {
			t.Errorf("Summary() = %q, want %q", got, tc.want)
		}
	}
}

// A rejected JSON record is cited by the line it starts on, however the
// records are laid out.
func TestImport_JSONLines(t *testing.T) {
	rec := func(id, qty string) string {
		return `{"date": "2026-11-02", "order_id": "` + id + `", "sku": "HMR-16", "location": "DC1", "channel": "web", "qty": ` + qty + `, "price": 12.5}`
	}
	for _, tc := range []struct {
		name, body string
		line       int
	}{
		// one record a line after "[": the bad third record is on line 4
		{"per line", "[\n" + rec("J1", "1") + ",\n" + rec("J2", "1") + ",\n" + rec("J3", `"x"`) + "\n]\n", 4},
		// two on the first line, the bad one on the next
		{"packed", "[" + rec("J1", "1") + ", " + rec("J2", "1") + ",\n  " + rec("J3", `"x"`) + "]\n", 2},
		// indented, each record over several lines
		{"indented", "[\n  {\n    \"date\": \"2026-11-02\", \"order_id\": \"J1\", \"sku\": \"HMR-16\",\n    \"location\": \"DC1\", \"channel\": \"web\", \"qty\": 1, \"price\": 12.5\n  },\n  {\n    \"date\": \"2026-11-02\", \"order_id\": \"J2\", \"sku\": \"HMR-16\",\n    \"location\": \"DC1\", \"channel\": \"web\", \"qty\": \"x\", \"price\": 12.5\n  }\n]\n", 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := mustOpenStore(t)
			mustImportGood(t, st, "locations", "suppliers", "items")
			p := filepath.Join(t.TempDir(), "sales.json")
			if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			res := mustImport(t, st, p, data.ImportOptions{})
			if res.RowsRejected != 1 || len(res.Errors) != 1 || res.Errors[0].Line != tc.line || res.Errors[0].Column != "qty" {
				t.Errorf("rejected %d, errors %+v; want one on line %d, qty", res.RowsRejected, res.Errors, tc.line)
			}
		})
	}
}

// With a clock, ledger rows dated more than a year ahead are refused (a
// mistyped year would make every item look dead); a year's room is left
// for data that runs to the end of a period, and events and promotions
// plan ahead.
func TestImport_FutureDates(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items")
	dir := t.TempDir()
	today := model.MustDate("2026-11-26")
	sales := mustWriteFile(t, dir, "sales-future.csv", "date,order_id,sku,location,channel,qty,price\n"+
		"2026-11-26,F1,HMR-16,DC1,web,1,12.5\n2027-11-27,F2,HMR-16,DC1,web,1,12.5\n2062-11-26,F3,HMR-16,DC1,web,1,12.5\n2027-11-28,F5,HMR-16,DC1,web,1,12.5\n")
	res, err := st.ImportFile(context.Background(), sales, data.ImportOptions{Today: today})
	if err != nil {
		t.Fatal(err)
	}
	want := []data.RowError{{Line: 4, Column: "date", Reason: "2062-11-26 is more than a year ahead (today is 2026-11-26): a mistyped year?"},
		{Line: 5, Column: "date", Reason: "2027-11-28 is more than a year ahead (today is 2026-11-26): a mistyped year?"}}
	if res.RowsOK != 2 || !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("sales: %d ok, errors %+v", res.RowsOK, res.Errors)
	}
	// A count is dated the day it was taken: tomorrow is let through (a
	// clock a time zone ahead), the day after is not.
	counts := mustWriteFile(t, dir, "counts-future.csv", "date,sku,location,counted_qty\n"+
		"2026-11-27,HMR-16,DC1,5\n2026-11-28,HMR-16,ST1,5\n")
	res, err = st.ImportFile(context.Background(), counts, data.ImportOptions{Today: today})
	want = []data.RowError{{Line: 3, Column: "date", Reason: "2026-11-28 has not come yet (today is 2026-11-26): a count is dated the day it was taken"}}
	if err != nil || res.RowsOK != 1 || !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("counts ahead: %d ok, errors %+v, %v", res.RowsOK, res.Errors, err)
	}
	events := mustWriteFile(t, dir, "events-2027.csv", "date,name,kind\n2027-12-25,Christmas,holiday\n")
	if res, err := st.ImportFile(context.Background(), events, data.ImportOptions{Today: today}); err != nil || res.RowsOK != 1 {
		t.Errorf("events ahead: %+v %v", res, err)
	}
	// Without a clock (the zero Today) nothing is refused for its date.
	later := mustWriteFile(t, dir, "sales-later.csv", "date,order_id,sku,location,channel,qty,price\n2062-11-26,F4,HMR-16,DC1,web,1,12.5\n")
	if res, err := st.ImportFile(context.Background(), later, data.ImportOptions{}); err != nil || res.RowsOK != 1 {
		t.Errorf("no clock: %+v %v", res, err)
	}
}

// An order that lists one SKU twice with different quantities loses no
// units silently: the natural key (order and SKU) would drop the second
// line as a duplicate, so it is rejected with the fix; the same line
// twice, or the whole file again, is still a duplicate; with its own
// order_id the extra line imports.
func TestImport_SaleTwiceInOneOrder(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items")
	onHand := func() int64 { return stockMap(t, st)[stockKey{"HMR-16", "DC1"}] }
	before := onHand()
	dir := t.TempDir()
	head := "date,order_id,sku,location,channel,qty,price\n"
	body := "2026-11-20,T1,HMR-16,DC1,web,2,12.5\n2026-11-20,T1,DRL-18V,DC1,web,1,99\n2026-11-20,T1,HMR-16,DC1,web,1,0\n" +
		"2026-11-20,T2,HMR-16,DC1,web,1,12.5\n2026-11-20,T2,HMR-16,DC1,web,1,12.5\n"
	res := mustImport(t, st, mustWriteFile(t, dir, "sales-t.csv", head+body), data.ImportOptions{})
	want := []data.RowError{{Line: 4, Column: "order_id", Reason: "order T1 lists HMR-16 on line 2 already (2 at DC1 on 2026-11-20); if this is more of it, give this line its own order_id, such as T1/2"}}
	if res.RowsOK != 3 || res.RowsDuplicate != 1 || !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("first import: %d ok, %d duplicate, errors %+v", res.RowsOK, res.RowsDuplicate, res.Errors)
	}
	if got := onHand(); got != before-3 {
		t.Errorf("on hand %d, want %d (2 + 1 sold)", got, before-3)
	}
	// The lines again under another name (and one more line, so it is not
	// the same file): duplicates, and the second T1 line is refused again.
	res = mustImport(t, st, mustWriteFile(t, dir, "sales-t-again.csv", head+body+"2026-11-21,T3,HMR-16,DC1,web,1,12.5\n"), data.ImportOptions{})
	if res.RowsOK != 1 || res.RowsDuplicate != 4 || res.RowsRejected != 1 {
		t.Errorf("again: %+v", res)
	}
	fixed := strings.Replace(body, "T1,HMR-16,DC1,web,1,0", "T1/2,HMR-16,DC1,web,1,0", 1)
	if res := mustImport(t, st, mustWriteFile(t, dir, "sales-t-fixed.csv", head+fixed), data.ImportOptions{}); res.RowsOK != 1 || res.RowsRejected != 0 {
		t.Errorf("fixed: %+v", res)
	}
	if got := onHand(); got != before-5 {
		t.Errorf("on hand %d, want %d", got, before-5)
	}
}

// A count for an earlier day imported after a later one (files out of
// order, or one file not in date order) leaves the stock at what was
// counted last: it once carried the earlier correction past the later
// count (counted 8 on the 20th, then 5 on the 10th: on hand 3).
func TestImport_CountsOutOfOrder(t *testing.T) {
	ctx := context.Background()
	head := "date,sku,location,counted_qty\n"
	for _, tc := range []struct {
		name  string
		files []string
		last  int64
	}{
		{"two files", []string{head + "2026-11-20,HMR-16,DC1,8\n", head + "2026-11-10,HMR-16,DC1,5\n"}, 8},
		{"one file", []string{head + "2026-11-20,HMR-16,DC1,8\n2026-11-10,HMR-16,DC1,5\n"}, 8},
		{"four counts", []string{head + "2026-11-20,HMR-16,DC1,8\n2026-11-25,HMR-16,DC1,7\n", head + "2026-11-10,HMR-16,DC1,5\n2026-11-15,HMR-16,DC1,6\n"}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := mustOpenStore(t)
			mustImportGood(t, st, "locations", "suppliers", "items")
			dir := t.TempDir()
			mustImport(t, st, mustWriteFile(t, dir, "movements.csv", "date,sku,location,qty,kind,ref\n2026-11-01,HMR-16,DC1,10,receipt,R1\n"), data.ImportOptions{})
			for i, f := range tc.files {
				res := mustImport(t, st, mustWriteFile(t, dir, fmt.Sprintf("counts-%d.csv", i), f), data.ImportOptions{})
				if res.RowsRejected != 0 {
					t.Fatalf("%+v", res)
				}
			}
			if got := stockMap(t, st)[stockKey{"HMR-16", "DC1"}]; got != tc.last {
				t.Errorf("on hand %d, want the last count's %d", got, tc.last)
			}
			if err := st.Check(ctx); err != nil {
				t.Errorf("store invariants: %v", err)
			}
		})
	}
}

// A second count of one item×location on one day that says another number
// is rejected with the fix, in the same file or a later one; the same
// number again is a duplicate. It was once dropped silently as one.
func TestImport_Recount(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items")
	dir := t.TempDir()
	head := "date,sku,location,counted_qty\n"
	res := mustImport(t, st, mustWriteFile(t, dir, "counts-1.csv", head+"2026-11-25,HMR-16,DC1,20\n2026-11-25,HMR-16,DC1,21\n2026-11-25,HMR-16,DC1,20\n"), data.ImportOptions{})
	want := []data.RowError{{Line: 3, Column: "counted_qty", Reason: "HMR-16 at DC1 was counted 20 on 2026-11-25 on line 2 already; one count a day stands: if this recount is right, book the difference (+1) as an adjustment movement"}}
	if res.RowsOK != 1 || res.RowsDuplicate != 1 || !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("one file: %d ok, %d duplicate, errors %+v", res.RowsOK, res.RowsDuplicate, res.Errors)
	}
	res = mustImport(t, st, mustWriteFile(t, dir, "counts-2.csv", head+"2026-11-25,HMR-16,DC1,19\n2026-11-25,HMR-16,DC1,20\n"), data.ImportOptions{})
	want = []data.RowError{{Line: 2, Column: "counted_qty", Reason: "HMR-16 at DC1 was counted 20 on 2026-11-25 in the ledger already; one count a day stands: if this recount is right, book the difference (-1) as an adjustment movement"}}
	if res.RowsOK != 0 || res.RowsDuplicate != 1 || !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("a later file: %d ok, %d duplicate, errors %+v", res.RowsOK, res.RowsDuplicate, res.Errors)
	}
	if got := stockMap(t, st)[stockKey{"HMR-16", "DC1"}]; got != 20 {
		t.Errorf("on hand %d, want the count's 20", got)
	}
}

// A CSV that is not UTF-8 (Excel on Windows saves the system code page)
// is read as Windows-1252, where it was refused as "not text", whether the
// first such byte is near the start or far past the first block; the result
// says how it was read. Binary content is still refused.
func TestImport_Windows1252(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers")
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("sku,name\nW1,Caf\xe9 cr\xe8me\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "P%05d,Plain %d\n", i, i)
	}
	b.WriteString("W2,Cr\xe8me br\xfbl\xe9e \x80 5\n") // past the first 64 KiB; 0x80 is the euro sign
	res := mustImport(t, st, mustWriteFile(t, dir, "items-ansi.csv", b.String()), data.ImportOptions{})
	if res.RowsOK != 5002 || res.Encoding != "windows-1252" || !strings.Contains(res.Summary(), "(read as windows-1252: not UTF-8)") {
		t.Errorf("%+v: %s", res, res.Summary())
	}
	for sku, want := range map[string]string{"W1": "Café crème", "W2": "Crème brûlée € 5"} {
		it, err := st.Item(context.Background(), sku)
		if err != nil || it.Name != want {
			t.Errorf("%s: name %q (%v), want %q", sku, it.Name, err, want)
		}
	}
	// UTF-8 stays UTF-8.
	res = mustImport(t, st, mustWriteFile(t, dir, "items-utf8.csv", "sku,name\nW3,Café crème\n"), data.ImportOptions{})
	if it, _ := st.Item(context.Background(), "W3"); res.Encoding != "" || it.Name != "Café crème" {
		t.Errorf("UTF-8: %+v, name %q", res, it.Name)
	}
	// Binary is not text in any code page.
	res, err := st.ImportFile(context.Background(), mustWriteFile(t, dir, "items-bin.csv", "sku,name\nW4,a\x00b\n"), data.ImportOptions{})
	if err != nil || !strings.Contains(res.Error, "NUL byte") {
		t.Errorf("binary: %+v %v", res, err)
	}
}
