package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"stockroom/data"
	"stockroom/engine/anomaly"
	"stockroom/model"
)

func TestBackupRestoreCLI(t *testing.T) {
	db, dir := newDepot(t, "")
	cfg := filepath.Join(dir, "none.json")
	out, errOut, code := runCLI(t, nil, "backup", "--db", db, "--out", filepath.Join(dir, "bk"), "--config", cfg)
	if code != 0 || !strings.Contains(out, "verified: integrity ok") {
		t.Fatalf("backup: %d %q %q", code, out, errOut)
	}
	list, _ := data.ListBackups(filepath.Join(dir, "bk"))
	if len(list) != 1 {
		t.Fatalf("backups %v", list)
	}
	_, errOut, code = runCLI(t, nil, "restore", "--from", list[0].Path, "--db", db)
	if code != 3 || !strings.Contains(errOut, "--force") {
		t.Fatalf("restore over a store without --force: %d %q", code, errOut)
	}
	fresh := filepath.Join(dir, "restored.db")
	out, errOut, code = runCLI(t, nil, "restore", "--from", list[0].Path, "--db", fresh)
	if code != 0 || !strings.Contains(out, "sha256 and row counts match the manifest") {
		t.Fatalf("restore: %d %q %q", code, out, errOut)
	}
	out, errOut, code = runCLI(t, nil, "restore", "--from", list[0].Path, "--db", db, "--force")
	if code != 0 || !strings.Contains(out, "kept as "+db+".pre-restore") {
		t.Fatalf("restore --force: %d %q %q", code, out, errOut)
	}
	if _, _, code := runCLI(t, nil, "restore", "--db", db); code != 2 {
		t.Fatalf("restore without --from: exit %d", code)
	}
}

func TestReportCLI(t *testing.T) {
	db, dir := newDepot(t, "")
	path := filepath.Join(dir, "out", "report.xlsx")
	out, errOut, code := runCLI(t, nil, "report", "--db", db, "--out", path, "--config", filepath.Join(dir, "none.json"))
	if code != 0 || !strings.Contains(out, path) {
		t.Fatalf("report: %d %q %q", code, out, errOut)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "Status,Stock,Proposals,Forecast accuracy,Anomalies,Imports" {
		t.Fatalf("sheets %s", got)
	}
	rows, _ := f.GetRows("Imports")
	if len(rows) != 6 { // header + the 5 fixture files
		t.Fatalf("imports sheet has %d rows", len(rows))
	}
	// Nothing planned, forecast or scanned yet: each sheet says how to
	// get there.
	for sheet, want := range map[string]string{"Proposals": "stockroom plan", "Forecast accuracy": "stockroom forecast --db",
		"Anomalies": "No open anomalies"} {
		if v, _ := f.GetCellValue(sheet, "A3"); !strings.Contains(v, want) {
			t.Errorf("%s note %q, want it to say %q", sheet, v, want)
		}
	}
	// Mailing needs the smtp section; the error says so before any work.
	_, errOut, code = runCLI(t, nil, "report", "--db", db, "--out", path, "--mail-to", "a@b.c", "--config", filepath.Join(dir, "none.json"))
	if code != 1 || !strings.Contains(errOut, "smtp: no host configured") {
		t.Fatalf("report --mail-to without smtp: %d %q", code, errOut)
	}
	if _, err := os.Stat(path + ".partial"); err == nil {
		t.Fatal("partial file left behind")
	}
}

// The engines' sheets hold what the store holds: every open proposal and
// the one approved, the stored forecasts' accuracy by model and category
// (series adding up to the forecasts stored), every open anomaly.
func TestReportCLI_Engines(t *testing.T) {
	db := planStoreCLI(t)
	dir := t.TempDir()
	for _, args := range [][]string{{"plan", "--db", db, "--quiet"}, {"forecast", "--db", db, "--models", "naive,ses,sba"},
		{"anomalies", "--db", db, "--scan"}} {
		if _, errOut, code := runCLI(t, nil, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
	}
	ps := proposalsJSON(t, db)
	if len(ps) < 2 {
		t.Fatalf("fixture has %d proposals", len(ps))
	}
	if _, errOut, code := runCLI(t, nil, "approve", "--db", db, fmt.Sprint(ps[0].ID), "--as", "ann"); code != 0 {
		t.Fatalf("approve: %s", errOut)
	}
	// A member of a category-wide move, dismissed on arrival by
	// stockroom: not a decision anyone made, so not on the sheet.
	st, err := data.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	member := model.Anomaly{SKU: "K1", Location: "ST1", Channel: "web", Date: model.MustDate("2026-10-20"), Detector: "level_shift",
		Score: 0.6, Observed: 9, Expected: 4, State: model.AnomalyDismissed, Replacement: math.NaN(), By: anomaly.CohortBy,
		At: time.Now(), Note: "part of a category-wide move"}
	if added, err := st.SaveAnomalies(context.Background(), []model.Anomaly{member}, nil); err != nil || len(added) != 1 {
		t.Fatalf("save member: %v %v", added, err)
	}
	st.Close()
	var anoms []json.RawMessage
	out, _, _ := runCLI(t, nil, "anomalies", "--db", db, "--state", "open", "--json")
	if err := json.Unmarshal([]byte(out), &anoms); err != nil {
		t.Fatalf("%v: %s", err, out)
	}

	path := filepath.Join(dir, "report.xlsx")
	out, errOut, code := runCLI(t, nil, "report", "--db", db, "--out", path, "--config", filepath.Join(dir, "none.json"))
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d proposals", len(ps))) {
		t.Fatalf("report: %d %q %q", code, out, errOut)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Proposals")
	states := map[string]int{}
	for _, r := range rows[1:] {
		if len(r) > 7 {
			states[r[7]]++
		}
	}
	if len(rows)-1 != len(ps) || states["approved"] != 1 || states["proposed"] != len(ps)-1 {
		t.Errorf("proposals sheet: %d rows, states %v; want %d, one approved", len(rows)-1, states, len(ps))
	}
	if r := rows[1]; len(r) < 16 || !strings.Contains(strings.Join(r, " "), "position") {
		t.Errorf("a proposal row without its reason: %q", r)
	}

	rows, _ = f.GetRows("Forecast accuracy")
	series := 0
	for _, r := range rows[1:] {
		if len(r) < 8 || r[0] == "" {
			continue
		}
		n, err := strconv.Atoi(r[2])
		if err != nil {
			t.Fatalf("accuracy row %q", r)
		}
		series += n
		if r[1] != "home" {
			t.Errorf("category %q, want home", r[1])
		}
	}
	if series != 4 { // K1@ST1, K2@ST1, K3@DC1, K4@DC1
		t.Errorf("accuracy rows cover %d series, want 4:\n%q", series, rows)
	}

	rows, _ = f.GetRows("Anomalies")
	got := len(rows) - 1
	if len(anoms) == 0 {
		got = 0 // the note row
	}
	if got != len(anoms) {
		t.Errorf("anomalies sheet %d rows, store has %d open", got, len(anoms))
	}
}
