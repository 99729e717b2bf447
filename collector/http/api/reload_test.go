package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/api"
)

// authWith builds the fixture's tokens with the department tokens of replace instead
// of its own (an empty token removes the department's).
func (f *fixture) authWith(replace map[string]string) *auth.Authenticator {
	f.t.Helper()
	var toks []auth.Token
	for id, tok := range f.tokens {
		if r, ok := replace[id]; ok {
			tok = r
		}
		if tok != "" {
			toks = append(toks, auth.Token{Department: id, SHA256: auth.Hash(tok)})
		}
	}
	toks = append(toks, auth.Token{Role: auth.RoleAdmin, SHA256: auth.Hash(f.admin)},
		auth.Token{Role: auth.RoleReader, SHA256: auth.Hash(f.reader)},
		auth.Token{Role: auth.RoleMetrics, SHA256: auth.Hash(f.scrape)})
	a, err := auth.New(auth.Config{Tokens: toks})
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// TestReloadEndpoint: POST /-/reload is the admin's; it answers what the reload did,
// or 500 reload_failed with the reason. Every answer is validated against the OpenAPI
// document like every other.
func TestReloadEndpoint(t *testing.T) {
	errBad := errors.New("read config /etc/duban/duban.yaml: yaml: line 7: did not find expected key")
	ok := func(context.Context) (api.ReloadResult, error) {
		return api.ReloadResult{Applied: []string{"auth.tokens"}, RestartRequired: []string{"listen"}}, nil
	}
	failing := func(context.Context) (api.ReloadResult, error) { return api.ReloadResult{}, errBad }
	cases := map[string]struct {
		reload  api.ReloadFunc
		token   func(f *fixture) string
		method  string
		status  int
		code    string
		contain string
	}{
		"the admin reloads and reads what was applied": {reload: ok, token: func(f *fixture) string { return f.admin },
			status: http.StatusOK, contain: `{"applied":["auth.tokens"],"restart_required":["listen"]}`},
		"a refused file answers 500 with the reason": {reload: failing, token: func(f *fixture) string { return f.admin },
			status: http.StatusInternalServerError, code: "reload_failed", contain: "line 7: did not find expected key"},
		"without a token: 401":  {reload: ok, token: func(*fixture) string { return "" }, status: http.StatusUnauthorized, code: "unauthorized"},
		"an unknown token: 401": {reload: ok, token: func(*fixture) string { return "nope" }, status: http.StatusUnauthorized, code: "unauthorized"},
		"a department's token: 403": {reload: ok, token: func(f *fixture) string { return f.tokens["rsj"] },
			status: http.StatusForbidden, code: "admin_only"},
		"a reader token: 403": {reload: ok, token: func(f *fixture) string { return f.reader }, status: http.StatusForbidden, code: "admin_only"},
		"a collector without reloads: 501": {token: func(f *fixture) string { return f.admin },
			status: http.StatusNotImplemented, code: "reload_unavailable"},
		"GET is not a reload: 405": {reload: ok, method: http.MethodGet, token: func(f *fixture) string { return f.admin },
			status: http.StatusMethodNotAllowed, code: "method_not_allowed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			calls := 0
			f := newFixture(t, func(cfg *api.Config) {
				if c.reload != nil {
					cfg.Reload = func(ctx context.Context) (api.ReloadResult, error) { calls++; return c.reload(ctx) }
				}
			})
			method := c.method
			if method == "" {
				method = http.MethodPost
			}
			var ans pushAnswer
			resp := f.do(method, "/-/reload", c.token(f), "", nil)
			if resp.StatusCode != c.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, f.lastBody, c.status)
			}
			if c.code != "" {
				if err := json.Unmarshal(f.lastBody, &ans); err != nil || ans.Error == nil || ans.Error.Code != c.code {
					t.Fatalf("answer %s, want error code %s", f.lastBody, c.code)
				}
			}
			if !strings.Contains(string(f.lastBody), c.contain) {
				t.Errorf("answer %s lacks %q", f.lastBody, c.contain)
			}
			if want := c.status == http.StatusOK || c.status == http.StatusInternalServerError; (calls == 1) != want {
				t.Errorf("the reload ran %d times", calls)
			}
		})
	}
}

