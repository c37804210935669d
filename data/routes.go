package data

// migrationRoutes creates the tables for stored route plans. It is
// empty until that capability lands; the schema runner skips empty steps.
const migrationRoutes = ``
