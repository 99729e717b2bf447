package workspace_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/http/board"
	"github.com/duban-gov/duban/collector/http/workspace"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/internal/testplans"
	"github.com/duban-gov/duban/sheets"
)

// plansRig is the collector serving two plans as `duban serve` wires them: the shipped
// changzhi-2026 (the default plan) and the sample 民生实事 list of another or the same
// year, one service per plan over one store, with review.required; the test clock is
// the services'. jyj leads indicators in both plans, rsj in changzhi-2026 only.
type plansRig struct {
	*rig
	plans    map[string]*collector.Service // by plan id
	ids      []string                      // in order: the default first
	reminded func() []string               // what jyj's robot received
	mu       sync.Mutex
	at       time.Time
}

func newPlansRig(t *testing.T, year int, at time.Time) *plansRig {
	t.Helper()
	pr := &plansRig{plans: map[string]*collector.Service{}, at: at}
	st := testenv.Store(t)
	var svcs []*collector.Service
	for _, ref := range []string{"embedded:changzhi-2026", testplans.WriteMinsheng(t, year)} {
		cat, err := catalogs.Load(ref)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := collector.NewService(context.Background(), collector.ServiceConfig{Catalog: cat, Store: st, ReviewRequired: true, Now: pr.now})
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, svc)
		pr.plans[cat.Plan.ID] = svc
		pr.ids = append(pr.ids, cat.Plan.ID)
	}
	r := &rig{t: t, svc: svcs[0], tokens: map[string]string{}, hashes: map[string]string{}, clock: at}
	var toks []auth.Token
	for _, who := range []string{"jyj", "rsj", "admin"} {
		tok, h := testenv.Token(t)
		r.tokens[who], r.hashes[who] = tok, h
		if who == "admin" {
			toks = append(toks, auth.Token{Role: who, SHA256: h})
		} else {
			toks = append(toks, auth.Token{Department: who, SHA256: h})
		}
	}
	r.setTokens(toks)
	reminder, received := testenv.WeComRobot(t, "jyj")
	pr.reminded = received
	var err error
	if r.ws, err = workspace.New(workspace.Config{Service: svcs[0], Plans: []workspace.Service{svcs[1]}, Auth: r.live.Load, ClientIP: api.ClientIP, Now: r.now, Reminder: reminder}); err != nil {
		t.Fatal(err)
	}
	b, err := board.New(board.Config{Source: svcs[0], Plans: []board.Source{svcs[1]}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Service: svcs[0], Plans: []api.Service{svcs[1]}, Auth: r.live, Board: b, Workspace: r.ws, TrustedProxies: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	pr.rig = r
	return pr
}

func (pr *plansRig) now() time.Time {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.at
}

// revisions are the stored revisions of indicator id in plan.
func (pr *plansRig) revisions(plan, id string) []indicators.Revision {
	pr.t.Helper()
	h, err := pr.plans[plan].History(context.Background(), id)
	if err != nil {
		pr.t.Fatal(err)
	}
	return h
}

var shownPlan = regexp.MustCompile(`<span class="plan" id="plan" data-plan="([^"]+)">`)

// planOf is the plan a page shows, and whether it offers the plan selector.
func planOf(t *testing.T, page string) (string, bool) {
	t.Helper()
	m := shownPlan.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page names no plan:\n%.2000s", page)
	}
	return m[1], strings.Contains(page, `id="plan-select"`)
}

func TestPagesOpenOnTheCurrentYearsPlanTheSessionMaySee(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	for name, tc := range map[string]struct {
		year     int // of the 民生实事 plan
		at       time.Time
		who      string
		page     string
		want     string
		selector bool
	}{
		"in 2026 a clerk of both plans: the default plan, listed first of the 2026 plans": {2026, time.Date(2026, 6, 15, 10, 0, 0, 0, cst), "jyj", "/report", "changzhi-2026", true},
		"in 2027 a clerk of both plans: the 2027 plan":                                    {2027, time.Date(2027, 2, 15, 10, 0, 0, 0, cst), "jyj", "/report", "minsheng-2027", true},
		"in 2027 a clerk leading nothing in the 2027 plan: the plan it leads in, alone":   {2027, time.Date(2027, 2, 15, 10, 0, 0, 0, cst), "rsj", "/report", "changzhi-2026", false},
		"in 2027 the office: the 2027 plan":                                               {2027, time.Date(2027, 2, 15, 10, 0, 0, 0, cst), "admin", "/office", "minsheng-2027", true},
		"in 2028, no plan of the year: the latest past year's":                            {2027, time.Date(2028, 3, 1, 10, 0, 0, 0, cst), "admin", "/office", "minsheng-2027", true},
		"in 2025, before every plan's year: the default plan":                             {2027, time.Date(2025, 11, 3, 10, 0, 0, 0, cst), "admin", "/office", "changzhi-2026", true},
	} {
		t.Run(name, func(t *testing.T) {
			pr := newPlansRig(t, tc.year, tc.at)
			resp, page := pr.signIn(tc.who).get(tc.page)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %s\n%.1000s", tc.page, resp.Status, page)
			}
			got, selector := planOf(t, page)
			if got != tc.want || selector != tc.selector {
				t.Errorf("GET %s as %s: plan %s (selector %v), want %s (selector %v)", tc.page, tc.who, got, selector, tc.want, tc.selector)
			}
		})
	}
}

