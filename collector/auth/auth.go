// Package auth checks bearer tokens against the sha256 hashes in the configuration and
// generates new tokens. Tokens are never kept in clear; comparisons run in constant time.
//
// A token has one of four kinds, each allowed a fixed set of things:
//
//	kind                     push                  read (board, API, bulletins)  scrape /metrics  see remote addresses
//	{department: ID}         its own indicators    yes                           yes              no
//	{role: admin}            every indicator       yes                           yes              yes
//	{role: reader}           no                    yes                           yes              no
//	{role: metrics}          no                    no                            yes              no
//
// A scrape token reads /metrics only: it sits in a file on the Prometheus host, so it
// is given nothing else. Every other token may also scrape, since /metrics shows no
// more than the API shows it.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/duban-gov/duban/collector"
)

// Roles of tokens that belong to no department.
const (
	// RoleAdmin is the role of the supervision office's tokens: they write any indicator.
	RoleAdmin = "admin"
	// RoleReader is a read-only token (a leader's browser, the board on a wall screen):
	// the board, the API's reads, bulletins and /metrics; never a push.
	RoleReader = "reader"
	// RoleMetrics is a scrape token (Prometheus' authorization.credentials_file):
	// /metrics only.
	RoleMetrics = "metrics"
)

// Token is one configured token: its sha256 (hex) and whom it belongs to, a department
// or the admin role.
type Token struct {
	Department string `mapstructure:"department" yaml:"department,omitempty"`
	Role       string `mapstructure:"role" yaml:"role,omitempty"`
	SHA256     string `mapstructure:"sha256" yaml:"sha256"`
}

// Identity is an authenticated caller: the principal, the role of its token ("" for a
// department token) and a stable key of its token (the token's position in the
// configuration, for per-token limits; not secret).
type Identity struct {
	Principal collector.Principal
	Role      string
	Key       int
}

// CanPush reports whether the token may push reports (department and admin tokens).
func (i Identity) CanPush() bool { return i.Role == "" || i.Role == RoleAdmin }

// CanRead reports whether the token may read the board, the API and the bulletins
// (every token but a scrape token).
func (i Identity) CanRead() bool { return i.Role != RoleMetrics }

// CanScrape reports whether the token may read /metrics (every token).
func (i Identity) CanScrape() bool { return true }

// IsAdmin reports whether the token is the supervision office's: the only one shown
// the remote addresses kept with each revision.
func (i Identity) IsAdmin() bool { return i.Role == RoleAdmin }

// Name names the caller in logs: the department id, or the role.
func (i Identity) Name() string {
	if i.Role != "" {
		return i.Role
	}
	return i.Principal.Department
}

type entry struct {
	hash [sha256.Size]byte
	p    collector.Principal
	role string
}

// Authenticator checks bearer tokens. Safe for concurrent use; immutable.
type Authenticator struct {
	entries []entry
}

// Config configures an Authenticator.
type Config struct {
	Tokens []Token
	// Departments, when set, are the known department ids: a token for another
	// department is a configuration error.
	Departments func(id string) bool
}

// New checks the configured tokens and builds an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	a := &Authenticator{}
	seen := map[[sha256.Size]byte]bool{}
	for i, t := range cfg.Tokens {
		b, err := hex.DecodeString(strings.TrimSpace(t.SHA256))
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("auth.tokens[%d]: sha256 must be 64 hex digits (the hash printed by `duban token create`), not the token itself", i)
		}
		var e entry
		copy(e.hash[:], b)
		switch {
		case t.Role == RoleAdmin && t.Department == "":
			e.p, e.role = collector.Principal{Admin: true}, RoleAdmin
		case (t.Role == RoleReader || t.Role == RoleMetrics) && t.Department == "":
			e.role = t.Role
		case t.Role == "" && t.Department != "":
			if cfg.Departments != nil && !cfg.Departments(t.Department) {
				return nil, fmt.Errorf("auth.tokens[%d]: department %q is not in the catalog", i, t.Department)
			}
			e.p = collector.Principal{Department: t.Department}
		default:
			return nil, fmt.Errorf("auth.tokens[%d]: give either department: ID or one of role: admin, reader, metrics", i)
		}
		if seen[e.hash] {
			return nil, fmt.Errorf("auth.tokens[%d]: the same token hash is configured twice", i)
		}
		seen[e.hash] = true
		a.entries = append(a.entries, e)
	}
	return a, nil
}

// Len is the number of configured tokens.
func (a *Authenticator) Len() int { return len(a.entries) }

// Carried maps the tokens of a to the same tokens in old (the same hash for the same
// department or role): carried[i] is the position in old of a's token i, or -1 for a
// token old does not have. A reload uses it to carry per-token state (in-flight
// counts, rate buckets) over to the new configuration.
func (a *Authenticator) Carried(old *Authenticator) []int {
	at := make(map[entry]int, old.Len())
	for j, e := range old.entries {
		at[e] = j
	}
	carried := make([]int, len(a.entries))
	for i, e := range a.entries {
		j, ok := at[e]
		if !ok {
			j = -1
		}
		carried[i] = j
	}
	return carried
}

// Live holds the Authenticator in force. A reload of the configuration stores a new
// one; every request reads it through Load (or Authenticate), so a removed token
// stops working at the next request, on a kept-alive connection too. Safe for
// concurrent use.
type Live struct {
	p atomic.Pointer[Authenticator]
}

// NewLive holds a.
func NewLive(a *Authenticator) *Live {
	l := &Live{}
	l.p.Store(a)
	return l
}

// Load returns the Authenticator in force; it is immutable, so a request may keep it
// for its whole course.
func (l *Live) Load() *Authenticator { return l.p.Load() }

// Store puts a in force for every request that starts from now on.
func (l *Live) Store(a *Authenticator) { l.p.Store(a) }

// Authenticate checks token against the Authenticator in force.
func (l *Live) Authenticate(token string) (Identity, bool) { return l.Load().Authenticate(token) }

// Authenticate returns the identity of token. It hashes the token and compares the hash
// with every configured hash in constant time, so the answer time does not depend on
// which token (if any) matched.
func (a *Authenticator) Authenticate(token string) (Identity, bool) {
	if token == "" {
		return Identity{}, false
	}
	return a.AuthenticateHash(sha256.Sum256([]byte(token)))
}

// AuthenticateHash is Authenticate for a token known only by its sha256: a browser
// session keeps the hash of the token it signed in with, never the token, and asks the
// current authenticator on every request whether that token is still configured.
// Constant time like Authenticate.
func (a *Authenticator) AuthenticateHash(h [sha256.Size]byte) (Identity, bool) {
	found := -1
	for i := range a.entries {
		if subtle.ConstantTimeCompare(h[:], a.entries[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Identity{}, false
	}
	return Identity{Principal: a.entries[found].p, Role: a.entries[found].role, Key: found}, true
}

// BearerToken extracts the token from an Authorization header value.
func BearerToken(header string) string {
	const prefix = "bearer "
	if len(header) < len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(header[len(prefix):])
}

// Hash returns the hex sha256 of a token, as written in the configuration.
func Hash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Generate returns a new random token: 32 bytes from crypto/rand, base64url without
// padding (43 characters).
func Generate() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
