package engine

import (
	"sync"

	"stockroom/model"
)

// hubBuffer is how many changes a slow subscriber may fall behind before
// its oldest are dropped. Changes say what to reload, not what changed, so
// a dropped one costs nothing as long as a later one arrives.
const hubBuffer = 64

// Hub fans changes out to every console session. Publishing never blocks:
// a session that does not keep up loses its oldest notifications.
type Hub struct {
	mu   sync.Mutex
	seq  uint64
	subs map[chan model.Change]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[chan model.Change]struct{}{}} }

// Subscribe returns a channel of changes and a function that ends the
// subscription and closes the channel.
func (h *Hub) Subscribe() (<-chan model.Change, func()) {
	ch := make(chan model.Change, hubBuffer)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, ch)
			h.mu.Unlock()
			close(ch)
		})
	}
}

// Publish sends c to every subscriber, stamping its sequence number.
func (h *Hub) Publish(c model.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	c.Seq = h.seq
	for ch := range h.subs {
		for {
			select {
			case ch <- c:
			default:
				// Full: drop the oldest and try again.
				select {
				case <-ch:
				default:
				}
				continue
			}
			break
		}
	}
}

// Subscribers is how many sessions listen, for metrics and tests.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
