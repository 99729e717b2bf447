package notice

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Tables. A header row is found by its words, whatever the order of its columns:
//
//	num     序号, 编号
//	text    工作任务, 目标任务, 重点任务, 重点工作, 主要任务, 工作事项, 任务内容, 项目名称,
//	        实事项目, 建设内容…: the task's words; several such columns are read in order
//	        (and are all the task's text: 项目名称|工作任务)
//	goal    年度目标, 目标要求, 工作目标, 目标值, 预期目标…: more words of the task (the
//	        figure, when a metric column names what it measures)
//	metric  指标名称, 主要指标, 考核指标 (a 目标责任书 table: the metric, the figure and its unit
//	        in three columns are read as "metric figure unit")
//	unit    单位, 计量单位 (of the figure)
//	lead    牵头单位, 牵头部门, 牵头责任单位, 主责单位
//	resp    责任单位, 责任部门, 实施单位: the lead when the table has no 牵头 column (its
//	        first unit, or the one marked (牵头)), else cooperating
//	coop    配合单位, 协同单位, 协同责任单位, 协办单位
//	due     完成时限, 时间节点, 完成时间
//	leader  责任领导, 分管领导, 牵头领导: a person, never a unit
//	plan    实施计划, 推进计划, 时间安排 ("工作举措及实施计划"): the task's steps with their own
//	        dates, whose figures restate the year's; not read unless no column holds the
//	        task's words
//
// A header over two rows (责任单位 above 牵头单位 | 配合单位) is read as one. Rows take
// their number from the num column (a row without one continues the numbering; a row
// numbered 一, 二 without units is a section heading); a row repeating the number of the
// row above, or all its words when there is no num column (merged cells carried down),
// adds its words, its own deadline and its units to that task. A row flattened from a page
// without its first cells (merged with the row above and left out: "对七星路…|2021.12|
// 城投集团||") takes them from the row above when its cells fit the last columns only
// (see realign). A table without a header row that follows one with the same columns (a
// table broken over pages) reads as its continuation.

type colKind int

const (
	colNone colKind = iota
	colNum
	colText
	colGoal
	colMetric
	colUnit
	colLead
	colResp
	colCoop
	colDue
	colLeader
	colOther // 备注, 类别, 进展情况: known, not read
	colPlan  // 实施计划, 推进计划, 时间安排: the steps of the task, read only when no other column has its words
)

var (
	reColNum    = regexp.MustCompile(`^(?:序号|编号|序|No\.?)$`)
	reColLeader = regexp.MustCompile(`领导|责任人|联系人`)
	reColLead   = regexp.MustCompile(`牵头|主责|主要责任|主办`)
	reColCoop   = regexp.MustCompile(`配合|协同|协办|协作|参与|协助|会同`)
	reColResp   = regexp.MustCompile(`责任单位|责任部门|实施单位|实施主体|承办单位|负责单位|负责部门|落实单位|责任主体|责任处室|责任科室`)
	reColDue    = regexp.MustCompile(`时限|时间|节点|期限|进度安排`)
	reColUnit   = regexp.MustCompile(`^(?:计量)?单位$`)
	reColMetric = regexp.MustCompile(`指标`)
	reColText   = regexp.MustCompile(`任务|工作|事项|内容|项目|举措|措施|名称|实事`)
	reColGoal   = regexp.MustCompile(`目标|指标值|指标要求|预期`)
	reColOther  = regexp.MustCompile(`备注|进展|进度|完成情况|推进情况|落实情况|成效|达序|说明|类别|类型|领域|分类|板块|序时|电话`)
	reColPlan   = regexp.MustCompile(`实施计划|推进计划|进度计划|工作计划|实施步骤|推进步骤|时间安排`)
)

// classify tells what a header cell names.
func classify(cell string) colKind {
	c := strings.Join(strings.Fields(cell), "")
	c = strings.TrimRight(c, ":")
	switch {
	case c == "" || utf8.RuneCountInString(c) > 14:
		return colNone
	case reColNum.MatchString(c):
		return colNum
	case reColLeader.MatchString(c):
		return colLeader
	case reColLead.MatchString(c):
		return colLead
	case reColCoop.MatchString(c):
		return colCoop
	case reColResp.MatchString(c):
		return colResp
	case reColOther.MatchString(c):
		return colOther
	case reColDue.MatchString(c):
		return colDue
	case reColPlan.MatchString(c):
		return colPlan // 工作举措及实施计划: steps with their own dates, not the year's figures
	case reColUnit.MatchString(c):
		return colUnit
	case strings.Contains(c, "任务"):
		return colText // 目标任务
	case reColMetric.MatchString(c) && !strings.Contains(c, "目标") && !strings.Contains(c, "要求"):
		return colMetric
	case reColGoal.MatchString(c):
		return colGoal
	case reColText.MatchString(c):
		return colText
	}
	return colNone
}

