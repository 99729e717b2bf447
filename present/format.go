package present

// How values, units, stages and targets read: what the bulletin, the status board, the
// Excel sheets and the dashboards show of an indicator. Charts are in present/svg.

import (
	"math"
	"strconv"
	"strings"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// StageLabel is the Chinese name of a milestone stage.
func StageLabel(s indicators.Stage) string {
	switch s {
	case indicators.StagePlanned:
		return "未启动"
	case indicators.StageStarted:
		return "已开工"
	case indicators.StageCompleted:
		return "已完成"
	case indicators.StageBlocked:
		return "受阻"
	}
	return string(s)
}

// StageText is a milestone stage as people read it for target t: a task follow-up has no
// 开工, so its started stage reads 推进中 (in progress).
func StageText(t *indicators.Target, s indicators.Stage) string {
	if s == indicators.StageStarted && t != nil && t.FollowUp() {
		return "推进中"
	}
	return StageLabel(s)
}

// MilestoneValue is a milestone's latest report as people read it: the stage alone once
// the target's stage is reached ("已开工", "已完成", never "已开工 0%"), otherwise the
// stage with the reported percent ("未启动 10%", "推进中 40%") or the stage alone when no
// percent was reported; "—" without a report.
func MilestoneValue(t *indicators.Target, r evaluate.Result) string {
	if !r.HasValue {
		return "—"
	}
	label := StageText(t, r.Stage)
	if r.Stage == "" {
		label = "进度"
	}
	want := t.Stage
	if want == "" {
		want = indicators.StageCompleted
	}
	if r.Stage != indicators.StageBlocked && r.Stage.Rank() >= want.Rank() && r.Stage != "" {
		return label
	}
	if r.Value == 0 && (r.Stage == indicators.StageStarted || r.Stage == "") {
		return label // no percent reported
	}
	return label + " " + Number(r.Value) + "%"
}

// StageOptions are the stage labels offered in the Excel drop-down list, in order.
var StageOptions = []indicators.Stage{indicators.StagePlanned, indicators.StageStarted, indicators.StageCompleted, indicators.StageBlocked}

// ParseStage reads a stage from its code (started) or a Chinese word people type
// (已开工, 开工, 竣工, 建成, 投运, 完成, 受阻, 未启动 ...).
func ParseStage(s string) (indicators.Stage, bool) {
	s = strings.TrimSpace(s)
	if st := indicators.Stage(strings.ToLower(s)); st.Valid() {
		return st, true
	}
	switch strings.TrimPrefix(s, "已") {
	case "未启动", "未开工", "计划中", "计划", "启动前":
		return indicators.StagePlanned, true
	case "开工", "启动", "动工", "开建", "推进中", "进行中":
		return indicators.StageStarted, true
	case "完成", "竣工", "建成", "投运", "投产", "通车", "完工":
		return indicators.StageCompleted, true
	case "受阻", "停滞", "暂停":
		return indicators.StageBlocked, true
	}
	return "", false
}

// Unit is the unit people read for a target (display unit, else base unit).
func Unit(t *indicators.Target) string {
	if t.DisplayUnit != "" {
		return t.DisplayUnit
	}
	return t.Unit
}

// ValueUnit is the unit of the numbers a dashboard or an alert text shows for target t:
// a milestone's value is its percent complete, so "%"; otherwise Unit. The exporter
// labels every indicator with it (display_unit), so a table's 单位 column and an alert's
// "当前值40%,目标100%" read the same.
func ValueUnit(t *indicators.Target) string {
	if t.Measure == indicators.Milestone {
		return "%"
	}
	return Unit(t)
}

// Scale is the factor from the display unit to the base unit (1 when unset).
func Scale(t *indicators.Target) float64 {
	if t.DisplayScale > 0 {
		return t.DisplayScale
	}
	return 1
}

// Display converts a base-unit value to the display unit.
func Display(t *indicators.Target, v float64) float64 { return v / Scale(t) }

// Number formats a value with at most two decimals, without trailing zeros; Value and
// Signed print counts (indicators.CountUnit, in their base unit) without decimals.
func Number(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	r := math.Round(v*100) / 100
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// Value formats a base-unit value in the display unit with the unit: "118亿元", "92个"
// (a count in its base unit is rounded to a whole number: 91.62个 reads 92个).
func Value(t *indicators.Target, v float64) string {
	return number(t, Display(t, v)) + Unit(t)
}

func number(t *indicators.Target, d float64) string {
	if Scale(t) == 1 && indicators.CountUnit(t.Unit) {
		d = math.Round(d)
	}
	return Number(d)
}

// Signed formats a gap (value − expected) with its sign: "+1.5亿元", "-300人",
// "-0.4个百分点".
func Signed(t *indicators.Target, v float64) string {
	n := number(t, Display(t, v))
	if n != "0" && n != "—" && n[0] != '-' {
		n = "+" + n
	}
	return n + GapUnit(t)
}

// TargetText says the target the way the notice does: "350亿元以上", "6%左右",
// "6月30日前开工".
func TargetText(t *indicators.Target) string {
	if t.Measure == indicators.Milestone {
		return DueText(t.Due) + "前" + stageGoal(t.Stage)
	}
	if r := t.Relative; r != nil {
		switch {
		case r.Text != "":
			return r.Text // the notice's words: 与经济增长同步, 高于经济增长水平
		case r.Comparator == indicators.GT:
			return "高于指标" + r.Indicator
		}
		return "不低于指标" + r.Indicator
	}
	v := Value(t, t.Value)
	switch t.Comparator {
	case indicators.GE:
		return v + "以上"
	case indicators.LE:
		if t.Tolerance > 0 {
			return "控制在" + v + "左右"
		}
		return v + "以下"
	case indicators.Approx:
		return v + "左右"
	}
	return v
}

// FollowUpTag marks a task follow-up (indicators.Target.FollowUp) where a published
// target would show its figure: the task has none and is tracked by stage, percent and
// narrative. FollowUpHint explains the tag.
const (
	FollowUpTag  = "任务推进"
	FollowUpHint = "未公布数值的任务,按推进阶段、完成比例和进展说明跟进"
)

func stageGoal(s indicators.Stage) string {
	switch s {
	case indicators.StageCompleted:
		return "完成"
	case indicators.StagePlanned:
		return "启动"
	}
	return "开工"
}

// DueText is a due date as people write it: "6月30日", "年底".
func DueText(d indicators.Date) string {
	_, m, day, err := d.Parse()
	if err != nil {
		return string(d)
	}
	if m == 12 && day == 31 {
		return "年底"
	}
	return strconv.Itoa(int(m)) + "月" + strconv.Itoa(day) + "日"
}

// Percent formats a 0..1 ratio as "45%".
func Percent(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "—"
	}
	return strconv.FormatFloat(math.Round(r*1000)/10, 'f', -1, 64) + "%"
}
