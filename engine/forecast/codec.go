package forecast

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// EncodeDists writes a horizon of predictive distributions compactly, for
// the store: parameters in float64, the residual tables of empirical
// distributions (shared between steps) once each in float32.
func EncodeDists(dists []Dist) ([]byte, error) {
	var tables [][]float64
	index := map[*float64]int{}
	b := binary.AppendUvarint(nil, uint64(len(dists)))
	var enc func(d Dist) error
	enc = func(d Dist) error {
		switch d := d.(type) {
		case NegBin:
			b = append(b, 1)
			b = appendF64(b, d.Mu, d.Size)
		case Normal:
			b = append(b, 2)
			b = appendF64(b, d.Mu, d.Sigma)
		case Empirical:
			b = append(b, 3)
			b = appendF64(b, d.Loc, d.Scale)
			t := -1
			if len(d.Z) > 0 {
				i, ok := index[&d.Z[0]]
				if !ok {
					i = len(tables)
					index[&d.Z[0]] = i
					tables = append(tables, d.Z)
				}
				t = i
			}
			b = binary.AppendVarint(b, int64(t))
		case Samples:
			b = append(b, 4)
			b = appendF32s(b, d.X)
		case Blend:
			b = append(b, 5)
			b = binary.AppendUvarint(b, uint64(len(d.Parts)))
			for i, p := range d.Parts {
				b = appendF64(b, d.Weights[i])
				if err := enc(p); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("encode distribution: unknown type %T", d)
		}
		return nil
	}
	for _, d := range dists {
		if err := enc(d); err != nil {
			return nil, err
		}
	}
	b = binary.AppendUvarint(b, uint64(len(tables)))
	for _, t := range tables {
		b = appendF32s(b, t)
	}
	return b, nil
}

var errCorruptDists = errors.New("corrupt encoded distributions")

// DecodeDists reads what EncodeDists wrote.
func DecodeDists(b []byte) ([]Dist, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > 1<<20 {
		return nil, errCorruptDists
	}
	r := &reader{b: b[k:]}
	type ref struct {
		e    *Empirical
		slot *Dist
		t    int
	}
	var refs []ref
	var dec func(slot *Dist) error
	dec = func(slot *Dist) error {
		switch r.byte() {
		case 1:
			*slot = NegBin{Mu: r.f64(), Size: r.f64()}
		case 2:
			*slot = Normal{Mu: r.f64(), Sigma: r.f64()}
		case 3:
			e := Empirical{Loc: r.f64(), Scale: r.f64()}
			refs = append(refs, ref{slot: slot, t: int(r.varint())})
			refs[len(refs)-1].e = &e
			*slot = e
		case 4:
			*slot = Samples{X: r.f32s()}
		case 5:
			parts := int(r.uvarint())
			if parts > 64 {
				return errCorruptDists
			}
			bl := Blend{Parts: make([]Dist, parts), Weights: make([]float64, parts)}
			for i := range parts {
				bl.Weights[i] = r.f64()
				if err := dec(&bl.Parts[i]); err != nil {
					return err
				}
			}
			*slot = bl
		default:
			return errCorruptDists
		}
		return r.err
	}
	out := make([]Dist, n)
	for i := range out {
		if err := dec(&out[i]); err != nil {
			return nil, err
		}
	}
	tables := make([][]float64, r.uvarint())
	for i := range tables {
		tables[i] = r.f32s()
	}
	if r.err != nil {
		return nil, r.err
	}
	for _, rf := range refs {
		if rf.t >= len(tables) {
			return nil, errCorruptDists
		}
		if rf.t >= 0 {
			rf.e.Z = tables[rf.t]
		}
		*rf.slot = *rf.e
	}
	return out, nil
}

func appendF64(b []byte, vs ...float64) []byte {
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func appendF32s(b []byte, vs []float64) []byte {
	b = binary.AppendUvarint(b, uint64(len(vs)))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
	}
	return b
}

// reader reads what the append functions wrote; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) need(n int) bool {
	if r.err == nil && len(r.b) < n {
		r.err = errCorruptDists
	}
	return r.err == nil
}

func (r *reader) byte() byte {
	if !r.need(1) {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) f64() float64 {
	if !r.need(8) {
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.err = errCorruptDists
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Varint(r.b)
	if k <= 0 {
		r.err = errCorruptDists
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *reader) f32s() []float64 {
	n := int(r.uvarint())
	if !r.need(4 * n) {
		return nil
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(r.b[4*i:])))
	}
	r.b = r.b[4*n:]
	return out
}