// isHeaderRow reports whether cells are a table's header: short cells naming the task's
// words and its units.
func isHeaderRow(cells []string) bool {
	var words, units, filled, known int
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		filled++
		k := classify(c)
		if k == colNone {
			continue
		}
		known++
		switch k {
		case colText, colGoal, colMetric:
			words++
		case colLead, colResp:
			units++
		}
	}
	return words > 0 && units > 0 && filled >= 3 && known*3 >= filled*2
}

// tableLayout remembers which column holds what.
type tableLayout struct {
	width                                                int
	num, metric, value, unit, lead, resp, coop, due, ldr int
	text                                                 []int // the task's words, in order
	leadIsResp                                           bool  // the lead column is a 责任单位 column
	header                                               []string
}

func newLayout(cells []string) *tableLayout {
	tl := &tableLayout{width: len(cells), num: -1, metric: -1, value: -1, unit: -1, lead: -1, resp: -1, coop: -1, due: -1, ldr: -1, header: cells}
	var goals, plans []int
	set := func(p *int, i int) {
		if *p < 0 {
			*p = i
		}
	}
	for i, c := range cells {
		switch classify(c) {
		case colNum:
			set(&tl.num, i)
		case colText:
			tl.text = append(tl.text, i)
		case colGoal:
			goals = append(goals, i)
		case colPlan:
			plans = append(plans, i)
		case colMetric:
			set(&tl.metric, i)
		case colUnit:
			set(&tl.unit, i)
		case colLead:
			set(&tl.lead, i)
		case colResp:
			set(&tl.resp, i)
		case colCoop:
			set(&tl.coop, i)
		case colDue:
			set(&tl.due, i)
		case colLeader:
			set(&tl.ldr, i)
		}
	}
	if tl.metric >= 0 && len(goals) > 0 {
		tl.value, goals = goals[0], goals[1:]
	}
	tl.text = append(tl.text, goals...)
	if len(tl.text) == 0 {
		tl.text = plans // the only words of the task
	}
	if tl.lead < 0 && tl.resp >= 0 {
		tl.lead, tl.resp, tl.leadIsResp = tl.resp, -1, true // 责任单位 leads when no column is 牵头
	}
	return tl
}

// merge reads a second header row under the first: a filled cell names its column.
func (tl *tableLayout) merge(sub []string) *tableLayout {
	names := make([]string, max(len(tl.header), len(sub)))
	for i := range names {
		if i < len(sub) && strings.TrimSpace(sub[i]) != "" {
			names[i] = sub[i]
		} else if i < len(tl.header) {
			names[i] = tl.header[i]
		}
	}
	return newLayout(names)
}

// isSubHeader reports whether a row under a header names columns too.
func isSubHeader(cells []string) bool {
	filled := 0
	for _, c := range cells {
		if strings.TrimSpace(c) == "" {
			continue
		}
		filled++
		if classify(c) == colNone {
			return false
		}
	}
	return filled > 0
}

func (p *parser) newTable(no, width int) {
	p.tableNo = no
	p.lastRow, p.lastCells = nil, nil
	p.sectionSince = true
	if p.table != nil && p.table.width != width {
		p.table = nil // a table of other columns, whose header comes next or which is no list
	}
}

func cellOf(cells []string, i int) string {
	if i >= 0 && i < len(cells) {
		return strings.TrimSpace(cells[i])
	}
	return ""
}

// cellWords joins a cell's lines as one text; cellUnits as one list.
func cellWords(s string) string { return strings.ReplaceAll(s, "\n", "") }
func cellUnits(s string) string {
	s = strings.ReplaceAll(s, "\n", ",")
	if placeholder[strings.TrimSpace(s)] {
		return ""
	}
	return s
}

