package notice

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Clause rewrites run before a clause's figures are read, so that the figure rules see one
// metric and one figure with its unit:
//
//   - 分别: "城乡居民人均可支配收入分别增长6%、6.5%" is read as "城镇居民人均可支配收入增长6%"
//     and "农村居民人均可支配收入增长6.5%"; "一般公共预算收入、税收收入分别增长5%、6%" and
//     "城镇、农村居民人均可支配收入分别达到4.5万元、2万元" likewise (a short first name
//     shares the last one's ending). A figure without its unit borrows the last one's.
//   - the unit word before the figure: "服务人次达200万以上" is "服务人次达200万人次以上"
//     (人次, 人数 → 人, 户数 → 户, 床位数 → 张, 托位数 → 个…).
//   - signs: "≥6%" is "不低于6%", "≤5.5%" is "不超过5.5%"; a range with its unit on both
//     figures, "6%-7%" or "6%～7%", is "6-7%".
//
// and before the item is cut into clauses:
//
//   - notes in parentheses that say where a figure comes from ("(依据区人代会目标设置,高于
//     省、市7.5%平均水平)") are dropped: their figures are no targets;
//   - an indicator named before a colon ("人均地区生产总值:增长6%左右", "高新技术企业数:新增10家
//     以上", "战略新兴产业产值:产值增长16%") names the figure after it.

var reRespectively = regexp.MustCompile(`^(?P<subject>.+?)分别(?P<link>[^\d,;]{0,6}?)(?P<values>\d.*)$`)

var (
	reValueSep  = regexp.MustCompile(`\s*(?:、|和|与|及|,)\s*`)
	reValueHead = regexp.MustCompile(`^(?P<num>\d+(?:\.\d+)?)(?P<tail>.*)$`)
	reCmpTail   = regexp.MustCompile(`(?:及以上|以上|以下|以内|左右)$`)
)

// respectively splits a 分别 clause into one clause per figure; otherwise it returns the
// clause alone.
func respectively(cl string) []string {
	if parts := fromTo(cl); parts != nil {
		return parts
	}
	if !strings.Contains(cl, "分别") {
		return []string{cl}
	}
	m := reRespectively.FindStringSubmatch(cl)
	if m == nil {
		return []string{cl}
	}
	subject := m[reRespectively.SubexpIndex("subject")]
	link := m[reRespectively.SubexpIndex("link")]
	values := reValueSep.Split(strings.TrimSpace(m[reRespectively.SubexpIndex("values")]), -1)
	n := len(values)
	if n < 2 {
		return []string{cl}
	}
	for _, v := range values {
		if !reValueHead.MatchString(v) {
			return []string{cl}
		}
	}
	// the unit and the comparator of the last figure serve the others: 6、6.5%以上
	last := reValueHead.FindStringSubmatch(values[n-1])
	lastTail := last[reValueHead.SubexpIndex("tail")]
	cmp := reCmpTail.FindString(lastTail)
	unit := strings.TrimSuffix(lastTail, cmp)
	for i := range values[:n-1] {
		vm := reValueHead.FindStringSubmatch(values[i])
		tail := vm[reValueHead.SubexpIndex("tail")]
		if tail == "" {
			tail = unit
		}
		if cmp != "" && !reCmpTail.MatchString(tail) {
			tail += cmp
		}
		values[i] = vm[reValueHead.SubexpIndex("num")] + tail
	}
	subjects := splitSubjects(subject, n)
	if subjects == nil {
		return []string{cl}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = subjects[i] + link + values[i]
	}
	return out
}

// reFromTo is a change written from one figure (or list of figures) to another: "将城镇、
// 农村低保补差水平从每人每月574元、271元分别提高到每人每月609元、300元".
var reFromTo = regexp.MustCompile(`^(?:将|把)?(?P<subject>[^\d]+?)(?:分别)?从(?P<q1>(?:每\p{Han}{1,2}){0,2})(?P<from>\d[^提增降减调到至]*?)(?:分别)?(?P<verb>提高|提升|增加|增长|调整|降低|下降|减少)(?:到|至)(?P<q2>(?:每\p{Han}{1,2}){0,2})(?P<to>\d.*)$`)

