package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/internal/testenv"
)

// liveServer is a running `duban serve` on the mini catalog whose configuration file a
// test rewrites and then reloads, with SIGHUP or POST /-/reload.
type liveServer struct {
	*server
	hashes map[string]string // who (rsj, fgw, slj, admin) → the sha256 in auth.tokens
	more   []string          // further auth.tokens lines
	read   string            // auth.read
	addr   string
}

// newLiveServer starts the binary with tokens for rsj, fgw, slj and admin and yaml
// (top-level keys besides listen, catalog, store and auth).
func newLiveServer(t *testing.T, yaml string) *liveServer {
	t.Helper()
	l := &liveServer{server: &server{t: t, tokens: map[string]string{}, client: http.DefaultClient}, hashes: map[string]string{}, read: "public"}
	for _, who := range []string{"rsj", "fgw", "slj", "admin"} {
		l.tokens[who], l.hashes[who] = testenv.Token(t)
	}
	l.Serve = testenv.NewServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		l.addr = addr
		return l.config(dir, yaml)
	}})
	l.url, l.cfgFile, l.dataDir = l.URL, l.ConfigFile, filepath.Join(l.Dir, "data")
	l.Start()
	return l
}

// config is the configuration file with the tokens of l.hashes and yaml.
func (l *liveServer) config(dir, yaml string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %s\ncatalog: %s\nstore: {kind: embedded, path: %s}\nauth:\n  read: %s\n  tokens:\n",
		l.addr, filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml"), filepath.Join(dir, "data"), l.read)
	for _, who := range []string{"rsj", "fgw", "slj", "admin"} {
		switch h := l.hashes[who]; {
		case h == "":
		case who == "admin":
			fmt.Fprintf(&b, "    - {role: admin, sha256: %s}\n", h)
		default:
			fmt.Fprintf(&b, "    - {department: %s, sha256: %s}\n", who, h)
		}
	}
	for _, line := range l.more {
		fmt.Fprintf(&b, "    - %s\n", line)
	}
	b.WriteString(yaml)
	return b.String()
}

// rewrite writes the configuration file anew with yaml.
func (l *liveServer) rewrite(yaml string) {
	l.t.Helper()
	if err := os.WriteFile(l.cfgFile, []byte(l.config(l.Dir, yaml)), 0o600); err != nil {
		l.t.Fatal(err)
	}
}

// rotate gives who a new token in l.hashes (the file changes with the next rewrite)
// and returns it; l.tokens keeps the old one.
func (l *liveServer) rotate(who string) string {
	tok, hash := testenv.Token(l.t)
	l.hashes[who] = hash
	return tok
}

// reloads counts the reloads the log tells of, done or refused.
func (l *liveServer) reloads() int { return strings.Count(l.Logs.String(), "configuration reload") }

// reload asks for a reload by how ("SIGHUP" or "POST") and waits until the log tells
// it done or refused; a POST returns the answer.
func (l *liveServer) reload(how string) (int, string) {
	l.t.Helper()
	before := l.reloads()
	code, body := 0, ""
	switch how {
	case "SIGHUP":
		l.Signal(syscall.SIGHUP)
	case "POST":
		req, _ := http.NewRequest(http.MethodPost, l.url+"/-/reload", nil)
		req.Header.Set("Authorization", "Bearer "+l.tokens["admin"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			l.t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close() // read to the end already
		code, body = resp.StatusCode, string(b)
	default:
		l.t.Fatalf("reload by %q", how)
	}
	for deadline := time.Now().Add(10 * time.Second); l.reloads() == before; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			l.t.Fatalf("no reload logged after %s\n%s", how, l.Logs.String())
		}
	}
	return code, body
}

// metric returns the value of an unlabelled gauge of /metrics, as the admin reads it.
func (l *liveServer) metric(name string) float64 {
	l.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, l.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+l.tokens["admin"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		l.t.Fatal(err)
	}
	f, ok := families[name]
	if !ok || len(f.GetMetric()) != 1 {
		l.t.Fatalf("/metrics has no single %s", name)
	}
	return f.GetMetric()[0].GetGauge().GetValue()
}

