package model

import "time"

// Forecast is an item×location's stored forecast: the model that won its
// backtest, daily means and quantiles over the horizon, the encoded
// predictive distributions (engine/forecast decodes them), and every
// candidate's backtest scores, so a planner can see why.
type Forecast struct {
	ItemID, LocID int64
	SKU, Location string
	RunID         int64
	Origin        Date // the first forecast day
	Model         string
	Params        string
	Levels        []float64   // quantile levels
	Point         []float64   // mean demand per day
	Quantiles     [][]float64 // [day][level]
	Dists         []byte      // encoded predictive distribution per day
	Rho           float64     // error correlation across the horizon
	Windows       int         // backtest windows used; 0 when the history was too short
	Note          string
	Scores        []ModelScore // every candidate, best first
}

// ModelScore is one candidate model's backtest accuracy on one series (or
// pooled over many).
type ModelScore struct {
	Model    string    `json:"model"`
	Params   string    `json:"params,omitempty"`
	Err      string    `json:"error,omitempty"`
	N        int       `json:"n"`
	SPL      float64   `json:"spl"` // scaled pinball loss over the quantiles
	RMSSE    float64   `json:"rmsse"`
	MASE     float64   `json:"mase"`
	MAE      float64   `json:"mae"`
	RMSE     float64   `json:"rmse"`
	WAPE     float64   `json:"wape"`
	Bias     float64   `json:"bias"`
	WQL      float64   `json:"wql"`
	Volume   float64   `json:"volume"`
	Coverage []float64 `json:"coverage,omitempty"`
}

// ForecastRun is one run of `stockroom forecast --db`.
type ForecastRun struct {
	ID       int64
	Started  time.Time
	Finished time.Time
	Origin   Date
	Horizon  int
	Series   int
	Failed   int
	User     string
	// Models counts the series each model won.
	Models map[string]int
	// Accuracy pools the winners' backtest errors over the run; NaN when
	// no series had history enough for a backtest.
	WAPE, MASE, Bias float64
}
