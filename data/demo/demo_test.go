package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"stockroom/data/demo"
	"stockroom/model"
)

var fixtureRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stockroom-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureRoot = dir
	if raceBuild {
		full.opt.Items, full.opt.Days = 800, 400
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixture is a data set generated once and shared by the tests that read it.
type fixture struct {
	name   string
	opt    demo.Options
	once   sync.Once
	dir    string
	sum    demo.Summary
	err    error
	dsOnce sync.Once
	ds     *dataset
}

var (
	// full is the default data set: what `stockroom demo` imports.
	full = &fixture{name: "full", opt: demo.Options{Seed: 42, End: model.MustDate("2026-11-25")}}
	// small has every option that changes the shape: a marketplace channel,
	// a fourth location and the demand truth.
	small = &fixture{name: "small", opt: demo.Options{Items: 150, Days: 240, Seed: 7, End: model.MustDate("2026-03-10"),
		Locations: 4, Channels: 3, DemandTruth: true}}
)

func (f *fixture) get(tb testing.TB) (string, demo.Summary) {
	tb.Helper()
	f.once.Do(func() {
		f.dir = filepath.Join(fixtureRoot, f.name)
		f.sum, f.err = demo.Generate(context.Background(), f.dir, f.opt, nil)
	})
	if f.err != nil {
		tb.Fatalf("generate %s: %v", f.name, f.err)
	}
	return f.dir, f.sum
}

func (f *fixture) data(tb testing.TB) *dataset {
	tb.Helper()
	dir, _ := f.get(tb)
	f.dsOnce.Do(func() { f.ds = readDataset(tb, dir) })
	if f.ds == nil {
		tb.Fatal("data set could not be read")
	}
	return f.ds
}

func fixtures() []*fixture { return []*fixture{small, full} }

func TestGenerate_Deterministic(t *testing.T) {
	root := t.TempDir()
	opt := demo.Options{Items: 60, Days: 100, Seed: 3, End: model.MustDate("2025-12-31"), Workers: 1}
	gen := func(name string, o demo.Options) string {
		dir := filepath.Join(root, name)
		if _, err := demo.Generate(context.Background(), dir, o, nil); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	a := gen("a", opt)
	opt.Workers = 3 // the split of items over workers must not show
	b := gen("b", opt)
	opt.Seed = 4
	c := gen("c", opt)

	fa, fb := listFiles(t, a), listFiles(t, b)
	if strings.Join(fa, "\n") != strings.Join(fb, "\n") {
		t.Fatalf("file sets differ:\n%v\n%v", fa, fb)
	}
	for _, name := range fa {
		x, y := mustRead(t, filepath.Join(a, name)), mustRead(t, filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same options", name)
		}
	}
	differ := 0
	for _, name := range listFiles(t, c) {
		if !strings.Contains(name, "sales-") && name != filepath.Join("import", "items.csv") {
			continue
		}
		y, err := os.ReadFile(filepath.Join(a, name))
		if err != nil || !bytes.Equal(y, mustRead(t, filepath.Join(c, name))) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("another seed gave the same items and sales")
	}
}

func listFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func mustRead(tb testing.TB, p string) []byte {
	tb.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestGenerate_Files reads every file back strictly and checks it against
// the summary: rows per file, natural keys, duplicates.
func TestGenerate_Files(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			dir, sum := f.get(t)
			ds := f.data(t)
			if len(ds.locations) != len(sum.Locations) || len(ds.items) != sum.Items {
				t.Fatalf("%d locations, %d items; summary says %d, %d", len(ds.locations), len(ds.items), len(sum.Locations), sum.Items)
			}
			depots := 0
			for _, l := range ds.locations {
				if l.Kind == model.Depot {
					depots++
				}
				if !l.HasCoords() {
					t.Errorf("location %s has no coordinates", l.Code)
				}
			}
			if depots == 0 {
				t.Error("no depot")
			}
			written := map[string]demo.FileSummary{}
			for _, fs := range sum.Files {
				written[fs.Name] = fs
			}
			if len(written) != len(ds.files) {
				t.Errorf("summary lists %d files, folder holds %d", len(written), len(ds.files))
			}
			rows := map[string]int64{}
			for _, s := range ds.sales {
				rows[s.file]++
			}
			for _, s := range ds.extraSales {
				rows[s.file]++
			}
			for name, n := range rows {
				if written[name].Rows != n {
					t.Errorf("%s: %d sales rows read, summary says %d", name, n, written[name].Rows)
				}
			}
			if int64(len(ds.sales)) != sum.SalesRows || int64(len(ds.moves)) != sum.MovementRows || int64(len(ds.counts)) != sum.CountRows {
				t.Errorf("read %d sales, %d movements, %d counts; summary says %d, %d, %d",
					len(ds.sales), len(ds.moves), len(ds.counts), sum.SalesRows, sum.MovementRows, sum.CountRows)
			}
			var units int64
			for _, s := range ds.sales {
				units += s.qty
			}
			if units != sum.RecordedUnits {
				t.Errorf("sales files hold %d units, summary says %d recorded", units, sum.RecordedUnits)
			}

			// Natural keys.
			mk := make(map[string]bool, len(ds.moves))
			for _, m := range ds.moves {
				k := m.ref + "|" + m.sku + "|" + m.loc
				if mk[k] {
					t.Fatalf("movement key ref+sku+location %s repeats", k)
				}
				mk[k] = true
			}
			sk := make(map[string]saleRow, len(ds.sales))
			for _, s := range ds.sales {
				k := s.order + "|" + s.sku
				if _, dup := sk[k]; dup {
					t.Fatalf("sales key order_id+sku %s repeats (%s:%d)", k, s.file, s.line)
				}
				sk[k] = s
			}
			ck := map[string]bool{}
			for _, c := range ds.counts {
				k := c.date.String() + "|" + c.sku + "|" + c.loc
				if ck[k] {
					t.Fatalf("count key %s repeats", k)
				}
				ck[k] = true
			}

			// Duplicates: one file byte-identical to another, one day's lines
			// exported again; both named in the anomaly truth.
			var resent, reexported int
			for _, fs := range sum.Files {
				if fs.DuplicateOf != "" {
					resent++
					a := mustRead(t, filepath.Join(dir, "import", fs.Name))
					b := mustRead(t, filepath.Join(dir, "import", fs.DuplicateOf))
					if !bytes.Equal(a, b) {
						t.Errorf("%s is not a byte-identical copy of %s", fs.Name, fs.DuplicateOf)
					}
				}
			}
			for _, s := range ds.extraSales {
				o, ok := sk[s.order+"|"+s.sku]
				if !ok {
					t.Fatalf("%s:%d: order %s sku %s is in no regular sales file", s.file, s.line, s.order, s.sku)
				}
				if o.date != s.date || o.loc != s.loc || o.ch != s.ch || o.qty != s.qty || o.priceC != s.priceC {
					t.Fatalf("%s:%d differs from %s:%d", s.file, s.line, o.file, o.line)
				}
				if strings.Contains(s.file, "reexport") {
					reexported++
				}
			}
			for _, fs := range sum.Files {
				if strings.Contains(fs.Name, "reexport") && (fs.Repeats == "" || fs.Rows != int64(reexported)) {
					t.Errorf("%s repeats %q with %d rows; %d lines read", fs.Name, fs.Repeats, fs.Rows, reexported)
				}
			}
			if resent != 1 || reexported == 0 {
				t.Errorf("%d resent files, %d re-exported lines; want 1 and some", resent, reexported)
			}
			kinds := map[string]int{}
			for _, a := range readAnomalies(t, dir) {
				kinds[a.kind]++
			}
			if kinds["duplicate_file"] != 1 || kinds["overlap_export"] != 1 {
				t.Errorf("anomaly truth names %d duplicate files and %d overlapping exports, want 1 each", kinds["duplicate_file"], kinds["overlap_export"])
			}
			for k, n := range sum.Anomalies {
				if kinds[k] != n {
					t.Errorf("anomaly truth holds %d %s, summary says %d", kinds[k], k, n)
				}
			}
		})
	}
}

