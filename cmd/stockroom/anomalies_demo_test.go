package main

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"stockroom/engine/anomaly"
	"stockroom/model"
)

// demoTruth is one row of truth/anomalies.csv.
type demoTruth struct {
	kind, sku, loc, ch string
	date               model.Date
	days               int // stuck: how many days the feed repeated
}

func readDemoCSV(t *testing.T, path string, each func(line string, rec []string)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(string(b)))
	r.FieldsPerRecord = -1
	lines := strings.Split(string(b), "\n")
	for i := 0; ; i++ {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if i == 0 {
			continue
		}
		line, _ := r.FieldPos(0)
		each(lines[line-1], rec)
	}
}

// evalDemo returns the recall and precision table for the demo in dir.
func evalDemo(t *testing.T, dir string) string {
	imp := filepath.Join(dir, "import")
	var truth []demoTruth
	readDemoCSV(t, filepath.Join(dir, "truth", "anomalies.csv"), func(_ string, r []string) {
		x := demoTruth{kind: r[0], sku: r[1], loc: r[2], ch: r[3], date: model.MustDate(r[4])}
		if x.kind == "stuck" {
			fmt.Sscanf(r[5][strings.Index(r[5], "for ")+4:], "%d", &x.days)
		}
		truth = append(truth, x)
	})
	listPrice := map[string]float64{}
	category := map[string]string{}
	readDemoCSV(t, filepath.Join(imp, "items.csv"), func(_ string, r []string) {
		listPrice[r[0]], _ = strconv.ParseFloat(r[5], 64)
		category[r[0]] = r[2]
	})

	// Sales files in import order: the months, then the extras. A file
	// with the hash of an earlier one is skipped, and so is a line seen
	// before (the store's natural keys do the same).
	names, _ := filepath.Glob(filepath.Join(imp, "sales-*.csv"))
	sort.Slice(names, func(a, b int) bool {
		ea, eb := strings.Count(filepath.Base(names[a]), "-") > 2, strings.Count(filepath.Base(names[b]), "-") > 2
		if ea != eb {
			return !ea
		}
		return names[a] < names[b]
	})
	type key struct{ sku, loc, ch string }
	type stockKey struct{ sku, loc string }
	sales := map[key]map[model.Date]float64{}
	sold := map[stockKey]map[model.Date]int64{}
	var digests []anomaly.FileDigest
	var prices []anomaly.PriceCheck
	seenHash := map[string]bool{}
	seenLine := map[string]bool{}
	start, end := model.Date(math.MaxInt32), model.Date(math.MinInt32)
	for _, p := range names {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		d := anomaly.FileDigest{Name: filepath.Base(p), Hash: h}
		for i, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			if i > 0 {
				f := fnv.New64a()
				f.Write([]byte(l))
				d.LineHashes = append(d.LineHashes, f.Sum64())
			}
		}
		digests = append(digests, d)
		if seenHash[h] {
			continue
		}
		seenHash[h] = true
		readDemoCSV(t, p, func(line string, r []string) {
			if seenLine[line] {
				return
			}
			seenLine[line] = true
			day := model.MustDate(r[0])
			start, end = min(start, day), max(end, day)
			qty, _ := strconv.ParseFloat(r[5], 64)
			k := key{r[2], r[3], r[4]}
			if sales[k] == nil {
				sales[k] = map[model.Date]float64{}
			}
			sales[k][day] += qty
			sk := stockKey{r[2], r[3]}
			if sold[sk] == nil {
				sold[sk] = map[model.Date]int64{}
			}
			sold[sk][day] += int64(qty)
			if pr, err := strconv.ParseFloat(r[6], 64); err == nil {
				prices = append(prices, anomaly.PriceCheck{SKU: r[2], Location: r[3], Channel: r[4], Date: day, Price: pr, ListPrice: listPrice[r[2]]})
			}
		})
	}

	// The ledger: movements and counts by item, location and day.
	type dayMoves struct{ in, adj int64 }
	moves := map[stockKey]map[model.Date]*dayMoves{}
	counts := map[stockKey]map[model.Date]int64{}
	mv, _ := filepath.Glob(filepath.Join(imp, "movements-*.csv"))
	sort.Strings(mv)
	for _, p := range mv {
		readDemoCSV(t, p, func(_ string, r []string) {
			k := stockKey{r[1], r[2]}
			day := model.MustDate(r[0])
			start = min(start, day)
			q, _ := strconv.ParseInt(r[3], 10, 64)
			if moves[k] == nil {
				moves[k] = map[model.Date]*dayMoves{}
			}
			m := moves[k][day]
			if m == nil {
				m = &dayMoves{}
				moves[k][day] = m
			}
			switch r[4] {
			case "receipt", "return", "transfer_in":
				m.in += q
			default: // adjustment (the opening balance too), transfer_out
				m.adj += q
			}
		})
	}
	cs, _ := filepath.Glob(filepath.Join(imp, "counts-*.csv"))
	for _, p := range cs {
		readDemoCSV(t, p, func(_ string, r []string) {
			k := stockKey{r[1], r[2]}
			q, _ := strconv.ParseInt(r[3], 10, 64)
			if counts[k] == nil {
				counts[k] = map[model.Date]int64{}
			}
			counts[k][model.MustDate(r[0])] = q
		})
	}
	var findings []model.Anomaly
	stockKeys := map[stockKey]bool{}
	for k := range moves {
		stockKeys[k] = true
	}
	for k := range sold {
		stockKeys[k] = true
	}
	stockout := map[stockKey]map[model.Date]bool{}
	for k := range stockKeys {
		var days []anomaly.StockDay
		var checks []anomaly.CountCheck
		var bal, soldSince int64
		since := model.NoDate
		for d := start; d <= end; d++ {
			sd := anomaly.StockDay{Date: d, Open: bal, Sold: sold[k][d]}
			soldSince += sd.Sold
			if m := moves[k][d]; m != nil {
				sd.In, sd.Adjusted = m.in, m.adj
			}
			if since == model.NoDate && (sd.In != 0 || sd.Sold != 0 || sd.Adjusted != 0) {
				since = d
			}
			sd.Close = sd.Open + sd.In - sd.Sold + sd.Adjusted
			if c, ok := counts[k][d]; ok {
				checks = append(checks, anomaly.CountCheck{SKU: k.sku, Location: k.loc, Date: d, Counted: c, Ledger: sd.Close,
					Since: since, Sold: soldSince})
				since, soldSince = d, 0
				sd.Counted = c - sd.Close
				sd.Close = c
			}
			bal = sd.Close
			if sd.In != 0 || sd.Sold != 0 || sd.Adjusted != 0 || sd.Counted != 0 || sd.Close < 0 {
				days = append(days, sd)
			}
		}
		findings = append(findings, anomaly.StockRules{}.CheckStock(k.sku, k.loc, days)...)
		findings = append(findings, anomaly.ShrinkRules{}.Check(checks)...)
		out := map[model.Date]bool{}
		for _, sd := range days {
			if sd.Close <= 0 {
				out[sd.Date+1] = true
			}
		}
		// Days that open with nothing on hand (carried between the days
		// listed) are stockouts: their sales are censored demand.
		for d, o := start, false; d <= end; d++ {
			if len(days) > 0 {
				i := sort.Search(len(days), func(i int) bool { return days[i].Date >= d })
				if i < len(days) && days[i].Date == d {
					o = days[i].Open <= 0
				} else if i > 0 {
					o = days[i-1].Close <= 0
				}
			}
			if o {
				if stockout[k] == nil {
					stockout[k] = map[model.Date]bool{}
				}
				stockout[k][d] = true
			}
		}
	}
	findings = append(findings, anomaly.PriceBounds{}.Prices(prices)...)
	findings = append(findings, anomaly.DuplicateFiles(digests, 0)...)

	// Known causes: promotions and calendar events move demand on
	// purpose, and a stockout censors it. Those days are pushed as
	// missing, as the pipeline should: not scored, not learned from.
	type promo struct {
		loc, ch    string
		start, end model.Date
	}
	promos := map[string][]promo{}
	readDemoCSV(t, filepath.Join(imp, "promotions.csv"), func(_ string, r []string) {
		promos[r[0]] = append(promos[r[0]], promo{r[1], r[2], model.MustDate(r[3]), model.MustDate(r[4])})
	})
	eventDay := map[model.Date]bool{}
	readDemoCSV(t, filepath.Join(imp, "events.csv"), func(_ string, r []string) {
		if r[3] == "" || r[3] == "*" {
			eventDay[model.MustDate(r[0])] = true
		}
	})
	known := func(k key, d model.Date) bool {
		if eventDay[d] || stockout[stockKey{k.sku, k.loc}][d] {
			return true
		}
		for _, p := range promos[k.sku] {
			if d >= p.start && d <= p.end && (p.loc == "" || p.loc == k.loc) && (p.ch == "" || p.ch == k.ch) {
				return true
			}
		}
		return false
	}

	// The series detectors, one ensemble per item × location × channel.
	nSeries := 0
	for k, byDay := range sales {
		nSeries++
		e := anomaly.NewDemand(anomaly.DailyConfig(), anomaly.DemandFilter{})
		for d := start; d <= end; d++ {
			v := byDay[d]
			if known(k, d) {
				v = math.NaN()
			}
			if p, store := e.Push(anomaly.WeekdayPhase(d), v); store {
				findings = append(findings, p.Anomaly(k.sku, k.loc, k.ch, d, v))
			}
		}
	}

	// A category's items moving together is one finding, as the store
	// keeps it; its other members are dismissed on arrival and do not
	// count below (nobody sees them in the open queue).
	nSeriesFound := 0
	for _, f := range findings {
		if f.File == "" && f.SKU != "" && f.Detector != anomaly.RuleNegativeStock && f.Detector != anomaly.RuleSaleNoStock &&
			f.Detector != anomaly.RuleVanished && f.Detector != anomaly.RuleShrinkage && f.Detector != anomaly.RulePrice {
			nSeriesFound++
		}
	}
	findings, _ = anomaly.Cohorts(findings, nil, func(sku string) string { return category[sku] }, time.Time{})
	open := findings[:0]
	carriers := 0
	for _, f := range findings {
		if f.State == model.AnomalyOpen {
			open = append(open, f)
			if f.Detector == anomaly.CohortShift || f.Detector == anomaly.CohortSpike {
				carriers++
			}
		}
	}
	dismissed := len(findings) - len(open)
	findings = open

	// Which findings each truth anomaly explains: same item and location
	// (and channel for sales series), a date in a window that fits the
	// kind. A finding explained by any truth anomaly is a true positive.
	explains := func(tr demoTruth, f model.Anomaly) bool {
		if tr.kind == "duplicate_file" || tr.kind == "overlap_export" {
			return f.File != "" && f.Detector == tr.kind
		}
		if f.File != "" || f.SKU != tr.sku || (f.Location != "" && f.Location != tr.loc) {
			return false
		}
		lag := int(f.Date - tr.date)
		switch f.Detector {
		case anomaly.RulePrice:
			return tr.kind == "price_typo" && lag == 0
		case anomaly.RuleNegativeStock, anomaly.RuleSaleNoStock:
			// Recording more sales than sold takes the ledger down.
			return (tr.kind == "sale_without_stock" || tr.kind == "spike_typo" || tr.kind == "stuck") && lag >= 0 && lag <= 45
		case anomaly.RuleVanished, anomaly.RuleShrinkage:
			// Theft and write-offs surface at the write-off or the next
			// count; over-recorded sales surface at a count too.
			return (tr.kind == "vanish" || tr.kind == "theft" || tr.kind == "spike_typo" || tr.kind == "stuck" ||
				tr.kind == "sale_without_stock") && lag >= 0 && lag <= 200
		default: // the series detectors
			if tr.ch != "" && f.Channel != tr.ch {
				return false
			}
			switch tr.kind {
			case "spike_typo", "sale_without_stock":
				return lag >= 0 && lag <= 1
			case "stuck":
				return lag >= 0 && lag <= tr.days
			case "level_shift":
				return lag >= 0 && lag <= 28
			}
		}
		return false
	}
	found := map[string]int{}
	total := map[string]int{}
	for _, tr := range truth {
		total[tr.kind]++
		for _, f := range findings {
			if explains(tr, f) {
				found[tr.kind]++
				break
			}
		}
	}
	rules := map[string]bool{anomaly.RuleNegativeStock: true, anomaly.RuleSaleNoStock: true, anomaly.RuleVanished: true,
		anomaly.RuleShrinkage: true, anomaly.RulePrice: true}
	hits, hitsHigh := map[string]int{}, map[string]int{}
	all, allHigh := map[string]int{}, map[string]int{}
	for _, f := range findings {
		group := f.Detector
		if f.File == "" && !rules[f.Detector] {
			group = "series (ensemble)"
		}
		all[group]++
		high := f.Score >= 0.9
		if high {
			allHigh[group]++
		}
		for _, tr := range truth {
			if explains(tr, f) {
				hits[group]++
				if high {
					hitsHigh[group]++
				}
				break
			}
		}
	}
	var b strings.Builder
	seriesDays := float64(nSeries) * float64(end-start+1)
	fmt.Fprintf(&b, "demo: %d sales series, %s..%s; series alerts stored: %.2f per 1,000 series-days\n", nSeries, start, end,
		1000*float64(all["series (ensemble)"])/seriesDays)
	fmt.Fprintf(&b, "series findings %d: %d open after %d category-wide findings took %d of them in (dismissed)\n\nrecall by injected kind (open findings):\n",
		nSeriesFound, nSeriesFound-dismissed, carriers, dismissed+carriers)
	kinds := make([]string, 0, len(total))
	for k := range total {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %-20s %2d of %2d\n", k, found[k], total[k])
	}
	b.WriteString("\nprecision by finding (explained by an injected anomaly / all; and of those scoring 0.9+):\n")
	groups := make([]string, 0, len(all))
	for g := range all {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		fmt.Fprintf(&b, "  %-20s %5d of %5d   %5d of %5d\n", g, hits[g], all[g], hitsHigh[g], allHigh[g])
	}
	return b.String()
}
