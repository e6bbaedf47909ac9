package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/commissionkit/commission"
)

var exportCmd = &command{
	name:    "export",
	summary: "write a partner's rewards or earnings over a date range as CSV",
	usage: `
Usage: commission export rewards  -from DATE -to DATE [-partner KEY] [-units USD] [-o FILE]
       commission export earnings -from DATE -to DATE [-partner KEY] [-by day|month] [-units USD] [-o FILE]

Writes CSV, with a header line, to standard output or to -o FILE.

  rewards   one line per reward created in [-from, -to), newest first, with
            its status as of now: reward_id, transaction_key, partner_key,
            customer_key, rewarded_customer_key, action, status, amount,
            reversed, payable (amount - reversed), amount_units,
            product_id, product_type, rule, created_at, payout_id,
            deleted_at
  earnings  one line per day (or month, -by month) of [-from, -to), empty
            ones included: partner_key, period_start, amount_units, rewards,
            earned, reversed, net (rejected rewards left out)

-partner names whose money it is: a partner's key, or in a refer-a-friend
program the rewarded customer's key. Give it several times (or
comma-separated) for several; their lines follow each other. Without it,
the export covers every partner (in a refer-a-friend program, every
customer), deleted ones included, newest first; earnings then leave out
those that earned nothing in the range.

-from and -to are dates (2025-01-01, midnight UTC) or RFC 3339 times; -to is
excluded: -from 2025-01-01 -to 2025-02-01 is January. -units keeps one
unit (the program currency by default for earnings; every unit for
rewards). Times are written in RFC 3339, UTC; amounts exactly.`,
	run: runExport,
}

type exportFlags struct {
	storeFlags
	partners  keyList
	from, to  string
	units     string
	by        string
	out       string
	fromT, tT time.Time
}

// keyList is a flag that may be given several times, each a key or keys
// separated by commas.
type keyList []string

func (l *keyList) String() string { return strings.Join(*l, ",") }

func (l *keyList) Set(s string) error {
	for k := range strings.SplitSeq(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			*l = append(*l, k)
		}
	}
	return nil
}

func (f *exportFlags) register(fs *flag.FlagSet, c *cli) {
	f.storeFlags.register(fs, c)
	fs.Var(&f.partners, "partner", "the partner's `key` (repeatable or comma-separated); every partner when omitted")
	fs.StringVar(&f.from, "from", "", "the first `date` (2025-01-01) or RFC 3339 time (required)")
	fs.StringVar(&f.to, "to", "", "the `date` or time after the last (required; excluded)")
	fs.StringVar(&f.units, "units", "", "keep this `unit` only (a currency such as USD, or a custom unit)")
	fs.StringVar(&f.by, "by", "day", "earnings: `period` per line, day or month")
	fs.StringVar(&f.out, "o", "", "write to `file` instead of standard output")
}

func runExport(ctx context.Context, c *cli, cmd *command, args []string) error {
	var f exportFlags
	fs := newFlagSet(c, cmd)
	f.register(fs, c)
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return c.parse(fs, args[:1], false)
		}
		return usagef("what to export? rewards or earnings")
	}
	what := args[0]
	if what != "rewards" && what != "earnings" {
		return usagef("cannot export %q: rewards or earnings", what)
	}
	if err := c.parse(fs, args[1:], false); err != nil {
		return err
	}
	if err := f.checkExport(what); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	eng, store, err := f.engineFor(ctx, nil)
	if err != nil {
		return err
	}
	defer store.DB().Close()

	var w io.Writer = c.stdout
	var file *os.File
	if f.out != "" {
		if file, err = os.Create(f.out); err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	cw := csv.NewWriter(w)
	if what == "rewards" {
		err = exportRewards(ctx, eng, &f, cw)
	} else {
		err = exportEarnings(ctx, eng, &f, cw)
	}
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (f *exportFlags) checkExport(what string) error {
	if f.from == "" || f.to == "" {
		return usagef("-from and -to are required: the range, such as -from 2025-01-01 -to 2025-02-01")
	}
	var err error
	if f.fromT, err = parseDate(f.from); err != nil {
		return usagef("-from %q: %v", f.from, err)
	}
	if f.tT, err = parseDate(f.to); err != nil {
		return usagef("-to %q: %v", f.to, err)
	}
	if !f.fromT.Before(f.tT) {
		return usagef("-to %s is not after -from %s", f.to, f.from)
	}
	if what == "earnings" && f.by != "day" && f.by != "month" {
		return usagef("-by %q: want day or month", f.by)
	}
	return nil
}

// parseDate reads a date (midnight UTC) or an RFC 3339 time.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fmt.Errorf("want a date (2025-01-31) or an RFC 3339 time (2025-01-31T12:00:00Z)")
	}
	return t.UTC(), nil
}

