package document_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/duban-gov/duban/indicators/document"
	"github.com/duban-gov/duban/indicators/document/docxtest"
)

// checkDoc is what every document must satisfy, whatever the input: positions name one
// place each, rows have cells and lines text.
func checkDoc(t *testing.T, d *document.Document) {
	t.Helper()
	for _, l := range d.Lines {
		p := l.Pos
		if p.Line < 0 || p.Paragraph < 0 || p.Table < 0 || p.Row < 0 {
			t.Fatalf("negative position %+v", p)
		}
		if l.IsRow() != (p.Table > 0) {
			t.Fatalf("line %+v: a row must name its table and only a row", l)
		}
		if !l.IsRow() && strings.TrimSpace(l.Text) == "" {
			t.Fatalf("an empty line at %s", p.Where())
		}
	}
}

// FuzzReadHTML: any page reads without panic within its limits.
func FuzzReadHTML(f *testing.F) {
	if b, err := os.ReadFile("../testdata/notices/decomposition-page.html"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"", "<html>", "<table><tr><td rowspan=0 colspan=1000>x</td></tr></table>",
		"<table><tr><td rowspan=65534>a<td colspan=999>b</table><table><tr><td><table><tr><td>c",
		"<p>1.新增<br>学位</p><pre>a\nb</pre><nav>x</nav><div class=footer>y</div>",
		"<meta charset=gbk><p>\xc4\xe3\xba\xc3</p>", "\xef\xbb\xbf<p>bom</p>", "<div style='display:none'>h</div>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		lim := document.Limits{MaxRows: 200, MaxCells: 5000}
		d, err := document.ReadHTML(page, lim)
		if err != nil {
			if !errors.Is(err, document.ErrTooLarge) && !strings.HasPrefix(err.Error(), "html:") {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		checkDoc(t, d)
		for _, l := range d.Lines {
			if l.IsRow() && len(l.Cells) > 5000 {
				t.Fatalf("a row of %d cells over the limit", len(l.Cells))
			}
		}
	})
}

// docxWith wraps a document.xml body into an otherwise valid .docx.
func docxWith(t testing.TB, documentXML []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(documentXML); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzReadDOCX: any word/document.xml, and any bytes taken for a .docx, read without
// panic within the limits.
func FuzzReadDOCX(f *testing.F) {
	seed := docxtest.Doc{Numbering: docxtest.ChineseList, Blocks: []any{
		docxtest.Para{Text: "扩大投资", NumID: 1},
		docxtest.Para{Text: "新增项目20个", NumID: 1, Ilvl: 2},
		docxtest.Table{{{Text: "序号"}, {Text: "任务", Span: 2}}, {{Text: "1", VMerge: "restart"}, {Text: "a\nb"}, {Text: "c"}}, {{VMerge: "continue"}, {Text: "d"}, {Text: "e"}}},
	}}.Bytes()
	f.Add(seed, false)
	zr, _ := zip.NewReader(bytes.NewReader(seed), int64(len(seed)))
	for _, zf := range zr.File {
		if zf.Name == "word/document.xml" {
			rc, _ := zf.Open()
			b, _ := io.ReadAll(rc)
			f.Add(b, true)
		}
	}
	for _, s := range []string{
		"", "<w:document><w:body><w:p><w:r><w:t>x</w:t></w:r></w:p></w:body></w:document>",
		"<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val='99999'/><w:vMerge/></w:tcPr><w:p/></w:tc></w:tr></w:tbl>",
		"<w:tbl><w:tbl><w:tr><w:tc><w:p><w:r><w:t>n</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tbl>",
		strings.Repeat("<a>", 2000), "<w:p><w:pPr><w:numPr><w:ilvl w:val='99'/><w:numId w:val='1'/></w:numPr></w:pPr></w:p>",
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, asXML bool) {
		if asXML {
			data = docxWith(t, data)
		}
		d, err := document.ReadDOCX(data, document.Limits{MaxRows: 200, MaxCells: 5000, MaxXMLBytes: 1 << 20})
		if err != nil {
			return
		}
		checkDoc(t, d)
	})
}

// rawZip writes a zip whose only part is name, deflated from r, with the header claiming
// the sizes given (a zip bomb claims little).
func rawZip(t *testing.T, name string, r io.Reader, claim uint64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	h := crc32.NewIEEE()
	n, err := io.Copy(io.MultiWriter(fw, h), r)
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	if claim == 0 {
		claim = uint64(n)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: h.Sum32(), CompressedSize64: uint64(comp.Len()), UncompressedSize64: claim})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(comp.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type repeat struct {
	s    string
	left int64
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		k := copy(p[n:], r.s)
		n += k
		r.left -= int64(k)
	}
	return n, nil
}

// TestHostileZips: a zip bomb, a part that lies about its size (archive/zip stops at the
// size claimed) and elements nested without end are refused having read no more than the
// limit.
func TestHostileZips(t *testing.T) {
	lim := document.Limits{MaxXMLBytes: 4 << 20}
	open := `<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>`
	cases := map[string]struct {
		data     []byte
		tooLarge bool
	}{
		"a bomb that says its size": {rawZip(t, "word/document.xml", io.MultiReader(strings.NewReader(open), &repeat{s: "扩大投资", left: 200 << 20}), 0), true},
		"a bomb that lies":          {rawZip(t, "word/document.xml", io.MultiReader(strings.NewReader(open), &repeat{s: "扩大投资", left: 200 << 20}), 1000), false},
		"elements nested deeply":    {rawZip(t, "word/document.xml", &repeat{s: "<w:p>", left: 2 << 20}, 0), true},
	}
	for name, tc := range cases {
		data := tc.data
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := document.Read("bomb.docx", data, lim)
			runtime.ReadMemStats(&after)
			if err == nil || tc.tooLarge && !errors.Is(err, document.ErrTooLarge) {
				t.Fatalf("err = %v, want a refusal (ErrTooLarge: %v)", err, tc.tooLarge)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Fatalf("allocated %d MiB reading a %d KiB file", alloc>>20, len(data)>>10)
			}
		})
	}
}
