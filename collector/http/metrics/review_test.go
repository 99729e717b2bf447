package metrics_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/metrics"
	"github.com/duban-gov/duban/indicators"
)

// The review backlog per department: what waits for the office, what it returned and
// since when; a resubmission moves a report from returned back to in review.
func TestReviewBacklogPerDepartment(t *testing.T) {
	cat := miniCatalog(t)
	now := fixedNow(t, cat)
	svc := newService(t, cat, now, []report{
		{indicator: "57.1", period: "2026-04", value: 15000, received: "2026-05-08"},
		{indicator: "57.1", period: "2026-05", value: 18000, received: "2026-06-08"},
	})
	h, err := metrics.Handler(metrics.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	has := func(lines ...string) {
		t.Helper()
		body, _ := scrape(t, h, "")
		for _, l := range lines {
			if !strings.Contains(string(body), l+"\n") {
				t.Errorf("/metrics lacks %q", l)
			}
		}
	}
	has(`duban_department_reports_in_review{department="rsj",plan="mini-2026"} 2`, `duban_department_reports_returned{department="rsj",plan="mini-2026"} 0`)
	rvs, err := svc.Review(context.Background(), collector.Principal{Admin: true}, []collector.ReviewRequest{
		{Indicator: "57.1", Period: "2026-04", Decision: "approve"},
		{Indicator: "57.1", Period: "2026-05", Decision: "return", Comment: "请附佐证"},
	})
	if err != nil {
		t.Fatal(err)
	}
	since := fmt.Sprintf("%g", float64(rvs[1].ReviewedAt.UnixNano())/1e9)
	has(`duban_department_reports_in_review{department="rsj",plan="mini-2026"} 0`, `duban_department_reports_returned{department="rsj",plan="mini-2026"} 1`,
		`duban_department_reports_returned_oldest_timestamp_seconds{department="rsj",plan="mini-2026"} `+since)
	v := 18100.0
	if _, err := svc.Submit(context.Background(), collector.Principal{Department: "rsj"}, []indicators.Report{{Indicator: "57.1", Period: "2026-05", Value: &v}}, ""); err != nil {
		t.Fatal(err)
	}
	has(`duban_department_reports_in_review{department="rsj",plan="mini-2026"} 1`, `duban_department_reports_returned{department="rsj",plan="mini-2026"} 0`)
	body, _ := scrape(t, h, "")
	if strings.Contains(string(body), "duban_department_reports_returned_oldest_timestamp_seconds{") {
		t.Errorf("a timestamp of returns is exposed while none is outstanding")
	}
}
