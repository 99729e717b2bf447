// Package metrics serves /metrics: the collector's snapshot as Prometheus metrics named
// in conventions. At every scrape the Handler evaluates every target from the in-memory
// snapshot (never the store) and writes the per-indicator series straight in the text
// format (WriteIndicators; 20x faster than client_golang's Gather at 10,000
// indicators), then the few other families (build info, department completeness,
// report counters, Go, process and the store's own) through a registry. The tests hold
// the hand-written exposition to client_golang's encoding of the same values
// (Reference in export_test.go).
//
// Plans: one Exporter serves every plan (one Source, a collector.Service, per plan over
// one store). Every per-indicator and per-department series carries the plan's id
// (label plan): an indicator id is unique within its plan only. duban_plan_info and
// duban_plan_order list the plans for the dashboards' plan variable; Config.Drop
// (metrics.closed_plans: drop) leaves closed plans out of the per-plan series.
//
// Series cost: each indicator costs 18 series at most (info 1, value 1, target 1,
// expected 1, gap 1, progress 1, projected 1, tolerance 1, status 7 (one per state),
// last report 1, due 1, next report due 1); only approx (左右) and le-with-tolerance
// targets have a tolerance, growth rates and relative targets have no progress; an
// indicator without data costs 12 or 13 (no value, gap, progress, projected, last report). Whether a report is overdue is not a series of its
// own: it is duban_indicator_next_report_due_timestamp_seconds <= time()
// (TestOverdueIsNextReportDueInThePast). Each lead department costs 5 series
// (reports expected, missing and late for the latest period due; reports in review and
// returned) and a sixth while a return is outstanding (when the oldest was returned),
// plus one counter series per sender and report result; each plan 2 (plan info and
// order). The 211 targets of the shipped catalog (177 tasks) cost
// 2,943 series without data (TestShippedCatalogStaysWithinTheSeriesBudget);
// 10,000 cumulative targets about 158,000 with three in four reporting
// (BenchmarkCollect) and 170,000 all reporting; a province of 30,000 at most 540,000.
package metrics

import (
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/internal/buildinfo"
	"github.com/duban-gov/duban/present"
)

// SeriesPerIndicator is the largest number of series one indicator costs.
const SeriesPerIndicator = 11 + 7

// Source is what the exporter reads: the service's catalog, clock, evaluation of the
// in-memory snapshot and its configuration (the reporting calendar of the department
// completeness gauges), and its report counters. *collector.Service satisfies it.
type Source interface {
	Catalog() *indicators.Catalog
	EvalConfig() evaluate.Config
	Now() time.Time
	Evaluate(now time.Time) []evaluate.Result
	ReceivedCounts() []collector.ReceivedCount
	Series(id string) []indicators.Revision
	// Received is what arrived, reviewed or not: completeness counts it.
	Received(id string) []indicators.Revision
	// ReviewCounts is the office's review backlog per lead department.
	ReviewCounts() []collector.ReviewCount
}

// Config configures an Exporter.
type Config struct {
	Source Source // required: the default plan's
	// More are the other plans served (one collector.Service per plan over one store),
	// in the order listed. Every per-indicator and per-department series carries its
	// plan's id (LabelPlan), so the same indicator id in two plans is two series.
	More []Source
	// Now is the evaluation clock; defaults to Source.Now.
	Now func() time.Time
	// Version, Revision and BuildDate label duban_build_info. When all three are empty
	// they come from the binary (internal/buildinfo: the -ldflags stamps of a release
	// build, else the toolchain's vcs record).
	Version   string
	Revision  string
	BuildDate string
	// Logger receives scrape errors (Handler only); none by default.
	Logger *slog.Logger
	// Collectors are registered next to the exporter by Handler (e.g. the store's
	// own metrics).
	Collectors []prometheus.Collector
	// Drop says, at each scrape, whether a plan's per-indicator and per-department
	// series are left out (metrics.closed_plans: drop and the plan closed); nil keeps
	// every plan. The counters of reports received stay, and duban_plan_info and
	// duban_plan_order list every plan.
	Drop func(plan string) bool
}