var rewardColumns = []string{"reward_id", "transaction_key", "partner_key", "customer_key", "rewarded_customer_key",
	"action", "status", "amount", "reversed", "payable", "amount_units", "product_id", "product_type", "rule",
	"created_at", "payout_id", "deleted_at"}

func exportRewards(ctx context.Context, eng *commission.Engine, f *exportFlags, w *csv.Writer) error {
	if err := w.Write(rewardColumns); err != nil {
		return err
	}
	return f.each(ctx, eng, func(who commission.Beneficiary, name string) error {
		opts := commission.RewardListOptions{Beneficiary: who, Units: f.units, From: f.fromT, To: f.tT, Limit: commission.MaxLimit}
		for {
			page, err := eng.Rewards(ctx, opts)
			if err != nil {
				return beneficiaryError(name, err)
			}
			for _, r := range page.Rewards {
				if err := w.Write(rewardRecord(r)); err != nil {
					return err
				}
			}
			if page.NextCursor == "" {
				return nil
			}
			opts.Cursor = page.NextCursor
		}
	})
}

// each calls fn with every beneficiary of -partner, or, without it, with
// every partner of the program (every customer in a refer-a-friend
// program), deleted ones included; name is how an error names it.
func (f *exportFlags) each(ctx context.Context, eng *commission.Engine, fn func(who commission.Beneficiary, name string) error) error {
	for _, key := range f.partners {
		if err := fn(commission.Beneficiary{Key: key}, key); err != nil {
			return err
		}
	}
	if len(f.partners) > 0 {
		return nil
	}
	if eng.Program().Kind == commission.ReferAFriend {
		opts := commission.CustomerListOptions{Limit: commission.MaxLimit, Statuses: []commission.CustomerStatus{
			commission.CustomerActive, commission.CustomerSuspended, commission.CustomerDeleted}}
		for {
			page, err := eng.Customers(ctx, opts)
			if err != nil {
				return err
			}
			for _, c := range page.Customers {
				if err := fn(commission.Beneficiary{ID: c.ID}, c.ID); err != nil {
					return err
				}
			}
			if page.NextCursor == "" {
				return nil
			}
			opts.Cursor = page.NextCursor
		}
	}
	opts := commission.PartnerListOptions{Limit: commission.MaxLimit, Statuses: []commission.PartnerStatus{
		commission.PartnerActive, commission.PartnerPending, commission.PartnerArchived, commission.PartnerDeleted}}
	for {
		page, err := eng.Partners(ctx, opts)
		if err != nil {
			return err
		}
		for _, p := range page.Partners {
			if err := fn(commission.Beneficiary{ID: p.ID}, p.ID); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		opts.Cursor = page.NextCursor
	}
}

func rewardRecord(r *commission.Reward) []string {
	return []string{r.ID, r.TransactionKey, r.PartnerKey, r.CustomerKey, r.RewardedCustomerKey,
		r.Action, string(r.Status), r.Amount.String(), r.Reversed.String(), r.Amount.Sub(r.Reversed).String(), r.AmountUnits,
		r.ProductID, r.ProductType, r.Explanation.Rule, csvTime(&r.CreatedAt), r.PayoutID, csvTime(r.DeletedAt)}
}

func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

var earningsColumns = []string{"partner_key", "period_start", "amount_units", "rewards", "earned", "reversed", "net"}

func exportEarnings(ctx context.Context, eng *commission.Engine, f *exportFlags, w *csv.Writer) error {
	if err := w.Write(earningsColumns); err != nil {
		return err
	}
	all := len(f.partners) == 0
	return f.each(ctx, eng, func(who commission.Beneficiary, name string) error {
		e, err := eng.Earnings(ctx, commission.EarningsOptions{Beneficiary: who, Units: f.units,
			By: commission.Granularity(f.by), From: f.fromT, To: f.tT})
		if err != nil {
			return beneficiaryError(name, err)
		}
		if all && !slices.ContainsFunc(e.Periods, func(p commission.EarningsPeriod) bool { return p.Rewards > 0 }) {
			return nil // every partner: those that earned nothing are left out
		}
		for _, p := range e.Periods {
			rec := []string{e.EarnerKey, p.Start.UTC().Format(time.DateOnly), e.Units, strconv.Itoa(p.Rewards),
				p.Earned.String(), p.Reversed.String(), p.Net.String()}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		return nil
	})
}
