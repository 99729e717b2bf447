// Package notice parses a published target-list notice (政府工作报告重点目标任务清单,
// 民生实事 lists, 目标责任书 tables and the like) into a catalog: the plan from the header,
// one task per numbered item or table row with its lead and cooperating units, and the
// measurable targets found in each item's words.
//
// The notice comes as a document.Document (text, a web page, Word or Excel, see package
// document); Parse takes plain text. Layouts it reads (testdata/notices has a sample of
// each):
//   - department sections "二、市发改委牵头工作(22项)", "(一)市发展和改革委员会牵头(5项)",
//     "二、县教育局", "县发改局(5项)" followed by items "4.…", "4、…" or "(4)…" ("(1)" "(2)"
//     right after an item "1." are its parts);
//   - topic sections "一、扩大有效投资" whose items name their lead at the end:
//     "(市经信局牵头落实)", "牵头单位:市商务局;配合单位:各县区政府",
//     "(市住建局、市城管局牵头)" (the first is the lead, the others cooperate),
//     "(X、Y牵头,各有关部门按职责分工负责)";
//   - items numbered "(一)" or "一、" when the list has no finer numbering (a 民生实事
//     list), numbering that restarts in each section (tasks are then numbered on through
//     the list), "(一)" sub-headings between numbered items (a sub-heading without a lead
//     keeps the lead of the section above it);
//   - items without a number under a heading, when they name their lead at their end
//     ("耕地保有量保持在2000.9万亩。(市国土局牵头)", "…增长8%,责任单位为区经信局;") or the
//     line after them does ("由市发改委负责落实。");
//   - labelled fields after the item's words, in a parenthesis
//     "(责任领导:X;牵头单位:Y;责任单位:Z)", inline "责任单位:X 完成时限:2025年6月", or on
//     lines of their own after the item ("牵头单位:区发改局", "协同责任单位:…",
//     "分管省领导:X" / "部门分工:Y牵头,Z配合"); 牵头… is the lead, 责任单位 the lead when
//     nothing else is (its first unit; a unit marked "(牵头)" first), 配合/协同…
//     cooperate, 完成时限/时间节点 is the deadline, 责任领导/分管领导 is a person and never a
//     unit; "…。由X、Y负责落实。" names responsible units the same way (fields.go);
//   - sections of a leader's tasks ("一、王纲市长主抓重点工作") name no department;
//   - tables, from a document or flattened with "|" or tabs (序号|工作任务|牵头单位|配合单位|
//     完成时限), or copied from a web page one cell per line: the header row is found by its
//     words and says what each column holds (see table.go); rows whose only text is one
//     cell are read as lines (section headings inside a table).
//
// Before the list, a notice's letter (up to "(此件公开发布)" or a line "附件") is read for
// the plan's title, issuer and document number only.
//
// Parse never fails: whatever it cannot place it reports as a Warning naming the line
// (or the paragraph, or the table row).
package notice

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/document"
)

// Warning is something in the input the parser could not use or found odd, with where
// it is: Line for text (and a web page's source), Paragraph for Word, Table and Row for a
// table row; none for the whole notice.
type Warning struct {
	document.Pos
	Msg string `json:"msg"`
}

func (w Warning) String() string {
	if w.IsZero() {
		return w.Msg
	}
	return w.Pos.String() + ": " + w.Msg
}

// Options tune what the text cannot say.
type Options struct {
	PlanID   string // default: pinyin of the city in the issuer + "-" + year (changzhi-2026)
	Source   string // recorded as Plan.Source
	TimeZone string // default Asia/Shanghai
	Year     int    // used when the text names no year
	// FollowUpTasks gives every task for which no target is found one follow-up target
	// (Kind "task", a milestone "completed" by the task's deadline, see followup.go), so
	// that every task of the list is reported on monthly. `duban import` and the shipped
	// catalogs set it; the zero value reads only the published figures and stages.
	FollowUpTasks bool
}

// Parse reads a notice in plain text and returns its catalog and the warnings met on the way.
func Parse(text string, opt Options) (*indicators.Catalog, []Warning) {
	return ParseDocument(document.FromText(text), opt)
}

// ParseDocument reads a notice read from any file (see package document).
func ParseDocument(doc *document.Document, opt Options) (*indicators.Catalog, []Warning) {
	p := &parser{reg: newRegistry(), opt: opt}
	p.run(doc)
	c := p.finish()
	if opt.FollowUpTasks {
		p.followUps(c)
	}
	return c, p.warns
}

type rawTask struct {
	line     int
	num      int
	text     string   // verbatim item text (without its number)
	full     string   // normalized text
	body     string   // normalized text with lead/cooperating annotations removed
	lead     []string // department keys; lead[0] is the lead
	coop     []string
	deadline string // from a table's deadline column or a 完成时限 field
	given    fields // fields from table columns and from labelled lines after the item
	table    bool   // a table row: its lead column names the lead
	closed   bool   // labelled lines followed: no more wrapped text
	dotted   bool   // numbered "N." or "N、" (not "(N)")
}

// section is an open heading: 一、 (level 1), (一) (level 2), 第一部分 (level 0).
type section struct {
	level, line       int
	lead              []string // department keys when the heading names the lead
	declared, counted int
}