// TestGenerate_Size keeps the default data set small enough to import in
// seconds and checks the long tail: few fast movers, many slow items.
func TestGenerate_Size(t *testing.T) {
	if raceBuild {
		t.Skip("the default data set's size is checked without -race")
	}
	_, sum := full.get(t)
	ds := full.data(t)
	if sum.SalesRows > 3_000_000 || sum.SalesRows < 500_000 {
		t.Errorf("default data set has %d sales rows, want 0.5–3 million", sum.SalesRows)
	}
	units := map[string]int64{}
	days := map[string]map[model.Date]bool{}
	for _, s := range ds.sales {
		units[s.sku] += s.qty
		if days[s.sku] == nil {
			days[s.sku] = map[model.Date]bool{}
		}
		days[s.sku][s.date] = true
	}
	live := liveDays(t, full)
	mostlyZero := 0
	for _, sku := range ds.itemOrder {
		if 2*len(days[sku]) < live[sku] {
			mostlyZero++
		}
	}
	share := float64(mostlyZero) / float64(len(ds.items))
	t.Logf("items selling on fewer than half their days: %d of %d (%.1f%%)", mostlyZero, len(ds.items), 100*share)
	if share < 0.40 {
		t.Errorf("only %.1f%% of items are intermittent, want at least 40%%", 100*share)
	}
	var all []int64
	var total int64
	for _, sku := range ds.itemOrder {
		all = append(all, units[sku])
		total += units[sku]
	}
	sort.Slice(all, func(i, j int) bool { return all[i] > all[j] })
	var top int64
	for _, u := range all[:len(all)/10] {
		top += u
	}
	if float64(top) < 0.5*float64(total) {
		t.Errorf("the best-selling 10%% of items sell %.1f%% of units; a long tail wants at least half", 100*float64(top)/float64(total))
	}
}

