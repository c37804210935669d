package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"stockroom/data"
)

// syncBuffer is a bytes.Buffer safe for one writer and many readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until cond holds or fails the test after d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool, dump ...*syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			for _, b := range dump {
				t.Logf("output so far:\n%q", tail(b.String(), 3000))
			}
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// person is an SSH identity for tests.
type person struct {
	name   string
	signer gossh.Signer
}

func newPerson(t testing.TB, name string) person {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return person{name, s}
}

func (p person) line(role string) string {
	return role + " " + p.name + " " + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(p.signer.PublicKey()))) + " " + p.name + "@laptop"
}

func (p person) fp() string { return gossh.FingerprintSHA256(p.signer.PublicKey()) }

// serveProc is `stockroom serve` running in-process.
type serveProc struct {
	addr   string
	hostFP string
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

var listenLine = regexp.MustCompile(`ssh: listening on (\S+) \(host key (SHA256:\S+)\)`)

func startServe(t testing.TB, args ...string) *serveProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &serveProc{stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: p.stderr, getenv: func(string) string { return "" }}
	go func() { p.done <- c.dispatch(ctx, append([]string{"serve"}, args...)) }()
	waitFor(t, 10*time.Second, "the SSH server to listen", func() bool {
		select {
		case err := <-p.done:
			t.Fatalf("serve ended: %v\n%s", err, p.stderr.String())
		default:
		}
		return listenLine.MatchString(p.stderr.String())
	})
	m := listenLine.FindStringSubmatch(p.stderr.String())
	p.addr, p.hostFP = m[1], m[2]
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *serveProc) stop(t testing.TB) {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("serve did not stop\n%s", p.stderr.String())
	}
}

// dial logs in as p and returns the client and the host key it saw.
func dial(addr string, p person) (*gossh.Client, string, error) {
	var host string
	cl, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: p.name,
		Auth: []gossh.AuthMethod{gossh.PublicKeys(p.signer)},
		HostKeyCallback: func(_ string, _ net.Addr, k gossh.PublicKey) error {
			host = gossh.FingerprintSHA256(k)
			return nil
		},
		Timeout: 5 * time.Second,
	})
	return cl, host, err
}

// sshRun runs one command over a new session: stdout, stderr, exit status.
func sshRun(t testing.TB, cl *gossh.Client, stdin string, cmd string) (string, string, int) {
	t.Helper()
	s, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr, s.Stdin = &out, &errb, strings.NewReader(stdin)
	err = s.Run(cmd)
	code := 0
	var ee *gossh.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitStatus()
	} else if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return out.String(), errb.String(), code
}

// newDepot makes a store with the good fixtures and an authorised keys
// file, and returns the store path and the keys file.
func newDepot(t testing.TB, keysFile string) (db, dir string) {
	t.Helper()
	dir = t.TempDir()
	db = filepath.Join(dir, "depot.db")
	st, err := data.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"locations", "suppliers", "items", "movements", "sales"} {
		if _, err := st.ImportFile(context.Background(), filepath.Join("../../testdata/imports/good", k+".csv"), data.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(keysFile), 0o600); err != nil {
		t.Fatal(err)
	}
	return db, dir
}

func serveArgs(db, dir string, more ...string) []string {
	return append([]string{"--db", db, "--ssh", "127.0.0.1:0", "--authorized-keys", filepath.Join(dir, "authorized_keys"),
		"--config", filepath.Join(dir, "no-config.json"), "--grace", "300ms", "--poll", "0s"}, more...)
}

