// Package document reads a published notice from the file people have — plain text, a web
// page as saved by a browser, a Word document (.docx) or an Excel workbook (.xlsx) — into
// one model: the lines of the text in reading order, table rows among them as cells, each
// with the place it came from so that a warning can name it.
//
// What each reader keeps:
//   - text: every line as it is (UTF-8, or GB18030 when the bytes are not UTF-8);
//   - HTML (and a page saved as one .mht/.mhtml file, whose HTML part is read; lines then
//     name lines of that part): paragraphs and other blocks as lines (<br> breaks a line), data tables as rows
//     of cells with colspan/rowspan spread over the grid (a row-spanning cell's text is
//     carried to every row it spans, a column-spanning cell's text stays in its first
//     column); tables used for page layout (a table holding tables, or one column) are read
//     as the blocks they hold. The page's own chrome is dropped: <nav>, <header>, <footer>,
//     <aside>, scripts and forms' controls, elements whose class or id names navigation,
//     breadcrumbs, sharing, QR codes or the footer, hidden elements, and lines such as
//     扫一扫在手机打开当前页, 文件下载, 打印本页, 上一篇. The encoding comes from the BOM, a
//     <meta charset> or http-equiv; without one, bytes that are not UTF-8 are read as
//     GB18030 (which covers GBK and GB2312).
//   - .docx: the paragraphs and tables of word/document.xml, with Word's automatic
//     numbering written out ("1.", "(一)") as the reader sees it; vMerge and gridSpan
//     merged cells handled like rowspan and colspan; deleted revisions and field codes
//     skipped.
//   - .xlsx: every visible sheet as one table, rows by their spreadsheet number, cells as
//     Excel shows them; a merged range's value carried down the rows it spans.
//
// Reading is bounded whatever the file claims: the file size, the uncompressed size of
// each part read from a zip, and the number of rows and cells (Limits).
package document

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Format is the kind of file a document was read from.
type Format string

// The formats a document is read from.
const (
	Text Format = "text"
	HTML Format = "html"
	DOCX Format = "docx"
	XLSX Format = "xlsx"
)

// Document is a notice as read from a file.
type Document struct {
	Format Format
	Lines  []Line
}

// Line is one line of text or one table row.
type Line struct {
	Text  string   // the line of text; "" for a table row
	Cells []string // a table row's cells (merged cells carried); nil for a line of text
	Pos   Pos
}

// IsRow reports whether the line is a table row.
func (l Line) IsRow() bool { return l.Cells != nil }

// Pos is where a line came from. Exactly one of Line, Paragraph and Table is set
// (none for the whole document).
type Pos struct {
	Line      int    `json:"line"`                // 1-based line of a text file or of an HTML page's source
	Paragraph int    `json:"paragraph,omitempty"` // 1-based paragraph of a Word document's body
	Table     int    `json:"table,omitempty"`     // 1-based table (or sheet) of the document
	Row       int    `json:"row,omitempty"`       // 1-based row of the table; a sheet's row number
	Sheet     string `json:"sheet,omitempty"`     // the sheet of an Excel workbook
}

// IsZero reports whether the position names nothing (the whole document).
func (p Pos) IsZero() bool { return p == Pos{} }

// Where is the position as a person looks it up: "12" (a line), "paragraph 3",
// "table 2 row 5", "table 1 row 7 (sheet 重点任务)"; "" for the whole document.
// Printed after the file name and a colon: notice.html:12, notice.xlsx:table 1 row 7….
func (p Pos) Where() string {
	switch {
	case p.Table > 0:
		s := "table " + strconv.Itoa(p.Table) + " row " + strconv.Itoa(p.Row)
		if p.Sheet != "" {
			s += " (sheet " + p.Sheet + ")"
		}
		return s
	case p.Paragraph > 0:
		return "paragraph " + strconv.Itoa(p.Paragraph)
	case p.Line > 0:
		return strconv.Itoa(p.Line)
	}
	return ""
}

// String is Where with "line " before a bare line number.
func (p Pos) String() string {
	if p.Table == 0 && p.Paragraph == 0 && p.Line > 0 {
		return "line " + strconv.Itoa(p.Line)
	}
	return p.Where()
}

