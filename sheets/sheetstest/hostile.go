// Package sheetstest builds hostile workbooks for the tests of every reader of uploaded
// .xlsx files: small files (at most 1 MiB, the collector's default body limit) made to
// exhaust the memory or the time of a reader that does the work before it bounds it.
// Each workbook is assembled zip entry by zip entry, so nothing excelize would refuse to
// write is out of reach.
package sheetstest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strings"
)

// MaxBody is the size every hostile workbook stays within (the default body limit).
const MaxBody = 1 << 20

// Case is one hostile workbook and what a bounded reader answers to it.
type Case struct {
	Name string
	Data []byte
	// Code is the error code a bounded decoder answers (sheets.Error.Code).
	Code string
	// TooLarge says the answer is 413 (a limit was reached) rather than 400 (malformed).
	TooLarge bool
}

// Part is one zip entry: a name and a function writing its content, or (Repeated)
// a content made of one unit repeated many times.
type Part struct {
	Name  string
	Write func(w *bufio.Writer) // w keeps its first error; Zip checks it when it flushes
	rep   *repeated
}

type repeated struct {
	prefix, unit, suffix string
	n                    int
}

// Repeated is a part whose content is prefix, then unit n times, then suffix. It is
// deflated once per 256 KiB and the compressed block is repeated, so a gigabyte of
// content takes milliseconds to build (and compresses about 1000:1, as deflate allows).
func Repeated(name, prefix, unit string, n int, suffix string) Part {
	return Part{Name: name, rep: &repeated{prefix: prefix, unit: unit, suffix: suffix, n: n}}
}

// Static is a part with fixed content.
func Static(name, content string) Part {
	return Part{Name: name, Write: func(w *bufio.Writer) { io.WriteString(w, content) }}
}

// Zip assembles parts into a zip archive at the best deflate compression.
func Zip(parts ...Part) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	for _, p := range parts {
		if p.rep != nil {
			comp, crc, size := p.rep.deflate()
			w, err := zw.CreateRaw(&zip.FileHeader{Name: p.Name, Method: zip.Deflate, CRC32: crc,
				CompressedSize64: uint64(len(comp)), UncompressedSize64: size})
			if err != nil {
				panic(err)
			}
			if _, err := w.Write(comp); err != nil {
				panic(err)
			}
			continue
		}
		w, err := zw.Create(p.Name)
		if err != nil {
			panic(err)
		}
		bw := bufio.NewWriterSize(w, 64<<10)
		p.Write(bw)
		if err := bw.Flush(); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

const (
	contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`
	rootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	nsMain = `http://schemas.openxmlformats.org/spreadsheetml/2006/main`
	nsRel  = `http://schemas.openxmlformats.org/officeDocument/2006/relationships`
)

// Header is the header row every hostile sheet starts with, so that a decoder takes the
// sheet for a filled template and reads on (A1 指标编号, B1 填报期间, C1 本期数值).
const Header = `<row r="1"><c r="A1" t="inlineStr"><is><t>指标编号</t></is></c><c r="B1" t="inlineStr"><is><t>填报期间</t></is></c><c r="C1" t="inlineStr"><is><t>本期数值</t></is></c></row>`

// Workbook builds a workbook whose sheets (named S1, S2, …) are the given parts (their
// names are set to xl/worksheets/sheetN.xml), plus extra parts (a sharedStrings.xml or
// styles.xml, media).
func Workbook(sheets []Part, extra ...Part) []byte {
	var wb, rels strings.Builder
	wb.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><sheets>`)
	rels.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	parts := []Part{Static("[Content_Types].xml", contentTypes), Static("_rels/.rels", rootRels)}
	for i, p := range sheets {
		fmt.Fprintf(&wb, `<sheet name="S%d" sheetId="%d" r:id="rId%d"/>`, i+1, i+1, i+1)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="%s/worksheet" Target="worksheets/sheet%d.xml"/>`, i+1, nsRel, i+1)
		p.Name = fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)
		parts = append(parts, p)
	}
	wb.WriteString(`</sheets></workbook>`)
	rels.WriteString(`</Relationships>`)
	parts = append(parts, Static("xl/workbook.xml", wb.String()), Static("xl/_rels/workbook.xml.rels", rels.String()))
	return Zip(append(parts, extra...)...)
}

