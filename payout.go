package commission

import (
	"time"

	"github.com/shopspring/decimal"
)

// PayoutRules are a program's payout thresholds: CreatePayout refuses a
// payout below them (ErrBelowThreshold).
type PayoutRules struct {
	// Minimum is the least a payout in the program currency may pay; a
	// partner's PayoutMinimum replaces it. Zero: any positive amount.
	Minimum decimal.Decimal `json:"minimum,omitempty"`
	// MinCustomers is the least number of paying customers (the
	// customers metric, over all time) an earner must have referred
	// before a payout.
	MinCustomers int `json:"min_customers,omitempty"`
}

// PayoutState is where a payout is in its life: pending until it is
// marked paid or canceled.
type PayoutState string

// Payout states.
const (
	PayoutPending  PayoutState = "pending"
	PayoutPaid     PayoutState = "paid"
	PayoutCanceled PayoutState = "canceled"
)

// Payout is a sum owed to one earner in one unit: the earned rewards it
// gathered, net of what was reversed of them before, and the adjustments
// (clawbacks) it nets. A reward is in at most one live (pending or paid)
// payout; canceling one releases its rewards and adjustments.
type Payout struct {
	ID     string `json:"id"`
	Earner Earner `json:"earner"`
	// EarnerKey is the earner's key, for display.
	EarnerKey string          `json:"earner_key"`
	Units     string          `json:"amount_units"`
	Amount    decimal.Decimal `json:"amount"`
	State     PayoutState     `json:"state"`
	// RewardIDs are the rewards it pays, EntryIDs the adjustments it nets.
	RewardIDs  []string   `json:"rewards"`
	EntryIDs   []string   `json:"entries,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	PaidAt     *time.Time `json:"paid_at"`
	CanceledAt *time.Time `json:"canceled_at"`
	// Reference is the external reference it was paid with (a bank
	// transfer's id).
	Reference string `json:"reference,omitempty"`
}
