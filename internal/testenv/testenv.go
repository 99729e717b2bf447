// Package testenv finds and starts the real servers that tests talk to (Prometheus,
// Alertmanager, InfluxDB, Chromium, the duban binary itself). A missing binary skips the
// test locally with the command that installs it, and fails it when CI=true.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// InstallHint is the one command that installs every server the tests need.
const InstallHint = "./scripts/test.sh (it apt-installs prometheus, prometheus-alertmanager, prometheus-pushgateway, chromium, libreoffice-writer-nogui, libreoffice-calc-nogui, qemu-user-static, systemd and builds influxd 1.8.3 into .cache/bin)"

// CI reports whether the tests run in CI, where a missing server is a failure.
func CI() bool { return os.Getenv("CI") == "true" }

// RepoRoot returns the repository root (the folder holding go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// NeedBinary returns the path of a server binary, looked up in .cache/bin then PATH.
// Missing: skip locally, fail in CI.
func NeedBinary(t testing.TB, name string) string {
	t.Helper()
	cached := filepath.Join(RepoRoot(), ".cache", "bin", name)
	if st, err := os.Stat(cached); err == nil && !st.IsDir() {
		return cached
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if CI() {
		t.Fatalf("%s not found; install it with %s", name, InstallHint)
	}
	t.Skipf("%s not found; install it with %s", name, InstallHint)
	return ""
}

// FreeAddr returns a free 127.0.0.1:port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("free %s: %v", addr, err)
	}
	return addr
}

// WaitHTTP polls url until it answers 200 (or 204) or the timeout passes.
func WaitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	return waitHTTP(ctx, http.DefaultClient, url, timeout)
}

func waitHTTP(ctx context.Context, client *http.Client, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close() // only the status counts
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNoContent {
				return nil
			}
			last = fmt.Errorf("status %d", resp.StatusCode)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w (last: %w)", url, ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// DubanBinary builds ./cmd/duban once per test process and returns its path.
func DubanBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "duban-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "duban")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/duban")
		cmd.Dir = RepoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/duban: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// writeFiles writes files (name → content) under dir, creating folders.
func writeFiles(t testing.TB, dir string, files Files) {
	t.Helper()
	for k, v := range files {
		p := filepath.Join(dir, k)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// ReadBody reads an answer's body to the end and closes it; the test fails when either
// does.
func ReadBody(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err = errors.Join(err, resp.Body.Close()); err != nil {
		t.Fatalf("read the answer (%s): %v", resp.Status, err)
	}
	return b
}