// dropped says whether the series of cat's plan are left out now.
func (e *Exporter) dropped(cat *indicators.Catalog) bool {
	return e.cfg.Drop != nil && e.cfg.Drop(cat.Plan.ID)
}

func (c *Config) defaults() error {
	if c.Source == nil {
		return fmt.Errorf("metrics: source is required")
	}
	for i, s := range c.More {
		if s == nil {
			return fmt.Errorf("metrics: plan source %d is nil", i+1)
		}
	}
	if c.Now == nil {
		c.Now = c.Source.Now
	}
	if c.Version == "" && c.Revision == "" && c.BuildDate == "" {
		bi := buildinfo.Get()
		c.Version, c.Revision, c.BuildDate = bi.Version, bi.Commit, bi.Date
	}
	return nil
}

// Help texts of the per-indicator families that are not in the gauges table.
const (
	helpInfo   = "Indicator metadata with Chinese names; always 1."
	helpStatus = "Status of the target: 1 for the current state, 0 for the others."
)

// Exporter writes the collector's metrics: the per-indicator families straight in the
// text format (WriteIndicators), the others through a prometheus.Collector of few
// series (rest). Safe for concurrent scrapes.
type Exporter struct {
	cfg Config

	gauges                                                   []gauge
	received, deptMissing, deptLate, deptExpected, buildInfo *prometheus.Desc
	deptInReview, deptReturned, deptReturnedSince            *prometheus.Desc
	planInfo, planOrder                                      *prometheus.Desc

	sources []Source     // the plans, the default first
	labels  []labelCache // per plan: per-indicator label texts of the fast exposition
}

// exposed is the indexes in e.sources of the plans whose series are served now (not
// dropped), in the order listed.
func (e *Exporter) exposed() []int {
	out := make([]int, 0, len(e.sources))
	for i, s := range e.sources {
		if !e.dropped(s.Catalog()) {
			out = append(out, i)
		}
	}
	return out
}

// New builds the exporter; the Descs of the families served through client_golang
// are created once here.
func New(cfg Config) (*Exporter, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	plan, dept := conventions.LabelPlan, conventions.LabelDepartment
	sources := append([]Source{cfg.Source}, cfg.More...)
	return &Exporter{
		cfg:     cfg,
		gauges:  gauges(),
		sources: sources,
		labels:  make([]labelCache, len(sources)),
		received: d(conventions.MetricReportsReceived, "Reports received since start, by plan, department and result (a request refused before its plan is known counts in the default plan).",
			plan, dept, conventions.LabelResult),
		deptMissing: d(conventions.MetricDeptMissing, "Reports of the latest period due (monthly, due by the due day of the next month) that have not arrived, by plan and lead department.",
			plan, dept),
		deptLate: d(conventions.MetricDeptLate, "Reports of the latest period due that arrived after their due day, by plan and lead department.",
			plan, dept),
		deptExpected: d(conventions.MetricDeptExpected, "Reports expected for the latest period due, by plan and lead department.",
			plan, dept),
		deptInReview: d(conventions.MetricDeptInReview, "Reports (latest revision per indicator and period) waiting for the supervision office's review, by plan and lead department.",
			plan, dept),
		deptReturned: d(conventions.MetricDeptReturned, "Reports the supervision office returned that the department has not sent again, by plan and lead department.",
			plan, dept),
		deptReturnedSince: d(conventions.MetricDeptReturnedSince, "When the oldest report returned and not sent again was returned, Unix seconds, by plan and lead department; no series when none is.",
			plan, dept),
		buildInfo: d(conventions.MetricBuildInfo, "Build of the running duban; always 1.",
			conventions.LabelVersion, conventions.LabelRevision, conventions.LabelGoVersion, conventions.LabelBuildDate),
		planInfo: d(conventions.MetricPlanInfo, "A plan served: its title and year; default is true for the default plan (the un-prefixed routes); always 1.",
			plan, conventions.LabelPlanTitle, conventions.LabelPlanYear, conventions.LabelPlanDefault),
		planOrder: d(conventions.MetricPlanOrder, "Position of the plan in the order dashboards offer plans by the collector's clock: 0 for the plan the board opens on (the first listed of the current year, else the latest past year's, else the default), then the other plans of the current year, then the others, the latest year first.",
			plan),
	}, nil
}

