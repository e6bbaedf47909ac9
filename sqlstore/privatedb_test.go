package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/commissionkit/commission/sqlstore"
	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// privateServer is a PostgreSQL or MariaDB server of the test's own, never
// the shared one: its data in a temporary directory, listening on
// 127.0.0.1 at a free port. The test may kill it (SIGKILL, as a crash
// would) and start it again on the same data and port. When the test
// ends, also when it fails, the server is killed and the directory
// removed; should the test binary itself die, the kernel kills the server
// (Pdeathsig).
type privateServer struct {
	dialect sqlstore.Dialect
	dir     string // removed when the test ends
	port    int
	argv    []string            // the server's command line
	cred    *syscall.Credential // whom it runs as: PostgreSQL refuses root
	log     *os.File            // what the server wrote, over every start
	proc    *os.Process         // nil while it is not running
	exited  chan struct{}       // closed once proc is reaped
	// killedAt is when the last kill was sent.
	killedAt time.Time
}

// startPrivateServer creates the data directory of a new server of the
// dialect (PostgreSQL or MySQL, run as MariaDB), starts it and waits until
// it answers. It skips the test when the server's programs are missing,
// or fails it under COMMISSION_REQUIRE_DB=1.
func startPrivateServer(t *testing.T, d sqlstore.Dialect) *privateServer {
	t.Helper()
	dir, err := os.MkdirTemp("", "commission-"+d.String()+"-")
	require.NoError(t, err)
	s := &privateServer{dialect: d, dir: dir, port: freePort(t)}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s server log (end):\n%s", d, s.logTail())
		}
		if err := s.kill(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if s.log != nil {
			s.log.Close()
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	s.log, err = os.Create(filepath.Join(dir, "server.log"))
	require.NoError(t, err)
	switch d {
	case sqlstore.Postgres:
		s.initPostgres(t)
	case sqlstore.MySQL:
		s.initMariaDB(t)
	default:
		t.Fatalf("no private server for %s", d)
	}
	s.start(t)
	if d == sqlstore.MySQL {
		admin, err := sql.Open("mysql", s.mysqlConfig("").FormatDSN())
		require.NoError(t, err)
		defer admin.Close()
		_, err = admin.Exec("CREATE DATABASE commission")
		require.NoError(t, err)
	}
	return s
}

// requirePrograms returns the first of paths that exists, or skips (fails
// under COMMISSION_REQUIRE_DB=1) naming what is missing.
func requirePrograms(t *testing.T, what string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	noPrivateServer(t, "%s not found %v", what, paths)
	return ""
}

// noPrivateServer skips the test, or fails it under
// COMMISSION_REQUIRE_DB=1, as requireDB does for the shared servers.
func noPrivateServer(t *testing.T, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if os.Getenv("COMMISSION_REQUIRE_DB") == "1" {
		t.Fatalf("%s and COMMISSION_REQUIRE_DB=1", why)
	}
	t.Skipf("%s: a private server cannot be started", why)
}

// runAs runs a command as the server will run, failing with its output.
func (s *privateServer) runAs(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s: %s", name, out)
}

// initPostgres creates the cluster with initdb, as the postgres user when
// the test runs as root, and sets the postgres command line.
func (s *privateServer) initPostgres(t *testing.T) {
	t.Helper()
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	slices.SortFunc(versions, func(a, b string) int { return pgVersion(b) - pgVersion(a) }) // newest first
	postgres := requirePrograms(t, "PostgreSQL's postgres (/usr/lib/postgresql/*/bin/postgres)", versions...)
	initdb := requirePrograms(t, "PostgreSQL's initdb", filepath.Join(filepath.Dir(postgres), "initdb"))
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			noPrivateServer(t, "PostgreSQL refuses to run as root, and there is no postgres user to run it as (%v)", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		require.NoError(t, os.Chown(s.dir, uid, gid))
	}
	data := filepath.Join(s.dir, "data")
	s.runAs(t, initdb, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
	s.argv = []string{postgres, "-D", data, "-k", s.dir, "-h", "127.0.0.1", "-p", strconv.Itoa(s.port),
		"-c", "shared_buffers=16MB"}
}

// pgVersion is the major version in a path /usr/lib/postgresql/<v>/....
func pgVersion(path string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return v
}

// initMariaDB creates the data directory with mariadb-install-db (root
// with no password, by TCP) and sets the mariadbd command line. Small
// buffers and redo log keep the directory small.
func (s *privateServer) initMariaDB(t *testing.T) {
	t.Helper()
	mariadbd := requirePrograms(t, "MariaDB's mariadbd", "/usr/sbin/mariadbd", "/usr/bin/mariadbd")
	install := requirePrograms(t, "mariadb-install-db", "/usr/bin/mariadb-install-db", "/usr/scripts/mariadb-install-db")
	data := filepath.Join(s.dir, "data")
	common := []string{"--no-defaults", "--datadir=" + data, "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M"}
	if os.Geteuid() == 0 {
		common = append(common, "--user=root")
	}
	s.runAs(t, install, append(common, "--auth-root-authentication-method=normal", "--skip-test-db")...)
	s.argv = append(append([]string{mariadbd}, common...),
		"--socket="+filepath.Join(s.dir, "mysqld.sock"), "--port="+strconv.Itoa(s.port),
		"--bind-address=127.0.0.1", "--skip-name-resolve")
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start starts the server on its data directory and waits until it
// answers (after a kill, once it has recovered).
func (s *privateServer) start(t *testing.T) {
	t.Helper()
	require.Nil(t, s.proc, "the server is running")
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = s.log, s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	s.proc, s.exited = cmd.Process, make(chan struct{})
	go func(exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(s.exited)

	// MariaDB's database is created once the server answers.
	dsn := s.database().dsn
	if s.dialect == sqlstore.MySQL {
		dsn = s.mysqlConfig("").FormatDSN()
	}
	db, err := sql.Open(s.database().driver, dsn)
	require.NoError(t, err)
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-s.exited:
			s.proc = nil
			t.Fatalf("the %s server exited at start: %v\n%s", s.dialect, cmd.ProcessState, s.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %s server does not answer after 60s: %v\n%s", s.dialect, err, s.logTail())
		}
	}
}

// kill kills the server and every process it started with SIGKILL, at
// once, and waits until they are gone. PostgreSQL's backends end by
// themselves when they see their postmaster gone, but one may first finish
// what it was doing, commit included: the postmaster is stopped (so that
// it starts no other) and all are killed together.
func (s *privateServer) kill() error {
	if s.proc == nil {
		return nil
	}
	select {
	case <-s.exited: // it died by itself: the test that caused it fails
		s.proc = nil
		return nil
	default:
	}
	pid := s.proc.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return fmt.Errorf("stop the %s server: %w", s.dialect, err)
	}
	children := descendants(pid)
	s.killedAt = time.Now()
	for _, p := range append([]int{pid}, children...) {
		syscall.Kill(p, syscall.SIGKILL)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("the %s server (pid %d) survives SIGKILL", s.dialect, pid)
	}
	s.proc = nil
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		children = slices.DeleteFunc(children, func(p int) bool { return !running(p) })
		if len(children) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of the %s server survive SIGKILL", children, s.dialect)
		}
	}
}

