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
