package anomaly

import (
	"fmt"
	"math"

	"stockroom/model"
)

// Component names, as stored with an anomaly and shown in the console.
const (
	DetSeasonalZ = "robust_z"
	DetIQR       = "iqr"
	DetLevel     = "level_shift"
	DetVariance  = "variance_shift"
	DetIForest   = "iforest"
	DetNovelty   = "novelty"
)

// NComponents is the number of detectors in an Ensemble.
const NComponents = 6

// Components lists the ensemble's detectors in a fixed order: the order
// of Point.Components and EnsembleConfig.Weights.
var Components = [NComponents]string{DetSeasonalZ, DetIQR, DetLevel, DetVariance, DetIForest, DetNovelty}

// EnsembleConfig configures an Ensemble. Zero fields take the defaults,
// which suit daily demand with a weekly season (see DailyConfig).
type EnsembleConfig struct {
	Period     int     // season in points (default 7); 1 for none
	Bins       int     // seasonal profile slots (see SeasonalZConfig)
	Window     int     // history in points (default 16 seasons, at least 112)
	Level      int     // points in the local level (default one season, at least 7)
	MinHistory int     // points before scoring (default half the window)
	MinScale   float64 // floor of the spread, in the series' units
	// Min and Max are the series' range when known in advance; they lay
	// out the novelty detector's levels (see NoveltyConfig).
	Min, Max float64
	// NoveltyGrids, NoveltyLevels, NoveltyWords, NoveltyPhases,
	// NoveltyPhaseWeight: see NoveltyConfig.Grids, Levels, Words, Phases
	// and PhaseWeight.
	NoveltyGrids, NoveltyLevels, NoveltyWords, NoveltyPhases int
	NoveltyPhaseWeight                                       float64
	// ZAlarm is the robust |z| that scores 0.5 (default 5).
	ZAlarm float64
	// ShiftAlarm is the CUSUM decision interval of the level and variance
	// detectors (default 8).
	ShiftAlarm float64
	// ChangeWindow is the change detectors' reference window (default
	// twice Window): a longer reference than the seasonal model's, since
	// a noisy reference is what makes a CUSUM cry wolf.
	ChangeWindow int
	// ShiftDrift is the CUSUM allowance k of the level detector, in
	// spreads (default 1): shifts smaller than about 2k spreads are not
	// worth an alert on demand that also drifts with the year.
	ShiftDrift float64
	// IQRK is the fence distance in IQRs (default 3: Tukey's outer fences).
	IQRK float64
	// RawValues turns off the square-root transform of counts. By default
	// a series whose values are all whole numbers >= 0 is scored on
	// 2·sqrt(x + 3/8) (Anscombe), where Poisson-like noise has the same
	// spread at every level: a 9 among 2s is then as ordinary as it is.
	RawValues bool
	// Threshold is the combined score that raises an alarm (default 0.5).
	Threshold float64
	// Cooldown is how long an episode lasts: a point scores 0 while any of
	// the Cooldown points before it reached Threshold, so a run of bad
	// points raises one alert (default one season, at least 7).
	Cooldown int
	// Weights scale each component's score before they are combined
	// (order of Components). Zero takes the default weight; a negative
	// weight switches the component off.
	Weights [NComponents]float64
	Seed    uint64 // seed of the isolation forest
}

// defaultWeights make the combination for daily demand: the robust z and
// the change detectors can alarm alone; the isolation forest, the IQR
// fences (which mostly see what the robust z sees) and novelty only add
// weight to what another detector saw.
var defaultWeights = [NComponents]float64{1, 0.3, 1, 1, 0.4, 0.2}

// DailyConfig is the configuration for daily series with a weekly season:
// the defaults spelled out.
func DailyConfig() EnsembleConfig { return EnsembleConfig{}.withDefaults() }

// NABConfig is the configuration used for the Numenta Anomaly Benchmark,
// one parameter set for every file: a daily season of period points, the
// file's range known in advance (NAB's rules allow it), an episode lasting
// a tenth of the probationary period, and novelty as the lead detector
// with the others breaking its ties.
func NABConfig(period int, lo, hi float64, probation int) EnsembleConfig {
	return EnsembleConfig{
		Period: period, Bins: 24, Window: clampInt(4*period, 56, 1200), Level: 12,
		MinScale: 1e-3 * (hi - lo), Min: lo, Max: hi,
		NoveltyGrids: 5, NoveltyLevels: 8, NoveltyWords: 3, NoveltyPhases: 8,
		ZAlarm: 4, ShiftAlarm: 5, ShiftDrift: 0.5, ChangeWindow: clampInt(4*period, 56, 1200), IQRK: 1.5,
		Threshold: 0.4, Cooldown: max(probation/10, 1),
		Weights: [NComponents]float64{0.1, -1, 0.1, 0.1, -1, 1}, RawValues: true,
	}
}

func clampInt(x, lo, hi int) int { return max(lo, min(hi, x)) }

