package anomaly

import (
	"math"
)

// NoveltyConfig configures a Novelty detector. Zero fields take the
// defaults.
type NoveltyConfig struct {
	// Min and Max are the range of the series when it is known in advance
	// (NAB lets a detector know each file's range). When Max <= Min the
	// levels are laid out from the warm-up history instead: Levels/2
	// levels span its 5%..95% quantiles, and values beyond get levels of
	// their own.
	Min, Max float64
	// Levels is how many value levels the coarsest grid has (default 8).
	Levels int
	// Grids is how many grids of Levels-Grids/2 .. Levels+Grids/2 levels
	// are averaged, so no single bin edge decides (default 1).
	Grids int
	// Words is the longest pattern counted: words of 1..Words consecutive
	// levels (default 3; 1 counts levels only).
	Words int
	// Period and Phases add a contextual word (phase slot, level): a level
	// never seen at this time of day or week. Phases is the number of
	// slots the season is cut into (default 8; negative, or Period <= 1:
	// none).
	Period, Phases int
	// PhaseWeight scales the contextual novelty (default 0.7).
	PhaseWeight float64
	// Warmup is how many points lay out the levels when the range is not
	// known (default 28).
	Warmup int
}

func (c NoveltyConfig) withDefaults() NoveltyConfig {
	if c.Levels <= 1 {
		c.Levels = 8
	}
	if c.Grids <= 0 {
		c.Grids = 1
	}
	if c.Words <= 0 {
		c.Words = 3
	}
	if c.Phases == 0 {
		c.Phases = 8
	}
	if c.Phases < 0 || c.Period <= 1 {
		c.Phases = 0
	}
	if c.PhaseWeight <= 0 {
		c.PhaseWeight = 0.7
	}
	if c.Warmup <= 0 {
		c.Warmup = 28
	}
	return c
}

// Novelty scores how new the latest pattern of value levels is. Values
// are cut into coarse levels; the words made of the latest 1..Words
// levels (and, for seasonal series, the pair of phase slot and level) are
// counted as the series goes. A point scores the share of its words never
// seen before: 1 when even its level is new, 0 when everything about it
// is familiar. It needs no model of the series, only memory of what has
// happened, which makes it good at the first occurrence of a new regime
// and blind to repetitions of an old one.
type Novelty struct {
	cfg    NoveltyConfig
	grids  []noveltyGrid
	warm   []float64
	n      int
	ready  bool
	lo, hi float64
}

type noveltyGrid struct {
	levels int
	width  float64 // level width when the range is not known
	origin float64
	hist   []int32 // latest Words-1 levels, newest first
	seen   wordSet
}

// NewNovelty returns a Novelty detector.
func NewNovelty(cfg NoveltyConfig) *Novelty {
	cfg = cfg.withDefaults()
	d := &Novelty{cfg: cfg}
	d.grids = make([]noveltyGrid, cfg.Grids)
	for g := range d.grids {
		d.grids[g].levels = max(2, cfg.Levels-cfg.Grids/2+g)
		d.grids[g].hist = make([]int32, 0, cfg.Words-1)
	}
	d.Reset()
	return d
}

// Reset forgets the series.
func (d *Novelty) Reset() {
	d.n = 0
	d.warm = d.warm[:0]
	d.ready = d.cfg.Max > d.cfg.Min
	for g := range d.grids {
		d.grids[g].hist = d.grids[g].hist[:0]
		d.grids[g].seen.reset()
	}
}

// Push scores the next point, its phase counted from the first point.
func (d *Novelty) Push(x float64) float64 {
	p := 0
	if d.cfg.Period > 1 {
		p = d.n % d.cfg.Period
	}
	return d.PushPhase(p, x)
}

