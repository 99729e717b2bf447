package notice

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
)

// abbreviations maps official long forms of unit names to the short forms
// notices also use, so that 市规划和自然资源局 and 市规自局 are one department.
// The short form is what the department id is derived from.
var abbreviations = []struct{ long, short string }{
	{"发展和改革委员会", "发改委"},
	{"发展改革委员会", "发改委"},
	{"发展改革委", "发改委"},
	{"规划和自然资源局", "规自局"},
	{"自然资源和规划局", "规自局"},
	{"市场监督管理局", "市场监管局"},
	{"工业和信息化局", "工信局"},
	{"经济和信息化局", "经信局"},
	{"人力资源和社会保障局", "人社局"},
	{"住房和城乡建设局", "住建局"},
	{"住房城乡建设局", "住建局"},
	{"人力资源社会保障局", "人社局"},
	{"工业信息化局", "工信局"},
	{"发展改革局", "发改局"},
	{"发展和改革局", "发改局"},
	{"教育和体育局", "教体局"},
	{"教育体育局", "教体局"},
	{"卫生健康局", "卫健局"},
	{"卫生和健康局", "卫健局"},
	{"卫生健康委", "卫健委"},
	{"文化旅游局", "文旅局"},
	{"城市管理综合行政执法局", "城管局"},
	{"城市管理局", "城管局"},
	{"交通运输局", "交通局"},
	{"农业农村局", "农业局"},
	{"文化和旅游局", "文旅局"},
	{"卫生健康委员会", "卫健委"},
	{"卫生和健康委员会", "卫健委"},
	{"应急管理局", "应急局"},
	{"行政审批服务管理局", "行政审批局"},
	{"医疗保障局", "医保局"},
	{"科学技术局", "科技局"},
	{"退役军人事务局", "退役军人局"},
	{"残疾人联合会", "残联"},
	{"妇女联合会", "妇联"},
	{"人民政府", "政府"},
	{"管理委员会", "管委会"},
}

// abbreviationsLongestFirst applies 卫生健康委员会 before 卫生健康委.
var abbreviationsLongestFirst = func() []struct{ long, short string } {
	out := append([]struct{ long, short string }(nil), abbreviations...)
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].long) > len(out[j].long) })
	return out
}()

// vague names a cooperating clause may use that are not a department (相关单位, 县各有关
// 单位, 各地, 各部门).
var vagueUnit = regexp.MustCompile(`^(?:(?:市直|县直|区直|市级|县级|区级|市|县|区)?(?:人民政府|政府)?(?:各)?(?:相关|有关|其他|其它)(?:成员|责任|职能)?(?:单位|部门)|(?:市直|县直|区直)?各(?:地|地区|部门|单位))$`)

// canonicalKey is the short form of a unit name: official long forms shortened, a 、
// outside parentheses, one leading 市 and a trailing 管委会 dropped. Equal keys are one
// department.
func canonicalKey(name string) string {
	k := strings.TrimSpace(name)
	k = dropEnumComma(k) // 各乡、镇人民政府 is 各乡镇人民政府
	for _, a := range abbreviationsLongestFirst {
		k = strings.ReplaceAll(k, a.long, a.short)
	}
	if r := []rune(k); len(r) > 2 && r[0] == '市' || len(r) > 3 && (r[0] == '县' || r[0] == '区') {
		k = string(r[1:])
	}
	if r := []rune(k); len(r) > 4 && strings.HasSuffix(k, "管委会") {
		k = strings.TrimSuffix(k, "管委会")
	}
	return k
}

