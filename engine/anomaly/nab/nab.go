// Package nab scores anomaly detectors on the Numenta Anomaly Benchmark
// (NAB v1.1) exactly as NAB's own sweeper does: per-row sigmoid weights,
// a probationary period, only the earliest detection in a window counting,
// one threshold for the whole corpus chosen by sweeping every distinct
// score, and the normalisation to null = 0, perfect = 100.
//
// The rules are those of ../shared/bench/nab/SCORING.md; a test reproduces
// the published windowedGaussian scores from its published per-row output.
package nab

import (
	"cmp"
	"math"
	"slices"
)

// Profile is one of NAB's application profiles: the weights of a true
// positive, a missed window and a false positive.
type Profile struct {
	Name string
	ATP  float64 // weight of the earliest detection in a window
	AFN  float64 // cost of a window with no detection
	AFP  float64 // cost of a detection outside every window
}

// The three published profiles (config/profiles.json).
var (
	Standard = Profile{Name: "standard", ATP: 1, AFN: 1, AFP: 0.11}
	LowFP    = Profile{Name: "reward_low_FP_rate", ATP: 1, AFN: 1, AFP: 0.22}
	LowFN    = Profile{Name: "reward_low_FN_rate", ATP: 1, AFN: 2, AFP: 0.11}
)

// Profiles lists the published profiles in NAB's reporting order.
var Profiles = []Profile{Standard, LowFP, LowFN}

// Window is a labelled anomaly window as row indices, both ends included.
type Window struct{ Start, End int }

// Probation returns the number of leading rows of a file of n rows that
// never count: min(floor(0.15 n), 750).
func Probation(n int) int {
	p := math.Floor(0.15 * float64(n))
	return int(math.Min(p, 0.15*5000))
}

// scaledSigmoid is NAB's 2·sigmoid(-5y) - 1, clamped to -1 beyond y > 3.
// The published results use the strict comparison: an FP exactly three
// widths after a window costs 0.99999939·A_FP, not A_FP.
func scaledSigmoid(y float64) float64 {
	if y > 3 {
		return -1
	}
	return 2/(1+math.Exp(5*y)) - 1
}

// Weights returns each row's sweep weight under a profile: the value of a
// detection there (positive inside a window, negative outside). Rows inside
// a window get tpValue, rows outside fpValue, as NAB's calcSweepScore.
// inWindow[i] is the index of the window containing row i, or -1.
func Weights(n int, windows []Window, p Profile) (w []float64, inWindow []int) {
	w = make([]float64, n)
	inWindow = make([]int, n)
	maxTP := scaledSigmoid(-1)
	prevRight, prevWidth := -1, 0
	k := 0
	for i := 0; i < n; i++ {
		inWindow[i] = -1
		for k < len(windows) && windows[k].End < i {
			prevRight = windows[k].End
			prevWidth = windows[k].End - windows[k].Start + 1
			k++
		}
		if k < len(windows) && i >= windows[k].Start && i <= windows[k].End {
			width := float64(windows[k].End - windows[k].Start + 1)
			pos := -float64(windows[k].End-i+1) / width
			w[i] = scaledSigmoid(pos) * p.ATP / maxTP
			inWindow[i] = k
			continue
		}
		if prevRight < 0 {
			// Before the first window an FP always costs the full A_FP.
			w[i] = -p.AFP
			continue
		}
		// NAB divides by width-1; a one-row window would divide by zero
		// here (+Inf), which scaledSigmoid turns into the full cost too.
		pos := math.Abs(float64(prevRight-i)) / float64(prevWidth-1)
		w[i] = scaledSigmoid(pos) * p.AFP
	}
	return w, inWindow
}

// File is one scored series: its labelled windows and the detector's
// anomaly score for every row, in file order.
type File struct {
	Name    string
	Windows []Window
	Scores  []float64
}

// Result is a corpus score at one threshold.
type Result struct {
	Profile    Profile
	Threshold  float64
	Raw        float64 // sum of the file scores
	Normalized float64 // 100 (raw - null) / (perfect - null)
	TP, FP     int     // scorable rows detected inside / outside windows
	FN         int     // windows (with a scorable row) never detected
	Windows    int     // windows with at least one scorable row
	PerFile    []float64
}

