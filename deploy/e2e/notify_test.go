package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/collector/notify"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/internal/testenv"
)

// fakeRobot stands in for a WeCom or DingTalk robot (remote services the test cannot
// reach): it answers the statuses queued in fail first, checks DingTalk's 加签 when it
// has a secret, and keeps the markdown it was sent.
type fakeRobot struct {
	mu       sync.Mutex
	fail     []int
	secret   string
	requests int
	texts    []string
}

func (f *fakeRobot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if len(f.fail) > 0 {
		w.WriteHeader(f.fail[0])
		f.fail = f.fail[1:]
		return
	}
	if f.secret != "" {
		ms, _ := strconv.ParseInt(r.URL.Query().Get("timestamp"), 10, 64)
		if r.URL.Query().Get("sign") != notify.Sign(f.secret, ms) || time.Since(time.UnixMilli(ms)).Abs() > time.Hour {
			_, _ = io.WriteString(w, `{"errcode":310000,"errmsg":"sign not match"}`)
			return
		}
	}
	var m struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Title   string `json:"title"`
			Text    string `json:"text"`
			Content string `json:"content"`
		} `json:"markdown"`
	}
	_ = json.NewDecoder(r.Body).Decode(&m)
	if m.MsgType != "markdown" {
		_, _ = io.WriteString(w, `{"errcode":40008,"errmsg":"invalid message type"}`)
		return
	}
	f.texts = append(f.texts, m.Markdown.Title+"|"+m.Markdown.Text+m.Markdown.Content)
	_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
}

func (f *fakeRobot) find(s string) (string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.texts {
		if strings.Contains(t, s) {
			return t, f.requests
		}
	}
	return "", f.requests
}

// TestDueSoonReachesTheRobotsThroughDubansReceiver: a real Prometheus evaluates the
// generated DepartmentReportDueSoon (its window widened so that today is in it), a real
// Alertmanager posts each department's group to duban's receiver with the receiver's
// token, and duban posts rsj's to a WeCom robot (after a 500, retried) and fgw's to a
// DingTalk robot that checks the 加签 signature.
func TestDueSoonReachesTheRobotsThroughDubansReceiver(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts duban, Prometheus and Alertmanager")
	}
	// The reminder compares due dates with Prometheus's time(), the real time, so duban
	// runs on the real clock with a plan generated for the current year. Every report
	// of the latest period due is sent (none before the first due date of the year, in
	// January): on any date each department's next report is then due within 41 days.
	now := time.Now()
	cat := catalog(now.In(time.FixedZone("CST", 8*3600)).Year())
	period := evaluate.Config{}.LastDuePeriod(cat.Plan, now)
	sendLatest := strings.HasPrefix(period, fmt.Sprint(cat.Plan.Year))
	var catYAML bytes.Buffer
	if err := cat.WriteYAML(&catYAML); err != nil {
		t.Fatal(err)
	}
	rsjTok, rsjHash := testenv.Token(t)
	fgwTok, fgwHash := testenv.Token(t)
	// One token file, as docker-compose's secret duban_notify_token: Alertmanager sends
	// what it holds (credentials_file), duban reads it as notify.token_file.
	amToken, _ := testenv.Token(t)
	tokenFile := filepath.Join(t.TempDir(), "duban_notify_token")
	if err := os.WriteFile(tokenFile, []byte(amToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	wecom := &fakeRobot{fail: []int{http.StatusInternalServerError}}
	wecomSrv := httptest.NewServer(wecom)
	t.Cleanup(wecomSrv.Close)
	ding := &fakeRobot{secret: "SEC-jiaqian-secret"}
	dingSrv := httptest.NewServer(ding)
	t.Cleanup(dingSrv.Close)

	duban := testenv.StartServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		return fmt.Sprintf(`listen: %s
catalog: %s
store: {kind: embedded, path: %s}
auth:
  tokens:
    - {department: rsj, sha256: %s}
    - {department: fgw, sha256: %s}
log: {format: text, level: warn}
notify:
  token_file: %s
  board_url: https://duban.example.gov.cn/
  robots:
    - {department: rsj, kind: wecom, url_file: %s}
    - {department: fgw, kind: dingtalk, url_file: %s, secret_file: %s}
`, addr, filepath.Join(dir, "catalog.yaml"), filepath.Join(dir, "data"), rsjHash, fgwHash, tokenFile,
			filepath.Join(dir, "rsj-url"), filepath.Join(dir, "fgw-url"), filepath.Join(dir, "fgw-secret"))
	}, Files: testenv.Files{
		"catalog.yaml": catYAML.String(),
		"rsj-url":      wecomSrv.URL + "/cgi-bin/webhook/send?key=WECOMKEY",
		"fgw-url":      dingSrv.URL + "/robot/send?access_token=DINGTOKEN",
		"fgw-secret":   "SEC-jiaqian-secret",
	}})

	receiver := duban.URL + "/api/v1/notify/alertmanager"
	am := testenv.StartAlertmanager(t, fmt.Sprintf(`route:
  receiver: duban
  group_by: [department, alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: duban
    webhook_configs:
      - url: '%s'
        http_config: {authorization: {credentials_file: '%s'}}
`, receiver, tokenFile), nil)
	// The next reports are due at most 41 days ahead: a 45-day window holds today.
	startPrometheus(t, am.Addr, duban.Addr, alerts.PrometheusOptions{For: alertFor, Tuning: alerts.Tuning{DueSoonDays: 45}})
	// Both report the latest period due (if any yet): their next reports are due within 41 days.
	if sendLatest {
		testenv.Push(t, duban.URL, rsjTok, `{"reports":[{"indicator":"57.1","period":"`+period+`","value":40000}]}`)
		testenv.Push(t, duban.URL, fgwTok, `{"reports":[{"indicator":"11.1","period":"`+period+`","value":34000000000}]}`)
	}

	var rsjText, fgwText string
	var wecomRequests int
	waitFor(t, deadline, func() bool {
		rsjText, wecomRequests = wecom.find("报送期限将至")
		fgwText, _ = ding.find("报送期限将至")
		return rsjText != "" && fgwText != ""
	}, "DepartmentReportDueSoon did not reach both robots")
	if !strings.Contains(rsjText, "市人社局有1项指标") || !strings.Contains(rsjText, "57.1「新增城镇就业」") || !strings.Contains(rsjText, "[查看督办看板](https://duban.example.gov.cn/)") {
		t.Errorf("rsj's WeCom message: %s", rsjText)
	}
	if wecomRequests < 2 {
		t.Errorf("the WeCom robot answered 500 first; duban sent %d requests, want a retry", wecomRequests)
	}
	if !strings.HasPrefix(fgwText, "《"+cat.Plan.Title+"》市发改委有1项指标报送期限将至|") || !strings.Contains(fgwText, "11.1「基础设施投资」") {
		t.Errorf("fgw's DingTalk message: %s", fgwText)
	}
	if strings.Contains(duban.Logs.String(), "WECOMKEY") || strings.Contains(duban.Logs.String(), "DINGTOKEN") {
		t.Errorf("a robot's key reached duban's log:\n%s", duban.Logs.String())
	}
}
