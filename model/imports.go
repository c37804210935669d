package model

import "time"

// ImportFile is one logged import attempt of a file.
type ImportFile struct {
	ID            int64
	Path          string
	Kind          string
	Format        string
	RowsOK        int
	RowsDuplicate int
	RowsRejected  int
	DuplicateOf   string // path of the earlier file with the same content, when this was a no-op
	Error         string // why the file could not be read at all
	User          string
	Started       time.Time
	Finished      time.Time
}

// QuarantineRow is a rejected row of an imported file.
type QuarantineRow struct {
	ID     int64
	Line   int
	Column string
	Reason string
	Raw    string
}

// Overview is the console's first screen: the state of the store at a glance.
type Overview struct {
	AsOf        Date
	Items       int
	Locations   int
	StockRows   int
	ByStatus    map[Status]int
	StockValue  float64 // on hand × unit cost
	Sources     []SourceHealth
	LastImport  time.Time
	FailedFiles int // files that could not be read, last 7 days
	Rejected    int // rows quarantined, last 7 days

	Forecast *ForecastRun // the last forecast run, if any

	// Open proposals and anomalies, when those engines are in.
	OpenProposals     int
	OpenProposalValue float64
	OpenAnomalies     int
	// Alerts of the last recompute: counts per kind, and the most urgent
	// few (out of stock, running out before a delivery) for the feed.
	Alerts    map[AlertKind]int
	TopAlerts []Alert
	// PlannedAsOf is the data day of the last recompute of proposals;
	// NoDate before the first, when the counts above say nothing.
	PlannedAsOf Date
}

// SourceHealth is the freshness of one kind of import.
type SourceHealth struct {
	Kind     string
	Files    int
	LastFile string
	Last     time.Time
	LastData Date // latest date in the data, for ledger kinds
	Rejected int
	Failed   int
}

// DailyHistory is an item×location's days: units sold (all channels), the
// stock at the end of each day, and whether the day ended out of stock.
type DailyHistory struct {
	SKU, Location string
	Start         Date
	Units         []float64
	Closing       []int64
	Stockout      []bool
}
