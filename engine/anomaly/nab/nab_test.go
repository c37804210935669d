package nab

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// benchDir is the shared NAB copy, relative to this package.
const benchDir = "../../../../shared/bench/nab"

func mustCorpus(tb testing.TB) []Series {
	tb.Helper()
	if _, err := os.Stat(benchDir); err != nil {
		tb.Skipf("NAB corpus not found at %s (the shared bench folder): %v", benchDir, err)
	}
	c, err := LoadCorpus(benchDir)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestWeights(t *testing.T) {
	// 10 rows, one window on rows 4..6 (width 3).
	w, in := Weights(10, []Window{{4, 6}}, Standard)
	maxTP := scaledSigmoid(-1)
	want := []float64{
		-0.11, -0.11, -0.11, -0.11, // before the first window: full cost
		1, scaledSigmoid(-2.0/3) / maxTP, scaledSigmoid(-1.0/3) / maxTP,
		scaledSigmoid(1.0/2) * 0.11, scaledSigmoid(2.0/2) * 0.11, scaledSigmoid(3.0/2) * 0.11,
	}
	for i := range want {
		if math.Abs(w[i]-want[i]) > 1e-12 {
			t.Errorf("row %d: weight %.15g, want %.15g", i, w[i], want[i])
		}
		if inside := i >= 4 && i <= 6; inside != (in[i] == 0) {
			t.Errorf("row %d: window %d", i, in[i])
		}
	}
	if w[4] != 1 {
		t.Errorf("first row of a window must be worth exactly A_TP, got %.17g", w[4])
	}
}

func TestProbation(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, 0}, {10, 1}, {4032, 604}, {5000, 750}, {22695, 750}} {
		if got := Probation(c.n); got != c.want {
			t.Errorf("Probation(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

func TestScoreAt_earliestDetectionCounts(t *testing.T) {
	// 100 rows: probation 15, window 40..59. Detections at 50 and 45 inside
	// (only 45, the earliest, counts), one FP at 20 (before the window: full
	// cost) and one at 61 (just after: almost free).
	scores := make([]float64, 100)
	scores[5] = 1 // probationary: ignored
	scores[20], scores[45], scores[50], scores[61] = 1, 1, 1, 1
	f := []File{{Name: "x", Windows: []Window{{40, 59}}, Scores: scores}}
	r := ScoreAt(f, Standard, 0.5)
	w, _ := Weights(100, f[0].Windows, Standard)
	want := w[45] - 0.11 + w[61]
	if math.Abs(r.Raw-want) > 1e-12 || r.TP != 2 || r.FP != 2 || r.FN != 0 {
		t.Fatalf("got raw %g TP %d FP %d FN %d, want raw %g TP 2 FP 2 FN 0", r.Raw, r.TP, r.FP, r.FN, want)
	}
	if r := ScoreAt(f, Standard, 2); r.Raw != -1 || r.FN != 1 || r.Normalized != 0 {
		t.Fatalf("no detections: raw %g FN %d normalized %g, want -1, 1, 0", r.Raw, r.FN, r.Normalized)
	}
	if s := Sweep(f, Standard); s.Threshold != 1 || math.Abs(s.Raw-want) > 1e-12 {
		t.Fatalf("sweep: threshold %g raw %g, want 1 and %g", s.Threshold, s.Raw, want)
	}
}

// TestSweep_windowedGaussian reproduces NAB's published windowedGaussian
// results (final_results.json and the per-file *_scores.csv) from its
// published per-row anomaly scores.
func TestSweep_windowedGaussian(t *testing.T) {
	corpus := mustCorpus(t)
	files := make([]File, len(corpus))
	for i, s := range corpus {
		dir, base := filepath.Split(s.Name)
		p := filepath.Join(benchDir, "results", "windowedGaussian", dir, "windowedGaussian_"+base)
		sc, err := ReadScores(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(sc) != len(s.Values) {
			t.Fatalf("%s: %d scores for %d rows", s.Name, len(sc), len(s.Values))
		}
		files[i] = File{Name: s.Name, Windows: s.Windows, Scores: sc}
	}
	published := map[string]struct{ raw, norm float64 }{
		"standard":           {-24.0131054891, 39.6495},
		"reward_low_FP_rate": {-67.5862728866, 20.8680},
		"reward_low_FN_rate": {-67.0131054891, 47.4100},
	}
	for _, p := range Profiles {
		t.Run(p.Name, func(t *testing.T) {
			r := Sweep(files, p)
			want := published[p.Name]
			if r.Threshold != 1 {
				t.Errorf("threshold %g, want 1", r.Threshold)
			}
			if r.Windows != 116 {
				t.Errorf("%d windows, want 116", r.Windows)
			}
			if math.Abs(r.Raw-want.raw) > 1e-8 {
				t.Errorf("raw %.10f, want %.10f", r.Raw, want.raw)
			}
			if math.Abs(r.Normalized-want.norm) > 5e-5 {
				t.Errorf("normalised %.4f, want %.4f", r.Normalized, want.norm)
			}
			perFile := readPublishedPerFile(t, filepath.Join(benchDir, "results", "windowedGaussian",
				"windowedGaussian_"+p.Name+"_scores.csv"))
			for i, f := range files {
				if w, ok := perFile[f.Name]; !ok || math.Abs(w-r.PerFile[i]) > 1e-9 {
					t.Errorf("%s: %.11f, published %.11f (%v)", f.Name, r.PerFile[i], w, ok)
				}
			}
		})
	}
}

func readPublishedPerFile(t *testing.T, path string) map[string]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), ",")
		if len(fs) < 5 || fs[0] == "Detector" || fs[0] == "Totals" {
			continue
		}
		v, err := strconv.ParseFloat(fs[4], 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[fs[2]] = v
	}
	return out
}

func TestWeights_threeWidthsAfter(t *testing.T) {
	// Window 2..3 (width 2, so width-1 = 1): row 6 is exactly 3 widths
	// after; the published results charge scaledSigmoid(3), not the full
	// cost, and only beyond that the full cost.
	w, _ := Weights(8, []Window{{2, 3}}, Standard)
	if want := scaledSigmoid(3) * 0.11; w[6] != want || w[6] == -0.11 {
		t.Errorf("row 6: %.15g, want %.15g", w[6], want)
	}
	if w[7] != -0.11 {
		t.Errorf("row 7: %.15g, want -0.11", w[7])
	}
}

func TestSweep_nanNeverDetects(t *testing.T) {
	scores := make([]float64, 100)
	for i := range scores {
		scores[i] = math.NaN()
	}
	scores[45] = 0.7
	f := []File{{Name: "x", Windows: []Window{{40, 59}}, Scores: scores}}
	r := Sweep(f, Standard)
	if r.Threshold != 0.7 || r.TP != 1 || r.FP != 0 {
		t.Fatalf("threshold %g TP %d FP %d, want 0.7, 1, 0", r.Threshold, r.TP, r.FP)
	}
}
