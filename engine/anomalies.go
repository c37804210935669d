package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"stockroom/data"
	"stockroom/engine/anomaly"
	"stockroom/model"
)

// The anomaly list's query types, for the console and the CLI.
type (
	// AnomalyQuery selects stored anomalies (see data.AnomalyQuery).
	AnomalyQuery = data.AnomalyQuery
	// AnomalyCursor is a row's place in an anomaly order.
	AnomalyCursor = data.AnomalyCursor
	// AnomalySort is an order of the anomaly list.
	AnomalySort = data.AnomalySort
	// AnomalyLogEntry is one action in an anomaly's log.
	AnomalyLogEntry = data.AnomalyAction
)

// The anomaly list orders.
const (
	AnomalyNewest  = data.AnomalyNewest
	AnomalyByScore = data.AnomalyByScore
)

// ErrNotAllowed says the actor's role does not allow the action.
var ErrNotAllowed = errors.New("not allowed for this role")

// DefaultStepSeries is how many item×locations the after-import step checks
// itself: at about 1.4 ms of CPU each (the detectors rebuilt from warmDays
// of history), a few seconds on one core. An import that touches more (a
// history load, a catalogue-wide daily export) is left to the scan,
// `stockroom anomalies --db DB --scan` or the scheduled anomaly-scan job,
// so that the next file dropped into a watched folder does not wait
// behind it.
const DefaultStepSeries = 2000

// warmDays is how much history before the first new day a series'
// detectors are rebuilt from: enough to fill the seasonal model's window
// (16 weeks) and most of the change detectors' reference, at about 1.4 ms
// a series.
const warmDays = 140

// seriesDetectors are the detectors whose Observed is the units a series
// sold on a day: only their corrections and exclusions change what
// forecasting sees (a corrected price is not a corrected demand).
var seriesDetectors = append(append([]string(nil), anomaly.Components[:]...), "ensemble")

func isSeriesDetector(d string) bool { return slices.Contains(seriesDetectors, d) }

// AnomalyStep is the pipeline step that looks for anomalies in what an
// import brought: the item×locations its ledger lines touched (demand
// series from their first new day, stock rules), its counts, its prices,
// and files that repeat earlier ones. An import touching more than
// maxSeries item×locations (<= 0: DefaultStepSeries) is left to the scan.
func AnomalyStep(maxSeries int) Step {
	if maxSeries <= 0 {
		maxSeries = DefaultStepSeries
	}
	return Step{Name: "anomalies", Run: func(ctx context.Context, e *Engine, imported []data.FileResult) error {
		_, err := e.checkImported(ctx, imported, maxSeries)
		return err
	}}
}

// ScanOptions tune a scan.
type ScanOptions struct {
	// Full checks every file and every series from its first day, not
	// only what no step or scan has checked yet.
	Full bool
	// Workers is how many series are checked at once (default: all cores).
	Workers int
	// Progress, when set, is called now and then with items done of total.
	Progress func(done, total int)
}

// ScanResult says what a step or a scan looked at and found.
type ScanResult struct {
	Files  int // files checked
	Series int // item×locations checked
	Found  int // findings, stored before or not
	Added  []model.Anomaly
	// Cleared are open stock-rule findings the ledger no longer shows
	// (late lines explain them), dismissed by the check.
	Cleared  []model.Anomaly
	Deferred int // item×locations left to the scan (the step only)
	Seconds  float64
}

// ScanAnomalies checks for anomalies what no after-import step has checked
// (imports too big for it), or with opt.Full everything the store holds,
// stores what is new and announces it.
func (e *Engine) ScanAnomalies(ctx context.Context, opt ScanOptions) (ScanResult, error) {
	start := time.Now()
	files, err := e.store.CheckFiles(ctx, !opt.Full)
	if err != nil {
		return ScanResult{}, err
	}
	sc := scope{files: files, all: opt.Full}
	if !opt.Full {
		if sc.touched, err = e.store.TouchedSeries(ctx, ledgerFileIDs(files)); err != nil {
			return ScanResult{}, err
		}
	}
	res, err := e.detect(ctx, sc, opt.Workers, opt.Progress)
	res.Seconds = time.Since(start).Seconds()
	if err != nil {
		return res, err
	}
	e.announce(res)
	return res, nil
}

// AnomalyScanJob is the scheduled scan: what the after-import step left.
func (e *Engine) AnomalyScanJob() Job {
	return func(ctx context.Context) error {
		_, err := e.ScanAnomalies(ctx, ScanOptions{})
		return err
	}
}

