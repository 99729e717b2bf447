package notice

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/duban-gov/duban/indicators"
)

// The rules that turn an item's words into targets. Each clause (text between , ; 。)
// is read on its own:
//
//   - A figure with a unit is a target unless it is a size threshold ("投资10亿元以上的"),
//     a capacity or name in a list before 等 ("4万吨…负极材料等650个项目"), part of a code
//     (PM2.5, 5A, 2×66万千瓦), or a count of things only pushed along (推进/加快/抓好…
//     "N个项目" without 开工/竣工/建成/投产 in the clause). Ordinals and names in Chinese
//     numerals (一主五辅, 十七届, 三年行动, 六个能力) and figures without a unit
//     (309国道, 再延长30年) are never targets.
//   - Comparator: 以上/不低于/不少于/至少/余/a range "1至2" → ge;
//     以下/以内/不超过/控制在 → le; 达到X, 提高到X and a bare figure → ge (at least X, on
//     counts, levels and rates alike); 左右 → approx (about X, at least: a floor with a
//     tolerance of 0.5 point for % or 5 % of the value), but 控制在X左右 → le with that
//     tolerance (a cap of about X); 下降X% → growth_rate −X with le (a fall of at least
//     X; 下降X%左右 with a tolerance); 下降到/降至X → le. eq only for the implicit
//     figures below, where exceeding cannot happen (全覆盖) or is itself a miss (清零).
//   - Measure: 增长/增速/涨幅 with % → growth_rate; other % and 率/比例/占比/浓度/面积 →
//     level; counts and amounts → cumulative.
//   - Implicit figures: 全覆盖/全接入/全部开工 → 100 % (level); 动态清零 → 0 (level).
//   - Relative: 与经济增长同步 (ge), 高于经济增长水平 (gt: strictly above) → growth_rate
//     following the GDP growth target, with the notice's words as Relative.Text.
//   - "N月底前大头落地" → a cumulative 100 % target with a front-loaded monthly profile
//     (80 % by the end of month N).
//   - A clause with none of the above but a milestone word (开工, 启动, 复工 → started;
//     竣工, 建成, 投运, 投产, 完工, 投用 → completed), not negated, is a milestone.
//   - Due: 一季度 03-31, 上半年 06-30, 前三季度 09-30, N月底(前) end of month N, otherwise
//     (年底前, 年内, 全年, 当年) 12-31; a table's deadline column is the default.

type extractor struct {
	year int
	warn func(line int, format string, args ...any)

	lastMetric string         // the task's previous target, for "…36个,上半年全部开工"
	lines      map[string]int // target id → input line, for warnings after the parse
}

const units = `微克/立方米|毫克/立方米|个百分点|百分点|%|‰|美元|元|人次|人|名|家|户|个|项|条|座|套|处|所|栋|间|辆|台|场次|场|亩|公顷|平方公里|平方米|公里|千米|米|吨|公斤|千克|斤|立方米|千瓦时|千瓦|兆瓦|瓦|微克|毫克|天|根|倍|张|件|只|头|株|棵|宗|块|列|篇|支|床|次|例|穴|盏|艘|架|册|批`

var (
	reQty      = regexp.MustCompile(`(?P<num>\d+(?:\.\d+)?)(?:\s*(?:至|到|~|－|-)\s*(?P<num2>\d+(?:\.\d+)?))?\s*(?P<extra>余|多)?\s*(?P<mag>万亿|亿|万|千)?\s*(?P<unit>` + units + `)`)
	reCmpAfter = regexp.MustCompile(`^\s*(及以上|以上|及以下|以下|以内|左右|上下)`)
	reDigits   = regexp.MustCompile(`\d+(?:\.\d+)?`)
	reNameNum  = regexp.MustCompile(`^(年|月|日|号|国道|省道|县道|届|级|期|周年|版|点|时|分|届|线|路|中|\.)`)
	reListEtc  = regexp.MustCompile(`等\s*\d`)
	reLeadQty  = regexp.MustCompile(`^\s*\d+(?:\.\d+)?\s*(?:余|多)?\s*(?:万亿|亿|万|千)?\s*(?:` + units + `)\s*(?:及以上|以上|以下|以内|左右)?`)
	reDueWords = regexp.MustCompile(`(?:(?:第?[一二三四1-4]季度|前三季度|上半年|下半年)(?:末|底)?(?:前|以前|之前)?|年底前|年底|年内|年末|全年|当年|(?:\d{1,2}|[一二三四五六七八九十]{1,3})月(?:\d{1,2}日)?(?:底|末|份)?(?:前|以前|之前)?)`)
	reFiller   = regexp.MustCompile(`^(?:实现|力争|确保|全年|全市|全县|全区|其中|带动|年内|当年|全力|大力|积极|持续|继续|稳步|扎实|同时|并且|并|和|及|以及|累计|努力|、|,|全面|进一步)`)
	reCompl    = regexp.MustCompile(`开工|竣工|建成|投运|投产|完工|投用|投入使用`)
	reComplEnd = regexp.MustCompile(`(开工建设|开工|竣工投产|竣工|建成投运|建成投用|建成|投运|投产|完工|投用)$`)
)

var (
	reRaiseTo     = regexp.MustCompile(`^\s*(?:提高|提升|增加|增长|下降|降低|减少|降|增|扩大|缩小)\s*(?:到|至)`)
	reLevelWords  = regexp.MustCompile(`率|比例|比重|占比|浓度|面积|指数|密度`)
	reGrowthWords = regexp.MustCompile(`增速|涨幅|增幅|增长率|降幅`)
)

var rePerUnitOf = regexp.MustCompile(`^/\p{Han}{1,2}的`)

var magnitude = map[string]string{"万亿": "e12", "亿": "e8", "万": "e4", "千": "e3"}