// tableRow reads a table row: a header, a task, or a row to read as lines of text
// (returned when handled is false: the one cell of a heading row, label-value pairs).
func (p *parser) tableRow(n int, raw, orig []string) (handled bool, lines []string) {
	cells := make([]string, len(raw))
	for i, c := range raw {
		cells[i] = strings.TrimSpace(normalize(c))
	}
	if isHeaderRow(cells) {
		p.table = newLayout(cells)
		p.tableSub, p.chineseRows, p.lastRow, p.lastCells = true, false, nil, nil
		p.started = true
		p.sectionSince = true
		return true, nil
	}
	tl := p.table
	if tl == nil {
		return false, rowLines(cells)
	}
	if p.tableSub {
		p.tableSub = false
		if isSubHeader(cells) {
			p.table = tl.merge(cells)
			return true, nil
		}
	}
	if strings.Trim(strings.Join(cells, ""), "|-: ") == "" {
		return true, nil // an empty row or a markdown separator row
	}
	cells, orig = p.realignRow(tl, cells, orig)
	if only, ok := oneText(cells); ok {
		return false, []string{only} // a heading inside the table
	}
	p.lastCells = cells
	get := func(i int) string { return cellOf(cells, i) }
	words := p.rowWords(tl, cells)
	text := p.rowText(tl, orig, words)
	var num int
	numText := strings.Trim(get(tl.num), ".、() ")
	switch {
	case tl.num < 0:
		num = len(p.tasks) + 1
	case numText == "":
		if words == "" {
			return true, nil
		}
		num = p.lastWritten + 1
	default:
		var err error
		num, err = strconv.Atoi(numText)
		if err != nil || num <= 0 {
			cn := chineseNumber(numText)
			switch {
			case cn > 0 && get(tl.lead) == "":
				return false, []string{numText + "、" + words} // 一 | 经济发展: a section heading
			case cn > 0 && (p.chineseRows || p.lastRow == nil):
				num, p.chineseRows = cn, true // a list numbered 一, 二… throughout
			default:
				p.warn(n, "table row without a number in column %d: %q", tl.num+1, clip(strings.Join(cells, "|"), 40))
				return true, nil
			}
		}
	}
	if words == "" {
		p.warn(n, "table row %d has no task text", num)
		return true, nil
	}
	f := rowFields(tl, cells)
	if last := p.lastRow; last != nil && last == p.tasks[len(p.tasks)-1] && (tl.num >= 0 && num == p.lastWritten && numText != "" || tl.num < 0 && words == p.lastRowWords) {
		p.continueRow(tl, cells, last, f, words)
		return true, nil
	}
	p.started = true
	t := p.addTask(n, num, words, text, &f)
	p.lastRow = t
	p.lastRowWords = words
	p.lastRowFirst = ""
	if len(tl.text) > 0 {
		p.lastRowFirst = cellWords(get(tl.text[0]))
	}
	return true, nil
}

// rowText is a task row's text as written (orig: the cells before normalizing): its
// column of words, all of them when there are several, or words.
func (p *parser) rowText(tl *tableLayout, orig []string, words string) string {
	text := ""
	if len(tl.text) == 1 && tl.text[0] < len(orig) {
		text = cellWords(strings.TrimSpace(orig[tl.text[0]]))
	}
	if text == "" && len(tl.text) > 1 {
		text = p.rowWords(tl, orig) // several columns of words (项目名称|工作任务): all of them
	}
	if text == "" {
		text = words
	}
	return text
}

// realignRow realigns a row whose first cells were merged with the row above and left
// out of the text (realign), and its original cells with it.
func (p *parser) realignRow(tl *tableLayout, cells, orig []string) ([]string, []string) {
	shifted, ok := p.realign(tl, cells)
	if !ok {
		return cells, orig
	}
	origShifted := make([]string, len(shifted))
	copy(origShifted, shifted)
	by := len(shifted) - filledWidth(cells)
	for i := range orig {
		if i < filledWidth(cells) && i+by < len(origShifted) {
			origShifted[i+by] = strings.TrimSpace(orig[i])
		}
	}
	return shifted, origShifted
}

// rowFields is what a task row's columns give: deadline, responsible leader, lead,
// responsible and cooperating units.
func rowFields(tl *tableLayout, cells []string) fields {
	get := func(i int) string { return cellOf(cells, i) }
	f := fields{due: get(tl.due), leader: get(tl.ldr)}
	leadUnits := splitUnitList(cellUnits(get(tl.lead)))
	if tl.leadIsResp {
		f.resp = leadUnits // a 责任单位 column: its first unit leads
	} else {
		f.lead = leadUnits
		f.resp = splitUnitList(cellUnits(get(tl.resp)))
	}
	f.coop = splitUnitList(cellUnits(get(tl.coop)))
	if placeholder[f.due] {
		f.due = ""
	}
	return f
}

// continueRow adds a row that continues the task of the row above to it: its number
// (and words) were merged cells carried down. The part's own deadline goes before its
// words, where the clause reads it; its units cooperate.
func (p *parser) continueRow(tl *tableLayout, cells []string, last *rawTask, f fields, words string) {
	get := func(i int) string { return cellOf(cells, i) }
	extra := words
	if words == p.lastRowWords {
		extra = "" // every cell of words carried down
	} else if len(tl.text) > 0 && get(tl.text[0]) != "" && cellWords(get(tl.text[0])) == p.lastRowFirst {
		extra = strings.TrimPrefix(words, p.lastRowFirst)
	}
	if extra = strings.Trim(extra, "。;, "); extra != "" {
		if d := dueWords(f.due); d != "" && f.due != last.given.due {
			extra = d + extra
		}
		f.due = ""
		last.given = last.given.before(f)
		p.annotate(last, strings.TrimRight(last.full, "。 ")+"。"+extra)
	} else if words == p.lastRowWords {
		f.due = ""
		last.given = last.given.before(f)
		p.annotate(last, last.full)
	}
}

