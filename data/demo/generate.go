package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"stockroom/model"
)

// Options say what to generate. Zero fields take the defaults.
type Options struct {
	Items         int        // catalogue size; default 2000
	Seed          int64      // same options and seed give byte-identical files
	End           model.Date // last day of history (the caller passes today); required
	Days          int        // days of history; default 730
	Locations     int        // default 3: a distribution centre (depot) and stores; at most 32
	Channels      int        // default 2: web and store; 3 adds a marketplace
	DeliveryDays  int        // days of deliveries planned after End; default 7
	DeliveryScale float64    // multiplies the deliveries per day (about 30–180); default 1
	RoadGrid      int        // streets each way of the road grid; default 55 (about 3,000 nodes)
	Workers       int        // goroutines; default runtime.GOMAXPROCS(0). Output does not depend on it.
	DemandTruth   bool       // also write truth/demand-YYYY-MM.csv: true demand per series and day
}

// Defaults of Options.
const (
	DefaultItems     = 2000
	DefaultDays      = 730
	DefaultLocations = 3
	DefaultChannels  = 2
)

// ErrNotEmpty is returned when the import or truth folder already holds
// files: a stale month from an earlier run would be imported with the new
// ones, or mixed into the truth.
var ErrNotEmpty = errors.New("import folder is not empty")

func (o Options) withDefaults() (Options, error) {
	if o.Items == 0 {
		o.Items = DefaultItems
	}
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.Locations == 0 {
		o.Locations = DefaultLocations
	}
	if o.Channels == 0 {
		o.Channels = DefaultChannels
	}
	if o.DeliveryDays == 0 {
		o.DeliveryDays = 7
	}
	if o.DeliveryScale == 0 {
		o.DeliveryScale = 1
	}
	if o.RoadGrid == 0 {
		o.RoadGrid = defaultRoadGrid
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.End == 0 || o.End == model.NoDate:
		return o, errors.New("end date is required")
	case o.Items < 1:
		return o, fmt.Errorf("items must be at least 1, got %d", o.Items)
	case o.Days < 28:
		return o, fmt.Errorf("days must be at least 28, got %d", o.Days)
	case o.Locations < 1 || o.Locations > 32:
		return o, fmt.Errorf("locations must be within 1..32, got %d", o.Locations)
	case o.Channels < 1 || o.Channels > maxChannels:
		return o, fmt.Errorf("channels must be within 1..%d, got %d", maxChannels, o.Channels)
	case o.DeliveryDays < 0 || o.DeliveryScale < 0:
		return o, errors.New("deliveries must not be negative")
	case o.RoadGrid < 8 || o.RoadGrid > 400:
		return o, fmt.Errorf("road grid must be within 8..400, got %d", o.RoadGrid)
	}
	return o, nil
}

// FileSummary describes one written file.
type FileSummary struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Rows        int64  `json:"rows"`
	Bytes       int64  `json:"bytes"`
	DuplicateOf string `json:"duplicate_of,omitempty"` // byte-identical copy of this file
	Repeats     string `json:"repeats,omitempty"`      // its lines are also in this file (same natural keys)
}

