package api_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/internal/testplans"
)

// twoPlans serves the shipped 2026 list (the default plan) and the 民生实事 sample over
// one store: indicator ids 1.1 and 2.1 are in both, departments jyj, zjj, wjw and mzj too.
func twoPlans(t *testing.T, opts ...option) (*fixture, *collector.Service) {
	t.Helper()
	cz, err := catalogs.Changzhi2026()
	if err != nil {
		t.Fatal(err)
	}
	ms, err := indicators.Decode(bytes.NewReader(testplans.Minsheng2026()))
	if err != nil {
		t.Fatal(err)
	}
	st := testenv.Store(t)
	other, err := collector.NewService(context.Background(), collector.ServiceConfig{Catalog: ms, Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]option{func(c *api.Config) { c.Plans = []api.Service{other} }}, opts...)
	f := newFixtureStore(t, cz, st, opts...)
	return f, other
}

func TestTwoPlansListed(t *testing.T) {
	f, _ := twoPlans(t)
	var got struct {
		Plans []struct {
			ID         string
			Year       int
			Default    bool
			Indicators int
			Path       string
		}
	}
	if resp := f.do(http.MethodGet, "/api/v1/plans", "", "", &got); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/plans: %d", resp.StatusCode)
	}
	if len(got.Plans) != 2 || got.Plans[0].ID != "changzhi-2026" || !got.Plans[0].Default ||
		got.Plans[1].ID != testplans.MinshengID || got.Plans[1].Default || got.Plans[1].Indicators != 4 ||
		got.Plans[1].Path != "/api/v1/plans/minsheng-2026" {
		t.Errorf("plans = %+v", got.Plans)
	}
}

// TestTwoPlansTakeReportsApart: pushes into both plans, reads per plan, plan_required
// when an id and period pick two plans, and the other refusals about plans.
func TestTwoPlansTakeReportsApart(t *testing.T) {
	f, other := twoPlans(t)
	push := func(dept string, reports ...map[string]any) (int, pushAnswer) {
		resp, ans := f.push(f.tokens[dept], reports...)
		return resp.StatusCode, ans
	}
	// An id only the sample has needs no plan.
	if code, ans := push("jyj", map[string]any{"indicator": "1.2", "period": "2026-05", "value": 800}); code != http.StatusCreated || ans.Receipts[0].Revision != 1 {
		t.Fatalf("1.2 without a plan: %d %+v", code, ans)
	}
	// 1.1 is in both plans for 2026: the plan is required, and nothing is stored.
	code, ans := push("jyj", map[string]any{"indicator": "1.1", "period": "2026-05", "value": 3})
	if code != http.StatusBadRequest || ans.Error == nil || ans.Error.Code != "plan_required" || ans.Error.Field != "plan" ||
		ans.Error.Index == nil || *ans.Error.Index != 0 || !strings.Contains(ans.Error.Message, "changzhi-2026, minsheng-2026") {
		t.Fatalf("1.1 without a plan: %d %+v", code, ans.Error)
	}
	if h, _ := f.store.History(context.Background(), testplans.MinshengID, "1.1"); len(h) != 0 {
		t.Fatalf("a refused report was stored: %+v", h)
	}
	// Named, it goes to its plan; the same id in the other plan numbers apart.
	if code, ans := push("jyj", map[string]any{"plan": "minsheng-2026", "indicator": "1.1", "period": "2026-05", "value": 3}); code != http.StatusCreated || ans.Receipts[0].Revision != 1 {
		t.Fatalf("1.1 of minsheng-2026: %d %+v", code, ans)
	}
	if code, ans := push("zfbgs", map[string]any{"plan": "changzhi-2026", "indicator": "1.1", "period": "2026-05", "value": 2e10}); code != http.StatusCreated || ans.Receipts[0].Revision != 1 {
		t.Fatalf("1.1 of changzhi-2026: %d %+v", code, ans)
	}
	// Reads per plan: the prefixed routes, and the un-prefixed ones for the default plan.
	for path, want := range map[string]float64{
		"/api/v1/plans/minsheng-2026/indicators/1.1/reports": 3,
		"/api/v1/plans/changzhi-2026/indicators/1.1/reports": 2e10,
		"/api/v1/indicators/1.1/reports":                     2e10,
		"/api/v1/plans/minsheng-2026/indicators/1.2/reports": 800,
	} {
		var revs struct {
			Revisions []struct {
				Plan  string
				Value float64
			}
		}
		wantPlan := "changzhi-2026"
		if strings.Contains(path, "minsheng") {
			wantPlan = testplans.MinshengID
		}
		if resp := f.do(http.MethodGet, path, "", "", &revs); resp.StatusCode != http.StatusOK || len(revs.Revisions) != 1 || revs.Revisions[0].Value != want || revs.Revisions[0].Plan != wantPlan {
			t.Errorf("GET %s: %d %+v (%s), want one revision of %v", path, resp.StatusCode, revs, f.lastBody, want)
		}
	}
	if got := other.Series("1.1"); len(got) != 1 || *got[0].Value != 3 || got[0].Plan != testplans.MinshengID {
		t.Errorf("the sample plan's snapshot of 1.1: %+v", got)
	}
	// Refusals about plans, nothing stored.
	for name, tc := range map[string]struct {
		dept    string
		reports []map[string]any
		code    string
	}{
		"a plan not served": {"jyj", []map[string]any{{"plan": "changzhi-2025", "indicator": "1.2", "period": "2025-05", "value": 1}}, "unknown_plan"},
		"two plans in one request": {"jyj", []map[string]any{
			{"indicator": "1.2", "period": "2026-05", "value": 900},
			{"plan": "changzhi-2026", "indicator": "127.1", "period": "2026-05", "stage": "started"},
		}, "mixed_plans"},
	} {
		t.Run(name, func(t *testing.T) {
			code, ans := push(tc.dept, tc.reports...)
			if code != http.StatusBadRequest || ans.Error == nil || ans.Error.Code != tc.code {
				t.Errorf("%d %+v, want 400 %s", code, ans.Error, tc.code)
			}
		})
	}
	if resp := f.do(http.MethodGet, "/api/v1/plans/nope/indicators", "", "", nil); resp.StatusCode != http.StatusNotFound || !bytes.Contains(f.lastBody, []byte("unknown_plan")) {
		t.Errorf("GET of a plan not served: %d %s", resp.StatusCode, f.lastBody)
	}
}