const (
	worksheetOpen  = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="` + nsMain + `" xmlns:r="` + nsRel + `">`
	worksheetClose = `</worksheet>`
)

// Sheet is a worksheet part written by body (between <worksheet> and </worksheet>).
func Sheet(body func(w *bufio.Writer)) Part {
	return Part{Write: func(w *bufio.Writer) {
		io.WriteString(w, worksheetOpen)
		body(w)
		io.WriteString(w, worksheetClose)
	}}
}

// Rows is a worksheet whose sheetData holds the header row and then what rows writes.
func Rows(rows func(w *bufio.Writer)) Part {
	return Sheet(func(w *bufio.Writer) {
		io.WriteString(w, `<sheetData>`+Header)
		rows(w)
		io.WriteString(w, `</sheetData>`)
	})
}

// RepeatedRows is a worksheet holding the header row and then unit n times.
func RepeatedRows(unit string, n int) Part {
	return Repeated("", worksheetOpen+`<sheetData>`+Header, unit, n, `</sheetData>`+worksheetClose)
}

// Repeat writes s n times.
func Repeat(w *bufio.Writer, s string, n int) {
	for range n {
		io.WriteString(w, s)
	}
}

func sst(unit string, n int, suffix string) Part {
	return Repeated("xl/sharedStrings.xml", `<sst xmlns="`+nsMain+`" count="99999999" uniqueCount="99999999">`, unit, n, suffix)
}

func oneRow(cell string) Part {
	return Rows(func(w *bufio.Writer) { io.WriteString(w, `<row r="2">`+cell+`</row>`) })
}

// Hostile returns the worst workbooks we know how to make, each at most MaxBody bytes.
func Hostile() []Case {
	cases := slices.Concat(overLimits(), overStructureLimits(), withinUnzipped(), atLimits())
	for _, c := range cases {
		if len(c.Data) > MaxBody {
			panic(fmt.Sprintf("sheetstest: %q is %d bytes, over %d", c.Name, len(c.Data), MaxBody))
		}
	}
	return cases
}

// overLimits are workbooks far over a limit of rows, cells, strings or formats: what a
// reader must refuse before it works.
func overLimits() []Case {
	empty := Rows(func(*bufio.Writer) {})
	return []Case{
		{
			// One cell far to the right (column XFD, the last) on every row: a reader that
			// makes a slice per row as wide as its last column allocates 16384 strings per
			// row, and one that keeps the rows keeps them all.
			Name: "every row holds one cell in column XFD", Code: "sheet_too_large", TooLarge: true,
			Data: Workbook([]Part{Rows(func(w *bufio.Writer) {
				for r := 2; r <= 100000; r++ {
					fmt.Fprintf(w, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
				}
			})}),
		},
		{
			Name: "nine million rows without numbers, each with a value in column XFD", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{RepeatedRows(`<row><c r="XFD2"><v>1</v></c></row>`, 9_000_000)}),
		},
		{
			// The sheet claims the whole grid: a dimension, column widths, a merge and
			// data validation over A1:XFD1048576, and one value in the last cell.
			Name: "the sheet claims 1048576 rows by 16384 columns", Code: "sheet_too_large", TooLarge: true,
			Data: Workbook([]Part{Sheet(func(w *bufio.Writer) {
				io.WriteString(w, `<dimension ref="A1:XFD1048576"/><sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="16384" width="9" customWidth="1"/></cols><sheetData>`+Header+
					`<row r="1048576" spans="1:16384"><c r="XFD1048576"><v>1</v></c></row></sheetData><mergeCells count="1"><mergeCell ref="A2:XFD1048575"/></mergeCells>`+
					`<dataValidations count="1"><dataValidation type="decimal" sqref="A1:XFD1048576"><formula1>0</formula1></dataValidation></dataValidations>`)
			})}),
		},
		{
			Name: "the last 100000 rows of the grid, each with a value", Code: "sheet_too_large", TooLarge: true,
			Data: Workbook([]Part{Rows(func(w *bufio.Writer) {
				for r := 1048576 - 100000; r <= 1048576; r++ {
					fmt.Fprintf(w, `<row r="%d"><c r="A%d"><v>1</v></c></row>`, r, r)
				}
			})}),
		},
		{
			// Cells without references, all within the first columns: width is no
			// problem, their number is.
			Name: "ten million cells in range", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{RepeatedRows(`<row>`+strings.Repeat(`<c><v>1</v></c>`, 20)+`</row>`, 500_000)}),
		},
		{
			Name: "twenty million shared strings", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{oneRow(`<c r="A2" t="s"><v>0</v></c>`)}, sst(`<si><t>a</t></si>`, 20_000_000, `</sst>`)),
		},
		{
			Name: "shared strings of empty items just under the unzipped limit", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{empty}, sst(`<si/>`, 1_600_000, `</sst>`)),
		},
		{
			Name: "one shared string of a gigabyte", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{empty}, sst(`aaaaaaaaaaaaaaaa`, 60_000_000, `</t></si></sst>`)),
		},
		{
			Name: "a style sheet with twenty million cell formats", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{empty}, Repeated("xl/styles.xml", `<styleSheet xmlns="`+nsMain+`"><cellXfs count="1">`, `<xf numFmtId="10"/>`, 20_000_000, `</cellXfs></styleSheet>`)),
		},
	}
}

// overStructureLimits are workbooks over a limit of their structure: sheets, XML
// nesting and attributes, zip entries and what they unzip to.
func overStructureLimits() []Case {
	empty := Rows(func(*bufio.Writer) {})
	return []Case{
		{
			// Every <sheet> of the workbook points at the same worksheet part.
			Name: "50000 sheets sharing one worksheet", Code: "too_many_sheets", TooLarge: true,
			Data: manySheets(50000),
		},
		{
			Name: "300 sheets each with its own worksheet", Code: "too_many_sheets", TooLarge: true,
			Data: Workbook(repeatSheets(300, oneRow(`<c r="A2" t="inlineStr"><is><t>57.1</t></is></c>`))),
		},
		{
			Name: "XML nested ten million levels deep in the worksheet", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{Repeated("", worksheetOpen+`<sheetData>`+Header+`<row r="2"><c r="A2" t="inlineStr"><is>`, `<r>`, 10_000_000, ``)}),
		},
		{
			Name: "XML nested ten million levels deep in the shared strings", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{empty}, sst(`<a>`, 10_000_000, ``)),
		},
		{
			Name: "one start tag with a hundred million attributes", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{Repeated("", worksheetOpen+`<sheetData>`+Header+`<row r="2"`, ` a=""`, 100_000_000, `><c r="A2"><v>1</v></c></row></sheetData>`+worksheetClose)}),
		},
		{
			Name: "a zip entry of 950 MB of zeros", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{empty}, Repeated("xl/media/image1.png", "", "\x00", 950_000_000, "")),
		},
		{
			Name: "a worksheet of 950 MB of whitespace", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{Repeated("", worksheetOpen+`<sheetData>`+Header, " ", 950_000_000, `</sheetData>`+worksheetClose)}),
		},
		{
			Name: "a worksheet that says it unzips to 100 bytes and holds 400 MB", Code: "invalid_xlsx",
			Data: lyingSizes(),
		},
		{
			Name: "a number format of 200000 digits on every cell", Code: "invalid_xlsx",
			Data: Workbook([]Part{Rows(func(w *bufio.Writer) {
				for r := 2; r <= 5000; r++ {
					fmt.Fprintf(w, `<row r="%d"><c r="A%d" s="1"><v>1</v></c><c r="B%d" s="1"><v>1</v></c><c r="C%d" s="1"><v>1</v></c></row>`, r, r, r, r)
				}
			})}, Static("xl/styles.xml", `<styleSheet xmlns="`+nsMain+`"><numFmts count="1"><numFmt numFmtId="200" formatCode="`+strings.Repeat("0", 200000)+`"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="200" applyNumberFormat="1"/></cellXfs></styleSheet>`)),
		},
	}
}

// withinUnzipped are within the unzipped limit (8 MiB), so that the other limits are what
// stops them.
func withinUnzipped() []Case {
	empty := Rows(func(*bufio.Writer) {})
	return []Case{
		{
			Name: "XML nested 2.6 million levels deep", Code: "invalid_xlsx",
			Data: Workbook([]Part{Repeated("", worksheetOpen+`<sheetData>`+Header+`<row r="2"><c r="A2" t="inlineStr"><is>`, `<r>`, 2_600_000, ``)}),
		},
		{
			Name: "one start tag with 1.6 million attributes", Code: "invalid_xlsx",
			Data: Workbook([]Part{Repeated("", worksheetOpen+`<sheetData>`+Header+`<row r="2"`, ` a=""`, 1_600_000, `><c r="A2"><v>1</v></c></row></sheetData>`+worksheetClose)}),
		},
		{
			Name: "480000 shared strings", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{empty}, sst(`<si><t>a</t></si>`, 480_000, `</sst>`)),
		},
		{
			Name: "1001 zip entries", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{empty}, media(1001)...),
		},
		{
			Name: "a cell with content beyond column CV", Code: "sheet_too_large", TooLarge: true,
			Data: Workbook([]Part{oneRow(`<c r="CW2"><v>1</v></c>`)}),
		},
		{
			Name: "a cell with content below row 5010", Code: "sheet_too_large", TooLarge: true,
			Data: Workbook([]Part{Rows(func(w *bufio.Writer) {
				io.WriteString(w, `<row r="5011"><c r="A5011" t="inlineStr"><is><t>57.1</t></is></c></row>`)
			})}),
		},
		{
			Name: "200001 empty cells", Code: "sheet_too_large", TooLarge: true,
			Data: Workbook([]Part{RepeatedRows(`<row><c s="0"/></row>`, 200_001)}),
		},
		{
			Name: "a thousand and one number formats", Code: "invalid_xlsx",
			Data: Workbook([]Part{empty}, Repeated("xl/styles.xml", `<styleSheet xmlns="`+nsMain+`"><numFmts>`, `<numFmt numFmtId="200" formatCode="0.00%"/>`, 1001, `</numFmts></styleSheet>`)),
		},
	}
}

// atLimits are at the limits: the scan lets them through and the decoder does all the
// work it allows, streaming, and finds no filled row.
func atLimits() []Case {
	empty := Rows(func(*bufio.Writer) {})
	return []Case{
		{
			Name: "99000 shared strings of 20 characters", Code: "empty_upload",
			Data: Workbook([]Part{oneRow(`<c r="D2" t="s"><v>98999</v></c>`)}, sst(`<si><t>`+strings.Repeat("统计", 10)+`</t></si>`, 99_000, `</sst>`)),
		},
		{
			Name: "one shared string of 8 MB", Code: "empty_upload",
			Data: Workbook([]Part{oneRow(`<c r="D2" t="s"><v>0</v></c>`)}, Repeated("xl/sharedStrings.xml", `<sst xmlns="`+nsMain+`"><si><t>`, strings.Repeat("a", 1000), 8_300, `</t></si></sst>`)),
		},
		{
			Name: "19900 cell formats", Code: "empty_upload",
			Data: Workbook([]Part{oneRow(`<c r="D2" s="19898"><v>1</v></c>`)}, Repeated("xl/styles.xml", `<styleSheet xmlns="`+nsMain+`"><cellXfs>`, `<xf numFmtId="10"/>`, 19_900, `</cellXfs></styleSheet>`)),
		},
		{
			Name: "150000 filled cells under a thousand number formats of 255 characters", Code: "empty_upload",
			Data: Workbook([]Part{Rows(func(w *bufio.Writer) {
				for r := 2; r <= 3001; r++ {
					fmt.Fprintf(w, `<row r="%d">`, r)
					for c := 4; c < 54; c++ {
						fmt.Fprintf(w, `<c r="%s%d" s="%d"><v>0.%d</v></c>`, column(c), r, 1+(r*50+c)%1000, r)
					}
					io.WriteString(w, `</row>`)
				}
			})}, Part{Name: "xl/styles.xml", Write: func(w *bufio.Writer) {
				io.WriteString(w, `<styleSheet xmlns="`+nsMain+`"><numFmts count="1000">`)
				for i := range 1000 {
					fmt.Fprintf(w, `<numFmt numFmtId="%d" formatCode="%s"/>`, 200+i, `0.00%;[Red]-0.00%;&quot;`+strings.Repeat("零", 230)+`&quot;;@`)
				}
				io.WriteString(w, `</numFmts><cellXfs count="1001"><xf numFmtId="0"/>`)
				for i := range 1000 {
					fmt.Fprintf(w, `<xf numFmtId="%d" applyNumberFormat="1"/>`, 200+i)
				}
				io.WriteString(w, `</cellXfs></styleSheet>`)
			}}),
		},
		{
			Name: "32 sheets of 5700 cells", Code: "empty_upload",
			Data: Workbook(repeatSheets(32, RepeatedRows(`<row><c/><c/><c/>`+strings.Repeat(`<c t="inlineStr"><is><t>x</t></is></c>`, 3)+`<c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c><v>1</v></c></row>`, 300))),
		},
		{
			Name: "199000 entries in the calculation chain", Code: "empty_upload",
			Data: Workbook([]Part{empty}, Repeated("xl/calcChain.xml", `<calcChain xmlns="`+nsMain+`">`, `<c r="A1" i="1"/>`, 199_000, `</calcChain>`)),
		},
		{
			Name: "19900 overrides in the content types", Code: "empty_upload",
			Data: Workbook([]Part{empty}, Repeated("[Content_Types].xml", contentTypes[:strings.Index(contentTypes, "</Types>")], `<Override PartName="/xl/x.xml" ContentType="application/xml"/>`, 19_900, `</Types>`)),
		},
		{
			Name: "19900 relationships of the workbook", Code: "empty_upload",
			Data: Workbook([]Part{empty}, Repeated("xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="`+nsRel+`/worksheet" Target="worksheets/sheet1.xml"/>`, `<Relationship Id="rIdX" Type="`+nsRel+`/hyperlink" Target="http://example.invalid/"/>`, 19_900, `</Relationships>`)),
		},
		{
			Name: "20001 cell formats", Code: "xlsx_too_large", TooLarge: true,
			Data: Workbook([]Part{empty}, Repeated("xl/styles.xml", `<styleSheet xmlns="`+nsMain+`"><cellXfs>`, `<xf numFmtId="10"/>`, 20_001, `</cellXfs></styleSheet>`)),
		},
		{
			Name: "1000 zip entries", Code: "empty_upload",
			Data: Workbook([]Part{empty}, media(1000-6)...),
		},
	}
}

