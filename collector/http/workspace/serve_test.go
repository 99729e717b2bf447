package workspace_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/testenv"
)

// servedConfig is a duban.yaml for the real `duban serve`: auth.read, the token lines,
// and extra keys.
func servedConfig(addr, dir, read, extra string, tokens ...string) string {
	return fmt.Sprintf("listen: %s\nstore: {kind: embedded, path: %s}\nauth:\n  read: %s\n  tokens:\n%s\nlog: {level: info}\n%s",
		addr, filepath.Join(dir, "data"), read, strings.Join(tokens, "\n"), extra)
}

// tokenLine is the auth.tokens line of a department's token, or of a role's.
func tokenLine(who, hash string) string {
	switch who {
	case "admin", "reader", "metrics":
		return "    - {role: " + who + ", sha256: " + hash + "}"
	}
	return "    - {department: " + who + ", sha256: " + hash + "}"
}

// TestRestartWithoutTheTokenEndsItsSessions runs the real `duban serve`: two departments
// sign in; the collector restarts with one token taken out of auth.tokens. Sessions
// survive the restart (kept in store.path/sessions.json, hashes only), except the
// removed token's, which is sent to sign in and can post nothing.
func TestRestartWithoutTheTokenEndsItsSessions(t *testing.T) {
	fgwTok, fgwHash := testenv.Token(t)
	rsjTok, rsjHash := testenv.Token(t)
	srv := testenv.StartServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		return servedConfig(addr, dir, "public", "", tokenLine("fgw", fgwHash), tokenLine("rsj", rsjHash))
	}})
	client := func() *http.Client {
		return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	signIn := func(tok string) *http.Cookie {
		resp, err := client().PostForm(srv.URL+"/login", url.Values{"token": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close() // only the status and headers are looked at
		if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
			t.Fatalf("sign-in: %s", resp.Status)
		}
		return resp.Cookies()[0]
	}
	get := func(c *http.Cookie, path string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.AddCookie(c)
		resp, err := client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close() // only the status and headers are looked at
		return resp
	}
	fgw, rsj := signIn(fgwTok), signIn(rsjTok)
	b, err := os.ReadFile(filepath.Join(srv.Dir, "data", "sessions.json"))
	if err != nil {
		t.Fatalf("sessions are not kept: %v", err)
	}
	for _, secret := range []string{fgwTok, rsjTok, fgw.Value, rsj.Value} {
		if strings.Contains(string(b), secret) {
			t.Fatal("sessions.json holds a token or a cookie in clear")
		}
	}
	if st, _ := os.Stat(filepath.Join(srv.Dir, "data", "sessions.json")); st.Mode().Perm() != 0o600 {
		t.Fatalf("sessions.json mode %v, want 0600", st.Mode().Perm())
	}

	if err := srv.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(srv.ConfigFile, []byte(servedConfig(srv.Addr, srv.Dir, "public", "", tokenLine("rsj", rsjHash))), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if resp := get(rsj, "/report"); resp.StatusCode != http.StatusOK {
		t.Fatalf("rsj's session after the restart: %s, want it kept", resp.Status)
	}
	resp := get(fgw, "/report")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("fgw's session after its token was removed: %s to %q, want sign-in", resp.Status, resp.Header.Get("Location"))
	}
	if !srv.Logs.Await("session ended, its token is no longer configured", 5*time.Second) {
		t.Error("the log does not say why the session ended")
	}
}
