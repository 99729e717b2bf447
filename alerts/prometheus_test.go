package alerts_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/internal/testenv"
)

func deployDir() string { return filepath.Join(testenv.RepoRoot(), "deploy", "prometheus") }

func TestPromtoolChecksTheRules(t *testing.T) {
	promtool := testenv.NeedBinary(t, "promtool")
	cases := map[string]struct {
		opts alerts.PrometheusOptions
	}{
		"the shipped rules pass promtool check rules":                  {},
		"the rules with short for durations pass promtool check rules": {opts: alerts.PrometheusOptions{For: 2 * time.Second, Interval: time.Second}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), alerts.FileName)
			var buf bytes.Buffer
			if err := alerts.WritePrometheus(&buf, tc.opts); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
			if err != nil {
				t.Fatalf("promtool check rules: %v\n%s", err, out)
			}
			want := len(alerts.Alerts()) + len(alerts.Recordings())
			if !strings.Contains(string(out), "SUCCESS: "+itoa(want)+" rules found") {
				t.Errorf("promtool found another number of rules than %d:\n%s", want, out)
			}
		})
	}
}

func TestPromtoolUnitTestsPass(t *testing.T) {
	promtool := testenv.NeedBinary(t, "promtool")
	cmd := exec.Command(promtool, "test", "rules", "duban.rules.test.yml")
	cmd.Dir = deployDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// TestEveryAlertHasUnitTests checks that the promtool tests make every alert both fire
// and stay silent at least once.
func TestEveryAlertHasUnitTests(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir(), "duban.rules.test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string           `yaml:"alertname"`
				ExpAlerts []map[string]any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range f.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	for _, a := range alerts.Alerts() {
		if !fires[a.Name] {
			t.Errorf("no promtool test makes %s fire", a.Name)
		}
		if !silent[a.Name] {
			t.Errorf("no promtool test keeps %s silent", a.Name)
		}
	}
}

func TestTemplatesUseKnownPlaceholders(t *testing.T) {
	labels := map[string]bool{}
	for _, l := range []string{
		conventions.LabelIndicator, conventions.LabelDepartment, conventions.LabelDepartmentName,
		conventions.LabelTask, conventions.LabelName, conventions.LabelUnit, conventions.LabelMeasure,
		conventions.LabelComparator, conventions.LabelDue, conventions.LabelStatus, "job", "instance",
		conventions.LabelDisplayUnit, conventions.LabelDisplayScale, conventions.LabelGapUnit,
		conventions.LabelPlan, conventions.LabelPlanTitle,
	} {
		labels[l] = true
	}
	for _, a := range alerts.Alerts() {
		for _, tmpl := range []string{a.Summary, a.Description} {
			if strings.Contains(tmpl, "{"+conventions.LabelUnit+"}") {
				t.Errorf("%s: {=ref} values print in the display unit, so texts say {%s}, not {%s}: %s",
					a.Name, conventions.LabelDisplayUnit, conventions.LabelUnit, tmpl)
			}
			alerts.Expand(tmpl, func(p alerts.Placeholder) string {
				switch {
				case p.List:
					if _, ok := a.Lists[p.Name]; !ok {
						t.Errorf("%s: unknown list {*%s}", a.Name, p.Name)
					}
				case p.Value && p.Name != "":
					if _, ok := alerts.Values[p.Name]; !ok {
						t.Errorf("%s: unknown value {=%s}", a.Name, p.Name)
					}
				case !p.Value && !labels[p.Name]:
					t.Errorf("%s: unknown label {%s}", a.Name, p.Name)
				}
				return ""
			})
		}
		if a.Severity == "" || a.Group == "" || a.Expr == "" {
			t.Errorf("%s lacks severity, group or expr", a.Name)
		}
	}
}

func TestForOverrideReplacesEveryDuration(t *testing.T) {
	f := alerts.Prometheus(alerts.PrometheusOptions{For: 3 * time.Second})
	n := 0
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if r.For != "3s" {
				t.Errorf("%s: for %q, want 3s", r.Alert, r.For)
			}
		}
	}
	if n != len(alerts.Alerts()) {
		t.Errorf("rendered %d alerts, want %d", n, len(alerts.Alerts()))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestFormatPrintsAtMostTheDecimalsWithoutTrailingZeros runs the pipeline stage of
// alerts.Format in text/template with reReplaceAll as Prometheus and Grafana define it
// (regexp.ReplaceAllString); promtool's unit tests check the rendered rule texts.
func TestFormatPrintsAtMostTheDecimalsWithoutTrailingZeros(t *testing.T) {
	funcs := template.FuncMap{"reReplaceAll": func(pattern, repl, text string) string {
		return regexp.MustCompile(pattern).ReplaceAllString(text, repl)
	}}
	for name, c := range map[string]struct {
		v        float64
		decimals int
		want     string
	}{
		"a whole number of 亿 drops the decimals":   {290, 2, "290"},
		"a round ten keeps its zero":               {350, 2, "350"},
		"万人 keep two decimals":                     {1.18, 2, "1.18"},
		"a percent keeps one decimal":              {6.5, 2, "6.5"},
		"a negative gap keeps its sign":            {-0.3, 2, "-0.3"},
		"more decimals are rounded to two":         {1.23456, 2, "1.23"},
		"a count prints no decimals":               {2, 0, "2"},
		"zero decimals round rather than truncate": {2.6, 0, "3"},
		"one hundred keeps both zeros":             {100, 1, "100"},
		"a tiny negative gap reads 0, not -0":      {-0.001, 2, "0"},
		"minus ten keeps its sign and zero":        {-10, 2, "-10"},
	} {
		t.Run(name, func(t *testing.T) {
			tmpl, err := template.New("x").Funcs(funcs).Parse("{{ . | " + alerts.Format(c.decimals) + " }}")
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := tmpl.Execute(&b, c.v); err != nil {
				t.Fatal(err)
			}
			if b.String() != c.want {
				t.Errorf("%v with %d decimals = %q, want %q", c.v, c.decimals, b.String(), c.want)
			}
		})
	}
}
