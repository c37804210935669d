package vrp

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ParseOptions tune ReadTSPLIB.
type ParseOptions struct {
	// Unrounded computes EUC_2D distances without TSPLIB's rounding to the
	// nearest integer (the convention of the CMT instances).
	Unrounded bool
}

type token struct {
	s    string
	line int
}

// ReadTSPLIB reads a CVRP instance in the TSPLIB/CVRPLIB format. Keywords
// may be followed by ":" or not, and numbers may be separated by any
// whitespace, on one line or many. Supported: EDGE_WEIGHT_TYPE EUC_2D,
// CEIL_2D, ATT and EXPLICIT (FULL_MATRIX, LOWER_ROW, UPPER_ROW,
// LOWER_DIAG_ROW, UPPER_DIAG_ROW); DISTANCE (maximum route duration),
// SERVICE_TIME (per customer), VEHICLES; sections NODE_COORD, DEMAND,
// DEPOT, EDGE_WEIGHT, SERVICE_TIME and TIME_WINDOW. The depot must be
// node 1. name is used in errors, which give the line and the field.
func ReadTSPLIB(name string, r io.Reader, opt ParseOptions) (*Instance, error) {
	var toks []token
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		for _, f := range strings.Fields(sc.Text()) {
			// Split "KEY:value" and "KEY:" so a colon is always its own token.
			for f != "" {
				i := strings.IndexByte(f, ':')
				if i < 0 {
					toks = append(toks, token{f, line})
					break
				}
				if i > 0 {
					toks = append(toks, token{f[:i], line})
				}
				toks = append(toks, token{":", line})
				f = f[i+1:]
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &tsplibParser{name: name, toks: toks}
	return p.parse(opt)
}

type tsplibParser struct {
	name string
	toks []token
	pos  int
}

func (p *tsplibParser) errf(line int, field, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %s", p.name, line, field, fmt.Sprintf(format, args...))
}

// rest returns the tokens after the keyword on its line, skipping a colon.
func (p *tsplibParser) rest(line int) []string {
	var out []string
	if p.pos < len(p.toks) && p.toks[p.pos].s == ":" && p.toks[p.pos].line == line {
		p.pos++
	}
	for p.pos < len(p.toks) && p.toks[p.pos].line == line {
		out = append(out, p.toks[p.pos].s)
		p.pos++
	}
	return out
}

func (p *tsplibParser) number(field string) (float64, int, error) {
	if p.pos >= len(p.toks) {
		line := 0
		if len(p.toks) > 0 {
			line = p.toks[len(p.toks)-1].line
		}
		return 0, line, p.errf(line, field, "file ends early")
	}
	t := p.toks[p.pos]
	p.pos++
	v, err := strconv.ParseFloat(t.s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, t.line, p.errf(t.line, field, "%q is not a number", t.s)
	}
	return v, t.line, nil
}

func (p *tsplibParser) index(field string, n int) (int, error) {
	v, line, err := p.number(field)
	if err != nil {
		return 0, err
	}
	if v != math.Trunc(v) || v < 1 || v > float64(n) {
		return 0, p.errf(line, field, "node %g is not within 1..%d", v, n)
	}
	return int(v) - 1, nil
}

func (p *tsplibParser) parse(opt ParseOptions) (*Instance, error) {
	in := &Instance{Round: !opt.Unrounded, EdgeWeightType: "EUC_2D"}
	n := -1
	format := ""
	service := 0.0
	var weights []float64
	var weightsLine int
	haveCoords, haveDemand := false, false
	var serviceSec []float64
	need := func(line int, field string) error {
		if n < 0 {
			return p.errf(line, field, "section before DIMENSION")
		}
		return nil
	}
	for p.pos < len(p.toks) {
		t := p.toks[p.pos]
		p.pos++
		key := strings.ToUpper(t.s)
		switch key {
		case "EOF":
			p.pos = len(p.toks)
			continue
		case "NAME":
			in.Name = strings.Join(p.rest(t.line), " ")
		case "COMMENT", "TYPE":
			p.rest(t.line)
		case "DIMENSION", "CAPACITY", "VEHICLES", "DISTANCE", "SERVICE_TIME":
			v := p.rest(t.line)
			if len(v) != 1 {
				return nil, p.errf(t.line, key, "want one number, got %q", strings.Join(v, " "))
			}
			x, err := strconv.ParseFloat(v[0], 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				return nil, p.errf(t.line, key, "%q is not a non-negative number", v[0])
			}
			switch key {
			case "DIMENSION":
				if x < 1 || x != math.Trunc(x) || x > 1e5 {
					return nil, p.errf(t.line, key, "%q is not a node count", v[0])
				}
				n = int(x)
			case "CAPACITY":
				in.Capacity = int64(x)
			case "VEHICLES":
				in.Vehicles = int(x)
			case "DISTANCE":
				in.MaxDuration = x
			case "SERVICE_TIME":
				service = x
			}
		case "EDGE_WEIGHT_TYPE":
			v := p.rest(t.line)
			if len(v) != 1 {
				return nil, p.errf(t.line, key, "want one word")
			}
			switch w := strings.ToUpper(v[0]); w {
			case "EUC_2D", "CEIL_2D", "ATT", "EXPLICIT":
				in.EdgeWeightType = w
			default:
				return nil, p.errf(t.line, key, "%q is not supported (EUC_2D, CEIL_2D, ATT, EXPLICIT)", v[0])
			}
		case "EDGE_WEIGHT_FORMAT":
			v := p.rest(t.line)
			if len(v) != 1 {
				return nil, p.errf(t.line, key, "want one word")
			}
			format = strings.ToUpper(v[0])
			switch format {
			case "FULL_MATRIX", "LOWER_ROW", "UPPER_ROW", "LOWER_DIAG_ROW", "UPPER_DIAG_ROW", "FUNCTION":
			default:
				return nil, p.errf(t.line, key, "%q is not supported", v[0])
			}
		case "NODE_COORD_TYPE", "DISPLAY_DATA_TYPE":
			p.rest(t.line)
		case "NODE_COORD_SECTION":
			if err := need(t.line, key); err != nil {
				return nil, err
			}
			in.X, in.Y = make([]float64, n), make([]float64, n)
			seen := make([]bool, n)
			for k := 0; k < n; k++ {
				i, err := p.index(key, n)
				if err != nil {
					return nil, err
				}
				if seen[i] {
					return nil, p.errf(p.toks[p.pos-1].line, key, "node %d listed twice", i+1)
				}
				seen[i] = true
				if in.X[i], _, err = p.number(key + " x"); err != nil {
					return nil, err
				}
				if in.Y[i], _, err = p.number(key + " y"); err != nil {
					return nil, err
				}
			}
			haveCoords = true
		case "DEMAND_SECTION":
			if err := need(t.line, key); err != nil {
				return nil, err
			}
			in.Demand = make([]int64, n)
			for k := 0; k < n; k++ {
				i, err := p.index(key, n)
				if err != nil {
					return nil, err
				}
				d, line, err := p.number(key)
				if err != nil {
					return nil, err
				}
				if d < 0 || d != math.Trunc(d) {
					return nil, p.errf(line, key, "demand of node %d must be a non-negative integer, got %g", i+1, d)
				}
				in.Demand[i] = int64(d)
			}
			haveDemand = true
		case "SERVICE_TIME_SECTION":
			if err := need(t.line, key); err != nil {
				return nil, err
			}
			serviceSec = make([]float64, n)
			for k := 0; k < n; k++ {
				i, err := p.index(key, n)
				if err != nil {
					return nil, err
				}
				if serviceSec[i], _, err = p.number(key); err != nil {
					return nil, err
				}
			}
		case "TIME_WINDOW_SECTION":
			if err := need(t.line, key); err != nil {
				return nil, err
			}
			in.Ready, in.Due = make([]float64, n), make([]float64, n)
			for k := 0; k < n; k++ {
				i, err := p.index(key, n)
				if err != nil {
					return nil, err
				}
				var line int
				if in.Ready[i], _, err = p.number(key + " ready"); err != nil {
					return nil, err
				}
				if in.Due[i], line, err = p.number(key + " due"); err != nil {
					return nil, err
				}
				if in.Due[i] < in.Ready[i] {
					return nil, p.errf(line, key, "node %d: window %g..%g is empty", i+1, in.Ready[i], in.Due[i])
				}
			}
		case "DEPOT_SECTION":
			if err := need(t.line, key); err != nil {
				return nil, err
			}
			var depots []int
			for {
				v, line, err := p.number(key)
				if err != nil {
					return nil, err
				}
				if v == -1 {
					break
				}
				if v != math.Trunc(v) || v < 1 || v > float64(n) {
					return nil, p.errf(line, key, "depot %g is not a node", v)
				}
				depots = append(depots, int(v))
				if len(depots) > 1 || depots[0] != 1 {
					return nil, p.errf(line, key, "only one depot, node 1, is supported (got %v)", depots)
				}
			}
		case "EDGE_WEIGHT_SECTION":
			if err := need(t.line, key); err != nil {
				return nil, err
			}
			weightsLine = t.line
			cnt := 0
			switch format {
			case "FULL_MATRIX":
				cnt = n * n
			case "LOWER_ROW", "UPPER_ROW":
				cnt = n * (n - 1) / 2
			case "LOWER_DIAG_ROW", "UPPER_DIAG_ROW":
				cnt = n * (n + 1) / 2
			default:
				return nil, p.errf(t.line, key, "EDGE_WEIGHT_FORMAT %q missing or unsupported", format)
			}
			weights = make([]float64, cnt)
			for k := range weights {
				var err error
				if weights[k], _, err = p.number(key); err != nil {
					return nil, err
				}
			}
		default:
			return nil, p.errf(t.line, "keyword", "unknown keyword %q", t.s)
		}
	}
	lastLine := 0
	if len(p.toks) > 0 {
		lastLine = p.toks[len(p.toks)-1].line
	}
	if n < 0 {
		return nil, p.errf(lastLine, "DIMENSION", "missing")
	}
	if in.Capacity <= 0 {
		return nil, p.errf(lastLine, "CAPACITY", "missing or zero")
	}
	if !haveDemand {
		return nil, p.errf(lastLine, "DEMAND_SECTION", "missing")
	}
	in.Service = make([]float64, n)
	for i := 1; i < n; i++ {
		in.Service[i] = service
	}
	if serviceSec != nil {
		copy(in.Service, serviceSec)
	}
	if in.EdgeWeightType == "EXPLICIT" {
		if weights == nil {
			return nil, p.errf(lastLine, "EDGE_WEIGHT_SECTION", "missing for EXPLICIT weights")
		}
		in.Dist = expandWeights(weights, n, format)
		in.Round = false
		_ = weightsLine
	} else {
		if !haveCoords {
			return nil, p.errf(lastLine, "NODE_COORD_SECTION", "missing")
		}
		switch in.EdgeWeightType {
		case "CEIL_2D":
			in.Euclidean(false)
			for k, d := range in.Dist {
				in.Dist[k] = math.Ceil(d)
			}
			in.Round = true
		case "ATT":
			in.Dist = make([]float64, n*n)
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					r := math.Sqrt(((in.X[i]-in.X[j])*(in.X[i]-in.X[j]) + (in.Y[i]-in.Y[j])*(in.Y[i]-in.Y[j])) / 10)
					t := math.Floor(r + 0.5)
					if t < r {
						t++
					}
					in.Dist[i*n+j] = t
				}
			}
		default:
			in.Euclidean(!opt.Unrounded)
		}
	}
	if in.Name == "" {
		in.Name = p.name
	}
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	return in, nil
}