// describeRest and collectRest cover the families that are not per indicator (build
// info, department completeness, report counters): few series, served through
// client_golang on the fast path too (see rest).
func (e *Exporter) describeRest(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{e.received, e.deptMissing, e.deptLate, e.deptExpected, e.buildInfo, e.deptInReview, e.deptReturned, e.deptReturnedSince, e.planInfo, e.planOrder} {
		ch <- d
	}
}

func (e *Exporter) collectRest(ch chan<- prometheus.Metric, now time.Time) {
	ch <- prometheus.MustNewConstMetric(e.buildInfo, prometheus.GaugeValue, 1, e.cfg.Version, e.cfg.Revision, runtime.Version(), e.cfg.BuildDate)
	e.collectPlans(ch, now)
	for _, src := range e.sources { // every plan's, dropped or not
		plan := src.Catalog().Plan.ID
		for _, c := range src.ReceivedCounts() {
			ch <- prometheus.MustNewConstMetric(e.received, prometheus.CounterValue, float64(c.Count), plan, c.Department, c.Result)
		}
	}
	for _, i := range e.exposed() {
		src := e.sources[i]
		plan := src.Catalog().Plan.ID
		e.collectCompleteness(ch, src, now)
		for _, c := range src.ReviewCounts() {
			ch <- prometheus.MustNewConstMetric(e.deptInReview, prometheus.GaugeValue, float64(c.InReview), plan, c.Department)
			ch <- prometheus.MustNewConstMetric(e.deptReturned, prometheus.GaugeValue, float64(c.Returned), plan, c.Department)
			if v, ok := unixSeconds(c.OldestReturn); ok {
				ch <- prometheus.MustNewConstMetric(e.deptReturnedSince, prometheus.GaugeValue, v, plan, c.Department)
			}
		}
	}
}

// collectPlans emits duban_plan_info and duban_plan_order of every plan served: the
// dashboards list the plans from them in that order, so that Grafana, which opens a
// variable on its first option, opens on the plan people mean now (planOrder).
func (e *Exporter) collectPlans(ch chan<- prometheus.Metric, now time.Time) {
	plans := make([]indicators.Plan, len(e.sources))
	for i, s := range e.sources {
		plans[i] = s.Catalog().Plan
	}
	order := planOrder(now, plans)
	for i, p := range plans {
		ch <- prometheus.MustNewConstMetric(e.planInfo, prometheus.GaugeValue, 1, p.ID, p.Title, strconv.Itoa(p.Year), strconv.FormatBool(i == 0))
		ch <- prometheus.MustNewConstMetric(e.planOrder, prometheus.GaugeValue, float64(order[i]), p.ID)
	}
}

// planOrder is each plan's position in the order the dashboards offer plans at now:
// first the plan people mean now (indicators.CurrentOf: the board and the workspace
// open on it too), then the other plans of the current year in the order listed, then
// the others by year, the latest first (in the order listed within a year).
func planOrder(now time.Time, plans []indicators.Plan) []int {
	cur := indicators.CurrentOf(now, plans)
	idx := make([]int, 0, len(plans))
	for i := range plans {
		if i != cur {
			idx = append(idx, i)
		}
	}
	thisYear := func(i int) bool { return plans[i].Year == now.In(plans[i].Location()).Year() }
	sort.SliceStable(idx, func(a, b int) bool {
		pa, pb := plans[idx[a]], plans[idx[b]]
		if ta, tb := thisYear(idx[a]), thisYear(idx[b]); ta != tb {
			return ta
		}
		return pa.Year > pb.Year
	})
	pos := make([]int, len(plans))
	pos[cur] = 0
	for p, i := range idx {
		pos[i] = p + 1
	}
	return pos
}

