package alertmanager_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/internal/testenv"
)

type amAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

func postAlerts(t *testing.T, am *testenv.Server, labels ...map[string]string) {
	t.Helper()
	var list []map[string]any
	for _, l := range labels {
		list = append(list, map[string]any{"labels": l, "startsAt": time.Now().Add(-time.Minute).Format(time.RFC3339)})
	}
	body, _ := json.Marshal(list)
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	testenv.ReadBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post alerts: %s", resp.Status)
	}
}

// TestInhibitionsOnTheRealAlertmanager loads the shipped configuration into the real
// Alertmanager and posts alerts: the collector being down mutes every indicator and
// reporting alert; a projected miss mutes the at-risk alert of its own indicator only;
// a damaged store mutes its own unwritable alert.
func TestInhibitionsOnTheRealAlertmanager(t *testing.T) {
	cfg, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	am := testenv.StartAlertmanager(t, string(cfg), nil)
	a := func(name, indicator, dept, severity string) map[string]string {
		return map[string]string{"alertname": name, "indicator": indicator, "department": dept, "severity": severity}
	}
	store := func(name, instance string) map[string]string {
		return map[string]string{"alertname": name, "job": "duban", "instance": instance, "severity": "critical"}
	}
	postAlerts(t, am,
		a("IndicatorProjectedMiss", "11.1", "fgw", "warning"),
		a("IndicatorAtRisk", "11.1", "fgw", "info"),
		a("IndicatorAtRisk", "57.1", "rsj", "info"),
		store("DubanStoreDamaged", "a:8080"),
		store("DubanStoreNotWritable", "a:8080"),
		store("DubanStoreNotWritable", "b:8080"),
	)
	waitStates(t, am, map[string]string{
		"IndicatorProjectedMiss/11.1":  "active",
		"IndicatorAtRisk/11.1":         "suppressed",
		"IndicatorAtRisk/57.1":         "active",
		"DubanStoreDamaged/a:8080":     "active",
		"DubanStoreNotWritable/a:8080": "suppressed",
		"DubanStoreNotWritable/b:8080": "active",
	})

	// The collector goes down: every indicator and reporting alert is muted, the
	// collector's own alerts are not.
	postAlerts(t, am,
		map[string]string{"alertname": alerts.AlertCollectorDown, "severity": "critical"},
		a("IndicatorLagging", "57.1", "rsj", "warning"),
		a("IndicatorMissed", "9.1", "fgw", "critical"),
		map[string]string{"alertname": "DepartmentReportOverdue", "department": "rsj", "severity": "warning"},
	)
	waitStates(t, am, map[string]string{
		"IndicatorProjectedMiss/11.1":   "suppressed",
		"IndicatorAtRisk/11.1":          "suppressed",
		"IndicatorAtRisk/57.1":          "suppressed",
		"IndicatorLagging/57.1":         "suppressed",
		"IndicatorMissed/9.1":           "suppressed",
		"DepartmentReportOverdue/":      "suppressed",
		alerts.AlertCollectorDown + "/": "active",
		"DubanStoreDamaged/a:8080":      "active",
		"DubanStoreNotWritable/a:8080":  "suppressed",
		"DubanStoreNotWritable/b:8080":  "active",
	})
}

func waitStates(t *testing.T, am *testenv.Server, want map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got map[string]string
	for ctx.Err() == nil {
		got = map[string]string{}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, am.URL+"/api/v2/alerts", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var as []amAlert
			_ = json.Unmarshal(testenv.ReadBody(t, resp), &as) // not yet a list: poll again
			for _, a := range as {
				got[a.Labels["alertname"]+"/"+a.Labels["indicator"]+a.Labels["instance"]] = a.Status.State
			}
		}
		if equal(got, want) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("alert states = %v, want %v", got, want)
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// hook records the paths Alertmanager posts to.
type hook struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (h *hook) ServeHTTP(_ http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.seen[strings.TrimPrefix(r.URL.Path, "/")] = true
	h.mu.Unlock()
}

func (h *hook) got() map[string]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]bool{}
	for k, v := range h.seen {
		out[k] = v
	}
	return out
}

