package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"stockroom/data"
)

// KafkaOptions configure the Kafka feed.
type KafkaOptions struct {
	Brokers []string
	Topic   string
	Group   string // consumer group; offsets are committed to it
	// Kind is the import kind of rows that name none; "" lets the
	// importer tell it from the row's fields, as for a file's header.
	Kind data.Kind
	// Spool is the folder where each batch is written before it is
	// imported (next to the store); it is emptied as batches commit.
	Spool string
	// MaxRecords bounds one batch; 0: 20,000.
	MaxRecords int
	// Linger is how long to keep collecting records for a batch after the
	// first arrives; 0: 1 s, negative: import each poll as it comes.
	Linger  time.Duration
	Import  data.ImportOptions
	Metrics *Metrics
	Logf    func(format string, args ...any)
	// BeforeCommit, when set, runs after a batch's rows are in the ledger
	// and before its offsets are committed; an error stops the consumer
	// there without committing. Tests crash the consumer with it.
	BeforeCommit func(records int) error
	// ClientOpts are extra franz-go options (TLS, SASL, timeouts).
	ClientOpts []kgo.Opt
}

// KafkaBatchResult is what one poll's records did.
type KafkaBatchResult struct {
	Records int
	Files   []data.FileResult
}

// ConsumeKafka imports rows from a Kafka topic until ctx ends. A message's
// value is one import row (a JSON object), a JSON array of rows, or a
// batch {"kind": K, "rows": [...]}. A row's import kind comes from its
// "_kind" field, else the batch's "kind", else the record header "kind",
// else KafkaOptions.Kind, else from its fields as a file's kind comes from
// its header. Each poll's rows are written per kind to a file in the spool
// and imported through the same validation, quarantine and natural-key
// de-duplication as dropped files; only then are the offsets committed.
// A crash between the two re-delivers the batch, whose rows the natural
// keys then skip: nothing is lost and nothing counts twice. The batch in
// progress when ctx ends is finished and committed.
func (e *Engine) ConsumeKafka(ctx context.Context, opt KafkaOptions) error {
	if len(opt.Brokers) == 0 || opt.Topic == "" {
		return errors.New("kafka: brokers and topic are required")
	}
	if opt.Group == "" {
		opt.Group = "stockroom"
	}
	if opt.MaxRecords <= 0 {
		opt.MaxRecords = 20000
	}
	if opt.Linger == 0 {
		opt.Linger = time.Second
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	if opt.Spool == "" {
		opt.Spool = filepath.Join(filepath.Dir(e.store.Path()), "kafka-spool")
	}
	if err := os.MkdirAll(opt.Spool, 0o755); err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(opt.Brokers...),
		kgo.ConsumerGroup(opt.Group),
		kgo.ConsumeTopics(opt.Topic),
		kgo.DisableAutoCommit(),
		// Hold rebalances while a batch is being imported, so a partition
		// is never handed to another consumer between import and commit.
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}, opt.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	for {
		if ctx.Err() != nil {
			return nil
		}
		recs, closed := pollBatch(ctx, cl, opt)
		if closed {
			return nil
		}
		if len(recs) == 0 {
			cl.AllowRebalance()
			continue
		}
		// Finish the batch even when ctx ends now: its rows go in and its
		// offsets are committed.
		wctx := context.WithoutCancel(ctx)
		for attempt := 0; ; attempt++ {
			_, err = e.importKafkaBatch(wctx, recs, opt)
			if err == nil {
				break
			}
			opt.Logf("kafka: import of %d records failed (%v); retrying", len(recs), err)
			select {
			case <-ctx.Done():
				// Not committed: the batch comes back at the next start.
				cl.AllowRebalance()
				return nil
			case <-time.After(min(time.Minute, time.Second<<min(attempt, 6))):
			}
		}
		if opt.BeforeCommit != nil {
			if err := opt.BeforeCommit(len(recs)); err != nil {
				cl.AllowRebalance()
				return err
			}
		}
		cctx, cancel := context.WithTimeout(wctx, 30*time.Second)
		err = cl.CommitRecords(cctx, recs...)
		cancel()
		if err != nil {
			// The rows are in; a re-delivery is skipped by natural key.
			opt.Logf("kafka: commit: %v", err)
		} else {
			opt.Metrics.KafkaCommitted(len(recs))
		}
		cl.AllowRebalance()
	}
}