// liveDays reads each item's days on sale from the truth.
func liveDays(tb testing.TB, f *fixture) map[string]int {
	dir, _ := f.get(tb)
	out := map[string]int{}
	readCSV(tb, filepath.Join(dir, "truth", "items.csv"),
		"sku,category,rank,rate,lump,trend_pct_year,elasticity,launch,delist,live_days,sale_days,intermittent", func(r []string) {
			n, err := strconv.Atoi(r[9])
			if err != nil {
				tb.Fatal(err)
			}
			out[r[0]] = n
		})
	return out
}

// exempt lists the anomaly kinds that record more sales than happened and
// so may drive the ledger below zero.
var exempt = map[string]bool{"spike_typo": true, "stuck": true, "sale_without_stock": true}

// TestGenerate_Ledger replays every movement, sale and count per item and
// location: the balance must end where the simulation's book stock ended,
// never go below zero except after an injected anomaly that over-records
// sales, and counts must find shrinkage (never surplus).
func TestGenerate_Ledger(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			dir, sum := f.get(t)
			ds := f.data(t)
			type ev struct {
				date  model.Date
				delta int64
				count bool
			}
			evs := map[string][]ev{}
			for _, m := range ds.moves {
				k := m.sku + "|" + m.loc
				evs[k] = append(evs[k], ev{m.date, m.qty, false})
			}
			for _, s := range ds.sales {
				k := s.sku + "|" + s.loc
				evs[k] = append(evs[k], ev{s.date, -s.qty, false})
			}
			for _, c := range ds.counts {
				k := c.sku + "|" + c.loc
				evs[k] = append(evs[k], ev{c.date, c.qty, true})
			}
			bad := map[string]model.Date{} // pair → earliest over-recording anomaly
			for _, a := range readAnomalies(t, dir) {
				if exempt[a.kind] {
					k := a.sku + "|" + a.loc
					if d, ok := bad[k]; !ok || a.date < d {
						bad[k] = a.date
					}
				}
			}
			type truthRow struct {
				book     int64
				firstNeg model.Date
			}
			truth := map[string]truthRow{}
			readCSV(t, filepath.Join(dir, "truth", "stock.csv"),
				"sku,location,physical,book,on_order,min_book,min_book_date,first_negative_date,last_count_date", func(r []string) {
					book, _ := strconv.ParseInt(r[3], 10, 64)
					fn := model.NoDate
					if r[7] != "" {
						fn = model.MustDate(r[7])
					}
					truth[r[0]+"|"+r[1]] = truthRow{book, fn}
				})
			var counts, short, surplus int64
			var found int64
			negative := 0
			for k, es := range evs {
				sort.SliceStable(es, func(i, j int) bool {
					if es[i].date != es[j].date {
						return es[i].date < es[j].date
					}
					return !es[i].count && es[j].count
				})
				var bal int64
				firstNeg := model.NoDate
				for i, e := range es {
					if e.count {
						counts++
						switch {
						case e.delta < bal:
							short++
							found += bal - e.delta
						case e.delta > bal:
							if _, ok := bad[k]; !ok {
								surplus++
							}
						}
						bal = e.delta
					} else {
						bal += e.delta
					}
					endOfDay := i+1 == len(es) || es[i+1].date != e.date
					if endOfDay && bal < 0 && firstNeg == model.NoDate {
						firstNeg = e.date
					}
				}
				tr, ok := truth[k]
				if !ok {
					t.Fatalf("%s has ledger lines but no truth stock row", k)
				}
				if bal != tr.book {
					t.Errorf("%s: ledger ends at %d, simulation's book at %d", k, bal, tr.book)
				}
				if firstNeg != tr.firstNeg {
					t.Errorf("%s: ledger first negative %s, truth says %s", k, firstNeg, tr.firstNeg)
				}
				if firstNeg != model.NoDate {
					negative++
					if d, ok := bad[k]; !ok || d > firstNeg {
						t.Errorf("%s: ledger negative on %s with no over-recording anomaly before", k, firstNeg)
					}
				}
			}
			if negative != sum.NegativeBookPairs {
				t.Errorf("%d pairs go negative, summary says %d", negative, sum.NegativeBookPairs)
			}
			t.Logf("%d counts: %d short of the ledger (%d units), %d over", counts, short, found, surplus)
			if counts == 0 || short == 0 || found == 0 {
				t.Error("counts find no shrinkage")
			}
			if surplus != 0 {
				t.Errorf("%d counts found more than the ledger without an anomaly to explain it", surplus)
			}
			kinds := map[model.MovementKind]int{}
			for _, m := range ds.moves {
				kinds[m.kind]++
				if m.kind == model.Receipt && !strings.HasPrefix(m.ref, "PO-") {
					t.Fatalf("receipt %s of %s at %s has no PO reference", m.ref, m.sku, m.loc)
				}
			}
			for _, k := range []model.MovementKind{model.Receipt, model.Return, model.Adjustment, model.TransferOut, model.TransferIn} {
				if kinds[k] == 0 {
					t.Errorf("no %s movements", k)
				}
			}
			if kinds[model.TransferOut] != kinds[model.TransferIn] {
				t.Errorf("%d transfers out, %d in", kinds[model.TransferOut], kinds[model.TransferIn])
			}
		})
	}
}

