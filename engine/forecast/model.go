package forecast

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// History is what a model is fitted on and forecasts from: one series'
// demand up to a cut-off, with the series itself for its calendar, prices
// and attributes.
type History struct {
	Series *Series
	// Y is the demand from period T0 to the cut-off: censored periods are
	// NaN, and leading zeros before the first sale are dropped.
	Y      []float64
	T0     int // index in Series of Y[0]
	Season int // seasonal period (7 for daily data…)

	// global holds the global model's predictions for this series; set
	// by Run.
	global *globalPreds
	cache  map[string]Fitted
}

// N is the number of periods in the history.
func (h *History) N() int { return len(h.Y) }

// Cut returns the history truncated to its first n periods, sharing the
// series and the global predictions.
func (h *History) Cut(n int) *History {
	return &History{Series: h.Series, Y: h.Y[:n], T0: h.T0, Season: h.Season, global: h.global}
}

// NewHistory builds the history of a whole series: censored periods become
// missing and zeros before the first sale are dropped.
func NewHistory(s *Series) *History {
	y := s.Values
	if s.Censored != nil {
		y = s.observed()
	}
	t0 := 0
	for t0 < len(y)-1 && !(y[t0] > 0) {
		t0++
	}
	if !(y[t0] > 0) { // no sale at all: keep everything
		t0 = 0
	}
	return &History{Series: s, Y: y[t0:], T0: t0, Season: s.Freq.Season()}
}

// Model is one forecasting method. Fit estimates its parameters on a
// history; the Fitted value then forecasts from the end of that history or
// of any longer history of the same series, keeping the parameters fixed
// (which is how the rolling-origin backtest moves its origin).
type Model interface {
	Name() string
	Fit(h *History) (Fitted, error)
}

// Fitted is a model with estimated parameters.
type Fitted interface {
	// Predict forecasts the h periods after the end of hist.
	Predict(hist *History, h int) Prediction
	// Params describes the fitted parameters, e.g. "alpha=0.12 phi=0.95".
	Params() string
}

// Prediction is a point forecast per step and, when the model has one, its
// own predictive distribution per step.
type Prediction struct {
	Mean  []float64
	Dists []Dist // nil: the runner attaches a distribution from backtest errors
}

// ModelNames lists every model Run knows, in the order they are tried.
var ModelNames = []string{
	"naive", "snaive", "ma", "ses", "holt", "hw-add", "hw-mult", "ets", "theta",
	"croston", "sba", "tsb", "gbt",
}

// NewModel returns a model by name. A name may carry a fixed parameter
// after a colon: "ma:28" is a 28-period moving average, "ses:0.3" SES with
// alpha 0.3, "croston:0.1" Croston with alpha 0.1. "gbt" is the global
// model and is fitted by Run, not on its own.
func NewModel(name string) (Model, error) {
	base, arg, hasArg := strings.Cut(strings.ToLower(strings.TrimSpace(name)), ":")
	var x float64
	if hasArg {
		v, err := strconv.ParseFloat(arg, 64)
		if err != nil || v <= 0 || math.IsInf(v, 0) {
			return nil, fmt.Errorf("model %q: bad parameter %q", name, arg)
		}
		x = v
	}
	fixedAlpha := func() (float64, error) {
		if hasArg && x > 1 {
			return 0, fmt.Errorf("model %q: alpha must be in (0,1]", name)
		}
		return x, nil
	}
	switch base {
	case "naive":
		return Naive{}, noArg(name, hasArg)
	case "snaive":
		return SeasonalNaive{}, noArg(name, hasArg)
	case "ma":
		if hasArg && x != math.Trunc(x) {
			return nil, fmt.Errorf("model %q: window must be a whole number", name)
		}
		return MovingAverage{Window: int(x)}, nil
	case "ses":
		a, err := fixedAlpha()
		return &ETS{Spec: "ANN", label: "ses", Alpha: a}, err
	case "holt":
		return &ETS{Spec: "AAdN", label: "holt"}, noArg(name, hasArg)
	case "hw-add":
		return &ETS{Spec: "AAA", label: "hw-add"}, noArg(name, hasArg)
	case "hw-mult":
		return &ETS{Spec: "AAM", label: "hw-mult"}, noArg(name, hasArg)
	case "ets":
		return AutoETS{}, noArg(name, hasArg)
	case "theta":
		return Theta{}, noArg(name, hasArg)
	case "croston":
		a, err := fixedAlpha()
		return Croston{Variant: "croston", Alpha: a}, err
	case "sba":
		a, err := fixedAlpha()
		return Croston{Variant: "sba", Alpha: a}, err
	case "tsb":
		a, err := fixedAlpha()
		return TSB{Alpha: a, Beta: a}, err
	case "gbt":
		return globalModel{}, noArg(name, hasArg)
	}
	return nil, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(ModelNames, ", "))
}

