// Package conventions holds every metric, label, status and rule-group name that duban
// exposes, so the exporter, the alert rules and the dashboards cannot disagree.
package conventions

import (
	"math"
	"strconv"
)

// Namespace prefixes every metric.
const Namespace = "duban"

// Per-indicator metrics. Labels: LabelPlan, LabelIndicator, LabelDepartment (plus
// LabelStatus on MetricStatus and the info labels on MetricInfo). An indicator id is
// unique within its plan only: the same id in two plans is two series.
const (
	MetricInfo          = "duban_indicator_info"
	MetricValue         = "duban_indicator_value"
	MetricTarget        = "duban_indicator_target"
	MetricExpected      = "duban_indicator_expected"
	MetricGap           = "duban_indicator_gap"
	MetricProgress      = "duban_indicator_progress_ratio"
	MetricProjected     = "duban_indicator_projected"
	MetricTolerance     = "duban_indicator_tolerance" // approx (左右) and le-with-tolerance targets only
	MetricStatus        = "duban_indicator_status"
	MetricLastReport    = "duban_indicator_last_report_timestamp_seconds"
	MetricDue           = "duban_indicator_due_timestamp_seconds"
	MetricNextReportDue = "duban_indicator_next_report_due_timestamp_seconds" // overdue: <= time() in PromQL (no series of its own)
)

// Per-department and collector metrics.
const (
	MetricReportsReceived   = "duban_reports_received_total"                               // {plan,department,result}
	MetricDeptMissing       = "duban_department_reports_missing"                           // {plan,department}
	MetricDeptLate          = "duban_department_reports_late"                              // {plan,department}
	MetricDeptExpected      = "duban_department_reports_expected"                          // {plan,department}
	MetricDeptInReview      = "duban_department_reports_in_review"                         // {plan,department}: latest revisions waiting for the office's review
	MetricDeptReturned      = "duban_department_reports_returned"                          // {plan,department}: returned by the office and not sent again
	MetricDeptReturnedSince = "duban_department_reports_returned_oldest_timestamp_seconds" // {plan,department}: when the oldest of those was returned
	// MetricPlanInfo is one series per plan served, value 1: LabelPlan, LabelPlanTitle,
	// LabelPlanYear, LabelPlanDefault ("true" for the default plan, the first listed).
	MetricPlanInfo = "duban_plan_info"
	// MetricPlanOrder is the plan's position in the order dashboards offer plans, by the
	// collector's clock: 0 for the plan they open on (indicators.CurrentOf, as the board
	// and the workspace), then the other plans of the current year, then the others, the
	// latest year first.
	MetricPlanOrder          = "duban_plan_order"
	MetricSpoolDepth         = "duban_spool_batches" // batches waiting for InfluxDB
	MetricSpoolOldestAge     = "duban_spool_oldest_age_seconds"
	MetricInfluxWriteErrors  = "duban_influxdb_write_errors_total"
	MetricStoreDamaged       = "duban_store_damaged_records"      // embedded store: damaged records/pointers found
	MetricStoreWriteFailures = "duban_store_write_failures_total" // embedded store: failed commits
	MetricStoreWritable      = "duban_store_writable"             // embedded store: 1 takes writes, 0 not
	MetricBuildInfo          = "duban_build_info"
	// The configuration reloads (SIGHUP, POST /-/reload), named as Prometheus names its own.
	MetricConfigReloadSuccess = "duban_config_last_reload_successful"                // 1, or 0 after a refused reload
	MetricConfigReloadTime    = "duban_config_last_reload_success_timestamp_seconds" // the start or the last successful reload
)

// Label names.
const (
	LabelPlan           = "plan"       // the plan's id (changzhi-2026) on every per-indicator and per-department series
	LabelPlanTitle      = "plan_title" // on MetricInfo and MetricPlanInfo: the plan's title as people read it (2026年市政府工作报告重点目标任务清单)
	LabelPlanYear       = "year"       // on MetricPlanInfo
	LabelPlanDefault    = "default"    // on MetricPlanInfo: "true" for the default plan
	LabelIndicator      = "indicator"
	LabelDepartment     = "department"
	LabelDepartmentName = "department_name"
	LabelTask           = "task"
	LabelName           = "name"
	LabelUnit           = "unit"
	LabelMeasure        = "measure"
	LabelComparator     = "comparator" // on MetricInfo: the comparator the evaluation applies (ge, gt, le, approx, eq)
	LabelGapUnit        = "gap_unit"   // on MetricInfo: the unit of a gap, 个百分点 for percentages
	LabelDue            = "due"        // on MetricInfo: the due date YYYY-MM-DD, for alert texts
	LabelStatus         = "status"
	LabelResult         = "result"
	LabelSeverity       = "severity"
	LabelVersion        = "version"   // on MetricBuildInfo
	LabelRevision       = "revision"  // on MetricBuildInfo
	LabelGoVersion      = "goversion" // on MetricBuildInfo
)

// LabelBuildDate on MetricBuildInfo is the build date, RFC 3339 UTC: in a release build
// (`go run ./build`) the commit's time, so that two builds of one commit are identical.
const LabelBuildDate = "build_date"

// Display labels of MetricInfo.
const (
	// LabelDisplayUnit and LabelDisplayScale give the unit people read
	// and its factor to the base unit, e.g. 亿元 and "100000000": value / scale is the
	// figure in the display unit. The unit is the base unit and the scale "1" when the
	// catalog sets none (DisplayScaleText).
	LabelDisplayUnit  = "display_unit"
	LabelDisplayScale = "display_scale"
)

// LabelKind on MetricInfo tells a published target (KindTarget) from the follow-up of a
// task without a published figure (KindTask, indicators.KindTask), tracked by stage,
// percent and narrative.
const (
	LabelKind  = "kind"
	KindTarget = "target"
	KindTask   = "task"
)

// DisplayScales are the display scales other than 1 that the Grafana alert queries
// convert (PromQL cannot read a number out of a label, so they enumerate these); the
// Prometheus rules divide by the label itself and take any scale.
var DisplayScales = []float64{10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12}

// DisplayScaleText is the LabelDisplayScale value of a scale: a plain decimal number
// ("100000000", "0.01"), "1" when the scale is unset (0) or invalid.
func DisplayScaleText(scale float64) string {
	if !(scale > 0) || math.IsInf(scale, 0) {
		return "1"
	}
	return strconv.FormatFloat(scale, 'f', -1, 64)
}

// Report results for MetricReportsReceived.
const (
	ResultAccepted  = "accepted"
	ResultReplayed  = "replayed"
	ResultRejected  = "rejected"
	ResultForbidden = "forbidden"
)

// Rule groups and the job name Prometheus scrapes the collector under.
const (
	JobName             = "duban"
	RuleGroupRecording  = "duban.recording"
	RuleGroupIndicators = "duban.indicators"
	RuleGroupReporting  = "duban.reporting"
	RuleGroupCollector  = "duban.collector"
)