// TestABulletinPerPlan: each plan has its bulletin and its completeness.
func TestABulletinPerPlan(t *testing.T) {
	f, _ := twoPlans(t)
	for path, want := range map[string]string{
		"/api/v1/plans/minsheng-2026/bulletins/2026-Q1?format=md": "2026年市级民生实事项目清单",
		"/api/v1/plans/changzhi-2026/bulletins/2026-Q1?format=md": "2026年市政府工作报告重点目标任务清单",
		"/api/v1/bulletins/2026-Q1?format=md":                     "2026年市政府工作报告重点目标任务清单",
	} {
		if resp := f.do(http.MethodGet, path, "", "", nil); resp.StatusCode != http.StatusOK || !bytes.Contains(f.lastBody, []byte(want)) {
			t.Errorf("GET %s: %d, want a bulletin naming %s:\n%.300s", path, resp.StatusCode, want, f.lastBody)
		}
	}
	var comp struct {
		Departments []struct{ ID string }
	}
	if resp := f.do(http.MethodGet, "/api/v1/plans/minsheng-2026/completeness?period=2026-05", "", "", &comp); resp.StatusCode != http.StatusOK || len(comp.Departments) == 0 || len(comp.Departments) > 4 {
		t.Errorf("completeness of the sample plan: %d %+v", resp.StatusCode, comp)
	}
}