// TestWorkingHoursAsTheRealAlertmanagerKeepsThem checks the working-hours interval's
// meaning against the real binary, which only knows the current time: the shipped
// interval (weekdays, times, location) is copied into one route per time zone from
// UTC−12 to UTC+14, and each zone's alert is posted. Alertmanager must deliver exactly
// the zones whose local time is a weekday between the start (inclusive) and the end
// (exclusive): the meaning the README states, and the one the Asia/Shanghai interval
// has. Zones within two minutes of a boundary are left out.
func TestWorkingHoursAsTheRealAlertmanagerKeepsThem(t *testing.T) {
	shipped := loadConfig(t).TimeIntervals[0].TimeIntervals[0]
	start, end := clock(t, shipped.Times[0].Start), clock(t, shipped.Times[0].End)
	h := &hook{seen: map[string]bool{}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	type zone struct {
		name string // Etc/GMT-8 is UTC+8
		in   bool
	}
	var zones []zone
	now := time.Now()
	for off := -12; off <= 14; off++ {
		name := fmt.Sprintf("Etc/GMT%+d", -off)
		if off == 0 {
			name = "UTC"
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		local := now.In(loc)
		minute := local.Hour()*60 + local.Minute()
		if near(minute, start) || near(minute, end) || near(minute, 0) || near(minute, 24*60) {
			continue
		}
		weekday := local.Weekday() >= time.Monday && local.Weekday() <= time.Friday
		zones = append(zones, zone{name: name, in: weekday && minute >= start && minute < end})
	}
	shanghai := now.In(mustLoc(t, shipped.Location))
	t.Logf("now %s; in Asia/Shanghai %s", now.UTC().Format(time.RFC3339), shanghai.Format("Mon 15:04"))

	var cfg alerts.AMConfig
	cfg.Global.ResolveTimeout = "5m"
	cfg.Route = alerts.AMRoute{Receiver: "none", GroupBy: []string{"zone"}, GroupWait: "0s", GroupInterval: "1s", RepeatInterval: "1h"}
	cfg.Receivers = []alerts.AMReceiver{{Name: "none"}}
	var labels []map[string]string
	for i, z := range zones {
		id := fmt.Sprintf("z%d", i)
		spec := shipped
		spec.Location = z.name
		cfg.TimeIntervals = append(cfg.TimeIntervals, alerts.AMTimeInterval{Name: id, TimeIntervals: []alerts.AMTimeSpec{spec}})
		cfg.Route.Routes = append(cfg.Route.Routes, alerts.AMRoute{Receiver: id, Matchers: []string{fmt.Sprintf("zone=%q", id)}, ActiveTimeIntervals: []string{id}})
		cfg.Receivers = append(cfg.Receivers, alerts.AMReceiver{Name: id, WebhookConfigs: []alerts.AMWebhook{{URL: srv.URL + "/" + id}}})
		labels = append(labels, map[string]string{"alertname": "WorkingHoursProbe", "zone": id})
	}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	am := testenv.StartAlertmanager(t, string(raw), nil)
	postAlerts(t, am, labels...)

	want := map[string]bool{}
	for i, z := range zones {
		if z.in {
			want[fmt.Sprintf("z%d", i)] = true
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && len(h.got()) < len(want) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // muted zones have had their chance to arrive too
	got := h.got()
	for i, z := range zones {
		id := fmt.Sprintf("z%d", i)
		if got[id] != z.in {
			t.Errorf("%s (local %s): delivered %v, want %v", z.name, now.In(mustLoc(t, z.name)).Format("Mon 15:04"), got[id], z.in)
		}
	}
	t.Logf("%d zones delivered, %d muted", len(want), len(zones)-len(want))
}

func clock(t *testing.T, hhmm string) int {
	t.Helper()
	c, err := time.Parse("15:04", hhmm)
	if err != nil {
		t.Fatal(err)
	}
	return c.Hour()*60 + c.Minute()
}

func near(a, b int) bool { return a-b <= 2 && b-a <= 2 }

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestRetentionOutlastsEveryRepeat starts the real Alertmanager with the shipped
// configuration and the --data.retention the deployment gives it: it does not warn that
// a repeat interval outlives the notification log (with its default retention it does,
// which shows the check can fail).
func TestRetentionOutlastsEveryRepeat(t *testing.T) {
	cfg, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	const warning = "repeat_interval is greater than the data retention period"
	short := testenv.StartAlertmanager(t, string(cfg), nil)
	shipped := testenv.StartAlertmanager(t, string(cfg), nil, "--data.retention="+alerts.RetentionFlag())
	time.Sleep(500 * time.Millisecond)
	if !strings.Contains(short.Log(), warning) {
		t.Errorf("with the default retention Alertmanager does not warn %q; the check below proves nothing", warning)
	}
	if strings.Contains(shipped.Log(), warning) {
		t.Errorf("with --data.retention=%s Alertmanager warns: %s", alerts.RetentionFlag(), shipped.Log())
	}
}
