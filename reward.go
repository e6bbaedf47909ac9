package commission

import (
	"time"

	"github.com/shopspring/decimal"
)

// RewardStatus is where a reward is in its lifecycle.
type RewardStatus string

// Reward statuses. A reward with a review period is held (ReviewPeriod)
// until its ReviewEndsAt and earned (OK) after it; the engine reports the
// status as of its clock on every read, with no background job. A reward
// in a payout marked paid is Paid.
const (
	RewardOK       RewardStatus = "ok"
	RewardInReview RewardStatus = "review_period"
	RewardRejected RewardStatus = "rejected"
	RewardPaid     RewardStatus = "paid"
)

// Reward is what one beneficiary earns on one line of a transaction.
// json.Marshal gives the documented reward object, with the reward's own id
// and explanation added.
type Reward struct {
	ID string
	// TransactionKey is the key of the transaction that earned the reward
	// (the reward's documented "key").
	TransactionKey string
	Action         string
	// Status is as of the engine's clock when the reward was read.
	Status RewardStatus
	// ReviewEndsAt is when a held reward is released, if it has a review
	// period.
	ReviewEndsAt *time.Time
	// DecidedAt and Reason record an approval or rejection.
	DecidedAt *time.Time
	Reason    string
	// PartnerID and PartnerKey name the rewarded partner (affiliate).
	PartnerID  string
	PartnerKey string
	// CustomerID and CustomerKey name the buyer.
	CustomerID  string
	CustomerKey string
	// RewardedCustomerID and RewardedCustomerKey name the rewarded customer
	// (refer-a-friend).
	RewardedCustomerID  string
	RewardedCustomerKey string
	Amount              decimal.Decimal
	AmountUnits         string
	IsCurrency          bool
	Credit              bool
	ProductID           string
	ProductType         string
	// Line is the product line (from 1, in the sale's products) whose
	// reward this is; 0 for a reward of the whole sale (a sale without
	// lines, a level, the friend's reward, a goal bonus, a set reward).
	Line        int
	CreatedAt   time.Time
	DeletedAt   *time.Time
	Explanation Explanation
	// Reversed is what the reward's entries have taken back (refunds,
	// deletions; less what restores gave back): it pays Amount less
	// Reversed. Amount never changes.
	Reversed decimal.Decimal
	// PayoutID is the payout the reward is in, "" when it is in none
	// (or its payout was canceled).
	PayoutID string
	// Kind is the program kind; it decides the JSON field names.
	Kind ProgramKind
}

// Explanation records how a reward was computed, so that it can be
// audited and is never recomputed from rules that have since changed.
type Explanation struct {
	// Rule is the id of the rule that produced the reward: "default", a
	// product rule's or tier's id, "partner:<key>", "level:<n>",
	// "friend", a goal's id, a refer-a-friend reward's name, or "manual"
	// for a reward set by the input.
	Rule string `json:"rule"`
	// RuleVersion is the rule set's Version when the reward was computed.
	RuleVersion string `json:"rule_version,omitempty"`
	// Match says how the rule was chosen: one of the Match constants
	// (MatchProductID, MatchGoal, ...).
	Match string `json:"match"`
	// Base is the amount the commission applied to.
	Base decimal.Decimal `json:"base"`
	// Type and Value are the commission applied: a percent rate or a flat
	// amount.
	Type  CommissionType  `json:"type,omitempty"`
	Value decimal.Decimal `json:"value"`
	// Rate converted the sale from the currency From into the program's;
	// Base is then in the program currency.
	Rate *decimal.Decimal `json:"rate,omitempty"`
	From string           `json:"from,omitempty"`
	// Level is the partner's level above the selling one (1 to
	// MaxLevels) for a multi-level reward; 0 otherwise.
	Level int `json:"level,omitempty"`
	// Step is the step of the rule's commission schedule that applied,
	// from 1 ("40% for 3 months" is step 1, "then 20%" step 2); 0 when the
	// rule has no schedule.
	Step int `json:"step,omitempty"`
	// Rounding names the rounding applied to the result, if any, as
	// "mode:places" ("half_up:2"; StorageRounding).
	Rounding string `json:"rounding,omitempty"`
	// Exact is the reward before the program's rounding, when it rounds.
	Exact *decimal.Decimal `json:"exact,omitempty"`
	// Caps names the caps that lowered the reward ("per_reward",
	// "partner.month"), and Uncapped is what it was before them.
	Caps     []string         `json:"caps,omitempty"`
	Uncapped *decimal.Decimal `json:"uncapped,omitempty"`
	// Counted names the periods of the partner spend limits the reward
	// counts towards, so that a reversal gives back what was counted even
	// if the limits have changed since.
	Counted []string `json:"counted,omitempty"`
	// Threshold is, for a goal bonus, the highest threshold the
	// transaction made the beneficiary reach, and Thresholds how many it
	// pays for (more than one when a recurring goal's multiples are
	// crossed at once). Base is then the metric's value after the
	// transaction and Value the bonus per threshold.
	Threshold  *decimal.Decimal `json:"threshold,omitempty"`
	Thresholds int              `json:"thresholds,omitempty"`
	// Occurrence is, for a refer-a-friend reward paid by occurrence
	// (ReferralReward.Occurrences), the friend's number among its
	// referrer's referrals: the one its step was chosen by.
	Occurrence int `json:"occurrence,omitempty"`
}

// Clone returns a deep copy of r.
func (r *Reward) Clone() *Reward {
	c := r.clone()
	return &c
}

func (r *Reward) clone() Reward {
	c := *r
	if r.Explanation.Exact != nil {
		e := *r.Explanation.Exact
		c.Explanation.Exact = &e
	}
	if r.Explanation.Rate != nil {
		rate := *r.Explanation.Rate
		c.Explanation.Rate = &rate
	}
	if r.Explanation.Uncapped != nil {
		u := *r.Explanation.Uncapped
		c.Explanation.Uncapped = &u
	}
	if r.Explanation.Threshold != nil {
		th := *r.Explanation.Threshold
		c.Explanation.Threshold = &th
	}
	c.Explanation.Caps = cloneStrings(r.Explanation.Caps)
	c.Explanation.Counted = cloneStrings(r.Explanation.Counted)
	c.ReviewEndsAt = copyTime(r.ReviewEndsAt)
	c.DecidedAt = copyTime(r.DecidedAt)
	c.DeletedAt = copyTime(r.DeletedAt)
	return c
}

func copyDecimal(d *decimal.Decimal) *decimal.Decimal {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// statusAt is the reward's status as of now: a held reward whose review
// period has ended is earned.
func (r *Reward) statusAt(now time.Time) RewardStatus {
	if r.Status == RewardInReview && r.ReviewEndsAt != nil && !now.Before(*r.ReviewEndsAt) {
		return RewardOK
	}
	return r.Status
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}
