package sheets

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
)

// Why a scan before excelize: excelize does the work before it bounds it. It unzips
// every part into memory, decodes styles, shared strings, the workbook and its
// relationships whole into structs (a few bytes of XML per element become hundreds of
// bytes of Go), its row iterator makes a slice as wide as a row's last column (16384
// strings for one cell in column XFD), and encoding/xml keeps every attribute of a tag
// and a stack as deep as the nesting. A 1 MiB upload unzips to a gigabyte. So scan
// first, streaming and with constant memory: the zip directory, then every XML part
// token by token, refusing the file as soon as a count passes its limit. Once the scan
// has passed, what excelize does with the file is bounded by the same limits.
const (
	maxParts       = 1000      // zip entries
	maxDepth       = 64        // XML nesting (a chart's deepest is about 20)
	maxTagBytes    = 256 << 10 // one start tag with its attributes
	maxElements    = 200_000   // elements of the parts excelize decodes whole (decoded below)
	maxNumFmts     = 1000      // custom number formats (Excel allows about 250)
	maxNumFmtLen   = 255       // characters of one number format (Excel's own limit)
	maxGridRows    = 1048576   // rows of a worksheet (Excel's grid)
	maxGridColumns = 16384     // columns of a worksheet (XFD)
)

// scanLimits are the limits of one scan (from the DecoderConfig).
type scanLimits struct {
	unzipped int64 // bytes, all parts together
	sheets   int
	lastRow  int // the last row a filled cell may be on
	columns  int
	cells    int // cell elements, all worksheets together
}

func limitError(code, sheet string, format string, args ...any) *Error {
	return &Error{Code: code, Sheet: sheet, Limit: true, Message: fmt.Sprintf(format, args...)}
}

func invalid(sheet string, format string, args ...any) *Error {
	return &Error{Code: "invalid_xlsx", Sheet: sheet, Message: fmt.Sprintf(format, args...)}
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}
)