// dropEnumComma removes the 、 outside parentheses of a unit name.
func dropEnumComma(s string) string {
	if !strings.Contains(s, "、") {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '(', '（':
			depth++
		case ')', '）':
			if depth > 0 {
				depth--
			}
		case '、':
			if depth == 0 {
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// phrases fixes go-pinyin's per-character reading of polyphonic characters in names.
var phrases = map[string][]string{
	"长治": {"chang", "zhi"},
	"长子": {"chang", "zi"},
	"长沙": {"chang", "sha"},
	"长春": {"chang", "chun"},
	"长安": {"chang", "an"},
	"银行": {"yin", "hang"},
	"分行": {"fen", "hang"},
	"支行": {"zhi", "hang"},
	"太行": {"tai", "hang"},
	"重庆": {"chong", "qing"},
	"厦门": {"xia", "men"},
	"蚌埠": {"beng", "bu"},
}

// syllables returns one lower-case ASCII token per character: the pinyin of a Han
// character, the character itself for ASCII letters and digits; other runes are dropped.
func syllables(s string) []string {
	args := pinyin.NewArgs()
	rs := []rune(s)
	var out []string
	for i := 0; i < len(rs); {
		if i+1 < len(rs) {
			if p, ok := phrases[string(rs[i:i+2])]; ok {
				out = append(out, p...)
				i += 2
				continue
			}
		}
		r := rs[i]
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			out = append(out, strings.ToLower(string(r)))
		case unicode.Is(unicode.Han, r):
			if p := pinyin.SinglePinyin(r, args); len(p) > 0 {
				out = append(out, p[0])
			}
		}
		i++
	}
	return out
}

// Pinyin returns the toneless pinyin of s, syllables joined without separator
// (长治 → changzhi).
func Pinyin(s string) string { return strings.Join(syllables(s), "") }

func initials(s string) string {
	var b strings.Builder
	for _, p := range syllables(s) {
		b.WriteByte(p[0])
	}
	return b.String()
}

// assignIDs gives every key a stable ASCII id: the pinyin initials of the key.
// Keys whose initials collide use the full first syllable instead (农业局 nongyj,
// 能源局 nengyj); any collision left gets -2, -3… in sorted key order.
func assignIDs(keys []string) map[string]string {
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	byInit := map[string][]string{}
	for _, k := range sorted {
		id := initials(k)
		if id == "" {
			id = "dept"
		}
		byInit[id] = append(byInit[id], k)
	}
	ids := map[string]string{}
	used := map[string]bool{}
	for _, k := range sorted {
		id := initials(k)
		if id == "" {
			id = "dept"
		}
		if len(byInit[id]) > 1 {
			if sy := syllables(k); len(sy) > 0 {
				id = sy[0] + initials(string([]rune(k)[1:]))
			}
		}
		base := id
		for n := 2; used[id]; n++ {
			id = base + "-" + strconv.Itoa(n)
		}
		used[id] = true
		ids[k] = id
	}
	return ids
}

// registry collects departments in order of first mention.
type registry struct {
	keys  []string
	names map[string]string // key → display name
	lead  map[string]bool   // key named as a lead (its section name wins)
}

func newRegistry() *registry {
	return &registry{names: map[string]string{}, lead: map[string]bool{}}
}

// add records a unit name and returns its key. A name used as a lead replaces
// a cooperating short form as the display name.
func (r *registry) add(name string, asLead bool) string {
	name, _ = cleanUnitName(name)
	k := canonicalKey(name)
	if _, ok := r.names[k]; !ok {
		r.keys = append(r.keys, k)
		r.names[k] = name
	}
	if asLead && !r.lead[k] {
		r.lead[k] = true
		r.names[k] = name
	}
	return k
}

// splitUnits splits a list of unit names into names (see splitUnitList).
func splitUnits(s string) []string {
	var out []string
	for _, u := range splitUnitList(s) {
		out = append(out, u.name)
	}
	return out
}

// reAdminPrefix is the first part of a name that shares its ending with the next one:
// 各乡、镇人民政府 is one unit, as are 各县、区政府 and 各县(市)、区人民政府.
var reAdminPrefix = regexp.MustCompile(`^各?[乡镇县区市街村](?:\([^()]{1,3}\))?$`)

// splitUnitList splits "市住建局、市城管局、各县(市、区)政府" into names as written.
// Separators inside parentheses do not split; where the list is separated by commas,
// semicolons, slashes or lines, a 、 splits only between whole names, and a name never
// splits after a lone 各乡/各县 (各乡、镇人民政府). Vague names (相关单位) are dropped; a
// name marked (牵头) leads.
func splitUnitList(s string) []unit {
	s = strings.TrimSpace(strings.Trim(s, "。.;；,，"))
	type piece struct {
		text   string
		strong bool // ended by a separator other than 、
	}
	var pieces []piece
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(', '（':
			depth++
		case ')', '）':
			if depth > 0 {
				depth--
			}
		case '、', ',', '，', ';', '；', '/', '\n':
			if depth == 0 {
				pieces = append(pieces, piece{s[start:i], r != '、'})
				start = i + utf8.RuneLen(r)
			}
		case '及':
			// 市级各有关部门及各县市区政府: 及 joins two names, not the words of one
			if left := strings.TrimSpace(s[start:i]); depth == 0 && (vagueUnit.MatchString(left) || looksLikeUnit(left)) {
				pieces = append(pieces, piece{s[start:i], false})
				start = i + utf8.RuneLen(r)
			}
		}
	}
	pieces = append(pieces, piece{s[start:], true})
	var names []string
	for i := 0; i < len(pieces); i++ {
		name := strings.TrimSpace(pieces[i].text)
		// 各乡、镇人民政府: a lone admin word shares the next name's ending
		for !pieces[i].strong && i+1 < len(pieces) && reAdminPrefix.MatchString(name) {
			i++
			name += "、" + strings.TrimSpace(pieces[i].text)
		}
		// "县发改局 县财政局": names separated by spaces; "市民政局 伍泽国": a unit and the
		// person in charge of it (a 牵头单位及主要负责人 column), who is no unit
		if f := withoutPersons(strings.Fields(name)); len(f) > 1 && allUnits(f) || len(f) == 1 && f[0] != name {
			names = append(names, f...)
			continue
		}
		names = append(names, name)
	}
	var out []unit
	for _, n := range names {
		name, lead := cleanUnitName(n)
		if name == "" || vagueUnit.MatchString(name) {
			continue
		}
		out = append(out, unit{name: name, lead: lead})
	}
	return out
}

// withoutPersons drops the persons' names that follow unit names in a space-separated
// list: "市民政局 伍泽国" → 市民政局. A list whose first word is no unit is kept whole.
func withoutPersons(words []string) []string {
	if len(words) < 2 || !looksLikeUnit(words[0]) {
		return words
	}
	out := words[:1:1]
	for _, w := range words[1:] {
		if rePersonName.MatchString(w) && !looksLikeUnit(w) && !vagueUnit.MatchString(w) {
			continue
		}
		out = append(out, w)
	}
	return out
}

func allUnits(names []string) bool {
	for _, n := range names {
		if utf8.RuneCountInString(n) < 3 || !looksLikeUnit(strings.TrimSuffix(n, "等")) {
			return false
		}
	}
	return true
}

const unitPunct = " \t。.;；,，、:：!！?？\"“”'‘’*·•【】[]"

// reNote is a note in parentheses after a unit list: (列第一位者为牵头单位,下同).
var reNote = regexp.MustCompile(`\([^()]*(?:下同|列第一|排第一|排名第一|为牵头|汇总|按职责|负总责|分工负责|为准|牵头单位)[^()]*\)$`)

// reEtcUnits closes a list of units: "…、市市政公用局等部门".
var reEtcUnits = regexp.MustCompile(`等(?:有关|相关)?(?:部门|单位)$`)

// cleanUnitName takes the punctuation off a unit name and reads a (牵头) mark.
func cleanUnitName(s string) (name string, lead bool) {
	s = strings.Trim(s, unitPunct)
	for {
		t := reNote.ReplaceAllString(s, "")
		for _, mark := range []string{"(牵头)", "(牵头单位)", "(牵头部门)"} {
			if strings.HasSuffix(t, mark) {
				t, lead = strings.TrimSuffix(t, mark), true
			}
		}
		t = reEtcUnits.ReplaceAllString(strings.Trim(t, unitPunct), "") // 市市政公用局等部门
		t = strings.TrimSuffix(t, "等")
		// unbalanced parentheses are punctuation too
		for strings.Count(t, "(") < strings.Count(t, ")") && strings.HasSuffix(t, ")") {
			t = strings.TrimSuffix(t, ")")
		}
		for strings.Count(t, "(") > strings.Count(t, ")") {
			if strings.HasPrefix(t, "(") {
				t = strings.TrimPrefix(t, "(")
			} else {
				t = t[:strings.LastIndex(t, "(")]
			}
		}
		t = strings.Trim(t, unitPunct)
		if t == s {
			return t, lead
		}
		s = t
	}
}
