package data

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"stockroom/model"
)

// Kind names what a file holds.
type Kind string

// The import kinds.
const (
	KindLocations  Kind = "locations"
	KindSuppliers  Kind = "suppliers"
	KindItems      Kind = "items"
	KindEvents     Kind = "events"
	KindPromotions Kind = "promotions"
	KindNodes      Kind = "nodes"
	KindRoads      Kind = "roads"
	KindVehicles   Kind = "vehicles"
	KindMovements  Kind = "movements"
	KindSales      Kind = "sales"
	KindCounts     Kind = "counts"
	KindDeliveries Kind = "deliveries"
)

// Ledger reports whether k records what happened to stock (movements,
// sales, counts) rather than what exists (the catalogue, the network).
func (k Kind) Ledger() bool {
	return k == KindMovements || k == KindSales || k == KindCounts
}

// column is one canonical column of a kind and the other names it goes by.
type column struct {
	name     string
	aliases  []string
	required bool
}

type kindSpec struct {
	kind Kind
	cols []column
}

// Aliases shared by every kind that has the column.
var (
	aliasSKU      = []string{"item", "product", "item_id", "product_id", "sku_id", "article", "item_code", "product_code", "itemid", "productid"}
	aliasLocation = []string{"warehouse", "store", "loc", "location_code", "location_id", "site", "warehouse_id", "store_id", "warehouse_code", "store_code"}
	aliasQty      = []string{"quantity", "units", "qty_sold", "units_sold", "quantity_sold"}
	aliasDate     = []string{"day", "txn_date", "transaction_date", "movement_date", "order_date", "sale_date", "sales_date", "posting_date"}
	aliasChannel  = []string{"sales_channel", "channel_id", "channel_code"}
)

// kindSpecs lists every kind in the order a folder is imported: what rows
// refer to must exist before them.
var kindSpecs = []kindSpec{
	{KindLocations, []column{
		{"code", []string{"location", "location_code", "location_id", "site", "warehouse", "store", "id"}, true},
		{"name", []string{"location_name", "site_name", "description"}, true},
		{"kind", []string{"type", "location_type", "location_kind"}, false},
		{"lat", []string{"latitude"}, false},
		{"lon", []string{"lng", "long", "longitude"}, false},
	}},
	{KindSuppliers, []column{
		{"code", []string{"supplier", "supplier_code", "supplier_id", "vendor", "vendor_code", "vendor_id", "id"}, true},
		{"name", []string{"supplier_name", "vendor_name"}, false},
		{"lead_time_days", []string{"lead_time", "leadtime", "lead_days"}, true},
		{"lead_time_sd_days", []string{"lead_time_sd", "lead_time_std_days", "lead_time_stddev_days", "lead_sd_days"}, false},
		{"moq", []string{"min_order_qty", "minimum_order_quantity", "min_qty"}, false},
	}},
	{KindItems, []column{
		{"sku", aliasSKU, true},
		{"name", []string{"item_name", "product_name", "title", "description"}, true},
		{"category", []string{"cat", "category_id", "department", "dept", "product_type"}, false},
		{"uom", []string{"unit", "unit_of_measure", "units_of_measure"}, false},
		{"unit_cost", []string{"cost", "unit_price_cost", "purchase_price", "cost_price"}, false},
		{"price", []string{"unit_price", "sell_price", "selling_price", "retail_price", "list_price"}, false},
		{"supplier", []string{"supplier_code", "supplier_id", "vendor", "vendor_code", "vendor_id"}, false},
		{"pack_size", []string{"pack", "case_size", "case_qty", "pack_qty", "units_per_pack"}, false},
		{"moq", []string{"min_order_qty", "minimum_order_quantity", "min_qty"}, false},
		{"delisted_on", []string{"delisted", "delist_date", "discontinued_on", "discontinued_date", "end_of_life"}, false},
	}},
	{KindEvents, []column{
		{"date", []string{"day", "event_date"}, true},
		{"name", []string{"event", "event_name", "holiday", "holiday_name"}, true},
		{"kind", []string{"type", "event_type", "event_kind"}, false},
		{"applies_to", []string{"scope", "series", "series_id", "applies"}, false},
	}},
	{KindPromotions, []column{
		{"sku", aliasSKU, true},
		{"location", aliasLocation, false},
		{"channel", aliasChannel, false},
		{"start", []string{"start_date", "from", "begin", "promo_start"}, true},
		{"end", []string{"end_date", "to", "until", "promo_end"}, true},
		{"discount_pct", []string{"discount", "discount_percent", "pct_off", "percent_off"}, true},
	}},
	{KindNodes, []column{
		{"id", []string{"node", "node_id"}, true},
		{"lat", []string{"latitude"}, true},
		{"lon", []string{"lng", "long", "longitude"}, true},
	}},
	{KindRoads, []column{
		{"from", []string{"from_node", "from_id", "source", "u"}, true},
		{"to", []string{"to_node", "to_id", "target", "v"}, true},
		{"length_m", []string{"length", "distance_m", "meters", "metres"}, true},
		{"speed_kmh", []string{"speed", "maxspeed", "speed_kph"}, false},
		{"oneway", []string{"one_way", "oneway_flag", "directed"}, false},
	}},
	{KindVehicles, []column{
		{"id", []string{"vehicle", "vehicle_id", "van", "truck"}, true},
		{"depot", []string{"depot_code", "location", "base"}, true},
		{"capacity", []string{"cap", "max_load", "capacity_units"}, true},
		{"shift_start_min", []string{"shift_start", "start_min"}, false},
		{"shift_end_min", []string{"shift_end", "end_min"}, false},
		{"max_duration_min", []string{"max_duration", "max_route_min"}, false},
	}},
	{KindMovements, []column{
		{"date", aliasDate, true},
		{"sku", aliasSKU, true},
		{"location", aliasLocation, true},
		{"qty", append([]string{"qty_change", "change"}, aliasQty...), true},
		{"kind", []string{"type", "movement_type", "movement_kind", "reason"}, true},
		{"ref", []string{"reference", "ref_id", "document", "doc", "po", "po_number", "transfer_id"}, true},
	}},
	{KindSales, []column{
		{"date", aliasDate, true},
		{"order_id", []string{"order", "order_no", "order_number", "orderid", "order_ref", "receipt_id", "transaction_id"}, true},
		{"sku", aliasSKU, true},
		{"location", aliasLocation, true},
		{"channel", aliasChannel, false},
		{"qty", aliasQty, true},
		{"price", []string{"unit_price", "sale_price", "selling_price", "price_paid"}, false},
	}},
	{KindCounts, []column{
		{"date", append([]string{"count_date", "counted_at"}, aliasDate...), true},
		{"sku", aliasSKU, true},
		{"location", aliasLocation, true},
		{"counted_qty", []string{"counted", "count", "qty_counted", "counted_quantity", "physical_qty", "on_hand"}, true},
	}},
	{KindDeliveries, []column{
		{"id", []string{"delivery", "delivery_id", "stop_id", "order_id"}, true},
		{"date", []string{"delivery_date", "day"}, true},
		{"depot", []string{"depot_code", "from_location"}, true},
		{"customer", []string{"customer_id", "customer_name", "consignee"}, false},
		{"lat", []string{"latitude"}, true},
		{"lon", []string{"lng", "long", "longitude"}, true},
		{"demand", []string{"load", "qty", "quantity", "units", "size"}, true},
		{"service_min", []string{"service", "service_time", "service_time_min"}, false},
		{"ready_min", []string{"ready", "window_start", "tw_start", "earliest_min"}, false},
		{"due_min", []string{"due", "window_end", "tw_end", "latest_min"}, false},
	}},
}

