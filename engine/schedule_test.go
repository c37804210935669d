package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"stockroom/engine"
	"stockroom/model"
)

func TestCron_Next(t *testing.T) {
	at := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04 Mon", s, time.UTC)
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02 15:04", s, time.UTC)
		}
		if err != nil {
			panic(err)
		}
		return t
	}
	tests := []struct {
		cron, after, want string
	}{
		{"0 2 * * *", "2026-03-10 01:59", "2026-03-10 02:00"},
		{"0 2 * * *", "2026-03-10 02:00", "2026-03-11 02:00"},
		{"*/15 * * * *", "2026-03-10 10:07", "2026-03-10 10:15"},
		{"30 6 * * 1", "2026-03-10 07:00", "2026-03-16 06:30"}, // next Monday
		{"0 0 1 * *", "2026-01-31 12:00", "2026-02-01 00:00"},
		{"0 9 * * 1-5", "2026-03-13 09:00", "2026-03-16 09:00"}, // Friday → Monday
		{"0 0 13 * 5", "2026-03-01 00:00", "2026-03-06 00:00"},  // the 13th OR a Friday: Friday 6th first
		{"0 0 29 2 *", "2026-03-01 00:00", "2028-02-29 00:00"},
		{"@hourly", "2026-03-10 10:00", "2026-03-10 11:00"},
		{"@weekly", "2026-03-10 10:00", "2026-03-15 00:00"}, // Sunday
		{"0 12 * * 7", "2026-03-10 10:00", "2026-03-15 12:00"},
		{"5,10 1 * * *", "2026-03-10 01:05", "2026-03-10 01:10"},
	}
	for _, tc := range tests {
		c, err := engine.ParseCron(tc.cron)
		if err != nil {
			t.Fatalf("%s: %v", tc.cron, err)
		}
		if got := c.Next(at(tc.after)); !got.Equal(at(tc.want)) {
			t.Errorf("%q after %s: %s, want %s", tc.cron, tc.after, got.Format("2006-01-02 15:04 Mon"), tc.want)
		}
	}
	for _, bad := range []string{"", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "*/0 * * * *", "a * * * *", "5-1 * * * *", "@every 0s"} {
		if _, err := engine.ParseCron(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// memState is a ScheduleState in memory.
type memState struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memState) Meta(_ context.Context, k string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k], nil
}