// fromTo rewrites a change from one figure to another as "subject 由X提高到Y" (one
// clause per subject when both sides list several figures); nil when cl is no such
// change. A rate qualifier (每人每月) stays with the subject.
func fromTo(cl string) []string {
	m := reFromTo.FindStringSubmatch(cl)
	if m == nil {
		return nil
	}
	get := func(name string) string { return m[reFromTo.SubexpIndex(name)] }
	from := reValueSep.Split(strings.TrimSpace(get("from")), -1)
	to := reValueSep.Split(strings.TrimSpace(get("to")), -1)
	if len(from) != len(to) {
		return nil
	}
	subjects := []string{get("subject")}
	if len(to) > 1 {
		if subjects = splitSubjects(get("subject"), len(to)); subjects == nil {
			return nil
		}
	}
	q := get("q2")
	if q == "" {
		q = get("q1")
	}
	out := make([]string, len(to))
	for i := range to {
		out[i] = subjects[i] + q + "由" + from[i] + get("verb") + "到" + to[i]
	}
	return out
}

// splitSubjects names the n things a 分别 clause speaks of.
func splitSubjects(subject string, n int) []string {
	lead := ""
	for {
		loc := reFiller.FindStringIndex(subject)
		if loc == nil || loc[1] == len(subject) {
			break
		}
		lead += subject[:loc[1]]
		subject = subject[loc[1]:]
	}
	if n == 2 && strings.Contains(subject, "城乡") {
		return []string{lead + strings.Replace(subject, "城乡", "城镇", 1), lead + strings.Replace(subject, "城乡", "农村", 1)}
	}
	var parts []string
	depth, start := 0, 0
	for i, r := range subject {
		switch r {
		case '(', '“', '《':
			depth++
		case ')', '”', '》':
			if depth > 0 {
				depth--
			}
		case '、', '和', '与', '及':
			if depth == 0 {
				parts = append(parts, subject[start:i])
				start = i + utf8.RuneLen(r)
			}
		}
	}
	parts = append(parts, subject[start:])
	if len(parts) != n {
		return nil
	}
	lastRunes := []rune(parts[n-1])
	for i := range parts[:n-1] {
		k := utf8.RuneCountInString(parts[i])
		if k == 0 {
			return nil
		}
		if k <= 4 && len(lastRunes) > k+1 {
			parts[i] += string(lastRunes[k:]) // 城镇、农村居民人均可支配收入
		}
	}
	for i := range parts {
		parts[i] = lead + parts[i]
	}
	return parts
}

var (
	reRangeUnits = regexp.MustCompile(`(?P<low>\d+(?:\.\d+)?)(?P<unit>%|‰)\s*(?:-|~|～|—|－|至|到)\s*(?P<high>\d+(?:\.\d+)?)(?:%|‰)`)
	signWords    = strings.NewReplacer("≥", "不低于", "≤", "不超过", "＞=", "不低于", ">=", "不低于", "<=", "不超过")
)

// signs writes comparison signs and ranges in the words the figure rules read.
func signs(cl string) string {
	if !strings.ContainsAny(cl, "≥≤=～~-—－至到") {
		return cl
	}
	cl = signWords.Replace(cl)
	return reRangeUnits.ReplaceAllString(cl, "${low}-${high}${unit}")
}

var reUnitFirst = regexp.MustCompile(`(?P<noun>人次|人数|户数|家数|个数|床位数|床位|托位数|托位|件数|套数|辆数|台数|人口)(?P<link>稳定达到|达到|达|突破|超过|不低于|不少于|增至|提高到|提升到|提高至|提升至|稳定在|保持在|为|至|到)?(?P<num>\d+(?:\.\d+)?)(?P<mag>万亿|亿|万|千)?`)

var nounUnit = map[string]string{
	"人次": "人次", "人数": "人", "户数": "户", "家数": "家", "个数": "个", "床位数": "张", "床位": "张",
	"托位数": "个", "托位": "个", "件数": "件", "套数": "套", "辆数": "辆", "台数": "台", "人口": "人",
}

