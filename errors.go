package commission

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error the engine returns for an expected condition
// matches one of these with errors.Is, whichever store is underneath.
var (
	// ErrNotFound reports an unknown transaction, reward, partner or
	// customer looked up by its identifier.
	ErrNotFound = errors.New("commission: not found")

	// ErrCustomerNotFound reports a transaction for a customer that does not
	// exist, without options.create_customer ("Customer not found").
	ErrCustomerNotFound = errors.New("commission: customer not found")

	// ErrPartnerNotFound reports attribution to a partner that does not exist
	// ("Invalid partner key").
	ErrPartnerNotFound = errors.New("commission: invalid partner key")

	// ErrDuplicateKey reports a key (or id or email) already taken in the
	// program. For transactions the error is a *DuplicateError carrying the
	// stored transaction.
	ErrDuplicateKey = errors.New("commission: duplicate key")

	// ErrInvalid is matched by every *ValidationError.
	ErrInvalid = errors.New("commission: validation error")

	// ErrAlreadyArchived reports archiving a transaction that is archived.
	ErrAlreadyArchived = errors.New("commission: transaction already archived")

	// ErrAlreadyDeleted reports deleting, archiving, restoring or making
	// rewardable a transaction that is deleted: a retried delete whose
	// first attempt committed gets it, where a key never used gets
	// ErrNotFound. It reports as well deleting, updating or setting the
	// status of a partner or customer that is deleted (DeletePartner,
	// DeleteCustomer), and a sale by a deleted customer.
	ErrAlreadyDeleted = errors.New("commission: already deleted")

	// ErrNotArchived reports restoring a transaction that is not archived.
	ErrNotArchived = errors.New("commission: transaction not archived")

	// ErrCommitUnknown reports a unit of work whose commit the database
	// may or may not have made: the connection was lost while it
	// committed. It is the one failure after which something may be
	// stored. To find out, repeat the operation: a create that committed
	// answers with a *DuplicateError carrying the stored sale (Identical
	// when it is the same input), a delete that committed answers
	// ErrAlreadyDeleted; or read what it wrote.
	ErrCommitUnknown = errors.New("commission: commit outcome unknown")

	// ErrInPayout reports a reward (or adjustment) that is in a payout
	// already: a reward is in at most one live payout.
	ErrInPayout = errors.New("commission: already in a payout")

	// ErrBelowThreshold reports a payout refused because what it would
	// pay is not positive, is below the payout minimum, or the earner has
	// fewer paying customers than the program asks.
	ErrBelowThreshold = errors.New("commission: payout below threshold")

	// ErrPayoutSettled reports marking paid or canceling a payout that
	// was settled the other way already (a paid payout cannot be
	// canceled, nor a canceled one paid), or paid with another reference.
	ErrPayoutSettled = errors.New("commission: payout already settled")
	// ErrNotFailed reports retrying a webhook delivery that has not
	// failed: it is pending, or was delivered.
	ErrNotFailed = errors.New("commission: delivery not failed")

	// ErrRefunded reports making rewardable a sale that was refunded in
	// part or in all.
	ErrRefunded = errors.New("commission: transaction refunded")

	// ErrNotInReview reports approving or rejecting a reward that is not
	// held in its review period (already released, rejected or reversed).
	ErrNotInReview = errors.New("commission: reward not in review")
)

// FieldError is one invalid field, named by its JSON path in the request
// ("amount", "customer.key", "products[2].product_price",
// "transactions[5].amount").
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field of an input at once. Nothing is
// stored when it is returned. It matches ErrInvalid with errors.Is.
type ValidationError struct {
	Fields []FieldError `json:"fields"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("commission: validation error: ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Path)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// Is reports whether target is ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Field returns the error for path and whether there is one.
func (e *ValidationError) Field(path string) (FieldError, bool) {
	for _, f := range e.Fields {
		if f.Path == path {
			return f, true
		}
	}
	return FieldError{}, false
}

// under returns e with every path prefixed.
func (e *ValidationError) under(prefix string) *ValidationError {
	fields := make([]FieldError, len(e.Fields))
	for i, f := range e.Fields {
		fields[i] = FieldError{Path: joinPath(prefix, f.Path), Message: f.Message}
	}
	return &ValidationError{Fields: fields}
}

// joinPath is path under prefix ("transactions[1]." and "amount"); the
// prefix alone, without its dot, when path is empty (the whole object).
func joinPath(prefix, path string) string {
	if path == "" {
		return strings.TrimSuffix(prefix, ".")
	}
	return prefix + path
}

// DuplicateError reports a transaction key that the program has already
// accepted: keys are accepted once per program, ever, even after
// the transaction is deleted. It matches ErrDuplicateKey with errors.Is.
type DuplicateError struct {
	// Key is the duplicated transaction key.
	Key string
	// Existing is the stored transaction with that key (possibly deleted).
	Existing *Transaction
	// Identical is true when the rejected input describes the same sale as
	// the stored one: a retry rather than a conflict.
	Identical bool
}

func (e *DuplicateError) Error() string {
	kind := "conflicting"
	if e.Identical {
		kind = "identical"
	}
	return fmt.Sprintf("commission: duplicate key: transaction %q already exists (%s input)", e.Key, kind)
}

// Is reports whether target is ErrDuplicateKey.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicateKey }

// ItemError reports which item of a bulk create failed. Nothing of the bulk
// is stored when it is returned.
type ItemError struct {
	Index int
	Err   error
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("transactions[%d]: %v", e.Index, e.Err)
}

func (e *ItemError) Unwrap() error { return e.Err }
