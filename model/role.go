package model

import "fmt"

// Role is what a person may do in the console and the CLI.
type Role string

// The roles, from least to most.
const (
	RoleViewer   Role = "viewer"   // looks; changes nothing
	RoleOperator Role = "operator" // also approves, rejects, edits proposals and acts on anomalies
	RoleAdmin    Role = "admin"    // also imports and changes settings
)

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleViewer, RoleOperator, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (want viewer, operator or admin)", s)
}

// Can reports whether the role may take actions that need at least need.
func (r Role) Can(need Role) bool { return r.rank() >= need.rank() }

func (r Role) rank() int {
	switch r {
	case RoleOperator:
		return 1
	case RoleAdmin:
		return 2
	}
	return 0
}

// Actor is who does something: a person with a role, and where they came
// from (a local terminal, or an SSH key's fingerprint). Every action is
// audited with it.
type Actor struct {
	Name        string
	Role        Role
	Fingerprint string // SSH key fingerprint; empty for local users
}

func (a Actor) String() string {
	if a.Fingerprint != "" {
		return a.Name + " (" + a.Fingerprint + ")"
	}
	return a.Name
}
