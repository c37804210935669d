package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"stockroom/data"
	"stockroom/engine"
)

// kafkaFeed is what a test produced: how many good sales rows and their
// total quantity.
type kafkaFeed struct {
	rows, qty int64
}

// produceFeed writes n messages of sales rows in every shape the feed
// takes: one row with the kind in a header, an array of rows that name
// their kind, a {"kind","rows"} batch, and now and then a row the importer
// rejects (unknown SKU) and a value that is not JSON at all.
func produceFeed(t testing.TB, cl *kgo.Client, topic string, from, n int, f *kafkaFeed) {
	t.Helper()
	var recs []*kgo.Record
	order := func(i, j int) string { return fmt.Sprintf("KF-%d-%d", i, j) }
	for i := from; i < from+n; i++ {
		q := int64(1 + i%4)
		day := fmt.Sprintf("2026-11-%02d", 3+i%20)
		var v string
		var hdr []kgo.RecordHeader
		switch i % 5 {
		case 0, 1:
			v = fmt.Sprintf(`{"date":"%s","order_id":"%s","sku":"DRL-18V","location":"DC1","qty":%d}`, day, order(i, 0), q)
			hdr = []kgo.RecordHeader{{Key: "kind", Value: []byte("sales")}}
			f.rows++
			f.qty += q
		case 2:
			v = fmt.Sprintf(`[{"_kind":"sales","date":"%s","order_id":"%s","sku":"DRL-18V","location":"DC1","qty":%d},`+
				`{"_kind":"sales","date":"%s","order_id":"%s","sku":"HMR-16","location":"DC1","qty":%d}]`, day, order(i, 0), q, day, order(i, 1), q)
			f.rows += 2
			f.qty += 2 * q
		case 3:
			v = fmt.Sprintf(`{"kind":"sales","rows":[{"date":"%s","order_id":"%s","sku":"DRL-18V","location":"DC1","qty":%d},`+
				`{"date":"%s","order_id":"%s","sku":"NO-SUCH-SKU","location":"DC1","qty":1}]}`, day, order(i, 0), q, day, order(i, 1))
			f.rows++
			f.qty += q
		case 4:
			if i%10 == 4 {
				v = `not json at all`
			} else {
				v = fmt.Sprintf(`{"_kind":"sales","date":"%s","order_id":"%s","sku":"DRL-18V","location":"DC1","qty":%d}`, day, order(i, 0), q)
				f.rows++
				f.qty += q
			}
		}
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(i)), Value: []byte(v), Headers: hdr})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func newKafka(t testing.TB, topic string) (*kfake.Cluster, *kgo.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	return c, prod
}

// waitLedger waits until the ledger holds want lines beyond base.
func waitLedger(t testing.TB, e *engine.Engine, want int64, errc <-chan error) data.Totals {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tot, err := e.Store().LedgerTotals(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if tot.Lines >= want {
			return tot
		}
		select {
		case err := <-errc:
			t.Fatalf("consumer stopped with %d of %d lines: %v", tot.Lines, want, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledger holds %d lines, want %d", tot.Lines, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var errCrash = errors.New("crash between ledger and commit")

func TestEngine_ConsumeKafka_ExactlyOnceAcrossCrash(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	for _, k := range []string{"locations", "suppliers", "items"} {
		if _, err := e.Store().ImportFile(ctx, filepath.Join("../testdata/imports/good", k+".csv"), data.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	base, _ := e.Store().LedgerTotals(ctx)
	cluster, prod := newKafka(t, "feed")
	var feed kafkaFeed
	produceFeed(t, prod, "feed", 0, 200, &feed)

	m := engine.NewMetrics(nil)
	opt := engine.KafkaOptions{Brokers: cluster.ListenAddrs(), Topic: "feed", Group: "depot", MaxRecords: 23,
		Spool: t.TempDir(), Metrics: m, Logf: t.Logf}

	// Run 1 crashes after its third batch is in the ledger, before that
	// batch's offsets are committed.
	var batches atomic.Int32
	o1 := opt
	o1.BeforeCommit = func(int) error {
		if batches.Add(1) == 3 {
			return errCrash
		}
		return nil
	}
	c1, cancel1 := context.WithTimeout(ctx, 20*time.Second)
	defer cancel1()
	if err := e.ConsumeKafka(c1, o1); !errors.Is(err, errCrash) {
		t.Fatalf("run 1 ended with %v", err)
	}
	mid, _ := e.Store().LedgerTotals(ctx)
	if mid.Lines <= base.Lines || mid.Lines >= base.Lines+feed.rows {
		t.Fatalf("after the crash the ledger holds %d new lines of %d: the crash was not mid-stream", mid.Lines-base.Lines, feed.rows)
	}

	// Run 2 starts from the last commit: the crashed batch comes again.
	rctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- e.ConsumeKafka(rctx, opt) }()
	got := waitLedger(t, e, base.Lines+feed.rows, errc)
	// More rows while it runs.
	produceFeed(t, prod, "feed", 200, 50, &feed)
	got = waitLedger(t, e, base.Lines+feed.rows, errc)
	time.Sleep(300 * time.Millisecond) // a duplicate would land now
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	got, _ = e.Store().LedgerTotals(ctx)
	if got.Lines != base.Lines+feed.rows || got.Net != base.Net-feed.qty {
		t.Fatalf("ledger: %d lines netting %d; want %d lines netting %d", got.Lines-base.Lines, got.Net-base.Net, feed.rows, -feed.qty)
	}
	if err := e.Store().Check(ctx); err != nil {
		t.Fatal(err)
	}
	dups := metricValue(t, m, "stockroom_import_rows_total", "outcome", "duplicate")
	if dups <= 0 {
		t.Fatal("the crashed batch was not re-delivered (no duplicate rows skipped)")
	}
	rejected := metricValue(t, m, "stockroom_import_rows_total", "outcome", "rejected")
	if rejected < 1 {
		t.Fatalf("bad rows were not quarantined (%v)", rejected)
	}
	ops, _ := e.Store().OpsStats(ctx)
	if ops.QuarantineRows < 1 {
		t.Fatal("nothing in the quarantine")
	}
	files, _ := e.Store().Imports(ctx, 0, 10000)
	var sawSource bool
	for _, f := range files {
		if strings.Contains(f.Path, "sales.kafka-feed-") {
			sawSource = true
		}
	}
	if !sawSource {
		t.Fatal("no import logged under the feed's name")
	}

	// Run 3: everything was committed; nothing comes again.
	before := metricValue(t, m, "stockroom_import_rows_total", "outcome", "ok")
	rctx, cancel = context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	if err := e.ConsumeKafka(rctx, opt); err != nil {
		t.Fatal(err)
	}
	if after := metricValue(t, m, "stockroom_import_rows_total", "outcome", "ok"); after != before {
		t.Fatalf("run 3 imported %v rows again", after-before)
	}
	end, _ := e.Store().LedgerTotals(ctx)
	if end != got {
		t.Fatalf("run 3 changed the ledger: %+v → %+v", got, end)
	}
}
