package indicators_test

import (
	"testing"

	"github.com/duban-gov/duban/indicators"
)

func TestNotesRoundTrip(t *testing.T) {
	cases := map[string]struct {
		notes indicators.Notes
		note  string
	}{
		"progress alone is stored as written": {
			indicators.Notes{Progress: "1-3月累计新增1.18万人。"}, "1-3月累计新增1.18万人。"},
		"all three parts are labelled lines": {
			indicators.Notes{Progress: "新增3.9万人。", Problems: "用工需求下降。", Plans: "开展招聘月。"},
			"进展情况:新增3.9万人。\n存在问题:用工需求下降。\n下步打算:开展招聘月。"},
		"a missing part leaves no line": {
			indicators.Notes{Progress: "新增3.9万人。", Plans: "开展招聘月。"}, "进展情况:新增3.9万人。\n下步打算:开展招聘月。"},
		"problems without progress are labelled": {
			indicators.Notes{Problems: "资金未到位。"}, "存在问题:资金未到位。"},
		"a part over several lines keeps them": {
			indicators.Notes{Progress: "一是开工。\n二是验收。", Problems: "无"}, "进展情况:一是开工。\n二是验收。\n存在问题:无"},
		"nothing is an empty note": {indicators.Notes{}, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := c.notes.Note(); got != c.note {
				t.Fatalf("Note() = %q, want %q", got, c.note)
			}
			if got := indicators.ParseNotes(c.note); got != c.notes {
				t.Fatalf("ParseNotes(%q) = %+v, want %+v", c.note, got, c.notes)
			}
		})
	}
}

func TestParseNotesReadsNotesWrittenElsewhere(t *testing.T) {
	cases := map[string]struct {
		note string
		want indicators.Notes
	}{
		"a note without labels is progress": {"受春节影响,开工偏晚。", indicators.Notes{Progress: "受春节影响,开工偏晚。"}},
		"labels in one line stay progress (only a line may start a part)": {
			"进展情况:新增城镇就业3.9万人。存在问题:部分行业用工需求下降。",
			indicators.Notes{Progress: "新增城镇就业3.9万人。存在问题:部分行业用工需求下降。"}},
		"full-width colons and CRLF, as Excel and Word write them": {
			"进展情况：已开工。\r\n存在问题：雨季。\r\n下步打算：加快。",
			indicators.Notes{Progress: "已开工。", Problems: "雨季。", Plans: "加快。"}},
		"text before the first label is progress": {
			"总体平稳。\n存在问题:无", indicators.Notes{Progress: "总体平稳。", Problems: "无"}},
		"a label without a colon is text": {"存在问题较多", indicators.Notes{Progress: "存在问题较多"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := indicators.ParseNotes(c.note); got != c.want {
				t.Fatalf("ParseNotes(%q) = %+v, want %+v", c.note, got, c.want)
			}
		})
	}
}
