package testdb

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// Cluster is a private PostgreSQL cluster that one test owns and may stop and start, to test outages.
type Cluster struct {
	t      testing.TB
	bin    string
	data   string
	port   int
	asUser string
}

// NewCluster creates and starts a cluster from the installed PostgreSQL binaries. initdb refuses to run as
// root, so as root the cluster runs as the postgres user.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		t.Fatal("no PostgreSQL binaries under /usr/lib/postgresql")
	}
	sort.Strings(matches)
	dir, err := os.MkdirTemp("", "authd-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, bin: filepath.Dir(matches[len(matches)-1]), data: filepath.Join(dir, "data"), port: freePort(t)}
	if os.Geteuid() == 0 {
		c.asUser = "postgres"
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(c.data, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(c.data, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = c.pgCtl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if out, err := c.command("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.Start()
	return c
}

// URL is the cluster's postgres database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the cluster and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	if err := c.pgCtl("start", "-w", "-l", filepath.Join(c.data, "server.log"),
		"-o", fmt.Sprintf("-p %d -k '' -c listen_addresses=127.0.0.1 -c fsync=off", c.port)); err != nil {
		c.t.Fatalf("start PostgreSQL: %v", err)
	}
}

// Stop stops the cluster at once, as a crash or an operator would.
func (c *Cluster) Stop() {
	c.t.Helper()
	if err := c.pgCtl("stop", "-w", "-m", "fast"); err != nil {
		c.t.Fatalf("stop PostgreSQL: %v", err)
	}
}

func (c *Cluster) pgCtl(args ...string) error {
	out, err := c.command("pg_ctl", append([]string{"-D", c.data}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
