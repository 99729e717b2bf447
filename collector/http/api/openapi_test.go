package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/http/workspace"
)

type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

// TestOpenAPIDocumentsEveryRoute fails when a gin route exists that the committed
// document lacks (and when the document lists a route that does not exist).
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	f := newFixture(t)
	a, _ := auth.New(auth.Config{})
	ws, err := workspace.New(workspace.Config{Service: f.svc, Auth: func() *auth.Authenticator { return a }})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := api.New(api.Config{Service: f.svc, Auth: auth.NewLive(a), Metrics: http.NotFoundHandler(), Board: http.NotFoundHandler(), Workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	// The workspace's HTML pages are not the API: their routes are left out, exactly the
	// paths it names and none under /api/ or /-/.
	pages := map[string]bool{}
	for _, p := range ws.Paths() {
		if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/-/") || p == "/metrics" {
			t.Errorf("the workspace claims %s, a path of the API", p)
		}
		pages[p] = true
	}
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	routes := map[string]bool{} // the board answers its paths through NoRoute, GET and HEAD
	for _, p := range []string{"/", "/static/board.css", "/favicon.ico"} {
		routes["GET "+p], routes["HEAD "+p] = true, true
	}
	for _, r := range engine.Routes() {
		p := param.ReplaceAllString(r.Path, "{$1}")
		key := r.Method + " " + p
		routes[key] = true
		if pages[r.Path] {
			continue
		}
		if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s is not in collector/http/api/openapi.json", key)
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if key := strings.ToUpper(m) + " " + p; !routes[key] {
				t.Errorf("openapi.json documents %s, which is not a route", key)
			}
		}
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	f := newFixture(t)
	var doc openAPIDoc
	if resp := f.do(http.MethodGet, "/api/v1/openapi.json", "", "", &doc); resp.StatusCode != http.StatusOK || len(doc.Paths) == 0 {
		t.Fatalf("%d, %d paths", resp.StatusCode, len(doc.Paths))
	}
}

// TestOpenAPIDocumentIsStrictlyValid loads the committed document with kin-openapi and
// validates it as OpenAPI 3 with every check on: formats, patterns, defaults and
// examples against their schemas, all errors at once.
func TestOpenAPIDocumentIsStrictlyValid(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	err = doc.Validate(loader.Context, openapi3.EnableSchemaFormatValidation(), openapi3.EnableSchemaPatternValidation(),
		openapi3.EnableSchemaDefaultsValidation(), openapi3.EnableExamplesValidation(), openapi3.ProhibitExtensionsWithRef(),
		openapi3.EnableMultiError())
	if err != nil {
		t.Fatalf("collector/http/api/openapi.json is not valid OpenAPI 3:\n%v", err)
	}
	// Every operation is named and every GET has its HEAD; every read says who may read.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
			if method == http.MethodGet {
				if item.Head == nil && path != "/-/backup" { // a stream of the whole store: no HEAD
					t.Errorf("GET %s has no HEAD", path)
				}
				if op.Responses.Status(http.StatusInternalServerError) == nil && path != "/static/board.css" && path != "/favicon.ico" {
					t.Errorf("GET %s does not document 500", path)
				}
			}
		}
	}
}
