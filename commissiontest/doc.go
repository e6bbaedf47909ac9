// Package commissiontest property-tests a commission.Program of one's
// own with pgregory.net/rapid, in one's own _test.go files.
//
// State what must hold of the program as Properties, and Check draws
// histories of steps from generators driven by the program (partners
// with the tags its rules mention and under other partners, customers,
// sales of its products in its currency and custom units, bulks, partial
// and full refunds, deletions and archives, approvals and rejections,
// payouts paid and canceled, moves of a fake clock from a minute to three
// months), does each on a new engine and, after every step, checks the
// engine's own Invariants (rounded parts add up, refunds net to zero,
// balances equal their entries, caps are never exceeded, goals pay once)
// and then the properties. Refusals the engine is documented to give
// (an invalid input, a payout below its threshold, ...) are part of a
// history; any other error fails it.
//
//	func TestMonthlyLimit(t *testing.T) {
//		commissiontest.Check(t, program, commissiontest.Config{}, commissiontest.Property{
//			Name: "a partner never earns more than 1,000.00 a month",
//			Expr: "monthlyLimit", // when it is a package-level variable
//			Check: func(v *commissiontest.View) error {
//				for _, tx := range v.Step.Txs {
//					for _, r := range tx.Rewards {
//						if v.EarnedIn(r.PartnerKey, "USD", r.CreatedAt).GreaterThan(decimal.NewFromInt(1000)) {
//							return fmt.Errorf("%s earned more than 1,000.00 in %s", r.PartnerKey, r.CreatedAt.Format("2006-01"))
//						}
//					}
//				}
//				return nil
//			},
//		})
//	}
//
// When a property fails, rapid shrinks the history to a smallest one, and
// the test fails with the property's name, its error, and a regression
// test to paste: an import block and func TestRegression, which reads
// the program back from its JSON and replays each step on a Replay
// (r.Do(eng.CreateTransaction(ctx, ...)), r.Advance(48 * time.Hour)),
// checking everything after each, so that it fails as the history did.
// A property with an Expr is passed to the replay by it; one without has
// a placeholder to fill in. As for every rapid check, rapid also writes
// the failing history to testdata/rapid, and replays it first next time
// (-rapid.nofailfile turns that off).
//
// Run does the same check and returns the *Failure instead of failing
// the test, writing and printing nothing: for a test that expects a
// property to fail. Machine draws and does the steps of one history, for
// a rapid test of one's own, and Sale, Amount, ProductLines, Tags,
// ProductIDs, ProductTypes and Units are the generators and pools it
// draws from.
//
// A history runs on a memory store (Config.Store for another), on a
// Clock that starts on 2025-01-01, with ids made from the program's ID and
// without events (commission.WithoutEvents), so that a replay makes the
// same ids. Its program ID is the program's, in every run.
package commissiontest
