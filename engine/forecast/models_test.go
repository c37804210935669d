package forecast

import (
	"math"
	"testing"

	"stockroom/model"
)

func hist(freq Freq, y ...float64) *History {
	s := &Series{ID: "t", Start: model.MustDate("2024-01-01"), Freq: freq, Values: y}
	return NewHistory(s)
}

func mustFit(t *testing.T, name string, h *History) Fitted {
	t.Helper()
	m, err := NewModel(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.Fit(h)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

func TestSeasonalNaive_PureSeasonExact(t *testing.T) {
	week := []float64{5, 3, 3, 4, 6, 9, 12}
	var y []float64
	for range 10 {
		y = append(y, week...)
	}
	// The history ends mid-week; the forecast must stay in phase.
	y = y[:66]
	h := hist(Daily, y...)
	p := mustFit(t, "snaive", h).Predict(h, 14)
	for k, v := range p.Mean {
		if want := week[(66+k)%7]; v != want {
			t.Errorf("step %d: %g, want %g", k+1, v, want)
		}
	}
}

func TestSES_AlphaOneIsNaive(t *testing.T) {
	r := newRand(5)
	y := make([]float64, 200)
	for i := range y {
		y[i] = float64(r.IntN(20))
	}
	y[199] = math.NaN() // the last value missing: both use the last observed
	h := hist(Daily, y...)
	ses := mustFit(t, "ses:1", h).Predict(h, 5)
	nv := mustFit(t, "naive", h).Predict(h, 5)
	for k := range ses.Mean {
		if !near(ses.Mean[k], nv.Mean[k], 1e-9) || ses.Mean[k] != y[198] {
			t.Errorf("step %d: ses(α=1) %g, naive %g, last observed %g", k, ses.Mean[k], nv.Mean[k], y[198])
		}
	}
}

func TestCroston_ConstantInterval(t *testing.T) {
	// 5 units every 4th period: size 5, interval 4, whatever alpha.
	var y []float64
	for range 30 {
		y = append(y, 0, 0, 0, 5)
	}
	h := hist(Daily, y...)
	for _, a := range []string{"0.1", "0.3"} {
		c := mustFit(t, "croston:"+a, h).Predict(h, 3)
		for _, v := range c.Mean {
			if !near(v, 1.25, 1e-9) {
				t.Errorf("croston α=%s: %g, want 1.25", a, v)
			}
		}
	}
	// SBA deflates by 1 − α/2.
	s := mustFit(t, "sba:0.2", h).Predict(h, 1)
	if !near(s.Mean[0], 1.25*0.9, 1e-9) {
		t.Errorf("sba α=0.2: %g, want %g", s.Mean[0], 1.25*0.9)
	}
	// Fitted alpha gives the same rate (every alpha does).
	if f := mustFit(t, "croston", h).Predict(h, 1); !near(f.Mean[0], 1.25, 1e-9) {
		t.Errorf("croston fitted: %g, want 1.25", f.Mean[0])
	}
	// TSB after a steady pattern: probability 1/4 times size 5, up to the
	// phase within the cycle.
	tsb := mustFit(t, "tsb:0.05", h).Predict(h, 1)
	if !near(tsb.Mean[0], 1.25, 0.1) {
		t.Errorf("tsb: %g, want about 1.25", tsb.Mean[0])
	}
}

// simulateETS draws a series from an additive-error ETS model.
func simulateETS(n int, sp string, alpha, beta, gamma, phi, sigma float64, seed uint64) []float64 {
	r := newRand(seed)
	l, b := 50.0, 0.5
	season := []float64{-6, -2, 0, 1, 2, 3, 2}
	y := make([]float64, n)
	for t := range y {
		s := 0.0
		if sp[len(sp)-1] == 'A' {
			s = season[t%7]
		}
		trend := 0.0
		if sp != "ANN" && sp != "ANA" {
			trend = phi * b
		}
		e := sigma * r.NormFloat64()
		y[t] = l + trend + s + e
		l = l + trend + alpha*e
		if trend != 0 {
			b = phi*b + beta*e
		}
		if sp[len(sp)-1] == 'A' {
			season[t%7] = s + gamma*e
		}
	}
	return y
}

func TestETS_RecoversParameters(t *testing.T) {
	cases := []struct {
		spec                    string
		alpha, beta, gamma, phi float64
		tol                     float64
	}{
		{"ANN", 0.3, 0, 0, 1, 0.05},
		{"ANA", 0.2, 0, 0.1, 1, 0.06},
		{"AAdN", 0.4, 0.1, 0, 0.9, 0.08},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			y := simulateETS(3000, c.spec, c.alpha, c.beta, c.gamma, c.phi, 1, 11)
			h := hist(Daily, y...)
			m := &ETS{Spec: c.spec, FitWindow: 3000}
			f, err := m.Fit(h)
			if err != nil {
				t.Fatal(err)
			}
			p := f.(*etsFit).par
			if !near(p.alpha, c.alpha, c.tol) {
				t.Errorf("alpha = %.3f, want %.3f ± %.2f", p.alpha, c.alpha, c.tol)
			}
			if c.spec == "AAdN" {
				if !near(p.beta, c.beta, c.tol) {
					t.Errorf("beta = %.3f, want %.3f ± %.2f", p.beta, c.beta, c.tol)
				}
				if !near(p.phi, c.phi, c.tol) {
					t.Errorf("phi = %.3f, want %.3f ± %.2f", p.phi, c.phi, c.tol)
				}
			}
			if c.spec == "ANA" && !near(p.gamma, c.gamma, c.tol) {
				t.Errorf("gamma = %.3f, want %.3f ± %.2f", p.gamma, c.gamma, c.tol)
			}
			if s := f.(*etsFit).sigma; !near(s, 1, 0.05) {
				t.Errorf("sigma = %.3f, want 1", s)
			}
		})
	}
}

