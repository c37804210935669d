package data

// migrationAnomalies creates the tables for stored anomalies and the actions taken on them. It is
// empty until that capability lands; the schema runner skips empty steps.
const migrationAnomalies = ``
