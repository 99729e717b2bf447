package alerts_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
)

// statusOnly finds the one status an indicator alert fires on (none for an alert that
// fires on several or on other series).
var statusOnly = regexp.MustCompile(`^max by \(indicator, department, status\) \(duban_indicator_status\{status="([a-z_]+)"\} == 1\)`)

// TestInhibitionsPairAlertsThatCanFireTogether: an inhibition whose source and target
// fire on two different statuses of the same indicator mutes nothing (an indicator has
// one status), so it is refused; every inhibition names alerts that exist.
func TestInhibitionsPairAlertsThatCanFireTogether(t *testing.T) {
	byName := map[string]alerts.Alert{}
	for _, a := range alerts.Alerts() {
		byName[a.Name] = a
	}
	status := func(a alerts.Alert) string {
		if m := statusOnly.FindStringSubmatch(a.Expr); m != nil {
			return m[1]
		}
		return ""
	}
	for _, in := range alerts.Inhibitions() {
		src, ok := byName[in.Source]
		if !ok {
			t.Errorf("inhibition source %s is no alert", in.Source)
			continue
		}
		if in.Why == "" {
			t.Errorf("inhibition %s says not why", in.Source)
		}
		for _, name := range in.Targets {
			dst, ok := byName[name]
			if !ok {
				t.Errorf("inhibition %s → %s: no such alert", in.Source, name)
				continue
			}
			if s, d := status(src), status(dst); s != "" && d != "" && s != d {
				t.Errorf("inhibition %s (status %s) → %s (status %s): one indicator has one status, they never fire together", in.Source, s, name, d)
			}
		}
	}
}

// TestCollectorDownMutesEveryIndicatorAlert: with no collector scraped the indicator
// series vanish and their alerts resolve; the collector-down alert mutes every one of
// them, so no "resolved" notice reads as all clear.
func TestCollectorDownMutesEveryIndicatorAlert(t *testing.T) {
	var muted []string
	for _, in := range alerts.Inhibitions() {
		if in.Source == alerts.AlertCollectorDown {
			muted = in.Targets
		}
	}
	collector := map[string]bool{}
	for _, n := range alerts.CollectorAlerts() {
		collector[n] = true
	}
	for _, a := range alerts.Alerts() {
		found := false
		for _, m := range muted {
			found = found || m == a.Name
		}
		if found == collector[a.Name] {
			t.Errorf("%s: muted by %s = %v, want %v", a.Name, alerts.AlertCollectorDown, found, !collector[a.Name])
		}
	}
}

// TestAlertsReadRawMetrics: no alert depends on a recording rule, so Grafana's copy of
// the rules (and a Prometheus without the recording group) evaluates them.
func TestAlertsReadRawMetrics(t *testing.T) {
	for _, a := range alerts.Alerts() {
		for _, r := range alerts.Recordings() {
			if strings.Contains(a.Expr, r.Record) {
				t.Errorf("%s reads the recording rule %s", a.Name, r.Record)
			}
		}
	}
}

