package bulletin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/bulletin"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// now: the supervision office writes the Q1 bulletin on April 15th. The April report of
// 57.1 in the fixture arrives later (May 8th) and must not count.
var now = time.Date(2026, 4, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// fixture is the test data set: the mini catalog and the revisions in testdata/reports.json.
// It holds every revision as a store would, and answers the bulletin's reads from them:
// the latest per period and the first arrivals (evaluate.FirstArrivals is exact).
type fixture struct {
	cat    *indicators.Catalog
	eval   evaluate.Config
	all    []indicators.Revision
	series map[string][]indicators.Revision
}

func (f *fixture) Catalog() *indicators.Catalog           { return f.cat }
func (f *fixture) EvalConfig() evaluate.Config            { return f.eval }
func (f *fixture) Series(id string) []indicators.Revision { return f.series[id] }

func (f *fixture) FirstArrivals(_ context.Context, ends []time.Time) ([]indicators.Arrival, error) {
	history := map[string][]indicators.Revision{}
	for _, r := range f.all {
		history[r.Indicator] = append(history[r.Indicator], r)
	}
	var out []indicators.Arrival
	for _, id := range f.cat.TargetIDs() {
		for _, a := range evaluate.FirstArrivals(history[id]) {
			for _, e := range ends {
				if a.PeriodEnd.Equal(e) {
					out = append(out, a)
				}
			}
		}
	}
	return out, nil
}

func load(t testing.TB) *fixture {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "testdata", "mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "reports.json"))
	if err != nil {
		t.Fatal(err)
	}
	var revs []indicators.Revision
	if err := json.Unmarshal(b, &revs); err != nil {
		t.Fatal(err)
	}
	loc := cat.Plan.Location()
	latest := map[string]indicators.Revision{}
	for i := range revs {
		r := &revs[i]
		p, err := indicators.ParsePeriod(r.Period)
		if err != nil {
			t.Fatal(err)
		}
		r.PeriodEnd = p.End(loc)
		if r.Revision == 0 {
			r.Revision = 1
		}
		if e, ok := cat.Lookup(r.Indicator); ok {
			r.Department = e.Task.Lead
		}
		k := r.Indicator + "|" + r.Period
		if old, ok := latest[k]; !ok || r.Revision > old.Revision {
			latest[k] = *r
		}
	}
	f := &fixture{cat: cat, all: revs, series: map[string][]indicators.Revision{}}
	for _, r := range latest {
		f.series[r.Indicator] = append(f.series[r.Indicator], r)
	}
	for _, s := range f.series {
		sort.Slice(s, func(i, j int) bool { return s[i].PeriodEnd.Before(s[j].PeriodEnd) })
	}
	return f
}

func render(t *testing.T, format bulletin.Format) []byte {
	t.Helper()
	in, err := bulletin.Prepare(context.Background(), load(t), "2026-Q1", now)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bulletin.Render(&buf, format, in); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGoldenFiles(t *testing.T) {
	for name, format := range map[string]bulletin.Format{
		"markdown matches testdata/bulletin-2026-Q1.md": bulletin.Markdown,
		"html matches testdata/bulletin-2026-Q1.html":   bulletin.HTML,
	} {
		t.Run(name, func(t *testing.T) {
			got := render(t, format)
			path := filepath.Join("testdata", "bulletin-2026-Q1."+string(format))
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./bulletin -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the rendering; inspect and run `go test ./bulletin -update`:\n%s", path, firstDiff(string(got), string(want)))
			}
		})
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			return "line " + itoa(i+1) + ":\n got: " + g[i] + "\nwant: " + w[i]
		}
	}
	return "lengths differ"
}

func itoa(n int) string { return fmtInt(n) }