// realign places a row flattened from a page whose first cells were merged over the rows
// above and left out ("对七星路…|2021.12|城投集团||" under 项目名称|工作任务|计划完成时间|
// 牵头单位): when its cells, as written, do not fit their columns (a deadline or a unit
// under a column of words) and fit the last columns, they move there and the first cells
// are the row above's.
func (p *parser) realign(tl *tableLayout, cells []string) ([]string, bool) {
	w := filledWidth(cells)
	if p.lastCells == nil || w == 0 || w >= tl.width {
		return nil, false
	}
	kinds := make([]colKind, tl.width)
	for i := range kinds {
		kinds[i] = colNone
		if i < len(tl.header) {
			kinds[i] = classify(tl.header[i])
		}
	}
	fitAt := func(by int) bool {
		for i := 0; i < w; i++ {
			if cells[i] != "" && !fitsStrictly(kinds[i+by], cells[i]) {
				return false
			}
		}
		return true
	}
	by := tl.width - w
	if fitAt(0) || !fitAt(by) {
		return nil, false
	}
	out := make([]string, tl.width)
	copy(out, p.lastCells)
	copy(out[by:], cells[:w])
	return out, true
}

// filledWidth is the number of cells up to the last filled one.
func filledWidth(cells []string) int {
	for i := len(cells) - 1; i >= 0; i-- {
		if strings.TrimSpace(cells[i]) != "" {
			return i + 1
		}
	}
	return 0
}

// fitsWords tells whether line c may go to the first of kinds when that is a column of
// words: not when it looks like what a later column holds (a deadline, a unit's name, a
// person's name before a leader column): a cell of words left empty leaves no line.
func fitsWords(kinds []colKind, c string) bool {
	switch kinds[0] {
	case colText, colGoal, colNone, colOther, colPlan:
	default:
		return true
	}
	for _, k := range kinds[1:] {
		switch {
		case k == colDue && fits(colDue, c) && reDueStart.MatchString(c),
			(k == colLead || k == colResp || k == colCoop) && isUnitCell(c),
			k == colLeader && rePersonName.MatchString(c):
			return false
		}
	}
	return true
}

// reDueStart is how a deadline cell starts: a date, a month, a quarter, the year end.
var reDueStart = regexp.MustCompile(`^(?:20\d\d|\d{1,2}月|[一二三四1-4]季度|第[一二三四]季度|上半年|下半年|年底|年内|年末|全年|长期|持续)`)

// isUnitCell tells a cell holding only unit names (县教育局, 市政局、相关街道).
func isUnitCell(c string) bool {
	return fits(colLead, c) && utf8.RuneCountInString(c) <= 40 && !strings.ContainsAny(c, "。;:")
}

// rePersonName is a person's name as a leader column writes it: two to four characters,
// maybe spaced (俞 悦), several names in a row (陆 明俞 悦).
var rePersonName = regexp.MustCompile(`^\p{Han}{2,4}$|^\p{Han}(?:\s+\p{Han}+)+$|^\p{Han}{2,4}(?:[、,]\p{Han}{2,4})+$`)

// fitsStrictly is fits, and words are no deadline and no unit's name.
func fitsStrictly(k colKind, c string) bool {
	switch k {
	case colText, colGoal, colNone, colOther, colPlan:
		return !fits(colDue, c) && !(fits(colLead, c) && utf8.RuneCountInString(c) <= 12 && !strings.ContainsAny(c, "。,;"))
	}
	return fits(k, c)
}

// dueWords is a deadline cell written as the deadline words of a clause ("12月底前",
// "2025年6月30日" as "6月30日"), or "" when the cell says more than a date.
func dueWords(due string) string {
	d := reYearPrefix.ReplaceAllString(deadlineText(due), "")
	if loc := reDueWords.FindStringIndex(d); loc != nil && loc[0] == 0 && loc[1] == len(d) {
		return d
	}
	return ""
}

var reYearPrefix = regexp.MustCompile(`^20\d\d年`)

// rowWords are the words of a task row: its text columns in order, and "metric figure
// unit" for a table of indicators.
func (p *parser) rowWords(tl *tableLayout, cells []string) string {
	var parts []string
	for _, i := range tl.text {
		if w := cellWords(cellOf(cells, i)); w != "" && !placeholder[w] {
			parts = append(parts, w)
		}
	}
	if tl.metric >= 0 {
		m := cellWords(cellOf(cells, tl.metric))
		v := cellWords(cellOf(cells, tl.value))
		u := cellOf(cells, tl.unit)
		if v != "" && u != "" && !placeholder[u] && !startsWithQty(strings.TrimLeft(v, "增长下降提高低达到为约 ")) {
			if i := strings.IndexFunc(v, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') }); i < 0 {
				v += u // 6 + % → 6%
			} else if i > 0 && strings.ContainsAny(v[:i], "0123456789") {
				v = v[:i] + u + v[i:] // 6左右 + % → 6%左右
			} else {
				v += u
			}
		}
		if m != "" {
			parts = append(parts, m+v)
		}
	}
	var b strings.Builder
	for i, s := range parts {
		if i > 0 && !endsSentence(parts[i-1]) && !strings.HasSuffix(parts[i-1], ",") && !namesSubjectOf(parts[i-1], s) {
			b.WriteString("。")
		}
		b.WriteString(s)
	}
	return b.String()
}

