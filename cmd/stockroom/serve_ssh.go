package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	bm "github.com/charmbracelet/wish/bubbletea"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/model"
	"stockroom/tui"
)

// authKey is one line of the authorised keys file.
type authKey struct {
	role model.Role
	name string
	fp   string // SHA256:… as ssh-keygen -l prints it
	line int
}

// parseAuthorizedKeys reads `ROLE NAME KEY` lines. A bad line is reported
// (file:line: why) and skipped; the good ones still count, so one typo
// never locks everybody out.
func parseAuthorizedKeys(r io.Reader, file string) (map[string]authKey, []error) {
	keys := map[string]authKey{}
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: %s", file, n, fmt.Sprintf(format, args...)))
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			bad("want ROLE NAME KEY (e.g. operator alice ssh-ed25519 AAAA… alice@laptop)")
			continue
		}
		role, err := model.ParseRole(f[0])
		if err != nil {
			bad("%v", err)
			continue
		}
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, f[0])), f[1]))
		pk, _, _, _, err := gossh.ParseAuthorizedKey([]byte(rest))
		if err != nil {
			bad("key of %s: %v", f[1], err)
			continue
		}
		fp := gossh.FingerprintSHA256(pk)
		if prev, ok := keys[fp]; ok {
			bad("the key of %s is already listed on line %d (as %s); ignored", f[1], prev.line, prev.name)
			continue
		}
		keys[fp] = authKey{role: role, name: f[1], fp: fp, line: n}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", file, err))
	}
	return keys, errs
}

// keyring is the authorised keys file, re-read whenever it changes on
// disk (checked at each login, a stat), so adding or removing a person
// needs no restart.
type keyring struct {
	path string
	logf func(format string, args ...any)

	mu    sync.Mutex
	keys  map[string]authKey
	mtime time.Time
	size  int64
}

func newKeyring(path string, logf func(string, ...any)) (*keyring, error) {
	k := &keyring{path: path, logf: logf}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("authorized keys: %w", err)
	}
	k.load(st)
	return k, nil
}

func (k *keyring) load(st os.FileInfo) {
	f, err := os.Open(k.path)
	if err != nil {
		k.logf("authorized keys: %v; nobody can log in until it is readable", err)
		k.keys = map[string]authKey{}
		return
	}
	defer f.Close()
	keys, errs := parseAuthorizedKeys(f, k.path)
	for _, e := range errs {
		k.logf("authorized keys: %v", e)
	}
	k.keys, k.mtime, k.size = keys, st.ModTime(), st.Size()
	k.logf("authorized keys: %d key(s) from %s", len(keys), k.path)
}

// lookup finds a key by fingerprint, reloading the file if it changed.
func (k *keyring) lookup(fp string) (authKey, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	st, err := os.Stat(k.path)
	switch {
	case err != nil:
		if len(k.keys) > 0 {
			k.logf("authorized keys: %v; nobody can log in until it is back", err)
		}
		k.keys, k.mtime, k.size = map[string]authKey{}, time.Time{}, -1
	case !st.ModTime().Equal(k.mtime) || st.Size() != k.size:
		k.load(st)
	}
	a, ok := k.keys[fp]
	return a, ok
}

// sshServer serves a console to every SSH session and a few commands to
// sessions that name one (`ssh -p 2222 depot jobs`).
type sshServer struct {
	eng     *engine.Engine
	sched   *engine.Schedule
	metrics *engine.Metrics
	keys    *keyring
	cfg     config
	theme   tui.Theme
	poll    time.Duration
	spool   string // where `import` puts what it reads from stdin
	logf    func(format string, args ...any)

	srv *ssh.Server

	mu       sync.Mutex
	programs map[*tea.Program]struct{}
	active   sync.WaitGroup
	closing  bool
}

type ctxKey struct{}

