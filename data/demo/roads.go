package demo

import (
	"fmt"
	"math"

	"stockroom/model"
)

// network is a synthetic road network around a city centre: a jittered
// street grid with two-way arterials every sixth street, one-way couplets in
// the centre, missing blocks, and an orbital motorway. Only its largest
// strongly connected part is kept, so every node can reach every other.
type network struct {
	ids            []int64
	lat, lon       []float64
	edges          []model.RoadEdge
	local          []int // indexes of local-street edges, where customers live
	minLat, maxLat float64
	minLon, maxLon float64
}

// Greater Manchester: the grid is laid out around the city centre.
const (
	centreLat = 53.4808
	centreLon = -2.2426
)

// defaultRoadGrid is the number of grid streets each way; 55×55 gives
// about three thousand junctions over 24 km.
const defaultRoadGrid = 55

func makeNetwork(seed int64, g int) *network {
	r := newRNG(seed, streamRoads)
	const spacing = 440.0 // metres between streets
	mLat := 1 / 111320.0
	mLon := 1 / (111320.0 * math.Cos(centreLat*math.Pi/180))
	half := float64(g-1) / 2
	n := g * g
	lat := make([]float64, n)
	lon := make([]float64, n)
	for i := range g {
		for j := range g {
			y := (float64(i)-half)*spacing + r.between(-0.22, 0.22)*spacing
			x := (float64(j)-half)*spacing + r.between(-0.22, 0.22)*spacing
			lat[i*g+j] = centreLat + y*mLat
			lon[i*g+j] = centreLon + x*mLon
		}
	}
	distC := func(k int) float64 { return model.HaversineM(lat[k], lon[k], centreLat, centreLon) }
	type arc struct {
		from, to int
		speed    float64
		oneway   bool
		local    bool
	}
	var arcs []arc
	add := func(a, b int, arterial bool, oneFwd, oneway bool) {
		if !arterial && r.chance(0.07) {
			return // parks, rivers, railway lines: not every block is through
		}
		mid := (distC(a) + distC(b)) / 2
		speed := 48.0
		switch {
		case arterial:
			speed = []float64{48, 56, 64}[r.intn(3)]
		case mid < 3000:
			speed = 32 // 20 mph zone
		}
		if oneway && !oneFwd {
			a, b = b, a
		}
		arcs = append(arcs, arc{a, b, speed, oneway, !arterial})
	}
	for i := range g {
		for j := range g {
			k := i*g + j
			central := distC(k) < 2500
			if j+1 < g { // east-west street i
				art := i%6 == 0
				add(k, k+1, art, i%2 == 0, central && !art)
			}
			if i+1 < g { // north-south street j
				art := j%6 == 0
				add(k, k+g, art, j%2 == 0, central && !art)
			}
		}
	}
	// Orbital motorway: the junctions nearest a circle, linked in turn,
	// except where a street already joins the two.
	have := make(map[[2]int]bool, len(arcs))
	for _, a := range arcs {
		have[[2]int{min(a.from, a.to), max(a.from, a.to)}] = true
	}
	link := func(a, b int) {
		key := [2]int{min(a, b), max(a, b)}
		if a == b || have[key] {
			return
		}
		have[key] = true
		arcs = append(arcs, arc{a, b, []float64{80, 96, 112}[r.intn(3)], false, false})
	}
	ringR := 0.36 * float64(g-1) * spacing
	prev, first := -1, -1
	for deg := 0; deg < 360; deg += 4 {
		a := float64(deg) * math.Pi / 180
		y, x := ringR*math.Sin(a), ringR*math.Cos(a)
		i := int(math.Round(y/spacing + half))
		j := int(math.Round(x/spacing + half))
		k := i*g + j
		if first < 0 {
			first = k
		}
		if prev >= 0 {
			link(prev, k)
		}
		prev = k
	}
	link(prev, first)

	// Keep the largest strongly connected component (Kosaraju, iterative).
	out := make([][]int32, n)
	in := make([][]int32, n)
	for _, a := range arcs {
		out[a.from] = append(out[a.from], int32(a.to))
		in[a.to] = append(in[a.to], int32(a.from))
		if !a.oneway {
			out[a.to] = append(out[a.to], int32(a.from))
			in[a.from] = append(in[a.from], int32(a.to))
		}
	}
	order := make([]int32, 0, n)
	seen := make([]bool, n)
	type frame struct{ v, i int32 }
	var stack []frame
	for s := range n {
		if seen[s] {
			continue
		}
		seen[s] = true
		stack = append(stack[:0], frame{int32(s), 0})
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if int(f.i) < len(out[f.v]) {
				w := out[f.v][f.i]
				f.i++
				if !seen[w] {
					seen[w] = true
					stack = append(stack, frame{w, 0})
				}
				continue
			}
			order = append(order, f.v)
			stack = stack[:len(stack)-1]
		}
	}
	comp := make([]int32, n)
	for i := range comp {
		comp[i] = -1
	}
	var sizes []int
	var q []int32
	for i := n - 1; i >= 0; i-- {
		s := order[i]
		if comp[s] >= 0 {
			continue
		}
		c := int32(len(sizes))
		comp[s] = c
		size := 0
		q = append(q[:0], s)
		for len(q) > 0 {
			v := q[len(q)-1]
			q = q[:len(q)-1]
			size++
			for _, w := range in[v] {
				if comp[w] < 0 {
					comp[w] = c
					q = append(q, w)
				}
			}
		}
		sizes = append(sizes, size)
	}
	best := 0
	for c, s := range sizes {
		if s > sizes[best] {
			best = c
		}
	}
	net := &network{minLat: 90, maxLat: -90, minLon: 180, maxLon: -180}
	newIdx := make([]int, n)
	for k := range n {
		newIdx[k] = -1
		if comp[k] != int32(best) {
			continue
		}
		newIdx[k] = len(net.ids)
		net.ids = append(net.ids, int64(k+1))
		net.lat = append(net.lat, round6(lat[k]))
		net.lon = append(net.lon, round6(lon[k]))
	}
	for k := range net.ids {
		net.minLat = min(net.minLat, net.lat[k])
		net.maxLat = max(net.maxLat, net.lat[k])
		net.minLon = min(net.minLon, net.lon[k])
		net.maxLon = max(net.maxLon, net.lon[k])
	}
	for _, a := range arcs {
		fa, ta := newIdx[a.from], newIdx[a.to]
		if fa < 0 || ta < 0 {
			continue
		}
		// Roads bend: a little longer than the straight line.
		length := model.HaversineM(net.lat[fa], net.lon[fa], net.lat[ta], net.lon[ta]) * r.between(1.0, 1.08)
		if a.local {
			net.local = append(net.local, len(net.edges))
		}
		net.edges = append(net.edges, model.RoadEdge{From: net.ids[fa], To: net.ids[ta],
			LengthM: math.Round(length*10) / 10, SpeedKmh: a.speed, OneWay: a.oneway})
	}
	return net
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// nearest returns the index of the node closest to a point.
func (n *network) nearest(lat, lon float64) int {
	best, bd := 0, math.Inf(1)
	for k := range n.ids {
		if d := model.HaversineM(lat, lon, n.lat[k], n.lon[k]); d < bd {
			best, bd = k, d
		}
	}
	return best
}

