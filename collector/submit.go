package collector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

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
	CodePeriodNotOver      = "period_not_over"
	CodePeriodNotInCadence = "period_not_in_cadence"
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
	CodeUnknownPlan        = "unknown_plan"  // a report naming a plan the server does not serve (400)
	CodePlanRequired       = "plan_required" // several plans could take the report (400)
	CodeMixedPlans         = "mixed_plans"   // one request naming several plans (400)

	CodeDuplicateKey        = "duplicate_idempotency_key" // one key twice in one batch (400)
	CodeIdempotencyConflict = "idempotency_conflict"      // a key reused for other content (409)
)

// Codes of warnings in receipts: the report is stored, but a person should look at it.
const (
	WarnCumulativeDecreased = "cumulative_decreased"
)

// Warning is attached to the receipt of a report that was stored but looks wrong.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Receipt is the store's receipt of one report with the warnings the service found.
type Receipt struct {
	indicators.Receipt
	Warnings []Warning `json:"warnings,omitempty"`
}

// Kind is the sort of an input error; a transport maps it to its own answer (the HTTP
// API to a status), so the core knows no transport.
type Kind int

// The kinds of input error.
const (
	KindInvalid     Kind = iota // the input is wrong: fix it and send it again
	KindForbidden               // the sender may not do this (another department's indicator)
	KindConflict                // it contradicts what is stored (an idempotency key reused)
	KindTooLarge                // over a limit (reports per batch, bytes, rows)
	KindUnsupported             // sent in a form the collector does not read
)

// InputError is bad input: nothing of the batch was stored. Index is the position of
// the offending report in the batch (-1 when the error concerns the whole batch), Field
// the JSON field name ("" when none), Kind what sort of error it is.
type InputError struct {
	Code    string
	Message string
	Index   int
	Field   string
	Kind    Kind
}

func (e *InputError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("%s: report %d: %s", e.Code, e.Index, e.Message)
	}
	return e.Code + ": " + e.Message
}

// NewInputError is an input error of a kind about report index (-1: the whole batch).
func NewInputError(kind Kind, code string, index int, field, format string, args ...any) *InputError {
	return &InputError{Code: code, Message: fmt.Sprintf(format, args...), Index: index, Field: field, Kind: kind}
}

// Invalid is wrong input about report index (-1: the whole batch): KindInvalid.
func Invalid(code string, index int, field, format string, args ...any) *InputError {
	return NewInputError(KindInvalid, code, index, field, format, args...)
}

// Submit validates and authorizes a batch sent by p from remote, appends it to the store
// all or nothing, and updates the snapshot. It returns one receipt per report once the
// batch is durable, with the warnings of each report. Bad input returns an *InputError
// and stores nothing, as do the store's refusals (an idempotency key reused for other
// content: 409; a first report that another one overtook: 400 reason_required); any
// other error is the store's.
func (s *Service) Submit(ctx context.Context, p Principal, reports []indicators.Report, remote string) ([]Receipt, error) {
	revs, warnings, err := s.prepare(p, reports, remote)
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
		if ie := refusal(err); ie != nil {
			s.counts.add(p.Name(), conventions.ResultRejected, uint64(len(reports)))
			return nil, ie
		}
		return nil, fmt.Errorf("append %d reports: %w", len(revs), err)
	}
	if len(receipts) != len(revs) {
		return nil, fmt.Errorf("append %d reports: store returned %d receipts", len(revs), len(receipts))
	}
	stored := make([]indicators.Revision, 0, len(revs))
	var replayed uint64
	out := make([]Receipt, len(receipts))
	for i, rc := range receipts {
		out[i] = Receipt{Receipt: rc, Warnings: warnings[i]}
		if rc.Replayed {
			replayed++
			continue
		}
		r := revs[i]
		r.Revision = rc.Revision
		r.MustBeFirst = false
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
	return out, nil
}