// namesSubjectOf tells whether a cell is an indicator's name whose figure the next cell
// gives ("地区生产总值" | "增长5.5%(市下达指标)"): the two read as one clause, the name
// its subject.
func namesSubjectOf(name, next string) bool {
	if utf8.RuneCountInString(name) > 20 || strings.ContainsAny(name, "0123456789,;:。") || !hasHan(name) {
		return false
	}
	if _, ok := endsWithVerb(name); ok || startsWithVerb(name) != "" {
		return false // 新建公办幼儿园 | 3所: a task's words, not a name
	}
	if startsWithQty(next) {
		return true
	}
	for _, l := range linkWords {
		if len(l) > len("为") && strings.HasPrefix(next, l) && startsWithQty(strings.TrimSpace(strings.TrimPrefix(next, l))) {
			return true
		}
	}
	return false
}

// oneText is the text of a row whose filled cells all say the same (a heading spread
// over merged cells).
func oneText(cells []string) (string, bool) {
	only := ""
	for _, c := range cells {
		if c == "" {
			continue
		}
		if only != "" && c != only {
			return "", false
		}
		only = c
	}
	return cellWords(only), only != ""
}

// rowLines reads a row outside any task table as lines: label-value pairs (发文字号 |
// 长政办函〔2026〕1号, 索引号: | …) as "label:value", one filled cell as that line, else
// the cells joined.
func rowLines(cells []string) []string {
	if only, ok := oneText(cells); ok {
		return strings.Split(only, "\n")
	}
	var filled []string
	for _, c := range cells {
		if c != "" {
			filled = append(filled, strings.ReplaceAll(c, "\n", " "))
		}
	}
	if len(filled)%2 == 0 {
		var pairs []string
		for i := 0; i < len(filled); i += 2 {
			k := strings.TrimRight(strings.Join(strings.Fields(filled[i]), ""), ":")
			if utf8.RuneCountInString(k) > 8 || !metaKey[k] {
				pairs = nil
				break
			}
			pairs = append(pairs, k+":"+filled[i+1])
		}
		if pairs != nil {
			return pairs
		}
	}
	return []string{strings.Join(filled, " ")}
}

var metaKey = map[string]bool{
	"索引号": true, "发文字号": true, "文号": true, "发布机构": true, "发文机关": true, "发文单位": true,
	"标题": true, "名称": true, "成文日期": true, "成文时间": true, "发布日期": true, "发布时间": true,
	"主题词": true, "主题分类": true, "有效性": true, "信息分类": true, "组配分类": true, "公开方式": true,
	"来源": true, "体裁分类": true, "政策咨询机关": true, "政策咨询电话": true, "生成日期": true,
}

// Tables copied from a web page one cell per line:
//
//	序号
//	工作任务
//	牵头单位
//	完成时限
//	1
//	新增城镇就业1.2万人
//	县人社局
//	2025年12月
//	2
//	…
//
// (each cell may end with "|"). The header is a run of header words, one per line,
// starting with 序号; a header cell broken over two lines ("责任" / "领导") is joined again.
// A row starts at the line holding the next number alone. A cell left empty in the page
// leaves no line and a cell of several lines (one unit a line) leaves several, so a row's
// lines are placed by what each looks like (see placeRow): a deadline goes to the deadline
// column, unit names to the unit columns, and the lines left over after the last column
// are the next part of the same row (a number merged over two rows), or end the table.

var reBareNum = regexp.MustCompile(`^(\d{1,4})[.、]?$`)

// reHeaderWord is a header cell the columns do not name (建设地点, 年度投资金额(万元)).
var reHeaderWord = regexp.MustCompile(`^[^,。;:、]{1,14}$`)

func cellLine(s string) string {
	return strings.TrimSpace(strings.TrimRight(strings.TrimSpace(normalize(s)), "|"))
}

// verticalTables finds such tables in text and turns them into rows.
func (p *parser) verticalTables() {
	for i := 0; i < len(p.in); i++ {
		if p.in[i].cells != nil || classify(cellLine(p.in[i].raw)) != colNum {
			continue
		}
		var hdr []string
		var hdrAt []int
		j := i
		for ; j < len(p.in) && p.in[j].cells == nil; j++ {
			c := cellLine(p.in[j].raw)
			if c == "" {
				continue
			}
			if k := classify(c); k == colNum && len(hdr) > 0 || reBareNum.MatchString(c) || k == colNone && !reHeaderWord.MatchString(c) {
				break // the first row, or no header word
			}
			hdr = append(hdr, c)
			hdrAt = append(hdrAt, j)
		}
		hdr = joinBrokenHeader(hdr, nil)
		if len(hdr) < 3 || !isHeaderRow(hdr) {
			continue
		}
		rows := p.verticalRows(j, len(hdr)-1)
		if len(rows) == 0 {
			continue
		}
		hdr = joinBrokenHeader(hdr, rows)
		placed, end := p.placeRows(hdr[1:], rows)
		if len(placed) == 0 {
			continue
		}
		for _, k := range hdrAt[1:] {
			p.in[k].skip = true
		}
		p.in[i].cells, p.in[i].split, p.in[i].raw = hdr, true, strings.Join(hdr, " | ")
		for k := j; k < end; k++ {
			p.in[k].skip = true
		}
		for _, r := range placed {
			p.in[r.at] = input{raw: strings.Join(r.cells, " | "), cells: r.cells, split: true, pos: p.in[r.at].pos}
		}
		i = end - 1
	}
}

