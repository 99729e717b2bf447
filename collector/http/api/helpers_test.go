package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// now is the fixed service clock of the tests: mid-June 2026 in the plan's zone.
var now = time.Date(2026, 6, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

type fixture struct {
	t      testing.TB
	url    string
	svc    *collector.Service
	store  collector.Store
	cat    *indicators.Catalog
	tokens map[string]string // department id → token
	admin  string
	reader string     // {role: reader}: reads, never pushes
	scrape string     // {role: metrics}: /metrics only
	auth   *auth.Live // the authenticator in force (a test of reloads stores another)
	api    *api.API
	logs   *testenv.Buffer

	lastBody []byte // body of the last answer of do
}

type option func(*api.Config)

func loadCatalog(t testing.TB, rel string) *indicators.Catalog {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// newFixture serves the API over the mini catalog with a real bbolt store in a temp dir,
// one token per department and one admin token.
func newFixture(t *testing.T, opts ...option) *fixture {
	return newFixtureCatalog(t, loadCatalog(t, "indicators/testdata/mini.yaml"), opts...)
}

func newFixtureCatalog(t testing.TB, cat *indicators.Catalog, opts ...option) *fixture {
	t.Helper()
	return newFixtureStore(t, cat, testenv.Store(t), opts...)
}

// newFixtureStore is newFixtureCatalog over the store st (which other services may
// share: the plans of one server).
func newFixtureStore(t testing.TB, cat *indicators.Catalog, st collector.Store, opts ...option) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, store: st, cat: cat, tokens: map[string]string{}, logs: &testenv.Buffer{}}
	var toks []auth.Token
	for _, d := range cat.Departments {
		tok, err := auth.Generate()
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[d.ID] = tok
		toks = append(toks, auth.Token{Department: d.ID, SHA256: auth.Hash(tok)})
	}
	f.admin, _ = auth.Generate()
	f.reader, _ = auth.Generate()
	f.scrape, _ = auth.Generate()
	toks = append(toks, auth.Token{Role: auth.RoleAdmin, SHA256: auth.Hash(f.admin)},
		auth.Token{Role: auth.RoleReader, SHA256: auth.Hash(f.reader)},
		auth.Token{Role: auth.RoleMetrics, SHA256: auth.Hash(f.scrape)})
	a, err := auth.New(auth.Config{Tokens: toks})
	if err != nil {
		t.Fatal(err)
	}
	f.auth = auth.NewLive(a)
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.svc, err = collector.NewService(ctx, collector.ServiceConfig{
		Catalog: cat, Store: st, Logger: logger, Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Service: f.svc, Auth: f.auth, Logger: logger, Settings: api.Settings{RatePerSecond: -1}}
	for _, o := range opts {
		o(&cfg)
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.api = h
	srv := httptest.NewServer(validated(t, h))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (f *fixture) do(method, path, token, body string, out any) *http.Response {
	f.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	f.lastBody = b
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("%s %s: %d, not JSON: %v\n%s", method, path, resp.StatusCode, err, b)
		}
	}
	return resp
}

func (f *fixture) push(token string, reports ...map[string]any) (*http.Response, pushAnswer) {
	f.t.Helper()
	b, _ := json.Marshal(map[string]any{"reports": reports})
	var ans pushAnswer
	resp := f.do(http.MethodPost, "/api/v1/reports", token, string(b), &ans)
	return resp, ans
}

type pushAnswer struct {
	Accepted int                 `json:"accepted"`
	Replayed int                 `json:"replayed"`
	Receipts []collector.Receipt `json:"receipts"`
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Index   *int   `json:"index"`
		Field   string `json:"field"`
	} `json:"error"`
}

// stored counts every revision of every indicator in the store.
func (f *fixture) stored() int {
	f.t.Helper()
	n := 0
	for _, id := range f.cat.TargetIDs() {
		h, err := f.store.History(context.Background(), f.cat.Plan.ID, id)
		if err != nil {
			f.t.Fatal(err)
		}
		n += len(h)
	}
	return n
}

// The OpenAPI document is the contract of every answer: every request and response
// that goes through a fixture's server is validated against it with kin-openapi's
// openapi3filter. A request the document refuses must get a 4xx; every answer must be
// documented for its operation (status, content type, body schema, headers), and an
// answer for a path or method the document lacks must be the 404 or 405 envelope of
// components.responses. Paths under /test/ are routes tests add for themselves.

