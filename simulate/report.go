package simulate

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

// Report is what a simulation found.
type Report struct {
	// RuleVersion is the candidate rules' Version.
	RuleVersion string    `json:"rule_version,omitempty"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	// Replayed counts the stored sales replayed; Sales, the sales
	// reported (created within From and To), with the signups only the
	// candidate rules reward.
	Replayed int64 `json:"replayed"`
	Sales    int64 `json:"sales"`
	// Totals are, for each beneficiary and unit, what the reported sales'
	// rewards pay as stored and as simulated, ordered by beneficiary key,
	// then id, then unit.
	Totals []Total `json:"totals"`
	// Changes are the reported sales whose rewards change most, by the
	// absolute difference in one unit, largest first (ties: recorded
	// first), at most Options.Top of them. A sale whose rewards pay the
	// same is not listed.
	Changes []SaleChange `json:"changes"`
}

// Total is what one beneficiary's rewards in one unit pay, as stored
// (Old) and as simulated (New). A reward pays its Amount less what
// refunds and deletions reversed (Reward.Reversed); a rejected one pays
// nothing.
type Total struct {
	Beneficiary commission.Beneficiary `json:"beneficiary"`
	Units       string                 `json:"units"`
	Old         decimal.Decimal        `json:"old"`
	New         decimal.Decimal        `json:"new"`
	// Difference is New less Old.
	Difference decimal.Decimal `json:"difference"`
	// OldRewards and NewRewards count the rewards summed.
	OldRewards int `json:"old_rewards"`
	NewRewards int `json:"new_rewards"`
}

// SaleChange is how much what one sale's rewards in one unit pay
// changes, all its beneficiaries together.
type SaleChange struct {
	TransactionKey string          `json:"transaction"`
	CreatedAt      time.Time       `json:"created_at"`
	Units          string          `json:"units"`
	Old            decimal.Decimal `json:"old"`
	New            decimal.Decimal `json:"new"`
	Difference     decimal.Decimal `json:"difference"`
}
