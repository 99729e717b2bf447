package main_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/internal/testplans"
)

// TestPlanCloseAgainstTheRealServer runs `duban serve` with two plans and `duban plan
// close` against it: the department's push into the closed plan answers 409
// plan_closed, the other plan still takes it, a department's token cannot close, the
// closure survives a restart, and `duban plan reopen` takes reports again.
func TestPlanCloseAgainstTheRealServer(t *testing.T) {
	jyj, jyjHash := testenv.Token(t)
	admin, adminHash := testenv.Token(t)
	srv := testenv.StartServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		return fmt.Sprintf("listen: %s\nplans: [embedded:changzhi-2026, %s]\nstore: {kind: embedded, path: %s}\nauth:\n  tokens:\n    - {department: jyj, sha256: %s}\n    - {role: admin, sha256: %s}\nlog: {level: warn}\ntesting: {now: '2026-06-15T10:00:00+08:00'}\n",
			addr, filepath.Join(dir, "minsheng-2026.yaml"), filepath.Join(dir, "data"), jyjHash, adminHash)
	}, Files: testenv.Files{"minsheng-2026.yaml": string(testplans.Minsheng2026())}})
	dir := t.TempDir()
	tokenFile := func(name, tok string) string {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, []byte(tok+"\n"), 0o600))
		return p
	}
	adminFile, jyjFile := tokenFile("admin", admin), tokenFile("jyj", jyj)
	bin := testenv.DubanBinary(t)
	push := func(body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/reports", strings.NewReader(body))
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+jyj)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		must(t, resp.Body.Close())
		return resp.StatusCode, string(b)
	}
	const into = `{"reports":[{"plan":"minsheng-2026","indicator":"1.2","period":"2026-05","value":800}]}`

	if out, errOut, code := runBin(t, bin, "plan", "close", testplans.MinshengID, "--server", srv.URL, "--token-file", jyjFile); code == 0 || !strings.Contains(errOut, "forbidden_close") {
		t.Fatalf("a department's token closing: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := runBin(t, bin, "plan", "close", testplans.MinshengID, "--server", srv.URL, "--token-file", adminFile, "--reason", "2026年度终期通报已印发")
	if code != 0 || !strings.Contains(out, "plan minsheng-2026 is closed") || !strings.Contains(out, "2026年度终期通报已印发") {
		t.Fatalf("duban plan close: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := runBin(t, bin, "plan", "close", "changzhi-2025", "--server", srv.URL, "--token-file", adminFile); code == 0 || !strings.Contains(errOut, "unknown_plan") {
		t.Errorf("closing a plan not served: exit %d\n%s%s", code, out, errOut)
	}
	check := func() {
		t.Helper()
		if code, body := push(into); code != http.StatusConflict || !strings.Contains(body, `"code":"plan_closed"`) || !strings.Contains(body, "2026年市级民生实事项目清单") {
			t.Errorf("a push into the closed plan: %d %s", code, body)
		}
		resp, err := http.Get(srv.URL + "/api/v1/plans")
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		must(t, resp.Body.Close())
		if !strings.Contains(string(b), `"id":"minsheng-2026"`) || strings.Count(string(b), `"closed":true`) != 1 || !strings.Contains(string(b), `"closed_at":"2026-06-15T02:00:00Z"`) {
			t.Errorf("GET /api/v1/plans: %s", b)
		}
	}
	check()
	if code, body := push(`{"reports":[{"plan":"changzhi-2026","indicator":"26.1","period":"2026-05","stage":"started","percent":10}]}`); code != http.StatusCreated {
		t.Errorf("a push into the open plan: %d %s", code, body)
	}
	must(t, srv.Stop(10*time.Second))
	srv.Start()
	check()

	out, errOut, code = runBin(t, bin, "plan", "reopen", testplans.MinshengID, "--server", srv.URL, "--token-file", adminFile, "--reason", "误操作")
	if code != 0 || !strings.Contains(out, "plan minsheng-2026 is open") {
		t.Fatalf("duban plan reopen: exit %d\n%s%s", code, out, errOut)
	}
	if code, body := push(into); code != http.StatusCreated {
		t.Errorf("a push after the reopen: %d %s", code, body)
	}
}

// TestReloadDropsAClosedPlansSeries: a closed plan keeps its series on /metrics with
// metrics.closed_plans: keep; drop, applied by SIGHUP, leaves them out.
func TestReloadDropsAClosedPlansSeries(t *testing.T) {
	l := newLiveServer(t, "metrics: {closed_plans: keep}\n")
	adminFile := filepath.Join(t.TempDir(), "admin")
	must(t, os.WriteFile(adminFile, []byte(l.tokens["admin"]), 0o600))
	if out, errOut, code := runBin(t, testenv.DubanBinary(t), "plan", "close", "mini-2026", "--server", l.url, "--token-file", adminFile); code != 0 {
		t.Fatalf("duban plan close: exit %d\n%s%s", code, out, errOut)
	}
	scrape := func() string {
		t.Helper()
		resp, err := http.Get(l.url + "/metrics")
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		must(t, resp.Body.Close())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /metrics: %d %s", resp.StatusCode, b)
		}
		return string(b)
	}
	if m := scrape(); !strings.Contains(m, "\nduban_indicator_status{") {
		t.Fatalf("with keep the closed plan's series are gone:\n%.500s", m)
	}
	l.rewrite("metrics: {closed_plans: drop}\n")
	l.reload("SIGHUP")
	if m := scrape(); strings.Contains(m, "\nduban_indicator_status{") || strings.Contains(m, "\nduban_department_reports_missing{") || !strings.Contains(m, "\nduban_build_info{") {
		t.Errorf("with drop the closed plan's series are still there (or everything is gone):\n%.800s", m)
	}
}
