// Package benchgen writes the generated inputs that stockroom's import
// benchmarks run on: a catalogue, locations and a large sales export shaped
// like a mid-size e-shop's four weeks of order lines. Same seed, same bytes.
package benchgen

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// SalesOptions size the sales benchmark data.
type SalesOptions struct {
	Rows      int       // order lines in sales.csv
	Items     int       // SKUs in the catalogue
	Days      int       // days the orders span
	Start     time.Time // first day
	Seed      uint64
	Locations []string
	Channels  []string
}

// DefaultSales is the shape BENCHMARKS.md reports: 1,000,000 order lines
// over 28 days, 20,000 SKUs with Zipf-like popularity, 3 locations, 2
// channels, order numbers increasing as shops issue them.
func DefaultSales() SalesOptions {
	return SalesOptions{Rows: 1_000_000, Items: 20_000, Days: 28, Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		Seed: 1, Locations: []string{"DC1", "ST1", "ST2"}, Channels: []string{"web", "store"}}
}

// Files are the paths WriteSales wrote.
type Files struct {
	Locations, Items, Sales string
}

// WriteSales writes locations.csv, items.csv and sales.csv into dir.
func WriteSales(dir string, o SalesOptions) (Files, error) {
	f := Files{Locations: filepath.Join(dir, "locations.csv"), Items: filepath.Join(dir, "items.csv"), Sales: filepath.Join(dir, "sales.csv")}
	r := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	err := writeFile(f.Locations, func(w *bufio.Writer) {
		w.WriteString("code,name,kind,lat,lon\n")
		for i, l := range o.Locations {
			kind := "store"
			if i == 0 {
				kind = "warehouse"
			}
			fmt.Fprintf(w, "%s,Location %s,%s,%.4f,%.4f\n", l, l, kind, 51.5+0.05*float64(i), -0.12+0.07*float64(i))
		}
	})
	if err != nil {
		return f, err
	}
	prices := make([]float64, o.Items)
	err = writeFile(f.Items, func(w *bufio.Writer) {
		w.WriteString("sku,name,category,uom,unit_cost,price,supplier,pack_size,moq\n")
		for i := range o.Items {
			prices[i] = math.Round(math.Exp(1+3*r.Float64())*100) / 100
			fmt.Fprintf(w, "SKU%06d,Item %d,cat%02d,ea,%.2f,%.2f,SUP%02d,%d,0\n", i, i, i%40, prices[i]*0.55, prices[i], i%25, []int{1, 1, 6, 12}[i%4])
		}
	})
	if err != nil {
		return f, err
	}
	// Popularity: rank^-1.1 over a fixed random permutation, sampled by
	// inverse CDF.
	cdf := make([]float64, o.Items)
	perm := r.Perm(o.Items)
	var sum float64
	for i := range cdf {
		sum += math.Pow(float64(i+1), -1.1)
		cdf[i] = sum
	}
	pick := func() int {
		u := r.Float64() * sum
		lo, hi := 0, len(cdf)-1
		for lo < hi {
			m := (lo + hi) / 2
			if cdf[m] < u {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return perm[lo]
	}
	err = writeFile(f.Sales, func(w *bufio.Writer) {
		w.WriteString("date,order_id,sku,location,channel,qty,price\n")
		order := 10_000_000
		buf := make([]byte, 0, 128)
		seen := map[int]bool{}
		for n := 0; n < o.Rows; {
			order++
			day := o.Start.AddDate(0, 0, n*o.Days/o.Rows).Format("2006-01-02")
			loc := o.Locations[r.IntN(len(o.Locations))]
			ch := o.Channels[r.IntN(len(o.Channels))]
			lines := 1 + r.IntN(4)
			clear(seen)
			for l := 0; l < lines && n < o.Rows; l++ {
				it := pick()
				if seen[it] {
					continue
				}
				seen[it] = true
				qty := 1
				for qty < 6 && r.Float64() < 0.25 {
					qty++
				}
				buf = buf[:0]
				buf = append(buf, day...)
				buf = append(buf, ",SO"...)
				buf = strconv.AppendInt(buf, int64(order), 10)
				buf = append(buf, ",SKU"...)
				buf = append(buf, fmt.Sprintf("%06d", it)...)
				buf = append(buf, ',')
				buf = append(buf, loc...)
				buf = append(buf, ',')
				buf = append(buf, ch...)
				buf = append(buf, ',')
				buf = strconv.AppendInt(buf, int64(qty), 10)
				buf = append(buf, ',')
				buf = strconv.AppendFloat(buf, prices[it], 'f', 2, 64)
				buf = append(buf, '\n')
				w.Write(buf)
				n++
			}
		}
	})
	return f, err
}

func writeFile(path string, fn func(w *bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fn(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
