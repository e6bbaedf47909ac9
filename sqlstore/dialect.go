package sqlstore

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Dialect is the SQL database a Store talks to.
type Dialect int

// The supported dialects.
const (
	// SQLite, through a pure-Go driver such as modernc.org/sqlite.
	SQLite Dialect = iota + 1
	// Postgres is PostgreSQL, through github.com/jackc/pgx/v5/stdlib.
	Postgres
	// MySQL is MySQL or MariaDB, through github.com/go-sql-driver/mysql.
	MySQL
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

func (d Dialect) valid() bool { return d == SQLite || d == Postgres || d == MySQL }

// rebind turns the ? placeholders of q into $1, $2, ... for PostgreSQL.
func (d Dialect) rebind(q string) string {
	if d != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// num selects a money column as text, so that no driver turns it into a
// float on the way out.
func (d Dialect) num(col string) string {
	switch d {
	case Postgres:
		return col + "::text"
	case MySQL:
		return "CAST(" + col + " AS CHAR)"
	}
	return col
}

// forUpdate is the row-locking suffix of a read that a write decides on.
// SQLite needs none: its write transactions hold the database lock.
func (d Dialect) forUpdate() string {
	if d == SQLite {
		return ""
	}
	return " FOR UPDATE"
}

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
