package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// standalone is a `duban serve` started in a directory of its own (testenv.Serve),
// with the environment stripped of DUBAN_* variables so that only its arguments and
// files count.
type standalone struct {
	*testenv.Serve
	t   *testing.T
	dir string
	url string
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DUBAN_") {
			env = append(env, kv)
		}
	}
	return env
}

// startIn runs bin serve args... in dir, on a free port, and waits for /-/ready.
func startIn(t *testing.T, dir, bin string, args ...string) *standalone {
	t.Helper()
	srv := testenv.StartServe(t, testenv.ServeOptions{
		Command: []string{bin}, Args: append([]string{"serve"}, args...), Listen: true,
		Dir: dir, Env: cleanEnv(), Timeout: 20 * time.Second,
	})
	return &standalone{Serve: srv, t: t, dir: dir, url: srv.URL}
}

// post sends a JSON body with a token and returns the status and the body.
func (s *standalone) post(token, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/api/v1/reports", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *standalone) getJSON(path string, v any) {
	s.t.Helper()
	resp, err := http.Get(s.url + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		s.t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
}

// copyBinary copies the duban binary alone into dir.
func copyBinary(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(testenv.DubanBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "duban")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// reportFor is a valid report of target g for a recent month.
func reportFor(g *indicators.Target, key string) string {
	r := map[string]any{"indicator": g.ID, "period": "2026-09", "idempotency_key": key}
	if g.Measure == indicators.Milestone {
		r["stage"] = "started"
	} else {
		r["value"] = 1
	}
	b, _ := json.Marshal(map[string]any{"reports": []any{r}})
	return string(b)
}

// TestBinaryRunsFromAnEmptyDirectory: the binary copied alone into an empty directory
// (no catalog, templates or configuration beside it) serves the shipped catalog from
// inside itself, accepts a push and keeps it under ./data; its /metrics names the same
// build as `duban version`.
func TestBinaryRunsFromAnEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	bin := copyBinary(t, dir)
	out, err := exec.Command(bin, "token", "create", "--department", "rsj").Output()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^token: (\S+)\n#.*\n(    - \{department: rsj, sha256: [0-9a-f]{64}\})$`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("token create printed %q", out)
	}
	if err := os.WriteFile(filepath.Join(dir, "duban.yaml"), []byte("auth:\n  tokens:\n"+m[2]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("the directory holds %d entries, want the binary and its configuration", len(entries))
	}
	s := startIn(t, dir, "./duban", "--config", "duban.yaml")

	var list struct {
		Plan       string
		Indicators []struct{ ID string }
	}
	s.getJSON("/api/v1/indicators", &list)
	if list.Plan != "changzhi-2026" || len(list.Indicators) != 211 {
		t.Fatalf("serves plan %q with %d indicators, want the shipped changzhi-2026 with 211", list.Plan, len(list.Indicators))
	}
	if code, body := s.post(m[1], `{"reports":[{"indicator":"57.1","period":"2026-09","value":31000}]}`); code != http.StatusCreated {
		t.Fatalf("push: %d %s", code, body)
	}
	var hist struct{ Revisions []indicators.Revision }
	s.getJSON("/api/v1/indicators/57.1/reports", &hist)
	if len(hist.Revisions) != 1 || hist.Revisions[0].Value == nil || *hist.Revisions[0].Value != 31000 {
		t.Fatalf("read back %+v", hist.Revisions)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err != nil {
		t.Fatalf("the store is not under ./data of the working directory: %v", err)
	}
	for _, path := range []string{"/", "/api/v1/openapi.json"} {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		testenv.ReadBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s (embedded assets missing?)", path, resp.Status)
		}
	}

	var v map[string]string
	vout, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(vout, &v); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics := testenv.ReadBody(t, resp)
	want := fmt.Sprintf(`duban_build_info{build_date=%q,goversion=%q,revision=%q,version=%q} 1`, v["build_date"], v["go_version"], v["commit"], v["version"])
	if !bytes.Contains(metrics, []byte(want)) {
		t.Errorf("/metrics lacks %s", want)
	}
}
