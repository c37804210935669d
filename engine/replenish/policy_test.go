package replenish

import (
	"math"
	"testing"

	"stockroom/engine/forecast"
)

func flat(d forecast.Dist, n int) Forecast {
	days := make([]forecast.Dist, n)
	for i := range days {
		days[i] = d
	}
	return Forecast{Days: days}
}

// Hand-worked cases. Periodic review every R = 1 day, lead time L days:
// stock at the reorder point must cover demand over L + R days.
//
// Poisson: 2 a day, L = 3, so D(L+R) ~ Poisson(8). P(D ≤ 12) = 0.9362,
// P(D ≤ 13) = 0.9658 (tables), so 95% cycle service needs a reorder point
// of 13 and a safety stock of 13 − 8 = 5. For the fill rate, units short
// per day at level y are E(D8 − y)⁺ − E(D6 − y)⁺: at 12, 0.12983 − 0.01462
// = 0.1152 (fill 1 − 0.1152/2 = 94.2%), at 13, 0.06603 − 0.00579 = 0.0602
// (97.0%), so 95% fill needs 13 too, and 98% fill needs 14 (98.5%; 13
// gives 97.0%).
//
// Normal: 100 ± 20 a day, L = 4: D(5) ~ N(500, 44.72²). 95% cycle service:
// 500 + 1.6449 × 44.72 = 573.56, so 574, safety stock 74. 98% fill: units
// short a day may be 2, so 44.72·G(k) = 2, G(k) = 0.0447 → k = 1.309
// (unit normal loss table: G(1.30) = 0.0455, G(1.31) = 0.0446); the
// second term, 40·G((S−400)/40) at S ≈ 558, is below 0.001. S = 500 +
// 1.309 × 44.72 = 558.5, so 559.
func TestComputeLevels_KnownAnswers(t *testing.T) {
	tests := []struct {
		name     string
		day      forecast.Dist
		lead     int
		kind     ServiceKind
		service  float64
		rop      int64
		safety   float64
		tolSafe  float64
		achieved float64 // lower bound of the expected service
	}{
		{"poisson cycle 95", forecast.NegBin{Mu: 2}, 3, Cycle, 0.95, 13, 5, 1e-9, 0.9658},
		{"poisson fill 95", forecast.NegBin{Mu: 2}, 3, FillRate, 0.95, 13, 5, 1e-9, 0.9698},
		{"poisson fill 98", forecast.NegBin{Mu: 2}, 3, FillRate, 0.98, 14, 6, 1e-9, 0.9851},
		{"poisson cycle 90", forecast.NegBin{Mu: 2}, 3, Cycle, 0.90, 12, 4, 1e-9, 0.9362},
		{"normal cycle 95", forecast.Normal{Mu: 100, Sigma: 20}, 4, Cycle, 0.95, 574, 74, 1e-4, 0.95},
		{"normal fill 98", forecast.Normal{Mu: 100, Sigma: 20}, 4, FillRate, 0.98, 559, 59, 1e-4, 0.98},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{Service: tt.service, Kind: tt.kind, ReviewDays: 1, LeadTime: forecast.FixedLeadTime(tt.lead)}
			lv, err := ComputeLevels(p, flat(tt.day, 40))
			if err != nil {
				t.Fatal(err)
			}
			if lv.ReorderPoint != tt.rop {
				t.Errorf("reorder point = %d, want %d", lv.ReorderPoint, tt.rop)
			}
			if math.Abs(lv.SafetyStock-tt.safety) > tt.tolSafe {
				t.Errorf("safety stock = %g, want %g", lv.SafetyStock, tt.safety)
			}
			if lv.OrderUpTo != lv.ReorderPoint {
				t.Errorf("order-up-to = %d, want the reorder point %d without a lot size", lv.OrderUpTo, lv.ReorderPoint)
			}
			if lv.Achieved < tt.achieved-1e-3 || lv.Achieved < tt.service {
				t.Errorf("achieved = %.4f, want ≥ %.4f", lv.Achieved, tt.achieved)
			}
		})
	}
}

