package forecast

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// GBTConfig tunes the global gradient-boosted trees. Zero fields take the
// defaults shown.
type GBTConfig struct {
	Trees        int     // boosting rounds (250)
	LearningRate float64 // shrinkage (0.1)
	Leaves       int     // leaves per tree, grown best-first (31)
	MinLeaf      int     // minimum rows in a leaf (100)
	Lambda       float64 // L2 penalty on leaf values (1)
	Bins         int     // histogram bins per feature, ≤ 255 (63)
	RowSample    float64 // fraction of rows per tree (0.3)
	ColSample    float64 // fraction of features per tree (0.8)
	// Objective is "poisson" (log link, the series level as offset),
	// "tweedie" (same, variance power TweediePower) or "l2" (squared error
	// on demand divided by the level).
	Objective    string
	TweediePower float64 // (1.2)
	// MaxRows caps the training rows (sampled evenly); memory is about
	// 5 bytes per row and feature.
	MaxRows int // (600000)
	// TrainPeriods is how far back from each series' cut-off training
	// targets reach (730 daily, 156 weekly, 60 monthly periods).
	TrainPeriods int
	// LevelPower weights each training row by level^−LevelPower: positive
	// values give slow series more say, negative ones busy series (0).
	LevelPower float64
}

func (c GBTConfig) withDefaults() GBTConfig {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Trees, 250)
	deff(&c.LearningRate, 0.1)
	def(&c.Leaves, 31)
	def(&c.MinLeaf, 100)
	deff(&c.Lambda, 1)
	def(&c.Bins, 63)
	c.Bins = min(c.Bins, 255)
	deff(&c.RowSample, 0.3)
	c.RowSample = math.Min(1, c.RowSample)
	deff(&c.ColSample, 0.8)
	c.ColSample = math.Min(1, c.ColSample)
	if c.Objective == "" {
		c.Objective = "poisson"
	}
	deff(&c.TweediePower, 1.2)
	def(&c.MaxRows, 600000)
	return c
}

// binned is a training matrix quantised to histogram bins, stored by row
// (one byte per feature), so a histogram pass reads each row's bins
// contiguously. Bin 0 holds missing values.
type binned struct {
	rows, feats int
	data        []uint8     // rows × feats
	col         [][]uint8   // the same by column, for partitioning
	edges       [][]float64 // per feature: value ≤ edges[b−1] falls in bin ≤ b
	nbin        []int
}

// newBinned quantises raw row-major features (NaN = missing) into at most
// nb bins per feature, with edges at quantiles of a sample.
func newBinned(raw []float32, rows, feats, nb int, r *rand.Rand) *binned {
	b := &binned{rows: rows, feats: feats, data: make([]uint8, rows*feats), edges: make([][]float64, feats), nbin: make([]int, feats)}
	sampleN := min(rows, 50000)
	sample := make([]int, sampleN)
	for i := range sample {
		if sampleN == rows {
			sample[i] = i
		} else {
			sample[i] = r.IntN(rows)
		}
	}
	vals := make([]float64, 0, sampleN)
	for f := range feats {
		vals = vals[:0]
		for _, i := range sample {
			if v := raw[i*feats+f]; !math.IsNaN(float64(v)) {
				vals = append(vals, float64(v))
			}
		}
		slices.Sort(vals)
		b.edges[f] = binEdges(vals, nb-1)
		b.nbin[f] = len(b.edges[f]) + 2
		e := b.edges[f]
		c := make([]uint8, rows)
		for i := range rows {
			c[i] = binOf(e, float64(raw[i*feats+f]))
			b.data[i*feats+f] = c[i]
		}
		b.col = append(b.col, c)
	}
	return b
}