// achievement verbs make the figure after them a target; process verbs (推进, 加快…) don't.
var (
	achievementVerbs = []string{"新增", "新建", "新改建", "改造新建", "改扩建", "建成", "建设", "完成", "实施", "启动", "开工", "提供", "关停", "整合", "关停整合", "治理", "营造", "培育", "认定", "入库", "争取", "争创", "创建", "开展", "改造", "发展", "引进", "落地", "签约", "更新", "招引", "举办", "承办", "培训", "安置", "吸纳", "种植", "养殖", "接待", "组建", "设立", "发放", "救助", "创成", "申报", "落户", "布设", "安装", "改建", "新开", "开通", "开行", "打通", "贯通", "修复", "整治", "清理", "关闭", "淘汰", "拆除", "腾退", "盘活", "处置", "收回", "规划建设", "更新改造", "新入库", "新认定", "入库培育", "引育", "改善", "配备", "配置", "增配", "筛查", "资助", "招聘", "培养", "建立", "开设", "立项建设"}
	processVerbs     = []string{"推进", "加快", "抓好", "推动", "打造", "加强", "深化", "支持", "鼓励", "引导", "做好", "加速", "促进", "统筹", "聚焦", "围绕"}
)

type verbHit struct {
	word    string
	end     int
	process bool
}

// lastVerb finds the verb ending last in s (the longest on a tie).
func lastVerb(s string) (verbHit, bool) {
	var best verbHit
	found := false
	try := func(list []string, process bool) {
		for _, v := range list {
			i := strings.LastIndex(s, v)
			if i < 0 {
				continue
			}
			h := verbHit{word: v, end: i + len(v), process: process}
			if !found || h.end > best.end || h.end == best.end && len(h.word) > len(best.word) {
				best, found = h, true
			}
		}
	}
	try(achievementVerbs, false)
	try(processVerbs, true)
	if found && !best.process {
		// 加快建设, 推进实施: an achievement verb right after a process verb is a process.
		head := s[:best.end-len(best.word)]
		for _, p := range processVerbs {
			if strings.HasSuffix(head, p) {
				best.process = true
			}
		}
	}
	return best, found
}

// link words between a metric and its figure, longest first.
var linkWords = []string{"稳定达到", "均达到", "均增长", "稳定在", "控制在", "保持在", "提高到", "提升到", "提高至", "提升至", "增加到", "下降到", "降低到", "达到", "完成", "实现", "增长", "增加", "提高", "提升", "下降", "降低", "减少", "降至", "增至", "不低于", "不少于", "不超过", "不高于", "低于", "高于", "超过", "至少", "突破", "为", "达", "在", "均", "再", "稳定", "保持"}

func splitClauses(s string) []string {
	var out []string
	depth := 0
	start := 0
	for i, r := range s {
		switch r {
		case '(', '“', '《', '「':
			depth++
		case ')', '”', '》', '」':
			if depth > 0 {
				depth--
			}
		case ',', ';', '。', '!', '?', ':':
			if depth == 0 {
				if c := strings.TrimSpace(s[start:i]); c != "" {
					out = append(out, c)
				}
				start = i + utf8.RuneLen(r)
			}
		}
	}
	if c := strings.TrimSpace(s[start:]); c != "" {
		out = append(out, c)
	}
	return out
}

// found is one target with its position in the clause, for ordering.
type found struct {
	pos int
	t   indicators.Target
}

func (x *extractor) targets(line, num int, body, deadline string) []indicators.Target {
	def := indicators.Date(fmt.Sprintf("%04d-12-31", x.year))
	if deadline != "" {
		if d, ok := x.due(deadline); ok {
			def = d
		} else {
			x.warn(line, "task %d: deadline %q not understood; using %s", num, deadline, def)
		}
	}
	var out []indicators.Target
	x.lastMetric = ""
	body = labelSubject(dropNotes(body))
	prevClause := ""
	for _, cl := range splitClauses(body) {
		due := def
		if d, ok := x.due(cl); ok {
			due = d
		}
		var fs []found
		for i, part := range respectively(cl) {
			for _, f := range x.quantities(line, num, unitFirst(signs(part)), due) {
				f.pos += i << 20 // the figures of a 分别 clause in their order
				f.t.Source = cl
				fs = append(fs, f)
			}
		}
		fs = append(fs, x.implicit(cl, due)...)
		fs = append(fs, x.relative(cl, due)...)
		fs = append(fs, x.bigShare(cl)...)
		if len(fs) == 0 {
			fs = x.milestone(cl, due)
		}
		sort.SliceStable(fs, func(i, j int) bool { return fs[i].pos < fs[j].pos })
		for i := range fs {
			fs[i].t.Metric = qualifyHead(fs[i].t.Metric, prevClause)
		}
		prevClause = cl
		for _, f := range fs {
			f.t.ID = fmt.Sprintf("%d.%d", num, len(out)+1)
			if f.t.Cadence == "" && reQuarterly.MatchString(f.t.Metric) {
				f.t.Cadence = indicators.Quarterly
			}
			out = append(out, f.t)
			x.lastMetric = f.t.Metric
			x.lines[f.t.ID] = line
		}
	}
	return out
}

// qualifyHead names whose amount a bare head noun is ("发展养生滋补预制菜产业,产值突破100
// 亿元": 养生滋补预制菜产业产值): the thing the clause before speaks of, its verb aside,
// when that clause has no figure of its own.
func qualifyHead(metric, prevClause string) string {
	bare := false
	for _, h := range heads {
		if metric == h || metric == h+"增速" {
			bare = true
		}
	}
	if !bare || prevClause == "" || reQty.MatchString(prevClause) || reDigits.MatchString(prevClause) {
		return metric
	}
	object := strings.TrimPrefix(prevClause, startsWithVerb(prevClause))
	object = reLeadIn.ReplaceAllString(object, "")
	if utf8.RuneCountInString(object) < 2 || utf8.RuneCountInString(object) > 20 {
		return metric
	}
	return object + metric
}

