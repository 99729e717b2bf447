// Package e2e_test runs the whole alerting path with real processes: `duban serve`, a
// Prometheus scraping it every second and loading the generated rules, and an
// Alertmanager routing per department to webhooks served by the test.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/internal/testenv"
)

// alertFor is the for duration of every alert in this test.
const alertFor = 5 * time.Second

// deadline bounds the wait for the lagging alert, from the push to the webhook.
const deadline = 60 * time.Second

type received struct {
	Receiver string
	Status   string
	Labels   map[string]string
	Annot    map[string]string
}

// webhook records what Alertmanager posts, by path (/rsj, /fgw, /other).
type webhook struct {
	mu  sync.Mutex
	got []received
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var msg struct {
		Alerts []struct {
			Status      string            `json:"status"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"alerts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	for _, a := range msg.Alerts {
		w.got = append(w.got, received{Receiver: strings.TrimPrefix(r.URL.Path, "/"), Status: a.Status, Labels: a.Labels, Annot: a.Annotations})
	}
	w.mu.Unlock()
}

func (w *webhook) all() []received {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]received(nil), w.got...)
}

// catalog has one cumulative target for each of two departments, due at the end of
// year.
func catalog(year int) *indicators.Catalog {
	due := indicators.Date(fmt.Sprintf("%d-12-31", year))
	return &indicators.Catalog{
		Plan: indicators.Plan{ID: "e2e", Title: "端到端测试目标清单", Issuer: "测试市人民政府办公室", Document: "测政办函〔2026〕1号", Year: year, TimeZone: "Asia/Shanghai"},
		Departments: []indicators.Department{
			{ID: "fgw", Name: "市发改委"},
			{ID: "rsj", Name: "市人社局"},
		},
		Tasks: []indicators.Task{
			{Num: 11, Lead: "fgw", Text: "基础设施投资完成350亿元以上。", Targets: []indicators.Target{{
				ID: "11.1", Metric: "基础设施投资", Measure: indicators.Cumulative, Comparator: indicators.GE,
				Value: 35e9, Unit: "元", DisplayUnit: "亿元", DisplayScale: 1e8, Due: due,
			}}},
			{Num: 57, Lead: "rsj", Text: "新增城镇就业4.3万人以上。", Targets: []indicators.Target{{
				ID: "57.1", Metric: "新增城镇就业", Measure: indicators.Cumulative, Comparator: indicators.GE,
				Value: 43000, Unit: "人", DisplayUnit: "万人", DisplayScale: 1e4, Due: due,
			}}},
		},
	}
}

func TestLaggingReportAlertsItsDepartmentOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts duban, Prometheus and Alertmanager")
	}
	// duban's clock stands in mid-June 2026 (testing.now, a test-only setting), so the
	// test runs the same on any date. Prometheus evaluates at the real time, later than
	// every due date of that clock: the reminders (DepartmentReportDueSoon, which
	// compare due dates with time()) stay silent, as the test wants.
	now := time.Date(2026, 6, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	cat := catalog(now.Year())
	// The latest month whose reports are due: reporting it leaves nothing overdue.
	period := evaluate.Config{}.LastDuePeriod(cat.Plan, now)
	if period != "2026-05" {
		t.Fatalf("the latest period due at %s is %s, want 2026-05", now, period)
	}

	var catYAML bytes.Buffer
	if err := cat.WriteYAML(&catYAML); err != nil {
		t.Fatal(err)
	}
	rsjTok, rsjHash := testenv.Token(t)
	fgwTok, fgwHash := testenv.Token(t)

	// 1. duban serve with the two department tokens (hashes only in its config).
	duban := testenv.StartServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		return fmt.Sprintf(`listen: %s
catalog: %s
store: {kind: embedded, path: %s}
auth:
  tokens:
    - {department: rsj, sha256: %s}
    - {department: fgw, sha256: %s}
log: {format: text, level: warn}
testing: {now: %q}
`, addr, filepath.Join(dir, "catalog.yaml"), filepath.Join(dir, "data"), rsjHash, fgwHash, now.Format(time.RFC3339))
	}, Files: testenv.Files{"catalog.yaml": catYAML.String()}})

	// 2. Webhooks and Alertmanager routing each department to its own receiver.
	hook := &webhook{}
	hooks := httptest.NewServer(hook)
	t.Cleanup(hooks.Close)
	am := testenv.StartAlertmanager(t, fmt.Sprintf(`route:
  receiver: other
  group_by: [department, alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - {receiver: rsj, matchers: ['department="rsj"']}
    - {receiver: fgw, matchers: ['department="fgw"']}
inhibit_rules:
  - source_matchers: ['alertname="IndicatorLagging"']
    target_matchers: ['alertname="IndicatorAtRisk"']
    equal: [indicator, department]
receivers:
  - {name: rsj, webhook_configs: [{url: '%[1]s/rsj'}]}
  - {name: fgw, webhook_configs: [{url: '%[1]s/fgw'}]}
  - {name: other, webhook_configs: [{url: '%[1]s/other'}]}
`, hooks.URL), nil)

	// 3. Prometheus scraping duban every second, the generated rules (with a short for)
	// loaded once the first scrape landed.
	prom := startPrometheus(t, am.Addr, duban.Addr, alerts.PrometheusOptions{For: alertFor})
	waitFor(t, deadline, func() bool {
		_, err := prom.Vector(context.Background(), alerts.RecordStatusCurrent)
		r, err2 := http.Get(prom.URL + "/api/v1/rules?type=alert")
		if err2 != nil {
			return false
		}
		defer r.Body.Close()
		var body struct {
			Data struct {
				Groups []json.RawMessage `json:"groups"`
			} `json:"data"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		return err == nil && len(body.Data.Groups) > 0
	}, "Prometheus has not loaded the rules")

	// 4. rsj reports far behind its trajectory; fgw reports its whole target.
	testenv.Push(t, duban.URL, rsjTok, `{"reports":[{"indicator":"57.1","period":"`+period+`","value":1000}]}`)
	testenv.Push(t, duban.URL, fgwTok, `{"reports":[{"indicator":"11.1","period":"`+period+`","value":35000000000}]}`)
	pushed := time.Now()

	// 5. The lagging alert reaches rsj's webhook within the deadline.
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var lagging *received
	for lagging == nil {
		for _, r := range hook.all() {
			if r.Receiver == "rsj" && r.Labels["alertname"] == "IndicatorLagging" {
				r := r
				lagging = &r
			}
		}
		if lagging != nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no IndicatorLagging at rsj's webhook %s after the push; received %+v", deadline, hook.all())
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Logf("IndicatorLagging reached rsj's webhook %s after the push", time.Since(pushed).Round(100*time.Millisecond))
	wantLabels := map[string]string{"plan": cat.Plan.ID, "plan_title": cat.Plan.Title, "department": "rsj", "indicator": "57.1", "severity": "warning", "status": "lagging", "name": "新增城镇就业", "department_name": "市人社局"}
	for k, v := range wantLabels {
		if lagging.Labels[k] != v {
			t.Errorf("lagging alert label %s = %q, want %q (labels %v)", k, lagging.Labels[k], v, lagging.Labels)
		}
	}
	if lagging.Status != "firing" {
		t.Errorf("lagging alert status %q, want firing", lagging.Status)
	}
	if d := lagging.Annot["description"]; !strings.Contains(d, "当前值0.1万人") || !strings.Contains(d, "年度目标4.3万人") || !strings.HasPrefix(d, "《"+cat.Plan.Title+"》") {
		t.Errorf("description lacks the plan, the value or the target: %q", d)
	}

	// 6. fgw is healthy: Prometheus sees it achieved, and once every alert has had its
	// for duration and Alertmanager its group wait, nothing else arrived.
	waitFor(t, deadline, func() bool {
		v, err := prom.Vector(context.Background(), `duban:indicator_status:current{department="fgw",status="achieved"}`)
		return err == nil && len(v) == 1
	}, "fgw's 11.1 is not achieved in Prometheus")
	time.Sleep(alertFor + 4*time.Second)
	for _, r := range hook.all() {
		if r.Receiver != "rsj" || r.Labels["alertname"] != "IndicatorLagging" || r.Labels["indicator"] != "57.1" {
			t.Errorf("unexpected notification to %s: %s %v", r.Receiver, r.Labels["alertname"], r.Labels)
		}
	}
}

func waitFor(t *testing.T, d time.Duration, ok func() bool, msg string) {
	t.Helper()
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("%s after %s", msg, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startPrometheus starts a real Prometheus scraping duban at dubanAddr every second and
// alerting to the Alertmanager at amAddr, waits for its first scrape of duban, then
// loads the generated rules of opts: Prometheus scrapes a new target only after its
// first discovery round (about 5 s), and absent(up) would rightly fire
// DubanCollectorDown before that.
func startPrometheus(t *testing.T, amAddr, dubanAddr string, opts alerts.PrometheusOptions) *testenv.Server {
	t.Helper()
	prom := testenv.StartPrometheus(t, fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%s]
alerting:
  alertmanagers:
    - static_configs: [{targets: ['%s']}]
scrape_configs:
  - job_name: duban
    static_configs: [{targets: ['%s']}]
`, alerts.FileName, amAddr, dubanAddr), nil)
	waitFor(t, deadline, func() bool {
		v, err := prom.Vector(context.Background(), `up{job="duban"} == 1`)
		return err == nil && len(v) == 1
	}, "Prometheus has not scraped duban")
	var rules bytes.Buffer
	if err := alerts.WritePrometheus(&rules, opts); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prom.Dir, alerts.FileName), rules.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := prom.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	return prom
}
