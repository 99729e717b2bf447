// Package present is how duban shows its judgements to people, in one place: the
// Chinese word, colour, rank and alert severity of each target status, the words of the
// reasons that qualify a status, the words and colours of a report's completeness (on
// time, late, missing), the counts of a department or a plan per status (Tally), and
// how values, units, gaps, stages and targets read (format.go). The status board, the
// bulletin, the Excel sheets, the Grafana dashboards and the alert texts all read it,
// so a leader reads the same word in the same colour for the same status everywhere.
// Charts are drawn by present/svg with these words and colours.
package present

import (
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// Severity of an alert raised for a status (the alerts package routes on it).
type Severity string

// The severities, from none to the most urgent.
const (
	NoAlert  Severity = ""
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// View is how one status reads and looks.
type View struct {
	Status evaluate.Status
	// Word is what people read: the board's words, used everywhere.
	Word string
	// Color is a hex colour readable on white (Grafana takes hex colours too).
	Color string
	// Rank orders statuses from good (1) to bad: sorting "worst first" and the worst of
	// a task's targets. 0 is no status.
	Rank int
	// Alert is the severity of the alert a target in this status raises (none for good
	// states and for 逾期完成, which is settled and reported in the bulletin).
	Alert Severity
	// Rule says in one line which rule gives the status (for legends and docs).
	Rule string
}

// views are in evaluate.Statuses order.
var views = []View{
	{evaluate.Achieved, "已完成", "#1a7f37", 1, NoAlert, "目标已达到:累计数达到全年目标,或截止期所在报送期的数值达到目标"},
	{evaluate.OnTrack, "正常推进", "#2da44e", 2, NoAlert, "达到序时进度(到目前应达的数值或比例)"},
	{evaluate.AtRisk, "存在风险", "#bf8700", 4, Info, "略低于序时进度(差距在预警带内),或数据未按期更新"},
	{evaluate.Lagging, "进度滞后", "#e16f24", 5, Warning, "低于序时进度超出预警带,或节点受阻"},
	{evaluate.AchievedLate, "逾期完成", "#8250df", 6, NoAlert, "截止期所在报送期未达到,之后才达到(通报中计入未完成,单独列示)"},
	{evaluate.Missed, "未完成", "#cf222e", 7, Critical, "截止期已过未达到,或逾期未报"},
	{evaluate.NoData, "暂无数据", Neutral, 3, NoAlert, "截止期前尚无报送数据"},
}

// Neutral is the grey of what has no status (a task without a target, an unknown status).
const Neutral = "#8c959f"

// Unquantified is how a task without any target reads on the board (未量化): it has no
// status of its own, only this grey.
var Unquantified = View{Status: "unquantified", Word: "未量化", Color: "#d0d7de"}

// Views lists every status view in evaluate.Statuses order.
func Views() []View { return append([]View(nil), views...) }

// Of is the view of a status; an unknown status reads as itself, grey, rank 0.
func Of(s evaluate.Status) View {
	for _, v := range views {
		if v.Status == s {
			return v
		}
	}
	return View{Status: s, Word: string(s), Color: Neutral}
}

// StatusWord is the Chinese word of a status (已完成, 存在风险 …).
func StatusWord(s evaluate.Status) string { return Of(s).Word }

// StatusColor is the hex colour of a status.
func StatusColor(s evaluate.Status) string { return Of(s).Color }

// StatusRank orders statuses from good (1) to bad (see View.Rank).
func StatusRank(s evaluate.Status) int { return Of(s).Rank }

// Worse reports whether a is a worse status than b.
func Worse(a, b evaluate.Status) bool { return StatusRank(a) > StatusRank(b) }

// OverdueWord marks a report that was due and has not arrived (逾期未报): the reason of a
// target missed without any report, the board's badge beside a target whose report is
// overdue, the dashboards' count of overdue reports. It reads in the colour of a missing
// report (Report(evaluate.Missing).Color).
const OverdueWord = "逾期未报"

// NoValue is what a dashboard cell or stat shows when its query returns nothing: the
// data did not arrive (collector down, not scraped, or not reported). It never reads
// as 0, so an outage does not look like "nothing is wrong". (暂无数据, the no_data
// status, is a target judged without reports; this is a panel without an answer.)
const NoValue = "无数据"

// CollectionView is how the state of the collection (Prometheus scraping the
// collectors) reads on the dashboards.
type CollectionView struct {
	Up    bool
	Word  string
	Color string
}

// Collection is the view of the collection: up (at least one collector answers) or
// down (none answers); the dashboards' 采集状态 stat.
func Collection(up bool) CollectionView {
	if up {
		return CollectionView{Up: true, Word: "正常", Color: StatusColor(evaluate.OnTrack)}
	}
	return CollectionView{Up: false, Word: "中断", Color: StatusColor(evaluate.Missed)}
}

// ReasonWord is the Chinese word of a reason (数据未更新, 逾期未报 …).
func ReasonWord(r evaluate.Reason) string {
	switch r {
	case evaluate.ReasonStale:
		return "数据未更新"
	case evaluate.ReasonUnreported:
		return OverdueWord
	case evaluate.ReasonBlocked:
		return "受阻"
	case evaluate.ReasonNoPercent:
		return "未报完成比例"
	case evaluate.ReasonReferenceStale:
		return "参照指标未报同期数"
	}
	return string(r)
}

// StatusText is a result's status as people read it, with its reason when it has one:
// "存在风险(数据未更新)", "未完成(逾期未报)", "正常推进".
func StatusText(s evaluate.Status, r evaluate.Reason) string {
	if r == "" {
		return StatusWord(s)
	}
	return StatusWord(s) + "(" + ReasonWord(r) + ")"
}

// GapUnit is the unit of a difference of values of t (a gap): 个百分点 for percentages
// and milestones' percent complete (5.6 % against 6 % is 0.4个百分点 short, not 0.4 %),
// 个千分点 for ‰, otherwise the unit people read (the display unit, else the base unit).
func GapUnit(t *indicators.Target) string {
	switch {
	case t.Measure == indicators.Milestone:
		return "个百分点" // percent complete against the expected percent
	case t.Unit == "‰":
		return "个千分点"
	case indicators.PercentUnit(t.Unit):
		return "个百分点"
	case t.DisplayUnit != "":
		return t.DisplayUnit
	}
	return t.Unit
}

// Count is how many targets are in one status, with the status's view.
type Count struct {
	View
	N int
}

// Tally counts targets per status: a plan's or a department's summary, which the
// board, the bulletin and the sheets print alike.
type Tally map[evaluate.Status]int

// Add counts one target in status s.
func (t Tally) Add(s evaluate.Status) { t[s]++ }

// Total is the number of targets counted.
func (t Tally) Total() int {
	n := 0
	for _, c := range t {
		n += c
	}
	return n
}

// Counts lists the tally in evaluate.Statuses order: every status (all), or only the
// statuses with a target.
func (t Tally) Counts(all bool) []Count {
	out := make([]Count, 0, len(views))
	for _, v := range views {
		if n := t[v.Status]; all || n > 0 {
			out = append(out, Count{View: v, N: n})
		}
	}
	return out
}

// ReportView is how one state of an expected report reads and looks (completeness: was
// the report for a period sent by its due day).
type ReportView struct {
	Status evaluate.ReportStatus
	Word   string // 按时报送, 逾期报送, 未报送, 未到报送期
	Short  string // the column heading of a table: 按时, 逾期, 未报, 未到期
	Color  string
}

// reportViews are in evaluate.ReportStatuses order.
var reportViews = []ReportView{
	{evaluate.OnTime, "按时报送", "按时", "#2da44e"},
	{evaluate.Late, "逾期报送", "逾期", "#bf8700"},
	{evaluate.Missing, "未报送", "未报", "#cf222e"},
	{evaluate.NotDue, "未到报送期", "未到期", "#d0d7de"},
}

// ReportViews lists the views of every report state in evaluate.ReportStatuses order.
func ReportViews() []ReportView { return append([]ReportView(nil), reportViews...) }

// Report is the view of a report state; an unknown one reads as itself, grey.
func Report(s evaluate.ReportStatus) ReportView {
	for _, v := range reportViews {
		if v.Status == s {
			return v
		}
	}
	return ReportView{Status: s, Word: string(s), Short: string(s), Color: Neutral}
}

// ReportCounts are the expected reports of a department or a plan by state, in
// evaluate.ReportStatuses order (as evaluate.DepartmentCompleteness counts them).
func ReportCounts(d evaluate.DepartmentCompleteness) []int {
	return []int{d.OnTime, d.Late, d.Missing, d.NotDue}
}