func specOf(k Kind) (*kindSpec, bool) {
	for i := range kindSpecs {
		if kindSpecs[i].kind == k {
			return &kindSpecs[i], true
		}
	}
	return nil, false
}

// KindOrder is the position of a kind in a folder import.
func KindOrder(k Kind) int {
	for i := range kindSpecs {
		if kindSpecs[i].kind == k {
			return i
		}
	}
	return len(kindSpecs)
}

// Kinds lists every import kind in folder-import order.
func Kinds() []Kind {
	ks := make([]Kind, len(kindSpecs))
	for i, s := range kindSpecs {
		ks[i] = s.kind
	}
	return ks
}

// normName folds a header name for matching: lower case, trimmed, blanks,
// dashes and dots as underscores ("Order ID" → "order_id").
func normName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	b.Grow(len(s))
	prevUnderscore := false
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '.' || r == '_' || r == '/':
			if !prevUnderscore && b.Len() > 0 {
				b.WriteByte('_')
				prevUnderscore = true
			}
		default:
			b.WriteRune(r)
			prevUnderscore = false
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// resolve maps a normalised header name to the index of one of the kind's
// columns, or -1.
func (ks *kindSpec) resolve(name string) int {
	for i, c := range ks.cols {
		if c.name == name {
			return i
		}
	}
	for i, c := range ks.cols {
		for _, a := range c.aliases {
			if a == name {
				return i
			}
		}
	}
	return -1
}

// binding says where each canonical column of a kind sits in a file's
// header; -1 for a column the file does not have.
type binding struct {
	spec   *kindSpec
	pos    []int    // canonical column → header position
	header []string // the file's header names as written

	// The last date read: a file's rows come in runs of one date, and
	// parsing one costs more than the rest of a sales row's numbers.
	lastDate    string
	lastDateVal model.Date

	// today, when set, refuses ledger dates more than futureDays after
	// it: rows record what happened, and 2062 for 2026 would make every
	// item look dead. A year's room keeps test and planning data that
	// run to the end of a period, a time zone ahead, or a file dated
	// tomorrow.
	today model.Date
}