// TestGenerate_DemandTruth checks the sales files against the true demand:
// sales never exceed demand, short days are the days stock ran out, and
// what the files record equals what sold except where an anomaly says not.
func TestGenerate_DemandTruth(t *testing.T) {
	dir, sum := small.get(t)
	ds := small.data(t)
	type dem struct{ demand, sold, rec, open int64 }
	truth := map[string]dem{}
	files, _ := filepath.Glob(filepath.Join(dir, "truth", "demand-*.csv"))
	if len(files) == 0 {
		t.Fatal("no demand truth files")
	}
	type locDay struct{ sold, open int64 }
	short := map[string]*locDay{}
	var lost int64
	for _, p := range files {
		readCSV(t, p, "date,sku,location,channel,demand,sold,recorded,on_hand", func(r []string) {
			var v [4]int64
			for i := range v {
				v[i], _ = strconv.ParseInt(r[4+i], 10, 64)
			}
			d := dem{v[0], v[1], v[2], v[3]}
			if d.sold > d.demand || d.sold < 0 {
				t.Fatalf("%v: sold %d of demand %d", r, d.sold, d.demand)
			}
			lost += d.demand - d.sold
			truth[r[0]+"|"+r[1]+"|"+r[2]+"|"+r[3]] = d
			k := r[0] + "|" + r[1] + "|" + r[2]
			ld := short[k]
			if ld == nil {
				ld = &locDay{open: d.open}
				short[k] = ld
			}
			ld.sold += d.sold
			if d.sold < d.demand {
				ld.open = -1 - d.open // mark: a channel went short
			}
		})
	}
	if lost == 0 || lost != sum.LostUnits {
		t.Errorf("truth loses %d units, summary says %d; want the same and some", lost, sum.LostUnits)
	}
	for k, ld := range short {
		if ld.open < 0 && ld.sold != -1-ld.open {
			t.Errorf("%s: a channel went short but only %d of %d on the shelf sold", k, ld.sold, -1-ld.open)
		}
	}
	anom := map[string]string{}  // series → kind
	noStock := map[string]bool{} // day and series of a sale keyed with no stock
	for _, a := range readAnomalies(t, dir) {
		if a.kind == "sale_without_stock" {
			noStock[a.date.String()+"|"+a.sku+"|"+a.loc+"|"+a.ch] = true
		} else if a.ch != "" {
			anom[a.sku+"|"+a.loc+"|"+a.ch] = a.kind
		}
	}
	for _, s := range ds.sales {
		k := s.date.String() + "|" + s.sku + "|" + s.loc + "|" + s.ch
		d, ok := truth[k]
		kind := anom[s.sku+"|"+s.loc+"|"+s.ch]
		switch {
		case noStock[k]:
			if d.rec != 0 || d.sold != 0 {
				t.Fatalf("%s:%d: a sale without stock on a day that sold %d", s.file, s.line, d.sold)
			}
		case !ok:
			t.Fatalf("%s:%d: a sale with no demand behind it", s.file, s.line)
		case d.rec != s.qty:
			t.Fatalf("%s:%d: file says %d, truth recorded %d", s.file, s.line, s.qty, d.rec)
		case d.rec != d.sold && kind != "spike_typo" && kind != "stuck":
			t.Fatalf("%s:%d: recorded %d but sold %d with no anomaly", s.file, s.line, d.rec, d.sold)
		}
	}
}

