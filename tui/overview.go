package tui

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"stockroom/model"
)

// overviewMsg is the overview's data.
type overviewMsg struct {
	id  int
	o   model.Overview
	err error
}

// overviewView is the first screen of the day: how much is out or short,
// what the stock is worth, how fresh each import source is, and what just
// happened.
type overviewView struct {
	env  *env
	id   int
	feed feedFunc
	w, h int
	data *model.Overview
	err  error
	busy bool
	body string
	// A body taller than the screen (80×24 over SSH) scrolls: off is its
	// first line shown, total its height.
	off, total int
}

func newOverview(e *env, feed feedFunc) *overviewView {
	return &overviewView{env: e, id: e.id(), feed: feed}
}

func (v *overviewView) Init() tea.Cmd { return v.load() }

func (v *overviewView) load() tea.Cmd {
	v.busy = true
	be, id := v.env.be, v.id
	return func() tea.Msg {
		o, err := be.Overview(context.Background())
		return overviewMsg{id: id, o: o, err: err}
	}
}

func (v *overviewView) Title() string         { return "Overview" }
func (v *overviewView) Capturing() bool       { return false }
func (v *overviewView) Back() (bool, tea.Cmd) { return false, nil }

// Keys offers scrolling only when there is more than a screen.
func (v *overviewView) Keys() []key.Binding {
	if v.total <= v.h {
		return nil
	}
	k := v.env.keys
	return []key.Binding{k.Down, k.Up, k.PageDown}
}

func (v *overviewView) Position() string {
	if v.total <= v.h {
		return ""
	}
	return fmt.Sprintf("lines %d–%d of %d", v.off+1, min(v.off+v.h, v.total), v.total)
}

func (v *overviewView) Refresh() tea.Cmd {
	v.render() // the feed moved
	if v.busy {
		return nil
	}
	return v.load()
}

func (v *overviewView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.render()
}

func (v *overviewView) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch m := msg.(type) {
	case overviewMsg:
		if m.id != v.id {
			break
		}
		v.busy = false
		v.err = m.err
		if m.err == nil {
			v.data = &m.o
		}
		v.render()
	case tea.KeyMsg:
		if n, ok := moveBy(m, v.env.keys, max(1, v.h-1)); ok && v.total > v.h {
			v.off = max(0, min(v.total-v.h, v.off+max(-v.total, min(v.total, n))))
			v.render()
		}
	}
	return v, nil
}

