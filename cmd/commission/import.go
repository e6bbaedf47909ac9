package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
)

var importCmd = &command{
	name:    "import",
	summary: "record sales from a CSV file; run it again to resume",
	usage: `
Usage: commission import -file sales.csv [-db ...] [-dsn ...] [-program FILE]

Records the sales of a CSV file, in bulks of up to 1,000 (each bulk is
stored whole or not at all), computing their rewards as the API would.

The first line names the columns, in any order; names are case-insensitive
and only key, a customer column and amount are needed:

  key             the sale's unique key (required): the same key is never
                  recorded twice
  customer_key    the buyer's key; or customer_email, the buyer's email
  partner_key     the partner who referred the buyer: the customer is then
                  created with the sale when it does not exist yet (affiliate
                  programs); without it the customer must exist
  amount          the sale's amount, a decimal number: 99.99
  amount_units    its currency (ISO 4217); the program currency when empty
  product_id      the product, for product rules
  product_type    the product's type, for product rules ("monthly")
  action          the transaction type; "sale" when empty
  created_at      when the sale happened: RFC 3339 (2025-01-31T12:00:00Z) or
                  Unix seconds (1738324800); now when empty

Resuming: a sale whose key is stored already (by an earlier run of the same
file, cut short or not, or by the API) is skipped and counted as skipped,
not as an error, so running the same file again records only what is
missing. A key that repeats an earlier line of the same file fails.

A line that cannot be recorded (a bad amount, an unknown customer or
partner) is reported with its line number and the rest goes on; the exit
status is then 1. A malformed CSV file (an unclosed quote) stops the import
at its line; what was stored before stays stored. On a terminal, a progress
bar shows the sales done, their rate and the time left.

Example sales.csv:

  key,customer_key,partner_key,amount,product_id,created_at
  inv_1001,customer_123,partner_123,99.99,prod_123,2025-01-05T10:00:00Z
  inv_1002,customer_456,partner_123,240,prod_456,1736416800`,
	run: runImport,
}

type importFlags struct {
	storeFlags
	file     string
	batch    int
	progress bool
}

func (f *importFlags) register(fs *flag.FlagSet, c *cli) {
	f.storeFlags.register(fs, c)
	fs.StringVar(&f.file, "file", "", "the CSV `file` of sales (required); - reads standard input")
	fs.IntVar(&f.batch, "batch", commission.MaxBulk, "sales per bulk, 1 to 1000")
	fs.BoolVar(&f.progress, "progress", true, "show a progress bar when standard error is a terminal")
}

func runImport(ctx context.Context, c *cli, cmd *command, args []string) error {
	var f importFlags
	fs := newFlagSet(c, cmd)
	f.register(fs, c)
	if err := c.parse(fs, args, false); err != nil {
		return err
	}
	if f.file == "" {
		return usagef("-file is required: the CSV file of sales to import")
	}
	if f.batch < 1 || f.batch > commission.MaxBulk {
		return usagef("-batch %d: must be 1 to %d", f.batch, commission.MaxBulk)
	}
	if err := f.check(); err != nil {
		return err
	}
	in, name, err := f.open(c)
	if err != nil {
		return err
	}
	defer in.Close()

	eng, store, err := f.engineFor(ctx, nil)
	if err != nil {
		return err
	}
	defer store.DB().Close()
	var bar *progressBar
	if f.progress && isTerminal(c.stderr) {
		total := -1
		if f.file != "-" {
			total = countRecords(f.file)
		}
		bar = newProgressBar(c.stderr, total)
	}

	im := &importer{eng: eng, store: store, batch: f.batch, bar: bar, seen: map[string]int{}, precheck: true}
	err = im.run(ctx, in)
	bar.finish()
	slices.SortStableFunc(im.failed, func(a, b failure) int { return a.line - b.line })
	for i, fl := range im.failed {
		if i == maxFailuresShown {
			fmt.Fprintf(c.stderr, "... and %d more failed lines\n", len(im.failed)-i)
			break
		}
		fmt.Fprintf(c.stderr, "line %d: %s\n", fl.line, fl.msg)
	}
	fmt.Fprintf(c.stdout, "%s: %d sales read: %d stored, %d skipped (key already stored), %d failed\n",
		name, im.read, im.stored, im.skipped, len(im.failed))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; what was stored stays stored: run the same command again to import the rest")
		}
		return err
	}
	if len(im.failed) > 0 {
		lines := make([]string, 0, min(len(im.failed), 10))
		for _, fl := range im.failed[:min(len(im.failed), 10)] {
			lines = append(lines, strconv.Itoa(fl.line))
		}
		more := ""
		if len(im.failed) > 10 {
			more = ", ..."
		}
		fmt.Fprintf(c.stderr, "%d sales failed (lines %s%s); fix them and run the same command again: the stored ones are skipped\n",
			len(im.failed), strings.Join(lines, ", "), more)
		return errReported
	}
	return nil
}

