package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"stockroom/model"
)

// Job is work the schedule runs: a forecast refit, a proposal recompute, an
// anomaly scan, a backup, a report. It must stop when ctx ends; whatever it
// writes should be transactional, so a job stopped half-way leaves nothing
// half-done.
type Job func(ctx context.Context) error

// ScheduleEntry says when to run a job: Cron is a five-field cron line
// (minute hour day-of-month month day-of-week, local time) or @hourly,
// @daily, @weekly, @monthly, @every DURATION. Name defaults to the job's.
type ScheduleEntry struct {
	Name string `json:"name,omitempty"`
	Job  string `json:"job"`
	Cron string `json:"cron"`
}

// ScheduleState keeps when each entry last ran, so that a run missed while
// the process was down is made up once at start. data.Store satisfies it.
type ScheduleState interface {
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
}

// EntryStatus is what the console and `ssh … jobs` show about an entry.
type EntryStatus struct {
	Name, Job, Cron string
	Next            time.Time
	LastRun         time.Time // start of the last run; zero if none since the store was created
	LastDuration    time.Duration
	LastErr         string // "" when the last run succeeded
	Running         bool
	Runs, Failures  int // in this process
}

// Schedule runs registered jobs at the times of their entries, one job at
// a time (they share one SQLite writer and two cores), publishes each
// run's outcome to the hub and counts it in the metrics.
type Schedule struct {
	state   ScheduleState
	hub     *Hub
	metrics *Metrics
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Logf reports runs and failures.
	Logf func(format string, args ...any)

	mu      sync.Mutex
	jobs    map[string]Job
	entries []*schedEntry
	runMu   sync.Mutex // held while a job runs
	kick    chan struct{}
}

type schedEntry struct {
	ScheduleEntry
	spec    Cron
	next    time.Time
	status  EntryStatus
	running bool
}

// NewSchedule returns an empty schedule. hub and metrics may be nil.
func NewSchedule(state ScheduleState, hub *Hub, metrics *Metrics) *Schedule {
	return &Schedule{state: state, hub: hub, metrics: metrics, Now: time.Now, Logf: func(string, ...any) {},
		jobs: map[string]Job{}, kick: make(chan struct{}, 1)}
}

// Register makes a job available to entries and to RunNow under name.
// Registering a name again replaces the job.
func (s *Schedule) Register(name string, job Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs[name] = job
}

// Jobs lists the registered job names, sorted.
func (s *Schedule) Jobs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.jobs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Add adds an entry; its job must be registered and its name unique.
func (s *Schedule) Add(e ScheduleEntry) error {
	if e.Name == "" {
		e.Name = e.Job
	}
	spec, err := ParseCron(e.Cron)
	if err != nil {
		return fmt.Errorf("schedule %s: %w", e.Name, err)
	}
	if spec.Next(s.Now()).IsZero() {
		return fmt.Errorf("schedule %s: cron %q never fires", e.Name, e.Cron)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.jobs[e.Job]; !ok {
		var names []string
		for n := range s.jobs {
			names = append(names, n)
		}
		slices.Sort(names)
		return fmt.Errorf("schedule %s: no job %q (jobs: %s)", e.Name, e.Job, strings.Join(names, ", "))
	}
	for _, x := range s.entries {
		if x.Name == e.Name {
			return fmt.Errorf("schedule %s: two entries with this name; give one a \"name\"", e.Name)
		}
	}
	s.entries = append(s.entries, &schedEntry{ScheduleEntry: e, spec: spec,
		status: EntryStatus{Name: e.Name, Job: e.Job, Cron: e.Cron}})
	return nil
}

func stateKey(name string) string { return "schedule.last." + name }

// Start works out each entry's next run from when it last ran and returns
// the entries whose run was missed (their time passed while nothing ran
// them): Run makes each of those up once, straight away. An entry that has
// never run starts counting from now.
func (s *Schedule) Start(ctx context.Context) ([]string, error) {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var missed []string
	for _, e := range s.entries {
		v, err := s.state.Meta(ctx, stateKey(e.Name))
		if err != nil {
			return nil, fmt.Errorf("schedule: %w", err)
		}
		last := now
		if v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, fmt.Errorf("schedule %s: last run %q: %w", e.Name, v, err)
			}
			last = t
			e.status.LastRun = t
		} else if err := s.state.SetMeta(ctx, stateKey(e.Name), now.Format(time.RFC3339Nano)); err != nil {
			return nil, fmt.Errorf("schedule: %w", err)
		}
		e.next = e.spec.Next(last)
		if !e.next.After(now) {
			missed = append(missed, e.Name)
			e.next = now
		}
		e.status.Next = e.next
	}
	return missed, nil
}

