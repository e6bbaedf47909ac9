package commissiontest

import (
	"errors"

	"github.com/commissionkit/commission"
)

// refusals are the errors an engine gives for a request it refuses for a
// reason the caller is told: an invalid input, an unknown or taken key,
// a state that forbids it, a payout below its threshold. A history draws
// such requests on purpose; they do not fail a check.
var refusals = []error{
	commission.ErrInvalid, commission.ErrNotFound, commission.ErrCustomerNotFound,
	commission.ErrPartnerNotFound, commission.ErrDuplicateKey, commission.ErrAlreadyArchived,
	commission.ErrAlreadyDeleted, commission.ErrNotArchived, commission.ErrInPayout,
	commission.ErrBelowThreshold, commission.ErrPayoutSettled, commission.ErrNotInReview,
	commission.ErrRefunded, commission.ErrRewarded, commission.ErrNoRate,
}

// IsRefusal reports whether err is one of the engine's expected refusals
// (commission.ErrInvalid, ErrNotFound, ErrBelowThreshold, ...), as opposed
// to a failure such as a store error or commission.ErrCommitUnknown. nil
// is not a refusal.
func IsRefusal(err error) bool {
	for _, r := range refusals {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}
