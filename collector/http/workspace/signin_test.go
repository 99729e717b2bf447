package workspace_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/http/workspace"
)

func TestSessionCookieAttributes(t *testing.T) {
	cases := map[string]struct {
		tls, secureCookie bool
		wantSecure        bool
	}{
		"plain HTTP: not Secure (the browser would drop it)": {false, false, false},
		"HTTPS: Secure": {true, false, true},
		"TLS ended by a proxy (workspace.secure_cookie): Secure": {false, true, true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, func(w *workspace.Config, _ *api.Config) {
				w.SecureCookie = c.secureCookie
				w.SessionTTL = 2 * time.Hour
			})
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			base := r.srv.URL
			if c.tls {
				srv := httptest.NewTLSServer(r.srv.Config.Handler)
				defer srv.Close()
				client.Transport = srv.Client().Transport
				base = srv.URL
			}
			resp, err := client.PostForm(base+"/login", url.Values{"token": {r.tokens["fgw"]}})
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close() // only the status and headers are looked at
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/report" {
				t.Fatalf("sign-in: %s to %q", resp.Status, resp.Header.Get("Location"))
			}
			cookies := resp.Cookies()
			if len(cookies) != 1 {
				t.Fatalf("cookies %v", cookies)
			}
			ck := cookies[0]
			if ck.Name != "duban_session" || len(ck.Value) < 40 || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Secure != c.wantSecure || ck.MaxAge != 0 || !ck.Expires.IsZero() {
				t.Fatalf("cookie %q: HttpOnly %v SameSite %v Path %q Secure %v MaxAge %d; want HttpOnly, Strict, /, Secure %v, no Max-Age (the server ends it)",
					ck.Raw, ck.HttpOnly, ck.SameSite, ck.Path, ck.Secure, ck.MaxAge, c.wantSecure)
			}
			if strings.Contains(ck.Raw, r.tokens["fgw"]) || strings.Contains(ck.Raw, r.hashes["fgw"]) {
				t.Fatal("the cookie carries the token or its hash")
			}
		})
	}
}

// TestFailedSignInsAnswerAlike: whatever was wrong, the same status and the same page.
func TestFailedSignInsAnswerAlike(t *testing.T) {
	r := newRig(t, func(w *workspace.Config, _ *api.Config) { w.LoginFailures = 100 })
	var first string
	for name, token := range map[string]string{
		"no token":                         "",
		"an unknown token":                 "sFZ89YT1My3jTc_eqzIVIUCKPuV_VUqET1jh6zAiLsI",
		"a reader's token (reads only)":    r.tokens["reader"],
		"a scrape token":                   r.tokens["metrics"],
		"the hash of a department's token": r.hashes["fgw"],
		"a department's token cut short":   r.tokens["fgw"][:40],
	} {
		b := r.browser("10.1.0.1")
		resp, body := b.post("/login", url.Values{"token": {token}})
		if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
			t.Errorf("%s: %s with cookies %v, want 401 and no cookie", name, resp.Status, resp.Cookies())
		}
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("%s: the page differs from another failure's", name)
		}
	}
	if !strings.Contains(first, `id="login-error"`) || !strings.Contains(first, "令牌无效") {
		t.Fatalf("the failure page says nothing:\n%s", first)
	}
}

