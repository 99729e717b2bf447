package bulletin

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/duban-gov/duban/present"
)

// WriteMarkdown writes the bulletin as Markdown (GitHub tables).
func (b *Bulletin) WriteMarkdown(out io.Writer) error {
	w := bufio.NewWriter(out)
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) } // w keeps its first error for Flush
	p("# %s\n\n", b.Title)
	p("%s(%s)\n\n", b.Plan.Title, b.Plan.Document)
	p("数据截至:%s  生成时间:%s\n\n", b.AsOf, b.GeneratedAt)

	p("## 一、总体情况\n\n%s\n\n", b.Summary)
	p("| 状态 | 指标数 |\n|---|---:|\n")
	for _, c := range b.Counts {
		p("| %s | %d |\n", c.Label, c.N)
	}

	p("\n## 二、分部门完成情况\n")
	for _, d := range b.Departments {
		p("\n### %s\n\n", md(d.Name))
		p("%s。\n\n", CountsText(d.Counts))
		p("| 编号 | 指标 | 目标 | 完成值 | 应达进度 | 差距 | 状态 |\n|---|---|---|---:|---:|---:|---|\n")
		for _, r := range d.Rows {
			p("| %s | %s | %s | %s | %s | %s | %s |\n", r.ID, md(r.Metric), md(r.TargetLabel()), md(withPeriod(r)), r.Expected, r.Gap, r.StatusLabel)
		}
		var notes []string
		for _, r := range d.Rows {
			if r.Note != "" {
				notes = append(notes, fmt.Sprintf("- %s %s:%s", r.ID, md(r.Metric), md(r.Note)))
			}
		}
		if len(notes) > 0 {
			p("\n情况说明:\n\n%s\n", strings.Join(notes, "\n"))
		}
	}

	p("\n## 三、%s\n\n", problemsHeading)
	if len(b.Problems) == 0 {
		p("%s\n", noProblems)
	} else {
		p("| 部门 | 编号 | 指标 | 目标 | 完成值 | 应达进度 | 差距 | 状态 | 情况说明 |\n|---|---|---|---|---:|---:|---:|---|---|\n")
		for _, r := range b.Problems {
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", md(r.DepartmentName), r.ID, md(r.Metric), md(r.TargetLabel()), md(withPeriod(r)), r.Expected, r.Gap, r.StatusLabel, md(r.Note))
		}
	}

	p("\n## 四、报送情况排名\n\n")
	p("按时报送率 = 按时报送 ÷ 已到期应报;按时报送率相同时,未报少者在前。\n\n")
	p("| 名次 | 部门 | 应报 | %s | 按时报送率 |\n|---:|---|---:|---:|---:|---:|---:|---:|\n", strings.Join(reportHeadings(), " | "))
	for _, r := range b.Ranking {
		p("| %d | %s | %d | %d | %d | %d | %d | %s |\n", r.Place, md(r.Name), r.Expected, r.OnTime, r.Late, r.Missing, r.NotDue, r.Rate)
	}

	p("\n## 五、节点任务进展\n\n")
	if len(b.Milestones) == 0 {
		p("无节点类任务。\n")
	} else {
		p("| 编号 | 部门 | 节点目标 | 当前阶段 | 完成百分比 | 状态 | 情况说明 |\n|---|---|---|---|---:|---|---|\n")
		for _, r := range b.Milestones {
			p("| %s | %s | %s:%s | %s | %s | %s | %s |\n", r.ID, md(r.DepartmentName), md(r.Metric), md(r.TargetLabel()), r.Stage, r.Percent, r.StatusLabel, md(r.Note))
		}
	}
	return w.Flush()
}

func withPeriod(r Row) string {
	if r.Value == "—" || r.Period == "" {
		return r.Value
	}
	return r.Value + "(" + r.Period + ")"
}

// mdEscaper: a pipe would end the cell, a backslash would escape the pipe after it,
// and every line end CommonMark knows (LF, CRLF, a bare CR) would end the row.
var mdEscaper = strings.NewReplacer("|", `\|`, `\`, `\\`, "\r\n", "<br>", "\n", "<br>", "\r", "<br>", "<", "&lt;", ">", "&gt;")

// md makes free text safe inside a Markdown table cell.
func md(s string) string { return mdEscaper.Replace(s) }

// reportHeadings are the column headings of the report states (按时, 逾期, 未报, 未到期).
func reportHeadings() []string {
	var out []string
	for _, v := range present.ReportViews() {
		out = append(out, v.Short)
	}
	return out
}