var openapiDoc = sync.OnceValues(func() (routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	for _, ct := range []string{"text/markdown", "text/html", "text/css", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	return gorillamux.NewRouter(doc)
})

// openapiServer is the server URL of the document: requests are matched as if sent there.
const openapiServer = "http://127.0.0.1:8080"

func validated(t testing.TB, h http.Handler) http.Handler {
	router, err := openapiDoc()
	if err != nil {
		t.Fatalf("collector/http/api/openapi.json: %v", err)
	}
	extra := testRoutes(router, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body is teed, not read ahead: the server reads it at the client's pace
		// (slow bodies are cut), and the request is validated with what it read.
		// A request without a body keeps http.NoBody, as the API sees it in production.
		var reqBody bytes.Buffer
		if r.Body != http.NoBody {
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.TeeReader(r.Body, &reqBody), r.Body}
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		// Routes a test adds for itself, and CORS preflights (the browser's protocol,
		// answered by middleware for any path when cors.allowed_origins is set), are no
		// operations of the API.
		if extra[r.Method+" "+r.URL.Path] || (r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "") {
			return
		}
		if err := checkExchange(router, r, reqBody.Bytes(), rec); err != nil {
			t.Errorf("OpenAPI: %s %s → %d: %v", r.Method, r.URL.RequestURI(), rec.status, err)
		}
	})
}

// testRoutes are the routes of h that the document does not have: the ones a test
// adds through api.WithTestRoutes (TestOpenAPIDocumentsEveryRoute keeps the real ones
// documented).
func testRoutes(router routers.Router, h http.Handler) map[string]bool {
	out := map[string]bool{}
	e, ok := h.(interface{ Routes() gin.RoutesInfo })
	if !ok {
		return out
	}
	for _, rt := range e.Routes() {
		if strings.Contains(rt.Path, ":") {
			continue
		}
		req, _ := http.NewRequest(rt.Method, openapiServer+rt.Path, nil)
		if _, _, err := router.FindRoute(req); err != nil {
			out[rt.Method+" "+rt.Path] = true
		}
	}
	return out
}

// recorder passes an answer through and keeps a copy.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func checkExchange(router routers.Router, r *http.Request, body []byte, rec *recorder) error {
	ctx := context.Background()
	req := r.Clone(ctx)
	req.URL.Scheme, req.URL.Host, req.Host = "http", strings.TrimPrefix(openapiServer, "http://"), ""
	// What the server reads as the document says: no Content-Type is JSON, and a UTF-8
	// byte order mark before it is no content.
	if len(body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	respBody := rec.body.Bytes()
	if rec.Header().Get("Content-Encoding") == "gzip" && len(respBody) > 0 {
		zr, err := gzip.NewReader(bytes.NewReader(respBody))
		if err != nil {
			return fmt.Errorf("gzip body: %w", err)
		}
		if respBody, err = io.ReadAll(zr); err != nil {
			return fmt.Errorf("gzip body: %w", err)
		}
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		// Not an operation of the document: the 404 or 405 envelope.
		ref := map[int]string{http.StatusNotFound: "NotFound", http.StatusMethodNotAllowed: "MethodNotAllowed"}[rec.status]
		if ref == "" {
			return fmt.Errorf("%w, and the answer is not the documented 404 or 405", err)
		}
		resp := route0(router).Spec.Components.Responses[ref]
		if resp == nil || resp.Value == nil {
			return fmt.Errorf("components.responses.%s is missing", ref)
		}
		return checkAgainst(resp.Value, rec, respBody, r.Method == http.MethodHead)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if rerr := openapi3filter.ValidateRequest(ctx, in); rerr != nil && (rec.status < 400 || rec.status >= 500) && rec.status != http.StatusServiceUnavailable {
		return fmt.Errorf("the server answered %d to a request the document refuses: %w", rec.status, rerr)
	}
	if r.Method == http.MethodHead {
		if route.Operation.Responses.Status(rec.status) == nil {
			return fmt.Errorf("HEAD status %d is not documented", rec.status)
		}
		if len(rec.body.Bytes()) > 0 {
			return fmt.Errorf("HEAD answered a body")
		}
		return nil
	}
	if rec.status == http.StatusNotModified {
		if route.Operation.Responses.Status(rec.status) == nil {
			return fmt.Errorf("304 is not documented")
		}
		return nil
	}
	return openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.status, Header: rec.Header(),
		Body:    io.NopCloser(bytes.NewReader(respBody)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}

// route0 is any route of the document, to reach its components.
func route0(router routers.Router) *routers.Route {
	req, _ := http.NewRequest(http.MethodGet, openapiServer+"/-/healthy", nil)
	route, _, err := router.FindRoute(req)
	if err != nil {
		panic(err)
	}
	return route
}

// checkAgainst validates an answer against one documented response.
func checkAgainst(resp *openapi3.Response, rec *recorder, body []byte, head bool) error {
	ct := rec.Header().Get("Content-Type")
	mt := resp.Content.Get(ct)
	if mt == nil {
		return fmt.Errorf("content type %q is not documented", ct)
	}
	if mt.Schema == nil || !strings.HasPrefix(ct, "application/json") || head {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	return mt.Schema.Value.VisitJSON(v)
}
