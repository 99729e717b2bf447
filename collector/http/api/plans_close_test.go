package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/internal/testplans"
)

type closureAnswer struct {
	Plan     string     `json:"plan"`
	Closed   bool       `json:"closed"`
	ClosedAt *time.Time `json:"closed_at"`
	By       string     `json:"by"`
	Reason   string     `json:"reason"`
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (f *fixture) closure(verb, plan, token, body string) (int, closureAnswer) {
	f.t.Helper()
	var ans closureAnswer
	resp := f.do(http.MethodPost, "/api/v1/plans/"+plan+"/"+verb, token, body, &ans)
	return resp.StatusCode, ans
}

// TestClosingAPlan: with two plans served, the office closes one; a department's push
// into it (JSON or CSV) answers 409 plan_closed naming the plan and stores nothing,
// the other plan still takes reports, the closed one stays readable, the admin still
// corrects with a reason, and a reopen takes reports again.
func TestClosingAPlan(t *testing.T) {
	f, other := twoPlans(t)
	ms := testplans.MinshengID
	for name, tc := range map[string]struct {
		verb, plan, token, body string
		status                  int
		code                    string
	}{
		"no token is 401":                          {"close", ms, "", "", http.StatusUnauthorized, "unauthorized"},
		"a department token is 403":                {"close", ms, f.tokens["jyj"], "", http.StatusForbidden, "forbidden_close"},
		"a reader token is 403 on reopen":          {"reopen", ms, f.reader, "", http.StatusForbidden, "forbidden_close"},
		"a plan not served is 404":                 {"close", "changzhi-2025", f.admin, "", http.StatusNotFound, "unknown_plan"},
		"an unknown field is 400":                  {"close", ms, f.admin, `{"why":"x"}`, http.StatusBadRequest, "unknown_field"},
		"a reason over 2 KiB is 400":               {"close", ms, f.admin, `{"reason":"` + strings.Repeat("年", 700) + `"}`, http.StatusBadRequest, "field_too_long"},
		"a body that is not JSON is 400":           {"close", ms, f.admin, `reason`, http.StatusBadRequest, "malformed_json"},
		"a department token cannot reopen, either": {"reopen", ms, f.tokens["jyj"], "", http.StatusForbidden, "forbidden_close"},
	} {
		t.Run(name, func(t *testing.T) {
			code, ans := f.closure(tc.verb, tc.plan, tc.token, tc.body)
			if code != tc.status || ans.Error == nil || ans.Error.Code != tc.code {
				t.Errorf("%s %s: %d %s, want %d %s", tc.verb, tc.plan, code, f.lastBody, tc.status, tc.code)
			}
			if other.Closed() {
				t.Fatal("a refused close closed the plan")
			}
		})
	}

	code, ans := f.closure("close", ms, f.admin, `{"reason":"2026年度终期通报已印发"}`)
	if code != http.StatusOK || !ans.Closed || ans.Plan != ms || ans.By != "admin" || ans.Reason != "2026年度终期通报已印发" || ans.ClosedAt == nil || !ans.ClosedAt.Equal(now) {
		t.Fatalf("close %s: %d %s", ms, code, f.lastBody)
	}
	if !other.Closed() || f.svc.Closed() {
		t.Fatalf("closed: %s %v, changzhi-2026 %v", ms, other.Closed(), f.svc.Closed())
	}

	// A department's JSON push and CSV upload: 409 plan_closed naming the plan, nothing stored.
	resp, push := f.push(f.tokens["jyj"], map[string]any{"plan": ms, "indicator": "1.2", "period": "2026-05", "value": 800})
	if resp.StatusCode != http.StatusConflict || push.Error == nil || push.Error.Code != collector.CodePlanClosed ||
		!strings.Contains(push.Error.Message, "计划“2026年市级民生实事项目清单”已于2026年6月15日关闭") || !strings.Contains(push.Error.Message, ms) {
		t.Fatalf("a push into the closed plan: %d %s", resp.StatusCode, f.lastBody)
	}
	resp, push = f.upload(f.tokens["jyj"], "", "text/csv", []byte("indicator,period,value\n1.2,2026-05,800\n"))
	if resp.StatusCode != http.StatusConflict || push.Error == nil || push.Error.Code != collector.CodePlanClosed {
		t.Fatalf("a CSV upload into the closed plan (its ids pick it): %d %+v", resp.StatusCode, push.Error)
	}
	if h, _ := f.store.History(context.Background(), ms, "1.2"); len(h) != 0 {
		t.Fatalf("a refused report was stored: %+v", h)
	}
	// The other plan still takes reports.
	if resp, push := f.push(f.tokens["zfbgs"], map[string]any{"plan": "changzhi-2026", "indicator": "1.1", "period": "2026-05", "value": 2e10}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("a push into the open plan: %d %+v", resp.StatusCode, push.Error)
	}

	// The closed plan stays readable, and the list says closed and when.
	var plans struct {
		Plans []struct {
			ID           string
			Closed       bool
			ClosedAt     *time.Time `json:"closed_at"`
			ClosedReason string     `json:"closed_reason"`
		}
	}
	if r := f.do(http.MethodGet, "/api/v1/plans", "", "", &plans); r.StatusCode != http.StatusOK || len(plans.Plans) != 2 ||
		plans.Plans[0].Closed || plans.Plans[0].ClosedAt != nil ||
		!plans.Plans[1].Closed || plans.Plans[1].ClosedAt == nil || !plans.Plans[1].ClosedAt.Equal(now) || plans.Plans[1].ClosedReason != "2026年度终期通报已印发" {
		t.Errorf("GET /api/v1/plans: %s", f.lastBody)
	}
	for _, path := range []string{"/api/v1/plans/" + ms + "/indicators", "/api/v1/plans/" + ms + "/completeness?period=2026-05", "/api/v1/plans/" + ms + "/bulletins/2026-Q1"} {
		if r := f.do(http.MethodGet, path, "", "", nil); r.StatusCode != http.StatusOK {
			t.Errorf("GET %s of a closed plan: %d", path, r.StatusCode)
		}
	}

	// The admin corrects with a reason, not without.
	resp, push = f.push(f.admin, map[string]any{"plan": ms, "indicator": "1.2", "period": "2026-05", "value": 810})
	if resp.StatusCode != http.StatusBadRequest || push.Error == nil || push.Error.Code != collector.CodeReasonRequired {
		t.Fatalf("an admin report without a reason into the closed plan: %d %s", resp.StatusCode, f.lastBody)
	}
	resp, push = f.push(f.admin, map[string]any{"plan": ms, "indicator": "1.2", "period": "2026-05", "value": 810, "reason": "终期核定数"})
	if resp.StatusCode != http.StatusCreated || push.Receipts[0].Revision != 1 {
		t.Fatalf("an admin correction with a reason: %d %s", resp.StatusCode, f.lastBody)
	}
	if h, _ := f.store.History(context.Background(), ms, "1.2"); len(h) != 1 || h[0].Sender != "admin" || h[0].Reason != "终期核定数" {
		t.Errorf("the admin correction as stored: %+v", h)
	}

	// Closing again changes nothing; a reopen takes the department's report again.
	if code, again := f.closure("close", ms, f.admin, ""); code != http.StatusOK || !again.Closed || again.Reason != "2026年度终期通报已印发" {
		t.Errorf("closing a closed plan: %d %s", code, f.lastBody)
	}
	if code, ans := f.closure("reopen", ms, f.admin, `{"reason":"误操作"}`); code != http.StatusOK || ans.Closed || ans.Reason != "误操作" {
		t.Fatalf("reopen: %d %s", code, f.lastBody)
	}
	if resp, push := f.push(f.tokens["jyj"], map[string]any{"plan": ms, "indicator": "1.1", "period": "2026-05", "value": 3}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("a push after the reopen: %d %+v", resp.StatusCode, push.Error)
	}
	cs, err := f.store.Closures(context.Background())
	if err != nil || len(cs) != 1 || cs[0].Plan != ms || cs[0].Closed || cs[0].Reason != "误操作" {
		t.Errorf("the store's closures: %+v %v", cs, err)
	}
}

// TestClosedPlanRefusesUploads: an xlsx or CSV upload into the closed (default) plan
// answers 409 plan_closed and stores nothing.
func TestClosedPlanRefusesUploads(t *testing.T) {
	f := newFixture(t)
	if code, _ := f.closure("close", f.cat.Plan.ID, f.admin, ""); code != http.StatusOK {
		t.Fatalf("close: %d %s", code, f.lastBody)
	}
	xlsx := filledTemplate(t, f, "fgw", "2026-05", map[string]map[string]any{"11.1": {"H": 128.5}})
	for name, tc := range map[string]struct {
		dept, filename, contentType string
		data                        []byte
	}{
		"an xlsx template filled": {"fgw", "市发改委-2026-05.xlsx", "", xlsx},
		"a raw CSV body":          {"sthjj", "", "text/csv", []byte("indicator,period,value\n69.2,2026-04,78.5\n")},
	} {
		t.Run(name, func(t *testing.T) {
			resp, ans := f.upload(f.tokens[tc.dept], tc.filename, tc.contentType, tc.data)
			if resp.StatusCode != http.StatusConflict || ans.Error == nil || ans.Error.Code != collector.CodePlanClosed || !strings.Contains(ans.Error.Message, "关闭，不再接受报送") {
				t.Errorf("upload: %d %+v", resp.StatusCode, ans.Error)
			}
			if n := f.stored(); n != 0 {
				t.Errorf("%d revisions stored", n)
			}
		})
	}
}

// TestClosedPlanSurvivesARestartAndReachesOtherServices: the closure is in the store, so
// a service opened later (a restart, another replica at its refresh) has the plan closed.
func TestClosedPlanSurvivesARestartAndReachesOtherServices(t *testing.T) {
	f, other := twoPlans(t)
	ctx := context.Background()
	replica, err := collector.NewService(ctx, collector.ServiceConfig{Catalog: other.Catalog(), Store: f.store, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := f.closure("close", testplans.MinshengID, f.admin, ""); code != http.StatusOK {
		t.Fatalf("close: %d %s", code, f.lastBody)
	}
	if replica.Closed() {
		t.Fatal("the other service learned the closure before its refresh")
	}
	if err := collector.Refresh(ctx, f.store, replica); err != nil {
		t.Fatal(err)
	}
	v := 800.0
	_, err = replica.Submit(ctx, collector.Principal{Department: "jyj"}, []indicators.Report{{Indicator: "1.2", Period: "2026-05", Value: &v}}, "")
	if !replica.Closed() || err == nil || !strings.Contains(err.Error(), collector.CodePlanClosed) {
		t.Errorf("after its refresh the other service has closed %v and takes a report: %v", replica.Closed(), err)
	}
	restarted, err := collector.NewService(ctx, collector.ServiceConfig{Catalog: other.Catalog(), Store: f.store, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := restarted.Closure(); !ok || !c.Closed || c.By != "admin" || !c.At.Equal(now) {
		t.Errorf("after a restart: %+v %v", c, ok)
	}
}

// TestClosedPlanIsNotReminded: 催报 for a closed plan answers 409 plan_closed and sends nothing.
func TestClosedPlanIsNotReminded(t *testing.T) {
	n, sent := testenv.WeComRobot(t, "jyj")
	f, _ := twoPlans(t, func(c *api.Config) { c.Reminder = n })
	if code, _ := f.closure("close", testplans.MinshengID, f.admin, ""); code != http.StatusOK {
		t.Fatalf("close: %d %s", code, f.lastBody)
	}
	var rem closureAnswer
	r := f.do(http.MethodPost, "/api/v1/remind?period=2026-06&department=jyj&plan="+testplans.MinshengID, f.admin, "", &rem)
	if r.StatusCode != http.StatusConflict || rem.Error == nil || rem.Error.Code != collector.CodePlanClosed || len(sent()) != 0 {
		t.Errorf("remind a closed plan: %d %s, robot got %d", r.StatusCode, f.lastBody, len(sent()))
	}
}
