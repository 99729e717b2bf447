// Package alertmanager_test checks the generated Alertmanager example (its drift from the
// generator is deploy's test): amtool check-config, routing, and inhibition on the real
// Alertmanager.
package alertmanager_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/indicators/catalogs"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestEveryLeadDepartmentHasARoute: the committed example (generated, see package
// deploy) routes every lead department of the shipped catalog to its own receiver.
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

const config = "alertmanager.yml"

func TestAmtoolAcceptsTheExample(t *testing.T) {
	amtool := testenv.NeedBinary(t, "amtool")
	out, err := exec.Command(amtool, "check-config", config).CombinedOutput()
	if err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("amtool check-config did not report success:\n%s", out)
	}
}

func TestAlertsRouteToTheirDepartment(t *testing.T) {
	amtool := testenv.NeedBinary(t, "amtool")
	cases := map[string]struct {
		labels []string
		want   string
	}{
		"a lagging rsj indicator goes to rsj only": {
			labels: []string{"alertname=IndicatorLagging", "department=rsj", "indicator=57.1", "severity=warning"},
			want:   "dept-rsj",
		},
		"a missed fgw target goes to fgw and to the office": {
			labels: []string{"alertname=IndicatorMissed", "department=fgw", "indicator=9.1", "severity=critical"},
			want:   "duban-office,dept-fgw",
		},
		"an overdue sthjj report goes to sthjj": {
			labels: []string{"alertname=DepartmentReportOverdue", "department=sthjj", "severity=warning"},
			want:   "dept-sthjj",
		},
		"the collector being down goes to the operators": {
			labels: []string{"alertname=DubanCollectorDown", "job=duban", "severity=critical"},
			want:   "duban-ops",
		},
		"a refused configuration reload goes to the operators": {
			labels: []string{"alertname=DubanConfigReloadFailed", "job=duban", "instance=duban:8080", "severity=warning"},
			want:   "duban-ops",
		},
		"a department without a route falls back to the office": {
			labels: []string{"alertname=IndicatorLagging", "department=nobody", "severity=warning"},
			want:   "duban-office",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"config", "routes", "test", "--config.file=" + config}, tc.labels...)
			cmd := exec.Command(amtool, args...)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("amtool config routes test: %v\n%s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != tc.want {
				t.Errorf("routed to %q, want %q", got, tc.want)
			}
		})
	}
}
