// Package docxtest writes minimal Word documents (.docx) for tests: paragraphs, Word's
// automatic numbering and tables with merged cells, as Word stores them.
package docxtest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
)

// Para is a paragraph. With NumID set it is numbered by Word's list NumID at level Ilvl
// (see Numbering); Style names a paragraph style.
type Para struct {
	Text        string
	NumID, Ilvl int
	Style       string
}

// Cell is a table cell. Text lines become paragraphs. Span is the columns it spans
// (gridSpan); VMerge is "restart" for the first cell of a vertical merge and "continue"
// for the cells below it.
type Cell struct {
	Text   string
	Span   int
	VMerge string
}

// Table is rows of cells.
type Table [][]Cell

// Doc is a document: its blocks (Para, string for a plain paragraph, Table) and the
// content of word/numbering.xml and word/styles.xml (without the root element), if any.
type Doc struct {
	Blocks    []any
	Numbering string
	Styles    string
}

// ChineseList is a numbering.xml body defining list 1 as "一、" at level 0, "(一)" at
// level 1 and "1." at level 2, and list 2 as "1." (decimal) at level 0.
const ChineseList = `<w:abstractNum w:abstractNumId="0">
<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="(%2)"/></w:lvl>
<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>
</w:abstractNum>
<w:abstractNum w:abstractNumId="1">
<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1"/></w:lvl>
</w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>`

const ns = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

func esc(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func para(p Para) string {
	var b strings.Builder
	b.WriteString("<w:p>")
	if p.NumID > 0 || p.Style != "" {
		b.WriteString("<w:pPr>")
		if p.Style != "" {
			fmt.Fprintf(&b, `<w:pStyle w:val="%s"/>`, esc(p.Style))
		}
		if p.NumID > 0 {
			fmt.Fprintf(&b, `<w:numPr><w:ilvl w:val="%d"/><w:numId w:val="%d"/></w:numPr>`, p.Ilvl, p.NumID)
		}
		b.WriteString("<w:rPr><w:b/></w:rPr></w:pPr>")
	}
	// a line break inside a paragraph is <w:br/>; runs split the text as Word does
	for i, line := range strings.Split(p.Text, "\n") {
		if i > 0 {
			b.WriteString("<w:r><w:br/></w:r>")
		}
		rs := []rune(line)
		for len(rs) > 0 {
			k := min(len(rs), 7)
			fmt.Fprintf(&b, `<w:r><w:rPr><w:rFonts w:hint="eastAsia"/></w:rPr><w:t xml:space="preserve">%s</w:t></w:r>`, esc(string(rs[:k])))
			rs = rs[k:]
		}
	}
	b.WriteString("</w:p>")
	return b.String()
}

func table(t Table) string {
	var b strings.Builder
	cols := 0
	for _, row := range t {
		n := 0
		for _, c := range row {
			n += max(c.Span, 1)
		}
		cols = max(cols, n)
	}
	const width = 1400 // twentieths of a point per grid column
	fmt.Fprintf(&b, `<w:tbl><w:tblPr><w:tblW w:w="%d" w:type="dxa"/><w:tblBorders><w:top w:val="single" w:sz="4"/><w:bottom w:val="single" w:sz="4"/><w:insideH w:val="single" w:sz="4"/><w:insideV w:val="single" w:sz="4"/></w:tblBorders></w:tblPr><w:tblGrid>`, cols*width)
	for i := 0; i < cols; i++ {
		fmt.Fprintf(&b, `<w:gridCol w:w="%d"/>`, width)
	}
	b.WriteString(`</w:tblGrid>`)
	for _, row := range t {
		b.WriteString("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
		for _, c := range row {
			b.WriteString("<w:tc><w:tcPr>")
			fmt.Fprintf(&b, `<w:tcW w:w="%d" w:type="dxa"/>`, width*max(c.Span, 1))
			if c.Span > 1 {
				fmt.Fprintf(&b, `<w:gridSpan w:val="%d"/>`, c.Span)
			}
			switch c.VMerge {
			case "restart":
				b.WriteString(`<w:vMerge w:val="restart"/>`)
			case "continue":
				b.WriteString(`<w:vMerge/>`)
			}
			b.WriteString("</w:tcPr>")
			lines := strings.Split(c.Text, "\n")
			if c.VMerge == "continue" {
				lines = []string{""}
			}
			for _, l := range lines {
				b.WriteString(para(Para{Text: l}))
			}
			b.WriteString("</w:tc>")
		}
		b.WriteString("</w:tr>")
	}
	b.WriteString("</w:tbl>")
	return b.String()
}

// Bytes returns the .docx file.
func (d Doc) Bytes() []byte {
	var body strings.Builder
	for _, bl := range d.Blocks {
		switch v := bl.(type) {
		case string:
			body.WriteString(para(Para{Text: v}))
		case Para:
			body.WriteString(para(v))
		case Table:
			body.WriteString(table(v))
		default:
			panic(fmt.Sprintf("docxtest: unknown block %T", bl))
		}
	}
	parts := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document ` + ns + `><w:body>` + body.String() + `<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>`,
	}
	if d.Numbering != "" {
		parts["word/numbering.xml"] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering ` + ns + `>` + d.Numbering + `</w:numbering>`
	}
	if d.Styles != "" {
		parts["word/styles.xml"] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles ` + ns + `>` + d.Styles + `</w:styles>`
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/numbering.xml", "word/styles.xml"} {
		s, ok := parts[name]
		if !ok {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write([]byte(s)); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
