package commissiontest

// The names of the invariants of the engine the kit checks after every
// step, before the user's properties.
const (
	RoundedPartsAddUp       = "rounded parts add up"
	RefundsNetToZero        = "refunds net to zero"
	BalancesEqualTheEntries = "balances equal their entries"
	CapsNeverExceeded       = "caps never exceeded"
	GoalsPaidOnce           = "goals paid once"
)

// Invariants are what the engine promises of every program, as docs/rules.md
// states it, checked after every step before the user's properties:
//
//   - RoundedPartsAddUp: when the program rounds, the rewards one sale
//     pays one earner in one unit are each their exact amount cut down to
//     the grid, or one step more, and add up to their exact sum rounded
//     (checked where no part was capped or dropped for paying 0).
//   - RefundsNetToZero: a reward of a sale refunded in full, deleted or
//     archived pays nothing (Amount - Reversed is 0); after a partial
//     refund, a reward pays round(exact × left ÷ sold) by its own
//     rounding (exact is its amount before rounding, or the amount a cap
//     lowered it to), never more than Amount; no reward pays less than 0.
//   - BalancesEqualTheEntries: Pending + NotPaid + InPayout + Paid -
//     Clawback is what the earner's rewards in the unit pay (rejected
//     ones left out); Pending is what its rewards in review pay; Paid what
//     its paid payouts paid; Payable is NotPaid - Clawback.
//   - CapsNeverExceeded: no reward in the program currency pays more than
//     Caps.PerReward, and what an earner's rewards in it pay in a period
//     is within each Caps.Partner limit (the kit never restores an
//     archived sale, which may exceed a limit by design).
//   - GoalsPaidOnce: each threshold of a goal pays its earner once, ever.
func Invariants() []Property {
	return []Property{
		{Name: RoundedPartsAddUp, Check: checkRounding},
		{Name: RefundsNetToZero, Check: checkRefunds},
		{Name: BalancesEqualTheEntries, Check: checkBalances},
		{Name: CapsNeverExceeded, Check: checkCaps},
		{Name: GoalsPaidOnce, Check: checkGoals},
	}
}
