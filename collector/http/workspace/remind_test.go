package workspace_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/http/workspace"
	"github.com/duban-gov/duban/collector/notify"
)

// robots stands in for the remote WeCom robots: rsj's takes every message, fgw's
// always answers 500; sthjj has none. It returns the notifier and what rsj's received.
func robots(t *testing.T) (*notify.Notifier, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var msg struct {
			MsgType  string `json:"msgtype"`
			Markdown struct{ Content string }
		}
		if err := json.Unmarshal(b, &msg); err != nil || msg.MsgType != "markdown" {
			t.Errorf("rsj's robot got %s", b)
		}
		mu.Lock()
		got = append(got, msg.Markdown.Content)
		mu.Unlock()
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	t.Cleanup(ok.Close)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	t.Cleanup(down.Close)
	dir := t.TempDir()
	var rs []notify.Robot
	for dept, u := range map[string]string{"rsj": ok.URL, "fgw": down.URL} {
		f := filepath.Join(dir, dept+"-wecom-url")
		if err := os.WriteFile(f, []byte(u+"/cgi-bin/webhook/send?key=K"), 0o600); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, notify.Robot{Department: dept, Kind: notify.KindWeCom, URLFile: f})
	}
	n, err := notify.New(notify.Config{Robots: rs, Attempts: 2, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return n, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

// TestTheOfficePressesRemindOnTheOverview: each department with reports not received has
// a 催报 button on the office's overview; pressing it sends the reminder now to the
// department's robot (the code of POST /api/v1/remind) and the overview says what was
// sent, or why not (no robot, the robot failed). Without the session's CSRF token or
// from a department's session nothing is sent.
func TestTheOfficePressesRemindOnTheOverview(t *testing.T) {
	n, received := robots(t)
	r := newRig(t, func(w *workspace.Config, a *api.Config) {
		w.Reminder, w.BoardURL = n, "https://duban.example.gov.cn/"
		a.Reminder = n
	})
	office := r.browser("10.6.0.1")
	office.post("/login", url.Values{"token": {r.tokens["admin"]}})
	_, page := office.get("/office?period=2026-03")
	row := regexp.MustCompile(`(?s)<tr data-department="rsj">.*?</tr>`).FindString(page)
	if !strings.Contains(row, `action="/office/remind"`) || !strings.Contains(row, `name="department" value="rsj"`) || !strings.Contains(row, "催报</button>") {
		t.Fatalf("rsj's row has no 催报 button:\n%s", row)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]
	remind := func(b *browser, dept, csrf string) (*http.Response, string) {
		return b.post("/office/remind", url.Values{"csrf": {csrf}, "period": {"2026-03"}, "department": {dept}})
	}
	if resp, _ := remind(office, "rsj", ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("催报 without the CSRF token: %s, want 403", resp.Status)
	}
	rsj := r.signIn("rsj")
	if resp, _ := remind(rsj, "rsj", rsj.csrf("/report")); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a department's session pressing 催报: %s, want 403", resp.Status)
	}
	if got := received(); len(got) != 0 {
		t.Fatalf("refused 催报 reached the robot: %q", got)
	}

	tests := map[string]struct {
		dept, want string
	}{
		"a department with a robot is reminded":         {"rsj", "已向市人社局的通知机器人发送催报:"},
		"a department without a robot is told so":       {"sthjj", "未发送催报:市生态环境局未配置通知机器人"},
		"a robot failing after retries is said to fail": {"fgw", "催报发送失败:市发改委的通知机器人"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, _ := remind(office, tc.dept, csrf)
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/office?") {
				t.Fatalf("催报 %s: %s to %q", tc.dept, resp.Status, resp.Header.Get("Location"))
			}
			_, page := office.get(resp.Header.Get("Location"))
			said := regexp.MustCompile(`id="reminded">([^<]*)<`).FindStringSubmatch(page)
			if said == nil || !strings.Contains(said[1], tc.want) {
				t.Errorf("after 催报 %s the overview says %q, want %q", tc.dept, said, tc.want)
			}
		})
	}
	got := received()
	if len(got) != 1 || !strings.Contains(got[0], "催报:市人社局2026-03有") || !strings.Contains(got[0], "57.1「新增城镇就业」") ||
		!strings.Contains(got[0], "https://duban.example.gov.cn/report?period=2026-03") {
		t.Fatalf("rsj's robot received %q", got)
	}

	// Without robots the overview has no 催报 button.
	plain := newRig(t)
	office = plain.browser("10.6.0.2")
	office.post("/login", url.Values{"token": {plain.tokens["admin"]}})
	if _, page := office.get("/office?period=2026-03"); strings.Contains(page, "/office/remind") {
		t.Error("催报 buttons without robots configured")
	}
}