// column is the letter of 1-based column c (up to ZZ).
func column(c int) string {
	if c <= 26 {
		return string(rune('A' + c - 1))
	}
	return string(rune('A'+(c-1)/26-1)) + string(rune('A'+(c-1)%26))
}

// media is n small image parts.
func media(n int) []Part {
	out := make([]Part, n)
	for i := range out {
		out[i] = Static(fmt.Sprintf("xl/media/image%d.png", i+1), "\x89PNG")
	}
	return out
}

func repeatSheets(n int, p Part) []Part {
	out := make([]Part, n)
	for i := range out {
		out[i] = p
	}
	return out
}

// manySheets lists n sheets in the workbook, all pointing at one worksheet part.
func manySheets(n int) []byte {
	wb := Part{Name: "xl/workbook.xml", Write: func(w *bufio.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="`+nsMain+`" xmlns:r="`+nsRel+`"><sheets>`)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(w, `<sheet name="S%d" sheetId="%d" r:id="rId1"/>`, i, i)
		}
		io.WriteString(w, `</sheets></workbook>`)
	}}
	rels := Static("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="`+nsRel+`/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	sheet := Rows(func(w *bufio.Writer) {
		for r := 2; r <= 2000; r++ {
			fmt.Fprintf(w, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>57.1</t></is></c><c r="B%d" t="inlineStr"><is><t>2026-03</t></is></c></row>`, r, r, r)
		}
	})
	sheet.Name = "xl/worksheets/sheet1.xml"
	return Zip(Static("[Content_Types].xml", contentTypes), Static("_rels/.rels", rootRels), wb, rels, sheet)
}

