package influx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Leases: a replica numbers the revisions of a department only while it holds that
// department's lease, so two replicas can never both write revision N+1 of one
// (indicator, period). See the package documentation for the protocol and its
// assumptions; in short, it is Fischer's timed mutual exclusion over registers that
// InfluxDB keeps:
//
//   - The register of a lease is the last point of the series
//     <measurement>_lease,department=NAME. Points are written without a timestamp, so
//     InfluxDB stamps them with its own clock and "last" means "written last".
//   - To acquire: read the register; if it is free (no point, released, unchanged for a
//     whole TTL as seen by this replica's monotonic clock, or a claim this replica won
//     and still holds), write a claim with a fresh nonce; if reading and writing took
//     longer than claimBound, give up (the claim is left to expire); else wait settle
//     (> claimBound) and read again: the claim is won if it is still the last point.
//   - A holder numbers only while now < claim sent + TTL − Timeout, so every write it
//     starts ends before any other replica can think the lease expired; it renews
//     (the same protocol, its own claim counting as free) while it uses the lease.
//   - A replica that wants a held lease writes a want (<measurement>_lease_want); the
//     holder releases at its next tick, between two rounds of writes.

// Lease states written in the state field.
const (
	leaseHeld     = "held"
	leaseReleased = "released"
)

// ErrLeaseBusy is returned when a department's lease stayed with another replica for
// longer than Config.LeaseWait: that replica is alive and keeps it (nothing is stored).
var ErrLeaseBusy = errors.New("influx: the department is being written by another replica; retry")

// errLeaseSlow: a claim of this replica took too long to be trusted, and now stands in
// its own way until it expires. Appends are spooled meanwhile, as in an outage.
var errLeaseSlow = errors.New("influx: InfluxDB answered a lease claim too slowly; spooling until the claim expires")

// claim is a lease this replica won.
type claim struct {
	Nonce string `json:"nonce"`
	T     int64  `json:"t"` // server time of the claim point
	sent  time.Time
	used  time.Time // last round that needed it
}

// register is a lease's last point as read.
type register struct {
	holder, state, nonce string
	t                    int64
}

// observed is when this replica first saw a register's current point.
type observed struct {
	t     int64
	first time.Time
}

type leases struct {
	s *Store

	amu sync.Mutex // one round of the protocol at a time

	mu       sync.Mutex
	held     map[string]*claim
	won      map[string]claim // claims won before a restart (leases.json): free for us while still last
	seen     map[string]observed
	wanted   map[string]time.Time // last want written per name
	self     map[string]bool      // names blocked by an untrusted claim of our own
	dirty    bool
	released chan struct{} // closed and replaced whenever a lease is released or lost
}

const leaseFile = "leases.json"

func newLeases(s *Store) *leases {
	l := &leases{s: s, held: map[string]*claim{}, won: map[string]claim{}, seen: map[string]observed{},
		wanted: map[string]time.Time{}, self: map[string]bool{}, released: make(chan struct{})}
	if b, err := os.ReadFile(filepath.Join(s.cfg.SpoolDir, leaseFile)); err == nil {
		_ = json.Unmarshal(b, &l.won)
	}
	return l
}

func (l *leases) leaseM() string { return qlIdent(l.s.cfg.Measurement + "_lease") }
func (l *leases) wantM() string  { return qlIdent(l.s.cfg.Measurement + "_lease_want") }

// usable says whether this replica may start a write under name now: held, and the
// write (bounded by Timeout) ends before the lease could be seen expired elsewhere.
// Callers hold l.mu.
func (l *leases) usable(name string, now time.Time) bool {
	c, ok := l.held[name]
	return ok && now.Before(c.sent.Add(l.s.cfg.LeaseTTL-l.s.cfg.Timeout))
}

// holds says whether every name is usable now, and marks them used.
func (l *leases) holds(names []string) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range names {
		if !l.usable(n, now) {
			return false
		}
	}
	for _, n := range names {
		l.held[n].used = now
	}
	return true
}

// holding says whether name is usable now, without marking it used.
func (l *leases) holding(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.usable(name, time.Now())
}

