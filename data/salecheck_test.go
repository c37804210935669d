package data_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"stockroom/data"
)

// A sale whose key (order and SKU) is in the ledger but which says another
// quantity, day or location (a corrected re-export, or the SKU listed again
// far down the file) is rejected with what the ledger holds, where it was
// once skipped as a duplicate and its units lost; a true re-send is still a
// duplicate. The same for a sale in a movements file, keyed by ref.
func TestImport_SaleKeyReusedFarApart(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items")
	onHand := func() int64 { return stockMap(t, st)[stockKey{"HMR-16", "DC1"}] }
	before := onHand()
	dir := t.TempDir()
	head := "date,order_id,sku,location,channel,qty,price\n"
	res := mustImport(t, st, mustWriteFile(t, dir, "sales-1.csv", head+
		"2026-11-02,SO-1,HMR-16,DC1,web,2,12.5\n2026-11-02,SO-2,DRL-18V,DC1,web,1,99\n2026-11-02,SO-1,HMR-16,DC1,web,5,12.5\n"), data.ImportOptions{})
	want := []data.RowError{{Line: 4, Column: "order_id", Reason: "order SO-1 lists HMR-16 on line 2 already (2 at DC1 on 2026-11-02); if this is more of it, give this line its own order_id, such as SO-1/2"}}
	if res.RowsOK != 2 || !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("one file: %d ok, errors %+v", res.RowsOK, res.Errors)
	}
	// A later export: SO-1 again as it was (a duplicate), corrected to 3, at
	// another location, on another day.
	res = mustImport(t, st, mustWriteFile(t, dir, "sales-2.csv", head+
		"2026-11-02,SO-1,HMR-16,DC1,web,3,12.5\n2026-11-02,SO-3,HMR-16,DC1,web,1,12.5\n2026-11-02,SO-1,HMR-16,ST1,web,2,12.5\n"+
		"2026-11-02,SO-2,DRL-18V,DC1,web,1,99\n2026-11-03,SO-1,HMR-16,DC1,web,2,12.5\n2026-11-03,SO-4,DRL-18V,DC1,web,1,99\n"+
		"2026-11-02,SO-1,HMR-16,DC1,web,2,12.5\n"), data.ImportOptions{})
	ledger := func(line int) data.RowError {
		return data.RowError{Line: line, Column: "order_id", Reason: "order SO-1 lists HMR-16 in the ledger already (2 at DC1 on 2026-11-02); if this is more of it, give this line its own order_id, such as SO-1/2"}
	}
	// Only the day differs on line 6: the export's days may have moved.
	moved := data.RowError{Line: 6, Column: "date", Reason: "order SO-1 lists HMR-16 in the ledger already with the same quantity on 2026-11-02; " +
		"if the export's days moved, this line is in already; if it is another sale, give it its own order_id, such as SO-1/2"}
	want = []data.RowError{ledger(2), ledger(4), moved}
	if res.RowsOK != 2 || res.RowsDuplicate != 2 || !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("later export: %d ok, %d duplicate, errors %+v", res.RowsOK, res.RowsDuplicate, res.Errors)
	}
	if got := onHand(); got != before-3 {
		t.Errorf("on hand %d, want %d (2 + 1 sold)", got, before-3)
	}
	// In one file: SO-2 again reads HMR-16's ledger lines before SO-5 is
	// added; SO-5 re-sent further down is still a duplicate, not a conflict.
	res = mustImport(t, st, mustWriteFile(t, dir, "sales-3.csv", head+
		"2026-11-02,SO-3,HMR-16,DC1,web,1,12.5\n2026-11-04,SO-5,HMR-16,DC1,web,1,12.5\n2026-11-04,SO-6,DRL-18V,DC1,web,1,99\n"+
		"2026-11-04,SO-5,HMR-16,DC1,web,1,12.5\n2026-11-04,SO-7,DRL-18V,DC1,web,1,99\n2026-11-04,SO-5,HMR-16,DC1,web,2,12.5\n"+
		// SO-8 comes after HMR-16's lines were all read for line 7.
		"2026-11-05,SO-8,HMR-16,DC1,web,1,12.5\n2026-11-05,SO-9,DRL-18V,DC1,web,1,99\n2026-11-05,SO-8,HMR-16,DC1,web,4,12.5\n"), data.ImportOptions{})
	want = []data.RowError{{Line: 7, Column: "order_id", Reason: "order SO-5 lists HMR-16 on line 3 already (1 at DC1 on 2026-11-04); if this is more of it, give this line its own order_id, such as SO-5/2"},
		{Line: 10, Column: "order_id", Reason: "order SO-8 lists HMR-16 on line 8 already (1 at DC1 on 2026-11-05); if this is more of it, give this line its own order_id, such as SO-8/2"}}
	if res.RowsOK != 5 || res.RowsDuplicate != 2 || !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("one file, far apart: %d ok, %d duplicate, errors %+v", res.RowsOK, res.RowsDuplicate, res.Errors)
	}
	before -= 2
	mhead := "date,sku,location,qty,kind,ref\n"
	mustImport(t, st, mustWriteFile(t, dir, "movements-1.csv", mhead+"2026-11-04,HMR-16,DC1,-4,sale,TILL-9\n"), data.ImportOptions{})
	res = mustImport(t, st, mustWriteFile(t, dir, "movements-2.csv", mhead+"2026-11-04,HMR-16,DC1,-4,sale,TILL-9\n2026-11-05,HMR-16,DC1,-1,sale,TILL-9\n"), data.ImportOptions{})
	want = []data.RowError{{Line: 3, Column: "ref", Reason: "TILL-9 for HMR-16 at DC1 is in the ledger already (sale -4 on 2026-11-04); if this is another sale, give it its own ref"}}
	if res.RowsDuplicate != 1 || !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("movements: %d duplicate, errors %+v", res.RowsDuplicate, res.Errors)
	}
	if got := onHand(); got != before-7 {
		t.Errorf("on hand %d, want %d", got, before-7)
	}
}

// A row rejected after it was read (an unknown SKU, a sale that collides
// with the ledger) keeps its text in the quarantine too, read back from
// the file, as a row that could not be read does; in a legacy-encoded file
// as decoded.
func TestImport_RejectedRowsKeepTheirText(t *testing.T) {
	st := mustOpenStore(t)
	mustImportGood(t, st, "locations", "suppliers", "items")
	dir := t.TempDir()
	body := "date,order_id,sku,location,channel,qty,price\n" +
		"2026-11-02,SO-1,HMR-16,DC1,web,2,12.5\n" +
		"2026-11-02,SO-2,NOPE,DC1,web,1,12.5\n" +
		"2026-11-02,\"SO-3\",HMR-16,DC1,caf\xe9,x,12.5\n" +
		"2026-11-02,SO-1,HMR-16,DC1,web,5,12.5\r\n"
	res := mustImport(t, st, mustWriteFile(t, dir, "sales.csv", body), data.ImportOptions{})
	rows, err := st.Quarantine(context.Background(), res.FileID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range rows {
		got = append(got, fmt.Sprintf("%d %s", q.Line, q.Raw))
	}
	want := []string{"3 2026-11-02,SO-2,NOPE,DC1,web,1,12.5", "4 2026-11-02,SO-3,HMR-16,DC1,café,x,12.5", "5 2026-11-02,SO-1,HMR-16,DC1,web,5,12.5"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("quarantined rows %q, want %q", got, want)
	}
}
