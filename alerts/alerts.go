// Package alerts holds duban's alert and recording rules as data, in one place. The
// Prometheus renderer (prometheus.go) writes them as a rule file; the Grafana generator
// renders the same definitions to Grafana alert provisioning.
//
// Annotation texts are Chinese templates in a neutral placeholder syntax, so that each
// backend renders them its own way:
//
//	{label}   a label of the alert, e.g. {name}, {department_name}, {due}
//	{=}       the alert's own value (the value of Expr), as it is
//	{=ref}    a per-indicator series named in Values (matched on indicator, department),
//	          in the display unit: divided by the alert's display_scale label (1 when
//	          it has none), to be followed by {display_unit}
//	{*list}   the indicators of the alert's department that the alert's Lists[list]
//	          selects, as 57.1「新增城镇就业」 separated by "、" (a department alert naming
//	          what it is about); Grafana, which cannot query in a template, prints
//	          "见看板完整性视图" instead
//
// Values print with at most two decimals, trailing zeros dropped (290, 1.18, 6.5); a
// suffix :N sets at most N decimals ({=:0} for a count).
package alerts

import (
	"fmt"
	"regexp"
	"time"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

// Severity routes and ranks alerts; a status's severity comes from package present.
type Severity = present.Severity

// The severities, from the most urgent.
const (
	Critical = present.Critical
	Warning  = present.Warning
	Info     = present.Info
)

// Recording is a recording rule.
type Recording struct {
	Record string
	Expr   string
	Help   string // what the series means, for people and generated docs
}

// Alert is an alerting rule with its texts.
type Alert struct {
	Name     string
	Group    string // one of the conventions.RuleGroup* names
	Expr     string // PromQL; every result series carries plan, plan_title and department (except collector alerts)
	For      time.Duration
	Severity Severity
	Labels   map[string]string // extra static labels
	// Summary and Description are Chinese templates (see the package comment).
	Summary     string
	Description string
	// Lists are the per-indicator selections a {*list} placeholder prints, as PromQL
	// in which %[1]s stands for the plan id and %[2]s for the department id (a
	// department alert's list).
	Lists map[string]string
}

// Recording rule names.
const (
	// RecordStatusCurrent: one series per indicator of each plan, value 1, labels plan,
	// indicator, department, status (the current state) and the info labels
	// (plan_title, task, name,
	// department_name, unit, measure, comparator, due, display_unit, display_scale,
	// gap_unit, and kind: target for a published target, task for a task follow-up).
	RecordStatusCurrent = "duban:indicator_status:current"
	// RecordDepartmentCount: indicators per plan, department and status.
	RecordDepartmentCount = "duban:department_indicators:count"
)

// Values maps each {=ref} a template may use to the per-indicator metric it reads.
var Values = map[string]string{
	"value":     conventions.MetricValue,
	"target":    conventions.MetricTarget,
	"expected":  conventions.MetricExpected,
	"gap":       conventions.MetricGap,
	"projected": conventions.MetricProjected,
	"progress":  conventions.MetricProgress,
}

// infoLabels are the labels the current-status series copies from the info metric.
const infoLabels = "plan_title, task, name, department_name, unit, measure, comparator, due, display_unit, display_scale, gap_unit, kind"

// Recordings returns the recording rules in evaluation order.
func Recordings() []Recording {
	return []Recording{
		{
			Record: RecordStatusCurrent,
			Help:   "每个指标当前状态(值为1),带指标名称、责任单位等信息标签。",
			Expr: `max by (plan, indicator, department, status) (` + conventions.MetricStatus + ` == 1)
  * on (plan, indicator, department) group_left (` + infoLabels + `)
max by (plan, indicator, department, ` + infoLabels + `) (` + conventions.MetricInfo + `)`,
		},
		{
			Record: RecordDepartmentCount,
			Help:   "各责任单位处于各状态的指标数。",
			Expr:   `count by (plan, plan_title, department, department_name, status) (` + RecordStatusCurrent + `)`,
		},
	}
}

// statusIs selects the indicators whose current status is status, with the info
// labels: the expression of RecordStatusCurrent, filtered, on the raw metrics, so that
// an alert neither waits for nor depends on the recording rules (Grafana's copy of the
// rules runs without them), and a series scraped from two collectors counts once.
func statusIs(status string) string {
	return statusSelect(fmt.Sprintf(`status=%q`, status))
}

// statusMatches selects the indicators whose current status matches the regexp re.
func statusMatches(re string) string {
	return statusSelect(fmt.Sprintf(`status=~%q`, re))
}

func statusSelect(matcher string) string {
	return `max by (plan, indicator, department, status) (` + conventions.MetricStatus + `{` + matcher + `} == 1)
  * on (plan, indicator, department) group_left (` + infoLabels + `)
max by (plan, indicator, department, ` + infoLabels + `) (` + conventions.MetricInfo + `)`
}

// Tuning sets the thresholds of the reporting alerts; zero fields take the defaults.
type Tuning struct {
	// DueSoonDays: DepartmentReportDueSoon fires this many days before a report is due.
	DueSoonDays int
	// ReturnedDays: DepartmentReportReturned fires when a report the office returned
	// has not been sent again within this many days.
	ReturnedDays int
}

// Default thresholds of Tuning.
const (
	DefaultDueSoonDays  = 3
	DefaultReturnedDays = 5
)

func (t Tuning) withDefaults() Tuning {
	if t.DueSoonDays <= 0 {
		t.DueSoonDays = DefaultDueSoonDays
	}
	if t.ReturnedDays <= 0 {
		t.ReturnedDays = DefaultReturnedDays
	}
	return t
}

// Alerts returns every alert in rule-file order, with the default Tuning.
func Alerts() []Alert { return Tuned(Tuning{}) }

// Tuned returns every alert in rule-file order with tune. The indicator alerts fire on the
// statuses present marks with an alert severity (存在风险, 进度滞后, 未完成), with that
// severity and the status's word; a target achieved, on track, achieved late or without
// data raises none.
func Tuned(tune Tuning) []Alert {
	tune = tune.withDefaults()
	return append(indicatorAlerts(tune), operatorAlerts()...)
}

// indicatorAlerts are the alerts of the indicators and of the departments' reporting,
// which go to the departments.
func indicatorAlerts(tune Tuning) []Alert {
	const facts = "当前值{=value}{display_unit},按进度应达{=expected}{display_unit},年度目标{=target}{display_unit},差距{=gap}{gap_unit},截止日期{due}。"
	word := func(s evaluate.Status) string { return present.StatusWord(s) }
	sev := func(s evaluate.Status) Severity { return present.Of(s).Alert }
	return []Alert{
		{
			Name: "IndicatorLagging", Group: conventions.RuleGroupIndicators, Severity: sev(evaluate.Lagging), For: 30 * time.Minute,
			Expr:        statusIs(string(evaluate.Lagging)),
			Summary:     "{department_name}「{name}」" + word(evaluate.Lagging),
			Description: "《{plan_title}》指标{indicator}「{name}」(任务{task},{department_name})" + word(evaluate.Lagging) + ":" + facts + "请加快推进。",
		},
		{
			Name: "IndicatorAtRisk", Group: conventions.RuleGroupIndicators, Severity: sev(evaluate.AtRisk), For: 30 * time.Minute,
			Expr:        statusIs(string(evaluate.AtRisk)),
			Summary:     "{department_name}「{name}」" + word(evaluate.AtRisk),
			Description: "《{plan_title}》指标{indicator}「{name}」(任务{task},{department_name})" + word(evaluate.AtRisk) + "(略低于序时进度,或数据未按期更新):" + facts + "请关注。",
		},
		{
			Name: "IndicatorMissed", Group: conventions.RuleGroupIndicators, Severity: sev(evaluate.Missed), For: 5 * time.Minute,
			Expr:        statusIs(string(evaluate.Missed)),
			Summary:     "{department_name}「{name}」" + word(evaluate.Missed),
			Description: "《{plan_title}》指标{indicator}「{name}」(任务{task},{department_name})截止日期{due}已过," + word(evaluate.Missed) + "(截止期未达到目标或" + present.OverdueWord + "):当前值{=value}{display_unit},目标{=target}{display_unit},差距{=gap}{gap_unit}。",
		},
		{
			Name: "IndicatorProjectedMiss", Group: conventions.RuleGroupIndicators, Severity: Warning, For: time.Hour,
			Expr: statusMatches(string(evaluate.OnTrack)+"|"+string(evaluate.AtRisk)) + `
  * on (plan, indicator, department) group_left ()
(
    (` + projected + ` < ` + target + `)
    and on (plan, indicator, department) ` + conventions.MetricInfo + `{comparator="ge"}
  or
    (` + projected + ` <= ` + target + `)
    and on (plan, indicator, department) ` + conventions.MetricInfo + `{comparator="gt"}
  or
    (` + projected + ` != ` + target + `)
    and on (plan, indicator, department) ` + conventions.MetricInfo + `{comparator="eq"}
  or
    (` + projected + ` < ` + target + ` - on (plan, indicator, department) ` + tolerance + `)
    and on (plan, indicator, department) ` + conventions.MetricInfo + `{comparator="approx"}
  or
    (` + projected + ` > (` + target + ` + on (plan, indicator, department) ` + tolerance + ` or ` + target + `))
    and on (plan, indicator, department) ` + conventions.MetricInfo + `{comparator="le"}
)`,
			Summary:     "{department_name}「{name}」按当前进度预计完不成年度目标",
			Description: "《{plan_title}》指标{indicator}「{name}」(任务{task},{department_name})按当前进度年底预计{=projected}{display_unit},年度目标{=target}{display_unit};当前值{=value}{display_unit},差距{=gap}{gap_unit},截止日期{due}。",
		},
		{
			Name: "DepartmentReportOverdue", Group: conventions.RuleGroupReporting, Severity: Warning, For: time.Hour,
			Expr: `(max by (plan, department) (` + conventions.MetricDeptMissing + `) > 0)
  * on (plan, department) group_left (department_name, plan_title)
max by (plan, department, department_name, plan_title) (` + conventions.MetricInfo + `)`,
			Summary:     "《{plan_title}》{department_name}有指标" + present.OverdueWord,
			Description: "《{plan_title}》{department_name}有{=:0}项指标的数据已过报送期限仍未报送,请尽快报送。",
		},
		{
			Name: "DepartmentReportDueSoon", Group: conventions.RuleGroupReporting, Severity: Info,
			Expr: `count by (plan, department) (` + dueSoon("", tune.DueSoonDays) + `)
  * on (plan, department) group_left (department_name, plan_title)
max by (plan, department, department_name, plan_title) (` + conventions.MetricInfo + `)`,
			Summary:     "《{plan_title}》{department_name}有{=:0}项指标报送期限将至",
			Description: fmt.Sprintf("《{plan_title}》{department_name}有{=:0}项指标的数据将在%d天内到报送期限,尚未报送:{*due_soon}。请在期限前报送。", tune.DueSoonDays),
			Lists:       map[string]string{"due_soon": dueSoon("plan='%[1]s',department='%[2]s'", tune.DueSoonDays)},
		},
		{
			Name: "DepartmentReportReturned", Group: conventions.RuleGroupReporting, Severity: Warning,
			Expr: fmt.Sprintf(`((time() - max by (plan, department) (%s)) / 86400 > %d)
  * on (plan, department) group_left (department_name, plan_title)
max by (plan, department, department_name, plan_title) (%s)`, conventions.MetricDeptReturnedSince, tune.ReturnedDays, conventions.MetricInfo),
			Summary:     "《{plan_title}》{department_name}有被退回的报表逾期未重报",
			Description: fmt.Sprintf("《{plan_title}》{department_name}有报表被督办机构退回后超过%d天仍未重新报送(最早一份已退回{=:0}天)。请按退回意见修改后重新报送。", tune.ReturnedDays),
		},
	}
}

// operatorAlerts are the collector's own alerts (group duban.collector), which go to
// the operators.
func operatorAlerts() []Alert {
	return []Alert{
		{
			Name: AlertCollectorDown, Group: conventions.RuleGroupCollector, Severity: Critical, For: 5 * time.Minute,
			Expr:        fmt.Sprintf(`sum(up{job=%q}) == 0 or absent(up{job=%q})`, conventions.JobName, conventions.JobName),
			Summary:     "督办采集服务全部无法抓取",
			Description: "Prometheus 抓取不到任何督办采集服务(job " + conventions.JobName + "),看板显示" + present.NoValue + ",各项指标告警暂停发送,直到恢复抓取。请检查采集服务。",
		},
		{
			Name: "DubanReplicaDown", Group: conventions.RuleGroupCollector, Severity: Warning, For: 5 * time.Minute,
			Expr:        fmt.Sprintf(`up{job=%q} == 0 unless on () (sum(up{job=%q}) == 0)`, conventions.JobName, conventions.JobName),
			Summary:     "督办采集服务的一个副本无法抓取",
			Description: "Prometheus 无法抓取督办采集服务副本(实例 {instance}),其余副本仍在工作,看板和告警不受影响。请检查该副本。",
		},
		{
			Name: "DubanSpoolBacklog", Group: conventions.RuleGroupCollector, Severity: Warning, For: 5 * time.Minute,
			Expr:        fmt.Sprintf(`%s{job=%q} / 60 > %d`, conventions.MetricSpoolOldestAge, conventions.JobName, SpoolBacklogMinutes),
			Summary:     "督办采集服务有报送未写入 InfluxDB",
			Description: "采集服务(实例 {instance})有已确认的报送暂存在本地 spool,最早一批已等待{=:0}分钟仍未写入 InfluxDB(写入失败见 " + conventions.MetricInfluxWriteErrors + ")。报送不会丢失,恢复后自动补写;请检查 InfluxDB。",
		},
		{
			Name: "DubanStoreNotWritable", Group: conventions.RuleGroupCollector, Severity: Critical, For: 2 * time.Minute,
			Expr:        fmt.Sprintf(`%s{job=%q} == 0`, conventions.MetricStoreWritable, conventions.JobName),
			Summary:     "督办采集服务的存储不能写入",
			Description: "采集服务(实例 {instance})的内置存储不能写入(磁盘已满、I/O 错误或存储损坏),新报送会被拒绝。请检查磁盘和服务日志。",
		},
		{
			Name: "DubanStoreDamaged", Group: conventions.RuleGroupCollector, Severity: Critical,
			Expr:        fmt.Sprintf(`%s{job=%q} > 0`, conventions.MetricStoreDamaged, conventions.JobName),
			Summary:     "督办采集服务的存储发现损坏记录",
			Description: "采集服务(实例 {instance})的内置存储发现{=:0}条损坏的记录,存储已停止写入。请用 duban store check 检查并从备份恢复。",
		},
		{
			Name: "DubanConfigReloadFailed", Group: conventions.RuleGroupCollector, Severity: Warning, For: 5 * time.Minute,
			Expr:        conventions.MetricConfigReloadSuccess + ` == 0`,
			Summary:     "督办采集服务配置重新加载失败",
			Description: "督办采集服务(实例 {instance})重新加载配置失败,仍在使用原配置:新增、更换或吊销的令牌及限额等修改均未生效。请按服务日志中的原因修正配置文件,再重新加载(systemctl reload duban)。",
		},
	}
}

// AlertCollectorDown fires when no collector answers Prometheus; it mutes every
// indicator and reporting alert (Inhibitions), whose series are gone with it.
const AlertCollectorDown = "DubanCollectorDown"

// SpoolBacklogMinutes is how long acknowledged reports may wait in a collector's spool
// for InfluxDB before DubanSpoolBacklog fires.
const SpoolBacklogMinutes = 15

// dueSoon selects the indicators (matcher: of one department, "" for all) whose next
// report is due within DueSoonDays and not yet overdue: reporting moves the next due
// date a period on, which resolves the alert.
func dueSoon(matcher string, days int) string {
	sel := conventions.MetricNextReportDue
	if matcher != "" {
		sel += "{" + matcher + "}"
	}
	next := "max by (plan, indicator, department) (" + sel + ") - time()"
	return fmt.Sprintf("(%s > 0) and (%s <= %d * 86400)", next, next, days)
}

// The per-indicator series the projected-miss rule compares, one per indicator.
var (
	projected = "max by (plan, indicator, department) (" + conventions.MetricProjected + ")"
	target    = "max by (plan, indicator, department) (" + conventions.MetricTarget + ")"
	tolerance = "max by (plan, indicator, department) (" + conventions.MetricTolerance + ")"
)

// Groups returns the rule group names in file order.
func Groups() []string {
	return []string{conventions.RuleGroupRecording, conventions.RuleGroupIndicators, conventions.RuleGroupReporting, conventions.RuleGroupCollector}
}

// placeholder matches {label}, {=}, {=ref} and {*list}.
var placeholder = regexp.MustCompile(`\{([=*]?)([a-z_]*)(?::([0-9]))?\}`)

// Placeholder is one placeholder of a template.
type Placeholder struct {
	List  bool   // {*list}: Name is the key of Alert.Lists
	Value bool   // {=} or {=ref}
	Name  string // the label, or the Values ref ("" for the alert's own value)
	// Decimals of a value: at most this many, trailing zeros dropped (default 2).
	Decimals int
}

// TrimZeros is the regular expression (and replacement "$1") that drops the trailing
// zeros of a number printed with decimals: 290.00 → 290, 1.50 → 1.5. Both template
// renderers apply it with reReplaceAll (a function of Prometheus and Grafana templates).
const TrimZeros = `([.][0-9]*[1-9])0+$|[.]0+$`

// Expand rewrites every placeholder of tmpl with f.
func Expand(tmpl string, f func(Placeholder) string) string {
	return placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		p := Placeholder{Value: sub[1] == "=", List: sub[1] == "*", Name: sub[2], Decimals: 2}
		if sub[3] != "" {
			p.Decimals = int(sub[3][0] - '0')
		}
		return f(p)
	})
}
