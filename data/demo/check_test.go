package demo_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"stockroom/model"
)

// The canonical headers the importer reads (briefs/formats.md).
var canonical = map[string]string{
	"locations":  "code,name,kind,lat,lon",
	"suppliers":  "code,name,lead_time_days,lead_time_sd_days,moq",
	"items":      "sku,name,category,uom,unit_cost,price,supplier,pack_size,moq,delisted_on",
	"events":     "date,name,kind,applies_to",
	"promotions": "sku,location,channel,start,end,discount_pct",
	"movements":  "date,sku,location,qty,kind,ref",
	"sales":      "date,order_id,sku,location,channel,qty,price",
	"counts":     "date,sku,location,counted_qty",
	"nodes":      "id,lat,lon",
	"roads":      "from,to,length_m,speed_kmh,oneway",
	"vehicles":   "id,depot,capacity,shift_start_min,shift_end_min,max_duration_min",
	"deliveries": "id,date,depot,customer,lat,lon,demand,service_min,ready_min,due_min",
}

// kindOrder is the order a folder is imported in.
var kindOrder = []string{"locations", "suppliers", "items", "events", "promotions", "nodes", "roads",
	"vehicles", "movements", "sales", "counts", "deliveries"}

type saleRow struct {
	date            model.Date
	order, sku, loc string
	ch              string
	qty             int64
	priceC          int64
	file            string
	line            int
	duplicate       bool // in a resent or re-exported file
}

type moveRow struct {
	date          model.Date
	sku, loc, ref string
	qty           int64
	kind          model.MovementKind
}

type countRow struct {
	date     model.Date
	sku, loc string
	qty      int64
}

// dataset is a generated folder read back by a strict reader that knows
// nothing of the generator: canonical headers, exact field counts, every
// value parsed and validated with the model's rules, references resolved and
// natural keys unique.
type dataset struct {
	dir        string
	locations  map[string]model.Location
	suppliers  map[string]model.Supplier
	items      map[string]model.Item
	itemOrder  []string
	events     []model.Event
	promos     []model.Promotion
	nodes      map[int64]model.RoadNode
	roads      []model.RoadEdge
	vehicles   []model.Vehicle
	deliveries []model.Delivery
	sales      []saleRow // from the monthly files only
	extraSales []saleRow // from resent and re-exported files
	moves      []moveRow
	counts     []countRow
	files      []string
}

type lineErr struct {
	file string
	line int
	err  error
}

func (e *lineErr) Error() string { return fmt.Sprintf("%s:%d: %v", e.file, e.line, e.err) }

func parseDateStrict(s string) (model.Date, error) {
	d, err := model.ParseDate(s)
	if err != nil {
		return d, err
	}
	if d.String() != s {
		return d, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return d, nil
}

func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

func parseFloat(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		err = fmt.Errorf("%q is not finite", s)
	}
	return v, err
}

// parseCents reads a money amount with exactly two decimals.
func parseCents(s string) (int64, error) {
	i := strings.IndexByte(s, '.')
	if i < 0 || len(s)-i != 3 {
		return 0, fmt.Errorf("price %q does not have two decimals", s)
	}
	u, err := parseInt(s[:i])
	if err != nil {
		return 0, err
	}
	c, err := parseInt(s[i+1:])
	if err != nil || c < 0 {
		return 0, fmt.Errorf("price %q: bad cents", s)
	}
	return u*100 + c, nil
}

// fileKind is the kind a file name starts with.
func fileKind(name string) string {
	base := strings.TrimSuffix(name, ".csv")
	if i := strings.IndexByte(base, '-'); i >= 0 {
		base = base[:i]
	}
	return base
}

