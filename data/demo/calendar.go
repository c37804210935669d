package demo

import (
	"math"
	"time"

	"stockroom/model"
)

// Channels, in the order a location's stock is allocated when demand exceeds
// it: walk-in customers take what is on the shelf before web orders are
// picked.
const (
	chWeb = iota
	chStore
	chMarket
	maxChannels
)

var channelNames = [maxChannels]string{"web", "store", "marketplace"}

// channelTag is the letter a channel gives an order id.
var channelTag = [maxChannels]byte{'W', 'S', 'M'}

// allocOrder is the order in which a day's demand at a location is served.
var allocOrder = [maxChannels]int{chStore, chWeb, chMarket}

// weekly demand shape per channel, Monday first; normalised to mean 1 at init.
var weekly = [maxChannels][7]float64{
	chWeb:    {1.15, 1.05, 1.00, 0.95, 0.90, 0.90, 1.05},
	chStore:  {0.85, 0.85, 0.90, 1.00, 1.15, 1.45, 0.80},
	chMarket: {1.10, 1.05, 1.00, 0.95, 0.90, 0.95, 1.05},
}

// channelGrowth is the yearly drift of each channel: shoppers move online.
var channelGrowth = [maxChannels]float64{chWeb: 0.10, chStore: -0.03, chMarket: 0.20}

// bump is one seasonal peak of a category's yearly profile: its centre (day
// of the year, 0 = 1 January), width in days and height over the base.
type bump struct{ centre, width, amp float64 }

// category is a department of the catalogue with its own prices, pack
// sizes, seasonality and return rate.
type category struct {
	code, name  string
	weight      float64 // share of the catalogue
	velocity    float64 // demand multiplier against the catalogue's rank curve
	priceMedian float64
	priceSigma  float64
	lump        float64 // mean units per purchase
	returnRate  float64 // share of web units sent back
	packs       []int64
	uom         string
	base        float64 // yearly profile outside the bumps
	bumps       []bump
	norm        float64 // set at init: makes the yearly profile average 1
	adjectives  []string
	nouns       []string
	variants    []string
}

