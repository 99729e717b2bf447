package api_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/http/board"
	"github.com/duban-gov/duban/collector/http/metrics"
)

// withEverything mounts what `duban serve` mounts: the board, /metrics (the real
// exporter) and the supervision routes.
func withEverything(t testing.TB) option {
	return func(c *api.Config) {
		b, err := board.New(board.Config{Source: c.Service.(board.Source)})
		if err != nil {
			t.Fatal(err)
		}
		c.Board = b
		m, err := metrics.Handler(metrics.Config{Source: c.Service.(metrics.Source)})
		if err != nil {
			t.Fatal(err)
		}
		c.Metrics = m
	}
}

// request sends a request with the given headers and returns the answer and its body.
func (f *fixture) request(method, path string, hdr map[string]string, body io.Reader) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
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
	return resp, b
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func basic(token string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("任意:"+token))}
}

// The read routes, by what they need: data (board, API reads, bulletins, templates),
// the scrape, and what stays open whatever auth.read says.
var (
	dataRoutes = []string{
		"/", "/api/v1/indicators", "/api/v1/indicators/57.1", "/api/v1/indicators/57.1/reports",
		"/api/v1/departments", "/api/v1/completeness", "/api/v1/bulletins/2026-Q1?format=html",
		"/api/v1/templates/rsj?period=2026-05",
	}
	scrapeRoutes = []string{"/metrics"}
	openRoutes   = []string{"/-/healthy", "/-/ready", "/api/v1/openapi.json", "/static/board.css"}
)

// TestReadAccess: auth.read applies to every read route alike; /metrics takes the scrape
// token too; the probes, the API description and the board's stylesheet stay open.
func TestReadAccess(t *testing.T) {
	type caller func(f *fixture) map[string]string
	anonymous := func(*fixture) map[string]string { return nil }
	cases := map[string]struct {
		read         api.ReadAccess
		who          caller
		data, scrape int
	}{
		"public: anyone reads everything":                         {api.ReadPublic, anonymous, 200, 200},
		"public: a wrong token is refused even where none needed": {api.ReadPublic, func(*fixture) map[string]string { return bearer("nope") }, 401, 401},
		"public: a scrape token scrapes and reads nothing else":   {api.ReadPublic, func(f *fixture) map[string]string { return bearer(f.scrape) }, 401, 200},
		"token: anonymous reads nothing":                          {api.ReadToken, anonymous, 401, 401},
		"token: a wrong token reads nothing":                      {api.ReadToken, func(*fixture) map[string]string { return bearer("nope") }, 401, 401},
		"token: a department token reads and scrapes":             {api.ReadToken, func(f *fixture) map[string]string { return bearer(f.tokens["rsj"]) }, 200, 200},
		"token: the admin token reads and scrapes":                {api.ReadToken, func(f *fixture) map[string]string { return bearer(f.admin) }, 200, 200},
		"token: a reader token reads and scrapes":                 {api.ReadToken, func(f *fixture) map[string]string { return bearer(f.reader) }, 200, 200},
		"token: a scrape token only scrapes":                      {api.ReadToken, func(f *fixture) map[string]string { return bearer(f.scrape) }, 401, 200},
		"token: a token as the password of basic auth":            {api.ReadToken, func(f *fixture) map[string]string { return basic(f.reader) }, 200, 200},
		"token: a wrong basic-auth password":                      {api.ReadToken, func(*fixture) map[string]string { return basic("nope") }, 401, 401},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, withEverything(t), func(c *api.Config) { c.Read = tc.read })
			f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": 18000})
			hdr := tc.who(f)
			check := func(path string, want int) {
				t.Helper()
				resp, body := f.request(http.MethodGet, path, hdr, nil)
				if resp.StatusCode != want {
					t.Errorf("GET %s: %d, want %d: %.200s", path, resp.StatusCode, want, body)
					return
				}
				if want != http.StatusUnauthorized {
					return
				}
				challenges := strings.Join(resp.Header.Values("WWW-Authenticate"), ", ")
				if !strings.Contains(challenges, `Basic realm="duban"`) {
					t.Errorf("GET %s: 401 without the Basic challenge a browser prompts for: %q", path, challenges)
				}
				if path == "/" {
					return // the board answers people in text
				}
				var e pushAnswer
				if err := json.Unmarshal(body, &e); err != nil || e.Error == nil || e.Error.Code != "unauthorized" {
					t.Errorf("GET %s: 401 body %s, want the error envelope with code unauthorized", path, body)
				}
				if !strings.Contains(challenges, `Bearer realm="duban"`) {
					t.Errorf("GET %s: 401 without the Bearer challenge: %q", path, challenges)
				}
			}
			for _, p := range dataRoutes {
				check(p, tc.data)
			}
			for _, p := range scrapeRoutes {
				check(p, tc.scrape)
			}
			for _, p := range openRoutes {
				check(p, http.StatusOK)
			}
		})
	}
}

