package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/api"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// now is the fixed service clock of the tests: mid-June 2026 in the plan's zone.
var now = time.Date(2026, 6, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

type fixture struct {
	t      testing.TB
	url    string
	svc    *collector.Service
	store  collector.Store
	cat    *indicators.Catalog
	tokens map[string]string // department id → token
	admin  string
	reader string // {role: reader}: reads, never pushes
	scrape string // {role: metrics}: /metrics only
	auth   *auth.Authenticator
	logs   *syncBuffer

	lastBody []byte // body of the last answer of do
}

type option func(*api.Config)

func loadCatalog(t testing.TB, rel string) *indicators.Catalog {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// newFixture serves the API over the mini catalog with a real bbolt store in a temp dir,
// one token per department and one admin token.
func newFixture(t *testing.T, opts ...option) *fixture {
	return newFixtureCatalog(t, loadCatalog(t, "indicators/testdata/mini.yaml"), opts...)
}

func newFixtureCatalog(t testing.TB, cat *indicators.Catalog, opts ...option) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := boltstore.Open(ctx, boltstore.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, store: st, cat: cat, tokens: map[string]string{}, logs: &syncBuffer{}}
	var toks []auth.Token
	for _, d := range cat.Departments {
		tok, err := auth.Generate()
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[d.ID] = tok
		toks = append(toks, auth.Token{Department: d.ID, SHA256: auth.Hash(tok)})
	}
	f.admin, _ = auth.Generate()
	f.reader, _ = auth.Generate()
	f.scrape, _ = auth.Generate()
	toks = append(toks, auth.Token{Role: auth.RoleAdmin, SHA256: auth.Hash(f.admin)},
		auth.Token{Role: auth.RoleReader, SHA256: auth.Hash(f.reader)},
		auth.Token{Role: auth.RoleMetrics, SHA256: auth.Hash(f.scrape)})
	a, err := auth.New(auth.Config{Tokens: toks})
	if err != nil {
		t.Fatal(err)
	}
	f.auth = a
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.svc, err = collector.NewService(ctx, collector.ServiceConfig{
		Catalog: cat, Store: st, Logger: logger, Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Service: f.svc, Auth: a, Logger: logger, RatePerSecond: -1}
	for _, o := range opts {
		o(&cfg)
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (f *fixture) do(method, path, token, body string, out any) *http.Response {
	f.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	f.lastBody = b
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("%s %s: %d, not JSON: %v\n%s", method, path, resp.StatusCode, err, b)
		}
	}
	return resp
}

func (f *fixture) push(token string, reports ...map[string]any) (*http.Response, pushAnswer) {
	f.t.Helper()
	b, _ := json.Marshal(map[string]any{"reports": reports})
	var ans pushAnswer
	resp := f.do(http.MethodPost, "/api/v1/reports", token, string(b), &ans)
	return resp, ans
}

type pushAnswer struct {
	Accepted int                  `json:"accepted"`
	Replayed int                  `json:"replayed"`
	Receipts []indicators.Receipt `json:"receipts"`
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Index   *int   `json:"index"`
		Field   string `json:"field"`
	} `json:"error"`
}

// stored counts every revision of every indicator in the store.
func (f *fixture) stored() int {
	f.t.Helper()
	n := 0
	for _, id := range f.cat.TargetIDs() {
		h, err := f.store.History(context.Background(), id)
		if err != nil {
			f.t.Fatal(err)
		}
		n += len(h)
	}
	return n
}

// syncBuffer collects logs written by the server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func num(v float64) *float64 { return &v }
