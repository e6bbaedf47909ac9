package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0 // done
	exitFailed  = 1 // the command ran and failed (or, for import, some sales failed)
	exitUsage   = 2 // the command line is wrong: nothing was done
	programName = "commission"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stopSignals: stop}
	os.Exit(env.run(ctx, os.Args[1:]))
}

// cli is where a command reads and writes: the process's own streams and
// environment, or a test's.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// stopSignals, when set, restores the default handling of SIGINT and
	// SIGTERM: serve calls it once it has begun to shut down, so that a
	// second Ctrl-C ends the process at once.
	stopSignals func()
	// ready, when set, is called by serve with the address it listens on
	// (tests and benchmarks).
	ready func(addr string)
}

// command is one subcommand.
type command struct {
	name    string
	summary string // one line, for the list of commands
	usage   string // the synopsis and the text after it, for help <command>
	run     func(ctx context.Context, c *cli, cmd *command, args []string) error
}

var commands []*command

func init() {
	commands = []*command{serveCmd, migrateCmd, importCmd, exportCmd, balanceCmd, payoutCmd, simulateCmd}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usageError is a wrong command line: the command prints it with a hint
// and exits with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run runs the command line args (without the program name) and returns
// the exit code.
func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		c.printOverview(c.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			c.printOverview(c.stdout)
			return exitOK
		}
		if rest[0] == "program" {
			fmt.Fprint(c.stdout, programHelp)
			return exitOK
		}
		cmd := lookup(rest[0])
		if cmd == nil {
			fmt.Fprintf(c.stderr, "%s help: unknown command %q\n\n", programName, rest[0])
			c.printOverview(c.stderr)
			return exitUsage
		}
		c.printCommandHelp(ctx, cmd)
		return exitOK
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(c.stderr, "%s: unknown command %q\n\n", programName, name)
		c.printOverview(c.stderr)
		return exitUsage
	}
	err := cmd.run(ctx, c, cmd, rest)
	var uerr *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK // -h: the FlagSet printed the help
	case errors.As(err, &uerr):
		fmt.Fprintf(c.stderr, "%s %s: %v\nRun '%s help %s' for usage.\n", programName, cmd.name, err, programName, cmd.name)
		return exitUsage
	case errors.Is(err, errReported):
		return exitFailed
	default:
		fmt.Fprintf(c.stderr, "%s %s: %v\n", programName, cmd.name, err)
		return exitFailed
	}
}

// errReported is a failure the command has already explained on stderr.
var errReported = errors.New("failed")

const overview = `commission runs a commission engine for affiliate and refer-a-friend
programs: an HTTP API over a database, and the tools around it.

Usage:

	commission <command> [flags]

Commands:

%s
Every command keeps its data in one database: by default the SQLite file
commission.db in the working directory, created on first use. Use
-db postgres or -db mysql with -dsn to use a server instead.

Without -program, the program is the built-in default: id "default", an
affiliate program in USD paying 30%% of every sale. Run
'commission help program' for the file format.

Run 'commission help <command>' (or 'commission <command> -h') for the
flags of a command. Exit status: 0 done, 1 failed, 2 wrong usage.

Quick start: serve the API on 127.0.0.1:8080 (no key needed there):

	commission serve

then, from another terminal, create a partner, its customer and a sale:

	curl -d '{"key":"partner_123"}' localhost:8080/v1/partners
	curl -d '{"key":"customer_123","partner":{"key":"partner_123"}}' localhost:8080/v1/customers
	curl -d '{"key":"transaction_123","amount":99.99,"customer":{"key":"customer_123"}}' localhost:8080/v1/transactions
	commission balance -partner partner_123      (payable 29.997)

To serve on a network, set the API keys clients must send
(Authorization: Bearer <key>):

	COMMISSION_API_KEYS=sk_live_1 commission serve -addr :8080
`

func (c *cli) printOverview(w io.Writer) {
	var b strings.Builder
	for _, cmd := range commands {
		fmt.Fprintf(&b, "\t%-9s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintf(&b, "\t%-9s %s\n", "help", "show this text, or a command's: help <command>; help program")
	fmt.Fprintf(w, overview, b.String())
}

// printCommandHelp prints a command's help: its -h.
func (c *cli) printCommandHelp(ctx context.Context, cmd *command) {
	cmd.run(ctx, c, cmd, []string{"-h"})
}

// newFlagSet returns a FlagSet for cmd whose usage prints the command's
// text and then its flags, to the FlagSet's output.
func newFlagSet(c *cli, cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet(programName+" "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "%s\n", strings.TrimSpace(cmd.usage))
		fmt.Fprintf(w, "\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args into fs. A bad flag is a usage error (the FlagSet has
// printed it with the usage); -h is flag.ErrHelp, with the usage printed
// to stdout. Arguments left over are refused unless allowArgs.
func (c *cli) parse(fs *flag.FlagSet, args []string, allowArgs bool) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(c.stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(c.stdout)
		fs.Usage()
		return flag.ErrHelp
	case err != nil:
		return &usageError{err.Error()}
	case !allowArgs && fs.NArg() > 0:
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
