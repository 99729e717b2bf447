package notice_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/document"
	"github.com/duban-gov/duban/indicators/document/docxtest"
	"github.com/duban-gov/duban/indicators/notice"
	"github.com/duban-gov/duban/internal/testenv"
)

// The decomposition sample (testdata/notices/decomposition-*) as Word and Excel publish
// it: the same two tables with merged header cells, section rows across the table, cells
// merged down over the rows they serve, and a cell holding two paragraphs.

func decompositionDOCX() []byte {
	c := func(s string) docxtest.Cell { return docxtest.Cell{Text: s} }
	restart := func(s string) docxtest.Cell { return docxtest.Cell{Text: s, VMerge: "restart"} }
	cont := docxtest.Cell{VMerge: "continue"}
	section := func(s string) []docxtest.Cell { return []docxtest.Cell{{Text: s, Span: 6}} }
	return docxtest.Doc{Blocks: []any{
		"青山县人民政府办公室关于印发2025年政府工作报告重点任务分解表的通知",
		"青政办发〔2025〕3号",
		"各乡镇人民政府，县直各单位：",
		"现将《2025年政府工作报告重点任务分解表》印发给你们，请认真抓好落实。",
		"青山县人民政府办公室",
		"2025年2月20日",
		"（此件公开发布）",
		"附件1",
		docxtest.Table{
			{restart("序号"), restart("重点任务"), restart("责任领导"), {Text: "责任单位", Span: 2}, restart("完成时限")},
			{cont, cont, cont, c("牵头单位"), c("配合单位"), cont},
			section("一、经济发展"),
			{c("1"), c("地区生产总值增长6%左右，一般公共预算收入增长5%"), restart("张明"), restart("县发改局"), c("县财政局、县统计局"), c("全年")},
			{c("2"), c("城乡居民人均可支配收入分别增长6%、7%"), cont, cont, c("县统计局\n县人社局"), c("全年")},
			section("二、民生保障"),
			{c("3"), c("新增城镇就业3000人以上，城镇调查失业率控制在5.5%以内"), restart("李华"), c("县人力资源和社会保障局"), c("各乡、镇人民政府"), c("2025年12月底")},
			{c("4"), c("新建改扩建公办幼儿园4所，新增学位1200个"), cont, c("县教育局"), c("县住建局\n县自然资源局"), c("2025年9月底前")},
			{c("5"), c("千人口托位数达到4.5个"), cont, c("县卫生健康局"), c("—"), c("2025年12月")},
			{c("6"), c("粮食播种面积稳定在52万亩以上"), restart("王强"), c("县农业农村局"), c("各乡镇人民政府"), c("2025年10月")},
			{c("7"), c("改造老旧小区12个，6月底前全部开工"), cont, c("县住房和城乡建设局"), c("县财政局"), c("2025年11月")},
		},
		"附件2",
		docxtest.Table{
			{c("序号"), c("民生实事项目"), c("责任单位"), c("完成时限")},
			{c("1"), c("养老服务中心服务人次达20万以上"), c("县民政局（牵头）、各乡镇人民政府"), c("2025年12月")},
			{c("2"), c("新增城市停车泊位1500个"), c("县住建局、县公安局"), c("2025年10月底前")},
		},
	}}.Bytes()
}

