package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/engine/anomaly"
	"stockroom/engine/report"
	"stockroom/model"
)

// smtpConfig is the config file's "smtp" section. The password is best
// kept out of the file: password_env names an environment variable,
// password_file a file holding it.
type smtpConfig struct {
	Host         string `json:"host"`
	Port         int    `json:"port"` // default 587 (STARTTLS); 465 means TLS from the start
	Username     string `json:"username"`
	Password     string `json:"password"`
	PasswordEnv  string `json:"password_env"`
	PasswordFile string `json:"password_file"`
	From         string `json:"from"`
	TLS          string `json:"tls"`     // "starttls" (default) or "implicit"
	CAFile       string `json:"ca_file"` // PEM roots to trust instead of the system's
}

// reportConfig is the config file's "report" section, for scheduled
// reports.
type reportConfig struct {
	Dir     string   `json:"dir"`     // default: reports/ next to the store
	MailTo  []string `json:"mail_to"` // mailed when set
	Subject string   `json:"subject"` // default "Stock report DATE"
}

// smtp turns the section into the engine's settings.
func (c config) smtp(getenv func(string) string) (engine.SMTPConfig, error) {
	s := c.SMTP
	where := "config " + c.path + ": smtp"
	if s.Host == "" {
		return engine.SMTPConfig{}, fmt.Errorf("%s: no host configured (set smtp.host, smtp.from and the credentials)", where)
	}
	out := engine.SMTPConfig{Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password, From: s.From}
	switch strings.ToLower(s.TLS) {
	case "", "starttls":
	case "implicit", "tls":
		out.ImplicitTLS = true
	default:
		return out, fmt.Errorf("%s.tls: %q (want starttls or implicit)", where, s.TLS)
	}
	if s.PasswordEnv != "" {
		out.Password = getenv(s.PasswordEnv)
		if out.Password == "" {
			return out, fmt.Errorf("%s.password_env: $%s is empty", where, s.PasswordEnv)
		}
	}
	if s.PasswordFile != "" {
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return out, fmt.Errorf("%s.password_file: %w", where, err)
		}
		out.Password = strings.TrimRight(string(b), "\r\n")
	}
	if s.CAFile != "" {
		pool, err := engine.LoadCAFile(s.CAFile)
		if err != nil {
			return out, fmt.Errorf("%s.ca_file: %w", where, err)
		}
		out.RootCAs = pool
	}
	return out, nil
}

func runReport(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "report", "--db DB --out FILE.xlsx [--mail-to ADDR]...", `
Write the stock report workbook: stock and its status, reorder proposals
with their reasons, forecast accuracy by model and category, anomalies and
imports, each sheet with a chart. With --mail-to it is sent through the
SMTP server in the config file (STARTTLS and authentication; see the
README). Sheets whose engine has stored nothing yet say so.`)
	db := dbFlag(c, fs)
	out := fs.String("out", "", "the workbook to write (.xlsx)")
	var to dirList
	fs.Var(&to, "mail-to", "mail the report to this address (repeatable, or comma-separated)")
	subject := fs.String("subject", "", `the mail's subject (default "Stock report DATE")`)
	cfgPath := fs.String("config", defaultConfigPath(c.getenv), "config file (env STOCKROOM_CONFIG)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("report: name the workbook with --out FILE.xlsx")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	var rcpt []string
	for _, t := range to {
		for _, a := range strings.Split(t, ",") {
			if a = strings.TrimSpace(a); a != "" {
				rcpt = append(rcpt, a)
			}
		}
	}
	var smtp engine.SMTPConfig
	if len(rcpt) > 0 {
		// Check the mail settings before the work, not after.
		if smtp, err = cfg.smtp(c.getenv); err != nil {
			return err
		}
	}
	eng, closeFn, err := openExistingEngine(ctx, c, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	defer eng.Close()
	d, err := gatherReport(ctx, eng)
	if err != nil {
		return err
	}
	b, err := writeReport(*out, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %s; %s stock rows need a look, %s proposals, %s accuracy rows, %s anomalies, %s imports listed\n",
		*out, bytesHuman(int64(len(b))), thousands(int64(len(d.Stock))), thousands(int64(len(d.Proposals))),
		thousands(int64(len(d.Accuracy))), thousands(int64(len(d.Anomalies))), thousands(int64(len(d.Imports))))
	if len(rcpt) > 0 {
		if err := mailReport(ctx, smtp, rcpt, *subject, filepath.Base(*out), b, d); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "mailed to %s\n", strings.Join(rcpt, ", "))
	}
	return nil
}

