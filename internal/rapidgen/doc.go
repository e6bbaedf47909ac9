// Package rapidgen holds the pgregory.net/rapid generators that the
// root package's property tests, the storetest conformance suite's engine
// model and sqlstore's cross-store test share: decimals within what
// storage holds (NUMERIC(38,18)), commissions and their schedules, tags,
// whole programs, and the exact arithmetic that says what a commission
// pays, computed with big.Rat apart from the engine's own decimals.
//
// It is internal: the library's users never see it, and the commission
// package itself does not import it; only tests and storetest do.
package rapidgen
