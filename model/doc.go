// Package model holds stockroom's domain types and their rules: items,
// locations, suppliers, stock movements, demand, calendars, promotions and the
// routing inputs. It does no I/O and knows nothing of SQL or terminals, so
// every other package can share these values.
package model