// Summary is what a run wrote and what the simulated history turned out to
// be. It is also written to truth/summary.json.
type Summary struct {
	Seed      int64    `json:"seed"`
	Items     int      `json:"items"`
	Days      int      `json:"days"`
	Start     string   `json:"start"`
	End       string   `json:"end"`
	Locations []string `json:"locations"`
	Channels  []string `json:"channels"`

	Files      []FileSummary `json:"files"`       // in import/, in the order written
	TruthFiles []FileSummary `json:"truth_files"` // in truth/

	SalesRows     int64 `json:"sales_rows"` // not counting the duplicate files
	MovementRows  int64 `json:"movement_rows"`
	CountRows     int64 `json:"count_rows"`
	PromotionRows int64 `json:"promotion_rows"`
	EventRows     int64 `json:"event_rows"`
	Suppliers     int   `json:"suppliers"`
	Nodes         int   `json:"nodes"`
	Roads         int   `json:"roads"`
	Vehicles      int   `json:"vehicles"`
	Deliveries    int   `json:"deliveries"`

	DemandUnits   int64   `json:"demand_units"`   // what customers wanted
	SoldUnits     int64   `json:"sold_units"`     // what they got: min(demand, shelf stock)
	RecordedUnits int64   `json:"recorded_units"` // what the sales files say (anomalies included)
	LostUnits     int64   `json:"lost_units"`     // demand not served for want of stock
	FillRate      float64 `json:"fill_rate"`      // sold / demand
	StockoutDays  int64   `json:"stockout_series_days"`
	ShrinkUnits   int64   `json:"shrink_units"` // unrecorded losses (theft, damage)
	ReturnUnits   int64   `json:"return_units"`
	ReceiptUnits  int64   `json:"receipt_units"`
	TransferUnits int64   `json:"transfer_units"`
	POLines       int64   `json:"po_lines"`

	// Intermittent items sell on fewer than 1/1.32 of their days (average
	// demand interval above 1.32, after Syntetos and Boylan); mostly-zero
	// items sell on fewer than half.
	IntermittentItems int     `json:"intermittent_items"`
	IntermittentShare float64 `json:"intermittent_share"`
	MostlyZeroItems   int     `json:"mostly_zero_items"`
	MostlyZeroShare   float64 `json:"mostly_zero_share"`

	Anomalies         map[string]int `json:"anomalies"` // injected, by kind
	NegativeBookPairs int            `json:"negative_book_pairs"`

	MinLat float64 `json:"min_lat"` // bounding box of the road network
	MaxLat float64 `json:"max_lat"`
	MinLon float64 `json:"min_lon"`
	MaxLon float64 `json:"max_lon"`
}

// gen is one run.
type gen struct {
	o          Options
	impDir     string
	truthDir   string
	start, end model.Date
	days       int
	cal        *calendar
	net        *network
	locs       []location
	sups       []supplier
	items      []item
	dates      []string // YYYY-MM-DD of each day of history
	compact    []string // YYYYMMDD
	countLoc   []uint32 // bit l set: location l counts that day
	monthIdx   []int

	files      []*outFile
	truthFiles []*outFile
	open       []*outFile // not yet closed, for abort

	month                   int // year*12+month of the open monthly files
	sales, moves, counts    *outFile
	demand                  *outFile
	anoms                   *outFile
	resendMonth, reexportAt int
	st                      stats
	fired                   map[string]int
}

