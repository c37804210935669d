package tui

import (
	"github.com/charmbracelet/lipgloss"

	"stockroom/model"
)

// Styles are every style the console draws with. They are built from one
// renderer, so an SSH session gets its own colour profile; view code never
// calls lipgloss.NewStyle.
type Styles struct {
	TitleBar  lipgloss.Style
	Title     lipgloss.Style
	Header    lipgloss.Style
	Cell      lipgloss.Style
	Selected  lipgloss.Style
	Dim       lipgloss.Style
	StatusBar lipgloss.Style
	Error     lipgloss.Style
	Prompt    lipgloss.Style
	Spark     lipgloss.Style
	Live      lipgloss.Style
	HelpBox   lipgloss.Style
	Heading   lipgloss.Style
	Value     lipgloss.Style
	Marked    lipgloss.Style // shaded chart columns (days out of stock)
	Flagged   lipgloss.Style // shaded chart columns (days with an anomaly)
	Status    map[model.Status]lipgloss.Style
	Chart     map[string]lipgloss.Style // chart lines by name
	RouteMap  map[string]lipgloss.Style // routes map: depot, run (highlighted), other (runs), stop (highlighted)
	// AnomalyState colours an anomaly's state in lists.
	AnomalyState map[model.AnomalyState]lipgloss.Style
	// ProposalState colours a proposal's state in lists.
	ProposalState map[model.ProposalState]lipgloss.Style
}

// NewStyles builds the default (dark) styles from a renderer.
func NewStyles(r *lipgloss.Renderer) *Styles { return NewThemedStyles(r, Themes["dark"]) }

// NewThemedStyles builds the styles of a theme from a renderer. With
// NO_COLOR or a terminal without colour the renderer drops the colours and
// the console still reads (the cursor row has a › mark).
func NewThemedStyles(r *lipgloss.Renderer, t Theme) *Styles {
	s := &Styles{
		TitleBar:  r.NewStyle().Foreground(t.c(t.BarText)).Background(t.c(t.Bar)),
		Title:     r.NewStyle().Bold(true).Foreground(t.c(t.Accent)).Background(t.c(t.Bar)),
		Header:    r.NewStyle().Bold(true).Foreground(t.c(t.Dim)),
		Cell:      r.NewStyle(),
		Selected:  r.NewStyle().Reverse(true),
		Dim:       r.NewStyle().Foreground(t.c(t.Dim)),
		StatusBar: r.NewStyle().Foreground(t.c(t.Text)),
		Error:     r.NewStyle().Foreground(t.c(t.Bad)).Bold(true),
		Prompt:    r.NewStyle().Foreground(t.c(t.Accent)).Bold(true),
		Spark:     r.NewStyle().Foreground(t.c(t.Chart)),
		Live:      r.NewStyle().Foreground(t.c(t.Good)).Background(t.c(t.Bar)),
		HelpBox:   r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(t.c(t.Dim)).Padding(0, 1),
		Heading:   r.NewStyle().Bold(true).Foreground(t.c(t.Accent)),
		Value:     r.NewStyle().Bold(true),
		Marked:    r.NewStyle().Background(t.c("52")),
		Flagged:   r.NewStyle().Background(t.c(t.Bad)),
	}
	s.Chart = map[string]lipgloss.Style{
		"sales":    r.NewStyle().Foreground(t.c(t.Chart)),
		"forecast": r.NewStyle().Foreground(t.c(t.Accent)),
		"p10":      r.NewStyle().Foreground(t.c(t.Dim)),
		"p90":      r.NewStyle().Foreground(t.c(t.Dim)),
		"anomaly":  r.NewStyle().Foreground(t.c(t.Bad)),
	}
	s.RouteMap = map[string]lipgloss.Style{
		"depot": r.NewStyle().Foreground(t.c(t.Bad)).Bold(true),
		"run":   r.NewStyle().Foreground(t.c(t.Accent)),
		"other": r.NewStyle().Foreground(t.c(t.Dim)),
		"stop":  r.NewStyle().Foreground(t.c(t.Info)).Bold(true),
	}
	s.AnomalyState = map[model.AnomalyState]lipgloss.Style{
		model.AnomalyOpen:      r.NewStyle().Foreground(t.c(t.Bad)).Bold(true),
		model.AnomalyConfirmed: r.NewStyle().Foreground(t.c(t.Warn)),
		model.AnomalyCorrected: r.NewStyle().Foreground(t.c(t.Info)),
		model.AnomalyExcluded:  r.NewStyle().Foreground(t.c(t.Muted)),
		model.AnomalyDismissed: r.NewStyle().Foreground(t.c(t.Dim)),
	}
	s.ProposalState = map[model.ProposalState]lipgloss.Style{
		model.ProposalProposed:       r.NewStyle().Foreground(t.c(t.Warn)).Bold(true),
		model.ProposalSnoozed:        r.NewStyle().Foreground(t.c(t.Muted)),
		model.ProposalApproved:       r.NewStyle().Foreground(t.c(t.Good)),
		model.ProposalOrdered:        r.NewStyle().Foreground(t.c(t.Info)),
		model.ProposalPartlyReceived: r.NewStyle().Foreground(t.c(t.Info)),
		model.ProposalReceived:       r.NewStyle().Foreground(t.c(t.Dim)),
		model.ProposalRejected:       r.NewStyle().Foreground(t.c(t.Bad)),
		model.ProposalWithdrawn:      r.NewStyle().Foreground(t.c(t.Dim)),
	}
	s.Status = map[model.Status]lipgloss.Style{
		model.StatusOut:  r.NewStyle().Foreground(t.c(t.Bad)).Bold(true),
		model.StatusLow:  r.NewStyle().Foreground(t.c(t.Warn)),
		model.StatusOK:   r.NewStyle().Foreground(t.c(t.Good)),
		model.StatusOver: r.NewStyle().Foreground(t.c(t.Info)),
		model.StatusDead: r.NewStyle().Foreground(t.c(t.Muted)),
		model.StatusNew:  r.NewStyle().Foreground(t.c(t.Muted)),
		model.StatusIdle: r.NewStyle().Foreground(t.c(t.Dim)),
	}
	return s
}
