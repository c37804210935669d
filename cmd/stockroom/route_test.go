package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateRoute = flag.Bool("update-route", false, "rewrite the route CLI golden files in testdata/route/cli")

const routeData = "../../testdata/route"

func checkRouteGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join(routeData, "cli", name)
	if *updateRoute {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update-route to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update-route to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestRunRoute_Instance solves small instances to a fixed iteration budget
// on one worker, so the routes are the same on any machine.
func TestRunRoute_Instance(t *testing.T) {
	for _, name := range []string{"tiny-euc", "tiny-tw", "tiny-dur"} {
		t.Run(name, func(t *testing.T) {
			args := []string{"route", "--instance", filepath.Join(routeData, name+".vrp"), "--time-limit", "60s",
				"--iterations", "300", "--workers", "1", "--seed", "7"}
			out, errOut, code := runCLI(t, nil, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			checkRouteGolden(t, name+".sol", out)
			if !strings.Contains(errOut, "route: "+name+": ") {
				t.Errorf("stderr: %q", errOut)
			}
			// --out writes the same solution and prints only the cost.
			sol := filepath.Join(t.TempDir(), "x.sol")
			out2, errOut, code := runCLI(t, nil, append(args, "--out", sol)...)
			if code != 0 {
				t.Fatalf("--out: exit %d: %s", code, errOut)
			}
			b, err := os.ReadFile(sol)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != out {
				t.Errorf("--out file:\n%s\nstdout before:\n%s", b, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if last := lines[len(lines)-1]; strings.TrimSpace(out2) != last || !strings.HasPrefix(last, "Cost ") {
				t.Errorf("stdout with --out: %q, want %q", out2, last)
			}
		})
	}
}

// routeStore imports the good fixtures' depot, roads, vans and the two
// deliveries of 2026-11-26.
func routeStore(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "s.db")
	var args []string
	for _, k := range []string{"locations", "nodes", "roads", "vehicles", "deliveries"} {
		args = append(args, filepath.Join(good, k+".csv"))
	}
	if _, errOut, code := runCLI(t, nil, append([]string{"import", "--db", db}, args...)...); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	return db
}

type routePlanOut struct {
	PlanID     int64    `json:"plan_id"`
	Depot      string   `json:"depot"`
	Date       string   `json:"date"`
	User       string   `json:"user"`
	Note       string   `json:"note"`
	Feasible   bool     `json:"feasible"`
	Roads      bool     `json:"roads"`
	DistanceM  float64  `json:"distance_m"`
	Unassigned []string `json:"unassigned"`
	Runs       []struct {
		Vehicle   string  `json:"vehicle"`
		Load      int64   `json:"load"`
		Capacity  int64   `json:"capacity"`
		DistanceM float64 `json:"distance_m"`
		Departed  bool    `json:"departed"`
		Stops     []struct {
			Delivery string  `json:"delivery"`
			Node     int64   `json:"node"`
			StartMin float64 `json:"start_min"`
			Late     bool    `json:"late"`
		} `json:"stops"`
	} `json:"runs"`
}

func TestRunRoute_DB(t *testing.T) {
	db := routeStore(t)
	base := []string{"route", "--db", db, "--depot", "DC1", "--date", "2026-11-26", "--time-limit", "200ms", "--workers", "1"}
	out, errOut, code := runCLI(t, nil, append(base, "--json", "--as", "ann")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p routePlanOut
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// One van takes both (52 of 120): depot (node 1) → 2 → 3 → depot over
	// 420 + 950 + 810 m, the one-way road 2→3 driven its way.
	if p.PlanID != 1 || p.Depot != "DC1" || p.Date != "2026-11-26" || p.User != "ann" || p.Note != "planned afresh" ||
		!p.Feasible || !p.Roads || p.DistanceM != 2180 || len(p.Unassigned) != 0 || len(p.Runs) != 1 {
		t.Fatalf("plan: %+v", p)
	}
	r := p.Runs[0]
	if r.Vehicle != "VAN1" || r.Load != 52 || r.Capacity != 120 || len(r.Stops) != 2 ||
		r.Stops[0].Delivery != "D-1002" || r.Stops[0].Node != 2 || r.Stops[1].Delivery != "D-1001" || r.Stops[1].Node != 3 {
		t.Errorf("run: %+v", r)
	}
	if s := r.Stops[1]; s.StartMin < 540 || s.StartMin > 660 || s.Late {
		t.Errorf("D-1001 outside its 09:00–11:00 window: %+v", s)
	}

	// Text: a summary line, then one row per run.
	out, errOut, code = runCLI(t, nil, base...)
	if code != 0 {
		t.Fatalf("text: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "plan 2: DC1 2026-11-26, 1 runs, 2 stops, 2.2 km, ") ||
		!strings.Contains(lines[0], "feasible, road distances") {
		t.Fatalf("text:\n%s", out)
	}
	if f := strings.Fields(lines[1]); strings.Join(f, " ") != "RUN VEHICLE STOPS LOAD/CAP KM DURATION START END" {
		t.Errorf("header %q", lines[1])
	}
	if f := strings.Fields(lines[2]); len(f) != 8 || f[0] != "1" || f[1] != "VAN1" || f[2] != "2" || f[3] != "52/120" || f[4] != "2.2" {
		t.Errorf("run row %q", lines[2])
	}
	out, _, _ = runCLI(t, nil, append(base, "--stops")...)
	if !strings.Contains(out, "run 1, VAN1:") || !strings.Contains(out, "D-1002") || !strings.Contains(out, "Cafe Uno") {
		t.Errorf("--stops:\n%s", out)
	}

	// Without --depot and --date: the depot of the latest plan and its first
	// day with deliveries, as the Routes screen opens, said on stderr.
	for _, args := range [][]string{{}, {"--date", "2026-11-26"}, {"--depot", "DC1"}} {
		out, errOut, code = runCLI(t, nil, append([]string{"route", "--db", db, "--time-limit", "200ms", "--workers", "1"}, args...)...)
		if code != 0 || !strings.Contains(out, ": DC1 2026-11-26, 1 runs, 2 stops, 2.2 km, ") {
			t.Errorf("%v: exit %d: %s%s", args, code, out, errOut)
		}
		if want := "route: planning DC1 for 2026-11-26"; !strings.Contains(errOut, want) {
			t.Errorf("%v: stderr %q lacks %q", args, errOut, want)
		}
	}
	// A depot the store does not have says which it has.
	if _, errOut, code := runCLI(t, nil, "route", "--db", db, "--depot", "DC9"); code != 1 || !strings.Contains(errOut, "--depot DC9: no such location (the store has DC1") {
		t.Errorf("--depot DC9: exit %d: %s", code, errOut)
	}
}

func TestRunRoute_DBReplanAndTraffic(t *testing.T) {
	db := routeStore(t)
	base := []string{"route", "--db", db, "--depot", "DC1", "--date", "2026-11-26", "--time-limit", "200ms", "--workers", "1", "--json"}
	if _, errOut, code := runCLI(t, nil, base...); code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	more := filepath.Join(t.TempDir(), "deliveries-more.csv")
	if err := os.WriteFile(more, []byte("id,date,depot,customer,lat,lon,demand,service_min,ready_min,due_min\n"+
		"D-1003,2026-11-26,DC1,Bakery,52.4865,-1.8906,70,5,0,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI(t, nil, "import", "--db", db, more); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	// The import itself re-planned the day (plan 2, see --list below): D-1003
	// (70) does not fit beside the other two (52), so it takes a second van.
	// An explicit re-plan before any van leaves starts from that plan and
	// finds nothing new.
	out, errOut, code := runCLI(t, nil, append(base, "--replan", "--now", "05:00")...)
	if code != 0 {
		t.Fatalf("replan: exit %d: %s", code, errOut)
	}
	var p routePlanOut
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.PlanID != 3 || p.Note != "replan: 0 added, 0 cancelled" || len(p.Runs) != 2 || !p.Feasible {
		t.Fatalf("replan: %+v", p)
	}
	// Closing 1-2 cuts node 2 off (2→3 is one-way): D-1002 is unassigned,
	// the plan is stored anyway and the exit status says so.
	out, errOut, code = runCLI(t, nil, append(base, "--traffic", "1-2=closed")...)
	if code != 3 || !strings.Contains(errOut, "plan 4 stored, but 1 deliveries could not be assigned") {
		t.Fatalf("closed road: exit %d: %s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.Feasible || len(p.Unassigned) != 1 || p.Unassigned[0] != "D-1002" {
		t.Errorf("closed road: %+v", p)
	}
	// Clearing it brings D-1002 back.
	out, _, code = runCLI(t, nil, append(base, "--traffic", "2-1=1")...)
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != 0 || len(p.Unassigned) != 0 {
		t.Errorf("cleared: exit %d, %+v", code, p)
	}
	// Every plan is kept: --list shows them newest first.
	out, errOut, code = runCLI(t, nil, "route", "--db", db, "--list", "--depot", "DC1", "--json")
	var list struct {
		Plans []struct {
			PlanID   int64  `json:"plan_id"`
			Date     string `json:"date"`
			Stops    int    `json:"stops"`
			Feasible bool   `json:"feasible"`
			Note     string `json:"note"`
		} `json:"plans"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 {
		t.Fatalf("--list: exit %d %v: %s %s", code, err, out, errOut)
	}
	var got []string
	for _, p := range list.Plans {
		got = append(got, fmt.Sprintf("%d %s %d %v %s", p.PlanID, p.Date, p.Stops, p.Feasible, p.Note))
	}
	want := []string{"5 2026-11-26 3 true planned afresh", "4 2026-11-26 2 false planned afresh",
		"3 2026-11-26 3 true replan: 0 added, 0 cancelled",
		"2 2026-11-26 3 true replan: 1 added, 0 cancelled", "1 2026-11-26 2 true planned afresh"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("--list:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out, _, _ = runCLI(t, nil, "route", "--db", db, "--list", "--date", "2026-11-27")
	if strings.TrimSpace(out) != "no stored plans" {
		t.Errorf("--list of an empty day: %q", out)
	}
	out, _, _ = runCLI(t, nil, "route", "--db", db, "--list")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 6 || !strings.HasPrefix(lines[0], "PLAN") {
		t.Errorf("--list text:\n%s", out)
	}
}

func TestRunRoute_Errors(t *testing.T) {
	db := routeStore(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nothing", []string{"route"}, 2, "give --instance FILE.vrp, or --db"},
		{"both", []string{"route", "--instance", "x.vrp", "--db", db}, 2, "not both"},
		{"no day with deliveries", []string{"route", "--db", db, "--depot", "ST1"}, 1, "nothing to deliver from ST1 on any day"},
		{"bad date", []string{"route", "--db", db, "--depot", "DC1", "--date", "26/11/2026"}, 2, "is not a date"},
		{"now without replan", []string{"route", "--db", db, "--depot", "DC1", "--date", "2026-11-26", "--now", "10:00"}, 2, "--now is for --replan"},
		{"bad now", []string{"route", "--db", db, "--depot", "DC1", "--date", "2026-11-26", "--replan", "--now", "25:99"}, 2, "not a time of day"},
		{"instance flag", []string{"route", "--db", db, "--depot", "DC1", "--date", "2026-11-26", "--out", "x.sol"}, 2, "--out is for --instance"},
		{"bad traffic", []string{"route", "--db", db, "--depot", "DC1", "--date", "2026-11-26", "--traffic", "1-2=fast"}, 2, "FACTOR must be a positive number"},
		{"unknown road", []string{"route", "--db", db, "--depot", "DC1", "--date", "2026-11-26", "--traffic", "1-9=2"}, 1, "no road from node 1 to node 9"},
		{"no deliveries", []string{"route", "--db", db, "--depot", "DC1", "--date", "2026-11-27"}, 1, "nothing to deliver from DC1 on 2026-11-27"},
		{"unknown depot", []string{"route", "--db", db, "--depot", "DC9", "--date", "2026-11-26"}, 1, "depot DC9: no such location"},
		{"depot without vans", []string{"route", "--db", db, "--depot", "ST1", "--date", "2026-11-26"}, 1, "depot ST1: no vehicles"},
		{"list and plan", []string{"route", "--db", db, "--list", "--replan"}, 2, "--replan plans; --list only lists"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d with %q", code, errOut, tc.code, tc.want)
			}
		})
	}
}