func TestServe_SSHRolesAndAudit(t *testing.T) {
	vera, olga, adam, mallory := newPerson(t, "vera"), newPerson(t, "olga"), newPerson(t, "adam"), newPerson(t, "mallory")
	keys := "# depot staff\n" + vera.line("viewer") + "\n" + olga.line("operator") + "\n" +
		"operator bob ssh-ed25519 NOT-A-KEY bob@laptop\n" + // line 4: malformed
		"boss carl " + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(mallory.signer.PublicKey()))) + "\n" + // line 5: bad role
		adam.line("admin") + "\n"
	db, dir := newDepot(t, keys)
	p := startServe(t, serveArgs(db, dir)...)

	t.Run("malformed lines reported, others still in", func(t *testing.T) {
		log := p.stderr.String()
		for _, want := range []string{"authorized_keys:4: key of bob", "authorized_keys:5: unknown role \"boss\"", "3 key(s)"} {
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
		}
	})
	t.Run("unknown key refused", func(t *testing.T) {
		_, _, err := dial(p.addr, mallory)
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Fatalf("mallory: %v", err)
		}
	})
	t.Run("no passwords", func(t *testing.T) {
		_, err := gossh.Dial("tcp", p.addr, &gossh.ClientConfig{User: "vera", Auth: []gossh.AuthMethod{gossh.Password("hunter2"),
			gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return []string{"x"}, nil })},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
		if err == nil || strings.Contains(err.Error(), "password") || strings.Contains(err.Error(), "keyboard") {
			t.Fatalf("password login: %v", err)
		}
	})

	cl := map[string]*gossh.Client{}
	for _, who := range []person{vera, olga, adam} {
		c, host, err := dial(p.addr, who)
		if err != nil {
			t.Fatalf("%s: %v", who.name, err)
		}
		if host != p.hostFP {
			t.Fatalf("host key %s, server says %s", host, p.hostFP)
		}
		defer c.Close()
		cl[who.name] = c
	}
	t.Run("whoami from the session's own key", func(t *testing.T) {
		out, _, code := sshRun(t, cl["olga"], "", "whoami")
		if code != 0 || out != "olga operator "+olga.fp()+"\n" {
			t.Fatalf("whoami: %q (%d)", out, code)
		}
	})
	t.Run("viewer cannot act", func(t *testing.T) {
		_, errOut, code := sshRun(t, cl["vera"], "", "run report")
		if code != 3 || !strings.Contains(errOut, "run needs the operator role") {
			t.Fatalf("viewer run report: %d %q", code, errOut)
		}
		_, errOut, code = sshRun(t, cl["vera"], "date,order_id,sku,location,qty\n2026-11-20,V-1,DRL-18V,DC1,1\n", "import sales-v.csv")
		if code != 3 || !strings.Contains(errOut, "import needs the admin role") {
			t.Fatalf("viewer import: %d %q", code, errOut)
		}
	})
	t.Run("operator can run, cannot back up", func(t *testing.T) {
		out, errOut, code := sshRun(t, cl["olga"], "", "run report")
		if code != 0 || !strings.Contains(out, "report done") {
			t.Fatalf("operator run report: %d %q %q", code, out, errOut)
		}
		reports, _ := filepath.Glob(filepath.Join(dir, "reports", "stockroom-report-*.xlsx"))
		if len(reports) != 1 {
			t.Fatalf("reports written: %v", reports)
		}
		_, errOut, code = sshRun(t, cl["olga"], "", "run backup")
		if code != 3 || !strings.Contains(errOut, "run backup needs the admin role") {
			t.Fatalf("operator run backup: %d %q", code, errOut)
		}
	})
	t.Run("admin imports and backs up", func(t *testing.T) {
		out, errOut, code := sshRun(t, cl["adam"], "date,order_id,sku,location,qty\n2026-11-20,A-1,DRL-18V,DC1,2\n2026-11-20,A-2,NOPE,DC1,1\n", "import sales-adam.csv")
		if code != 0 || !strings.Contains(out, "1 row imported") || !strings.Contains(out, "1 rejected") {
			t.Fatalf("admin import: %d %q %q", code, out, errOut)
		}
		if _, errOut, code := sshRun(t, cl["adam"], "", "run backup"); code != 0 {
			t.Fatalf("admin backup: %d %q", code, errOut)
		}
		if b, _ := data.ListBackups(filepath.Join(dir, "backups")); len(b) != 1 {
			t.Fatalf("backups: %v", b)
		}
	})
	t.Run("jobs and usage", func(t *testing.T) {
		out, _, code := sshRun(t, cl["vera"], "", "jobs")
		if code != 0 || !regexp.MustCompile(`(?m)^report\s+report\s+0 6 \* \* 1\s+\S+ \S+\s+\S+\s+ok`).MatchString(out) {
			t.Fatalf("jobs: %d\n%s", code, out)
		}
		if _, _, code := sshRun(t, cl["olga"], "", "run nosuchjob"); code != 2 {
			t.Fatalf("unknown job: exit %d", code)
		}
		if _, errOut, code := sshRun(t, cl["vera"], "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
			t.Fatalf("unknown command: %d %q", code, errOut)
		}
	})
	t.Run("audit names the key", func(t *testing.T) {
		out, _, code := sshRun(t, cl["olga"], "", "audit 50")
		if code != 0 {
			t.Fatalf("audit: %d", code)
		}
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`vera \(` + regexp.QuoteMeta(vera.fp()) + `\)\s+denied:run\s+ssh report`),
			regexp.MustCompile(`vera \(` + regexp.QuoteMeta(vera.fp()) + `\)\s+denied:import`),
			regexp.MustCompile(`olga \(` + regexp.QuoteMeta(olga.fp()) + `\)\s+run\s+ssh report\s+ok`),
			regexp.MustCompile(`olga \(` + regexp.QuoteMeta(olga.fp()) + `\)\s+denied:run\s+ssh backup`),
			regexp.MustCompile(`adam \(` + regexp.QuoteMeta(adam.fp()) + `\)\s+import\s+ssh sales-adam.csv\s+ok`),
		} {
			if !want.MatchString(out) {
				t.Errorf("audit lacks %s:\n%s", want, out)
			}
		}
		if _, errOut, code := sshRun(t, cl["vera"], "", "audit"); code != 3 {
			t.Fatalf("viewer audit: %d %q", code, errOut)
		}
	})
	// The import went through the ledger under the admin's identity.
	p.stop(t)
	st, err := data.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	files, _ := st.Imports(context.Background(), 0, 10)
	if len(files) == 0 || files[0].User != "adam ("+adam.fp()+")" || files[0].RowsOK != 1 {
		t.Fatalf("last import %+v", files[0])
	}
}

