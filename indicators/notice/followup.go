package notice

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/duban-gov/duban/indicators"
)

// Task follow-ups (Options.FollowUpTasks). A notice asks for every task to be followed
// ("全程跟踪督办…逐月盘点、按季通报"), but many tasks publish no figure and no stage
// ("积极发展股权、债券等直接融资", "深入开展…严打整治行动"). With the option, each task
// for which the rules find no target gets one follow-up target, so that its department
// reports on it monthly like on any milestone (stage planned/started/completed/blocked,
// percent, a note):
//
//   - ID "<task>.1" (the task has no other target), Kind indicators.KindTask.
//   - Measure milestone, Stage completed: the year's work of the task is done.
//   - Due: the latest deadline the task's words name (上半年 06-30, 10月底前 10-31, 年底前
//     12-31…), else the table's deadline column, else the end of the plan year.
//   - Metric: the work the task names, read from its first clause: leading adverbs and
//     process verbs dropped (积极, 深入, 持续, 加快, 推进, 推动, 抓好, 做好, 深化…),
//     deadline words dropped, a name list before 等 cut to its first name
//     ("市三中迁建、市十七中东校区改造等各类学校项目建设" → "市三中迁建等各类学校项目建设"),
//     a quoted list dropped ("开展“扫黑恶、治电诈…”严打整治行动" → "开展严打整治行动");
//     at most 24 characters (clipped with "…"). A first clause that is only a topic
//     ("化工产业,重点推进…") gives "<topic>重点任务"; an item with no words but its lead
//     gives "第N项任务".
//   - No Source: the task's text is what it follows.
//
// Follow-ups are made at parse time, before an overlay, so an overlay can rename one
// (targets: {"51.1": {metric: …}}), change its due date, or remove it (remove: ["51.1"])
// and add a published target in its place.

// MaxFollowUpMetric is the longest follow-up metric name, in characters.
const MaxFollowUpMetric = 24

var (
	reFollowLead  = regexp.MustCompile(`^(?:积极|大力|深入|持续|稳步|稳妥|扎实|着力|全力|全面|系统|加快|尽快|力争|确保|争取|推动|推进|抓好|做好|深化|进一步|不断|切实)+`)
	reQuotedList  = regexp.MustCompile(`“[^”]*、[^”]*”`)
	reTopicClause = regexp.MustCompile(`(?:产业|工业|经济|领域|行业)$`)
)

// followUps adds a follow-up target to every task of c without targets.
func (p *parser) followUps(c *indicators.Catalog) {
	ex := &extractor{year: c.Plan.Year, warn: func(int, string, ...any) {}, lines: map[string]int{}}
	for i := range c.Tasks {
		t := &c.Tasks[i]
		if len(t.Targets) > 0 || i >= len(p.tasks) || p.tasks[i].num != t.Num {
			continue
		}
		rt := p.tasks[i]
		metric := followUpMetric(rt.body)
		if metric == "" {
			metric = fmt.Sprintf("第%d项任务", t.Num) // an item that is only its lead
		}
		t.Targets = []indicators.Target{{
			ID:      fmt.Sprintf("%d.1", t.Num),
			Metric:  metric,
			Measure: indicators.Milestone,
			Stage:   indicators.StageCompleted,
			Due:     ex.taskDue(rt.body, rt.deadline),
			Kind:    indicators.KindTask,
		}}
	}
	c.Build()
}

// taskDue is the latest deadline the task's clauses name, else its deadline column,
// else the end of the plan year.
func (x *extractor) taskDue(body, deadline string) indicators.Date {
	def := monthEnd(x.year, 12)
	if deadline != "" {
		if d, ok := x.due(deadline); ok {
			def = d
		}
	}
	var latest indicators.Date
	for _, cl := range splitClauses(body) {
		if d, ok := x.due(cl); ok && d > latest {
			latest = d
		}
	}
	if latest == "" {
		return def
	}
	return latest
}

// followUpMetric names the work of a task from its first clause (see the rules above).
func followUpMetric(body string) string {
	cls := splitClauses(body)
	if len(cls) == 0 {
		return ""
	}
	first := cleanFollowUp(cls[0])
	if len(cls) > 1 && utf8.RuneCountInString(first) <= 8 && reTopicClause.MatchString(first) {
		return first + "重点任务"
	}
	if first == "" && len(cls) > 1 {
		first = cleanFollowUp(cls[1])
	}
	if utf8.RuneCountInString(first) > MaxFollowUpMetric {
		first = reQuotedList.ReplaceAllString(first, "")
	}
	if utf8.RuneCountInString(first) > MaxFollowUpMetric {
		if i := strings.Index(first, "等"); i > 0 {
			if j := strings.Index(first[:i], "、"); j > 0 {
				first = first[:j] + first[i:]
			}
		}
	}
	if r := []rune(first); len(r) > MaxFollowUpMetric {
		first = string(r[:MaxFollowUpMetric-1]) + "…"
	}
	return first
}

func cleanFollowUp(s string) string {
	s = reDueWords.ReplaceAllString(s, "")
	s = strings.Trim(s, "、,;:。 ")
	for {
		t := reFollowLead.ReplaceAllString(s, "")
		if t == s || t == "" {
			break
		}
		s = t
	}
	return strings.Trim(s, "、,;:。 ")
}
