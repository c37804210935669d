package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"stockroom/data"
	"stockroom/engine"
	"stockroom/engine/replenish"
	"stockroom/model"
)

func runPlan(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "plan", "--db DB [--json] [--policy RULES.csv] [--service A=0.98,B=0.95,C=0.90] [--models LIST]", `
Recompute the reorder proposals of every item×location: forecast demand,
work out safety stock, reorder point and order-up-to level for the item's
service target, net the position (on hand + on order − committed)
against open orders and transfers, propose a transfer from a location
holding more than its order-up-to level before a purchase, and raise
alerts. An item×location has at most one open proposal: a recompute
updates it, withdraws it when the need has gone, and never makes a second.
Nothing is reordered for a delisted item (items' delisted_on) or for stock
that has not sold for 90 days; an item out of stock that long is proposed
with a warning to check it is still sold.

--policy replaces the stored policy rules first (CSV with columns scope,
key, service, review_days, lead_time_days, lead_time_sd_days, max_stock,
order_cost, holding_rate, budget; scope is default, class, category,
supplier or item; empty cells leave a field to the wider scope).`)
	db := dbFlag(c, fs)
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	policyFile := fs.String("policy", "", "replace the policy rules with this CSV file first")
	service := fs.String("service", "", "service targets per ABC class, e.g. A=0.98,B=0.95,C=0.9")
	models := fs.String("models", "", "forecast on the fly with these models for every item×location (default: the stored forecasts where fresh, else ses for smooth and sba for intermittent demand, each against tsb)")
	quick := fs.Bool("quick", false, "forecast with one model per series and no backtest (several times faster)")
	review := fs.Int("review", 1, "days between recomputes the stock must bridge")
	lead := fs.String("lead-time", "7,2", "lead time DAYS[,SD] of items whose supplier gives none")
	cycle := fs.Bool("cycle", false, "targets are cycle service levels (no stockout in a cycle) instead of fill rates")
	backorders := fs.Bool("backorders", false, "plan for customers who wait when an item is out (default: unmet demand is lost)")
	user := fs.String("as", "", "who recomputes, for the audit trail (default: the login name)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	err := parseNoArgs(fs, args)
	if err != nil {
		return err
	}
	opt := engine.PlanOptions{ReviewDays: *review, Backorders: *backorders, User: userName(c, *user)}
	if *cycle {
		opt.Kind = replenish.Cycle
	}
	if *service != "" {
		if opt.Service, err = parseClassService(*service); err != nil {
			return usageErrorf("plan: --service: %v", err)
		}
	}
	if opt.LeadTimeDays, opt.LeadTimeSD, err = parseLeadTime(*lead); err != nil {
		return usageErrorf("plan: --lead-time: %v", err)
	}
	switch {
	case *quick && *models != "":
		return usageErrorf("plan: --quick and --models exclude each other")
	case *quick:
		opt.Forecaster = engine.QuickForecaster{}
	case *models != "":
		opt.Forecaster = engine.RunForecaster{Models: splitList(*models)}
	}
	eng, closeFn, err := openExistingEngine(ctx, c, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	if *policyFile != "" {
		rules, err := readPolicyCSV(*policyFile)
		if err != nil {
			return err
		}
		if err := eng.Store().SetPolicies(ctx, rules, opt.User); err != nil {
			return err
		}
	}
	if !*quiet && !*asJSON && isTerminal(c.stderr) {
		var last time.Time
		opt.Progress = func(done, total int) {
			if time.Since(last) > 200*time.Millisecond || done == total {
				last = time.Now()
				fmt.Fprintf(c.stderr, "\rplanning %s of %s item×locations", thousands(int64(done)), thousands(int64(total)))
			}
		}
	}
	sum, err := eng.Plan(ctx, opt)
	if opt.Progress != nil {
		fmt.Fprint(c.stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c.stdout, sum)
	}
	w := c.stdout
	fmt.Fprintf(w, "as of %s: %s item×locations planned in %.1fs; forecasts: ", sum.AsOfText, thousands(int64(sum.ItemLocations)), sum.Seconds)
	fly := strings.TrimPrefix(sum.Forecaster, "stored forecasts, else ")
	switch n := sum.ItemLocations - sum.StoredForecasts; {
	case sum.StoredForecasts == 0:
		fmt.Fprintf(w, "all made %s\n", fly)
	case n == 0:
		fmt.Fprintf(w, "all stored (the last forecast --db run)\n")
	default:
		fmt.Fprintf(w, "%s stored (the last forecast --db run), %s made %s\n", thousands(int64(sum.StoredForecasts)), thousands(int64(n)), fly)
	}
	fmt.Fprintf(w, "need: %s, %s, %s units, value %s\n", count(sum.Purchases, "purchase", "purchases"),
		count(sum.Transfers, "transfer", "transfers"), thousands(sum.Units), model.Money(sum.Value))
	if sum.DemandAhead > 0 || sum.DemandBehind > 0 {
		fmt.Fprintf(w, "demand: %s units forecast for the next 28 days", thousands(int64(math.Round(sum.DemandAhead))))
		if sum.DemandBehind > 0 {
			behind := "the last 28"
			if d := sum.BehindDays; d > 0 && d < 28 {
				// A young store: a month's forecast against a few days' sales.
				behind = "the " + count(d, "day", "days") + " of history so far"
			}
			fmt.Fprintf(w, ", %.2f× the %s sold in %s", sum.DemandAhead/sum.DemandBehind, thousands(int64(math.Round(sum.DemandBehind))), behind)
		}
		fmt.Fprintln(w)
	}
	p := sum.Proposals
	fmt.Fprintf(w, "proposals: %d new, %d changed, %d refreshed, %d withdrawn, %d back from snooze, %d held by a recent rejection",
		p.Created, p.Updated, p.Refreshed, p.Withdrawn, p.Woken, p.Held)
	if sum.BudgetCut > 0 {
		fmt.Fprintf(w, ", %d cut by a budget", sum.BudgetCut)
	}
	if sum.Delisted > 0 {
		fmt.Fprintf(w, "; none for %s delisted", thousands(int64(sum.Delisted)))
	}
	if sum.NotSelling > 0 {
		fmt.Fprintf(w, "; none for %s with stock unsold for over %d days", thousands(int64(sum.NotSelling)), model.DeadDays)
	}
	fmt.Fprintln(w)
	var parts []string
	for _, k := range model.AlertKinds {
		parts = append(parts, fmt.Sprintf("%s %s", strings.ReplaceAll(string(k), "_", " "), thousands(int64(sum.Alerts[k]))))
	}
	fmt.Fprintf(w, "alerts: %s\n", strings.Join(parts, ", "))
	return nil
}

// proposalJSON is one element of `proposals --json`.
type proposalJSON struct {
	ID           int64         `json:"id"`
	SKU          string        `json:"sku"`
	Name         string        `json:"name"`
	Location     string        `json:"location"`
	Kind         string        `json:"kind"`
	From         string        `json:"from,omitempty"`
	Supplier     string        `json:"supplier"`
	Qty          int64         `json:"qty"`
	SuggestedQty int64         `json:"suggested_qty"`
	Edited       bool          `json:"edited"`
	UnitCost     float64       `json:"unit_cost"`
	Value        float64       `json:"value"`
	State        string        `json:"state"`
	Version      int64         `json:"version"`
	Urgency      float64       `json:"urgency"`
	SnoozeUntil  string        `json:"snooze_until,omitempty"`
	AsOf         string        `json:"as_of"`
	PO           string        `json:"po,omitempty"`
	By           string        `json:"by,omitempty"`
	At           string        `json:"at,omitempty"`
	Note         string        `json:"note,omitempty"`
	Reasons      model.Reasons `json:"reasons"`
}

func toProposalJSON(p model.Proposal) proposalJSON {
	j := proposalJSON{ID: p.ID, SKU: p.SKU, Name: p.Name, Location: p.Location, Kind: string(p.Kind), From: p.From, Supplier: p.Supplier,
		Qty: p.Qty, SuggestedQty: p.SuggestedQty, Edited: p.Edited, UnitCost: p.UnitCost, Value: round(p.Value(), 2), State: string(p.State),
		Version: p.Version, Urgency: round(p.Urgency, 2), SnoozeUntil: p.SnoozeUntil.String(), AsOf: p.AsOf.String(), PO: p.PO,
		By: p.By, Note: p.Note, Reasons: p.Reasons}
	if !p.At.IsZero() {
		j.At = p.At.UTC().Format(time.RFC3339)
	}
	return j
}

func runProposals(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "proposals", "--db DB [--json] [--state S] [--sku SKU] [--location L] [--limit N] [ID...]", `
List reorder proposals, most urgent first (urgency: days left before a
stockout an order placed now can still prevent; negative is too late),
snoozed ones after the rest.
Without --state the open ones (proposed and snoozed) are listed; --state
takes a comma list of proposed, snoozed, approved, ordered,
partly_received, received, rejected, withdrawn, or all. IDs list those
proposals, with their audit trail in text mode.`)
	db := dbFlag(c, fs)
	asJSON := fs.Bool("json", false, "print a JSON array of {id,sku,name,location,kind,from,supplier,qty,suggested_qty,unit_cost,value,state,version,urgency,po,reasons,…}")
	state := fs.String("state", "", "states to list (default proposed,snoozed; all for every state)")
	sku := fs.String("sku", "", "only this SKU")
	loc := fs.String("location", "", "only this location")
	limit := fs.Int("limit", 0, "list at most this many (0 = all)")
	alerts := fs.Bool("alerts", false, "list the alerts of the last recompute instead")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	q := model.ProposalQuery{SKU: *sku, Location: *loc, Limit: *limit}
	if q.States, err = parseStates(*state); err != nil {
		return usageErrorf("proposals: --state: %v", err)
	}
	for _, a := range pos {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return usageErrorf("proposals: %q is not a proposal id", a)
		}
		q.IDs = append(q.IDs, id)
	}
	eng, closeFn, err := openExistingEngine(ctx, c, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	if *alerts {
		return printAlerts(ctx, c, eng, *asJSON, *limit)
	}
	ps, err := eng.Proposals(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]proposalJSON, len(ps))
		for i, p := range ps {
			out[i] = toProposalJSON(p)
		}
		return writeJSON(c.stdout, out)
	}
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSKU\tLOCATION\tKIND\tQTY\tVALUE\tSTATE\tVER\tURGENCY\tOUT ON\tWHY")
	var units int64
	var value float64
	for _, p := range ps {
		kind := string(p.Kind)
		if p.Kind == model.ProposalTransfer {
			kind = "from " + p.From
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%.2f\t%s\t%d\t%.1f\t%s\t%s\n", p.ID, p.SKU, p.Location, kind, p.Qty, p.Value(), p.State,
			p.Version, p.Urgency, p.Reasons.StockoutDate, whyText(p))
		units += p.Qty
		value += p.Value()
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s, %s units, value %s\n", count(len(ps), "proposal", "proposals"), thousands(units), model.Money(value))
	if len(q.IDs) > 0 {
		for _, p := range ps {
			printProposalDetail(ctx, c.stdout, eng, p)
		}
	}
	return nil
}