// maxFailuresShown bounds the failed lines listed one by one.
const maxFailuresShown = 100

func (f *importFlags) open(c *cli) (io.ReadCloser, string, error) {
	if f.file == "-" {
		return io.NopCloser(c.stdin), "standard input", nil
	}
	file, err := os.Open(f.file)
	if err != nil {
		return nil, "", err
	}
	return file, f.file, nil
}

// countRecords counts the records of a CSV file, for the progress bar;
// -1 when it cannot.
func countRecords(name string) int {
	file, err := os.Open(name)
	if err != nil {
		return -1
	}
	defer file.Close()
	r := csv.NewReader(file)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	n := 0
	for {
		_, err := r.Read()
		if err == io.EOF {
			return max(n-1, 0) // the header is not a sale
		}
		if err != nil {
			return -1
		}
		n++
	}
}

// importColumns are the columns a sales CSV may have.
var importColumns = []string{"key", "customer_key", "customer_email", "partner_key", "amount", "amount_units",
	"product_id", "product_type", "action", "created_at"}

// row is one sale of the file, with its line.
type row struct {
	line int
	in   commission.TransactionInput
}

type failure struct {
	line int
	msg  string
}

// importer records the sales of one file.
type importer struct {
	eng   *commission.Engine
	store *sqlstore.Store
	batch int
	bar   *progressBar
	// seen is the line of each key read so far, to fail a key the file
	// repeats.
	seen map[string]int
	// precheck: the next bulk is checked for stored keys before it is
	// sent. The first one is; then each one after a bulk that had some
	// (the file is being resumed), until one has none.
	precheck bool

	read, stored, skipped int
	failed                []failure
}

// columns maps the header's names to their positions, refusing unknown
// and repeated names.
func columns(header []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // a byte order mark
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if !slices.Contains(importColumns, name) {
			return nil, fmt.Errorf("line 1: unknown column %q; the columns are %s (see 'commission help import')", name, strings.Join(importColumns, ", "))
		}
		if _, dup := cols[name]; dup {
			return nil, fmt.Errorf("line 1: column %q appears twice", name)
		}
		cols[name] = i
	}
	if _, ok := cols["key"]; !ok {
		return nil, errors.New("line 1: no key column: every sale needs its key, which makes an import safe to run again")
	}
	_, byKey := cols["customer_key"]
	_, byEmail := cols["customer_email"]
	if !byKey && !byEmail {
		return nil, errors.New("line 1: no customer_key or customer_email column: every sale needs its buyer")
	}
	return cols, nil
}

func (im *importer) run(ctx context.Context, in io.Reader) error {
	r := csv.NewReader(in)
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		return errors.New("the file is empty: its first line must name the columns")
	}
	if err != nil {
		return err
	}
	cols, err := columns(header)
	if err != nil {
		return err
	}
	r.FieldsPerRecord = len(header)
	bulk := make([]row, 0, im.batch)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		var perr *csv.ParseError
		if errors.As(err, &perr) && errors.Is(perr.Err, csv.ErrFieldCount) {
			im.read++
			im.fail(perr.StartLine, fmt.Sprintf("has %d fields, the header %d", len(rec), len(header)))
			continue
		}
		if err != nil {
			return err // csv.ParseError names the line
		}
		im.read++
		in, msg := parseRow(rec, cols)
		if msg != "" {
			im.fail(line, msg)
			continue
		}
		if first, dup := im.seen[in.Key]; dup {
			im.fail(line, fmt.Sprintf("key %q repeats line %d", in.Key, first))
			continue
		}
		im.seen[in.Key] = line
		bulk = append(bulk, row{line: line, in: in})
		if len(bulk) == im.batch {
			if err := im.bulk(ctx, bulk); err != nil {
				return err
			}
			bulk = bulk[:0]
		}
	}
	if len(bulk) > 0 {
		return im.bulk(ctx, bulk)
	}
	return nil
}

func (im *importer) fail(line int, msg string) {
	im.failed = append(im.failed, failure{line, msg})
	im.bar.update(im.done())
}

func (im *importer) done() int { return im.stored + im.skipped + len(im.failed) }