// TestARemovedTokenIsRefusedOnAKeptAliveConnection: once the live authenticator no
// longer has a token, the next request with it is 401, on the very connection that
// carried its accepted push; the token that replaced it works at once.
func TestARemovedTokenIsRefusedOnAKeptAliveConnection(t *testing.T) {
	f := newFixture(t)
	// One connection at most: a request waits for it rather than dial while the answer
	// before it is being put back.
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	send := func(method, path, token, body string) (int, bool) {
		t.Helper()
		var reused bool
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }})
		req, _ := http.NewRequestWithContext(ctx, method, f.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body) // read to the end, or the connection is not kept
		_ = resp.Body.Close()
		return resp.StatusCode, reused
	}
	push := `{"reports":[{"indicator":"57.1","period":"2026-05","value":1}]}`
	if code, _ := send(http.MethodPost, "/api/v1/reports", f.tokens["rsj"], push); code != http.StatusCreated {
		t.Fatalf("rsj's push before the reload: %d", code)
	}
	rotated, _ := auth.Generate()
	f.auth.Store(f.authWith(map[string]string{"rsj": rotated}))
	// In this order: a push refused before its body was read closes the connection.
	for _, r := range []struct{ name, method, path, body string }{
		{"a read", http.MethodGet, "/api/v1/indicators/57.1", ""},
		{"the board", http.MethodGet, "/", ""},
		{"a push", http.MethodPost, "/api/v1/reports", push},
	} {
		code, reused := send(r.method, r.path, f.tokens["rsj"], r.body)
		if code != http.StatusUnauthorized {
			t.Errorf("%s with the removed token: %d, want 401", r.name, code)
		}
		if !reused {
			t.Errorf("%s did not go over the kept-alive connection; the test proves nothing", r.name)
		}
	}
	if code, _ := send(http.MethodPost, "/api/v1/reports", rotated, `{"reports":[{"indicator":"57.1","period":"2026-05","value":2}]}`); code != http.StatusCreated {
		t.Fatalf("the new token of rsj: %d, want 201", code)
	}
}

// TestApplyChangesWhatTheNextRequestsMeet: each live setting, applied while the API
// serves, holds from the next request on; an invalid one changes nothing.
func TestApplyChangesWhatTheNextRequestsMeet(t *testing.T) {
	push := func(f *fixture, period string, note string) (int, string) {
		resp, ans := f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": period, "value": 1, "note": note})
		if ans.Error != nil {
			return resp.StatusCode, ans.Error.Code
		}
		return resp.StatusCode, ""
	}
	cases := map[string]struct {
		settings api.Settings
		invalid  bool
		before   func(f *fixture) (int, string)
		after    func(f *fixture) (int, string)
		want     [2]int
		wantCode string
	}{
		"a rate limit holds from the next push": {
			settings: api.Settings{RatePerSecond: 0.001, RateBurst: 1},
			before:   func(f *fixture) (int, string) { return push(f, "2026-03", "") },
			after: func(f *fixture) (int, string) {
				if code, _ := push(f, "2026-04", ""); code != http.StatusCreated {
					return code, "first push within the burst"
				}
				return push(f, "2026-05", "")
			},
			want: [2]int{http.StatusCreated, http.StatusTooManyRequests}, wantCode: "rate_limited",
		},
		"a smaller body limit holds from the next push": {
			settings: api.Settings{RatePerSecond: -1, MaxBodyBytes: 200},
			before:   func(f *fixture) (int, string) { return push(f, "2026-03", strings.Repeat("说明", 40)) },
			after:    func(f *fixture) (int, string) { return push(f, "2026-04", strings.Repeat("说明", 40)) },
			want:     [2]int{http.StatusCreated, http.StatusRequestEntityTooLarge}, wantCode: "body_too_large",
		},
		"reads closed to anonymous callers": {
			settings: api.Settings{RatePerSecond: -1, Read: api.ReadToken},
			before: func(f *fixture) (int, string) {
				return f.do(http.MethodGet, "/api/v1/departments", "", "", nil).StatusCode, ""
			},
			after: func(f *fixture) (int, string) {
				var ans pushAnswer
				resp := f.do(http.MethodGet, "/api/v1/departments", "", "", &ans)
				if ans.Error == nil {
					return resp.StatusCode, ""
				}
				return resp.StatusCode, ans.Error.Code
			},
			want: [2]int{http.StatusOK, http.StatusUnauthorized}, wantCode: "unauthorized",
		},
		"an origin allowed for browsers": {
			settings: api.Settings{RatePerSecond: -1, CORSOrigins: []string{"https://board.example"}},
			before:   func(f *fixture) (int, string) { return preflight(f) },
			after:    func(f *fixture) (int, string) { return preflight(f) },
			want:     [2]int{http.StatusOK, http.StatusOK}, wantCode: "https://board.example",
		},
		"a share above one half is refused and changes nothing": {
			settings: api.Settings{RatePerSecond: 0.001, RateBurst: 1, TokenShare: 0.9}, invalid: true,
			before: func(f *fixture) (int, string) { return push(f, "2026-03", "") },
			after: func(f *fixture) (int, string) {
				push(f, "2026-04", "")
				return push(f, "2026-05", "")
			},
			want: [2]int{http.StatusCreated, http.StatusCreated},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			if code, _ := c.before(f); code != c.want[0] {
				t.Fatalf("before Apply: %d, want %d", code, c.want[0])
			}
			if err := f.api.Apply(c.settings); (err != nil) != c.invalid {
				t.Fatalf("Apply: %v", err)
			}
			if code, what := c.after(f); code != c.want[1] || what != c.wantCode {
				t.Fatalf("after Apply: %d %q, want %d %q", code, what, c.want[1], c.wantCode)
			}
		})
	}
}

