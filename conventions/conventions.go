// Package conventions holds every metric, label, status and rule-group name that duban
// exposes, so the exporter, the alert rules and the dashboards cannot disagree.
package conventions

// Namespace prefixes every metric.
const Namespace = "duban"

// Per-indicator metrics. Labels: LabelIndicator, LabelDepartment (plus LabelStatus on
// MetricStatus and the info labels on MetricInfo).
const (
	MetricInfo          = "duban_indicator_info"
	MetricValue         = "duban_indicator_value"
	MetricTarget        = "duban_indicator_target"
	MetricExpected      = "duban_indicator_expected"
	MetricGap           = "duban_indicator_gap"
	MetricProgress      = "duban_indicator_progress_ratio"
	MetricProjected     = "duban_indicator_projected"
	MetricStatus        = "duban_indicator_status"
	MetricLastReport    = "duban_indicator_last_report_timestamp_seconds"
	MetricDue           = "duban_indicator_due_timestamp_seconds"
	MetricNextReportDue = "duban_indicator_next_report_due_timestamp_seconds" // overdue: <= time() in PromQL (no series of its own)
)

// Per-department and collector metrics.
const (
	MetricReportsReceived   = "duban_reports_received_total"      // {department,result}
	MetricDeptMissing       = "duban_department_reports_missing"  // {department}
	MetricDeptLate          = "duban_department_reports_late"     // {department}
	MetricDeptExpected      = "duban_department_reports_expected" // {department}
	MetricSpoolDepth        = "duban_spool_batches"               // batches waiting for InfluxDB
	MetricSpoolOldestAge    = "duban_spool_oldest_age_seconds"
	MetricInfluxWriteErrors = "duban_influxdb_write_errors_total"
	MetricBuildInfo         = "duban_build_info"
)

// Label names.
const (
	LabelIndicator      = "indicator"
	LabelDepartment     = "department"
	LabelDepartmentName = "department_name"
	LabelTask           = "task"
	LabelName           = "name"
	LabelUnit           = "unit"
	LabelMeasure        = "measure"
	LabelComparator     = "comparator"
	LabelDue            = "due" // on MetricInfo: the due date YYYY-MM-DD, for alert texts
	LabelStatus         = "status"
	LabelResult         = "result"
	LabelSeverity       = "severity"
	LabelVersion        = "version"   // on MetricBuildInfo
	LabelRevision       = "revision"  // on MetricBuildInfo
	LabelGoVersion      = "goversion" // on MetricBuildInfo
)

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
