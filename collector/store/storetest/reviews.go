package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
)

// The review rules of the Store contract:
//   - Review judges the latest revision of its (indicator, period), sets Revision to it
//     and returns the review as stored; History and Latest attach every review to the
//     revision it judges, oldest first, with who, when and the comment.
//   - A period without a revision has nothing to review: *collector.NoReportError, and
//     nothing stored.
//   - A revision appended after a review starts without reviews (State submitted).
//   - Approved holds, per (indicator, period), the highest revision whose latest review
//     approves it; a later return of that revision takes it out again.
//   - Reviews survive a reopen.
//   - Reviews belong to a plan: the same indicator id and period in two plans are
//     judged, attached and approved apart.

var reviewedAt = time.Date(2026, 5, 11, 3, 4, 5, 678000000, time.UTC)

func (h *harness) review(indicator, period string, d indicators.Decision, comment string, at time.Time) indicators.Review {
	h.t.Helper()
	return h.reviewIn(plan, indicator, period, d, comment, at)
}

func (h *harness) reviewIn(p, indicator, period string, d indicators.Decision, comment string, at time.Time) indicators.Review {
	h.t.Helper()
	rvs, err := h.s.Review(context.Background(), []indicators.Review{{
		Plan: p, Indicator: indicator, Period: period, Decision: d, Comment: comment, Reviewer: "admin", ReviewedAt: at,
	}})
	if err != nil {
		h.t.Fatalf("Review(%s %s %s %s): %v", p, indicator, period, d, err)
	}
	if len(rvs) != 1 {
		h.t.Fatalf("Review returned %d reviews for 1", len(rvs))
	}
	return rvs[0]
}

func (h *harness) approved() map[string]indicators.Revision {
	h.t.Helper()
	revs, err := h.s.Approved(context.Background())
	if err != nil {
		h.t.Fatalf("Approved: %v", err)
	}
	m := map[string]indicators.Revision{}
	for _, r := range revs {
		k := r.Indicator + " " + r.Period
		if r.Plan != plan {
			k = r.Plan + "/" + k
		}
		if _, dup := m[k]; dup {
			h.t.Errorf("Approved holds %s twice", k)
		}
		m[k] = r
	}
	return m
}

func reviewDiff(want, got []indicators.Review) []string {
	if len(want) != len(got) {
		return []string{fmt.Sprintf("reviews: want %d, got %d (%+v)", len(want), len(got), got)}
	}
	var d []string
	for i := range want {
		w, g := want[i], got[i]
		if w.Plan != g.Plan || w.Indicator != g.Indicator || w.Period != g.Period || w.Revision != g.Revision || w.Decision != g.Decision ||
			w.Comment != g.Comment || w.Reviewer != g.Reviewer || !w.ReviewedAt.Equal(g.ReviewedAt) {
			d = append(d, fmt.Sprintf("review %d: want %+v, got %+v", i, w, g))
		}
	}
	return d
}

func testReviewLatest(t *testing.T, h *harness) {
	h.append(rev("V.1", "2026-04", 10))
	h.append(rev("V.1", "2026-04", 11), rev("V.2", "2026-04", 5))
	rv := h.review("V.1", "2026-04", indicators.Returned, "数据与统计局口径不符，请核实（第二次修订）", reviewedAt)
	if rv.Revision != 2 {
		t.Errorf("the review judged revision %d, want the latest, 2", rv.Revision)
	}
	want := []indicators.Review{{Plan: plan, Indicator: "V.1", Period: "2026-04", Revision: 2, Decision: indicators.Returned,
		Comment: "数据与统计局口径不符，请核实（第二次修订）", Reviewer: "admin", ReviewedAt: reviewedAt}}
	hist := h.history("V.1")
	if len(hist) != 2 {
		t.Fatalf("history holds %d revisions, want 2", len(hist))
	}
	if len(hist[0].Reviews) != 0 || hist[0].State() != indicators.Submitted {
		t.Errorf("revision 1 was not reviewed but has %+v", hist[0].Reviews)
	}
	if d := reviewDiff(want, hist[1].Reviews); len(d) > 0 {
		t.Errorf("history of revision 2: %v", d)
	}
	latest := h.latestOf()
	if d := reviewDiff(want, latest["V.1 2026-04"].Reviews); len(d) > 0 {
		t.Errorf("latest: %v", d)
	}
	if s := latest["V.2 2026-04"].State(); s != indicators.Submitted {
		t.Errorf("an indicator not reviewed is %s, want submitted", s)
	}
	second := h.review("V.1", "2026-04", indicators.Approved, "", reviewedAt.Add(time.Hour))
	hist = h.history("V.1")
	if d := reviewDiff(append(want, second), hist[1].Reviews); len(d) > 0 || hist[1].State() != indicators.Approved {
		t.Errorf("two reviews of one revision, oldest first: %v (state %s)", d, hist[1].State())
	}
}