func whyText(p model.Proposal) string {
	r := p.Reasons
	s := fmt.Sprintf("pos %d < rop %d (ss %.0f, %s %.0f%%)", r.Position, r.ReorderPoint, r.SafetyStock, r.Class, 100*r.Service)
	if r.NotSold > 0 {
		s += fmt.Sprintf("; unsold %dd: still sold here?", r.NotSold)
	}
	if p.State == model.ProposalRejected && p.Note != "" {
		s = "rejected: " + p.Note
	}
	return s
}

func printProposalDetail(ctx context.Context, w io.Writer, eng *engine.Engine, p model.Proposal) {
	r := p.Reasons
	fmt.Fprintf(w, "\nproposal %d: %s %d × %s (%s) at %s", p.ID, p.Kind, p.Qty, p.SKU, p.Name, p.Location)
	if p.From != "" {
		fmt.Fprintf(w, " from %s", p.From)
	}
	fmt.Fprintf(w, ", %s, version %d\n", p.State, p.Version)
	acc := "no backtest"
	if r.BacktestDays > 0 {
		acc = fmt.Sprintf("backtest MAE %.2f, MASE %.2f over %s", r.ForecastMAE, r.ForecastMASE, count(r.BacktestDays, "day", "days"))
	}
	fmt.Fprintf(w, "  forecast %.2f a day (%s; %s); demand over %.1f days %.1f ± %.1f\n",
		r.DailyMean, r.Model, acc, r.HorizonDays, r.HorizonMean, r.HorizonSD)
	fmt.Fprintf(w, "  position %d = on hand %d + on order %d − committed %d; class %s, %.1f%% %s\n",
		r.Position, r.OnHand, r.OnOrder, r.Committed, r.Class, 100*r.Service, strings.ReplaceAll(r.ServiceKind, "_", " "))
	fmt.Fprintf(w, "  safety stock %.1f, reorder point %d, order-up-to %d; raw %d", r.SafetyStock, r.ReorderPoint, r.OrderUpTo, r.RawQty)
	if r.Rounding != "" {
		fmt.Fprintf(w, ", %s", r.Rounding)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  cover %s days before, %s after", coverText(r.CoverBefore), coverText(p.CoverAfter()))
	if r.StockoutDate != "" {
		fmt.Fprintf(w, "; runs out on %s if nothing is done", r.StockoutDate)
	}
	fmt.Fprintln(w)
	for _, s := range []string{r.NotSoldText(), r.Transfer, r.Budget} {
		if s != "" {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	trail, err := eng.ProposalAudit(ctx, p.ID)
	if err != nil {
		return
	}
	for _, a := range trail {
		fmt.Fprintf(w, "  %s  %-10s %-8s saw v%d  %s\n", a.At.Local().Format("2006-01-02 15:04:05"), a.Action, a.User, a.Version, a.Detail)
	}
}

func printAlerts(ctx context.Context, c *cli, eng *engine.Engine, asJSON bool, limit int) error {
	as, err := eng.Alerts(ctx, nil, limit)
	if err != nil {
		return err
	}
	if asJSON {
		type alertJSON struct {
			SKU      string  `json:"sku"`
			Location string  `json:"location"`
			Kind     string  `json:"kind"`
			Value    float64 `json:"value"`
			Detail   string  `json:"detail"`
			AsOf     string  `json:"as_of"`
		}
		out := make([]alertJSON, len(as))
		for i, a := range as {
			out[i] = alertJSON{a.SKU, a.Location, string(a.Kind), round(a.Value, 2), a.Detail, a.AsOf.String()}
		}
		return writeJSON(c.stdout, out)
	}
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ALERT\tSKU\tLOCATION\tDETAIL")
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Kind, a.SKU, a.Location, a.Detail)
	}
	return tw.Flush()
}

func runApprove(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "approve", "--db DB ID... --as USER [--qty N] [--version V]", `
Approve reorder proposals: each approval adds exactly one line to its
supplier's open purchase order (see 'stockroom po'). An approval checks
and changes the proposal in one step, so when several people (or
processes) approve the same proposal only one succeeds.

Exit status: 0 when this call approved every ID; 1, with a message per
ID, when any was already acted on, changed since --version, or missing.`)
	db := dbFlag(c, fs)
	user := fs.String("as", "", "who approves, for the audit trail (default: the login name)")
	qty := fs.Int64("qty", 0, "approve this quantity instead of the proposed one (one ID only)")
	version := fs.Int64("version", 0, "the version you saw: refuse if the proposal changed since (one ID only)")
	asJSON := fs.Bool("json", false, "print the approved proposals as a JSON array")
	return actOn(ctx, c, fs, args, db, asJSON, func(id int64) model.ProposalRequest {
		return model.ProposalRequest{Action: model.ActApprove, Version: *version, Qty: *qty, User: userName(c, *user)}
	}, func(ids []int64) error {
		if len(ids) > 1 && (*qty != 0 || *version != 0) {
			return usageErrorf("approve: --qty and --version take one ID")
		}
		if *qty < 0 {
			return usageErrorf("approve: --qty must be positive")
		}
		return nil
	})
}