// lyingSizes is a workbook whose worksheet entry says it unzips to 100 bytes while it
// holds 400 MB.
func lyingSizes() []byte {
	data := Workbook([]Part{RepeatedRows(`<row><c><v>1</v></c></row>`, 15_000_000)})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		panic(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		h := f.FileHeader
		raw, err := f.OpenRaw()
		if err != nil {
			panic(err)
		}
		if strings.HasPrefix(h.Name, "xl/worksheets/") {
			h.UncompressedSize64 = 100
		}
		w, err := zw.CreateRaw(&h)
		if err != nil {
			panic(err)
		}
		if _, err := io.Copy(w, raw); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return out.Bytes()
}

// deflate compresses r: the first chunk of units with a fresh compressor, then one chunk
// compressed against the previous 32 KiB (the same bytes every time, since a chunk is a
// whole number of units) whose output, ending on a sync flush, is repeated; then the
// remaining units and the suffix.
func (r *repeated) deflate() (comp []byte, crc uint32, size uint64) {
	const window = 32 << 10
	k := max(1, (256<<10)/len(r.unit))
	chunk := []byte(strings.Repeat(r.unit, k))
	var out bytes.Buffer
	sum := crc32.NewIEEE()
	plain := func(b []byte) {
		sum.Write(b)
		size += uint64(len(b))
	}
	// Writes into memory fail only on a bug here: panic, as Zip does.
	must := func(_ int, err error) {
		if err != nil {
			panic(err)
		}
	}
	if r.n < 2*k || len(chunk) < window {
		fw, _ := flate.NewWriter(&out, flate.BestCompression) // errors only for a bad level
		for _, b := range [][]byte{[]byte(r.prefix), []byte(strings.Repeat(r.unit, r.n)), []byte(r.suffix)} {
			must(fw.Write(b))
			plain(b)
		}
		must(0, fw.Close())
		return out.Bytes(), sum.Sum32(), size
	}
	fw, _ := flate.NewWriter(&out, flate.BestCompression) // errors only for a bad level
	must(fw.Write([]byte(r.prefix)))
	must(fw.Write(chunk))
	must(0, fw.Flush())
	plain([]byte(r.prefix))
	plain(chunk)
	dict := chunk[len(chunk)-window:]
	var mid bytes.Buffer
	mw, _ := flate.NewWriterDict(&mid, flate.BestCompression, dict) // errors only for a bad level
	must(mw.Write(chunk))
	must(0, mw.Flush())
	done := k
	for ; done+k <= r.n; done += k {
		out.Write(mid.Bytes())
		plain(chunk)
	}
	tw, _ := flate.NewWriterDict(&out, flate.BestCompression, dict) // errors only for a bad level
	rest := []byte(strings.Repeat(r.unit, r.n-done))
	must(tw.Write(rest))
	must(tw.Write([]byte(r.suffix)))
	must(0, tw.Close())
	plain(rest)
	plain([]byte(r.suffix))
	return out.Bytes(), sum.Sum32(), size
}
