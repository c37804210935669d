package route

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"

	"stockroom/model"
)

// defaultSpeedKmh is the speed assumed for a road class without a usable
// maxspeed tag: typical European free-flow speeds, lower than the limits
// because vans do not drive at the limit through junctions.
var defaultSpeedKmh = map[string]float64{
	"motorway": 110, "motorway_link": 60,
	"trunk": 90, "trunk_link": 50,
	"primary": 70, "primary_link": 40,
	"secondary": 60, "secondary_link": 40,
	"tertiary": 50, "tertiary_link": 35,
	"unclassified": 40, "residential": 30, "living_street": 10,
	"service": 20, "road": 30,
}

// OSMOptions tune the OpenStreetMap reader.
type OSMOptions struct {
	// Procs is the number of decoding goroutines (0: 1).
	Procs int
}

// ReadOSM reads drivable roads from an OpenStreetMap .osm.pbf extract:
// ways whose highway class is one a van may use (motorway … residential,
// service, living_street, road), without access=no/private or
// motor_vehicle=no. Each consecutive pair of way nodes becomes an edge of
// great-circle length. One-way rules: oneway=yes/true/1, oneway=-1/reverse,
// junction=roundabout and motorways are one-way. Speed is maxspeed (km/h,
// or mph when marked) or the class default. It returns the nodes and edges
// as model values, ready for NewGraph or for the store's roads import.
func ReadOSM(ctx context.Context, name string, open func() (io.ReadCloser, error), opt OSMOptions) ([]model.RoadNode, []model.RoadEdge, error) {
	procs := opt.Procs
	if procs <= 0 {
		procs = 1
	}
	type way struct {
		nodes  []osm.NodeID
		speed  float64
		oneway int // 0 two-way, 1 forward, -1 reverse
	}
	var ways []way
	need := map[osm.NodeID]int32{}
	// Pass 1: ways only. Node coordinates come first in a .pbf, but most
	// nodes are not on roads; skipping them halves memory on big extracts.
	err := scanPBF(ctx, name, open, procs, true, func(o osm.Object) {
		w, ok := o.(*osm.Way)
		if !ok || len(w.Nodes) < 2 {
			return
		}
		hw := w.Tags.Find("highway")
		def, ok := defaultSpeedKmh[hw]
		if !ok || w.Tags.Find("area") == "yes" {
			return
		}
		switch w.Tags.Find("access") {
		case "no", "private":
			return
		}
		if w.Tags.Find("motor_vehicle") == "no" || w.Tags.Find("motorcar") == "no" {
			return
		}
		sp := parseMaxspeed(w.Tags.Find("maxspeed"))
		if sp <= 0 {
			sp = def
		}
		ow := 0
		switch w.Tags.Find("oneway") {
		case "yes", "true", "1":
			ow = 1
		case "-1", "reverse":
			ow = -1
		case "no", "false", "0":
			ow = 0
		default:
			if hw == "motorway" || w.Tags.Find("junction") == "roundabout" || w.Tags.Find("junction") == "circular" {
				ow = 1
			}
		}
		ids := make([]osm.NodeID, len(w.Nodes))
		for i, n := range w.Nodes {
			ids[i] = n.ID
			need[n.ID] = -1
		}
		ways = append(ways, way{ids, sp, ow})
	})
	if err != nil {
		return nil, nil, err
	}
	nodes := make([]model.RoadNode, 0, len(need))
	err = scanPBF(ctx, name, open, procs, false, func(o osm.Object) {
		n, ok := o.(*osm.Node)
		if !ok {
			return
		}
		if _, ok := need[n.ID]; ok {
			need[n.ID] = int32(len(nodes))
			nodes = append(nodes, model.RoadNode{ID: int64(n.ID), Lat: n.Lat, Lon: n.Lon})
		}
	})
	if err != nil {
		return nil, nil, err
	}
	var edges []model.RoadEdge
	for _, w := range ways {
		for i := 0; i+1 < len(w.nodes); i++ {
			a, b := need[w.nodes[i]], need[w.nodes[i+1]]
			if a < 0 || b < 0 || a == b {
				continue // clipped at the extract's border, or a repeated node
			}
			if w.oneway < 0 {
				a, b = b, a
			}
			na, nb := nodes[a], nodes[b]
			l := model.HaversineM(na.Lat, na.Lon, nb.Lat, nb.Lon)
			if l <= 0 {
				l = 0.01 // two nodes at one spot still need a positive length
			}
			edges = append(edges, model.RoadEdge{From: na.ID, To: nb.ID, LengthM: l, SpeedKmh: w.speed, OneWay: w.oneway != 0})
		}
	}
	return nodes, edges, nil
}

func scanPBF(ctx context.Context, name string, open func() (io.ReadCloser, error), procs int, ways bool, fn func(osm.Object)) error {
	f, err := open()
	if err != nil {
		return fmt.Errorf("osm %s: %w", name, err)
	}
	defer f.Close()
	sc := osmpbf.New(ctx, f, procs)
	defer sc.Close()
	sc.SkipRelations = true
	sc.SkipNodes = ways
	sc.SkipWays = !ways
	for sc.Scan() {
		fn(sc.Object())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("osm %s: %w", name, err)
	}
	return nil
}

// parseMaxspeed reads an OSM maxspeed value in km/h: "50", "50 km/h",
// "30 mph", "50;30" (the first). Symbolic values ("none", "walk",
// "FR:urban") give 0, meaning "use the class default".
func parseMaxspeed(s string) float64 {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ";|"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	mul := 1.0
	switch {
	case strings.HasSuffix(s, "mph"):
		mul = 1.609344
		s = strings.TrimSpace(strings.TrimSuffix(s, "mph"))
	case strings.HasSuffix(s, "km/h"):
		s = strings.TrimSpace(strings.TrimSuffix(s, "km/h"))
	case strings.HasSuffix(s, "kmh"):
		s = strings.TrimSpace(strings.TrimSuffix(s, "kmh"))
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v <= 0 {
		return 0
	}
	v *= mul
	if v > 200 {
		return 200
	}
	return v
}