// TestBoardTakesTheTokenAsABrowserSendsIt: with auth.read: token the board asks for the
// token (Basic challenge: the browser prompts, the token is the password) or takes it
// as ?token=, which its links keep; ?token= opens the board only, not the API.
func TestBoardTakesTheTokenAsABrowserSendsIt(t *testing.T) {
	f := newFixture(t, withEverything(t), func(c *api.Config) { c.Read = api.ReadToken })
	cases := map[string]struct {
		path string
		hdr  func() map[string]string
		code int
	}{
		"the board without a token asks for one":          {"/", nil, 401},
		"the board with the token as password":            {"/?department=rsj", func() map[string]string { return basic(f.tokens["fgw"]) }, 200},
		"the board with ?token=":                          {"/?department=rsj&token=" + f.reader, nil, 200},
		"the board with a wrong ?token=":                  {"/?token=nope", nil, 401},
		"the board with a scrape token":                   {"/?token=" + f.scrape, nil, 401},
		"?token= does not open the API":                   {"/api/v1/indicators?token=" + f.reader, nil, 401},
		"the stylesheet needs no token":                   {"/static/board.css", nil, 200},
		"an unknown API path is still a 404 for a reader": {"/api/v1/nope", func() map[string]string { return bearer(f.reader) }, 404},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var hdr map[string]string
			if tc.hdr != nil {
				hdr = tc.hdr()
			}
			resp, body := f.request(http.MethodGet, tc.path, hdr, nil)
			if resp.StatusCode != tc.code {
				t.Fatalf("%d, want %d: %.300s", resp.StatusCode, tc.code, body)
			}
			if tc.code == 401 && !strings.HasPrefix(tc.path, "/api/") && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("the board's 401 has no Basic challenge: %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// The board's links keep ?token= so that a person can click on.
	_, body := f.request(http.MethodGet, "/?token="+f.reader, nil, nil)
	if !strings.Contains(string(body), "token="+f.reader) {
		t.Error("the board's links lose ?token=")
	}
}

// TestReadOnlyTokensCannotPush: reader and scrape tokens answer 403 read_only_token on
// a push, and nothing is stored.
func TestReadOnlyTokensCannotPush(t *testing.T) {
	f := newFixture(t)
	for name, tok := range map[string]string{"a reader token": f.reader, "a scrape token": f.scrape} {
		t.Run(name, func(t *testing.T) {
			resp, ans := f.push(tok, map[string]any{"indicator": "57.1", "period": "2026-05", "value": 1})
			if resp.StatusCode != http.StatusForbidden || ans.Error == nil || ans.Error.Code != "read_only_token" {
				t.Fatalf("%d %+v, want 403 read_only_token", resp.StatusCode, ans.Error)
			}
			if n := f.stored(); n != 0 {
				t.Fatalf("%d revisions stored", n)
			}
		})
	}
}

// TestRemoteAddressesOnlyForTheAdmin: the address a report came from is in the
// revisions the admin token reads, and nowhere else: not for departments, readers or
// anonymous callers, and never on the board, the bulletins, completeness or /metrics.
func TestRemoteAddressesOnlyForTheAdmin(t *testing.T) {
	const remote = "203.0.113.77" // TEST-NET-3: appears nowhere but as the pushing client
	f := newFixture(t, withEverything(t), func(c *api.Config) { c.TrustedProxies = []string{"127.0.0.1", "::1"} })
	hdr := bearer(f.tokens["rsj"])
	hdr["X-Forwarded-For"] = remote
	hdr["Content-Type"] = "application/json"
	if resp, body := f.request(http.MethodPost, "/api/v1/reports", hdr,
		strings.NewReader(`{"reports":[{"indicator":"57.1","period":"2026-05","value":18000,"note":"1-5月"}]}`)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("push: %d %s", resp.StatusCode, body)
	}
	revisionRoutes := []string{"/api/v1/indicators/57.1/reports", "/api/v1/indicators/57.1"}
	elsewhere := []string{"/", "/?department=rsj", "/api/v1/indicators", "/api/v1/completeness?period=2026-05",
		"/api/v1/bulletins/2026-Q2?format=md", "/api/v1/bulletins/2026-Q2?format=html", "/metrics"}
	cases := map[string]struct {
		hdr       map[string]string
		seesThere bool // on the revision routes
	}{
		"anonymous":                             {nil, false},
		"the department":                        {bearer(f.tokens["rsj"]), false},
		"another department":                    {bearer(f.tokens["fgw"]), false},
		"a reader":                              {bearer(f.reader), false},
		"the admin":                             {bearer(f.admin), true},
		"the admin by basic auth, as a browser": {basic(f.admin), true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, p := range revisionRoutes {
				resp, body := f.request(http.MethodGet, p, tc.hdr, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d", p, resp.StatusCode)
				}
				if got := strings.Contains(string(body), remote); got != tc.seesThere {
					t.Errorf("GET %s shows the remote address: %v, want %v", p, got, tc.seesThere)
				}
			}
			for _, p := range elsewhere {
				resp, body := f.request(http.MethodGet, p, tc.hdr, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d", p, resp.StatusCode)
				}
				if strings.Contains(string(body), remote) {
					t.Errorf("GET %s shows the remote address", p)
				}
			}
		})
	}
	// Hidden in answers, kept in the store: the audit trail still has it.
	h, err := f.store.History(t.Context(), f.cat.Plan.ID, "57.1")
	if err != nil || len(h) != 1 || h[0].Remote != remote {
		t.Fatalf("stored history %+v %v: the remote address must be kept", h, err)
	}
}
