// Package alertmanager_test checks the generated Alertmanager configuration (its drift
// from the generator is deploy's test) with the real amtool and Alertmanager: it loads,
// routes each alert to its department, repeats at the intervals monthly data needs,
// notifies in working hours only, and inhibits what it should.
package alertmanager_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/indicators/catalogs"
	"github.com/duban-gov/duban/internal/testenv"
)

const config = "alertmanager.yml"

// TestEveryLeadDepartmentHasARoute: the committed file (generated, see package deploy)
// routes every lead department of the shipped catalog to its own receiver.
func TestEveryLeadDepartmentHasARoute(t *testing.T) {
	cat, err := catalogs.Load(catalogs.Default)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range cat.LeadDepartments() {
		if !bytes.Contains(got, []byte("receiver: "+alerts.DepartmentReceiver(id)+"\n")) {
			t.Errorf("no route to %s's receiver", id)
		}
	}
}

func TestAmtoolAcceptsTheConfiguration(t *testing.T) {
	amtool := testenv.NeedBinary(t, "amtool")
	out, err := exec.Command(amtool, "check-config", config).CombinedOutput()
	if err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("amtool check-config did not report success:\n%s", out)
	}
}

// leaf is where amtool says an alert lands: the receiver and the routes from the root
// down, as amtool prints their matchers ("default-route" for a route without any).
type leaf struct {
	receiver string
	path     []string
}

// routeLeaves runs `amtool config routes test --tree` and reads the leaves of the
// matching routes it prints.
func routeLeaves(t *testing.T, labels []string) []leaf {
	t.Helper()
	amtool := testenv.NeedBinary(t, "amtool")
	args := append([]string{"config", "routes", "test", "--tree", "--config.file=" + config}, labels...)
	out, err := exec.Command(amtool, args...).Output()
	if err != nil {
		t.Fatalf("amtool config routes test: %v\n%s", err, out)
	}
	var leaves []leaf
	var stack []string
	for _, line := range strings.Split(string(out), "\n") {
		at := strings.Index(line, "── ")
		if at < 0 {
			continue
		}
		depth := len([]rune(line[:at])) / 4 // "│   " or "    " per level, then "├─" / "└─"
		node := line[at+len("── "):]
		text, receiver, _ := strings.Cut(node, "  receiver: ")
		text = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), "continue: true"))
		if depth >= len(stack) {
			stack = append(stack, text)
		} else {
			stack = append(stack[:depth], text)
		}
		if receiver != "" {
			leaves = append(leaves, leaf{receiver: strings.TrimSpace(receiver), path: append([]string(nil), stack[1:]...)})
		}
	}
	return leaves
}

// timing is what the configuration says of a matched route: its repeat interval (its
// own or inherited), its time intervals and its grouping.
type timing struct {
	repeat  string
	active  []string
	groupBy []string
}

// timingOf finds the route amtool printed in the parsed configuration.
func timingOf(t *testing.T, cfg alerts.AMConfig, l leaf) timing {
	t.Helper()
	r := cfg.Route
	tm := timing{repeat: r.RepeatInterval, groupBy: r.GroupBy}
	for _, step := range l.path {
		found := false
		for _, c := range r.Routes {
			name := "default-route"
			if len(c.Matchers) > 0 {
				name = "{" + strings.Join(c.Matchers, ", ") + "}"
			}
			if name == step {
				r, found = c, true
				break
			}
		}
		if !found {
			t.Fatalf("route %s of %v not in %s", step, l.path, config)
		}
		if r.RepeatInterval != "" {
			tm.repeat = r.RepeatInterval
		}
		if len(r.GroupBy) > 0 {
			tm.groupBy = r.GroupBy
		}
		tm.active = r.ActiveTimeIntervals
	}
	return tm
}

