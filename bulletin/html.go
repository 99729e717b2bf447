package bulletin

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"regexp"

	format "github.com/duban-gov/duban/bulletin/present"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

//go:embed templates/bulletin.html
var templates embed.FS

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

var htmlTemplate = template.Must(template.New("bulletin.html").Funcs(template.FuncMap{
	"color":        func(s evaluate.Status) string { return present.StatusColor(s) },
	"followUpTag":  func() string { return format.FollowUpTag },
	"followUpHint": func() string { return format.FollowUpHint },
	// css passes our own fixed hex colours into style attributes.
	"countsText": CountsText,
	"css": func(s string) template.CSS {
		if !hexColor.MatchString(s) {
			return "#8c959f"
		}
		return template.CSS(s)
	},
	"statusBar": func(w, h int, counts []Count) template.HTML {
		segs := make([]format.Segment, 0, len(counts))
		for _, c := range counts {
			segs = append(segs, format.Segment{Label: present.StatusWord(c.Status), Value: float64(c.Own), Color: c.Color})
		}
		return format.StackedBar(w, h, segs)
	},
	"rankBar": func(r Rank) template.HTML {
		return format.StackedBar(160, 10, []format.Segment{
			{Label: "按时", Value: float64(r.OnTime), Color: "#2da44e"},
			{Label: "逾期", Value: float64(r.Late), Color: "#bf8700"},
			{Label: "未报", Value: float64(r.Missing), Color: "#cf222e"},
			{Label: "未到期", Value: float64(r.NotDue), Color: "#d0d7de"},
		})
	},
}).ParseFS(templates, "templates/bulletin.html"))

// WriteHTML writes the bulletin as one self-contained HTML page (inline styles and SVG
// charts, no JavaScript, no external resources), ready to print or mail.
func (b *Bulletin) WriteHTML(w io.Writer) error {
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, b); err != nil {
		return fmt.Errorf("render bulletin html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
