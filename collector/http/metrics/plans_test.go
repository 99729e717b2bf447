package metrics_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/http/metrics"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testplans"
)

func minshengCatalog(t testing.TB) *indicators.Catalog {
	t.Helper()
	cat, err := indicators.Load(testplans.WriteMinsheng2026(t))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// TestTwoPlansAreTwoSetsOfSeries serves the shipped 2026 list and the 民生实事 sample,
// which share the ids 1.1 and 2.1 and the department jyj: every per-indicator and
// per-department series carries its plan, the same id in two plans is two series with
// their own values, the handler's exposition is client_golang's, and duban_plan_info
// and duban_plan_order list both plans.
func TestTwoPlansAreTwoSetsOfSeries(t *testing.T) {
	shipped, minsheng := shippedCatalog(t), minshengCatalog(t)
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, shipped.Plan.Location())
	svcs := newPlanServices(t, now,
		plan{shipped, []report{{indicator: "1.1", period: "2026-10", value: 3.2e10, received: "2026-11-06"}}},
		plan{minsheng, []report{{indicator: "1.1", period: "2026-10", value: 8, received: "2026-11-06"}}},
	)
	cfg := metrics.Config{Source: svcs[0], More: []metrics.Source{svcs[1]}, Version: "test", Revision: "abc"}
	e, err := metrics.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := metrics.Handler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := scrape(t, h, "gzip")
	got := families(t, body)
	if d := diff(collected(t, metrics.Reference(e)), got); d != "" {
		t.Errorf("the handler and the Collector disagree with two plans:\n%s", d)
	}
	has := strings.Join(got, "\n") + "\n"
	for _, want := range []string{
		`duban_indicator_value{department="zfbgs",indicator="1.1",plan="changzhi-2026"} 3.2e+10`,
		`duban_indicator_value{department="jyj",indicator="1.1",plan="minsheng-2026"} 8`,
		`duban_indicator_target{department="jyj",indicator="1.1",plan="minsheng-2026"} 10`,
		`duban_indicator_status{department="zjj",indicator="2.1",plan="minsheng-2026",status="no_data"} 1`,
		`duban_department_reports_expected{department="jyj",plan="changzhi-2026"} `,
		`duban_department_reports_expected{department="jyj",plan="minsheng-2026"} 2`,
		`duban_department_reports_in_review{department="jyj",plan="minsheng-2026"} 1`,
		`duban_reports_received_total{department="jyj",plan="minsheng-2026",result="accepted"} 0`,
		`duban_plan_info{default="true",plan="changzhi-2026",plan_title="2026年市政府工作报告重点目标任务清单",year="2026"} 1`,
		`duban_plan_info{default="false",plan="minsheng-2026",plan_title="2026年市级民生实事项目清单",year="2026"} 1`,
		`duban_plan_order{plan="changzhi-2026"} 0`,
		`duban_plan_order{plan="minsheng-2026"} 1`,
	} {
		if !strings.Contains(has, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, l := range got {
		if strings.HasPrefix(l, "duban_indicator_") || strings.HasPrefix(l, "duban_department_") || strings.HasPrefix(l, "duban_reports_") {
			if strings.Contains(l, "{") && !strings.Contains(l, `plan="`) {
				t.Errorf("a series without its plan: %s", l)
			}
		}
	}
}

// TestDropLeavesOnePlanOfTwoOut: a plan Drop leaves out (metrics.closed_plans: drop,
// the plan closed) has no per-indicator or per-department series, the other plan keeps
// its own, and the dropped plan stays in duban_plan_info and its report counters.
func TestDropLeavesOnePlanOfTwoOut(t *testing.T) {
	shipped, minsheng := shippedCatalog(t), minshengCatalog(t)
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, shipped.Plan.Location())
	svcs := newPlanServices(t, now, plan{shipped, nil}, plan{minsheng, nil})
	h, err := metrics.Handler(metrics.Config{Source: svcs[0], More: []metrics.Source{svcs[1]},
		Drop: func(plan string) bool { return plan == testplans.MinshengID }})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := scrape(t, h, "")
	if !bytes.Contains(body, []byte(`plan="changzhi-2026"`)) {
		t.Errorf("the plan exposed has no series")
	}
	for _, l := range strings.Split(string(body), "\n") {
		if strings.Contains(l, `plan="minsheng-2026"`) && !strings.HasPrefix(l, "duban_plan_") && !strings.HasPrefix(l, "duban_reports_received_total") {
			t.Fatalf("a plan left out is exposed: %s", l)
		}
	}
	if !bytes.Contains(body, []byte(`duban_plan_info{default="false",plan="minsheng-2026"`)) {
		t.Errorf("the plan left out is not listed in duban_plan_info")
	}
}

// TestPlanOrderOpensOnTheCurrentYear: by the collector's clock in the plans' time
// zone, the plan dashboards open on (duban_plan_order 0) is the one the board opens on
// (indicators.CurrentOf): the first listed plan of the current year; with none of that
// year the latest past year's; before every plan the default.
func TestPlanOrderOpensOnTheCurrentYear(t *testing.T) {
	shipped := shippedCatalog(t)
	// The 民生实事 sample as next year's list.
	path := filepath.Join(t.TempDir(), "minsheng-2027.yaml")
	if err := os.WriteFile(path, bytes.ReplaceAll(testplans.Minsheng2026(), []byte("2026"), []byte("2027")), 0o600); err != nil {
		t.Fatal(err)
	}
	next, err := indicators.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	order := func(changzhi, minsheng int) []string {
		return []string{fmt.Sprintf(`duban_plan_order{plan="changzhi-2026"} %d`, changzhi), fmt.Sprintf(`duban_plan_order{plan="minsheng-2027"} %d`, minsheng)}
	}
	cases := map[string]struct {
		now  time.Time
		want []string
	}{
		"in 2026 the 2026 plan opens":                          {now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), want: order(0, 1)},
		"in 2027 the 2027 plan opens though listed second":     {now: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), want: order(1, 0)},
		"New Year's Eve in UTC is 2027 in the city":            {now: time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC), want: order(1, 0)},
		"in 2028, with no plan of that year, the latest opens": {now: time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), want: order(1, 0)},
		"in 2025, before every plan, the default opens":        {now: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), want: order(0, 1)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			svcs := newPlanServices(t, tc.now, plan{shipped, nil}, plan{next, nil})
			h, err := metrics.Handler(metrics.Config{Source: svcs[0], More: []metrics.Source{svcs[1]}})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := scrape(t, h, "")
			for _, w := range tc.want {
				if !bytes.Contains(body, []byte(w+"\n")) {
					t.Errorf("/metrics lacks %s", w)
				}
			}
		})
	}
}