// parseRow reads one record into a sale; a message says what is wrong
// with it.
func parseRow(rec []string, cols map[string]int) (commission.TransactionInput, string) {
	get := func(name string) string {
		if i, ok := cols[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	in := commission.TransactionInput{
		Key:         get("key"),
		AmountUnits: get("amount_units"),
		ProductID:   get("product_id"),
		ProductType: get("product_type"),
		Action:      get("action"),
		Customer:    commission.CustomerInput{Key: get("customer_key"), Email: get("customer_email")},
	}
	if in.Key == "" {
		return in, "key is empty: every sale needs its key"
	}
	if in.Customer.Key == "" && in.Customer.Email == "" {
		return in, "customer_key and customer_email are empty: every sale needs its buyer"
	}
	if p := get("partner_key"); p != "" {
		in.Customer.Partner = &commission.PartnerRef{Key: p}
		in.Options.CreateCustomer = true
	}
	if s := get("amount"); s != "" {
		d, err := decimal.NewFromString(s)
		if err != nil {
			return in, fmt.Sprintf("amount %q is not a decimal number", s)
		}
		in.Amount = &d
	}
	if s := get("created_at"); s != "" {
		at, err := parseTime(s)
		if err != nil {
			return in, fmt.Sprintf("created_at %q is neither RFC 3339 (2025-01-31T12:00:00Z) nor Unix seconds", s)
		}
		in.CreatedAt = &at
	}
	return in, ""
}

func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// bulk records one bulk of sales, checking first for keys stored already
// when the file is being resumed.
func (im *importer) bulk(ctx context.Context, rows []row) error {
	rows = slices.Clone(rows)
	if im.precheck {
		var n int
		var err error
		if rows, n, err = im.dropStored(ctx, rows, false); err != nil {
			return err
		}
		im.precheck = n > 0 // until a bulk has no stored key
	}
	err := im.create(ctx, rows)
	im.bar.update(im.done())
	return err
}

// create records rows with CreateTransactions, which stores a bulk whole
// or not at all: on a line that fails it records the lines before it,
// reports the line, and goes on after it; on a key stored already (by
// another process since the bulk was checked, or in a bulk that was not
// checked) it drops every stored key of the bulk and tries again.
//
// This is the cheap correct way to resume: a first run pays one query
// for its first bulk, and a run over a file stored already one query per
// bulk, where sending the bulk to find its stored keys would compute
// every sale of it first (the store checks keys when it inserts), and
// CreateTransaction sale by sale would cost several times a bulk.
func (im *importer) create(ctx context.Context, rows []row) error {
	unknown := 0
	for len(rows) > 0 {
		ins := make([]commission.TransactionInput, len(rows))
		for i := range rows {
			ins[i] = rows[i].in
		}
		_, err := im.eng.CreateTransactions(ctx, ins)
		var verr *commission.ValidationError
		var ierr *commission.ItemError
		switch {
		case err == nil:
			im.stored += len(rows)
			return nil
		case errors.As(err, &verr):
			bad, ok := im.failFields(rows, verr)
			if !ok {
				return err
			}
			rows = slices.DeleteFunc(rows, func(r row) bool { return bad[r.line] })
		case errors.As(err, &ierr) && errors.Is(ierr.Err, commission.ErrDuplicateKey):
			im.precheck = true
			kept, n, lerr := im.dropStored(ctx, rows, false)
			if lerr == nil && n == 0 { // the engine's word, then
				kept, n, lerr = im.dropStored(ctx, rows, true)
			}
			if lerr != nil {
				return lerr
			}
			if n == 0 { // not readable yet: the error named it
				if ierr.Index < 0 || ierr.Index >= len(kept) {
					return err
				}
				im.skipped++
				kept = slices.Delete(kept, ierr.Index, ierr.Index+1)
			}
			rows = kept
		case errors.As(err, &ierr) && refusal(ierr.Err) && ierr.Index < len(rows):
			im.fail(rows[ierr.Index].line, saleError(&rows[ierr.Index].in, ierr.Err))
			// The lines before it built: record them, then go on after it.
			if err := im.create(ctx, rows[:ierr.Index]); err != nil {
				return err
			}
			rows = rows[ierr.Index+1:]
		case errors.Is(err, commission.ErrCommitUnknown) && unknown < 3:
			// The connection was lost while the bulk committed: it is
			// stored whole or not at all, which its keys tell.
			unknown++
			kept, n, lerr := im.dropStored(ctx, rows, false)
			if lerr != nil {
				return lerr
			}
			im.skipped -= n
			im.stored += n
			rows = kept
		default:
			return err
		}
	}
	return nil
}

// failFields fails the lines a bulk's validation error names, with the
// fields' messages; false if one names no item.
func (im *importer) failFields(rows []row, verr *commission.ValidationError) (map[int]bool, bool) {
	msgs := map[int][]string{}
	var order []int
	for _, f := range verr.Fields {
		rest, ok := strings.CutPrefix(f.Path, "transactions[")
		idx, field, ok2 := strings.Cut(rest, "]")
		i, err := strconv.Atoi(idx)
		if !ok || !ok2 || err != nil || i < 0 || i >= len(rows) {
			return nil, false
		}
		if _, seen := msgs[i]; !seen {
			order = append(order, i)
		}
		msgs[i] = append(msgs[i], strings.TrimPrefix(field, ".")+": "+f.Message)
	}
	bad := map[int]bool{}
	slices.Sort(order)
	for _, i := range order {
		im.fail(rows[i].line, strings.Join(msgs[i], "; "))
		bad[rows[i].line] = true
	}
	return bad, true
}

// refusal reports whether err refuses one sale for a reason of its own,
// rather than failing the store.
func refusal(err error) bool {
	for _, r := range []error{commission.ErrInvalid, commission.ErrCustomerNotFound, commission.ErrPartnerNotFound,
		commission.ErrNotFound} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// saleError words why a sale was refused.
func saleError(in *commission.TransactionInput, err error) string {
	switch {
	case errors.Is(err, commission.ErrCustomerNotFound):
		who := in.Customer.Key
		if who == "" {
			who = in.Customer.Email
		}
		return fmt.Sprintf("customer %q not found: give partner_key to create it with the sale, or create it first", who)
	case errors.Is(err, commission.ErrPartnerNotFound) && in.Customer.Partner != nil:
		return fmt.Sprintf("partner %q not found", in.Customer.Partner.Key)
	}
	return strings.TrimPrefix(err.Error(), "commission: ")
}

// dropStored returns the rows whose key is not stored yet, counting the
// others as skipped; n is how many were.
//
// It asks the database in one query per bulk (the sales table's unique
// key on program and key, which a deleted sale keeps), and, if that
// fails, or when slow is set, the engine key by key: Engine.Transaction
// is a read transaction of its own and reads the sale with its rewards,
// about as costly as storing it, where the query costs a few
// milliseconds for a thousand keys.
func (im *importer) dropStored(ctx context.Context, rows []row, slow bool) ([]row, int, error) {
	var stored []bool
	var err error
	if !slow {
		stored, err = im.storedByQuery(ctx, rows)
	}
	if slow || err != nil {
		if stored, err = im.storedByEngine(ctx, rows); err != nil {
			return nil, 0, err
		}
	}
	kept := rows[:0:0]
	for i, r := range rows {
		if !stored[i] {
			kept = append(kept, r)
		}
	}
	n := len(rows) - len(kept)
	im.skipped += n
	return kept, n, nil
}

// storedByQuery reads which keys of rows the program has stored, in one
// query on the store's table of sales.
func (im *importer) storedByQuery(ctx context.Context, rows []row) ([]bool, error) {
	if im.store == nil || len(rows) == 0 {
		return nil, errors.New("no store to query")
	}
	args := make([]any, 0, len(rows)+1)
	args = append(args, im.eng.Program().ID)
	var q strings.Builder
	q.WriteString("SELECT tx_key FROM commission_transactions WHERE program_id = ")
	q.WriteString(im.placeholder(1))
	q.WriteString(" AND tx_key IN (")
	for i, r := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(im.placeholder(i + 2))
		args = append(args, r.in.Key)
	}
	q.WriteString(")")
	res, err := im.store.DB().QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	found := map[string]bool{}
	for res.Next() {
		var k []byte // VARBINARY on MySQL
		if err := res.Scan(&k); err != nil {
			return nil, err
		}
		found[string(k)] = true
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	stored := make([]bool, len(rows))
	for i, r := range rows {
		stored[i] = found[r.in.Key]
	}
	return stored, nil
}

func (im *importer) placeholder(n int) string {
	if im.store.Dialect() == sqlstore.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// lookups is how many keys storedByEngine reads at once.
const lookups = 8

// storedByEngine reads which keys of rows are stored, through the engine.
func (im *importer) storedByEngine(ctx context.Context, rows []row) ([]bool, error) {
	stored := make([]bool, len(rows))
	errs := make([]error, lookups)
	var wg sync.WaitGroup
	for w := range lookups {
		wg.Go(func() {
			for i := w; i < len(rows); i += lookups {
				_, err := im.eng.Transaction(ctx, rows[i].in.Key)
				switch {
				case err == nil:
					stored[i] = true
				case errors.Is(err, commission.ErrNotFound), errors.Is(err, commission.ErrInvalid):
					// Not stored (an invalid key fails when it is sent).
				default:
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return stored, errors.Join(errs...)
}