func expandWeights(w []float64, n int, format string) []float64 {
	d := make([]float64, n*n)
	k := 0
	set := func(i, j int) {
		d[i*n+j], d[j*n+i] = w[k], w[k]
		k++
	}
	switch format {
	case "FULL_MATRIX":
		copy(d, w)
	case "LOWER_ROW":
		for i := 1; i < n; i++ {
			for j := 0; j < i; j++ {
				set(i, j)
			}
		}
	case "UPPER_ROW":
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				set(i, j)
			}
		}
	case "LOWER_DIAG_ROW":
		for i := 0; i < n; i++ {
			for j := 0; j <= i; j++ {
				set(i, j)
			}
		}
	case "UPPER_DIAG_ROW":
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				set(i, j)
			}
		}
	}
	return d
}

// WriteTSPLIB writes an instance in the CVRPLIB format. With coordinates it
// writes EUC_2D (the reader's rounding option decides rounding again); with
// only a matrix it writes EXPLICIT FULL_MATRIX.
func WriteTSPLIB(w io.Writer, in *Instance) error {
	bw := bufio.NewWriter(w)
	n := in.N()
	fmt.Fprintf(bw, "NAME : %s\n", in.Name)
	fmt.Fprintf(bw, "TYPE : CVRP\n")
	fmt.Fprintf(bw, "DIMENSION : %d\n", n)
	explicit := in.X == nil || in.EdgeWeightType == "EXPLICIT"
	if explicit {
		fmt.Fprintf(bw, "EDGE_WEIGHT_TYPE : EXPLICIT\nEDGE_WEIGHT_FORMAT : FULL_MATRIX\n")
	} else {
		fmt.Fprintf(bw, "EDGE_WEIGHT_TYPE : %s\n", in.EdgeWeightType)
	}
	fmt.Fprintf(bw, "CAPACITY : %d\n", in.Capacity)
	if in.Vehicles > 0 {
		fmt.Fprintf(bw, "VEHICLES : %d\n", in.Vehicles)
	}
	if in.MaxDuration > 0 {
		fmt.Fprintf(bw, "DISTANCE : %s\n", num(in.MaxDuration))
	}
	uniform := true
	for i := 2; i < n; i++ {
		if in.Service[i] != in.Service[1] {
			uniform = false
		}
	}
	if uniform && n > 1 && in.Service[0] == 0 {
		if in.Service[1] != 0 {
			fmt.Fprintf(bw, "SERVICE_TIME : %s\n", num(in.Service[1]))
		}
	} else if n > 1 {
		fmt.Fprintf(bw, "SERVICE_TIME_SECTION\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(bw, "%d %s\n", i+1, num(in.Service[i]))
		}
	}
	if explicit {
		fmt.Fprintf(bw, "EDGE_WEIGHT_SECTION\n")
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if j > 0 {
					bw.WriteByte(' ')
				}
				bw.WriteString(num(in.D(i, j)))
			}
			bw.WriteByte('\n')
		}
	} else {
		fmt.Fprintf(bw, "NODE_COORD_SECTION\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(bw, "%d %s %s\n", i+1, num(in.X[i]), num(in.Y[i]))
		}
	}
	fmt.Fprintf(bw, "DEMAND_SECTION\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(bw, "%d %d\n", i+1, in.Demand[i])
	}
	if in.Ready != nil {
		fmt.Fprintf(bw, "TIME_WINDOW_SECTION\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(bw, "%d %s %s\n", i+1, num(in.Ready[i]), num(in.Due[i]))
		}
	}
	fmt.Fprintf(bw, "DEPOT_SECTION\n1\n-1\nEOF\n")
	return bw.Flush()
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// WriteSolution writes routes in the CVRPLIB solution format: `Route #k:`
// and the customers numbered from 1 (node id − 1), then `Cost C`.
func WriteSolution(w io.Writer, s *Solution) error {
	bw := bufio.NewWriter(w)
	k := 0
	for _, r := range s.Routes {
		if len(r) == 0 {
			continue
		}
		k++
		fmt.Fprintf(bw, "Route #%d:", k)
		for _, c := range r {
			fmt.Fprintf(bw, " %d", c)
		}
		bw.WriteByte('\n')
	}
	fmt.Fprintf(bw, "Cost %s\n", FormatCost(s.Cost))
	return bw.Flush()
}

