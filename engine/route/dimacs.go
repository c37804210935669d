package route

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReadDIMACS reads a DIMACS-9 shortest-path graph (.gr: `p sp N M`, then
// `a u v w` per directed arc, 1-based ids) and, when co is not nil, its
// coordinates (.co: `v id x y`, x = lon·1e6, y = lat·1e6). Arc weights are
// taken as lengths in the file's own unit (rome99 is in metres, the Andorra
// export in decimetres), so Distance queries return that unit exactly; the
// speed is a nominal 36 km/h. name prefixes errors.
func ReadDIMACS(name string, gr io.Reader, co io.Reader) (*Graph, error) {
	sc := bufio.NewScanner(gr)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	var b *builder
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] == "c" {
			continue
		}
		switch f[0] {
		case "p":
			if len(f) != 4 || f[1] != "sp" {
				return nil, fmt.Errorf("%s:%d: problem line: want `p sp N M`", name, line)
			}
			n, err1 := strconv.Atoi(f[2])
			m, err2 := strconv.Atoi(f[3])
			if err1 != nil || err2 != nil || n < 0 || m < 0 {
				return nil, fmt.Errorf("%s:%d: problem line: bad node or arc count", name, line)
			}
			b = newBuilder(n, m)
			for i := 1; i <= n; i++ {
				b.addNode(int64(i), 0, 0)
			}
		case "a":
			if b == nil {
				return nil, fmt.Errorf("%s:%d: arc before the problem line", name, line)
			}
			if len(f) != 4 {
				return nil, fmt.Errorf("%s:%d: arc: want `a u v w`", name, line)
			}
			u, err1 := strconv.Atoi(f[1])
			v, err2 := strconv.Atoi(f[2])
			w, err3 := strconv.ParseFloat(f[3], 64)
			n := len(b.ids)
			if err1 != nil || u < 1 || u > n {
				return nil, fmt.Errorf("%s:%d: arc tail: %q is not a node 1..%d", name, line, f[1], n)
			}
			if err2 != nil || v < 1 || v > n {
				return nil, fmt.Errorf("%s:%d: arc head: %q is not a node 1..%d", name, line, f[2], n)
			}
			if err3 != nil || w < 0 {
				return nil, fmt.Errorf("%s:%d: arc weight: %q is not a non-negative number", name, line, f[3])
			}
			b.addEdge(int32(u-1), int32(v-1), w, 36, true)
		default:
			return nil, fmt.Errorf("%s:%d: unknown line type %q", name, line, f[0])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if b == nil {
		return nil, fmt.Errorf("%s: no problem line", name)
	}
	if co != nil {
		if err := readCoords(name+" coordinates", co, b); err != nil {
			return nil, err
		}
		b.hasXY = true
	}
	return b.build(), nil
}

func readCoords(name string, r io.Reader, b *builder) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	line := 0
	seen := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] == "c" || f[0] == "p" {
			continue
		}
		if f[0] != "v" || len(f) != 4 {
			return fmt.Errorf("%s:%d: want `v id x y`", name, line)
		}
		id, err1 := strconv.Atoi(f[1])
		x, err2 := strconv.ParseFloat(f[2], 64)
		y, err3 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || id < 1 || id > len(b.ids) {
			return fmt.Errorf("%s:%d: node id: %q is not a node 1..%d", name, line, f[1], len(b.ids))
		}
		lon, lat := x/1e6, y/1e6
		if err2 != nil || err3 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return fmt.Errorf("%s:%d: coordinates: %q %q are not lon·1e6 lat·1e6", name, line, f[2], f[3])
		}
		b.lat[id-1], b.lon[id-1] = lat, lon
		seen++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if seen != len(b.ids) {
		return fmt.Errorf("%s: %d coordinates for %d nodes", name, seen, len(b.ids))
	}
	return nil
}

// WriteDIMACS writes g's arcs as a DIMACS-9 .gr file with lengths as
// weights (rounded to integers, as the format wants).
func WriteDIMACS(w io.Writer, g *Graph, comment string) error {
	bw := bufio.NewWriter(w)
	if comment != "" {
		fmt.Fprintf(bw, "c %s\n", comment)
	}
	fmt.Fprintf(bw, "p sp %d %d\n", g.NumNodes(), g.NumArcs())
	for v := 0; v < g.NumNodes(); v++ {
		for i := g.first[v]; i < g.first[v+1]; i++ {
			fmt.Fprintf(bw, "a %d %d %.0f\n", v+1, g.head[i]+1, g.lenM[i])
		}
	}
	return bw.Flush()
}