// ensure acquires every name (in one batch of claims) or fails: a retryable error when
// InfluxDB does not answer, ErrLeaseBusy when another replica keeps one past LeaseWait.
// It renews leases too close to their end to cover a write, and says whether any name
// was not held before (the caller then catches up with what its holders wrote).
func (l *leases) ensure(ctx context.Context, names []string) (fresh bool, err error) {
	deadline := time.Now().Add(l.s.cfg.LeaseWait)
	l.mu.Lock()
	for _, n := range names {
		if _, ok := l.held[n]; !ok {
			fresh = true
		}
	}
	l.mu.Unlock()
	for {
		now := time.Now()
		var missing []string
		l.mu.Lock()
		for _, n := range names {
			// Renew early: a lease in the last third of what it allows is renewed now
			// rather than lost in the middle of a burst (the holder's tick renews leases
			// in use from a third on, in the background).
			c, ok := l.held[n]
			if !ok || now.After(c.sent.Add((l.s.cfg.LeaseTTL-l.s.cfg.Timeout)*2/3)) {
				missing = append(missing, n)
			}
		}
		l.mu.Unlock()
		if len(missing) == 0 && l.holds(names) {
			return fresh, nil
		}
		if err := l.acquire(ctx, missing); err != nil {
			return fresh, err
		}
		if l.holds(names) {
			return fresh, nil
		}
		l.mu.Lock()
		self := false
		for _, n := range names {
			self = self || l.self[n]
		}
		l.mu.Unlock()
		if self {
			return fresh, errLeaseSlow
		}
		if time.Now().After(deadline) {
			return fresh, fmt.Errorf("%w (%s)", ErrLeaseBusy, strings.Join(names, ", "))
		}
		select {
		case <-ctx.Done():
			return fresh, ctx.Err()
		case <-l.s.stop:
			return fresh, ErrClosed
		case <-time.After(l.s.cfg.LeaseSettle / 2):
		}
	}
}