// PushPhase scores the next point at a known phase of the season.
func (d *Novelty) PushPhase(phase int, x float64) float64 {
	d.n++
	if !finite(x) {
		return 0
	}
	if !d.ready {
		d.warm = append(d.warm, x)
		if len(d.warm) < d.cfg.Warmup {
			return 0
		}
		d.layout()
		// The warm-up points seed the memory; they are not scored.
		for _, v := range d.warm {
			for g := range d.grids {
				d.grids[g].observe(d.level(g, v), -1, d.cfg, false)
			}
		}
		d.warm = d.warm[:0]
		return 0
	}
	slot := int32(-1)
	if d.cfg.Phases > 0 {
		ph := phase % d.cfg.Period
		if ph < 0 {
			ph += d.cfg.Period
		}
		slot = int32(ph * d.cfg.Phases / d.cfg.Period)
	}
	var sum float64
	for g := range d.grids {
		sum += d.grids[g].observe(d.level(g, x), slot, d.cfg, true)
	}
	return sum / float64(len(d.grids))
}

// layout sets the levels from the warm-up points when no range is given.
func (d *Novelty) layout() {
	d.ready = true
	buf := append([]float64(nil), d.warm...)
	q05 := quantile(buf, 0.05)
	q95 := quantile(buf, 0.95)
	span := q95 - q05
	if !(span > 0) {
		span = math.Max(1e-9, math.Abs(q95)*1e-3)
	}
	for g := range d.grids {
		gr := &d.grids[g]
		gr.width = span / float64(max(gr.levels/2, 1))
		gr.origin = q05 - gr.width*float64(gr.levels/4)
	}
}

// level returns x's level in grid g.
func (d *Novelty) level(g int, x float64) int32 {
	gr := &d.grids[g]
	if d.cfg.Max > d.cfg.Min {
		l := int((x - d.cfg.Min) / (d.cfg.Max - d.cfg.Min) * float64(gr.levels-1))
		return int32(max(0, min(gr.levels-1, l)))
	}
	l := math.Floor((x - gr.origin) / gr.width)
	return int32(math.Max(-1<<20, math.Min(1<<20, l)))
}

// observe counts the words ending in level l and returns the share of
// them that were new (the contextual one weighted by PhaseWeight).
func (g *noveltyGrid) observe(l, slot int32, cfg NoveltyConfig, score bool) float64 {
	var nov, tot float64
	h := uint64(0xcbf29ce484222325)
	mix := func(v int32) { h = (h ^ uint64(uint32(v))) * 0x100000001b3 }
	mix(l)
	for k := 0; k <= len(g.hist); k++ {
		if k > 0 {
			mix(g.hist[k-1])
		}
		key := h ^ uint64(k+1)<<58
		tot++
		if !g.seen.add(key) {
			nov++
		}
	}
	var ctx float64
	if slot >= 0 {
		key := (uint64(uint32(slot))<<32 | uint64(uint32(l))) ^ 0xf<<58
		if !g.seen.add(key) {
			ctx = cfg.PhaseWeight
		}
	}
	// Shift the level history: newest first, at most Words-1 long.
	if cfg.Words > 1 {
		if len(g.hist) < cfg.Words-1 {
			g.hist = append(g.hist, 0)
		}
		copy(g.hist[1:], g.hist[:len(g.hist)-1])
		g.hist[0] = l
	}
	if !score {
		return 0
	}
	return math.Max(nov/tot, ctx)
}

// wordSet is an open-addressing hash set of 64-bit words: far smaller
// than a map for the few hundred words a series makes.
type wordSet struct {
	keys []uint64 // 0 = empty
	n    int
}

func (s *wordSet) reset() {
	for i := range s.keys {
		s.keys[i] = 0
	}
	s.n = 0
}

// add inserts k and reports whether it was already there.
func (s *wordSet) add(k uint64) bool {
	if k == 0 {
		k = 1
	}
	if (s.n+1)*4 > len(s.keys)*3 {
		s.grow()
	}
	mask := uint64(len(s.keys) - 1)
	for i := (k * 0x9e3779b97f4a7c15) >> 32 & mask; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case k:
			return true
		case 0:
			s.keys[i] = k
			s.n++
			return false
		}
	}
}

func (s *wordSet) grow() {
	old := s.keys
	size := max(16, len(old)*2)
	s.keys = make([]uint64, size)
	s.n = 0
	for _, k := range old {
		if k != 0 {
			s.add(k)
		}
	}
}