func (c EnsembleConfig) withDefaults() EnsembleConfig {
	if c.Period <= 0 {
		c.Period = 7
	}
	if c.Window <= 0 {
		c.Window = max(16*c.Period, 112)
	}
	if c.Level <= 0 {
		c.Level = max(c.Period, 7)
	}
	if c.MinHistory <= 0 {
		c.MinHistory = c.Window / 2
	}
	if c.Threshold <= 0 {
		c.Threshold = 0.5
	}
	if c.ZAlarm <= 0 {
		c.ZAlarm = 5
	}
	if c.ShiftAlarm <= 0 {
		c.ShiftAlarm = 8
	}
	if c.ChangeWindow <= 0 {
		c.ChangeWindow = 2 * c.Window
	}
	if c.ShiftDrift <= 0 {
		c.ShiftDrift = 1
	}
	if c.IQRK <= 0 {
		c.IQRK = 3
	}
	if c.NoveltyWords <= 0 {
		c.NoveltyWords = 1
	}
	if c.NoveltyPhases == 0 {
		c.NoveltyPhases = -1
	}
	if c.Cooldown <= 0 {
		c.Cooldown = max(c.Period, 7)
	}
	for i, w := range c.Weights {
		if w == 0 {
			c.Weights[i] = defaultWeights[i]
		}
	}
	return c
}

// Point is the ensemble's verdict on one point.
type Point struct {
	Score      float64              // what Push returned: Raw, or 0 inside an episode
	Raw        float64              // combined score before suppression
	Alarm      bool                 // the first point of an episode: raise one alert
	Detector   string               // the component that contributed most
	Expected   float64              // what the seasonal model expected; NaN while warming up
	Components [NComponents]float64 // each component's own score
}

// Ensemble runs every detector on one series and combines them: the
// seasonal robust z on the values, IQR fences on its residuals, the change
// detectors and the isolation forest on the deseasonalised values, and
// novelty on the raw levels. The weighted scores are combined as a
// noisy-or, 1 - Π(1 - w·s): one strong detector is enough, and detectors
// that agree reinforce each other. A combined score at or above Threshold
// starts an episode; points within Cooldown of an alarming point score 0,
// so a level shift or a run of bad days raises one alert, not one per
// point.
type Ensemble struct {
	cfg  EnsembleConfig
	sz   *SeasonalZ
	iqr  *IQR
	lvl  *LevelShift
	vr   *VarianceShift
	ifo  *IForest
	nov  *Novelty
	last Point
	hot  int // points since the latest raw score >= Threshold; -1 when none
	mode int // modeUnknown until the first point, then modeRaw or modeSqrt
}

const (
	modeUnknown = iota
	modeRaw
	modeSqrt
)

// anscombe is 2·sqrt(x + 3/8), continued below 0 by point symmetry about
// x = 0 so it stays monotone for the odd negative value (a net return).
func anscombe(x float64) float64 {
	const c = 1.224744871391589 // 2·sqrt(3/8)
	if x >= 0 {
		return 2 * math.Sqrt(x+0.375)
	}
	return 2*c - 2*math.Sqrt(-x+0.375)
}

func anscombeInv(y float64) float64 {
	const c = 1.224744871391589
	if y >= c {
		return y*y/4 - 0.375
	}
	h := (2*c - y) / 2
	return -(h*h - 0.375)
}

// NewEnsemble returns an Ensemble.
func NewEnsemble(cfg EnsembleConfig) *Ensemble {
	cfg = cfg.withDefaults()
	e := &Ensemble{cfg: cfg}
	e.sz = NewSeasonalZ(SeasonalZConfig{Period: cfg.Period, Bins: cfg.Bins, Window: cfg.Window,
		Level: cfg.Level, MinHistory: cfg.MinHistory, MinScale: cfg.MinScale, ZAlarm: cfg.ZAlarm})
	e.iqr = NewIQR(IQRConfig{Window: cfg.Window, MinHistory: max(cfg.MinHistory/2, 8), MinIQR: cfg.MinScale, K: cfg.IQRK})
	chg := ChangeConfig{Window: cfg.ChangeWindow, MinHistory: cfg.MinHistory, MinScale: cfg.MinScale, Alarm: cfg.ShiftAlarm}
	e.vr = NewVarianceShift(chg)
	chg.Drift = cfg.ShiftDrift
	e.lvl = NewLevelShift(chg)
	// A small forest: it only supports the other detectors, and a process
	// may hold one per series.
	e.ifo = NewIForest(IForestConfig{Window: min(cfg.Window, 256), Trees: 10, Sample: 32,
		Retrain: min(cfg.Window, 256) / 2, Seed: cfg.Seed})
	e.nov = NewNovelty(NoveltyConfig{Min: cfg.Min, Max: cfg.Max, Levels: cfg.NoveltyLevels,
		Grids: cfg.NoveltyGrids, Words: cfg.NoveltyWords, Period: cfg.Period, Phases: cfg.NoveltyPhases,
		PhaseWeight: cfg.NoveltyPhaseWeight, Warmup: cfg.MinHistory})
	sc := e.sz.sc
	e.iqr.sc, e.lvl.ref.sc, e.vr.ref.sc, e.ifo.sc = sc, sc, sc, sc
	e.Reset()
	return e
}

