package memstore

import (
	"fmt"

	"github.com/commissionkit/commission"
)

// notFound is ErrNotFound for the what (a "refund", a "transaction") with
// key, its message made only when read: a lookup that is expected to miss,
// as a refund key's first use is, then costs one small allocation.
type notFound struct{ what, key string }

func (e *notFound) Error() string {
	return fmt.Sprintf("%v: %s %q", commission.ErrNotFound, e.what, e.key)
}

func (e *notFound) Unwrap() error { return commission.ErrNotFound }