func TestAPlanNotServedOrNotTheDepartmentsIsRefused(t *testing.T) {
	pr := newPlansRig(t, 2026, time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC))
	rsj := pr.signIn("rsj")
	csrf := rsj.csrf("/report")
	for name, tc := range map[string]struct {
		b      *browser
		do     func(b *browser) (*http.Response, string)
		status int
		text   string
	}{
		"a page of a plan not served":                      {rsj, func(b *browser) (*http.Response, string) { return b.get("/report?plan=changzhi-2025") }, http.StatusNotFound, "计划“changzhi-2025”不存在"},
		"the office's page of a plan not served":           {pr.signIn("admin"), func(b *browser) (*http.Response, string) { return b.get("/office?plan=nope") }, http.StatusNotFound, "计划“nope”不存在"},
		"a page of a plan the department leads nothing in": {rsj, func(b *browser) (*http.Response, string) { return b.get("/report?plan=minsheng-2026") }, http.StatusForbidden, "没有牵头的指标"},
		"a form posted to a plan not served": {rsj, func(b *browser) (*http.Response, string) {
			return b.post("/report", url.Values{"csrf": {csrf}, "plan": {"nope"}, "period": {"2026-05"}, "value.57.1": {"3"}})
		}, http.StatusNotFound, "不存在"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, page := tc.do(tc.b)
			if resp.StatusCode != tc.status || !strings.Contains(page, tc.text) {
				t.Errorf("%s, want %d with %q:\n%.1500s", resp.Status, tc.status, tc.text, page)
			}
		})
	}
	if h := pr.revisions("changzhi-2026", "57.1"); len(h) != 0 {
		t.Errorf("a refused form stored %d revisions", len(h))
	}
}

