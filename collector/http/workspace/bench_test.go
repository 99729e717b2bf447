package workspace_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/workspace"
	"github.com/duban-gov/duban/indicators/catalogs"
	"github.com/duban-gov/duban/internal/testenv"
)

// BenchmarkReportPage renders fgw's page of the shipped catalog (28 indicators, the
// largest department) and sends it filled: what a clerk waits for.
func BenchmarkReportPage(b *testing.B) {
	cat, err := catalogs.Load(catalogs.Default)
	if err != nil {
		b.Fatal(err)
	}
	clock := time.Date(2026, 11, 5, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	svc, err := collector.NewService(context.Background(), collector.ServiceConfig{Catalog: cat, Store: testenv.Store(b), Now: func() time.Time { return clock }})
	if err != nil {
		b.Fatal(err)
	}
	tok, hash := testenv.Token(b)
	a, _ := auth.New(auth.Config{Tokens: []auth.Token{{Department: "fgw", SHA256: hash}}})
	ws, err := workspace.New(workspace.Config{Service: svc, Auth: func() *auth.Authenticator { return a }})
	if err != nil {
		b.Fatal(err)
	}
	login := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"token": {tok}}.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	ws.ServeHTTP(rec, login)
	cookie := rec.Result().Cookies()
	get := func() string {
		req := httptest.NewRequest(http.MethodGet, "/report", nil)
		for _, c := range cookie {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		ws.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /report: %d", rec.Code)
		}
		return rec.Body.String()
	}
	b.Run("GET", func(b *testing.B) {
		for b.Loop() {
			get()
		}
	})
	page := get()
	form := url.Values{"csrf": {regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)[1]}, "period": {"2026-10"}}
	for _, m := range regexp.MustCompile(`name="value\.([0-9.]+)"`).FindAllStringSubmatch(page, -1) {
		form.Set("value."+m[1], "1")
		form.Set("note."+m[1], "进展顺利")
	}
	b.Run("POST", func(b *testing.B) {
		n := 0
		for b.Loop() {
			n++
			for k := range form {
				if strings.HasPrefix(k, "value.") {
					form.Set(k, strings.Repeat("1", 1+n%9)) // a new figure: a new revision each time
				}
			}
			req := httptest.NewRequest(http.MethodPost, "/report", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, c := range cookie {
				req.AddCookie(c)
			}
			rec := httptest.NewRecorder()
			ws.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther {
				b.Fatalf("POST /report: %d %s", rec.Code, rec.Body.String())
			}
		}
	})
}
