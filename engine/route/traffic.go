package route

import (
	"fmt"
	"math"
	"sort"
)

// Traffic holds per-edge speed factors by time band. A factor multiplies
// the free-flow driving time of an edge: 1 is free flow, 2 takes twice as
// long, +Inf closes the road. Bands start at given minutes of the day; the
// first band also covers the minutes before its start. Edges without an
// entry drive at factor 1.
type Traffic struct {
	starts []float64
	nEdges int
	f      map[int64]float64
}

// NewTraffic makes a table with bands starting at the given minutes of the
// day (nil or empty: one band all day).
func NewTraffic(bandStarts []float64, nEdges int) *Traffic {
	s := append([]float64(nil), bandStarts...)
	sort.Float64s(s)
	if len(s) == 0 {
		s = []float64{0}
	}
	return &Traffic{starts: s, nEdges: nEdges, f: map[int64]float64{}}
}

// Bands is the number of bands.
func (t *Traffic) Bands() int { return len(t.starts) }

// Band returns the band in force at minute m of the day.
func (t *Traffic) Band(m float64) int {
	m = math.Mod(m, 1440)
	if m < 0 {
		m += 1440
	}
	b := sort.SearchFloat64s(t.starts, m+1e-9) - 1
	if b < 0 {
		b = 0
	}
	return b
}

// Set changes the factor of edge e in band. Factors below 1 would let a
// route beat free flow; they are allowed (an empty motorway at night) and
// the A* bound adapts to them.
func (t *Traffic) Set(e, band int, f float64) error {
	if e < 0 || e >= t.nEdges {
		return fmt.Errorf("traffic: edge %d out of range 0..%d", e, t.nEdges-1)
	}
	if band < 0 || band >= len(t.starts) {
		return fmt.Errorf("traffic: band %d out of range 0..%d", band, len(t.starts)-1)
	}
	if math.IsNaN(f) || f <= 0 {
		return fmt.Errorf("traffic: factor for edge %d must be positive, got %g", e, f)
	}
	k := int64(e)*int64(len(t.starts)) + int64(band)
	if f == 1 {
		delete(t.f, k)
	} else {
		t.f[k] = f
	}
	return nil
}

// Factor returns the factor of edge e in band.
func (t *Traffic) Factor(e, band int) float64 {
	if f, ok := t.f[int64(e)*int64(len(t.starts))+int64(band)]; ok {
		return f
	}
	return 1
}

func (t *Traffic) clone() *Traffic {
	c := &Traffic{starts: t.starts, nEdges: t.nEdges, f: make(map[int64]float64, len(t.f)+1)}
	for k, v := range t.f {
		c.f[k] = v
	}
	return c
}
