package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"regexp"

	"github.com/commissionkit/commission"
)

// The store reads the few driver errors it must act on through interfaces
// and messages, so that it imports no driver.
type (
	sqlStater interface{ SQLState() string } // pgx
	coder     interface{ Code() int }        // modernc.org/sqlite
)

var mysqlNumber = regexp.MustCompile(`^Error (\d+)`)

// errorKind classifies a driver error.
type errorKind int

const (
	otherError errorKind = iota
	uniqueViolation
	retryable // deadlock, serialization failure, busy database
)

func classify(err error) errorKind {
	var st sqlStater
	if errors.As(err, &st) {
		switch st.SQLState() {
		case "23505":
			return uniqueViolation
		case "40001", "40P01":
			return retryable
		}
		return otherError
	}
	var c coder
	if errors.As(err, &c) {
		switch c.Code() & 0xff {
		case 19: // SQLITE_CONSTRAINT
			if code := c.Code(); code == 2067 || code == 1555 { // _UNIQUE, _PRIMARYKEY
				return uniqueViolation
			}
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return retryable
		}
		return otherError
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if m := mysqlNumber.FindStringSubmatch(e.Error()); m != nil {
			switch m[1] {
			case "1062": // ER_DUP_ENTRY
				return uniqueViolation
			case "1213", "1205": // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT
				return retryable
			}
			return otherError
		}
	}
	return otherError
}

// commitFailed words the error of a COMMIT. An error the database sent
// (it has a SQLSTATE, a MySQL error number or an SQLite code) means the
// transaction was rolled back; any other (a lost connection, a canceled
// context) leaves the outcome unknown, and says so with
// commission.ErrCommitUnknown. SQLite's I/O error is unknown too.
func commitFailed(err error) error {
	var st sqlStater
	var c coder
	switch {
	case errors.As(err, &st):
	case errors.As(err, &c) && c.Code()&0xff != 10: // SQLITE_IOERR
	case mysqlError(err):
	default:
		return fmt.Errorf("sqlstore: commit: %w: %w", commission.ErrCommitUnknown, err)
	}
	return fmt.Errorf("sqlstore: commit: %w", err)
}

// mysqlError reports whether err carries a MySQL server error number.
func mysqlError(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if mysqlNumber.MatchString(e.Error()) {
			return true
		}
	}
	return false
}

// notFound turns sql.ErrNoRows into commission.ErrNotFound.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", commission.ErrNotFound, what)
	}
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}

// inserted reports a duplicate: an error naming a unique violation, or, on
// PostgreSQL (ON CONFLICT DO NOTHING), no row inserted.
func inserted(res sql.Result, err error, what string) error {
	if err != nil {
		if classify(err) == uniqueViolation {
			return fmt.Errorf("%w: %s", commission.ErrDuplicateKey, what)
		}
		return fmt.Errorf("sqlstore: insert %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: insert %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", commission.ErrDuplicateKey, what)
	}
	return nil
}

// insertedAll reports a duplicate in a multi-row INSERT of rows rows: an
// error naming a unique violation, or fewer rows inserted (on PostgreSQL,
// ON CONFLICT DO NOTHING skipped a taken key).
func insertedAll(res sql.Result, err error, rows int, what string) error {
	if err != nil {
		return inserted(res, err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: insert %s: %w", what, err)
	}
	if n != int64(rows) {
		return fmt.Errorf("%w: %s", commission.ErrDuplicateKey, what)
	}
	return nil
}

// insertedRow reports the error of an INSERT … RETURNING read with Scan: no
// row (ON CONFLICT DO NOTHING skipped it) or a unique violation is a
// duplicate.
func insertedRow(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) || classify(err) == uniqueViolation {
		return fmt.Errorf("%w: %s", commission.ErrDuplicateKey, what)
	}
	return fmt.Errorf("sqlstore: insert %s: %w", what, err)
}