// vrow is a row of a table copied one cell per line: the input of its number and the
// inputs of its lines ("" for a line holding only a bar: an empty cell).
type vrow struct {
	at    int
	num   string
	lines []int
}

// verticalRows reads rows from input j on, each a number alone then its lines, up to the
// page's furniture, a heading, a table, or a line too many for the last row.
func (p *parser) verticalRows(j, width int) []vrow {
	var rows []vrow
	expect, since := 0, 0 // since: lines of the row (or of its item) so far
	var cur *vrow
	for k := j; k < len(p.in); k++ {
		if p.in[k].cells != nil {
			break
		}
		c := cellLine(p.in[k].raw)
		if c == "" {
			if cur != nil && strings.TrimSpace(p.in[k].raw) == "|" {
				cur.lines = append(cur.lines, k) // an empty cell with its bar
			}
			continue
		}
		if m := reBareNum.FindStringSubmatch(c); m != nil {
			n, _ := strconv.Atoi(m[1])
			if expect == 0 || n == expect {
				if cur != nil {
					rows = append(rows, *cur)
				}
				cur = &vrow{at: k, num: m[1]}
				expect, since = n+1, 0
				continue
			}
		}
		if reSubNum.MatchString(c) {
			since = 0 // "(2)…": the next item of the row
		}
		if cur == nil || isChromeish(c) || reSection.MatchString(c) || since >= 2*width+2 {
			break // a heading or the page's furniture ends the table
		}
		cur.lines = append(cur.lines, k)
		if !isUnitCell(c) {
			since++ // a cell of units may run to many lines (协同单位: eleven names)
		}
	}
	if cur != nil {
		rows = append(rows, *cur)
	}
	return rows
}

// placedRow is a row of cells under the header, at the input of its number (or of its
// first line, for the second part of a row).
type placedRow struct {
	at    int
	cells []string
}

// placeRows places the rows' lines under the header's columns (placeLines). Lines left
// after the last column are a second part of the row when they fill a column of units or
// of deadlines (a number merged over two rows: its units carried down), else they end
// the table. It returns the rows and the input after the last line used.
func (p *parser) placeRows(header []string, rows []vrow) ([]placedRow, int) {
	kinds := make([]colKind, len(header))
	for h, c := range header {
		kinds[h] = classify(c)
	}
	var out []placedRow
	end := 0
	for _, r := range rows {
		var texts []string
		var lines []int
		for _, k := range r.lines {
			t := cellLine(p.in[k].raw)
			if reParenOnly.MatchString(t) && len(texts) > 0 && texts[len(texts)-1] != "" {
				texts[len(texts)-1] += t // 高新园 / (邹区镇): one name over two lines
				continue
			}
			texts, lines = append(texts, t), append(lines, k)
		}
		end = r.at + 1
		if parts := subItemParts(texts); parts != nil {
			var rowsOut []placedRow
			rowsOut, end = placeSubItems(kinds, r, texts, lines, parts)
			out = append(out, rowsOut...)
			continue
		}
		var parent []string
		for i := 0; i < len(texts) || parent == nil; {
			cells, used, fixed := placeLines(kinds, texts[i:])
			if parent != nil && (fixed == 0 || used < 2) {
				break // no second part: the table ended
			}
			at := r.at
			if parent != nil {
				at = lines[i]
				for h, k := range kinds {
					if cells[h] == "" && (k == colLead || k == colResp || k == colCoop || k == colLeader) {
						cells[h] = parent[h+1] // merged down from the row's first part
					}
				}
			}
			row := append([]string{r.num}, cells...)
			out = append(out, placedRow{at: at, cells: row})
			if used > 0 {
				end = lines[i+used-1] + 1
			}
			i += used
			parent = row
		}
	}
	return out, end
}

var (
	reParenOnly = regexp.MustCompile(`^\([^()\d]{1,12}\)$`)
	reSubNum    = regexp.MustCompile(`^\((\d{1,3})\)\s*(\S.*)$`)
)

