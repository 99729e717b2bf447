package workspace_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/http/board"
	"github.com/duban-gov/duban/collector/http/workspace"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// now: April 5th 2026 in the plan's zone: March is being collected (due April 10th).
var now = time.Date(2026, 4, 5, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// rig is the collector as `duban serve` wires it, in process: the real embedded store,
// the service, the API's router with the board and the workspace mounted, on an
// httptest server. The authenticator can be swapped as a reload would, and the
// sessions' clock moved.
type rig struct {
	t      *testing.T
	svc    *collector.Service
	srv    *httptest.Server
	tokens map[string]string // fgw, rsj, admin, reader, metrics
	hashes map[string]string
	live   *auth.Live // the token list in force; setTokens swaps it as a reload does
	ws     *workspace.Workspace

	mu    sync.Mutex
	clock time.Time // the sessions' and sign-in limits' clock
}

type rigOption func(*workspace.Config, *api.Config)

func newRig(t *testing.T, opts ...rigOption) *rig {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "testdata", "mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, tokens: map[string]string{}, hashes: map[string]string{}, clock: time.Date(2026, 4, 5, 1, 0, 0, 0, time.UTC)}
	r.svc, err = collector.NewService(context.Background(), collector.ServiceConfig{Catalog: cat, Store: testenv.Store(t), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var toks []auth.Token
	for _, who := range []string{"fgw", "rsj", "admin", "reader", "metrics"} {
		tok, h := testenv.Token(t)
		r.tokens[who], r.hashes[who] = tok, h
		switch who {
		case "admin", "reader", "metrics":
			toks = append(toks, auth.Token{Role: who, SHA256: h})
		default:
			toks = append(toks, auth.Token{Department: who, SHA256: h})
		}
	}
	r.setTokens(toks)
	wcfg := workspace.Config{
		Service: r.svc, Auth: r.live.Load, ClientIP: api.ClientIP,
		LoginFailures: 3, LoginFailuresPerMinute: 6, Now: r.now,
	}
	b, err := board.New(board.Config{Source: r.svc})
	if err != nil {
		t.Fatal(err)
	}
	acfg := api.Config{Service: r.svc, Auth: r.live, Board: b, TrustedProxies: []string{"127.0.0.1"}}
	for _, o := range opts {
		o(&wcfg, &acfg)
	}
	if r.ws, err = workspace.New(wcfg); err != nil {
		t.Fatal(err)
	}
	acfg.Workspace = r.ws
	h, err := api.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rig) now() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clock
}

func (r *rig) advance(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clock = r.clock.Add(d)
}

func (r *rig) setTokens(toks []auth.Token) {
	r.t.Helper()
	a, err := auth.New(auth.Config{Tokens: toks})
	if err != nil {
		r.t.Fatal(err)
	}
	if r.live == nil {
		r.live = auth.NewLive(a)
		return
	}
	r.live.Store(a)
}

// browser is one browser: its own cookies, redirects not followed, an address of its
// own (X-Forwarded-For through the trusted proxy 127.0.0.1).
type browser struct {
	r    *rig
	c    *http.Client
	addr string
}

func (r *rig) browser(addr string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{r: r, addr: addr, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn signs a new browser in as who and fails the test unless it lands on its page.
func (r *rig) signIn(who string) *browser {
	r.t.Helper()
	b := r.browser("10.0.0." + string(rune('1'+len(who)%8)))
	resp, _ := b.post("/login", url.Values{"token": {r.tokens[who]}})
	if resp.StatusCode != http.StatusSeeOther {
		r.t.Fatalf("sign in as %s: %s", who, resp.Status)
	}
	return b
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.r.t.Helper()
	if b.addr != "" {
		req.Header.Set("X-Forwarded-For", b.addr)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.r.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	b.r.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.r.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values, header ...string) (*http.Response, string) {
	b.r.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.r.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// upload posts a multipart form with the file in "file" and the fields.
func (b *browser) upload(name string, file []byte, fields url.Values) (*http.Response, string) {
	b.r.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				b.r.t.Fatal(err)
			}
		}
	}
	fw, err := mw.CreateFormFile("file", name)
	if err == nil {
		_, err = fw.Write(file)
	}
	if err = errors.Join(err, mw.Close()); err != nil {
		b.r.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, b.r.srv.URL+"/report/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrf opens the report page and returns its forms' token.
func (b *browser) csrf(path string) string {
	b.r.t.Helper()
	resp, body := b.get(path)
	m := csrfField.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		b.r.t.Fatalf("GET %s: %s, no csrf field:\n%s", path, resp.Status, body)
	}
	return m[1]
}

// cookie returns the browser's session cookie value.
func (b *browser) cookie() string {
	u, _ := url.Parse(b.r.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "duban_session" {
			return c.Value
		}
	}
	return ""
}

// history is every stored revision of an indicator.
func (r *rig) history(id string) []indicators.Revision {
	r.t.Helper()
	h, err := r.svc.History(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

// stored fails the test when any of ids has a revision.
func (r *rig) nothingStored(ids ...string) {
	r.t.Helper()
	for _, id := range ids {
		if h := r.history(id); len(h) != 0 {
			r.t.Fatalf("%s has %d revisions, want none: %+v", id, len(h), h)
		}
	}
}

// field returns the value attribute of the input named name in a page.
func field(t *testing.T, page, name string) string {
	t.Helper()
	re := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no input %s in the page", name)
	}
	return m[1]
}

// textarea returns the text of the textarea named name.
func textarea(t *testing.T, page, name string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)name="` + regexp.QuoteMeta(name) + `"[^>]*>(.*?)</textarea>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no textarea %s in the page", name)
	}
	return m[1]
}

// errorOf returns the message shown beside a field ("" when none).
func errorOf(page, name string) string {
	re := regexp.MustCompile(`<p class="err" id="err-` + regexp.QuoteMeta(name) + `">([^<]*)</p>`)
	if m := re.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}
