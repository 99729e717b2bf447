package notice_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/document"
	"github.com/duban-gov/duban/indicators/notice"
)

// FuzzParse: any input parses without panic, every warning names a line of the input
// (or 0 for the whole text), the catalog can be written, and with FollowUpTasks every
// task has a target.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../testdata/notices/*.txt")
	files = append(files, "../source/changzhi-2026.txt")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range []string{
		"", "1.", "(1)", "一、", "|序号|任务|牵头|", "1.由由提高到到%", "1.2×66万千瓦等5个", "1.10月底前大头落地",
		"一、牵头(9项)\n1.()\n(配合单位:)", "1.均增长12%以上、、均", "1.全覆盖全接入动态清零与经济增长同步",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, warns := notice.Parse(text, notice.Options{Year: 2026})
		lines := strings.Count(text, "\n") + 1
		for _, w := range warns {
			if w.Line < 0 || w.Line > lines {
				t.Fatalf("warning %v names line %d of %d", w, w.Line, lines)
			}
		}
		for _, task := range c.Tasks {
			if task.Num <= 0 {
				t.Fatalf("task number %d", task.Num)
			}
		}
		if err := c.WriteYAML(io.Discard); err != nil {
			t.Fatal(err)
		}
		// With follow-ups every task has a target, and a follow-up is its task's only one.
		f, _ := notice.Parse(text, notice.Options{Year: 2026, FollowUpTasks: true})
		for _, task := range f.Tasks {
			if len(task.Targets) == 0 {
				t.Fatalf("task %d has no target with FollowUpTasks", task.Num)
			}
			for _, g := range task.Targets {
				if !g.FollowUp() {
					continue
				}
				if len(task.Targets) != 1 || g.ID != fmt.Sprintf("%d.1", task.Num) || g.Measure != indicators.Milestone || g.Due == "" || g.Metric == "" || utf8.RuneCountInString(g.Metric) > notice.MaxFollowUpMetric || !utf8.ValidString(g.Metric) {
					t.Fatalf("task %d: follow-up %+v", task.Num, g)
				}
			}
		}
	})
}

// FuzzParseRows: any table rows of a document (each line of the input a row, cells split
// at "|") parse without panic, and every warning names a row of the input.
func FuzzParseRows(f *testing.F) {
	for _, s := range []string{
		"序号|工作任务|牵头单位|配合单位|完成时限\n1|新增学位900个|县教育局|县财政局|9月底前\n1|新增学位900个|县教育局||",
		"序号|工作任务|责任单位|\n||牵头单位|配合单位\n一|经济发展||\n|||\n2|城乡居民人均可支配收入分别增长6%、|县统计局(牵头)|",
		"序号|指标名称|单位|年度目标|责任单位\n1|地区生产总值增长|%|6左右|县发改局\n2|人口|万人|1.2|",
		"附件1\n发文字号:|无|索引号:|x\n序号|重点任务|责任领导|牵头单位\n甲|乙|丙|丁",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		doc := &document.Document{Format: document.XLSX}
		for i, l := range strings.Split(text, "\n") {
			doc.Lines = append(doc.Lines, document.Line{Cells: strings.Split(l, "|"), Pos: document.Pos{Table: 1 + i/7, Row: i + 1}})
		}
		c, warns := notice.ParseDocument(doc, notice.Options{Year: 2026, FollowUpTasks: true})
		for _, w := range warns {
			if w.Row < 0 || w.Row > len(doc.Lines) || w.Line != 0 {
				t.Fatalf("warning %v names no row of the input", w)
			}
		}
		for _, task := range c.Tasks {
			if task.Num <= 0 || len(task.Targets) == 0 {
				t.Fatalf("task %+v", task)
			}
		}
		if err := c.WriteJSON(io.Discard); err != nil {
			t.Fatal(err)
		}
	})
}