func TestAClerkReportsInTheSecondPlanAndTheOfficeReviewsThere(t *testing.T) {
	pr := newPlansRig(t, 2026, time.Date(2026, 6, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	jyj := pr.signIn("jyj")
	resp, page := jyj.get("/report?plan=minsheng-2026&period=2026-05")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the second plan's form: %s", resp.Status)
	}
	for _, want := range []string{`name="plan" value="minsheng-2026"`, "新建改扩建公办幼儿园", `href="/report/template?plan=minsheng-2026&amp;period=2026-05"`, `href="/report/history?plan=minsheng-2026&amp;indicator=1.1"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the second plan's form lacks %s", want)
		}
	}
	resp, _ = jyj.post("/report", url.Values{"csrf": {field(t, page, "csrf")}, "form": {field(t, page, "form")}, "plan": {"minsheng-2026"}, "period": {"2026-05"}, "value.1.1": {"4"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /report to the second plan: %s", resp.Status)
	}
	if _, receipt := jyj.get("/report/receipt"); !strings.Contains(receipt, `data-plan="minsheng-2026"`) || !strings.Contains(receipt, `href="/report?plan=minsheng-2026"`) {
		t.Errorf("the receipt does not stay in the second plan:\n%.2000s", receipt)
	}
	if h := pr.revisions("minsheng-2026", "1.1"); len(h) != 1 || *h[0].Value != 4 || h[0].Plan != "minsheng-2026" {
		t.Fatalf("the second plan's 1.1: %+v, want one revision of 4", h)
	}
	if h := pr.revisions("changzhi-2026", "1.1"); len(h) != 0 {
		t.Fatalf("the default plan's 1.1 got the second plan's report: %+v", h)
	}

	// The office reviews in the second plan; the default plan's review list stays empty.
	admin := pr.signIn("admin")
	_, office := admin.get("/office?plan=minsheng-2026&period=2026-05")
	if !strings.Contains(office, `<tr data-indicator="1.1" data-period="2026-05"`) || !strings.Contains(office, `href="/api/v1/plans/minsheng-2026/bulletins/2026-Q2?format=html"`) {
		t.Fatalf("the office's page of the second plan lacks the report waiting or its bulletin:\n%.3000s", office)
	}
	if _, other := admin.get("/office?plan=changzhi-2026&period=2026-05"); strings.Contains(other, `<tr data-indicator="1.1" data-period="2026-05"`) {
		t.Error("the default plan's review list shows the second plan's report")
	}
	resp, _ = admin.post("/office/review", url.Values{"csrf": {field(t, office, "csrf")}, "plan": {"minsheng-2026"}, "period": {"2026-05"}, "indicator": {"1.1"}, "report_period": {"2026-05"}, "decision": {"approve"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "plan=minsheng-2026") {
		t.Fatalf("POST /office/review: %s to %q, want 303 back to the second plan", resp.Status, loc)
	}
	if h := pr.revisions("minsheng-2026", "1.1"); len(h[0].Reviews) != 1 || h[0].Reviews[0].Decision != indicators.Approved {
		t.Errorf("the second plan's 1.1 was not approved: %+v", h[0].Reviews)
	}

	// 催报 from the second plan's overview names what is missing in that plan.
	if !strings.Contains(office, `<input type="hidden" name="plan" value="minsheng-2026">`) {
		t.Fatal("the overview's forms do not carry the plan")
	}
	resp, _ = admin.post("/office/remind", url.Values{"csrf": {field(t, office, "csrf")}, "plan": {"minsheng-2026"}, "period": {"2026-05"}, "department": {"jyj"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "plan=minsheng-2026") || !strings.Contains(loc, "remind=sent") {
		t.Fatalf("POST /office/remind: %s to %q, want 303 back to the second plan, sent", resp.Status, loc)
	}
	if got := pr.reminded(); len(got) != 1 || !strings.Contains(got[0], "1.2") || !strings.Contains(got[0], "新增公办幼儿园学位") {
		t.Errorf("jyj's robot received %q, want the second plan's missing 1.2", got)
	}
}

func TestTheTemplateNamesItsPlanAndUploadsGoThere(t *testing.T) {
	pr := newPlansRig(t, 2026, time.Date(2026, 6, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	jyj := pr.signIn("jyj")
	resp, file := jyj.get("/report/template?plan=minsheng-2026&period=2026-05")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "duban-template-minsheng-2026-jyj-2026-05.xlsx") {
		t.Fatalf("the second plan's template: %s %s", resp.Status, resp.Header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	filled := false
	for i, row := range rows {
		if len(row) > 0 && row[0] == "1.1" {
			if err := f.SetCellValue(sheet, "H"+strconv.Itoa(i+1), 6); err != nil {
				t.Fatal(err)
			}
			filled = true
		}
	}
	if !filled {
		t.Fatalf("the second plan's template has no row 1.1: %v", rows)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	// Uploaded from the default plan's page: the file names its plan, and goes there.
	_, page := jyj.get("/report?plan=changzhi-2026&period=2026-05")
	resp, body := jyj.upload("filled.xlsx", buf.Bytes(), url.Values{"csrf": {field(t, page, "csrf")}, "plan": {"changzhi-2026"}, "period": {"2026-05"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %s\n%.1500s", resp.Status, body)
	}
	if h := pr.revisions("minsheng-2026", "1.1"); len(h) != 1 || *h[0].Value != 6 {
		t.Fatalf("the second plan's 1.1 after the upload: %+v, want 6", h)
	}
	if h := pr.revisions("changzhi-2026", "1.1"); len(h) != 0 {
		t.Fatalf("the default plan's 1.1 got the upload: %+v", h)
	}
	// The API reads the same file with the plan it names, without "plan" in the request.
	req, _ := http.NewRequest(http.MethodPost, pr.srv.URL+"/api/v1/reports", bytes.NewReader(buf.Bytes()))
	req.Header.Set("Content-Type", sheets.MediaXLSX)
	req.Header.Set("Authorization", "Bearer "+pr.tokens["jyj"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/v1/reports with the second plan's template: %s", res.Status)
	}
	if h := pr.revisions("changzhi-2026", "1.1"); len(h) != 0 {
		t.Fatalf("the API stored the second plan's template in the default plan: %+v", h)
	}
}

// TestSwitchingToAPlanOfAnotherYearOpensItsMonth: the selector sends the month shown
// before with the plan picked; a month of another year than the plan's opens the plan's
// month being collected instead of a refusal.
func TestSwitchingToAPlanOfAnotherYearOpensItsMonth(t *testing.T) {
	pr := newPlansRig(t, 2027, time.Date(2027, 2, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	jyj := pr.signIn("jyj")
	resp, page := jyj.get("/report?plan=changzhi-2026&period=2027-01")
	if resp.StatusCode != http.StatusOK || field(t, page, "period") != "2026-12" {
		t.Fatalf("switching to changzhi-2026 with 2027-01: %s, period %q, want 2026-12", resp.Status, field(t, page, "period"))
	}
	if got, _ := planOf(t, page); got != "changzhi-2026" {
		t.Errorf("plan %s", got)
	}
	if resp, _ := jyj.post("/report", url.Values{"csrf": {field(t, page, "csrf")}, "plan": {"changzhi-2026"}, "period": {"2027-01"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a form posting 2027-01 to changzhi-2026: %s, want 400", resp.Status)
	}
}