// rest is the prometheus.Collector of the Exporter's families that are not per
// indicator; the fast /metrics handler registers it instead of the Exporter.
type rest struct{ e *Exporter }

func (r rest) Describe(ch chan<- *prometheus.Desc) { r.e.describeRest(ch) }
func (r rest) Collect(ch chan<- prometheus.Metric) {
	r.e.collectRest(ch, r.e.cfg.Now())
}

// collectCompleteness emits expected, missing and late reports per lead department of
// src's plan for its latest period due; every lead department gets a series, 0 when
// nothing is expected.
func (e *Exporter) collectCompleteness(ch chan<- prometheus.Metric, src Source, now time.Time) {
	cat := src.Catalog()
	plan := cat.Plan.ID
	eval := src.EvalConfig()
	period := eval.LastDuePeriod(cat.Plan, now)
	// Scrape path: look the arrival up in the snapshot, no slice per indicator.
	comp, err := evaluate.CompletenessFunc(eval, cat, evaluate.SeriesFirstReceived(src.Received), period, now)
	if err != nil {
		err = fmt.Errorf("completeness of %s %s: %w", plan, period, err)
		ch <- prometheus.NewInvalidMetric(e.deptMissing, err)
		return
	}
	type counts struct{ expected, missing, late int }
	by := make(map[string]counts, len(comp))
	for _, id := range cat.LeadDepartments() {
		by[id] = counts{}
	}
	for _, d := range comp {
		by[d.Department] = counts{expected: d.Expected, missing: d.Missing, late: d.Late}
	}
	for dept, c := range by {
		ch <- prometheus.MustNewConstMetric(e.deptExpected, prometheus.GaugeValue, float64(c.expected), plan, dept)
		ch <- prometheus.MustNewConstMetric(e.deptMissing, prometheus.GaugeValue, float64(c.missing), plan, dept)
		ch <- prometheus.MustNewConstMetric(e.deptLate, prometheus.GaugeValue, float64(c.late), plan, dept)
	}
}

// lookup finds the catalog entry of an evaluated result and checks its status.
func lookup(cat *indicators.Catalog, r *evaluate.Result) (indicators.Entry, error) {
	entry, ok := cat.Lookup(r.Indicator)
	if !ok {
		return entry, fmt.Errorf("indicator %q evaluated but not in the catalog", r.Indicator)
	}
	if !validStatus(r.Status) {
		return entry, fmt.Errorf("indicator %q: unknown status %q", r.Indicator, r.Status)
	}
	return entry, nil
}

// infoLabelNames are MetricInfo's labels, in the order of infoLabelValues. The display
// unit and scale let alert texts print 290亿元 rather than 29000000000元.
var infoLabelNames = []string{conventions.LabelPlan, conventions.LabelPlanTitle, conventions.LabelIndicator, conventions.LabelTask, conventions.LabelDepartment,
	conventions.LabelDepartmentName, conventions.LabelName, conventions.LabelUnit,
	conventions.LabelMeasure, conventions.LabelComparator, conventions.LabelDue,
	conventions.LabelDisplayUnit, conventions.LabelDisplayScale, conventions.LabelKind, conventions.LabelGapUnit}

// infoLabelValues are the values of MetricInfo's labels in infoLabelNames' order.
func infoLabelValues(plan indicators.Plan, r *evaluate.Result, entry indicators.Entry) []string {
	deptName := ""
	if entry.Department != nil {
		deptName = entry.Department.Name
	}
	tg := entry.Target
	return []string{plan.ID, plan.Title, r.Indicator, strconv.Itoa(entry.Task.Num), r.Department, deptName,
		tg.Metric, tg.Unit, string(tg.Measure), comparatorValue(tg), string(tg.Due),
		present.ValueUnit(tg), conventions.DisplayScaleText(tg.DisplayScale), kindValue(tg), present.GapUnit(tg)}
}