// acquire runs one round of the protocol over names: claims those that are free (or
// ours to renew), and asks the holders of the others to release them. Names it wins
// (or renews) become held; the others stay as they were.
func (l *leases) acquire(ctx context.Context, names []string) error {
	l.amu.Lock()
	defer l.amu.Unlock()
	readAt := time.Now()
	regs, date, err := l.read(ctx)
	if err != nil {
		return err
	}
	claims, want := l.decide(names, regs, readAt, date, time.Now())
	if err := l.askRelease(ctx, want); err != nil {
		return err
	}
	if len(claims) == 0 {
		return nil
	}
	lines := make([]string, 0, len(claims))
	for n, nonce := range claims {
		lines = append(lines, l.s.cfg.Measurement+"_lease,"+tagDepartment+"="+lpEscape(n, true)+
			" holder=\""+fieldEscaper.Replace(l.s.cfg.CollectorID)+"\",state=\""+leaseHeld+"\",nonce=\""+nonce+"\"")
	}
	sort.Strings(lines)
	sent := time.Now()
	if err := l.s.writeLines(ctx, lines); err != nil {
		return err
	}
	if took := time.Since(readAt); took > l.claimBound() {
		// Too slow to be sure no other claim slipped in between our read and our
		// write: the claims are abandoned (they expire unused).
		l.s.log.Warn("lease claim took too long; retrying later", "took", took, "bound", l.claimBound(), "leases", len(claims))
		l.mu.Lock()
		for n := range claims {
			if _, held := l.held[n]; !held {
				l.self[n] = true
			}
		}
		l.mu.Unlock()
		return nil
	}
	select {
	case <-time.After(l.s.cfg.LeaseSettle):
	case <-ctx.Done():
		return ctx.Err()
	case <-l.s.stop:
		return ErrClosed
	}
	regs, _, err = l.read(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for n, nonce := range claims {
		r := regs[n]
		if r.holder != l.s.cfg.CollectorID || r.nonce != nonce || r.state != leaseHeld {
			if _, had := l.held[n]; had {
				l.lost(n)
			}
			continue
		}
		c := &claim{Nonce: nonce, T: r.t, sent: sent, used: time.Now()}
		if old, ok := l.held[n]; ok {
			c.used = old.used
		}
		l.held[n] = c
		l.won[n] = *c
		l.dirty = true
	}
	l.save()
	return nil
}

// decide sorts names by the registers read at now (the read sent at readAt, answered
// at InfluxDB's date): the ones to claim (free, ours to renew, or unchanged for a whole
// TTL), each with a fresh nonce, and the ones whose holders are to be asked to release
// them (not asked within the settle time). A claim won before a restart that is still
// the last point, with enough of it left, is resumed instead of claimed again.
func (l *leases) decide(names []string, regs map[string]register, readAt, date, now time.Time) (claims map[string]string, want []string) {
	claims = map[string]string{} // name → nonce
	resumed := false
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range names {
		r, ok := regs[n]
		delete(l.self, n)
		switch {
		case !ok || r.state == leaseReleased:
			claims[n] = newID()
		case r.holder == l.s.cfg.CollectorID && l.ours(n, r):
			if l.resume(n, r, readAt, date) {
				resumed = true
				continue
			}
			claims[n] = newID() // renewal, or a claim won before a restart
		default:
			o, seen := l.seen[n]
			if !seen || o.t != r.t {
				l.seen[n] = observed{t: r.t, first: now}
				o = l.seen[n]
			}
			if now.Sub(o.first) >= l.s.cfg.LeaseTTL {
				claims[n] = newID() // unchanged for a whole TTL: its holder is gone
			} else if r.holder == l.s.cfg.CollectorID {
				l.self[n] = true
			} else if now.Sub(l.wanted[n]) >= l.s.cfg.LeaseSettle {
				want = append(want, n)
				l.wanted[n] = now
			}
		}
	}
	if resumed {
		l.save()
	}
	return claims, want
}

// askRelease writes a want point for each name in want: its holder releases it.
func (l *leases) askRelease(ctx context.Context, want []string) error {
	if len(want) == 0 {
		return nil
	}
	sort.Strings(want)
	lines := make([]string, len(want))
	for i, n := range want {
		lines[i] = l.s.cfg.Measurement + "_lease_want," + tagDepartment + "=" + lpEscape(n, true) +
			" holder=\"" + fieldEscaper.Replace(l.s.cfg.CollectorID) + "\""
	}
	return l.s.writeLines(ctx, lines)
}

// resume takes back, without a new claim, a claim this replica won before a restart
// (leases.json) that is still the register's last point, when InfluxDB's clock says
// enough of it is left: its holder may write until its stamp + LeaseTTL − Timeout,
// counted from the stamp rather than from the sending of the claim, which is later and
// so still before any other replica may see it expire. The elapsed time is bounded
// above by the answer's Date (to the second, so plus one) minus the stamp, as of the
// moment the read was sent. Callers hold l.mu.
func (l *leases) resume(name string, r register, readAt, date time.Time) bool {
	if _, held := l.held[name]; held || date.IsZero() {
		return false
	}
	elapsed := date.Add(time.Second).Sub(time.Unix(0, r.t))
	if elapsed < 0 {
		elapsed = 0
	}
	if l.s.cfg.LeaseTTL-l.s.cfg.Timeout-elapsed < 3*l.s.cfg.LeaseSettle {
		return false // too little left: claim again
	}
	c := &claim{Nonce: r.nonce, T: r.t, sent: readAt.Add(-elapsed), used: time.Now()}
	l.held[name] = c
	l.won[name] = *c
	l.dirty = true
	l.s.log.Debug("lease resumed after a restart", "lease", name, "elapsed", elapsed)
	return true
}

// claimBound is the longest a claim may take from the read before it to the write's
// answer: the settle time must exceed it.
func (l *leases) claimBound() time.Duration { return l.s.cfg.LeaseSettle * 4 / 5 }

// ours says whether register r is a claim this replica won and may renew: one it holds
// now, or one it won before a restart and that is still the last point. Callers hold
// l.mu.
func (l *leases) ours(name string, r register) bool {
	if c, ok := l.held[name]; ok {
		return c.Nonce == r.nonce
	}
	c, ok := l.won[name]
	return ok && c.Nonce == r.nonce && c.T == r.t
}

// lost forgets a lease. Callers hold l.mu.
func (l *leases) lost(name string) {
	delete(l.held, name)
	delete(l.won, name)
	l.dirty = true
	close(l.released)
	l.released = make(chan struct{})
}

// save persists the won claims (so that a restarted replica resumes them without
// waiting a TTL). Callers hold l.mu.
func (l *leases) save() {
	if !l.dirty {
		return
	}
	b, err := json.Marshal(l.won)
	if err != nil {
		return
	}
	path := filepath.Join(l.s.cfg.SpoolDir, leaseFile)
	if err := os.WriteFile(path+".new", b, 0o600); err == nil && os.Rename(path+".new", path) == nil {
		l.dirty = false
	}
}

// read returns the register of every lease of the bucket, and InfluxDB's clock when
// it answered (zero when it did not say).
func (l *leases) read(ctx context.Context) (map[string]register, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, l.s.cfg.Timeout)
	defer cancel()
	out := map[string]register{}
	q := "SELECT last(holder) AS holder, state, nonce FROM " + l.leaseM() + " GROUP BY " + qlIdent(tagDepartment)
	date, err := l.s.ql.queryDated(ctx, q, func(sr *qlSeries) error {
		cT, cH, cS, cN := sr.col("time"), sr.col("holder"), sr.col("state"), sr.col("nonce")
		for _, row := range sr.Values {
			t, _ := vInt(row[cT])
			out[sr.Tags[tagDepartment]] = register{holder: vString(row[cH]), state: vString(row[cS]), nonce: vString(row[cN]), t: t}
		}
		return nil
	})
	return out, date, err
}