// pushWith pushes one report of indicator for period with token over client; it returns
// the status, the error code, and whether the request went over a kept-alive connection.
func pushWith(t *testing.T, client *http.Client, base, token, indicator, period string) (int, string, bool) {
	t.Helper()
	var reused bool
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }})
	body := fmt.Sprintf(`{"reports":[{"indicator":%q,"period":%q,"value":1}]}`, indicator, period)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/reports", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct{ Error struct{ Code string } }
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &ans)
	return resp.StatusCode, ans.Error.Code, reused
}

// TestReloadRotatesATokenWithoutRestart: a department's token is replaced in the file
// and the configuration reloaded, by SIGHUP (systemctl reload) or POST /-/reload. The
// same process (same PID) then refuses the old token with 401, on the kept-alive
// connection that carried its last push too, and takes the new one (201).
func TestReloadRotatesATokenWithoutRestart(t *testing.T) {
	for name, how := range map[string]string{"by SIGHUP": "SIGHUP", "by POST /-/reload": "POST"} {
		t.Run(name, func(t *testing.T) {
			l := newLiveServer(t, "")
			pid := l.Pid()
			client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}} // one connection, kept alive
			defer client.CloseIdleConnections()
			old := l.tokens["rsj"]
			if code, _, _ := pushWith(t, client, l.url, old, "57.1", "2026-03"); code != http.StatusCreated {
				t.Fatalf("the old token before the reload: %d", code)
			}
			rotated := l.rotate("rsj")
			l.rewrite("")
			code, body := l.reload(how)
			if how == "POST" && (code != http.StatusOK || body != `{"applied":["auth.tokens"],"restart_required":[]}`) {
				t.Fatalf("POST /-/reload: %d %s", code, body)
			}
			code, errCode, reused := pushWith(t, client, l.url, old, "57.1", "2026-04")
			if code != http.StatusUnauthorized || errCode != "unauthorized" {
				t.Errorf("the old token after the reload: %d %s, want 401 unauthorized", code, errCode)
			}
			if !reused {
				t.Error("the old token's push did not go over the kept-alive connection")
			}
			if code, errCode, _ := pushWith(t, client, l.url, rotated, "57.1", "2026-04"); code != http.StatusCreated {
				t.Errorf("the new token after the reload: %d %s, want 201", code, errCode)
			}
			if code, _, _ := pushWith(t, client, l.url, l.tokens["fgw"], "11.1", "2026-04"); code != http.StatusCreated {
				t.Errorf("fgw's unchanged token after the reload: %d, want 201", code)
			}
			if exited, err := l.Wait(0); exited || l.Pid() != pid {
				t.Fatalf("the collector restarted (pid %d → %d, exit %v)", pid, l.Pid(), err)
			}
			if v := l.metric(conventions.MetricConfigReloadSuccess); v != 1 {
				t.Errorf("%s = %v, want 1", conventions.MetricConfigReloadSuccess, v)
			}
			if logs := l.Logs.String(); !strings.Contains(logs, `"configuration reloaded"`) || !strings.Contains(logs, `auth.tokens`) {
				t.Errorf("no log line tells the reload and what it applied:\n%s", logs)
			}
		})
	}
}

