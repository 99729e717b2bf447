package metrics_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/metrics"
	"github.com/duban-gov/duban/conventions"
)

// TestClosedPlansKeepOrDropTheirSeries: Drop (metrics.closed_plans: drop) leaves the
// per-indicator and per-department series of a closed plan out of /metrics, keeping the
// counters of reports received; without it (keep) a closed plan exports as before, and
// Drop is asked at every scrape, so that a reopen (or a reload back to keep) brings the
// series back.
func TestClosedPlansKeepOrDropTheirSeries(t *testing.T) {
	cat := miniCatalog(t)
	svc := newService(t, cat, fixedNow(t, cat), miniReports)
	drop := false
	h, err := metrics.Handler(metrics.Config{Source: svc, Drop: func(plan string) bool {
		if plan != cat.Plan.ID {
			t.Errorf("Drop asked for plan %q", plan)
		}
		return drop && svc.Closed()
	}})
	if err != nil {
		t.Fatal(err)
	}
	perPlan := []string{conventions.MetricStatus, conventions.MetricInfo, conventions.MetricDeptMissing, conventions.MetricDeptExpected}
	expect := func(name string, present bool) {
		t.Helper()
		body, _ := scrape(t, h, "")
		for _, m := range perPlan {
			if got := bytes.Contains(body, []byte("\n"+m+"{")) || bytes.HasPrefix(body, []byte(m+"{")); got != present {
				t.Errorf("%s: %s present %v, want %v", name, m, got, present)
			}
		}
		for _, m := range []string{conventions.MetricBuildInfo, conventions.MetricReportsReceived} {
			if !bytes.Contains(body, []byte("\n"+m+"{")) {
				t.Errorf("%s: %s is gone", name, m)
			}
		}
	}
	expect("an open plan", true)
	if _, err := svc.SetClosed(context.Background(), collector.Principal{Admin: true}, true, ""); err != nil {
		t.Fatal(err)
	}
	expect("a closed plan with keep", true)
	drop = true
	expect("a closed plan with drop", false)
	if _, err := svc.SetClosed(context.Background(), collector.Principal{Admin: true}, false, ""); err != nil {
		t.Fatal(err)
	}
	expect("the plan reopened with drop", true)
}