// index maps node ids to positions.
func (n *network) index() map[int64]int {
	m := make(map[int64]int, len(n.ids))
	for k, id := range n.ids {
		m[id] = k
	}
	return m
}

// fleet is the depot's vans and trucks.
func fleet(depot string) []model.Vehicle {
	var vs []model.Vehicle
	for i := range 10 {
		vs = append(vs, model.Vehicle{ID: fmt.Sprintf("VAN%02d", i+1), Depot: depot, Capacity: 120,
			ShiftStartMin: 420, ShiftEndMin: 1140, MaxDurationMin: 600})
	}
	for i := range 2 {
		vs = append(vs, model.Vehicle{ID: fmt.Sprintf("TRK%02d", i+1), Depot: depot, Capacity: 350,
			ShiftStartMin: 360, ShiftEndMin: 1080, MaxDurationMin: 660})
	}
	return vs
}

// customer is a delivery address beside a residential street.
type customer struct {
	id       string
	lat, lon float64
}

func makeCustomers(seed int64, net *network, n int) []customer {
	r := newRNG(seed, streamDeliveries, 1)
	idx := net.index()
	mLat := 1 / 111320.0
	mLon := 1 / (111320.0 * math.Cos(centreLat*math.Pi/180))
	cs := make([]customer, n)
	for i := range cs {
		e := net.edges[net.local[r.intn(len(net.local))]]
		a, b := idx[e.From], idx[e.To]
		t := r.between(0.1, 0.9)
		lat := net.lat[a] + t*(net.lat[b]-net.lat[a])
		lon := net.lon[a] + t*(net.lon[b]-net.lon[a])
		// Set back from the kerb, on either side of the street.
		dy := (net.lat[b] - net.lat[a]) / mLat
		dx := (net.lon[b] - net.lon[a]) / mLon
		l := math.Hypot(dx, dy)
		off := r.between(8, 35)
		if r.chance(0.5) {
			off = -off
		}
		if l > 0 {
			lat += dx / l * off * mLat
			lon += -dy / l * off * mLon
		}
		lat = min(max(lat, net.minLat), net.maxLat)
		lon = min(max(lon, net.minLon), net.maxLon)
		cs[i] = customer{id: fmt.Sprintf("C%05d", i+1), lat: round6(lat), lon: round6(lon)}
	}
	return cs
}