func (s *memState) SetMeta(_ context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
	return nil
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestSchedule_MissedRunsOnceAtStart(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	state := &memState{m: map[string]string{
		// The nightly backup last ran three nights ago: two runs were
		// missed while the machine was off.
		"schedule.last.backup": time.Date(2026, 3, 7, 2, 0, 0, 0, time.UTC).Format(time.RFC3339Nano),
		// The hourly scan ran at 08:30: nothing missed.
		"schedule.last.scan": time.Date(2026, 3, 10, 8, 30, 0, 0, time.UTC).Format(time.RFC3339Nano),
	}}
	hub := engine.NewHub()
	sub, stop := hub.Subscribe()
	defer stop()
	s := engine.NewSchedule(state, hub, nil)
	s.Now = clock.Now
	runs := map[string]int{}
	s.Register("backup", func(context.Context) error { runs["backup"]++; return nil })
	s.Register("scan", func(context.Context) error { runs["scan"]++; return nil })
	s.Register("report", func(context.Context) error { runs["report"]++; return nil })
	for _, e := range []engine.ScheduleEntry{{Job: "backup", Cron: "0 2 * * *"}, {Job: "scan", Cron: "30 * * * *"}, {Job: "report", Cron: "0 6 * * 1"}} {
		if err := s.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	missed, err := s.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(missed, ",") != "backup" {
		t.Fatalf("missed %v, want [backup]", missed)
	}
	if err := s.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if runs["backup"] != 1 || runs["scan"] != 0 || runs["report"] != 0 {
		t.Fatalf("runs at start %v", runs)
	}
	select {
	case c := <-sub:
		if c.Kind != model.ChangeExternal || !strings.Contains(c.Text, "backup done") {
			t.Fatalf("change %+v", c)
		}
	default:
		t.Fatal("no change published")
	}
	// The report has never run: it starts counting from now, and a fresh
	// start would not make it up.
	if state.m["schedule.last.report"] == "" {
		t.Fatal("report's baseline not recorded")
	}
	// 09:30: the scan is due, once.
	clock.Set(time.Date(2026, 3, 10, 9, 31, 0, 0, time.UTC))
	s.RunDue(ctx)
	s.RunDue(ctx)
	if runs["scan"] != 1 || runs["backup"] != 1 {
		t.Fatalf("runs at 09:31 %v", runs)
	}
	// Restart the next day at 03:00 after a crash at 01:00: last night's
	// backup (02:00) was missed; the hourly scan missed several slots but
	// runs once.
	clock.Set(time.Date(2026, 3, 11, 3, 0, 0, 0, time.UTC))
	s2 := engine.NewSchedule(state, nil, nil)
	s2.Now = clock.Now
	for _, j := range []string{"backup", "scan", "report"} {
		s2.Register(j, func(context.Context) error { runs[j]++; return nil })
	}
	for _, e := range []engine.ScheduleEntry{{Job: "backup", Cron: "0 2 * * *"}, {Job: "scan", Cron: "30 * * * *"}, {Job: "report", Cron: "0 6 * * 1"}} {
		s2.Add(e)
	}
	missed, _ = s2.Start(ctx)
	if strings.Join(missed, ",") != "backup,scan" {
		t.Fatalf("missed after restart %v", missed)
	}
	s2.RunDue(ctx)
	if runs["backup"] != 2 || runs["scan"] != 2 || runs["report"] != 0 {
		t.Fatalf("runs after restart %v", runs)
	}
	for _, st := range s2.Status() {
		if st.Name == "scan" && !st.Next.Equal(time.Date(2026, 3, 11, 3, 30, 0, 0, time.UTC)) {
			t.Fatalf("scan next %s", st.Next)
		}
	}
}

func TestSchedule_FailuresVisible(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	m := engine.NewMetrics(nil)
	hub := engine.NewHub()
	sub, stop := hub.Subscribe()
	defer stop()
	s := engine.NewSchedule(&memState{m: map[string]string{}}, hub, m)
	s.Now = clock.Now
	s.Register("plan", func(context.Context) error { return errors.New("no forecasts yet") })
	s.Register("boom", func(context.Context) error { panic("bad index") })
	s.Register("ok", func(context.Context) error { clock.Set(clock.Now().Add(2 * time.Second)); return nil })
	s.Add(engine.ScheduleEntry{Job: "plan", Cron: "@every 1m"})
	s.Add(engine.ScheduleEntry{Job: "boom", Cron: "@every 1m"})
	s.Add(engine.ScheduleEntry{Job: "ok", Cron: "@every 1m"})
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Set(clock.Now().Add(time.Minute))
	s.RunDue(ctx)
	st := map[string]engine.EntryStatus{}
	for _, e := range s.Status() {
		st[e.Name] = e
	}
	if st["plan"].Failures != 1 || st["plan"].LastErr != "no forecasts yet" {
		t.Fatalf("plan status %+v", st["plan"])
	}
	if st["boom"].Failures != 1 || !strings.Contains(st["boom"].LastErr, "panic: bad index") {
		t.Fatalf("boom status %+v", st["boom"])
	}
	if st["ok"].Failures != 0 || st["ok"].Runs != 1 || st["ok"].LastDuration != 2*time.Second {
		t.Fatalf("ok status %+v", st["ok"])
	}
	var texts []string
	for len(sub) > 0 {
		texts = append(texts, (<-sub).Text)
	}
	if len(texts) != 3 || !strings.Contains(strings.Join(texts, "\n"), "plan failed after 0s: no forecasts yet") {
		t.Fatalf("published %q", texts)
	}
	if got := metricValue(t, m, "stockroom_schedule_failures_total", "job", "plan"); got != 1 {
		t.Fatalf("plan failures metric %v", got)
	}
	if got := metricValue(t, m, "stockroom_schedule_runs_total", "job", "ok"); got != 1 {
		t.Fatalf("ok runs metric %v", got)
	}
	// RunNow: by name, audited by who started it in the published text.
	if err := s.RunNow(ctx, "ok", model.Actor{Name: "ann", Role: model.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if c := <-sub; !strings.Contains(c.Text, "started by ann") {
		t.Fatalf("manual run published %q", c.Text)
	}
	if err := s.RunNow(ctx, "nope", model.Actor{}); !errors.Is(err, engine.ErrNoJob) {
		t.Fatalf("unknown job: %v", err)
	}
	if err := s.Add(engine.ScheduleEntry{Job: "nope", Cron: "@daily"}); err == nil || !strings.Contains(err.Error(), "boom, ok, plan") {
		t.Fatalf("unknown job entry: %v", err)
	}
	if err := s.Add(engine.ScheduleEntry{Job: "ok", Cron: "0 0 31 2 *"}); err == nil {
		t.Fatal("a cron that never fires was accepted")
	}
}

// metricValue reads one series from the metrics registry; -1 when absent.
func metricValue(t testing.TB, m *engine.Metrics, name, label, value string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			match := label == ""
			for _, lp := range mt.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					match = true
				}
			}
			if !match {
				continue
			}
			switch {
			case mt.Counter != nil:
				return mt.GetCounter().GetValue()
			case mt.Gauge != nil:
				return mt.GetGauge().GetValue()
			case mt.Histogram != nil:
				return float64(mt.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}
