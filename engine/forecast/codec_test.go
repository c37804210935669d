package forecast

import (
	"math"
	"testing"
)

func TestEncodeDists_RoundTrip(t *testing.T) {
	z := []float64{-1.5, -0.25, 0, 0.5, 2}
	in := []Dist{
		NegBin{Mu: 2.5, Size: 1.75},
		NegBin{Mu: 3, Size: math.Inf(1)},
		Normal{Mu: 10, Sigma: 3},
		Empirical{Loc: 4, Scale: 1.5, Z: z},
		Empirical{Loc: 5, Scale: 2, Z: z}, // shares the table
		Samples{X: []float64{0, 1, 1, 3}},
		Blend{Parts: []Dist{NegBin{Mu: 1, Size: 2}, Empirical{Loc: 1, Scale: 1, Z: z}}, Weights: []float64{0.5, 0.5}},
	}
	b, err := EncodeDists(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeDists(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("%d distributions back, want %d", len(out), len(in))
	}
	for i := range in {
		for _, p := range []float64{0.05, 0.1, 0.5, 0.9, 0.98} {
			a, b := in[i].Quantile(p), out[i].Quantile(p)
			if math.Abs(a-b) > 1e-5*(1+math.Abs(a)) {
				t.Errorf("dist %d (%T): quantile %.2f = %g after a round trip, want %g", i, in[i], p, b, a)
			}
		}
		if math.Abs(in[i].Mean()-out[i].Mean()) > 1e-5*(1+in[i].Mean()) {
			t.Errorf("dist %d: mean %g, want %g", i, out[i].Mean(), in[i].Mean())
		}
	}
	// The residual table is stored once.
	if len(b) > 200 {
		t.Errorf("%d bytes: the shared table was written more than once?", len(b))
	}
	for _, bad := range [][]byte{nil, {1}, {1, 9}, append([]byte{}, b[:len(b)/2]...)} {
		if _, err := DecodeDists(bad); err == nil {
			t.Errorf("%v decoded without error", bad)
		}
	}
}
