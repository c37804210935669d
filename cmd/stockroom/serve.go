package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/model"
	"stockroom/tui"
)

// serveConfig is the config file's "serve" section; flags override it.
type serveConfig struct {
	SSH            string      `json:"ssh"`             // listen address, e.g. ":2222"
	AuthorizedKeys string      `json:"authorized_keys"` // ROLE NAME KEY lines
	HostKey        string      `json:"host_key"`        // default: ssh_host_ed25519_key next to the store
	Metrics        string      `json:"metrics"`         // e.g. ":9100"; "" for none
	Grace          string      `json:"grace"`           // how long sessions are warned before shutdown; default 5s
	Kafka          kafkaConfig `json:"kafka"`
}

// kafkaConfig is the Kafka feed: brokers, topic and consumer group.
type kafkaConfig struct {
	Brokers []string `json:"brokers"`
	Topic   string   `json:"topic"`
	Group   string   `json:"group"` // default "stockroom"
}

// scheduleEntry is one line of the config's "schedule" list:
// {"job": "backup", "cron": "0 1 * * *"}.
type scheduleEntry = engine.ScheduleEntry

// defaultSchedule is used when the config has no "schedule": a nightly
// forecast refit and proposals, hourly anomaly scans, a nightly backup and
// a Monday morning report. Entries whose job is not built into this
// stockroom are left out.
var defaultSchedule = []scheduleEntry{
	{Job: "backup", Cron: "0 1 * * *"},
	{Job: "forecast", Cron: "0 2 * * *"},
	{Job: "plan", Cron: "30 3 * * *"},
	{Job: "anomaly-scan", Cron: "15 * * * *"},
	{Job: "report", Cron: "0 6 * * 1"},
}

// engineJobs are the scheduled jobs the engines provide, by name: the
// forecast refit, the proposal recompute and the anomaly scan; backup and
// report are registered by serve itself.
func engineJobs(eng *engine.Engine, m *engine.Metrics) map[string]engine.Job {
	return map[string]engine.Job{
		"plan": func(ctx context.Context) error {
			_, err := eng.Plan(ctx, engine.PlanOptions{User: "schedule"})
			return err
		},
		"anomaly-scan": func(ctx context.Context) error {
			_, err := eng.ScanAnomalies(ctx, engine.ScanOptions{})
			return err
		},
		"forecast": func(ctx context.Context) error {
			start := time.Now()
			run, err := eng.ForecastAll(ctx, engine.ForecastOptions{User: "schedule"}, nil)
			if err != nil {
				return err
			}
			took := time.Since(start)
			// The gauge is by winning model and category, as the report's
			// sheet; all of them together is model "all", category "all".
			acc, err := eng.ForecastAccuracies(ctx)
			if err != nil {
				return err
			}
			acc = append(acc, engine.ForecastAccuracy{Model: "all", Category: "all", Series: run.Series, WAPE: run.WAPE})
			m.ObserveForecast(took, acc)
			return nil
		},
	}
}

