package notice_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/notice"
)

func TestTaskFollowUps(t *testing.T) {
	cases := map[string]struct {
		item       string
		wantMetric string
		wantDue    indicators.Date
	}{
		"a task without figures is followed under its first clause": {
			item: "积极发展股权、债券等直接融资,大力推动企业上市挂牌。", wantMetric: "发展股权、债券等直接融资", wantDue: "2026-12-31"},
		"deadline words give the due date": {
			item: "上半年完成政府债务常态化风险预警机制建设。", wantMetric: "完成政府债务常态化风险预警机制建设", wantDue: "2026-06-30"},
		"the latest deadline of the task is its due date": {
			item: "6月底前制定方案,10月底前完成全流域入河排污口排查整治。", wantMetric: "制定方案", wantDue: "2026-10-31"},
		"a quoted list is dropped from a long name": {
			item: "深入开展“扫黑恶、治电诈、打盗窃、禁毒品、护民生”严打整治行动。", wantMetric: "开展严打整治行动", wantDue: "2026-12-31"},
		"a name list before 等 keeps its first name": {
			item: "加快市三中迁建、市十七中东校区改造、市九中新校区建设等各类学校项目建设。", wantMetric: "市三中迁建等各类学校项目建设", wantDue: "2026-12-31"},
		"a topic clause names the topic's work": {
			item: "化工产业,重点推进金鼎生物法制甲烷、祥源石墨烯材料等44个项目。", wantMetric: "化工产业重点任务", wantDue: "2026-12-31"},
		"an item that is only its lead is named by its number": {
			item: "(市发改委牵头落实)", wantMetric: "第1项任务", wantDue: "2026-12-31"},
		"a name still too long is clipped": {
			item: "做好沪太高铁(长治段)、长邯聊高铁、长治机场迁建项目前期工作。", wantMetric: "沪太高铁(长治段)、长邯聊高铁、长治机场迁建项…", wantDue: "2026-12-31"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := "2026年重点目标任务清单\n一、市发改委牵头工作(1项)\n1." + tc.item + "\n"
			c, _ := notice.Parse(in, notice.Options{FollowUpTasks: true})
			if len(c.Tasks) != 1 || len(c.Tasks[0].Targets) != 1 {
				t.Fatalf("tasks %+v, want one task with one target", c.Tasks)
			}
			g := c.Tasks[0].Targets[0]
			want := indicators.Target{ID: "1.1", Metric: tc.wantMetric, Measure: indicators.Milestone, Stage: indicators.StageCompleted, Due: tc.wantDue, Kind: indicators.KindTask}
			if g.ID != want.ID || g.Metric != want.Metric || g.Measure != want.Measure || g.Stage != want.Stage || g.Due != want.Due || g.Kind != want.Kind || !g.FollowUp() {
				t.Errorf("follow-up = %+v, want %+v", g, want)
			}
			if n := utf8.RuneCountInString(g.Metric); n > notice.MaxFollowUpMetric {
				t.Errorf("metric %q has %d characters, more than %d", g.Metric, n, notice.MaxFollowUpMetric)
			}
			e, ok := c.Lookup("1.1")
			if !ok || e.Task.Num != 1 {
				t.Errorf("1.1 is not indexed: %+v", e)
			}
		})
	}
}

func TestTaskFollowUpsLeavePublishedTargetsAlone(t *testing.T) {
	in := "2026年重点目标任务清单\n一、市人社局牵头工作(2项)\n1.新增城镇就业4.3万人以上。\n2.办好技能大赛、青年创新创业大赛。\n"
	off, _ := notice.Parse(in, notice.Options{})
	on, _ := notice.Parse(in, notice.Options{FollowUpTasks: true})
	if n := len(off.Tasks[1].Targets); n != 0 {
		t.Fatalf("without the option task 2 has %d targets, want 0", n)
	}
	if got, want := on.Tasks[0].Targets, off.Tasks[0].Targets; len(got) != 1 || got[0] != want[0] {
		t.Errorf("task 1 targets = %+v, want the published one only %+v", got, want)
	}
	if got := on.Tasks[1].Targets; len(got) != 1 || got[0].Kind != indicators.KindTask || got[0].Metric != "办好技能大赛、青年创新创业大赛" {
		t.Errorf("task 2 targets = %+v, want one follow-up", got)
	}
}

func TestTaskFollowUpsReadTheDeadlineColumn(t *testing.T) {
	in := "2026年重点任务分工表\n序号|工作任务|牵头单位|配合单位|完成时限\n1|推进儿童友好型城市建设|市发改委|市妇联|2026年9月底\n"
	c, warns := notice.Parse(in, notice.Options{FollowUpTasks: true})
	if len(c.Tasks) != 1 || len(c.Tasks[0].Targets) != 1 {
		t.Fatalf("tasks %+v (warnings %v), want one task with one target", c.Tasks, warns)
	}
	if g := c.Tasks[0].Targets[0]; g.Due != "2026-09-30" || g.Metric != "儿童友好型城市建设" {
		t.Errorf("follow-up = %+v, want due 2026-09-30 named 儿童友好型城市建设", g)
	}
}

func TestAnOverlayCorrectsAFollowUp(t *testing.T) {
	in := "2026年重点目标任务清单\n一、市发改委牵头工作(2项)\n1.做好沪太高铁(长治段)、长邯聊高铁、长治机场迁建项目前期工作。\n2.推进水、能源、交通等领域价格改革。\n"
	ov, err := indicators.DecodeOverlay(strings.NewReader(`targets:
  "1.1": {metric: 沪太高铁等项目前期工作}
remove: ["2.1"]
add:
  - {task: 2, target: {id: "2.1", metric: 价格改革事项, measure: cumulative, comparator: ge, value: 3, unit: 项, due: 2026-12-31}}
`))
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := notice.Import(in, notice.Options{FollowUpTasks: true}, ov)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := c.Lookup("1.1"); e.Target == nil || e.Target.Metric != "沪太高铁等项目前期工作" || !e.Target.FollowUp() {
		t.Errorf("1.1 = %+v, want the renamed follow-up", e.Target)
	}
	if e, _ := c.Lookup("2.1"); e.Target == nil || e.Target.FollowUp() || e.Target.Measure != indicators.Cumulative {
		t.Errorf("2.1 = %+v, want the published target the overlay added", e.Target)
	}
}
