package commissiontest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// Run is Check for a test that expects a property to fail: it runs the
// same check, quietly, and returns rapid's smallest failing history, or
// nil when every property held. It writes no fail file (rapid's
// testdata/rapid) and prints nothing.
func Run(p commission.Program, cfg Config, props ...Property) *Failure {
	if _, err := commission.New(memstore.New(), p, cfg.Options...); err != nil {
		return &Failure{Property: ValidProgram, Err: err, Program: p}
	}
	rec := &recorder{name: fmt.Sprintf("commissiontest-run-%d-%d", os.Getpid(), runs.Add(1))}
	defer removeFailFiles(rec.name)()
	var last *Failure
	rec.check(property(p, cfg, props, &last))
	if last == nil && rec.Failed() {
		return &Failure{Property: NoUnexpectedErrors, Err: errors.New(rec.output()), Program: p}
	}
	return last
}

// runs numbers the calls of Run, to name their rapid runs apart.
var runs atomic.Int64

// removeFailFiles returns what removes the fail files rapid writes for
// a test named name, and the directories it made for them.
func removeFailFiles(name string) func() {
	made := []string{}
	for _, dir := range []string{"testdata", filepath.Join("testdata", "rapid")} {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			made = append(made, dir)
		}
	}
	return func() {
		_ = os.RemoveAll(filepath.Join("testdata", "rapid", name))
		for i := len(made) - 1; i >= 0; i-- {
			_ = os.Remove(made[i]) // only when empty
		}
	}
}

// recorder is the rapid.TB of Run: it keeps what rapid writes and says,
// and stops rapid's check where a testing.T would end the test.
type recorder struct {
	name   string
	mu     sync.Mutex
	failed bool
	logs   []string
}

// stop is the panic that ends a check where FailNow would end a test.
type stop struct{}

// check runs prop with rapid.Check until it ends or stops.
func (r *recorder) check(prop func(*rapid.T)) {
	defer func() {
		if x := recover(); x != nil {
			if _, ok := x.(stop); !ok {
				panic(x)
			}
		}
	}()
	rapid.Check(r, prop)
}

func (r *recorder) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.logs, "\n")
}

func (r *recorder) log(failed bool, s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, s)
	r.failed = r.failed || failed
}

func (r *recorder) Helper()                           {}
func (r *recorder) Name() string                      { return r.name }
func (r *recorder) Logf(format string, args ...any)   { r.log(false, fmt.Sprintf(format, args...)) }
func (r *recorder) Log(args ...any)                   { r.log(false, fmt.Sprint(args...)) }
func (r *recorder) Skipf(format string, args ...any)  { r.Logf(format, args...); r.SkipNow() }
func (r *recorder) Skip(args ...any)                  { r.Log(args...); r.SkipNow() }
func (r *recorder) SkipNow()                          { panic(stop{}) }
func (r *recorder) Errorf(format string, args ...any) { r.log(true, fmt.Sprintf(format, args...)) }
func (r *recorder) Error(args ...any)                 { r.log(true, fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); r.FailNow() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); r.FailNow() }
func (r *recorder) FailNow()                          { r.Fail(); panic(stop{}) }
func (r *recorder) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