// TestGenerate_Promotions checks every sale's price: the list price, or the
// list price less the one promotion that covers it (price typos aside); and
// that promotions sell more.
func TestGenerate_Promotions(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			dir, _ := f.get(t)
			ds := f.data(t)
			bySKU := map[string][]model.Promotion{}
			for _, p := range ds.promos {
				bySKU[p.SKU] = append(bySKU[p.SKU], p)
			}
			typo := map[string]bool{}
			for _, a := range readAnomalies(t, dir) {
				if a.kind == "price_typo" {
					typo[a.date.String()+"|"+a.sku+"|"+a.loc+"|"+a.ch] = true
				}
			}
			var promoLines, typos int
			var promoUnits, promoN, plainUnits, plainN float64
			promoted := map[string]bool{}
			for _, p := range ds.promos {
				promoted[p.SKU] = true
			}
			for _, s := range ds.sales {
				list := int64(ds.items[s.sku].Price*100 + 0.5)
				want := list
				n := 0
				for _, p := range bySKU[s.sku] {
					if p.Covers(s.date, s.loc, s.ch) {
						n++
						want = (list*(100-int64(p.DiscountPct)) + 50) / 100
					}
				}
				if n > 1 {
					t.Fatalf("%s:%d: %d promotions cover one sale", s.file, s.line, n)
				}
				if typo[s.date.String()+"|"+s.sku+"|"+s.loc+"|"+s.ch] {
					typos++
					if s.priceC != want*100 {
						t.Errorf("%s:%d: price typo %d, want %d", s.file, s.line, s.priceC, want*100)
					}
					continue
				}
				if s.priceC != want {
					t.Fatalf("%s:%d: price %d cents, want %d (list %d)", s.file, s.line, s.priceC, want, list)
				}
				if n == 1 {
					promoLines++
					if s.priceC >= list {
						t.Fatalf("%s:%d: promoted price %d not below list %d", s.file, s.line, s.priceC, list)
					}
					promoUnits += float64(s.qty)
					promoN++
				} else if promoted[s.sku] {
					plainUnits += float64(s.qty)
					plainN++
				}
			}
			if promoLines == 0 || typos == 0 {
				t.Fatalf("%d promoted sales lines, %d price typos; want some of each", promoLines, typos)
			}
			lift := (promoUnits / promoN) / (plainUnits / plainN)
			t.Logf("%d promoted lines; units per line %.2f on promotion vs %.2f off (x%.2f)", promoLines, promoUnits/promoN, plainUnits/plainN, lift)
			if lift < 1.2 {
				t.Errorf("promotions lift units per line only x%.2f", lift)
			}
		})
	}
}