var categories = []category{
	{code: "TOY", name: "Toys", weight: 0.10, velocity: 0.9, priceMedian: 18, priceSigma: 0.7, lump: 1.1, returnRate: 0.05,
		packs: []int64{1, 2, 4, 6}, uom: "ea", base: 1, bumps: []bump{{349, 16, 3.0}, {200, 30, 0.2}},
		adjectives: []string{"Wooden", "Deluxe", "Mini", "Classic", "Magnetic", "Junior", "Musical", "Giant"},
		nouns:      []string{"Train Set", "Puzzle", "Building Blocks", "Doll House", "Race Track", "Plush Bear", "Kite", "Board Game", "Science Kit", "Robot"},
		variants:   []string{"Red", "Blue", "Green", "Rainbow", "3+", "5+", "8+"}},
	{code: "GDN", name: "Garden", weight: 0.07, velocity: 0.8, priceMedian: 15, priceSigma: 0.8, lump: 1.3, returnRate: 0.04,
		packs: []int64{1, 2, 4, 6}, uom: "ea", base: 0.35, bumps: []bump{{135, 40, 2.2}, {200, 30, 0.8}},
		adjectives: []string{"Galvanised", "Solar", "Folding", "Terracotta", "Heavy Duty", "Compact"},
		nouns:      []string{"Hose Reel", "Planter", "Lantern", "Trowel", "Bird Feeder", "Lawn Seed", "Compost", "Rake", "Watering Can"},
		variants:   []string{"Small", "Medium", "Large", "20L", "50L", "Black"}},
	{code: "APP", name: "Apparel", weight: 0.16, velocity: 0.8, priceMedian: 22, priceSigma: 0.5, lump: 1.15, returnRate: 0.25,
		packs: []int64{1, 3, 5, 10}, uom: "ea", base: 1, bumps: []bump{{100, 30, 0.35}, {280, 30, 0.35}, {350, 12, 0.5}, {3, 8, 0.4}},
		adjectives: []string{"Cotton", "Merino", "Slim", "Relaxed", "Waterproof", "Organic", "Linen"},
		nouns:      []string{"T-Shirt", "Hoodie", "Jeans", "Jacket", "Socks", "Scarf", "Shirt", "Chinos", "Dress"},
		variants:   []string{"Navy S", "Navy M", "Navy L", "Black M", "Grey L", "White S", "Olive M"}},
	{code: "ELC", name: "Electronics", weight: 0.09, velocity: 0.6, priceMedian: 45, priceSigma: 1.0, lump: 1.05, returnRate: 0.08,
		packs: []int64{1, 1, 2, 5}, uom: "ea", base: 1, bumps: []bump{{352, 14, 1.0}, {240, 15, 0.25}},
		adjectives: []string{"Wireless", "Smart", "Portable", "USB-C", "Noise Cancelling", "4K", "Rechargeable"},
		nouns:      []string{"Headphones", "Speaker", "Charger", "Power Bank", "Webcam", "Keyboard", "Mouse", "Monitor", "Cable"},
		variants:   []string{"Black", "White", "1m", "2m", "Pro", "Lite"}},
	{code: "HOM", name: "Home & Kitchen", weight: 0.14, velocity: 1.0, priceMedian: 14, priceSigma: 0.7, lump: 1.2, returnRate: 0.06,
		packs: []int64{1, 2, 4, 6, 12}, uom: "ea", base: 1, bumps: []bump{{350, 14, 0.45}, {10, 10, 0.2}},
		adjectives: []string{"Ceramic", "Stainless", "Non-Stick", "Bamboo", "Glass", "Enamel", "Cast Iron"},
		nouns:      []string{"Mug", "Frying Pan", "Chopping Board", "Storage Jar", "Teapot", "Knife Block", "Bowl", "Towel", "Candle"},
		variants:   []string{"Set of 2", "Set of 4", "Grey", "Cream", "24cm", "28cm"}},
	{code: "BTY", name: "Beauty", weight: 0.09, velocity: 1.3, priceMedian: 9, priceSigma: 0.6, lump: 1.4, returnRate: 0.04,
		packs: []int64{3, 6, 12}, uom: "ea", base: 1, bumps: []bump{{350, 14, 0.8}},
		adjectives: []string{"Hydrating", "Gentle", "Vitamin C", "Unscented", "Travel", "Matte"},
		nouns:      []string{"Face Cream", "Shampoo", "Lip Balm", "Body Wash", "Serum", "Hand Cream", "Sunscreen", "Lipstick"},
		variants:   []string{"50ml", "100ml", "250ml", "Rose", "Nude", "SPF30", "SPF50"}},
	{code: "STA", name: "Stationery", weight: 0.07, velocity: 1.2, priceMedian: 4, priceSigma: 0.7, lump: 1.8, returnRate: 0.02,
		packs: []int64{6, 12, 24}, uom: "ea", base: 0.8, bumps: []bump{{240, 12, 2.2}, {10, 8, 0.4}},
		adjectives: []string{"A4", "A5", "Recycled", "Gel", "Spiral", "Pastel"},
		nouns:      []string{"Notebook", "Pen Pack", "Pencil Case", "Highlighters", "Sticky Notes", "Ring Binder", "Envelopes"},
		variants:   []string{"Blue", "Black", "Assorted", "10 pack", "50 sheets"}},
	{code: "GRO", name: "Grocery", weight: 0.10, velocity: 1.8, priceMedian: 3, priceSigma: 0.6, lump: 2.0, returnRate: 0.01,
		packs: []int64{6, 12, 24}, uom: "ea", base: 1, bumps: []bump{{357, 5, 0.35}, {200, 40, 0.1}},
		adjectives: []string{"Organic", "Italian", "Wholegrain", "Salted", "Dark", "Free Range"},
		nouns:      []string{"Coffee Beans", "Pasta", "Olive Oil", "Granola", "Chocolate", "Tea Bags", "Crisps", "Biscuits"},
		variants:   []string{"250g", "500g", "1kg", "80 bags", "Multipack"}},
	{code: "SPT", name: "Sports", weight: 0.07, velocity: 0.7, priceMedian: 25, priceSigma: 0.8, lump: 1.1, returnRate: 0.10,
		packs: []int64{1, 2, 4}, uom: "ea", base: 0.9, bumps: []bump{{6, 12, 0.9}, {190, 40, 0.4}},
		adjectives: []string{"Training", "Yoga", "Resistance", "Running", "Insulated", "Pro"},
		nouns:      []string{"Mat", "Dumbbell", "Water Bottle", "Band", "Football", "Gloves", "Skipping Rope", "Shorts"},
		variants:   []string{"2kg", "5kg", "750ml", "Size 5", "M", "L"}},
	{code: "PET", name: "Pet", weight: 0.06, velocity: 1.1, priceMedian: 8, priceSigma: 0.8, lump: 1.5, returnRate: 0.02,
		packs: []int64{4, 6, 12}, uom: "ea", base: 1, bumps: []bump{{350, 10, 0.1}},
		adjectives: []string{"Grain Free", "Chew", "Orthopaedic", "Catnip", "Reflective"},
		nouns:      []string{"Dog Food", "Cat Litter", "Pet Bed", "Lead", "Treats", "Toy Mouse", "Bowl"},
		variants:   []string{"2kg", "10kg", "Small", "Large", "Chicken", "Salmon"}},
	{code: "SEA", name: "Seasonal", weight: 0.05, velocity: 1.0, priceMedian: 10, priceSigma: 0.7, lump: 1.6, returnRate: 0.03,
		packs: []int64{6, 12, 24}, uom: "ea", base: 0.05, bumps: []bump{{296, 9, 3.5}, {345, 14, 6.0}},
		adjectives: []string{"Glitter", "LED", "Spooky", "Festive", "Gold", "Paper"},
		nouns:      []string{"Baubles", "Fairy Lights", "Pumpkin Lantern", "Wreath", "Crackers", "Gift Wrap", "Costume"},
		variants:   []string{"Pack of 6", "Pack of 12", "Red", "Silver", "Kids", "Adult"}},
}