// console is an interactive session with a terminal.
type sshConsole struct {
	sess *gossh.Session
	in   io.WriteCloser
	out  *syncBuffer
}

func openSSHConsole(t testing.TB, cl *gossh.Client, w, h int) *sshConsole {
	t.Helper()
	s, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	c := &sshConsole{sess: s, out: &syncBuffer{}}
	s.Stdout, s.Stderr = c.out, c.out
	if c.in, err = s.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	return c
}

// key sends one key and waits a little, as a person types.
func (c *sshConsole) key(k string) {
	c.in.Write([]byte(k))
	time.Sleep(30 * time.Millisecond)
}

func TestServe_ConsoleAndGracefulShutdown(t *testing.T) {
	vera := newPerson(t, "vera")
	db, dir := newDepot(t, vera.line("viewer")+"\n")
	p := startServe(t, serveArgs(db, dir)...)
	cl, _, err := dial(p.addr, vera)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	c := openSSHConsole(t, cl, 100, 30)
	waitFor(t, 10*time.Second, "the stock screen", func() bool { return strings.Contains(c.out.String(), "DRL-18V") })
	// The client's terminal was switched to the alternate screen: this is
	// a console of its own, sized by the pty request.
	if !strings.Contains(c.out.String(), "\x1b[?1049h") {
		t.Fatal("no alternate screen")
	}
	c.key("/")
	for _, r := range "hmr" {
		c.key(string(r))
	}
	waitFor(t, 5*time.Second, "the filtered table", func() bool {
		s := c.out.String()
		i := strings.Index(s, "Stock /h")
		return strings.Contains(s, "Stock /hmr") && i >= 0 && regexp.MustCompile(`›[ !]*HMR-16`).MatchString(s[i:]) && strings.Contains(s[i:], "row 1 of 1")
	}, c.out)

	// SIGTERM: the console is told, then closed, and the server stops.
	p.cancel()
	p.cancel = nil
	waitFor(t, 5*time.Second, "the shutdown notice", func() bool { return strings.Contains(c.out.String(), "shutting down in") })
	done := make(chan error, 1)
	go func() { done <- c.sess.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("session ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the session was not closed")
	}
	if !strings.Contains(c.out.String(), "\x1b[?1049l") || !strings.Contains(c.out.String(), "your session has ended") {
		t.Fatalf("terminal not restored or no goodbye:\n%q", tail(c.out.String(), 400))
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return")
	}
	if !strings.Contains(p.stderr.String(), "stopped") {
		t.Fatalf("log:\n%s", p.stderr.String())
	}
	// The login is in the audit trail.
	st, err := data.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log, _ := st.AuditLog(context.Background(), data.AuditQuery{})
	if len(log) == 0 || log[len(log)-1].Action != "login" || log[len(log)-1].User != "vera ("+vera.fp()+")" {
		t.Fatalf("audit %+v", log)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func TestServe_HostKeyStableAcrossRestarts(t *testing.T) {
	vera := newPerson(t, "vera")
	db, dir := newDepot(t, vera.line("viewer")+"\n")
	var seen []string
	for range 2 {
		p := startServe(t, serveArgs(db, dir)...)
		cl, host, err := dial(p.addr, vera)
		if err != nil {
			t.Fatal(err)
		}
		cl.Close()
		seen = append(seen, host)
		p.stop(t)
	}
	if seen[0] != seen[1] || !strings.HasPrefix(seen[0], "SHA256:") {
		t.Fatalf("host keys %v", seen)
	}
	b, err := os.ReadFile(filepath.Join(dir, "ssh_host_ed25519_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pk, _, _, _, err := gossh.ParseAuthorizedKey(b)
	if err != nil || gossh.FingerprintSHA256(pk) != seen[0] {
		t.Fatalf("the key next to the store is not the one served: %v", err)
	}
}

func TestParseAuthorizedKeys(t *testing.T) {
	a, b := newPerson(t, "a"), newPerson(t, "b")
	in := fmt.Sprintf("# comment\n\n%s\n  %s  \nadmin dup %s\nviewer\nroot x %s\n",
		a.line("viewer"), b.line("admin"), strings.TrimSpace(string(gossh.MarshalAuthorizedKey(a.signer.PublicKey()))),
		strings.TrimSpace(string(gossh.MarshalAuthorizedKey(b.signer.PublicKey()))))
	keys, errs := parseAuthorizedKeys(strings.NewReader(in), "ak")
	if len(keys) != 2 || keys[a.fp()].role != "viewer" || keys[b.fp()].name != "b" || keys[b.fp()].role != "admin" {
		t.Fatalf("keys %+v", keys)
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	want := []string{"ak:5: the key of dup is already listed on line 3 (as a); ignored", "ak:6: want ROLE NAME KEY",
		"ak:7: unknown role \"root\""}
	for i, w := range want {
		if i >= len(msgs) || !strings.HasPrefix(msgs[i], w) {
			t.Fatalf("errors %q, want prefixes %q", msgs, want)
		}
	}
}

func TestServe_Metrics(t *testing.T) {
	olga, mallory := newPerson(t, "olga"), newPerson(t, "mallory")
	db, dir := newDepot(t, olga.line("operator")+"\n")
	p := startServe(t, serveArgs(db, dir, "--metrics", "127.0.0.1:0")...)
	// The metrics server starts after the SSH one says it listens.
	metricsLine := regexp.MustCompile(`metrics: listening on (http://\S+/metrics)`)
	waitFor(t, 10*time.Second, "the metrics server to listen", func() bool { return metricsLine.MatchString(p.stderr.String()) })
	m := metricsLine.FindStringSubmatch(p.stderr.String())
	cl, _, err := dial(p.addr, olga)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sshRun(t, cl, "", "run report")
	for _, job := range []string{"plan", "anomaly-scan"} {
		if out, errOut, code := sshRun(t, cl, "", "run "+job); code != 0 {
			t.Errorf("run %s: exit %d: %s %s", job, code, out, errOut)
		}
	}
	dial(p.addr, mallory)
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{
		`stockroom_schedule_runs_total{job="report"} 1`,
		`stockroom_schedule_failures_total{job="report"} 0`,
		`stockroom_ssh_sessions_total{role="operator"} 3`, // report, plan, anomaly-scan
		`stockroom_ssh_auth_refused_total 1`,
		`stockroom_stock_rows{status="ok"}`,
		`stockroom_stockouts `,
		`stockroom_db_bytes{file="main"}`,
		`stockroom_quarantine_files 0`,
		`stockroom_last_import_timestamp_seconds`,
		`stockroom_schedule_runs_total{job="plan"} 1`,
		`stockroom_schedule_failures_total{job="plan"} 0`,
		`stockroom_schedule_failures_total{job="anomaly-scan"} 0`,
		`stockroom_proposals_open `,
		`stockroom_proposals_open_value `,
		`stockroom_anomalies_open `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestServeConfig_Example: the example config in testdata/serve (the
// README's) loads, and its schedule, retention and mail settings come
// through.
func TestServeConfig_Example(t *testing.T) {
	cfg, err := loadConfig("../../testdata/serve/config.json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Serve.SSH != ":2222" || cfg.Serve.Kafka.Topic != "shop-orders" || len(cfg.Serve.Kafka.Brokers) != 2 {
		t.Fatalf("serve %+v", cfg.Serve)
	}
	if len(cfg.Schedule) != 3 || cfg.Schedule[2].Name != "report-monthly" {
		t.Fatalf("schedule %+v", cfg.Schedule)
	}
	if k := cfg.retention(); k != (data.Retention{Daily: 7, Weekly: 4, Monthly: 12}) {
		t.Fatalf("retention %+v", k)
	}
	smtp, err := cfg.smtp(func(k string) string {
		if k == "STOCKROOM_SMTP_PASSWORD" {
			return "pw"
		}
		return ""
	})
	if err != nil || smtp.Password != "pw" || smtp.Port != 587 || smtp.ImplicitTLS {
		t.Fatalf("smtp %+v %v", smtp, err)
	}
	if _, err := cfg.smtp(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "STOCKROOM_SMTP_PASSWORD") {
		t.Fatalf("empty password env: %v", err)
	}
	// A typo in a section is an error naming the field.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"serve": {"sshh": ":22"}}`), 0o644)
	if _, err := loadConfig(bad); err == nil || !strings.Contains(err.Error(), `"sshh"`) {
		t.Fatalf("unknown field: %v", err)
	}
}

func TestParseAuthorizedKeys_Example(t *testing.T) {
	f, err := os.Open("../../testdata/serve/authorized_keys")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys, errs := parseAuthorizedKeys(f, "authorized_keys")
	if len(errs) != 0 || len(keys) != 2 {
		t.Fatalf("%d keys, errors %v", len(keys), errs)
	}
	roles := map[string]string{}
	for _, k := range keys {
		roles[k.name] = string(k.role)
	}
	if roles["vera"] != "viewer" || roles["olga"] != "operator" {
		t.Fatalf("roles %v", roles)
	}
}
