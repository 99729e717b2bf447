package document

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// ReadHTML reads a web page: blocks as lines, data tables as rows, the page's chrome
// dropped (see the package doc). Lines name their line in the page's source.
func ReadHTML(data []byte, lim Limits) (*Document, error) {
	lim = lim.withDefaults()
	text, err := decodeHTML(data)
	if err != nil {
		return nil, err
	}
	root, err := html.Parse(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("html: %w", err)
	}
	w := &htmlWalker{lim: lim, src: sourceLines(text)}
	w.block(root)
	w.flush()
	if w.err != nil {
		return nil, w.err
	}
	return &Document{Format: HTML, Lines: w.out}, nil
}

var reMetaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_:.-]+)`)

// decodeHTML turns the page into UTF-8. Bytes that are valid UTF-8 are UTF-8 whatever the
// page declares (a browser saving a page rewrites it in UTF-8 but may keep the old meta);
// otherwise the BOM or the declared charset decides, and GB18030 when none is declared.
func decodeHTML(data []byte) (string, error) {
	if e, name, certain := charset.DetermineEncoding(data, ""); certain && name != "utf-8" {
		out, err := e.NewDecoder().Bytes(data)
		if err != nil {
			return "", fmt.Errorf("html: decode %s: %w", name, err)
		}
		return string(out), nil
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return string(data), nil
	}
	head := data
	if len(head) > 64<<10 {
		head = head[:64<<10]
	}
	if m := reMetaCharset.FindSubmatch(head); m != nil {
		if e, name := charset.Lookup(string(m[1])); e != nil && name != "utf-8" && name != "gbk" && name != "gb18030" {
			if out, err := e.NewDecoder().Bytes(data); err == nil {
				return string(out), nil
			}
		}
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return "", fmt.Errorf("html: decode gb18030: %w", err)
	}
	return string(out), nil
}

// srcText is a text token of the page's source and the line it starts on.
type srcText struct {
	text string
	line int
}

// sourceLines lists the text tokens of the page with their source lines; the tree walk
// finds each text node's line among them in order.
func sourceLines(text string) []srcText {
	z := html.NewTokenizer(strings.NewReader(text))
	line := 1
	var out []srcText
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		raw := z.Raw()
		if tt == html.TextToken {
			t := string(z.Text())
			lead := len(t) - len(strings.TrimLeftFunc(t, unicode.IsSpace))
			out = append(out, srcText{text: strings.TrimSpace(t), line: line + strings.Count(t[:lead], "\n")})
		}
		line += bytes.Count(raw, []byte("\n"))
	}
}

type htmlWalker struct {
	lim    Limits
	src    []srcText
	cursor int
	out    []Line
	err    error

	cur      strings.Builder
	curLine  int
	lastLine int
	space    bool // whitespace pending before the next character
	newline  bool // the pending whitespace held a line break
	pre      int  // depth of <pre>
	main     int  // depth of <main>/<article>: a <header> inside belongs to the content
	tables   int
	inCell   bool // collecting a data cell: no chrome filter, no tables counted
}

// lineOf finds the source line of a text node.
func (w *htmlWalker) lineOf(data string) int {
	t := strings.TrimSpace(data)
	if t == "" {
		return w.lastLine
	}
	for k := w.cursor; k < len(w.src) && k < w.cursor+64; k++ {
		s := w.src[k].text
		if s == "" {
			continue
		}
		if s == t || strings.HasPrefix(t, s) || strings.Contains(s, t) {
			w.cursor = k + 1
			w.lastLine = w.src[k].line
			return w.lastLine
		}
	}
	return w.lastLine
}

var skipTags = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Canvas: true, atom.Nav: true, atom.Footer: true, atom.Aside: true, atom.Select: true,
	atom.Button: true, atom.Input: true, atom.Textarea: true, atom.Map: true, atom.Audio: true,
	atom.Video: true, atom.Title: true, atom.Img: true, atom.Header: true,
}

var blockTags = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Blockquote: true, atom.Center: true, atom.Dd: true,
	atom.Details: true, atom.Dialog: true, atom.Dir: true, atom.Div: true, atom.Dl: true, atom.Dt: true,
	atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true, atom.Form: true, atom.H1: true,
	atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true,
	atom.Hgroup: true, atom.Hr: true, atom.Li: true, atom.Main: true, atom.Menu: true, atom.Ol: true,
	atom.P: true, atom.Pre: true, atom.Section: true, atom.Summary: true, atom.Table: true,
	atom.Ul: true, atom.Tr: true, atom.Td: true, atom.Th: true, atom.Caption: true, atom.Tbody: true,
	atom.Thead: true, atom.Tfoot: true, atom.Body: true, atom.Html: true, atom.Legend: true,
}

// chromeWords in a class or id mark the page's furniture; edgeChrome only as the first word
// ("header", "top-nav"), since "article-header" holds the title.
var (
	chromeWords = map[string]bool{
		"nav": true, "navbar": true, "navi": true, "menu": true, "submenu": true, "breadcrumb": true,
		"breadcrumbs": true, "crumb": true, "crumbs": true, "footer": true, "copyright": true,
		"share": true, "bdshare": true, "sharebox": true, "qrcode": true, "ewm": true, "erweima": true,
		"sidebar": true, "toolbar": true, "print": true, "dayin": true, "fontsize": true, "zihao": true,
		"search": true, "login": true, "friendlink": true, "weizhi": true, "dqwz": true,
		"position": true, "location": true, "skip": true, "gotop": true, "backtop": true,
	}
	edgeChrome = map[string]bool{"header": true, "head": true, "top": true, "topbar": true, "bottom": true, "foot": true}
)

func isChromeElement(n *html.Node) bool {
	for _, a := range n.Attr {
		switch a.Key {
		case "class", "id":
			words := strings.FieldsFunc(strings.ToLower(a.Val), func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
			})
			for i, wd := range words {
				if chromeWords[wd] || i == 0 && edgeChrome[wd] {
					return true
				}
			}
		case "style":
			s := strings.ToLower(strings.ReplaceAll(a.Val, " ", ""))
			if strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden") {
				return true
			}
		case "hidden":
			return true
		}
	}
	return false
}

// reChromeLine matches the lines of a page that are its furniture, not the notice.
var reChromeLine = regexp.MustCompile(`^(?:扫一扫|用微信扫|微信扫|手机扫|扫描二维码|用手机扫|文件下载|附件下载|下载附件|相关附件|打印本页|打印本文|打印此页|【?\s*打印|【?\s*关闭|关闭窗口|关闭本页|【?\s*字体|【?\s*字号|分享到|分享:|分享：|上一篇|下一篇|上一条|下一条|当前位置|您当前的位置|您现在的位置|您的位置|所在位置|首页\s*[>»]|版权所有|主办单位|承办单位|主办:|主办：|网站标识码|网站地图|联系我们|技术支持|浏览次数|访问次数|阅读次数|点击数|点击量|无障碍|长者模式|关怀版|返回顶部|返回首页|收藏本页|设为首页|加入收藏|[^。]*ICP备|[^。]*公网安备|[^。]*Copyright|[^。]*©|[^。]{1,80}\.(?i:docx?|xlsx?|pdf|wps|et|ofd|zip|rar)$)`)

// IsChromeLine reports whether a line of a page is its furniture (扫一扫在手机打开当前页,
// 文件下载, 上一篇…) rather than part of the notice.
func IsChromeLine(s string) bool { return reChromeLine.MatchString(strings.TrimSpace(s)) }

func (w *htmlWalker) block(n *html.Node) {
	if w.err != nil {
		return
	}
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
		if skipTags[n.DataAtom] && !(n.DataAtom == atom.Header && w.main > 0) {
			return
		}
		if isChromeElement(n) {
			return
		}
		switch n.DataAtom {
		case atom.Br:
			w.flush()
			return
		case atom.Table:
			w.flush()
			if w.inCell || isLayoutTable(n) {
				w.children(n)
			} else {
				w.table(n)
			}
			w.flush()
			return
		case atom.Pre:
			w.pre++
			defer func() { w.pre-- }()
		case atom.Main, atom.Article:
			w.main++
			defer func() { w.main-- }()
		}
		if blockTags[n.DataAtom] {
			w.flush()
			w.children(n)
			w.flush()
			return
		}
	case html.DocumentNode:
	default:
		return
	}
	w.children(n)
}

func (w *htmlWalker) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.block(c)
	}
}

func isWide(r rune) bool { return r >= 0x2E80 }

// text adds a text node to the current line, collapsing whitespace as a browser does,
// except that a line break between two Chinese characters adds nothing.
func (w *htmlWalker) text(data string) {
	line := w.lineOf(data)
	for _, r := range data {
		if r == '\n' && w.pre > 0 {
			w.flush()
			continue
		}
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			w.space = true
			if r == '\n' {
				w.newline = true
			}
			continue
		}
		if w.cur.Len() == 0 {
			w.curLine = line
		} else if w.space {
			last, _ := utf8.DecodeLastRuneInString(w.cur.String())
			if !(w.newline && isWide(last) && isWide(r)) {
				w.cur.WriteByte(' ')
			}
		}
		w.space, w.newline = false, false
		w.cur.WriteRune(r)
	}
}

func (w *htmlWalker) flush() {
	s := strings.TrimSpace(w.cur.String())
	w.cur.Reset()
	w.space, w.newline = false, false
	if s == "" || !w.inCell && IsChromeLine(s) {
		return
	}
	w.out = append(w.out, Line{Text: s, Pos: Pos{Line: w.curLine}})
}

// isLayoutTable tells a table that lays out a page (it holds tables, or has one column,
// or says so) from a table of data.
func isLayoutTable(t *html.Node) bool {
	if a, ok := attrOf(t, "role"); ok && a == "presentation" {
		return true
	}
	wide := false
	for _, tr := range tableRows(t) {
		n := 0
		for c := tr.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.DataAtom == atom.Td || c.DataAtom == atom.Th) {
				n++
				if hasDescendant(c, atom.Table) {
					return true
				}
			}
		}
		if n > 1 {
			wide = true
		}
	}
	return !wide
}

func hasDescendant(n *html.Node, a atom.Atom) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.DataAtom == a || hasDescendant(c, a)) {
			return true
		}
	}
	return false
}

func attrOf(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return strings.ToLower(strings.TrimSpace(a.Val)), true
		}
	}
	return "", false
}

// tableRows lists the rows of a table (directly or in thead/tbody/tfoot), not those of
// tables inside it.
func tableRows(t *html.Node) []*html.Node {
	var rows []*html.Node
	for c := t.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		switch c.DataAtom {
		case atom.Tr:
			rows = append(rows, c)
		case atom.Thead, atom.Tbody, atom.Tfoot:
			for r := c.FirstChild; r != nil; r = r.NextSibling {
				if r.Type == html.ElementNode && r.DataAtom == atom.Tr {
					rows = append(rows, r)
				}
			}
		}
	}
	return rows
}

func spanAttr(n *html.Node, key string, limit int) int {
	v, ok := attrOf(n, key)
	if !ok {
		return 1
	}
	k, err := strconv.Atoi(strings.TrimSuffix(v, ";"))
	if err != nil || k < 1 {
		return 1
	}
	return min(k, limit)
}

type carry struct {
	text string
	left int
}

// table emits a data table's rows, spreading merged cells over the grid.
func (w *htmlWalker) table(t *html.Node) {
	for c := t.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.Caption {
			w.block(c)
		}
	}
	w.tables++
	rows := tableRows(t)
	if len(rows) > w.lim.MaxRows {
		w.err = fmt.Errorf("html: table %d has %d rows, more than %d: %w", w.tables, len(rows), w.lim.MaxRows, ErrTooLarge)
		return
	}
	var pend []carry
	cells := 0
	for r, tr := range rows {
		var grid []string
		set := func(col int, s string) {
			for len(grid) <= col {
				grid = append(grid, "")
			}
			grid[col] = s
		}
		col := 0
		for c := tr.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || c.DataAtom != atom.Td && c.DataAtom != atom.Th {
				continue
			}
			for col < len(pend) && pend[col].left > 0 {
				set(col, pend[col].text)
				pend[col].left--
				col++
			}
			text := w.cellText(c)
			colspan, rowspan := spanAttr(c, "colspan", 1000), spanAttr(c, "rowspan", 65534)
			rowspan = min(rowspan, len(rows)-r)
			set(col, text)
			for k := 1; k < colspan; k++ {
				set(col+k, "")
			}
			if rowspan > 1 {
				for k := 0; k < colspan; k++ {
					for len(pend) <= col+k {
						pend = append(pend, carry{})
					}
					pend[col+k] = carry{left: rowspan - 1}
				}
				pend[col].text = text
			}
			col += colspan
			if cells += colspan * rowspan; cells > w.lim.MaxCells {
				w.err = fmt.Errorf("html: table %d has more than %d cells: %w", w.tables, w.lim.MaxCells, ErrTooLarge)
				return
			}
		}
		for ; col < len(pend); col++ {
			if pend[col].left > 0 {
				set(col, pend[col].text)
				pend[col].left--
			}
		}
		w.out = append(w.out, rowLine(grid, Pos{Table: w.tables, Row: r + 1}))
	}
}

// cellText is the text of a data cell, its blocks on separate lines.
func (w *htmlWalker) cellText(c *html.Node) string {
	sub := &htmlWalker{lim: w.lim, src: w.src, cursor: w.cursor, lastLine: w.lastLine, inCell: true}
	sub.children(c)
	sub.flush()
	w.cursor, w.lastLine = sub.cursor, sub.lastLine
	parts := make([]string, len(sub.out))
	for i, l := range sub.out {
		parts[i] = l.Text
	}
	return strings.Join(parts, "\n")
}