func init() {
	for c := range categories {
		sum := 0.0
		for d := range 365 {
			sum += yearlyRaw(&categories[c], float64(d))
		}
		categories[c].norm = 365 / sum
	}
	for ch := range weekly {
		sum := 0.0
		for _, v := range weekly[ch] {
			sum += v
		}
		for i := range weekly[ch] {
			weekly[ch][i] *= 7 / sum
		}
	}
}

func yearlyRaw(c *category, doy float64) float64 {
	v := c.base
	for _, b := range c.bumps {
		dist := math.Abs(doy - b.centre)
		if dist > 182.6 {
			dist = 365.25 - dist
		}
		v += b.amp * math.Exp(-0.5*(dist/b.width)*(dist/b.width))
	}
	return v
}

// yearly is the seasonal level of a category on a day, averaging 1 over a
// year.
func yearly(c *category, d model.Date) float64 {
	return yearlyRaw(c, float64(d.Time().YearDay()-1)) * c.norm
}

// effect is how an event moves demand: a multiplier for each category (all
// for the rest) on the channels it touches.
type effect struct {
	all      float64
	cats     map[string]float64
	webOnly  bool    // shopping events of online marketplaces
	store    float64 // extra store multiplier; 0 means closed when closed is set
	closed   bool    // stores shut
	webExtra float64 // extra web/marketplace multiplier (1 when 0)
}

func (e *effect) mult(cat string, ch int) float64 {
	m := e.all
	if v, ok := e.cats[cat]; ok {
		m = v
	}
	switch ch {
	case chStore:
		if e.closed {
			return 0
		}
		if e.webOnly {
			m = 1
		}
		if e.store != 0 {
			m *= e.store
		}
	default:
		if e.webExtra != 0 {
			m *= e.webExtra
		}
	}
	return m
}

// calEvent is one dated event written to events.csv.
type calEvent struct {
	date      model.Date
	name      string
	kind      string
	appliesTo string
	eff       *effect
}

// eventRule places a named event in a year.
type eventRule struct {
	name, kind string
	appliesTo  string
	days       func(y int) []model.Date
	eff        effect
}

func fixed(m time.Month, d int) func(int) []model.Date {
	return func(y int) []model.Date { return []model.Date{model.DateFromYMD(y, m, d)} }
}

// nthWeekday is the n-th weekday wd of a month; n = -1 is the last one.
func nthWeekday(y int, m time.Month, wd time.Weekday, n int) model.Date {
	if n < 0 {
		last := model.DateFromYMD(y, m+1, 1).AddDays(-1)
		return last.AddDays(-int((last.Weekday() - wd + 7) % 7))
	}
	first := model.DateFromYMD(y, m, 1)
	return first.AddDays(int((wd-first.Weekday()+7)%7) + 7*(n-1))
}

func nth(m time.Month, wd time.Weekday, n int, offset ...int) func(int) []model.Date {
	return func(y int) []model.Date {
		d := nthWeekday(y, m, wd, n)
		if len(offset) == 0 {
			return []model.Date{d}
		}
		out := make([]model.Date, len(offset))
		for i, o := range offset {
			out[i] = d.AddDays(o)
		}
		return out
	}
}