// TestGenerate_Calendar checks the events file names the shopping events on
// their right days, well into the future, and that demand follows the
// calendar: Saturdays busy in stores, toys at Christmas, stores shut on
// Christmas Day, a Black Friday peak.
func TestGenerate_Calendar(t *testing.T) {
	_, sum := full.get(t)
	ds := full.data(t)
	end := model.MustDate(sum.End)
	on := map[string][]model.Date{}
	for _, e := range ds.events {
		on[e.Name] = append(on[e.Name], e.Date)
	}
	for _, name := range []string{"Black Friday", "Cyber Monday", "Christmas Day", "Boxing Day", "Singles Day 11.11",
		"618 Shopping Festival", "Easter Sunday", "Prime Day", "Valentine's Day", "Halloween"} {
		if len(on[name]) < 2 {
			t.Errorf("event %q appears %d times, want every year", name, len(on[name]))
		}
	}
	last := ds.events[len(ds.events)-1].Date
	if last < end.AddDays(300) {
		t.Errorf("events end %s: the coming year's must be known", last)
	}
	for _, d := range on["Black Friday"] {
		// The day after the fourth Thursday of November.
		tm := d.Time()
		if tm.Month() != time.November || d.Weekday() != time.Friday || tm.Day() < 23 || tm.Day() > 29 {
			t.Errorf("Black Friday on %s", d)
		}
	}
	for _, d := range on["Cyber Monday"] {
		if d.Weekday() != time.Monday || !contains(on["Black Friday"], d.AddDays(-3)) {
			t.Errorf("Cyber Monday on %s", d)
		}
	}
	for _, d := range on["Easter Sunday"] {
		if s := d.String(); s != "2025-04-20" && s != "2026-04-05" && s != "2027-03-28" && s != "2024-03-31" {
			t.Errorf("Easter Sunday on %s", s)
		}
	}
	for _, d := range on["618 Shopping Festival"] {
		if !strings.HasSuffix(d.String(), "-06-18") {
			t.Errorf("618 on %s", d)
		}
	}
	for _, d := range on["Singles Day 11.11"] {
		if !strings.HasSuffix(d.String(), "-11-11") {
			t.Errorf("11.11 on %s", d)
		}
	}
	for _, d := range on["Prime Day"] {
		if d.Time().Month() != time.July || !(contains(on["Prime Day"], d.AddDays(1)) || contains(on["Prime Day"], d.AddDays(-1))) {
			t.Errorf("Prime Day on %s is not one of two days in July", d)
		}
	}

	var byWeekday [7]int64
	byMonth := map[string]int64{}
	byDay := map[model.Date]int64{}
	storeOn := map[model.Date]int64{}
	for _, s := range ds.sales {
		byDay[s.date] += s.qty
		if s.ch == "store" {
			byWeekday[s.date.Weekday()] += s.qty
			storeOn[s.date] += s.qty
		}
		if ds.items[s.sku].Category == "Toys" {
			byMonth[s.date.String()[5:7]] += s.qty
		}
	}
	if r := float64(byWeekday[time.Saturday]) / float64(byWeekday[time.Tuesday]); r < 1.3 {
		t.Errorf("stores sell only x%.2f on Saturdays against Tuesdays", r)
	}
	if r := float64(byMonth["12"]) / float64(byMonth["03"]); r < 2 {
		t.Errorf("toys sell only x%.2f in December against March", r)
	}
	for _, d := range on["Christmas Day"] {
		if d <= end && storeOn[d] != 0 {
			t.Errorf("stores sold %d units on Christmas Day %s", storeOn[d], d)
		}
	}
	for _, d := range on["Black Friday"] {
		if d > end {
			continue
		}
		var before int64
		for w := 1; w <= 4; w++ {
			before += byDay[d.AddDays(-7*w)]
		}
		if r := float64(byDay[d]) / (float64(before) / 4); r < 1.5 {
			t.Errorf("Black Friday %s sells x%.2f of the four Fridays before", d, r)
		}
	}
}

func contains(ds []model.Date, d model.Date) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// TestGenerate_Routing checks the road network is one strongly connected
// graph of a few thousand junctions around the depot, and the deliveries
// lie inside it on the days after the history, each day fitting the fleet.
func TestGenerate_Routing(t *testing.T) {
	_, sum := full.get(t)
	ds := full.data(t)
	if n := len(ds.nodes); n < 2000 || n > 5000 {
		t.Errorf("%d road nodes, want a few thousand", n)
	}
	out := map[int64][]int64{}
	in := map[int64][]int64{}
	oneway := 0
	for _, e := range ds.roads {
		out[e.From] = append(out[e.From], e.To)
		in[e.To] = append(in[e.To], e.From)
		if e.OneWay {
			oneway++
		} else {
			out[e.To] = append(out[e.To], e.From)
			in[e.From] = append(in[e.From], e.To)
		}
	}
	if oneway == 0 {
		t.Error("no one-way roads")
	}
	speeds := map[float64]bool{}
	for _, e := range ds.roads {
		speeds[e.SpeedKmh] = true
	}
	if len(speeds) < 4 {
		t.Errorf("%d distinct speeds: want streets, arterials and a motorway", len(speeds))
	}
	var depot model.Location
	for _, l := range ds.locations {
		if l.Kind == model.Depot {
			depot = l
		}
	}
	var start int64 = -1
	minLat, maxLat, minLon, maxLon := 90.0, -90.0, 180.0, -180.0
	for id, n := range ds.nodes {
		if n.Lat == depot.Lat && n.Lon == depot.Lon {
			start = id
		}
		minLat, maxLat = min(minLat, n.Lat), max(maxLat, n.Lat)
		minLon, maxLon = min(minLon, n.Lon), max(maxLon, n.Lon)
	}
	if start < 0 {
		t.Fatalf("depot %s (%g,%g) is not on a road node", depot.Code, depot.Lat, depot.Lon)
	}
	reach := func(adj map[int64][]int64) int {
		seen := map[int64]bool{start: true}
		q := []int64{start}
		for len(q) > 0 {
			v := q[0]
			q = q[1:]
			for _, w := range adj[v] {
				if !seen[w] {
					seen[w] = true
					q = append(q, w)
				}
			}
		}
		return len(seen)
	}
	if a, b := reach(out), reach(in); a != len(ds.nodes) || b != len(ds.nodes) {
		t.Errorf("from the depot %d of %d nodes are reachable, %d reach it", a, len(ds.nodes), b)
	}
	if minLat != sum.MinLat || maxLon != sum.MaxLon {
		t.Errorf("bounding box %g..%g × %g..%g differs from the summary", minLat, maxLat, minLon, maxLon)
	}
	var capacity, biggest int64
	for _, v := range ds.vehicles {
		capacity += v.Capacity
		biggest = max(biggest, v.Capacity)
		if v.Depot != depot.Code {
			t.Errorf("vehicle %s based at %s", v.ID, v.Depot)
		}
	}
	end := model.MustDate(sum.End)
	perDay := map[model.Date]int{}
	load := map[model.Date]int64{}
	windows := 0
	ids := map[string]bool{}
	for _, d := range ds.deliveries {
		if ids[d.ID] {
			t.Fatalf("delivery id %s repeats", d.ID)
		}
		ids[d.ID] = true
		if d.Date <= end || d.Date > end.AddDays(7) {
			t.Errorf("delivery %s on %s, outside the 7 days after %s", d.ID, d.Date, end)
		}
		if d.Lat < minLat || d.Lat > maxLat || d.Lon < minLon || d.Lon > maxLon {
			t.Errorf("delivery %s at %g,%g outside the road network", d.ID, d.Lat, d.Lon)
		}
		if d.Demand < 1 || d.Demand > biggest {
			t.Errorf("delivery %s demand %d fits no vehicle", d.ID, d.Demand)
		}
		if d.HasWindow() {
			windows++
		}
		perDay[d.Date]++
		load[d.Date] += d.Demand
	}
	if len(perDay) != 7 {
		t.Errorf("deliveries on %d days, want 7", len(perDay))
	}
	for day, n := range perDay {
		if n < 10 || n > 400 || load[day] > capacity {
			t.Errorf("%s: %d deliveries, load %d of fleet capacity %d", day, n, load[day], capacity)
		}
	}
	if windows == 0 || windows == len(ds.deliveries) {
		t.Errorf("%d of %d deliveries have time windows; want some", windows, len(ds.deliveries))
	}
}

