package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
)

// SMTPConfig says how to send mail. Mail is only ever sent encrypted:
// STARTTLS on the submission port (587, the default) or TLS from the first
// byte on port 465 (or with ImplicitTLS). Credentials are sent with AUTH
// PLAIN, inside TLS.
type SMTPConfig struct {
	Host        string
	Port        int // 0: 587
	Username    string
	Password    string
	From        string
	ImplicitTLS bool           // TLS from the start (port 465) instead of STARTTLS
	RootCAs     *x509.CertPool // nil: the system's
	Timeout     time.Duration  // for the whole conversation; 0: 60 s
}

// Attachment is a file attached to a mail.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Mail is one message.
type Mail struct {
	To          []string
	Subject     string
	Body        string // plain text
	Attachments []Attachment
}

// ErrNoSTARTTLS is returned when the server does not offer STARTTLS: mail
// (and the password) would travel in clear.
var ErrNoSTARTTLS = errors.New("the SMTP server does not offer STARTTLS; refusing to send in clear")

// LoadCAFile reads PEM certificates for SMTPConfig.RootCAs.
func LoadCAFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no PEM certificates", path)
	}
	return pool, nil
}

// SendMail delivers m through the configured server.
func SendMail(ctx context.Context, cfg SMTPConfig, m Mail) error {
	if cfg.Host == "" {
		return errors.New("mail: no SMTP host configured")
	}
	if cfg.From == "" {
		return errors.New("mail: no sender (from) configured")
	}
	if len(m.To) == 0 {
		return errors.New("mail: no recipients")
	}
	port := cfg.Port
	if port == 0 {
		port = 587
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(port))
	tlsCfg := &tls.Config{ServerName: cfg.Host, RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	implicit := cfg.ImplicitTLS || port == 465
	if implicit {
		conn = tls.Client(conn, tlsCfg)
	}
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: %s: %w", addr, err)
	}
	defer c.Close()
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	if err := c.Hello(host); err != nil {
		return fmt.Errorf("mail: %s: %w", addr, err)
	}
	if !implicit {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("mail: %s: %w", addr, ErrNoSTARTTLS)
		}
		if err := c.StartTLS(tlsCfg); err != nil {
			return fmt.Errorf("mail: %s: starttls: %w", addr, err)
		}
	}
	if cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)); err != nil {
			return fmt.Errorf("mail: %s: auth as %s: %w", addr, cfg.Username, err)
		}
	}
	if err := c.Mail(cfg.From); err != nil {
		return fmt.Errorf("mail: from %s: %w", cfg.From, err)
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("mail: to %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	msg, err := buildMessage(cfg.From, m, time.Now())
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return c.Quit()
}

// buildMessage renders a MIME message: a text part and base64
// attachments.
func buildMessage(from string, m Mail, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	id := make([]byte, 12)
	rand.Read(id)
	domain := "stockroom"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = strings.Trim(from[i+1:], "<> ")
	}
	hdr := []struct{ k, v string }{
		{"From", from},
		{"To", strings.Join(m.To, ", ")},
		{"Subject", mime.QEncoding.Encode("utf-8", m.Subject)},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id) + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", `multipart/mixed; boundary="` + mw.Boundary() + `"`},
	}
	var head bytes.Buffer
	for _, h := range hdr {
		if strings.ContainsAny(h.v, "\r\n") {
			return nil, fmt.Errorf("header %s holds a line break", h.k)
		}
		fmt.Fprintf(&head, "%s: %s\r\n", h.k, h.v)
	}
	head.WriteString("\r\n")
	tp, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return nil, err
	}
	if err := writeQuotedPrintable(tp, m.Body); err != nil {
		return nil, err
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		disp := mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})
		ap, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {ct}, "Content-Transfer-Encoding": {"base64"},
			"Content-Disposition": {disp}})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			ap.Write([]byte(enc[:76] + "\r\n"))
			enc = enc[76:]
		}
		ap.Write([]byte(enc + "\r\n"))
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return append(head.Bytes(), b.Bytes()...), nil
}

func writeQuotedPrintable(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return err
	}
	return qp.Close()
}
