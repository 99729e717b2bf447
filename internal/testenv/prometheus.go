package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ReadyTimeout bounds how long a started server may take to answer /-/ready.
const ReadyTimeout = 60 * time.Second

// Server is a real server process started for one test.
type Server struct {
	Name string // binary name, for messages
	Addr string // 127.0.0.1:port
	URL  string // http://127.0.0.1:port
	Dir  string // temp dir holding its config and data

	log Buffer
}

// Log returns what the process wrote so far (stdout and stderr).
func (s *Server) Log() string { return s.log.String() }

// Files are written into the server's temp dir before it starts (name → content);
// relative paths in the config (rule_files) resolve against that dir.
type Files map[string]string

// StartPrometheus starts the real Prometheus on a free 127.0.0.1 port with config (the
// prometheus.yml text) and files written next to it, a temp TSDB, and waits for
// /-/ready. The process is killed when the test ends; its log is printed if the test
// failed.
func StartPrometheus(t testing.TB, config string, files Files) *Server {
	t.Helper()
	bin := NeedBinary(t, "prometheus")
	s := newServer(t, "prometheus", config, "prometheus.yml", files)
	start(t, s, bin,
		"--config.file="+filepath.Join(s.Dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(s.Dir, "data"),
		"--web.listen-address="+s.Addr,
		"--web.enable-lifecycle",
		"--log.level=info",
	)
	return s
}

// StartAlertmanager starts the real Alertmanager (Debian's prometheus-alertmanager)
// on a free 127.0.0.1 port with config (the alertmanager.yml text), clustering off, a
// temp data dir, and waits for /-/ready; args are added to its flags (a deployment's
// --data.retention). Killed when the test ends.
func StartAlertmanager(t testing.TB, config string, files Files, args ...string) *Server {
	t.Helper()
	bin := alertmanagerBinary(t)
	s := newServer(t, "alertmanager", config, "alertmanager.yml", files)
	start(t, s, bin, append([]string{
		"--config.file=" + filepath.Join(s.Dir, "alertmanager.yml"),
		"--storage.path=" + filepath.Join(s.Dir, "data"),
		"--web.listen-address=" + s.Addr,
		"--cluster.listen-address=",
		"--log.level=info",
	}, args...)...)
	return s
}

func alertmanagerBinary(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return NeedBinary(t, "prometheus-alertmanager")
}

func newServer(t testing.TB, name, config, configName string, files Files) *Server {
	t.Helper()
	dir := t.TempDir()
	addr := FreeAddr(t)
	s := &Server{Name: name, Addr: addr, URL: "http://" + addr, Dir: dir}
	all := Files{configName: config}
	for k, v := range files {
		all[k] = v
	}
	writeFiles(t, dir, all)
	return s
}

func start(t testing.TB, s *Server, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.Dir
	cmd.Stdout = &s.log
	cmd.Stderr = &s.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", s.Name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s log:\n%s", s.Name, tail(s.Log(), 4000))
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := WaitHTTP(ctx, s.URL+"/-/ready", ReadyTimeout); err != nil {
		t.Fatalf("%s did not become ready: %v\n%s", s.Name, err, tail(s.Log(), 4000))
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// QueryResult is the data of a successful Prometheus instant query.
type QueryResult struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

// Sample is one element of a vector result.
type Sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"` // [unix seconds, "value"]
}

// Query runs an instant PromQL query; a query Prometheus rejects (bad PromQL) is an
// error carrying Prometheus' message.
func (s *Server) Query(ctx context.Context, expr string) (QueryResult, error) {
	u := s.URL + "/api/v1/query?" + url.Values{"query": {expr}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return QueryResult{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return QueryResult{}, fmt.Errorf("query %s: %w", s.Name, err)
	}
	b, err := io.ReadAll(resp.Body)
	if err = errors.Join(err, resp.Body.Close()); err != nil {
		return QueryResult{}, fmt.Errorf("query %s: %w", s.Name, err)
	}
	var body struct {
		Status    string      `json:"status"`
		Data      QueryResult `json:"data"`
		ErrorType string      `json:"errorType"`
		Error     string      `json:"error"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return QueryResult{}, fmt.Errorf("query %q: %w: %s", expr, err, strings.TrimSpace(string(b)))
	}
	if body.Status != "success" {
		return QueryResult{}, fmt.Errorf("query %q: %s: %s", expr, body.ErrorType, body.Error)
	}
	return body.Data, nil
}

// Vector runs an instant query that returns a vector.
func (s *Server) Vector(ctx context.Context, expr string) ([]Sample, error) {
	r, err := s.Query(ctx, expr)
	if err != nil {
		return nil, err
	}
	if r.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: result is a %s, not a vector", expr, r.ResultType)
	}
	var out []Sample
	if err := json.Unmarshal(r.Result, &out); err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	return out, nil
}

// Reload asks Prometheus or Alertmanager to reread its configuration (POST /-/reload;
// Prometheus is started with --web.enable-lifecycle).
func (s *Server) Reload(ctx context.Context) (err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/-/reload", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reload %s: %w", s.Name, err)
	}
	defer func() { err = errors.Join(err, resp.Body.Close()) }()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("reload %s: %s %s", s.Name, resp.Status, strings.TrimSpace(string(b)))
	}
	return nil
}