func (v *overviewView) render() {
	st := v.env.st
	if v.w == 0 {
		return
	}
	if v.err != nil {
		v.body = st.Error.Render("error: " + v.err.Error())
		return
	}
	if v.data == nil {
		v.body = st.Dim.Render("loading…")
		return
	}
	o := v.data
	kpi := func(label string, value string, style lipgloss.Style) string {
		return st.Dim.Render(fmt.Sprintf("%-24s", label)) + style.Render(value)
	}
	var left []string
	left = append(left, st.Heading.Render("Stock")+st.Dim.Render("  as of "+o.AsOf.String()))
	left = append(left,
		kpi("items", thousands(o.Items), st.Value),
		kpi("item × locations", thousands(o.StockRows), st.Value),
		kpi("out of stock", thousands(o.ByStatus[model.StatusOut]), st.Status[model.StatusOut]),
		kpi("under 7 days of cover", thousands(o.ByStatus[model.StatusLow]), st.Status[model.StatusLow]),
		kpi("over 180 days of cover", thousands(o.ByStatus[model.StatusOver]), st.Status[model.StatusOver]),
		kpi("dead (no sale 90 days)", thousands(o.ByStatus[model.StatusDead]), st.Status[model.StatusDead]),
		kpi("new, not sold yet", thousands(o.ByStatus[model.StatusNew]), st.Status[model.StatusNew]),
		kpi("stock value at cost", thousands(int(math.Round(o.StockValue))), st.Value),
	)
	left = append(left, "", st.Heading.Render("Replenishment")+st.Dim.Render("  :proposals to act"))
	if o.PlannedAsOf == model.NoDate {
		// Zeros would read as nothing to order; the store was never planned.
		left = append(left, st.Dim.Render("never planned; make proposals with"),
			st.Dim.Render("  stockroom plan --db "+v.env.be.Name()))
	} else {
		left = append(left,
			kpi("open proposals", fmt.Sprintf("%s worth %s", thousands(o.OpenProposals), thousands(int(math.Round(o.OpenProposalValue)))), st.Value),
			// Alerts are the last recompute's: an approval in between does
			// not move them until the next import or plan.
			kpi("below reorder point", thousands(o.Alerts[model.AlertBelowReorder]), st.Status[model.StatusLow])+st.Dim.Render("  at last plan"),
			kpi("out before a delivery", thousands(o.Alerts[model.AlertBeforeDelivery]), st.Status[model.StatusOut])+st.Dim.Render("  at last plan"))
	}
	left = append(left, kpi("open anomalies", thousands(o.OpenAnomalies), st.AnomalyState[model.AnomalyOpen]))
	left = append(left, "", st.Heading.Render("Forecast"))
	if f := o.Forecast; f != nil {
		left = append(left,
			kpi("last run", f.Finished.Format("2006-01-02 15:04")+st.Dim.Render(" · "+ago(time.Since(f.Finished))), st.Value),
			kpi("item × locations", thousands(f.Series), st.Value),
			kpi("backtest WAPE", orNaN(fmt.Sprintf("%.1f%%", 100*f.WAPE), f.WAPE), st.Value),
			kpi("mean MASE", orNaN(fmt.Sprintf("%.2f", f.MASE), f.MASE), st.Value))
	} else {
		// The whole command, with this store, so it can be copied.
		left = append(left, st.Dim.Render("no stored forecast yet; make one with"),
			st.Dim.Render("  stockroom forecast --db "+v.env.be.Name()))
	}
	left = append(left, "", st.Heading.Render("Imports")+st.Dim.Render("  last 7 days: "+
		fmt.Sprintf("%d rows rejected, %d files failed", o.Rejected, o.FailedFiles)))
	left = append(left, st.Header.Render(fmt.Sprintf("%-11s %6s  %-16s %s", "SOURCE", "FILES", "LAST IMPORT", "FRESHNESS")))
	for _, s := range o.Sources {
		age := time.Since(s.Last)
		line := fmt.Sprintf("%-11s %6d  %-16s %s", s.Kind, s.Files, s.Last.Format("2006-01-02 15:04"), ago(age))
		switch {
		case s.Failed > 0 || s.Rejected > 0:
			line = st.Error.Render(line + fmt.Sprintf("  %d rejected, %d failed", s.Rejected, s.Failed))
		}
		left = append(left, line)
	}
	if len(o.Sources) == 0 {
		left = append(left, st.Dim.Render("nothing imported yet"))
	}
	if v.env.jobs != nil {
		left = append(left, "", st.Heading.Render("Schedule"))
		left = append(left, st.Header.Render(fmt.Sprintf("%-13s %-16s %-12s %s", "JOB", "LAST RUN", "RESULT", "NEXT")))
		for _, e := range v.env.jobs() {
			last, result, style := "-", "-", st.Cell
			if !e.LastRun.IsZero() {
				last = e.LastRun.Local().Format("01-02 15:04")
				if e.Runs > 0 {
					result = "ok " + e.LastDuration.Round(100*time.Millisecond).String()
					if e.LastErr != "" {
						result, style = "FAILED", st.Error
					}
				}
			}
			if e.Running {
				result = "running"
			}
			left = append(left, style.Render(fmt.Sprintf("%-13s %-16s %-12s %s", truncateText(e.Name, 13), last, truncateText(result, 12),
				e.Next.Local().Format("01-02 15:04"))))
		}
	}
	feedW := v.w
	twoCols := v.w >= 120
	if twoCols {
		feedW = v.w - 62
	}
	right := []string{st.Heading.Render("Alerts and activity")}
	items := v.feed(max(1, v.h-2), feedW)
	// The most urgent alerts of the last recompute stay at the top of
	// the feed until a recompute clears them.
	var urgent []string
	for _, a := range o.TopAlerts {
		if len(urgent) >= max(1, (v.h-2)/3) {
			break
		}
		urgent = append(urgent, st.Status[model.StatusOut].Render(fit(fmt.Sprintf("%s @ %s: %s", a.SKU, a.Location, a.Detail), feedW, false)))
	}
	items = append(urgent, items...)
	if len(items) == 0 {
		items = []string{st.Dim.Render("quiet so far; imports, approvals and alerts appear here")}
	}
	right = append(right, items...)
	var all []string
	if twoCols {
		l := st.Cell.Width(60).Render(strings.Join(left, "\n"))
		all = strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, l, "  ", strings.Join(right, "\n")), "\n")
	} else {
		all = append(left, "")
		all = append(all, right...)
	}
	v.total = len(all)
	v.off = max(0, min(v.off, v.total-v.h))
	v.body = strings.Join(all[v.off:min(v.total, v.off+v.h)], "\n")
}

func (v *overviewView) View() string { return v.body }

// ago says how long ago, roughly.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// orNaN is s, or "-" when v is not known (a run with no backtest).
func orNaN(s string, v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return s
}