// comparatorValue is MetricInfo's LabelComparator: the comparator the evaluation applies
// (gt for 高于经济增长水平, ge for a plain cumulative figure), none for milestones.
func comparatorValue(tg *indicators.Target) string {
	if tg.Measure == indicators.Milestone {
		return string(tg.Comparator)
	}
	return string(evaluate.Comparator(tg))
}

// kindValue is MetricInfo's LabelKind: KindTask for a task follow-up, KindTarget for a
// published target.
func kindValue(tg *indicators.Target) string {
	if tg.FollowUp() {
		return conventions.KindTask
	}
	return conventions.KindTarget
}

func statusValue(r *evaluate.Result, s evaluate.Status) float64 {
	if s == r.Status {
		return 1
	}
	return 0
}

// gauge is one per-indicator gauge labelled {plan, indicator, department}: the exposition
// (WriteIndicators) and its reference in the tests (client_golang's const metrics,
// export_test.go) both read values through this table, so they cannot disagree on
// which series exist or what they hold.
type gauge struct {
	name, help string
	value      func(r *evaluate.Result) (float64, bool)
}

// finite drops NaN and infinities: no data is no series, never NaN.
func finite(v float64, ok bool) (float64, bool) {
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func unixSeconds(t time.Time) (float64, bool) {
	if t.IsZero() {
		return 0, false
	}
	return finite(float64(t.UnixNano())/1e9, true)
}

func gauges() []gauge {
	return []gauge{
		{conventions.MetricTarget, "Effective target in the base unit (relative targets: the referenced value).",
			func(r *evaluate.Result) (float64, bool) { return finite(r.Target, true) }},
		{conventions.MetricExpected, "Value expected to date by the target's trajectory.",
			func(r *evaluate.Result) (float64, bool) { return finite(r.Expected, true) }},
		{conventions.MetricValue, "Latest reported value, year to date, in the target's base unit (milestones: percent complete).",
			func(r *evaluate.Result) (float64, bool) { return finite(r.Value, r.HasValue) }},
		{conventions.MetricGap, "Value minus the expected value, in the base unit, whatever the comparator (the status says whether that is ahead).",
			func(r *evaluate.Result) (float64, bool) { return finite(r.Gap, r.HasValue) }},
		{conventions.MetricProgress, "Completion ratio (1 = met); none for growth rates, relative targets and targets of 0 or below.",
			func(r *evaluate.Result) (float64, bool) { return finite(r.Progress, r.HasValue && r.HasProgress) }},
		{conventions.MetricProjected, "Year-end value projected at the current pace.",
			func(r *evaluate.Result) (float64, bool) { return finite(r.Projected, r.HasProjection) }},
		{conventions.MetricTolerance, "Tolerance of an approx (左右) or le-with-tolerance target in the base unit; none for others.",
			func(r *evaluate.Result) (float64, bool) { return finite(r.Tolerance, r.Tolerance > 0) }},
		{conventions.MetricLastReport, "When the latest report of the indicator was received, Unix seconds.",
			func(r *evaluate.Result) (float64, bool) { return unixSeconds(r.LastReport) }},
		{conventions.MetricDue, "End of the target's due day, Unix seconds.",
			func(r *evaluate.Result) (float64, bool) { return unixSeconds(r.Due) }},
		{conventions.MetricNextReportDue, "When the next report is due by the reporting calendar, Unix seconds.",
			func(r *evaluate.Result) (float64, bool) { return unixSeconds(r.NextReportDue) }},
	}
}

func validStatus(s evaluate.Status) bool {
	for _, x := range evaluate.Statuses {
		if x == s {
			return true
		}
	}
	return false
}