// Check validates each report of a batch on its own, as Submit validates it, without
// storing anything or counting it: a form shows every field to fix at once where Submit
// stops at the first. The batch itself still goes through Submit, which alone sees
// what concerns several reports together (a key or an admin's period twice) and the
// store's refusals. The result has one entry per report, nil where it passes; an
// error's Index is the report's position in reports.
func (s *Service) Check(p Principal, reports []indicators.Report) []*InputError {
	out := make([]*InputError, len(reports))
	for i := range reports {
		_, _, err := s.prepare(p, reports[i:i+1], "")
		var ie *InputError
		if errors.As(err, &ie) {
			e := *ie
			e.Index = i
			out[i] = &e
		}
	}
	return out
}

// refusal turns the store's refusals of a batch into input errors (nil for others).
func refusal(err error) *InputError {
	var ic *IdempotencyConflict
	var nf *NotFirstError
	switch {
	case errors.As(err, &ic):
		return NewInputError(KindConflict, CodeIdempotencyConflict, ic.Index, "idempotency_key",
			"idempotency key %q was already used for another report (%s %s, revision %d); a key may be sent again only with the same indicator, period, value, stage and percent: use a new key for a new report (幂等键已用于其他内容)",
			ic.Key, ic.Original.Indicator, ic.Original.Period, ic.Original.Revision)
	case errors.As(err, &nf):
		return Invalid(CodeReasonRequired, nf.Index, "reason",
			"indicator %s period %s was already reported (this report would be revision %d); an admin correction must say why in \"reason\" (管理员更正须填写原因)",
			nf.Indicator, nf.Period, nf.Revision)
	}
	return nil
}

// adminReason applies the rule of admin corrections to report i: a report of a period
// already reported (stored, or earlier in the batch), and any report into a closed
// plan, must say why in "reason" (reason_required). A first report without a reason
// must stay first: mustBeFirst, which the store checks again atomically.
func (s *Service) adminReason(p Principal, i int, r indicators.Report, again, closed bool) (mustBeFirst bool, _ *InputError) {
	if !p.Admin || Meaningful(r.Reason) {
		return false, nil
	}
	switch {
	case closed:
		return false, Invalid(CodeReasonRequired, i, "reason", "plan %s is closed: an admin correction of indicator %s period %s must say why in \"reason\" (计划已关闭，管理员更正须填写原因)", s.cfg.Catalog.Plan.ID, r.Indicator, r.Period)
	case r.IdempotencyKey == "" && s.hasPeriod(r.Indicator, r.Period):
		// With a key the store decides: a retry of this very first report
		// replays, another report is refused there (NotFirstError).
		return false, Invalid(CodeReasonRequired, i, "reason", "indicator %s period %s was already reported; an admin correction must say why in \"reason\" (管理员更正须填写原因)", r.Indicator, r.Period)
	case again:
		return false, Invalid(CodeReasonRequired, i, "reason", "indicator %s period %s is reported earlier in this batch; a second report of it is an admin correction and must say why in \"reason\" (管理员更正须填写原因)", r.Indicator, r.Period)
	}
	return true, nil // checked again by the store, atomically
}

