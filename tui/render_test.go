package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"stockroom/model"
)

func TestLayoutColumns(t *testing.T) {
	tests := []struct {
		width int
		want  string // column titles, in order
	}{
		{200, "! SKU NAME LOC ON HAND ON ORD ROP AVG/DAY COVER SALES 30D STATUS"},
		{100, "! SKU NAME LOC ON HAND ON ORD ROP AVG/DAY COVER SALES 30D STATUS"},
		{79, "! SKU NAME LOC ON HAND ROP COVER SALES 30D STATUS"},
		{60, "! SKU LOC ON HAND COVER SALES 30D STATUS"},
		{40, "! SKU LOC ON HAND COVER STATUS"},
		{30, "! SKU LOC ON HAND"},
		{10, "SKU"},
	}
	for _, tt := range tests {
		cols := layoutColumns(tt.width)
		var titles []string
		total := -1
		for _, c := range cols {
			titles = append(titles, c.title)
			total += c.width + 1
			if c.width < c.min {
				t.Errorf("width %d: %s is %d wide, below its minimum %d", tt.width, c.title, c.width, c.min)
			}
		}
		if got := strings.Join(titles, " "); got != tt.want {
			t.Errorf("width %d: columns %q, want %q", tt.width, got, tt.want)
		}
		if total > tt.width && len(cols) > 1 {
			t.Errorf("width %d: columns take %d", tt.width, total)
		}
		if tt.width >= 60 && total != tt.width {
			t.Errorf("width %d: columns take %d, want the whole width", tt.width, total)
		}
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		s     string
		w     int
		right bool
		want  string
	}{
		{"abc", 5, false, "abc  "},
		{"abc", 5, true, "  abc"},
		{"abcdef", 4, false, "abc…"},
		{"ünï", 4, false, "ünï "},
		{"", 0, false, ""},
	}
	for _, tt := range tests {
		if got := fit(tt.s, tt.w, tt.right); got != tt.want {
			t.Errorf("fit(%q, %d, %v) = %q, want %q", tt.s, tt.w, tt.right, got, tt.want)
		}
	}
}

func TestBucket(t *testing.T) {
	days := make([]float64, 30)
	for i := range days {
		days[i] = float64(i)
	}
	b := bucket(days, 15)
	var sum float64
	for _, v := range b {
		sum += v
	}
	if len(b) != 15 || sum != 435 || b[0] != 0+1 || b[14] != 28+29 {
		t.Errorf("bucket(30 days, 15) = %v", b)
	}
	if got := bucket(days[:5], 10); len(got) != 5 {
		t.Errorf("fewer days than cells must not be stretched: %v", got)
	}
}

func TestSparkText(t *testing.T) {
	st := lipgloss.NewRenderer(nil).NewStyle()
	if got := ansi.Strip(sparkText([]float64{0, 1, 2, 4}, 4, st)); got != " ▂▄█" {
		t.Errorf("sparkline %q", got)
	}
	if got := sparkText([]float64{0, 0, 0}, 3, st); ansi.Strip(got) != "···" {
		t.Errorf("no sales should be a dotted line, got %q", got)
	}
}

func TestFormatCover(t *testing.T) {
	for _, tt := range []struct {
		d    float64
		want string
	}{{model.NoCover, "-"}, {0, "0.0d"}, {3.25, "3.2d"}, {45.4, "45d"}, {5000, "999+"}} {
		if got := formatCover(tt.d); got != tt.want {
			t.Errorf("formatCover(%g) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// A backtest that sold nothing has no WAPE; a perfect one has 0%.
func TestFormatWAPE(t *testing.T) {
	for _, tt := range []struct {
		wape, mae float64
		want      string
	}{{0, 1.19, "-"}, {0, 0, "0%"}, {0.426, 1.2, "43%"}} {
		if got := formatWAPE(tt.wape, tt.mae); got != tt.want {
			t.Errorf("formatWAPE(%g, %g) = %q, want %q", tt.wape, tt.mae, got, tt.want)
		}
	}
}

// A ten-character SKU is never cut; past a name of nameRoom cells the SKU
// column widens before the name does.
func TestProposalLayout_SKUWidth(t *testing.T) {
	for _, w := range []int{60, 80, 118, 130, 160, 200} {
		var sku, name, total int
		for _, c := range proposalLayout(w) {
			switch c.id {
			case pcSKU:
				sku = c.width
			case pcName:
				name = c.width
			}
			total += c.width + 1
		}
		if sku < 10 || (name > nameRoom && sku != 16) || (name > 0 && sku > 10 && name < nameRoom) {
			t.Errorf("width %d: SKU column %d, name %d", w, sku, name)
		}
		if total+2 > w {
			t.Errorf("width %d: columns take %d", w, total+2)
		}
	}
}
