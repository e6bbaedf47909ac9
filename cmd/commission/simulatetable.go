package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/simulate"
)

// The report of simulate: a table for people, or CSV.

// simulationHeadline says what a report covers: the sales reported and
// replayed, the range (from and to as the flags gave them, zero when not
// given) and the rules' version.
func simulationHeadline(r *simulate.Report, from, to time.Time) string {
	var span string
	switch {
	case !from.IsZero() && !to.IsZero():
		span = "created from " + reportTime(from) + " to " + reportTime(to) + " (excluded)"
	case !from.IsZero():
		span = "created from " + reportTime(from) + " on"
	case !to.IsZero():
		span = "created before " + reportTime(to)
	default:
		span = "every sale"
	}
	s := fmt.Sprintf("%s sales reported of %s replayed: %s", thousands(int(r.Sales)), thousands(int(r.Replayed)), span)
	if r.RuleVersion != "" {
		s += "; rules " + strconv.Quote(r.RuleVersion)
	}
	return s
}

// reportTime writes a time of the range: a date when it is midnight UTC.
func reportTime(t time.Time) string {
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

// beneficiaryName names a beneficiary by key, else by id, else by email.
func beneficiaryName(b commission.Beneficiary) string {
	switch {
	case b.Key != "":
		return b.Key
	case b.ID != "":
		return b.ID
	}
	return b.Email
}

// writeSimulationTable writes the report as aligned tables; the most
// changed sales unless listSales is false (-top 0).
func writeSimulationTable(w io.Writer, r *simulate.Report, from, to time.Time, listSales bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\n\n", simulationHeadline(r, from, to))
	if len(r.Totals) == 0 {
		fmt.Fprintf(tw, "No rewards, stored or simulated.\n")
	} else {
		fmt.Fprintf(tw, "beneficiary\tunits\told\tnew\tdifference\told_rewards\tnew_rewards\n")
		for _, t := range r.Totals {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", cell(beneficiaryName(t.Beneficiary)), cell(t.Units),
				t.Old.String(), t.New.String(), t.Difference.String(), t.OldRewards, t.NewRewards)
		}
	}
	if err := tw.Flush(); err != nil || !listSales {
		return err
	}
	return writeChangesTable(w, r)
}

// writeChangesTable writes the most changed sales.
func writeChangesTable(w io.Writer, r *simulate.Report) error {
	if len(r.Changes) == 0 {
		_, err := fmt.Fprintf(w, "\nMost changed sales: none, no sale's rewards change.\n")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nMost changed sales\n")
	fmt.Fprintf(tw, "transaction_key\tcreated_at\tunits\told\tnew\tdifference\n")
	for _, c := range r.Changes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cell(c.TransactionKey), csvTime(&c.CreatedAt), cell(c.Units),
			c.Old.String(), c.New.String(), c.Difference.String())
	}
	return tw.Flush()
}

// cell keeps a value from breaking the table's columns or lines.
func cell(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\t' || c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}

var simulationColumns = []string{"section", "beneficiary", "transaction_key", "created_at", "units",
	"old", "new", "difference", "old_rewards", "new_rewards"}

// writeSimulationCSV writes the report as CSV: a header, then a total line
// per beneficiary and unit, then a sale line per changed sale.
func writeSimulationCSV(w io.Writer, r *simulate.Report) error {
	cw := csv.NewWriter(w)
	cw.Write(simulationColumns)
	for _, t := range r.Totals {
		cw.Write([]string{"total", beneficiaryName(t.Beneficiary), "", "", t.Units, t.Old.String(), t.New.String(),
			t.Difference.String(), strconv.Itoa(t.OldRewards), strconv.Itoa(t.NewRewards)})
	}
	for _, c := range r.Changes {
		cw.Write([]string{"sale", "", c.TransactionKey, csvTime(&c.CreatedAt), c.Units, c.Old.String(), c.New.String(),
			c.Difference.String(), "", ""})
	}
	cw.Flush()
	return cw.Error()
}

// writeSimulationFile writes the report as CSV to the file name.
func writeSimulationFile(name string, r *simulate.Report) error {
	file, err := os.Create(name)
	if err != nil {
		return err
	}
	err = writeSimulationCSV(file, r)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}
