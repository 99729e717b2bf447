package bulletin

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"regexp"

	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
	"github.com/duban-gov/duban/present/svg"
)

//go:embed templates/bulletin.html
var templates embed.FS

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

var htmlTemplate = template.Must(template.New("bulletin.html").Funcs(template.FuncMap{
	"color":        func(s evaluate.Status) string { return present.StatusColor(s) },
	"report":       func(s string) string { return present.Report(evaluate.ReportStatus(s)).Short },
	"followUpTag":  func() string { return present.FollowUpTag },
	"followUpHint": func() string { return present.FollowUpHint },
	"countsText":   CountsText,
	"problems":     func() string { return problemsHeading },
	"noProblems":   func() string { return noProblems },
	// css passes our own fixed hex colours into style attributes.
	"css": func(s string) template.CSS {
		if !hexColor.MatchString(s) {
			return template.CSS(present.Neutral) //nolint:gosec // G203: one of present's fixed colours
		}
		return template.CSS(s) //nolint:gosec // G203: a hex colour, checked just above
	},
	"statusBar": func(w, h int, counts []Count) template.HTML {
		own := make([]present.Count, 0, len(counts))
		for _, c := range counts {
			own = append(own, present.Count{View: c.View, N: c.Own})
		}
		return svg.StatusBar(w, h, own)
	},
	"rankBar": func(r Rank) template.HTML {
		return svg.CompletenessBar(160, 10, evaluate.DepartmentCompleteness{OnTime: r.OnTime, Late: r.Late, Missing: r.Missing, NotDue: r.NotDue})
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
