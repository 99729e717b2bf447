package collector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
)

// Limits of one batch and of the free-text fields of a report.
const (
	MaxBatch          = 1000
	MaxNoteBytes      = 8 << 10
	MaxEvidenceBytes  = 2 << 10
	MaxReasonBytes    = 2 << 10
	MaxIdempotencyKey = 200
)

// Error codes of bad input, shared by the HTTP API and the CSV/Excel import.
const (
	CodeMalformedJSON      = "malformed_json"
	CodeUnknownField       = "unknown_field"
	CodeUnknownIndicator   = "unknown_indicator"
	CodeInvalidPeriod      = "invalid_period"
	CodePeriodOutsideYear  = "period_outside_plan_year"
	CodePeriodInFuture     = "period_in_future"
	CodeInvalidValue       = "invalid_value"
	CodeNegativeValue      = "negative_value"
	CodeStageOnNumeric     = "stage_on_numeric"
	CodeValueOnMilestone   = "value_on_milestone"
	CodeInvalidStage       = "invalid_stage"
	CodeInvalidPercent     = "invalid_percent"
	CodeBodyTooLarge       = "body_too_large"
	CodeTooManyReports     = "too_many_reports"
	CodeEmptyBatch         = "empty_batch"
	CodeMissingField       = "missing_field"
	CodeFieldTooLong       = "field_too_long"
	CodeReasonRequired     = "reason_required"
	CodeForbiddenIndicator = "forbidden_indicator"
)

// InputError is bad input: nothing of the batch was stored. Index is the position of
// the offending report in the batch (-1 when the error concerns the whole batch) and
// Field the JSON field name ("" when none). Status is the HTTP status to answer.
type InputError struct {
	Code    string
	Message string
	Index   int
	Field   string
	Status  int
}

func (e *InputError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("%s: report %d: %s", e.Code, e.Index, e.Message)
	}
	return e.Code + ": " + e.Message
}

func inputErr(status int, code string, index int, field, format string, args ...any) *InputError {
	return &InputError{Code: code, Message: fmt.Sprintf(format, args...), Index: index, Field: field, Status: status}
}

func badReport(code string, index int, field, format string, args ...any) *InputError {
	return inputErr(http.StatusBadRequest, code, index, field, format, args...)
}

// BatchError answers a problem with the batch as a whole (no report index).
func BatchError(status int, code, field, format string, args ...any) *InputError {
	return inputErr(status, code, -1, field, format, args...)
}

// ReportError answers a problem with one report of the batch.
func ReportError(code string, index int, field, format string, args ...any) *InputError {
	return badReport(code, index, field, format, args...)
}

// Submit validates and authorizes a batch sent by p from remote, appends it to the store
// all or nothing, and updates the snapshot. It returns one receipt per report once the
// batch is durable. Bad input returns an *InputError and stores nothing; any other error
// is the store's.
func (s *Service) Submit(ctx context.Context, p Principal, reports []indicators.Report, remote string) ([]indicators.Receipt, error) {
	revs, err := s.prepare(p, reports, remote)
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) && ie.Code == CodeForbiddenIndicator {
			s.counts.add(p.Name(), conventions.ResultForbidden, uint64(len(reports)))
		} else {
			s.counts.add(p.Name(), conventions.ResultRejected, uint64(len(reports)))
		}
		return nil, err
	}
	receipts, err := s.cfg.Store.Append(ctx, revs)
	if err != nil {
		return nil, fmt.Errorf("append %d reports: %w", len(revs), err)
	}
	if len(receipts) != len(revs) {
		return nil, fmt.Errorf("append %d reports: store returned %d receipts", len(revs), len(receipts))
	}
	stored := make([]indicators.Revision, 0, len(revs))
	var replayed uint64
	for i, rc := range receipts {
		if rc.Replayed {
			replayed++
			continue
		}
		r := revs[i]
		r.Revision = rc.Revision
		stored = append(stored, r)
	}
	s.apply(stored)
	if p.Admin {
		for _, r := range stored {
			if r.Reason != "" || r.Revision > 1 {
				s.cfg.Logger.Info("admin correction", "indicator", r.Indicator, "period", r.Period,
					"revision", r.Revision, "department", r.Department, "reason", r.Reason, "remote", remote)
			}
		}
	}
	s.counts.add(p.Name(), conventions.ResultAccepted, uint64(len(stored)))
	s.counts.add(p.Name(), conventions.ResultReplayed, replayed)
	return receipts, nil
}

// Validate checks a batch as Submit would, without storing it.
func (s *Service) Validate(p Principal, reports []indicators.Report) error {
	_, err := s.prepare(p, reports, "")
	return err
}