// newSSHServer builds the server; the host key is made on first start and
// reused after.
func newSSHServer(s *sshServer, addr, hostKey string) error {
	srv, err := wish.NewServer(
		wish.WithAddress(addr),
		wish.WithHostKeyPath(hostKey),
		wish.WithVersion("stockroom"),
		// Only public keys: with no password or keyboard-interactive
		// handler the server never offers them.
		wish.WithPublicKeyAuth(func(ctx ssh.Context, key ssh.PublicKey) bool {
			// A yes/no allow-list is safe here (CVE-2024-45337): the
			// identity is taken later from the key the session was
			// actually authenticated with.
			_, ok := s.keys.lookup(gossh.FingerprintSHA256(key))
			if !ok {
				s.metrics.AuthRefused()
				s.logf("ssh: refused key %s from %s (%s)", gossh.FingerprintSHA256(key), ctx.RemoteAddr(), ctx.User())
			}
			return ok
		}),
		wish.WithMiddleware(s.handle),
	)
	if err != nil {
		return err
	}
	s.srv = srv
	s.programs = map[*tea.Program]struct{}{}
	return nil
}

// handle is the only middleware: identify, then a console or a command.
func (s *sshServer) handle(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer next(sess)
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			wish.Fatalln(sess, "stockroom is shutting down; try again in a minute")
			return
		}
		s.active.Add(1)
		s.mu.Unlock()
		defer s.active.Done()

		// Who this is comes from the key the session authenticated with,
		// never from what the auth callback saw last.
		pk := sess.PublicKey()
		if pk == nil {
			wish.Fatalln(sess, "stockroom: public key authentication required")
			return
		}
		ak, ok := s.keys.lookup(gossh.FingerprintSHA256(pk))
		if !ok {
			wish.Fatalln(sess, "stockroom: this key is not (or no longer) allowed")
			return
		}
		actor := model.Actor{Name: ak.name, Role: ak.role, Fingerprint: ak.fp}
		sess.Context().SetValue(ctxKey{}, actor)
		done := s.metrics.SessionOpened(actor.Role)
		defer done()
		ctx := sess.Context()
		if cmd := sess.Command(); len(cmd) > 0 {
			code := s.exec(ctx, sess, actor, cmd)
			sess.Exit(code)
			return
		}
		pty, _, isPty := sess.Pty()
		if !isPty {
			wish.Fatalln(sess, "stockroom: the console needs a terminal (ssh -t); or run a command: "+strings.Join(commandNames(actor.Role), ", "))
			return
		}
		s.eng.Audit(context.WithoutCancel(ctx), actor, "login", "session", sess.RemoteAddr().String(),
			fmt.Sprintf("console %dx%d %s", pty.Window.Width, pty.Window.Height, pty.Term))
		s.logf("ssh: %s (%s) opened a console from %s", actor, actor.Role, sess.RemoteAddr())
		bm.MiddlewareWithProgramHandler(s.program, termenv.Ascii)(func(ssh.Session) {})(sess)
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing {
			wish.Println(sess, "stockroom is shutting down; your session has ended. Nothing you did is lost.")
		}
		s.logf("ssh: %s left", actor)
		// The exit status goes out before active.Done: shutdown closes the
		// server as soon as every session is done, and a client must not
		// see its connection drop without one.
		sess.Exit(0)
	}
}

// program builds one console for one session: its own renderer and colour
// profile (from the client's TERM, COLORTERM and NO_COLOR), its own size,
// the session's actor and role, and the session's context around every
// query it makes.
func (s *sshServer) program(sess ssh.Session) *tea.Program {
	pty, _, _ := sess.Pty()
	actor, _ := sess.Context().Value(ctxKey{}).(model.Actor)
	env := append(sess.Environ(), "TERM="+pty.Term)
	r := sessionRenderer(sess, env, s.cfg.Theme != "light")
	m := tui.New(tui.Options{
		Backend: sessionBackend{Engine: s.eng, ctx: sess.Context()},
		Keys:    s.cfg.keyMap(),
		Styles:  tui.NewThemedStyles(r, s.theme),
		Poll:    s.poll,
		Actor:   actor,
		Remote:  true,
		Jobs:    s.sched.Status,
	})
	opts := []tea.ProgramOption{tea.WithInput(sess), tea.WithOutput(sess), tea.WithAltScreen(),
		// The server's SIGINT/SIGTERM belong to the server, which ends
		// sessions in order; each program must not catch them itself.
		// The middleware quits the program when the session ends.
		tea.WithoutSignalHandler(), tea.WithEnvironment(env)}
	if s.cfg.Mouse {
		opts = append(opts, tea.WithMouseCellMotion())
	}
	p := tea.NewProgram(m, opts...)
	s.mu.Lock()
	s.programs[p] = struct{}{}
	s.mu.Unlock()
	go func() {
		<-sess.Context().Done()
		s.mu.Lock()
		delete(s.programs, p)
		s.mu.Unlock()
	}()
	return p
}

