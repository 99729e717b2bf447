package notify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/duban-gov/duban/collector/notify"
)

// robot is a local stand-in for a WeCom or DingTalk robot (remote services): it records
// what it got, answers the statuses queued in fail first, and checks DingTalk's sign.
type robot struct {
	mu     sync.Mutex
	fail   []int
	got    []map[string]any
	query  []string
	secret string
	srv    *httptest.Server
	t      *testing.T
}

func newRobot(t *testing.T, secret string, fail ...int) *robot {
	r := &robot{fail: fail, secret: secret, t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.query = append(r.query, req.URL.RawQuery)
		if len(r.fail) > 0 {
			code := r.fail[0]
			r.fail = r.fail[1:]
			w.WriteHeader(code)
			return
		}
		if r.secret != "" {
			ms, _ := strconv.ParseInt(req.URL.Query().Get("timestamp"), 10, 64)
			if req.URL.Query().Get("sign") != notify.Sign(r.secret, ms) || time.Since(time.UnixMilli(ms)).Abs() > time.Hour {
				_, _ = io.WriteString(w, `{"errcode":310000,"errmsg":"sign not match"}`)
				return
			}
		}
		var m map[string]any
		b, _ := io.ReadAll(req.Body)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("robot got no JSON: %s", b)
		}
		r.got = append(r.got, m)
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func file(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var payload = notify.Payload{
	Version: "4", Status: "firing", Receiver: "dept-rsj",
	GroupLabels:       map[string]string{"department": "rsj", "alertname": "DepartmentReportDueSoon"},
	CommonAnnotations: map[string]string{"summary": "市人社局有2项指标报送期限将至"},
	Alerts: []notify.PayloadAlert{{Status: "firing", Labels: map[string]string{"department": "rsj"},
		Annotations: map[string]string{"summary": "市人社局有2项指标报送期限将至", "description": "市人社局有2项指标的数据将在3天内到报送期限,尚未报送:56.1「城镇居民人均可支配收入增速」、57.1「新增城镇就业」。请在期限前报送。"}}},
}

func TestTheReceiverPostsWeComAndDingTalkMarkdownWithRetries(t *testing.T) {
	wecom := newRobot(t, "", http.StatusInternalServerError) // the first attempt fails
	ding := newRobot(t, "SEC-secret-of-jiaqian")
	var logs bytes.Buffer
	n, err := notify.New(notify.Config{
		Robots: []notify.Robot{
			{Department: "rsj", Kind: "wecom", URLFile: file(t, wecom.srv.URL+"/cgi-bin/webhook/send?key=WECOMKEY")},
			{Department: "office", Kind: "dingtalk", URLFile: file(t, ding.srv.URL+"/robot/send?access_token=DINGTOKEN"), SecretFile: file(t, "SEC-secret-of-jiaqian")},
		},
		Backoff: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	token := "am-receiver-token"
	sum := sha256.Sum256([]byte(token))
	h, err := notify.Receiver(notify.ReceiverConfig{Notifier: n, TokenSHA256: hex.EncodeToString(sum[:]), BoardURL: "https://duban.example.gov.cn/"})
	if err != nil {
		t.Fatal(err)
	}
	post := func(tok string, p any) int {
		b, _ := json.Marshal(p)
		req := httptest.NewRequest(http.MethodPost, "/api/v1/notify/alertmanager", bytes.NewReader(b))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post("", payload); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", code)
	}
	if code := post("wrong", payload); code != http.StatusUnauthorized {
		t.Errorf("with another token: %d, want 401", code)
	}
	if code := post(token, map[string]any{"alerts": "no"}); code != http.StatusBadRequest {
		t.Errorf("a payload that is not one: %d, want 400", code)
	}
	if code := post(token, payload); code != http.StatusOK {
		t.Fatalf("delivery to rsj's WeCom robot: %d", code)
	}
	if len(wecom.query) != 2 || len(wecom.got) != 1 {
		t.Fatalf("WeCom robot: %d requests, %d messages; want a retry after the 500 and one message", len(wecom.query), len(wecom.got))
	}
	md := wecom.got[0]["markdown"].(map[string]any)["content"].(string)
	if wecom.got[0]["msgtype"] != "markdown" || !strings.HasPrefix(md, "### 市人社局有2项指标报送期限将至\n- 市人社局有2项指标") ||
		!strings.Contains(md, "57.1「新增城镇就业」") || !strings.Contains(md, "[查看督办看板](https://duban.example.gov.cn/)") {
		t.Errorf("WeCom message:\n%v", wecom.got[0])
	}

	office := payload
	office.Receiver, office.GroupLabels = "duban-office", map[string]string{"alertname": "IndicatorMissed"}
	if code := post(token, office); code != http.StatusOK {
		t.Fatalf("delivery to the office's DingTalk robot: %d", code)
	}
	if len(ding.got) != 1 || ding.got[0]["msgtype"] != "markdown" || ding.got[0]["markdown"].(map[string]any)["title"] != "市人社局有2项指标报送期限将至" {
		t.Fatalf("DingTalk robot (sign checked): %v", ding.got)
	}
	if !strings.Contains(ding.query[0], "access_token=DINGTOKEN") || !strings.Contains(ding.query[0], "sign=") {
		t.Errorf("DingTalk query %q lacks the token or the sign", ding.query[0])
	}
}

func TestAFailedNotificationIsCountedAndLoggedWithoutItsKey(t *testing.T) {
	wecom := newRobot(t, "", 500, 500, 500, 500)
	var logs bytes.Buffer
	n, err := notify.New(notify.Config{
		Robots:  []notify.Robot{{Department: "rsj", Kind: "wecom", URLFile: file(t, wecom.srv.URL+"/send?key=SECRETKEY")}},
		Backoff: time.Millisecond, Attempts: 3, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Send(context.Background(), "rsj", notify.Message{Title: "t", Text: "x"})
	if err == nil || len(wecom.query) != 3 {
		t.Fatalf("Send = %v after %d attempts; want an error after 3", err, len(wecom.query))
	}
	if strings.Contains(logs.String(), "SECRETKEY") || strings.Contains(err.Error(), "SECRETKEY") {
		t.Errorf("the robot's key leaked:\n%s\n%v", logs.String(), err)
	}
	if !strings.Contains(logs.String(), "a notification was not delivered") {
		t.Errorf("the failure is not logged:\n%s", logs.String())
	}
	want := `
# HELP duban_notifications_total Notifications to the departments' robots, by department, robot kind and result (sent, failed).
# TYPE duban_notifications_total counter
duban_notifications_total{department="rsj",kind="wecom",result="failed"} 1
duban_notifications_total{department="rsj",kind="wecom",result="sent"} 0
`
	if err := testutil.CollectAndCompare(n.Metrics(), strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestRobotsAreCheckedAtStart(t *testing.T) {
	cases := map[string]struct {
		robot notify.Robot
		want  string
	}{
		"an unknown kind":                  {notify.Robot{Department: "rsj", Kind: "feishu", URLFile: file(t, "https://open.feishu.cn/x")}, `kind "feishu"`},
		"a plain http URL to another host": {notify.Robot{Department: "rsj", Kind: "wecom", URLFile: file(t, "http://qyapi.weixin.qq.com/send?key=K")}, "https URL"},
		"a DingTalk robot without secret":  {notify.Robot{Department: "rsj", Kind: "dingtalk", URLFile: file(t, "https://oapi.dingtalk.com/robot/send?access_token=T")}, "加签"},
		"a missing URL file":               {notify.Robot{Department: "rsj", Kind: "wecom", URLFile: "/nonexistent/url"}, "url_file"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := notify.New(notify.Config{Robots: []notify.Robot{c.robot}})
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "key=K") {
				t.Fatalf("New = %v, want an error naming %q (and never the URL)", err, c.want)
			}
		})
	}
}