// With a random lead time the mean and variance of demand over it are
// E[L+R]·μ and E[L+R]·σ² + μ²·Var[L] (the textbook formula): lead time
// 3/4/5 days with 1/4, 1/2, 1/4 (mean 4, variance 0.5), 100 ± 20 a day,
// R = 1: mean 500, variance 5·400 + 100²·0.5 = 7000.
func TestComputeLevels_LeadTimeVariability(t *testing.T) {
	lt := forecast.LeadTime{Periods: []int{3, 4, 5}, Prob: []float64{0.25, 0.5, 0.25}}
	p := Policy{Service: 0.95, Kind: Cycle, ReviewDays: 1, LeadTime: lt}
	lv, err := ComputeLevels(p, flat(forecast.Normal{Mu: 100, Sigma: 20}, 40))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(lv.Horizon.Mean()-500) > 1e-4 || math.Abs(lv.Horizon.SD()*lv.Horizon.SD()-7000) > 1e-2 {
		t.Errorf("horizon demand mean %g var %g, want 500 and 7000", lv.Horizon.Mean(), lv.Horizon.SD()*lv.Horizon.SD())
	}
	// The reorder point is the 95% quantile of the mixture of N(400, 40²),
	// N(500, 44.72²), N(600, 48.99²).
	cdf := func(x float64) float64 {
		return 0.25*normCDF((x-400)/40) + 0.5*normCDF((x-500)/math.Sqrt(2000)) + 0.25*normCDF((x-600)/math.Sqrt(2400))
	}
	r := float64(lv.ReorderPoint)
	if cdf(r) < 0.95 || cdf(r-1) >= 0.95 {
		t.Errorf("reorder point %g: CDF there %.4f and one below %.4f, want it the first ≥ 0.95", r, cdf(r), cdf(r-1))
	}
	// Lead time variability raises the level over a fixed 4 days (574).
	if lv.ReorderPoint <= 574 {
		t.Errorf("reorder point %d, want above the fixed-lead-time 574", lv.ReorderPoint)
	}
}

// The fitted sum must agree with forecast.SumDist's simulation (the
// copula over the daily distributions) on the quantiles a policy uses.
func TestDemand_AgreesWithSumDist(t *testing.T) {
	lt := LeadTimeDist(7, 2)
	cases := []struct {
		name string
		day  forecast.Dist
		rho  float64
	}{
		{"intermittent negbin", forecast.NegBin{Mu: 0.4, Size: 0.5}, 0},
		{"negbin correlated", forecast.NegBin{Mu: 3, Size: 2}, 0.3},
		{"poisson busy", forecast.NegBin{Mu: 40}, 0.1},
		{"normal", forecast.Normal{Mu: 60, Sigma: 15}, 0.2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := flat(c.day, 30)
			f.Rho = c.rho
			sm, err := newStepMoments(f, 30)
			if err != nil {
				t.Fatal(err)
			}
			d := newDemand(sm, c.rho, lt, 1, 1)
			lt1 := forecast.LeadTime{Prob: lt.Prob}
			for _, k := range lt.Periods {
				lt1.Periods = append(lt1.Periods, k+1)
			}
			sim, err := forecast.SumDist(f.Days, lt1, forecast.SumOptions{Rho: c.rho, Draws: 40000, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			if rel := math.Abs(d.Mean()-sim.Mean()) / sim.Mean(); rel > 0.02 {
				t.Errorf("mean %g, simulated %g", d.Mean(), sim.Mean())
			}
			for _, q := range []float64{0.5, 0.9, 0.95, 0.98} {
				got, want := d.Quantile(q), sim.Quantile(q)
				// Within 4% or one unit: the fit matches two moments, not
				// the whole shape.
				if math.Abs(got-want) > math.Max(1, 0.04*want) {
					t.Errorf("q%.2f = %g, simulated %g", q, got, want)
				}
			}
		})
	}
}

func TestOrderFor_Rounding(t *testing.T) {
	lv := Levels{ReorderPoint: 40, OrderUpTo: 77}
	tests := []struct {
		name            string
		pack, moq, maxS int64
		pos             int64
		qty             int64
		rounding        string
	}{
		{"above reorder point", 1, 0, 0, 40, 0, ""},
		{"plain", 1, 0, 0, 39, 38, ""},
		{"pack", 12, 0, 0, 40 - 3, 48, "pack 12: 40→48"},
		{"moq then pack", 12, 50, 0, 39, 60, "MOQ 50: 38→50; pack 12: 50→60"},
		{"moq exact", 1, 50, 0, 39, 50, "MOQ 50: 38→50"},
		{"max stock cuts to packs", 12, 0, 70, 10, 60, "pack 12: 67→72; max stock 70: 72→60"},
		{"max stock below moq drops", 10, 50, 70, 30, 0, "MOQ 50: 47→50; max stock 70: 50→0"},
		{"negative position", 1, 0, 0, -5, 82, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{Service: 0.95, ReviewDays: 1, LeadTime: forecast.FixedLeadTime(7), PackSize: tt.pack, MOQ: tt.moq, MaxStock: tt.maxS}
			o := OrderFor(p, lv, tt.pos)
			if o.Qty != tt.qty || o.Rounding != tt.rounding {
				t.Errorf("OrderFor(pos %d) = %d %q, want %d %q", tt.pos, o.Qty, o.Rounding, tt.qty, tt.rounding)
			}
			if tt.pack > 1 && o.Qty%tt.pack != 0 {
				t.Errorf("qty %d is not whole packs of %d", o.Qty, tt.pack)
			}
			if o.Qty > 0 && o.Qty < tt.moq {
				t.Errorf("qty %d below MOQ %d", o.Qty, tt.moq)
			}
		})
	}
}