// binEdges picks up to k−1 cut points between distinct sorted values.
func binEdges(sorted []float64, k int) []float64 {
	if len(sorted) == 0 {
		return nil
	}
	distinct := slices.Compact(slices.Clone(sorted))
	var edges []float64
	if len(distinct) <= k {
		for i := 0; i+1 < len(distinct); i++ {
			edges = append(edges, (distinct[i]+distinct[i+1])/2)
		}
		return edges
	}
	n := len(sorted)
	for j := 1; j < k; j++ {
		i := j * n / k
		if i <= 0 || i >= n {
			continue
		}
		lo, hi := sorted[i-1], sorted[i]
		if hi == lo {
			// Cut just above a heavy value so it stays in one bin.
			p, _ := slices.BinarySearch(distinct, lo)
			if p+1 >= len(distinct) {
				continue
			}
			hi = distinct[p+1]
		}
		e := (lo + hi) / 2
		if len(edges) == 0 || e > edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	return edges
}

// binOf maps a value to its bin: 0 for missing, 1… by edges.
func binOf(edges []float64, v float64) uint8 {
	if math.IsNaN(v) {
		return 0
	}
	i, _ := slices.BinarySearch(edges, v)
	// BinarySearch finds the first edge ≥ v; a value equal to an edge
	// belongs below it.
	return uint8(i + 1)
}

// gbtNode is a tree node; leaves have feat < 0.
type gbtNode struct {
	feat        int32
	bin         uint8   // rows with bin ≤ this go left
	thr         float64 // the same split on raw values: v ≤ thr or NaN goes left
	left, right int32
	value       float64
}

type gbtTree []gbtNode

func (t gbtTree) predictRaw(x []float32) float64 {
	i := int32(0)
	for {
		n := &t[i]
		if n.feat < 0 {
			return n.value
		}
		v := x[n.feat]
		if v != v || float64(v) <= n.thr {
			i = n.left
		} else {
			i = n.right
		}
	}
}

func (t gbtTree) predictBinned(b *binned, row int) float64 { return t[t.leafBinned(b, row)].value }

// leafBinned returns the index of the leaf a training row falls in.
func (t gbtTree) leafBinned(b *binned, row int) int32 {
	i := int32(0)
	for {
		n := &t[i]
		if n.feat < 0 {
			return i
		}
		if b.col[n.feat][row] <= n.bin {
			i = n.left
		} else {
			i = n.right
		}
	}
}

// gbt is a fitted ensemble. Predictions are on the link scale: add the
// row's offset and apply the inverse link.
type gbt struct {
	trees []gbtTree
	base  float64
	obj   string
}

func (m *gbt) score(x []float32) float64 {
	s := m.base
	for _, t := range m.trees {
		s += t.predictRaw(x)
	}
	return s
}

// gbtData is what the learner trains on.
type gbtData struct {
	x      *binned
	y      []float64 // target (demand, or demand/level for l2)
	w      []float64 // row weights
	offset []float64 // link-scale offset (log level), 0 for l2
}

type leafState struct {
	rows  []int32   // row indices, ascending
	gh    []float64 // gradient and hessian per row, aligned with rows
	hist  []float64 // feats × maxBin × 2 (gradient, hessian sums)
	g, h  float64
	gain  float64
	feat  int
	bin   int
	node  int32
	depth int
}

// trainGBT fits the ensemble. progress, if set, is told after each tree.
// It also returns the final link-scale score of every training row.
func trainGBT(ctx context.Context, d *gbtData, c GBTConfig, workers int, seed uint64, progress func()) (*gbt, []float64, error) {
	x := d.x
	n := x.rows
	if n == 0 {
		return nil, nil, fmt.Errorf("gbt: no training rows")
	}
	r := rand.New(rand.NewPCG(seed, 0x9b7))
	m := &gbt{obj: c.Objective}
	// Base score: the weighted mean target on the link scale.
	var sw, sy, so float64
	for i := range n {
		sw += d.w[i]
		sy += d.w[i] * d.y[i]
		so += d.w[i] * math.Exp(d.offset[i])
	}
	switch c.Objective {
	case "l2":
		m.base = sy / sw
	default:
		m.base = math.Log(math.Max(1e-9, sy) / math.Max(1e-9, so))
	}
	F := make([]float64, n)
	for i := range F {
		F[i] = m.base + d.offset[i]
	}
	// For the Poisson loss the mean is tracked directly and updated by
	// multiplying with each leaf's exp(value): one exp per leaf, not per row.
	poisson := c.Objective != "l2" && c.Objective != "tweedie"
	var mu []float64
	if poisson {
		mu = make([]float64, n)
		for i, f := range F {
			mu[i] = math.Exp(f)
		}
	}
	maxBin := 0
	for _, nb := range x.nbin {
		maxBin = max(maxBin, nb)
	}
	hsize := x.feats * maxBin * 2
	g := &grower{x: x, c: c, maxBin: maxBin, workers: workers,
		pool:    sync.Pool{New: func() any { return make([]float64, hsize) }},
		scratch: make([]int32, n), scratchGH: make([]float64, 2*n)}
	rows := make([]int32, 0, n)
	gh := make([]float64, 0, 2*n)
	inBag := make([]bool, n)
	feats := make([]int, 0, x.feats)
	rho := c.TweediePower
	for it := 0; it < c.Trees; it++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		// Bagging, then gradients and hessians of the sampled rows at the
		// current scores, gathered in row order.
		rows, gh = rows[:0], gh[:0]
		for i := range n {
			in := c.RowSample >= 1 || r.Float64() < c.RowSample
			inBag[i] = in
			if !in {
				continue
			}
			w := d.w[i]
			var gi, hi float64
			switch c.Objective {
			case "l2":
				gi, hi = w*(F[i]-d.y[i]), w
			case "tweedie":
				a := math.Exp((1 - rho) * F[i])
				b := math.Exp((2 - rho) * F[i])
				gi = w * (-d.y[i]*a + b)
				hi = w * math.Max(1e-6, -(1-rho)*d.y[i]*a+(2-rho)*b)
			default:
				gi = w * (mu[i] - d.y[i])
				// LightGBM's max_delta_step: a floor and lift on the
				// hessian keeps leaves of near-zero rows from exploding.
				hi = w * math.Max(mu[i], 1e-3) * 2.0137527074704766 // e^0.7
			}
			rows = append(rows, int32(i))
			gh = append(gh, gi, hi)
		}
		feats = feats[:0]
		for f := range x.feats {
			if c.ColSample >= 1 || r.Float64() < c.ColSample {
				feats = append(feats, f)
			}
		}
		if len(feats) == 0 {
			feats = append(feats, r.IntN(x.feats))
		}
		tree, leaves := g.grow(rows, gh, feats)
		// In-bag rows know their leaf; the others walk the tree.
		expv := make([]float64, len(tree))
		for k, nd := range tree {
			if nd.feat < 0 {
				expv[k] = math.Exp(nd.value)
			}
		}
		for _, l := range leaves {
			v, e := tree[l.node].value, expv[l.node]
			for _, i := range l.rows {
				F[i] += v
				if poisson {
					mu[i] *= e
				}
			}
		}
		for i := range n {
			if !inBag[i] {
				k := tree.leafBinned(x, i)
				F[i] += tree[k].value
				if poisson {
					mu[i] *= expv[k]
				}
			}
		}
		for _, l := range leaves {
			clear(l.hist)
			g.pool.Put(l.hist)
		}
		m.trees = append(m.trees, tree)
		if progress != nil {
			progress()
		}
	}
	return m, F, nil
}

