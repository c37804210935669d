package benchgen

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"
)

// StoreOptions size a generated store for console benchmarks: a catalogue,
// opening stock for every item×location, and a month of daily sales for
// the items that sell.
type StoreOptions struct {
	Items int
	Days  int
	End   time.Time
	Seed  uint64
}

// StoreFiles are the files WriteStore wrote, in import order.
type StoreFiles []string

// WriteStore writes locations.csv, items.csv, movements.csv (opening stock)
// and sales.csv into dir. A third of the item×locations sell on any day.
func WriteStore(dir string, o StoreOptions) (StoreFiles, error) {
	r := rand.New(rand.NewPCG(o.Seed, 0x570e))
	locs := []string{"DC1", "ST1", "ST2"}
	files := StoreFiles{filepath.Join(dir, "locations.csv"), filepath.Join(dir, "items.csv"),
		filepath.Join(dir, "movements.csv"), filepath.Join(dir, "sales.csv")}
	err := writeFile(files[0], func(w *bufio.Writer) {
		w.WriteString("code,name,kind,lat,lon\nDC1,Distribution centre,depot,52.48,-1.89\nST1,High Street,store,52.47,-1.90\nST2,Retail Park,store,52.50,-1.85\n")
	})
	if err != nil {
		return nil, err
	}
	nouns := []string{"hammer", "drill", "saw", "seeds", "gloves", "lamp", "kettle", "towel", "mug", "cable", "paint", "brush"}
	adjs := []string{"red", "blue", "steel", "oak", "compact", "heavy-duty", "cordless", "organic", "large", "mini"}
	err = writeFile(files[1], func(w *bufio.Writer) {
		w.WriteString("sku,name,category,uom,unit_cost,price,supplier,pack_size,moq\n")
		for i := range o.Items {
			n := nouns[r.IntN(len(nouns))]
			fmt.Fprintf(w, "SKU%06d,%s %s %d,%s,ea,%.2f,%.2f,SUP%02d,%d,0\n", i, adjs[r.IntN(len(adjs))], n, i, n,
				1+r.Float64()*20, 3+r.Float64()*40, i%20, []int{1, 6, 12}[i%3])
		}
	})
	if err != nil {
		return nil, err
	}
	start := o.End.AddDate(0, 0, -o.Days+1)
	err = writeFile(files[2], func(w *bufio.Writer) {
		w.WriteString("date,sku,location,qty,kind,ref\n")
		day := start.Format("2006-01-02")
		for i := range o.Items {
			for _, l := range locs {
				fmt.Fprintf(w, "%s,SKU%06d,%s,%d,receipt,OPEN-%s\n", day, i, l, 1+r.IntN(200), l)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	err = writeFile(files[3], func(w *bufio.Writer) {
		w.WriteString("date,order_id,sku,location,channel,qty,price\n")
		order := 0
		for d := range o.Days {
			day := start.AddDate(0, 0, d).Format("2006-01-02")
			for i := range o.Items {
				for _, l := range locs {
					if r.IntN(3) != 0 {
						continue
					}
					order++
					fmt.Fprintf(w, "%s,SO%09d,SKU%06d,%s,web,%d,9.99\n", day, order, i, l, 1+r.IntN(3))
				}
			}
		}
	})
	return files, err
}
