package present_test

import (
	"testing"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

func TestTargetText(t *testing.T) {
	cases := map[string]struct {
		target indicators.Target
		want   string
	}{
		"ge in a display unit":      {indicators.Target{Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 3.5e10, Unit: "元", DisplayUnit: "亿元", DisplayScale: 1e8}, "350亿元以上"},
		"le":                        {indicators.Target{Measure: indicators.Level, Comparator: indicators.LE, Value: 30, Unit: "μg/m³"}, "30μg/m³以下"},
		"approx":                    {indicators.Target{Measure: indicators.GrowthRate, Comparator: indicators.Approx, Value: 6, Unit: "%"}, "6%左右"},
		"a plain figure":            {indicators.Target{Measure: indicators.Level, Comparator: indicators.EQ, Value: 100, Unit: "%"}, "100%"},
		"a milestone mid-year":      {indicators.Target{Measure: indicators.Milestone, Stage: indicators.StageStarted, Due: "2026-06-30"}, "6月30日前开工"},
		"a year-end milestone":      {indicators.Target{Measure: indicators.Milestone, Stage: indicators.StageCompleted, Due: "2026-12-31"}, "年底前完成"},
		"relative without words":    {indicators.Target{Measure: indicators.GrowthRate, Relative: &indicators.Relative{Indicator: "4.1"}}, "不低于指标4.1"},
		"relative gt without words": {indicators.Target{Measure: indicators.GrowthRate, Relative: &indicators.Relative{Indicator: "4.1", Comparator: indicators.GT}}, "高于指标4.1"},
		"与经济增长同步 in the notice's words":    {indicators.Target{Measure: indicators.GrowthRate, Relative: &indicators.Relative{Indicator: "4.1", Comparator: indicators.GE, Text: "与经济增长同步"}}, "与经济增长同步"},
		"高于经济增长水平 in the notice's words":   {indicators.Target{Measure: indicators.GrowthRate, Relative: &indicators.Relative{Indicator: "4.1", Comparator: indicators.GT, Text: "高于经济增长水平"}}, "高于经济增长水平"},
		"a cap of about a figure (控制在X左右)": {indicators.Target{Measure: indicators.GrowthRate, Comparator: indicators.LE, Value: 2, Tolerance: 0.5, Unit: "%"}, "控制在2%左右"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := present.TargetText(&tc.target); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGapsAndCountsReadAsPeopleSayThem(t *testing.T) {
	pct := &indicators.Target{Measure: indicators.GrowthRate, Unit: "%"}
	count := &indicators.Target{Measure: indicators.Cumulative, Unit: "个"}
	people := &indicators.Target{Measure: indicators.Cumulative, Unit: "人", DisplayUnit: "万人", DisplayScale: 1e4}
	cases := map[string]struct {
		got, want string
	}{
		"a gap on a percentage is in 个百分点":             {present.Signed(pct, -0.4), "-0.4个百分点"},
		"a positive gap on a percentage":               {present.Signed(pct, 1.5), "+1.5个百分点"},
		"a value in percent keeps its %":               {present.Value(pct, 5.6), "5.6%"},
		"an expected count has no decimals":            {present.Value(count, 91.62), "92个"},
		"a count gap has no decimals":                  {present.Signed(count, -1.62), "-2个"},
		"a count in a display unit keeps its decimals": {present.Value(people, 10602.74), "1.06万人"},
		"a zero gap has no sign":                       {present.Signed(count, 0.2), "0个"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}

func TestMilestonesReadTheirStage(t *testing.T) {
	start := &indicators.Target{Measure: indicators.Milestone, Stage: indicators.StageStarted}
	finish := &indicators.Target{Measure: indicators.Milestone, Stage: indicators.StageCompleted}
	task := &indicators.Target{Measure: indicators.Milestone, Stage: indicators.StageCompleted, Kind: indicators.KindTask}
	res := func(s indicators.Stage, v float64) evaluate.Result {
		return evaluate.Result{HasValue: true, Stage: s, Value: v}
	}
	cases := map[string]struct {
		t    *indicators.Target
		r    evaluate.Result
		want string
	}{
		"an achieved 开工 milestone reads 已开工, not 已开工 0%":    {start, res(indicators.StageStarted, 100), "已开工"},
		"a completed milestone reads 已完成 without a percent": {finish, res(indicators.StageCompleted, 100), "已完成"},
		"a started completion milestone shows its percent":  {finish, res(indicators.StageStarted, 40), "已开工 40%"},
		"a task follow-up in progress reads 推进中":            {task, res(indicators.StageStarted, 40), "推进中 40%"},
		"a planned milestone shows its percent":             {start, res(indicators.StagePlanned, 10), "未启动 10%"},
		"a blocked milestone shows 受阻":                      {start, res(indicators.StageBlocked, 10), "受阻 10%"},
		"no report is a dash":                               {start, evaluate.Result{}, "—"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := present.MilestoneValue(c.t, c.r); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	if present.StageText(task, indicators.StageStarted) != "推进中" || present.StageText(start, indicators.StageStarted) != "已开工" {
		t.Error("a follow-up's started stage reads 推进中, a published one's 已开工")
	}
	if st, ok := present.ParseStage("推进中"); !ok || st != indicators.StageStarted {
		t.Error("推进中 typed in a sheet is the started stage")
	}
}

func TestNumbersAndStages(t *testing.T) {
	tg := &indicators.Target{Unit: "元", DisplayUnit: "亿元", DisplayScale: 1e8}
	for in, want := range map[float64]string{1.285e10: "+128.5亿元", -1.3e9: "-13亿元", 0: "0亿元", 1e5: "0亿元"} {
		if got := present.Signed(tg, in); got != want {
			t.Errorf("Signed(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]indicators.Stage{"started": "started", "已开工": "started", "竣工": "completed", "已投运": "completed", "受阻": "blocked", "未启动": "planned", "Completed": "completed"} {
		if got, ok := present.ParseStage(in); !ok || got != want {
			t.Errorf("ParseStage(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := present.ParseStage("差不多"); ok {
		t.Error("an unknown word is not a stage")
	}
}