// TestReloadWithoutATokenSignsItsBrowserSessionsOut: rsj and fgw sign in to the
// workspace in their browsers; rsj's token is taken out of auth.tokens and the
// configuration reloaded (SIGHUP or POST /-/reload), without a restart. rsj's very next
// page request is sent to sign in, with no form it could post, and stays signed out;
// fgw's session goes on; rsj's old token no longer signs in.
func TestReloadWithoutATokenSignsItsBrowserSessionsOut(t *testing.T) {
	for name, how := range map[string]string{"by SIGHUP": "SIGHUP", "by POST /-/reload": "POST"} {
		t.Run(name, func(t *testing.T) {
			l := newLiveServer(t, "")
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			signIn := func(who string) (int, *http.Cookie) {
				resp, err := noRedirect.PostForm(l.url+"/login", url.Values{"token": {l.tokens[who]}})
				if err != nil {
					t.Fatal(err)
				}
				_ = resp.Body.Close() // only the status is looked at
				for _, c := range resp.Cookies() {
					if c.Name == "duban_session" && c.Value != "" {
						return resp.StatusCode, c
					}
				}
				return resp.StatusCode, nil
			}
			page := func(c *http.Cookie) (int, string, string) { // status, Location, body
				req, _ := http.NewRequest(http.MethodGet, l.url+"/report", nil)
				req.AddCookie(c)
				resp, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, resp.Header.Get("Location"), string(b)
			}
			cookies := map[string]*http.Cookie{}
			for _, who := range []string{"rsj", "fgw"} {
				code, c := signIn(who)
				if code != http.StatusSeeOther || c == nil {
					t.Fatalf("%s signs in: %d, cookie %v", who, code, c)
				}
				if code, _, body := page(c); code != http.StatusOK || !strings.Contains(body, `name="csrf"`) {
					t.Fatalf("%s's report page before the reload: %d", who, code)
				}
				cookies[who] = c
			}
			pid := l.Pid()
			l.hashes["rsj"] = ""
			l.rewrite("")
			if code, body := l.reload(how); how == "POST" && code != http.StatusOK {
				t.Fatalf("POST /-/reload: %d %s", code, body)
			}
			for range 2 { // the next request, and the one after: ended for good
				code, loc, body := page(cookies["rsj"])
				if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") || strings.Contains(body, `name="csrf"`) {
					t.Fatalf("rsj's session after a reload without its token: %d to %q, want 303 to /login", code, loc)
				}
			}
			if code, _, _ := page(cookies["fgw"]); code != http.StatusOK {
				t.Errorf("fgw's session after the reload: %d, want 200 (its token stayed)", code)
			}
			if code, c := signIn("rsj"); code == http.StatusSeeOther || c != nil {
				t.Errorf("rsj's removed token signs in after the reload: %d, cookie %v", code, c)
			}
			if !l.Logs.Await("session ended, its token is no longer configured", 5*time.Second) {
				t.Error("the log does not say why rsj's session ended")
			}
			if exited, err := l.Wait(0); exited || l.Pid() != pid {
				t.Fatalf("the collector restarted (pid %d → %d, exit %v)", pid, l.Pid(), err)
			}
		})
	}
}

// TestReloadRefusesABadFileWhole: a new file that cannot be read, has an unknown key,
// an invalid value, or a token of a department the catalog does not know changes
// nothing, not even its valid parts (a rotated token): the old token still pushes, the
// new one is refused. POST /-/reload answers 500 with the reason, SIGHUP logs it, and
// duban_config_last_reload_successful is 0 until a good file loads. promtool then runs
// the shipped rules on the value scraped in each state: DubanConfigReloadFailed fires
// on the refused one only.
func TestReloadRefusesABadFileWhole(t *testing.T) {
	l := newLiveServer(t, "")
	_, nopeHash := testenv.Token(t)
	cases := map[string]struct {
		yaml string   // besides a rotated token of rsj
		more []string // auth.tokens lines
		want string   // in the answer and the log
	}{
		"a file YAML cannot read":    {yaml: "limits: {rate_per_second: 1\n", want: "did not find expected"},
		"an unknown key":             {yaml: "limitz: {rate_per_second: 1}\n", want: "limitz"},
		"an invalid value":           {yaml: "limits: {per_token_share: 0.9}\n", want: "limits.per_token_share 0.9"},
		"a duration that is not one": {yaml: "http: {min_body_rate_grace: soon}\n", want: "min_body_rate_grace"},
		"a token of a department the catalog does not know": {
			more: []string{"{department: nope, sha256: " + nopeHash + "}"}, want: "is not in the catalog (catalog mini-2026",
		},
	}
	var failed, good float64
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			old := l.tokens["rsj"]
			rotated := l.rotate("rsj")
			l.more = c.more
			l.rewrite(c.yaml)
			code, body := l.reload("POST")
			if code != http.StatusInternalServerError || !strings.Contains(body, `"code":"reload_failed"`) || !strings.Contains(body, c.want) {
				t.Errorf("POST /-/reload: %d %s; want 500 reload_failed naming %q", code, body, c.want)
			}
			logged := len(l.Logs.String())
			l.reload("SIGHUP")
			if tail := l.Logs.String()[logged:]; !strings.Contains(tail, "configuration reload failed") || !strings.Contains(tail, c.want) || !strings.Contains(tail, "SIGHUP") {
				t.Errorf("the refused SIGHUP reload is not logged with its reason %q:\n%s", c.want, tail)
			}
			if v := l.metric(conventions.MetricConfigReloadSuccess); v != 0 {
				t.Errorf("%s = %v after a refused file, want 0", conventions.MetricConfigReloadSuccess, v)
			}
			failed = l.metric(conventions.MetricConfigReloadSuccess)
			if code, _, _ := pushWith(t, http.DefaultClient, l.url, old, "57.1", "2026-05"); code != http.StatusCreated {
				t.Errorf("the old token with the old configuration kept: %d, want 201", code)
			}
			if code, _, _ := pushWith(t, http.DefaultClient, l.url, rotated, "57.1", "2026-05"); code != http.StatusUnauthorized {
				t.Errorf("the token of the refused file: %d, want 401", code)
			}
			// Put the old token back in a good file: the reload succeeds.
			l.hashes["rsj"], l.more = auth.Hash(old), nil
			l.rewrite("")
			if code, body := l.reload("POST"); code != http.StatusOK {
				t.Fatalf("a good file again: %d %s", code, body)
			}
			good = l.metric(conventions.MetricConfigReloadSuccess)
			if good != 1 {
				t.Errorf("%s = %v after a good file, want 1", conventions.MetricConfigReloadSuccess, good)
			}
		})
	}
	promtoolOnReloadMetric(t, failed, good)
}

