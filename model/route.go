package model

import (
	"math"
)

// Delivery is one drop to make from a depot on a day: a load to carry to a
// place, optionally within a time window. Times are minutes after midnight.
type Delivery struct {
	ID         string
	Date       Date
	Depot      string // location code the run starts from
	Customer   string
	Lat, Lon   float64
	Demand     int64   // load units; checked against vehicle capacity
	ServiceMin float64 // time spent at the stop
	ReadyMin   float64 // earliest arrival; 0 when no window
	DueMin     float64 // latest arrival; 0 when no window
}

// HasWindow reports whether the delivery has a time window.
func (d Delivery) HasWindow() bool { return d.DueMin > 0 }

// Validate checks a delivery's fields.
func (d Delivery) Validate() error {
	if err := ValidCode("id", d.ID); err != nil {
		return err
	}
	if d.Date == NoDate {
		return fieldErr("date", "is missing")
	}
	if err := ValidCode("depot", d.Depot); err != nil {
		return err
	}
	if err := validLatLon(d.Lat, d.Lon); err != nil {
		return err
	}
	if d.Demand < 0 {
		return fieldErr("demand", "must not be negative, got %d", d.Demand)
	}
	if err := nonNegative("service_min", d.ServiceMin); err != nil {
		return err
	}
	if d.ReadyMin < 0 || d.DueMin < 0 || (d.DueMin > 0 && d.DueMin < d.ReadyMin) {
		return fieldErr("due_min", "time window %g..%g is not a window", d.ReadyMin, d.DueMin)
	}
	return nil
}

// Vehicle is one van or truck based at a depot.
type Vehicle struct {
	ID             string
	Depot          string
	Capacity       int64
	ShiftStartMin  float64 // minutes after midnight
	ShiftEndMin    float64 // 0 when unlimited
	MaxDurationMin float64 // longest allowed run; 0 when unlimited
}

// Validate checks a vehicle's fields.
func (v Vehicle) Validate() error {
	if err := ValidCode("id", v.ID); err != nil {
		return err
	}
	if err := ValidCode("depot", v.Depot); err != nil {
		return err
	}
	if v.Capacity <= 0 {
		return fieldErr("capacity", "must be positive, got %d", v.Capacity)
	}
	if v.ShiftEndMin != 0 && v.ShiftEndMin <= v.ShiftStartMin {
		return fieldErr("shift_end_min", "%g is not after shift start %g", v.ShiftEndMin, v.ShiftStartMin)
	}
	return nonNegative("max_duration_min", v.MaxDurationMin)
}

// RoadNode is a junction of the road network.
type RoadNode struct {
	ID       int64
	Lat, Lon float64
}

// Validate checks a node's fields.
func (n RoadNode) Validate() error { return validLatLon(n.Lat, n.Lon) }

// RoadEdge is a drivable road segment from one node to another. A two-way
// road is one edge with OneWay false; the graph adds the reverse arc.
type RoadEdge struct {
	From, To int64
	LengthM  float64
	SpeedKmh float64
	OneWay   bool
}

// Validate checks an edge's fields.
func (e RoadEdge) Validate() error {
	if e.From == e.To {
		return fieldErr("to", "edge is a loop on node %d", e.From)
	}
	if math.IsNaN(e.LengthM) || e.LengthM <= 0 {
		return fieldErr("length_m", "must be positive, got %g", e.LengthM)
	}
	if math.IsNaN(e.SpeedKmh) || e.SpeedKmh <= 0 || e.SpeedKmh > 200 {
		return fieldErr("speed_kmh", "must be within 0..200, got %g", e.SpeedKmh)
	}
	return nil
}

// Minutes is the time to drive the edge at its speed, in minutes.
func (e RoadEdge) Minutes() float64 { return e.LengthM / 1000 / e.SpeedKmh * 60 }

func validLatLon(lat, lon float64) error {
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		return fieldErr("lat", "must be within -90..90, got %g", lat)
	}
	if math.IsNaN(lon) || lon < -180 || lon > 180 {
		return fieldErr("lon", "must be within -180..180, got %g", lon)
	}
	return nil
}

// EarthRadiusM is the mean radius of the earth, in metres.
const EarthRadiusM = 6371008.8

// HaversineM is the great-circle distance between two points, in metres.
func HaversineM(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlon := (lon2 - lon1) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * EarthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}