// Config returns the configuration in effect, defaults filled in.
func (e *Ensemble) Config() EnsembleConfig { return e.cfg }

// Reset forgets the series.
func (e *Ensemble) Reset() {
	e.sz.Reset()
	e.iqr.Reset()
	e.lvl.Reset()
	e.vr.Reset()
	e.ifo.Reset()
	e.nov.Reset()
	e.last = Point{Expected: math.NaN()}
	e.hot = -1
	e.mode = modeUnknown
	e.sz.cfg.Multiplicative = false
	e.sz.cfg.MinScale = e.cfg.MinScale
	e.iqr.cfg.MinIQR = e.cfg.MinScale
	e.lvl.ref.floor = e.cfg.MinScale
	e.vr.ref.floor = e.cfg.MinScale
}

// Last returns the verdict on the latest point.
func (e *Ensemble) Last() Point { return e.last }

// Push scores the next point, its phase counted from the first point.
func (e *Ensemble) Push(x float64) float64 {
	return e.PushPhase(e.sz.n%e.sz.cfg.Period, x)
}

// PushPhase scores the next point at a known phase of the season.
func (e *Ensemble) PushPhase(phase int, x float64) float64 {
	p := Point{Expected: math.NaN()}
	if !finite(x) {
		e.sz.PushPhase(phase, x)
		e.nov.PushPhase(phase, x)
		e.last = p
		return 0
	}
	if e.mode == modeUnknown {
		e.mode = modeRaw
		if !e.cfg.RawValues && x >= 0 && x == math.Trunc(x) {
			e.mode = modeSqrt
			// Counts are demand: weekly swings scale with the level.
			e.sz.cfg.Multiplicative = true
			// On the Anscombe scale Poisson noise has spread 1 at any
			// volume: no count series is calmer than that, however many
			// zeros an intermittent item's history holds.
			e.sz.cfg.MinScale = math.Max(e.cfg.MinScale, 1)
			e.iqr.cfg.MinIQR = math.Max(e.cfg.MinScale, 1.35)
			e.lvl.ref.floor = math.Max(e.cfg.MinScale, 1)
			e.vr.ref.floor = math.Max(e.cfg.MinScale, 1)
		}
	}
	v := x
	if e.mode == modeSqrt {
		v = anscombe(x)
	}
	w := &e.cfg.Weights
	var c [NComponents]float64
	c[0] = e.sz.PushPhase(phase, v)
	est := e.sz.Last()
	des := v
	if est.Ready {
		des = e.sz.Deseasonalize(phase, v)
	}
	if est.Ready {
		p.Expected = est.Expected
		if e.mode == modeSqrt {
			p.Expected = math.Max(0, anscombeInv(est.Expected))
		}
		if w[1] >= 0 {
			c[1] = e.iqr.Push(v - est.Expected)
		}
	}
	if w[2] >= 0 {
		c[2] = e.lvl.Push(des)
	}
	if w[3] >= 0 {
		c[3] = e.vr.push(des, x)
	}
	if w[4] >= 0 {
		c[4] = e.ifo.Push(des)
	}
	if w[5] >= 0 {
		c[5] = e.nov.PushPhase(phase, x)
	}
	q := 1.0
	var top float64
	for i, s := range c {
		if w[i] < 0 {
			c[i] = 0
			continue
		}
		v := math.Min(1, w[i]*s)
		q *= 1 - v
		if v > top {
			top, p.Detector = v, Components[i]
		}
	}
	p.Components = c
	p.Raw = 1 - q
	p.Score = p.Raw
	if e.hot >= 0 {
		e.hot++
		if e.hot > e.cfg.Cooldown {
			e.hot = -1
		}
	}
	if e.hot >= 0 {
		p.Score = 0
	} else if p.Raw >= e.cfg.Threshold {
		p.Alarm = true
	}
	if p.Raw >= e.cfg.Threshold {
		e.hot = 0
	}
	e.last = p
	return p.Score
}

// WeekdayPhase is the phase of a day in the weekly season of a daily
// series: PushPhase(WeekdayPhase(d), v) keeps every weekday in its place
// even when days are missing from the history.
func WeekdayPhase(d model.Date) int { return int(d.Weekday()) }

// Anomaly turns the verdict on a point into an open anomaly of a series,
// ready to store: the detector that contributed most, the combined score,
// the observed and the expected value.
func (p Point) Anomaly(sku, location, channel string, day model.Date, observed float64) model.Anomaly {
	det := p.Detector
	if det == "" {
		det = "ensemble"
	}
	return model.Anomaly{
		SKU: sku, Location: location, Channel: channel, Date: day,
		Detector: det, Score: math.Max(0, math.Min(1, p.Raw)),
		Observed: observed, Expected: p.Expected,
		Detail:      fmt.Sprintf("%s: %g where about %.3g was expected", det, observed, p.Expected),
		State:       model.AnomalyOpen,
		Replacement: math.NaN(),
	}
}
