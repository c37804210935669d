package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "config.json")
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	c, err := loadConfig(write(`{"theme": "light", "keys": {"down": ["n", "down"]}, "mouse": true}`))
	if err != nil {
		t.Fatal(err)
	}
	k := c.keyMap()
	if !key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")}, k.Down) || key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")}, k.Down) {
		t.Errorf("down is not rebound: %v", k.Down.Keys())
	}
	if k.Down.Help().Desc != "down" || !c.Mouse {
		t.Errorf("config %+v", c)
	}
	if c, err := loadConfig(filepath.Join(dir, "missing.json")); err != nil || c.Theme != "" {
		t.Errorf("a missing file is an empty config: %+v %v", c, err)
	}
	for _, tt := range []struct{ in, want string }{
		{"{\n  \"theme\": \"neon\"\n}", `theme "neon": no such theme`},
		{"{\n  \"keys\": {\"dwon\": [\"n\"]}\n}", "keys.dwon: no such binding"},
		{"{\n  \"keys\": {\"down\": []}\n}", "keys.down: give at least one key"},
		{"{\n  \"mouse\": \"yes\"\n}", "config.json:2: field mouse: want bool"},
		{"{\n  \"theme\": \"dark\",\n}", "config.json:3"},
		{`{"colour": "red"}`, `unknown field "colour"`},
	} {
		if _, err := loadConfig(write(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.in, err, tt.want)
		}
	}
}
