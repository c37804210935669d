package engine

import (
	"context"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"stockroom/data"
	"stockroom/model"
)

// Metrics are what `stockroom serve` exposes to Prometheus. Counters and
// histograms are fed as things happen (imports, sessions, scheduled runs);
// gauges about the store (stock status, quarantine, database size, open
// proposals and anomalies) are read from it when scraped, at most every
// few seconds. Every method is safe on a nil *Metrics, so code paths that
// run without monitoring need no checks.
type Metrics struct {
	reg *prometheus.Registry

	importRows     *prometheus.CounterVec
	importFiles    *prometheus.CounterVec
	importDuration *prometheus.HistogramVec

	forecastDuration prometheus.Histogram
	forecastAccuracy *prometheus.GaugeVec
	approvals        *prometheus.CounterVec

	sessions      prometheus.Gauge
	sessionsTotal *prometheus.CounterVec
	authRefused   prometheus.Counter
	denied        *prometheus.CounterVec

	jobRuns        *prometheus.CounterVec
	jobFailures    *prometheus.CounterVec
	jobDuration    *prometheus.HistogramVec
	jobLastSuccess *prometheus.GaugeVec

	backupLast  prometheus.Gauge
	backupBytes prometheus.Gauge

	kafkaRecords prometheus.Counter
	kafkaBatches prometheus.Counter

	store *storeCollector
}

// StatusFuncs are optional readers for gauges owned by other parts of the
// engine; nil ones are not exported. Set them with SetStatusFuncs.
type StatusFuncs struct {
	// OpenProposals returns how many proposals wait for a person and what
	// they would cost.
	OpenProposals func(ctx context.Context) (n int, value float64, err error)
	// OpenAnomalies returns how many anomalies are open.
	OpenAnomalies func(ctx context.Context) (int, error)
}

