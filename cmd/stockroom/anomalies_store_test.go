package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stockroom/model"
)

// anomalyStoreDir writes import files for a small store with known
// anomalies: 180 days of web sales of A at DC1 with a weekly season and
// day 150 keyed ten times too high, and E at DC1, sold out on day 1 and
// sold again on day 90.
func anomalyStoreDir(t *testing.T) (dir string, spike model.Date, spikeQty int) {
	t.Helper()
	dir = t.TempDir()
	start := model.MustDate("2026-03-02")
	r := rand.New(rand.NewPCG(3, 9))
	week := [7]float64{0.85, 0.9, 0.95, 1.0, 1.1, 1.35, 1.25}
	var sales strings.Builder
	sales.WriteString("date,order_id,sku,location,channel,qty,price\n")
	for d := range 180 {
		q := poisson(r, 25*week[d%7])
		if d == 150 {
			q *= 10
			spike, spikeQty = start.AddDays(d), q
		}
		fmt.Fprintf(&sales, "%s,SO-%d,A,DC1,web,%d,10\n", start.AddDays(d), d, q)
	}
	fmt.Fprintf(&sales, "%s,SO-E1,E,DC1,store,5,3\n%s,SO-E2,E,DC1,store,2,3\n", start.AddDays(1), start.AddDays(90))
	files := map[string]string{
		"locations.csv": "code,name\nDC1,Depot\n",
		"items.csv":     "sku,name,unit_cost,price\nA,Hammer,4,10\nE,Seeds,1,3\n",
		"movements.csv": fmt.Sprintf("date,sku,location,qty,kind,ref\n%s,A,DC1,100000,receipt,PO-1\n%[1]s,E,DC1,5,receipt,PO-2\n", start),
		"sales.csv":     sales.String(),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, spike, spikeQty
}

// TestAnomaliesCommand_Store imports a store the way a user does (the
// pipeline finds the anomalies), lists them, and acts on one with and
// without a stale version.
func TestAnomaliesCommand_Store(t *testing.T) {
	dir, spike, spikeQty := anomalyStoreDir(t)
	db := filepath.Join(t.TempDir(), "s.db")
	if _, stderr, code := runCLI(t, nil, "import", "--db", db, dir); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := runCLI(t, nil, "anomalies", "--db", db, "--json")
	if code != 0 {
		t.Fatalf("anomalies --json: exit %d: %s", code, stderr)
	}
	var list []anomalyJSON
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	// Newest first: the spike (day 150), then E's two stock findings of day 90.
	if len(list) != 3 {
		t.Fatalf("%d anomalies: %s", len(list), stdout)
	}
	a := list[0]
	if a.SKU != "A" || a.Location != "DC1" || a.Channel != "web" || a.Date != spike.String() || a.Observed != float64(spikeQty) ||
		a.State != "open" || a.Version != 1 || a.Expected == nil || *a.Expected > float64(spikeQty)/4 || a.Replacement != nil {
		t.Errorf("spike: %+v", a)
	}
	for _, b := range list[1:] {
		if b.SKU != "E" || b.Channel != "" || b.Expected == nil || (b.Detector != "negative_stock" && b.Detector != "sale_without_stock") {
			t.Errorf("stock finding: %+v", b)
		}
	}
	// The raw JSON names every documented field, null where there is none.
	var raw []map[string]any
	json.Unmarshal([]byte(stdout), &raw)
	for _, f := range []string{"id", "sku", "location", "channel", "file", "date", "detector", "score", "observed", "expected",
		"detail", "state", "replacement", "note", "version", "created_at", "by", "at"} {
		if _, ok := raw[0][f]; !ok {
			t.Errorf("JSON lacks %q", f)
		}
	}
	if raw[0]["replacement"] != nil {
		t.Errorf("replacement of an open anomaly: %v", raw[0]["replacement"])
	}

	_, stderr, code = runCLI(t, nil, "anomaly", "dismiss", "999", "--db", db, "--as", "ann")
	if code != 1 || !strings.Contains(stderr, "anomaly 999: not found") {
		t.Errorf("unknown id: exit %d, %q", code, stderr)
	}
	id := fmt.Sprint(a.ID)
	// Dismiss it on the version seen.
	stdout, stderr, code = runCLI(t, nil, "anomaly", "dismiss", id, "--db", db, "--as", "ann", "--version", "1", "--note", "a bulk order")
	if code != 0 || !strings.Contains(stdout, "open → dismissed by ann (version 1 → 2)") {
		t.Fatalf("dismiss: exit %d, %q %q", code, stdout, stderr)
	}
	// Someone who saw version 1 is refused: exit 1, nothing changes.
	_, stderr, code = runCLI(t, nil, "anomaly", "exclude", id, "--db", db, "--as", "bob", "--version", "1")
	if code != 1 || !strings.Contains(stderr, "changed since it was read") {
		t.Errorf("stale exclude: exit %d, %q", code, stderr)
	}
	// Dismissed cannot be confirmed.
	_, stderr, code = runCLI(t, nil, "anomaly", "confirm", id, "--db", db, "--as", "bob", "--version", "2")
	if code != 1 || !strings.Contains(stderr, "not allowed in this state") {
		t.Errorf("confirm a dismissed anomaly: exit %d, %q", code, stderr)
	}
	// Reopen without --version acts on the current one; correct with a value.
	if _, stderr, code = runCLI(t, map[string]string{"USER": "carol"}, "anomaly", "reopen", id, "--db", db); code != 0 {
		t.Fatalf("reopen: exit %d, %s", code, stderr)
	}
	stdout, stderr, code = runCLI(t, nil, "anomaly", "correct", id, "--db", db, "--as", "dan", "--value", "27", "--json")
	var got anomalyJSON
	if code != 0 || json.Unmarshal([]byte(stdout), &got) != nil {
		t.Fatalf("correct: exit %d, %q %q", code, stdout, stderr)
	}
	if got.State != "corrected" || got.Replacement == nil || *got.Replacement != 27 || got.Version != 4 || got.By != "dan" || got.At == "" {
		t.Errorf("after correct: %+v", got)
	}

	// The text list: states filter, by score, and the summary line.
	stdout, _, code = runCLI(t, nil, "anomalies", "--db", db, "--state", "open,corrected", "--sort", "score")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 5 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(stdout, "corrected → 27") ||
		lines[4] != "3 anomalies: 2 open, 1 corrected" {
		t.Errorf("text list (exit %d):\n%s", code, stdout)
	}
	stdout, _, _ = runCLI(t, nil, "anomalies", "--db", db, "--state", "dismissed")
	if strings.TrimSpace(stdout) != "ID  DATE  SCORE  DETECTOR  SERIES  OBSERVED  EXPECTED  STATE  VER  DETAIL\n0 anomalies" {
		t.Errorf("no dismissed ones:\n%s", stdout)
	}

	// A scan finds nothing left to check; a full one nothing new.
	stdout, stderr, code = runCLI(t, nil, "anomalies", "--db", db, "--scan", "--json")
	var scan map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &scan) != nil || scan["files"] != 0.0 || scan["added"] != 0.0 {
		t.Errorf("scan: exit %d, %s %s", code, stdout, stderr)
	}
	stdout, _, code = runCLI(t, nil, "anomalies", "--db", db, "--scan", "--full")
	if code != 0 || !strings.Contains(stdout, "scanned 4 files and 2 item×locations") || !strings.Contains(stdout, "3 findings, 0 new") {
		t.Errorf("full scan: exit %d, %s", code, stdout)
	}
}
