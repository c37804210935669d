package anomaly

import (
	"math"
	"math/rand/v2"
)

// IForestConfig configures an IForest detector. Zero fields take the
// defaults.
type IForestConfig struct {
	Window     int    // feature vectors the forest is trained on: the latest ones (default 128)
	Lags       int    // lagged values in a feature vector (default 3)
	Trees      int    // trees in the forest (default 32)
	Sample     int    // points per tree (default min(64, Window))
	Retrain    int    // points between re-trainings (default Window/4)
	MinHistory int    // points before scoring (default Window/2)
	Seed       uint64 // random seed; the same seed gives the same scores
	// Margin is how far beyond the most isolated training point, in units
	// of its distance from the median training point, scores 0.5
	// (default 1.25): about one point in Window is the most isolated of its
	// window by construction, which is no anomaly.
	Margin float64
}

func (c IForestConfig) withDefaults() IForestConfig {
	if c.Window <= 0 {
		c.Window = 128
	}
	if c.Lags <= 0 {
		c.Lags = 3
	}
	if c.Trees <= 0 {
		c.Trees = 32
	}
	if c.Sample <= 0 {
		c.Sample = 64
	}
	c.Sample = min(c.Sample, c.Window, 255)
	if c.Retrain <= 0 {
		c.Retrain = max(c.Window/4, 1)
	}
	if c.MinHistory <= 0 {
		c.MinHistory = c.Window / 2
	}
	c.MinHistory = max(min(c.MinHistory, c.Window), 8)
	if c.Margin <= 0 {
		c.Margin = 1.25
	}
	return c
}

// IForest is an isolation forest (Liu, Ting, Zhou 2008) on windowed
// features of the series: the latest Lags values and the latest change,
// standardised by the window's median and MAD, and the recent mean
// absolute change. The forest is trained on the feature vectors of the
// previous Window points and re-trained every Retrain points, so a point
// is scored by a forest that has not seen it. The raw isolation score is
// graded against the most isolated training point (see Margin).
type IForest struct {
	cfg      IForestConfig
	vals     ring
	feats    []float32 // ring of Window feature vectors of dim values each, flat
	dim      int
	fhead    int
	fn       int
	nodes    []ifNode
	roots    []int32
	scoreMed float64
	scoreMax float64
	psi      int // sample size the forest was grown with
	trained  bool
	since    int
	rng      *rand.Rand
	sc       *scratch // shared with the other detectors of an Ensemble
	cur      []float64
	cur32    []float32
	idx      []int
	// The window's median and scale standardise the features; they move
	// slowly and are refreshed after a sixteenth of the window.
	med, scale float64
	age        int
}

// ifNode is one node of a tree, 16 bytes: a forest per series must stay
// small when a process holds 100,000 of them. The left child is the next
// node; right is the offset of the right child from this node.
type ifNode struct {
	split, lo, hi float32 // lo, hi: the node's training range on feat
	right         uint16
	feat          int8  // -1 for a leaf
	size          uint8 // leaf: training points that reached it
}

const nFeatExtra = 2 // change, mean absolute change

// NewIForest returns an IForest detector.
func NewIForest(cfg IForestConfig) *IForest {
	cfg = cfg.withDefaults()
	d := &IForest{cfg: cfg, vals: newRing(cfg.Window), sc: &scratch{}}
	d.roots = make([]int32, 0, cfg.Trees)
	d.dim = cfg.Lags + nFeatExtra
	d.feats = make([]float32, cfg.Window*d.dim)
	d.cur = make([]float64, cfg.Lags+nFeatExtra)
	d.cur32 = make([]float32, cfg.Lags+nFeatExtra)
	d.Reset()
	return d
}

// Reset forgets the series.
func (d *IForest) Reset() {
	d.vals.reset()
	d.fhead, d.fn, d.since = 0, 0, 0
	d.trained = false
	d.age = -1
	d.rng = rand.New(rand.NewPCG(d.cfg.Seed, 0x9e3779b97f4a7c15))
}

// Push scores the next point.
func (d *IForest) Push(x float64) float64 {
	if !finite(x) {
		return 0
	}
	d.vals.push(x)
	if d.vals.len() <= d.cfg.Lags {
		return 0
	}
	d.features(d.cur)
	var score float64
	if d.trained {
		for j, v := range d.cur {
			d.cur32[j] = float32(v)
		}
		s := d.isolation(d.cur32)
		if d.scoreMax > d.scoreMed && s > d.scoreMed {
			score = severityScore((s - d.scoreMed) / (d.cfg.Margin * (d.scoreMax - d.scoreMed)))
		}
	}
	d.addFeature(d.cur)
	d.since++
	if d.fn >= d.cfg.MinHistory && (!d.trained || d.since >= d.cfg.Retrain) {
		d.train()
	}
	return score
}

// features fills f for the latest point.
func (d *IForest) features(f []float64) {
	if d.age < 0 || d.age >= max(1, d.cfg.Window/16) {
		d.sc.b = d.vals.appendTo(d.sc.b[:0])
		d.med = median(d.sc.b)
		d.scale = robustScale(d.sc.b, d.med)
		if !(d.scale > 0) {
			d.scale = math.Max(1e-9, 1e-6*math.Abs(d.med))
		}
		d.age = 0
	}
	d.age++
	med, scale := d.med, d.scale
	L := d.cfg.Lags
	for i := 0; i < L; i++ {
		f[i] = (d.vals.last(i) - med) / scale
	}
	f[L] = (d.vals.last(0) - d.vals.last(1)) / scale
	var mac float64
	for i := 0; i < L; i++ {
		mac += math.Abs(d.vals.last(i) - d.vals.last(i+1))
	}
	f[L+1] = mac / float64(L) / scale
}

