package document

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxGridSpan bounds the columns one Word cell may span (Word itself allows 63).
const maxGridSpan = 64

// ReadDOCX reads the body of a Word document: paragraphs as lines (a line break inside a
// paragraph starts a new line), tables as rows. Word's automatic numbering is written out
// before the paragraph's text as Word shows it ("1.", "(一)", "一、").
func ReadDOCX(data []byte, lim Limits) (*Document, error) {
	lim = lim.withDefaults()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a Word document (.docx): %w", err)
	}
	num := &numbering{abstract: map[string]map[int]numLevel{}, nums: map[string]numRef{}, styles: map[string]styleNum{}, counters: map[string][]int{}}
	for _, part := range []struct {
		name string
		read func(io.Reader, string) error
	}{{"word/numbering.xml", num.readNumbering}, {"word/styles.xml", num.readStyles}} {
		r, ok, err := openPart(zr, part.name, lim.MaxXMLBytes)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		err = part.read(r, part.name)
		_ = r.Close() // a part read from memory: closing it can only release it
		if err != nil {
			return nil, err
		}
	}
	r, ok, err := openPart(zr, "word/document.xml", lim.MaxXMLBytes)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("not a Word document (.docx): no word/document.xml")
	}
	defer func() { _ = r.Close() }() // a part read from memory: closing it can only release it
	d := &docxReader{lim: lim, num: num}
	if err := d.read(r); err != nil {
		return nil, err
	}
	return &Document{Format: DOCX, Lines: d.out}, nil
}

type docxCell struct {
	paras    []string
	span     int
	vmerge   string // "restart", "continue" or ""
	hmergeOn bool   // a legacy hMerge continuation: merged into the cell on its left
}

type docxReader struct {
	lim Limits
	num *numbering
	out []Line

	para                  int // body paragraphs read
	inPara, inRun, inText bool
	inNumPr               bool
	lines                 []string // the paragraph's lines so far (split at breaks)
	text                  strings.Builder
	numID, ilvl, style    string
	hasNumID, hasIlvl     bool
	tableDepth, tables    int
	rows, cells           int
	row                   []docxCell
	cell                  *docxCell
	prevGrid              []string
	gridBefore            int
	err                   error
}

func (d *docxReader) read(r io.Reader) error {
	w := xmlWalk{start: d.start, end: d.end, text: d.chars}
	if err := w.run(r, "word/document.xml"); err != nil {
		return err
	}
	return d.err
}

func intAttr(se xml.StartElement, name string) (int, bool) {
	v, ok := attr(se, name)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil
}

// start reads the start of an element of word/document.xml; skip: leave out its
// content (deletions, field codes, drawings, properties).
func (d *docxReader) start(se xml.StartElement) (skip bool) {
	if d.err != nil {
		return true
	}
	switch se.Name.Local {
	case "del", "moveFrom", "delText", "instrText", "delInstrText", "Fallback", "txbxContent", "drawing", "pict", "object", "footnoteReference", "endnoteReference", "commentReference", "rPr", "sectPr", "tblPr", "tblGrid":
		return true
	case "p":
		d.inPara = true
		d.lines, d.numID, d.ilvl, d.style = nil, "", "", ""
		d.hasNumID, d.hasIlvl = false, false
		d.text.Reset()
	case "pStyle":
		if d.inPara {
			d.style, _ = attr(se, "val")
		}
	case "numPr":
		d.inNumPr = d.inPara
	case "numId":
		if d.inNumPr {
			d.numID, d.hasNumID = attrOr(se, "val"), true
		}
	case "ilvl":
		if d.inNumPr {
			d.ilvl, d.hasIlvl = attrOr(se, "val"), true
		}
	case "r":
		d.inRun = d.inPara
	case "t":
		d.inText = d.inRun
	case "tab", "ptab":
		if d.inRun {
			d.text.WriteString(" ")
		}
	case "br", "cr":
		if d.inRun {
			d.lines = append(d.lines, d.text.String())
			d.text.Reset()
		}
	case "noBreakHyphen":
		if d.inRun {
			d.text.WriteString("-")
		}
	default:
		d.tableStart(se)
	}
	return false
}