// easter is Easter Sunday of a year (the anonymous Gregorian algorithm).
func easter(y int) model.Date {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return model.DateFromYMD(y, time.Month(month), day)
}

func fromEaster(off int) func(int) []model.Date {
	return func(y int) []model.Date { return []model.Date{easter(y).AddDays(off)} }
}

// blackFriday is the day after the fourth Thursday of November.
func blackFriday(y int) model.Date { return nthWeekday(y, time.November, time.Thursday, 4).AddDays(1) }

// eventRules is the retailer's calendar: UK public holidays, the cultural
// days that move gifting, and the shopping events of the big online
// marketplaces. Uplifts are multipliers on the day's demand.
var eventRules = []eventRule{
	{name: "New Year's Day", kind: model.EventHoliday, days: fixed(time.January, 1),
		eff: effect{all: 1, store: 0.4, webExtra: 0.8}},
	{name: "Valentine's Day", kind: model.EventCultural, days: fixed(time.February, 14),
		eff: effect{all: 1, cats: map[string]float64{"BTY": 2.0, "HOM": 1.2, "GRO": 1.15}}},
	{name: "Mothering Sunday", kind: model.EventCultural, days: fromEaster(-21),
		eff: effect{all: 1, cats: map[string]float64{"BTY": 1.8, "HOM": 1.4, "GDN": 1.3}}},
	{name: "Good Friday", kind: model.EventReligious, days: fromEaster(-2),
		eff: effect{all: 1.05, cats: map[string]float64{"GRO": 1.35, "GDN": 1.6}}},
	{name: "Easter Sunday", kind: model.EventReligious, days: fromEaster(0),
		eff: effect{all: 1, closed: true, webExtra: 0.7}},
	{name: "Easter Monday", kind: model.EventNational, days: fromEaster(1),
		eff: effect{all: 1.1, cats: map[string]float64{"GDN": 1.8}}},
	{name: "Early May Bank Holiday", kind: model.EventNational, days: nth(time.May, time.Monday, 1),
		eff: effect{all: 1.05, cats: map[string]float64{"GDN": 1.6}}},
	{name: "Cup Final", kind: model.EventSporting, days: nth(time.May, time.Saturday, 3),
		eff: effect{all: 1, cats: map[string]float64{"GRO": 1.35, "ELC": 1.1}}},
	{name: "Spring Bank Holiday", kind: model.EventNational, days: nth(time.May, time.Monday, -1),
		eff: effect{all: 1.05, cats: map[string]float64{"GDN": 1.6, "SPT": 1.2}}},
	{name: "618 Shopping Festival", kind: model.EventSale, days: fixed(time.June, 18),
		eff: effect{all: 1.25, webOnly: true, cats: map[string]float64{"ELC": 1.8, "BTY": 1.5}}},
	{name: "Father's Day", kind: model.EventCultural, days: nth(time.June, time.Sunday, 3),
		eff: effect{all: 1, cats: map[string]float64{"ELC": 1.3, "SPT": 1.35, "APP": 1.15}}},
	{name: "Summer Sale", kind: model.EventSale, days: nth(time.June, time.Thursday, -1),
		eff: effect{all: 1.1, cats: map[string]float64{"APP": 1.5}}},
	{name: "Prime Day", kind: model.EventSale, days: nth(time.July, time.Tuesday, 2, 0, 1),
		eff: effect{all: 1.4, webOnly: true, store: 0.95, cats: map[string]float64{"ELC": 2.6, "HOM": 1.8, "TOY": 1.6}}},
	{name: "Summer Bank Holiday", kind: model.EventNational, days: nth(time.August, time.Monday, -1),
		eff: effect{all: 1.05, cats: map[string]float64{"GDN": 1.4}}},
	{name: "Back to School", kind: model.EventCultural, appliesTo: "STA-*", days: nth(time.September, time.Monday, 1, -3),
		eff: effect{all: 1, cats: map[string]float64{"STA": 1.6}}},
	{name: "Halloween", kind: model.EventCultural, days: fixed(time.October, 31),
		eff: effect{all: 1, cats: map[string]float64{"SEA": 1.8, "GRO": 1.3}}},
	{name: "Singles Day 11.11", kind: model.EventSale, days: fixed(time.November, 11),
		eff: effect{all: 1.3, webOnly: true, cats: map[string]float64{"ELC": 1.9, "APP": 1.6, "BTY": 1.7}}},
	{name: "Black Friday", kind: model.EventSale, days: func(y int) []model.Date { return []model.Date{blackFriday(y)} },
		eff: effect{all: 1.7, webExtra: 1.2, cats: map[string]float64{"ELC": 3.5, "TOY": 2.5, "APP": 2.2, "HOM": 2.0, "BTY": 2.0}}},
	{name: "Cyber Monday", kind: model.EventSale, days: func(y int) []model.Date { return []model.Date{blackFriday(y).AddDays(3)} },
		eff: effect{all: 1.8, webOnly: true, store: 1.05, cats: map[string]float64{"ELC": 3.0}}},
	{name: "Christmas Eve", kind: model.EventReligious, days: fixed(time.December, 24),
		eff: effect{all: 1, store: 0.75, webExtra: 0.4, cats: map[string]float64{"GRO": 1.5}}},
	{name: "Christmas Day", kind: model.EventHoliday, days: fixed(time.December, 25),
		eff: effect{all: 1, closed: true, webExtra: 0.35}},
	{name: "Boxing Day", kind: model.EventHoliday, days: fixed(time.December, 26),
		eff: effect{all: 1, store: 1.7, webExtra: 1.5}},
	{name: "New Year's Eve", kind: model.EventCultural, days: fixed(time.December, 31),
		eff: effect{all: 1, store: 0.85, cats: map[string]float64{"GRO": 1.4}}},
}