// wants returns, per name another replica asked for within the last minute, the
// server time of its latest request.
func (l *leases) wants(ctx context.Context) (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, l.s.cfg.Timeout)
	defer cancel()
	out := map[string]int64{}
	q := "SELECT holder, " + qlIdent(tagDepartment) + " FROM " + l.wantM() + " WHERE time > now() - 1m"
	err := l.s.ql.query(ctx, q, func(sr *qlSeries) error {
		cT, cH, cD := sr.col("time"), sr.col("holder"), sr.col(tagDepartment)
		for _, row := range sr.Values {
			t, _ := vInt(row[cT])
			if vString(row[cH]) != l.s.cfg.CollectorID && cD >= 0 {
				n := vString(row[cD])
				out[n] = max(out[n], t)
			}
		}
		return nil
	})
	return out, err
}

// tick is the holder's side, run every LeaseSettle: leases another replica wants, or
// unused for a TTL, are released between two rounds of writes.
func (l *leases) tick(ctx context.Context) {
	l.mu.Lock()
	n := len(l.held)
	l.mu.Unlock()
	if n == 0 {
		return
	}
	l.s.checkpoint(ctx, false)
	wanted, err := l.wants(ctx)
	if err != nil {
		return
	}
	now := time.Now()
	var release, renew []string
	usable := l.s.cfg.LeaseTTL - l.s.cfg.Timeout
	l.mu.Lock()
	for name, c := range l.held {
		switch {
		// A want newer than our claim (both stamped by InfluxDB's clock) is answered;
		// older ones were answered before we took the lease back.
		case wanted[name] > c.T || now.Sub(c.used) > l.s.cfg.LeaseTTL/2:
			release = append(release, name)
		case now.After(c.sent.Add(usable / 3)):
			renew = append(renew, name) // in use: renewed here, not in the middle of a round
		}
	}
	l.mu.Unlock()
	if len(release) > 0 {
		l.release(ctx, release)
	}
	if len(renew) > 0 {
		if err := l.acquire(ctx, renew); err != nil {
			l.s.log.Debug("lease renewal failed", "err", err)
		}
	}
}

// release gives leases back, between two rounds of writes and never while this
// replica has spooled reports under them (their replay needs the lease).
func (l *leases) release(ctx context.Context, names []string) {
	s := l.s
	s.hold()
	defer s.wmu.Unlock()
	if err := s.checkpointLocked(ctx); err != nil { // keeps the rounds after the markers few
		s.log.Debug("checkpoint before releasing leases failed", "err", err)
	}
	s.mu.Lock()
	spooled := map[string]bool{}
	for _, b := range s.pending {
		for _, p := range b.points {
			spooled[leaseName(p.Rev.Department)] = true
			spooled[leaseName(p.Rev.Sender)] = true
		}
	}
	s.mu.Unlock()
	var lines []string
	l.mu.Lock()
	for _, n := range names {
		c, ok := l.held[n]
		if !ok || spooled[n] {
			continue
		}
		lines = append(lines, s.cfg.Measurement+"_lease,"+tagDepartment+"="+lpEscape(n, true)+
			" holder=\""+fieldEscaper.Replace(s.cfg.CollectorID)+"\",state=\""+leaseReleased+"\",nonce=\""+c.Nonce+"\"")
		l.lost(n)
	}
	l.save()
	l.mu.Unlock()
	if len(lines) > 0 {
		if err := s.writeLines(ctx, lines); err != nil {
			s.log.Warn("could not release leases (they expire instead)", "leases", len(lines), "err", err)
		}
	}
}

// releaseAll gives back every lease (at Close).
func (l *leases) releaseAll(ctx context.Context) {
	l.mu.Lock()
	names := make([]string, 0, len(l.held))
	for n := range l.held {
		names = append(names, n)
	}
	l.mu.Unlock()
	if len(names) > 0 {
		l.release(ctx, names)
	}
}

// leaseLoop runs tick until the store stops.
func (s *Store) leaseLoop() {
	defer close(s.leaseDone)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	t := time.NewTicker(s.cfg.LeaseSettle)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.leases.tick(ctx)
		}
	}
}