// prepare checks the whole batch, in a fixed order per report (indicator, authorization,
// period, value/stage, free text, idempotency key, reason), and builds the revisions to
// store and the warnings of each report.
func (s *Service) prepare(p Principal, reports []indicators.Report, remote string) ([]indicators.Revision, [][]Warning, error) {
	if err := checkBatch(p, len(reports)); err != nil {
		return nil, nil, err
	}
	closure, _ := s.Closure()
	if closure.Closed && !p.Admin {
		return nil, nil, s.closedError(closure)
	}
	cat := s.cfg.Catalog
	now := s.cfg.Now().In(s.loc)
	year := cat.Plan.Year
	out := make([]indicators.Revision, len(reports))
	warnings := make([][]Warning, len(reports))
	var (
		keys    map[string]int      // idempotency key → first index in the batch
		periods map[string]struct{} // indicator and period of an admin's earlier reports in the batch
		earlier map[string][]int    // indicator → indexes of its earlier reports in the batch
	)
	if len(reports) > 1 {
		periods = make(map[string]struct{}, len(reports))
		earlier = make(map[string][]int, len(reports))
	}
	for i, r := range reports {
		if err := ownPlan(cat, i, &r); err != nil {
			return nil, nil, err
		}
		e, ierr := reportedIndicator(cat, p, i, r.Indicator)
		if ierr != nil {
			return nil, nil, ierr
		}
		lead := e.Task.Lead
		if r.Period == "" {
			return nil, nil, Invalid(CodeMissingField, i, "period", "\"period\" is required: 2026-03 (month), 2026-Q1 (quarter) or 2026-06-30 (day) (缺少报送期)")
		}
		per, err := indicators.ParsePeriod(r.Period)
		if err != nil {
			return nil, nil, Invalid(CodeInvalidPeriod, i, "period", "%v (报送期格式错误)", err)
		}
		if err := checkPeriod(i, e.Target, per, year, now, s.loc); err != nil {
			return nil, nil, err
		}
		r.Period = per.String()
		if err := checkFigures(i, e.Target, r); err != nil {
			return nil, nil, err
		}
		if err := checkLengths(i, &r); err != nil {
			return nil, nil, err
		}
		if k := r.IdempotencyKey; k != "" {
			if j, dup := keys[k]; dup {
				return nil, nil, Invalid(CodeDuplicateKey, i, "idempotency_key",
					"idempotency key %q is used by reports %d and %d of this batch; give every report its own key (同一批次中幂等键重复)", k, j, i)
			}
			if keys == nil {
				keys = map[string]int{}
			}
			keys[k] = i
		}
		again := p.Admin && seenBefore(periods, r.Indicator+"\x00"+r.Period) // the same (indicator, period) earlier in an admin's batch
		mustBeFirst, ierr := s.adminReason(p, i, r, again, closure.Closed)
		if ierr != nil {
			return nil, nil, ierr
		}
		out[i] = indicators.Revision{
			Report:      r,
			Department:  lead,
			Sender:      p.Name(),
			ReceivedAt:  now,
			Remote:      remote,
			PeriodEnd:   per.End(s.loc),
			MustBeFirst: mustBeFirst,
		}
		var before []int
		if earlier != nil {
			before = earlier[r.Indicator]
			earlier[r.Indicator] = append(before, i)
		}
		if w, ok := s.decreased(e.Target, out, before, i); ok {
			warnings[i] = append(warnings[i], w)
		}
	}
	return out, warnings, nil
}

// decreased warns when report i of a cumulative target is lower than the period
// before, as the snapshot will hold it once the batch is stored: earlier reports of the
// indicator in this batch (before: their indexes in out) count too.
func (s *Service) decreased(t *indicators.Target, out []indicators.Revision, before []int, i int) (Warning, bool) {
	if t.Measure != indicators.Cumulative {
		return Warning{}, false
	}
	r := out[i].Report
	prev, ok := previous(s.Received(r.Indicator), out, before, out[i])
	if !ok || !indicators.Decreased(t, prev, out[i]) {
		return Warning{}, false
	}
	return Warning{Code: WarnCumulativeDecreased, Message: fmt.Sprintf(
		"indicator %s counts a year-to-date total, and %s for %s is lower than %s for %s; stored, but check the figure or send a correction (累计值低于上期，请核实)",
		r.Indicator, fmtNum(*r.Value), r.Period, fmtNum(*prev.Value), prev.Period)}, true
}

// seenBefore says whether k is in seen (nil: a batch of one report), and adds it.
func seenBefore(seen map[string]struct{}, k string) bool {
	if seen == nil {
		return false
	}
	_, ok := seen[k]
	seen[k] = struct{}{}
	return ok
}

// checkBatch checks what a whole batch of n reports must be: not empty, not too large,
// from a department or an admin.
func checkBatch(p Principal, n int) *InputError {
	if n == 0 {
		return Invalid(CodeEmptyBatch, -1, "reports", "the batch is empty: send at least one report in \"reports\" (没有报送数据)")
	}
	if n > MaxBatch {
		return NewInputError(KindTooLarge, CodeTooManyReports, -1, "reports", "%d reports in one batch; send at most %d per request (单次最多%d条)", n, MaxBatch, MaxBatch)
	}
	if !p.Admin && p.Department == "" {
		return NewInputError(KindForbidden, CodeForbiddenIndicator, -1, "", "the sender has neither a department nor the admin role")
	}
	return nil
}

