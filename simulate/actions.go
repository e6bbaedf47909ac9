package simulate

import (
	"time"

	"github.com/commissionkit/commission"
)

// action is a later change to a replayed sale, replayed at the time it
// was made: a refund, a deletion or an archiving.
type action struct {
	at     time.Time
	order  int64 // ties keep the order they were found in
	key    string
	signup bool                        // of a signup transaction, which the candidate rules may not record
	refund *commission.Refund          // a refund, or
	state  commission.TransactionState // the state the sale was put in
}

// storedActions are the changes made to a stored sale after it was
// recorded, as its stored state tells them: each refund at its time, and
// a deletion or archiving at its DeletedAt. (A restore leaves no trace
// but the sale's state; it is not replayed.)
func storedActions(refunds []*commission.Refund, t *commission.Transaction) []action {
	var out []action
	for _, r := range refunds {
		out = append(out, action{at: r.CreatedAt, key: t.Key, refund: r})
	}
	if t.State != commission.TransactionActive && t.DeletedAt != nil {
		out = append(out, action{at: *t.DeletedAt, key: t.Key, signup: isSignup(t), state: t.State})
	}
	return out
}

// actionHeap holds the actions not replayed yet, earliest on top.
type actionHeap []action

func (h actionHeap) Len() int { return len(h) }
func (h actionHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].order < h[j].order
}
func (h actionHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *actionHeap) Push(x any)   { *h = append(*h, x.(action)) }
func (h *actionHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// peek is the earliest action, if one is due before at.
func (h actionHeap) peek(at time.Time) (action, bool) {
	if len(h) == 0 || !h[0].at.Before(at) {
		return action{}, false
	}
	return h[0], true
}
