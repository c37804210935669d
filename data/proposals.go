package data

// migrationReplenishment creates the tables for reorder proposals, purchase orders and their lines. It is
// empty until that capability lands; the schema runner skips empty steps.
const migrationReplenishment = ``
