package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
)

// binDir holds the command built once for the tests that run it as a
// process.
var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary returns the path of the command, built with go build.
func binary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binError = os.MkdirTemp("", "commission-cmd-test-")
		if binError != nil {
			return
		}
		binPath = filepath.Join(binDir, "commission")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binError = &buildError{err: err, out: string(out)}
		}
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

// result is what a command run in the test's process wrote and returned.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the command line in the test's process, with env as its
// whole environment.
func runCLI(t testing.TB, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }}
	code := c.run(context.Background(), args)
	return result{stdout.String(), stderr.String(), code}
}

// openEngine opens the SQLite file at path (migrating it) with the
// default program, as the command does.
func openEngine(t testing.TB, path string) *commission.Engine {
	t.Helper()
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store, err := sqlstore.Open(context.Background(), db, sqlstore.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	eng, err := commission.New(store, defaultProgram())
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// Help: the overview, each command's text, -h, and usage errors with
// their exit codes.
func TestHelpAndUsage(t *testing.T) {
	r := runCLI(t, nil, "help")
	if r.code != exitOK || !strings.Contains(r.stdout, "import") || !strings.Contains(r.stdout, "30%") {
		t.Fatalf("help: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, cmd := range commands {
		for _, args := range [][]string{{"help", cmd.name}, {cmd.name, "-h"}} {
			r := runCLI(t, nil, args...)
			if r.code != exitOK || !strings.Contains(r.stdout, "Usage: commission "+cmd.name) || !strings.Contains(r.stdout, "-dsn") {
				t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
			}
		}
	}
	if r := runCLI(t, nil, "help", "program"); r.code != exitOK || !strings.Contains(r.stdout, `"kind": "affiliate"`) {
		t.Errorf("help program: %d %s", r.code, r.stdout)
	}
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"help", "frobnicate"},
		{"serve", "-bogus"},
		{"serve", "extra"},
		{"import"},
		{"import", "-file", "x.csv", "-batch", "1001"},
		{"export"},
		{"export", "payouts"},
		{"export", "rewards", "-to", "2025-02-01"},
		{"export", "rewards", "-from", "January", "-to", "2025-02-01"},
		{"export", "rewards", "-partner", "p", "-from", "2025-02-01", "-to", "2025-01-01"},
		{"export", "earnings", "-partner", "p", "-from", "2025-01-01", "-to", "2025-02-01", "-by", "week"},
		{"balance"},
		{"payout", "-db", "oracle", "-partner", "p"},
		{"migrate", "-db", "postgres"},
	} {
		r := runCLI(t, nil, args...)
		if r.code != exitUsage || r.stderr == "" {
			t.Errorf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.code, exitUsage, r.stdout, r.stderr)
		}
	}
}

// migrate creates the schema and prints its version; a second run
// changes nothing.
func TestMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	for range 2 {
		r := runCLI(t, nil, "migrate", "-dsn", path)
		if r.code != exitOK || !strings.Contains(r.stdout, "schema at version ") {
			t.Fatalf("migrate: %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	latest, err := latestMigration(sqlstore.SQLite)
	if err != nil || latest < 9 {
		t.Fatalf("latest migration %d, %v", latest, err)
	}
}

// A program file is read, and an invalid one is refused naming its bad
// settings.
func TestProgramFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"id":"p2","kind":"affiliate","currency":"EUR","rules":{"default":{"type":"percent","value":10}}}`), 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"id":"p2","kind":"affiliat","currency":"EUR"}`), 0o644)
	typo := filepath.Join(dir, "typo.json")
	os.WriteFile(typo, []byte(`{"id":"p2","kind":"affiliate","currency":"EUR","rule":{}}`), 0o644)
	db := filepath.Join(dir, "c.db")
	eng := openEngine(t, db)
	if _, err := eng.CreatePartner(context.Background(), commission.PartnerInput{Key: "p"}); err != nil {
		t.Fatal(err)
	}
	// The partner is the default program's, not p2's.
	if r := runCLI(t, nil, "balance", "-dsn", db, "-program", good, "-partner", "p"); r.code != exitFailed || !strings.Contains(r.stderr, `no partner`) {
		t.Errorf("balance on p2: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, nil, "balance", "-dsn", db, "-partner", "p"); r.code != exitOK || !strings.Contains(r.stdout, "USD") {
		t.Errorf("balance on default: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, nil, "balance", "-dsn", db, "-program", bad, "-partner", "p"); r.code != exitFailed || !strings.Contains(r.stderr, "kind") {
		t.Errorf("bad program: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, nil, "balance", "-dsn", db, "-program", typo, "-partner", "p"); r.code != exitFailed || !strings.Contains(r.stderr, `"rule"`) {
		t.Errorf("program with an unknown field: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// The progress bar draws done/total, the rate and the time left, and
// nothing when it is nil.
func TestProgressBar(t *testing.T) {
	var b strings.Builder
	p := newProgressBar(&b, 100_000)
	p.start = p.start.Add(-10 * time.Second)
	p.update(25_000)
	p.last = time.Time{}
	p.update(50_000)
	p.finish()
	out := b.String()
	for _, want := range []string{"[...", "0/100,000 sales", "[###############...............] 50,000/100,000 sales  50%", "/s", "left"} {
		if !strings.Contains(out, want) {
			t.Errorf("the bar lacks %q:\n%q", want, out)
		}
	}
	var none *progressBar
	none.update(1)
	none.finish()
	if thousands(1234567) != "1,234,567" || thousands(-1000) != "-1,000" || thousands(999) != "999" {
		t.Error(thousands(1234567), thousands(-1000), thousands(999))
	}
	if isTerminal(&b) {
		t.Error("a strings.Builder is a terminal")
	}
}
