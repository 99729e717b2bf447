package workspace

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/google/renameio/v2"

	"github.com/duban-gov/duban/collector"
)

const (
	cookieName = "duban_session"
	// A token may hold this many sessions (a clerk's office PC, laptop and phone, and
	// colleagues sharing the department's token); signing in once more ends its oldest.
	maxSessionsPerToken = 20
	// All sessions together; beyond, the oldest end first.
	maxSessions   = 10000
	sessionFormat = 1
)

// digest is a sha256, written as hex in the session file.
type digest [sha256.Size]byte

func (d digest) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(d[:])), nil }

func (d *digest) UnmarshalText(b []byte) error {
	n, err := hex.Decode(d[:], b)
	if err != nil || n != sha256.Size {
		return fmt.Errorf("not a sha256: %q", b)
	}
	return nil
}

// session is one sign-in. The server knows it by the sha256 of the cookie's value and
// the token by its sha256: neither the file nor a memory dump holds a cookie or a
// token that could be replayed.
type session struct {
	ID         digest    `json:"id"`    // sha256 of the cookie value
	Token      digest    `json:"token"` // sha256 of the token signed in with, as in auth.tokens
	Department string    `json:"department,omitempty"`
	Admin      bool      `json:"admin,omitempty"`
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires"`
}

func (s *session) principal() collector.Principal {
	return collector.Principal{Department: s.Department, Admin: s.Admin}
}

// sessions is the server-side session table, kept in a file when one is given.
// Signing in and out rewrite the file (write, fsync, rename); a session found expired or
// revoked on a request is dropped from memory, and from the file at its next rewrite
// (a session read back from the file is checked again on its first request anyway).
type sessions struct {
	file string
	ttl  time.Duration
	now  func() time.Time
	log  *slog.Logger

	mu       sync.Mutex
	byID     map[digest]*session
	receipts map[digest]*receiptView // the last submission's receipt, in memory only
}

func openSessions(file string, ttl time.Duration, now func() time.Time, log *slog.Logger) (*sessions, error) {
	s := &sessions{file: file, ttl: ttl, now: now, log: log, byID: map[digest]*session{}, receipts: map[digest]*receiptView{}}
	if file == "" {
		return s, nil
	}
	b, err := os.ReadFile(file)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("workspace: read sessions: %w", err)
	}
	var f sessionFile
	if err := json.Unmarshal(b, &f); err != nil || f.Format != sessionFormat {
		// Losing sessions costs a sign-in, never a report: start without them.
		log.Warn("workspace: the session file cannot be read; everyone signs in again", "file", file, "err", err, "format", f.Format)
		return s, nil
	}
	t := now()
	for _, se := range f.Sessions {
		if se != nil && t.Before(se.Expires) {
			s.byID[se.ID] = se
		}
	}
	return s, nil
}

type sessionFile struct {
	Format   int        `json:"format"`
	Sessions []*session `json:"sessions"`
}

// create starts a session for the token with hash tok and returns the cookie's value.
func (s *sessions) create(tok digest, p collector.Principal) (string, *session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("workspace: session id: %w", err)
	}
	cookie := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	se := &session{ID: sha256.Sum256([]byte(cookie)), Token: tok, Department: p.Department, Admin: p.Admin, Created: now, Expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	s.byID[se.ID] = se
	s.capLocked(tok)
	if err := s.saveLocked(); err != nil {
		delete(s.byID, se.ID)
		return "", nil, err
	}
	return cookie, se, nil
}

// get returns the unexpired session of a cookie value.
func (s *sessions) get(cookie string) (*session, bool) {
	id := digest(sha256.Sum256([]byte(cookie)))
	s.mu.Lock()
	defer s.mu.Unlock()
	se, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	if !s.now().Before(se.Expires) {
		delete(s.byID, id)
		delete(s.receipts, id)
		return nil, false
	}
	return se, true
}

// end ends a session (signing out) and rewrites the file.
func (s *sessions) end(id digest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
	delete(s.receipts, id)
	return s.saveLocked()
}

// drop forgets a session whose token is gone; the file follows at its next rewrite.
func (s *sessions) drop(id digest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
	delete(s.receipts, id)
}

func (s *sessions) setReceipt(id digest, r *receiptView) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[id]; ok {
		s.receipts[id] = r
	}
}

func (s *sessions) receipt(id digest) *receiptView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.receipts[id]
}

func (s *sessions) sweepLocked(now time.Time) {
	for id, se := range s.byID {
		if !now.Before(se.Expires) {
			delete(s.byID, id)
			delete(s.receipts, id)
		}
	}
}

// capLocked ends the oldest sessions of tok beyond maxSessionsPerToken, and the oldest
// of all beyond maxSessions.
func (s *sessions) capLocked(tok digest) {
	var mine, all []*session
	for _, se := range s.byID {
		all = append(all, se)
		if se.Token == tok {
			mine = append(mine, se)
		}
	}
	oldestFirst := func(v []*session) {
		sort.Slice(v, func(i, j int) bool { return v[i].Created.Before(v[j].Created) })
	}
	if len(mine) > maxSessionsPerToken {
		oldestFirst(mine)
		for _, se := range mine[:len(mine)-maxSessionsPerToken] {
			delete(s.byID, se.ID)
			delete(s.receipts, se.ID)
		}
	}
	if len(s.byID) > maxSessions {
		oldestFirst(all)
		for _, se := range all {
			if len(s.byID) <= maxSessions {
				break
			}
			delete(s.byID, se.ID)
			delete(s.receipts, se.ID)
		}
	}
}

// saveLocked writes the sessions to the file atomically (renameio: a temp file beside
// it, fsynced, renamed over it), readable by duban only.
func (s *sessions) saveLocked() error {
	if s.file == "" {
		return nil
	}
	f := sessionFile{Format: sessionFormat, Sessions: make([]*session, 0, len(s.byID))}
	for _, se := range s.byID {
		f.Sessions = append(f.Sessions, se)
	}
	sort.Slice(f.Sessions, func(i, j int) bool { return f.Sessions[i].Created.Before(f.Sessions[j].Created) })
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("workspace: sessions: %w", err)
	}
	if err := renameio.WriteFile(s.file, b, 0o600); err != nil {
		return fmt.Errorf("workspace: save sessions: %w", err)
	}
	return nil
}
