package forecast

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

func TestNegBin_QuantileMatchesCDF(t *testing.T) {
	for _, d := range []NegBin{{Mu: 0.2, Size: 0.5}, {Mu: 3}, {Mu: 12, Size: 3}, {Mu: 80, Size: 10}, {Mu: 0}} {
		// Brute force: walk the PMF.
		var c float64
		cdf := make([]float64, 400)
		for k := range cdf {
			c += d.PMF(k)
			cdf[k] = c
		}
		if d.Mu > 0 && !near(c, 1, 1e-6) {
			t.Errorf("%+v: PMF sums to %g", d, c)
		}
		for _, p := range []float64{0.01, 0.1, 0.5, 0.9, 0.99} {
			want := 0
			for want < len(cdf) && cdf[want] < p {
				want++
			}
			if d.Mu == 0 {
				want = 0
			}
			if got := d.Quantile(p); got != float64(want) {
				t.Errorf("%+v: Quantile(%g) = %g, want %d", d, p, got, want)
			}
			if d.Mu > 0 && !near(d.CDF(float64(want)), cdf[want], 1e-9) {
				t.Errorf("%+v: CDF(%d) = %g, want %g", d, want, d.CDF(float64(want)), cdf[want])
			}
		}
		ps := []float64{0.05, 0.3, 0.5, 0.95}
		got := Quantiles(d, ps)
		for i, p := range ps {
			if got[i] != d.Quantile(p) {
				t.Errorf("%+v: Quantiles[%d] = %g, Quantile = %g", d, i, got[i], d.Quantile(p))
			}
		}
	}
	if v := (NegBin{Mu: 4, Size: 2}).Var(); v != 4+16.0/2 {
		t.Errorf("Var = %g, want 12", v)
	}
}

func TestNormal_CensoredAtZero(t *testing.T) {
	d := Normal{Mu: 1, Sigma: 2}
	if q := d.Quantile(0.1); q != 0 {
		t.Errorf("q10 = %g, want 0 (censored)", q)
	}
	if q, want := d.Quantile(0.9), 1+2*1.2815515655446004; !near(q, want, 1e-9) {
		t.Errorf("q90 = %g, want %g", q, want)
	}
	if p := d.CDF(d.Quantile(0.75)); !near(p, 0.75, 1e-9) {
		t.Errorf("CDF(q75) = %g", p)
	}
	// Mean of max(0, X) by simulation.
	r := newRand(1)
	var s float64
	for range 200000 {
		s += d.Sample(r)
	}
	if m := s / 200000; !near(m, d.Mean(), 0.02) {
		t.Errorf("simulated mean %g, Mean() %g", m, d.Mean())
	}
}

func TestEmpirical_QuantileAndCDF(t *testing.T) {
	d := Empirical{Loc: 10, Scale: 2, Z: []float64{-2, -1, 0, 1, 2}}
	if q := d.Quantile(0.5); q != 10 {
		t.Errorf("median = %g, want 10", q)
	}
	if q := d.Quantile(0.125); !near(q, 7, 1e-12) { // halfway between −2 and −1
		t.Errorf("q12.5 = %g, want 7", q)
	}
	for _, p := range []float64{0.1, 0.3, 0.6, 0.9} {
		if c := d.CDF(d.Quantile(p)); !near(c, p, 1e-9) {
			t.Errorf("CDF(Quantile(%g)) = %g", p, c)
		}
	}
}

func TestBlend_AveragesQuantiles(t *testing.T) {
	a, b := NegBin{Mu: 2}, Normal{Mu: 10, Sigma: 1}
	d := Blend{Parts: []Dist{a, b}, Weights: []float64{0.5, 0.5}}
	for _, p := range []float64{0.1, 0.5, 0.9} {
		want := (a.Quantile(p) + b.Quantile(p)) / 2
		if got := d.Quantile(p); !near(got, want, 1e-12) {
			t.Errorf("Quantile(%g) = %g, want %g", p, got, want)
		}
	}
	if !near(d.Mean(), (a.Mean()+b.Mean())/2, 1e-9) {
		t.Errorf("Mean = %g", d.Mean())
	}
	if c := d.CDF(d.Quantile(0.7)); c < 0.69 || c > 0.75 {
		t.Errorf("CDF(q70) = %g", c)
	}
}