// TestTwoPlansTakeReviewsAndRemindersApart: a review and a 催报 pick their plan as a
// report does: named, or the only one the indicator id (the period) picks; otherwise
// 400 plan_required, and nothing is stored or sent.
func TestTwoPlansTakeReviewsAndRemindersApart(t *testing.T) {
	n, sent := testenv.WeComRobot(t, "jyj")
	f, other := twoPlans(t, func(c *api.Config) { c.Reminder = n })
	f.push(f.tokens["jyj"], map[string]any{"plan": testplans.MinshengID, "indicator": "1.1", "period": "2026-05", "value": 3})
	f.push(f.tokens["zfbgs"], map[string]any{"plan": "changzhi-2026", "indicator": "1.1", "period": "2026-05", "value": 2e10})

	resp, ans := f.review(f.admin, map[string]any{"indicator": "1.1", "period": "2026-05", "decision": "approve"})
	if resp.StatusCode != http.StatusBadRequest || ans.Error == nil || ans.Error.Code != "plan_required" || ans.Error.Field != "plan" {
		t.Fatalf("a review of 1.1 without a plan: %d %s", resp.StatusCode, f.lastBody)
	}
	resp, ans = f.review(f.admin, map[string]any{"plan": "changzhi-2025", "indicator": "1.1", "period": "2026-05", "decision": "approve"})
	if resp.StatusCode != http.StatusBadRequest || ans.Error == nil || ans.Error.Code != "unknown_plan" {
		t.Errorf("a review naming a plan not served: %d %s", resp.StatusCode, f.lastBody)
	}
	if h, _ := f.store.History(context.Background(), testplans.MinshengID, "1.1"); len(h) != 1 || len(h[0].Reviews) != 0 {
		t.Fatalf("a refused review was stored: %+v", h)
	}
	resp, ans = f.review(f.admin, map[string]any{"plan": testplans.MinshengID, "indicator": "1.1", "period": "2026-05", "decision": "return", "comment": "请附照片"})
	if resp.StatusCode != http.StatusCreated || ans.Reviews[0].Plan != testplans.MinshengID || ans.Reviews[0].Revision != 1 {
		t.Fatalf("a return in %s: %d %s", testplans.MinshengID, resp.StatusCode, f.lastBody)
	}
	// An id only the sample has needs no plan.
	f.push(f.tokens["jyj"], map[string]any{"indicator": "1.2", "period": "2026-05", "value": 800})
	if resp, ans = f.review(f.admin, map[string]any{"indicator": "1.2", "period": "2026-05", "decision": "approve"}); resp.StatusCode != http.StatusCreated || ans.Reviews[0].Plan != testplans.MinshengID {
		t.Errorf("a review of 1.2 without a plan: %d %s", resp.StatusCode, f.lastBody)
	}
	if s := other.Received("1.1"); len(s) != 1 || s[0].State() != indicators.Returned {
		t.Errorf("the sample plan's 1.1 after its return: %+v", s)
	}
	var revs struct{ Revisions []indicators.Revision }
	if r := f.do(http.MethodGet, "/api/v1/indicators/1.1/reports", "", "", &revs); r.StatusCode != http.StatusOK || len(revs.Revisions) != 1 || revs.Revisions[0].State() != indicators.Submitted {
		t.Errorf("the default plan's 1.1 after the other plan's return: %d %+v", r.StatusCode, revs)
	}
	if r := f.do(http.MethodGet, "/api/v1/plans/minsheng-2026/indicators/1.1/reports", "", "", &revs); r.StatusCode != http.StatusOK || len(revs.Revisions) != 1 ||
		revs.Revisions[0].State() != indicators.Returned || revs.Revisions[0].Reviews[0].Comment != "请附照片" {
		t.Errorf("the sample plan's 1.1 reports: %d %+v", r.StatusCode, revs)
	}

	var rem struct {
		Reminded []struct {
			Department string   `json:"department"`
			Missing    []string `json:"missing"`
			Sent       bool     `json:"sent"`
		} `json:"reminded"`
		Error *struct{ Code string } `json:"error"`
	}
	for query, code := range map[string]string{
		"period=2026-05&department=jyj":                    "plan_required",
		"period=2026-05&department=jyj&plan=changzhi-2025": "unknown_plan",
	} {
		rem.Error = nil
		if r := f.do(http.MethodPost, "/api/v1/remind?"+query, f.admin, "", &rem); r.StatusCode != http.StatusBadRequest || rem.Error == nil || rem.Error.Code != code {
			t.Errorf("remind ?%s: %d %s, want 400 %s", query, r.StatusCode, f.lastBody, code)
		}
	}
	if len(sent()) != 0 {
		t.Fatalf("a refused reminder was sent: %v", sent())
	}
	rem.Error = nil
	if r := f.do(http.MethodPost, "/api/v1/remind?period=2026-06&department=jyj&plan="+testplans.MinshengID, f.admin, "", &rem); r.StatusCode != http.StatusOK ||
		len(rem.Reminded) != 1 || !rem.Reminded[0].Sent || strings.Join(rem.Reminded[0].Missing, ",") != "1.1,1.2" || len(sent()) != 1 {
		t.Fatalf("remind jyj of %s: %d %s, robot got %d", testplans.MinshengID, r.StatusCode, f.lastBody, len(sent()))
	}
	if !strings.Contains(sent()[0], "新建改扩建公办幼儿园") {
		t.Errorf("the reminder names the sample plan's indicators: %s", sent()[0])
	}
}

// TestACSVGoesToThePlanItsRowsPick: a file naming no plan (a CSV) is read row by row
// with the plan its indicator id and period pick, in that plan's units; a row two plans
// share is plan_required naming its cell; nothing is stored on a refusal.
func TestACSVGoesToThePlanItsRowsPick(t *testing.T) {
	f, _ := twoPlans(t)
	resp, ans := f.send(f.tokens["jyj"], "text/csv", "indicator,period,value\n1.2,2026-05,800\n")
	if resp.StatusCode != http.StatusCreated || len(ans.Receipts) != 1 {
		t.Fatalf("a CSV of the sample's 1.2: %d %+v", resp.StatusCode, ans.Error)
	}
	if h, _ := f.store.History(context.Background(), testplans.MinshengID, "1.2"); len(h) != 1 || *h[0].Value != 800 {
		t.Fatalf("the sample's 1.2: %+v, want 800", h)
	}
	resp, ans = f.send(f.tokens["jyj"], "text/csv", "indicator,period,value\n1.2,2026-06,900\n1.1,2026-06,3\n")
	if resp.StatusCode != http.StatusBadRequest || ans.Error == nil || ans.Error.Code != "plan_required" ||
		!strings.Contains(ans.Error.Message, "row 3") || !strings.Contains(ans.Error.Message, "changzhi-2026, minsheng-2026") {
		t.Fatalf("a CSV with 1.1 of two plans: %d %+v", resp.StatusCode, ans.Error)
	}
	if h, _ := f.store.History(context.Background(), testplans.MinshengID, "1.2"); len(h) != 1 {
		t.Fatalf("a refused CSV stored its other row: %+v", h)
	}
}