// descendants lists the processes below pid, read from /proc.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, pp, ok := procStat(p); ok {
			parent[p] = pp
		}
	}
	var out []int
	for frontier := []int{pid}; len(frontier) > 0; {
		var next []int
		for p, pp := range parent {
			if slices.Contains(frontier, pp) {
				next = append(next, p)
			}
		}
		out = append(out, next...)
		frontier = next
	}
	return out
}

// procStat returns the state and parent of process p from
// /proc/<p>/stat: "pid (comm) state ppid ...", where comm may hold
// anything but a newline.
func procStat(p int) (state string, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
	if err != nil {
		return "", 0, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return "", 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return "", 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return f[0], ppid, err == nil
}

// running reports whether process p exists and is not a zombie (dead,
// waiting for its new parent to reap it).
func running(p int) bool {
	state, _, ok := procStat(p)
	return ok && state != "Z" && state != "X"
}

// database is the server's test database: PostgreSQL's postgres database,
// MariaDB's commission database at READ COMMITTED with interpolated
// parameters, as the package doc recommends.
func (s *privateServer) database() database {
	if s.dialect == sqlstore.Postgres {
		return database{dialect: s.dialect, driver: "pgx",
			dsn: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)}
	}
	return database{dialect: s.dialect, driver: "mysql", dsn: s.mysqlConfig("commission").FormatDSN()}
}

// mysqlConfig is the configuration of a connection to the server as root,
// to the database dbName ("" for none).
func (s *privateServer) mysqlConfig(dbName string) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "tcp", "127.0.0.1:"+strconv.Itoa(s.port), dbName
	cfg.Params = map[string]string{"tx_isolation": "'READ-COMMITTED'"} // MariaDB before 11.1 names it so
	cfg.InterpolateParams = true
	return cfg
}

// logTail is the end of what the server wrote.
func (s *privateServer) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if err != nil {
		return err.Error()
	}
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
