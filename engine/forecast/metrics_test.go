package forecast

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestMetrics_HandComputed(t *testing.T) {
	nan := math.NaN()
	y := []float64{1, 2, 3, nan}
	f := []float64{2, 2, 1, 5}
	train := []float64{0, 0, 1, 3, 2}
	sc := NaiveScale(train) // from the first sale: |3−1|, |2−3| → MAE 1.5, MSE 2.5
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		{"MAE", MAE(y, f), 1},
		{"RMSE", RMSE(y, f), math.Sqrt(5.0 / 3)},
		{"Bias", Bias(y, f), -1.0 / 3},
		{"WAPE", WAPE(y, f), 0.5},
		{"scale MAE", sc.MAE, 1.5},
		{"scale MSE", sc.MSE, 2.5},
		{"MASE", MASE(y, f, sc), 1 / 1.5},
		{"RMSSE", RMSSE(y, f, sc), math.Sqrt(5.0 / 3 / 2.5)},
		{"Pinball above", Pinball(3, 1, 0.9), 1.8},
		{"Pinball below", Pinball(1, 3, 0.9), 0.2},
		{"Pinball equal", Pinball(2, 2, 0.3), 0},
		{"WRMSSE", WRMSSE([]float64{1, 2, nan}, []float64{0.25, 0.75, 5}), 1.75},
	}
	for _, c := range cases {
		if !near(c.got, c.want, 1e-12) {
			t.Errorf("%s = %.15g, want %.15g", c.name, c.got, c.want)
		}
	}
}

func TestMetrics_Quantile(t *testing.T) {
	nan := math.NaN()
	ps := []float64{0.1, 0.9}
	y := []float64{4, 0, nan}
	q := [][]float64{{2, 6}, {1, 3}, {0, 0}}
	// Pinballs: y=4: 0.1·2=0.2 and 0.1·2=0.2; y=0: 0.9·1=0.9 and 0.1·3=0.3.
	if got, want := MeanPinball(y, q, ps), (0.2+0.2+0.9+0.3)/4; !near(got, want, 1e-12) {
		t.Errorf("MeanPinball = %g, want %g", got, want)
	}
	if got, want := SPL(y, q, ps, Scale{MAE: 2}), (0.2+0.2+0.9+0.3)/4/2; !near(got, want, 1e-12) {
		t.Errorf("SPL = %g, want %g", got, want)
	}
	// WQL: per level 2·Σpinball/Σ|y|: level 0.1: 2·1.1/4, level 0.9: 2·0.5/4.
	if got, want := WQL(y, q, ps), (2*1.1/4+2*0.5/4)/2; !near(got, want, 1e-12) {
		t.Errorf("WQL = %g, want %g", got, want)
	}
	cov := Coverage(y, q, ps) // y=4 ≤ 2? no, ≤ 6 yes; y=0 ≤ 1 yes, ≤ 3 yes
	if !near(cov[0], 0.5, 1e-12) || !near(cov[1], 1, 1e-12) {
		t.Errorf("Coverage = %v, want [0.5 1]", cov)
	}
}

func TestPITCoverage_SplitsTies(t *testing.T) {
	// Poisson(0.5): P(0)=0.6065. With q10 = 0 and y = 0 the plain count is
	// a full hit; the PIT count is 0.1/0.6065 of one.
	d := NegBin{Mu: 0.5}
	ps := []float64{0.1}
	y := []float64{0}
	q := [][]float64{{d.Quantile(0.1)}}
	if q[0][0] != 0 {
		t.Fatalf("q10 = %g, want 0", q[0][0])
	}
	if got := Coverage(y, q, ps)[0]; got != 1 {
		t.Errorf("plain coverage = %g, want 1", got)
	}
	want := 0.1 / math.Exp(-0.5)
	if got := PITCoverage(y, q, ps, []Dist{d})[0]; !near(got, want, 1e-9) {
		t.Errorf("PIT coverage = %g, want %g", got, want)
	}
	// A calibrated forecast: draws from the distribution itself cover each
	// level in expectation.
	r := newRand(3)
	levels := DefaultQuantiles
	nb := NegBin{Mu: 1.3, Size: 2}
	n := 20000
	ys := make([]float64, n)
	qs := make([][]float64, n)
	ds := make([]Dist, n)
	qq := Quantiles(nb, levels)
	for i := range ys {
		ys[i] = nb.Sample(r)
		qs[i] = qq
		ds[i] = nb
	}
	for j, c := range PITCoverage(ys, qs, levels, ds) {
		if !near(c, levels[j], 0.015) {
			t.Errorf("PIT coverage at %g = %g", levels[j], c)
		}
	}
}

func TestNaiveScale_Constant(t *testing.T) {
	s := NaiveScale([]float64{0, 0, 0})
	if s.MAE != 0 || s.MSE != 0 {
		t.Errorf("scale of zeros = %+v, want 0", s)
	}
	g := guardScale(s, []float64{0, 0, 0})
	if g.MAE <= 0 || g.MSE <= 0 {
		t.Errorf("guarded scale = %+v, want positive", g)
	}
}
