// Package exporter exposes the collector's snapshot as Prometheus metrics: a
// prometheus.Collector that, at scrape time, evaluates every target from the in-memory
// snapshot (never the store) and emits const metrics named in conventions.
//
// Series cost: each indicator costs 17 series at most (info 1, value 1, target 1,
// expected 1, gap 1, progress 1, projected 1, status 6 (one per state), last report 1,
// due 1, next report due 1, report overdue 1); an indicator without data costs 12 (no
// value, gap, progress, projected, last report). Each lead department costs 3 series
// (reports expected, missing and late for the latest period due) plus one counter series
// per sender and report result. The 128 targets of the shipped catalog (177 tasks) cost
// 1,855 series without data and at most 2,495 (TestShippedCatalogStaysWithinTheSeriesBudget);
// 10,000 targets about 158,000 (BenchmarkCollect); a province of 30,000 about 510,000.
package exporter

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// SeriesPerIndicator is the largest number of series one indicator costs.
const SeriesPerIndicator = 11 + 6

// Source is what the exporter reads: the service's catalog, clock, evaluation of the
// in-memory snapshot, and its report counters. *collector.Service satisfies it.
type Source interface {
	Catalog() *indicators.Catalog
	Now() time.Time
	Evaluate(now time.Time) []evaluate.Result
	ReceivedCounts() []collector.ReceivedCount
	Series(id string) []indicators.Revision
}

// Config configures an Exporter.
type Config struct {
	Source Source // required
	// Now is the evaluation clock; defaults to Source.Now.
	Now func() time.Time
	// Eval is the evaluation configuration (the reporting calendar's due day) of the
	// per-department completeness gauges; when zero, the Source's EvalConfig() if it has
	// one (*collector.Service does), so that both use the same calendar.
	Eval evaluate.Config
	// Version and Revision label duban_build_info; Version defaults to the main
	// module's version from the build info ("devel" when unknown).
	Version  string
	Revision string
	// Logger receives scrape errors (Handler only); none by default.
	Logger *slog.Logger
}

func (c *Config) defaults() error {
	if c.Source == nil {
		return fmt.Errorf("exporter: source is required")
	}
	if c.Now == nil {
		c.Now = c.Source.Now
	}
	if src, ok := c.Source.(interface{ EvalConfig() evaluate.Config }); ok && c.Eval == (evaluate.Config{}) {
		c.Eval = src.EvalConfig()
	}
	if c.Version == "" {
		c.Version = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			c.Version = bi.Main.Version
		}
	}
	return nil
}

// Exporter is a prometheus.Collector over a Source. Collect may run concurrently.
type Exporter struct {
	cfg Config

	info, value, target, expected, gap, progress, projected, status *prometheus.Desc
	lastReport, due, nextReportDue, reportOverdue                   *prometheus.Desc
	received, deptMissing, deptLate, deptExpected, buildInfo        *prometheus.Desc
}

// New builds the exporter; its Descs are created once here.
func New(cfg Config) (*Exporter, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	ind := []string{conventions.LabelIndicator, conventions.LabelDepartment}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &Exporter{
		cfg: cfg,
		info: d(conventions.MetricInfo, "Indicator metadata with Chinese names; always 1.",
			conventions.LabelIndicator, conventions.LabelTask, conventions.LabelDepartment,
			conventions.LabelDepartmentName, conventions.LabelName, conventions.LabelUnit,
			conventions.LabelMeasure, conventions.LabelComparator, conventions.LabelDue),
		value:     d(conventions.MetricValue, "Latest reported value, year to date, in the target's base unit (milestones: percent complete).", ind...),
		target:    d(conventions.MetricTarget, "Effective target in the base unit (relative targets: the referenced value).", ind...),
		expected:  d(conventions.MetricExpected, "Value expected to date by the target's trajectory.", ind...),
		gap:       d(conventions.MetricGap, "Signed gap to the expected value in the base unit; positive is ahead whatever the comparator.", ind...),
		progress:  d(conventions.MetricProgress, "Progress towards the target as a ratio (1 = met).", ind...),
		projected: d(conventions.MetricProjected, "Year-end value projected at the current pace.", ind...),
		status: d(conventions.MetricStatus, "Status of the target: 1 for the current state, 0 for the others.",
			conventions.LabelIndicator, conventions.LabelDepartment, conventions.LabelStatus),
		lastReport:    d(conventions.MetricLastReport, "When the latest report of the indicator was received, Unix seconds.", ind...),
		due:           d(conventions.MetricDue, "End of the target's due day, Unix seconds.", ind...),
		nextReportDue: d(conventions.MetricNextReportDue, "When the next report is due by the reporting calendar, Unix seconds.", ind...),
		reportOverdue: d(conventions.MetricReportOverdue, "1 when a report that was due is missing, else 0.", ind...),
		received: d(conventions.MetricReportsReceived, "Reports received since start, by department and result.",
			conventions.LabelDepartment, conventions.LabelResult),
		deptMissing: d(conventions.MetricDeptMissing, "Reports of the latest period due (monthly, due by the due day of the next month) that have not arrived, by lead department.",
			conventions.LabelDepartment),
		deptLate: d(conventions.MetricDeptLate, "Reports of the latest period due that arrived after their due day, by lead department.",
			conventions.LabelDepartment),
		deptExpected: d(conventions.MetricDeptExpected, "Reports expected for the latest period due, by lead department.",
			conventions.LabelDepartment),
		buildInfo: d(conventions.MetricBuildInfo, "Build of the running duban; always 1.",
			conventions.LabelVersion, conventions.LabelRevision, conventions.LabelGoVersion),
	}, nil
}

