// Package anomaly finds suspicious points in demand and stock series and
// in inventory records. It works on plain values: no store, no SQL.
//
// Detectors score each point in [0, 1] as it arrives (Push) and, through
// Batch, a whole series at once with exactly the same causal scores:
//
//   - SeasonalZ: robust z-score (median/MAD) of the residual of a seasonal
//     decomposition (a per-phase median profile plus a local level);
//   - IQR: Tukey fences on the recent window;
//   - LevelShift and VarianceShift: two-sided CUSUMs on robustly
//     standardised residuals;
//   - IForest: an isolation forest on windowed features of the residuals;
//   - Ensemble: all of the above combined, calibrated against the series'
//     own score history, with alarm suppression so an episode raises one
//     alert, not one per point.
//
// Every detector keeps O(window) state and costs O(window) per point.
// Inventory rules (negative stock, shrinkage, stock vanishing without
// sales, sales without stock, re-imported content, implausible prices) are
// pure functions in rules.go. The NAB scorer is in the nab sub-package.
package anomaly
