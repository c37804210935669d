// Package anomaly finds suspicious points in demand and stock series and
// in inventory records. It works on plain values: no store, no SQL.
//
// Detectors score each point in [0, 1] as it arrives (Push, or PushPhase
// when the place in the season is known) and, through Batch, a whole
// series at once with exactly the same causal scores:
//
//   - SeasonalZ: robust z-score of the residual of a seasonal
//     decomposition (a local level with a per-phase median profile on it;
//     the scale a winsorised deviation started from the MAD);
//   - IQR: Tukey fences on the recent window;
//   - LevelShift and VarianceShift: two-sided CUSUMs against a lagged
//     reference window; VarianceShift also flags a stuck feed;
//   - IForest: an isolation forest on windowed features;
//   - Novelty: a value level, a pattern of levels or a level at this time
//     of day never seen before;
//   - Ensemble: all of the above on one series (counts on the Anscombe
//     scale), combined as a noisy-or of weighted scores, with alarm
//     suppression so an episode raises one alert, not one per point.
//     DailyConfig suits daily demand; NABConfig is the one parameter set
//     used on the Numenta Anomaly Benchmark.
//
// Every detector keeps O(window) state and costs O(window) per point, the
// slow statistics refreshed every sixteenth of a window.
//
// Inventory rules (negative stock, sales without stock, stock vanishing
// without sales, shrinkage at a count, re-imported content, implausible
// prices and costs) are pure functions in rules.go that return
// model.Anomaly values ready to store. ReadTable and ConfigFor serve the
// `stockroom anomalies` command. The NAB scorer is in the nab
// sub-package.
package anomaly
