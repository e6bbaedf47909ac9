package memstore

import "github.com/commissionkit/commission"

// earnerRewards indexes one earner's rewards, so that the queries by
// earner read that earner's rewards only: Rewards all of them, and
// PayableRewards and PendingSum only those that may still pay, not the
// paid history.
type earnerRewards struct {
	// all holds every reward, by (CreatedAt, ID).
	all ordered[rewardRef]
	// open holds the rewards in no payout, stored ok or in review, that
	// pay more than nothing, by (CreatedAt, ID).
	open ordered[rewardRef]
	// review holds the rewards stored in review with an end to it, by
	// (ReviewEndsAt, ID).
	review ordered[rewardRef]
}

// rewardRef is a reward's place in one of its earner's lists, and where
// it is stored.
type rewardRef struct {
	orderKey
	loc rewardLoc
}

// lists says which of its earner's lists, besides all, hold a reward.
type lists struct{ open, review bool }

func listsOf(r *commission.Reward) lists {
	return lists{
		open: r.PayoutID == "" && (r.Status == commission.RewardOK || r.Status == commission.RewardInReview) &&
			r.Amount.GreaterThan(r.Reversed),
		review: r.Status == commission.RewardInReview && r.ReviewEndsAt != nil,
	}
}

// earnerOf is whom r pays: its partner if it has one, else its rewarded
// customer.
func earnerOf(r *commission.Reward) commission.Earner {
	if r.PartnerID != "" {
		return commission.Earner{Kind: commission.EarnerPartner, ID: r.PartnerID}
	}
	return commission.Earner{Kind: commission.EarnerCustomer, ID: r.RewardedCustomerID}
}

// earner returns e's index, made empty if e has none yet.
func (p *program) earner(e commission.Earner) *earnerRewards {
	er, ok := p.earners[e]
	if !ok {
		er = &earnerRewards{}
		p.earners[e] = er
	}
	return er
}

// refs returns r's places in the lists by creation and by review end.
func refs(r *commission.Reward, loc rewardLoc) (created, review rewardRef) {
	created = rewardRef{orderKey{r.CreatedAt.UnixMicro(), r.ID}, loc}
	if r.ReviewEndsAt != nil {
		review = rewardRef{orderKey{r.ReviewEndsAt.UnixMicro(), r.ID}, loc}
	}
	return created, review
}

// indexReward lists r, a reward newly stored at loc, for its earner.
func (p *program) indexReward(r *commission.Reward, loc rewardLoc) {
	er := p.earner(earnerOf(r))
	created, review := refs(r, loc)
	er.all.insert(created)
	er.move(created, review, lists{}, listsOf(r))
}

// unindexReward undoes indexReward, r being as it was listed.
func (p *program) unindexReward(r *commission.Reward, loc rewardLoc) {
	er := p.earner(earnerOf(r))
	created, review := refs(r, loc)
	er.move(created, review, listsOf(r), lists{})
	er.all.remove(created.orderKey)
}

// move takes a reward out of the lists from holds and into those to
// holds; created and review are its places in them.
func (er *earnerRewards) move(created, review rewardRef, from, to lists) {
	switch {
	case to.open && !from.open:
		er.open.insert(created)
	case from.open && !to.open:
		er.open.remove(created.orderKey)
	}
	switch {
	case to.review && !from.review:
		er.review.insert(review)
	case from.review && !to.review:
		er.review.remove(review.orderKey)
	}
}
