// Package notice parses a published target-list notice (政府工作报告重点目标任务清单 and
// the like) into a catalog: the plan from the header, one task per numbered item with its
// lead and cooperating units, and the measurable targets found in each item's words.
//
// Layouts it reads (see testdata/notices for a sample of each):
//   - department sections "二、市发改委牵头工作(22项)" or "(一)市发展和改革委员会牵头(5项)"
//     followed by items "4.…", "4、…" or "(4)…";
//   - topic sections "一、扩大有效投资" whose items name their lead at the end:
//     "(市经信局牵头落实)", "牵头单位:市商务局;配合单位:各县区政府",
//     "(市住建局、市城管局牵头)" (the first is the lead, the others cooperate);
//   - flat items "N.内容。牵头单位:X;责任单位:Y";
//   - tables flattened with "|" (序号|工作任务|牵头单位|配合单位|完成时限).
//
// Parse never fails: whatever it cannot place it reports as a Warning naming the line.
package notice

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/duban-gov/duban/indicators"
)

// Warning is something in the input the parser could not use or found odd.
type Warning struct {
	Line int    `json:"line"` // 1-based line of the input; 0 for the whole text
	Msg  string `json:"msg"`
}

func (w Warning) String() string {
	if w.Line == 0 {
		return w.Msg
	}
	return fmt.Sprintf("line %d: %s", w.Line, w.Msg)
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

// Parse reads a notice and returns its catalog and the warnings met on the way.
func Parse(text string, opt Options) (*indicators.Catalog, []Warning) {
	p := &parser{reg: newRegistry(), opt: opt}
	p.run(text)
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
	deadline string // from a table's deadline column
}

type parser struct {
	opt   Options
	reg   *registry
	warns []Warning

	// header
	issuer, document, title string
	year                    int
	declaredTasks           int
	declaredLeads           int
	declaredTasksLine       int
	declaredLeadsLine       int

	// sections
	sectionLead     []string // keys of the current department section; nil in a topic section
	sectionLine     int
	sectionDeclared int
	sectionCount    int

	table    *tableLayout
	tasks    []*rawTask
	seenNums map[int]int // task number → line
	started  bool        // the first item or department section was seen
}

func (p *parser) warn(line int, format string, args ...any) {
	p.warns = append(p.warns, Warning{Line: line, Msg: fmt.Sprintf(format, args...)})
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
	reNoticeHead  = regexp.MustCompile(`^(.*?)关于印发(.+?)的通知$`)
	reBookTitle   = regexp.MustCompile(`《([^》]+)》`)
	reYear        = regexp.MustCompile(`(20\d\d)\s*年`)
	reTitleLine   = regexp.MustCompile(`^[^,。:;]{0,20}20\d\d年[^,。:;]{2,40}(?:清单|方案|分工|任务|计划|目标|表)$`)
	reDocNumber   = regexp.MustCompile(`^\S{1,12}[〔\[]20\d\d[〕\]]\s*\d+\s*号$`)
	reDocYear     = regexp.MustCompile(`[〔\[(](20\d\d)[〕\])]`)
	reDeclTasks   = regexp.MustCompile(`共(?:计|有)?\s*(\d+)\s*项`)
	reDeclLeads   = regexp.MustCompile(`(\d+)\s*个牵头(?:部门|单位)`)
	reSection     = regexp.MustCompile(`^(?:[` + cnDigits + `]+\s*[、.]|\(\s*[` + cnDigits + `]+\s*\))\s*(.+)$`)
	reSecLead     = regexp.MustCompile(`^(.+?)(?:牵头|负责)(?:工作|事项|任务|落实)?\s*(?:\(\s*(?:共\s*)?(\d+)\s*项\s*\))?\s*[:]?$`)
	reItem        = regexp.MustCompile(`^(\d{1,4})\s*(?:[.、]|\s)\s*(\S.*)$`)
	reStartsDigit = regexp.MustCompile(`^\d`)
	reItemParen   = regexp.MustCompile(`^\(\s*(\d{1,4})\s*\)\s*(.+)$`)
	reInlineLead  = regexp.MustCompile(`[。.;,]?\s*牵头(?:单位|部门)\s*:\s*([^;。]+?)\s*(?:[;,]\s*(?:配合|责任|协办|参与)(?:单位|部门)\s*:\s*([^;。]+?))?\s*[。;]?\s*$`)
	reLeadWords   = regexp.MustCompile(`^(.+?)(?:牵头|负责)(?:落实|推进|实施|负责)?(?:\s*[,;]\s*(.*?)(?:配合|参与|协同)(?:落实|推进|实施)?)?$`)
	reCoopWords   = regexp.MustCompile(`^(?:配合|协办|参与)(?:单位|部门)\s*:\s*(.+)$`)
	reRespWords   = regexp.MustCompile(`^(?:责任|主责|负责)(?:单位|部门)\s*:\s*(.+)$`)
	reInlineResp  = regexp.MustCompile(`[。.;,]?\s*(?:责任|主责|负责)(?:单位|部门)\s*:\s*([^;。]+?)\s*[。;]?\s*$`)
	reSecCount    = regexp.MustCompile(`^(.+?)\s*\(\s*(?:共\s*)?(\d+)\s*项\s*\)\s*$`)
	reBoth        = regexp.MustCompile(`^牵头(?:单位|部门)\s*:\s*([^;,]+?)\s*(?:[;,]\s*(?:配合|责任|协办|参与)(?:单位|部门)\s*:\s*(.+))?$`)
)

func (p *parser) run(text string) {
	p.seenNums = map[int]int{}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var last *rawTask
	for i, raw := range lines {
		n := i + 1
		orig := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
		line := normalize(raw)
		if line == "" {
			continue
		}
		if !p.started && p.header(n, line) {
			continue
		}
		if strings.Contains(line, "|") {
			if p.tableLine(n, line, orig) {
				last = nil
				continue
			}
		}
		if p.section(n, line) {
			last = nil
			continue
		}
		if t := p.item(n, line, orig); t != nil {
			last = t
			continue
		}
		if !p.started {
			continue // preamble of the notice: not part of the list
		}
		if last != nil && last.body == last.full && !endsSentence(last.full) && utf8.RuneCountInString(line) < 200 && hasHan(line) {
			// a wrapped item continues on this line (an item ending with its lead is complete)
			last.text += orig
			p.annotate(n, last, last.full+line)
			continue
		}
		p.warn(n, "ignored: not a task, section or table row: %q", clip(line, 40))
	}
	p.closeSection()
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

// header reads metadata lines before the list; it returns true when it used the line.
func (p *parser) header(n int, line string) bool {
	if m := reYear.FindStringSubmatch(line); m != nil && p.year == 0 {
		p.year, _ = strconv.Atoi(m[1]) // a fallback when the title names no year
	}
	if p.title == "" && reTitleLine.MatchString(line) {
		p.title = line
		return true
	}
	if m := reDeclTasks.FindStringSubmatch(line); m != nil && p.declaredTasks == 0 && (strings.Contains(line, "任务") || strings.Contains(line, "清单")) {
		p.declaredTasks, _ = strconv.Atoi(m[1])
		p.declaredTasksLine = n
	}
	if m := reDeclLeads.FindStringSubmatch(line); m != nil && p.declaredLeads == 0 {
		p.declaredLeads, _ = strconv.Atoi(m[1])
		p.declaredLeadsLine = n
	}
	if m := reMeta.FindStringSubmatch(line); m != nil {
		key := strings.ReplaceAll(m[1], " ", "")
		val := strings.TrimSpace(m[2])
		switch key {
		case "发文字号", "文号":
			p.document = val
			return true
		case "发布机构", "发文机关", "发文单位":
			p.issuer = val
			return true
		case "标题", "名称":
			if p.title == "" {
				p.title = val
			}
			return true
		case "索引号", "成文时间", "成文日期", "发布日期", "主题词", "主题分类", "有效性":
			return true
		}
	}
	if reDocNumber.MatchString(line) && p.document == "" {
		p.document = line
		return true
	}
	if m := reNoticeHead.FindStringSubmatch(line); m != nil {
		if p.issuer == "" {
			p.issuer = strings.TrimSpace(m[1])
		}
		if p.title == "" {
			p.title = strings.Trim(m[2], "《》")
		}
		return true
	}
	if m := reBookTitle.FindStringSubmatch(line); m != nil && p.title == "" {
		p.title = m[1]
	}
	return false
}

// sectionLine2 recognizes a section heading ("二、市发改委牵头工作(22项)", "一、扩大有效投资").
func (p *parser) section(n int, line string) bool {
	m := reSection.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	body := strings.TrimSpace(m[1])
	if utf8.RuneCountInString(body) > 60 || strings.HasSuffix(body, "。") && !strings.Contains(body, "牵头") {
		return false
	}
	p.closeSection()
	p.sectionLine = n
	if lm := reSecLead.FindStringSubmatch(body); lm != nil {
		names := splitUnits(lm[1])
		if len(names) > 0 {
			p.started = true
			p.sectionLead = nil
			for i, name := range names {
				p.sectionLead = append(p.sectionLead, p.reg.add(name, i == 0))
			}
			if lm[2] != "" {
				p.sectionDeclared, _ = strconv.Atoi(lm[2])
			}
			return true
		}
	}
	if cm := reSecCount.FindStringSubmatch(body); cm != nil && looksLikeUnit(cm[1]) {
		// "(一)市发展改革委(5项)": a department section without the word 牵头
		p.started = true
		p.sectionLead = []string{p.reg.add(cm[1], true)}
		p.sectionDeclared, _ = strconv.Atoi(cm[2])
		return true
	}
	p.sectionLead = nil // a topic section: items name their own lead
	return true
}

func (p *parser) closeSection() {
	if p.sectionDeclared > 0 && p.sectionDeclared != p.sectionCount {
		p.warn(p.sectionLine, "section declares %d items, found %d", p.sectionDeclared, p.sectionCount)
	}
	p.sectionDeclared, p.sectionCount, p.sectionLine = 0, 0, 0
}

// item recognizes a numbered item and records it as a task.
func (p *parser) item(n int, line, orig string) *rawTask {
	m := reItem.FindStringSubmatch(line)
	if m != nil && reStartsDigit.MatchString(m[2]) && p.looksLikeFigure(m[1], m[2]) {
		m = nil // "2026年…" or "1.7亿吨…" at the start of a line is not an item number
	}
	if m == nil {
		m = reItemParen.FindStringSubmatch(line)
	}
	if m == nil {
		return nil
	}
	num, err := strconv.Atoi(m[1])
	if err != nil || num <= 0 {
		return nil
	}
	p.started = true
	return p.addTask(n, num, m[2], verbatim(orig), "")
}

// looksLikeFigure tells "1.7亿吨…" (a figure starting a wrapped line) from "1.10月底前…"
// (item 1): a decimal with a unit is a figure unless the number is the next item's.
func (p *parser) looksLikeFigure(num, rest string) bool {
	if !reQty.MatchString(num+"."+rest) || reQty.FindStringIndex(num + "." + rest)[0] != 0 {
		return false
	}
	n, _ := strconv.Atoi(num)
	return len(p.tasks) == 0 || p.tasks[len(p.tasks)-1].num+1 != n
}

var reItemNumber = regexp.MustCompile(`^\s*(?:[(（]\s*[0-9０-９]+\s*[)）]|[0-9０-９]+\s*[.、．]?)\s*`)

// verbatim strips the item number from the original line.
func verbatim(orig string) string {
	s := reItemNumber.ReplaceAllString(orig, "")
	return strings.TrimSpace(s)
}

func (p *parser) addTask(n, num int, body, text, deadline string) *rawTask {
	t := &rawTask{line: n, num: num, text: text, deadline: deadline}
	p.annotate(n, t, body)
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
	p.sectionCount++
	return t
}

// annotate sets the task's body, lead and cooperating units from the item text and
// the current section.
func (p *parser) annotate(n int, t *rawTask, body string) {
	t.full = body
	var lead, coop []string
	// Trailing parentheses: (配合单位:X、Y), (X牵头,相关成员单位配合), (X牵头落实).
	var resp []string // 责任单位: the lead when nothing else names one
	for {
		start, inner, ok := trailingParen(body)
		if !ok {
			break
		}
		l, c, r, ok := leadCoop(inner)
		if !ok {
			break
		}
		lead = append(l, lead...)
		coop = append(c, coop...)
		resp = append(r, resp...)
		body = strings.TrimSpace(body[:start])
	}
	if m := reInlineLead.FindStringSubmatchIndex(body); m != nil {
		lead = append(lead, splitUnits(body[m[2]:m[3]])...)
		if m[4] >= 0 {
			coop = append(coop, splitUnits(body[m[4]:m[5]])...)
		}
		body = strings.TrimSpace(body[:m[0]])
	} else if m := reInlineResp.FindStringSubmatchIndex(body); m != nil {
		resp = append(resp, splitUnits(body[m[2]:m[3]])...)
		body = strings.TrimSpace(body[:m[0]])
	}
	if len(p.sectionLead) == 0 && len(lead) == 0 && len(resp) > 0 {
		lead, resp = resp[:1], resp[1:] // a topic section: the first responsible unit leads
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
	case len(p.sectionLead) > 0:
		// The section names the lead. A different lead named in the item (131: 市安委办牵头)
		// is the body that coordinates the work: recorded as the first cooperating unit.
		add(&t.lead, p.reg.names[p.sectionLead[0]], true)
		for _, k := range p.sectionLead[1:] {
			add(&t.coop, p.reg.names[k], false)
		}
		for _, name := range lead {
			add(&t.coop, name, false)
		}
	case len(lead) > 0:
		add(&t.lead, lead[0], true)
		for _, name := range lead[1:] {
			add(&t.coop, name, false)
		}
	}
	for _, name := range coop {
		add(&t.coop, name, false)
	}
	if len(t.lead) == 0 {
		p.warn(n, "task %d has no lead department", t.num)
	}
}

// trailingParen finds a balanced parenthesis closing the text (before a final 。):
// its start and its inner text. Nested parentheses stay inside: 各县(市、区)政府.
func trailingParen(s string) (start int, inner string, ok bool) {
	t := strings.TrimRight(s, "。.; ")
	if !strings.HasSuffix(t, ")") {
		return 0, "", false
	}
	depth := 0
	for i := len(t) - 1; i >= 0; i-- {
		switch t[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				return i, strings.TrimSpace(t[i+1 : len(t)-1]), true
			}
		}
	}
	return 0, "", false
}

// leadCoop reads the words of an annotation: "配合单位:X、Y", "X牵头,相关成员单位配合",
// "X牵头落实", "牵头单位:X;配合单位:Y", "责任单位:X" (resp).
func leadCoop(s string) (lead, coop, resp []string, ok bool) {
	s = strings.TrimSpace(s)
	if m := reBoth.FindStringSubmatch(s); m != nil {
		return splitUnits(m[1]), splitUnits(m[2]), nil, true
	}
	if m := reRespWords.FindStringSubmatch(s); m != nil {
		return nil, nil, splitUnits(m[1]), true
	}
	if m := reCoopWords.FindStringSubmatch(s); m != nil {
		return nil, splitUnits(m[1]), nil, true
	}
	if m := reLeadWords.FindStringSubmatch(s); m != nil {
		l := splitUnits(m[1])
		if len(l) == 0 || !looksLikeUnit(l[0]) {
			return nil, nil, nil, false
		}
		return l, splitUnits(m[2]), nil, true
	}
	return nil, nil, nil, false
}

var reUnitName = regexp.MustCompile(`(局|委|办|办公室|政府|中心|公司|集团|支队|分行|银行|管委会|联|会|院|所|部|处|队|站|区|县|厅|署)$`)

func looksLikeUnit(s string) bool { return reUnitName.MatchString(s) }

// tableLayout remembers which column holds what.
type tableLayout struct {
	num, task, lead, coop, due int
}

// tableLine reads a table header or row flattened with "|".
func (p *parser) tableLine(n int, line, orig string) bool {
	cells := strings.Split(strings.Trim(line, "|"), "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	if isTableHeader(cells) {
		tl := &tableLayout{num: -1, task: -1, lead: -1, coop: -1, due: -1}
		for i, c := range cells {
			switch {
			case strings.Contains(c, "序号") || c == "编号":
				tl.num = i
			case strings.Contains(c, "牵头"):
				tl.lead = i
			case strings.Contains(c, "配合") || strings.Contains(c, "责任") || strings.Contains(c, "协办"):
				tl.coop = i
			case strings.Contains(c, "时限") || strings.Contains(c, "时间") || strings.Contains(c, "完成期限"):
				tl.due = i
			case strings.Contains(c, "任务") || strings.Contains(c, "内容") || strings.Contains(c, "目标"):
				tl.task = i
			}
		}
		if tl.task < 0 || tl.lead < 0 {
			p.warn(n, "table header without a task or lead column: %q", clip(line, 40))
			return true
		}
		p.table = tl
		p.started = true
		return true
	}
	if p.table == nil {
		return false
	}
	tl := p.table
	if strings.Trim(line, "|-: ") == "" {
		return true // markdown separator row
	}
	get := func(i int) string {
		if i >= 0 && i < len(cells) {
			return cells[i]
		}
		return ""
	}
	num := 0
	if tl.num >= 0 {
		var err error
		num, err = strconv.Atoi(strings.Trim(get(tl.num), ".、 "))
		if err != nil {
			p.warn(n, "table row without a number in column %d: %q", tl.num+1, clip(line, 40))
			return true
		}
	} else {
		num = len(p.tasks) + 1
	}
	body := get(tl.task)
	if body == "" {
		p.warn(n, "table row %d has no task text", num)
		return true
	}
	origCells := strings.Split(strings.Trim(strings.ReplaceAll(orig, "｜", "|"), "|"), "|")
	text := body
	if tl.task < len(origCells) {
		text = strings.TrimSpace(origCells[tl.task])
	}
	if l := get(tl.lead); l != "" {
		body += "。牵头单位:" + l
		if c := get(tl.coop); c != "" && c != "/" && c != "无" && c != "-" {
			body += ";配合单位:" + c
		}
	}
	saved := p.sectionLead
	p.sectionLead = nil // the lead column names the lead
	p.addTask(n, num, body, text, get(tl.due))
	p.sectionLead = saved
	return true
}

func isTableHeader(cells []string) bool {
	var task, lead bool
	for _, c := range cells {
		if strings.Contains(c, "牵头") {
			lead = true
		} else if strings.Contains(c, "任务") || strings.Contains(c, "内容") {
			task = true
		}
	}
	return task && lead && len(cells) >= 3
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

	ids := assignIDs(p.reg.keys)
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
	}
	if city == "" {
		city = "plan"
	}
	if year == 0 {
		return city
	}
	return fmt.Sprintf("%s-%d", city, year)
}

// Import parses a notice and applies the hand corrections of an overlay (nil for none):
// what `duban import` prints and what the shipped catalogs are generated from.
func Import(text string, opt Options, ov *indicators.Overlay) (*indicators.Catalog, []Warning, error) {
	c, warns := Parse(text, opt)
	if err := c.ApplyOverlay(ov); err != nil {
		return nil, warns, err
	}
	return c, warns, nil
}