// makeDeliveries plans the web orders to drop from the depot on each of the
// days after the history: more on weekdays, few on Sunday, about a third
// with a booked two- or three-hour slot. Each day's load fits the fleet.
func makeDeliveries(seed int64, depot string, first model.Date, days int, cs []customer, vs []model.Vehicle, scale float64) []model.Delivery {
	r := newRNG(seed, streamDeliveries, 2)
	var capTotal int64
	for _, v := range vs {
		capTotal += v.Capacity
	}
	perDay := [7]float64{30, 150, 140, 135, 140, 160, 90} // Sunday first
	var out []model.Delivery
	for k := range days {
		d := first.AddDays(k)
		n := int(math.Round(perDay[d.Weekday()] * scale * r.between(0.85, 1.15)))
		var load int64
		for j := range n {
			c := cs[r.intn(len(cs))]
			dem := int64(1)
			for dem < 12 && r.chance(0.6) {
				dem++
			}
			service := 2 + 0.5*float64(dem)
			if r.chance(0.08) { // furniture, garden: bulky
				dem = 15 + int64(r.intn(26))
				service = 10 + float64(r.intn(6))
			}
			if load+dem > capTotal*4/5 {
				break
			}
			load += dem
			dl := model.Delivery{ID: fmt.Sprintf("DL-%s-%04d", compact(d), j+1), Date: d, Depot: depot,
				Customer: c.id, Lat: c.lat, Lon: c.lon, Demand: dem, ServiceMin: service}
			if r.chance(0.35) {
				slot := [][2]float64{{480, 600}, {540, 720}, {600, 780}, {720, 900}, {840, 1020}, {900, 1080}}[r.intn(6)]
				dl.ReadyMin, dl.DueMin = slot[0], slot[1]
			}
			out = append(out, dl)
		}
	}
	return out
}

// compact formats a day as YYYYMMDD.
func compact(d model.Date) string {
	s := d.String()
	return s[0:4] + s[5:7] + s[8:10]
}