// Run runs entries as they come due until ctx ends; call Start first.
// It returns once the job running when ctx ended has returned.
func (s *Schedule) Run(ctx context.Context) error {
	for {
		if err := s.RunDue(ctx); err != nil {
			return err
		}
		wait := time.Hour
		if next, ok := s.nextDue(); ok {
			wait = min(wait, max(0, next.Sub(s.Now())))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

func (s *Schedule) nextDue() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	for _, e := range s.entries {
		if next.IsZero() || e.next.Before(next) {
			next = e.next
		}
	}
	return next, !next.IsZero()
}

// RunDue runs, one after another, every entry whose time has come, and
// moves each to its next time. A failing job does not stop the others.
// It returns ctx's error once ctx ends.
func (s *Schedule) RunDue(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return nil
		}
		now := s.Now()
		s.mu.Lock()
		var due *schedEntry
		for _, e := range s.entries {
			if !e.next.After(now) && !e.running && (due == nil || e.next.Before(due.next)) {
				due = e
			}
		}
		if due == nil {
			s.mu.Unlock()
			return nil
		}
		// The next time counts from now: however many slots a slow job or
		// a suspended machine skipped, the entry runs once.
		due.next = due.spec.Next(now)
		due.status.Next = due.next
		s.mu.Unlock()
		s.runEntry(ctx, due, "schedule")
	}
}

// ErrNoJob is returned by RunNow for a job that is not registered.
var ErrNoJob = errors.New("no such job")

// RunNow runs a job at once, outside its schedule (an admin's `run`
// command), waiting for any job already running. Its outcome is recorded
// like a scheduled run's: on the job's entry when it has exactly one.
func (s *Schedule) RunNow(ctx context.Context, job string, by model.Actor) error {
	s.mu.Lock()
	if _, ok := s.jobs[job]; !ok {
		s.mu.Unlock()
		return fmt.Errorf("%w %q (jobs: %s)", ErrNoJob, job, strings.Join(s.jobsLocked(), ", "))
	}
	var entry *schedEntry
	for _, e := range s.entries {
		if e.Job == job {
			if entry != nil {
				entry = nil
				break
			}
			entry = e
		}
	}
	s.mu.Unlock()
	if entry == nil {
		entry = &schedEntry{ScheduleEntry: ScheduleEntry{Name: job, Job: job}, status: EntryStatus{Name: job, Job: job}}
	}
	return s.runEntry(ctx, entry, by.String())
}

func (s *Schedule) jobsLocked() []string {
	var names []string
	for n := range s.jobs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (s *Schedule) runEntry(ctx context.Context, e *schedEntry, by string) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	s.mu.Lock()
	job := s.jobs[e.Job]
	e.running, e.status.Running = true, true
	s.mu.Unlock()

	start := s.Now()
	err := runJob(ctx, job)
	end := s.Now()
	d := end.Sub(start)

	s.mu.Lock()
	e.running, e.status.Running = false, false
	e.status.LastRun, e.status.LastDuration = start, d
	e.status.Runs++
	e.status.LastErr = ""
	if err != nil {
		e.status.Failures++
		e.status.LastErr = err.Error()
	}
	s.mu.Unlock()

	// The run counts as done even when it failed: a job that always fails
	// must not run again at every start.
	if serr := s.state.SetMeta(context.WithoutCancel(ctx), stateKey(e.Name), start.Format(time.RFC3339Nano)); serr != nil {
		s.Logf("schedule %s: record run: %v", e.Name, serr)
	}
	s.metrics.JobRun(e.Job, d, err, end)
	var text string
	if err != nil {
		text = fmt.Sprintf("%s failed after %s: %v", e.Name, d.Round(time.Millisecond), err)
	} else {
		text = fmt.Sprintf("%s done in %s", e.Name, d.Round(time.Millisecond))
	}
	if by != "schedule" {
		text += " (started by " + by + ")"
	}
	s.Logf("schedule: %s", text)
	if s.hub != nil {
		s.hub.Publish(model.Change{Kind: model.ChangeExternal, Text: "schedule: " + text})
	}
	return err
}