// prepare checks the whole batch, in a fixed order per report (indicator, authorization,
// period, value/stage, free text), and builds the revisions to store.
func (s *Service) prepare(p Principal, reports []indicators.Report, remote string) ([]indicators.Revision, error) {
	if len(reports) == 0 {
		return nil, BatchError(http.StatusBadRequest, CodeEmptyBatch, "reports", "the batch is empty: send at least one report in \"reports\" (没有报送数据)")
	}
	if len(reports) > MaxBatch {
		return nil, BatchError(http.StatusRequestEntityTooLarge, CodeTooManyReports, "reports", "%d reports in one batch; send at most %d per request (单次最多%d条)", len(reports), MaxBatch, MaxBatch)
	}
	if !p.Admin && p.Department == "" {
		return nil, BatchError(http.StatusForbidden, CodeForbiddenIndicator, "", "the sender has neither a department nor the admin role")
	}
	cat := s.cfg.Catalog
	now := s.cfg.Now().In(s.loc)
	year := cat.Plan.Year
	out := make([]indicators.Revision, len(reports))
	for i, r := range reports {
		if r.Indicator == "" {
			return nil, badReport(CodeMissingField, i, "indicator", "\"indicator\" is required: the target id from the catalog, e.g. \"57.1\" (缺少指标编号)")
		}
		e, ok := cat.Lookup(r.Indicator)
		if !ok {
			return nil, badReport(CodeUnknownIndicator, i, "indicator", "indicator %q is not in the catalog %s; use a target id such as \"57.1\" (指标编号不存在)", r.Indicator, cat.Plan.ID)
		}
		lead := e.Task.Lead
		if !p.Admin && p.Department != lead {
			return nil, inputErr(http.StatusForbidden, CodeForbiddenIndicator, i, "indicator",
				"indicator %s is led by department %q; the token of %q may only report its own indicators (只能报送本单位牵头的指标)", r.Indicator, lead, p.Department)
		}
		if r.Period == "" {
			return nil, badReport(CodeMissingField, i, "period", "\"period\" is required: 2026-03 (month), 2026-Q1 (quarter) or 2026-06-30 (day) (缺少报送期)")
		}
		per, err := indicators.ParsePeriod(r.Period)
		if err != nil {
			return nil, badReport(CodeInvalidPeriod, i, "period", "%v (报送期格式错误)", err)
		}
		if per.Year != year {
			return nil, badReport(CodePeriodOutsideYear, i, "period", "period %s is outside the plan year %d; report periods of %d only (报送期不在计划年度内)", r.Period, year, year)
		}
		if per.Start(s.loc).After(now) {
			return nil, badReport(CodePeriodInFuture, i, "period", "period %s has not begun yet (now %s, %s); report a past or current period (报送期尚未开始)", r.Period, now.Format("2006-01-02 15:04"), s.loc)
		}
		r.Period = per.String()
		if err := checkFigures(i, e.Target, r); err != nil {
			return nil, err
		}
		for _, f := range []struct {
			name, v string
			max     int
		}{
			{"note", r.Note, MaxNoteBytes},
			{"evidence", r.Evidence, MaxEvidenceBytes},
			{"reason", r.Reason, MaxReasonBytes},
			{"idempotency_key", r.IdempotencyKey, MaxIdempotencyKey},
		} {
			if len(f.v) > f.max {
				return nil, badReport(CodeFieldTooLong, i, f.name, "%q is %d bytes long; at most %d are allowed (内容过长)", f.name, len(f.v), f.max)
			}
		}
		if p.Admin && strings.TrimSpace(r.Reason) == "" && s.hasPeriod(r.Indicator, r.Period) {
			return nil, badReport(CodeReasonRequired, i, "reason", "indicator %s period %s was already reported; an admin correction must say why in \"reason\" (管理员更正须填写原因)", r.Indicator, r.Period)
		}
		out[i] = indicators.Revision{
			Report:     r,
			Department: lead,
			Sender:     p.Name(),
			ReceivedAt: now,
			Remote:     remote,
			PeriodEnd:  per.End(s.loc),
		}
	}
	return out, nil
}

