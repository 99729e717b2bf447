package api_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

type listAnswer struct {
	Indicators []struct {
		ID         string `json:"id"`
		Department string `json:"department"`
		Evaluation *struct {
			Status string `json:"status"`
		} `json:"evaluation"`
	} `json:"indicators"`
	Error *struct{ Code string } `json:"error"`
}

func TestListIndicatorsFilters(t *testing.T) {
	f := newFixture(t)
	// 57.1: 43000 by year end, 1 person by May is far behind: lagging. 69.1 (PM2.5 ≤ 30)
	// at 25 is met.
	f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": 1})
	f.push(f.tokens["sthjj"], map[string]any{"indicator": "69.1", "period": "2026-05", "value": 25})
	cases := map[string]struct {
		query  string
		status int
		want   func(a listAnswer) bool
	}{
		"no filter lists every indicator in catalog order": {"", 200, func(a listAnswer) bool {
			return len(a.Indicators) == 8 && a.Indicators[0].ID == "4.1" && a.Indicators[0].Evaluation != nil
		}},
		"a department lists only what it leads": {"?department=rsj", 200, func(a listAnswer) bool {
			return len(a.Indicators) == 2 && a.Indicators[0].ID == "56.1" && a.Indicators[1].ID == "57.1"
		}},
		"a status lists only indicators in that status": {"?status=lagging", 200, func(a listAnswer) bool {
			for _, i := range a.Indicators {
				if i.Evaluation == nil || i.Evaluation.Status != "lagging" {
					return false
				}
			}
			return len(a.Indicators) >= 1 && has(a, "57.1") && !has(a, "69.1")
		}},
		"no_data lists the indicators nobody reported": {"?status=no_data&department=sthjj", 200, func(a listAnswer) bool {
			return len(a.Indicators) == 1 && a.Indicators[0].ID == "69.2"
		}},
		"an unknown department is an error": {"?department=nope", 400, func(a listAnswer) bool { return a.Error.Code == "unknown_department" }},
		"an unknown status is an error":     {"?status=green", 400, func(a listAnswer) bool { return a.Error.Code == "invalid_status" }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var a listAnswer
			resp := f.do(http.MethodGet, "/api/v1/indicators"+c.query, "", "", &a)
			if resp.StatusCode != c.status || !c.want(a) {
				t.Fatalf("%d %+v", resp.StatusCode, a)
			}
		})
	}
}

func has(a listAnswer, id string) bool {
	for _, i := range a.Indicators {
		if i.ID == id {
			return true
		}
	}
	return false
}

func TestReadEndpoints(t *testing.T) {
	f := newFixture(t)
	cases := map[string]struct {
		path   string
		status int
	}{
		"an unknown indicator is 404":          {"/api/v1/indicators/1.99", 404},
		"the history of an unknown one is 404": {"/api/v1/indicators/1.99/reports", 404},
		"a known indicator without reports":    {"/api/v1/indicators/99.1", 200},
		"its empty history":                    {"/api/v1/indicators/99.1/reports", 200},
		"the departments":                      {"/api/v1/departments", 200},
		"healthy":                              {"/-/healthy", 200},
		"ready with the store open":            {"/-/ready", 200},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var out map[string]any
			if resp := f.do(http.MethodGet, c.path, "", "", &out); resp.StatusCode != c.status {
				t.Fatalf("%s: %d %v, want %d", c.path, resp.StatusCode, out, c.status)
			}
		})
	}
	var deps struct {
		Departments []struct {
			ID         string
			Indicators []string
		}
	}
	f.do(http.MethodGet, "/api/v1/departments", "", "", &deps)
	if len(deps.Departments) != 5 || deps.Departments[1].ID != "rsj" || len(deps.Departments[1].Indicators) != 2 {
		t.Fatalf("departments %+v", deps)
	}
}