func runReject(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "reject", "--db DB ID... --as USER --reason TEXT [--version V]", `
Reject reorder proposals with a reason. A rejected item×location gets no
new proposal for a week of data unless the rejection is of a withdrawn one.

Exit status: 0 when this call rejected every ID; 1 when any was already
acted on, changed since --version, or missing.`)
	db := dbFlag(c, fs)
	user := fs.String("as", "", "who rejects, for the audit trail (default: the login name)")
	reason := fs.String("reason", "", "why (required)")
	version := fs.Int64("version", 0, "the version you saw: refuse if the proposal changed since (one ID only)")
	asJSON := fs.Bool("json", false, "print the rejected proposals as a JSON array")
	return actOn(ctx, c, fs, args, db, asJSON, func(id int64) model.ProposalRequest {
		return model.ProposalRequest{Action: model.ActReject, Version: *version, User: userName(c, *user), Note: *reason}
	}, func(ids []int64) error {
		if strings.TrimSpace(*reason) == "" {
			return usageErrorf("reject: --reason is required")
		}
		if len(ids) > 1 && *version != 0 {
			return usageErrorf("reject: --version takes one ID")
		}
		return nil
	})
}

// actOn runs one action on each proposal ID of the command line.
func actOn(ctx context.Context, c *cli, fs *flag.FlagSet, args []string, db *string, asJSON *bool,
	req func(int64) model.ProposalRequest, check func([]int64) error) error {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	name := fs.Name()
	if len(pos) == 0 {
		return usageErrorf("%s: name at least one proposal ID (see 'stockroom %s --help')", name, name)
	}
	var ids []int64
	for _, a := range pos {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return usageErrorf("%s: %q is not a proposal id", name, a)
		}
		ids = append(ids, id)
	}
	if err := check(ids); err != nil {
		return err
	}
	eng, closeFn, err := openExistingEngine(ctx, c, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	var done []proposalJSON
	failed := 0
	for _, id := range ids {
		p, err := eng.ActOnProposal(ctx, id, req(id))
		if err != nil {
			if !isConflict(err) {
				var fe *model.FieldError
				if errors.As(err, &fe) {
					return usageErrorf("%s: %v", name, err)
				}
				if !errors.Is(err, data.ErrNotFound) {
					return err
				}
			}
			failed++
			fmt.Fprintf(c.stderr, "stockroom: %s %d: %v\n", name, id, err)
			continue
		}
		done = append(done, toProposalJSON(p))
		if p.Qty != p.SuggestedQty {
			if w := p.QtyWarning(p.Qty); w != "" {
				fmt.Fprintf(c.stderr, "stockroom: %s %d: note: %d is %s\n", name, id, p.Qty, w)
			}
		}
		if !*asJSON {
			fmt.Fprintf(c.stdout, "%s %d: %s %d × %s at %s", pastTense(name), p.ID, p.Kind, p.Qty, p.SKU, p.Location)
			if p.PO != "" {
				fmt.Fprintf(c.stdout, " on %s", p.PO)
			}
			fmt.Fprintf(c.stdout, " (value %s, now version %d)\n", model.Money(p.Value()), p.Version)
		}
	}
	if *asJSON {
		if done == nil {
			done = []proposalJSON{}
		}
		if err := writeJSON(c.stdout, done); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%s: %d of %d not done", name, failed, len(ids))}
	}
	return nil
}

