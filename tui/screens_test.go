package tui_test

import (
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	eng := newEngine(t, 12)
	d := drive(t, newConsole(t, eng), 120, 30)
	// Tab completes a command name; enter runs it.
	d.keys(":imp\t")
	if !strings.Contains(d.view(), ":imports") {
		t.Fatalf("completion: %s", d.view())
	}
	d.keys("{enter}")
	if !strings.Contains(d.view(), "Imports") || !strings.Contains(d.view(), "sales.csv") {
		t.Fatalf(":imports: %s", d.view())
	}
	// A unique prefix is enough; an unknown command says so.
	d.keys(":frob{enter}")
	if !strings.Contains(d.view(), `unknown command "frob"`) {
		t.Errorf("unknown command: %s", d.view())
	}
	d.keys(":loc ST1{enter}")
	if !strings.Contains(d.view(), "Stock /loc=ST1") || !strings.Contains(d.view(), "row 1 of 12") {
		t.Errorf(":location ST1: %s", d.view())
	}
	// Location codes complete too.
	d.keys(":location S\t")
	if !strings.Contains(d.view(), ":location ST1") {
		t.Errorf("location completion: %s", d.view())
	}
	d.keys("\t")
	if !strings.Contains(d.view(), ":location ST2") {
		t.Errorf("second tab cycles: %s", d.view())
	}
	d.keys("{esc}")
	d.keys(":item SKU-0003 ST2{enter}")
	if !strings.Contains(d.view(), "SKU-0003 @ ST2") || !strings.Contains(d.view(), "Seeds 3") {
		t.Errorf(":item: %s", d.view())
	}
}

func TestDrillInAndBack(t *testing.T) {
	eng := newEngine(t, 12)
	d := drive(t, newConsole(t, eng), 120, 40)
	d.keys("/saw{enter}j")
	d.keys("{enter}")
	v := d.view()
	if !strings.Contains(v, "Stock /saw › SKU-0002 @ ST1") {
		t.Fatalf("breadcrumbs after drilling in: %s", v)
	}
	for _, want := range []string{"Saw 2", "supplier SUP1", "receipt", "PO-2-1", "sales.csv:", "movements.csv:", "units sold a day"} {
		if !strings.Contains(v, want) {
			t.Errorf("item screen lacks %q", want)
		}
	}
	// tab: the same item at the next location.
	d.keys("\t")
	if !strings.Contains(d.view(), "SKU-0002 @ ST2") {
		t.Errorf("tab: %s", d.view())
	}
	// esc goes back with the filter and cursor kept.
	d.keys("{esc}")
	v = d.view()
	if !strings.Contains(v, "Stock /saw") || !strings.Contains(v, "row 2 of 9") {
		t.Errorf("back: %s", v)
	}
	d.keys("{esc}") // clears the filter
	if !strings.Contains(d.view(), "row 1 of 36") {
		t.Errorf("esc clears the filter: %s", d.view())
	}
}

func TestImportsAndQuarantine(t *testing.T) {
	eng := newEngine(t, 5)
	dir := t.TempDir()
	p := writeTemp(t, dir, "sales-bad.csv", "date,order_id,sku,location,channel,qty,price\n"+
		"2026-10-30,X1,SKU-0001,DC1,web,two,5\n2026-10-30,X2,NOPE,DC1,web,1,5\n2026-10-30,X3,SKU-0001,DC1,web,1,5\n")
	importFile(t, eng, p)
	d := drive(t, newConsole(t, eng), 140, 30)
	d.keys(":imports{enter}")
	v := d.view()
	if !strings.Contains(v, "sales-bad.csv") || !strings.Contains(v, "file 1 of 5") {
		t.Fatalf("imports: %s", v)
	}
	d.keys("{enter}")
	v = d.view()
	for _, want := range []string{"1 imported", "2 rejected", "qty", "not a number", `unknown sku "NOPE"`, "X1,SKU-0001"} {
		if !strings.Contains(v, want) {
			t.Errorf("quarantine lacks %q:\n%s", want, v)
		}
	}
	if !strings.Contains(v, "      2  qty") || !strings.Contains(v, "      3  sku") {
		t.Errorf("rejected rows must show their lines:\n%s", v)
	}
}

func TestOverview(t *testing.T) {
	eng := newEngine(t, 8)
	d := drive(t, newConsole(t, eng), 140, 40)
	d.keys(":overview{enter}")
	v := d.view()
	for _, want := range []string{"items", "item × locations", "out of stock", "sales", "movements", "Alerts and activity"} {
		if !strings.Contains(v, want) {
			t.Errorf("overview lacks %q:\n%s", want, v)
		}
	}
	if !strings.Contains(v, "24") { // 8 items × 3 locations
		t.Errorf("overview counts:\n%s", v)
	}
}