// Handler returns the /metrics handler of a new registry holding an Exporter over cfg
// and the Go and process collectors. A series that fails is logged and skipped; the
// others are still served.
func Handler(cfg Config) (http.Handler, error) {
	reg := prometheus.NewRegistry()
	if _, err := Register(reg, cfg); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:      reg,
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelError),
	}), nil
}

// Register registers a new Exporter on reg together with the Go and process collectors.
func Register(reg prometheus.Registerer, cfg Config) (*Exporter, error) {
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	for _, c := range []prometheus.Collector{
		e,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register collector: %w", err)
		}
	}
	return e, nil
}

// Describe sends every Desc.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		e.info, e.value, e.target, e.expected, e.gap, e.progress, e.projected, e.status,
		e.lastReport, e.due, e.nextReportDue, e.reportOverdue, e.received, e.deptMissing, e.deptLate,
		e.deptExpected, e.buildInfo,
	} {
		ch <- d
	}
}

// Collect evaluates the snapshot at the exporter's clock and emits every series.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(e.buildInfo, prometheus.GaugeValue, 1, e.cfg.Version, e.cfg.Revision, runtime.Version())

	cat := e.cfg.Source.Catalog()
	now := e.cfg.Now()
	for _, r := range e.cfg.Source.Evaluate(now) {
		if err := e.collectIndicator(ch, cat, &r); err != nil {
			ch <- prometheus.NewInvalidMetric(e.info, err)
		}
	}
	e.collectCompleteness(ch, cat, now)
	for _, c := range e.cfg.Source.ReceivedCounts() {
		ch <- prometheus.MustNewConstMetric(e.received, prometheus.CounterValue, float64(c.Count), c.Department, c.Result)
	}
}

// collectCompleteness emits expected, missing and late reports per lead department for
// the latest period due; every lead department gets a series, 0 when nothing is expected.
func (e *Exporter) collectCompleteness(ch chan<- prometheus.Metric, cat *indicators.Catalog, now time.Time) {
	period := e.cfg.Eval.LastDuePeriod(cat.Plan, now)
	comp, err := evaluate.Completeness(e.cfg.Eval, cat, func(id string) []evaluate.Arrival {
		return evaluate.SeriesArrivals(e.cfg.Source.Series(id))
	}, period, now)
	if err != nil {
		err = fmt.Errorf("completeness of %s: %w", period, err)
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
		ch <- prometheus.MustNewConstMetric(e.deptExpected, prometheus.GaugeValue, float64(c.expected), dept)
		ch <- prometheus.MustNewConstMetric(e.deptMissing, prometheus.GaugeValue, float64(c.missing), dept)
		ch <- prometheus.MustNewConstMetric(e.deptLate, prometheus.GaugeValue, float64(c.late), dept)
	}
}

func (e *Exporter) collectIndicator(ch chan<- prometheus.Metric, cat *indicators.Catalog, r *evaluate.Result) error {
	entry, ok := cat.Lookup(r.Indicator)
	if !ok {
		return fmt.Errorf("indicator %q evaluated but not in the catalog", r.Indicator)
	}
	if !validStatus(r.Status) {
		return fmt.Errorf("indicator %q: unknown status %q", r.Indicator, r.Status)
	}
	deptName := ""
	if entry.Department != nil {
		deptName = entry.Department.Name
	}
	tg := entry.Target
	ch <- prometheus.MustNewConstMetric(e.info, prometheus.GaugeValue, 1,
		r.Indicator, strconv.Itoa(entry.Task.Num), r.Department, deptName,
		tg.Metric, tg.Unit, string(tg.Measure), string(tg.Comparator), string(tg.Due))

	g := func(d *prometheus.Desc, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return // no data is no series, never NaN
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, r.Indicator, r.Department)
	}
	g(e.target, r.Target)
	g(e.expected, r.Expected)
	if r.HasValue {
		g(e.value, r.Value)
		g(e.gap, r.Gap)
		g(e.progress, r.Progress)
	}
	if r.HasProjection {
		g(e.projected, r.Projected)
	}
	for _, s := range evaluate.Statuses {
		v := 0.0
		if s == r.Status {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(e.status, prometheus.GaugeValue, v, r.Indicator, r.Department, string(s))
	}
	ts := func(d *prometheus.Desc, t time.Time) {
		if !t.IsZero() {
			g(d, float64(t.UnixNano())/1e9)
		}
	}
	ts(e.lastReport, r.LastReport)
	ts(e.due, r.Due)
	ts(e.nextReportDue, r.NextReportDue)
	overdue := 0.0
	if r.ReportOverdue {
		overdue = 1
	}
	g(e.reportOverdue, overdue)
	return nil
}

func validStatus(s evaluate.Status) bool {
	for _, x := range evaluate.Statuses {
		if x == s {
			return true
		}
	}
	return false
}
