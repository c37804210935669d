package model

import "testing"

func TestParseLocationKind(t *testing.T) {
	for in, want := range map[string]LocationKind{
		"warehouse": Warehouse, " Store ": Store, "DEPOT": Depot,
		"DC": Warehouse, "Distribution Centre": Warehouse, "fulfillment center": Warehouse, "shop": Store,
		"": "", "dcs": "", "outlet": "",
	} {
		got, ok := ParseLocationKind(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseLocationKind(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