// tableStart reads the start of a table's element: the table, a row, a cell and the
// spans and merges of the grid (only of the outermost table; nested ones are text).
func (d *docxReader) tableStart(se xml.StartElement) {
	switch se.Name.Local {
	case "tbl":
		d.tableDepth++
		if d.tableDepth == 1 {
			d.tables++
			d.rows, d.cells, d.prevGrid = 0, 0, nil
		}
	case "tr":
		if d.tableDepth == 1 {
			d.row, d.gridBefore = nil, 0
		}
	case "gridBefore":
		if d.tableDepth == 1 {
			if n, ok := intAttr(se, "val"); ok && n > 0 && n <= maxGridSpan {
				d.gridBefore = n
			}
		}
	case "tc":
		if d.tableDepth == 1 {
			d.cell = &docxCell{span: 1}
		}
	case "gridSpan":
		if d.tableDepth == 1 && d.cell != nil {
			if n, ok := intAttr(se, "val"); ok && n > 1 {
				d.cell.span = min(n, maxGridSpan)
			}
		}
	case "vMerge":
		if d.tableDepth == 1 && d.cell != nil {
			if v, _ := attr(se, "val"); v == "restart" {
				d.cell.vmerge = "restart"
			} else {
				d.cell.vmerge = "continue"
			}
		}
	case "hMerge":
		if d.tableDepth == 1 && d.cell != nil {
			if v, _ := attr(se, "val"); v != "restart" {
				d.cell.hmergeOn = true
			}
		}
	}
}

func attrOr(se xml.StartElement, name string) string {
	v, _ := attr(se, name)
	return strings.TrimSpace(v)
}

func (d *docxReader) chars(s string) {
	if d.inText {
		d.text.WriteString(s)
	}
}

func (d *docxReader) end(name string) {
	if d.err != nil {
		return
	}
	switch name {
	case "t":
		d.inText = false
	case "r":
		d.inRun = false
	case "numPr":
		d.inNumPr = false
	case "p":
		if !d.inPara {
			return
		}
		d.inPara = false
		lines := append(d.lines, d.text.String())
		prefix := d.num.label(d.numID, d.hasNumID, d.ilvl, d.hasIlvl, d.style)
		if prefix != "" {
			lines[0] = prefix + strings.TrimLeft(lines[0], " \t\u3000")
		}
		if d.tableDepth > 0 {
			if d.cell != nil {
				for _, l := range lines {
					if l = strings.TrimSpace(l); l != "" {
						d.cell.paras = append(d.cell.paras, l)
					}
				}
			}
			return
		}
		d.para++
		for _, l := range lines {
			if strings.TrimSpace(l) != "" {
				d.out = append(d.out, Line{Text: l, Pos: Pos{Paragraph: d.para}})
			}
		}
	case "tc":
		if d.tableDepth == 1 && d.cell != nil {
			d.row = append(d.row, *d.cell)
			d.cell = nil
		}
	case "tr":
		if d.tableDepth == 1 {
			d.endRow()
		}
	case "tbl":
		if d.tableDepth > 0 {
			d.tableDepth--
		}
	}
}

func (d *docxReader) endRow() {
	grid := make([]string, 0, d.gridBefore+len(d.row))
	for i := 0; i < d.gridBefore; i++ {
		grid = append(grid, "")
	}
	for _, c := range d.row {
		col := len(grid)
		text := strings.Join(c.paras, "\n")
		switch {
		case c.hmergeOn:
			text = ""
		case c.vmerge == "continue":
			text = ""
			if col < len(d.prevGrid) {
				text = d.prevGrid[col]
			}
		}
		grid = append(grid, text)
		for k := 1; k < c.span; k++ {
			grid = append(grid, "")
		}
	}
	d.rows++
	d.cells += len(grid)
	if d.rows > d.lim.MaxRows || d.cells > d.lim.MaxCells {
		d.err = fmt.Errorf("word/document.xml: table %d has more than %d rows or %d cells: %w", d.tables, d.lim.MaxRows, d.lim.MaxCells, ErrTooLarge)
		return
	}
	d.prevGrid = grid
	d.row = nil
	d.out = append(d.out, rowLine(grid, Pos{Table: d.tables, Row: d.rows}))
}

