package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/commissionkit/commission"
)

var balanceCmd = &command{
	name:    "balance",
	summary: "print what the program owes a partner, and where it sits",
	usage: `
Usage: commission balance -partner KEY [-units USD] [-json]

Prints the balance of a partner (in a refer-a-friend program, of a
customer) in one unit, the program currency by default:

  pending    held in review periods that have not ended
  not_paid   earned, in no payout yet (net of refunds)
  in_payout  in payouts not marked paid yet
  paid       in payouts marked paid
  clawback   taken back by refunds of rewards already in a payout or paid,
             which the next payout recovers
  payable    not_paid - clawback: what 'commission payout' would pay now`,
	run: func(ctx context.Context, c *cli, cmd *command, args []string) error {
		return runMoney(ctx, c, cmd, args, false)
	},
}

var payoutCmd = &command{
	name:    "payout",
	summary: "pay out what a partner is owed: create a payout and print it",
	usage: `
Usage: commission payout -partner KEY [-units USD] [-paid REFERENCE] [-json]

Creates a payout of everything the partner (in a refer-a-friend program,
the customer) can be paid in one unit, the program currency by default:
every reward released from review and in no payout, less clawbacks. The
program's payout thresholds apply: nothing payable, or less than the
minimum, is refused (exit status 1) and nothing is created.

The payout is created pending: send the money, then mark it paid with the
transfer's reference through the API. -paid REFERENCE marks it paid at
once, for money already sent.`,
	run: func(ctx context.Context, c *cli, cmd *command, args []string) error {
		return runMoney(ctx, c, cmd, args, true)
	},
}

type moneyFlags struct {
	storeFlags
	partner string
	units   string
	paid    string
	json    bool
}

func (f *moneyFlags) register(fs *flag.FlagSet, c *cli, payout bool) {
	f.storeFlags.register(fs, c)
	fs.StringVar(&f.partner, "partner", "", "the partner's `key` (required)")
	fs.StringVar(&f.units, "units", "", "the `unit`: a currency such as USD, or a custom unit; the program currency when empty")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of a table")
	if payout {
		fs.StringVar(&f.paid, "paid", "", "mark the payout paid at once, with this external `reference` (a bank transfer's id)")
	}
}

func runMoney(ctx context.Context, c *cli, cmd *command, args []string, payout bool) error {
	var f moneyFlags
	fs := newFlagSet(c, cmd)
	f.register(fs, c, payout)
	if err := c.parse(fs, args, false); err != nil {
		return err
	}
	if f.partner == "" {
		return usagef("-partner is required: whose money")
	}
	if err := f.check(); err != nil {
		return err
	}
	eng, store, err := f.engineFor(ctx, nil)
	if err != nil {
		return err
	}
	defer store.DB().Close()
	who := commission.Beneficiary{Key: f.partner}
	if !payout {
		b, err := eng.Balance(ctx, who, f.units)
		if err != nil {
			return beneficiaryError(f.partner, err)
		}
		if f.json {
			return printJSON(c.stdout, b)
		}
		return printTable(c.stdout, [][2]string{
			{"partner", b.EarnerKey}, {"units", b.Units}, {"as_of", b.AsOf.Format(time.RFC3339)},
			{"pending", b.Pending.String()}, {"not_paid", b.NotPaid.String()}, {"in_payout", b.InPayout.String()},
			{"paid", b.Paid.String()}, {"clawback", b.Clawback.String()}, {"payable", b.Payable.String()},
		})
	}
	p, err := eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: who, Units: f.units})
	if errors.Is(err, commission.ErrBelowThreshold) {
		return fmt.Errorf("nothing paid out to %s: %w (see 'commission balance -partner %s')", f.partner, err, f.partner)
	}
	if err != nil {
		return beneficiaryError(f.partner, err)
	}
	if f.paid != "" {
		paid, err := eng.MarkPayoutPaid(ctx, p.ID, f.paid)
		if err != nil {
			return fmt.Errorf("payout %s was created, but marking it paid failed: %w", p.ID, err)
		}
		p = paid
	}
	if f.json {
		return printJSON(c.stdout, p)
	}
	rows := [][2]string{
		{"payout", p.ID}, {"partner", p.EarnerKey}, {"state", string(p.State)}, {"amount", p.Amount.String()},
		{"units", p.Units}, {"rewards", fmt.Sprint(len(p.RewardIDs))}, {"adjustments", fmt.Sprint(len(p.EntryIDs))},
		{"created_at", p.CreatedAt.Format(time.RFC3339)},
	}
	if p.PaidAt != nil {
		rows = append(rows, [2]string{"paid_at", p.PaidAt.Format(time.RFC3339)}, [2]string{"reference", p.Reference})
	}
	return printTable(c.stdout, rows)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printTable(w io.Writer, rows [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], strings.ReplaceAll(r[1], "\t", " "))
	}
	return tw.Flush()
}