// input is one line of the document as the parser reads it.
type input struct {
	raw   string   // a line's text as written
	cells []string // a table row's cells as written
	split bool     // cells split from a line of text (tabs): read as text when no table takes them
	skip  bool     // consumed by a table read from cell-per-line text
	pos   document.Pos
}

type parser struct {
	opt   Options
	reg   *registry
	warns []Warning
	in    []input

	// header
	issuer, document, title string
	titleOpen               bool   // the title line just read may wrap onto the next
	titleHead               string // a line that may be the title's first part
	prevHeader              string // the header line before this one
	noticeHead              string // "X关于印发…" waiting for the line that ends it
	year                    int
	declaredTasks           int
	declaredLeads           int
	declaredTasksLine       int
	declaredLeadsLine       int

	listStart int // index of the first input of the list; before it, header only
	itemLevel int // the numbering of items: levelArabic, levelParen or levelDun

	secs         []section
	sectionSince bool // a heading (or a new table) came since the last task
	offset       int  // added to written numbers once numbering restarted
	lastWritten  int  // the number written on the last task
	subNext      int  // the next "(n)" part of the last item, 0 when it has none

	table        *tableLayout
	tableSub     bool     // a header row was just read: the next row may be its second line
	chineseRows  bool     // the table numbers its rows 一, 二…
	tableNo      int      // source table of the last row read
	lastRowFirst string   // the first text cell of the last task row
	lastRow      *rawTask // the last task read from a table row, for rows merged over several lines
	lastRowWords string   // the words of the last task row
	lastCells    []string // the cells of the last row of the table, for cells merged down
	tasks        []*rawTask
	seenNums     map[int]int // task number → line
	started      bool        // the first item or department section was seen
}