// numbering holds word/numbering.xml and the numbering of paragraph styles, and counts.
type numbering struct {
	abstract map[string]map[int]numLevel // abstractNumId → level → format
	nums     map[string]numRef           // numId → abstract numbering
	styles   map[string]styleNum         // paragraph style → its numbering
	counters map[string][]int            // numId → counter per level
}

type numLevel struct {
	start        int
	format, text string
}

type numRef struct {
	abstract string
	starts   map[int]int // lvlOverride/startOverride
}

type styleNum struct {
	numID, ilvl, basedOn string
	hasNum, hasIlvl      bool
}

func (n *numbering) readNumbering(r io.Reader, part string) error {
	var abs, numID string
	lvl, overrideLvl := -1, -1
	w := xmlWalk{
		start: func(se xml.StartElement) bool {
			switch se.Name.Local {
			case "abstractNum":
				abs = attrOr(se, "abstractNumId")
				if n.abstract[abs] == nil {
					n.abstract[abs] = map[int]numLevel{}
				}
			case "lvl":
				if abs != "" {
					lvl, _ = intAttr(se, "ilvl")
					n.abstract[abs][lvl] = numLevel{start: 1, format: "decimal"}
				}
			case "start", "numFmt", "lvlText":
				if abs != "" && lvl >= 0 {
					l := n.abstract[abs][lvl]
					v := attrOr(se, "val")
					switch se.Name.Local {
					case "start":
						if k, err := strconv.Atoi(v); err == nil {
							l.start = k
						}
					case "numFmt":
						l.format = v
					case "lvlText":
						v, _ = attr(se, "val")
						l.text = v
					}
					n.abstract[abs][lvl] = l
				}
			case "num":
				numID = attrOr(se, "numId")
				n.nums[numID] = numRef{starts: map[int]int{}}
			case "abstractNumId":
				if numID != "" {
					ref := n.nums[numID]
					ref.abstract = attrOr(se, "val")
					n.nums[numID] = ref
				}
			case "lvlOverride":
				overrideLvl, _ = intAttr(se, "ilvl")
			case "startOverride":
				if numID != "" && overrideLvl >= 0 {
					if k, ok := intAttr(se, "val"); ok {
						n.nums[numID].starts[overrideLvl] = k
					}
				}
			}
			return false
		},
		end: func(name string) {
			switch name {
			case "abstractNum":
				abs = ""
			case "lvl":
				lvl = -1
			case "num":
				numID = ""
			case "lvlOverride":
				overrideLvl = -1
			}
		},
	}
	return w.run(r, part)
}

func (n *numbering) readStyles(r io.Reader, part string) error {
	var id string
	var cur styleNum
	w := xmlWalk{
		start: func(se xml.StartElement) bool {
			switch se.Name.Local {
			case "style":
				id, cur = attrOr(se, "styleId"), styleNum{}
			case "basedOn":
				cur.basedOn = attrOr(se, "val")
			case "numId":
				cur.numID, cur.hasNum = attrOr(se, "val"), true
			case "ilvl":
				cur.ilvl, cur.hasIlvl = attrOr(se, "val"), true
			case "rPr", "tblPr", "tcPr", "trPr", "tblStylePr":
				return true
			}
			return false
		},
		end: func(name string) {
			if name == "style" && id != "" {
				n.styles[id] = cur
				id = ""
			}
		},
	}
	return w.run(r, part)
}

