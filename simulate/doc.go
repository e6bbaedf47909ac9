// Package simulate answers "what would our partners have earned under
// these rules?": Run replays a program's stored history under a
// candidate rule set and reports, per beneficiary and unit, what the
// rewards of a date range pay as stored and as simulated, with the sales
// whose rewards change most. It writes nothing to the store it reads: the
// replay runs an Engine under the candidate rules on a private memory
// store, which it drops when it returns.
//
//	rep, err := simulate.Run(ctx, store, eng.Program(), simulate.Options{
//		Rules: candidate,
//		From:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
//		To:    time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
//	})
//
// # What is replayed
//
// The replay reads the program's partners and customers, then its
// transactions in the order they were stored (by Seq), in pages, within
// one read of the store. Each sale is recorded again, by the private
// engine, at its own created_at, with its stored amount, products, units,
// exchange rate and set reward; sales before From are replayed too,
// since the periods, tiers, caps, goals and fraud checks of the reported
// sales depend on them. Before each sale, in time order, come:
//
//   - the customers created before then, through Engine.CreateCustomer
//     at their created_at, so that signups count as they did (a customer
//     created at the sale's instant, or later, is created when a sale of
//     its needs it);
//   - the refunds of earlier sales made by then, each at its created_at;
//   - the deletions and archivings of earlier sales made by then, at
//     their deleted_at.
//
// Every stored sale is replayed, and then the refunds and deletions left,
// so that a reported sale's rewards are compared with all that has
// happened to it.
//
// A signup is stored as a transaction only when the rules it was made
// under reward it. A signup that the candidate rules reward and the
// stored ones did not is reported too, after the whole history, against
// a stored transaction without rewards (and without Seq).
//
// Simulating the rules the stored rewards were computed under gives them
// back exactly (the package's tests check this on every store), with
// these exceptions, where the stored history does not say what happened:
//
//   - partners and customers are replayed as they stand now (their
//     status, tags and custom commission), except that a partner or
//     customer deleted for privacy is replayed active;
//   - a restored sale is replayed as never archived, an archived sale
//     deleted later as deleted at its deletion only, and an approval or
//     a rejection made by hand is not replayed;
//   - a sale made rewardable later (Engine.MakeRewardable) is replayed
//     as rewardable from the start, and a sale's options.referral_url,
//     which is not stored, is not checked for paid ads;
//   - the store does not keep when a backdated sale was recorded: it is
//     replayed after the sale recorded before it (or its customer's
//     creation, if later), so that a refund, deletion or new customer
//     made between the two is replayed after it;
//   - a change made at the very microsecond of a sale is replayed after
//     it: customers created then (customers first), refunds and
//     deletions. A customer is created earlier when the sale is its own
//     or its signup: so a bulk's new customer is created after the
//     bulk's sales before it, as the engine created it, and one created
//     on its own at that microsecond after another caller's sale.
//
// Sales recorded by engines writing at once are stored in the order of
// their Seq, which may differ from the order they committed in.
//
// # Cost
//
// Run reads every stored sale once, and holds in memory the
// private store (about what the memory store holds for as many sales),
// the program's partners and customers, and the reported sales that
// still have a refund or a deletion to replay.
package simulate