func TestAutoETS_PicksSeasonWhenThere(t *testing.T) {
	y := simulateETS(1000, "ANA", 0.1, 0, 0.05, 1, 0.5, 2)
	h := hist(Daily, y...)
	f := mustFit(t, "ets", h).(*etsFit)
	if f.spec.season != 'A' && f.spec.season != 'M' {
		t.Errorf("seasonal data: picked %s", f.spec)
	}
	r := newRand(9)
	noise := make([]float64, 1000)
	for i := range noise {
		noise[i] = 20 + r.NormFloat64()
	}
	g := mustFit(t, "ets", hist(Daily, noise...)).(*etsFit)
	if g.spec.season != 'N' {
		t.Errorf("white noise: picked %s", g.spec)
	}
}

func TestETS_GaussianIntervalsWiden(t *testing.T) {
	y := simulateETS(800, "ANN", 0.3, 0, 0, 1, 1, 4)
	h := hist(Daily, y...)
	p := mustFit(t, "ses", h).Predict(h, 10)
	if p.Dists == nil {
		t.Fatal("ses has its own distribution")
	}
	// Var_h = σ²(1 + (h−1)α²).
	f := mustFit(t, "ses", h).(*etsFit)
	for k, d := range p.Dists {
		want := f.sigma * math.Sqrt(1+float64(k)*f.par.alpha*f.par.alpha)
		if got := d.(Normal).Sigma; !near(got, want, 1e-9) {
			t.Errorf("step %d: sigma %g, want %g", k+1, got, want)
		}
	}
}

func TestTheta_ConstantAndTrend(t *testing.T) {
	c := make([]float64, 60)
	for i := range c {
		c[i] = 7
	}
	h := hist(Monthly, c...)
	for k, v := range mustFit(t, "theta", h).Predict(h, 6).Mean {
		if !near(v, 7, 1e-6) {
			t.Errorf("constant: step %d = %g, want 7", k+1, v)
		}
	}
	// A straight line: SES on it lags; the theta drift adds half the slope
	// per step, so forecasts keep rising.
	line := make([]float64, 60)
	for i := range line {
		line[i] = 10 + 2*float64(i)
	}
	h = hist(Monthly, line...)
	p := mustFit(t, "theta", h).Predict(h, 6).Mean
	for k := 1; k < len(p); k++ {
		if !near(p[k]-p[k-1], 1, 1e-6) {
			t.Errorf("line: step %d rises by %g, want 1 (half the slope)", k+1, p[k]-p[k-1])
		}
	}
}

func TestMovingAverage_Window(t *testing.T) {
	h := hist(Daily, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	if v := mustFit(t, "ma:4", h).Predict(h, 1).Mean[0]; v != 8.5 {
		t.Errorf("ma:4 = %g, want 8.5", v)
	}
}

func TestNewModel_Errors(t *testing.T) {
	for _, n := range []string{"nope", "ses:2", "ma:2.5", "holt:0.3", "croston:x"} {
		if _, err := NewModel(n); err == nil {
			t.Errorf("NewModel(%q): want an error", n)
		}
	}
	for _, n := range ModelNames {
		if _, err := NewModel(n); err != nil {
			t.Errorf("NewModel(%q): %v", n, err)
		}
	}
}

func TestHistory_CensoredIsMissing(t *testing.T) {
	// Steady demand of 10, then a week out of stock with zero sales.
	y := make([]float64, 60)
	cens := make([]bool, 60)
	for i := range y {
		y[i] = 10
		if i >= 53 {
			y[i], cens[i] = 0, true
		}
	}
	s := &Series{ID: "x", Start: model.MustDate("2024-01-01"), Freq: Daily, Values: y, Censored: cens}
	h := NewHistory(s)
	for i := 53; i < 60; i++ {
		if !math.IsNaN(h.Y[i]) {
			t.Fatalf("censored day %d is %g, want missing", i, h.Y[i])
		}
	}
	for _, name := range []string{"naive", "ses", "ma", "croston", "tsb"} {
		p := mustFit(t, name, h).Predict(h, 3)
		if !near(p.Mean[0], 10, 1e-6) {
			t.Errorf("%s: %g, want 10 (stockout zeros are not demand)", name, p.Mean[0])
		}
	}
	// Without the flags the zeros pull the forecast down.
	s.Censored = nil
	if p := mustFit(t, "naive", NewHistory(s)).Predict(NewHistory(s), 1); p.Mean[0] != 0 {
		t.Errorf("uncensored naive = %g, want 0", p.Mean[0])
	}
}
