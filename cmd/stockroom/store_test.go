package main

import (
	"context"
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"stockroom/data"
)

const good = "../../testdata/imports/good"

func TestImportCommand_JSON(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	out, errOut, code := runCLI(t, nil, "import", "--db", db, "--json", good)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Files []struct {
			Path         string `json:"path"`
			Kind         string `json:"kind"`
			RowsOK       int    `json:"rows_ok"`
			RowsRejected int    `json:"rows_rejected"`
			Duplicate    bool   `json:"duplicate"`
			Errors       []struct {
				Line   int    `json:"line"`
				Column string `json:"column"`
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var kinds []string
	for _, f := range res.Files {
		kinds = append(kinds, f.Kind)
		if f.RowsOK == 0 || f.RowsRejected != 0 || f.Duplicate || f.Errors == nil {
			t.Errorf("%+v", f)
		}
	}
	// Folders import in kind order, whatever the file names.
	want := "locations suppliers items events promotions nodes roads vehicles movements sales counts deliveries"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	// Again: every file is a duplicate.
	out, _, code = runCLI(t, nil, "import", "--db", db, "--json", good)
	if code != 0 || strings.Count(out, `"duplicate": true`) != 12 {
		t.Errorf("second import, exit %d: %s", code, out)
	}
}

func TestImportCommand_ExitCodes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"rejected rows still exit 0", []string{"import", "--db", db, "../../testdata/imports/bad/unknown-sku.csv"}, 0, "unknown sku"},
		{"unreadable file exits 1", []string{"import", "--db", db, "../../testdata/imports/bad/garbage.bin"}, 1, "NOT IMPORTED: file is not text"},
		{"missing file exits 1", []string{"import", "--db", db, "/nonexistent/x.csv"}, 1, "/nonexistent/x.csv: no such file or folder"},
		{"an empty folder says so", []string{"import", "--db", db, t.TempDir()}, 0, "nothing to import: no files in "},
		{"watch a file", []string{"watch", "--db", db, "../../testdata/imports/bad/garbage.bin"}, 2, "garbage.bin is a file, not a folder"},
		{"no files is a usage error", []string{"import", "--db", db}, 2, "name at least one FILE"},
		{"unknown flag is a usage error", []string{"import", "--db", db, "--nope", "x"}, 2, "flag provided but not defined"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"bad sort", []string{"stock", "--db", db, "--sort", "price"}, 2, "--sort must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, nil, tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d (want %d), output:\n%s%s", code, tt.code, out, errOut)
			}
		})
	}
}

func TestStockCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	if _, errOut, code := runCLI(t, nil, "import", "--db", db, good); code != 0 {
		t.Fatal(errOut)
	}
	// STOCKROOM_DB stands in for --db.
	out, errOut, code := runCLI(t, map[string]string{"STOCKROOM_DB": db}, "stock", "--json", "--sku", "HMR-16")
	if code != 0 {
		t.Fatal(errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rows) != 1 || rows[0]["sku"] != "HMR-16" || rows[0]["location"] != "DC1" || rows[0]["on_hand"] != 113.0 {
		t.Errorf("stock --json: %v", rows)
	}
	out, _, _ = runCLI(t, nil, "stock", "--db", db, "--location", "ST1", "--sort", "on_hand", "--desc")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "SEED-TOM") || !strings.Contains(lines[2], "DRL-18V") {
		t.Errorf("stock table:\n%s", out)
	}
	out, errOut, code = runCLI(t, nil, "stock", "--db", db, "--sku", "NO-SUCH")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "no stock rows match") {
		t.Errorf("no match: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, _, _ = runCLI(t, nil, "stock", "--db", db, "--json", "--filter", "status=out")
	if !strings.Contains(out, `"DRL-18V"`) || strings.Contains(out, `"HMR-16"`) {
		t.Errorf("status=out: %s", out)
	}
}

func TestHelp(t *testing.T) {
	out, _, code := runCLI(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "import") || !strings.Contains(out, "demo") {
		t.Errorf("help: %d %s", code, out)
	}
	for _, cmd := range []string{"import", "stock", "watch", "demo", "console", "plan", "proposals", "approve", "reject", "po",
		"anomalies", "forecast", "route", "backup", "serve"} {
		out, _, code := runCLI(t, nil, cmd, "--help")
		if code != 0 || strings.Count(out, "Usage: stockroom "+cmd) != 1 || !strings.Contains(out, "-db") {
			t.Errorf("%s --help: exit %d, want the usage once\n%s", cmd, code, out)
		}
	}
}

// A bad flag gets its error, one line on stderr, not the whole usage; a
// flag left out shows no made-up default in the usage.
func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--input", "x.csv", "--lead-time", "7", "--min-days", "abc"}, `invalid value "abc" for flag -min-days: not a number`},
		{[]string{"backup", "--daily", "-2"}, `invalid value "-2" for flag -daily: must not be negative`},
		{[]string{"stock", "--bogus"}, "flag provided but not defined: -bogus"},
	} {
		out, errOut, code := runCLI(t, nil, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, only %q", tc.args, code, out, errOut, tc.want)
		}
	}
	out, _, _ := runCLI(t, nil, "simulate", "--help")
	if !strings.Contains(out, "-min-days days") || strings.Contains(out, "(default -1)") {
		t.Errorf("simulate --help:\n%s", out)
	}
}

// The demo builds, plans and scans without a terminal; a second run opens
// it as it is; a build that never finished is finished, importing only
// what is missing.
func TestDemo_NoConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a small demo store")
	}
	db := filepath.Join(t.TempDir(), "demo.db")
	_, errOut, code := runCLI(t, nil, "demo", "--db", db, "--items", "12", "--no-console", "--scan", "--end", "2026-11-25")
	if code != 0 || !strings.Contains(errOut, "imported 78 files") {
		t.Fatalf("demo: exit %d\n%s", code, errOut)
	}
	out, _, code := runCLI(t, nil, "proposals", "--db", db, "--json", "--state", "all")
	var ps []map[string]any
	if err := json.Unmarshal([]byte(out), &ps); err != nil || code != 0 || len(ps) == 0 {
		t.Fatalf("no proposals after the demo (exit %d, %v): %s", code, err, out)
	}
	out, _, _ = runCLI(t, nil, "anomalies", "--db", db, "--json", "--state", "open")
	var as []map[string]any
	if err := json.Unmarshal([]byte(out), &as); err != nil || len(as) == 0 {
		t.Errorf("no anomalies after the demo's scan (%v): %s", err, out)
	}
	if _, errOut, code = runCLI(t, nil, "demo", "--db", db, "--no-console"); code != 0 || !strings.Contains(errOut, "built before") {
		t.Errorf("second run: exit %d\n%s", code, errOut)
	}
	// Forget that the build finished: the next run imports nothing new.
	setStoreMeta(t, db, "demo", "")
	_, errOut, code = runCLI(t, nil, "demo", "--db", db, "--items", "12", "--no-console", "--end", "2026-11-25")
	if code != 0 || !strings.Contains(errOut, "finishing the demo store") || !strings.Contains(errOut, "imported 78 files: 0 rows") {
		t.Errorf("finishing run: exit %d\n%s", code, errOut)
	}
}

