package collector_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

var admin = collector.Principal{Admin: true}

func reviewService(t *testing.T, st collector.Store, required bool) *collector.Service {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := collector.NewService(context.Background(), collector.ServiceConfig{
		Catalog: cat, Store: st, ReviewRequired: required,
		Now: func() time.Time { return time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func values(revs []indicators.Revision) []float64 {
	var out []float64
	for _, r := range revs {
		out = append(out, *r.Value)
	}
	return out
}

func submit(t *testing.T, svc *collector.Service, v float64) {
	t.Helper()
	if _, err := svc.Submit(context.Background(), collector.Principal{Department: "rsj"},
		[]indicators.Report{{Indicator: "57.1", Period: "2026-05", Value: &v}}, ""); err != nil {
		t.Fatal(err)
	}
}

func review(t *testing.T, svc *collector.Service, decision, comment string) indicators.Review {
	t.Helper()
	rvs, err := svc.Review(context.Background(), admin, []collector.ReviewRequest{{Indicator: "57.1", Period: "2026-05", Decision: decision, Comment: comment}})
	if err != nil {
		t.Fatal(err)
	}
	return rvs[0]
}

// With review.required only approved revisions count: a submitted value waits beside
// the last approved one, a return keeps the approved one, a return of the approved
// revision itself takes it out, and a restart serves the same.
func TestReviewRequiredCountsOnlyApprovedValues(t *testing.T) {
	st := testenv.Store(t)
	svc := reviewService(t, st, true)
	submit(t, svc, 10)
	if got := svc.Series("57.1"); len(got) != 0 {
		t.Fatalf("a submitted value counts before its approval: %v", values(got))
	}
	if got := svc.Pending("57.1"); len(got) != 1 || got[0].State() != indicators.Submitted {
		t.Fatalf("Pending = %+v, want the submitted revision", got)
	}
	if rv := review(t, svc, collector.DecisionApprove, ""); rv.Revision != 1 || rv.Reviewer != "admin" {
		t.Fatalf("review %+v", rv)
	}
	if got := values(svc.Series("57.1")); len(got) != 1 || got[0] != 10 {
		t.Fatalf("after the approval Series = %v, want [10]", got)
	}
	submit(t, svc, 12)
	if got := values(svc.Series("57.1")); len(got) != 1 || got[0] != 10 {
		t.Errorf("a new revision counts before its approval: %v, want the approved [10]", got)
	}
	if got := svc.Pending("57.1"); len(got) != 1 || *got[0].Value != 12 {
		t.Errorf("Pending = %+v, want revision 2 (12) beside the approved value", got)
	}
	review(t, svc, collector.DecisionReturn, "与统计局数据不一致")
	if got := values(svc.Series("57.1")); len(got) != 1 || got[0] != 10 {
		t.Errorf("after returning revision 2, Series = %v, want the approved [10]", got)
	}
	if c := svc.ReviewCounts(); c[indexOf(c, "rsj")].Returned != 1 || c[indexOf(c, "rsj")].InReview != 0 {
		t.Errorf("ReviewCounts = %+v, want rsj with 1 returned, 0 in review", c)
	}
	submit(t, svc, 11)
	if c := svc.ReviewCounts(); c[indexOf(c, "rsj")].Returned != 0 || c[indexOf(c, "rsj")].InReview != 1 {
		t.Errorf("after the resubmission ReviewCounts = %+v, want rsj with 1 in review, 0 returned", c)
	}
	review(t, svc, collector.DecisionApprove, "")
	if got := values(svc.Series("57.1")); len(got) != 1 || got[0] != 11 {
		t.Errorf("after approving revision 3, Series = %v, want [11]", got)
	}
	review(t, svc, collector.DecisionReturn, "误批，请重新核实")
	if got := values(svc.Series("57.1")); len(got) != 1 || got[0] != 10 {
		t.Errorf("after returning the approved revision 3, Series = %v, want revision 1 again [10]", got)
	}
	restarted := reviewService(t, st, true)
	if got := values(restarted.Series("57.1")); len(got) != 1 || got[0] != 10 {
		t.Errorf("after a restart Series = %v, want [10]", got)
	}
	restarted.SetReviewRequired(false)
	if got := values(restarted.Series("57.1")); len(got) != 1 || got[0] != 11 {
		t.Errorf("with review.required turned off Series = %v, want the latest [11]", got)
	}
}

func indexOf(c []collector.ReviewCount, dept string) int {
	for i := range c {
		if c[i].Department == dept {
			return i
		}
	}
	return -1
}

func TestReviewRefusesBadInputAndStoresNothing(t *testing.T) {
	svc := reviewService(t, testenv.Store(t), false)
	submit(t, svc, 10)
	ok := collector.ReviewRequest{Indicator: "57.1", Period: "2026-05", Decision: "approve"}
	cases := map[string]struct {
		who   collector.Principal
		bad   collector.ReviewRequest
		code  string
		kind  collector.Kind
		index int
	}{
		"a department cannot review":            {collector.Principal{Department: "rsj"}, ok, collector.CodeForbiddenReview, collector.KindForbidden, -1},
		"a return needs a comment":              {admin, collector.ReviewRequest{Indicator: "57.1", Period: "2026-05", Decision: "return", Comment: " \u200b "}, collector.CodeCommentRequired, collector.KindInvalid, 1},
		"an unknown indicator":                  {admin, collector.ReviewRequest{Indicator: "99.9", Period: "2026-05", Decision: "approve"}, collector.CodeUnknownIndicator, collector.KindInvalid, 1},
		"a period that does not parse":          {admin, collector.ReviewRequest{Indicator: "57.1", Period: "May", Decision: "approve"}, collector.CodeInvalidPeriod, collector.KindInvalid, 1},
		"a period without a report":             {admin, collector.ReviewRequest{Indicator: "57.1", Period: "2026-04", Decision: "approve"}, collector.CodeNoReport, collector.KindConflict, 1},
		"a decision neither approve nor return": {admin, collector.ReviewRequest{Indicator: "57.1", Period: "2026-05", Decision: "approved"}, collector.CodeInvalidDecision, collector.KindInvalid, 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := svc.Review(context.Background(), c.who, []collector.ReviewRequest{ok, c.bad})
			var ie *collector.InputError
			if !errors.As(err, &ie) || ie.Code != c.code || ie.Kind != c.kind || ie.Index != c.index {
				t.Fatalf("Review = %v, want %s (kind %d) at %d", err, c.code, c.kind, c.index)
			}
			hist, err := svc.History(context.Background(), "57.1")
			if err != nil || len(hist) != 1 || len(hist[0].Reviews) != 0 {
				t.Errorf("a refused batch stored something: %+v %v", hist, err)
			}
		})
	}
}
