package workspace

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

// layout is what every page shows around its content: who is signed in, the links of
// the header, the token of its forms. Each page's view embeds it.
type layout struct {
	Title string
	User  string // the department's name, or 督查室 for the office; empty when signed out
	Admin bool
	CSRF  string
	// The plan of the page (plans.go): Plan is its id when several plans are served
	// (links and forms carry it), Plans the selector when the session sees several.
	Plan, PlanTitle string
	PlanYear        int
	Plans           []option
	// Closed says, when the plan is closed, since when and that it takes no more
	// reports; ReadOnly is true then for a department (no form, no upload, no 催报).
	Closed   string
	ReadOnly bool
}

func (w *Workspace) layoutFor(u *user, title string) layout {
	l := layout{Title: title}
	w.planLayout(&l, u)
	if u == nil || u.sess == nil {
		return l
	}
	l.CSRF, l.Admin = csrfToken(u.cookie), u.admin()
	l.ReadOnly = l.Closed != "" && !l.Admin
	if l.Closed != "" && l.Admin {
		l.Closed += "督查室更正数据须逐项填写更正原因。"
	}
	if l.Admin {
		l.User = officeName
	} else {
		l.User = w.departmentName(u.id.Principal.Department)
	}
	return l
}

// officeName is how the workspace names the supervision office's sessions.
const officeName = "督查室"

func (w *Workspace) departmentName(id string) string {
	if d, ok := w.svc.Catalog().Department(id); ok {
		return d.Name
	}
	return id
}

// pages lists the templates: each page is assets/layout.html with its own file.
var pages = []string{"login", "report", "receipt", "history", "office", "problem"}

func parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"report":  func(s string) string { return present.Report(evaluate.ReportStatus(s)).Short },
		"overdue": func() string { return present.OverdueWord },
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "assets/layout.html", "assets/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("workspace: parse %s: %w", p, err)
		}
		out[p] = t
	}
	return out, nil
}

// render writes a page with the headers every page carries: no caching (pages hold a
// department's figures and a CSRF token), no sniffing, no framing, no script at all.
func (w *Workspace) render(rw http.ResponseWriter, status int, page string, data any) {
	var buf bytes.Buffer
	if err := w.tmpl[page].Execute(&buf, data); err != nil {
		w.cfg.Logger.Error("workspace: render", "page", page, "err", err)
		http.Error(rw, "页面生成失败 (render failed)", http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	rw.WriteHeader(status)
	rw.Write(buf.Bytes()) // the client went away: errcheck is told so in .golangci.yml
}

type problemView struct {
	layout
	Status  int
	Message string
	Back    string
}

// problem answers a page with a message and a way back.
func (w *Workspace) problem(rw http.ResponseWriter, _ *http.Request, u *user, status int, msg string) {
	back := "/login"
	if u != nil && u.sess != nil {
		back = home(*u)
	}
	w.render(rw, status, "problem", &problemView{layout: w.layoutFor(u, "无法完成"), Status: status, Message: msg, Back: back})
}

// forbidden answers 403: a form without its CSRF token, a cross-site POST, another
// department's indicators. Nothing was stored.
func (w *Workspace) forbidden(rw http.ResponseWriter, r *http.Request, u *user, msg string) {
	w.problem(rw, r, u, http.StatusForbidden, msg)
}

const (
	csrfMessage    = "表单校验失败:页面已过期,或表单并非从本系统提交。没有保存任何数据,请刷新页面后重新填写。"
	foreignMessage = "只能查看和报送本单位牵头的指标。没有保存任何数据。"
)

// signIn sends a browser without a valid session to sign in: a page with ?next= to come
// back to it; a POST (whose form cannot be kept) to the sign-in page saying the
// session ended. A stale cookie is deleted.
func (w *Workspace) signIn(rw http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil && c.Value != "" {
		http.SetCookie(rw, w.cookie(r, "", -1))
	}
	target := "/login"
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		if next := safeNext(r.URL.RequestURI()); next != "" {
			target += "?next=" + url.QueryEscape(next)
		}
		if _, err := r.Cookie(cookieName); err == nil {
			target += sep(target) + "expired=1"
		}
	default:
		target += "?expired=1"
	}
	http.Redirect(rw, r, target, http.StatusSeeOther)
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

// csrfOK checks a form's token against the session's, in constant time, and the
// request's origin.
func (w *Workspace) csrfOK(r *http.Request, u user, token string) bool {
	want := csrfToken(u.cookie)
	return sameOrigin(r) && token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1
}

// sameOrigin refuses what a browser says comes from another site: Sec-Fetch-Site
// cross-site or same-site, or an Origin naming another host. A client that sends
// neither (curl, scripts) is judged by its session and CSRF token alone.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

func serveCSS(rw http.ResponseWriter, r *http.Request) {
	b, err := assets.ReadFile("assets/workspace.css")
	if err != nil {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	rw.Write(b) // the client went away: errcheck is told so in .golangci.yml
}