// pollBatch waits for records, then keeps polling for up to Linger (or
// until MaxRecords or 16 MiB) so that a trickle of small messages is
// imported as one file: an import costs per item it touches, not only
// per row, so bigger batches go much faster.
func pollBatch(ctx context.Context, cl *kgo.Client, opt KafkaOptions) ([]*kgo.Record, bool) {
	var recs []*kgo.Record
	size := 0
	pctx := ctx
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	for {
		fetches := cl.PollRecords(pctx, opt.MaxRecords-len(recs))
		if fetches.IsClientClosed() {
			return recs, true
		}
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				opt.Logf("kafka: %s[%d]: %v", t, p, err)
			}
		})
		for _, r := range fetches.Records() {
			recs = append(recs, r)
			size += len(r.Value)
		}
		switch {
		case len(recs) > 0 && opt.Linger < 0,
			len(recs) >= opt.MaxRecords, size >= 16<<20,
			pctx.Err() != nil, ctx.Err() != nil:
			return recs, false
		case len(recs) > 0 && pctx == ctx:
			c, cancel := context.WithTimeout(ctx, opt.Linger)
			pctx, cancels = c, append(cancels, cancel)
		}
	}
}

// kafkaRow is one row taken from a record, with where it came from.
type kafkaRow struct {
	kind data.Kind
	obj  map[string]json.RawMessage // nil when the value was not JSON
	raw  []byte
	at   string // topic/partition@offset
}

// rowsOf splits a record into rows.
func rowsOf(r *kgo.Record, def data.Kind) []kafkaRow {
	kind := def
	for _, h := range r.Headers {
		if strings.EqualFold(h.Key, "kind") && len(h.Value) > 0 {
			kind = data.Kind(strings.ToLower(strings.TrimSpace(string(h.Value))))
		}
	}
	at := fmt.Sprintf("%s/%d@%d", r.Topic, r.Partition, r.Offset)
	v := bytes.TrimSpace(r.Value)
	bad := []kafkaRow{{kind: kind, raw: v, at: at}}
	var objs []map[string]json.RawMessage
	switch {
	case len(v) > 0 && v[0] == '[':
		var arr []json.RawMessage
		if json.Unmarshal(v, &arr) != nil {
			return bad
		}
		var out []kafkaRow
		for i, el := range arr {
			var o map[string]json.RawMessage
			if json.Unmarshal(el, &o) != nil {
				out = append(out, kafkaRow{kind: kind, raw: el, at: fmt.Sprintf("%s[%d]", at, i)})
				continue
			}
			out = append(out, kafkaRow{kind: kind, obj: o, at: fmt.Sprintf("%s[%d]", at, i)})
		}
		return withRowKinds(out)
	case len(v) > 0 && v[0] == '{':
		var o map[string]json.RawMessage
		if json.Unmarshal(v, &o) != nil {
			return bad
		}
		if rows, ok := o["rows"]; ok && bytes.HasPrefix(bytes.TrimSpace(rows), []byte("[")) {
			if k, ok := o["kind"]; ok {
				var s string
				if json.Unmarshal(k, &s) == nil && s != "" {
					kind = data.Kind(strings.ToLower(strings.TrimSpace(s)))
				}
			}
			var arr []json.RawMessage
			if json.Unmarshal(rows, &arr) != nil {
				return bad
			}
			var out []kafkaRow
			for i, el := range arr {
				var ro map[string]json.RawMessage
				if json.Unmarshal(el, &ro) != nil {
					out = append(out, kafkaRow{kind: kind, raw: el, at: fmt.Sprintf("%s[%d]", at, i)})
					continue
				}
				out = append(out, kafkaRow{kind: kind, obj: ro, at: fmt.Sprintf("%s[%d]", at, i)})
			}
			return withRowKinds(out)
		}
		objs = append(objs, o)
	default:
		return bad
	}
	return withRowKinds([]kafkaRow{{kind: kind, obj: objs[0], at: at}})
}