// NewMetrics returns the metrics of one serving process, reading store
// gauges from eng's store (nil: none).
func NewMetrics(eng *Engine) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.importRows = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_import_rows_total",
		Help: "Rows read from imports, by kind, source (watch, kafka, ssh) and outcome (ok, duplicate, rejected)."},
		[]string{"kind", "source", "outcome"})
	m.importFiles = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_import_files_total",
		Help: "Files (or message batches) imported, by kind, source and outcome (ok, rejected_rows, duplicate, failed)."},
		[]string{"kind", "source", "outcome"})
	m.importDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stockroom_import_duration_seconds",
		Help: "Time to import one file or batch, by source.", Buckets: prometheus.ExponentialBuckets(0.005, 3, 10)},
		[]string{"source"})
	m.forecastDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stockroom_forecast_run_duration_seconds",
		Help: "Time of a full forecast run.", Buckets: prometheus.ExponentialBuckets(1, 2, 14)})
	m.forecastAccuracy = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "stockroom_forecast_wape",
		Help: "Backtest WAPE of the last forecast run (0 is perfect), by model and category."}, []string{"model", "category"})
	m.approvals = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_proposal_actions_total",
		Help: "Actions people took on proposals (approve, reject, snooze, edit)."}, []string{"action"})
	m.sessions = prometheus.NewGauge(prometheus.GaugeOpts{Name: "stockroom_ssh_sessions", Help: "Open SSH sessions."})
	m.sessionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_ssh_sessions_total",
		Help: "SSH sessions opened, by role."}, []string{"role"})
	m.authRefused = prometheus.NewCounter(prometheus.CounterOpts{Name: "stockroom_ssh_auth_refused_total",
		Help: "SSH public keys refused (not in the authorised keys file)."})
	m.denied = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_actions_denied_total",
		Help: "Actions refused because the person's role does not allow them, by action."}, []string{"action"})
	m.jobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_schedule_runs_total",
		Help: "Scheduled (or manually started) job runs, by job."}, []string{"job"})
	m.jobFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stockroom_schedule_failures_total",
		Help: "Job runs that failed, by job."}, []string{"job"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stockroom_schedule_duration_seconds",
		Help: "Job run time, by job.", Buckets: prometheus.ExponentialBuckets(0.1, 3, 10)}, []string{"job"})
	m.jobLastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "stockroom_schedule_last_success_timestamp_seconds",
		Help: "When each job last succeeded (Unix time)."}, []string{"job"})
	m.backupLast = prometheus.NewGauge(prometheus.GaugeOpts{Name: "stockroom_backup_last_success_timestamp_seconds",
		Help: "When the last verified backup was written (Unix time)."})
	m.backupBytes = prometheus.NewGauge(prometheus.GaugeOpts{Name: "stockroom_backup_bytes",
		Help: "Size of the last backup, compressed."})
	m.kafkaRecords = prometheus.NewCounter(prometheus.CounterOpts{Name: "stockroom_kafka_records_total",
		Help: "Kafka records consumed and committed."})
	m.kafkaBatches = prometheus.NewCounter(prometheus.CounterOpts{Name: "stockroom_kafka_batches_total",
		Help: "Kafka polls imported and committed."})
	for _, c := range []prometheus.Collector{m.importRows, m.importFiles, m.importDuration, m.forecastDuration,
		m.forecastAccuracy, m.approvals, m.sessions, m.sessionsTotal, m.authRefused, m.denied, m.jobRuns, m.jobFailures,
		m.jobDuration, m.jobLastSuccess, m.backupLast, m.backupBytes, m.kafkaRecords, m.kafkaBatches} {
		f(c)
	}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if eng != nil {
		m.store = newStoreCollector(eng)
		f(m.store)
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry is where the metrics are registered, for tests and for adding
// more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SetStatusFuncs plugs in the readers of gauges other engines own.
func (m *Metrics) SetStatusFuncs(f StatusFuncs) {
	if m == nil || m.store == nil {
		return
	}
	m.store.mu.Lock()
	m.store.funcs = f
	m.store.mu.Unlock()
}

// ObserveImport counts one imported file or batch.
func (m *Metrics) ObserveImport(source string, r data.FileResult) {
	if m == nil {
		return
	}
	kind := string(r.Kind)
	if kind == "" {
		kind = "unknown"
	}
	outcome := "ok"
	switch {
	case r.Failed():
		outcome = "failed"
	case r.Duplicate:
		outcome = "duplicate"
	case r.RowsRejected > 0:
		outcome = "rejected_rows"
	}
	m.importFiles.WithLabelValues(kind, source, outcome).Inc()
	m.importRows.WithLabelValues(kind, source, "ok").Add(float64(r.RowsOK))
	m.importRows.WithLabelValues(kind, source, "duplicate").Add(float64(r.RowsDuplicate))
	m.importRows.WithLabelValues(kind, source, "rejected").Add(float64(r.RowsRejected))
	m.importDuration.WithLabelValues(source).Observe(r.Seconds)
}

// ObserveForecast records a full forecast run: its duration and the
// backtest accuracy by model and category.
func (m *Metrics) ObserveForecast(d time.Duration, acc []ForecastAccuracy) {
	if m == nil {
		return
	}
	m.forecastDuration.Observe(d.Seconds())
	m.forecastAccuracy.Reset()
	for _, a := range acc {
		if !math.IsNaN(a.WAPE) { // not known: no backtest, or nothing sold in it
			m.forecastAccuracy.WithLabelValues(a.Model, a.Category).Set(a.WAPE)
		}
	}
}

// ProposalAction counts an action a person took on a proposal.
func (m *Metrics) ProposalAction(action string) {
	if m == nil {
		return
	}
	m.approvals.WithLabelValues(action).Inc()
}

// SessionOpened counts an SSH session; call the returned func when it ends.
func (m *Metrics) SessionOpened(role model.Role) func() {
	if m == nil {
		return func() {}
	}
	m.sessions.Inc()
	m.sessionsTotal.WithLabelValues(string(role)).Inc()
	var once sync.Once
	return func() { once.Do(m.sessions.Dec) }
}

// AuthRefused counts a key that was refused.
func (m *Metrics) AuthRefused() {
	if m != nil {
		m.authRefused.Inc()
	}
}

// Denied counts an action refused for the person's role.
func (m *Metrics) Denied(action string) {
	if m != nil {
		m.denied.WithLabelValues(action).Inc()
	}
}

// JobRun records a run of a scheduled job.
func (m *Metrics) JobRun(job string, d time.Duration, err error, end time.Time) {
	if m == nil {
		return
	}
	m.jobRuns.WithLabelValues(job).Inc()
	m.jobDuration.WithLabelValues(job).Observe(d.Seconds())
	if err != nil {
		m.jobFailures.WithLabelValues(job).Inc()
		return
	}
	// Touch the failure series so that rate() sees it from zero.
	m.jobFailures.WithLabelValues(job).Add(0)
	m.jobLastSuccess.WithLabelValues(job).Set(float64(end.Unix()))
}

// Backup records a verified backup.
func (m *Metrics) Backup(at time.Time, bytes int64) {
	if m == nil {
		return
	}
	m.backupLast.Set(float64(at.Unix()))
	m.backupBytes.Set(float64(bytes))
}

// KafkaCommitted counts records whose offsets were committed after their
// rows reached the ledger.
func (m *Metrics) KafkaCommitted(records int) {
	if m == nil {
		return
	}
	m.kafkaRecords.Add(float64(records))
	m.kafkaBatches.Inc()
}

// storeCollector reads gauges from the store at scrape time, caching them
// briefly so that several scrapers do not each run the queries.
type storeCollector struct {
	eng *Engine

	mu      sync.Mutex
	funcs   StatusFuncs
	at      time.Time
	metrics []prometheus.Metric

	status, stockouts, quarantineFiles, quarantineRows, rejected7d, failed7d, dbBytes, lastImport,
	proposals, proposalValue, anomalies, scrapeErrors *prometheus.Desc
	errCount float64
}

// storeCacheFor is how long store gauges are reused between scrapes.
const storeCacheFor = 5 * time.Second

func newStoreCollector(eng *Engine) *storeCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &storeCollector{eng: eng,
		status:          d("stockroom_stock_rows", "Item×location rows by stock status.", "status"),
		stockouts:       d("stockroom_stockouts", "Item×locations out of stock."),
		quarantineFiles: d("stockroom_quarantine_files", "Imported files with rows in the quarantine."),
		quarantineRows:  d("stockroom_quarantine_rows", "Rows in the quarantine."),
		rejected7d:      d("stockroom_rejected_rows_7d", "Rows rejected by imports over the last 7 days."),
		failed7d:        d("stockroom_failed_files_7d", "Files that could not be imported at all over the last 7 days."),
		dbBytes:         d("stockroom_db_bytes", "Size of the database on disk, by file (main, wal).", "file"),
		lastImport:      d("stockroom_last_import_timestamp_seconds", "When the last import finished (Unix time)."),
		proposals:       d("stockroom_proposals_open", "Reorder proposals waiting for a person."),
		proposalValue:   d("stockroom_proposals_open_value", "What the open proposals would cost."),
		anomalies:       d("stockroom_anomalies_open", "Open anomalies."),
		scrapeErrors:    d("stockroom_metrics_store_errors_total", "Store reads for metrics that failed."),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.status, c.stockouts, c.quarantineFiles, c.quarantineRows, c.rejected7d,
		c.failed7d, c.dbBytes, c.lastImport, c.proposals, c.proposalValue, c.anomalies, c.scrapeErrors} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > storeCacheFor || c.metrics == nil {
		c.metrics = c.read()
		c.at = time.Now()
	}
	for _, m := range c.metrics {
		ch <- m
	}
}

