package model

// ChangeKind says what changed in the store.
type ChangeKind int

// The kinds of change the engine publishes to every console session.
const (
	ChangeImport    ChangeKind = iota + 1 // an import committed (or was rejected)
	ChangeStock                           // stock or demand changed
	ChangeProposals                       // proposals were recomputed or acted on
	ChangeAnomalies                       // anomalies were found or acted on
	ChangeForecasts                       // a forecast run stored new forecasts
	ChangeRoutes                          // a route plan was stored
	ChangeProgress                        // long work made progress (Done of Total)
	ChangeExternal                        // another process committed; reload what is shown
)

// Change is one notification from the engine to the consoles. It says what
// kind of thing changed, not the rows: a session reloads only what it shows.
type Change struct {
	Kind  ChangeKind
	Seq   uint64 // increases with every change published
	Text  string // a short human line for the status bar / alert feed
	Done  int64  // progress: units done
	Total int64  // progress: units in all; 0 when unknown
}