func noArg(name string, has bool) error {
	if has {
		return fmt.Errorf("model %q takes no parameter", name)
	}
	return nil
}

// globalPreds are the global model's forecasts for one series, keyed by
// the absolute cut-off (T0+len(Y)) they were made from, with the negative
// binomial dispersion (1/size) that goes with each.
type globalPreds struct {
	mean map[int][]float64
	disp map[int]float64
}

// globalModel stands for the gradient-boosted trees fitted across all
// series by Run; per series it hands out the predictions made there.
type globalModel struct{}

func (globalModel) Name() string { return "gbt" }

func (globalModel) Fit(h *History) (Fitted, error) {
	if h.global == nil {
		return nil, fmt.Errorf("gbt: no global fit for this series")
	}
	if _, ok := h.global.mean[h.T0+h.N()]; !ok {
		return nil, fmt.Errorf("gbt: no global forecast from this origin")
	}
	return globalFitted{disp: h.global.disp[h.T0+h.N()]}, nil
}

type globalFitted struct{ disp float64 }

func (f globalFitted) Params() string { return fmtParams("model", "global", "dispersion", f.disp) }

// Predict hands out the global forecast; count series get a negative
// binomial whose dispersion comes from the fit's in-sample errors, scaled
// by the factor that calibrates its backtest forecasts (see runGlobal).
func (globalFitted) Predict(hist *History, h int) Prediction {
	c := hist.T0 + hist.N()
	p, ok := hist.global.mean[c]
	m := make([]float64, h)
	if ok {
		copy(m, p)
	} else {
		// No global prediction from this origin: fall back to the recent
		// mean rather than failing the series.
		v := recentMean(hist.Y, 28)
		for i := range m {
			m[i] = v
		}
	}
	disp, ok := hist.global.disp[c]
	if !ok || !isCount(hist.Y) {
		return Prediction{Mean: m}
	}
	size := math.Inf(1)
	if disp > 0 {
		size = 1 / disp
	}
	d := make([]Dist, h)
	for i, v := range m {
		d[i] = NegBin{Mu: v, Size: size}
	}
	return Prediction{Mean: m, Dists: d}
}

// recentMean is the mean of the last w observed values (0 if none).
func recentMean(y []float64, w int) float64 {
	var s float64
	n := 0
	for i := len(y) - 1; i >= 0 && n < w; i-- {
		if !math.IsNaN(y[i]) {
			s += y[i]
			n++
		}
	}
	return ratio(s, float64(n))
}

// lastObserved returns the last non-missing value and its index, or (0,-1).
func lastObserved(y []float64) (float64, int) {
	for i := len(y) - 1; i >= 0; i-- {
		if !math.IsNaN(y[i]) {
			return y[i], i
		}
	}
	return 0, -1
}

func constMean(v float64, h int) []float64 {
	m := make([]float64, h)
	v = math.Max(0, v)
	for i := range m {
		m[i] = v
	}
	return m
}

// Naive repeats the last observed value.
type Naive struct{}

// Name returns "naive".
func (Naive) Name() string { return "naive" }

// Fit has nothing to estimate.
func (Naive) Fit(h *History) (Fitted, error) {
	if _, i := lastObserved(h.Y); i < 0 {
		return nil, fmt.Errorf("naive: no observed value")
	}
	return naiveFit{}, nil
}

type naiveFit struct{}