// grower grows trees on one training matrix, reusing buffers.
type grower struct {
	x         *binned
	c         GBTConfig
	maxBin    int
	workers   int
	pool      sync.Pool
	scratch   []int32
	scratchGH []float64
}

// grow grows one tree best-first to c.Leaves leaves. Leaf values are
// already multiplied by the learning rate. rows and gh are partitioned in
// place.
func (gr *grower) grow(rows []int32, gh []float64, feats []int) (gbtTree, []*leafState) {
	x, c := gr.x, gr.c
	tree := gbtTree{{feat: -1}}
	root := &leafState{rows: rows, gh: gh, node: 0}
	root.hist = gr.pool.Get().([]float64)
	gr.buildHist(root, feats)
	for k := range rows {
		root.g += gh[2*k]
		root.h += gh[2*k+1]
	}
	gr.bestSplit(root, feats)
	leaves := []*leafState{root}
	for len(leaves) < c.Leaves {
		bi := -1
		for i, l := range leaves {
			if l.gain > 0 && (bi < 0 || l.gain > leaves[bi].gain) {
				bi = i
			}
		}
		if bi < 0 {
			break
		}
		p := leaves[bi]
		L, R := gr.partition(p)
		small, large := L, R
		if len(R.rows) < len(L.rows) {
			small, large = R, L
		}
		small.hist = gr.pool.Get().([]float64)
		gr.buildHist(small, feats)
		large.hist = p.hist
		for _, f := range feats {
			base := f * gr.maxBin * 2
			hs, ss := large.hist[base:base+x.nbin[f]*2], small.hist[base:base+x.nbin[f]*2]
			for k := range hs {
				hs[k] -= ss[k]
			}
		}
		for k := range small.rows {
			small.g += small.gh[2*k]
			small.h += small.gh[2*k+1]
		}
		large.g = p.g - small.g
		large.h = p.h - small.h
		// Turn the parent leaf into a split node.
		li := int32(len(tree))
		tree = append(tree, gbtNode{feat: -1}, gbtNode{feat: -1})
		e := x.edges[p.feat]
		thr := math.Inf(1)
		if p.bin >= 1 && p.bin-1 < len(e) {
			thr = e[p.bin-1]
		} else if p.bin == 0 {
			thr = math.Inf(-1)
		}
		tree[p.node] = gbtNode{feat: int32(p.feat), bin: uint8(p.bin), thr: thr, left: li, right: li + 1}
		L.node, R.node = li, li+1
		gr.bestSplit(L, feats)
		gr.bestSplit(R, feats)
		leaves[bi] = L
		leaves = append(leaves, R)
	}
	for _, l := range leaves {
		tree[l.node].value = -l.g / (l.h + c.Lambda) * c.LearningRate
	}
	return tree, leaves
}