// writeReport writes the workbook (through a temporary file, so a reader
// never sees half of it) and returns its bytes.
func writeReport(path string, d report.Data) ([]byte, error) {
	var buf bytes.Buffer
	if err := report.Write(&buf, d); err != nil {
		return nil, err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	tmp := path + ".partial"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	return buf.Bytes(), nil
}

func mailReport(ctx context.Context, smtp engine.SMTPConfig, to []string, subject, name string, b []byte, d report.Data) error {
	if subject == "" {
		subject = "Stock report " + d.Generated.Format("2006-01-02")
	}
	var out, low int
	for _, s := range d.Status {
		switch s.Status {
		case string(model.StatusOut):
			out = s.Rows
		case string(model.StatusLow):
			low = s.Rows
		}
	}
	// The sheets also list what was decided in the last month; the mail
	// counts what is still open.
	var openProps, openAnoms int
	for _, p := range d.Proposals {
		if model.ProposalState(p.State).Open() {
			openProps++
		}
	}
	for _, a := range d.Anomalies {
		if a.State == string(model.AnomalyOpen) {
			openAnoms++
		}
	}
	body := fmt.Sprintf("Stock report for %s, data as of %s.\n\nOut of stock: %d item×locations\nLow: %d\nOpen proposals: %d\nOpen anomalies: %d\nImports listed: %d\n\nThe workbook is attached.\n",
		d.Store, d.AsOf, out, low, openProps, openAnoms, len(d.Imports))
	return engine.SendMail(ctx, smtp, engine.Mail{To: to, Subject: subject, Body: body, Attachments: []engine.Attachment{{
		Name: name, ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: b}}})
}

// Report bounds: the stock sheet lists the rows that need a look, worst
// cover first, up to reportStockRows; the imports sheet the last
// reportImportDays days, up to reportImports files.
const (
	reportStockRows  = 50000
	reportImports    = 5000
	reportImportDays = 31
)

// gatherReport reads what the report shows from the store.
func gatherReport(ctx context.Context, eng *engine.Engine) (report.Data, error) {
	d := report.Data{Store: eng.Name(), Generated: time.Now()}
	o, err := eng.Overview(ctx)
	if err != nil {
		return d, err
	}
	if o.AsOf != model.NoDate {
		d.AsOf = o.AsOf.String()
	}
	d.Items, d.Locations, d.StockValue = o.Items, o.Locations, o.StockValue
	for _, st := range []model.Status{model.StatusOut, model.StatusLow, model.StatusOK, model.StatusOver, model.StatusDead, model.StatusNew, model.StatusIdle} {
		d.Status = append(d.Status, report.StatusCount{Status: string(st), Rows: o.ByStatus[st]})
	}
	q := model.StockQuery{Sort: model.SortCover, Limit: 5000,
		Filter: model.Filter{Conds: []model.Cond{{Col: "status", Op: "!=", Str: string(model.StatusOK)}}, AsOf: o.AsOf}}
	for len(d.Stock) < reportStockRows {
		rows, err := eng.StockPage(ctx, q)
		if err != nil {
			return d, err
		}
		for _, r := range rows {
			if len(d.Stock) == reportStockRows {
				break
			}
			cover := r.CoverDays
			if cover >= model.NoCover {
				cover = -1
			}
			last := ""
			if r.LastSale != model.NoDate && r.LastSale != 0 {
				last = r.LastSale.String()
			}
			d.Stock = append(d.Stock, report.StockLine{SKU: r.SKU, Name: r.Name, Category: r.Category, Location: r.Location,
				OnHand: r.OnHand, OnOrder: r.OnOrder, AvgDaily: r.AvgDaily, CoverDays: cover, LastSale: last, Status: string(r.Status(o.AsOf))})
		}
		if len(rows) < q.Limit {
			break
		}
		q.After = rows[len(rows)-1].Cursor
	}
	if len(d.Stock) == reportStockRows {
		q.After = nil
		if n, err := eng.StockCount(ctx, q); err == nil {
			d.StockTruncated = n - len(d.Stock)
		}
	}
	since := time.Now().AddDate(0, 0, -reportImportDays)
	var before int64
	for len(d.Imports) < reportImports {
		files, err := eng.Imports(ctx, before, 1000)
		if err != nil {
			return d, err
		}
		done := len(files) < 1000
		for _, f := range files {
			if f.Finished.Before(since) || len(d.Imports) == reportImports {
				done = true
				break
			}
			d.Imports = append(d.Imports, report.Import{Finished: f.Finished, Path: f.Path, Kind: f.Kind, User: f.User,
				RowsOK: f.RowsOK, Duplicate: f.RowsDuplicate, Rejected: f.RowsRejected, Error: f.Error})
			before = f.ID
		}
		if done {
			break
		}
	}
	return d, gatherEngines(ctx, eng, &d)
}

// reportRows bounds the proposals and anomalies sheets, as the stock
// sheet is bounded.
const reportRows = 50000

// gatherEngines fills the sheets of the forecast, replenishment and anomaly
// engines: the open proposals and anomalies, with those people decided in
// the last reportImportDays days, and the stored forecasts' backtest
// accuracy by model and category. A sheet with nothing to show says why.
func gatherEngines(ctx context.Context, eng *engine.Engine, d *report.Data) error {
	since := d.Generated.AddDate(0, 0, -reportImportDays)
	ps, err := eng.Proposals(ctx, model.ProposalQuery{States: []model.ProposalState{model.ProposalProposed, model.ProposalSnoozed,
		model.ProposalApproved, model.ProposalOrdered, model.ProposalPartlyReceived, model.ProposalReceived, model.ProposalRejected}})
	if err != nil {
		return err
	}
	for _, p := range ps {
		if !p.State.Open() && p.At.Before(since) {
			continue
		}
		if len(d.Proposals) == reportRows {
			break
		}
		r := p.Reasons
		line := report.Proposal{ID: p.ID, SKU: p.SKU, Location: p.Location, Supplier: p.Supplier, Kind: string(p.Kind),
			Qty: p.Qty, Value: p.Value(), State: string(p.State), OnHand: r.OnHand, OnOrder: r.OnOrder,
			ReorderPoint: float64(r.ReorderPoint), OrderUpTo: float64(r.OrderUpTo), SafetyStock: r.SafetyStock,
			LeadTimeDays: r.LeadTimeDays, ForecastLeadTime: r.HorizonMean, Reason: r.Summary(), DecidedBy: p.By}
		if p.Kind == model.ProposalTransfer {
			line.Supplier = "from " + p.From
		}
		if !p.At.IsZero() && p.By != "" {
			line.Decided = p.At.UTC().Format("2006-01-02 15:04")
		}
		if p.Note != "" {
			line.Reason += "; " + p.Note
		}
		d.Proposals = append(d.Proposals, line)
	}
	if len(d.Proposals) == 0 {
		d.ProposalsNote = "No open reorder proposals, and none decided in the last 31 days: `stockroom plan` makes them."
	}

	acc, err := eng.ForecastAccuracies(ctx)
	if err != nil {
		return err
	}
	for _, a := range acc {
		d.Accuracy = append(d.Accuracy, report.Accuracy{Model: a.Model, Category: a.Category, Series: a.Series,
			MAE: a.MAE, RMSE: a.RMSE, MASE: a.MASE, WAPE: a.WAPE, Bias: a.Bias})
	}
	if len(d.Accuracy) == 0 {
		d.AccuracyNote = "No stored forecast has a backtest yet: `stockroom forecast --db DB` (or the nightly forecast job) makes them."
	}

	q := engine.AnomalyQuery{Limit: 5000}
	for len(d.Anomalies) < reportRows {
		as, err := eng.Anomalies(ctx, q)
		if err != nil {
			return err
		}
		for _, a := range as {
			// Acted on: by a person in the last month. Members of a
			// category-wide move, dismissed on arrival, are in its row.
			if a.State != model.AnomalyOpen && (a.At.Before(since) || a.By == anomaly.CohortBy) {
				continue
			}
			if len(d.Anomalies) == reportRows {
				break
			}
			subject := a.SKU
			if subject == "" {
				subject = filepath.Base(a.File)
			}
			x := report.Anomaly{ID: a.ID, SKU: subject, Location: a.Location, Date: a.Date.String(), Detector: a.Detector,
				Score: a.Score, Value: a.Observed, Expected: a.Expected, State: string(a.State), By: a.By}
			d.Anomalies = append(d.Anomalies, x)
		}
		if len(as) < q.Limit {
			break
		}
		q.After = data.AnomalyCursorOf(as[len(as)-1])
	}
	if len(d.Anomalies) == 0 {
		d.AnomaliesNote = "No open anomalies, and none acted on in the last 31 days."
	}
	return nil
}

// reportJob is the scheduled report: written to the reports folder and
// mailed when the config names recipients.
func reportJob(eng *engine.Engine, cfg config, dbDir string, logf func(string, ...any)) engine.Job {
	return func(ctx context.Context) error {
		d, err := gatherReport(ctx, eng)
		if err != nil {
			return err
		}
		dir := cfg.Report.Dir
		if dir == "" {
			dir = filepath.Join(dbDir, "reports")
		}
		path := filepath.Join(dir, "stockroom-report-"+d.Generated.Format("2006-01-02-1504")+".xlsx")
		b, err := writeReport(path, d)
		if err != nil {
			return err
		}
		logf("report: %s", path)
		if len(cfg.Report.MailTo) == 0 {
			return nil
		}
		smtp, err := cfg.smtp(os.Getenv)
		if err != nil {
			return err
		}
		if err := mailReport(ctx, smtp, cfg.Report.MailTo, cfg.Report.Subject, filepath.Base(path), b, d); err != nil {
			return err
		}
		logf("report: mailed to %s", strings.Join(cfg.Report.MailTo, ", "))
		return nil
	}
}