// followUpCatalog is the mini catalog with 99.1 turned into a task follow-up (kind: task),
// as the import makes for a task without a published figure.
func followUpCatalog(t *testing.T) *indicators.Catalog {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const line = `{id: "99.1", metric: 吴家庄水库开工, measure: milestone,`
	if !strings.Contains(string(src), line) {
		t.Fatalf("mini.yaml no longer has %s", line)
	}
	out := strings.Replace(string(src), line, line+" kind: task,", 1)
	path := filepath.Join(t.TempDir(), "followup.yaml")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := indicators.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestIndicatorsShowTaskFollowUps(t *testing.T) {
	f := newFixtureCatalog(t, followUpCatalog(t))
	type kindAnswer struct {
		Indicators []map[string]any       `json:"indicators"`
		Error      *struct{ Code string } `json:"error"`
	}
	kinds := func(a kindAnswer) map[string]any {
		out := map[string]any{}
		for _, i := range a.Indicators {
			out[i["id"].(string)] = i["kind"]
		}
		return out
	}
	cases := map[string]struct {
		query  string
		status int
		want   func(a kindAnswer) bool
	}{
		"the list marks the follow-up and only it": {"", 200, func(a kindAnswer) bool {
			k := kinds(a)
			return len(k) == 8 && k["99.1"] == "task" && k["9.1"] == nil && k["4.1"] == nil
		}},
		"kind=task lists only follow-ups": {"?kind=task", 200, func(a kindAnswer) bool {
			k := kinds(a)
			return len(k) == 1 && k["99.1"] == "task"
		}},
		"kind=target lists only published targets": {"?kind=target", 200, func(a kindAnswer) bool {
			k := kinds(a)
			_, has := k["99.1"]
			return len(k) == 7 && !has
		}},
		"kind combines with department": {"?kind=task&department=fgw", 200, func(a kindAnswer) bool {
			return len(a.Indicators) == 0 && a.Indicators != nil
		}},
		"an unknown kind is an error": {"?kind=milestone", 400, func(a kindAnswer) bool {
			return a.Error != nil && a.Error.Code == "invalid_kind"
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var a kindAnswer
			resp := f.do(http.MethodGet, "/api/v1/indicators"+c.query, "", "", &a)
			if resp.StatusCode != c.status || !c.want(a) {
				t.Fatalf("%d %+v", resp.StatusCode, a)
			}
		})
	}
	for id, want := range map[string]any{"99.1": "task", "9.1": nil} {
		var one map[string]any
		if resp := f.do(http.MethodGet, "/api/v1/indicators/"+id, "", "", &one); resp.StatusCode != http.StatusOK || one["kind"] != want {
			t.Errorf("GET /api/v1/indicators/%s: %d kind %v, want %v (%v)", id, resp.StatusCode, one["kind"], want, one)
		}
	}
}

// TestEvaluationSaysWhy: the evaluation carries the reason of its status and the status
// as people read it. 69.1 last reported for March is stale on June 15 (April and May are
// due): at best at risk, 数据未更新; 56.1 follows GDP, so it has no completion ratio.
func TestEvaluationSaysWhy(t *testing.T) {
	f := newFixture(t)
	f.push(f.tokens["sthjj"], map[string]any{"indicator": "69.1", "period": "2026-03", "value": 25})
	f.push(f.tokens["fgw"], map[string]any{"indicator": "4.1", "period": "2026-Q1", "value": 5.8})
	f.push(f.tokens["rsj"], map[string]any{"indicator": "56.1", "period": "2026-Q1", "value": 6.1})
	type eval struct {
		Status     string   `json:"status"`
		Reason     string   `json:"reason"`
		StatusText string   `json:"status_text"`
		Progress   *float64 `json:"progress_ratio"`
		Gap        *float64 `json:"gap"`
	}
	get := func(id string) eval {
		var out struct {
			Evaluation eval `json:"evaluation"`
		}
		if resp := f.do(http.MethodGet, "/api/v1/indicators/"+id, "", "", &out); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", id, resp.StatusCode)
		}
		return out.Evaluation
	}
	if e := get("69.1"); e.Status != "at_risk" || e.Reason != "stale" || e.StatusText != "存在风险(数据未更新)" {
		t.Errorf("69.1 = %+v, want at_risk, stale, 存在风险(数据未更新)", e)
	}
	if e := get("56.1"); e.Progress != nil || e.Gap == nil || *e.Gap < 0.29 || *e.Gap > 0.31 || e.Reason != "" {
		t.Errorf("56.1 = %+v, want no progress ratio and a gap of 0.3 against GDP's 5.8", e)
	}
}