func isConflict(err error) bool {
	return errors.Is(err, model.ErrProposalStale) || errors.Is(err, model.ErrProposalTransition)
}

func pastTense(verb string) string {
	if strings.HasSuffix(verb, "e") {
		return verb + "d"
	}
	return verb + "ed"
}

// poJSON is one element of `po --json`.
type poJSON struct {
	ID        int64        `json:"id"`
	Code      string       `json:"code"`
	Kind      string       `json:"kind"`
	Supplier  string       `json:"supplier"`
	State     string       `json:"state"`
	Version   int64        `json:"version"`
	CreatedAt string       `json:"created_at"`
	CreatedBy string       `json:"created_by"`
	SentAt    string       `json:"sent_at,omitempty"`
	SentBy    string       `json:"sent_by,omitempty"`
	Value     float64      `json:"value"`
	Lines     []poLineJSON `json:"lines"`
}

type poLineJSON struct {
	ProposalID int64   `json:"proposal_id"`
	SKU        string  `json:"sku"`
	Location   string  `json:"location"`
	From       string  `json:"from,omitempty"`
	Qty        int64   `json:"qty"`
	UnitCost   float64 `json:"unit_cost"`
	Received   int64   `json:"received"`
	Shipped    int64   `json:"shipped,omitempty"`
}

