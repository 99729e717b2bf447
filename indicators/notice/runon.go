package notice

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// A web page whose paragraphs the site (or a copy of it) ran together gives the whole
// list on one line: "…(此件公开发布) 一、王丹县长牵头重点工作 1.全县生产总值增长7.5%左右。
// 责任单位:县发改局 2.落实…". splitRunOn cuts such a line before each item or heading
// number that follows a space and goes on the numbering before it (1, 2, 3…; 一、二、…;
// (一)、(二)…, each may start again at one), and around a "(此件公开发布)" mark. A line
// keeps its position, so warnings still name it.

// reRunOnMark is a number after a space: "1." "1、" "一、" "(一)" (full-width forms too),
// or the mark that ends a notice's letter.
var reRunOnMark = regexp.MustCompile(`[ \x{3000}\x{a0}]+(?:([0-9０-９]{1,3})[.．、]|([` + cnDigits + `]{1,3})、|[(（]([` + cnDigits + `]{1,3})[)）]|([(（]此件[^)）]{0,12}[)）]))`)

// runOnMinRunes: only a long line holds several items; a short one is left alone.
const runOnMinRunes = 120

// splitRunOn returns the parts of a run-on line, or nil when it is not one.
func splitRunOn(raw string) []string {
	if utf8.RuneCountInString(raw) < runOnMinRunes || strings.ContainsAny(raw, "|\t｜") {
		return nil
	}
	ms := reRunOnMark.FindAllStringSubmatchIndex(raw, -1)
	if len(ms) < 2 {
		return nil
	}
	var cuts []int
	var seq runOnNumbers
	seq.start(normalize(raw))
	for _, m := range ms {
		mark := m[1] - len(strings.TrimLeft(raw[m[0]:m[1]], " \u3000\u00a0")) // after the space
		switch {
		case m[8] >= 0: // (此件公开发布): a line of its own
			cuts = append(cuts, m[8], m[9])
		case m[2] >= 0:
			if next, _ := utf8.DecodeRuneInString(raw[m[1]:]); isDigitRune(next) {
				continue // 1.5亿元: a decimal
			}
			if seq.arabic(atoi(normalize(raw[m[2]:m[3]]))) {
				cuts = append(cuts, mark)
			}
		case m[4] >= 0:
			if seq.dun(chineseNumber(raw[m[4]:m[5]])) {
				cuts = append(cuts, mark)
			}
		case m[6] >= 0:
			if seq.paren(chineseNumber(raw[m[6]:m[7]])) {
				cuts = append(cuts, mark)
			}
		}
	}
	if seq.items < 2 {
		return nil
	}
	var parts []string
	from := 0
	for _, c := range cuts {
		if c <= from {
			continue
		}
		if s := strings.TrimSpace(raw[from:c]); s != "" {
			parts = append(parts, s)
		}
		from = c
	}
	if s := strings.TrimSpace(raw[from:]); s != "" {
		parts = append(parts, s)
	}
	if len(parts) < 2 {
		return nil
	}
	return parts
}

// runOnNumbers follows the numbering of a run-on line: a number counts when it is the
// next of its kind, or 1 again after a coarser heading.
type runOnNumbers struct {
	lastArabic, lastDun, lastParen int
	items                          int // numbers accepted
}

// start takes the number the line itself starts with.
func (s *runOnNumbers) start(line string) {
	if m := reItem.FindStringSubmatch(line); m != nil {
		s.lastArabic = atoi(m[1])
	} else if m := reDunCN.FindStringSubmatch(line); m != nil {
		s.lastDun = chineseNumber(m[1])
	} else if m := reParenCN.FindStringSubmatch(line); m != nil {
		s.lastParen = chineseNumber(m[1])
	}
}

func (s *runOnNumbers) arabic(n int) bool {
	if n != s.lastArabic+1 && n != 1 {
		return false
	}
	s.lastArabic = n
	s.items++
	return true
}

func (s *runOnNumbers) dun(n int) bool {
	if n != s.lastDun+1 && !(n == 1 && s.lastDun == 0) {
		return false
	}
	s.lastDun, s.lastParen, s.lastArabic = n, 0, 0
	s.items++
	return true
}

func (s *runOnNumbers) paren(n int) bool {
	if n != s.lastParen+1 && n != 1 {
		return false
	}
	s.lastParen, s.lastArabic = n, 0
	s.items++
	return true
}

func isDigitRune(r rune) bool { return r >= '0' && r <= '9' || r >= '０' && r <= '９' }

func atoi(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// expandRunOn replaces each run-on line of text by its parts, each keeping the line's
// position.
func expandRunOn(in []input) []input {
	var out []input
	for i, x := range in {
		var parts []string
		if x.cells == nil {
			parts = splitRunOn(x.raw)
		}
		if parts == nil {
			if out != nil {
				out = append(out, x)
			}
			continue
		}
		if out == nil {
			out = append(make([]input, 0, len(in)+len(parts)), in[:i]...)
		}
		for _, p := range parts {
			y := x
			y.raw = p
			out = append(out, y)
		}
	}
	if out == nil {
		return in
	}
	return out
}