// label is the text Word shows before a numbered paragraph, advancing the counters.
func (n *numbering) label(numID string, hasNum bool, ilvl string, hasIlvl bool, style string) string {
	// the paragraph's own numbering wins over its style's (and the style's base styles')
	for i := 0; i < 8 && style != "" && (!hasNum || !hasIlvl); i++ {
		s, ok := n.styles[style]
		if !ok {
			break
		}
		if !hasNum && s.hasNum {
			numID, hasNum = s.numID, true
		}
		if !hasIlvl && s.hasIlvl {
			ilvl, hasIlvl = s.ilvl, true
		}
		style = s.basedOn
	}
	if !hasNum || numID == "" || numID == "0" {
		return ""
	}
	ref, ok := n.nums[numID]
	if !ok {
		return ""
	}
	levels := n.abstract[ref.abstract]
	lv, _ := strconv.Atoi(ilvl)
	if lv < 0 || lv > 8 {
		lv = 0
	}
	def, ok := levels[lv]
	if !ok {
		return ""
	}
	c := n.counters[numID]
	if c == nil {
		c = make([]int, 9)
		for i := range c {
			c[i] = startOf(levels, ref, i) - 1
		}
		n.counters[numID] = c
	}
	c[lv]++
	for i := lv + 1; i < 9; i++ {
		c[i] = startOf(levels, ref, i) - 1
	}
	if def.format == "bullet" || def.format == "none" {
		return ""
	}
	var b strings.Builder
	t := def.text
	for i := 0; i < len(t); i++ {
		if t[i] == '%' && i+1 < len(t) && t[i+1] >= '1' && t[i+1] <= '9' {
			k := int(t[i+1] - '1')
			f := levels[k].format
			if k == lv {
				f = def.format
			}
			b.WriteString(formatNumber(max(c[k], 1), f))
			i++
			continue
		}
		b.WriteByte(t[i])
	}
	return b.String()
}

func startOf(levels map[int]numLevel, ref numRef, lvl int) int {
	if s, ok := ref.starts[lvl]; ok {
		return s
	}
	if l, ok := levels[lvl]; ok {
		return l.start
	}
	return 1
}

// formatNumber writes n in a Word number format (w:numFmt).
func formatNumber(n int, format string) string {
	switch format {
	case "chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand", "japaneseCounting", "koreanCounting", "ideographLegalTraditional":
		return ChineseNumber(n)
	case "chineseLegalSimplified":
		return strings.NewReplacer("一", "壹", "二", "贰", "三", "叁", "四", "肆", "五", "伍", "六", "陆", "七", "柒", "八", "捌", "九", "玖", "十", "拾", "百", "佰", "千", "仟").Replace(ChineseNumber(n))
	case "ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand":
		var b strings.Builder
		for _, r := range strconv.Itoa(n) {
			b.WriteRune([]rune("〇一二三四五六七八九")[r-'0'])
		}
		return b.String()
	case "decimalFullWidth", "decimalFullWidth2":
		var b strings.Builder
		for _, r := range strconv.Itoa(n) {
			b.WriteRune(r - '0' + '０')
		}
		return b.String()
	case "decimalEnclosedCircle", "decimalEnclosedCircleChinese":
		if n >= 1 && n <= 20 {
			return string(rune('①' + n - 1))
		}
	case "decimalEnclosedParen":
		if n >= 1 && n <= 20 {
			return string(rune('⑴' + n - 1))
		}
	case "decimalEnclosedFullstop":
		if n >= 1 && n <= 20 {
			return string(rune('⒈' + n - 1))
		}
	case "decimalZero":
		return fmt.Sprintf("%02d", n)
	case "upperLetter", "lowerLetter":
		s := string(rune('A' + (n-1)%26))
		if format == "lowerLetter" {
			s = strings.ToLower(s)
		}
		return s
	case "upperRoman", "lowerRoman":
		s := roman(n)
		if format == "lowerRoman" {
			s = strings.ToLower(s)
		}
		return s
	}
	return strconv.Itoa(n)
}

func roman(n int) string {
	if n <= 0 || n >= 4000 {
		return strconv.Itoa(n)
	}
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	return b.String()
}

// ChineseNumber writes 1..9999 in Chinese numerals as notices number their sections
// (一, 十, 十一, 二十, 一百零五); other numbers in digits.
func ChineseNumber(n int) string {
	if n <= 0 || n > 9999 {
		return strconv.Itoa(n)
	}
	digits := []rune("零一二三四五六七八九")
	units := []string{"", "十", "百", "千"}
	var parts []string
	zero := false
	s := strconv.Itoa(n)
	for i, r := range s {
		d := int(r - '0')
		u := units[len(s)-1-i]
		if d == 0 {
			zero = true
			continue
		}
		if zero && len(parts) > 0 {
			parts = append(parts, "零")
		}
		zero = false
		if !(d == 1 && u == "十" && i == 0) {
			parts = append(parts, string(digits[d]))
		}
		parts = append(parts, u)
	}
	return strings.Join(parts, "")
}