// context is the previous target's metric without its leading verb, for a clause that
// names no subject of its own ("改造提升老旧小区36个,上半年全部开工").
func (x *extractor) context() string {
	m := x.lastMetric
	for {
		v := startsWithVerb(m)
		for _, w := range append(append([]string(nil), processVerbs...), "提升", "提高", "扩大") {
			if strings.HasPrefix(m, w) && len(w) > len(v) {
				v = w
			}
		}
		if v == "" || v == m {
			return m
		}
		if rest := strings.TrimPrefix(m, v); reCompl.MatchString(string(lastRune(v)) + string(firstRune(rest))) {
			return m // 新开工项目: 开 is 开工's, not a verb of its own
		}
		m = strings.TrimPrefix(m, v)
	}
}

var reQuarterly = regexp.MustCompile(`地区生产总值|GDP|居民收入|可支配收入|肉蛋奶|水产|畜牧业|农林牧渔|营收|营业收入`)

var cnMonth = map[string]int{"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12}

var (
	reDueDate    = regexp.MustCompile(`(?:(20\d\d)年)?(\d{1,2})月(\d{1,2})日`)
	reDueMonth   = regexp.MustCompile(`(?:(20\d\d)年)?(\d{1,2}|十[一二]?|[一二三四五六七八九])月(?:底|末|份|中旬|下旬)?(?:前|以前|之前)?`)
	reDueQ1      = regexp.MustCompile(`第?一季度|1季度|Q1`)
	reDueHalf    = regexp.MustCompile(`上半年|第?二季度|年中`)
	reDueQ3      = regexp.MustCompile(`前三季度|第?三季度`)
	reDueYearEnd = regexp.MustCompile(`年底|年内|全年|当年|年末|第?四季度|年度`)
	reDueYear    = regexp.MustCompile(`(20\d\d)年`)
)

// due finds the deadline words in s: a day, a month end, a quarter or the year end.
func (x *extractor) due(s string) (indicators.Date, bool) {
	year := x.year
	if m := reDueDate.FindStringSubmatch(s); m != nil {
		if m[1] != "" {
			year, _ = strconv.Atoi(m[1])
		}
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		if mo >= 1 && mo <= 12 && d >= 1 && d <= 31 {
			return indicators.Date(fmt.Sprintf("%04d-%02d-%02d", year, mo, d)), true
		}
	}
	for _, m := range reDueMonth.FindAllStringSubmatch(s, -1) {
		if m[1] != "" {
			year, _ = strconv.Atoi(m[1])
		}
		mo, err := strconv.Atoi(m[2])
		if err != nil {
			mo = cnMonth[m[2]]
		}
		if mo >= 1 && mo <= 12 {
			return monthEnd(year, mo), true
		}
	}
	if m := reDueYear.FindStringSubmatch(s); m != nil {
		year, _ = strconv.Atoi(m[1])
	}
	switch {
	case reDueQ3.MatchString(s):
		return monthEnd(year, 9), true
	case reDueQ1.MatchString(s):
		return monthEnd(year, 3), true
	case reDueHalf.MatchString(s):
		return monthEnd(year, 6), true
	case reDueYearEnd.MatchString(s):
		return monthEnd(year, 12), true
	}
	if year != x.year {
		return monthEnd(year, 12), true
	}
	return "", false
}

func monthEnd(year, month int) indicators.Date {
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	d := days[month]
	if month == 2 && (year%4 == 0 && year%100 != 0 || year%400 == 0) {
		d = 29
	}
	return indicators.Date(fmt.Sprintf("%04d-%02d-%02d", year, month, d))
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func isCodeRune(r rune) bool {
	return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '*') || r == '×'
}

// cleanMetric removes deadline words, fillers and stray punctuation from a metric name.
func cleanMetric(s string) string {
	s = reDueWords.ReplaceAllString(s, "")
	for {
		t := strings.TrimSpace(reFiller.ReplaceAllString(s, ""))
		if t == s {
			break
		}
		s = t
	}
	s = strings.Trim(s, "、,;:的 ")
	return s
}

// stripLink removes link words from the end of a prefix, returning the first one
// found (nearest the figure) and every one removed.
func stripLink(s string) (string, string, []string) {
	var first string
	var all []string
	for {
		s = strings.TrimSpace(s)
		hit := ""
		for _, w := range linkWords {
			if strings.HasSuffix(s, w) && len(s) > len(w) || strings.HasSuffix(s, w) && first == "" && len(s) == len(w) {
				if w == "均" && (strings.HasSuffix(s, "人均") || strings.HasSuffix(s, "户均")) {
					continue // 月人均提高到180元: 人均 is the metric's
				}
				hit = w
				break
			}
		}
		if hit == "" {
			return s, first, all
		}
		if first == "" {
			first = hit
		}
		all = append(all, hit)
		s = strings.TrimSuffix(s, hit)
	}
}

func endsWithVerb(s string) (string, bool) {
	best := ""
	for _, v := range achievementVerbs {
		if strings.HasSuffix(s, v) && len(v) > len(best) {
			best = v
		}
	}
	for _, v := range processVerbs {
		if strings.HasSuffix(s, v) && len(v) > len(best) {
			best = v
		}
	}
	return best, best != ""
}

func startsWithVerb(s string) string {
	best := ""
	for _, v := range achievementVerbs {
		if strings.HasPrefix(s, v) && len(v) > len(best) {
			best = v
		}
	}
	return best
}

func isProcess(v string) bool {
	for _, p := range processVerbs {
		if v == p {
			return true
		}
	}
	return false
}

// beneficiaries are units of people: "支持大学生创业240人" counts people helped, a target
// even after a verb that only pushes things along.
var beneficiaries = map[string]bool{"人": true, "人次": true, "户": true, "名": true}

// reBenefit is words before a figure that only say for whom: "为全区23000名老年人提供…",
// "对300户困难家庭进行…"; the words after the figure name the target.
var reBenefit = regexp.MustCompile(`^(?:为|对|给|向|帮助|帮扶)(?:全省|全市|全县|全区|全镇|全乡)?$`)

// reGiven is the words before a figure naming whom it is given to, when words after the
// figure name what is given: "给予小微企业10%以上价格扣除评审优惠".
var reGiven = regexp.MustCompile(`^(?:给予|给|为|对|向)\p{Han}{1,8}$`)

var heads = []string{"营业收入", "营收", "收入", "产值", "增加值", "投资", "总额", "产量"}

// quantities reads the figures with units in one clause, left to right: each figure
// (figureAt) is named by the words before it (words) and the noun after it (metric),
// and becomes a target with a comparator, a measure and a tolerance (target); a
// figure after 由 is the baseline of the next one, one shared by 均 becomes one target
// per indicator (sharedTargets). Figures with no known unit are warned about.
func (x *extractor) quantities(line, num int, cl string, due indicators.Date) []found {
	var out []found
	covered := make([]bool, len(cl)+1)
	sc := clauseScan{cl: cl, baseStart: -1}
	for _, m := range reQty.FindAllStringSubmatchIndex(cl, -1) {
		for i := m[0]; i < m[1]; i++ {
			covered[i] = true
		}
		f, ok := x.figureAt(line, num, cl, m)
		if !ok {
			continue
		}
		// 由X提高到Y: X is the baseline of the next figure.
		if reRaiseTo.MatchString(f.after) && strings.HasSuffix(strings.TrimSpace(f.before), "由") {
			b := f.value
			sc.baseline = &b
			sc.baseStart = strings.LastIndex(f.before, "由")
			continue
		}
		vh, hasVerb := lastVerb(verbScope(f.before))
		if hasVerb && vh.process && !reCompl.MatchString(cl[f.start:]) && !beneficiaries[f.unit] {
			sc.segStart = f.end
			continue // a count of things pushed along, not a target (people helped are)
		}
		w := sc.words(&f)
		noun := figureNoun(f.after)
		if namesAPolicy(verbScope(f.before), noun) {
			continue // 落实好提振市场信心90条措施: a policy named by its count
		}
		w.verb, w.hasVerb = vh, hasVerb
		metric := sc.metric(&f, &w, noun)
		if metric == "" && w.link != "" && x.lastMetric != "" {
			metric = x.context() // "固定资产投资162亿元,增长7%": the indicator of the clause before
		}
		t, metric := f.target(due, &w, metric)
		t.Source = cl
		if sc.baseline != nil {
			t.Baseline = sc.baseline
			sc.baseline, sc.baseStart = nil, -1
		}
		if sharedBy(w.links) && strings.Contains(metric, "、") {
			out = append(out, sharedTargets(t, metric, f.start)...)
			continue
		}
		if metric == "" {
			x.warn(line, "task %d: figure %q has no metric name", num, cl[f.start:f.end])
			metric = strings.TrimSpace(cl[f.start:f.end])
		}
		t.Metric = metric
		out = append(out, found{pos: f.start, t: t})
	}
	x.warnUnitless(line, num, cl, covered)
	return out
}

// The groups of reQty, by name.
var (
	qtyNum   = reQty.SubexpIndex("num")
	qtyNum2  = reQty.SubexpIndex("num2")
	qtyExtra = reQty.SubexpIndex("extra")
	qtyMag   = reQty.SubexpIndex("mag")
	qtyUnit  = reQty.SubexpIndex("unit")
)

// figure is one figure with its unit in a clause.
type figure struct {
	start, end    int    // in the clause; end is past a comparator word after the unit
	before, after string // the clause before the figure, and after it (and its comparator word)
	cmpAfter      string // the comparator word after the unit: 以上, 左右…
	num2, extra   string // the upper end of a range (10至20); 余 or 多
	mag, unit     string // 万, 亿…; the unit
	exp           string // the magnitude as an exponent: e4 for 万
	value         float64
}

// group is the text of reQty's group i in match m of s ("" when it did not take part).
func group(s string, m []int, i int) string {
	if m[2*i] < 0 {
		return ""
	}
	return s[m[2*i]:m[2*i+1]]
}

// figureAt reads the figure of reQty match m in cl; false for a figure that is no
// target's (a code, a size threshold, a rate, a list's member) or not understood.
func (x *extractor) figureAt(line, num int, cl string, m []int) (figure, bool) {
	f := figure{start: m[0], end: m[1], before: cl[:m[0]], after: cl[m[1]:]}
	if r := firstRune(f.after); isCodeRune(lastRune(f.before)) || r < utf8.RuneSelf && unicode.IsLetter(r) || r == '×' || r == '*' {
		return f, false // PM2.5, 2×66万千瓦, 5A
	}
	if cm := reCmpAfter.FindStringSubmatch(f.after); cm != nil {
		f.cmpAfter = cm[1]
		f.after = f.after[len(cm[0]):]
		f.end += len(cm[0])
	}
	if strings.HasPrefix(f.after, "的") || rePerUnitOf.MatchString(f.after) {
		return f, false // a size threshold: 投资10亿元以上的重大项目; a rate: 按1500元/人的标准
	}
	if loc := reListEtc.FindStringIndex(f.after); loc != nil && !strings.ContainsAny(f.after[:loc[0]], ",;") {
		return f, false // a capacity or a name in a list before 等N个
	}
	numStr := group(cl, m, qtyNum)
	f.num2, f.extra, f.mag, f.unit = group(cl, m, qtyNum2), group(cl, m, qtyExtra), group(cl, m, qtyMag), group(cl, m, qtyUnit)
	if f.mag == "千" && (f.unit == "米" || f.unit == "克" || f.unit == "瓦") {
		f.mag, f.unit = "", "千"+f.unit
	}
	f.exp = magnitude[f.mag]
	v, err := strconv.ParseFloat(numStr+f.exp, 64)
	if err != nil {
		x.warn(line, "task %d: figure %q not understood", num, cl[f.start:f.end])
		return f, false
	}
	f.value = v
	return f, true
}

// clauseScan is what reading a clause's figures carries from one figure to the next.
type clauseScan struct {
	cl                    string
	segStart              int      // where the words of the next figure start: past the figure before
	baseline              *float64 // a 由X提高到Y baseline for the next figure
	baseStart             int      // where its 由 is (-1: none)
	leadVerb, prevSubject string   // the clause's first verb; the subject of the figure before
}

// figureWords is what the words before a figure say of it.
type figureWords struct {
	subject   string   // what is measured, without the linking verb
	link      string   // the verb linking it to the figure (增长, 达到…)
	links     []string // every linking verb, innermost first
	cmpBefore string   // a comparator word before the figure: 不超过, 至少…
	verb      verbHit  // the verb governing the figure, when hasVerb
	hasVerb   bool
}

// words reads the words between the figure before (or the clause start) and f.
func (sc *clauseScan) words(f *figure) figureWords {
	cl := sc.cl
	seg := cl[sc.segStart:f.start]
	if sc.baseStart >= sc.segStart && sc.baseline != nil {
		seg = cl[sc.segStart:sc.baseStart]
	}
	afterFigure := sc.segStart > 0 // a figure came before in the clause
	sc.segStart = f.end
	if i := strings.LastIndex(seg, "、"); i >= 0 && afterFigure && !strings.Contains(seg[i:], "均") && !strings.Contains(seg[i:], "等") {
		// "启动3个老旧街区、5个老旧厂区": the words after the last 、 are this figure's
		// ("新建公办中小学、幼儿园7所": before the clause's first figure, one list).
		seg = seg[i:]
	}
	if afterFigure && endsWithConjunction(seg) {
		// "建设32所中等职业学校和55个优质专业": the words before are the last figure's
		// noun; what this figure counts is named after it
		seg = ""
	}
	if i := etcIndex(seg); i >= 0 {
		// "实施A、B等100余个项目": keep the verb, drop the names; "路面维修等养护工程60公里":
		// the words after 等 name what is counted.
		verb := ""
		if h, ok := lastVerb(verbScope(seg[:i+len("等")])); ok {
			verb = h.word
		}
		seg = verb + strings.TrimSpace(seg[i+len("等"):])
	}
	seg = strings.TrimLeft(seg, "、, ")
	var w figureWords
	for _, c := range []string{"不超过", "不高于", "不低于", "不少于", "至少", "超过", "高于", "突破", "大于", "低于", "少于", "控制在", "以内"} {
		if strings.Contains(seg, c) {
			w.cmpBefore = c
			break
		}
	}
	seg = strings.ReplaceAll(seg, "至少", "")
	seg = reDueWords.ReplaceAllString(seg, "")
	w.subject, w.link, w.links = stripLink(cleanMetric(seg))
	w.subject = cleanMetric(w.subject)
	return w
}

// figureNoun is the noun after a figure, for "新增100家纳统单位".
func figureNoun(after string) string {
	noun := nounBeforeNextFigure(after)
	for reLeadQty.MatchString(noun) {
		noun = reLeadQty.ReplaceAllString(noun, "")
	}
	return cleanMetric(noun)
}

// metric names what figure f measures from the words before it and the noun after it.
func (sc *clauseScan) metric(f *figure, w *figureWords, noun string) string {
	var metric string
	subject := w.subject
	if v, ok := endsWithVerb(subject); ok || subject == "" {
		verb := subject
		if !ok {
			if w.hasVerb {
				verb = w.verb.word
			}
			v = verb
		}
		if isProcess(v) {
			metric = noun
			if ce := reComplEnd.FindString(sc.cl); ce != "" && !reCompl.MatchString(noun) {
				metric += ce
			}
		} else {
			metric = verb + noun
		}
	} else if reBenefit.MatchString(subject) || noun != "" && reGiven.MatchString(subject) {
		metric = noun // 为23000名老年人提供居家上门服务, 给予小微企业10%以上价格扣除评审优惠
	} else {
		metric = sc.subjectMetric(f, w, noun)
	}
	if sc.leadVerb == "" {
		sc.leadVerb = startsWithVerb(subject)
	}
	sc.prevSubject = subject
	return cleanMetric(metric)
}

// subjectMetric names what f measures when the words before it name a subject that
// does not end with a verb.
func (sc *clauseScan) subjectMetric(f *figure, w *figureWords, noun string) string {
	subject, cl := w.subject, sc.cl
	metric := subject
	counted := noun != "" && !strings.ContainsAny(f.unit, "%‰") && !strings.HasSuffix(f.unit, "百分点")
	switch v := startsWithVerb(subject); {
	case counted && v != "" && v != subject && w.link == "":
		metric = subject + noun // 完成泉山学校一期2座教学楼建设
	case counted && utf8.RuneCountInString(subject) <= 2 && len(w.links) > 0:
		// 优化提升50条背街后巷交通组织: the verb and what is counted
		metric = subject
		for i := len(w.links) - 1; i >= 0; i-- {
			metric += w.links[i]
		}
		metric += noun
	}
	if w.hasVerb && w.verb.process && strings.HasPrefix(subject, w.verb.word) {
		// 推动潞讯精密电子30条生产线投产: what is counted, and its stage
		metric = strings.TrimPrefix(subject, w.verb.word) + noun
		if ce := reComplEnd.FindString(cl); ce != "" && !reCompl.MatchString(metric) {
			metric += ce
		}
	}
	if startsWithVerb(subject) == "" && w.link == "" && sc.leadVerb != "" && strings.Contains(cl[:f.start], "、") {
		metric = sc.leadVerb + subject // 新建智能化矿井8座、绿色开采煤矿3座
	}
	if strings.HasPrefix(subject, "总") && sc.prevSubject != "" {
		metric = strings.TrimPrefix(sc.prevSubject, startsWithVerb(sc.prevSubject)) + subject // 发展林下种养殖13万亩、总产值
	}
	return metric
}

// target is the target of figure f due at due: its unit, value, comparator, measure
// and tolerance; the metric comes back with what the measure adds to it (增速, 增加额).
func (f *figure) target(due indicators.Date, w *figureWords, metric string) (indicators.Target, string) {
	t := indicators.Target{Unit: f.unit, Due: due}
	mag := f.mag
	switch f.unit {
	case "微克", "毫克":
		t.Unit = f.unit + "/立方米"
	case "微克/立方米", "毫克/立方米":
		mag = "" // 万微克 is not a thing
	case "个百分点":
		t.Unit = "百分点"
	}
	if mag != "" {
		t.DisplayUnit = mag + f.unit
		t.DisplayScale, _ = strconv.ParseFloat("1"+f.exp, 64)
	}
	t.Value = f.value
	var bare, about bool
	t.Comparator, bare, about = comparator(f.cmpAfter, w.cmpBefore, w.link, f.extra != "" || f.num2 != "")
	metric = measure(&t, metric, w)
	declines(&t, w.links, bare)
	if about {
		if t.Unit == "%" || t.Unit == "‰" {
			t.Tolerance = 0.5
		} else {
			t.Tolerance = round(math.Abs(t.Value) * 0.05)
		}
	}
	return t, metric
}

// comparator reads the comparator of a figure from the words after it (cmpAfter) and
// before it (cmpBefore, link; ranged: a range or 余/多) by the rules in the comment at the
// top of this file. bare: no word says (达到X, 提高到X, a bare figure); about: 左右, 上下.
func comparator(cmpAfter, cmpBefore, link string, ranged bool) (c indicators.Comparator, bare, about bool) {
	switch {
	case cmpAfter == "左右" || cmpAfter == "上下":
		if cmpBefore == "控制在" || link == "控制在" {
			return indicators.LE, false, true // 控制在2%左右: a cap of about 2 %
		}
		return indicators.Approx, false, true
	case strings.Contains(cmpAfter, "以上") || ranged:
		return indicators.GE, false, false
	case strings.Contains(cmpAfter, "以下") || cmpAfter == "以内":
		return indicators.LE, false, false
	case cmpBefore == "不超过" || cmpBefore == "不高于" || cmpBefore == "低于" || cmpBefore == "少于" || cmpBefore == "控制在" || cmpBefore == "以内":
		return indicators.LE, false, false
	case cmpBefore != "":
		return indicators.GE, false, false
	}
	// 达到X, 提高到X, a bare figure: at least X (13.2 开工率40% at 55 % is ahead)
	return indicators.GE, true, false
}

// measure sets t's measure from its unit and the words naming it, and returns the
// metric with what the measure adds: 增速 to a growth rate, 增加额 to an increase.
func measure(t *indicators.Target, metric string, w *figureWords) string {
	link := w.link
	growthLink := link == "增长" || link == "下降" || link == "降低" || link == "减少" || link == "均增长"
	pct := t.Unit == "%" || t.Unit == "‰"
	hasGrowthWord := reGrowthWords.MatchString(w.subject)
	switch {
	case pct && (growthLink || hasGrowthWord):
		t.Measure = indicators.GrowthRate
	case pct || t.Unit == "百分点" || t.Unit == "微克/立方米" || t.Unit == "毫克/立方米" || reLevelWords.MatchString(metric):
		t.Measure = indicators.Level
	case levelNotSum(metric, w.links):
		t.Measure = indicators.Level // 千人托位数达到4.5个, 粮食储备稳定在2.3万吨
	default:
		t.Measure = indicators.Cumulative
	}
	if t.Measure == indicators.GrowthRate && !hasGrowthWord {
		metric += "增速"
	}
	if link == "增加" && t.Measure == indicators.Cumulative && !strings.HasPrefix(metric, "新增") {
		metric += "增加额"
	}
	return metric
}

// declines turns t around for the words of a fall: 下降到X (bare) is at most X, a
// growth rate that falls by X is -X with the comparator reversed.
func declines(t *indicators.Target, links []string, bare bool) {
	decline := false
	for _, l := range links {
		if l == "下降" || l == "降低" || l == "减少" {
			decline = true
		}
		if l == "下降到" || l == "降低到" || l == "降至" {
			if bare {
				t.Comparator = indicators.LE // 下降到X: at most X
			}
		}
	}
	if decline && t.Measure == indicators.GrowthRate {
		t.Value = -t.Value
		switch t.Comparator {
		case indicators.GE, indicators.Approx:
			t.Comparator = indicators.LE // 下降3%(左右): a fall of at least (about) 3 %
		case indicators.LE:
			t.Comparator = indicators.GE
		}
	}
}

// sharedBy says that a figure is shared by the indicators named before it: "A、B均增长12%".
func sharedBy(links []string) bool {
	shared := false
	for _, l := range links {
		if strings.HasPrefix(l, "均") || l == "均" {
			shared = true
		}
	}
	return shared
}

// sharedTargets is target t once for each indicator of metric "A、B…" (均: one target
// per indicator), each named with the head word the last one has (增速, 营业收入…).
func sharedTargets(t indicators.Target, metric string, pos int) []found {
	var out []found
	parts := strings.Split(metric, "、")
	last := parts[len(parts)-1]
	suffix := ""
	for _, h := range append([]string{"增速"}, heads...) {
		if strings.HasSuffix(last, h) {
			suffix = h
			break
		}
	}
	if t.Measure == indicators.GrowthRate {
		last = strings.TrimSuffix(last, "增速")
		for _, h := range heads {
			if strings.HasSuffix(last, h) {
				suffix = h + "增速"
				break
			}
		}
		if suffix == "" {
			suffix = "增速"
		}
	}
	for _, p := range parts {
		p = cleanMetric(p)
		if p == "" {
			continue
		}
		if suffix != "" && !strings.HasSuffix(p, suffix) {
			p = strings.TrimSuffix(p, "增速")
			sfx := suffix
			for _, h := range heads {
				if strings.HasSuffix(p, h) {
					sfx = strings.TrimPrefix(suffix, strings.TrimSuffix(suffix, "增速"))
				}
			}
			p += sfx
		}
		tt := t
		tt.Metric = p
		out = append(out, found{pos: pos, t: tt})
	}
	return out
}

// warnUnitless warns of the figures in cl no unit made a target of (covered: the bytes
// of figures with units); names and ordinals stay silent.
func (x *extractor) warnUnitless(line, num int, cl string, covered []bool) {
	for _, m := range reDigits.FindAllStringIndex(cl, -1) {
		if covered[m[0]] {
			continue
		}
		if isCodeRune(lastRune(cl[:m[0]])) || isCodeRune(firstRune(cl[m[1]:])) || reNameNum.MatchString(cl[m[1]:]) {
			continue
		}
		x.warn(line, "task %d: figure %q has no known unit; not a target", num, clip(cl[m[0]:], 12))
	}
}

// nounBeforeNextFigure is the words after a figure up to a separator, or up to the
// conjunction before the next figure ("市级示范学校和30个…" → 市级示范学校).
func nounBeforeNextFigure(after string) string {
	noun := after
	if i := strings.IndexAny(noun, "、,;"); i >= 0 {
		noun = noun[:i]
	}
	if loc := reQty.FindStringIndex(noun); loc != nil && loc[0] > 0 && endsWithConjunction(noun[:loc[0]]) {
		noun = reConjunctionEnd.ReplaceAllString(noun[:loc[0]], "") // not 投资10亿元以上的重大项目
	}
	return noun
}

// reConjunctionEnd is a conjunction closing the words between two figures: the words
// before it belong to the figure before.
var reConjunctionEnd = regexp.MustCompile(`(?:和|及|与|以及|并)\s*$`)

func endsWithConjunction(seg string) bool { return reConjunctionEnd.MatchString(seg) }

// rePolicyNoun is what a policy is named by: "90条措施", "10条意见".
var rePolicyNoun = regexp.MustCompile(`^(?:措施|政策|举措|意见|条款|规定|办法)`)

// namesAPolicy tells a count that names a policy to carry out ("落实好提振市场信心90条
// 措施", "贯彻10条意见") from a count to reach.
func namesAPolicy(before, noun string) bool {
	if !rePolicyNoun.MatchString(noun) {
		return false
	}
	for _, v := range []string{"落实", "贯彻", "执行", "兑现"} {
		if strings.Contains(before, v) {
			return true
		}
	}
	return false
}

// verbScope cuts a name list "A、B、C等" off the words before a figure, so that a verb
// inside a project name (太行药业智能化改造) is not taken for the governing verb.
func verbScope(before string) string {
	if i := etcIndex(before); i >= 0 {
		if j := strings.Index(before, "、"); j >= 0 && j < i {
			return before[:j]
		}
	}
	return before
}

// etcIndex is where the last 等 closing a list of names is in s (not the 等 of 等级, 等于,
// 同等, 平等…), or -1.
func etcIndex(s string) int {
	for i := strings.LastIndex(s, "等"); i >= 0; i = strings.LastIndex(s[:i], "等") {
		before, after := lastRune(s[:i]), firstRune(s[i+len("等"):])
		if strings.ContainsRune("级于额待候", after) || strings.ContainsRune("高低同平对均相优上中下初次", before) {
			continue
		}
		return i
	}
	return -1
}

func round(v float64) float64 { return math.Round(v*1e6) / 1e6 }

var (
	reImplicit = regexp.MustCompile(`(全覆盖|全接入|全部(?:开工|竣工|完工|建成|投运|完成|到位|接入|覆盖|落地))`)
	reZero     = regexp.MustCompile(`(?:动态)?清零`)
	reLeadIn   = regexp.MustCompile(`^(?:实现|实行|推动|推进|确保|力争|做到|基本|达到|保持|持续|全面|加快)+`)
)

// implicit reads figures the words imply: 全覆盖 → 100 %, 动态清零 → 0.
func (x *extractor) implicit(cl string, due indicators.Date) []found {
	var out []found
	if m := reImplicit.FindStringSubmatchIndex(cl); m != nil {
		word := cl[m[2]:m[3]]
		subject := subjectBefore(cl[:m[0]])
		if subject == "" {
			subject = x.context()
		}
		var metric string
		switch {
		case word == "全覆盖":
			metric = subject + "覆盖率"
		case word == "全接入":
			metric = subject + "接入率"
		default:
			metric = subject + strings.TrimPrefix(word, "全部") + "率"
		}
		out = append(out, found{pos: m[0], t: indicators.Target{Metric: metric, Measure: indicators.Level, Comparator: indicators.EQ, Value: 100, Unit: "%", Due: due, Source: cl}})
	}
	if m := reZero.FindStringIndex(cl); m != nil {
		subject := subjectBefore(cl[:m[0]])
		unit := "个"
		if bare := strings.TrimRight(subject, "”\"’'"); strings.HasSuffix(bare, "家庭") || strings.HasSuffix(bare, "户") {
			unit = "户"
		}
		out = append(out, found{pos: m[0], t: indicators.Target{Metric: subject, Measure: indicators.Level, Comparator: indicators.EQ, Value: 0, Unit: unit, Due: due, Source: cl}})
	}
	return out
}

func subjectBefore(s string) string {
	s = cleanMetric(s)
	s = reLeadIn.ReplaceAllString(s, "")
	return cleanMetric(s)
}

var (
	reSync  = regexp.MustCompile(`^(.*?)(?:增长|增速)?\s*((?:与|和|同)(?:经济|地区生产总值|GDP)(?:增长|增速)(?:基本)?同步)`)
	reAbove = regexp.MustCompile(`^(.*?)(?:增长|增速)?\s*((高于|快于|超过|不低于)(?:经济|地区生产总值|GDP)(?:增长|增速)(?:水平)?)`)
)

// relative reads targets that follow GDP growth; resolveRelative points them at it.
// 同步 and 不低于 are ge; 高于, 快于 and 超过 are gt (strictly above). The relation's words
// are kept as Relative.Text, which is what people read as the target.
func (x *extractor) relative(cl string, due indicators.Date) []found {
	for _, re := range []*regexp.Regexp{reSync, reAbove} {
		m := re.FindStringSubmatch(cl)
		if m == nil {
			continue
		}
		cmp := indicators.GE
		if len(m) > 3 && m[3] != "" && m[3] != "不低于" {
			cmp = indicators.GT
		}
		subject := subjectBefore(m[1])
		return []found{{pos: 0, t: indicators.Target{
			Metric: subject + "增速", Measure: indicators.GrowthRate, Comparator: indicators.GE,
			Unit: "%", Due: due, Cadence: indicators.Quarterly, Source: cl,
			Relative: &indicators.Relative{Comparator: cmp, Text: m[2]},
		}}}
	}
	return nil
}

var reBigShare = regexp.MustCompile(`^(.*?)(\d{1,2}|十[一二]?|[一二三四五六七八九])月(?:底|末)?(?:前|以前|之前)?(?:大头落地|完成大头|基本完成)`)

// bigShare reads "年度投资10月底前大头落地": the year's amount, mostly done by month N.
func (x *extractor) bigShare(cl string) []found {
	m := reBigShare.FindStringSubmatch(cl)
	if m == nil {
		return nil
	}
	mo, err := strconv.Atoi(m[2])
	if err != nil {
		mo = cnMonth[m[2]]
	}
	if mo < 1 || mo > 11 {
		return nil
	}
	subject := subjectBefore(m[1])
	return []found{{pos: 0, t: indicators.Target{
		Metric: subject + "完成率", Measure: indicators.Cumulative, Comparator: indicators.GE,
		Value: 100, Unit: "%", Due: monthEnd(x.year, 12), Source: cl,
		Trajectory: &indicators.Trajectory{Kind: "profile", Monthly: FrontLoaded(mo, 0.8)},
	}}}
}

// FrontLoaded is a monthly profile reaching share by the end of month (1..11),
// linear before and after, and 1 at the end of December.
func FrontLoaded(month int, share float64) []float64 {
	out := make([]float64, 12)
	for i := 1; i <= 12; i++ {
		var v float64
		if i <= month {
			v = share * float64(i) / float64(month)
		} else {
			v = share + (1-share)*float64(i-month)/float64(12-month)
		}
		out[i-1] = math.Round(v*1000) / 1000
	}
	return out
}

var (
	reMilestone = regexp.MustCompile(`开工|竣工|建成|投运|投产|启动|完工|投用|投入使用|复工`)
	reCompleted = regexp.MustCompile(`竣工|建成|投运|投产|完工|投用|投入使用`)
	reNegated   = regexp.MustCompile(`不能|未能|未|不得|不予`)
	reMsLead    = regexp.MustCompile(`^(?:推动|推进|力争|确保|加快|全力|全面|积极|尽快|争取)+`)
)

// milestone reads a clause that names a stage to reach: 开工, 建成, 投运….
func (x *extractor) milestone(cl string, due indicators.Date) []found {
	loc := reMilestone.FindStringIndex(cl)
	if loc == nil {
		return nil
	}
	if reNegated.MatchString(cl[:loc[0]]) {
		return nil
	}
	stage := indicators.StageStarted
	if reCompleted.MatchString(cl) {
		stage = indicators.StageCompleted
	}
	metric := reDueWords.ReplaceAllString(cl, "")
	metric = reMsLead.ReplaceAllString(metric, "")
	metric = strings.ReplaceAll(metric, "尽快", "")
	metric = strings.Trim(metric, "、,;。 ")
	if utf8.RuneCountInString(metric) <= 3 {
		metric = x.context() + metric // "完成3个老旧小区改造,10月底前竣工"
	}
	return []found{{pos: loc[0], t: indicators.Target{Metric: metric, Measure: indicators.Milestone, Stage: stage, Due: due, Source: cl}}}
}

var reGDP = regexp.MustCompile(`^(?:全市|全县|全区|全省)?(?:地区生产总值|GDP|经济)(?:增速|增长)`)

// resolveRelative points relative targets at the plan's GDP growth target and gives
// them its value (what "同步" means when GDP is on plan).
func (x *extractor) resolveRelative(c *indicators.Catalog) {
	var gdp *indicators.Target
	for i := range c.Tasks {
		for j := range c.Tasks[i].Targets {
			t := &c.Tasks[i].Targets[j]
			if gdp == nil && t.Relative == nil && t.Measure == indicators.GrowthRate && reGDP.MatchString(t.Metric) {
				gdp = t
			}
		}
	}
	for i := range c.Tasks {
		for j := range c.Tasks[i].Targets {
			t := &c.Tasks[i].Targets[j]
			if t.Relative == nil || t.Relative.Indicator != "" {
				continue
			}
			if gdp == nil {
				x.warn(x.lines[t.ID], "target %s follows economic growth but the plan has no GDP growth target", t.ID)
				continue
			}
			t.Relative.Indicator = gdp.ID
			t.Value = gdp.Value
		}
	}
}