// TestGenerate_Anomalies checks each injected anomaly is where its truth
// says, in the files.
func TestGenerate_Anomalies(t *testing.T) {
	dir, sum := full.get(t)
	ds := full.data(t)
	for _, k := range []string{"spike_typo", "price_typo", "level_shift", "stuck", "sale_without_stock", "vanish", "theft"} {
		if sum.Anomalies[k] < 2 {
			t.Errorf("%d %s anomalies injected, want at least 2", sum.Anomalies[k], k)
		}
	}
	if sum.NegativeBookPairs == 0 {
		t.Error("no item and location goes below zero")
	}
	sales := map[string]saleRow{}
	for _, s := range ds.sales {
		sales[s.date.String()+"|"+s.sku+"|"+s.loc+"|"+s.ch] = s
	}
	moves := map[string]moveRow{}
	for _, m := range ds.moves {
		moves[m.ref+"|"+m.sku+"|"+m.loc] = m
	}
	num := func(detail string, i int) int64 {
		v, err := strconv.ParseInt(strings.Fields(detail)[i], 10, 64)
		if err != nil {
			t.Fatalf("detail %q: %v", detail, err)
		}
		return v
	}
	for _, a := range readAnomalies(t, dir) {
		key := a.date.String() + "|" + a.sku + "|" + a.loc + "|" + a.ch
		switch a.kind {
		case "spike_typo": // "qty 200 recorded, 2 sold"
			s, ok := sales[key]
			if !ok || s.qty != num(a.detail, 1) || s.qty < 10*num(a.detail, 3) {
				t.Errorf("%v: sales line %+v", a, s)
			}
		case "price_typo": // "price 1099.00 recorded, 10.99 charged"
			s, ok := sales[key]
			if !ok || cents(s.priceC) != strings.Fields(a.detail)[1] {
				t.Errorf("%v: sales line %+v", a, s)
			}
		case "stuck": // "qty 6 repeated for 9 days to …"
			q, n := num(a.detail, 1), int(num(a.detail, 4))
			for i := range n {
				k := a.date.AddDays(i).String() + "|" + a.sku + "|" + a.loc + "|" + a.ch
				if s, ok := sales[k]; !ok || s.qty != q {
					t.Errorf("%v: day %d has %+v", a, i, s)
				}
			}
		case "sale_without_stock", "level_shift":
			if _, ok := sales[key]; !ok && a.kind == "sale_without_stock" {
				t.Errorf("%v: no sales line", a)
			}
		case "vanish": // "adjustment -35 of 46 …"
			m, ok := moves["ADJ-"+strings.ReplaceAll(a.date.String(), "-", "")+"|"+a.sku+"|"+a.loc]
			if !ok || m.kind != model.Adjustment || m.qty != num(a.detail, 1) {
				t.Errorf("%v: movement %+v", a, m)
			}
		}
	}
}