// promtoolOnReloadMetric runs the shipped rules in promtool on the reload metric as
// scraped after a refused file (failed) and after a good one (good).
func promtoolOnReloadMetric(t *testing.T, failed, good float64) {
	t.Helper()
	promtool := testenv.NeedBinary(t, "promtool")
	var alert alerts.Alert
	for _, a := range alerts.Alerts() {
		if a.Name == "DubanConfigReloadFailed" {
			alert = a
		}
	}
	if alert.Name == "" {
		t.Fatal("no DubanConfigReloadFailed alert")
	}
	labels := map[string]string{"job": "duban", "instance": "duban:8080"}
	text := func(tmpl string) string {
		return alerts.Expand(tmpl, func(p alerts.Placeholder) string { return labels[p.Name] })
	}
	dir := t.TempDir()
	var rules bytes.Buffer
	must(t, alerts.WritePrometheus(&rules, alerts.PrometheusOptions{}))
	must(t, os.WriteFile(filepath.Join(dir, alerts.FileName), rules.Bytes(), 0o644))
	series := func(v float64) string {
		return fmt.Sprintf("      - {series: '%s{job=\"duban\",instance=\"duban:8080\"}', values: '%vx60'}\n", conventions.MetricConfigReloadSuccess, v)
	}
	test := fmt.Sprintf(`rule_files: [%s]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
%s    alert_rule_test:
      - eval_time: 30m
        alertname: DubanConfigReloadFailed
        exp_alerts:
          - exp_labels: {severity: warning, job: duban, instance: "duban:8080"}
            exp_annotations: {summary: %q, description: %q}
  - interval: 1m
    input_series:
%s    alert_rule_test:
      - {eval_time: 30m, alertname: DubanConfigReloadFailed, exp_alerts: []}
`, alerts.FileName, series(failed), text(alert.Summary), text(alert.Description), series(good))
	must(t, os.WriteFile(filepath.Join(dir, "test.yml"), []byte(test), 0o644))
	cmd := exec.Command(promtool, "test", "rules", "test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules on the scraped values (refused %v, good %v): %v\n%s\n%s", failed, good, err, out, test)
	}
}

