package notice

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Labelled fields: the words notices put before the units and dates of an item.
//
//	lead    牵头单位, 牵头部门, 牵头责任单位, 牵头负责单位, 主责单位, 主要责任单位, 主办单位
//	resp    责任单位, 责任部门, 实施单位, 负责单位, 落实单位, 承办单位, 责任主体, 实施主体
//	        (the lead when nothing names one: its first unit, or the one marked (牵头))
//	coop    配合单位, 协同单位, 协同责任单位, 配合责任单位, 协办单位, 协作单位, 参与单位, 协助单位
//	split   部门分工, 责任分工, 任务分工, 职责分工: the wording "X牵头,Y配合" (X leads, Y
//	        cooperate), else responsible units
//	leader  责任领导, 牵头领导, 分管领导, 牵头负责领导, 分管省领导, 牵头市领导, 县领导…, 责任人,
//	        联系人: a person, never a unit (read and set aside)
//	due     完成时限, 完成时间, 时间节点, 完成期限, 办结时限, 时限
//
// A label counts at the start of the text or after punctuation or a space, followed by a
// colon (a label of units also by 为: "责任单位为区发改委"); its value runs to the next
// label (a sentence end inside it ends it).
var reFieldLabel = regexp.MustCompile(`(?:` +
	`(?P<leader>(?:牵头负责|牵头|责任|分管|联系|包联|挂帅|包抓|主抓)?(?:省|市|县|区|旗|镇|乡)?(?:级)?领导|责任人|联系人)\s*:` +
	`|(?P<coop>(?:协同|配合|协办|协作|参与|协助)(?:责任)?(?:单位|部门))\s*(?::|为)` +
	`|(?P<lead>牵头(?:责任|负责)?(?:单位|部门)|主责(?:单位|部门)|主要责任(?:单位|部门)|主办(?:单位|部门))\s*(?::|为)` +
	`|(?P<resp>(?:责任|实施|负责|落实|承办)(?:单位|部门)|责任主体|实施主体)\s*(?::|为)` +
	`|(?P<split>(?:部门|责任|任务|职责)分工)\s*:` +
	`|(?P<due>完成时限|完成时间|时间节点|完成期限|办结时限|时限要求|时间要求|时限)\s*:` +
	`)`)

// unit is a unit named in a field, as written; lead when it is marked (牵头).
type unit struct {
	name string
	lead bool
}

// fields are the labelled fields of one item.
type fields struct {
	lead, resp, coop []unit
	leader, due      string
}

// before joins two sets of fields, f's first.
func (f fields) before(g fields) fields {
	join := func(a, b []unit) []unit {
		if len(a)+len(b) == 0 {
			return nil
		}
		out := make([]unit, 0, len(a)+len(b))
		return append(append(out, a...), b...)
	}
	first := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	return fields{lead: join(f.lead, g.lead), resp: join(f.resp, g.resp), coop: join(f.coop, g.coop), leader: first(f.leader, g.leader), due: first(f.due, g.due)}
}

func (f fields) empty() bool {
	return len(f.lead)+len(f.resp)+len(f.coop) == 0 && f.leader == "" && f.due == ""
}

// labels finds the labels of s that stand at a boundary.
func labels(s string) [][]int {
	if !strings.Contains(s, ":") && !strings.Contains(s, "为") {
		return nil // every label ends with a colon, or 为
	}
	var out [][]int
	for _, m := range reFieldLabel.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > 0 {
			r, _ := utf8.DecodeLastRuneInString(s[:m[0]])
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				continue // inside words: 加强组织领导:
			}
		}
		out = append(out, m)
	}
	return out
}

// labelled reads the fields of s, which starts with a label. Words after a list of units
// that are no unit ("责任单位为区发改委;技改投资占比16.5%,责任单位为区经信局": another
// figure of the item) are returned as more words of the item.
func labelled(s string, ms [][]int) (fields, string) {
	var f fields
	var more []string
	for i, m := range ms {
		end := len(s)
		if i+1 < len(ms) {
			end = ms[i+1][0]
		}
		v := strings.TrimSpace(s[m[1]:end])
		if j := strings.Index(v, "。"); j >= 0 {
			v = v[:j]
		}
		if loc := reOtherLabel.FindStringIndex(v); loc != nil {
			v = v[:loc[0]] // 责任单位:市公安局 项目责任人:王五 实际完成情况:…: a label of its own
		}
		group := func(name string) bool { k := reFieldLabel.SubexpIndex(name); return m[2*k] >= 0 }
		if group("lead") || group("resp") || group("coop") {
			if j := strings.Index(v, ";"); j >= 0 && reStartsSentence.MatchString(v[j+1:]) {
				more = append(more, strings.Trim(v[j+1:], " ;,.、"))
				v = v[:j]
			}
		}
		v = strings.Trim(v, " ;,.、")
		switch {
		case group("leader"):
			if f.leader == "" {
				f.leader = v
			}
		case group("due"):
			if f.due == "" {
				f.due = v
			}
		case group("lead"):
			f.lead = append(f.lead, splitUnitList(v)...)
		case group("resp"):
			f.resp = append(f.resp, splitUnitList(v)...)
		case group("coop"):
			f.coop = append(f.coop, splitUnitList(v)...)
		case group("split"):
			// 部门分工:省发展改革委牵头,各地、各部门配合
			if w, ok := parenFields(v); ok {
				f.lead, f.coop = append(f.lead, w.lead...), append(f.coop, w.coop...)
			} else {
				f.resp = append(f.resp, splitUnitList(v)...)
			}
		}
	}
	return f, strings.Join(more, "。")
}

