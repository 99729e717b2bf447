// Package influx is the collector.Store backed by InfluxDB (2.x in production; 1.8 with
// Flux enabled in tests), through github.com/influxdata/influxdb-client-go/v2: blocking
// writes, Flux reads, a context with a timeout on every call, and no use of the buckets
// or orgs APIs, so the same code runs against both servers.
//
// # Schema
//
// One measurement, "report". One point per revision.
//
//	tags:   indicator, task, department, unit (task and unit from Config.Lookup, when
//	        set), collector (the id of the collector that wrote the point; see below)
//	fields: value, percent (float); revision, received_at (ns since epoch) (int);
//	        stage, period, sender, note, evidence, reason, remote, idempotency_key,
//	        id (string). Empty strings and absent numbers are not written.
//	time:   period end + revision µs + period form ns
//
// Carriage returns in note, evidence and reason are stored as line feeds (the CSV in
// which the Flux API answers drops them); other text is kept byte for byte, newlines,
// quotes and backslashes included.
//
// # Revisions
//
// InfluxDB keeps one point per (measurement, tag set, timestamp): a later write with the
// same three replaces the earlier one. Every revision therefore gets its own timestamp,
// the period end plus the revision number in microseconds plus 1, 2 or 3 nanoseconds for
// a month, quarter or day period (three forms of period can end at the same instant:
// 2026-03, 2026-Q1 and 2026-03-31). Revision 2 of 2026-Q1 lands at
// 2026-04-01T00:00:00.000002002+08:00. The series count stays one per indicator (per
// collector), Grafana plots the point at the period end (a few µs do not show), and the
// true period end is recovered exactly as time − revision µs − form ns. Revisions above
// 10^9 per (indicator, period) are refused (they would drift by more than 1000 s).
//
// Rewriting a point with the same tags and timestamp overwrites it with itself, and a
// replay from the spool first skips the point ids InfluxDB already holds: a batch can
// be replayed as many times as crashes require and InfluxDB still holds it once.
//
// # Numbering and several collectors
//
// Within one collector, appends are committed in rounds (group commit: concurrent
// batches share one idempotency lookup, one revision lookup and one write) and numbered
// in arrival order, exactly as if they came one by one. Before writing, the store asks
// InfluxDB for the highest revision of every (indicator, period) in the round (and its
// own knowledge, which covers the spool and a journal of what it wrote), and numbers
// from there. Two collectors appending
// to the same (indicator, period) at the same instant can both read the same highest
// revision and both write revision N+1. Neither is lost: each collector writes under
// its own "collector" tag, so the two points are in different series. The collector id
// is kept in the spool directory (file collector-id), so it is stable across restarts
// and distinct for every replica. History then shows two revisions N+1 (ordered by
// received time) and Latest takes the one received last. Keeping one writer per
// department (routing by department at the load balancer) avoids the race entirely.
//
// # Idempotency
//
// The key is stored in the field idempotency_key, with the sender in sender. Before
// writing, the store looks a key up in an in-memory LRU, then in the spool, then in
// InfluxDB (a Flux filter on the idempotency_key field). Two collectors receiving the
// same (sender, key) at the same instant may both store it; a client retrying against
// the same collector, or later against any, gets the original receipt.
//
// # Outages: the spool
//
// When InfluxDB is unreachable, answers 5xx or 429, or times out, Append writes the batch
// to a durable local spool (one fsynced file per batch, package spool) and acknowledges
// it, numbering revisions from what this collector knows (the last latest values read
// from InfluxDB, persisted in the spool directory as latest.json; a journal of the
// revisions it wrote, revisions.jsonl; and the spool). While
// anything is spooled, later batches are spooled behind it, so InfluxDB receives them in
// order. A background replayer retries the oldest batches with backoff (up to
// Config.ReplayPoints reports per lookup and write, so a long outage drains in
// seconds), and at once when a read succeeds again. Each point carries
// a random id; a replay first asks InfluxDB which ids of the batch are already there (a
// crash between the write and the spool file's removal) and writes only the others, so
// a batch is never stored twice. If InfluxDB gained revisions of the same (indicator,
// period) meanwhile (another collector, or this one restarted without its snapshot), the
// replay renumbers the spooled points above them, keeping their order; the receipt's
// revision was then provisional. A spooled report whose (sender, key) InfluxDB holds
// under another id (stored through another collector, or before a restart that emptied
// this collector's cache) is dropped on replay, not duplicated.
// Readers see spooled reports: Latest and History merge the spool into what InfluxDB
// returns. While InfluxDB is down, Latest serves the last values it read (kept in
// latest.json, so a restarted collector has them too) and History the latest revision
// per period it last read plus the spooled ones (InfluxDB alone holds older revisions).
//
// # Costs
//
// Append: one Flux read of the revision field over the round's period window (and,
// for batches with idempotency keys, one over the idempotency_key field), then one
// write. Latest (at start and on every replica refresh) pivots the whole measurement:
// about 0.5 s for 10,000 revisions and 1.2 s for 100,000 on the 2-core test machine,
// so keep the refresh interval well above that. BenchmarkInfluxAppend and
// BenchmarkInfluxLatest measure both.
//
// The spool's size, its oldest batch's age and failed InfluxDB writes are exported by
// Metrics; Ready reports "degraded" while anything is spooled or the last InfluxDB call
// failed.
package influx