// The demo never builds into, finishes or deletes a store it did not
// build, whatever --db says.
func TestDemo_LeavesRealStoresAlone(t *testing.T) {
	db := filepath.Join(t.TempDir(), "real.db")
	setStoreMeta(t, db, "owner", "depot")
	for _, args := range [][]string{
		{"demo", "--db", db, "--items", "3", "--no-console"},
		{"demo", "--db", db, "--items", "3", "--no-console", "--fresh"},
	} {
		_, errOut, code := runCLI(t, nil, args...)
		if code == 0 || !strings.Contains(errOut, "was not built by 'stockroom demo'") {
			t.Errorf("%v: exit %d, want a refusal\n%s", args, code, errOut)
		}
	}
	st, err := data.Open(context.Background(), db)
	if err != nil {
		t.Fatalf("the store is gone: %v", err)
	}
	defer st.Close()
	if m, _ := st.Meta(context.Background(), "owner"); m != "depot" {
		t.Errorf("the store was replaced: owner %q", m)
	}
	if m, _ := st.Meta(context.Background(), demoBuildMeta); m != "" {
		t.Errorf("the demo started building into it: %q", m)
	}
}

func TestDemoDBPath(t *testing.T) {
	env := map[string]string{"XDG_DATA_HOME": "/x/data", "STOCKROOM_DB": "/real/stock.db"}
	if got, want := demoDBPath(func(k string) string { return env[k] }), "/x/data/stockroom/demo.db"; got != want {
		t.Errorf("demoDBPath = %q, want %q (XDG_DATA_HOME honoured, STOCKROOM_DB is the real store)", got, want)
	}
}

// Who acted: --as, then STOCKROOM_USER and the usual variables, then the
// account itself when the environment names nobody (cron, containers).
func TestUserName(t *testing.T) {
	env := map[string]string{}
	c := &cli{getenv: func(k string) string { return env[k] }}
	u, err := user.Current()
	if err != nil || u.Username == "" {
		t.Skipf("no current user to compare with: %v", err)
	}
	if got := userName(c, ""); got != u.Username {
		t.Errorf("empty environment: %q, want the account %q", got, u.Username)
	}
	env["USER"] = "ann"
	if got := userName(c, ""); got != "ann" {
		t.Errorf("USER=ann: %q", got)
	}
	env["STOCKROOM_USER"] = "depot-1"
	if got := userName(c, ""); got != "depot-1" {
		t.Errorf("STOCKROOM_USER first: %q", got)
	}
	if got := userName(c, "bob"); got != "bob" {
		t.Errorf("--as first: %q", got)
	}
}

// setStoreMeta opens the store at db (creating it), sets one meta key and
// closes it again.
func setStoreMeta(t *testing.T, db, key, value string) {
	t.Helper()
	st, err := data.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetMeta(context.Background(), key, value); err != nil {
		t.Fatal(err)
	}
}

// Until a store is planned, an import that brings stock says how to get
// proposals; after the first plan it does not (imports recompute them).
func TestImportCommand_PlanHint(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	out, _, code := runCLI(t, nil, "import", "--db", db, good)
	if code != 0 || !strings.Contains(out, "no reorder proposals yet: 'stockroom plan --db "+db+"' makes them") {
		t.Fatalf("first import: exit %d\n%s", code, out)
	}
	if _, errOut, code := runCLI(t, nil, "plan", "--db", db, "--quiet"); code != 0 {
		t.Fatalf("plan: %s", errOut)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "sales-more.csv")
	os.WriteFile(f, []byte("date,order_id,sku,location,channel,qty,price\n2026-11-03,HINT-1,HMR-16,DC1,web,1,12.5\n"), 0o644)
	if out, _, _ := runCLI(t, nil, "import", "--db", db, f); strings.Contains(out, "no reorder proposals yet") || !strings.Contains(out, "1 row imported") {
		t.Errorf("after a plan:\n%s", out)
	}
}

// The console without a terminal says so and leaves no empty store behind
// at the default path.
func TestConsole_NoTerminalMakesNoStore(t *testing.T) {
	home := t.TempDir()
	_, errOut, code := runCLI(t, map[string]string{"XDG_DATA_HOME": home}, "console")
	if code == 0 || !strings.Contains(errOut, "the console needs a terminal") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, "stockroom", "stockroom.db")); !os.IsNotExist(err) {
		t.Errorf("a store was made: %v", err)
	}
}