// scanXLSX checks an .xlsx against the limits without keeping more than one token of
// it in memory. Errors are *Error: invalid_xlsx (malformed, 400), or xlsx_too_large,
// too_many_sheets, sheet_too_large (a limit, 413).
func scanXLSX(data []byte, lim scanLimits) (map[string]cells, error) {
	switch {
	case bytes.HasPrefix(data, oleMagic):
		return nil, invalid("", "the workbook is encrypted (password-protected) or an old .xls file: save it as an .xlsx workbook without a password (请另存为不加密的 .xlsx 文件)")
	case !bytes.HasPrefix(data, zipMagic):
		return nil, invalid("", "the file is not an .xlsx workbook (不是 .xlsx 文件)")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, invalid("", "the file is not a readable .xlsx workbook: %v (文件已损坏)", err)
	}
	if len(zr.File) > maxParts {
		return nil, limitError("xlsx_too_large", "", "the workbook has %d parts, more than %d (文件内容过多)", len(zr.File), maxParts)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > uint64(lim.unzipped) || total > uint64(lim.unzipped) { //nolint:gosec // G115: a positive limit (DecoderConfig defaults)
			return nil, limitError("xlsx_too_large", "", "the workbook unzips to more than %s; a filled template is far smaller (解压后超过 %s)", byteSize(lim.unzipped), byteSize(lim.unzipped))
		}
	}
	s := &scanner{lim: lim, rels: map[string]map[string]string{}, elements: map[string]int{},
		numFmts: map[int]string{}, flags: map[string]cells{}}
	var worksheets []*zip.File
	for _, f := range zr.File {
		if !isXMLPart(f.Name) {
			continue
		}
		root, err := s.part(f, true)
		if err != nil {
			return nil, err
		}
		if root == "worksheet" {
			worksheets = append(worksheets, f)
		}
	}
	s.xfKinds = make([]cellKind, len(s.xfFormats))
	for i, id := range s.xfFormats {
		s.xfKinds[i] = s.formatKind(id)
	}
	names := s.sheetNames()
	for _, f := range worksheets {
		s.sheet = names[strings.ReplaceAll(f.Name, `\`, "/")]
		if s.sheet == "" {
			s.sheet = f.Name
		}
		if _, err := s.part(f, false); err != nil {
			return nil, err
		}
	}
	return s.flags, nil
}

func isXMLPart(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".xml") || strings.HasSuffix(n, ".rels") || strings.HasSuffix(n, ".vml")
}

func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// scanner holds the counts of one workbook's scan.
type scanner struct {
	lim      scanLimits
	elements map[string]int // elements per root of the parts decoded whole
	total    int            // elements of the parts decoded whole
	cells    int
	numFmtN  int

	sheets    []sheetRef                   // the workbook's <sheet> elements
	workbook  string                       // the workbook part, from _rels/.rels
	rels      map[string]map[string]string // relationships part → Id → Target
	rootRels  string                       // officeDocument target of _rels/.rels
	sheet     string                       // the sheet being scanned, for messages
	worksheet worksheetState

	sstLen     []int            // text bytes of each shared string
	sharedText int              // bytes of shared strings the cells repeat
	numFmts    map[int]string   // custom number formats by id
	xfFormats  []int            // number format id of each cell format (cellXfs)
	xfKinds    []cellKind       // what each cell format makes of a number
	flags      map[string]cells // sheet name → cells whose number is not shown as stored
}

// cellKind says what a cell's format makes of the number it stores.
type cellKind uint8

const (
	kindPlain   cellKind = iota
	kindPercent          // shown ×100 with a % sign: 0.065 shows as 6.5%
	kindBoolean          // a logical value (t="b", or a format showing TRUE/FALSE)
)

type cellKey struct{ row, col int } // 1-based

// cells are the filled cells of a sheet whose kind is not plain.
type cells map[cellKey]cellKind

// maxSharedText bounds the bytes of shared strings the cells of a workbook repeat:
// excelize copies a shared string for every cell that shows it, so one long string
// shown by every cell would cost gigabytes of copying.
const maxSharedText = 64 << 20

type sheetRef struct{ name, rid string }

type worksheetState struct {
	row, col int
	filled   bool   // the current cell's content has been checked
	typ      string // the current cell's t attribute
	style    int    // the current cell's s attribute
}

// part scans one XML part. With deferWorksheets, a worksheet is only recognised (its
// root returned) and scanned later, once the sheet names are known.
func (s *scanner) part(f *zip.File, deferWorksheets bool) (root string, err error) {
	name := strings.ReplaceAll(f.Name, `\`, "/")
	rc, err := f.Open()
	if err != nil {
		return "", invalid(s.sheet, "part %s of the workbook cannot be read: %v (文件已损坏)", name, err)
	}
	defer func() { _ = rc.Close() }() // an entry of a zip in memory: Close only releases the decompressor
	d := xml.NewDecoder(&tagGuard{r: rc})
	d.CharsetReader = charset.NewReaderLabel
	var stack [maxDepth]string
	depth := 0
	parent := func() string {
		if depth == 0 {
			return ""
		}
		return stack[depth-1]
	}
	s.worksheet = worksheetState{}
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return root, nil
		}
		if err != nil {
			var se *Error
			if errors.As(err, &se) {
				return "", se
			}
			var ce flate.CorruptInputError
			if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) || errors.As(err, &ce) {
				return "", invalid(s.sheet, "part %s of the workbook cannot be unzipped: %v (文件已损坏)", name, err)
			}
			return "", invalid(s.sheet, "part %s of the workbook is not well-formed XML: %v (文件已损坏)", name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			local := t.Name.Local
			if depth == 0 {
				if root != "" {
					return "", invalid(s.sheet, "part %s of the workbook has two root elements (文件已损坏)", name)
				}
				root = local
				if root == "worksheet" && deferWorksheets {
					return root, nil
				}
			}
			if depth == maxDepth {
				return "", invalid(s.sheet, "part %s of the workbook nests XML more than %d levels deep (文件结构异常)", name, maxDepth)
			}
			if root == "worksheet" {
				if err := s.worksheetElement(local, parent(), t.Attr); err != nil {
					return "", err
				}
			} else if err := s.element(name, root, local, parent(), t.Attr); err != nil {
				return "", err
			}
			stack[depth] = local
			depth++
		case xml.EndElement:
			if depth > 0 {
				depth--
			}
		case xml.CharData:
			switch {
			case root == "sst" && depth >= 2 && stack[1] == "si" && len(s.sstLen) > 0:
				s.sstLen[len(s.sstLen)-1] += len(t)
			case root == "worksheet" && parent() == "v":
				if err := s.cellValue(t); err != nil {
					return "", err
				}
			}
		}
	}
}

// decoded are the parts (by root element) that excelize decodes whole into structs
// when it opens a workbook and streams its rows, with the elements each may hold. A
// few bytes of XML become hundreds of bytes of Go (about 1 KB per cell format), so
// these bound the memory of a decode; the other parts (drawings, comments, document
// properties) stay bytes. Excel writes a few hundred style elements and one shared
// string per distinct text.
var decoded = map[string]int{
	"sst":           maxElements, // shared strings
	"calcChain":     maxElements, // one element per formula cell
	"styleSheet":    20_000,
	"theme":         20_000,
	"workbook":      20_000,
	"Relationships": 20_000,
	"Types":         20_000, // [Content_Types].xml
}

// element counts an element of a part excelize decodes whole and notes what the scan
// needs: sheets of the workbook, relationships, number formats.
func (s *scanner) element(part, root, local, parent string, attrs []xml.Attr) error {
	if limit, ok := decoded[root]; ok {
		s.elements[root]++
		s.total++
		if s.elements[root] > limit || s.total > maxElements {
			return limitError("xlsx_too_large", "", "the workbook's %s part holds more than %d XML elements; a filled template holds a few thousand (文件内容过多)", root, min(limit, maxElements))
		}
	}
	switch {
	case root == "workbook" && local == "sheet" && parent == "sheets":
		s.workbook = part
		ref := sheetRef{}
		for _, a := range attrs {
			switch a.Name.Local {
			case "name":
				ref.name = a.Value
			case "id":
				ref.rid = a.Value
			}
		}
		s.sheets = append(s.sheets, ref)
		if len(s.sheets) > s.lim.sheets {
			return limitError("too_many_sheets", "", "the workbook has more than %d sheets; upload the template's sheet, with at most %d sheets per file (工作表过多)", s.lim.sheets, s.lim.sheets)
		}
	case root == "Relationships" && local == "Relationship":
		var id, target, typ string
		for _, a := range attrs {
			switch a.Name.Local {
			case "Id":
				id = a.Value
			case "Target":
				target = a.Value
			case "Type":
				typ = a.Value
			}
		}
		if s.rels[part] == nil {
			s.rels[part] = map[string]string{}
		}
		s.rels[part][id] = target
		if part == "_rels/.rels" && strings.HasSuffix(typ, "/officeDocument") && s.rootRels == "" {
			s.rootRels = strings.TrimPrefix(target, "/")
		}
	case root == "sst" && local == "si" && parent == "sst":
		s.sstLen = append(s.sstLen, 0)
	case root == "styleSheet" && local == "xf" && parent == "cellXfs":
		id, _ := strconv.Atoi(attr(attrs, "numFmtId"))
		s.xfFormats = append(s.xfFormats, id)
	case root == "styleSheet" && local == "numFmt":
		if id, err := strconv.Atoi(attr(attrs, "numFmtId")); err == nil {
			code := attr(attrs, "formatCode16")
			if code == "" {
				code = attr(attrs, "formatCode")
			}
			s.numFmts[id] = code
		}
		s.numFmtN++
		if s.numFmtN > maxNumFmts {
			return invalid("", "the workbook defines more than %d number formats (数字格式过多)", maxNumFmts)
		}
		for _, a := range attrs {
			if (a.Name.Local == "formatCode" || a.Name.Local == "formatCode16") && utf8.RuneCountInString(a.Value) > maxNumFmtLen {
				return invalid("", "a number format is longer than %d characters, more than Excel allows (数字格式过长)", maxNumFmtLen)
			}
		}
	}
	return nil
}

// worksheetElement checks a worksheet as excelize's row iterator will read it: rows
// numbered by their r attribute or one after the other, cells placed by their r
// attribute or one after the other. A cell with content (a value, a formula or an
// inline string) must lie within the rows and columns a template may use; empty cells
// (formatting only) may lie anywhere, and all cells count.
func (s *scanner) worksheetElement(local, parent string, attrs []xml.Attr) error {
	w := &s.worksheet
	switch {
	case local == "row" && parent == "sheetData":
		w.row++
		if r, err := strconv.Atoi(attr(attrs, "r")); err == nil && r > 0 {
			w.row = r
		}
		if w.row > maxGridRows {
			return limitError("sheet_too_large", s.sheet, "row %d is beyond the last row of a sheet (%d) (行号超出范围)", w.row, maxGridRows)
		}
		w.col = 0
	case local == "c" && parent == "row":
		s.cells++
		if s.cells > s.lim.cells {
			return limitError("sheet_too_large", s.sheet, "the workbook has more than %d cells; a filled template has a few thousand (单元格过多)", s.lim.cells)
		}
		w.col++
		if ref := attr(attrs, "r"); ref != "" {
			col, ok := refColumn(ref)
			if !ok {
				return invalid(s.sheet, "cell reference %q is not valid (单元格引用无效)", ref)
			}
			w.col = col
		}
		w.filled = false
		w.typ = attr(attrs, "t")
		w.style, _ = strconv.Atoi(attr(attrs, "s"))
	case (local == "v" || local == "f" || local == "is") && parent == "c" && !w.filled:
		w.filled = true
		if w.col > s.lim.columns {
			return &Error{Code: "sheet_too_large", Sheet: s.sheet, Row: w.row, Column: colName(w.col - 1), Limit: true,
				Message: fmt.Sprintf("a filled cell lies right of column %s; a template has %d columns, at most %d are read: delete the far columns (列数超出范围)", colName(s.lim.columns-1), len(templateColumns), s.lim.columns)}
		}
		if w.row > s.lim.lastRow {
			return &Error{Code: "sheet_too_large", Sheet: s.sheet, Row: w.row, Limit: true,
				Message: fmt.Sprintf("a filled cell lies below row %d; at most %d rows are read: delete the rows below, or split the file (行数超出范围)", s.lim.lastRow, s.lim.lastRow)}
		}
		kind := kindPlain
		switch {
		case w.typ == "b":
			kind = kindBoolean
		case (w.typ == "" || w.typ == "n") && w.style > 0 && w.style < len(s.xfKinds):
			kind = s.xfKinds[w.style]
		}
		if kind != kindPlain {
			if s.flags[s.sheet] == nil {
				s.flags[s.sheet] = cells{}
			}
			s.flags[s.sheet][cellKey{w.row, w.col}] = kind
		}
	}
	return nil
}

// cellValue counts the shared string a cell shows (excelize copies it for the cell).
func (s *scanner) cellValue(v []byte) error {
	if s.worksheet.typ != "s" {
		return nil
	}
	i, ok := sharedIndex(v, len(s.sstLen))
	if !ok { // not a shared string: excelize reports the cell if it cannot read it
		return nil
	}
	s.sharedText += s.sstLen[i]
	if s.sharedText > maxSharedText {
		return limitError("xlsx_too_large", s.sheet, "the cells repeat more than %s of shared text (文件内容过多)", byteSize(maxSharedText))
	}
	return nil
}

// formatKind says what number format id makes of a number, as excelize looks it up:
// the workbook's custom formats first, then the built-in ones (9 0%, 10 0.00%).
func (s *scanner) formatKind(id int) cellKind {
	code, ok := s.numFmts[id]
	if !ok {
		if id == 9 || id == 10 {
			return kindPercent
		}
		return kindPlain
	}
	return formatCodeKind(code)
}

// formatCodeKind reads a number format code: a % outside quotes, escapes and brackets
// in its first section shows the number ×100 as a percentage; sections that are only
// quoted words TRUE/FALSE (how LibreOffice formats logical values) show no number.
func formatCodeKind(code string) cellKind {
	var sections []string
	var cur strings.Builder
	quoted, bracket, escaped := false, false, false
	percent, digits := false, false
	for _, r := range code {
		switch {
		case escaped:
			escaped = false
		case quoted:
			quoted = r != '"'
		case bracket:
			bracket = r != ']'
		case r == '\\':
			escaped = true
		case r == '"':
			quoted = true
		case r == '[':
			bracket = true
		case r == ';':
			sections = append(sections, cur.String())
			cur.Reset()
			continue
		case r == '%' && len(sections) == 0:
			percent = true
		case r == '0' || r == '#' || r == '?' || r == '@':
			digits = true
		}
		cur.WriteRune(r)
	}
	sections = append(sections, cur.String())
	if percent {
		return kindPercent
	}
	if digits {
		return kindPlain
	}
	words := 0
	for _, sec := range sections {
		switch strings.ToUpper(strings.Trim(strings.TrimSpace(sec), `"`)) {
		case "TRUE", "FALSE", "真", "假":
			words++
		case "":
		default:
			return kindPlain
		}
	}
	if words == 0 {
		return kindPlain
	}
	return kindBoolean
}

func attr(attrs []xml.Attr, local string) string {
	for _, a := range attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// refColumn is the 1-based column of a cell reference ("XFD7" → 16384).
func refColumn(ref string) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i]
		switch {
		case c >= 'A' && c <= 'Z':
			col = col*26 + int(c-'A') + 1
		case c >= 'a' && c <= 'z':
			col = col*26 + int(c-'a') + 1
		default:
			goto digits
		}
		if col > maxGridColumns {
			return 0, false
		}
	}
