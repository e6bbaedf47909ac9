// Command commission runs a commission engine as a service, and the tools
// around it, on one database: the SQLite file commission.db by default,
// or PostgreSQL or MySQL (-db, -dsn).
//
//	commission serve      the HTTP API and the webhook dispatcher, until SIGTERM
//	commission migrate    create or update the schema; print its version
//	commission import     record sales from a CSV file, resumable by key
//	commission export     a partner's rewards or earnings over dates, as CSV
//	commission balance    what a partner is owed, and where it sits
//	commission payout     pay out what a partner is owed
//	commission simulate   replay the stored sales under other rules; compare rewards
//
// Without -program, the program is id "default", an affiliate program in
// USD paying 30% of every sale. serve takes its API keys from
// COMMISSION_API_KEYS (comma-separated) and, without any, serves on a
// loopback address only. 'commission help' and 'commission help <command>'
// say the rest. Exit status: 0 done, 1 failed, 2 wrong usage.
//
//	go run ./cmd/commission serve
package main
