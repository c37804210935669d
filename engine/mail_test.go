package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"stockroom/engine"
)

// smtpServer is a small ESMTP server for tests: EHLO, STARTTLS, AUTH PLAIN
// (only once TLS is on), MAIL, RCPT, DATA, RSET, NOOP, QUIT. It speaks the
// protocol on a real loopback socket, so the client under test goes
// through its whole conversation.
type smtpServer struct {
	ln       net.Listener
	tls      *tls.Config
	user     string
	pass     string
	starttls bool

	mu   sync.Mutex
	msgs []smtpMsg
	log  []string
}

type smtpMsg struct {
	from   string
	to     []string
	data   []byte
	tls    bool
	authed string
}

func newSMTPServer(t *testing.T, starttls bool) (*smtpServer, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, user: "depot", pass: "s3cret", starttls: starttls,
		tls: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s, pool
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	reply("220 test ESMTP")
	var cur smtpMsg
	secure, authed := false, ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		s.mu.Lock()
		s.log = append(s.log, verb)
		s.mu.Unlock()
		switch verb {
		case "EHLO", "HELO":
			ext := []string{"250-test"}
			if s.starttls && !secure {
				ext = append(ext, "250-STARTTLS")
			}
			if secure {
				ext = append(ext, "250-AUTH PLAIN")
			}
			ext = append(ext, "250 8BITMIME")
			reply(ext...)
		case "STARTTLS":
			if !s.starttls || secure {
				reply("502 no")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c = tc
			r, w = bufio.NewReader(tc), bufio.NewWriter(tc)
			secure = true
		case "AUTH":
			f := strings.Fields(line)
			if !secure {
				reply("538 encryption required")
				continue
			}
			if len(f) < 3 || strings.ToUpper(f[1]) != "PLAIN" {
				reply("504 PLAIN only")
				continue
			}
			b, _ := base64.StdEncoding.DecodeString(f[2])
			parts := strings.Split(string(b), "\x00")
			if len(parts) != 3 || parts[1] != s.user || parts[2] != s.pass {
				reply("535 bad credentials")
				continue
			}
			authed = parts[1]
			reply("235 ok")
		case "MAIL":
			if authed == "" {
				reply("530 authentication required")
				continue
			}
			cur = smtpMsg{from: angle(line), tls: secure, authed: authed}
			reply("250 ok")
		case "RCPT":
			cur.to = append(cur.to, angle(line))
			reply("250 ok")
		case "DATA":
			reply("354 end with .")
			var data bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.data = data.Bytes()
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			reply("250 queued")
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("500 what")
		}
	}
}

// angle returns the address between < and > in a MAIL or RCPT line.
func angle(line string) string {
	_, rest, _ := strings.Cut(line, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

func TestSendMail_Loopback(t *testing.T) {
	srv, pool := newSMTPServer(t, true)
	cfg := engine.SMTPConfig{Host: "127.0.0.1", Port: srv.port(), Username: "depot", Password: "s3cret",
		From: "stockroom@depot.example", RootCAs: pool, Timeout: 10 * time.Second}
	attachment := bytes.Repeat([]byte("PK\x03\x04 binary\x00\xff"), 500)
	err := engine.SendMail(context.Background(), cfg, engine.Mail{
		To: []string{"planner@shop.example", "ops@shop.example"}, Subject: "Stock report – week 11",
		Body: "Attached: this week's stock report.\nOut of stock: 3", Attachments: []engine.Attachment{{
			Name: "report.xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: attachment}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.msgs) != 1 {
		t.Fatalf("%d messages delivered", len(srv.msgs))
	}
	m := srv.msgs[0]
	if !m.tls || m.authed != "depot" || m.from != "stockroom@depot.example" || strings.Join(m.to, ",") != "planner@shop.example,ops@shop.example" {
		t.Fatalf("envelope from %q to %q tls %v auth %q", m.from, m.to, m.tls, m.authed)
	}
	if got := strings.Join(srv.log, " "); !strings.HasPrefix(got, "EHLO STARTTLS EHLO AUTH MAIL RCPT RCPT DATA") {
		t.Fatalf("conversation %s", got)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.data))
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subj != "Stock report – week 11" {
		t.Fatalf("subject %q", subj)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var body string
	var got []byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable itself
		if p.FileName() == "report.xlsx" {
			got, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", ""))
			if err != nil {
				t.Fatal(err)
			}
		} else {
			body = string(b)
		}
	}
	if !bytes.Equal(got, attachment) {
		t.Fatalf("attachment: %d bytes back, sent %d", len(got), len(attachment))
	}
	if !strings.Contains(body, "Out of stock: 3") {
		t.Fatalf("body %q", body)
	}
}

func TestSendMail_Refuses(t *testing.T) {
	t.Run("no STARTTLS", func(t *testing.T) {
		srv, pool := newSMTPServer(t, false)
		err := engine.SendMail(context.Background(), engine.SMTPConfig{Host: "127.0.0.1", Port: srv.port(), Username: "depot",
			Password: "s3cret", From: "a@b.c", RootCAs: pool}, engine.Mail{To: []string{"x@y.z"}, Subject: "s"})
		if !errors.Is(err, engine.ErrNoSTARTTLS) {
			t.Fatalf("got %v", err)
		}
		srv.mu.Lock()
		defer srv.mu.Unlock()
		for _, v := range srv.log {
			if v == "AUTH" || v == "MAIL" {
				t.Fatalf("sent %s in clear", v)
			}
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		srv, pool := newSMTPServer(t, true)
		err := engine.SendMail(context.Background(), engine.SMTPConfig{Host: "127.0.0.1", Port: srv.port(), Username: "depot",
			Password: "nope", From: "a@b.c", RootCAs: pool}, engine.Mail{To: []string{"x@y.z"}, Subject: "s"})
		if err == nil || !strings.Contains(err.Error(), "535") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv, _ := newSMTPServer(t, true)
		err := engine.SendMail(context.Background(), engine.SMTPConfig{Host: "127.0.0.1", Port: srv.port(), Username: "depot",
			Password: "s3cret", From: "a@b.c"}, engine.Mail{To: []string{"x@y.z"}, Subject: "s"})
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("got %v", err)
		}
	})
}
