package data

// migrationForecasts creates the tables for stored forecasts: written by the forecast run. It is
// empty until that capability lands; the schema runner skips empty steps.
const migrationForecasts = ``