func (naiveFit) Params() string { return "" }
func (naiveFit) Predict(hist *History, h int) Prediction {
	v, _ := lastObserved(hist.Y)
	return Prediction{Mean: constMean(v, h)}
}

// SeasonalNaive repeats the last observed season: the forecast for a period
// is the value one season earlier (or the latest earlier season observed).
type SeasonalNaive struct{}

// Name returns "snaive".
func (SeasonalNaive) Name() string { return "snaive" }

// Fit needs one full season.
func (SeasonalNaive) Fit(h *History) (Fitted, error) {
	if h.N() < h.Season || h.Season < 2 {
		return nil, fmt.Errorf("snaive: %d periods, need a season of %d", h.N(), h.Season)
	}
	return snaiveFit{}, nil
}

type snaiveFit struct{}

func (snaiveFit) Params() string { return "" }
func (snaiveFit) Predict(hist *History, h int) Prediction {
	y, m := hist.Y, hist.Season
	n := len(y)
	fb, _ := lastObserved(y)
	out := make([]float64, h)
	for k := range out {
		v := math.NaN()
		// Step back whole seasons past missing values.
		for t := n - m + k%m; t >= 0 && math.IsNaN(v); t -= m {
			if t < n {
				v = y[t]
			}
		}
		if math.IsNaN(v) {
			v = fb
		}
		out[k] = math.Max(0, v)
	}
	return Prediction{Mean: out}
}

// MovingAverage forecasts the mean of the last Window observed values.
// Window 0 picks it from a short list by in-sample one-step squared error.
type MovingAverage struct{ Window int }

// Name returns "ma" or "ma:W" for a fixed window.
func (m MovingAverage) Name() string {
	if m.Window > 0 {
		return "ma:" + strconv.Itoa(m.Window)
	}
	return "ma"
}

// Fit chooses the window.
func (m MovingAverage) Fit(h *History) (Fitted, error) {
	if _, i := lastObserved(h.Y); i < 0 {
		return nil, fmt.Errorf("ma: no observed value")
	}
	if m.Window > 0 {
		return maFit{m.Window}, nil
	}
	var cands []int
	switch h.Season {
	case 7:
		cands = []int{7, 14, 28, 56, 91}
	case 12:
		cands = []int{2, 3, 6, 12}
	default:
		cands = []int{2, 4, 8, 13, 26}
	}
	best, bestErr := cands[0], math.Inf(1)
	for _, w := range cands {
		if e := maInSample(h.Y, w); e < bestErr {
			best, bestErr = w, e
		}
	}
	return maFit{best}, nil
}

// maInSample is the mean squared one-step error of a w-window moving
// average over the part of y after the first w periods.
func maInSample(y []float64, w int) float64 {
	var sum float64
	var cnt int
	var se float64
	ne := 0
	for t := range y {
		if t >= w && cnt > 0 && !math.IsNaN(y[t]) {
			d := y[t] - sum/float64(cnt)
			se += d * d
			ne++
		}
		if !math.IsNaN(y[t]) {
			sum += y[t]
			cnt++
		}
		if t >= w && !math.IsNaN(y[t-w]) {
			sum -= y[t-w]
			cnt--
		}
	}
	if ne == 0 {
		return math.Inf(1)
	}
	return se / float64(ne)
}

type maFit struct{ w int }

func (m maFit) Params() string { return "window=" + strconv.Itoa(m.w) }
func (m maFit) Predict(hist *History, h int) Prediction {
	y := hist.Y
	var s float64
	n := 0
	for i := len(y) - 1; i >= 0 && i >= len(y)-m.w; i-- {
		if !math.IsNaN(y[i]) {
			s += y[i]
			n++
		}
	}
	if n == 0 {
		s, _ = lastObserved(y)
		n = 1
	}
	return Prediction{Mean: constMean(s/float64(n), h)}
}

// fmtParams formats name=value pairs compactly for Params.
func fmtParams(kv ...any) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%v=", kv[i])
		switch v := kv[i+1].(type) {
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'g', 4, 64))
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// sortedCopy returns a sorted copy of the non-NaN values.
func sortedCopy(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}