// Generate writes a demo data set: dir/import holds the files to import
// (named by kind, monthly for movements, sales and counts), dir/truth what
// the simulation knows and the files do not say: the injected anomalies,
// final stock, item parameters, event uplifts and a summary. It streams: its
// memory grows with the number of items, not with rows. progress, if not
// nil, is called on the calling goroutine after each simulated day with
// item-days done and in all.
func Generate(ctx context.Context, dir string, opt Options, progress func(done, total int64)) (Summary, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	g := &gen{o: o, impDir: filepath.Join(dir, "import"), truthDir: filepath.Join(dir, "truth"), fired: map[string]int{}}
	for _, d := range []string{g.impDir, g.truthDir} {
		if ents, err := os.ReadDir(d); err == nil && len(ents) > 0 {
			return Summary{}, fmt.Errorf("demo: %s: %w", d, ErrNotEmpty)
		}
	}
	for _, d := range []string{g.impDir, g.truthDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return Summary{}, fmt.Errorf("demo: %w", err)
		}
	}
	defer func() {
		for _, f := range g.open {
			f.abort()
		}
	}()
	g.setup()
	if err := g.writeStatic(); err != nil {
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	if err := g.simulate(ctx, progress); err != nil {
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	sum, err := g.finish()
	if err != nil {
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	return sum, nil
}

func (g *gen) setup() {
	o := &g.o
	g.end = o.End
	g.days = o.Days
	g.start = o.End.AddDays(-(o.Days - 1))
	g.cal = newCalendar(o.Seed, g.start, o.End.AddDays(120), o.End.AddDays(365))
	g.net = makeNetwork(o.Seed, o.RoadGrid)
	g.locs = makeLocations(o.Seed, o.Locations, o.Channels, g.net)
	g.sups = makeSuppliers(o.Seed, o.Items, o.Locations)
	g.items = makeItems(o, g.start, g.locs, g.sups)
	trig := promoTriggers(g.cal.events)
	for i := range g.items {
		makePromotions(o.Seed, &g.items[i], g.start, o.End.AddDays(28), trig, g.locs)
	}
	g.dates = make([]string, g.days)
	g.compact = make([]string, g.days)
	g.countLoc = make([]uint32, g.days)
	g.monthIdx = make([]int, g.days)
	for k := range g.days {
		d := g.start.AddDays(k)
		g.dates[k] = d.String()
		g.compact[k] = compact(d)
		t := d.Time()
		g.monthIdx[k] = t.Year()*12 + int(t.Month()) - 1
		// Cycle counts: each location counts on its own weekday (Monday to
		// Wednesday) of the first full week of the month, after trading.
		for l := range g.locs {
			wd := time.Weekday(1 + l%3)
			if t.Weekday() == wd && t.Day() >= 2 && t.Day() <= 8 {
				g.countLoc[k] |= 1 << l
			}
		}
	}
	g.planAnomalies()
}

// planAnomalies picks the items, places and days of the injected anomalies:
// max(2, items/250) of each kind (half as many again of sales without stock,
// which wait for a stockout that may not come), each on its own item where
// the catalogue allows, on items that sell often enough to show it.
func (g *gen) planAnomalies() {
	r := newRNG(g.o.Seed, streamAnomaly)
	per := max(2, g.o.Items/250)
	used := map[int]bool{}
	// Candidates by how much they sell: a typo or a stuck feed must land on
	// days with sales, a theft on a shelf with stock. A big catalogue's
	// popularity quantiles say little (its 30th percentile is slow), so
	// pools go by rate, topped up with the best sellers when short.
	var steady []int
	for i := range g.items {
		if it := &g.items[i]; it.launch == g.start && it.delist == model.NoDate {
			steady = append(steady, i)
		}
	}
	sort.SliceStable(steady, func(a, b int) bool { return g.items[steady[a]].rate > g.items[steady[b]].rate })
	poolOf := func(minRate float64) []int {
		n := 0
		for n < len(steady) && g.items[steady[n]].rate >= minRate {
			n++
		}
		return steady[:max(n, min(len(steady), 6*per))]
	}
	busy, any := poolOf(1.5), poolOf(0.3)
	span := func(lo, hi int) model.Date {
		a := g.start.AddDays(lo)
		b := g.end.AddDays(-hi)
		if b <= a {
			return a
		}
		return a.AddDays(r.intn(int(b-a) + 1))
	}
	early := min(60, g.days/4)
	late := min(20, g.days/10)
	for _, kind := range anomalyKinds {
		pool := busy
		if kind == kindVanish || kind == kindTheft {
			pool = any
		}
		if len(pool) == 0 {
			continue
		}
		n := per
		if kind == kindNoStock {
			n += per / 2 // it needs a stockout, and not every item has one
		}
		for range n {
			idx := pool[r.intn(len(pool))]
			for try := 0; try < 20 && used[idx]; try++ {
				idx = pool[r.intn(len(pool))]
			}
			used[idx] = true
			it := &g.items[idx]
			var ls []int
			for l := range it.locs {
				if it.locs[l].ranged {
					ls = append(ls, l)
				}
			}
			l := ls[r.intn(len(ls))]
			var chs []int
			for ch := range maxChannels {
				if it.locs[l].share[ch] > 0 {
					chs = append(chs, ch)
				}
			}
			p := &plan{kind: kind, loc: l, ch: chs[r.intn(len(chs))]}
			if kind != kindNoStock {
				// Typos and feeds show on the location's main channel.
				for _, ch := range chs {
					if it.locs[l].share[ch] > it.locs[l].share[p.ch] {
						p.ch = ch
					}
				}
			}
			switch kind {
			case kindLevelShift:
				p.day = span(g.days/3, g.days/5)
				p.factor = []float64{2.5, 0.4, 3, 0.3}[r.intn(4)]
			case kindStuck:
				p.n = 7 + r.intn(15)
				p.day = span(early, late+p.n+60)
			default:
				p.day = span(early, late)
			}
			p.until = p.day.AddDays(60)
			if kind == kindNoStock {
				p.loc, p.until = -1, g.end
			}
			it.plans = append(it.plans, p)
		}
	}
	// A month's sales file sent again, and one day exported twice.
	pick := g.end.AddDays(-(60 + r.intn(120)))
	if pick < g.start {
		pick = g.start.AddDays(g.days / 2)
	}
	g.resendMonth = g.monthIdx[int(pick-g.start)]
	re := g.end.AddDays(-(10 + r.intn(30)))
	if re < g.start {
		re = g.start.AddDays(g.days / 3)
	}
	g.reexportAt = int(re - g.start)
}

func ff(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

func (g *gen) create(dir, name, kind, header string) (*outFile, error) {
	f, err := createFile(dir, name, kind, header)
	if err != nil {
		return nil, err
	}
	g.open = append(g.open, f)
	if dir == g.impDir {
		g.files = append(g.files, f)
	} else {
		g.truthFiles = append(g.truthFiles, f)
	}
	return f, nil
}

func (g *gen) closeFile(f *outFile) error {
	for i, o := range g.open {
		if o == f {
			g.open = append(g.open[:i], g.open[i+1:]...)
			break
		}
	}
	return f.close()
}

// writeStatic writes every file that is not a daily record: master data,
// the calendar, promotions and the routing inputs.
func (g *gen) writeStatic() error {
	write := func(dir, name, kind, header string, rows func(f *outFile)) error {
		f, err := g.create(dir, name, kind, header)
		if err != nil {
			return err
		}
		rows(f)
		return g.closeFile(f)
	}
	steps := []struct {
		dir, name, kind, header string
		rows                    func(f *outFile)
	}{
		{g.impDir, "locations.csv", "locations", "code,name,kind,lat,lon", func(f *outFile) {
			for _, l := range g.locs {
				f.line(l.code, l.name, string(l.kind), ff(l.lat, 6), ff(l.lon, 6))
			}
		}},
		{g.impDir, "suppliers.csv", "suppliers", "code,name,lead_time_days,lead_time_sd_days,moq", func(f *outFile) {
			for _, s := range g.sups {
				f.line(s.Code, s.Name, ff(s.LeadTimeDays, 1), ff(s.LeadTimeSDays, 1), itoa(s.MOQ))
			}
		}},
		{g.impDir, "items.csv", "items", "sku,name,category,uom,unit_cost,price,supplier,pack_size,moq,delisted_on", func(f *outFile) {
			for i := range g.items {
				it := &g.items[i]
				c := &categories[it.cat]
				// The catalogue knows a delisting ahead: from the day after
				// the last reorder, what is left is cleared, never bought.
				delisted := ""
				if it.delist != model.NoDate {
					delisted = it.delist.AddDays(1).String()
				}
				f.line(it.sku, it.name, c.name, c.uom, cents(it.costC), cents(it.priceC), g.sups[it.sup].Code, itoa(it.pack), itoa(it.moq), delisted)
			}
		}},
		{g.impDir, "events.csv", "events", "date,name,kind,applies_to", func(f *outFile) {
			for _, e := range g.cal.events {
				f.line(e.date.String(), e.name, e.kind, e.appliesTo)
			}
		}},
		{g.impDir, "promotions.csv", "promotions", "sku,location,channel,start,end,discount_pct", func(f *outFile) {
			for i := range g.items {
				it := &g.items[i]
				for _, p := range it.promos {
					loc, ch := "", ""
					if p.loc >= 0 {
						loc = g.locs[p.loc].code
					}
					if p.ch >= 0 {
						ch = channelNames[p.ch]
					}
					f.line(it.sku, loc, ch, p.start.String(), p.end.String(), itoa(p.pct))
				}
			}
		}},
		{g.impDir, "nodes.csv", "nodes", "id,lat,lon", func(f *outFile) {
			for k, id := range g.net.ids {
				f.line(itoa(id), ff(g.net.lat[k], 6), ff(g.net.lon[k], 6))
			}
		}},
		{g.impDir, "roads.csv", "roads", "from,to,length_m,speed_kmh,oneway", func(f *outFile) {
			for _, e := range g.net.edges {
				ow := "0"
				if e.OneWay {
					ow = "1"
				}
				f.line(itoa(e.From), itoa(e.To), ff(e.LengthM, 1), ff(e.SpeedKmh, 0), ow)
			}
		}},
		{g.impDir, "vehicles.csv", "vehicles", "id,depot,capacity,shift_start_min,shift_end_min,max_duration_min", func(f *outFile) {
			for _, v := range fleet(g.locs[0].code) {
				f.line(v.ID, v.Depot, itoa(v.Capacity), ff(v.ShiftStartMin, -1), ff(v.ShiftEndMin, -1), ff(v.MaxDurationMin, -1))
			}
		}},
		{g.impDir, "deliveries.csv", "deliveries", "id,date,depot,customer,lat,lon,demand,service_min,ready_min,due_min", func(f *outFile) {
			cs := makeCustomers(g.o.Seed, g.net, 4000)
			for _, d := range makeDeliveries(g.o.Seed, g.locs[0].code, g.end.AddDays(1), g.o.DeliveryDays, cs, fleet(g.locs[0].code), g.o.DeliveryScale) {
				f.line(d.ID, d.Date.String(), d.Depot, d.Customer, ff(d.Lat, 6), ff(d.Lon, 6), itoa(d.Demand),
					ff(d.ServiceMin, -1), ff(d.ReadyMin, -1), ff(d.DueMin, -1))
			}
		}},
		{g.truthDir, "events.csv", "events", "date,name,kind,applies_to,uplift", func(f *outFile) {
			for _, e := range g.cal.events {
				f.line(e.date.String(), e.name, e.kind, e.appliesTo, e.eff.String())
			}
		}},
	}
	for _, s := range steps {
		if err := write(s.dir, s.name, s.kind, s.header, s.rows); err != nil {
			return err
		}
	}
	var err error
	g.anoms, err = g.create(g.truthDir, "anomalies.csv", "anomalies", "kind,sku,location,channel,date,detail")
	return err
}

// String describes an effect for truth/events.csv, e.g.
// "all=1.70;BTY=2.00;web=x1.20".
func (e *effect) String() string {
	parts := []string{"all=" + ff(e.all, 2)}
	keys := make([]string, 0, len(e.cats))
	for k := range e.cats {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+ff(e.cats[k], 2))
	}
	if e.webOnly {
		parts = append(parts, "online_only")
	}
	if e.closed {
		parts = append(parts, "stores_closed")
	}
	if e.store != 0 {
		parts = append(parts, "store=x"+ff(e.store, 2))
	}
	if e.webExtra != 0 {
		parts = append(parts, "web=x"+ff(e.webExtra, 2))
	}
	return strings.Join(parts, ";")
}

// simulate runs the days. Workers own contiguous ranges of items and fill
// per-day buffers; while they compute day k+1 the caller writes day k, in
// worker order, so the files do not depend on the number of workers.
func (g *gen) simulate(ctx context.Context, progress func(done, total int64)) error {
	w := min(g.o.Workers, len(g.items))
	var bufs [2][]dayBuf
	for s := range bufs {
		bufs[s] = make([]dayBuf, w)
	}
	var wgs [2]sync.WaitGroup
	n := len(g.items)
	launch := func(k int) {
		set := k % 2
		for wi := range w {
			lo, hi := wi*n/w, (wi+1)*n/w
			b := &bufs[set][wi]
			wgs[set].Go(func() {
				b.reset()
				for i := lo; i < hi; i++ {
					g.step(&g.items[i], k, b)
				}
			})
		}
	}
	total := int64(n) * int64(g.days)
	launch(0)
	for k := range g.days {
		wgs[k%2].Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
		if k+1 < g.days {
			launch(k + 1)
		}
		err := g.writeDay(k, bufs[k%2])
		if err != nil {
			if k+1 < g.days {
				wgs[(k+1)%2].Wait()
			}
			return err
		}
		if progress != nil {
			progress(int64(k+1)*int64(n), total)
		}
	}
	return g.closeMonth()
}

func monthName(m int) string { return fmt.Sprintf("%04d-%02d", m/12, m%12+1) }

// writeDay appends one day's lines to the monthly files.
func (g *gen) writeDay(k int, bufs []dayBuf) error {
	if g.monthIdx[k] != g.month {
		if err := g.closeMonth(); err != nil {
			return err
		}
		g.month = g.monthIdx[k]
	}
	m := monthName(g.month)
	lazy := func(f **outFile, dir, kind, header string, p []byte, rows int64) error {
		if len(p) == 0 {
			return nil
		}
		if *f == nil {
			var err error
			if *f, err = g.create(dir, kind+"-"+m+".csv", kind, header); err != nil {
				return err
			}
		}
		(*f).write(p, rows)
		return nil
	}
	var reexport *outFile
	if k == g.reexportAt {
		var err error
		reexport, err = g.create(g.impDir, "sales-"+g.dates[k]+"-reexport.csv", "sales", salesHeader)
		if err != nil {
			return err
		}
	}
	for i := range bufs {
		b := &bufs[i]
		if err := lazy(&g.sales, g.impDir, "sales", salesHeader, b.sales, b.st.salesRows); err != nil {
			return err
		}
		if reexport != nil {
			reexport.write(b.sales, b.st.salesRows)
		}
		if err := lazy(&g.moves, g.impDir, "movements", "date,sku,location,qty,kind,ref", b.moves, b.st.moveRows); err != nil {
			return err
		}
		if err := lazy(&g.counts, g.impDir, "counts", "date,sku,location,counted_qty", b.counts, b.st.countRows); err != nil {
			return err
		}
		if g.o.DemandTruth {
			if err := lazy(&g.demand, g.truthDir, "demand", "date,sku,location,channel,demand,sold,recorded,on_hand", b.demand, b.st.demandRows); err != nil {
				return err
			}
		}
		g.anoms.write(b.anoms, b.st.anomRows)
		g.st.add(&b.st)
		for kind, c := range b.fired {
			g.fired[kind] += c
		}
	}
	if reexport != nil {
		src := "sales-" + m + ".csv"
		reexport.repeats = src
		g.anoms.line(kindOverlap, "", "", "", g.dates[k], reexport.name+" repeats the "+itoa(reexport.rows)+" sales lines of "+g.dates[k]+" from "+src)
		g.fired[kindOverlap]++
		if err := g.closeFile(reexport); err != nil {
			return err
		}
	}
	return nil
}

const salesHeader = "date,order_id,sku,location,channel,qty,price"

// closeMonth finishes the open monthly files, and sends the chosen month's
// sales file again under another name.
func (g *gen) closeMonth() error {
	for _, f := range []**outFile{&g.moves, &g.sales, &g.counts, &g.demand} {
		if *f == nil {
			continue
		}
		if err := g.closeFile(*f); err != nil {
			return err
		}
		if f == &g.sales && g.month == g.resendMonth {
			name := "sales-" + monthName(g.month) + "-resend.csv"
			cp, err := copyFile(g.sales, g.impDir, name)
			if err != nil {
				return err
			}
			g.files = append(g.files, cp)
			first := model.DateFromYMD(g.month/12, time.Month(g.month%12+1), 1)
			g.anoms.line(kindDuplicate, "", "", "", max(first, g.start).String(), name+" is a byte-identical copy of "+g.sales.name)
			g.fired[kindDuplicate]++
		}
		*f = nil
	}
	return nil
}

// finish writes the end-of-run truth and the summary.
func (g *gen) finish() (Summary, error) {
	st, err := g.create(g.truthDir, "stock.csv", "stock", "sku,location,physical,book,on_order,min_book,min_book_date,first_negative_date,last_count_date")
	if err != nil {
		return Summary{}, err
	}
	it2, err := g.create(g.truthDir, "items.csv", "items", "sku,category,rank,rate,lump,trend_pct_year,elasticity,launch,delist,live_days,sale_days,intermittent")
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Seed: g.o.Seed, Items: len(g.items), Days: g.days, Start: g.start.String(), End: g.end.String(),
		Suppliers: len(g.sups), Nodes: len(g.net.ids), Roads: len(g.net.edges),
		MinLat: g.net.minLat, MaxLat: g.net.maxLat, MinLon: g.net.minLon, MaxLon: g.net.maxLon}
	for _, l := range g.locs {
		sum.Locations = append(sum.Locations, l.code)
	}
	for ch := range g.o.Channels {
		sum.Channels = append(sum.Channels, channelNames[ch])
	}
	for i := range g.items {
		it := &g.items[i]
		for l := range it.locs {
			sl := &it.locs[l]
			if !sl.ranged {
				continue
			}
			if sl.firstNeg != model.NoDate {
				sum.NegativeBookPairs++
			}
			st.line(it.sku, g.locs[l].code, itoa(sl.phys), itoa(sl.book), itoa(sl.onOrder), itoa(sl.minBook),
				sl.minDay.String(), sl.firstNeg.String(), sl.countedAt.String())
		}
		inter := it.liveDays > 0 && float64(it.saleDays)*1.32 < float64(it.liveDays)
		if inter {
			sum.IntermittentItems++
		}
		if it.liveDays > 0 && 2*it.saleDays < it.liveDays {
			sum.MostlyZeroItems++
		}
		it2.line(it.sku, categories[it.cat].name, strconv.Itoa(it.rank), ff(it.rate, 4), ff(it.lump, 3),
			ff(100*it.growth, 1), ff(it.elasticity, 2), it.launch.String(), it.delist.String(),
			strconv.Itoa(int(it.liveDays)), strconv.Itoa(int(it.saleDays)), strconv.FormatBool(inter))
	}
	sum.IntermittentShare = float64(sum.IntermittentItems) / float64(len(g.items))
	sum.MostlyZeroShare = float64(sum.MostlyZeroItems) / float64(len(g.items))
	for _, f := range []*outFile{st, it2, g.anoms} {
		if err := g.closeFile(f); err != nil {
			return Summary{}, err
		}
	}
	s := &g.st
	sum.SalesRows, sum.MovementRows, sum.CountRows = s.salesRows, s.moveRows, s.countRows
	sum.DemandUnits, sum.SoldUnits, sum.RecordedUnits, sum.LostUnits = s.demand, s.sold, s.recorded, s.lost
	if s.demand > 0 {
		sum.FillRate = math.Round(float64(s.sold)/float64(s.demand)*1e4) / 1e4
	}
	sum.StockoutDays, sum.ShrinkUnits, sum.ReturnUnits = s.stockoutDays, s.shrink, s.returns
	sum.ReceiptUnits, sum.TransferUnits, sum.POLines = s.receipts, s.transfers, s.poLines
	sum.Anomalies = g.fired
	sum.IntermittentShare = math.Round(sum.IntermittentShare*1e4) / 1e4
	sum.MostlyZeroShare = math.Round(sum.MostlyZeroShare*1e4) / 1e4
	for _, f := range g.files {
		fs := FileSummary{Name: f.name, Kind: f.kind, Rows: f.rows, Bytes: f.bytes, DuplicateOf: f.dupOf, Repeats: f.repeats}
		sum.Files = append(sum.Files, fs)
		switch f.kind {
		case "promotions":
			sum.PromotionRows = f.rows
		case "events":
			sum.EventRows = f.rows
		case "vehicles":
			sum.Vehicles = int(f.rows)
		case "deliveries":
			sum.Deliveries = int(f.rows)
		}
	}
	for _, f := range g.truthFiles {
		sum.TruthFiles = append(sum.TruthFiles, FileSummary{Name: f.name, Kind: f.kind, Rows: f.rows, Bytes: f.bytes})
	}
	js, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return Summary{}, err
	}
	if err := os.WriteFile(filepath.Join(g.truthDir, "summary.json"), append(js, '\n'), 0o644); err != nil {
		return Summary{}, err
	}
	return sum, nil
}