func runPO(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "po", "--db DB [--json] [--state S] [--send ID --as USER]", `
List purchase orders (and transfer orders) with their lines, newest first.
Approved proposals join their supplier's open order; --send marks an open
order as sent (ordered) and the next approval for that supplier starts a
new one. Receipts imported as movements whose ref carries the order's code
(PO-000012, or PO-000012/2 for a second delivery) count as received; a
fully received order closes.`)
	db := dbFlag(c, fs)
	asJSON := fs.Bool("json", false, "print a JSON array of {id,code,kind,supplier,state,version,value,lines:[{proposal_id,sku,location,qty,received}]}")
	state := fs.String("state", "", "only these states (comma list of open, ordered, partly_received, received)")
	send := fs.Int64("send", 0, "mark this open order as sent to its supplier")
	version := fs.Int64("version", 0, "with --send: the order's version you saw")
	user := fs.String("as", "", "who sends, for the audit trail (default: the login name)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var states []model.POState
	for _, s := range splitList(*state) {
		switch st := model.POState(strings.ToLower(s)); st {
		case model.POOpen, model.POOrdered, model.POPartlyReceived, model.POReceived:
			states = append(states, st)
		default:
			return usageErrorf("po: --state: unknown state %q", s)
		}
	}
	eng, closeFn, err := openExistingEngine(ctx, c, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	if *send != 0 {
		if err := eng.SendPO(ctx, *send, *version, userName(c, *user)); err != nil {
			if isConflict(err) || errors.Is(err, data.ErrNotFound) {
				return &exitError{code: 1, err: err}
			}
			return err
		}
		if !*asJSON {
			fmt.Fprintf(c.stdout, "purchase order %d sent\n", *send)
		}
	}
	if _, err := eng.Receive(ctx); err != nil {
		return err
	}
	pos2, err := eng.PurchaseOrders(ctx, states)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]poJSON, len(pos2))
		for i, po := range pos2 {
			j := poJSON{ID: po.ID, Code: po.Code, Kind: string(po.Kind), Supplier: po.Supplier, State: string(po.State), Version: po.Version,
				CreatedAt: po.CreatedAt.UTC().Format(time.RFC3339), CreatedBy: po.CreatedBy, SentBy: po.SentBy, Value: round(po.Value(), 2),
				Lines: []poLineJSON{}}
			if !po.SentAt.IsZero() {
				j.SentAt = po.SentAt.UTC().Format(time.RFC3339)
			}
			for _, l := range po.Lines {
				j.Lines = append(j.Lines, poLineJSON{ProposalID: l.ProposalID, SKU: l.SKU, Location: l.Location, From: l.From, Qty: l.Qty,
					UnitCost: l.UnitCost, Received: l.Received, Shipped: l.Shipped})
			}
			out[i] = j
		}
		return writeJSON(c.stdout, out)
	}
	if len(pos2) == 0 {
		fmt.Fprintln(c.stdout, "no purchase orders: approving a proposal makes one (stockroom approve, or a in the console)")
	}
	for _, po := range pos2 {
		who := po.Supplier
		if po.Kind == model.ProposalTransfer {
			who = "transfer from " + po.Supplier
		}
		if who == "" {
			who = "(no supplier)"
		}
		fmt.Fprintf(c.stdout, "%s  %s  %s  %s  value %s  (v%d, created %s by %s)\n", po.Code, who, po.State, count(len(po.Lines), "line", "lines"), model.Money(po.Value()),
			po.Version, po.CreatedAt.Local().Format("2006-01-02 15:04"), po.CreatedBy)
		tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
		for _, l := range po.Lines {
			fmt.Fprintf(tw, "    proposal %d\t%s\t%s\t%d\treceived %d\t\n", l.ProposalID, l.SKU, l.Location, l.Qty, l.Received)
		}
		tw.Flush()
	}
	return nil
}

