package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Influxd is a real InfluxDB 1.8.3 process serving the v2 write API and the InfluxQL
// /query endpoint on 127.0.0.1 (Flux only when asked for), with its data in a temp dir.
// Stop kills it (SIGKILL); Start brings it back on the same port with the same data, so
// tests can simulate an outage.
type Influxd struct {
	URL      string // http://127.0.0.1:port
	Database string // "db"
	Bucket   string // "db/autogen"
	Org      string // ignored by 1.8, any value works
	Token    string // empty: 1.8 runs without auth here

	t       testing.TB
	bin     string
	env     []string
	logPath string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// InfluxdOptions configure StartInfluxdWith.
type InfluxdOptions struct {
	// Flux turns on influxd's Flux endpoint (/api/v2/query, flux-enabled = true). Off
	// by default: duban reads through InfluxQL only, as on InfluxDB 3.
	Flux bool
}

// StartInfluxd starts influxd with Flux disabled (see StartInfluxdWith).
func StartInfluxd(t testing.TB) *Influxd {
	t.Helper()
	return StartInfluxdWith(t, InfluxdOptions{})
}

// StartInfluxdWith starts influxd (skipping the test locally when the binary is
// missing, failing in CI), creates the database and registers a cleanup that kills it.
func StartInfluxdWith(t testing.TB, opt InfluxdOptions) *Influxd {
	t.Helper()
	bin := NeedBinary(t, "influxd")
	dir := t.TempDir()
	httpAddr := FreeAddr(t)
	rpcAddr := FreeAddr(t)
	i := &Influxd{
		URL:      "http://" + httpAddr,
		Database: "db",
		Bucket:   "db/autogen",
		Org:      "duban",
		t:        t,
		bin:      bin,
		logPath:  filepath.Join(dir, "influxd.log"),
		env: append(os.Environ(),
			fmt.Sprintf("INFLUXDB_HTTP_FLUX_ENABLED=%t", opt.Flux),
			"INFLUXDB_BIND_ADDRESS="+rpcAddr,
			"INFLUXDB_HTTP_BIND_ADDRESS="+httpAddr,
			"INFLUXDB_DATA_DIR="+filepath.Join(dir, "data"),
			"INFLUXDB_META_DIR="+filepath.Join(dir, "meta"),
			"INFLUXDB_DATA_WAL_DIR="+filepath.Join(dir, "wal"),
			"INFLUXDB_REPORTING_DISABLED=true",
			"INFLUXDB_HTTP_LOG_ENABLED=false",
			"INFLUXDB_DATA_QUERY_LOG_ENABLED=false",
			"INFLUXDB_LOGGING_LEVEL=warn",
			"INFLUXDB_MONITOR_STORE_ENABLED=false",
		),
	}
	t.Cleanup(i.Stop)
	i.Start()
	if err := i.Query("CREATE DATABASE " + i.Database); err != nil {
		t.Fatalf("influxd: %v", err)
	}
	return i
}

// Start (re)starts the process on the same port and data dirs and waits for /ping.
func (i *Influxd) Start() {
	i.t.Helper()
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.cmd != nil {
		return
	}
	logf, err := os.OpenFile(i.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		i.t.Fatalf("influxd log: %v", err)
	}
	defer func() { _ = logf.Close() }() // influxd writes through its own copy of the descriptor
	cmd := exec.Command(i.bin)
	cmd.Env = i.env
	cmd.Stdout = logf
	cmd.Stderr = logf
	// The port was just freed by a kill: retry a few times while the kernel lets go.
	for attempt := 0; ; attempt++ {
		if err := cmd.Start(); err != nil {
			i.t.Fatalf("start influxd: %v", err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		ctx, cancel := context.WithCancel(context.Background())
		werr := make(chan error, 1)
		go func() { werr <- WaitHTTP(ctx, i.URL+"/ping", 30*time.Second) }()
		select {
		case err := <-werr:
			cancel()
			if err != nil {
				_ = cmd.Process.Kill()
				exit := <-done
				i.t.Fatalf("influxd did not answer /ping: %v (killed: %v)\n%s", err, exit, i.Log())
			}
			i.cmd = cmd
			return
		case err := <-done:
			cancel()
			if werr := <-werr; werr != nil && !errors.Is(werr, context.Canceled) {
				err = fmt.Errorf("%w (and /ping: %w)", err, werr)
			}
			if attempt >= 20 {
				i.t.Fatalf("influxd exited: %v\n%s", err, i.Log())
			}
			time.Sleep(250 * time.Millisecond)
			cmd = exec.Command(i.bin)
			cmd.Env = i.env
			cmd.Stdout = logf
			cmd.Stderr = logf
		}
	}
}

// Stop kills the process with SIGKILL (an outage, not a shutdown) and waits until the
// port refuses connections.
func (i *Influxd) Stop() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.cmd == nil {
		return
	}
	_ = i.cmd.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		// Not the test's context: Stop also runs in cleanups, after it has ended.
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, i.URL+"/ping", nil)
		if err != nil {
			i.t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			break
		}
		_ = resp.Body.Close() // a ping has no body; it answered, so the port is still open
		time.Sleep(20 * time.Millisecond)
	}
	i.cmd = nil
}

// Query runs one InfluxQL statement through /query (CREATE DATABASE, SELECT ...) and
// returns an error when the server reports one.
func (i *Influxd) Query(q string) error {
	_, err := i.QueryJSON(q)
	return err
}

// QueryJSON runs one InfluxQL statement against the test database and returns the raw
// JSON answer.
func (i *Influxd) QueryJSON(q string) ([]byte, error) {
	form := url.Values{"q": {q}, "db": {i.Database}}
	// Not the test's context: cleanups query too, after it has ended.
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, i.URL+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", q, err)
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	if err = errors.Join(err, resp.Body.Close()); err != nil {
		return nil, fmt.Errorf("query %q: read the answer: %w", q, err)
	}
	if resp.StatusCode != http.StatusOK || strings.Contains(buf.String(), `"error"`) {
		return nil, fmt.Errorf("query %q: status %d: %s", q, resp.StatusCode, buf.String())
	}
	return buf.Bytes(), nil
}

// Log returns what the process wrote so far (for failure messages).
func (i *Influxd) Log() string {
	b, _ := os.ReadFile(i.logPath)
	return string(b)
}
