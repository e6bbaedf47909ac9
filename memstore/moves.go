package memstore

import "github.com/commissionkit/commission"

// moves are the changes to earners' lists that one write makes, gathered
// so that each list changes once: a payout of n rewards then costs
// O(n log n), not n shifts of the list.
type moves map[*earnerRewards]*listMoves

// listMoves are the rewards that go into (in) and out of (out) one
// earner's open and review lists.
type listMoves struct {
	openIn, openOut, reviewIn, reviewOut []rewardRef
}

// add moves the reward stored at loc, changed from was to now, between
// the lists of its earner (whose it stays) as its change requires.
func (m *moves) add(p *program, was, now *commission.Reward, loc rewardLoc) {
	from, to := listsOf(was), listsOf(now)
	if from == to {
		return
	}
	if *m == nil {
		*m = make(moves)
	}
	er := p.earner(earnerOf(now))
	lm := (*m)[er]
	if lm == nil {
		lm = &listMoves{}
		(*m)[er] = lm
	}
	wasAt, wasReview := refs(was, loc)
	nowAt, nowReview := refs(now, loc)
	switch {
	case to.open && !from.open:
		lm.openIn = append(lm.openIn, nowAt)
	case from.open && !to.open:
		lm.openOut = append(lm.openOut, wasAt)
	}
	switch {
	case to.review && !from.review:
		lm.reviewIn = append(lm.reviewIn, nowReview)
	case from.review && !to.review:
		lm.reviewOut = append(lm.reviewOut, wasReview)
	}
}

// move makes the moves m, and undoes them on rollback.
func (t *tx) move(m moves) {
	if len(m) == 0 {
		return
	}
	for er, lm := range m {
		er.apply(lm.openIn, lm.openOut, lm.reviewIn, lm.reviewOut)
	}
	t.onRollback(func() {
		for er, lm := range m {
			er.apply(lm.openOut, lm.openIn, lm.reviewOut, lm.reviewIn)
		}
	})
}

// apply takes rewards out of and into the open and review lists.
func (er *earnerRewards) apply(openIn, openOut, reviewIn, reviewOut []rewardRef) {
	er.open.removeAll(openOut)
	er.open.insertAll(openIn)
	er.review.removeAll(reviewOut)
	er.review.insertAll(reviewIn)
}
