package tui

// ChangeMsg lets the external tests deliver a store change as the
// subscription would.
type ChangeMsg = changeMsg