// runJob runs a job, turning a panic into an error so one bad job cannot
// take the server down.
func runJob(ctx context.Context, job Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return job(ctx)
}

// Status returns every entry's state, in the order they were added.
func (s *Schedule) Status() []EntryStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]EntryStatus, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.status
	}
	return out
}

// Cron is a parsed schedule line.
type Cron struct {
	minute, hour, dom, month, dow uint64 // bit sets
	domStar, dowStar              bool
	every                         time.Duration
}

// ParseCron reads a five-field cron line (minute hour day-of-month month
// day-of-week, with *, lists, ranges, steps and 0 or 7 for Sunday) or one
// of @hourly, @daily (@midnight), @weekly, @monthly, @yearly, @every D.
func ParseCron(s string) (Cron, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "@hourly":
		s = "0 * * * *"
	case "@daily", "@midnight":
		s = "0 0 * * *"
	case "@weekly":
		s = "0 0 * * 0"
	case "@monthly":
		s = "0 0 1 * *"
	case "@yearly", "@annually":
		s = "0 0 1 1 *"
	}
	if rest, ok := strings.CutPrefix(s, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < time.Second {
			return Cron{}, fmt.Errorf("cron %q: @every needs a duration of at least 1s", s)
		}
		return Cron{every: d}, nil
	}
	f := strings.Fields(s)
	if len(f) != 5 {
		return Cron{}, fmt.Errorf("cron %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", s, len(f))
	}
	var c Cron
	var err error
	names := []string{"minute", "hour", "day-of-month", "month", "day-of-week"}
	bounds := [][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	sets := []*uint64{&c.minute, &c.hour, &c.dom, &c.month, &c.dow}
	for i := range f {
		if *sets[i], err = parseField(f[i], bounds[i][0], bounds[i][1]); err != nil {
			return Cron{}, fmt.Errorf("cron %q: %s: %w", s, names[i], err)
		}
	}
	if c.dow&(1<<7) != 0 {
		c.dow |= 1
	}
	c.domStar, c.dowStar = f[2] == "*", f[4] == "*"
	return c, nil
}

func parseField(f string, lo, hi int) (uint64, error) {
	var set uint64
	for part := range strings.SplitSeq(f, ",") {
		rng, stepS, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepS)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("bad step %q", stepS)
			}
			step = n
		}
		a, b := lo, hi
		if rng != "*" {
			as, bs, isRange := strings.Cut(rng, "-")
			var err error
			if a, err = strconv.Atoi(as); err != nil {
				return 0, fmt.Errorf("bad value %q", as)
			}
			b = a
			if isRange {
				if b, err = strconv.Atoi(bs); err != nil {
					return 0, fmt.Errorf("bad value %q", bs)
				}
			} else if hasStep {
				b = hi
			}
		}
		if a < lo || b > hi || a > b {
			return 0, fmt.Errorf("%q is outside %d-%d", part, lo, hi)
		}
		for v := a; v <= b; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

// Next returns the first time after t that the line names, in t's
// location. It returns the zero time when there is none within five years
// (a 31st of February).
func (c Cron) Next(t time.Time) time.Time {
	if c.every > 0 {
		return t.Add(c.every)
	}
	loc := t.Location()
	t = t.Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		if c.month&(1<<uint(t.Month())) == 0 {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
			continue
		}
		if !c.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
			continue
		}
		if c.hour&(1<<uint(t.Hour())) == 0 {
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc)
			continue
		}
		if c.minute&(1<<uint(t.Minute())) == 0 {
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return time.Time{}
}

// dayMatches follows cron: when both day fields are restricted, either
// may match.
func (c Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	switch {
	case c.domStar && c.dowStar:
		return true
	case c.domStar:
		return dow
	case c.dowStar:
		return dom
	}
	return dom || dow
}