func loadConfig(t *testing.T) alerts.AMConfig {
	t.Helper()
	raw, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	var cfg alerts.AMConfig
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestAlertsRouteToTheirDepartmentAtMonthlyPace: amtool routes each alert; the routes it
// lands on repeat weekly (warning), every two weeks (info) or once (missed, also to the
// office), notify in working hours only, and the collector's alerts reach the
// operators at any hour.
func TestAlertsRouteToTheirDepartmentAtMonthlyPace(t *testing.T) {
	cfg := loadConfig(t)
	work := alerts.WorkingHoursName
	cases := map[string]struct {
		labels []string
		want   map[string]timing // receiver → timing
	}{
		"a lagging rsj indicator goes to rsj, weekly, in working hours": {
			labels: []string{"alertname=IndicatorLagging", "department=rsj", "indicator=57.1", "severity=warning"},
			want:   map[string]timing{"dept-rsj": {repeat: "1w", active: []string{work}}},
		},
		"an fgw target at risk goes to fgw every two weeks": {
			labels: []string{"alertname=IndicatorAtRisk", "department=fgw", "indicator=11.1", "severity=info"},
			want:   map[string]timing{"dept-fgw": {repeat: "2w", active: []string{work}}},
		},
		"a missed fgw target goes once to fgw and to the office, one group per plan and indicator": {
			labels: []string{"alertname=IndicatorMissed", "department=fgw", "indicator=9.1", "severity=critical"},
			want: map[string]timing{
				"dept-fgw":     {repeat: "1y", active: []string{work}, groupBy: []string{"plan", "department", "alertname", "indicator"}},
				"duban-office": {repeat: "1y", active: []string{work}, groupBy: []string{"plan", "department", "alertname", "indicator"}},
			},
		},
		"an overdue sthjj report goes to sthjj weekly": {
			labels: []string{"alertname=DepartmentReportOverdue", "department=sthjj", "severity=warning"},
			want:   map[string]timing{"dept-sthjj": {repeat: "1w", active: []string{work}}},
		},
		"a projected miss goes to its department weekly": {
			labels: []string{"alertname=IndicatorProjectedMiss", "department=sthjj", "indicator=69.1", "severity=warning"},
			want:   map[string]timing{"dept-sthjj": {repeat: "1w", active: []string{work}}},
		},
		"the collector being down reaches the operators daily at any hour": {
			labels: []string{"alertname=DubanCollectorDown", "severity=critical"},
			want:   map[string]timing{"duban-ops": {repeat: "1d"}},
		},
		"a refused configuration reload reaches the operators": {
			labels: []string{"alertname=DubanConfigReloadFailed", "job=duban", "instance=duban:8080", "severity=warning"},
			want:   map[string]timing{"duban-ops": {repeat: "1d"}},
		},
		"a spool backlog reaches the operators": {
			labels: []string{"alertname=DubanSpoolBacklog", "job=duban", "instance=a:8080", "severity=warning"},
			want:   map[string]timing{"duban-ops": {repeat: "1d"}},
		},
		"a department without a route falls back to the office, in working hours": {
			labels: []string{"alertname=IndicatorLagging", "department=nobody", "severity=warning"},
			want:   map[string]timing{"duban-office": {repeat: "1w", active: []string{work}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			leaves := routeLeaves(t, tc.labels)
			got := map[string]timing{}
			for _, l := range leaves {
				got[l.receiver] = timingOf(t, cfg, l)
			}
			if len(got) != len(tc.want) {
				t.Errorf("routed to %v, want %v", keys(got), keys(tc.want))
			}
			for rcv, want := range tc.want {
				g, ok := got[rcv]
				switch {
				case !ok:
					t.Errorf("not routed to %s (got %v)", rcv, keys(got))
				case g.repeat != want.repeat:
					t.Errorf("%s repeats every %s, want %s", rcv, g.repeat, want.repeat)
				case strings.Join(g.active, ",") != strings.Join(want.active, ","):
					t.Errorf("%s notifies in %v, want %v", rcv, g.active, want.active)
				case want.groupBy != nil && strings.Join(g.groupBy, ",") != strings.Join(want.groupBy, ","):
					t.Errorf("%s groups by %v, want %v", rcv, g.groupBy, want.groupBy)
				}
			}
		})
	}
}

// TestWorkingHoursAreTheAsiaShanghaiWorkday: the one time interval the routes use.
func TestWorkingHoursAreTheAsiaShanghaiWorkday(t *testing.T) {
	cfg := loadConfig(t)
	if len(cfg.TimeIntervals) != 1 || cfg.TimeIntervals[0].Name != alerts.WorkingHoursName {
		t.Fatalf("time intervals %+v, want one named %s", cfg.TimeIntervals, alerts.WorkingHoursName)
	}
	spec := cfg.TimeIntervals[0].TimeIntervals
	if len(spec) != 1 || spec[0].Location != "Asia/Shanghai" || strings.Join(spec[0].Weekdays, ",") != "monday:friday" ||
		len(spec[0].Times) != 1 || spec[0].Times[0].Start != "08:30" || spec[0].Times[0].End != "17:30" {
		t.Errorf("working hours %+v, want monday:friday 08:30–17:30 Asia/Shanghai", spec)
	}
}

func keys(m map[string]timing) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