// partition splits a leaf's rows (and their gradients) by its best split,
// stably, into a left and a right child sharing the parent's storage.
func (gr *grower) partition(p *leafState) (*leafState, *leafState) {
	col := gr.x.col[p.feat]
	thr := uint8(p.bin)
	rows, gh := p.rows, p.gh
	tr, tg := gr.scratch[:0], gr.scratchGH[:0]
	k := 0
	for j, i := range rows {
		if col[i] <= thr {
			rows[k] = i
			gh[2*k], gh[2*k+1] = gh[2*j], gh[2*j+1]
			k++
		} else {
			tr = append(tr, i)
			tg = append(tg, gh[2*j], gh[2*j+1])
		}
	}
	copy(rows[k:], tr)
	copy(gh[2*k:], tg)
	return &leafState{rows: rows[:k], gh: gh[:2*k], depth: p.depth + 1},
		&leafState{rows: rows[k:], gh: gh[2*k:], depth: p.depth + 1}
}

// buildHist sums gradients, hessians and counts per feature and bin in
// one pass over the leaf's rows (all features; the split search only looks
// at the sampled ones). Big leaves are split across workers, each with its
// own histogram, summed at the end.
func (gr *grower) buildHist(l *leafState, feats []int) {
	x := gr.x
	rows, gh := l.rows, l.gh
	nf, stride := x.feats, gr.maxBin*2
	pass := func(rows []int32, gh []float64, hist []float64) {
		for k, i := range rows {
			g, h := gh[2*k], gh[2*k+1]
			r := x.data[int(i)*nf : int(i)*nf+nf]
			for f, b := range r {
				j := f*stride + int(b)*2
				hist[j] += g
				hist[j+1] += h
			}
		}
	}
	w := gr.workers
	if w <= 1 || len(rows) < 20000 {
		pass(rows, gh, l.hist)
		return
	}
	parts := make([][]float64, w)
	parts[0] = l.hist
	var wg sync.WaitGroup
	chunk := (len(rows) + w - 1) / w
	for p := range w {
		a, b := p*chunk, min(len(rows), (p+1)*chunk)
		if p > 0 {
			parts[p] = gr.pool.Get().([]float64)
		}
		wg.Go(func() { pass(rows[a:b], gh[2*a:2*b], parts[p]) })
	}
	wg.Wait()
	for p := 1; p < w; p++ {
		for j, v := range parts[p] {
			l.hist[j] += v
		}
		clear(parts[p])
		gr.pool.Put(parts[p])
	}
}

// bestSplit finds the split of a leaf with the largest gain.
func (gr *grower) bestSplit(l *leafState, feats []int) {
	x, c, maxBin := gr.x, gr.c, gr.maxBin
	l.gain, l.feat, l.bin = 0, -1, -1
	n := float64(len(l.rows))
	if n < 2*float64(c.MinLeaf) {
		return
	}
	lam := c.Lambda
	parent := l.g * l.g / (l.h + lam)
	// Rows per bin are estimated from the hessian, as LightGBM does: the
	// histograms then carry two sums instead of three.
	perH := n / l.h
	for _, f := range feats {
		hs := l.hist[f*maxBin*2:]
		var gl, hl, cl float64
		for b := 0; b < x.nbin[f]-1; b++ {
			gl += hs[b*2]
			hl += hs[b*2+1]
			cl = hl * perH
			if cl < float64(c.MinLeaf) {
				continue
			}
			if n-cl < float64(c.MinLeaf) {
				break
			}
			gR, hR := l.g-gl, l.h-hl
			gain := gl*gl/(hl+lam) + gR*gR/(hR+lam) - parent
			if gain > l.gain {
				l.gain, l.feat, l.bin = gain, f, b
			}
		}
	}
}
