package document_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/duban-gov/duban/indicators/document"
	"github.com/duban-gov/duban/indicators/document/docxtest"
)

// view shows a document one line per Line: "where: text" or "where: a | b | c".
func view(d *document.Document) []string {
	var out []string
	for _, l := range d.Lines {
		s := l.Text
		if l.IsRow() {
			s = strings.Join(l.Cells, " | ")
		}
		out = append(out, l.Pos.Where()+": "+strings.ReplaceAll(s, "\n", "⏎"))
	}
	return out
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHTML(t *testing.T) {
	cases := map[string]struct {
		page []byte
		want []string
	}{
		"paragraphs are lines and a br breaks one": {
			page: []byte("<html><body><p>一、扩大投资</p>\n<p>1.新增项目<br>20个。</p></body></html>"),
			want: []string{"1: 一、扩大投资", "2: 1.新增项目", "2: 20个。"},
		},
		"a line break between Chinese characters in the source adds nothing": {
			page: []byte("<p>新增城镇就业\n1.2万人，城镇调查\n失业率 5.5%</p>"),
			want: []string{"1: 新增城镇就业 1.2万人，城镇调查失业率 5.5%"},
		},
		"navigation, footer, sharing, hidden parts and chrome lines are dropped": {
			page: []byte(`<html><head><title>通知</title><script>var a="1.x";</script></head><body>
<div class="header">网站首页</div><nav><a>首页</a></nav><div class="location">当前位置：首页 &gt; 通知</div>
<div class="article-header"><h1>2025年重点任务清单</h1></div>
<div style="display: none">1.隐藏的内容</div>
<div class="TRS_Editor"><p>1.新增学位900个。</p></div>
<div class="bdshare_t">分享到</div><p>扫一扫在手机打开当前页</p><p>【打印本页】 【关闭窗口】</p>
<div id="footer">版权所有</div><p>晋ICP备12345号</p></body></html>`),
			want: []string{"3: 2025年重点任务清单", "5: 1.新增学位900个。"},
		},
		"a data table spreads rowspan down and colspan across": {
			page: []byte(`<table border="1">
<tr><td rowspan="2">序号</td><td rowspan="2">工作任务</td><td colspan="2">责任单位</td></tr>
<tr><td>牵头单位</td><td>配合单位</td></tr>
<tr><td>1</td><td>新增就业<br>1万人</td><td rowspan="2">县人社局</td><td>各乡镇</td></tr>
<tr><td>2</td><td>培训2000人</td><td></td></tr>
</table>`),
			want: []string{
				"table 1 row 1: 序号 | 工作任务 | 责任单位 | ",
				"table 1 row 2: 序号 | 工作任务 | 牵头单位 | 配合单位",
				"table 1 row 3: 1 | 新增就业⏎1万人 | 县人社局 | 各乡镇",
				"table 1 row 4: 2 | 培训2000人 | 县人社局 | ",
			},
		},
		"a layout table is read as the blocks it holds": {
			page: []byte(`<table><tr><td><p>2025年清单</p><table><tr><td>序号</td><td>任务</td></tr></table></td></tr></table>`),
			want: []string{"1: 2025年清单", "table 1 row 1: 序号 | 任务"},
		},
		"a GBK page with a meta charset is decoded": {
			page: append(gbk(t, `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body><p>新增城镇就业1.2万人。</p></body></html>`), '\n'),
			want: []string{"1: 新增城镇就业1.2万人。"},
		},
		"a GBK page without a charset is sniffed": {
			page: gbk(t, `<html><body><p>城乡居民人均可支配收入分别增长6%、6.5%。</p></body></html>`),
			want: []string{"1: 城乡居民人均可支配收入分别增长6%、6.5%。"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, err := document.Read("page.html", tc.page, document.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if d.Format != document.HTML {
				t.Fatalf("format %s", d.Format)
			}
			if got := view(d); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestDOCX(t *testing.T) {
	doc := docxtest.Doc{
		Numbering: docxtest.ChineseList,
		Blocks: []any{
			"2025年重点工作任务分解",
			docxtest.Para{Text: "扩大有效投资", NumID: 1, Ilvl: 0},
			docxtest.Para{Text: "新增项目20个。\n牵头单位:县发改局", NumID: 1, Ilvl: 2},
			docxtest.Para{Text: "重大项目", NumID: 1, Ilvl: 1},
			docxtest.Para{Text: "开工10个。", NumID: 1, Ilvl: 2},
			docxtest.Para{Text: "民生保障", NumID: 1, Ilvl: 0},
			docxtest.Para{Text: "新增学位900个。", NumID: 1, Ilvl: 2},
			docxtest.Table{
				{{Text: "序号"}, {Text: "工作任务"}, {Text: "责任单位", Span: 2}},
				{{Text: ""}, {Text: ""}, {Text: "牵头单位"}, {Text: "配合单位"}},
				{{Text: "1"}, {Text: "建成公园3个"}, {Text: "县住建局", VMerge: "restart"}, {Text: "县财政局\n各乡、镇人民政府"}},
				{{Text: "2"}, {Text: "改造小区5个"}, {VMerge: "continue"}, {Text: ""}},
			},
		},
	}
	d, err := document.Read("notice.docx", doc.Bytes(), document.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"paragraph 1: 2025年重点工作任务分解",
		"paragraph 2: 一、扩大有效投资",
		"paragraph 3: 1.新增项目20个。",
		"paragraph 3: 牵头单位:县发改局",
		"paragraph 4: (一)重大项目",
		"paragraph 5: 1.开工10个。",
		"paragraph 6: 二、民生保障",
		"paragraph 7: 1.新增学位900个。",
		"table 1 row 1: 序号 | 工作任务 | 责任单位 | ",
		"table 1 row 2:  |  | 牵头单位 | 配合单位",
		"table 1 row 3: 1 | 建成公园3个 | 县住建局 | 县财政局⏎各乡、镇人民政府",
		"table 1 row 4: 2 | 改造小区5个 | 县住建局 | ",
	}
	if got := view(d); !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestXLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "重点任务"))
	rows := [][]any{
		{"2025年重点任务分解表"},
		{"序号", "工作任务", "牵头单位", "完成时限"},
		{1, "新增就业1万人", "县人社局", "2025年12月"},
		{2, "培训2000人", nil, "2025年6月"},
	}
	for i, r := range rows {
		must(f.SetSheetRow("重点任务", "A"+string(rune('1'+i)), &r))
	}
	must(f.MergeCell("重点任务", "A1", "D1"))
	must(f.MergeCell("重点任务", "C3", "C4"))
	_, err := f.NewSheet("民生实事")
	must(err)
	must(f.SetSheetRow("民生实事", "A2", &[]any{"序号", "实事项目", "责任单位"}))
	_, err = f.NewSheet("隐藏")
	must(err)
	must(f.SetCellValue("隐藏", "A1", "不读"))
	must(f.SetSheetVisible("隐藏", false))
	var buf bytes.Buffer
	must(f.Write(&buf))
	// the extension lies: the content says it is a workbook
	d, err := document.Read("notice.docx", buf.Bytes(), document.Limits{})
	must(err)
	want := []string{
		"table 1 row 1 (sheet 重点任务): 2025年重点任务分解表",
		"table 1 row 2 (sheet 重点任务): 序号 | 工作任务 | 牵头单位 | 完成时限",
		"table 1 row 3 (sheet 重点任务): 1 | 新增就业1万人 | 县人社局 | 2025年12月",
		"table 1 row 4 (sheet 重点任务): 2 | 培训2000人 | 县人社局 | 2025年6月",
		"table 2 row 1 (sheet 民生实事): ",
		"table 2 row 2 (sheet 民生实事): 序号 | 实事项目 | 责任单位",
	}
	if got := view(d); !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSniffAndText(t *testing.T) {
	t.Run("a GB18030 text file is decoded", func(t *testing.T) {
		d, err := document.Read("notice.txt", gbk(t, "1.新增学位900个。\r\n牵头单位:县教育局"), document.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if got := view(d); !reflect.DeepEqual(got, []string{"1: 1.新增学位900个。", "2: 牵头单位:县教育局"}) {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("a page saved as .txt is read as HTML", func(t *testing.T) {
		d, err := document.Read("notice.txt", []byte("<!DOCTYPE html><html><body><p>甲</p></body></html>"), document.Limits{})
		if err != nil || d.Format != document.HTML {
			t.Fatalf("%v %v", d, err)
		}
	})
	unsupported := map[string][]byte{
		"a Word 97 file": append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...),
		"a PDF":          []byte("%PDF-1.7\n"),
	}
	for name, b := range unsupported {
		t.Run(name+" is refused with a hint", func(t *testing.T) {
			_, err := document.Read("notice.doc", b, document.Limits{})
			var ue *document.UnsupportedError
			if !errors.As(err, &ue) || ue.Hint == "" {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("a file over the limit is refused", func(t *testing.T) {
		_, err := document.Read("big.txt", make([]byte, 100), document.Limits{MaxBytes: 10})
		if !errors.Is(err, document.ErrTooLarge) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestMHTML(t *testing.T) {
	page := "<html><body><p>2025年重点任务清单</p><p>1.新增学位900个。(牵头单位:县教育局)</p></body></html>"
	qp := strings.ReplaceAll(page, "=", "=3D")
	archive := "From: <Saved by Blink>\r\nSnapshot-Content-Location: http://www.example.gov.cn/a.html\r\nSubject: =?utf-8?Q?x?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/related;\r\n\ttype=\"text/html\";\r\n\tboundary=\"----MultipartBoundary--abc----\"\r\n\r\n\r\n" +
		"------MultipartBoundary--abc----\r\nContent-Type: text/html\r\nContent-ID: <frame-1@mhtml.blink>\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		qp + "\r\n------MultipartBoundary--abc----\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n------MultipartBoundary--abc------\r\n"
	d, err := document.Read("page.mhtml", []byte(archive), document.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := view(d); !reflect.DeepEqual(got, []string{"1: 2025年重点任务清单", "1: 1.新增学位900个。(牵头单位:县教育局)"}) || d.Format != document.HTML {
		t.Fatalf("got %q (%s)", got, d.Format)
	}
}