// events lists the calendar's events from first to last, both included, in
// date order (ties in rule order).
func events(first, last model.Date) []calEvent {
	var out []calEvent
	y0 := first.Time().Year()
	y1 := last.Time().Year()
	for y := y0; y <= y1; y++ {
		for ri := range eventRules {
			r := &eventRules[ri]
			for _, d := range r.days(y) {
				if d < first || d > last {
					continue
				}
				out = append(out, calEvent{date: d, name: r.name, kind: r.kind, appliesTo: r.appliesTo, eff: &r.eff})
			}
		}
	}
	// insertion sort by date keeps rule order among equal dates
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].date < out[j-1].date; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// calendar holds the demand factor of every category and channel on every
// day from the first day of history to the end of the planning horizon.
type calendar struct {
	first, last model.Date
	nCat        int
	factor      []float32 // [day][cat][channel]
	cum         []float64 // prefix sums of factor per cat×channel: [day+1][cat][channel]
	events      []calEvent
}

func newCalendar(seed int64, first, last, eventsTo model.Date) *calendar {
	nCat := len(categories)
	n := int(last-first) + 1
	c := &calendar{first: first, last: last, nCat: nCat,
		factor: make([]float32, n*nCat*maxChannels),
		cum:    make([]float64, (n+1)*nCat*maxChannels),
		events: events(first, eventsTo),
	}
	mid := first.AddDays(n / 2)
	r := newRNG(seed, streamCalendar)
	ei := 0
	for k := range n {
		d := first.AddDays(k)
		wd := (int(d.Weekday()) + 6) % 7 // Monday = 0
		for ei < len(c.events) && c.events[ei].date < d {
			ei++
		}
		for ci := range categories {
			cat := &categories[ci]
			y := yearly(cat, d)
			// Weather and news move a whole department for a day.
			noise := math.Exp(0.08*r.norm() - 0.0032)
			for ch := range maxChannels {
				f := y * weekly[ch][wd] * noise * math.Exp(channelGrowth[ch]*float64(d-mid)/365.25)
				for ej := ei; ej < len(c.events) && c.events[ej].date == d; ej++ {
					f *= c.events[ej].eff.mult(cat.code, ch)
				}
				c.factor[(k*nCat+ci)*maxChannels+ch] = float32(f)
			}
		}
	}
	for k := range n {
		for j := range nCat * maxChannels {
			c.cum[(k+1)*nCat*maxChannels+j] = c.cum[k*nCat*maxChannels+j] + float64(c.factor[k*nCat*maxChannels+j])
		}
	}
	return c
}

// at is the demand factor of a category and channel on day index k.
func (c *calendar) at(k, cat, ch int) float64 {
	return float64(c.factor[(k*c.nCat+cat)*maxChannels+ch])
}

// sum is the sum of factors over day indexes [k0, k1), clamped to the
// calendar.
func (c *calendar) sum(k0, k1, cat, ch int) float64 {
	n := int(c.last-c.first) + 1
	k0 = max(0, min(n, k0))
	k1 = max(0, min(n, k1))
	j := cat*maxChannels + ch
	w := c.nCat * maxChannels
	return c.cum[k1*w+j] - c.cum[k0*w+j]
}
