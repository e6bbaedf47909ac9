package sqlstore

import (
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

// skipDuplicate ends an INSERT so that, on PostgreSQL, a duplicate is
// reported as no row inserted: an error would abort the whole PostgreSQL
// transaction, where it aborts only the statement on the others.
func (d Dialect) skipDuplicate() string {
	if d == Postgres {
		return " ON CONFLICT DO NOTHING"
	}
	return ""
}

// bytewise is col compared and sorted byte by byte, as every store orders
// ids: PostgreSQL would follow the database's collation, and the indexes
// that order by an id are built COLLATE "C". MySQL's columns are binary,
// and SQLite compares bytes.
func (d Dialect) bytewise(col string) string {
	if d == Postgres {
		return col + ` COLLATE "C"`
	}
	return col
}