// sessionRenderer is a lipgloss renderer for one session. Its colour
// profile comes from the client's environment; the background is taken
// from the theme instead of asking the terminal, which would race the
// console for the session's input.
func sessionRenderer(w io.Writer, env []string, dark bool) *lipgloss.Renderer {
	o := termenv.NewOutput(w, termenv.WithEnvironment(sshEnviron(env)), termenv.WithUnsafe())
	r := lipgloss.NewRenderer(w, termenv.WithEnvironment(sshEnviron(env)), termenv.WithUnsafe())
	r.SetColorProfile(o.EnvColorProfile())
	r.SetHasDarkBackground(dark)
	return r
}

type sshEnviron []string

func (e sshEnviron) Environ() []string { return e }
func (e sshEnviron) Getenv(k string) string {
	v := ""
	for _, kv := range e {
		if after, ok := strings.CutPrefix(kv, k+"="); ok {
			v = after // the last one wins, as in a shell
		}
	}
	return v
}

// sessionBackend is the engine as one session sees it: every query also
// ends when the session does, so a dropped connection cancels its work.
type sessionBackend struct {
	*engine.Engine
	ctx context.Context
}

// with returns a context that ends with either ctx or the session.
func (b sessionBackend) with(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(b.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

func (b sessionBackend) StockPage(ctx context.Context, q model.StockQuery) ([]model.StockRow, error) {
	ctx, done := b.with(ctx)
	defer done()
	return b.Engine.StockPage(ctx, q)
}

func (b sessionBackend) StockCount(ctx context.Context, q model.StockQuery) (int, error) {
	ctx, done := b.with(ctx)
	defer done()
	return b.Engine.StockCount(ctx, q)
}

func (b sessionBackend) RecentDemand(ctx context.Context, keys [][2]int64, n int, asOf model.Date) (map[[2]int64][]float64, error) {
	ctx, done := b.with(ctx)
	defer done()
	return b.Engine.RecentDemand(ctx, keys, n, asOf)
}

func (b sessionBackend) Overview(ctx context.Context) (model.Overview, error) {
	ctx, done := b.with(ctx)
	defer done()
	return b.Engine.Overview(ctx)
}

func (b sessionBackend) Imports(ctx context.Context, before int64, limit int) ([]model.ImportFile, error) {
	ctx, done := b.with(ctx)
	defer done()
	return b.Engine.Imports(ctx, before, limit)
}

func (b sessionBackend) Movements(ctx context.Context, sku, location string, limit int) ([]model.Movement, error) {
	ctx, done := b.with(ctx)
	defer done()
	return b.Engine.Movements(ctx, sku, location, limit)
}

func (b sessionBackend) DailyHistory(ctx context.Context, sku, location string) (model.DailyHistory, error) {
	ctx, done := b.with(ctx)
	defer done()
	return b.Engine.DailyHistory(ctx, sku, location)
}

var _ tui.Backend = sessionBackend{}

// sshCommand is something a session can ask for instead of a console.
type sshCommand struct {
	name, args, help string
	need             model.Role
	run              func(ctx context.Context, s *sshServer, sess ssh.Session, a model.Actor, args []string) error
}

// sshCommands are the commands over SSH, each with the least role it
// needs. `run` checks the job's own role too (backups need an admin).
var sshCommands = []sshCommand{
	{"whoami", "", "your name, role and key", model.RoleViewer, cmdWhoami},
	{"jobs", "", "the schedule: every job's last run, outcome and next run", model.RoleViewer, cmdJobs},
	{"run", "JOB", "run a scheduled job now (forecast, plan, anomaly-scan, report; backup needs admin)", model.RoleOperator, cmdRun},
	{"audit", "[N]", "the last N audit entries (default 20)", model.RoleOperator, cmdAudit},
	{"import", "[--kind KIND] [--create-items] NAME", "import a file sent on stdin (ssh … import sales.csv < sales.csv)", model.RoleAdmin, cmdImport},
}

// jobRoles are the roles jobs need beyond `run`'s operator.
var jobRoles = map[string]model.Role{"backup": model.RoleAdmin}

func commandNames(r model.Role) []string {
	var out []string
	for _, c := range sshCommands {
		if r.Can(c.need) {
			out = append(out, c.name)
		}
	}
	return out
}

// errDenied is a role refusal: exit status 3.
type errDenied struct{ what, need string }

func (e errDenied) Error() string {
	return fmt.Sprintf("%s needs the %s role", e.what, e.need)
}

// exec runs one command and returns its exit status: 0 done, 1 failed,
// 2 usage, 3 not allowed for the role. Every command is audited, refusals
// included.
func (s *sshServer) exec(ctx context.Context, sess ssh.Session, a model.Actor, argv []string) int {
	name := argv[0]
	var cmd *sshCommand
	for i := range sshCommands {
		if sshCommands[i].name == name {
			cmd = &sshCommands[i]
		}
	}
	audit := func(action, id, detail string) {
		if err := s.eng.Audit(context.WithoutCancel(ctx), a, action, "ssh", id, detail); err != nil {
			s.logf("audit: %v", err)
		}
	}
	if name == "help" || cmd == nil {
		w := sess
		if cmd == nil && name != "help" {
			fmt.Fprintf(sess.Stderr(), "stockroom: unknown command %q\n", name)
			w = nil
		}
		tw := tabwriter.NewWriter(sess.Stderr(), 2, 4, 2, ' ', 0)
		if w != nil {
			tw = tabwriter.NewWriter(sess, 2, 4, 2, ' ', 0)
		}
		fmt.Fprintf(tw, "Commands for %s (%s); without a command you get the console:\n", a.Name, a.Role)
		for _, c := range sshCommands {
			if a.Role.Can(c.need) {
				fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.help)
			}
		}
		tw.Flush()
		if w == nil {
			return 2
		}
		return 0
	}
	line := strings.Join(argv, " ")
	if !a.Role.Can(cmd.need) {
		s.metrics.Denied(name)
		audit("denied:"+name, strings.Join(argv[1:], " "), "needs "+string(cmd.need)+"; "+line)
		s.logf("ssh: %s (%s) refused: %s", a, a.Role, line)
		fmt.Fprintf(sess.Stderr(), "stockroom: %s\n", errDenied{name, string(cmd.need)})
		return 3
	}
	err := cmd.run(ctx, s, sess, a, argv[1:])
	var den errDenied
	var ue *usageError
	switch {
	case errors.As(err, &den):
		s.metrics.Denied(den.what)
		audit("denied:"+name, strings.Join(argv[1:], " "), den.Error()+"; "+line)
		fmt.Fprintf(sess.Stderr(), "stockroom: %v\n", err)
		return 3
	case errors.As(err, &ue), errors.Is(err, flag.ErrHelp):
		if ue != nil {
			fmt.Fprintf(sess.Stderr(), "stockroom: %v\n", err)
		}
		return 2
	case err != nil:
		audit(name, strings.Join(argv[1:], " "), "failed: "+err.Error())
		fmt.Fprintf(sess.Stderr(), "stockroom: %v\n", err)
		return 1
	}
	if name != "whoami" && name != "jobs" && name != "audit" {
		audit(name, strings.Join(argv[1:], " "), "ok")
	}
	return 0
}

func cmdWhoami(_ context.Context, _ *sshServer, sess ssh.Session, a model.Actor, _ []string) error {
	fmt.Fprintf(sess, "%s %s %s\n", a.Name, a.Role, a.Fingerprint)
	return nil
}

func cmdJobs(_ context.Context, s *sshServer, sess ssh.Session, _ model.Actor, _ []string) error {
	tw := tabwriter.NewWriter(sess, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tJOB\tCRON\tLAST RUN\tTOOK\tRESULT\tNEXT")
	for _, e := range s.sched.Status() {
		last, took, result := "-", "-", "-"
		if !e.LastRun.IsZero() {
			last = e.LastRun.Local().Format("2006-01-02 15:04")
			if e.Runs > 0 {
				took = e.LastDuration.Round(time.Millisecond).String()
				result = "ok"
				if e.LastErr != "" {
					result = "FAILED: " + e.LastErr
				}
			}
		}
		if e.Running {
			result = "running"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Job, e.Cron, last, took, result, e.Next.Local().Format("2006-01-02 15:04"))
	}
	fmt.Fprintf(tw, "\njobs: %s\n", strings.Join(s.sched.Jobs(), ", "))
	return tw.Flush()
}

func cmdRun(ctx context.Context, s *sshServer, sess ssh.Session, a model.Actor, args []string) error {
	if len(args) != 1 {
		return usageErrorf("usage: run JOB (jobs: %s)", strings.Join(s.sched.Jobs(), ", "))
	}
	if need, ok := jobRoles[args[0]]; ok && !a.Role.Can(need) {
		return errDenied{"run " + args[0], string(need)}
	}
	start := time.Now()
	if err := s.sched.RunNow(ctx, args[0], a); err != nil {
		if errors.Is(err, engine.ErrNoJob) {
			return usageErrorf("%v", err)
		}
		return err
	}
	fmt.Fprintf(sess, "%s done in %s\n", args[0], time.Since(start).Round(time.Millisecond))
	return nil
}

func cmdAudit(ctx context.Context, s *sshServer, sess ssh.Session, _ model.Actor, args []string) error {
	n := 20
	if len(args) > 0 {
		v, err := strconv.Atoi(args[0])
		if err != nil || v <= 0 {
			return usageErrorf("usage: audit [N]")
		}
		n = v
	}
	entries, err := s.eng.AuditLog(ctx, data.AuditQuery{Limit: n})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(sess, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tWHO\tACTION\tOBJECT\tDETAIL")
	for _, e := range entries {
		obj := e.Object
		if e.ObjectID != "" {
			obj += " " + e.ObjectID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.User, e.Action, obj, e.Detail)
	}
	return tw.Flush()
}

func cmdImport(ctx context.Context, s *sshServer, sess ssh.Session, a model.Actor, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(sess.Stderr())
	kind := fs.String("kind", "", "the file's kind, when its header and name do not tell")
	create := fs.Bool("create-items", false, "create unknown SKUs instead of rejecting their rows")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if fs.NArg() != 1 {
		return usageErrorf("usage: import [--kind KIND] [--create-items] NAME < FILE")
	}
	name := filepath.Base(fs.Arg(0))
	if name == "." || name == "/" || strings.HasPrefix(name, ".") {
		return usageErrorf("import: %q is not a file name", fs.Arg(0))
	}
	if err := os.MkdirAll(s.spool, 0o755); err != nil {
		return err
	}
	// The name is kept (it tells the kind, and the import log shows it),
	// under a folder of its own so two uploads never collide.
	dir, err := os.MkdirTemp(s.spool, a.Name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, sess)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("import: reading stdin: %w", err)
	}
	results, err := s.eng.Import(ctx, []string{path}, data.ImportOptions{Kind: data.Kind(*kind), CreateItems: *create, User: a.String()}, nil)
	for _, r := range results {
		s.metrics.ObserveImport("ssh", r)
	}
	printImportSummary(sess, results)
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Failed() {
			return fmt.Errorf("%s was not imported: %s", name, r.Error)
		}
	}
	return nil
}

// shutdown ends every session in order: new logins are refused, every
// console is told and given grace to finish what it was typing, then
// asked to quit (restoring the client's terminal), and commands that are
// still running (an import) get until the deadline to finish.
func (s *sshServer) shutdown(grace, deadline time.Duration) {
	s.mu.Lock()
	s.closing = true
	n := len(s.programs)
	s.mu.Unlock()
	go s.srv.Shutdown(context.Background()) // stops accepting; connections stay
	if n > 0 {
		s.eng.Hub().Publish(model.Change{Kind: model.ChangeExternal,
			Text: fmt.Sprintf("stockroom is shutting down in %s: finish what you are typing", grace.Round(time.Second))})
		t := time.NewTimer(grace)
		<-t.C
	}
	s.mu.Lock()
	progs := make([]*tea.Program, 0, len(s.programs))
	for p := range s.programs {
		progs = append(progs, p)
	}
	s.mu.Unlock()
	for _, p := range progs {
		go p.Quit()
	}
	done := make(chan struct{})
	go func() { s.active.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(deadline):
		s.logf("ssh: sessions still open after %s; closing them", deadline)
	}
	s.srv.Close()
}