func TestSumDist_PoissonSum(t *testing.T) {
	// Independent Poisson(2) days over 7 days sum to Poisson(14).
	steps := make([]Dist, 7)
	for i := range steps {
		steps[i] = NegBin{Mu: 2}
	}
	ps := []float64{0.1, 0.5, 0.9}
	got, err := SumQuantiles(steps, 7, ps, SumOptions{Draws: 20000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	want := Quantiles(NegBin{Mu: 14}, ps)
	for i := range ps {
		if math.Abs(got[i]-want[i]) > 1 {
			t.Errorf("sum quantile %g = %g, want %g ± 1", ps[i], got[i], want[i])
		}
	}
	// Adding per-day quantiles overstates the spread; the simulated p90 is
	// well below 7 × the daily p90.
	if d := 7 * (NegBin{Mu: 2}).Quantile(0.9); got[2] >= d {
		t.Errorf("sum p90 %g not below the sum of daily p90s %g", got[2], d)
	}
}

func TestSumDist_LeadTimeAndCorrelation(t *testing.T) {
	steps := []Dist{NegBin{Mu: 3}, NegBin{Mu: 3}}
	// Lead time 2 or 6 periods with equal odds: mean 4 periods × 3; the
	// periods past the forecast repeat the last step.
	lt := LeadTime{Periods: []int{2, 6}, Prob: []float64{1, 1}}
	d, err := SumDist(steps, lt, SumOptions{Draws: 40000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if m := d.Mean(); !near(m, 12, 0.15) {
		t.Errorf("mean over the lead time = %g, want 12", m)
	}
	// Var = E[L]·3 + Var(L)·9 = 12 + 4·9 = 48.
	if v := d.Var(); !near(v, 48, 2.5) {
		t.Errorf("variance over the lead time = %g, want 48", v)
	}
	// A shared error (rho) widens the sum but keeps its mean.
	ind, _ := SumDist(steps, FixedLeadTime(2), SumOptions{Draws: 40000, Seed: 4})
	cor, _ := SumDist(steps, FixedLeadTime(2), SumOptions{Draws: 40000, Seed: 4, Rho: 0.8})
	if !near(ind.Mean(), cor.Mean(), 0.1) || cor.Var() <= ind.Var()*1.3 {
		t.Errorf("rho 0.8: mean %g var %g; independent: mean %g var %g", cor.Mean(), cor.Var(), ind.Mean(), ind.Var())
	}
	if _, err := SumDist(nil, lt, SumOptions{}); err == nil {
		t.Error("no steps: want an error")
	}
	if _, err := SumDist(steps, LeadTime{Periods: []int{1}, Prob: []float64{-1}}, SumOptions{}); err == nil {
		t.Error("negative probability: want an error")
	}
}

func TestQuantiles_NonCrossingAnyOrder(t *testing.T) {
	d := Blend{Parts: []Dist{NegBin{Mu: 1.5, Size: 1}, Normal{Mu: -1, Sigma: 3}}, Weights: []float64{0.5, 0.5}}
	ps := []float64{0.9, 0.1, 0.5, 0.3}
	q := Quantiles(d, ps)
	idx := []int{1, 3, 2, 0}
	for k := 1; k < len(idx); k++ {
		if q[idx[k]] < q[idx[k-1]] || q[idx[k]] < 0 {
			t.Fatalf("quantiles %v at levels %v cross or go negative", q, ps)
		}
	}
	if !slices.IsSorted([]float64{q[1], q[3], q[2], q[0]}) {
		t.Errorf("not sorted by level: %v", q)
	}
}
