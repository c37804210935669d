package data

import (
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"time"

	"modernc.org/sqlite"

	"stockroom/model"
)

// Aggregates are kept per month: one series_month row holds, for one
// item×location, the 31 days of a month: net stock change per day and, per
// channel, units sold per day and revenue. Two years of history are 24
// small rows per item×location, which is what forecasts and sparklines read,
// and an import adds to a row with one upsert instead of one per day.

// month is months since 1970-01.
type month int32

func monthOf(d model.Date) (month, int) {
	y, m, day := d.Time().Date()
	return month((y-1970)*12 + int(m) - 1), day - 1
}

// firstDay is the first day of the month.
func (m month) firstDay() model.Date {
	return model.DateFromYMD(1970+int(m)/12, time.Month(int(m)%12+1), 1)
}

// days is one month of daily values.
type days [31]int64

func (d *days) sum() int64 {
	var s int64
	for _, v := range d {
		s += v
	}
	return s
}

// chanDays is one channel's sales in a month. The fields a sale reads and
// adds to besides its day (ch, revenue) share the first cache line: an
// import adds to these rows in random order, so each line is a miss.
type chanDays struct {
	ch      int64
	revenue float64
	units   days
}

// monthRow is the content of a series_month row; chans before net, for the
// same reason.
type monthRow struct {
	chans []chanDays
	net   days
}

// channel returns the channel's entry, adding it if missing.
func (r *monthRow) channel(ch int64) *chanDays {
	for i := range r.chans {
		if r.chans[i].ch == ch {
			return &r.chans[i]
		}
	}
	r.chans = append(r.chans, chanDays{ch: ch})
	return &r.chans[len(r.chans)-1]
}

// units is units sold on day i over all channels.
func (r *monthRow) units(i int) int64 {
	var u int64
	for c := range r.chans {
		u += r.chans[c].units[i]
	}
	return u
}

func (r *monthRow) totals() (units int64, revenue float64) {
	for _, c := range r.chans {
		units += c.units.sum()
		revenue += c.revenue
	}
	return units, revenue
}

func (r *monthRow) add(o *monthRow) {
	for i, v := range o.net {
		r.net[i] += v
	}
	for _, oc := range o.chans {
		c := r.channel(oc.ch)
		for i, v := range oc.units {
			c.units[i] += v
		}
		c.revenue += oc.revenue
	}
}

// encode: the net days, then per channel its id, days and revenue. Days
// are zigzag varints with trailing zero days left out.
func (r *monthRow) encode(b []byte) []byte {
	b = appendDays(b, &r.net)
	b = binary.AppendUvarint(b, uint64(len(r.chans)))
	for i := range r.chans {
		c := &r.chans[i]
		b = binary.AppendUvarint(b, uint64(c.ch))
		b = appendDays(b, &c.units)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.revenue))
	}
	return b
}

var errCorruptMonth = errors.New("corrupt series_month row")

func (r *monthRow) decode(b []byte) error {
	*r = monthRow{chans: r.chans[:0]}
	if len(b) == 0 {
		return nil
	}
	var err error
	if b, err = readDays(b, &r.net); err != nil {
		return err
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > 1<<16 {
		return errCorruptMonth
	}
	b = b[k:]
	for range n {
		ch, k := binary.Uvarint(b)
		if k <= 0 {
			return errCorruptMonth
		}
		c := chanDays{ch: int64(ch)}
		if b, err = readDays(b[k:], &c.units); err != nil {
			return err
		}
		if len(b) < 8 {
			return errCorruptMonth
		}
		c.revenue = math.Float64frombits(binary.LittleEndian.Uint64(b))
		b = b[8:]
		r.chans = append(r.chans, c)
	}
	return nil
}

func appendDays(b []byte, d *days) []byte {
	last := len(d)
	for last > 0 && d[last-1] == 0 {
		last--
	}
	b = append(b, byte(last))
	for _, v := range d[:last] {
		b = binary.AppendVarint(b, v)
	}
	return b
}

func readDays(b []byte, d *days) ([]byte, error) {
	*d = days{}
	if len(b) == 0 || int(b[0]) > len(d) {
		return nil, errCorruptMonth
	}
	n := int(b[0])
	b = b[1:]
	for i := range n {
		v, k := binary.Varint(b)
		if k <= 0 {
			return nil, errCorruptMonth
		}
		d[i] = v
		b = b[k:]
	}
	return b, nil
}

var registerOnce sync.Once

// registerFuncs adds sr_month_add(a, b), which adds two encoded months, so
// an upsert merges a month without a round trip through Go.
func registerFuncs() {
	registerOnce.Do(func() {
		sqlite.MustRegisterDeterministicScalarFunction("sr_month_add", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			var a, b monthRow
			ab, _ := args[0].([]byte)
			bb, _ := args[1].([]byte)
			if err := a.decode(ab); err != nil {
				return nil, err
			}
			if err := b.decode(bb); err != nil {
				return nil, err
			}
			a.add(&b)
			return a.encode(make([]byte, 0, 96)), nil
		})
	})
}
