package collector

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Closing a plan (issue 15): once its year is over and its final bulletin out, the
// office closes a plan. A closed plan stays readable (indicators, reports,
// completeness, bulletins, templates, metrics) but takes no department's report: Submit
// refuses the whole batch with KindConflict plan_closed and stores nothing. The admin
// still corrects a figure, with a reason for every report (reason_required), recorded
// like any admin correction. Reviews stay open to the office (a correction made after
// closing may need approving); 催报 for a closed plan is refused (api, notify). The
// closure is a record in the store (Store.SetClosure), so every replica sharing it
// agrees: each reads it at its Reload and Refresh.

// Codes of closing errors.
const (
	CodePlanClosed     = "plan_closed"     // a department reporting into a closed plan (409)
	CodeForbiddenClose = "forbidden_close" // a department token closing or reopening a plan (403)
)

// Closure returns the closure record in force for the service's plan; ok is false when
// the plan was never closed. A plan reopened has a record with Closed false.
func (s *Service) Closure() (c Closure, ok bool) {
	if p := s.closure.Load(); p != nil {
		return *p, true
	}
	return Closure{}, false
}

// Since says, for people, since when and why the plan is closed, in loc (the plan's
// zone): 已于2027年2月10日关闭(终期考核完成). The board and the workspace show it.
func (c Closure) Since(loc *time.Location) string {
	t := "已于" + c.At.In(loc).Format("2006年1月2日") + "关闭"
	if c.Reason != "" {
		t += "(" + c.Reason + ")"
	}
	return t
}

// Closed says whether the plan is closed now.
func (s *Service) Closed() bool {
	c, ok := s.Closure()
	return ok && c.Closed
}

// SetClosed closes (closed true) or reopens the service's plan on behalf of p: only the
// admin may (KindForbidden otherwise). The record is stored first, then put in force;
// closing a closed plan, or reopening an open one, stores nothing and returns the
// record in force.
func (s *Service) SetClosed(ctx context.Context, p Principal, closed bool, reason string) (Closure, error) {
	plan := s.cfg.Catalog.Plan.ID
	if !p.Admin {
		return Closure{}, NewInputError(KindForbidden, CodeForbiddenClose, -1, "",
			"only the supervision office (the admin token) closes or reopens a plan (只有督办机构可以关闭或重新开放计划)")
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > MaxReasonBytes {
		return Closure{}, Invalid(CodeFieldTooLong, -1, "reason", "\"reason\" is %d bytes long; at most %d are allowed (内容过长)", len(reason), MaxReasonBytes)
	}
	if s.Closed() == closed {
		c, _ := s.Closure()
		c.Plan, c.Closed = plan, closed
		return c, nil
	}
	c := Closure{Plan: plan, Closed: closed, By: p.Name(), At: s.cfg.Now().UTC(), Reason: reason}
	if err := s.cfg.Store.SetClosure(ctx, c); err != nil {
		return Closure{}, fmt.Errorf("store the closure of plan %s: %w", plan, err)
	}
	s.closure.Store(&c)
	what := "plan closed"
	if !closed {
		what = "plan reopened"
	}
	s.cfg.Logger.Info(what, "plan", plan, "by", c.By, "reason", c.Reason)
	return c, nil
}

// applyClosures puts in force the record of the service's plan among cs, the records
// in force of every plan (Store.Closures); none leaves the plan open.
func (s *Service) applyClosures(cs []Closure) {
	for i := range cs {
		if cs[i].Plan == s.cfg.Catalog.Plan.ID {
			c := cs[i]
			s.closure.Store(&c)
			return
		}
	}
	s.closure.Store(nil)
}

// closedError is Submit's refusal of a department's batch into a closed plan.
func (s *Service) closedError(c Closure) *InputError {
	p := s.cfg.Catalog.Plan
	return NewInputError(KindConflict, CodePlanClosed, -1, "plan",
		"plan %s (%s) was closed on %s: it accepts no more reports from departments; the supervision office corrects a figure with a reason (计划“%s”已于%s关闭，不再接受报送；如需更正请联系督查室)",
		p.ID, p.Title, c.At.In(s.loc).Format("2006-01-02"), p.Title, c.At.In(s.loc).Format("2006年1月2日"))
}