func (c *storeCollector) read() []prometheus.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []prometheus.Metric
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	if o, err := c.eng.Overview(ctx); err == nil {
		for _, st := range []model.Status{model.StatusOut, model.StatusLow, model.StatusOK, model.StatusOver, model.StatusDead, model.StatusNew, model.StatusIdle} {
			g(c.status, float64(o.ByStatus[st]), string(st))
		}
		g(c.stockouts, float64(o.ByStatus[model.StatusOut]))
		g(c.rejected7d, float64(o.Rejected))
		g(c.failed7d, float64(o.FailedFiles))
		if !o.LastImport.IsZero() {
			g(c.lastImport, float64(o.LastImport.Unix()))
		}
	} else {
		c.errCount++
	}
	if s, err := c.eng.Store().OpsStats(ctx); err == nil {
		g(c.quarantineFiles, float64(s.QuarantineFiles))
		g(c.quarantineRows, float64(s.QuarantineRows))
		g(c.dbBytes, float64(s.DBBytes), "main")
		g(c.dbBytes, float64(s.WALBytes), "wal")
	} else {
		c.errCount++
	}
	if f := c.funcs.OpenProposals; f != nil {
		if n, v, err := f(ctx); err == nil {
			g(c.proposals, float64(n))
			g(c.proposalValue, v)
		} else {
			c.errCount++
		}
	}
	if f := c.funcs.OpenAnomalies; f != nil {
		if n, err := f(ctx); err == nil {
			g(c.anomalies, float64(n))
		} else {
			c.errCount++
		}
	}
	out = append(out, prometheus.MustNewConstMetric(c.scrapeErrors, prometheus.CounterValue, c.errCount))
	return out
}
