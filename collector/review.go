package collector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
)

// The office's review (issue 17): the admin approves or returns the latest revision of
// an indicator's period; with review.required only approved values count.

// Codes of review errors.
const (
	CodeForbiddenReview = "forbidden_review" // a department token reviewing (403)
	CodeInvalidDecision = "invalid_decision" // decision neither approve nor return (400)
	CodeCommentRequired = "comment_required" // a return without a comment (400)
	CodeNoReport        = "no_report"        // nothing received for that indicator and period (409)
)

// MaxCommentBytes bounds a review's comment.
const MaxCommentBytes = 2 << 10

// ReviewRequest is one element of POST /api/v1/reviews.
type ReviewRequest struct {
	Plan      string `json:"plan,omitempty"` // routed by the API (api.planFor); the service's own plan
	Indicator string `json:"indicator"`
	Period    string `json:"period"`
	Decision  string `json:"decision"` // approve | return
	Comment   string `json:"comment,omitempty"`
}

// The decisions a request names.
const (
	DecisionApprove = "approve"
	DecisionReturn  = "return"
)

// ReviewRequired says whether only approved values count.
func (s *Service) ReviewRequired() bool { return s.required.Load() }

// SetReviewRequired puts review.required in force (a reload of the configuration).
func (s *Service) SetReviewRequired(v bool) { s.required.Store(v) }

// Review checks a batch of reviews sent by p and stores it all or nothing: only the
// admin reviews (KindForbidden otherwise), every indicator must be in the catalog, every
// period valid and received, a return must say why. Each review judges the latest
// revision of its period (collector.Store.Review); the snapshot follows at once.
func (s *Service) Review(ctx context.Context, p Principal, reqs []ReviewRequest) ([]indicators.Review, error) {
	if !p.Admin {
		return nil, NewInputError(KindForbidden, CodeForbiddenReview, -1, "",
			"only the supervision office (the admin token) reviews reports; a department's token cannot (只有督办机构可以审核)")
	}
	if len(reqs) == 0 {
		return nil, Invalid(CodeEmptyBatch, -1, "reviews", "the batch is empty: send at least one review in \"reviews\" (没有审核内容)")
	}
	if len(reqs) > MaxBatch {
		return nil, NewInputError(KindTooLarge, CodeTooManyReports, -1, "reviews", "%d reviews in one batch; send at most %d per request (单次最多%d条)", len(reqs), MaxBatch, MaxBatch)
	}
	now := s.cfg.Now()
	batch := make([]indicators.Review, len(reqs))
	for i, r := range reqs {
		if r.Indicator == "" {
			return nil, Invalid(CodeMissingField, i, "indicator", "\"indicator\" is required: the target id from the catalog, e.g. \"57.1\" (缺少指标编号)")
		}
		if _, ok := s.cfg.Catalog.Lookup(r.Indicator); !ok {
			return nil, Invalid(CodeUnknownIndicator, i, "indicator", "indicator %q is not in the catalog %s (指标编号不存在)", r.Indicator, s.cfg.Catalog.Plan.ID)
		}
		if r.Period == "" {
			return nil, Invalid(CodeMissingField, i, "period", "\"period\" is required: the period reviewed, e.g. 2026-10 (缺少报送期)")
		}
		per, err := indicators.ParsePeriod(r.Period)
		if err != nil {
			return nil, Invalid(CodeInvalidPeriod, i, "period", "%v (报送期格式错误)", err)
		}
		period := per.String()
		var d indicators.Decision
		switch r.Decision {
		case DecisionApprove:
			d = indicators.Approved
		case DecisionReturn:
			d = indicators.Returned
			if !Meaningful(r.Comment) {
				return nil, Invalid(CodeCommentRequired, i, "comment", "a return must say what to fix in \"comment\", so the department knows (退回须填写意见)")
			}
		default:
			return nil, Invalid(CodeInvalidDecision, i, "decision", "decision must be \"approve\" or \"return\", not %q (审核结论应为 approve 或 return)", r.Decision)
		}
		if len(r.Comment) > MaxCommentBytes {
			return nil, Invalid(CodeFieldTooLong, i, "comment", "\"comment\" is %d bytes long; at most %d are allowed (内容过长)", len(r.Comment), MaxCommentBytes)
		}
		if !s.hasPeriod(r.Indicator, period) {
			return nil, NewInputError(KindConflict, CodeNoReport, i, "period",
				"indicator %s has no report for %s: there is nothing to review (该期尚未报送，无可审核内容)", r.Indicator, period)
		}
		if r.Plan != "" && r.Plan != s.cfg.Catalog.Plan.ID {
			return nil, Invalid(CodeUnknownPlan, i, "plan", "plan %q is not %s, the plan this review goes to (计划编号不符)", r.Plan, s.cfg.Catalog.Plan.ID)
		}
		batch[i] = indicators.Review{Plan: s.cfg.Catalog.Plan.ID, Indicator: r.Indicator, Period: period, Decision: d,
			Comment: strings.TrimSpace(r.Comment), Reviewer: p.Name(), ReviewedAt: now}
	}
	stored, err := s.cfg.Store.Review(ctx, batch)
	if err != nil {
		var nr *NoReportError
		if errors.As(err, &nr) {
			return nil, NewInputError(KindConflict, CodeNoReport, nr.Index, "period",
				"indicator %s has no report for %s: there is nothing to review (该期尚未报送，无可审核内容)", nr.Indicator, nr.Period)
		}
		return nil, fmt.Errorf("store %d reviews: %w", len(batch), err)
	}
	if len(stored) != len(batch) {
		return nil, fmt.Errorf("store %d reviews: the store returned %d", len(batch), len(stored))
	}
	s.applyReviews(ctx, stored)
	for _, rv := range stored {
		s.cfg.Logger.Info("review", "plan", rv.Plan, "indicator", rv.Indicator, "period", rv.Period, "revision", rv.Revision,
			"decision", rv.Decision, "reviewer", rv.Reviewer)
	}
	return stored, nil
}