digits:
	if i == 0 {
		return 0, false
	}
	if _, err := strconv.Atoi(ref[i:]); err != nil {
		return 0, false
	}
	return col, true
}

// sheetNames maps worksheet parts to sheet names, resolved as excelize does: the
// workbook from _rels/.rels, its relationships beside it, targets relative to its folder.
func (s *scanner) sheetNames() map[string]string {
	wb := s.rootRels
	if wb == "" {
		wb = s.workbook
	}
	dir, base := path.Split(wb)
	rels := s.rels[dir+"_rels/"+base+".rels"]
	out := map[string]string{}
	for _, ref := range s.sheets {
		target, ok := rels[ref.rid]
		if !ok {
			continue
		}
		p := path.Clean(path.Join(dir, target))
		if strings.HasPrefix(target, "/") {
			p = path.Clean(target)
		}
		out[strings.TrimPrefix(p, "/")] = ref.name
	}
	return out
}

// tagGuard passes the bytes of an XML part through and fails when one start tag (from
// its < to its >, quotes respected) is longer than maxTagBytes: encoding/xml would
// otherwise build a slice of every attribute of a tag of a gigabyte. Comments,
// declarations and CDATA (<! and <?) end at their first >, which is lenient and
// harmless: what follows counts as text, which costs one copy at most.
type tagGuard struct {
	r     io.Reader
	state byte // 0 text, 1 tag, 2 quoted (quote byte in q), 3 markup
	q     byte
	n     int // bytes of the current tag
	first bool
}

var errTagTooLarge = invalid("", "an XML tag of the workbook is longer than %d bytes (文件结构异常)", maxTagBytes)

func (g *tagGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	for _, c := range p[:n] {
		switch g.state {
		case 0:
			if c == '<' {
				g.state, g.n, g.first = 1, 0, true
			}
			continue
		case 1:
			if g.first && (c == '!' || c == '?') {
				g.state = 3
			}
			g.first = false
			switch c {
			case '>':
				g.state = 0
			case '"', '\'':
				g.state, g.q = 2, c
			}
		case 2:
			if c == g.q {
				g.state = 1
			}
		case 3:
			if c == '>' {
				g.state = 0
			}
		}
		g.n++
		if g.n > maxTagBytes {
			return 0, errTagTooLarge
		}
	}
	return n, err
}

// sharedIndex reads v as an index of n shared strings.
func sharedIndex(v []byte, n int) (int, bool) {
	i, err := strconv.Atoi(strings.TrimSpace(string(v)))
	return i, err == nil && i >= 0 && i < n
}