// Limits bound what a reader takes in. Zero fields take the defaults.
type Limits struct {
	MaxBytes    int64 // the file (default 64 MiB)
	MaxXMLBytes int64 // one uncompressed part of a .docx or .xlsx (default 64 MiB)
	MaxRows     int   // rows of one table or sheet (default 20,000)
	MaxCells    int   // cells of one table after spreading merged cells (default 1,000,000)
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 64 << 20
	}
	if l.MaxXMLBytes <= 0 {
		l.MaxXMLBytes = 64 << 20
	}
	if l.MaxRows <= 0 {
		l.MaxRows = 20000
	}
	if l.MaxCells <= 0 {
		l.MaxCells = 1000000
	}
	return l
}

// ErrTooLarge is wrapped by the errors of a file, part or table over its limit.
var ErrTooLarge = errors.New("too large")

// UnsupportedError says that a file is of a kind the readers do not take, and what to do.
type UnsupportedError struct {
	Name, Kind, Hint string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s is %s, which duban does not read: %s", e.Name, e.Kind, e.Hint)
}

// Read reads a file by its content, the extension deciding only what the content leaves
// open: a zip holding word/document.xml is a Word document and one holding xl/workbook.xml
// a workbook whatever the name says; markup is HTML; anything else is text.
func Read(name string, data []byte, lim Limits) (*Document, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than %d: %w", name, len(data), lim.MaxBytes, ErrTooLarge)
	}
	switch Sniff(name, data) {
	case DOCX:
		return ReadDOCX(data, lim)
	case XLSX:
		return ReadXLSX(data, lim)
	case HTML:
		return ReadHTML(data, lim)
	case "mhtml":
		return ReadMHTML(data, lim)
	case "ole":
		kind, hint := "a Word 97-2003 or Excel 97-2003 file (.doc/.xls/.wps/.et)", "open it in Word, WPS or Excel and save it as .docx or .xlsx (另存为 .docx 或 .xlsx 格式), then import that file"
		return nil, &UnsupportedError{Name: name, Kind: kind, Hint: hint}
	case "pdf":
		return nil, &UnsupportedError{Name: name, Kind: "a PDF", Hint: "import the Word, Excel or web page version of the notice, or copy its text into a .txt file (复制文字另存为 .txt)"}
	case "zip":
		return nil, &UnsupportedError{Name: name, Kind: "a zip archive that is neither a .docx nor an .xlsx", Hint: "unpack it and import the notice inside (解压后导入其中的文件)"}
	}
	return FromText(DecodeText(data)), nil
}

// Sniff tells the format of a file from its first bytes and its name. Besides the four
// formats it answers "mhtml" (a page saved as one file), "ole" (Office 97-2003), "pdf"
// and "zip" (another archive).
func Sniff(name string, data []byte) Format {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06")):
		switch {
		case zipHas(data, "word/document.xml"):
			return DOCX
		case zipHas(data, "xl/workbook.xml"):
			return XLSX
		}
		return "zip"
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return "ole"
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return "pdf"
	case looksLikeMHTML(data):
		return "mhtml"
	case looksLikeHTML(data):
		return HTML
	}
	switch ext {
	case ".docx":
		return DOCX // not a zip: the reader says so
	case ".xlsx":
		return XLSX
	}
	return Text
}

func looksLikeHTML(data []byte) bool {
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.ToLower(bytes.TrimSpace(head))
	if !bytes.HasPrefix(head, []byte("<")) {
		return false
	}
	for _, tag := range []string{"<!doctype html", "<html", "<head", "<body", "<meta", "<table", "<div", "<p>", "<p ", "<title"} {
		if bytes.Contains(head, []byte(tag)) {
			return true
		}
	}
	return false
}

// DecodeText returns the text of a plain-text file: UTF-8 (a BOM dropped), or GB18030
// when the bytes are not valid UTF-8 (Notepad's "ANSI" on a Chinese Windows).
func DecodeText(data []byte) string {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return string(data)
	}
	if out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data); err == nil {
		return string(out)
	}
	return strings.ToValidUTF8(string(data), "\ufffd")
}

// FromText splits a text into lines, one Line per line of the text (blank ones included,
// so that Pos.Line is the line number).
func FromText(text string) *Document {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	d := &Document{Format: Text, Lines: make([]Line, len(lines))}
	for i, l := range lines {
		d.Lines[i] = Line{Text: l, Pos: Pos{Line: i + 1}}
	}
	return d
}

// rowLine makes the Line of a table row.
func rowLine(cells []string, pos Pos) Line {
	if cells == nil {
		cells = []string{}
	}
	return Line{Cells: cells, Pos: pos}
}
