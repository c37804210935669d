package engine

import "stockroom/data"

// ProposalAuditEntry is one line of a proposal's audit log (who acted,
// when, on which version, and what changed as a JSON detail), named here
// so the console reads it through the engine without importing data.
type ProposalAuditEntry = data.AuditEntry