// applyReviews brings the snapshot up to date with stored reviews: the latest revision
// they judge gets them, and the approved series moves where a review changes which
// revision is the highest approved one (a return of it reads the history again).
func (s *Service) applyReviews(ctx context.Context, stored []indicators.Review) {
	type pk struct {
		indicator, period string
		revision          int
	}
	work := map[pk]int{} // index in judged
	var judged []indicators.Revision
	var reread []string
	s.mu.RLock()
	for _, rv := range stored {
		if rv.Plan != s.cfg.Catalog.Plan.ID {
			continue // another plan's, kept by its own service
		}
		k := pk{rv.Indicator, rv.Period, rv.Revision}
		i, ok := work[k]
		if !ok {
			for _, r := range s.series[rv.Indicator] {
				if r.Period == rv.Period && r.Revision == rv.Revision {
					r.Reviews = append([]indicators.Review(nil), r.Reviews...)
					judged = append(judged, r)
					i, ok = len(judged)-1, true
					work[k] = i
				}
			}
		}
		// A review the snapshot holds already (a refresh bringing it again) is not added.
		if ok && !slices.ContainsFunc(judged[i].Reviews, func(o indicators.Review) bool { return o.ReviewedAt.Equal(rv.ReviewedAt) }) {
			judged[i].Reviews = append(judged[i].Reviews, rv)
		}
		if rv.Decision == indicators.Returned {
			for _, r := range s.approved[rv.Indicator] {
				if r.Period == rv.Period && r.Revision == rv.Revision && !slices.Contains(reread, rv.Indicator) {
					reread = append(reread, rv.Indicator)
				}
			}
		}
	}
	s.mu.RUnlock()
	s.apply(judged)
	var approved []indicators.Revision
	for _, r := range judged {
		if r.State() == indicators.Approved {
			approved = append(approved, r)
		}
	}
	s.applyApproved(approved, nil)
	for _, id := range reread {
		hist, err := s.cfg.Store.History(ctx, s.cfg.Catalog.Plan.ID, id)
		if err != nil {
			s.cfg.Logger.Warn("review: could not reread the history after a return; the approved value stays until the next reload", "indicator", id, "err", err)
			continue
		}
		s.applyApproved(indicators.LastApproved(hist), &id)
	}
}

