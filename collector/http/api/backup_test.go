package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/store/boltstore"
)

// GET /-/backup: the admin token gets the store file, which passes Check and holds
// what was pushed; anyone else gets the error envelope and no byte of the store.
func TestBackup(t *testing.T) {
	var st *boltstore.Store
	f := newFixture(t, func(c *api.Config) {
		c.Backup = func(ctx context.Context, w io.Writer, size func(int64)) (int64, error) {
			return st.Backup(ctx, w, size)
		}
	})
	st = f.store.(*boltstore.Store)
	if resp, _ := f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-03", "value": 11800}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("push: %d", resp.StatusCode)
	}
	noBackup := newFixture(t)
	cases := map[string]struct {
		f      *fixture
		token  func() string
		status int
		code   string
	}{
		"no token":             {f, func() string { return "" }, http.StatusUnauthorized, "unauthorized"},
		"a department token":   {f, func() string { return f.tokens["rsj"] }, http.StatusForbidden, "admin_only"},
		"a store with no copy": {noBackup, func() string { return noBackup.admin }, http.StatusNotImplemented, "backup_unavailable"},
		"the admin token":      {f, func() string { return f.admin }, http.StatusOK, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, c.f.url+"/-/backup", nil)
			if tok := c.token(); tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, c.status, body)
			}
			if c.code != "" {
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != c.code || e.Error.Message == "" {
					t.Fatalf("answer %.200s, want the envelope with code %s", body, c.code)
				}
				return
			}
			if resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) || resp.Header.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("headers %v for %d bytes", resp.Header, len(body))
			}
			dir := t.TempDir()
			path := filepath.Join(dir, boltstore.FileName)
			if err := os.WriteFile(path, body, 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := boltstore.Check(context.Background(), boltstore.CheckConfig{Path: path})
			if err != nil || !rep.Healthy() || rep.Records != 1 {
				t.Fatalf("the copy: %+v, %v", rep, err)
			}
		})
	}
}
