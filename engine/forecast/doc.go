// Package forecast forecasts demand with quantiles: many models behind one
// small interface, a global gradient-boosted trees model fitted across all
// series, per-series selection by rolling-origin backtest, and predictive
// distributions that replenishment can simulate from. It works on plain
// values (no database) and imports only model and the standard library.
//
// # Running a forecast (for the store wiring)
//
// Build one Series per item×location (daily, weekly or monthly periods;
// NaN for a missing period; Censored marks stockout periods, which are
// treated as missing demand, not zeros; Prices may run past the end to
// cover the horizon; Attrs are categorical attributes), a Calendar of
// events (model.Event, AppliesTo a glob on the series id), and call
//
//	res, err := forecast.Run(ctx, series, cal, forecast.Options{Horizon: 28}, progress)
//
// Run validates the input, fits the global model (two fits: one on data
// before the backtest, one on everything), then forecasts each series on a
// bounded pool of Options.Workers goroutines (default GOMAXPROCS). It is
// cancelled through ctx, reports progress(done, total), and with
// Options.OnResult set streams results instead of holding them all, so a
// caller can write each to the store as it comes. Each Result carries:
//
//   - Model: the chosen model, or "blend(a+b)" for the quantile average of
//     the collection's default and the series' own best; Members and Params
//     (the fitted parameters, e.g. "ets: spec=AAdA alpha=0.05 …").
//   - Periods, Point (mean per period), Levels and Quantiles[t][j]:
//     non-negative and non-decreasing in j.
//   - Scores: every candidate's backtest accuracy (SPL, RMSSE, MASE, MAE,
//     RMSE, WAPE, bias, WQL, coverage), best first, with Err for models that
//     could not be fitted. Windows says how many backtest windows there
//     were (0 for histories too short: a default model is used, see Note).
//   - Dists and Rho: see below.
//
// SeriesFromDemand builds the series from the store's model.DemandDay rows
// (channels summed, stockout days censored). Promotions reach the model as
// prices (the discounted price over the promotion's days, with the regular
// price around it) or as events whose AppliesTo is the series id; the
// global model learns from both.
//
// ReadSeriesCSV, ReadEventsCSV, ReadPricesCSV (+ ApplyPrices) and
// ReadAttributesCSV read the CLI's file formats; their errors are
// *InputError values naming file, line and field.
//
// # Distributions (for replenishment)
//
// Result.Dists[t] is the predictive distribution of demand in period t, a
// Dist: Mean, Var, Quantile(p), CDF(x) and Sample(rng). Concrete types are
// NegBin (count data: negative binomial, Poisson when Size is +Inf), Normal
// (censored at zero; additive exponential smoothing), Empirical (a point
// forecast plus scaled backtest errors), Blend (quantile average) and
// Samples. Never add per-period quantiles to get the quantile of a total:
// SumDist simulates demand summed over the first k periods, with k drawn
// from a LeadTime distribution (FixedLeadTime(n) for a fixed one), through
// a Gaussian copula with the series' error correlation Result.Rho:
//
//	lt := forecast.LeadTime{Periods: []int{5, 7, 9}, Prob: []float64{0.25, 0.5, 0.25}}
//	d, _ := forecast.SumDist(res.Dists, lt, forecast.SumOptions{Rho: res.Rho, Seed: 1})
//	reorderPoint := d.Quantile(0.95) // demand over the lead time at 95% service
//
// SumQuantiles(dists, k, levels, opts) is the shortcut for a fixed k.
// Periods past the horizon repeat the last period's distribution.
//
// # Models
//
// Naive, SeasonalNaive, MovingAverage (window fitted or fixed), ETS (any of
// the Hyndman et al. family: SES "ANN", Holt damped "AAdN", Holt-Winters
// additive "AAA" and multiplicative "AAM", …, smoothing constants by
// maximum likelihood), AutoETS (the family member with the lowest AICc),
// Theta, Croston and SBA, TSB, and "gbt": histogram gradient-boosted trees
// (LightGBM-style: quantised features, leaf-wise growth, histogram
// subtraction, bagging, Poisson objective with the series level as offset)
// fitted once across all series. Its rows are (target period, forecast
// origin) pairs with features that only look before the origin: level and
// same-weekday means over several windows, same time last year, zero share,
// time since the last sale, calendar position, each event kind's flag and
// days to/since it, the event name, price relative to the year's regular
// price and to the price at the origin, and the series attributes. One
// model forecasts every step of the horizon directly, without recursion.
//
// Models with their own distribution use it (Gaussian for additive ETS and
// Theta, negative binomial with in-sample dispersion for Croston, SBA and
// TSB; for gbt, a negative binomial whose dispersion is measured on each
// series' training errors and scaled by one factor per volume band of the
// collection, the one whose backtest forecasts in that band have the most
// nearly uniform randomised PIT). The others get one from their backtest
// errors: a negative binomial with matching variance for intermittent
// count data (Options.CountDist), or the empirical errors scaled by step. A
// model's distribution on a backtest window is calibrated on the other
// windows only.
//
// # Selection
//
// The backtest holds out Options.Windows windows of Horizon periods at the
// end of each series; every candidate is fitted once on the data before the
// first window and forecasts each window from its origin with the fitted
// parameters. Candidates are scored by the mean scaled pinball loss over
// the quantile levels (scaled by the in-sample naive MAE, so intermittent
// and busy series compare), with RMSSE breaking ties. The candidate with
// the lowest pooled loss over the collection (all series, or an even
// sample of Options.Sample of them) is the default; a series leaves it
// only when its own best candidate beats it by more than Options.Margin on
// windows that had demand, and then blends the two (Options.Combine). On
// the M5 data per-series switching on small margins lost accuracy: three
// windows are a noisy judge, and a model that forecast zero through a
// stockout looks perfect until the item sells again.
//
// Metrics (MAE, RMSE, MASE, RMSSE, WAPE, Bias, Pinball, SPL, WQL, Coverage,
// PITCoverage, WRMSSE) live in metrics.go and skip missing actuals.
package forecast
