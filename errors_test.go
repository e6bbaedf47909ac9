package commission_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// A ValidationError names every field with its message, matches
// ErrInvalid, and finds a field by its path.
func TestValidationError(t *testing.T) {
	err := &commission.ValidationError{Fields: []commission.FieldError{
		{Path: "amount", Message: "must not be negative"},
		{Path: "customer.key", Message: "is required"},
	}}
	require.Equal(t, "commission: validation error: amount: must not be negative; customer.key: is required", err.Error())
	require.ErrorIs(t, fmt.Errorf("wrapped: %w", err), commission.ErrInvalid)
	require.NotErrorIs(t, err, commission.ErrDuplicateKey)
	f, ok := err.Field("customer.key")
	require.True(t, ok)
	require.Equal(t, "is required", f.Message)
	_, ok = err.Field("key")
	require.False(t, ok)
}

// A DuplicateError says whether the input was a retry, and matches
// ErrDuplicateKey; an ItemError names the item and unwraps to its cause.
func TestDuplicateAndItemErrors(t *testing.T) {
	retry := &commission.DuplicateError{Key: "k", Identical: true}
	conflict := &commission.DuplicateError{Key: "k"}
	require.Contains(t, retry.Error(), "identical")
	require.Contains(t, conflict.Error(), "conflicting")
	require.ErrorIs(t, conflict, commission.ErrDuplicateKey)
	item := &commission.ItemError{Index: 3, Err: conflict}
	require.Contains(t, item.Error(), "transactions[3]")
	var dup *commission.DuplicateError
	require.True(t, errors.As(item, &dup))
	require.Same(t, conflict, dup)
	require.ErrorIs(t, item, commission.ErrDuplicateKey)
}
