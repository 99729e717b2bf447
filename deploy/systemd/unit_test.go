// Package systemd_test checks deploy/systemd/duban.service: systemd accepts it, it keeps
// the sandbox the README promises, and the command it runs is one the binary takes,
// with the configuration and state directories systemd creates.
package systemd_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/internal/testenv"
)

// unit is a parsed unit file: section → key → values in order (a key may repeat).
type unit map[string]map[string][]string

func (u unit) get(section, key string) string {
	vs := u[section][key]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// parseUnit reads the subset of systemd's unit syntax the file uses: [Section],
// Key=Value, comments (# ;) and blank lines; anything else is an error.
func parseUnit(b []byte) (unit, error) {
	u := unit{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		case section != "" && strings.Contains(line, "="):
			k, v, _ := strings.Cut(line, "=")
			if strings.HasSuffix(v, "\\") {
				return nil, fmt.Errorf("line %d: continuation lines are not used here", n)
			}
			u[section][strings.TrimSpace(k)] = append(u[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		default:
			return nil, fmt.Errorf("line %d: %q is no section or Key=Value", n, line)
		}
	}
	return u, sc.Err()
}

func readUnit(t *testing.T) ([]byte, unit) {
	t.Helper()
	b, err := os.ReadFile("duban.service")
	if err != nil {
		t.Fatal(err)
	}
	u, err := parseUnit(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, u
}

// TestUnitKeepsTheSandbox: the keys the README's install section relies on.
func TestUnitKeepsTheSandbox(t *testing.T) {
	_, u := readUnit(t)
	cases := map[string]struct{ section, key, want string }{
		"runs as its own user":                     {"Service", "User", "duban"},
		"systemd creates /var/lib/duban for it":    {"Service", "StateDirectory", "duban"},
		"and /etc/duban for the configuration":     {"Service", "ConfigurationDirectory", "duban"},
		"the file system is read-only but state":   {"Service", "ProtectSystem", "strict"},
		"home directories are out of reach":        {"Service", "ProtectHome", "yes"},
		"with a private /tmp":                      {"Service", "PrivateTmp", "yes"},
		"gaining privileges is impossible":         {"Service", "NoNewPrivileges", "yes"},
		"no capability at all":                     {"Service", "CapabilityBoundingSet", ""},
		"systemctl reload sends SIGHUP":            {"Service", "ExecReload", "/bin/kill -HUP $MAINPID"},
		"a crash restarts it":                      {"Service", "Restart", "on-failure"},
		"logs go to the journal":                   {"Service", "StandardOutput", "journal"},
		"errors too":                               {"Service", "StandardError", "journal"},
		"journal lines are tagged duban":           {"Service", "SyslogIdentifier", "duban"},
		"enough file descriptors for many clients": {"Service", "LimitNOFILE", "65536"},
		"it starts at boot":                        {"Install", "WantedBy", "multi-user.target"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, ok := u[c.section][c.key]; !ok {
				t.Fatalf("[%s] %s is missing", c.section, c.key)
			}
			if got := u.get(c.section, c.key); got != c.want {
				t.Fatalf("[%s] %s=%s, want %s", c.section, c.key, got, c.want)
			}
		})
	}
	stop, err := time.ParseDuration(u.get("Service", "TimeoutStopSec"))
	if err != nil {
		t.Fatalf("TimeoutStopSec: %v", err)
	}
	if grace := config.Defaults().HTTP.ShutdownTimeout; stop <= grace {
		t.Errorf("TimeoutStopSec=%v leaves no time beyond http.shutdown_timeout (%v) to close the store before SIGKILL", stop, grace)
	}
}

// execStart splits ExecStart into the binary and its arguments (no quoting is used).
func execStart(t *testing.T, u unit) (string, []string) {
	t.Helper()
	f := strings.Fields(u.get("Service", "ExecStart"))
	if len(f) < 2 {
		t.Fatalf("ExecStart=%q", u.get("Service", "ExecStart"))
	}
	return f[0], f[1:]
}

// flagValue returns the value of --name in args (--name V or --name=V).
func flagValue(args []string, name string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// TestSystemdAcceptsTheUnit runs systemd-analyze verify on the unit, with ExecStart
// pointing at a real duban binary (verify checks that it exists); any warning fails.
func TestSystemdAcceptsTheUnit(t *testing.T) {
	analyze := testenv.NeedBinary(t, "systemd-analyze")
	raw, u := readUnit(t)
	bin, _ := execStart(t, u)
	dir := t.TempDir()
	text := strings.Replace(string(raw), "ExecStart="+bin+" ", "ExecStart="+testenv.DubanBinary(t)+" ", 1)
	path := filepath.Join(dir, "duban.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestUnitCommandRunsTheCollector runs ExecStart as systemd would, with /etc/duban and
// /var/lib/duban moved into a temp dir and the documented config/duban.yaml installed
// as /etc/duban/duban.yaml: the collector comes up, keeps its store in the state
// directory, rereads its configuration on `systemctl reload` (SIGHUP) without stopping,
// and stops cleanly on SIGTERM within TimeoutStopSec.
func TestUnitCommandRunsTheCollector(t *testing.T) {
	_, u := readUnit(t)
	bin, args := execStart(t, u)
	if bin != "/usr/local/bin/duban" || len(args) == 0 || args[0] != "serve" {
		t.Fatalf("ExecStart runs %s %v, want /usr/local/bin/duban serve …", bin, args)
	}
	confDir := "/etc/" + u.get("Service", "ConfigurationDirectory")
	stateDir := "/var/lib/" + u.get("Service", "StateDirectory")
	if got := flagValue(args, "config"); got != confDir+"/duban.yaml" {
		t.Errorf("--config %q is not in ConfigurationDirectory %s", got, confDir)
	}
	if got := flagValue(args, "store-path"); got != stateDir {
		t.Errorf("--store-path %q is not the StateDirectory %s, the only place ProtectSystem=strict lets it write", got, stateDir)
	}
	if got := u.get("Service", "WorkingDirectory"); got != stateDir {
		t.Errorf("WorkingDirectory=%s, want the state directory %s", got, stateDir)
	}

	root := t.TempDir()
	moved := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	for _, d := range []string{confDir, stateDir} {
		if err := os.MkdirAll(moved(d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	example, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "duban.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(moved(confDir+"/duban.yaml"), example, 0o640); err != nil {
		t.Fatal(err)
	}
	var runArgs []string
	for _, a := range args {
		if strings.HasPrefix(a, confDir) || strings.HasPrefix(a, stateDir) {
			a = moved(a)
		}
		runArgs = append(runArgs, a)
	}
	// The example listens on a fixed port: the rig adds --listen with a free one.
	srv := testenv.StartServe(t, testenv.ServeOptions{Args: runArgs, Listen: true, Dir: moved(u.get("Service", "WorkingDirectory")), Timeout: 20 * time.Second})
	entries, err := os.ReadDir(moved(stateDir))
	if err != nil || len(entries) == 0 {
		t.Fatalf("nothing in the state directory (%v): the store is elsewhere, which ProtectSystem=strict forbids", err)
	}

	srv.Signal(syscall.SIGHUP)
	if exited, err := srv.Wait(300 * time.Millisecond); exited {
		t.Fatalf("systemctl reload (SIGHUP) stopped the collector: %v\n%s", err, srv.Logs.String())
	}
	if err := testenv.WaitHTTP(context.Background(), srv.URL+"/-/ready", 5*time.Second); err != nil {
		t.Fatalf("not ready after SIGHUP: %v", err)
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(srv.Logs.String(), "configuration reloaded"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("systemctl reload (SIGHUP) did not reload the configuration:\n%s", srv.Logs.String())
		}
	}

	stop, _ := time.ParseDuration(u.get("Service", "TimeoutStopSec"))
	srv.Signal(syscall.SIGTERM)
	switch exited, err := srv.Wait(stop); {
	case !exited:
		t.Fatalf("still running %v after SIGTERM: systemd would SIGKILL it", stop)
	case err != nil:
		t.Fatalf("exit after SIGTERM: %v (Restart=on-failure would restart it)\n%s", err, srv.Logs.String())
	}
}