// FormatCost prints a whole cost without decimals and any other with two,
// as CVRPLIB's solution files do.
func FormatCost(c float64) string {
	if c == math.Trunc(c) && math.Abs(c) < 1e15 {
		return strconv.FormatFloat(c, 'f', 0, 64)
	}
	return strconv.FormatFloat(c, 'f', 2, 64)
}

// ReadSolution reads a CVRPLIB solution file.
func ReadSolution(name string, r io.Reader) (*Solution, error) {
	s := &Solution{Cost: math.NaN()}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		txt := strings.TrimSpace(sc.Text())
		if txt == "" {
			continue
		}
		low := strings.ToLower(txt)
		switch {
		case strings.HasPrefix(low, "route"):
			i := strings.IndexByte(txt, ':')
			if i < 0 {
				return nil, fmt.Errorf("%s:%d: route: missing ':'", name, line)
			}
			var route []int
			for _, f := range strings.Fields(txt[i+1:]) {
				c, err := strconv.Atoi(f)
				if err != nil || c < 1 {
					return nil, fmt.Errorf("%s:%d: route: %q is not a customer number", name, line, f)
				}
				route = append(route, c)
			}
			s.Routes = append(s.Routes, route)
		case strings.HasPrefix(low, "cost"):
			f := strings.Fields(txt)
			if len(f) != 2 {
				return nil, fmt.Errorf("%s:%d: cost: want `Cost N`", name, line)
			}
			c, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: cost: %q is not a number", name, line, f[1])
			}
			s.Cost = c
		default:
			return nil, fmt.Errorf("%s:%d: unexpected line %q", name, line, txt)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}
