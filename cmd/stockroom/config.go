package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"stockroom/tui"
)

// config is the config file: JSON, every field optional.
//
//	{
//	  "theme": "dark",                          // or "light"
//	  "keys": {"down": ["j", "down", "ctrl+n"]}, // rebind any of tui.KeyNames()
//	  "mouse": true,                            // wheel scrolling
//	  "watch": ["/srv/drop"]                    // folders the console watches
//	}
type config struct {
	Theme string           `json:"theme"`
	Keys  tui.KeyOverrides `json:"keys"`
	Mouse bool             `json:"mouse"`
	Watch []string         `json:"watch"`

	// Running as a service (serve.go, backup.go, report.go).
	Serve    serveConfig     `json:"serve"`
	Schedule []scheduleEntry `json:"schedule"`
	SMTP     smtpConfig      `json:"smtp"`
	Backup   backupConfig    `json:"backup"`
	Report   reportConfig    `json:"report"`

	path string
}

// defaultConfigPath is $STOCKROOM_CONFIG, or config.json in the user's
// config folder ($XDG_CONFIG_HOME/stockroom, ~/.config/stockroom).
func defaultConfigPath(getenv func(string) string) string {
	if p := getenv("STOCKROOM_CONFIG"); p != "" {
		return p
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "stockroom", "config.json")
}

// loadConfig reads the config file; a missing file is an empty config.
// Errors name the file, and the line and field where they can.
func loadConfig(path string) (config, error) {
	c := config{path: path}
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return c, fmt.Errorf("config %s:%d: %v", path, lineOf(b, se.Offset), err)
		case errors.As(err, &te):
			return c, fmt.Errorf("config %s:%d: field %s: want %s, got %s", path, lineOf(b, te.Offset), te.Field, te.Type, te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return c, fmt.Errorf("config %s: %s", path, strings.TrimPrefix(err.Error(), "json: "))
		}
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if _, err := tui.ThemeByName(c.Theme); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	var k tui.KeyMap
	if err := c.Keys.Apply(&k); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

func lineOf(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return bytes.Count(b[:off], []byte("\n")) + 1
}

// keyMap is the default keymap with the config's overrides.
func (c config) keyMap() tui.KeyMap {
	k := tui.DefaultKeyMap()
	c.Keys.Apply(&k) // checked at load
	return k
}
