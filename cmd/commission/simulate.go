package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/simulate"
)

var simulateCmd = &command{
	name:    "simulate",
	summary: "replay the stored sales under other rules and compare their rewards",
	usage: `
Usage: commission simulate -rules FILE [-from DATE] [-to DATE] [-top 10] [-o FILE]

Replays the program's stored sales under the rules of -rules FILE, in
memory, and reports how the rewards of the sales created in [-from, -to)
would differ from those stored. Nothing is written to the database (but
its schema, updated as by every command unless -migrate=false).

-rules FILE is a JSON rule set: the "rules" object of a program file,

  {"version": "v2", "default": {"type": "percent", "value": 60}}

or a whole program file (see 'commission help program'), of which only the
rules are used: its id, kind and currency, where it has them, must be
those of the program simulated (-program, or the built-in default). Bad
JSON, an unknown field of the rule set itself ("defualt") and invalid
rules are refused (exit status 1), invalid rules with every bad setting
named by its JSON path (rules.default.value). A misspelt field within a
setting (a tier's "comission") is not caught: check the report's totals.

-from and -to are dates (2025-01-01, midnight UTC) or RFC 3339 times; -to
is excluded. Without -from the report starts at the first sale, without
-to it ends with the last. Sales before -from are replayed too (they make
the periods, tiers and caps the later ones see) but not reported, and so
are those after -to (a sale backdated into the range may have been
stored after them). Sales are replayed in the order they were stored.

The report is an aligned table on standard output: a line with the sales
reported, those replayed and the range; then, per beneficiary (partner;
in a refer-a-friend program, customer) and unit, what the rewards of the
reported sales pay as stored (old) and as simulated (new), the difference
(new - old) and the rewards counted (old_rewards, new_rewards); then the
-top sales whose rewards change most (all beneficiaries together),
largest change first: transaction_key, created_at, units, old, new,
difference. What a reward pays is its amount less what refunds and
deletions reversed; rejected rewards pay nothing. -top 0 leaves the sales
out.

-o FILE writes the report as CSV instead, to FILE, and prints a one-line
summary. One header line, then a line per row of either table, in that
order, its section column telling which; the columns a section does not
use are empty:

  section,beneficiary,transaction_key,created_at,units,old,new,difference,old_rewards,new_rewards
  total,partner_123,,,USD,45,90,45,2,2
  sale,,inv_1,2025-01-05T10:00:00Z,USD,30,60,30,,

Beneficiaries are named by key (by id when they have none); times are RFC
3339, UTC; amounts exact. On a terminal, standard error shows the sales
replayed so far and the date reached. Ctrl-C stops the replay.`,
	run: runSimulate,
}

type simulateFlags struct {
	storeFlags
	rules     string
	from, to  string
	top       int
	out       string
	progress  bool
	fromT, tT time.Time
}

func (f *simulateFlags) register(fs *flag.FlagSet, c *cli) {
	f.storeFlags.register(fs, c)
	fs.StringVar(&f.rules, "rules", "", "the JSON `file` of the rules to simulate: a rule set, or a program (required)")
	fs.StringVar(&f.from, "from", "", "report the sales created from this `date` (2025-01-01) or RFC 3339 time on")
	fs.StringVar(&f.to, "to", "", "report the sales created before this `date` or time (excluded)")
	fs.IntVar(&f.top, "top", simulate.DefaultTop, "how many of the most changed sales to list; 0 for none")
	fs.StringVar(&f.out, "o", "", "write the report as CSV to `file` instead of a table to standard output")
	fs.BoolVar(&f.progress, "progress", true, "show the progress when standard error is a terminal")
}

func runSimulate(ctx context.Context, c *cli, cmd *command, args []string) error {
	var f simulateFlags
	fs := newFlagSet(c, cmd)
	f.register(fs, c)
	if err := c.parse(fs, args, false); err != nil {
		return err
	}
	if err := f.checkSimulate(); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	sim, err := f.simulation()
	if err != nil {
		return err
	}
	eng, store, err := f.engineFor(ctx, nil)
	if err != nil {
		return err
	}
	defer store.DB().Close()

	prog := f.newProgress(c)
	if prog != nil {
		sim.Progress = prog.update
	}
	rep, err := simulate.Run(ctx, store, eng.Program(), sim)
	prog.finish()
	switch {
	case err != nil && ctx.Err() != nil:
		return errors.New("interrupted; nothing was written")
	case errors.Is(err, commission.ErrInvalid):
		return fmt.Errorf("-rules %s: %w", f.rules, err)
	case err != nil:
		return err
	}
	if f.out == "" {
		return writeSimulationTable(c.stdout, rep, f.fromT, f.tT, f.top > 0)
	}
	if err := writeSimulationFile(f.out, rep); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %s\n", f.out, simulationHeadline(rep, f.fromT, f.tT))
	return nil
}

// checkSimulate checks the flags of simulate alone, before anything is
// read.
func (f *simulateFlags) checkSimulate() error {
	if f.rules == "" {
		return usagef("-rules is required: the JSON file of the rules to simulate")
	}
	var err error
	if f.from != "" {
		if f.fromT, err = parseDate(f.from); err != nil {
			return usagef("-from %q: %v", f.from, err)
		}
	}
	if f.to != "" {
		if f.tT, err = parseDate(f.to); err != nil {
			return usagef("-to %q: %v", f.to, err)
		}
	}
	if f.from != "" && f.to != "" && !f.fromT.Before(f.tT) {
		return usagef("-to %s is not after -from %s", f.to, f.from)
	}
	if f.top < 0 {
		return usagef("-top %d: must be 0 or more", f.top)
	}
	if f.out != "" {
		if fi, err := os.Stat(filepath.Dir(f.out)); err != nil || !fi.IsDir() {
			return usagef("-o %s: no such directory", f.out)
		}
	}
	return nil
}