func cents(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

func TestGenerate_Progress(t *testing.T) {
	opt := demo.Options{Items: 30, Days: 40, Seed: 1, End: model.MustDate("2025-06-30")}
	var last, total int64
	calls := 0
	_, err := demo.Generate(context.Background(), t.TempDir(), opt, func(done, all int64) {
		if done <= last {
			t.Fatalf("progress went from %d to %d", last, done)
		}
		last, total = done, all
		calls++
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 40 || last != total || total != 30*40 {
		t.Errorf("%d progress calls ending at %d of %d, want 40 ending at %d", calls, last, total, 30*40)
	}
}

func TestGenerate_Cancel(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opt := demo.Options{Items: 30, Days: 60, Seed: 1, End: model.MustDate("2025-06-30")}
	_, err := demo.Generate(ctx, dir, opt, func(done, _ int64) {
		if done >= 30*10 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	for _, name := range listFiles(t, dir) {
		if strings.HasPrefix(filepath.Base(name), ".") {
			t.Errorf("temporary file %s left behind", name)
		}
	}
	if _, err := demo.Generate(context.Background(), dir, opt, nil); !errors.Is(err, demo.ErrNotEmpty) {
		t.Errorf("generating into a used folder: err = %v, want ErrNotEmpty", err)
	}
}

// TestGenerate_Shapes runs the smallest and a wide shape: one location
// selling online only, and eight locations on three channels.
func TestGenerate_Shapes(t *testing.T) {
	for _, o := range []demo.Options{
		{Items: 40, Days: 60, Locations: 1, Channels: 1, RoadGrid: 12, DeliveryDays: 2},
		{Items: 60, Days: 60, Locations: 8, Channels: 3, RoadGrid: 20},
	} {
		o.Seed, o.End = 5, model.MustDate("2025-01-31")
		t.Run(fmt.Sprintf("locations=%d,channels=%d", o.Locations, o.Channels), func(t *testing.T) {
			dir := t.TempDir()
			sum, err := demo.Generate(context.Background(), dir, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			ds := readDataset(t, dir)
			if len(ds.locations) != o.Locations || len(sum.Channels) != o.Channels || len(ds.sales) == 0 {
				t.Fatalf("%d locations, channels %v, %d sales", len(ds.locations), sum.Channels, len(ds.sales))
			}
			chs := map[string]bool{}
			for _, s := range ds.sales {
				chs[s.ch] = true
			}
			if len(chs) != o.Channels {
				t.Errorf("sales on channels %v, want %d channels", chs, o.Channels)
			}
		})
	}
}

func TestOptions_Invalid(t *testing.T) {
	end := model.MustDate("2025-06-30")
	for _, o := range []demo.Options{
		{},
		{End: end, Items: -1},
		{End: end, Days: 5},
		{End: end, Locations: 33},
		{End: end, Channels: 4},
		{End: end, RoadGrid: 3},
	} {
		if _, err := demo.Generate(context.Background(), t.TempDir(), o, nil); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestSummary_JSON(t *testing.T) {
	dir, sum := small.get(t)
	var got demo.Summary
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "truth", "summary.json")), &got); err != nil {
		t.Fatal(err)
	}
	if got.SalesRows != sum.SalesRows || got.Items != sum.Items || len(got.Files) != len(sum.Files) || got.FillRate != sum.FillRate {
		t.Errorf("summary.json %+v differs from the returned summary", got)
	}
	if sum.FillRate <= 0.8 || sum.FillRate >= 1 {
		t.Errorf("fill rate %.3f: want lost sales, but not a broken supply chain", sum.FillRate)
	}
}

// The catalogue tells the truth about delistings: an item's delisted_on is
// the day after its last reorder, and only delisted items have one.
func TestGenerate_DelistedInCatalogue(t *testing.T) {
	for _, f := range fixtures() {
		dir, _ := f.get(t)
		ds := f.data(t)
		n := 0
		readCSV(t, filepath.Join(dir, "truth", "items.csv"),
			"sku,category,rank,rate,lump,trend_pct_year,elasticity,launch,delist,live_days,sale_days,intermittent", func(r []string) {
				it := ds.items[r[0]]
				want := model.NoDate
				if r[8] != "" {
					want = model.MustDate(r[8]).AddDays(1)
					n++
				}
				if it.Delisted != want {
					t.Errorf("%s %s: catalogue delisted_on %s, truth delist %q", f.name, r[0], it.Delisted, r[8])
				}
			})
		if n == 0 {
			t.Errorf("%s: no delisted item: the check tests nothing", f.name)
		}
	}
}