func runServe(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "serve", "--db DB [--watch DIR]... --ssh :2222 --authorized-keys FILE [--metrics :9100] [--kafka BROKERS --topic T]", `
Run stockroom unattended on a depot machine: the folder watchers, the
schedule (forecast, proposals, anomaly scans, backups, reports), a
Prometheus endpoint, an optional Kafka feed, and an SSH server that gives
each person in the authorised keys file their own console with their role.

The authorised keys file has one key a line: ROLE NAME KEY, where ROLE is
viewer, operator or admin and KEY an OpenSSH public key line, e.g.
  operator alice ssh-ed25519 AAAAC3Nz… alice@laptop
Lines starting with # are comments. A bad line is reported with its line
number and skipped. The file is re-read when it changes. Only public keys
are accepted. The host key is made on first start, next to the store.

Over SSH, without a command you get the console; with one, e.g.
'ssh -p 2222 depot jobs', you get: whoami, jobs, run JOB, audit [N],
import NAME < FILE (admin). Exit status 3 means your role does not allow it.

SIGTERM or Ctrl-C shuts down in order: consoles are warned and closed,
imports and the Kafka batch in progress finish, then the store closes.`)
	db := dbFlag(c, fs)
	var watch dirList
	fs.Var(&watch, "watch", "import files dropped into this folder (repeatable)")
	sshAddr := fs.String("ssh", "", `SSH listen address (default ":2222", or the config's serve.ssh)`)
	keysPath := fs.String("authorized-keys", "", "the authorised keys file (ROLE NAME KEY lines)")
	hostKey := fs.String("host-key", "", "the SSH host key (default: ssh_host_ed25519_key next to the store; made if missing)")
	metricsAddr := fs.String("metrics", "", `serve Prometheus metrics on this address, e.g. ":9100"`)
	kafka := fs.String("kafka", "", "consume import rows from these Kafka brokers (comma-separated host:port)")
	topic := fs.String("topic", "", "the Kafka topic")
	group := fs.String("group", "", `the Kafka consumer group (default "stockroom")`)
	create := fs.Bool("create-items", false, "create unknown SKUs in imported rows instead of rejecting them")
	grace := fs.Duration("grace", 0, "how long consoles are warned before a shutdown closes them (default 5s)")
	poll := fs.Duration("poll", 500*time.Millisecond, "how often consoles look for commits by other processes")
	cfgPath := fs.String("config", defaultConfigPath(c.getenv), "config file (env STOCKROOM_CONFIG)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	sc := cfg.Serve
	pick := func(flag, conf, def string) string {
		if flag != "" {
			return flag
		}
		if conf != "" {
			return conf
		}
		return def
	}
	addr := pick(*sshAddr, sc.SSH, ":2222")
	keys := pick(*keysPath, sc.AuthorizedKeys, "")
	if keys == "" {
		return usageErrorf("serve: name the authorised keys file with --authorized-keys (or serve.authorized_keys in the config)")
	}
	if *grace == 0 {
		*grace = 5 * time.Second
		if sc.Grace != "" {
			if *grace, err = time.ParseDuration(sc.Grace); err != nil {
				return fmt.Errorf("config %s: serve.grace: %w", cfg.path, err)
			}
		}
	}
	kc := sc.Kafka
	if *kafka != "" {
		kc.Brokers = strings.Split(*kafka, ",")
	}
	kc.Topic = pick(*topic, kc.Topic, "")
	kc.Group = pick(*group, kc.Group, "stockroom")
	if len(kc.Brokers) > 0 && kc.Topic == "" {
		return usageErrorf("serve: --kafka needs --topic")
	}

	logger := log.New(c.stderr, "", log.LstdFlags)
	logf := logger.Printf

	eng, closeStore, err := openEngine(ctx, c, *db)
	if err != nil {
		return err
	}
	defer closeStore()
	defer eng.Close()
	dbPath := eng.Store().Path()
	dbDir := filepath.Dir(dbPath)
	metrics := engine.NewMetrics(eng)
	metrics.SetStatusFuncs(engine.StatusFuncs{
		OpenProposals: func(ctx context.Context) (int, float64, error) {
			t, err := eng.ProposalTotals(ctx, model.ProposalQuery{})
			return t.Count, t.Value, err
		},
		OpenAnomalies: eng.OpenAnomalies,
	})
	eng.OnProposalAction(func(a model.ProposalAction) { metrics.ProposalAction(string(a)) })

	// The schedule.
	sched := engine.NewSchedule(eng.Store(), eng.Hub(), metrics)
	sched.Logf = logf
	for name, job := range engineJobs(eng, metrics) {
		sched.Register(name, job)
	}
	sched.Register("backup", backupJob(eng, cfg.backupDir(dbDir), cfg.retention(), metrics, logf))
	sched.Register("report", reportJob(eng, cfg, dbDir, logf))
	entries := cfg.Schedule
	if entries == nil {
		registered := map[string]bool{}
		for _, j := range sched.Jobs() {
			registered[j] = true
		}
		for _, e := range defaultSchedule {
			if registered[e.Job] {
				entries = append(entries, e)
			}
		}
	}
	for _, e := range entries {
		if err := sched.Add(e); err != nil {
			return fmt.Errorf("config %s: %w", cfg.path, err)
		}
	}
	missed, err := sched.Start(ctx)
	if err != nil {
		return err
	}
	if len(missed) > 0 {
		logf("schedule: making up runs missed while stopped: %s", strings.Join(missed, ", "))
	}

	// The SSH server.
	ring, err := newKeyring(keys, logf)
	if err != nil {
		return err
	}
	theme, _ := tui.ThemeByName(cfg.Theme) // checked at load
	srv := &sshServer{eng: eng, sched: sched, metrics: metrics, keys: ring, cfg: cfg, theme: theme, poll: *poll,
		spool: filepath.Join(dbDir, "ssh-uploads"), logf: logf}
	hk := pick(*hostKey, sc.HostKey, filepath.Join(dbDir, "ssh_host_ed25519_key"))
	if err := newSSHServer(srv, addr, hk); err != nil {
		return fmt.Errorf("ssh: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("ssh: %w", err)
	}
	hostFP := ""
	if b, err := os.ReadFile(hk + ".pub"); err == nil {
		if pk, _, _, _, err := gossh.ParseAuthorizedKey(b); err == nil {
			hostFP = gossh.FingerprintSHA256(pk)
		}
	}
	logf("ssh: listening on %s (host key %s)", ln.Addr(), hostFP)

	// Background work: its context ends at shutdown, after the sessions.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var work sync.WaitGroup
	goWork := func(name string, fn func() error) {
		work.Add(1)
		go func() {
			defer work.Done()
			if err := fn(); err != nil && workCtx.Err() == nil {
				logf("%s: %v", name, err)
			}
		}()
	}
	goWork("schedule", func() error { return sched.Run(workCtx) })
	dirs := append(append([]string{}, cfg.Watch...), watch...)
	if len(dirs) > 0 {
		logf("watch: %s", strings.Join(dirs, ", "))
		goWork("watch", func() error {
			return watchFolders(workCtx, eng, metrics, dirs, data.ImportOptions{CreateItems: *create, User: "watch"}, logf)
		})
	}
	if len(kc.Brokers) > 0 {
		logf("kafka: consuming %s from %s as group %s", kc.Topic, strings.Join(kc.Brokers, ","), kc.Group)
		goWork("kafka", func() error {
			return eng.ConsumeKafka(workCtx, engine.KafkaOptions{Brokers: kc.Brokers, Topic: kc.Topic, Group: kc.Group,
				Spool: filepath.Join(dbDir, "kafka-spool"), Import: data.ImportOptions{CreateItems: *create, User: "kafka"},
				Metrics: metrics, Logf: logf})
		})
	}
	var metricsSrv *http.Server
	if ma := pick(*metricsAddr, sc.Metrics, ""); ma != "" {
		mln, err := net.Listen("tcp", ma)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", metrics.Handler())
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		logf("metrics: listening on http://%s/metrics", mln.Addr())
		go metricsSrv.Serve(mln)
	}
	sshDone := make(chan error, 1)
	go func() { sshDone <- srv.srv.Serve(ln) }()

	select {
	case <-ctx.Done():
	case err := <-sshDone:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			logf("ssh: %v", err)
		}
	}
	logf("shutting down: telling %d console(s), then finishing writes", srv.consoles())
	srv.shutdown(*grace, *grace+30*time.Second)
	stopWork()
	finished := make(chan struct{})
	go func() { work.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(2 * time.Minute):
		logf("shutdown: background work did not stop within 2 minutes")
	}
	if metricsSrv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		metricsSrv.Shutdown(sctx)
		cancel()
	}
	logf("stopped")
	return nil
}

// consoles counts open console sessions.
func (s *sshServer) consoles() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.programs)
}

// watchFolders imports files dropped into dirs. A file being imported when
// ctx ends is finished (its transaction commits); no new one starts.
func watchFolders(ctx context.Context, eng *engine.Engine, m *engine.Metrics, dirs []string, opt data.ImportOptions, logf func(string, ...any)) error {
	w := data.NewWatcher(dirs, func(ctx context.Context, paths []string) {
		for _, p := range paths {
			if ctx.Err() != nil {
				return // the rest are picked up at the next start
			}
			results, err := eng.Import(context.WithoutCancel(ctx), []string{p}, opt, nil)
			for _, r := range results {
				m.ObserveImport("watch", r)
				logf("watch: %s", importLine(r))
			}
			if err != nil {
				logf("watch: %s: %v", p, err)
			}
		}
	})
	w.Logf = func(format string, args ...any) { logf("watch: "+format, args...) }
	return w.Run(ctx)
}