func decompositionXLSX(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	row := func(sheet string, r int, cells ...any) {
		t.Helper()
		cell, err := excelize.CoordinatesToCellName(1, r)
		must(err)
		must(f.SetSheetRow(sheet, cell, &cells))
	}
	merge := func(sheet, from, to string) { t.Helper(); must(f.MergeCell(sheet, from, to)) }
	must(f.SetSheetName("Sheet1", "重点任务"))
	s := "重点任务"
	row(s, 1, "附件1")
	row(s, 2, "青山县2025年政府工作报告重点任务分解表")
	merge(s, "A2", "F2")
	row(s, 3, "序号", "重点任务", "责任领导", "责任单位", nil, "完成时限")
	row(s, 4, nil, nil, nil, "牵头单位", "配合单位")
	for _, col := range []string{"A", "B", "C", "F"} {
		merge(s, col+"3", col+"4")
	}
	merge(s, "D3", "E3")
	row(s, 5, "一、经济发展")
	merge(s, "A5", "F5")
	row(s, 6, 1, "地区生产总值增长6%左右，一般公共预算收入增长5%", "张明", "县发改局", "县财政局、县统计局", "全年")
	row(s, 7, 2, "城乡居民人均可支配收入分别增长6%、7%", nil, nil, "县统计局\n县人社局", "全年")
	merge(s, "C6", "C7")
	merge(s, "D6", "D7")
	row(s, 8, "二、民生保障")
	merge(s, "A8", "F8")
	row(s, 9, 3, "新增城镇就业3000人以上，城镇调查失业率控制在5.5%以内", "李华", "县人力资源和社会保障局", "各乡、镇人民政府", "2025年12月底")
	row(s, 10, 4, "新建改扩建公办幼儿园4所，新增学位1200个", nil, "县教育局", "县住建局\n县自然资源局", "2025年9月底前")
	row(s, 11, 5, "千人口托位数达到4.5个", nil, "县卫生健康局", "—", "2025年12月")
	merge(s, "C9", "C11")
	row(s, 12, 6, "粮食播种面积稳定在52万亩以上", "王强", "县农业农村局", "各乡镇人民政府", "2025年10月")
	row(s, 13, 7, "改造老旧小区12个，6月底前全部开工", nil, "县住房和城乡建设局", "县财政局", "2025年11月")
	merge(s, "C12", "C13")
	m := "民生实事"
	_, err := f.NewSheet(m)
	must(err)
	row(m, 1, "附件2")
	row(m, 2, "序号", "民生实事项目", "责任单位", "完成时限")
	row(m, 3, 1, "养老服务中心服务人次达20万以上", "县民政局（牵头）、各乡镇人民政府", "2025年12月")
	row(m, 4, 2, "新增城市停车泊位1500个", "县住建局、县公安局", "2025年10月底前")
	var buf bytes.Buffer
	must(f.Write(&buf))
	return buf.Bytes()
}

