package testenv

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/store/boltstore"
)

// Token returns a new random bearer token and the sha256 hex that goes into the
// collector's auth.tokens.
func Token(t testing.TB) (token, sha256 string) {
	t.Helper()
	tok, err := auth.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return tok, auth.Hash(tok)
}

// Push posts a JSON body to a collector's /api/v1/reports with the token and fails the
// test unless it answers 201. It returns the answer's body.
func Push(t testing.TB, baseURL, token, body string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, baseURL+"/api/v1/reports", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err = errors.Join(err, resp.Body.Close()); err != nil {
		t.Fatalf("push %s: read the answer: %v", body, err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push %s: %s %s", body, resp.Status, b)
	}
	return b
}

// Store opens a real embedded store (bbolt) in a temp dir, closed when the test ends:
// what a test of the service, the API or the board runs on.
func Store(t testing.TB) *boltstore.Store {
	t.Helper()
	st, err := boltstore.Open(context.Background(), boltstore.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close the store: %v", err)
		}
	})
	return st
}
