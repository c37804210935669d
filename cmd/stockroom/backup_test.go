package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"stockroom/data"
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
	if v, _ := f.GetCellValue("Proposals", "A3"); !strings.Contains(v, "not stored by this build yet") {
		t.Fatalf("proposals note %q", v)
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