// TestFormatsGiveTheSameCatalog: the decomposition sample as a "|" text, a web page saved
// by a browser, a Word document and an Excel workbook gives the same departments, tasks
// and targets; the Word and Excel catalogs have golden files of their own.
func TestFormatsGiveTheSameCatalog(t *testing.T) {
	read := func(t *testing.T, name string, b []byte) *indicators.Catalog {
		t.Helper()
		doc, err := document.Read(name, b, document.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		c, warns := notice.ParseDocument(doc, notice.Options{})
		if name == "decomposition.docx" || name == "decomposition.xlsx" {
			checkGolden(t, "../testdata/notices/"+name+".golden.yaml", c, warns)
		}
		return c
	}
	file := func(name string) []byte {
		b, err := os.ReadFile("../testdata/notices/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := read(t, "decomposition-table.txt", file("decomposition-table.txt"))
	if len(want.Tasks) != 9 {
		t.Fatalf("the text form has %d tasks, want 9", len(want.Tasks))
	}
	for name, b := range map[string][]byte{
		"decomposition-page.html": file("decomposition-page.html"),
		"decomposition.docx":      decompositionDOCX(),
		"decomposition.xlsx":      decompositionXLSX(t),
	} {
		t.Run(name, func(t *testing.T) {
			got := read(t, name, b)
			if got.Plan.Year != 2025 || got.Plan.ID != "qingshan-2025" {
				t.Errorf("plan = %+v", got.Plan)
			}
			if !reflect.DeepEqual(got.Departments, want.Departments) {
				t.Errorf("departments\n got %v\nwant %v", got.Departments, want.Departments)
			}
			if !reflect.DeepEqual(got.Tasks, want.Tasks) {
				for i := range min(len(got.Tasks), len(want.Tasks)) {
					if !reflect.DeepEqual(got.Tasks[i], want.Tasks[i]) {
						t.Errorf("task %d\n got %+v\nwant %+v", i+1, got.Tasks[i], want.Tasks[i])
					}
				}
				t.Fatalf("%d tasks, want %d", len(got.Tasks), len(want.Tasks))
			}
		})
	}
}

// TestTheSeedNoticeInEveryFormat: the Changzhi notice saved as a web page (each line a
// paragraph, inside the page's furniture) and as a Word document gives the catalog its
// text gives.
func TestTheSeedNoticeInEveryFormat(t *testing.T) {
	b, err := os.ReadFile("../source/changzhi-2026.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	want, _ := notice.Parse(string(b), notice.Options{})
	var page strings.Builder
	page.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>长治市人民政府</title></head><body>` +
		`<div class="nav"><a>首页</a><a>政务公开</a></div><div class="position">当前位置：首页 &gt; 政府文件</div><div id="zoom">` + "\n")
	var paras []any
	for _, l := range lines {
		fmt.Fprintf(&page, "<p>%s</p>\n", html.EscapeString(l))
		paras = append(paras, l)
	}
	page.WriteString(`</div><div class="footer">版权所有：长治市人民政府办公室</div></body></html>`)
	for name, data := range map[string][]byte{
		"changzhi.html": []byte(page.String()),
		"changzhi.docx": docxtest.Doc{Blocks: paras}.Bytes(),
	} {
		t.Run(name, func(t *testing.T) {
			doc, err := document.Read(name, data, document.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got, warns := notice.ParseDocument(doc, notice.Options{})
			if !reflect.DeepEqual(got.Plan, want.Plan) || !reflect.DeepEqual(got.Departments, want.Departments) || !reflect.DeepEqual(got.Tasks, want.Tasks) {
				t.Fatalf("the catalog differs from the text's (warnings %v)", warns)
			}
		})
	}
}

// TestWordNumbering: a Word document whose numbers are Word's automatic numbering, with
// labelled paragraphs after each item.
func TestWordNumbering(t *testing.T) {
	doc := docxtest.Doc{Numbering: docxtest.ChineseList, Blocks: []any{
		"河清县2025年重点工作任务分工方案",
		docxtest.Para{Text: "扩大有效投资", NumID: 1, Ilvl: 0},
		docxtest.Para{Text: "全年新开工亿元以上项目30个。", NumID: 1, Ilvl: 2},
		"牵头单位：县发改局",
		"责任单位：县住建局、县自然资源局",
		docxtest.Para{Text: "保障改善民生", NumID: 1, Ilvl: 0},
		docxtest.Para{Text: "新增城镇就业2800人以上。", NumID: 1, Ilvl: 2},
		"牵头单位：县人社局",
	}}.Bytes()
	d, err := document.Read("plan.docx", doc, document.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	c, warns := notice.ParseDocument(d, notice.Options{})
	want := []string{"1 县发改局 ← 县住建局、县自然资源局", "2 县人社局"}
	if got := taskLines(c); !reflect.DeepEqual(got, want) || len(warns) > 0 {
		t.Fatalf("tasks %q, want %q (warnings %v)", got, want, warns)
	}
	if c.Plan.ID != "heqing-2025" {
		t.Fatalf("plan %+v", c.Plan)
	}
}

// soffice converts files with LibreOffice (headless, its own profile), as someone opening
// a file and saving it in another format does; it returns the converted files' bytes by
// name.
func soffice(t *testing.T, filter string, files map[string][]byte) map[string][]byte {
	t.Helper()
	bin := testenv.NeedBinary(t, "soffice")
	in, out, profile := t.TempDir(), t.TempDir(), t.TempDir()
	args := []string{"-env:UserInstallation=file://" + profile, "--headless", "--norestore", "--convert-to", filter, "--outdir", out}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, filepath.Join(in, name))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+profile)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, b)
	}
	got := map[string][]byte{}
	for name := range files {
		conv := strings.TrimSuffix(name, filepath.Ext(name)) + "." + strings.SplitN(filter, ":", 2)[0]
		b, err := os.ReadFile(filepath.Join(out, conv))
		if err != nil {
			t.Fatalf("soffice wrote no %s: %v", conv, err)
		}
		got[name] = b
	}
	return got
}

// TestOfficeRoundTrip: the decomposition sample opened and saved again by LibreOffice —
// the saved page saved as a Word document, the Word document and the workbook re-saved —
// still gives the text's departments and tasks: the readers take real Office files, not
// only the ones the tests write.
func TestOfficeRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("starts LibreOffice")
	}
	text, err := os.ReadFile("../testdata/notices/decomposition-table.txt")
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile("../testdata/notices/decomposition-page.html")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := notice.Parse(string(text), notice.Options{})
	saved := soffice(t, `docx:MS Word 2007 XML`, map[string][]byte{"page.html": page, "word.docx": decompositionDOCX()})
	for name, b := range soffice(t, `xlsx:Calc MS Excel 2007 XML`, map[string][]byte{"book.xlsx": decompositionXLSX(t)}) {
		saved[name] = b
	}
	for name, b := range saved {
		t.Run(name, func(t *testing.T) {
			doc, err := document.Read(name, b, document.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got, warns := notice.ParseDocument(doc, notice.Options{})
			if !reflect.DeepEqual(got.Departments, want.Departments) || !reflect.DeepEqual(got.Tasks, want.Tasks) {
				t.Fatalf("departments %v\ntasks %+v\nwant %v\n%+v\nwarnings %v", got.Departments, got.Tasks, want.Departments, want.Tasks, warns)
			}
		})
	}
}