func readDataset(tb testing.TB, dir string) *dataset {
	tb.Helper()
	ds := &dataset{dir: dir, locations: map[string]model.Location{}, suppliers: map[string]model.Supplier{},
		items: map[string]model.Item{}, nodes: map[int64]model.RoadNode{}}
	ents, err := os.ReadDir(filepath.Join(dir, "import"))
	if err != nil {
		tb.Fatal(err)
	}
	byKind := map[string][]string{}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".csv") {
			tb.Fatalf("import folder holds %q: hidden, temporary or not CSV", name)
		}
		k := fileKind(name)
		if _, ok := canonical[k]; !ok {
			tb.Fatalf("file %q: unknown kind %q", name, k)
		}
		byKind[k] = append(byKind[k], name)
	}
	for _, k := range kindOrder {
		names := byKind[k]
		sort.Strings(names)
		for _, name := range names {
			ds.files = append(ds.files, name)
			if err := ds.readFile(k, name); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return ds
}

func (ds *dataset) readFile(kind, name string) error {
	path := filepath.Join(ds.dir, "import", name)
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) || bytes.Contains(raw, []byte("\r")) {
		return fmt.Errorf("%s: BOM or CR in a generated file", name)
	}
	nl := bytes.IndexByte(raw, '\n')
	if nl < 0 {
		return fmt.Errorf("%s: no header line", name)
	}
	if got := string(raw[:nl]); got != canonical[kind] {
		return fmt.Errorf("%s: header %q, want %q", name, got, canonical[kind])
	}
	want := strings.Count(canonical[kind], ",") + 1
	r := csv.NewReader(bytes.NewReader(raw[nl+1:]))
	r.FieldsPerRecord = want
	r.ReuseRecord = true
	duplicate := strings.Contains(name, "resend") || strings.Contains(name, "reexport")
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return &lineErr{name, line, err}
		}
		if err := ds.row(kind, name, line, rec, duplicate); err != nil {
			return &lineErr{name, line, err}
		}
	}
	return nil
}