func fmtInt(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestBulletinContent(t *testing.T) {
	md := string(render(t, bulletin.Markdown))
	cases := map[string]string{
		"the title names the quarter":                                 "# 2026年第一季度目标任务督办通报",
		"the data is as of the day March reports are due":             "数据截至:2026年4月10日",
		"the latest revision counts":                                  "| 57.1 | 新增城镇就业 | 43000人以上 | 11800人(2026-03) |",
		"the April report is left out":                                "11800人(2026-03)",
		"investment 13亿元 behind is within 5 points of 350亿元: at risk": "| 11.1 | 基础设施投资 | 350亿元以上 | 50亿元(2026-03) | 63亿元 | -13亿元 | 存在风险 |",
		"a gap on a percentage is in 个百分点":                            "| 4.1 | 地区生产总值增速 | 6%左右 | 5.2%(2026-Q1) | 6% | -0.8个百分点 | 存在风险 |",
		"a relative target shows the notice's words":                  "| 56.1 | 城镇居民人均可支配收入增速 | 与经济增长同步 |",
		"a count's expected value has no decimals":                    "| 57.1 | 新增城镇就业 | 43000人以上 | 11800人(2026-03) | 10603人 | +1197人 | 正常推进 |",
		"the summary counts 逾期完成 with 未完成":                            "未完成0项,",
		"the counts table shows 逾期完成 apart":                           "| 其中:逾期完成 | 0 |",
		"a pipe in a note does not break the table":                   `部分项目开工偏晚 \| 二季度集中开工`,
		"the milestone section shows the stage":                       "| 9.1 | 市发改委 |",
		"ranking counts late and missing monthly reports":             "| 市发改委 | 7 | 4 | 1 | 2 | 0 | 57.1% |",
		"a department that missed reports ranks last":                 "| 市生态环境局 | 6 | 4 | 0 | 2 | 0 | 66.7% |",
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(md, want) {
				t.Errorf("bulletin lacks %q", want)
			}
		})
	}
	if strings.Contains(md, "15000") {
		t.Error("a report for a period after the quarter leaked into the bulletin")
	}
	last := md[strings.LastIndex(md, "## 四"):strings.LastIndex(md, "## 五")]
	if i, j := strings.Index(last, "市人社局"), strings.Index(last, "市生态环境局"); i < 0 || j < 0 || i > j {
		t.Errorf("ranking order wrong:\n%s", last)
	}
}

func TestHTMLHasChartsAndNoScript(t *testing.T) {
	html := string(render(t, bulletin.HTML))
	if n := strings.Count(html, "<svg"); n < 10 {
		t.Errorf("%d SVG charts, want the summary bar, department bars, trends and ranking bars", n)
	}
	if strings.Contains(html, "<script") {
		t.Error("the bulletin must not need JavaScript")
	}
	if !strings.Contains(html, `class="target"`) {
		t.Error("trends lack their target line")
	}
}