// unitFirst writes the unit after a figure whose unit word came before it.
func unitFirst(cl string) string {
	found := false
	for noun := range nounUnit {
		found = found || strings.Contains(cl, noun)
	}
	if !found {
		return cl
	}
	ms := reUnitFirst.FindAllStringSubmatchIndex(cl, -1)
	if ms == nil {
		return cl
	}
	var b strings.Builder
	prev := 0
	for _, m := range ms {
		end := m[1]
		num := cl[m[2*reUnitFirst.SubexpIndex("num")]:]
		after := cl[end:]
		if startsWithQty(num) || strings.HasPrefix(after, "%") || strings.HasPrefix(after, "‰") || strings.HasPrefix(after, "年") || strings.HasPrefix(after, "月") || strings.HasPrefix(after, ".") {
			continue // the unit follows the figure already, or it is no count
		}
		noun := cl[m[2*reUnitFirst.SubexpIndex("noun")]:m[2*reUnitFirst.SubexpIndex("noun")+1]]
		b.WriteString(cl[prev:end])
		b.WriteString(nounUnit[noun])
		prev = end
	}
	b.WriteString(cl[prev:])
	return b.String()
}

// levelNotSum reports whether a count is a level held, not a sum over the year: a figure
// per head or per thousand (千人托位数, 人均…), a stock (储备, 保有量, 存栏, 余额), or what is
// to stay at a figure (稳定在, 保持在) unless it is an output summed over the year (原煤产量
// 稳定在1.7亿吨 stays cumulative).
func levelNotSum(metric string, links []string) bool {
	if rePerHead.MatchString(metric) || reStock.MatchString(metric) {
		return true
	}
	for _, l := range links {
		if (l == "稳定在" || l == "保持在" || l == "稳定" || l == "保持") && !reFlow.MatchString(metric) {
			return true
		}
	}
	return false
}

var (
	rePerHead = regexp.MustCompile(`^(?:每)?(?:千人|万人|百人|十万人|千人口|万人口|百户|千户|万户|百名|千名)|人均|户均|每千|每万|每百|平均`)
	reStock   = regexp.MustCompile(`(?:保有量|存栏|存栏量|存量|储备规模|储备量|储备粮|储备|余额|库存)$`)
	reFlow    = regexp.MustCompile(`产量|产值|增加值|收入|营收|投资|总额|利用量|用量|消费量|发电量|销量|销售|吞吐量|运量|接待|交易|贷款|出口|进口|税收|利润|营业额|产出|生产`)
)

// reNoteParen is a parenthesis explaining a figure: where it comes from or what it is
// compared with.
var reNoteParen = regexp.MustCompile(`\((?:依据|根据|按照|参照|注:|注)[^()]*\)|\([^()]*平均水平[^()]*\)`)

// dropNotes removes the explaining parentheses of an item.
func dropNotes(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	return reNoteParen.ReplaceAllString(s, "")
}

var (
	reLabelHead = regexp.MustCompile(`^([^,。;:()、\d]{2,20}):\s*(\S.*)$`)
	reLinkHead  = regexp.MustCompile(`^(?:\d|增长|下降|降低|达到|提高|提升|控制在|不低于|不超过|不少于|保持|稳定在|突破|超过)`)
)

// labelSubject joins an indicator named before a colon to the figure after it.
func labelSubject(s string) string {
	m := reLabelHead.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	label, rest := m[1], m[2]
	if reLinkHead.MatchString(rest) {
		return label + rest // 人均地区生产总值增长6%左右
	}
	if v := startsWithVerb(rest); v != "" && startsWithQty(rest[len(v):]) {
		return v + label + rest[len(v):] // 新增高新技术企业数10家以上
	}
	lr, rr := []rune(label), []rune(rest)
	for k := min(len(lr), len(rr)); k >= 2; k-- {
		if string(lr[len(lr)-k:]) == string(rr[:k]) {
			return label + string(rr[k:]) // 战略新兴产业产值增长16%
		}
	}
	return s
}