func runSimulate(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "simulate", "--input SALES.csv --lead-time DAYS[,SPREAD] --service 0.95 --policy auto|minmax|seed-threshold [--review DAYS] [--out DAILY.csv] [--json]", `
Replay a demand history day by day under a replenishment policy and report
what it achieves. Each day the history's demand is served from stock (what
is not served is lost), then the policy looks at what it has seen so far
(sales, with stockout days marked; never the demand it lost) and may
order; an order arrives after a lead time drawn from N(DAYS, SPREAD²)
rounded to whole days. The last --days of every series are replayed; the
history before them is what the policies start from.

Policies: auto is stockroom's (forecast, service-level reorder point, as
'stockroom plan' does); minmax orders up to --max-days of average daily
demand (last 28 days in stock) when the position falls to --min-days;
seed-threshold orders up to --level-days of the average demand before the
replay whenever stock on hand falls to 80% of --threshold-days of it.
Without their days, minmax and seed-threshold are tuned with hindsight to
reach --service as fill rate (the parameters found are printed), which is
how to compare policies at the same service.

SALES.csv is the long series_id,period,value format of 'stockroom forecast'.`)
	input := fs.String("input", "", "demand history (series_id,period,value)")
	lead := fs.String("lead-time", "", "lead time DAYS[,SPREAD]: mean and standard deviation in days")
	service := fs.Float64("service", 0.95, "target fill rate (auto), or the fill rate to tune a baseline to")
	policy := fs.String("policy", replenish.PolicyAuto, "auto, minmax or seed-threshold")
	review := fs.Int("review", 1, "days between reviews")
	out := fs.String("out", "", "write every series' days to this CSV (series_id,date,demand,served,lost,received,shrink,on_hand,on_order,ordered)")
	asJSON := fs.Bool("json", false, "print one JSON object: fill_rate, cycle_service_level, stockout_days, avg_on_hand, orders, … (totals over all series)")
	days := fs.Int("days", 365, "days replayed at the end of each series")
	seed := fs.Uint64("seed", 1, "random seed (lead times, shrinkage)")
	shrink := fs.Float64("shrink", 0, "share of stock on hand lost each day (theft, damage)")
	var minDays, maxDays, threshold, level optNum[float64]
	fs.Var(&minDays, "min-days", "minmax: reorder when the position falls to this many `days` of demand (default: tuned)")
	fs.Var(&maxDays, "max-days", "minmax: order up to this many `days` of demand (default: tuned)")
	fs.Var(&threshold, "threshold-days", "seed-threshold: the threshold in `days` of average demand (default: tuned)")
	fs.Var(&level, "level-days", "seed-threshold: the reorder level in `days` of average demand (default: the threshold)")
	models := fs.String("models", "", "auto: forecast models to choose from (default "+strings.Join(replenish.DefaultSimModels, ",")+")")
	refit := fs.Int("refit", 7, "auto: days between forecast refits")
	events := fs.String("events", "", "auto: events CSV for the forecast (date,name[,kind][,applies_to])")
	prices := fs.String("prices", "", "auto: prices CSV for the forecast (series_id,period,price; the plan is known ahead)")
	attrs := fs.String("attributes", "", "auto: attributes CSV for the forecast (series_id plus categorical columns)")
	pack := fs.Int64("pack", 0, "round every order up to whole packs of this size")
	moq := fs.Int64("moq", 0, "minimum order quantity")
	cycle := fs.Bool("cycle", false, "auto: --service is a cycle service level instead of a fill rate")
	quiet := fs.Bool("quiet", false, "no progress on standard error")
	err := parseNoArgs(fs, args)
	if err != nil {
		return err
	}
	if *input == "" {
		return usageErrorf("simulate: --input is required")
	}
	if *lead == "" {
		return usageErrorf("simulate: --lead-time is required")
	}
	o := replenish.SimOptions{Policy: *policy, Service: *service, ReviewDays: *review, Days: *days, Seed: *seed, Shrink: *shrink,
		RefitDays: *refit, PackSize: *pack, MOQ: *moq, Models: splitList(*models)}
	if *cycle {
		o.Kind = replenish.Cycle
	}
	if o.LeadMean, o.LeadSD, err = parseLeadTime(*lead); err != nil {
		return usageErrorf("simulate: --lead-time: %v", err)
	}
	if !slices.Contains(replenish.Policies, o.Policy) {
		return usageErrorf("simulate: --policy must be auto, minmax or seed-threshold")
	}
	if !(o.Service > 0 && o.Service < 1) {
		if o.Service > 1 && o.Service < 100 {
			return usageErrorf("simulate: --service is a fraction: %g for %g%%", o.Service/100, o.Service)
		}
		return usageErrorf("simulate: --service must be within (0,1), e.g. 0.95")
	}
	if *review < 1 || *days < 1 || *refit < 1 {
		return usageErrorf("simulate: --review, --days and --refit must be at least 1")
	}
	if *shrink < 0 || *shrink >= 1 {
		return usageErrorf("simulate: --shrink must be within [0,1)")
	}
	series, cal, err := readForecastInputs(*input, *events, *prices, *attrs, o.ForecastHorizon())
	if err != nil {
		return err
	}
	o.Calendar = cal
	tuned := false
	switch o.Policy {
	case replenish.PolicyMinMax:
		if minDays.set || maxDays.set {
			if !minDays.set || !maxDays.set || maxDays.v < minDays.v {
				return usageErrorf("simulate: minmax needs --min-days and --max-days ≥ --min-days")
			}
			o.MinDays, o.MaxDays = minDays.v, maxDays.v
		} else {
			tuned = true
		}
	case replenish.PolicySeedThreshold:
		if threshold.set {
			o.ThresholdDays, o.LevelDays = threshold.v, level.v
			if !level.set {
				o.LevelDays = threshold.v
			}
		} else {
			tuned = true
		}
	}
	prog := newProgress(c, *quiet || !isTerminal(c.stderr))
	label := "simulate " + *input
	o.Progress = func(done, total int) { prog.update(label, int64(done), int64(total)) }
	var res replenish.SimResult
	if tuned {
		label = "simulate: tuning " + o.Policy + " to " + strconv.FormatFloat(100*o.Service, 'f', -1, 64) + "% fill"
		t, err := replenish.Tune(ctx, series, o, o.Service)
		if err != nil {
			prog.done()
			return fmt.Errorf("simulate: %w", err)
		}
		o = t.Options
		label = "simulate " + *input
	}
	var rows []replenish.SimDay
	var daily func(replenish.SimDay)
	if *out != "" {
		daily = func(d replenish.SimDay) { rows = append(rows, d) }
	}
	res, err = replenish.Simulate(ctx, series, o, daily)
	prog.done()
	if err != nil {
		return err
	}
	if *out != "" {
		if err := writeDailyCSV(*out, rows); err != nil {
			return err
		}
	}
	t := res.Total
	params := map[string]float64{}
	switch o.Policy {
	case replenish.PolicyMinMax:
		params["min_days"], params["max_days"] = round(o.MinDays, 3), round(o.MaxDays, 3)
	case replenish.PolicySeedThreshold:
		params["threshold_days"], params["level_days"] = round(o.ThresholdDays, 3), round(o.LevelDays, 3)
	}
	if *asJSON {
		return writeJSON(c.stdout, map[string]any{
			"fill_rate": round(t.FillRate(), 6), "cycle_service_level": round(t.CycleService(), 6), "stockout_days": t.StockoutDays,
			"avg_on_hand": round(t.AvgOnHand, 3), "orders": t.Orders, "policy": o.Policy, "service": o.Service,
			"lead_time_days": o.LeadMean, "lead_time_sd_days": o.LeadSD, "review_days": o.ReviewDays, "series": t.Series, "days": t.Days,
			"demand": round(t.Demand, 3), "served": round(t.Served, 3), "lost": round(t.Lost, 3), "received": t.Received,
			"shrinkage": t.Shrinkage, "start_stock": t.StartStock, "end_stock": t.EndStock, "cycles": t.Cycles,
			"params": params, "tuned": tuned,
		})
	}
	w := c.stdout
	fmt.Fprintf(w, "policy %s", o.Policy)
	if o.Policy == replenish.PolicyAuto {
		fmt.Fprintf(w, " (target %s %.1f%%)", strings.ReplaceAll(o.Kind.String(), "_", " "), 100*o.Service)
	}
	for _, k := range []string{"min_days", "max_days", "threshold_days", "level_days"} {
		if v, ok := params[k]; ok {
			fmt.Fprintf(w, " %s=%.2f", k, v)
		}
	}
	if tuned {
		fmt.Fprintf(w, " (tuned to %.1f%% fill with hindsight)", 100*o.Service)
	}
	reviewWords := "review daily"
	if o.ReviewDays > 1 {
		reviewWords = fmt.Sprintf("review every %d days", o.ReviewDays)
	}
	fmt.Fprintf(w, ", lead time %g±%g days, %s, %d series, %s series-days\n", o.LeadMean, o.LeadSD, reviewWords,
		t.Series, thousands(int64(t.Days)))
	fmt.Fprintf(w, "fill rate %.2f%%  cycle service %.2f%%  stockout days %s  avg on hand %.1f  orders %s\n", 100*t.FillRate(),
		100*t.CycleService(), thousands(int64(t.StockoutDays)), t.AvgOnHand, thousands(int64(t.Orders)))
	fmt.Fprintf(w, "demand %.0f, served %.0f, lost %.0f; stock %d at start + %d received − %.0f served − %d shrinkage = %d at end\n",
		t.Demand, t.Served, t.Lost, t.StartStock, t.Received, t.Served, t.Shrinkage, t.EndStock)
	return nil
}