// preflight asks, as a browser does, whether https://board.example may read; it returns
// the status and the origin allowed ("" for none).
func preflight(f *fixture) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, f.url+"/api/v1/departments", nil)
	req.Header.Set("Origin", "https://board.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	_ = resp.Body.Close() // only the status and headers are looked at
	return resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin")
}

// TestInFlightRequestsStillCountAfterAReload: a token holding its whole share keeps
// holding it across a reload that adds a token before it (its position moves) and
// changes the limits; a token new in the reload gets its own share.
func TestInFlightRequestsStillCountAfterAReload(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 8)
	f := newFixture(t, func(c *api.Config) {
		c.MaxConcurrent, c.TokenShare = 8, 0.25 // 2 per token
		api.WithTestRoutes(c, func(r gin.IRouter) {
			r.GET("/api/v1/slow", func(c *gin.Context) { entered <- struct{}{}; <-release; c.Status(http.StatusOK) })
		})
	})
	get := func(token string) int {
		resp, _ := f.request(http.MethodGet, "/api/v1/slow", bearer(token), nil)
		return resp.StatusCode
	}
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Go(func() { codes <- get(f.tokens["rsj"]) })
	}
	<-entered
	<-entered
	added, _ := auth.Generate()
	toks := []auth.Token{{Department: "fgw", SHA256: auth.Hash(added)}} // first: every position moves
	for id, tok := range f.tokens {
		toks = append(toks, auth.Token{Department: id, SHA256: auth.Hash(tok)})
	}
	toks = append(toks, auth.Token{Role: auth.RoleAdmin, SHA256: auth.Hash(f.admin)})
	a, err := auth.New(auth.Config{Tokens: toks})
	if err != nil {
		t.Fatal(err)
	}
	f.auth.Store(a)
	if err := f.api.Apply(api.Settings{RatePerSecond: -1, MaxConcurrent: 8, TokenShare: 0.25, MaxBodyBytes: 1 << 19}); err != nil {
		t.Fatal(err)
	}
	var ans pushAnswer
	if resp := f.do(http.MethodGet, "/api/v1/departments", f.tokens["rsj"], "", &ans); resp.StatusCode != http.StatusServiceUnavailable || ans.Error.Code != "overloaded" {
		t.Fatalf("rsj, still holding its share across the reload: %d %+v, want 503 overloaded", resp.StatusCode, ans.Error)
	}
	if resp := f.do(http.MethodGet, "/api/v1/departments", added, "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("the token added by the reload: %d, want 200", resp.StatusCode)
	}
	close(release)
	wg.Wait()
	for range 2 {
		if c := <-codes; c != http.StatusOK {
			t.Fatalf("a request in flight across the reload finished with %d", c)
		}
	}
	if resp := f.do(http.MethodGet, "/api/v1/departments", f.tokens["rsj"], "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("rsj once its requests finished: %d, want 200 (its slots given back)", resp.StatusCode)
	}
	if s := f.api.Settings(); s.MaxBodyBytes != 1<<19 || !slices.Equal(s.CORSOrigins, nil) {
		t.Fatalf("Settings() = %+v", s)
	}
}