func (p *parser) warn(line int, format string, args ...any) {
	var pos document.Pos
	if line > 0 && line <= len(p.in) {
		pos = p.in[line-1].pos
	}
	p.warns = append(p.warns, Warning{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// normalize maps full-width punctuation and digits to their ASCII forms so that one
// set of patterns reads both. It keeps 、 and Chinese quotes.
func normalize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune(r - '０' + '0')
		case r == '（':
			b.WriteRune('(')
		case r == '）':
			b.WriteRune(')')
		case r == '：':
			b.WriteRune(':')
		case r == '；':
			b.WriteRune(';')
		case r == '，':
			b.WriteRune(',')
		case r == '．':
			b.WriteRune('.')
		case r == '％':
			b.WriteRune('%')
		case r == '｜':
			b.WriteRune('|')
		case r == '\u3000' || r == '\u00a0' || r == '\t':
			b.WriteRune(' ')
		case r == utf8.RuneError || r == '\ufeff' || (unicode.IsControl(r) && r != '\n'):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

const cnDigits = "一二三四五六七八九十百零〇"

var (
	reMeta        = regexp.MustCompile(`^[-*·•]?\s*([^:]{2,8}?)\s*:\s*(.+)$`)
	reNoticeHead  = regexp.MustCompile(`^(.*?)关于(?:印发|下达|公布)?(.+?)的通知$`)
	reTagHead     = regexp.MustCompile(`^【[^】]{1,30}】\s*`)
	reIssuerLine  = regexp.MustCompile(`^\S{2,30}(?:人民政府|政府|办公室|办公厅|委员会|管委会|领导小组)$`)
	reBookTitle   = regexp.MustCompile(`《([^》]+)》`)
	reYear        = regexp.MustCompile(`(20\d\d)\s*年`)
	reTitleLine   = regexp.MustCompile(`^[^,。:;]{0,20}20\d\d年[^,。:;]{2,40}(?:清单|方案|分工|任务|计划|目标|表)$`)
	reTitleHead   = regexp.MustCompile(`^[^,。:;()]{0,20}20\d\d年[^,。:;()]{2,30}$`)
	reTitleTail   = regexp.MustCompile(`^[^\d,。:;()、]{0,12}(?:清单|方案|分工|任务|计划|目标|表|实事|项目|责任书)$`)
	reTag         = regexp.MustCompile(`^【[^】]{1,30}】$`)
	reDocNumber   = regexp.MustCompile(`^\S{1,12}[〔\[]20\d\d[〕\]]\s*\d+\s*号$`)
	reDocYear     = regexp.MustCompile(`[〔\[(](20\d\d)[〕\])]`)
	reDeclTasks   = regexp.MustCompile(`共(?:计|有)?\s*(\d+)\s*项`)
	reDeclLeads   = regexp.MustCompile(`(\d+)\s*个牵头(?:部门|单位)`)
	reSection     = regexp.MustCompile(`^(?:[` + cnDigits + `]+\s*[、.]|\(\s*[` + cnDigits + `]+\s*\))\s*(.+)$`)
	reDunCN       = regexp.MustCompile(`^(?P<num>[` + cnDigits + `]+)\s*[、.]\s*(?P<rest>.+)$`)
	reParenCN     = regexp.MustCompile(`^\(\s*(?P<num>[` + cnDigits + `]+)\s*\)\s*(?P<rest>.+)$`)
	rePart        = regexp.MustCompile(`^第(?P<num>[` + cnDigits + `]+)(?:部分|篇|章|板块)\s*(?P<rest>.*)$`)
	reListStart   = regexp.MustCompile(`^(?:附件\s*[0-9` + cnDigits + `]{0,3}\s*:?|\(此件[^)]{0,12}\))$`)
	reSecLead     = regexp.MustCompile(`^(.+?)(?:牵头|负责)(?:工作|事项|任务|落实)?\s*(?:\(\s*(?:共\s*)?(\d+)\s*项\s*\))?\s*[:]?$`)
	reItem        = regexp.MustCompile(`^(\d{1,4})\s*(?:[.、]|\s)\s*(\S.*)$`)
	reStartsDigit = regexp.MustCompile(`^\d`)
	reItemParen   = regexp.MustCompile(`^\(\s*(\d{1,4})\s*\)\s*(.+)$`)
	reFileName    = regexp.MustCompile(`(?i)\.(?:docx?|xlsx?|pdf|wps|et|ofd|zip|rar|txt)$`)
	reUnitCount   = regexp.MustCompile(`^(?P<unit>[^,。;:()\d]{2,20}?)(?:牵头|负责)?(?:工作|事项|任务)?\s*\(\s*(?:共\s*)?\d+\s*项\s*\)$`)
	reDeptHeading = regexp.MustCompile(`^(?:市|县|区|州|旗|盟)[^\s,。;:、()]{2,14}$`)
	reSecCount    = regexp.MustCompile(`^(.+?)\s*\(\s*(?:共\s*)?(\d+)\s*项\s*\)\s*$`)
	// reLeaderTitle ends a person's name and title: "一、王纲市长牵头重点工作" is a section of
	// the mayor's tasks, not of a department.
	reLeaderTitle = regexp.MustCompile(`(?:省长|市长|县长|区长|州长|旗长|镇长|乡长|书记|主任|同志)$`)
)

// Numbering levels of items and headings, coarse to fine.
const (
	levelPart   = 0 // 第一部分
	levelDun    = 1 // 一、
	levelParen  = 2 // (一)
	levelArabic = 3 // 1. 1、 (1)
)

func (p *parser) run(doc *document.Document) {
	p.seenNums = map[int]int{}
	p.prepare(doc)
	p.scan()
	var last *rawTask
	for i := range p.in {
		in := &p.in[i]
		n := i + 1
		if in.skip {
			continue
		}
		if in.cells != nil && !in.split {
			if in.pos.Table != p.tableNo {
				p.newTable(in.pos.Table, len(in.cells))
			}
			handled, lines := p.tableRow(n, in.cells, in.cells)
			if handled {
				last = nil
				continue
			}
			for _, l := range lines {
				p.textLine(n, l, nil, &last)
			}
			continue
		}
		p.textLine(n, in.raw, in.cells, &last)
	}
	p.closeSections(0)
}

// textLine reads one line of text; cells are its tab-separated fields, if any.
func (p *parser) textLine(n int, raw string, cells []string, last **rawTask) {
	orig := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
	line := normalize(raw)
	if line == "" {
		return
	}
	if n-1 < p.listStart {
		p.header(n, line) // the notice's letter: only its title, issuer and number count
		return
	}
	if !p.started && p.header(n, line) {
		return
	}
	if cells == nil && strings.Contains(line, "|") {
		cells = splitBars(line)
		origCells := splitBars(strings.ReplaceAll(orig, "｜", "|"))
		if ok, _ := p.tableRow(n, cells, origCells); ok {
			*last = nil
			return
		}
	} else if cells != nil {
		if ok, _ := p.tableRow(n, cells, cells); ok {
			*last = nil
			return
		}
	}
	if reListStart.MatchString(line) {
		// 附件2: another list follows; its numbering may start again
		p.closeSections(0)
		p.sectionSince = true
		*last = nil
		return
	}
	if *last != nil && p.fieldLine(line, *last) {
		return
	}
	if p.section(n, line) {
		*last = nil
		return
	}
	if t := p.item(n, line, orig); t != nil {
		*last = t
		return
	}
	if t := p.unnumbered(n, line, orig, *last); t != nil {
		*last = t
		return
	}
	if !p.started {
		return // preamble of the notice: not part of the list
	}
	if l := *last; l != nil && !l.closed && l.body == l.full && !endsSentence(l.full) && utf8.RuneCountInString(line) < 200 && hasHan(line) {
		// a wrapped item continues on this line (an item ending with its lead is complete)
		l.text += orig
		p.annotate(l, l.full+line)
		return
	}
	p.warn(n, "ignored: not a task, section or table row: %q", clip(line, 40))
}

// prepare turns the document into inputs: tab-separated lines of text become rows, and a
// table copied from a web page one cell per line becomes rows again.
func (p *parser) prepare(doc *document.Document) {
	p.in = make([]input, len(doc.Lines))
	for i, l := range doc.Lines {
		p.in[i] = input{raw: l.Text, cells: l.Cells, pos: l.Pos}
	}
	p.in = expandRunOn(p.in)
	for i := range p.in {
		l := p.in[i]
		if l.cells == nil && doc.Format == document.Text && strings.Contains(l.raw, "\t") {
			fs := strings.Split(strings.TrimSpace(l.raw), "\t")
			filled := 0
			for _, f := range fs {
				if strings.TrimSpace(f) != "" {
					filled++
				}
			}
			if filled >= 3 {
				p.in[i].cells, p.in[i].split = fs, true
			}
		}
	}
	if doc.Format == document.Text {
		p.verticalTables()
		p.barRows()
	}
}

// scan finds where the list starts (after the notice's letter) and how its items are
// numbered: the finest numbering the list uses.
func (p *parser) scan() {
	count := func(from int) (arabic, paren, dun int) {
		open := false // the line above is an item that may go on (it names no lead yet)
		for i := from; i < len(p.in); i++ {
			in := p.in[i]
			if in.skip {
				continue
			}
			if in.cells != nil {
				if rowNumber(in.cells) > 0 {
					arabic++
				}
				open = false
				continue
			}
			line := normalize(in.raw)
			if line == "" {
				continue
			}
			if strings.Contains(line, "|") {
				if rowNumber(splitBars(line)) > 0 {
					arabic++
				}
				open = false
				continue
			}
			numbered := true
			if m := reItem.FindStringSubmatch(line); m != nil && !(reStartsDigit.MatchString(m[2]) && startsWithQty(m[1]+"."+m[2])) || reItemParen.MatchString(line) {
				arabic++
			} else if reParenCN.MatchString(line) {
				paren++
			} else if reDunCN.MatchString(line) {
				dun++
			} else {
				numbered = false
			}
			lead := carriesLead(line)
			switch {
			case numbered:
				// a heading ("一、主要目标") leaves nothing open; an item with words may wrap
				open = !lead && !endsSentence(line) && (strings.ContainsAny(line, ",。;") || utf8.RuneCountInString(line) > 25)
			case open:
				open = !lead && !endsSentence(line)
			case lead:
				arabic++ // an item without a number that names its lead: the finest level
			}
		}
		return
	}
	for i, in := range p.in {
		if in.cells == nil && reListStart.MatchString(normalize(in.raw)) {
			if a, b, c := count(i + 1); a+b+c > 0 {
				p.listStart = i + 1
			}
			break
		}
	}
	arabic, paren, _ := count(p.listStart)
	switch {
	case arabic > 0:
		p.itemLevel = levelArabic
	case paren > 0:
		p.itemLevel = levelParen
	default:
		p.itemLevel = levelDun
	}
}

func startsWithQty(s string) bool {
	loc := reQty.FindStringIndex(s)
	return loc != nil && loc[0] == 0
}

// splitBars splits a row flattened with "|". Bars at both ends frame the row (|a|b|);
// a bar at the end only closes the last cell (a|b|); bars at the start only are empty
// cells (||牵头单位|配合单位, under a header over two rows).
func splitBars(line string) []string {
	line = strings.TrimSpace(line)
	switch start, end := strings.HasPrefix(line, "|"), strings.HasSuffix(line, "|"); {
	case start && end && len(line) > 1:
		line = line[1 : len(line)-1]
	case end:
		line = line[:len(line)-1]
	}
	return strings.Split(line, "|")
}

// rowNumber is the number a table row starts with (its first filled cell), or 0.
func rowNumber(cells []string) int {
	for _, c := range cells {
		c = strings.Trim(normalize(c), ".、() ")
		if c == "" {
			continue
		}
		n, err := strconv.Atoi(c)
		if err != nil || n <= 0 {
			return 0
		}
		return n
	}
	return 0
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func endsSentence(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasSuffix(s, "。") || strings.HasSuffix(s, ";") || strings.HasSuffix(s, ")") || strings.HasSuffix(s, "!")
}

var placeholder = map[string]bool{"无": true, "-": true, "/": true, "—": true, "——": true, "暂无": true, "\\": true}

// metaField reads a labelled metadata line of a government web page ("发文字号:…",
// "发布机构:…", "标题:…"); true when it used the line.
func (p *parser) metaField(line string) bool {
	m := reMeta.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	key := strings.ReplaceAll(m[1], " ", "")
	val := strings.TrimSpace(m[2])
	switch key {
	case "发文字号", "文号":
		if !placeholder[val] {
			p.document = val
		}
		return true
	case "发布机构", "发文机关", "发文单位":
		if !placeholder[val] {
			p.issuer = val
		}
		return true
	case "标题", "名称":
		if nm := reNoticeHead.FindStringSubmatch(val); nm != nil {
			if p.issuer == "" {
				p.issuer = strings.TrimSpace(nm[1])
			}
			val = strings.Trim(nm[2], "《》")
		}
		if p.title == "" && !placeholder[val] {
			p.title = val
		}
		return true
	case "索引号", "成文时间", "成文日期", "发布日期", "主题词", "主题分类", "有效性", "发布时间", "信息分类", "组配分类", "公开方式", "来源", "体裁分类":
		return true
	}
	return false
}

// header reads metadata lines before the list; it returns true when it used the line.
func (p *parser) header(n int, line string) bool {
	if m := reYear.FindStringSubmatch(line); m != nil && p.year == 0 {
		p.year, _ = strconv.Atoi(m[1]) // a fallback when the title names no year
	}
	if reTag.MatchString(line) {
		return true // 【保基本民生】: a tag above the title
	}
	line = reTagHead.ReplaceAllString(line, "") // or before it
	prev := p.prevHeader
	p.prevHeader = line
	if head := p.noticeHead; head != "" {
		p.noticeHead = ""
		if reNoticeHead.MatchString(head + line) {
			line = head + line // 关于印发…的通知 over two lines
		}
	}
	if strings.Contains(line, "关于") && !strings.HasSuffix(line, "的通知") && utf8.RuneCountInString(line) <= 40 && !strings.ContainsAny(line, ",。;:") {
		p.noticeHead = line
	}
	if p.titleOpen {
		p.titleOpen = false
		if reTitleTail.MatchString(line) && utf8.RuneCountInString(line) <= 12 {
			p.title += line // the title wraps
			return true
		}
	}
	if head := p.titleHead; head != "" {
		p.titleHead = ""
		if p.title == "" && reTitleTail.MatchString(line) && utf8.RuneCountInString(line) <= 12 {
			p.title = head + line
			return true
		}
	}
	if p.title == "" && reTitleLine.MatchString(line) {
		p.title = line
		p.titleOpen = true
		return true
	}
	if p.title == "" && reTitleHead.MatchString(line) && !reNoticeHead.MatchString(line) && !reSection.MatchString(line) {
		p.titleHead = line
	}
	if m := reDeclTasks.FindStringSubmatch(line); m != nil && p.declaredTasks == 0 && (strings.Contains(line, "任务") || strings.Contains(line, "清单")) {
		p.declaredTasks, _ = strconv.Atoi(m[1])
		p.declaredTasksLine = n
	}
	if m := reDeclLeads.FindStringSubmatch(line); m != nil && p.declaredLeads == 0 {
		p.declaredLeads, _ = strconv.Atoi(m[1])
		p.declaredLeadsLine = n
	}
	if p.metaField(line) {
		return true
	}
	if reDocNumber.MatchString(line) && p.document == "" {
		p.document = line
		return true
	}
	if m := reNoticeHead.FindStringSubmatch(line); m != nil {
		if p.issuer == "" {
			p.issuer = strings.TrimSpace(m[1])
			if p.issuer == "" && reIssuerLine.MatchString(prev) {
				p.issuer = prev // 洋县人民政府 / 关于印发…的通知 on two lines
			}
		}
		if p.title == "" {
			p.title = strings.Trim(m[2], "《》")
		}
		return true
	}
	if m := reBookTitle.FindStringSubmatch(line); m != nil && p.title == "" && utf8.RuneCountInString(m[1]) >= 6 {
		p.title = m[1] // 《2026年市政府工作报告重点目标任务清单》, not 《方案》
	}
	return false
}

// heading tells whether a line is a heading at a level coarser than the items, and its
// level and words.
func (p *parser) heading(line string) (level int, body string, ok bool) {
	if m := rePart.FindStringSubmatch(line); m != nil {
		return levelPart, m[rePart.SubexpIndex("rest")], true
	}
	if m := reDunCN.FindStringSubmatch(line); m != nil && p.itemLevel > levelDun {
		return levelDun, m[reDunCN.SubexpIndex("rest")], true
	}
	if m := reParenCN.FindStringSubmatch(line); m != nil && p.itemLevel > levelParen {
		return levelParen, m[reParenCN.SubexpIndex("rest")], true
	}
	if m := reUnitCount.FindStringSubmatch(line); m != nil && looksLikeUnit(m[reUnitCount.SubexpIndex("unit")]) {
		return levelDun, line, true // "县发改局(5项)": a department's section without a number
	}
	return 0, "", false
}

// section recognizes a section heading ("二、市发改委牵头工作(22项)", "一、扩大有效投资").
func (p *parser) section(n int, line string) bool {
	level, body, ok := p.heading(line)
	if !ok {
		return false
	}
	body = strings.TrimSpace(body)
	if utf8.RuneCountInString(body) > 60 || strings.HasSuffix(body, "。") && !strings.Contains(body, "牵头") {
		return false
	}
	if lm := reSecLead.FindStringSubmatch(body); lm != nil {
		names := splitUnits(lm[1])
		if len(names) > 0 && !reLeaderTitle.MatchString(names[0]) {
			p.started = true
			var lead []string
			for i, name := range names {
				lead = append(lead, p.reg.add(name, i == 0))
			}
			declared := 0
			if lm[2] != "" {
				declared, _ = strconv.Atoi(lm[2])
			}
			p.openSection(n, level, lead, declared)
			return true
		}
	}
	if cm := reSecCount.FindStringSubmatch(body); cm != nil && looksLikeUnit(cm[1]) {
		// "(一)市发展改革委(5项)": a department section without the word 牵头
		p.started = true
		declared, _ := strconv.Atoi(cm[2])
		p.openSection(n, level, []string{p.reg.add(cm[1], true)}, declared)
		return true
	}
	if reDeptHeading.MatchString(body) && looksLikeUnit(body) {
		// "二、县教育局": a department's name alone
		p.started = true
		p.openSection(n, level, []string{p.reg.add(body, true)}, 0)
		return true
	}
	p.openSection(n, level, nil, 0) // a topic section: items name their own lead, or a section above does
	return true
}

// openSection closes the sections at the level and below and opens one.
func (p *parser) openSection(n, level int, lead []string, declared int) {
	p.closeSections(level)
	p.secs = append(p.secs, section{level: level, line: n, lead: lead, declared: declared})
	p.sectionSince = true
}

func (p *parser) closeSections(level int) {
	for len(p.secs) > 0 && p.secs[len(p.secs)-1].level >= level {
		s := p.secs[len(p.secs)-1]
		if s.declared > 0 && s.declared != s.counted {
			p.warn(s.line, "section declares %d items, found %d", s.declared, s.counted)
		}
		p.secs = p.secs[:len(p.secs)-1]
	}
}

// sectionLead is the lead named by the innermost open section that names one.
func (p *parser) sectionLead() []string {
	for i := len(p.secs) - 1; i >= 0; i-- {
		if len(p.secs[i].lead) > 0 {
			return p.secs[i].lead
		}
	}
	return nil
}

// item recognizes a numbered item and records it as a task.
func (p *parser) item(n int, line, orig string) *rawTask {
	m := reItem.FindStringSubmatch(line)
	if m != nil && reStartsDigit.MatchString(m[2]) && p.looksLikeFigure(m[1], m[2]) {
		m = nil // "2026年…" or "1.7亿吨…" at the start of a line is not an item number
	}
	paren := false
	if m == nil {
		m = reItemParen.FindStringSubmatch(line)
		paren = m != nil
	}
	if reFileName.MatchString(line) {
		return nil // "1.2025年重点任务分解表.docx": an attachment's name
	}
	if m != nil {
		num, err := strconv.Atoi(m[1])
		if err != nil || num <= 0 {
			return nil
		}
		if last := p.subItemOf(num, paren); last != nil {
			// "1.推进项目建设。" then "(1)新开工项目30个。" "(2)…": the parts of item 1
			last.text += " " + orig
			sep := ""
			if !endsSentence(last.full) {
				sep = "。"
			}
			p.annotate(last, last.full+sep+m[2])
			return last
		}
		p.started = true
		t := p.addTask(n, num, m[2], verbatim(orig), nil)
		t.dotted = !paren
		return t
	}
	// items numbered in Chinese when the list has no finer numbering
	var re *regexp.Regexp
	switch p.itemLevel {
	case levelParen:
		re = reParenCN
	case levelDun:
		re = reDunCN
	default:
		return nil
	}
	cm := re.FindStringSubmatch(line)
	if cm == nil {
		return nil
	}
	num := chineseNumber(cm[re.SubexpIndex("num")])
	if num <= 0 {
		return nil
	}
	p.started = true
	return p.addTask(n, num, cm[re.SubexpIndex("rest")], verbatim(orig), nil)
}

// unnumbered reads a line without a number that names its lead at its end (or whose next
// line does), under a heading or among items, as the next item ("(一)约束性指标" then
// "耕地保有量保持在2000.9万亩。(市国土局牵头)"), unless it ends the item above, which
// names no lead yet.
func (p *parser) unnumbered(n int, line, orig string, last *rawTask) *rawTask {
	if !p.started && len(p.secs) == 0 || !carriesLead(line) && !p.leadLineAfter(n) {
		return nil
	}
	if last != nil && !last.closed && last.body == last.full && !endsSentence(last.full) {
		return nil // the wrapped end of the item above
	}
	p.started = true
	return p.addTask(n, p.lastWritten+1, line, strings.TrimSpace(orig), nil)
}

// leadLineAfter tells whether the line after line n is only the lead of a task
// ("由市人民政府各相关部门负责落实。", "牵头单位:县发改局"): line n is then a task's words.
func (p *parser) leadLineAfter(n int) bool {
	for i := n; i < len(p.in); i++ {
		in := p.in[i]
		if in.skip || strings.TrimSpace(in.raw) == "" && in.cells == nil {
			continue
		}
		if in.cells != nil {
			return false
		}
		f, ok := lineFields(normalize(in.raw))
		return ok && len(f.lead)+len(f.resp) > 0
	}
	return false
}

// subItemOf returns the task a "(n)" line belongs to when it numbers the parts of an
// item "N." (its numbering starts at (1) right after the item, no heading between).
func (p *parser) subItemOf(num int, paren bool) *rawTask {
	if !paren || len(p.tasks) == 0 || p.sectionSince {
		return nil
	}
	last := p.tasks[len(p.tasks)-1]
	switch {
	case last.closed || last.table:
		return nil
	case p.subNext == 0 && num == 1 && last.dotted, p.subNext > 0 && num == p.subNext:
		p.subNext = num + 1
		return last
	}
	return nil
}

// chineseNumber reads 一 … 九十九, 一百零五; 0 when s is not such a number.
func chineseNumber(s string) int {
	digit := map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	total, cur := 0, 0
	for _, r := range s {
		switch r {
		case '十':
			if cur == 0 {
				cur = 1
			}
			total += cur * 10
			cur = 0
		case '百':
			total += cur * 100
			cur = 0
		default:
			d, ok := digit[r]
			if !ok {
				return 0
			}
			cur = cur*10*boolInt(cur > 0) + d
		}
	}
	return total + cur
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// looksLikeFigure tells "1.7亿吨…" (a figure starting a wrapped line) from "1.10月底前…"
// (item 1): a decimal with a unit is a figure unless the number is the next item's.
func (p *parser) looksLikeFigure(num, rest string) bool {
	if !startsWithQty(num + "." + rest) {
		return false
	}
	n, _ := strconv.Atoi(num)
	return len(p.tasks) == 0 || p.lastWritten+1 != n
}

var reItemNumber = regexp.MustCompile(`^\s*(?:[(（]\s*[0-9０-９]+\s*[)）]|[0-9０-９]+\s*[.、．]?|[(（]\s*[` + cnDigits + `]+\s*[)）]|[` + cnDigits + `]+\s*[、.．])\s*`)

// verbatim strips the item number from the original line.
func verbatim(orig string) string {
	s := reItemNumber.ReplaceAllString(orig, "")
	return strings.TrimSpace(s)
}

// addTask records a task numbered num as written; given are fields read elsewhere (a
// table's columns), nil for an item of text.
func (p *parser) addTask(n, num int, body, text string, given *fields) *rawTask {
	if len(p.tasks) > 0 && num == 1 && p.sectionSince && p.lastWritten >= 1 {
		// numbering restarts in this section: number on through the list
		p.offset = p.tasks[len(p.tasks)-1].num
	}
	p.lastWritten = num
	p.sectionSince = false
	p.subNext = 0
	num += p.offset
	t := &rawTask{line: n, num: num, text: text}
	if given != nil {
		t.given, t.table = *given, true
	}
	p.annotate(t, body)
	if prev, ok := p.seenNums[num]; ok {
		p.warn(n, "task number %d repeats line %d; kept both", num, prev)
	}
	if len(p.tasks) > 0 && num != p.tasks[len(p.tasks)-1].num+1 {
		if _, dup := p.seenNums[num]; !dup {
			p.warn(n, "task number %d follows %d", num, p.tasks[len(p.tasks)-1].num)
		}
	}
	p.seenNums[num] = n
	p.tasks = append(p.tasks, t)
	for i := range p.secs {
		p.secs[i].counted++
	}
	return t
}

// annotate sets the task's body, lead and cooperating units from the item text, the
// fields given with it and the current section.
func (p *parser) annotate(t *rawTask, body string) {
	t.full = body
	var parsed fields
	// Trailing parentheses: (配合单位:X、Y), (X牵头,相关成员单位配合), (X牵头落实),
	// (责任领导:X;牵头单位:Y;责任单位:Z).
	for {
		start, inner, ok := trailingParen(body)
		if !ok {
			break
		}
		f, ok := parenFields(inner)
		if !ok {
			break
		}
		parsed = f.before(parsed)
		body = strings.TrimSpace(body[:start])
	}
	// Labelled fields after the words: "…。牵头单位:X;配合单位:Y", "责任单位:X 完成时限:…".
	if words, f, ok := tailFields(body); ok {
		parsed = parsed.before(f) // after the parentheses, as the lead of an item is read
		body = strings.TrimSpace(words)
	}
	// "…。由市财政局、农业局负责落实。"
	if words, f, ok := byFields(body); ok && words != "" {
		parsed = parsed.before(f)
		body = words
	}
	all := t.given.before(parsed)
	t.deadline = deadlineText(all.due)
	lead, coop, resp := all.lead, all.coop, all.resp
	// a unit marked (牵头) in any list leads
	var marked []unit
	for _, l := range [][]unit{lead, resp, coop} {
		for _, u := range l {
			if u.lead {
				marked = append(marked, u)
			}
		}
	}
	if len(marked) > 0 {
		lead = append(marked, lead...)
	}
	secLead := p.sectionLead()
	if t.table && (len(lead) > 0 || len(resp) > 0) {
		secLead = nil // the table's columns name the lead
	}
	if len(secLead) == 0 && len(lead) == 0 && len(resp) > 0 {
		lead, resp = resp[:1], resp[1:] // the first responsible unit leads
	}
	coop = append(coop, resp...)
	t.body = body
	t.lead, t.coop = nil, nil
	add := func(list *[]string, name string, asLead bool) {
		k := p.reg.add(name, asLead)
		for _, have := range append(append([]string(nil), t.lead...), t.coop...) {
			if have == k {
				return
			}
		}
		*list = append(*list, k)
	}
	switch {
	case len(secLead) > 0:
		// The section names the lead. A different lead named in the item (131: 市安委办牵头)
		// is the body that coordinates the work: recorded as the first cooperating unit.
		add(&t.lead, p.reg.names[secLead[0]], true)
		for _, k := range secLead[1:] {
			add(&t.coop, p.reg.names[k], false)
		}
		for _, u := range lead {
			add(&t.coop, u.name, false)
		}
	case len(lead) > 0:
		add(&t.lead, lead[0].name, true)
		for _, u := range lead[1:] {
			add(&t.coop, u.name, false)
		}
	}
	for _, u := range coop {
		add(&t.coop, u.name, false)
	}
}

// fieldLine reads a line of labelled fields after an item ("牵头单位:区发改局",
// "协同责任单位:…", "完成时限:6月底前") into the item.
func (p *parser) fieldLine(line string, last *rawTask) bool {
	f, ok := lineFields(line)
	if !ok {
		return false
	}
	last.given = last.given.before(f)
	last.closed = true
	p.annotate(last, last.full)
	return true
}

// finish builds the catalog: plan, departments with ids, tasks with targets.
func (p *parser) finish() *indicators.Catalog {
	c := &indicators.Catalog{}
	year := p.year
	if m := reYear.FindStringSubmatch(p.title); m != nil {
		year, _ = strconv.Atoi(m[1])
	} else if m := reDocYear.FindStringSubmatch(p.document); m != nil {
		year, _ = strconv.Atoi(m[1])
	}
	if year == 0 {
		year = p.opt.Year
	}
	for _, rt := range p.tasks {
		if year != 0 {
			break
		}
		// no year above the list: the year its deadlines name (a workbook with a bare title)
		if m := reYear.FindStringSubmatch(deadlineText(rt.deadline)); m != nil {
			year, _ = strconv.Atoi(m[1])
		}
	}
	if year == 0 {
		p.warn(0, "no plan year in the title or document number; use Options.Year")
	}
	tz := p.opt.TimeZone
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	id := p.opt.PlanID
	if id == "" {
		id = planID(p.issuer, p.title, year)
	}
	c.Plan = indicators.Plan{ID: id, Title: p.title, Issuer: p.issuer, Document: p.document, Year: year, TimeZone: tz, Source: p.opt.Source}

	for _, rt := range p.tasks {
		if len(rt.lead) == 0 {
			p.warn(rt.line, "task %d has no lead department", rt.num)
		}
	}
	ids := assignIDs(p.reg.keys)
	c.Departments = []indicators.Department{}
	c.Tasks = []indicators.Task{}
	for _, k := range p.reg.keys {
		c.Departments = append(c.Departments, indicators.Department{ID: ids[k], Name: p.reg.names[k]})
	}
	ex := &extractor{year: year, warn: p.warn, lines: map[string]int{}}
	for _, rt := range p.tasks {
		t := indicators.Task{Num: rt.num, Text: rt.text}
		if len(rt.lead) > 0 {
			t.Lead = ids[rt.lead[0]]
		}
		for _, k := range rt.coop {
			t.Cooperating = append(t.Cooperating, ids[k])
		}
		t.Targets = ex.targets(rt.line, rt.num, rt.body, rt.deadline)
		c.Tasks = append(c.Tasks, t)
	}
	ex.resolveRelative(c)
	if len(c.Tasks) == 0 {
		p.warn(0, "no tasks found")
	}
	if p.declaredTasks > 0 && p.declaredTasks != len(c.Tasks) {
		p.warn(p.declaredTasksLine, "the notice declares %d tasks, found %d", p.declaredTasks, len(c.Tasks))
	}
	if p.declaredLeads > 0 && p.declaredLeads != len(c.LeadDepartments()) {
		p.warn(p.declaredLeadsLine, "the notice declares %d lead departments, found %d", p.declaredLeads, len(c.LeadDepartments()))
	}
	c.Build()
	return c
}

var (
	reCity      = regexp.MustCompile(`^(.+?)(?:市|州|盟|地区|县|区)?(?:人民政府|政府)`)
	reCityAny   = regexp.MustCompile(`^(\p{Han}{1,6}?)(?:市|州|盟|地区|县|区|旗)`)
	reTitleCity = regexp.MustCompile(`^(.+?)(?:市|州|盟|地区|县|区)20\d\d年`)
)

// planID derives "changzhi-2026" from the issuer 长治市人民政府办公室 (or a title
// 北川县2026年…) and the year.
func planID(issuer, title string, year int) string {
	city := ""
	if m := reCity.FindStringSubmatch(issuer); m != nil {
		city = Pinyin(m[1])
	} else if m := reTitleCity.FindStringSubmatch(title); m != nil {
		city = Pinyin(m[1])
	} else if m := reCityAny.FindStringSubmatch(issuer); m != nil {
		city = Pinyin(m[1]) // 宣城市民生工作领导小组办公室
	}
	if city == "" {
		city = "plan"
	}
	if year == 0 {
		return city
	}
	return fmt.Sprintf("%s-%d", city, year)
}

// Import parses a notice in plain text and applies the hand corrections of an overlay
// (nil for none): what the shipped catalogs are generated from.
func Import(text string, opt Options, ov *indicators.Overlay) (*indicators.Catalog, []Warning, error) {
	return ImportDocument(document.FromText(text), opt, ov)
}

// ImportDocument is Import for a notice read from any file: what `duban import` prints.
func ImportDocument(doc *document.Document, opt Options, ov *indicators.Overlay) (*indicators.Catalog, []Warning, error) {
	c, warns := ParseDocument(doc, opt)
	if err := c.ApplyOverlay(ov); err != nil {
		return nil, warns, err
	}
	return c, warns, nil
}