func (ds *dataset) row(kind, file string, line int, f []string, duplicate bool) error {
	var err error
	need := func(e error) {
		if err == nil && e != nil {
			err = e
		}
	}
	date := func(s string) model.Date {
		d, e := parseDateStrict(s)
		need(e)
		return d
	}
	i64 := func(s string) int64 {
		v, e := parseInt(s)
		need(e)
		return v
	}
	f64 := func(s string) float64 {
		v, e := parseFloat(s)
		need(e)
		return v
	}
	sku := func(s string) {
		if _, ok := ds.items[s]; !ok {
			need(fmt.Errorf("unknown sku %q", s))
		}
	}
	loc := func(s string) {
		if _, ok := ds.locations[s]; !ok {
			need(fmt.Errorf("unknown location %q", s))
		}
	}
	channel := func(s string) {
		switch s {
		case "web", "store", "marketplace":
		default:
			need(fmt.Errorf("unknown channel %q", s))
		}
	}
	switch kind {
	case "locations":
		k, ok := model.ParseLocationKind(f[2])
		if !ok || string(k) != f[2] {
			return fmt.Errorf("location kind %q", f[2])
		}
		l := model.Location{Code: f[0], Name: f[1], Kind: k, Lat: f64(f[3]), Lon: f64(f[4])}
		need(l.Validate())
		if _, dup := ds.locations[l.Code]; dup {
			need(fmt.Errorf("duplicate location %q", l.Code))
		}
		ds.locations[l.Code] = l
	case "suppliers":
		s := model.Supplier{Code: f[0], Name: f[1], LeadTimeDays: f64(f[2]), LeadTimeSDays: f64(f[3]), MOQ: i64(f[4])}
		need(s.Validate())
		if _, dup := ds.suppliers[s.Code]; dup {
			need(fmt.Errorf("duplicate supplier %q", s.Code))
		}
		ds.suppliers[s.Code] = s
	case "items":
		cost, e1 := parseCents(f[4])
		price, e2 := parseCents(f[5])
		need(e1)
		need(e2)
		it := model.Item{SKU: f[0], Name: f[1], Category: f[2], UOM: f[3], UnitCost: float64(cost) / 100,
			Price: float64(price) / 100, Supplier: f[6], PackSize: i64(f[7]), MOQ: i64(f[8]), Delisted: model.NoDate}
		if f[9] != "" {
			it.Delisted = date(f[9])
		}
		need(it.Validate())
		if _, ok := ds.suppliers[it.Supplier]; !ok {
			need(fmt.Errorf("unknown supplier %q", it.Supplier))
		}
		if it.MOQ%it.PackSize != 0 {
			need(fmt.Errorf("moq %d is not whole packs of %d", it.MOQ, it.PackSize))
		}
		if _, dup := ds.items[it.SKU]; dup {
			need(fmt.Errorf("duplicate sku %q", it.SKU))
		}
		ds.items[it.SKU] = it
		ds.itemOrder = append(ds.itemOrder, it.SKU)
	case "events":
		e := model.Event{Date: date(f[0]), Name: f[1], Kind: f[2], AppliesTo: f[3]}
		need(e.Validate())
		ds.events = append(ds.events, e)
	case "promotions":
		p := model.Promotion{SKU: f[0], Location: f[1], Channel: f[2], Start: date(f[3]), End: date(f[4]), DiscountPct: f64(f[5])}
		need(p.Validate())
		sku(p.SKU)
		if p.Location != "" {
			loc(p.Location)
		}
		if p.Channel != "" {
			channel(p.Channel)
		}
		ds.promos = append(ds.promos, p)
	case "nodes":
		n := model.RoadNode{ID: i64(f[0]), Lat: f64(f[1]), Lon: f64(f[2])}
		need(n.Validate())
		if _, dup := ds.nodes[n.ID]; dup {
			need(fmt.Errorf("duplicate node %d", n.ID))
		}
		ds.nodes[n.ID] = n
	case "roads":
		if f[4] != "0" && f[4] != "1" {
			need(fmt.Errorf("oneway %q", f[4]))
		}
		e := model.RoadEdge{From: i64(f[0]), To: i64(f[1]), LengthM: f64(f[2]), SpeedKmh: f64(f[3]), OneWay: f[4] == "1"}
		need(e.Validate())
		for _, id := range []int64{e.From, e.To} {
			if _, ok := ds.nodes[id]; !ok {
				need(fmt.Errorf("unknown node %d", id))
			}
		}
		ds.roads = append(ds.roads, e)
	case "vehicles":
		v := model.Vehicle{ID: f[0], Depot: f[1], Capacity: i64(f[2]), ShiftStartMin: f64(f[3]), ShiftEndMin: f64(f[4]), MaxDurationMin: f64(f[5])}
		need(v.Validate())
		loc(v.Depot)
		ds.vehicles = append(ds.vehicles, v)
	case "deliveries":
		d := model.Delivery{ID: f[0], Date: date(f[1]), Depot: f[2], Customer: f[3], Lat: f64(f[4]), Lon: f64(f[5]),
			Demand: i64(f[6]), ServiceMin: f64(f[7]), ReadyMin: f64(f[8]), DueMin: f64(f[9])}
		need(d.Validate())
		if l, ok := ds.locations[d.Depot]; !ok || l.Kind != model.Depot {
			need(fmt.Errorf("delivery depot %q is not a depot", d.Depot))
		}
		ds.deliveries = append(ds.deliveries, d)
	case "movements":
		k, ok := model.ParseMovementKind(f[4])
		if !ok || string(k) != f[4] {
			return fmt.Errorf("movement kind %q", f[4])
		}
		m := model.Movement{Date: date(f[0]), SKU: f[1], Location: f[2], Qty: i64(f[3]), Kind: k, Ref: f[5]}
		need(m.Validate())
		need(model.ValidCode("ref", m.Ref))
		sku(m.SKU)
		loc(m.Location)
		ds.moves = append(ds.moves, moveRow{m.Date, m.SKU, m.Location, m.Ref, m.Qty, k})
	case "sales":
		pc, e := parseCents(f[6])
		need(e)
		s := model.SaleLine{Date: date(f[0]), OrderID: f[1], SKU: f[2], Location: f[3], Channel: f[4], Qty: i64(f[5]), Price: float64(pc) / 100}
		need(s.Validate())
		sku(s.SKU)
		loc(s.Location)
		channel(s.Channel)
		r := saleRow{s.Date, s.OrderID, s.SKU, s.Location, s.Channel, s.Qty, pc, file, line, duplicate}
		if duplicate {
			ds.extraSales = append(ds.extraSales, r)
		} else {
			ds.sales = append(ds.sales, r)
		}
	case "counts":
		c := model.StockCount{Date: date(f[0]), SKU: f[1], Location: f[2], CountedQty: i64(f[3])}
		need(c.Validate())
		sku(c.SKU)
		loc(c.Location)
		ds.counts = append(ds.counts, countRow{c.Date, c.SKU, c.Location, c.CountedQty})
	}
	return err
}

// anomaly is one row of truth/anomalies.csv.
type anomaly struct {
	kind, sku, loc, ch string
	date               model.Date
	detail             string
}

func readAnomalies(tb testing.TB, dir string) []anomaly {
	tb.Helper()
	var out []anomaly
	readCSV(tb, filepath.Join(dir, "truth", "anomalies.csv"), "kind,sku,location,channel,date,detail", func(f []string) {
		d, err := parseDateStrict(f[4])
		if err != nil {
			tb.Fatalf("anomalies.csv: %v", err)
		}
		out = append(out, anomaly{f[0], f[1], f[2], f[3], d, f[5]})
	})
	return out
}

// readCSV reads a truth file with a known header.
func readCSV(tb testing.TB, path, header string, row func(f []string)) {
	tb.Helper()
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.FieldsPerRecord = strings.Count(header, ",") + 1
	h, err := r.Read()
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if strings.Join(h, ",") != header {
		tb.Fatalf("%s: header %q, want %q", path, strings.Join(h, ","), header)
	}
	for {
		f, err := r.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		row(f)
	}
}
