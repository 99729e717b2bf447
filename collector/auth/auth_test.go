package auth_test

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/auth"
)

func TestAuthenticate(t *testing.T) {
	dept, err := auth.Generate()
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := auth.Generate()
	a, err := auth.New(auth.Config{Tokens: []auth.Token{
		{Department: "rsj", SHA256: auth.Hash(dept)},
		{Role: auth.RoleAdmin, SHA256: strings.ToUpper(auth.Hash(admin))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		token string
		want  collector.Principal
		ok    bool
	}{
		"a department token is that department":   {dept, collector.Principal{Department: "rsj"}, true},
		"the admin token is admin":                {admin, collector.Principal{Admin: true}, true},
		"an empty token is nobody":                {"", collector.Principal{}, false},
		"an unknown token is nobody":              {"x" + dept, collector.Principal{}, false},
		"the hash itself is not a token":          {auth.Hash(dept), collector.Principal{}, false},
		"a token with one character less is none": {dept[:len(dept)-1], collector.Principal{}, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			id, ok := a.Authenticate(c.token)
			if ok != c.ok || id.Principal != c.want {
				t.Fatalf("Authenticate = %+v, %v; want %+v, %v", id.Principal, ok, c.want, c.ok)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	h := auth.Hash("t")
	cases := map[string][]auth.Token{
		"a token in clear instead of its hash":   {{Department: "rsj", SHA256: "secret-token"}},
		"neither department nor role":            {{SHA256: h}},
		"both department and admin role":         {{Department: "rsj", Role: auth.RoleAdmin, SHA256: h}},
		"an unknown role":                        {{Role: "root", SHA256: h}},
		"the same hash twice":                    {{Department: "rsj", SHA256: h}, {Department: "fgw", SHA256: h}},
		"a department the catalog does not know": {{Department: "nope", SHA256: h}},
	}
	for name, tokens := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := auth.New(auth.Config{Tokens: tokens, Departments: func(id string) bool { return id != "nope" }})
			if err == nil {
				t.Fatal("New accepted a bad configuration")
			}
		})
	}
}

func TestGenerateIsRandomAndLongEnough(t *testing.T) {
	a, _ := auth.Generate()
	b, _ := auth.Generate()
	if a == b || len(a) < 43 {
		t.Fatalf("tokens %q, %q: want distinct, >= 43 chars", a, b)
	}
}

func TestBearerToken(t *testing.T) {
	cases := map[string]struct{ header, want string }{
		"the usual form":        {"Bearer abc", "abc"},
		"any case of Bearer":    {"bearer abc", "abc"},
		"basic auth is nothing": {"Basic abc", ""},
		"an empty header":       {"", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := auth.BearerToken(c.header); got != c.want {
				t.Fatalf("BearerToken(%q) = %q, want %q", c.header, got, c.want)
			}
		})
	}
}

func TestAuthenticateHashAsksTheConfiguredTokens(t *testing.T) {
	dept, _ := auth.Generate()
	other, _ := auth.Generate()
	a, err := auth.New(auth.Config{Tokens: []auth.Token{{Department: "rsj", SHA256: auth.Hash(dept)}}})
	if err != nil {
		t.Fatal(err)
	}
	without, err := auth.New(auth.Config{Tokens: []auth.Token{{Department: "rsj", SHA256: auth.Hash(other)}}})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(dept))
	cases := map[string]struct {
		a    *auth.Authenticator
		h    [sha256.Size]byte
		want bool
	}{
		"the hash of a configured token is that token's identity": {a, h, true},
		"the same hash after the token was removed is nobody":     {without, h, false},
		"the hash of the hash is nobody":                          {a, sha256.Sum256([]byte(auth.Hash(dept))), false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			id, ok := c.a.AuthenticateHash(c.h)
			if ok != c.want {
				t.Fatalf("AuthenticateHash = %v, want %v", ok, c.want)
			}
			if ok && id.Principal.Department != "rsj" {
				t.Fatalf("identity %+v, want rsj", id)
			}
		})
	}
}