// subItemParts cuts a row's lines at its numbered items "(1)…", "(2)…" (a row of a
// category whose words column lists the items, each with its own leader and units): the
// first part runs to the second item. nil when the row has no such item.
func subItemParts(texts []string) [][2]int {
	var at []int
	for i, t := range texts {
		if reSubNum.MatchString(t) {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return nil
	}
	if len(at) == 1 {
		return [][2]int{{0, len(texts)}}
	}
	parts := [][2]int{{0, at[1]}}
	for k := 1; k < len(at); k++ {
		to := len(texts)
		if k+1 < len(at) {
			to = at[k+1]
		}
		parts = append(parts, [2]int{at[k], to})
	}
	return parts
}

// placeSubItems places a row of numbered items: each item is a row numbered by its own
// number, starting at the column of the first item; the columns before it (the category)
// and the units it leaves empty are the row's first part's (merged cells).
func placeSubItems(kinds []colKind, r vrow, texts []string, lines []int, parts [][2]int) ([]placedRow, int) {
	var out []placedRow
	var parent []string
	col, end := 0, r.at+1
	for pi, rg := range parts {
		from := 0
		if pi > 0 {
			from = col
		}
		cells, _, _ := placeLines(kinds[from:], texts[rg[0]:rg[1]])
		full := make([]string, len(kinds))
		copy(full[from:], cells)
		num := r.num
		for j := from; j < len(full); j++ {
			if m := reSubNum.FindStringSubmatch(full[j]); m != nil {
				num, full[j] = m[1], m[2]
				if pi == 0 {
					col = j
				}
				break
			}
		}
		at := r.at
		if parent != nil {
			at = lines[rg[0]]
			for h, k := range kinds {
				if h < from || full[h] == "" && (k == colLead || k == colResp || k == colCoop || k == colLeader) {
					full[h] = parent[h+1]
				}
			}
		}
		row := append([]string{num}, full...)
		out = append(out, placedRow{at: at, cells: row})
		end = lines[rg[1]-1] + 1
		parent = row
	}
	return out, end
}

// placeLines places lines under columns of the kinds given, in order: a line goes to the
// next column it fits (an empty line, an empty cell, to the next column; with fewer lines
// than columns, a line that looks like what a later column holds skips the columns of
// words before it); the last column of units takes the unit lines after its first while
// more lines are left than columns. It
// returns the cells, the lines used and how many columns of units, leaders or deadlines
// were filled.
func placeLines(kinds []colKind, lines []string) (cells []string, used, fixed int) {
	cells = make([]string, len(kinds))
	short := cellsFilled(kinds, lines) < len(kinds) // some cell left no line: words must look like words
	h, i := 0, 0
	for i < len(lines) && h < len(kinds) {
		t := lines[i]
		if t == "" {
			h, i = h+1, i+1
			continue
		}
		k := kinds[h]
		if h > 0 && moreWordsOf(kinds[h-1], cells[h-1], k, t) {
			if !endsSentence(cells[h-1]) {
				cells[h-1] += "。" // 联动共建科学城 / 推动量子…: a title and its words under one header
			}
			cells[h-1] += t
			i++
			continue
		}
		if !fits(k, t) || short && !fitsWords(kinds[h:], t) {
			h++
			continue
		}
		cells[h] = t
		i++
		switch k {
		case colLead, colResp, colCoop:
			for i < len(lines) && lines[i] != "" && fits(k, lines[i]) && len(lines)-i > len(kinds)-h-1 && !unitColumnAfter(kinds[h+1:]) {
				cells[h] += "\n" + lines[i] // 县水务局 / 县住建局 / 县护城河指挥部: one cell
				i++
			}
			fixed++
		case colDue, colLeader:
			fixed++
		}
		h++
	}
	return cells, i, fixed
}

// moreWordsOf tells whether line t, met where a column of units is due, goes on the
// words cell before it: a sentence (it has a comma or full stop, or runs long) that
// names no unit. A header cell over two columns (工作任务 over a title and its words)
// leaves one more line of words than the header has columns.
func moreWordsOf(prev colKind, prevCell string, k colKind, t string) bool {
	if prevCell == "" || prev != colText && prev != colGoal || k != colLead && k != colResp && k != colCoop {
		return false
	}
	if fits(k, t) {
		return false
	}
	return strings.ContainsAny(t, ",。;") || utf8.RuneCountInString(t) > 20
}

// cellsFilled is how many cells a row's lines can fill: a run of unit names fills at
// most the table's columns of units (one lead, the rest cooperating), however many lines
// it takes.
func cellsFilled(kinds []colKind, lines []string) int {
	unitCols := 0
	for _, k := range kinds {
		if k == colLead || k == colResp || k == colCoop {
			unitCols++
		}
	}
	n, run := 0, 0
	for _, l := range lines {
		switch {
		case l == "":
			run = 0
		case isUnitCell(l) && unitCols > 0:
			if run < unitCols {
				n++
			}
			run++
		default:
			n, run = n+1, 0
		}
	}
	return n
}

// unitColumnAfter tells whether a column of units follows: the last one takes the extra
// unit lines (发改局 / 经开区 / 各街道 under 牵头单位|配合单位: one lead, two cooperating).
func unitColumnAfter(kinds []colKind) bool {
	for _, k := range kinds {
		if k == colLead || k == colResp || k == colCoop {
			return true
		}
	}
	return false
}

// joinBrokenHeader joins header words broken over two lines: a word no column is named
// by with a word that ends header words ("责任" / "领导") or with the leader's or units'
// header it qualifies ("区政府" / "分管领导"), and, when every row has fewer
// lines than the header has columns, also a word no column is named by with the next
// ("第二季度" / "完成情况") and a header word with a word that ends header words ("攻坚目标"
// / "任务").
func joinBrokenHeader(hdr []string, rows []vrow) []string {
	join := func(hdr []string, ok func(a, b string) bool) []string {
		var out []string
		for i := 0; i < len(hdr); i++ {
			if i+1 < len(hdr) && ok(hdr[i], hdr[i+1]) {
				out = append(out, hdr[i]+hdr[i+1])
				i++
				continue
			}
			out = append(out, hdr[i])
		}
		return out
	}
	if rows == nil {
		return join(hdr, func(a, b string) bool {
			switch ka, kb := classify(a), classify(b); {
			case ka != colNone || classify(a+b) == colNone:
				return false
			case reHeaderEnd.MatchString(b):
				return true // 责任 / 领导
			default:
				// 区政府 / 分管领导: whose leader, whose unit
				return utf8.RuneCountInString(a) <= 3 && classify(a+b) == kb && (kb == colLeader || kb == colLead || kb == colResp || kb == colCoop)
			}
		})
	}
	for _, r := range rows {
		if len(r.lines) >= len(hdr)-1 {
			return hdr
		}
	}
	return join(hdr, func(a, b string) bool {
		return classify(a) != colNum && classify(b) != colNum && (classify(a) == colNone || reHeaderEnd.MatchString(b)) && classify(a+b) != colNone
	})
}

// reHeaderEnd is a word that ends header words: 目标任务, 责任单位, 完成时限.
var reHeaderEnd = regexp.MustCompile(`^(?:任务|内容|事项|单位|部门|科室|领导|情况|时限|时间|名称|措施)$`)

func isChromeish(s string) bool {
	return strings.HasPrefix(s, "扫一扫") || strings.HasPrefix(s, "文件下载") || strings.HasPrefix(s, "打印") || strings.HasPrefix(s, "关闭") || strings.HasPrefix(s, "分享到")
}

var reDueCell = regexp.MustCompile(`^(?:20\d\d年)?.{0,8}(?:年|月|日|季度|年底|年内|全年|长期|持续|上半年|下半年|底前|前)`)

// Deadlines written as dates: 2025, 2025-06-30, 2025/6/30, 2025.6, 06-30-25 (Excel's m-d-yy).
var (
	reDateCell = regexp.MustCompile(`^(?:20\d\d(?:[-/.]\d{1,2}(?:[-/.]\d{1,2})?)?|\d{1,2}-\d{1,2}-\d\d)$`)
	reYMD      = regexp.MustCompile(`^(?P<y>20\d\d)(?:[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?)?$`)
	reMDY      = regexp.MustCompile(`^(?P<m>\d{1,2})-(?P<d>\d{1,2})-(?P<y>\d\d)$`)
)

// deadlineText writes a deadline given as a date in words the deadline rules read
// (2025-06-30 → 2025年6月30日, 2025 → 2025年底); other deadlines stay as written.
func deadlineText(s string) string {
	s = strings.TrimSpace(s)
	for _, re := range []*regexp.Regexp{reYMD, reMDY} {
		m := re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		y, mo, d := m[re.SubexpIndex("y")], m[re.SubexpIndex("m")], m[re.SubexpIndex("d")]
		if len(y) == 2 {
			y = "20" + y
		}
		switch {
		case mo == "":
			return y + "年底"
		case d == "":
			return y + "年" + strings.TrimLeft(mo, "0") + "月"
		}
		return y + "年" + strings.TrimLeft(mo, "0") + "月" + strings.TrimLeft(d, "0") + "日"
	}
	return s
}

func fits(k colKind, c string) bool {
	switch k {
	case colDue:
		return (reDueCell.MatchString(c) || reDateCell.MatchString(c)) && utf8.RuneCountInString(c) <= 16
	case colLead, colResp, colCoop:
		if vagueUnit.MatchString(strings.TrimSpace(c)) {
			return true // 县各有关单位: a cell of units, none named
		}
		units := splitUnits(c)
		return len(units) > 0 && !reStartsDigit.MatchString(c) && looksLikeUnit(units[0])
	case colLeader:
		return utf8.RuneCountInString(c) <= 12 && !reStartsDigit.MatchString(c) && !looksLikeUnit(c)
	case colUnit:
		return utf8.RuneCountInString(c) <= 4
	}
	return true
}