func testReviewNoReport(t *testing.T, h *harness) {
	h.append(rev("V.1", "2026-04", 10))
	ok := indicators.Review{Plan: plan, Indicator: "V.1", Period: "2026-04", Decision: indicators.Approved, Reviewer: "admin", ReviewedAt: reviewedAt}
	for name, bad := range map[string]indicators.Review{
		"a period without a report":                {Plan: plan, Indicator: "V.1", Period: "2026-05"},
		"an indicator without reports":             {Plan: plan, Indicator: "V.9", Period: "2026-04"},
		"the indicator and period of another plan": {Plan: "minsheng-2026", Indicator: "V.1", Period: "2026-04"},
	} {
		bad.Decision, bad.Reviewer, bad.ReviewedAt = indicators.Approved, "admin", reviewedAt
		rvs, err := h.s.Review(context.Background(), []indicators.Review{ok, bad})
		var nr *collector.NoReportError
		if !errors.As(err, &nr) || nr.Index != 1 || nr.Plan != bad.Plan || nr.Indicator != bad.Indicator || nr.Period != bad.Period || rvs != nil {
			t.Errorf("%s: Review = %v, %v; want *collector.NoReportError naming element 1, %s %s", name, rvs, err, bad.Indicator, bad.Period)
		}
	}
	if got := h.approved(); len(got) != 0 {
		t.Errorf("refused reviews stored something: Approved = %v", got)
	}
	if r := h.latestOf()["V.1 2026-04"]; len(r.Reviews) != 0 {
		t.Errorf("a refused batch stored its good element: %+v", r.Reviews)
	}
}

func testReviewResubmit(t *testing.T, h *harness) {
	h.append(rev("V.1", "2026-04", 10))
	h.review("V.1", "2026-04", indicators.Returned, "请补充佐证材料", reviewedAt)
	if s := h.latestOf()["V.1 2026-04"].State(); s != indicators.Returned {
		t.Fatalf("after a return the latest is %s, want returned", s)
	}
	h.append(rev("V.1", "2026-04", 12))
	latest := h.latestOf()["V.1 2026-04"]
	if latest.Revision != 2 || latest.State() != indicators.Submitted || len(latest.Reviews) != 0 {
		t.Errorf("the revision sent after a return: revision %d, state %s, reviews %+v; want revision 2, submitted, none", latest.Revision, latest.State(), latest.Reviews)
	}
	hist := h.history("V.1")
	if len(hist) != 2 || hist[0].State() != indicators.Returned || hist[1].State() != indicators.Submitted {
		t.Errorf("history after a resubmission: %+v", hist)
	}
}

func testReviewApproved(t *testing.T, h *harness) {
	h.append(rev("V.1", "2026-04", 10), rev("V.2", "2026-04", 7))
	h.review("V.1", "2026-04", indicators.Approved, "", reviewedAt)
	h.append(rev("V.1", "2026-04", 11))
	got := h.approved()
	if len(got) != 1 || got["V.1 2026-04"].Revision != 1 || *got["V.1 2026-04"].Value != 10 {
		t.Fatalf("approved, then a new revision: Approved = %+v, want revision 1 (10) of V.1 alone", got)
	}
	checkSame(t, "Approved", withRevision(rev("V.1", "2026-04", 10), 1), got["V.1 2026-04"])
	h.review("V.1", "2026-04", indicators.Approved, "", reviewedAt.Add(time.Minute))
	if r := h.approved()["V.1 2026-04"]; r.Revision != 2 || *r.Value != 11 {
		t.Errorf("revision 2 approved: Approved = %+v, want revision 2 (11)", r)
	}
	h.review("V.1", "2026-04", indicators.Returned, "更正有误", reviewedAt.Add(2*time.Minute))
	if r := h.approved()["V.1 2026-04"]; r.Revision != 1 || r.State() != indicators.Approved {
		t.Errorf("revision 2 returned after its approval: Approved = %+v, want revision 1 again", r)
	}
}

