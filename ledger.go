package commission

import (
	"time"

	"github.com/shopspring/decimal"
)

// The ledger: what a reward pays can change after it is earned (a
// refund, a deletion, a restore), and each change is an Entry against the
// reward, never an edit of it. A reward's net is its Amount less its
// Reversed, the sum of its entries. Where a reward's money sits decides
// where an entry counts: in review or earned and unpaid, the entry nets
// the reward in place; in a payout or paid, the payout is never edited,
// and the entry is an adjustment the next payout nets (a clawback, when
// it takes money back).

// EarnerKind says who a reward pays.
type EarnerKind string

// Earner kinds.
const (
	// EarnerPartner is a partner, in an affiliate program.
	EarnerPartner EarnerKind = "partner"
	// EarnerCustomer is a customer, in a refer-a-friend program: the
	// referrer, or the referred friend.
	EarnerCustomer EarnerKind = "customer"
)

// Earner names who a reward pays by its id: a partner (Reward.PartnerID)
// or a customer (Reward.RewardedCustomerID).
type Earner struct {
	Kind EarnerKind `json:"kind"`
	ID   string     `json:"id"`
}

// earnerOf is who r pays.
func earnerOf(r *Reward) Earner {
	if r.PartnerID != "" {
		return Earner{EarnerPartner, r.PartnerID}
	}
	return Earner{EarnerCustomer, r.RewardedCustomerID}
}

// EntryReason says what made an entry.
type EntryReason string

// Entry reasons.
const (
	EntryRefund   EntryReason = "refund"   // a partial or full refund of the sale
	EntryDeleted  EntryReason = "deleted"  // the sale was deleted
	EntryArchived EntryReason = "archived" // the sale was archived
	EntryRestored EntryReason = "restored" // the sale was restored
)

// Entry is a change to what a reward pays after it was earned: negative
// when it takes back (a refund, a deletion, an archive), positive when it
// gives back (a restore). The reward itself never changes; its Reversed
// is the sum of its entries, negated.
type Entry struct {
	ID             string      `json:"id"`
	RewardID       string      `json:"reward"`
	TransactionKey string      `json:"key"`
	Reason         EntryReason `json:"reason"`
	// RefundKey is the refund that made the entry, for EntryRefund.
	RefundKey string `json:"refund,omitempty"`
	// Earner and Units are the reward's.
	Earner    Earner          `json:"earner"`
	Units     string          `json:"amount_units"`
	Amount    decimal.Decimal `json:"amount"`
	CreatedAt time.Time       `json:"created_at"`
	// Adjustment is true when the entry was made while its reward was in
	// a payout or paid: the payout is not edited, and the next payout of
	// the earner in these units nets the entry (a clawback when it is
	// negative).
	Adjustment bool `json:"adjustment,omitempty"`
	// PayoutID is the payout that netted an adjustment; "" while it is
	// open.
	PayoutID string `json:"payout,omitempty"`
}

// net is what a reward pays now: its amount less what was reversed.
func (r *Reward) net() decimal.Decimal { return r.Amount.Sub(r.Reversed) }
