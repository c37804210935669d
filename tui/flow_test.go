package tui_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"stockroom/model"
)

// typeKeys sends each rune of s as its own key, as a person types.
func typeKeys(tm *teatest.TestModel, s string) {
	for _, r := range s {
		tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// waitText waits until the program has drawn every one of texts. What it
// reads is gone for the next wait, so texts drawn together are waited for
// together.
func waitText(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, s := range texts {
			if !bytes.Contains(b, []byte(s)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// TestFlow_FilterDrillBackApprove is a session as a person has it, in a
// real program with live updates: filter the stock table, open an item,
// come back, open the proposals, and approve one after someone else, in
// another session, changed its quantity while it was on screen.
func TestFlow_FilterDrillBackApprove(t *testing.T) {
	ctx := context.Background()
	eng := newProposalEngine(t)
	st2, err := eng.Proposals(ctx, model.ProposalQuery{Location: "ST2"})
	if err != nil || len(st2) < 2 {
		t.Fatalf("%d open proposals at ST2 (%v), want at least 2", len(st2), err)
	}
	tm := teatest.NewTestModel(t, newLiveConsole(t, eng), teatest.WithInitialTermSize(120, 40))
	waitText(t, tm, "row 1 of 36")

	// Filter the stock table: the three drills at three locations.
	typeKeys(tm, "/drill")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	// The count can come before the rows: wait for the cursor on a drill.
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "›") && strings.Contains(l, "SKU-0001") && strings.Contains(l, "Drill 1") {
				return bytes.Contains(b, []byte("row 1 of 9"))
			}
		}
		return false
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	// Drill into the first one, then back.
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "Stock /drill › SKU-0001 @ DC1")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitText(t, tm, "row 1 of 9")

	// The proposals at ST2; the cursor on the second.
	typeKeys(tm, ":proposals")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, "proposal 1 of 12")
	typeKeys(tm, "/loc=ST2")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitText(t, tm, fmt.Sprintf("proposal 1 of %d", len(st2)))
	typeKeys(tm, "j")
	p := st2[1]
	waitText(t, tm, fmt.Sprintf("#%d %s @ ST2 · proposed · v1", p.ID, p.SKU))

	// Bob edits it from another session: the screen follows within a
	// second, on the same row, with the filter.
	bob, err := eng.EditQty(ctx, p.ID, p.Version, p.Qty+5, "bob")
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, tm, fmt.Sprintf("*%d", bob.Qty), fmt.Sprintf("#%d %s @ ST2 · proposed · v2", p.ID, p.SKU))

	// Approve what is shown now: bob's quantity, version 2.
	typeKeys(tm, "a")
	waitText(t, tm, fmt.Sprintf("approve 1 proposal, %d units, %.2f? y/n", bob.Qty, bob.Value()))
	typeKeys(tm, "y")
	// The result, once the queue has reloaded without it.
	waitText(t, tm, fmt.Sprintf("(v2 → v3) · proposal 2 of %d", len(st2)-1))
	typeKeys(tm, "q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	v := fm.View()
	if !strings.Contains(v, "Proposals open /loc=ST2") ||
		!strings.Contains(statusLine(v), fmt.Sprintf("#%d approved: %d units on PO-000001 (v2 → v3) · proposal 2 of %d", p.ID, bob.Qty, len(st2)-1)) {
		t.Errorf("final screen:\n%s", v)
	}
	if strings.Contains(v, fmt.Sprintf("#%d %s", p.ID, p.SKU)) {
		t.Errorf("the approved proposal is still in the open queue:\n%s", v)
	}
	lines := poLines(t, eng)
	if len(lines) != 1 || lines[0].ProposalID != p.ID || lines[0].Qty != bob.Qty {
		t.Fatalf("po lines %+v, want one of %d for proposal %d", lines, bob.Qty, p.ID)
	}
	got, _ := eng.Proposal(ctx, p.ID)
	if got.State != model.ProposalApproved || got.By != "console" || got.Version != 3 {
		t.Errorf("proposal after the flow: %+v", got)
	}
}

// ? lists the screens and their commands as well as the keys, at 80×24.
func TestFlow_HelpListsScreens(t *testing.T) {
	eng := newProposalEngine(t)
	tm := teatest.NewTestModel(t, newLiveConsole(t, eng), teatest.WithInitialTermSize(80, 24))
	waitText(t, tm, "row 1 of 36")
	typeKeys(tm, "?")
	waitText(t, tm, "screens and commands", ":proposals [STATE]", ":anomalies [STATE]", ":item SKU [LOCATION]", "approve, reject, edit, snooze")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