// TestReloadLetsAnUploadInFlightFinish: a push whose body is still arriving when the
// configuration reloads (its token rotated away, the body limit lowered below its size)
// finishes under the configuration it started with: 201, stored. Requests after the
// reload meet the new one.
func TestReloadLetsAnUploadInFlightFinish(t *testing.T) {
	l := newLiveServer(t, "")
	body := `{"reports":[{"indicator":"57.1","period":"2026-03","value":11800,"note":"` + strings.Repeat("一季度新增就业", 40) + `"}]}`
	conn, err := net.Dial("tcp", l.addr)
	must(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /api/v1/reports HTTP/1.1\r\nHost: duban\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		l.tokens["rsj"], len(body), body[:40])
	must(t, err)
	time.Sleep(300 * time.Millisecond) // the handler is reading the body
	rotated := l.rotate("rsj")
	l.rewrite("http: {max_body_bytes: 300}\n")
	l.reload("SIGHUP")
	for rest := body[40:]; rest != ""; rest = rest[min(100, len(rest)):] { // the rest, at a modest pace
		_, err := io.WriteString(conn, rest[:min(100, len(rest))])
		must(t, err)
		time.Sleep(50 * time.Millisecond)
	}
	must(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the push in flight across the reload got no answer: %v\n%s", err, l.Logs.String())
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the push in flight across the reload: %d %s, want 201", resp.StatusCode, b)
	}
	if h := l.history("57.1"); len(h) != 1 || *h[0].Value != 11800 {
		t.Fatalf("57.1 holds %+v, want the push in flight", h)
	}
	// After the reload: the old token is gone, the body limit is 300 bytes.
	if code, _, _ := pushWith(t, http.DefaultClient, l.url, l.tokens["rsj"], "57.1", "2026-04"); code != http.StatusUnauthorized {
		t.Errorf("the old token after the reload: %d, want 401", code)
	}
	req, _ := http.NewRequest(http.MethodPost, l.url+"/api/v1/reports", strings.NewReader(strings.Replace(body, "2026-03", "2026-04", 1)))
	req.Header.Set("Authorization", "Bearer "+rotated)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	must(t, err)
	b, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close() // read to the end already
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "body_too_large") {
		t.Errorf("the same body after the reload: %d %s, want 413 body_too_large", resp.StatusCode, b)
	}
}