// simulation reads the rules of -rules and checks them against the
// program, before the database is opened, and returns the simulation the
// flags ask for.
func (f *simulateFlags) simulation() (simulate.Options, error) {
	p, err := f.loadProgram()
	if err != nil {
		return simulate.Options{}, err
	}
	if _, err := commission.New(nopStore{}, p); err != nil {
		return simulate.Options{}, programError(f.program, err)
	}
	rules, err := loadRules(f.rules, p)
	if err != nil {
		return simulate.Options{}, err
	}
	p.Rules = rules
	if _, err := commission.New(nopStore{}, p); err != nil {
		return simulate.Options{}, fmt.Errorf("-rules %s: %w", f.rules, err)
	}
	top := f.top
	if top == 0 {
		top = -1 // none: Simulation's zero Top is DefaultTop
	}
	return simulate.Options{Rules: rules, From: f.fromT, To: f.tT, Top: top}, nil
}

// simulationProgress draws, on one terminal line, the sales a simulation
// has replayed and the date it has reached. A nil *simulationProgress
// draws nothing.
type simulationProgress struct {
	w           io.Writer
	start, last time.Time
	drawn       bool
}

// newProgress returns the progress line of -progress, drawn at once
// (the program's partners and customers are read before the first sale),
// or nil when standard error is not a terminal.
func (f *simulateFlags) newProgress(c *cli) *simulationProgress {
	if !f.progress || !isTerminal(c.stderr) {
		return nil
	}
	p := &simulationProgress{w: c.stderr, start: time.Now()}
	p.draw(time.Now(), simulate.Progress{})
	return p
}

// update redraws the line, at most ten times a second but always on the
// last call.
func (p *simulationProgress) update(sp simulate.Progress) {
	if now := time.Now(); sp.Done || now.Sub(p.last) >= 100*time.Millisecond {
		p.draw(now, sp)
	}
}

func (p *simulationProgress) draw(now time.Time, sp simulate.Progress) {
	p.last, p.drawn = now, true
	at := ""
	if !sp.At.IsZero() {
		at = " (" + sp.At.UTC().Format(time.DateOnly) + ")"
	}
	fmt.Fprintf(p.w, "\rreplayed %s sales%s, %s reported  %s\x1b[K", thousands(int(sp.Replayed)), at,
		thousands(int(sp.Reported)), now.Sub(p.start).Round(100*time.Millisecond))
}

// finish ends the line, if one was drawn.
func (p *simulationProgress) finish() {
	if p != nil && p.drawn {
		fmt.Fprintln(p.w)
	}
}

// loadRules reads the rules of the file name: a rule set, or a program
// document whose rules are taken. The program's id, kind and currency,
// where the document has them, must be p's.
func loadRules(name string, p commission.Program) (commission.RuleSet, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return commission.RuleSet{}, fmt.Errorf("-rules: %w", err)
	}
	members, err := jsonObject(b)
	if err != nil {
		return commission.RuleSet{}, fmt.Errorf("-rules %s: %w", name, err)
	}
	if _, ok := members["rules"]; !ok {
		return decodeRuleSet(name, b, members)
	}
	doc, err := decodeProgram(name, b)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // without decodeProgram's "program <name>: "
		}
		return commission.RuleSet{}, fmt.Errorf("-rules %s: %w", name, err)
	}
	for _, s := range [][3]string{{"id", doc.ID, p.ID}, {"kind", string(doc.Kind), string(p.Kind)},
		{"currency", doc.Currency, p.Currency}} {
		if s[1] != "" && s[1] != s[2] {
			return commission.RuleSet{}, fmt.Errorf("-rules %s: its %s %q is not the program's, %q: only the rules can change",
				name, s[0], s[1], s[2])
		}
	}
	return doc.Rules, nil
}

// jsonObject returns the members of the one JSON object b holds.
func jsonObject(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(v, &members); err != nil || members == nil {
		return nil, errors.New("not a JSON object: want a rule set, such as {\"default\": {\"type\": \"percent\", \"value\": 30}}")
	}
	return members, nil
}

// decodeRuleSet decodes a rule set, refusing unknown fields at its top
// (a misspelt "default" would otherwise simulate rules that pay nothing).
func decodeRuleSet(name string, b []byte, members map[string]json.RawMessage) (commission.RuleSet, error) {
	known := ruleSetFields()
	for m := range members {
		if !known[m] {
			return commission.RuleSet{}, fmt.Errorf("-rules %s: json: unknown field %q", name, m)
		}
	}
	var rs commission.RuleSet
	if err := json.Unmarshal(b, &rs); err != nil {
		return rs, fmt.Errorf("-rules %s: %w", name, err)
	}
	return rs, nil
}

// ruleSetFields are the names of a rule set's JSON members.
func ruleSetFields() map[string]bool {
	t := reflect.TypeFor[commission.RuleSet]()
	names := map[string]bool{}
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}