// checkFigures checks value, stage and percent against the target's measure.
func checkFigures(i int, t *indicators.Target, r indicators.Report) *InputError {
	if t.Measure == indicators.Milestone {
		if r.Value != nil {
			return badReport(CodeValueOnMilestone, i, "value", "indicator %s is a milestone: send \"stage\" (planned, started, completed, blocked) and optionally \"percent\", not \"value\" (节点类指标请填写进度阶段)", t.ID)
		}
		if r.Stage == "" {
			return badReport(CodeMissingField, i, "stage", "indicator %s is a milestone: \"stage\" is required (planned, started, completed or blocked) (缺少进度阶段)", t.ID)
		}
		if !r.Stage.Valid() {
			return badReport(CodeInvalidStage, i, "stage", "stage %q is not one of planned, started, completed, blocked (进度阶段无效)", string(r.Stage))
		}
		if r.Percent != nil {
			if v := *r.Percent; math.IsNaN(v) || v < 0 || v > 100 {
				return badReport(CodeInvalidPercent, i, "percent", "percent must be a number from 0 to 100 (完成百分比须在0到100之间)")
			}
			if v := *r.Percent; r.Stage == indicators.StageCompleted && v < 100 {
				return badReport(CodeInvalidPercent, i, "percent", "stage completed means the work is done: send percent 100 or leave it out, not %v; a stage not yet completed is started (已完成的完成百分比应为100或不填;未完成请选“已开工”)", v)
			}
		}
		return nil
	}
	if r.Stage != "" {
		return badReport(CodeStageOnNumeric, i, "stage", "indicator %s has a numeric target: send \"value\" in %s, not \"stage\" (数值类指标请填写数值)", t.ID, unitOf(t))
	}
	if r.Percent != nil {
		return badReport(CodeStageOnNumeric, i, "percent", "indicator %s has a numeric target: send \"value\" in %s, not \"percent\" (数值类指标请填写数值)", t.ID, unitOf(t))
	}
	if r.Value == nil {
		return badReport(CodeMissingField, i, "value", "\"value\" is required for indicator %s: the year-to-date figure in %s (缺少数值)", t.ID, unitOf(t))
	}
	v := *r.Value
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return badReport(CodeInvalidValue, i, "value", "value must be a finite number (数值无效)")
	}
	if v < 0 && t.Measure == indicators.Cumulative {
		return badReport(CodeNegativeValue, i, "value", "indicator %s counts a year-to-date total in %s; it cannot be negative (%v) (累计值不能为负)", t.ID, unitOf(t), v)
	}
	return nil
}

func unitOf(t *indicators.Target) string {
	if t.Unit == "" {
		return "its base unit"
	}
	return t.Unit
}

// hasPeriod reports whether the snapshot holds a revision of (indicator, period).
func (s *Service) hasPeriod(id, period string) bool {
	for _, r := range s.Series(id) {
		if r.Period == period {
			return true
		}
	}
	return false
}

// ReceivedCount is how many reports one sender sent with one result
// (conventions.ResultAccepted, ResultReplayed, ResultRejected, ResultForbidden).
// Department is the sender: a department id, "admin", or "unknown" for a sender
// the catalog does not know.
type ReceivedCount struct {
	Department string
	Result     string
	Count      uint64
}

var results = [...]string{conventions.ResultAccepted, conventions.ResultReplayed, conventions.ResultRejected, conventions.ResultForbidden}

// receivedCounters counts reports per sender and result with atomics; the map is
// built once and only read afterwards.
type receivedCounters struct {
	order []string
	by    map[string]*[len(results)]atomic.Uint64
}

func newReceivedCounters(cat *indicators.Catalog) *receivedCounters {
	c := &receivedCounters{by: map[string]*[len(results)]atomic.Uint64{}}
	for _, d := range cat.Departments {
		if _, dup := c.by[d.ID]; !dup {
			c.order = append(c.order, d.ID)
			c.by[d.ID] = new([len(results)]atomic.Uint64)
		}
	}
	for _, id := range []string{"admin", "unknown"} {
		if _, dup := c.by[id]; !dup {
			c.order = append(c.order, id)
			c.by[id] = new([len(results)]atomic.Uint64)
		}
	}
	return c
}

func (c *receivedCounters) add(sender, result string, n uint64) {
	if n == 0 {
		return
	}
	ctr, ok := c.by[sender]
	if !ok {
		ctr = c.by["unknown"]
	}
	for i, r := range results {
		if r == result {
			ctr[i].Add(n)
			return
		}
	}
}

// ReceivedCounts returns the count of reports received per sender and result, every
// catalog department and result included (zeros too), in catalog order. Cheap: atomics.
func (s *Service) ReceivedCounts() []ReceivedCount {
	c := s.counts
	out := make([]ReceivedCount, 0, len(c.order)*len(results))
	for _, d := range c.order {
		ctr := c.by[d]
		for i, r := range results {
			out = append(out, ReceivedCount{Department: d, Result: r, Count: ctr[i].Load()})
		}
	}
	return out
}

// CountRejected counts n reports of p rejected before they reached Submit (a body that
// is not JSON counts as one).
func (s *Service) CountRejected(p Principal, n int) {
	if n < 1 {
		n = 1
	}
	s.counts.add(p.Name(), conventions.ResultRejected, uint64(n))
}
