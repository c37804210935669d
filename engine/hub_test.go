package engine

import (
	"testing"

	"stockroom/model"
)

func TestHub_SlowSubscriberNeverBlocks(t *testing.T) {
	h := NewHub()
	fast, stopFast := h.Subscribe()
	slow, stopSlow := h.Subscribe()
	defer stopSlow()
	got := 0
	for i := range 3 * hubBuffer {
		h.Publish(model.Change{Kind: model.ChangeStock, Text: string(rune('a' + i%26))})
		<-fast // the fast one keeps up
		got++
	}
	if got != 3*hubBuffer {
		t.Fatalf("fast subscriber got %d", got)
	}
	// The slow one holds the newest hubBuffer changes, oldest dropped.
	var seqs []uint64
	for len(slow) > 0 {
		seqs = append(seqs, (<-slow).Seq)
	}
	if len(seqs) != hubBuffer || seqs[0] != uint64(2*hubBuffer+1) || seqs[len(seqs)-1] != uint64(3*hubBuffer) {
		t.Errorf("slow subscriber kept %d changes, %d..%d", len(seqs), seqs[0], seqs[len(seqs)-1])
	}
	stopFast()
	stopFast() // twice is harmless
	if _, ok := <-fast; ok {
		t.Errorf("channel not closed after unsubscribe")
	}
	if h.Subscribers() != 1 {
		t.Errorf("%d subscribers", h.Subscribers())
	}
}