// A lot (EOQ) spreads the position over r … r+Q−1, so a lower reorder
// point gives the same fill rate; and the order-up-to level is r+Q−1.
func TestComputeLevels_EOQ(t *testing.T) {
	base := Policy{Service: 0.95, ReviewDays: 1, LeadTime: forecast.FixedLeadTime(5)}
	f := flat(forecast.NegBin{Mu: 10, Size: 5}, 40)
	plain, err := ComputeLevels(base, f)
	if err != nil {
		t.Fatal(err)
	}
	withCost := base
	withCost.OrderCost, withCost.HoldingCost = 50, 2 // EOQ = sqrt(2·3650·50/2) = 427.2
	lv, err := ComputeLevels(withCost, f)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(lv.EOQ-math.Sqrt(2*3650*50/2.0)) > 1e-6 || lv.Lot != 427 {
		t.Errorf("EOQ %g lot %d, want 427.2 and 427", lv.EOQ, lv.Lot)
	}
	if lv.OrderUpTo != lv.ReorderPoint+lv.Lot-1 {
		t.Errorf("order-up-to %d, want reorder point %d + lot %d − 1", lv.OrderUpTo, lv.ReorderPoint, lv.Lot)
	}
	if lv.ReorderPoint >= plain.ReorderPoint {
		t.Errorf("reorder point with a lot %d, want below %d without", lv.ReorderPoint, plain.ReorderPoint)
	}
}

func TestLeadTimeDist(t *testing.T) {
	lt := LeadTimeDist(7, 2)
	m, sd := ltMoments(lt)
	if math.Abs(m-7) > 0.01 || math.Abs(sd-math.Sqrt(4+1.0/12)) > 0.05 {
		t.Errorf("lead time 7±2: mean %g sd %g, want 7 and about 2.02 (rounding adds 1/12)", m, sd)
	}
	if lt.Periods[0] < 1 {
		t.Errorf("lead time starts at %d days, want ≥ 1", lt.Periods[0])
	}
	fixed := LeadTimeDist(3.4, 0)
	if len(fixed.Periods) != 1 || fixed.Periods[0] != 3 {
		t.Errorf("fixed lead time 3.4 = %v, want [3]", fixed.Periods)
	}
	short := LeadTimeDist(1, 2)
	var mass float64
	for i, k := range short.Periods {
		if k < 1 {
			t.Errorf("lead time %d < 1", k)
		}
		mass += short.Prob[i]
	}
	if math.Abs(mass-1) > 1e-9 {
		t.Errorf("probabilities sum to %g", mass)
	}
}

func TestProjection(t *testing.T) {
	f := flat(forecast.NegBin{Mu: 10}, 30)
	tests := []struct {
		name string
		pos  Position
		want int
	}{
		{"runs out on day 6", Position{OnHand: 55}, 6},
		{"exactly five days", Position{OnHand: 50}, 6},
		{"out now", Position{OnHand: 0}, 1},
		{"arrival saves it", Position{OnHand: 55, OnOrder: 100, Arrivals: []Arrival{{Day: 4, Qty: 100}}}, 16},
		{"on order after the lead time", Position{OnHand: 55, OnOrder: 100}, 16},
		{"committed", Position{OnHand: 55, Committed: 20}, 4},
		{"lasts", Position{OnHand: 10000}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Projection(f, tt.pos, 5, 365); got != tt.want {
				t.Errorf("Projection = %d, want %d", got, tt.want)
			}
		})
	}
}