// checkImported is the after-import step: the imported files, plus files
// that brought no rows but may repeat earlier ones (a re-sent export).
func (e *Engine) checkImported(ctx context.Context, imported []data.FileResult, maxSeries int) (ScanResult, error) {
	start := time.Now()
	mine := map[int64]bool{}
	for _, r := range imported {
		mine[r.FileID] = true
	}
	unchecked, err := e.store.CheckFiles(ctx, true)
	if err != nil {
		return ScanResult{}, err
	}
	var files []data.CheckFile
	for _, f := range unchecked {
		if mine[f.ID] || f.RowsOK == 0 {
			files = append(files, f)
		}
	}
	touched, err := e.store.TouchedSeries(ctx, ledgerFileIDs(files))
	if err != nil {
		return ScanResult{}, err
	}
	deferred := 0
	if len(touched) > maxSeries {
		// Leave the ledger files to the scan; the rest is cheap.
		deferred, touched = len(touched), nil
		files = slices.DeleteFunc(files, isLedgerFile)
	}
	// Half the cores: consoles on the same machine keep the rest.
	res, err := e.detect(ctx, scope{files: files, touched: touched}, max(1, runtime.GOMAXPROCS(0)/2), nil)
	res.Deferred = deferred
	res.Seconds = time.Since(start).Seconds()
	if err != nil {
		return res, err
	}
	e.announce(res)
	return res, nil
}

func isLedgerFile(f data.CheckFile) bool {
	return f.Kind.Ledger() && f.RowsOK > 0
}