// TestSignInIsRateLimitedPerAddress: an address that failed LoginFailures times gets 429
// before its token is looked at, even the right one; another address signs in; the
// address regains an attempt with time; successes cost nothing.
func TestSignInIsRateLimitedPerAddress(t *testing.T) {
	r := newRig(t) // 3 failures, 6 regained per minute
	good := url.Values{"token": {r.tokens["fgw"]}}
	for range 5 { // successes do not count
		if resp, _ := r.browser("10.2.0.1").post("/login", good); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in: %s", resp.Status)
		}
	}
	a := r.browser("10.2.0.1")
	for i := range 3 {
		if resp, _ := a.post("/login", url.Values{"token": {"wrong"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %s", i+1, resp.Status)
		}
	}
	resp, body := a.post("/login", good)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || len(resp.Cookies()) != 0 {
		t.Fatalf("the 4th attempt with the right token: %s, Retry-After %q, cookies %v; want 429 without a session", resp.Status, resp.Header.Get("Retry-After"), resp.Cookies())
	}
	if !strings.Contains(body, "登录失败次数过多") {
		t.Errorf("the 429 page does not say why:\n%s", body)
	}
	if resp, _ := r.browser("10.2.0.2").post("/login", good); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another address: %s, want it unaffected", resp.Status)
	}
	if resp, _ := r.browser("[2001:db8::1]").post("/login", url.Values{"token": {"wrong"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an IPv6 client: %s", resp.Status)
	}
	r.advance(10 * time.Second) // 6 per minute: one attempt back
	if resp, _ := a.post("/login", good); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after 10 s: %s, want an attempt regained", resp.Status)
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	r := newRig(t)
	b := r.signIn("fgw")
	csrf := b.csrf("/report")
	if resp, _ := b.post("/logout", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-out without the form's token: %s, want 403", resp.Status)
	}
	stolen := b.cookie()
	resp, _ := b.post("/logout", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?out=1" {
		t.Fatalf("sign-out: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	if resp, _ := b.get("/report"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("the page after signing out: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	// The old cookie, replayed from elsewhere, is no session either.
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/report", nil)
	req.AddCookie(&http.Cookie{Name: "duban_session", Value: stolen})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // only the status and headers are looked at
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a signed-out cookie: %s", resp.Status)
	}
}

func TestAnExpiredSessionSignsInAgain(t *testing.T) {
	r := newRig(t, func(w *workspace.Config, _ *api.Config) { w.SessionTTL = time.Hour })
	b := r.signIn("fgw")
	if resp, _ := b.get("/report?period=2026-03"); resp.StatusCode != http.StatusOK {
		t.Fatalf("report: %s", resp.Status)
	}
	r.advance(time.Hour)
	resp, _ := b.get("/report?period=2026-03")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Freport%3Fperiod%3D2026-03&expired=1" {
		t.Fatalf("after an hour: %s to %q, want sign-in and back", resp.Status, resp.Header.Get("Location"))
	}
	_, page := b.get(resp.Header.Get("Location"))
	if !strings.Contains(page, `id="expired"`) || !strings.Contains(page, `name="next" value="/report?period=2026-03"`) {
		t.Fatalf("the sign-in page does not say the session ended or forgets the page:\n%s", page)
	}
	// Signing in again goes back to the page.
	resp, _ = b.post("/login", url.Values{"token": {r.tokens["fgw"]}, "next": {"/report?period=2026-03"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/report?period=2026-03" {
		t.Fatalf("signing in again: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	// next never leads elsewhere.
	for _, next := range []string{"https://evil.example/", "//evil.example/report", "/api/v1/reports", "/\\evil.example"} {
		resp, _ = r.browser("10.3.0.1").post("/login", url.Values{"token": {r.tokens["fgw"]}, "next": {next}})
		if loc := resp.Header.Get("Location"); loc != "/report" {
			t.Errorf("next=%q leads to %q", next, loc)
		}
	}
}

// TestRemovingATokenEndsItsSessions: the authenticator is asked on every request, so a
// reload that swaps it (or a restart, TestSessionsSurviveARestartButNotARemovedToken)
// ends the removed token's sessions at once, and the others' go on.
func TestRemovingATokenEndsItsSessions(t *testing.T) {
	r := newRig(t)
	fgw, rsj := r.signIn("fgw"), r.signIn("rsj")
	csrf := fgw.csrf("/report")
	r.setTokens([]auth.Token{{Department: "rsj", SHA256: r.hashes["rsj"]}, {Role: "admin", SHA256: r.hashes["admin"]}})
	if resp, _ := fgw.get("/report"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("fgw's session after its token was removed: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	resp, _ := fgw.post("/report", url.Values{"csrf": {csrf}, "period": {"2026-03"}, "value.11.1": {"40"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a post of the removed token's session: %s", resp.Status)
	}
	r.nothingStored("11.1")
	if resp, _ := rsj.get("/report"); resp.StatusCode != http.StatusOK {
		t.Fatalf("rsj's session: %s, want it untouched", resp.Status)
	}
	// Putting the token back does not revive the ended session.
	r.setTokens([]auth.Token{{Department: "fgw", SHA256: r.hashes["fgw"]}, {Department: "rsj", SHA256: r.hashes["rsj"]}})
	if resp, _ := fgw.get("/report"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the ended session came back: %s", resp.Status)
	}
}

// TestATokenNowOfAnotherDepartmentEndsItsSessions: the same token hash configured for
// another department (an edited line) is not the session's department any more.
func TestATokenNowOfAnotherDepartmentEndsItsSessions(t *testing.T) {
	r := newRig(t)
	b := r.signIn("fgw")
	r.setTokens([]auth.Token{{Department: "rsj", SHA256: r.hashes["fgw"]}})
	if resp, _ := b.get("/report"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a session whose token now stands for rsj: %s", resp.Status)
	}
}

func TestSessionsSurviveARestartButNotARemovedToken(t *testing.T) {
	file := t.TempDir() + "/sessions.json"
	r := newRig(t, func(w *workspace.Config, _ *api.Config) { w.SessionFile = file })
	fgw, rsj := r.signIn("fgw"), r.signIn("rsj")
	restart := func(toks []auth.Token) *workspace.Workspace {
		a, err := auth.New(auth.Config{Tokens: toks})
		if err != nil {
			t.Fatal(err)
		}
		ws, err := workspace.New(workspace.Config{Service: r.svc, Auth: func() *auth.Authenticator { return a }, SessionFile: file, Now: r.now})
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	ask := func(ws *workspace.Workspace, b *browser) bool { // the page opens (else: sign in)
		req := httptest.NewRequest(http.MethodGet, "/report", nil)
		req.AddCookie(&http.Cookie{Name: "duban_session", Value: b.cookie()})
		rec := httptest.NewRecorder()
		ws.ServeHTTP(rec, req)
		return rec.Code == http.StatusOK
	}
	same := restart([]auth.Token{{Department: "fgw", SHA256: r.hashes["fgw"]}, {Department: "rsj", SHA256: r.hashes["rsj"]}})
	if !ask(same, fgw) || !ask(same, rsj) {
		t.Fatal("sessions did not survive a restart with the same tokens")
	}
	without := restart([]auth.Token{{Department: "rsj", SHA256: r.hashes["rsj"]}})
	if ask(without, fgw) {
		t.Fatal("fgw's session survived a restart without its token")
	}
	if !ask(without, rsj) {
		t.Fatal("rsj's session did not survive")
	}
}

// TestASessionReadsTheBoardButNeverPushesThroughTheAPI: with auth.read: token a signed-in
// browser reads the board and the bulletins without a second password; a session is
// never a credential for the API's POST (a cross-site form could otherwise use it).
func TestASessionReadsTheBoardButNeverPushesThroughTheAPI(t *testing.T) {
	r := newRig(t, func(_ *workspace.Config, a *api.Config) { a.Read = api.ReadToken })
	b := r.signIn("fgw")
	for _, path := range []string{"/?department=fgw", "/api/v1/indicators/11.1", "/api/v1/bulletins/2026-Q1?format=html"} {
		if resp, _ := b.get(path); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with a session: %s", path, resp.Status)
		}
		if resp, _ := r.browser("10.4.0.1").get(path); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without one: %s", path, resp.Status)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/api/v1/reports", strings.NewReader(`{"reports":[{"indicator":"11.1","period":"2026-03","value":4e9}]}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, _ := b.do(req); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST /api/v1/reports with only a session: %s, want 401", resp.Status)
	}
	r.nothingStored("11.1")
	// A stale cookie is no credential: the public board stays public for it.
	pub := newRig(t)
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(pub.srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "duban_session", Value: "stale"}})
	resp, err := (&http.Client{Jar: jar}).Get(pub.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // only the status and headers are looked at
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the public board with a stale cookie: %s", resp.Status)
	}
}
