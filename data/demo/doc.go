// Package demo generates a realistic, seeded data set for stockroom: the
// import files of a mid-sized UK retailer (a distribution centre that ships
// web orders and stores around Greater Manchester) over two years, and the
// truth behind them that the files do not say.
//
// Generate writes two folders under its directory:
//
//	import/  the files to import, named by kind, in the canonical formats:
//	         locations, suppliers, items, events, promotions, nodes, roads,
//	         vehicles, deliveries (one file each; items.csv says from when
//	         a delisted item is no longer reordered); movements-YYYY-MM,
//	         sales-YYYY-MM and counts-YYYY-MM (monthly); and two duplicates:
//	         sales-YYYY-MM-resend.csv, a byte-identical copy of one month's
//	         file, and sales-YYYY-MM-DD-reexport.csv, one day's lines again.
//	truth/   anomalies.csv (kind,sku,location,channel,date,detail), stock.csv
//	         (physical and ledger stock per item×location at the end),
//	         items.csv (each item's demand parameters and how often it sold),
//	         events.csv (each event's uplift), summary.json, and with
//	         Options.DemandTruth demand-YYYY-MM.csv (true demand per series
//	         and day, what sold, what was recorded).
//
// The history is simulated day by day for every item and location. Demand
// follows a long-tailed popularity curve (a bigger catalogue adds mostly
// slow items), weekly and yearly seasonality by department and channel,
// trends, holidays and shopping events, promotions with price cuts and
// uplift, launches and delistings, and lumpy purchase sizes. Sales are the
// smaller of demand and what is on the shelf; the rest is lost. A weekly
// periodic review orders from suppliers (MOQ, pack sizes, sampled lead
// times, short shipments); web customers return goods; the depot tops up
// stores that run dry; theft and damage take stock without a record until a
// cycle count finds it. Injected anomalies (typos, a level shift, a stuck
// feed, a sale without stock, stock vanishing, theft, a resent file) are
// written to truth/anomalies.csv as they happen.
//
// Every item owns its own random stream, so the output is byte-identical for
// the same options whatever the number of workers, and memory grows with the
// catalogue, not with the rows written.
package demo