// withRowKinds applies each row's own "_kind" field, which wins.
func withRowKinds(rows []kafkaRow) []kafkaRow {
	for i := range rows {
		o := rows[i].obj
		if o == nil {
			continue
		}
		for _, f := range []string{"_kind", "import_kind"} {
			if k, ok := o[f]; ok {
				var s string
				if json.Unmarshal(k, &s) == nil && s != "" {
					rows[i].kind = data.Kind(strings.ToLower(strings.TrimSpace(s)))
				}
				delete(o, f)
			}
		}
	}
	return rows
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// importKafkaBatch imports a poll's rows, one file per kind, and returns
// the files' results. An error is a failure of the store (nothing of the
// failing file committed); bad rows are quarantined, not errors.
func (e *Engine) importKafkaBatch(ctx context.Context, recs []*kgo.Record, opt KafkaOptions) (KafkaBatchResult, error) {
	res := KafkaBatchResult{Records: len(recs)}
	byKind := map[data.Kind][]kafkaRow{}
	var kinds []data.Kind
	for _, r := range recs {
		for _, row := range rowsOf(r, opt.Kind) {
			if _, ok := byKind[row.kind]; !ok {
				kinds = append(kinds, row.kind)
			}
			byKind[row.kind] = append(byKind[row.kind], row)
		}
	}
	// Master data before the rows that refer to it, as for a folder.
	sort.SliceStable(kinds, func(i, j int) bool { return data.KindOrder(kinds[i]) < data.KindOrder(kinds[j]) })
	span := fmt.Sprintf("%d-%d", recs[0].Offset, recs[len(recs)-1].Offset)
	for _, k := range kinds {
		name := string(k)
		if name == "" {
			name = "rows"
		}
		base := unsafeName.ReplaceAllString(fmt.Sprintf("%s.kafka-%s-p%d-%s", name, opt.Topic, recs[0].Partition, span), "_")
		files, err := e.importRows(ctx, opt, k, base, byKind[k])
		res.Files = append(res.Files, files...)
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// importRows writes rows as NDJSON and imports them. A file the importer
// cannot take at all (its first row lacks a required field, so the "header"
// is wrong) is split in halves until the bad rows stand alone, so one bad
// message never keeps good ones out.
func (e *Engine) importRows(ctx context.Context, opt KafkaOptions, kind data.Kind, base string, rows []kafkaRow) ([]data.FileResult, error) {
	path := filepath.Join(opt.Spool, base+".ndjson")
	if err := writeNDJSON(path, rows); err != nil {
		return nil, fmt.Errorf("kafka spool: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			os.Remove(path)
		}
	}()
	io := opt.Import
	io.Kind = kind
	results, err := e.Import(ctx, []string{path}, io, nil)
	if err != nil {
		return results, err
	}
	known := kind == ""
	for _, k := range data.Kinds() {
		known = known || k == kind
	}
	if len(results) == 1 && results[0].Failed() && len(rows) > 1 && known {
		half := len(rows) / 2
		a, err := e.importRows(ctx, opt, kind, base+"a", rows[:half])
		if err != nil {
			return append(results, a...), err
		}
		b, err := e.importRows(ctx, opt, kind, base+"b", rows[half:])
		return append(append(results, a...), b...), err
	}
	for _, r := range results {
		opt.Metrics.ObserveImport("kafka", r)
		if r.Failed() {
			// Kept for a person to look at: a failed file has no rows in
			// the quarantine.
			failed := filepath.Join(opt.Spool, "failed")
			if os.MkdirAll(failed, 0o755) == nil && os.Rename(path, filepath.Join(failed, filepath.Base(path))) == nil {
				keep = true
			}
			opt.Logf("kafka: %s not imported: %s (kept in %s)", base, r.Error, failed)
		} else if r.RowsRejected > 0 {
			opt.Logf("kafka: %s: %d rows rejected (see the quarantine)", base, r.RowsRejected)
		}
	}
	return results, nil
}

// writeNDJSON writes one row a line; each row carries "_source" (topic,
// partition and offset), which the importer ignores and the quarantine
// keeps in the raw line.
func writeNDJSON(path string, rows []kafkaRow) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	for _, r := range rows {
		if r.obj == nil {
			// Not a JSON object: written as it came, for the importer to
			// reject with its reason.
			w.Write(bytes.ReplaceAll(r.raw, []byte("\n"), []byte(" ")))
			w.WriteByte('\n')
			continue
		}
		src, _ := json.Marshal(r.at)
		r.obj["_source"] = src
		b, err := json.Marshal(r.obj)
		if err != nil {
			f.Close()
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
