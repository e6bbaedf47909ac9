package commission

import (
	"context"
	"errors"
	"log/slog"
)

// WithLogger makes the engine log each operation that changes something,
// with the operation, the keys it was given and its error: at Debug when
// it succeeds or is refused for a reason the caller is told (an invalid
// input, a key not found or taken, a state that forbids it), at Error
// when it fails otherwise (the store, or a commit whose outcome is
// unknown). Without it, nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// refusals are the errors that refuse an operation for a reason the
// caller is told, not a failure.
var refusals = []error{ErrNotFound, ErrCustomerNotFound, ErrPartnerNotFound, ErrDuplicateKey, ErrInvalid,
	ErrAlreadyArchived, ErrAlreadyDeleted, ErrNotArchived, ErrInPayout, ErrBelowThreshold, ErrPayoutSettled,
	ErrNotFailed, ErrRefunded, ErrNotInReview}

// logOp logs what came of the operation op (its error in *err, as a
// deferred call sees it), with attrs naming what it was given.
func (e *Engine) logOp(ctx context.Context, op string, err *error, attrs ...any) {
	if e.log == nil {
		return
	}
	level, msg := slog.LevelDebug, "commission: "+op
	if *err != nil {
		attrs = append(attrs, slog.String("error", (*err).Error()))
		level, msg = slog.LevelError, msg+" failed"
		if refused(*err) {
			level, msg = slog.LevelDebug, "commission: "+op+" refused"
		}
	}
	e.log.Log(ctx, level, msg, attrs...)
}

// refused reports whether err refuses an operation (refusals, or an
// input not valid) rather than failing it.
func refused(err error) bool {
	var verr *ValidationError
	if errors.As(err, &verr) {
		return true
	}
	for _, r := range refusals {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}