func withRevision(r indicators.Revision, n int) indicators.Revision {
	r.Revision = n
	return r
}

func testReviewReopen(t *testing.T, h *harness) {
	h.append(rev("V.1", "2026-04", 10), rev("V.2", "2026-Q2", 3))
	a := h.review("V.1", "2026-04", indicators.Approved, "", reviewedAt)
	b := h.review("V.2", "2026-Q2", indicators.Returned, "进度描述过简", reviewedAt.Add(time.Second))
	h.reopen()
	latest := h.latestOf()
	if d := reviewDiff([]indicators.Review{a}, latest["V.1 2026-04"].Reviews); len(d) > 0 {
		t.Errorf("V.1 after reopen: %v", d)
	}
	if d := reviewDiff([]indicators.Review{b}, latest["V.2 2026-Q2"].Reviews); len(d) > 0 {
		t.Errorf("V.2 after reopen: %v", d)
	}
	if got := h.approved(); len(got) != 1 || got["V.1 2026-04"].Revision != 1 {
		t.Errorf("Approved after reopen: %+v", got)
	}
}

func testReviewTwoPlans(t *testing.T, h *harness) {
	const other = "minsheng-2026"
	in := func(p string, r indicators.Revision) indicators.Revision { r.Plan = p; return r }
	h.append(rev("V.1", "2026-04", 10), in(other, rev("V.1", "2026-04", 70)))
	h.append(in(other, rev("V.1", "2026-04", 71)))
	a := h.review("V.1", "2026-04", indicators.Approved, "", reviewedAt)
	b := h.reviewIn(other, "V.1", "2026-04", indicators.Returned, "口径不符", reviewedAt.Add(time.Second))
	if a.Plan != plan || a.Revision != 1 || b.Plan != other || b.Revision != 2 {
		t.Errorf("reviews of one indicator id in two plans judged %s revision %d and %s revision %d; want %s 1 and %s 2",
			a.Plan, a.Revision, b.Plan, b.Revision, plan, other)
	}
	check := func(when string) {
		t.Helper()
		latest := h.latestOf()
		if d := reviewDiff([]indicators.Review{a}, latest["V.1 2026-04"].Reviews); len(d) > 0 {
			t.Errorf("%s: latest of %s: %v", when, plan, d)
		}
		if d := reviewDiff([]indicators.Review{b}, latest[other+"/V.1 2026-04"].Reviews); len(d) > 0 {
			t.Errorf("%s: latest of %s: %v", when, other, d)
		}
		hist := h.historyOf(other, "V.1")
		if len(hist) != 2 || len(hist[0].Reviews) != 0 || len(reviewDiff([]indicators.Review{b}, hist[1].Reviews)) > 0 {
			t.Errorf("%s: history of %s V.1 = %+v, want the return on revision 2 alone", when, other, hist)
		}
		if hist := h.history("V.1"); len(hist) != 1 || len(reviewDiff([]indicators.Review{a}, hist[0].Reviews)) > 0 {
			t.Errorf("%s: history of %s V.1 = %+v, want the approval alone", when, plan, hist)
		}
		if got := h.approved(); len(got) != 1 || got["V.1 2026-04"].Revision != 1 || got["V.1 2026-04"].Plan != plan {
			t.Errorf("%s: Approved = %+v, want %s V.1 revision 1 alone", when, got, plan)
		}
	}
	check("before a reopen")
	h.reopen()
	check("after a reopen")
}