// futureDays is how far past today a ledger row may be dated.
const futureDays = 366

// bind matches a header against a kind.
func (ks *kindSpec) bind(header []string) (binding, int, []string) {
	b := binding{spec: ks, pos: make([]int, len(ks.cols)), header: header}
	for i := range b.pos {
		b.pos[i] = -1
	}
	matched := 0
	for hi, h := range header {
		ci := ks.resolve(normName(h))
		if ci >= 0 && b.pos[ci] < 0 {
			b.pos[ci] = hi
			matched++
		}
	}
	var missing []string
	for i, c := range ks.cols {
		if c.required && b.pos[i] < 0 {
			missing = append(missing, c.name)
		}
	}
	return b, matched, missing
}

// colName is the name to show for a canonical column in an error: the
// file's own header name when it has one.
func (b binding) colName(ci int) string {
	if p := b.pos[ci]; p >= 0 && p < len(b.header) {
		return strings.TrimSpace(b.header[p])
	}
	return b.spec.cols[ci].name
}

// kindFromName returns the kind a file name starts with ("sales-2025-01.csv"
// → sales), or "".
func kindFromName(path string) Kind {
	base := strings.ToLower(filepath.Base(path))
	for _, s := range kindSpecs {
		k := string(s.kind)
		if strings.HasPrefix(base, k) || strings.HasPrefix(base, strings.TrimSuffix(k, "s")) ||
			(s.kind == KindDeliveries && strings.HasPrefix(base, "deliver")) {
			return s.kind
		}
	}
	if strings.HasPrefix(base, "orders") || strings.HasPrefix(base, "order") {
		return KindSales
	}
	return ""
}

// detectKind decides a file's kind from its header and, when the header
// fits several kinds, from its name. forced, when set, wins.
func detectKind(header []string, path string, forced Kind) (binding, error) {
	if forced != "" {
		ks, ok := specOf(forced)
		if !ok {
			return binding{}, fmt.Errorf("unknown kind %q (want one of %s)", forced, kindList())
		}
		b, _, missing := ks.bind(header)
		if len(missing) > 0 {
			return binding{}, fmt.Errorf("header lacks column(s) %s needed for %s%s", strings.Join(missing, ", "), forced, ks.misspelt(header, missing))
		}
		return b, nil
	}
	type cand struct {
		b       binding
		matched int
	}
	var cands []cand
	for i := range kindSpecs {
		b, matched, missing := kindSpecs[i].bind(header)
		if len(missing) == 0 {
			cands = append(cands, cand{b, matched})
		}
	}
	if len(cands) == 0 {
		if k := kindFromName(path); k != "" {
			ks, _ := specOf(k)
			_, _, missing := ks.bind(header)
			return binding{}, fmt.Errorf("looks like %s by its name, but the header lacks %s%s", k, strings.Join(missing, ", "), ks.misspelt(header, missing))
		}
		return binding{}, fmt.Errorf("cannot tell what the file holds from its header (%s); expected the columns of one of: %s", strings.Join(header, ","), kindList())
	}
	if len(cands) == 1 {
		return cands[0].b, nil
	}
	if k := kindFromName(path); k != "" {
		for _, c := range cands {
			if c.b.spec.kind == k {
				return c.b, nil
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].matched > cands[j].matched })
	if cands[0].matched > cands[1].matched {
		return cands[0].b, nil
	}
	return binding{}, fmt.Errorf("header fits both %s and %s; name the file after its kind (e.g. %s.csv) or pass --kind", cands[0].b.spec.kind, cands[1].b.spec.kind, cands[0].b.spec.kind)
}

// misspelt points at header names that are one or two keystrokes from a
// missing column or one of its aliases: ` ("qunatity": did you mean
// quantity?)`. Names that already mean a column are not suspects.
func (ks *kindSpec) misspelt(header, missing []string) string {
	var hints []string
	for _, h := range header {
		n := normName(h)
		if n == "" || ks.resolve(n) >= 0 {
			continue
		}
		best, bd := "", 3
		for _, m := range missing {
			c := ks.cols[ks.resolve(m)]
			for _, name := range append([]string{c.name}, c.aliases...) {
				limit := 2
				if len(name) <= 4 {
					limit = 1
				}
				if d := editDistance(n, name); d <= limit && d < bd {
					best, bd = name, d
				}
			}
		}
		if best != "" {
			hints = append(hints, fmt.Sprintf("%q: did you mean %s?", strings.TrimSpace(h), best))
		}
	}
	if len(hints) == 0 {
		return ""
	}
	return " (" + strings.Join(hints, "; ") + ")"
}

// editDistance counts the insertions, deletions, substitutions and swaps
// of neighbours that turn a into b (optimal string alignment).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

func kindList() string {
	var s []string
	for _, k := range kindSpecs {
		s = append(s, string(k.kind))
	}
	return strings.Join(s, ", ")
}