// reportedIndicator looks up the indicator of report i and checks that p may report it:
// an admin any, a department the ones its tasks lead.
func reportedIndicator(cat *indicators.Catalog, p Principal, i int, id string) (indicators.Entry, *InputError) {
	if id == "" {
		return indicators.Entry{}, Invalid(CodeMissingField, i, "indicator", "\"indicator\" is required: the target id from the catalog, e.g. \"57.1\" (缺少指标编号)")
	}
	e, ok := cat.Lookup(id)
	if !ok {
		return e, Invalid(CodeUnknownIndicator, i, "indicator", "indicator %q is not in the catalog %s; use a target id such as \"57.1\" (指标编号不存在)", id, cat.Plan.ID)
	}
	if lead := e.Task.Lead; !p.Admin && p.Department != lead {
		return e, NewInputError(KindForbidden, CodeForbiddenIndicator, i, "indicator",
			"indicator %s is led by department %q; the token of %q may only report its own indicators (只能报送本单位牵头的指标)", id, lead, p.Department)
	}
	return e, nil
}

// checkLengths checks the free texts and the idempotency key of report i against their
// limits.
func checkLengths(i int, r *indicators.Report) *InputError {
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
			return Invalid(CodeFieldTooLong, i, f.name, "%q is %d bytes long; at most %d are allowed (内容过长)", f.name, len(f.v), f.max)
		}
	}
	return nil
}

// checkPeriod checks a period against the plan year, the reporting calendar of the
// target and the clock: a year-to-date value is "as of" the period's end, so the period
// must be over.
func checkPeriod(i int, t *indicators.Target, per indicators.Period, year int, now time.Time, loc *time.Location) *InputError {
	p := per.String()
	if per.Year != year {
		return Invalid(CodePeriodOutsideYear, i, "period", "period %s is outside the plan year %d; report periods of %d only (报送期不在计划年度内)", p, year, year)
	}
	if per.Start(loc).After(now) {
		return Invalid(CodePeriodInFuture, i, "period", "period %s has not begun yet (now %s, %s); report a period that is over (报送期尚未开始)", p, now.Format("2006-01-02 15:04"), loc)
	}
	if !t.InCadence(per) {
		return Invalid(CodePeriodNotInCadence, i, "period", "indicator %s is reported quarterly; period %s is not a quarter: send 2026-Q1 … 2026-Q4 (or the quarter's last month, e.g. 2026-03) (该指标按季度报送)", t.ID, p)
	}
	if end := per.End(loc); end.After(now) {
		return Invalid(CodePeriodNotOver, i, "period", "period %s is not over until %s (now %s, %s); its year-to-date value can be reported from then on: report the last period that is over (报送期尚未结束)", p, end.Format("2006-01-02 15:04"), now.Format("2006-01-02 15:04"), loc)
	}
	return nil
}

// Meaningful reports whether a free text says something: it holds a character that is
// neither white space nor invisible (format characters such as zero-width spaces, word
// joiners and byte order marks; space separators; controls; fillers that render blank).
func Meaningful(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), unicode.In(r, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp, unicode.Cc):
		case r == utf8.RuneError, r == '\u115F', r == '\u1160', r == '\u3164', r == '\uFFA0', r == '\u2800':
		case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r): // a combining mark alone shows nothing
		default:
			return true
		}
	}
	return false
}