// reOtherLabel is a label this reader has no field for ("项目责任人:", "实际完成情况:",
// "联系电话:") after a space: the value before it ends there.
var reOtherLabel = regexp.MustCompile(`\s+\p{Han}{2,8}\s*:`)

// reStartsSentence is words that hold a figure before any separator: the item goes on,
// no unit is named.
var reStartsSentence = regexp.MustCompile(`^\s*[^,;、。()]{0,30}\d`)

// lineFields reads a line that is only labelled fields ("牵头单位:区发改局",
// "牵头负责领导:张三。 牵头责任单位:县商务局。", "由市发改委负责落实。").
func lineFields(line string) (fields, bool) {
	s := strings.TrimLeft(line, "-*·• ")
	if words, f, ok := byFields(s); ok && words == "" {
		return f, !f.empty()
	}
	ms := labels(s)
	if len(ms) == 0 || ms[0][0] != 0 {
		return fields{}, false
	}
	f, _ := labelled(s, ms)
	return f, !f.empty()
}

// reByUnits is the wording "由X负责落实" closing an item or on a line of its own.
var reByUnits = regexp.MustCompile(`^(.*?)\s*由([^。;:]{2,120}?)(?:牵头)?(?:负责|承担|组织实施|具体实施)(?:落实|实施|推进|办理)?\s*[。;.]?$`)

// byFields reads "…。由市财政局、农业局,各县(市)、区人民政府负责落实。": the units are
// responsible, the first leads. It returns the item's words without them.
func byFields(s string) (string, fields, bool) {
	if !strings.Contains(s, "由") {
		return "", fields{}, false
	}
	m := reByUnits.FindStringSubmatch(s)
	if m == nil || strings.ContainsAny(m[2], "%") {
		return "", fields{}, false
	}
	words := strings.TrimRight(m[1], " 。;,")
	units := splitUnitList(m[2])
	if len(units) > 0 && !looksLikeUnit(units[0].name) {
		return "", fields{}, false
	}
	return words, fields{resp: units}, true
}

// carriesLead reports whether a line names its lead at its end, after words of its own:
// "耕地保有量保持在2000.9万亩。(市国土局牵头)", "…增长8%,责任单位为区经信局;",
// "…。由市财政局负责落实。".
func carriesLead(line string) bool {
	if start, inner, ok := trailingParen(line); ok && start > 0 && hasHan(line[:start]) {
		if f, ok := parenFields(inner); ok && len(f.lead)+len(f.resp) > 0 {
			return true
		}
	}
	if words, f, ok := byFields(line); ok && hasHan(words) && len(f.resp) > 0 {
		return true
	}
	words, f, ok := tailFields(line)
	return ok && hasHan(words) && len(f.lead)+len(f.resp) > 0
}

// tailFields finds labelled fields after an item's words: "…。牵头单位:X;配合单位:Y",
// "… 责任单位: X 完成时限: 2025年6月". It returns the item's words without them.
func tailFields(body string) (string, fields, bool) {
	ms := labels(body)
	if len(ms) == 0 || ms[0][0] == 0 || !hasHan(body[:ms[0][0]]) {
		return "", fields{}, false
	}
	at := ms[0][0]
	if inParens(body[:at]) {
		return "", fields{}, false
	}
	f, more := labelled(body[at:], shift(ms, at))
	if f.empty() {
		return "", fields{}, false
	}
	// the separator before the fields goes with them: "新增学位1200个。牵头单位:…"
	words := strings.TrimRight(body[:at], " ")
	for _, sep := range []string{"。", ".", ";", ","} {
		if strings.HasSuffix(words, sep) {
			words = strings.TrimSuffix(words, sep)
			break
		}
	}
	words = strings.TrimRight(words, " ")
	if more != "" {
		words += "。" + more
	}
	return words, f, true
}

