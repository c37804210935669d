package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"stockroom/engine"
	"stockroom/engine/forecast"
)

func runForecast(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "forecast", "--input SERIES.csv --horizon H [--out FORECAST.csv] [flags]", `
Forecast demand series with quantiles. Every candidate model is backtested
on rolling origins (the last --windows × H periods of each series) and
scored by mean scaled pinball loss (RMSSE breaks ties). The model with the
lowest loss over all series together is the default; a series keeps it
unless its own best model beats it by more than --margin, and then gets
the quantile average of the two (--combine 1: that model alone).

SERIES.csv is long format: series_id,period,value (period an ISO date; the
frequency, daily, weekly or monthly, is inferred; NA or empty = missing),
with an optional stockout column (true/1 = out of stock: censored demand,
treated as missing). EVENTS.csv: date,name,kind,applies_to (a glob on
series_id; future dates allowed). PRICES.csv: series_id,period,price (in
effect from that date). META.csv: series_id plus categorical columns.

FORECAST.csv: series_id,period,forecast,pNN…,model (one pNN column per
quantile level). With --backtest, each model's accuracy over the backtest
windows is printed and --out receives one row per series and model.

Models: naive, snaive, ma, ses, holt, hw-add, hw-mult, ets, theta, croston,
sba, tsb, gbt (the global gradient-boosted trees); a fixed parameter after a
colon, e.g. ma:28 or ses:0.3.

Exit status: 0 on success, 1 when an input cannot be read, 2 for usage
errors. The store mode (--db) forecasts every item and location.`)
	var dbPath string
	fs.StringVar(&dbPath, "db", "", "forecast every item×location of this store and store the forecasts (horizon 28 unless --horizon)")
	input := fs.String("input", "", "demand series CSV: series_id,period,value[,stockout]")
	horizon := fs.Int("horizon", 0, "periods to forecast")
	out := fs.String("out", "", "write the forecast (or, with --backtest, per-series scores) here; default standard output")
	events := fs.String("events", "", "events CSV: date,name,kind,applies_to")
	prices := fs.String("prices", "", "prices CSV: series_id,period,price")
	attrs := fs.String("attributes", "", "attributes CSV: series_id plus categorical columns")
	quant := fs.String("quantiles", "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9", "quantile levels, comma-separated, each in (0,1)")
	models := fs.String("models", "auto", "auto (every model) or a comma-separated list")
	backtest := fs.Bool("backtest", false, "print each model's backtest accuracy; --out gets per-series scores")
	windows := fs.Int("windows", 3, "backtest windows per series")
	combine := fs.Int("combine", 2, "blend a series' own best model with the default instead of switching (1 = switch)")
	margin := fs.Float64("margin", 0.3, "how much lower (fraction) a series' own best loss must be to leave the default model")
	workers := fs.Int("workers", 0, "parallel workers (default: all cores)")
	seed := fs.Uint64("seed", 1, "random seed of the global model")
	quiet := fs.Bool("quiet", false, "no progress on standard error")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if dbPath != "" {
		if *input != "" {
			return usageErrorf("forecast: give --db or --input, not both")
		}
		levels, err := fcParseLevels(*quant)
		if err != nil {
			return usageErrorf("forecast --quantiles: %v", err)
		}
		o := engine.ForecastOptions{Horizon: *horizon, Quantiles: levels, Workers: *workers}
		if m := strings.TrimSpace(*models); m != "" && m != "auto" {
			for _, name := range strings.Split(m, ",") {
				name = strings.TrimSpace(name)
				if _, err := forecast.NewModel(name); err != nil {
					return usageErrorf("forecast --models: %v", err)
				}
				o.Models = append(o.Models, name)
			}
		}
		return runForecastDB(ctx, c, dbPath, o, *quiet)
	}
	if *input == "" {
		return usageErrorf("forecast: --input SERIES.csv is required (see 'stockroom forecast --help')")
	}
	if *horizon <= 0 {
		return usageErrorf("forecast: --horizon must be a positive number of periods")
	}
	levels, err := fcParseLevels(*quant)
	if err != nil {
		return usageErrorf("forecast --quantiles: %v", err)
	}
	if !(*margin >= 0 && *margin < 1) {
		return usageErrorf("forecast: --margin must be in [0,1)")
	}
	opt := forecast.Options{Horizon: *horizon, Quantiles: levels, Windows: *windows, Combine: *combine, Workers: *workers, Seed: *seed, Margin: *margin}
	if *margin == 0 {
		opt.Margin = -1 // no margin: each series' own best model
	}
	if m := strings.TrimSpace(*models); m != "" && m != "auto" {
		for _, name := range strings.Split(m, ",") {
			name = strings.TrimSpace(name)
			if _, err := forecast.NewModel(name); err != nil {
				return usageErrorf("forecast --models: %v", err)
			}
			opt.Models = append(opt.Models, name)
		}
	}
	if *windows <= 0 || *combine <= 0 {
		return usageErrorf("forecast: --windows and --combine must be positive")
	}

	series, cal, err := readForecastInputs(*input, *events, *prices, *attrs, *horizon)
	if err != nil {
		return err
	}

	prog := newProgress(c, *quiet || !isTerminal(c.stderr))
	results, err := forecast.Run(ctx, series, cal, opt, func(done, total int) {
		prog.update("forecast "+*input, int64(done), int64(total))
	})
	prog.done()
	if err != nil {
		return err
	}

	w := c.stdout
	var f *os.File
	if *out != "" && *out != "-" {
		if f, err = os.Create(*out); err != nil {
			return fmt.Errorf("forecast: %w", err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	if *backtest {
		fcPrintBacktest(c.stdout, results, levels)
		if *out != "" {
			err = fcWriteScores(bw, results, levels)
		}
	} else {
		err = fcWriteForecast(bw, results, levels)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && f != nil {
		err = f.Close()
	}
	if err != nil {
		return fmt.Errorf("forecast: write %s: %w", *out, err)
	}
	if !*backtest && *out != "" && *out != "-" {
		fmt.Fprintf(c.stderr, "forecast: %d series, %d periods ahead, written to %s (%s)\n", len(results), *horizon, *out, fcWinners(results))
	}
	return nil
}

// readForecastInputs reads a series file and, where given, the events,
// the prices (carried over the horizon) and the attributes that go with
// it ('stockroom forecast' and 'stockroom simulate').
func readForecastInputs(input, events, prices, attrs string, horizon int) ([]forecast.Series, forecast.Calendar, error) {
	var cal forecast.Calendar
	series, err := fcReadInput(input, forecast.ReadSeriesCSV)
	if err != nil {
		return nil, cal, err
	}
	if events != "" {
		if cal, err = fcReadInput(events, forecast.ReadEventsCSV); err != nil {
			return nil, cal, err
		}
	}
	if prices != "" {
		pp, err := fcReadInput(prices, forecast.ReadPricesCSV)
		if err != nil {
			return nil, cal, err
		}
		forecast.ApplyPrices(series, pp, horizon)
	}
	if attrs != "" {
		meta, err := fcReadInput(attrs, forecast.ReadAttributesCSV)
		if err != nil {
			return nil, cal, err
		}
		for i := range series {
			series[i].Attrs = meta[series[i].ID]
		}
	}
	return series, cal, nil
}

// fcReadInput opens a file and parses it, so errors name the file as given
// (forecast and simulate read the same files).
func fcReadInput[T any](path string, parse func(io.Reader, string) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return zero, fmt.Errorf("%s: no such file", path)
	}
	if err != nil {
		return zero, err
	}
	defer f.Close()
	return parse(bufio.NewReaderSize(f, 1<<16), path)
}

// fcParseLevels reads "0.1,0.5,0.9" into sorted, distinct levels in (0,1).
func fcParseLevels(s string) ([]float64, error) {
	var out []float64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		v, err := strconv.ParseFloat(part, 64)
		if err != nil || !(v > 0 && v < 1) {
			return nil, fmt.Errorf("%q is not a level in (0,1)", part)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	names := map[string]bool{}
	for _, v := range out {
		n := fcLevelName(v)
		if names[n] {
			return nil, fmt.Errorf("levels too close to name apart: %s", n)
		}
		names[n] = true
	}
	return out, nil
}

// fcLevelName names a quantile column: 0.1 → p10, 0.05 → p05, 0.975 → p97.5.
func fcLevelName(v float64) string {
	pct := math.Round(v*100*1e6) / 1e6
	if pct == math.Trunc(pct) {
		return fmt.Sprintf("p%02d", int(pct))
	}
	return "p" + strconv.FormatFloat(pct, 'f', -1, 64)
}

// fcNum formats a forecast value: at most 4 decimals, no trailing zeros.
func fcNum(v float64) string {
	s := strconv.FormatFloat(v, 'f', 4, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// fcShare writes an error relative to volume, or NaN (which scripts read
// as a float) when the windows sold nothing and the ratio is undefined:
// the engine keeps 0 for it, which would read as a perfect forecast.
func fcShare(v float64, s forecast.Score) string {
	if s.N > 0 && s.Volume == 0 {
		return "NaN"
	}
	return fcNum(v)
}

func fcWriteForecast(w io.Writer, results []forecast.Result, levels []float64) error {
	head := []string{"series_id", "period", "forecast"}
	for _, l := range levels {
		head = append(head, fcLevelName(l))
	}
	head = append(head, "model")
	if _, err := fmt.Fprintln(w, strings.Join(head, ",")); err != nil {
		return err
	}
	row := make([]string, 0, len(head))
	for _, r := range results {
		for t := range r.Point {
			row = append(row[:0], fcField(r.SeriesID), r.Periods[t].String(), fcNum(r.Point[t]))
			for _, q := range r.Quantiles[t] {
				row = append(row, fcNum(q))
			}
			row = append(row, fcField(r.Model))
			if _, err := fmt.Fprintln(w, strings.Join(row, ",")); err != nil {
				return err
			}
		}
	}
	return nil
}

func fcField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// fcWriteScores writes one row per series and candidate model.
func fcWriteScores(w io.Writer, results []forecast.Result, levels []float64) error {
	head := []string{"series_id", "model", "rank", "chosen", "periods", "mae", "rmse", "mase", "rmsse", "wape", "bias", "spl", "wql"}
	for _, l := range levels {
		head = append(head, "coverage_"+fcLevelName(l))
	}
	head = append(head, "params", "error")
	if _, err := fmt.Fprintln(w, strings.Join(head, ",")); err != nil {
		return err
	}
	for _, r := range results {
		for i, s := range r.Scores {
			rank := strconv.Itoa(i + 1)
			if s.Err != "" {
				rank = ""
			}
			row := []string{fcField(r.SeriesID), fcField(s.Model), rank, strconv.FormatBool(s.Model == r.Model), strconv.Itoa(s.N),
				fcNum(s.MAE), fcNum(s.RMSE), fcNum(s.MASE), fcNum(s.RMSSE), fcShare(s.WAPE, s), fcNum(s.Bias), fcNum(s.SPL), fcShare(s.WQL, s)}
			for j := range levels {
				v := ""
				if j < len(s.Coverage) {
					v = fcNum(s.Coverage[j])
				}
				row = append(row, v)
			}
			row = append(row, fcField(s.Params), fcField(s.Err))
			if _, err := fmt.Fprintln(w, strings.Join(row, ",")); err != nil {
				return err
			}
		}
	}
	return nil
}

// fcPrintBacktest prints each model's accuracy over every series' backtest
// windows: means of the scaled errors, pooled WAPE and WQL, pooled
// coverage, and how often the model was chosen.
func fcPrintBacktest(w io.Writer, results []forecast.Result, levels []float64) {
	type agg struct {
		n, fitted, chosen       int
		mase, rmsse, spl, bias  float64
		absErr, vol, wqlNum, np float64
		cov                     []float64
	}
	byModel := map[string]*agg{}
	var order []string
	for _, r := range results {
		for _, s := range r.Scores {
			a := byModel[s.Model]
			if a == nil {
				a = &agg{cov: make([]float64, len(levels))}
				byModel[s.Model] = a
				order = append(order, s.Model)
			}
			a.n++
			if s.Model == r.Model {
				a.chosen++
			}
			if s.Err != "" {
				continue
			}
			a.fitted++
			a.mase += s.MASE
			a.rmsse += s.RMSSE
			a.spl += s.SPL
			a.bias += s.Bias
			// Totals, not WAPE×volume: a series that sold nothing in its
			// windows has WAPE and WQL 0 but errors all the same.
			a.absErr += s.MAE * float64(s.N)
			a.vol += s.Volume
			a.wqlNum += s.Loss
			for j := range levels {
				if j < len(s.Coverage) {
					a.cov[j] += s.Coverage[j] * float64(s.N)
				}
			}
			a.np += float64(s.N)
		}
	}
	slices.SortStableFunc(order, func(x, y string) int {
		a, b := byModel[x], byModel[y]
		return fcCmp(a.spl/float64(max(1, a.fitted)), b.spl/float64(max(1, b.fitted)))
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "model\tseries\tchosen\tSPL\tMASE\tRMSSE\tWAPE\tbias\tWQL"
	for _, l := range levels {
		head += "\t" + fcLevelName(l)
	}
	fmt.Fprintln(tw, head+"\t")
	for _, m := range order {
		a := byModel[m]
		if a.fitted == 0 {
			fmt.Fprintf(tw, "%s\t%d\t%d\t-\t-\t-\t-\t-\t-%s\t\n", m, 0, a.chosen, strings.Repeat("\t-", len(levels)))
			continue
		}
		f := float64(a.fitted)
		line := fmt.Sprintf("%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f", m, a.fitted, a.chosen,
			a.spl/f, a.mase/f, a.rmsse/f, fcRatio(a.absErr, a.vol), a.bias/f, fcRatio(a.wqlNum, a.vol))
		for j := range levels {
			line += fmt.Sprintf("\t%.0f%%", 100*fcRatio(a.cov[j], a.np))
		}
		fmt.Fprintln(tw, line+"\t")
	}
	tw.Flush()
}

func fcRatio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func fcCmp(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fcWinners counts the chosen models, most frequent first.
func fcWinners(results []forecast.Result) string {
	n := map[string]int{}
	for _, r := range results {
		n[r.Model]++
	}
	names := make([]string, 0, len(n))
	for m := range n {
		names = append(names, m)
	}
	slices.SortFunc(names, func(a, b string) int {
		if n[a] != n[b] {
			return n[b] - n[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(names))
	for _, m := range names {
		parts = append(parts, fmt.Sprintf("%s %d", m, n[m]))
	}
	return strings.Join(parts, ", ")
}