// previous is the latest revision with a value of a period that ends before r's: from
// series (the snapshot, ordered by PeriodEnd) or from the batch's reports at the
// indexes before, which replace the snapshot's revision of their period. No copy: a
// batch may repeat an indicator a hundred times.
func previous(series, batch []indicators.Revision, before []int, r indicators.Revision) (indicators.Revision, bool) {
	var fromBatch *indicators.Revision
	for _, j := range before {
		b := &batch[j]
		if b.Value != nil && b.PeriodEnd.Before(r.PeriodEnd) && (fromBatch == nil || !b.PeriodEnd.Before(fromBatch.PeriodEnd)) {
			fromBatch = b
		}
	}
	for i := len(series) - 1; i >= 0; i-- {
		p := &series[i]
		if p.Value == nil || !p.PeriodEnd.Before(r.PeriodEnd) {
			continue
		}
		if fromBatch != nil && !fromBatch.PeriodEnd.Before(p.PeriodEnd) {
			break // the batch's report is as late, or replaces this one
		}
		return *p, true
	}
	if fromBatch != nil {
		return *fromBatch, true
	}
	return indicators.Revision{}, false
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// checkFigures checks value, stage and percent against the target's measure.
func checkFigures(i int, t *indicators.Target, r indicators.Report) *InputError {
	if t.Measure == indicators.Milestone {
		if r.Value != nil {
			return Invalid(CodeValueOnMilestone, i, "value", "indicator %s is a milestone: send \"stage\" (planned, started, completed, blocked) and optionally \"percent\", not \"value\" (节点类指标请填写进度阶段)", t.ID)
		}
		if r.Stage == "" {
			return Invalid(CodeMissingField, i, "stage", "indicator %s is a milestone: \"stage\" is required (planned, started, completed or blocked) (缺少进度阶段)", t.ID)
		}
		if !r.Stage.Valid() {
			return Invalid(CodeInvalidStage, i, "stage", "stage %q is not one of planned, started, completed, blocked (进度阶段无效)", string(r.Stage))
		}
		if r.Percent != nil {
			if v := *r.Percent; math.IsNaN(v) || v < 0 || v > 100 {
				return Invalid(CodeInvalidPercent, i, "percent", "percent must be a number from 0 to 100 (完成百分比须在0到100之间)")
			}
			if v := *r.Percent; r.Stage == indicators.StageCompleted && v < 100 {
				return Invalid(CodeInvalidPercent, i, "percent", "stage completed means the work is done: send percent 100 or leave it out, not %v; a stage not yet completed is started (已完成的完成百分比应为100或不填;未完成请选“已开工”)", v)
			}
		}
		return nil
	}
	if r.Stage != "" {
		return Invalid(CodeStageOnNumeric, i, "stage", "indicator %s has a numeric target: send \"value\" in %s, not \"stage\" (数值类指标请填写数值)", t.ID, unitOf(t))
	}
	if r.Percent != nil {
		return Invalid(CodeStageOnNumeric, i, "percent", "indicator %s has a numeric target: send \"value\" in %s, not \"percent\" (数值类指标请填写数值)", t.ID, unitOf(t))
	}
	if r.Value == nil {
		return Invalid(CodeMissingField, i, "value", "\"value\" is required for indicator %s: the year-to-date figure in %s (缺少数值)", t.ID, unitOf(t))
	}
	v := *r.Value
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Invalid(CodeInvalidValue, i, "value", "value must be a finite number (数值无效)")
	}
	if v < 0 && t.Measure == indicators.Cumulative {
		return Invalid(CodeNegativeValue, i, "value", "indicator %s counts a year-to-date total in %s; it cannot be negative (%v) (累计值不能为负)", t.ID, unitOf(t), v)
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
	for _, r := range s.Received(id) {
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

// ownPlan gives a report naming no plan to cat's and refuses one naming another plan:
// the API routes each batch to its plan's service (collector/http/api, plans.go).
func ownPlan(cat *indicators.Catalog, i int, r *indicators.Report) error {
	switch r.Plan {
	case cat.Plan.ID:
	case "":
		r.Plan = cat.Plan.ID
	default:
		return Invalid(CodeUnknownPlan, i, "plan", "plan %q is not the plan this request goes to (%s); leave \"plan\" out or name a plan GET /api/v1/plans lists (计划编号不符)", r.Plan, cat.Plan.ID)
	}
	return nil
}