func TestXLSXReadsBack(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(render(t, bulletin.XLSX)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(f.GetSheetList(), ","), strings.Join([]string{bulletin.SheetSummary, bulletin.SheetDepartments, bulletin.SheetProblems, bulletin.SheetRanking, bulletin.SheetMilestones}, ","); got != want {
		t.Fatalf("sheets %s, want %s", got, want)
	}
	in, err := bulletin.Prepare(context.Background(), load(t), "2026-Q1", now)
	if err != nil {
		t.Fatal(err)
	}
	b := bulletin.Build(in)
	rows, _ := f.GetRows(bulletin.SheetSummary)
	total := 0
	for _, c := range b.Counts {
		found := false
		for _, r := range rows {
			if len(r) == 3 && r[1] == string(c.Status) {
				found = true
				if r[2] != fmtInt(c.N) {
					t.Errorf("summary %s = %s, want %d", c.Status, r[2], c.N)
				}
			}
		}
		if !found {
			t.Errorf("summary lacks %s", c.Status)
		}
		if !c.Part { // 逾期完成 is a part of 未完成
			total += c.N
		}
	}
	dept, _ := f.GetRows(bulletin.SheetDepartments, excelize.Options{RawCellValue: true})
	if len(dept)-1 != total || total != len(in.Catalog.TargetIDs()) {
		t.Errorf("%d department rows, %d counted, %d indicators", len(dept)-1, total, len(in.Catalog.TargetIDs()))
	}
	for _, r := range dept {
		if r[1] == "11.1" && (r[7] != "50" || r[9] != "63" || r[10] != "-13" || r[11] != "存在风险") {
			t.Errorf("11.1 row = %q, want numbers 50, 63, -13 in 亿元", r)
		}
	}
	rank, _ := f.GetRows(bulletin.SheetRanking)
	if len(rank)-1 != len(b.Ranking) || rank[1][1] != b.Ranking[0].Name {
		t.Errorf("ranking sheet %q, want %d rows led by %s", rank, len(b.Ranking), b.Ranking[0].Name)
	}
	ms, _ := f.GetRows(bulletin.SheetMilestones)
	if len(ms)-1 != len(b.Milestones) || len(b.Milestones) != 2 {
		t.Errorf("milestone sheet has %d rows, want %d", len(ms)-1, len(b.Milestones))
	}
}

func TestPrepareRejectsPeriodsThatAreNotAQuarterOfThePlan(t *testing.T) {
	for name, period := range map[string]string{
		"a month":                 "2026-03",
		"another year":            "2025-Q4",
		"a quarter not yet begun": "2026-Q3",
		"nonsense":                "Q1",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := bulletin.Prepare(context.Background(), load(t), period, now)
			if !errors.Is(err, bulletin.ErrPeriod) {
				t.Errorf("err = %v, want ErrPeriod", err)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]bulletin.Format{"md": bulletin.Markdown, "html": bulletin.HTML, "xlsx": bulletin.XLSX, "excel": bulletin.XLSX} {
		if got, err := bulletin.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := bulletin.ParseFormat("pdf"); err == nil {
		t.Error("pdf is not a format")
	}
}

// BenchmarkRender prepares and renders the fixture bulletin in each format.
func BenchmarkRender(b *testing.B) {
	src := load(b)
	for _, f := range bulletin.Formats {
		b.Run(string(f), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				in, err := bulletin.Prepare(context.Background(), src, "2026-Q1", now)
				if err != nil {
					b.Fatal(err)
				}
				if err := bulletin.Render(io.Discard, f, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestFollowUpsAreLabelled: with 99.1 turned into a task follow-up (kind: task), every
// table labels it 任务推进 and the summary counts published targets and follow-ups apart.
func TestFollowUpsAreLabelled(t *testing.T) {
	f := load(t)
	e, ok := f.cat.Lookup("99.1")
	if !ok {
		t.Fatal("mini.yaml lacks 99.1")
	}
	e.Target.Kind = indicators.KindTask
	in, err := bulletin.Prepare(context.Background(), f, "2026-Q1", now)
	if err != nil {
		t.Fatal(err)
	}
	out := map[bulletin.Format]string{}
	for _, format := range []bulletin.Format{bulletin.Markdown, bulletin.HTML} {
		var buf bytes.Buffer
		if err := bulletin.Render(&buf, format, in); err != nil {
			t.Fatal(err)
		}
		out[format] = buf.String()
	}
	cases := map[string]struct {
		format       bulletin.Format
		want, absent string
	}{
		"the summary counts follow-ups apart":              {bulletin.Markdown, "共8项任务、8项目标(公布目标7项,任务推进1项):", "量化指标"},
		"the department table labels the follow-up":        {bulletin.Markdown, "| 99.1 | 吴家庄水库开工 | 任务推进:年底前开工 |", ""},
		"the milestone section labels it too":              {bulletin.Markdown, "吴家庄水库开工:任务推进:年底前开工", ""},
		"a published milestone is not labelled":            {bulletin.Markdown, "| 9.1 | 沁源新交口地方铁路、武乡通用机场等项目开工 | 6月30日前开工 |", ""},
		"html shows a tag before the follow-up's due text": {bulletin.HTML, `<span class="tag" title="未公布数值的任务,按推进阶段、完成比例和进展说明跟进">任务推进</span> 年底前开工`, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := out[c.format]
			if !strings.Contains(s, c.want) {
				t.Errorf("%s lacks %q", c.format, c.want)
			}
			if c.absent != "" && strings.Contains(s, c.absent) {
				t.Errorf("%s has %q", c.format, c.absent)
			}
		})
	}
	// 10 % on April 10 against 24.7 % of the year: lagging, so it is among the problems too
	if n := strings.Count(out[bulletin.Markdown], "任务推进:"); n != 3 {
		t.Errorf("the follow-up is labelled %d times in Markdown, want 3 (department table, problems, milestones)", n)
	}
}

// TestNotesCannotBreakMarkdownTables: a note may hold any line end (LF, CRLF, a bare CR
// as old Mac exports and some Excel cells have), pipes and backslashes; every table
// row of the Markdown keeps its header's number of cells, and the line ends show as <br>.
func TestNotesCannotBreakMarkdownTables(t *testing.T) {
	notes := map[string]string{
		"57.1": "进展情况:新增就业\r存在问题:无\r\n下步打算:继续\n完",
		"11.1": `部分项目开工偏晚 | 二季度集中开工 \| 反斜杠在前 \`,
		"69.1": "\r",
		"9.1":  "铁路\r开工 a\\|b",
		"99.1": "前期手续\r\r办理中|",
	}
	f := load(t)
	for id, note := range notes {
		s := f.series[id]
		if len(s) == 0 {
			t.Fatalf("fixture has no report of %s", id)
		}
		for i := range s {
			s[i].Note = note
		}
	}
	in, err := bulletin.Prepare(context.Background(), f, "2026-Q1", now)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bulletin.Render(&buf, bulletin.Markdown, in); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	if strings.Contains(md, "\r") {
		t.Error("a carriage return reached the Markdown")
	}
	if !strings.Contains(md, "进展情况:新增就业<br>存在问题:无<br>下步打算:继续<br>完") {
		t.Error("the line ends of a note do not show as <br>")
	}
	cells := func(line string) int { // unescaped pipes, as GitHub counts cells
		n := 0
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '|':
				n++
			}
		}
		return n
	}
	want, tables := -1, 0
	for i, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = -1
			continue
		}
		if want < 0 {
			want = cells(line)
			tables++
			continue
		}
		if got := cells(line); got != want {
			t.Errorf("line %d has %d cell separators, its table's header %d: %q", i+1, got, want, line)
		}
	}
	if tables < 5 {
		t.Errorf("found %d tables, want the five sections' tables at least", tables)
	}
}

// TestTheDueDayComesFromTheSource: the bulletin evaluates a quarter on the day its last
// report is due under the collector's evaluation configuration (evaluate.due_day), and
// decides on time or late by it.
func TestTheDueDayComesFromTheSource(t *testing.T) {
	late := time.Date(2026, 5, 20, 10, 0, 0, 0, now.Location())
	cases := map[string]struct {
		dueDay int
		asOf   string
	}{
		"the default due day, the 10th":     {0, "数据截至:2026年4月10日"},
		"a due day of 20 moves the cut-off": {20, "数据截至:2026年4月20日"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := load(t)
			f.eval = evaluate.Config{DueDay: tc.dueDay}
			in, err := bulletin.Prepare(context.Background(), f, "2026-Q1", late)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := bulletin.Render(&buf, bulletin.Markdown, in); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), tc.asOf) {
				t.Errorf("bulletin lacks %q:\n%s", tc.asOf, buf.String()[:300])
			}
			// 56.1's Q1 report arrived on April 13th: late by the 10th, on time by the 20th.
			if (tc.dueDay == 20) == lateOf(in, "56.1") {
				t.Errorf("due day %d: 56.1 late = %v", tc.dueDay, lateOf(in, "56.1"))
			}
		})
	}
}

func lateOf(in bulletin.Input, id string) bool {
	for _, d := range in.Completeness {
		for _, it := range d.Items {
			if it.Indicator == id && it.Status == evaluate.Late {
				return true
			}
		}
	}
	return false
}
