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
	Status    map[model.Status]lipgloss.Style
	Chart     map[string]lipgloss.Style // chart lines by name
}

// NewStyles builds the styles from a renderer.
func NewStyles(r *lipgloss.Renderer) *Styles {
	s := &Styles{
		TitleBar:  r.NewStyle().Foreground(lipgloss.Color("252")).Background(lipgloss.Color("236")),
		Title:     r.NewStyle().Bold(true).Foreground(lipgloss.Color("214")).Background(lipgloss.Color("236")),
		Header:    r.NewStyle().Bold(true).Foreground(lipgloss.Color("245")),
		Cell:      r.NewStyle(),
		Selected:  r.NewStyle().Reverse(true),
		Dim:       r.NewStyle().Foreground(lipgloss.Color("242")),
		StatusBar: r.NewStyle().Foreground(lipgloss.Color("250")),
		Error:     r.NewStyle().Foreground(lipgloss.Color("203")).Bold(true),
		Prompt:    r.NewStyle().Foreground(lipgloss.Color("214")).Bold(true),
		Spark:     r.NewStyle().Foreground(lipgloss.Color("109")),
		Live:      r.NewStyle().Foreground(lipgloss.Color("78")).Background(lipgloss.Color("236")),
		HelpBox:   r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("240")).Padding(0, 1),
	}
	s.Heading = r.NewStyle().Bold(true).Foreground(lipgloss.Color("214"))
	s.Value = r.NewStyle().Bold(true)
	s.Marked = r.NewStyle().Background(lipgloss.Color("52"))
	s.Chart = map[string]lipgloss.Style{
		"sales":    r.NewStyle().Foreground(lipgloss.Color("109")),
		"forecast": r.NewStyle().Foreground(lipgloss.Color("214")),
		"p10":      r.NewStyle().Foreground(lipgloss.Color("240")),
		"p90":      r.NewStyle().Foreground(lipgloss.Color("240")),
		"anomaly":  r.NewStyle().Foreground(lipgloss.Color("203")),
	}
	s.Status = map[model.Status]lipgloss.Style{
		model.StatusOut:  r.NewStyle().Foreground(lipgloss.Color("203")).Bold(true),
		model.StatusLow:  r.NewStyle().Foreground(lipgloss.Color("221")),
		model.StatusOK:   r.NewStyle().Foreground(lipgloss.Color("78")),
		model.StatusOver: r.NewStyle().Foreground(lipgloss.Color("75")),
		model.StatusDead: r.NewStyle().Foreground(lipgloss.Color("139")),
		model.StatusIdle: r.NewStyle().Foreground(lipgloss.Color("242")),
	}
	return s
}