// TestReloadAppliesLimitsAccessAndCORS: one reload lowers the push rate and the body
// limit, closes reads to anonymous callers and allows a browser origin; each holds at
// once, and was not so before. The same file changes the listen address and the data
// directory, which need a restart: the answer and the log say so, and the collector
// keeps serving where it was.
func TestReloadAppliesLimitsAccessAndCORS(t *testing.T) {
	l := newLiveServer(t, "")
	big := strings.Repeat("说明", 100)
	pushNote := func(who, period, note string) (int, string) {
		b, _ := json.Marshal(map[string]any{"reports": []any{map[string]any{"indicator": "11.1", "period": period, "value": 1, "note": note}}})
		req, _ := http.NewRequest(http.MethodPost, l.url+"/api/v1/reports", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+l.tokens[who])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		var ans struct{ Error struct{ Code string } }
		_ = json.NewDecoder(resp.Body).Decode(&ans)
		return resp.StatusCode, ans.Error.Code
	}
	anonymous := func() int {
		resp, err := http.Get(l.url + "/api/v1/departments")
		must(t, err)
		_ = resp.Body.Close() // only the status and headers are looked at
		return resp.StatusCode
	}
	origin := func() string {
		req, _ := http.NewRequest(http.MethodGet, l.url+"/-/healthy", nil)
		req.Header.Set("Origin", "https://board.example")
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		_ = resp.Body.Close() // only the status and headers are looked at
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	for i, period := range []string{"2026-01", "2026-02", "2026-03"} {
		if code, errCode := pushNote("fgw", period, big); code != http.StatusCreated {
			t.Fatalf("push %d before the reload: %d %s", i, code, errCode)
		}
	}
	if code := anonymous(); code != http.StatusOK {
		t.Fatalf("an anonymous read before the reload: %d", code)
	}
	if o := origin(); o != "" {
		t.Fatalf("an origin allowed before the reload: %q", o)
	}

	l.read = "token"
	moved := testenv.FreeAddr(t)
	l.rewrite("limits: {rate_per_second: 0.01, rate_burst: 1}\nhttp: {max_body_bytes: 400}\ncors: {allowed_origins: [\"https://board.example\"]}\n")
	b, _ := os.ReadFile(l.cfgFile)
	b = bytes.Replace(b, []byte("listen: "+l.addr), []byte("listen: "+moved), 1)
	b = bytes.Replace(b, []byte(l.dataDir), []byte(l.dataDir+"-elsewhere"), 1)
	must(t, os.WriteFile(l.cfgFile, b, 0o600))
	code, body := l.reload("POST")
	var res struct{ Applied, RestartRequired []string }
	if err := json.Unmarshal([]byte(body), &struct {
		Applied         *[]string `json:"applied"`
		RestartRequired *[]string `json:"restart_required"`
	}{&res.Applied, &res.RestartRequired}); err != nil || code != http.StatusOK {
		t.Fatalf("POST /-/reload: %d %s", code, body)
	}
	wantApplied := "auth.read cors.allowed_origins http.max_body_bytes limits.rate_burst limits.rate_per_second"
	if got := strings.Join(res.Applied, " "); got != wantApplied {
		t.Errorf("applied %q, want %q", got, wantApplied)
	}
	if got := strings.Join(res.RestartRequired, " "); got != "listen store.path" {
		t.Errorf("restart_required %q, want listen and store.path", got)
	}
	if !strings.Contains(l.Logs.String(), "only a restart applies it") {
		t.Errorf("no warning that listen and store.path need a restart:\n%s", l.Logs.String())
	}

	if code, errCode := pushNote("rsj", "2026-04", big); code != http.StatusRequestEntityTooLarge || errCode != "body_too_large" {
		t.Errorf("a 600-byte body after the limit became 400: %d %s, want 413 body_too_large", code, errCode)
	}
	if code, errCode := pushNote("fgw", "2026-04", ""); code != http.StatusCreated {
		t.Errorf("fgw's push within the new burst: %d %s", code, errCode)
	}
	if code, errCode := pushNote("fgw", "2026-05", ""); code != http.StatusTooManyRequests || errCode != "rate_limited" {
		t.Errorf("fgw's next push at 0.01/s: %d %s, want 429 rate_limited", code, errCode)
	}
	if code := anonymous(); code != http.StatusUnauthorized {
		t.Errorf("an anonymous read with auth.read: token: %d, want 401", code)
	}
	if o := origin(); o != "https://board.example" {
		t.Errorf("Access-Control-Allow-Origin %q after allowing the origin", o)
	}
	if _, err := net.DialTimeout("tcp", moved, time.Second); err == nil {
		t.Error("the collector listens on the new address without a restart")
	}
	if _, err := os.Stat(l.dataDir + "-elsewhere"); err == nil {
		t.Error("the collector opened the new data directory without a restart")
	}
	if v := l.metric(conventions.MetricConfigReloadSuccess); v != 1 {
		t.Errorf("%s = %v, want 1 (what needs a restart does not fail the reload)", conventions.MetricConfigReloadSuccess, v)
	}
}

// TestReloadChangesTheLogLevel: the probes are logged at debug; at level info they
// leave no line, after a reload to debug (and JSON) they do, and after a reload back
// to info they stop again.
func TestReloadChangesTheLogLevel(t *testing.T) {
	l := newLiveServer(t, "log: {format: text, level: info}\n")
	probe := func() {
		resp, err := http.Get(l.url + "/-/healthy")
		must(t, err)
		_ = resp.Body.Close() // only the status and headers are looked at
	}
	debugLines := func() int { return strings.Count(l.Logs.String(), `"level":"DEBUG","msg":"http request"`) }
	probe()
	if strings.Contains(l.Logs.String(), "path=/-/healthy") || strings.Contains(l.Logs.String(), "level=DEBUG") {
		t.Fatalf("a debug line at level info:\n%s", l.Logs.String())
	}
	l.rewrite("log: {format: json, level: debug}\n")
	l.reload("SIGHUP")
	probe()
	for deadline := time.Now().Add(5 * time.Second); debugLines() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no JSON debug line for the probe after the reload to debug:\n%s", l.Logs.String())
		}
	}
	if !strings.Contains(l.Logs.String(), `"path":"/-/healthy"`) {
		t.Fatalf("the debug line is not the probe's:\n%s", l.Logs.String())
	}
	l.rewrite("log: {format: json, level: info}\n")
	l.reload("POST")
	n := debugLines()
	probe()
	probe()
	time.Sleep(200 * time.Millisecond)
	if debugLines() != n {
		t.Fatalf("debug lines after the reload back to info:\n%s", l.Logs.String())
	}
}
