package nab

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Series is one NAB data file: its rows in file order.
type Series struct {
	Name    string // "<category>/<file>.csv", the key of the label files
	Times   []time.Time
	Values  []float64
	Windows []Window
}

// timeLayout is NAB's row timestamp; labels add ".ffffff".
const timeLayout = "2006-01-02 15:04:05"

// LoadCorpus reads every data/<category>/<file>.csv under dir (the NAB
// folder) and its windows from labels/combined_windows.json, sorted by name.
// Window edges are matched to rows by timestamp, as NAB does (no edge falls
// on a repeated timestamp).
func LoadCorpus(dir string) ([]Series, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "labels", "combined_windows.json"))
	if err != nil {
		return nil, fmt.Errorf("nab: %w", err)
	}
	var labels map[string][][2]string
	if err := json.Unmarshal(raw, &labels); err != nil {
		return nil, fmt.Errorf("nab: labels/combined_windows.json: %w", err)
	}
	names := make([]string, 0, len(labels))
	for name := range labels {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]Series, 0, len(names))
	for _, name := range names {
		s, err := ReadSeries(filepath.Join(dir, "data", filepath.FromSlash(name)))
		if err != nil {
			return nil, err
		}
		s.Name = name
		for _, w := range labels[name] {
			a, b := indexOf(s.Times, w[0]), indexOf(s.Times, w[1])
			if a < 0 || b < a {
				return nil, fmt.Errorf("nab: %s: window %s..%s matches no rows", name, w[0], w[1])
			}
			s.Windows = append(s.Windows, Window{a, b})
		}
		out = append(out, s)
	}
	return out, nil
}

func indexOf(ts []time.Time, s string) int {
	t, err := time.Parse(timeLayout+".999999", s)
	if err != nil {
		return -1
	}
	for i, x := range ts {
		if x.Equal(t) {
			return i
		}
	}
	return -1
}

// ReadSeries reads one timestamp,value file.
func ReadSeries(path string) (Series, error) {
	f, err := os.Open(path)
	if err != nil {
		return Series{}, fmt.Errorf("nab: %w", err)
	}
	defer f.Close()
	var s Series
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue
		}
		t, v, ok := strings.Cut(sc.Text(), ",")
		if !ok {
			return s, fmt.Errorf("nab: %s:%d: want timestamp,value", path, line)
		}
		ts, err := time.Parse(timeLayout, t)
		if err != nil {
			return s, fmt.Errorf("nab: %s:%d: timestamp: %w", path, line, err)
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return s, fmt.Errorf("nab: %s:%d: value: %w", path, line, err)
		}
		s.Times = append(s.Times, ts)
		s.Values = append(s.Values, x)
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("nab: %s: %w", path, err)
	}
	return s, nil
}

// ReadScores reads the anomaly_score column of a published NAB result file
// (results/<detector>/<category>/<detector>_<file>.csv).
func ReadScores(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nab: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	col := -1
	var out []float64
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Split(sc.Text(), ",")
		if line == 1 {
			for i, h := range fields {
				if h == "anomaly_score" {
					col = i
				}
			}
			if col < 0 {
				return nil, fmt.Errorf("nab: %s: no anomaly_score column", path)
			}
			continue
		}
		if col >= len(fields) {
			return nil, fmt.Errorf("nab: %s:%d: anomaly_score: missing", path, line)
		}
		x, err := strconv.ParseFloat(fields[col], 64)
		if err != nil {
			return nil, fmt.Errorf("nab: %s:%d: anomaly_score: %w", path, line, err)
		}
		out = append(out, x)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("nab: %s: %w", path, err)
	}
	return out, nil
}
