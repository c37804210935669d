package model

// Level is an item×location's replenishment levels from the last
// recompute: what the stock table shows as its reorder point, and the
// item screen as its policy. Every planned item×location has one, whether
// or not it needs an order.
type Level struct {
	AsOf         Date
	Class        string  // ABC class by revenue
	Service      float64 // target, e.g. 0.95
	ServiceKind  string  // fill_rate or cycle
	DailyMean    float64 // mean forecast demand a day
	Model        string  // the forecast model
	LeadTimeDays float64
	LeadTimeSD   float64
	ReviewDays   int
	SafetyStock  float64
	ReorderPoint int64
	OrderUpTo    int64
	EOQ          float64
}