func ledgerFileIDs(files []data.CheckFile) []int64 {
	var ids []int64
	for _, f := range files {
		if isLedgerFile(f) {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

// announce publishes what a step or scan added, and what it left.
func (e *Engine) announce(res ScanResult) {
	if text := describeAdded(res.Added); text != "" {
		e.hub.Publish(model.Change{Kind: model.ChangeAnomalies, Text: text})
	}
	if n := len(res.Cleared); n > 0 {
		text := fmt.Sprintf("anomalies: %s stock findings dismissed: the ledger explains them now", model.Thousands(int64(n)))
		if n == 1 {
			a := res.Cleared[0]
			text = fmt.Sprintf("anomalies: the %s finding of %s on %s dismissed: the ledger explains it now", a.Detector, a.Subject(), a.Date)
		}
		e.hub.Publish(model.Change{Kind: model.ChangeAnomalies, Text: text})
	}
	if res.Deferred > 0 {
		e.hub.Publish(model.Change{Kind: model.ChangeAnomalies, Text: fmt.Sprintf(
			"anomalies: the import touched %d item×locations, more than the after-import check takes; the next scan checks them (stockroom anomalies --db DB --scan)",
			res.Deferred)})
	}
}

// describeAdded is the one line announcing new anomalies: how many are
// open, by detector, and the one that scores highest; and how many were
// dismissed on arrival as part of a category-wide move. "" for none.
func describeAdded(added []model.Anomaly) string {
	var as []model.Anomaly
	for _, a := range added {
		if a.State != model.AnomalyDismissed {
			as = append(as, a)
		}
	}
	explained := ""
	if n := len(added) - len(as); n > 0 {
		explained = fmt.Sprintf("%s found and dismissed as part of a category-wide move", model.Thousands(int64(n)))
	}
	if len(as) == 0 {
		if explained == "" {
			return ""
		}
		return "anomalies: " + explained
	}
	if explained != "" {
		explained = " (" + explained + ")"
	}
	by := map[string]int{}
	top := as[0]
	for _, a := range as {
		by[a.Detector]++
		if a.Score > top.Score {
			top = a
		}
	}
	dets := make([]string, 0, len(by))
	for d := range by {
		dets = append(dets, d)
	}
	sort.Slice(dets, func(i, j int) bool {
		if by[dets[i]] != by[dets[j]] {
			return by[dets[i]] > by[dets[j]]
		}
		return dets[i] < dets[j]
	})
	parts := make([]string, 0, 3)
	for i, d := range dets {
		if i == 3 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, model.Thousands(int64(by[d]))+" "+d)
	}
	noun := "anomalies"
	if len(as) == 1 {
		noun = "anomaly"
	}
	return fmt.Sprintf("%s new %s: %s; top %s %s on %s (%.2f)%s", model.Thousands(int64(len(as))), noun, strings.Join(parts, ", "),
		top.Detector, top.Subject(), top.Date, top.Score, explained)
}

// scope is what one detection run checks.
type scope struct {
	files   []data.CheckFile   // checked and then marked checked
	touched []data.SeriesTouch // item×locations from a day on
	all     bool               // every item×location from its first day
}

// detect runs the rules and the detectors over a scope and stores what is
// new, marking the scope's files checked in the same transaction.
func (e *Engine) detect(ctx context.Context, sc scope, workers int, progress func(done, total int)) (ScanResult, error) {
	var res ScanResult
	asOf, err := e.store.AsOf(ctx)
	if err != nil {
		return res, err
	}
	found, err := e.fileFindings(ctx, sc.files)
	if err != nil {
		return res, err
	}
	var dismiss []model.Anomaly // kept earlier, taken into a move now
	var gone []model.Anomaly    // open stock findings the ledger no longer shows
	if asOf != model.NoDate && (sc.all || len(sc.touched) > 0) {
		series, stale, n, err := e.seriesFindings(ctx, sc, asOf, workers, progress)
		if err != nil {
			return res, err
		}
		gone = stale
		found = append(found, series...)
		res.Series = n
		if found, dismiss, err = e.cohorts(ctx, found); err != nil {
			return res, err
		}
	}
	// A stable order: ids then follow the series, day by day.
	slices.SortFunc(found, func(a, b model.Anomaly) int {
		return cmp.Or(cmp.Compare(a.SKU, b.SKU), cmp.Compare(a.Location, b.Location), cmp.Compare(a.Channel, b.Channel),
			cmp.Compare(a.File, b.File), cmp.Compare(a.Date, b.Date), cmp.Compare(a.Detector, b.Detector))
	})
	res.Files, res.Found = len(sc.files), len(found)
	ids := make([]int64, len(sc.files))
	for i, f := range sc.files {
		ids[i] = f.ID
	}
	// Big scans store in chunks; the files are marked checked with the
	// last, so an interrupted scan is simply run again.
	const chunk = 20000
	for len(found) > chunk {
		added, err := e.store.SaveAnomalies(ctx, found[:chunk], nil)
		if err != nil {
			return res, err
		}
		res.Added = append(res.Added, added...)
		found = found[chunk:]
	}
	added, err := e.store.SaveAnomalies(ctx, found, ids)
	if err != nil {
		return res, err
	}
	res.Added = append(res.Added, added...)
	// Stock findings the ledger no longer shows (late lines explain them).
	for _, a := range gone {
		got, done, err := e.dismissFor(ctx, a)
		if err != nil {
			return res, err
		}
		if done {
			res.Cleared = append(res.Cleared, got)
		}
	}
	// Earlier findings that a move now takes in, once the move is stored.
	for _, a := range dismiss {
		if _, _, err := e.dismissFor(ctx, a); err != nil {
			return res, err
		}
	}
	return res, nil
}

// dismissFor dismisses a finding on the check's behalf, with a.Note as the
// reason, at the version the check read: an action someone took on it in
// the meantime wins (done false, no error).
func (e *Engine) dismissFor(ctx context.Context, a model.Anomaly) (got model.Anomaly, done bool, err error) {
	got, err = e.store.ActOnAnomaly(ctx, a.ID, model.ActionRequest{Action: model.ActDismiss, Version: a.Version,
		User: anomaly.CohortBy, At: e.clock(), Note: a.Note})
	if errors.Is(err, model.ErrAnomalyStale) || errors.Is(err, model.ErrAnomalyTransition) {
		return got, false, nil
	}
	return got, err == nil, err
}

// cohorts makes the findings of a category's items that moved together
// one category-wide finding (anomaly.Cohorts). It reads what earlier
// checks kept around the findings' days: category-wide findings to join,
// and open series findings that count towards a new move and are
// dismissed when one forms (a season's turn is found over several days of
// imports): those come back in dismiss, for detect to act on once the
// move is stored.
func (e *Engine) cohorts(ctx context.Context, found []model.Anomaly) (out, dismiss []model.Anomaly, err error) {
	from, to := model.NoDate, model.NoDate
	for _, a := range found {
		if a.Detector == anomaly.DetLevel || a.Detector == anomaly.DetSeasonalZ {
			if from == model.NoDate || a.Date < from {
				from = a.Date
			}
			to = max(to, a.Date)
		}
	}
	if from == model.NoDate {
		return found, nil, nil // the usual daily import: nothing that could be part of a move
	}
	// A move's week, and the weeks either side.
	from, to = from.AddDays(-14), to.AddDays(14)
	var stored []model.Anomaly
	for _, q := range []data.AnomalyQuery{
		{Detector: anomaly.CohortShift}, {Detector: anomaly.CohortSpike},
		{Detector: anomaly.DetLevel, States: []model.AnomalyState{model.AnomalyOpen}},
		{Detector: anomaly.DetSeasonalZ, States: []model.AnomalyState{model.AnomalyOpen}},
	} {
		q.From, q.To = from, to
		as, err := e.store.Anomalies(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		stored = append(stored, as...)
	}
	var skus []string
	seen := map[string]bool{}
	for _, a := range slices.Concat(found, stored) {
		if a.SKU != "" && !seen[a.SKU] {
			seen[a.SKU] = true
			skus = append(skus, a.SKU)
		}
	}
	items, err := e.store.ItemsBySKU(ctx, skus)
	if err != nil {
		return nil, nil, err
	}
	out, dismiss = anomaly.Cohorts(found, stored, func(sku string) string { return items[sku].Category }, e.clock())
	return out, dismiss, nil
}

// fileFindings runs the rules that judge files: content imported again
// under another name, exports most of whose rows were already imported,
// recorded prices out of bounds, and (after a catalogue import) prices
// against costs. Counts are judged with their item×location's ledger, in
// checkSeries.
func (e *Engine) fileFindings(ctx context.Context, files []data.CheckFile) ([]model.Anomaly, error) {
	var out []model.Anomaly
	listPrice := map[string]float64{} // by sku, NaN for one not in the catalogue
	catalogue := false
	for _, f := range files {
		if f.Failed {
			continue
		}
		day := model.DateOf(f.Finished)
		switch {
		case f.DuplicateOf != "":
			if filepath.Base(f.DuplicateOf) == filepath.Base(f.Path) {
				continue // the same file dropped again: a no-op, not an anomaly
			}
			out = append(out, anomaly.DuplicateFiles([]anomaly.FileDigest{
				{Name: f.DuplicateOf, Imported: day, Hash: f.Hash},
				{Name: f.Path, Imported: day, Hash: f.Hash},
			}, 0)...)
			continue
		case f.Kind == data.KindItems && f.RowsOK > 0:
			catalogue = true
		}
		if f.Kind.Ledger() {
			// Natural keys made the import skip rows it already had: a file
			// nearly all of which it skipped repeats an earlier export.
			rows := f.RowsOK + f.RowsDuplicate
			if f.RowsDuplicate >= overlapMinRows && float64(f.RowsDuplicate) >= overlapShare*float64(rows) {
				out = append(out, model.Anomaly{File: f.Path, Date: day, Detector: anomaly.RuleOverlapExport, Score: 1,
					Observed: float64(f.RowsDuplicate), Expected: 0, State: model.AnomalyOpen, Replacement: math.NaN(),
					Detail: fmt.Sprintf("%s of %s rows were already imported from earlier files", model.Thousands(int64(f.RowsDuplicate)), model.Thousands(int64(rows)))})
			}
		}
		if f.Kind == data.KindSales && f.RowsOK > 0 {
			prices, ok, err := e.store.SalePrices(ctx, f)
			if err != nil {
				return nil, err
			}
			if !ok || len(prices) == 0 {
				continue
			}
			// The list prices of this file's items only: a day's file names
			// a fraction of a large catalogue.
			var skus []string
			for _, p := range prices {
				if _, ok := listPrice[p.SKU]; !ok {
					listPrice[p.SKU] = math.NaN()
					skus = append(skus, p.SKU)
				}
			}
			items, err := e.store.ItemsBySKU(ctx, skus)
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				listPrice[it.SKU] = it.Price
			}
			checks := make([]anomaly.PriceCheck, len(prices))
			for i, p := range prices {
				checks[i] = anomaly.PriceCheck{SKU: p.SKU, Location: p.Location, Channel: p.Channel, Date: p.Date,
					Price: p.Price, ListPrice: listPrice[p.SKU]}
			}
			out = append(out, anomaly.PriceBounds{}.Prices(checks)...)
		}
	}
	if catalogue {
		costs, err := e.costFindings(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, costs...)
	}
	return out, nil
}

// An export repeats earlier ones when at least overlapShare of its rows,
// and overlapMinRows of them, were already imported.
const (
	overlapShare   = 0.9
	overlapMinRows = 5
)

// costFindings checks every item's price against its cost. A finding is
// dated the day of the check, so one already stored for the same price and
// cost (in any state) is not raised again the next day.
func (e *Engine) costFindings(ctx context.Context) ([]model.Anomaly, error) {
	items, err := e.store.Items(ctx)
	if err != nil {
		return nil, err
	}
	found := anomaly.PriceBounds{}.Costs(items, model.DateOf(e.clock()))
	if len(found) == 0 {
		return nil, nil
	}
	old, err := e.store.Anomalies(ctx, AnomalyQuery{Detector: anomaly.RuleCost})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, a := range old {
		seen[fmt.Sprint(a.SKU, a.Observed, a.Expected)] = true
	}
	return slices.DeleteFunc(found, func(a model.Anomaly) bool { return seen[fmt.Sprint(a.SKU, a.Observed, a.Expected)] }), nil
}

// known days are those whose demand has a known cause or is censored:
// promotions and calendar events move it on purpose. The detectors see
// them as missing: neither scored nor learnt from.
type known struct {
	promos map[string][]model.Promotion // by sku
	events []model.Event
}

func (e *Engine) loadKnown(ctx context.Context) (*known, error) {
	promos, err := e.store.Promotions(ctx)
	if err != nil {
		return nil, err
	}
	events, err := e.store.Events(ctx)
	if err != nil {
		return nil, err
	}
	k := &known{promos: map[string][]model.Promotion{}, events: events}
	for _, p := range promos {
		k.promos[p.SKU] = append(k.promos[p.SKU], p)
	}
	return k, nil
}

// days marks the days of a series (from start, n days) that have a known
// cause.
func (k *known) days(sku, loc, ch string, start model.Date, n int) []bool {
	out := make([]bool, n)
	mark := func(from, to model.Date) {
		for d := max(from, start); d <= to && int(d-start) < n; d++ {
			out[d-start] = true
		}
	}
	for _, p := range k.promos[sku] {
		if (p.Location == "" || p.Location == loc) && (p.Channel == "" || p.Channel == ch) {
			mark(p.Start, p.End)
		}
	}
	for _, ev := range k.events {
		if ev.Applies(sku) {
			mark(ev.Date, ev.Date)
		}
	}
	return out
}

// seriesFindings runs the stock rules and the demand detectors over the
// item×locations of a scope, items in parallel.
func (e *Engine) seriesFindings(ctx context.Context, sc scope, asOf model.Date, workers int, progress func(done, total int)) (found, stale []model.Anomaly, n int, err error) {
	kn, err := e.loadKnown(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	open, err := e.openStockFindings(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	today := model.DateOf(e.clock())
	var items []int64
	from := map[[2]int64]model.Date{}
	if sc.all {
		if items, err = e.store.LedgerItems(ctx); err != nil {
			return nil, nil, 0, err
		}
	} else {
		for _, t := range sc.touched {
			if len(items) == 0 || items[len(items)-1] != t.ItemID {
				items = append(items, t.ItemID)
			}
			// From the day before: if it was today at the last check it
			// was left unscored (checkSeries), and now it may be over.
			// What is found again is not stored twice.
			from[[2]int64{t.ItemID, t.LocID}] = t.From.AddDays(-1)
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const perRead = 32 // items a worker reads at once: one short read each
	var (
		mu      sync.Mutex
		out     []model.Anomaly
		gone    []model.Anomaly
		nSeries int
		done    int
		next    int
		firstEr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range min(workers, (len(items)+perRead-1)/perRead) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(items) || firstEr != nil {
					mu.Unlock()
					return
				}
				chunk := items[next:min(len(items), next+perRead)]
				next += len(chunk)
				mu.Unlock()
				lds, err := e.store.LedgerDaysOf(ctx, chunk, asOf)
				var found, stale []model.Anomaly
				n := 0
				if err == nil {
					found, stale = transferFindings(lds, sc.all, from, open, asOf)
				}
				for _, ld := range lds {
					if err != nil {
						break
					}
					f := ld.Start
					if !sc.all {
						var ok bool
						if f, ok = from[[2]int64{ld.ItemID, ld.LocID}]; !ok {
							continue
						}
					}
					fs := checkSeries(ld, f, kn, today)
					found = append(found, fs...)
					stale = append(stale, noLonger(ld, f, open[[2]string{ld.SKU, ld.Location}], fs)...)
					n++
				}
				mu.Lock()
				if err != nil && firstEr == nil {
					firstEr = err
					cancel()
				}
				out = append(out, found...)
				gone = append(gone, stale...)
				nSeries += n
				done += len(chunk)
				if progress != nil {
					progress(done, len(items))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstEr != nil {
		return nil, nil, 0, firstEr
	}
	return out, gone, nSeries, nil
}

// openStockFindings are the open findings of the stock rules, by SKU and
// location: a check judges again those on the days it looks at.
func (e *Engine) openStockFindings(ctx context.Context) (map[[2]string][]model.Anomaly, error) {
	out := map[[2]string][]model.Anomaly{}
	for _, det := range anomaly.LedgerRules {
		as, err := e.store.Anomalies(ctx, data.AnomalyQuery{States: []model.AnomalyState{model.AnomalyOpen}, Detector: det})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			k := [2]string{a.SKU, a.Location}
			out[k] = append(out[k], a)
		}
	}
	return out, nil
}

// transferFindings pairs the transfers of each item whose ledger a check
// reaches (any of its locations): a transfer concerns two locations, and
// the import that brings its receiving side touches only the receiver. It
// returns what is unreceived, and the open findings now received.
func transferFindings(lds []*data.LedgerDays, all bool, from map[[2]int64]model.Date, open map[[2]string][]model.Anomaly,
	asOf model.Date) (found, stale []model.Anomaly) {
	for i := 0; i < len(lds); {
		j, checked := i, all
		var ts []anomaly.Transfer
		for ; j < len(lds) && lds[j].ItemID == lds[i].ItemID; j++ {
			ld := lds[j]
			if _, ok := from[[2]int64{ld.ItemID, ld.LocID}]; ok {
				checked = true
			}
			for _, t := range ld.Transfers {
				ts = append(ts, anomaly.Transfer{Location: ld.Location, Date: t.Date, Qty: t.Qty, Ref: t.Ref})
			}
		}
		if checked && len(ts) > 0 {
			fs := anomaly.CheckTransfers(lds[i].SKU, ts, asOf, anomaly.TransferGraceDays)
			found = append(found, fs...)
			for _, ld := range lds[i:j] {
				for _, a := range open[[2]string{ld.SKU, ld.Location}] {
					if a.Detector != anomaly.RuleTransferLost || slices.ContainsFunc(fs, func(f model.Anomaly) bool {
						return f.Location == a.Location && f.Date == a.Date
					}) {
						continue
					}
					a.Note = "the ledger explains it now: the transfer was received"
					stale = append(stale, a)
				}
			}
		}
		i = j
	}
	return found, stale
}

// noLonger returns the open stock findings of one item×location, from day
// from on, that its ledger no longer shows, each with a note saying so (a
// late receipt filled the day that went negative, late sales explain what
// a count missed). A negative-stock finding stands while its day still
// closes below zero, even when its run now starts earlier (before from,
// where found does not reach).
func noLonger(ld *data.LedgerDays, from model.Date, open, found []model.Anomaly) []model.Anomaly {
	type key struct {
		det string
		day model.Date
	}
	have := map[key]bool{}
	for _, a := range found {
		have[key{a.Detector, a.Date}] = true
	}
	var out []model.Anomaly
	var closes []int64 // the ledger's stock at the end of each day, once needed
	closeOn := func(d model.Date) int64 {
		if closes == nil {
			closes = make([]int64, ld.Len())
			var bal int64
			for i := range closes {
				bal += ld.In[i] - ld.Sold[i] + ld.Adjusted[i] + ld.Counted[i]
				closes[i] = bal
			}
		}
		i := int(d - ld.Start)
		if i < 0 || len(closes) == 0 {
			return 0
		}
		return closes[min(i, len(closes)-1)]
	}
	for _, a := range open {
		if a.Date < from || have[key{a.Detector, a.Date}] {
			continue
		}
		day := a.Date.String()
		switch a.Detector {
		case anomaly.RuleNegativeStock:
			if c := closeOn(a.Date); c >= 0 {
				a.Note = fmt.Sprintf("the ledger explains it now: %s closes at %d", day, c)
				break
			}
			// Still below zero: the run starts earlier now. Its first day
			// is the finding, when this check reaches it.
			start := a.Date
			for start > ld.Start && closeOn(start.AddDays(-1)) < 0 {
				start = start.AddDays(-1)
			}
			if !have[key{a.Detector, start}] {
				continue
			}
			a.Note = "the same run below zero starts on " + start.String() + " now"
		case anomaly.RuleShrinkage:
			i := slices.IndexFunc(ld.Counts, func(c data.CountResult) bool { return c.Date == a.Date })
			if i < 0 {
				continue
			}
			a.Note = fmt.Sprintf("the ledger explains it now: count %d vs ledger %d", ld.Counts[i].Counted, ld.Counts[i].Ledger)
		case anomaly.RuleSaleNoStock:
			// Not found inside a negative run is not the same as explained.
			i := int(a.Date - ld.Start)
			if i < 0 || i >= ld.Len() ||
				closeOn(a.Date.AddDays(-1))+ld.In[i]+max(ld.Adjusted[i], 0)+max(ld.Counted[i], 0) <= 0 && ld.Sold[i] > 0 {
				continue
			}
			a.Note = "the ledger explains it now: there was stock to sell on " + day
		case anomaly.RuleVanished:
			a.Note = "the ledger explains it now: the fall on " + day + " is booked"
		default:
			continue
		}
		out = append(out, a)
	}
	return out
}

// checkSeries judges one item×location from day from on: the stock rules
// on its ledger days, and the ensemble on each channel's daily units,
// rebuilt from warmDays before from.
//
// A day that opens with nothing on hand is censored demand: its sales say
// how much there was to sell, not how much was wanted, so the detectors
// see it as missing (as they do promotion and event days). A day that
// opens with stock and sells far more than it had is scored: that is how
// a typed 1000 instead of 10 shows. An item×location whose ledger never
// had stock booked in (a store that imports sales only) has no stock to
// judge and no censored days.
//
// A day that is still today by the clock is not over: its sales so far
// are not its demand (an intraday feed would read as a dip on every
// series), so it is missing until a later check, which starts a day back
// for this reason.
func checkSeries(ld *data.LedgerDays, from model.Date, kn *known, today model.Date) []model.Anomaly {
	n := ld.Len()
	tracked := false
	for i := 0; i < n && !tracked; i++ {
		tracked = ld.In[i] > 0 || ld.Adjusted[i] > 0 || ld.Counted[i] != 0
	}
	censored := make([]bool, n)
	var out []model.Anomaly
	if tracked {
		var days []anomaly.StockDay
		var bal int64
		for i := range n {
			sd := anomaly.StockDay{Date: ld.Start.AddDays(i), Open: bal, In: ld.In[i], Sold: ld.Sold[i],
				Adjusted: ld.Adjusted[i], Counted: ld.Counted[i]}
			sd.Close = sd.Open + sd.In - sd.Sold + sd.Adjusted + sd.Counted
			censored[i] = sd.Open <= 0
			bal = sd.Close
			if sd.In != 0 || sd.Sold != 0 || sd.Adjusted != 0 || sd.Counted != 0 || sd.Close < 0 {
				days = append(days, sd)
			}
		}
		for _, a := range (anomaly.StockRules{}).CheckStock(ld.SKU, ld.Location, days) {
			if a.Date >= from {
				out = append(out, a)
			}
		}
	}
	for _, a := range (anomaly.ShrinkRules{}).Check(countChecks(ld)) {
		if a.Date >= from {
			out = append(out, a)
		}
	}
	chans := make([]string, 0, len(ld.Sales))
	for ch := range ld.Sales {
		chans = append(chans, ch)
	}
	slices.Sort(chans)
	for _, ch := range chans {
		units := ld.Sales[ch]
		first := slices.IndexFunc(units, func(u int64) bool { return u != 0 })
		if first < 0 || ld.Start.AddDays(n-1) < from {
			continue
		}
		begin := max(first, int(from-ld.Start)-warmDays)
		skip := kn.days(ld.SKU, ld.Location, ch, ld.Start, n)
		dm := anomaly.NewDemand(anomaly.DailyConfig(), anomaly.DemandFilter{})
		value := func(i int) float64 {
			if censored[i] || skip[i] || ld.Start.AddDays(i) == today {
				return math.NaN()
			}
			return float64(units[i])
		}
		var seed []float64
		for i := max(first, int(from-ld.Start)-anomaly.LookBack); i < begin; i++ {
			seed = append(seed, value(i))
		}
		dm.Seed(seed)
		for i := begin; i < n; i++ {
			d := ld.Start.AddDays(i)
			v := value(i)
			if p, store := dm.Push(anomaly.WeekdayPhase(d), v); store && d >= from {
				out = append(out, p.Anomaly(ld.SKU, ld.Location, ch, d, v))
			}
		}
	}
	return out
}

// countChecks are an item×location's stock counts, each with the units
// sold since the count before (since the ledger's first day for the
// first): all of them, since the earlier ones are the baseline of what
// the item×location ordinarily loses.
func countChecks(ld *data.LedgerDays) []anomaly.CountCheck {
	out := make([]anomaly.CountCheck, len(ld.Counts))
	since, i := ld.Start, 0 // i: the first ledger day not yet summed
	for j, c := range ld.Counts {
		var sold int64
		for ; i < ld.Len() && ld.Start.AddDays(i) <= c.Date; i++ {
			sold += ld.Sold[i]
		}
		out[j] = anomaly.CountCheck{SKU: ld.SKU, Location: ld.Location, Date: c.Date, Counted: c.Counted, Ledger: c.Ledger,
			Since: since, Sold: sold}
		since = c.Date
	}
	return out
}

// Anomalies returns a page of stored anomalies.
func (e *Engine) Anomalies(ctx context.Context, q AnomalyQuery) ([]model.Anomaly, error) {
	return e.store.Anomalies(ctx, q)
}

// AnomalyCount counts the anomalies a query selects.
func (e *Engine) AnomalyCount(ctx context.Context, q AnomalyQuery) (int, error) {
	return e.store.AnomalyCount(ctx, q)
}

// Anomaly returns one stored anomaly.
func (e *Engine) Anomaly(ctx context.Context, id int64) (model.Anomaly, error) {
	return e.store.Anomaly(ctx, id)
}

// AnomalyLog returns the actions taken on an anomaly, oldest first.
func (e *Engine) AnomalyLog(ctx context.Context, id int64) ([]AnomalyLogEntry, error) {
	return e.store.AnomalyActions(ctx, id)
}

// OpenAnomalies counts the open anomalies (for the metrics and the
// overview).
func (e *Engine) OpenAnomalies(ctx context.Context) (int, error) {
	return e.store.AnomalyCount(ctx, AnomalyQuery{States: []model.AnomalyState{model.AnomalyOpen}})
}

// OpenAnomalyCounts returns how many open anomalies on or after since
// each item×location (item id, location id) has, for markers in the stock
// table; keys with
// none are left out. An item's findings that concern no location (its
// price against its cost) count at each of its locations.
func (e *Engine) OpenAnomalyCounts(ctx context.Context, keys [][2]int64, since model.Date) (map[[2]int64]int, error) {
	return e.store.OpenAnomalyCounts(ctx, keys, since)
}

// SeriesAnomalies returns every anomaly of an item at a location, in any
// state, oldest first, for marking an item chart: its demand series on
// every channel, its stock, and the item's own findings.
func (e *Engine) SeriesAnomalies(ctx context.Context, sku, location string) ([]model.Anomaly, error) {
	return e.store.SeriesAnomalies(ctx, sku, location)
}

// TrainingOverrides returns the corrected and excluded anomalies of one
// demand series (sku, location, channel), for model.CleanSeries: what
// people decided forecasting must see instead of the recorded units.
// Findings whose value is not units sold (a price, a stock level) are
// never among them.
func (e *Engine) TrainingOverrides(ctx context.Context, sku, location, channel string) ([]model.Anomaly, error) {
	return e.store.TrainingOverrides(ctx, sku, location, channel, seriesDetectors...)
}

// CleanHistory applies the corrections and exclusions people made to an
// item×location's history, in place: a corrected day's units are
// replaced in its channel and in the total, and keep is false on days
// excluded on any channel, which training and backtests must leave out.
func (e *Engine) CleanHistory(ctx context.Context, h *data.History) (keep []bool, err error) {
	keep = make([]bool, len(h.Units))
	for i := range keep {
		keep[i] = true
	}
	for ch, units := range h.ByChannel {
		ov, err := e.TrainingOverrides(ctx, h.SKU, h.Location, ch)
		if err != nil {
			return nil, err
		}
		if len(ov) == 0 {
			continue
		}
		clean, k := model.CleanSeries(h.Start, units, ov)
		for i := range clean {
			h.Units[i] += clean[i] - units[i]
			keep[i] = keep[i] && k[i]
		}
		h.ByChannel[ch] = clean
	}
	return keep, nil
}

// ActOnAnomaly applies a person's action: operators and admins may act,
// viewers may not (the refusal wraps ErrNotAllowed and is audited). The
// request states the version the person saw; if someone acted since, the
// error wraps model.ErrAnomalyStale and nothing changes. r.User defaults to
// the actor. The change is announced on the hub.
func (e *Engine) ActOnAnomaly(ctx context.Context, actor model.Actor, id int64, r model.ActionRequest) (model.Anomaly, error) {
	if r.User == "" {
		r.User = actor.String()
	}
	if r.At.IsZero() {
		r.At = time.Now()
	}
	if !actor.Role.Can(model.RoleOperator) {
		_ = e.store.Audit(ctx, data.AuditEntry{At: r.At, User: r.User, Action: "denied:" + string(r.Action), Object: "anomaly",
			ObjectID: fmt.Sprint(id), Version: r.Version, Detail: "role " + string(actor.Role)})
		return model.Anomaly{}, fmt.Errorf("anomaly %d: %s may not %s anomalies: the %s role only looks (operator or admin needed): %w",
			id, actor.Name, r.Action, roleName(actor.Role), ErrNotAllowed)
	}
	a, err := e.store.ActOnAnomaly(ctx, id, r)
	if err != nil {
		return a, err
	}
	text := fmt.Sprintf("anomaly %d %s by %s: %s %s on %s", id, a.State, actor.Name, a.Detector, a.Subject(), a.Date)
	if a.State == model.AnomalyCorrected {
		text += fmt.Sprintf(", %g → %g", a.Observed, a.Replacement)
	}
	e.hub.Publish(model.Change{Kind: model.ChangeAnomalies, Text: text})
	return a, nil
}

func roleName(r model.Role) string {
	if r == "" {
		return string(model.RoleViewer)
	}
	return string(r)
}

// AnomalySeries is the series an anomaly is a point of, for a chart.
type AnomalySeries struct {
	Name   string // what the values are: "web units sold", "on hand"
	Start  model.Date
	Values []float64
}

// AnomalySeries returns the series an anomaly belongs to, through the
// store's as-of day: a demand finding's channel units, a stock finding's
// closing stock, and the item×location's units for the rest. Findings
// about a file or the catalogue have none (an empty series, no error).
func (e *Engine) AnomalySeries(ctx context.Context, a model.Anomaly) (AnomalySeries, error) {
	if a.SKU == "" || a.Location == "" {
		return AnomalySeries{}, nil
	}
	h, err := e.store.History(ctx, a.SKU, a.Location, model.NoDate)
	if errors.Is(err, data.ErrNotFound) {
		return AnomalySeries{}, nil
	}
	if err != nil {
		return AnomalySeries{}, err
	}
	switch {
	case slices.Contains(anomaly.LedgerRules, a.Detector):
		v := make([]float64, len(h.Closing))
		for i, c := range h.Closing {
			v[i] = float64(c)
		}
		return AnomalySeries{Name: "on hand", Start: h.Start, Values: v}, nil
	case a.Channel != "" && h.ByChannel[a.Channel] != nil:
		return AnomalySeries{Name: a.Channel + " units sold", Start: h.Start, Values: h.ByChannel[a.Channel]}, nil
	}
	return AnomalySeries{Name: "units sold", Start: h.Start, Values: h.Units}, nil
}
