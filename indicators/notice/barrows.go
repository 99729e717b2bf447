package notice

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// A table copied one cell per line with a bar closing each cell ("1", "|", "粮食产量100亿斤
// 以上。", "|", "市农技中心", "|", …) may come without its header: the page starts inside
// the table, or the header was a picture. barRows reads such rows by what their cells
// look like: the number, a heading cell (一、…) that opens a section, the task's words,
// cells of units (the first leads, the others cooperate), a deadline; a person's name
// and a telephone number are set aside. Each row becomes an item of text, which the
// text rules read ("3.农产品加工业产值增长15%以上。 牵头单位:产业科 完成时限:2024年底前").

// barRowsMin is how many numbered rows make such a table.
const barRowsMin = 3

// barRows turns headerless bar-closed rows into lines of text, from input i on.
func (p *parser) barRows() {
	for i := 0; i < len(p.in); i++ {
		if p.in[i].cells != nil || p.in[i].skip || !reBareNum.MatchString(cellLine(p.in[i].raw)) || !p.barAfter(i) {
			continue
		}
		rows, end := p.barCells(i)
		if len(rows) < barRowsMin {
			continue
		}
		for k := i; k < end; k++ {
			p.in[k].skip = true
		}
		for _, r := range rows {
			heading, item := barRowText(r.num, r.cells)
			at := r.at
			if heading != "" && r.at+1 < end {
				p.in[at].skip, p.in[at].raw = false, heading
				at++ // the bar after the number: a line of its own for the item
			}
			p.in[at].skip, p.in[at].raw, p.in[at].cells = false, item, nil
		}
		i = end - 1
	}
}

// barAfter tells whether the line after input i (blank lines aside) is a bar alone.
func (p *parser) barAfter(i int) bool {
	for k := i + 1; k < len(p.in) && k <= i+2; k++ {
		if t := strings.TrimSpace(p.in[k].raw); t != "" {
			return t == "|" || t == "｜"
		}
	}
	return false
}

type barRow struct {
	at    int
	num   string
	cells []string
}

// barCells reads the rows from input i on: cells are the lines between bars, a number in
// a cell of its own that goes on the numbering starts the next row. It returns the rows
// and the input after the last one used.
func (p *parser) barCells(i int) ([]barRow, int) {
	var rows []barRow
	var cur *barRow
	var cell []string
	expect := 0
	end := i
	closeCell := func() {
		if cur != nil {
			cur.cells = append(cur.cells, strings.Join(cell, "\n"))
		}
		cell = nil
	}
	for k := i; k < len(p.in); k++ {
		in := p.in[k]
		if in.cells != nil || in.skip {
			break
		}
		t := strings.TrimSpace(in.raw)
		switch {
		case t == "":
			continue
		case t == "|" || t == "｜":
			if cur != nil && len(cell) == 0 && len(cur.cells) == 0 {
				end = k + 1
				continue // the bar after the number
			}
			closeCell()
			end = k + 1
			continue
		}
		c := cellLine(t)
		if m := reBareNum.FindStringSubmatch(c); m != nil && len(cell) == 0 {
			if n, _ := strconv.Atoi(m[1]); expect == 0 || n == expect {
				if cur != nil {
					rows = append(rows, *cur)
				}
				cur, expect, end = &barRow{at: k, num: m[1]}, n+1, k+1
				continue
			}
		}
		if cur == nil || isChromeish(c) {
			break
		}
		cell = append(cell, c)
		end = k + 1
	}
	if cur != nil {
		if len(cell) > 0 {
			closeCell()
		}
		rows = append(rows, *cur)
	}
	return rows, end
}

// barRowText is the row as a heading line (its 一、… cell, or "") and an item line.
func barRowText(num string, cells []string) (heading, item string) {
	var words, units []string
	due := ""
	for _, c := range cells {
		lines := strings.Split(c, "\n")
		switch {
		case c == "" || placeholder[c]:
		case heading == "" && len(words) == 0 && reSection.MatchString(c) && utf8.RuneCountInString(c) <= 40:
			heading = c
		case allLines(lines, isUnitCell):
			units = append(units, lines...)
		case due == "" && fits(colDue, c):
			due = c
		case allLines(lines, rePersonName.MatchString), allLines(lines, isPhone):
			// the person in charge, the telephone: not read
		default:
			words = append(words, strings.ReplaceAll(c, "\n", ""))
		}
	}
	item = num + "." + strings.Join(words, "。")
	if len(units) > 0 {
		item += " 牵头单位:" + units[0]
		if len(units) > 1 {
			item += " 配合单位:" + strings.Join(units[1:], "、")
		}
	}
	if due != "" {
		item += " 完成时限:" + due
	}
	return heading, item
}

func allLines(lines []string, ok func(string) bool) bool {
	for _, l := range lines {
		if !ok(strings.TrimSpace(l)) {
			return false
		}
	}
	return len(lines) > 0
}

// isPhone is a telephone number in a cell: digits and dashes, seven or more.
func isPhone(s string) bool {
	n := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n++
		case r == '-' || r == ' ':
		default:
			return false
		}
	}
	return n >= 7
}
