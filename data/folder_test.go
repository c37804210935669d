package data_test

import (
	"slices"
	"testing"

	"stockroom/data"
)

// Files that do not exist are sorted by the kind their name shows, which
// is all this test needs.
func TestSortForImport_NameOrder(t *testing.T) {
	in := []string{
		"in/sales-2026-07-resend.csv",
		"in/sales-day-10.csv",
		"in/items.csv",
		"in/sales-2026-07.csv",
		"in/sales-day-9.csv",
		"in/sales-day-09.json",
		"in/sales-2026-06.csv",
	}
	want := []string{
		"in/items.csv",
		"in/sales-2026-06.csv",
		"in/sales-2026-07.csv",
		"in/sales-2026-07-resend.csv",
		"in/sales-day-09.json",
		"in/sales-day-9.csv",
		"in/sales-day-10.csv",
	}
	got := data.SortForImport(in)
	if !slices.Equal(got, want) {
		t.Fatalf("order:\n got %q\nwant %q", got, want)
	}
	// The order is total: any starting order gives the same result.
	slices.Reverse(in)
	if got := data.SortForImport(in); !slices.Equal(got, want) {
		t.Fatalf("reversed input:\n got %q\nwant %q", got, want)
	}
}