func TestAlertmanagerSettingsFromEnvironment(t *testing.T) {
	cases := map[string]struct {
		env     map[string]string
		wantErr string // substring; "" for none
		check   func(t *testing.T, o alerts.AlertmanagerOptions)
	}{
		"nothing set delivers to duban's receiver and is valid": {
			env: map[string]string{},
			check: func(t *testing.T, o alerts.AlertmanagerOptions) {
				must(t, o.Delivers(), "does not deliver to duban's receiver")
			},
		},
		"a webhook elsewhere gets no token unless one is given": {
			env: map[string]string{"DUBAN_ALERT_WEBHOOK_URL": "http://gateway:9000/{department}"},
			check: func(t *testing.T, o alerts.AlertmanagerOptions) {
				cat, err := catalogs.Load(catalogs.Default)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range alerts.Alertmanager(indicators.SinglePlan(cat), o).Receivers {
					w := r.WebhookConfigs
					must(t, len(w) == 1 && strings.HasPrefix(w[0].URL, "http://gateway:9000/") && w[0].HTTPConfig == nil, "receiver "+r.Name+" is not the gateway's without a token")
				}
			},
		},
		"none turns webhooks off": {
			env: map[string]string{"DUBAN_ALERT_WEBHOOK_URL": alerts.NoWebhook},
			check: func(t *testing.T, o alerts.AlertmanagerOptions) {
				mustNot(t, o.Delivers(), "delivers with webhooks off and no mail")
			},
		},
		"a webhook URL with {department} is valid and delivers": {
			env:   map[string]string{"DUBAN_ALERT_WEBHOOK_URL": "http://duban:8080/api/v1/notify/alertmanager/{department}"},
			check: func(t *testing.T, o alerts.AlertmanagerOptions) { must(t, o.Delivers(), "does not deliver") },
		},
		"a URL that is not http is refused with its variable named": {
			env: map[string]string{"DUBAN_ALERT_WEBHOOK_URL": "notify-gateway/duban"}, wantErr: "DUBAN_ALERT_WEBHOOK_URL (--department-webhook)",
		},
		"email without an SMTP server is refused": {
			env: map[string]string{"DUBAN_ALERT_OFFICE_EMAIL": "duchashi@city.gov.cn"}, wantErr: "DUBAN_SMTP_SMARTHOST",
		},
		"a smarthost without a port is refused": {
			env:     map[string]string{"DUBAN_ALERT_OFFICE_EMAIL": "a@b.cn", "DUBAN_SMTP_SMARTHOST": "mail.city.gov.cn", "DUBAN_SMTP_FROM": "duban@city.gov.cn"},
			wantErr: "is not host:port",
		},
		"a token inline and as a file is refused without echoing it": {
			env:     map[string]string{"DUBAN_ALERT_WEBHOOK_TOKEN": "sekrit-token", "DUBAN_ALERT_WEBHOOK_TOKEN_FILE": "/run/secrets/t"},
			wantErr: "not both",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var o alerts.AlertmanagerOptions
			o.FromEnv(func(k string) string { return tc.env[k] })
			err := o.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Validate = %v, want an error naming %q", err, tc.wantErr)
			case err != nil && strings.Contains(err.Error(), "sekrit"):
				t.Fatalf("the error echoes a secret: %v", err)
			}
			if tc.check != nil {
				tc.check(t, o)
			}
		})
	}
}

// TestEveryEnvironmentVariableIsNamedOnce: the settings table is what .env.example,
// the flags and docker-compose are checked against; names must be unique.
func TestEveryEnvironmentVariableIsNamedOnce(t *testing.T) {
	envs, flags := map[string]bool{}, map[string]bool{}
	for _, s := range alerts.AlertmanagerSettings {
		if envs[s.Env] || flags[s.Flag] || !strings.HasPrefix(s.Env, "DUBAN_") {
			t.Errorf("setting %s / --%s: duplicate or not DUBAN_*", s.Env, s.Flag)
		}
		envs[s.Env], flags[s.Flag] = true, true
	}
}

// TestRepeatIntervalsFitMonthlyData: the floors of the notification policy and the
// retention Alertmanager needs to honour them.
func TestRepeatIntervalsFitMonthlyData(t *testing.T) {
	day := 24 * time.Hour
	if alerts.RepeatWarning < 7*day || alerts.RepeatInfo < 3*day || alerts.RepeatOnce < 365*day {
		t.Errorf("repeats: warning %v, info %v, missed %v; want ≥ 7d, ≥ 3d, a year", alerts.RepeatWarning, alerts.RepeatInfo, alerts.RepeatOnce)
	}
	if alerts.Retention <= alerts.RepeatOnce {
		t.Errorf("retention %v does not outlast the longest repeat %v", alerts.Retention, alerts.RepeatOnce)
	}
	cat, err := catalogs.Load(catalogs.Default)
	if err != nil {
		t.Fatal(err)
	}
	if loc := cat.Plan.Location().String(); loc != "Asia/Shanghai" {
		t.Errorf("working hours in %s, want the plan's Asia/Shanghai", loc)
	}
}

func must(t *testing.T, ok bool, msg string) {
	t.Helper()
	if !ok {
		t.Error(msg)
	}
}

func mustNot(t *testing.T, ok bool, msg string) { must(t, !ok, msg) }