func (d *IForest) addFeature(f []float64) {
	n := d.cfg.Window
	slot := (d.fhead + d.fn) % n
	if d.fn == n {
		slot = d.fhead
		d.fhead = (d.fhead + 1) % n
	} else {
		d.fn++
	}
	for j, v := range f {
		d.feats[slot*d.dim+j] = float32(v)
	}
}

func (d *IForest) feat(i int) []float32 {
	k := (d.fhead + i) % d.cfg.Window
	return d.feats[k*d.dim : (k+1)*d.dim]
}

// train grows the forest on the current feature window.
func (d *IForest) train() {
	d.since = 0
	d.nodes = d.nodes[:0]
	d.roots = d.roots[:0]
	psi := min(d.cfg.Sample, d.fn)
	d.psi = psi
	limit := int(math.Ceil(math.Log2(float64(max(psi, 2)))))
	if cap(d.idx) < d.fn {
		d.idx = make([]int, d.fn)
	}
	for t := 0; t < d.cfg.Trees; t++ {
		// A sample without replacement: a partial Fisher–Yates shuffle.
		idx := d.idx[:d.fn]
		for i := range idx {
			idx[i] = i
		}
		for i := 0; i < psi; i++ {
			j := i + d.rng.IntN(d.fn-i)
			idx[i], idx[j] = idx[j], idx[i]
		}
		d.roots = append(d.roots, d.grow(idx[:psi], 0, limit))
	}
	// Grade against the training points' own isolation scores.
	sc := d.sc.b[:0]
	for i := 0; i < d.fn; i++ {
		sc = append(sc, d.isolation(d.feat(i)))
	}
	d.sc.b = sc
	mx := sc[0]
	for _, s := range sc {
		mx = math.Max(mx, s)
	}
	d.scoreMax = mx
	d.scoreMed = median(sc)
	d.trained = true
}

func (d *IForest) grow(idx []int, depth, limit int) int32 {
	id := int32(len(d.nodes))
	d.nodes = append(d.nodes, ifNode{feat: -1, size: uint8(len(idx))})
	if depth >= limit || len(idx) <= 1 {
		return id
	}
	nf := len(d.cur)
	// Try a few features for one that is not constant in this node.
	for try := 0; try < nf; try++ {
		f := d.rng.IntN(nf)
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, i := range idx {
			v := float64(d.feat(i)[f])
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if !(hi > lo) {
			continue
		}
		split := lo + d.rng.Float64()*(hi-lo)
		// Partition idx in place around split.
		k := 0
		for j, i := range idx {
			if float64(d.feat(i)[f]) < split {
				idx[k], idx[j] = idx[j], idx[k]
				k++
			}
		}
		if k == 0 || k == len(idx) {
			continue
		}
		d.grow(idx[:k], depth+1, limit)
		r := d.grow(idx[k:], depth+1, limit)
		d.nodes[id] = ifNode{split: float32(split), lo: float32(lo), hi: float32(hi),
			right: uint16(r - id), feat: int8(f)}
		return id
	}
	return id
}

// isolation returns the isolation score 2^(-E[h]/c(psi)) of f: about 0.5
// for ordinary points, towards 1 for points isolated early.
//
// A point outside a node's training range on the node's feature is
// isolated there with the probability that a split drawn uniformly over
// the range spanned by the samples and the point falls between them. The
// classic algorithm draws splits from the samples' range only, so a point
// far beyond every sample shares a leaf with the most extreme of them and
// looks hardly more isolated than they do.
func (d *IForest) isolation(f []float32) float64 {
	var sum float64
	for _, root := range d.roots {
		n := root
		depth := 0
		var eh float64
		stay := 1.0 // probability the point is not isolated yet
		for d.nodes[n].feat >= 0 {
			nd := &d.nodes[n]
			v := f[nd.feat]
			var gap float32
			switch {
			case v < nd.lo:
				gap = nd.lo - v
			case v > nd.hi:
				gap = v - nd.hi
			}
			if gap > 0 {
				q := float64(gap / (gap + nd.hi - nd.lo))
				eh += stay * q * float64(depth+1)
				stay *= 1 - q
			}
			if v < nd.split {
				n++
			} else {
				n += int32(nd.right)
			}
			depth++
		}
		eh += stay * (float64(depth) + avgPath(int(d.nodes[n].size)))
		sum += eh
	}
	return math.Exp2(-sum / float64(len(d.roots)) / avgPath(d.psi))
}

// avgPath is c(n), the average path length of an unsuccessful search in a
// binary search tree of n points.
func avgPath(n int) float64 {
	if n < len(avgPathTable) {
		return avgPathTable[n]
	}
	return avgPathOf(n)
}

var avgPathTable = func() (t [256]float64) {
	for i := range t {
		t[i] = avgPathOf(i)
	}
	return t
}()

func avgPathOf(n int) float64 {
	switch {
	case n <= 1:
		return 0
	case n == 2:
		return 1
	}
	x := float64(n - 1)
	return 2*(math.Log(x)+0.5772156649) - 2*x/float64(n)
}