// Normalize turns a raw corpus score into NAB's 0 (null) .. 100 (perfect)
// scale for a corpus of nWindows windows.
func Normalize(raw float64, nWindows int, p Profile) float64 {
	perfect := float64(nWindows) * p.ATP
	null := -float64(nWindows) * p.AFN
	return 100 * (raw - null) / (perfect - null)
}

// ScoreAt scores every file at threshold theta (a row is a detection when
// its score >= theta).
func ScoreAt(files []File, p Profile, theta float64) Result {
	r := Result{Profile: p, Threshold: theta, PerFile: make([]float64, len(files))}
	nWindows := 0
	for fi, f := range files {
		n := len(f.Scores)
		w, in := Weights(n, f.Windows, p)
		prob := Probation(n)
		best := make([]float64, len(f.Windows))
		scorable := make([]bool, len(f.Windows))
		for i := prob; i < n; i++ {
			if in[i] >= 0 {
				scorable[in[i]] = true
			}
		}
		for k := range best {
			best[k] = math.Inf(-1)
		}
		var s float64
		for i := prob; i < n; i++ {
			if !(f.Scores[i] >= theta) { // NaN never detects
				continue
			}
			if k := in[i]; k >= 0 {
				r.TP++
				best[k] = math.Max(best[k], w[i])
			} else {
				r.FP++
				s += w[i]
			}
		}
		for k := range best {
			if !scorable[k] {
				continue
			}
			nWindows++
			if math.IsInf(best[k], -1) {
				r.FN++
				s -= p.AFN
			} else {
				s += best[k]
			}
		}
		r.PerFile[fi] = s
		r.Raw += s
	}
	r.Windows = nWindows
	r.Normalized = Normalize(r.Raw, nWindows, p)
	return r
}

// event is one scorable row in the sweep.
type event struct {
	score  float64
	weight float64
	window int // global window index, or -1
}

// Sweep finds the corpus threshold with the highest raw score, as NAB's
// optimiser does: every distinct score among scorable rows is tried (and
// 1.1, no detections); among equal raw scores the highest threshold wins.
// The returned Result is the full score at that threshold.
func Sweep(files []File, p Profile) Result {
	var evs []event
	base := 0
	var parts []float64 // per global window: value of its best detection so far
	for _, f := range files {
		n := len(f.Scores)
		w, in := Weights(n, f.Windows, p)
		prob := Probation(n)
		seen := make([]bool, len(f.Windows))
		for i := prob; i < n; i++ {
			k := -1
			if in[i] >= 0 {
				k = base + in[i]
				seen[in[i]] = true
			}
			sc := f.Scores[i]
			if math.IsNaN(sc) {
				sc = math.Inf(-1) // never a detection
			}
			evs = append(evs, event{score: sc, weight: w[i], window: k})
		}
		for range f.Windows {
			parts = append(parts, math.NaN())
		}
		for k, ok := range seen {
			if ok {
				parts[base+k] = -p.AFN
			}
		}
		base += len(f.Windows)
	}
	var cur float64
	for _, v := range parts {
		if !math.IsNaN(v) {
			cur += v
		}
	}
	// Rows with equal scores are taken together below, so their order
	// does not matter and an unstable sort will do.
	slices.SortFunc(evs, func(a, b event) int { return cmp.Compare(b.score, a.score) })
	bestTheta, bestRaw := 1.1, cur
	for i := 0; i < len(evs); {
		theta := evs[i].score
		if math.IsInf(theta, -1) {
			break
		}
		for ; i < len(evs) && evs[i].score == theta; i++ {
			e := evs[i]
			if e.window < 0 {
				cur += e.weight
			} else if e.weight > parts[e.window] {
				cur += e.weight - parts[e.window]
				parts[e.window] = e.weight
			}
		}
		// Strictly greater: on ties the earlier (higher) threshold stays.
		if cur > bestRaw {
			bestTheta, bestRaw = theta, cur
		}
	}
	return ScoreAt(files, p, bestTheta)
}