// applyApproved merges approved revisions into the approved snapshot; with only set,
// the indicator's approved series is replaced by revs (a reread after a return).
func (s *Service) applyApproved(revs []indicators.Revision, only *string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if only != nil {
		next := append([]indicators.Revision(nil), revs...)
		sort.SliceStable(next, func(i, j int) bool { return next[i].PeriodEnd.Before(next[j].PeriodEnd) })
		if len(next) == 0 {
			delete(s.approved, *only)
		} else {
			s.approved[*only] = next
		}
		return
	}
	for _, r := range revs {
		next := append([]indicators.Revision(nil), s.approved[r.Indicator]...)
		replaced := false
		for i := range next {
			if next[i].Period == r.Period {
				if r.Revision >= next[i].Revision {
					next[i] = r
				}
				replaced = true
				break
			}
		}
		if !replaced {
			next = append(next, r)
			sort.SliceStable(next, func(i, j int) bool { return next[i].PeriodEnd.Before(next[j].PeriodEnd) })
		}
		s.approved[r.Indicator] = next
	}
}

// Received returns one indicator's latest received revision per period, reviewed or
// not, ordered by PeriodEnd (Series is what counts). Immutable and shared.
func (s *Service) Received(id string) []indicators.Revision {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.series[id]
}

// Pending returns, with review.required, the periods of one indicator whose latest
// revision is not the one that counts (submitted or returned after an approved one,
// or never approved): what the board shows as 待审核 beside the value that counts.
// Without review.required it is empty.
func (s *Service) Pending(id string) []indicators.Revision {
	if !s.ReviewRequired() {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []indicators.Revision
	for _, r := range s.series[id] {
		if r.State() != indicators.Approved {
			out = append(out, r)
		}
	}
	return out
}

// ReviewCount is, per department, the reports (latest revision per indicator and
// period) waiting for review and those returned and not sent again.
type ReviewCount struct {
	Department   string
	InReview     int
	Returned     int
	OldestReturn time.Time // when the oldest of the Returned was returned; zero when none
}

// ReviewCounts counts the snapshot's latest revisions by review state, for every lead
// department of the catalog (zeros included), in catalog order.
func (s *Service) ReviewCounts() []ReviewCount {
	cat := s.cfg.Catalog
	depts := cat.LeadDepartments()
	idx := make(map[string]int, len(depts))
	out := make([]ReviewCount, len(depts))
	for i, d := range depts {
		idx[d] = i
		out[i].Department = d
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for id, revs := range s.series {
		e, ok := cat.Lookup(id)
		if !ok {
			continue
		}
		i, ok := idx[e.Task.Lead]
		if !ok {
			continue
		}
		for _, r := range revs {
			switch r.State() {
			case indicators.Submitted:
				out[i].InReview++
			case indicators.Returned:
				out[i].Returned++
				at := r.Reviews[len(r.Reviews)-1].ReviewedAt
				if out[i].OldestReturn.IsZero() || at.Before(out[i].OldestReturn) {
					out[i].OldestReturn = at
				}
			}
		}
	}
	return out
}

// ReviewItems returns the latest revisions whose review state is state, of one lead
// department ("" for all), ordered by indicator (catalog order) then period: what waits
// for the office (Submitted), what it sent back (Returned). From the snapshot.
func (s *Service) ReviewItems(dept string, state indicators.Decision) []indicators.Revision {
	cat := s.cfg.Catalog
	var out []indicators.Revision
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, id := range cat.TargetIDs() {
		if dept != "" {
			if e, ok := cat.Lookup(id); !ok || e.Task.Lead != dept {
				continue
			}
		}
		for _, r := range s.series[id] {
			if r.State() == state {
				out = append(out, r)
			}
		}
	}
	return out
}