func shift(ms [][]int, by int) [][]int {
	out := make([][]int, len(ms))
	for i, m := range ms {
		out[i] = make([]int, len(m))
		for j, v := range m {
			if v >= 0 {
				v -= by
			}
			out[i][j] = v
		}
	}
	return out
}

// inParens reports whether the end of s is inside an open parenthesis.
func inParens(s string) bool {
	return strings.Count(s, "(") > strings.Count(s, ")")
}

// parenFields reads the words of a trailing parenthesis: labelled fields
// ("责任领导:X;牵头单位:Y;责任单位:Z", "牵头领导:X,责任单位:Y", "配合单位:X、Y") or
// clauses giving units a role by their verb ("X牵头,相关成员单位配合", "X牵头落实",
// "X、Y牵头", "X等相关部门按职责分工负责").
func parenFields(s string) (fields, bool) {
	s = strings.TrimSpace(s)
	if ms := labels(s); len(ms) > 0 && ms[0][0] == 0 {
		f, _ := labelled(s, ms)
		return f, !f.empty()
	}
	return clauseFields(s)
}

// reClauseRole is a clause of a parenthesis that gives units a role by its verb: "省发展
// 改革委牵头", "省工业和信息化厅、省统计局配合", "省商务厅、财政厅等相关部门按职责分工负责".
var reClauseRole = regexp.MustCompile(`^(.+?)(按职责分工|按职责|分别|共同|具体)?(牵头|配合|参与|协同|协助|负责)(?:落实|推进|实施|负责|办理)?$`)

// clauseFields reads a parenthesis clause by clause, each giving its units a role: 牵头
// leads, 配合/参与/协同 cooperate, 负责 is responsible (the first responsible unit leads
// when none is named to). A clause whose subject is no unit ("分管副省长、协管副秘书长
// 负责": the leaders) is set aside; so is a clause without a verb.
func clauseFields(s string) (fields, bool) {
	var f fields
	for _, c := range reClauseSep.Split(s, -1) {
		m := reClauseRole.FindStringSubmatch(strings.TrimSpace(c))
		if m == nil {
			continue
		}
		units := splitUnitList(m[1])
		if len(units) == 0 || !looksLikeUnit(units[0].name) {
			continue
		}
		switch m[3] {
		case "牵头":
			f.lead = append(f.lead, units...)
		case "负责":
			f.resp = append(f.resp, units...)
		default:
			f.coop = append(f.coop, units...)
		}
	}
	return f, len(f.lead)+len(f.resp) > 0
}

var reClauseSep = regexp.MustCompile(`[,;]`)

// trailingParen finds a balanced parenthesis closing the text (before a final 。):
// its start and its inner text. Nested parentheses stay inside: 各县(市、区)政府.
func trailingParen(s string) (start int, inner string, ok bool) {
	t := strings.TrimRight(s, "。.; ")
	if !strings.HasSuffix(t, ")") {
		return openParen(t)
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

var reUnitName = regexp.MustCompile(`(局|委|办|办公室|政府|中心|公司|集团|支队|分行|银行|管委会|联|会|院|所|部|处|队|站|区|县|厅|署|小组|专班|(?:高新|工业|产业|科技|物流|创业|软件|经济)园|园区|街道|乡镇|镇|[^城家]乡|[^学专全本外内妇儿牙眼骨工文]科)$`)

// looksLikeUnit tells a unit's name by its ending, a note in parentheses after it aside
// (县发改局(粮食局), 应急管理局(安委办), 高新园(邹区镇)).
func looksLikeUnit(s string) bool {
	return reUnitName.MatchString(s) || strings.HasSuffix(s, ")") && reUnitName.MatchString(reTrailNote.ReplaceAllString(s, ""))
}

var reTrailNote = regexp.MustCompile(`\([^()]{1,12}\)$`)

// openParen finds a parenthesis that never closes, at the end of a text cut short (a page
// stored or copied up to a length: "…。(牵头单位:市卫健委;责任单位:"). It counts when it
// opens with fields or a unit's role, so that a figure's note left open ("增长8%(含") is
// no parenthesis of fields.
func openParen(t string) (start int, inner string, ok bool) {
	i := strings.LastIndex(t, "(")
	if i < 0 || strings.Contains(t[i:], ")") {
		return 0, "", false
	}
	inner = strings.TrimSpace(t[i+1:])
	if ms := labels(inner); len(ms) > 0 && ms[0][0] == 0 || reClauseRole.MatchString(reClauseSep.Split(inner, 2)[0]) || strings.Contains(inner, "牵头") {
		return i, inner, true
	}
	return 0, "", false
}