func writeDailyCSV(path string, rows []replenish.SimDay) error {
	slices.SortFunc(rows, func(a, b replenish.SimDay) int {
		if a.Series != b.Series {
			return strings.Compare(a.Series, b.Series)
		}
		return int(a.Date - b.Date)
	})
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "series_id,date,demand,served,lost,received,shrink,on_hand,on_order,ordered")
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, d := range rows {
		fmt.Fprintf(w, "%s,%s,%s,%s,%s,%d,%d,%d,%d,%d\n", csvField(d.Series), d.Date, num(d.Demand), num(d.Served), num(d.Lost),
			d.Received, d.Shrink, d.OnHand, d.OnOrder, d.Ordered)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// parseLeadTime reads DAYS[,SPREAD].
func parseLeadTime(s string) (float64, float64, error) {
	a, b, hasSD := strings.Cut(s, ",")
	mean, err := strconv.ParseFloat(strings.TrimSpace(a), 64)
	if err != nil || mean < 0 || math.IsInf(mean, 0) {
		return 0, 0, fmt.Errorf("%q: want DAYS or DAYS,SPREAD (e.g. 7,2)", s)
	}
	sd := 0.0
	if hasSD {
		if sd, err = strconv.ParseFloat(strings.TrimSpace(b), 64); err != nil || sd < 0 || math.IsInf(sd, 0) {
			return 0, 0, fmt.Errorf("%q: the spread must be a non-negative number of days", s)
		}
	}
	return mean, sd, nil
}

// parseClassService reads A=0.98,B=0.95,C=0.9.
func parseClassService(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, part := range splitList(s) {
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToUpper(strings.TrimSpace(k))
		if !ok || (k != "A" && k != "B" && k != "C") {
			return nil, fmt.Errorf("%q: want CLASS=LEVEL with class A, B or C", part)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err == nil && f > 1 && f < 100 {
			return nil, fmt.Errorf("%q: the level is a fraction: %s=%g for %g%%", part, k, f/100, f)
		}
		if err != nil || !(f > 0 && f < 1) {
			return nil, fmt.Errorf("%q: the level must be within (0,1)", part)
		}
		out[k] = f
	}
	return out, nil
}

func parseStates(s string) ([]model.ProposalState, error) {
	if strings.EqualFold(strings.TrimSpace(s), "all") {
		return model.ProposalStates, nil
	}
	var out []model.ProposalState
	for _, part := range splitList(s) {
		st, ok := model.ParseProposalState(part)
		if !ok {
			return nil, fmt.Errorf("unknown state %q", part)
		}
		out = append(out, st)
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// readPolicyCSV reads policy rules; errors name the file, line and field.
func readPolicyCSV(path string) ([]data.PolicyRule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s:1: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"scope", "key"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s:1: missing column %s", path, need)
		}
	}
	var rules []data.PolicyRule
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		bad := func(field, format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s: %s", path, line, field, fmt.Sprintf(format, args...))
		}
		rule := data.PolicyRule{Scope: strings.ToLower(get("scope")), Key: get("key"), ReviewDays: -1, MaxStock: -1}
		if !slices.Contains(data.PolicyScopes, rule.Scope) {
			return nil, bad("scope", "%q is not one of %s", rule.Scope, strings.Join(data.PolicyScopes, ", "))
		}
		if rule.Scope == "class" {
			rule.Key = strings.ToUpper(rule.Key)
		}
		num := func(field string, lo, hi float64, dst *float64) error {
			*dst = math.NaN()
			s := get(field)
			if s == "" {
				return nil
			}
			v, err := strconv.ParseFloat(s, 64)
			if field == "service" && err == nil && v > 1 && v < 100 {
				return bad(field, "%q: a service level is a fraction: %g for %g%%", s, v/100, v)
			}
			if err != nil || v < lo || v > hi || math.IsNaN(v) {
				return bad(field, "%q is not a number within [%g, %g]", s, lo, hi)
			}
			*dst = v
			return nil
		}
		var rd, ms float64
		for _, f := range []struct {
			name   string
			lo, hi float64
			dst    *float64
		}{{"service", 0.01, 0.9999, &rule.Service}, {"review_days", 1, 365, &rd}, {"lead_time_days", 0, 1000, &rule.LeadTimeDays},
			{"lead_time_sd_days", 0, 1000, &rule.LeadTimeSDDays}, {"max_stock", 0, 1e15, &ms}, {"order_cost", 0, 1e12, &rule.OrderCost},
			{"holding_rate", 0, 100, &rule.HoldingRate}, {"budget", 0, 1e15, &rule.Budget}} {
			if err := num(f.name, f.lo, f.hi, f.dst); err != nil {
				return nil, err
			}
		}
		if !math.IsNaN(rd) {
			rule.ReviewDays = int64(rd)
		}
		if !math.IsNaN(ms) {
			rule.MaxStock = int64(ms)
		}
		rules = append(rules, rule)
	}
	return rules, nil
}
