package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"stockroom/data"
	"stockroom/data/benchgen"
	"stockroom/engine"
)

// BenchmarkConsumeKafka: sales rows (10 a message, 5,000 items at 3
// locations) from a 3-partition topic into the ledger, 2,000 messages
// (20,000 rows) a batch. Each iteration
// produces 200,000 rows, then consumes them while crashing the consumer
// three times at random points between a batch's commit to the ledger and
// its offset commit (crashes=3; crashes=0 runs straight through),
// restarting it each time; at the end the ledger must hold every row
// exactly once.
func BenchmarkConsumeKafka(b *testing.B) {
	for _, n := range []int{0, 3} {
		b.Run(fmt.Sprintf("crashes=%d", n), func(b *testing.B) { benchConsumeKafka(b, n) })
	}
}

func benchConsumeKafka(b *testing.B, nCrash int) {
	const rows, perMsg, items, batch = 200_000, 10, 5000, 2000
	ctx := context.Background()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		st, err := data.Open(ctx, filepath.Join(b.TempDir(), "k.db"))
		if err != nil {
			b.Fatal(err)
		}
		files, err := benchgen.WriteStore(b.TempDir(), benchgen.StoreOptions{Items: items, Days: 1, End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Seed: 2})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range files[:3] { // locations, items, opening stock
			if _, err := st.ImportFile(ctx, f, data.ImportOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		e := engine.New(st)
		base, _ := st.LedgerTotals(ctx)
		cluster, prod := newKafka(b, "sales")
		r := rand.New(rand.NewPCG(uint64(it), 7))
		var qty int64
		var recs []*kgo.Record
		locs := []string{"DC1", "ST1", "ST2"}
		for m := 0; m < rows/perMsg; m++ {
			var sb strings.Builder
			sb.WriteString(`{"kind":"sales","rows":[`)
			for j := range perMsg {
				if j > 0 {
					sb.WriteByte(',')
				}
				q := int64(1 + r.IntN(3))
				qty += q
				fmt.Fprintf(&sb, `{"date":"2026-11-%02d","order_id":"B%d-%d","sku":"SKU%06d","location":"%s","qty":%d}`,
					2+r.IntN(20), m, j, r.IntN(items), locs[r.IntN(3)], q)
			}
			sb.WriteString(`]}`)
			recs = append(recs, &kgo.Record{Topic: "sales", Key: []byte(fmt.Sprint(m)), Value: []byte(sb.String())})
		}
		if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			b.Fatal(err)
		}
		m := engine.NewMetrics(nil)
		opt := engine.KafkaOptions{Brokers: cluster.ListenAddrs(), Topic: "sales", Group: "bench", Spool: b.TempDir(), Metrics: m, MaxRecords: batch}
		crashAt := map[int32]bool{}
		for len(crashAt) < nCrash {
			crashAt[int32(2+r.IntN(rows/perMsg/batch-3))] = true
		}
		b.StartTimer()
		start := time.Now()
		var batches atomic.Int32
		crashes := 0
		for {
			o := opt
			o.BeforeCommit = func(int) error {
				if crashAt[batches.Add(1)] {
					return errCrash
				}
				return nil
			}
			rctx, cancel := context.WithCancel(ctx)
			errc := make(chan error, 1)
			go func() { errc <- e.ConsumeKafka(rctx, o) }()
			done := false
			for !done {
				select {
				case err := <-errc:
					if !errors.Is(err, errCrash) {
						b.Fatal(err)
					}
					crashes++
					done = true
				case <-time.After(50 * time.Millisecond):
					// The committed-records counter is cheap to read; the
					// ledger is summed once everything was committed.
					if crashes < len(crashAt) || metricValue(b, m, "stockroom_kafka_records_total", "", "") < float64(len(recs)) {
						continue
					}
					tot, _ := st.LedgerTotals(ctx)
					if tot.Lines-base.Lines >= rows {
						cancel()
						if err := <-errc; err != nil {
							b.Fatal(err)
						}
						done = true
					}
				}
			}
			cancel()
			if crashes == len(crashAt) {
				tot, _ := st.LedgerTotals(ctx)
				if tot.Lines-base.Lines >= rows {
					break
				}
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		tot, _ := st.LedgerTotals(ctx)
		lost, dup := int64(0), int64(0)
		if d := tot.Lines - base.Lines - rows; d > 0 {
			dup = d
		} else {
			lost = -d
		}
		if lost != 0 || dup != 0 || tot.Net-base.Net != -qty {
			b.Fatalf("lost %d, duplicated %d rows; net %d want %d", lost, dup, tot.Net-base.Net, -qty)
		}
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(crashes), "crashes")
		b.ReportMetric(float64(lost+dup), "lost+dup")
		b.ReportMetric(metricValue(b, m, "stockroom_import_rows_total", "outcome", "duplicate"), "replayed-rows")
		e.Close()
		st.Close()
		b.StartTimer()
	}
}
