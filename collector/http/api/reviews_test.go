package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/duban-gov/duban/indicators"
)

type reviewAnswer struct {
	Reviewed int                 `json:"reviewed"`
	Reviews  []indicators.Review `json:"reviews"`
	Error    *struct {
		Code  string `json:"code"`
		Index *int   `json:"index"`
		Field string `json:"field"`
	} `json:"error"`
}

func (f *fixture) review(token string, reviews ...map[string]any) (*http.Response, reviewAnswer) {
	f.t.Helper()
	b, _ := json.Marshal(map[string]any{"reviews": reviews})
	var ans reviewAnswer
	resp := f.do(http.MethodPost, "/api/v1/reviews", token, string(b), &ans)
	return resp, ans
}

func (f *fixture) revisions(id string) []indicators.Revision {
	f.t.Helper()
	var ans struct {
		Revisions []indicators.Revision `json:"revisions"`
	}
	if resp := f.do(http.MethodGet, "/api/v1/indicators/"+id+"/reports", "", "", &ans); resp.StatusCode != http.StatusOK {
		f.t.Fatalf("GET reports of %s: %d %s", id, resp.StatusCode, f.lastBody)
	}
	return ans.Revisions
}

func TestTheOfficeApprovesAndReturnsAndTheDepartmentResubmits(t *testing.T) {
	f := newFixture(t)
	rsj := f.tokens["rsj"]
	f.push(rsj, map[string]any{"indicator": "57.1", "period": "2026-05", "value": 18000})

	resp, ans := f.review(f.admin, map[string]any{"indicator": "57.1", "period": "2026-05", "decision": "return", "comment": "与统计局口径不一致，请核实后重报"})
	if resp.StatusCode != http.StatusCreated || ans.Reviewed != 1 || ans.Reviews[0].Revision != 1 || ans.Reviews[0].Decision != indicators.Returned || ans.Reviews[0].Reviewer != "admin" {
		t.Fatalf("return: %d %s", resp.StatusCode, f.lastBody)
	}
	revs := f.revisions("57.1")
	if len(revs) != 1 || revs[0].State() != indicators.Returned || revs[0].Reviews[0].Comment != "与统计局口径不一致，请核实后重报" || revs[0].Reviews[0].ReviewedAt.IsZero() {
		t.Fatalf("the audit trail after a return: %+v", revs)
	}

	f.push(rsj, map[string]any{"indicator": "57.1", "period": "2026-05", "value": 18200, "note": "已按统计局口径更正"})
	revs = f.revisions("57.1")
	if len(revs) != 2 || revs[0].State() != indicators.Returned || revs[1].State() != indicators.Submitted || len(revs[1].Reviews) != 0 {
		t.Fatalf("after the resubmission: %+v", revs)
	}

	resp, ans = f.review(f.admin, map[string]any{"indicator": "57.1", "period": "2026-05", "decision": "approve"})
	if resp.StatusCode != http.StatusCreated || ans.Reviews[0].Revision != 2 || ans.Reviews[0].Decision != indicators.Approved {
		t.Fatalf("approve: %d %s", resp.StatusCode, f.lastBody)
	}
	if revs = f.revisions("57.1"); revs[1].State() != indicators.Approved || revs[0].State() != indicators.Returned {
		t.Errorf("the approval judged the latest revision only: %+v", revs)
	}
}

func TestAReviewThatIsRefusedChangesNothing(t *testing.T) {
	f := newFixture(t)
	f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": 18000})
	cases := map[string]struct {
		token  string
		body   string
		status int
		code   string
	}{
		"a department token cannot review": {f.tokens["rsj"], `{"reviews":[{"indicator":"57.1","period":"2026-05","decision":"approve"}]}`, 403, "forbidden_review"},
		"a reader token cannot review":     {f.reader, `{"reviews":[{"indicator":"57.1","period":"2026-05","decision":"approve"}]}`, 403, "forbidden_review"},
		"no token is unauthorized":         {"", `{"reviews":[{"indicator":"57.1","period":"2026-05","decision":"approve"}]}`, 401, "unauthorized"},
		"a return without a comment":       {f.admin, `{"reviews":[{"indicator":"57.1","period":"2026-05","decision":"approve"},{"indicator":"57.1","period":"2026-05","decision":"return"}]}`, 400, "comment_required"},
		"an unknown indicator":             {f.admin, `{"reviews":[{"indicator":"57.1","period":"2026-05","decision":"approve"},{"indicator":"99.9","period":"2026-05","decision":"approve"}]}`, 400, "unknown_indicator"},
		"a period that is not one":         {f.admin, `{"reviews":[{"indicator":"57.1","period":"2026-05","decision":"approve"},{"indicator":"57.1","period":"May","decision":"approve"}]}`, 400, "invalid_period"},
		"a period without a report":        {f.admin, `{"reviews":[{"indicator":"57.1","period":"2026-05","decision":"approve"},{"indicator":"57.1","period":"2026-04","decision":"approve"}]}`, 409, "no_report"},
		"an empty batch":                   {f.admin, `{"reviews":[]}`, 400, "empty_batch"},
		"a body without reviews":           {f.admin, `{}`, 400, "missing_field"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var ans reviewAnswer
			resp := f.do(http.MethodPost, "/api/v1/reviews", c.token, c.body, &ans)
			if resp.StatusCode != c.status || ans.Error == nil || ans.Error.Code != c.code {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, f.lastBody, c.status, c.code)
			}
			if revs := f.revisions("57.1"); len(revs) != 1 || len(revs[0].Reviews) != 0 {
				t.Errorf("a refused review changed the record: %+v", revs)
			}
		})
	}
}

func TestReviewRequiredChangesWhatCounts(t *testing.T) {
	f := newFixture(t)
	f.svc.SetReviewRequired(true)
	rsj := f.tokens["rsj"]
	value := func() *float64 {
		t.Helper()
		var d struct {
			Latest *struct {
				Value *float64 `json:"value"`
			} `json:"latest"`
		}
		f.do(http.MethodGet, "/api/v1/indicators/57.1", "", "", &d)
		if d.Latest == nil {
			return nil
		}
		return d.Latest.Value
	}
	f.push(rsj, map[string]any{"indicator": "57.1", "period": "2026-05", "value": 18000})
	if v := value(); v != nil {
		t.Fatalf("a submitted value counts before its approval: %v", *v)
	}
	f.review(f.admin, map[string]any{"indicator": "57.1", "period": "2026-05", "decision": "approve"})
	if v := value(); v == nil || *v != 18000 {
		t.Fatalf("after the approval the value is %v, want 18000", v)
	}
	f.push(rsj, map[string]any{"indicator": "57.1", "period": "2026-05", "value": 25000})
	if v := value(); v == nil || *v != 18000 {
		t.Errorf("a correction counts before its approval: %v, want the approved 18000", *v)
	}
	f.svc.SetReviewRequired(false)
	if v := value(); v == nil || *v != 25000 {
		t.Errorf("with review.required off the latest counts: %v, want 25000", v)
	}
}
