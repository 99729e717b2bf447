// Package influx is the collector.Store backed by InfluxDB, for offices that outgrow
// one machine: several collectors (replicas) share one InfluxDB. It writes through the
// v2 write API (github.com/influxdata/influxdb-client-go/v2, blocking writes) and reads
// through InfluxQL on the v1-compatible /query endpoint (plain HTTP, JSON, chunked), so
// the same collector runs on InfluxDB 1.8, 2.x (through a DBRP mapping: bucket "duban"
// is read as database "duban") and 3.x, whose clustered editions serve neither Flux nor
// the buckets API. No Flux, no buckets or orgs API; a timeout on every call.
//
// # Cost model
//
// What shaped the code: a read of InfluxDB costs milliseconds and a write of a batch
// about as much as a read, while the collector's own work per report is microseconds.
// So the steady state reads nothing before it writes: a replica numbers revisions and
// checks idempotency keys from memory, under a lease that makes its memory
// authoritative for the departments it holds, and writes each round of appends in up to
// four requests sent at once (InfluxDB parses one request on one core), while the next
// round is numbered (two rounds in flight). Reads happen when a replica takes a department over (the change feed since
// it last looked), every refresh (the change feed: what changed, not what is stored),
// at start (a local snapshot plus the change feed since it; the latest measurement's
// checkpoint, one point per (indicator, period), plus each department's change points
// since its last checkpoint, for a replica that has no snapshot), for the first
// keyed push of a sender's key bucket (that bucket), and for history (one InfluxQL read
// per indicator). Completeness and bulletins read nothing but the change feed: every
// latest value carries its first arrival. No start-up read grows with the history.
//
// # Schema
//
// Measurement "report", one point per revision:
//
//	tags:   indicator, task, department, unit (task and unit from Config.Lookup, when
//	        set), collector (the id of the collector that wrote the point)
//	fields: value, percent (float); revision, received_at (ns since epoch) (int);
//	        stage, period, sender, note, evidence, reason, remote, idempotency_key,
//	        id (string). Empty strings and absent numbers are not written.
//	time:   period end + revision µs + period form ns
//
// InfluxDB keeps one point per (measurement, tag set, timestamp), so every revision
// gets its own timestamp: the period end plus the revision number in microseconds plus
// 1, 2 or 3 nanoseconds for a month, quarter or day period (2026-03, 2026-Q1 and
// 2026-03-31 end at the same instant). Revision 2 of 2026-Q1 lands at
// 2026-04-01T00:00:00.000002002+08:00; the period end is recovered as time − revision
// µs − form ns; revisions above 10^9 per (indicator, period) are refused. Carriage
// returns in note, evidence and reason are stored as line feeds, as they always were.
//
// Beside it, written without timestamps (InfluxDB stamps them with its own clock, so
// "since" and "last" compare one clock whatever the replicas' clocks say):
//
//	report_changes,department=D,collector=C[,part=K] n=…i,keyed=…i,pz="…"
//	    one point per department per request of a write: the change feed. pz is the
//	    JSON of the revisions, DEFLATE-compressed, in base64; on a database an earlier
//	    version created, until store.influxdb.feed: compact says every replica reads
//	    pz, the field is points="[JSON]" instead (feed.go). part numbers the requests of
//	    one write after the first (store.go: write)
//	report_changes,department=D,collector=C n=0i,keyed=0i,points="[]",reviews="[JSON]"
//	    one point per department per write of reviews (reviews.go): other replicas
//	    hand them to the service on their next refresh (ReviewChanges)
//	report_lease,department=D holder="C",state="held"|"released",nonce="…"
//	    the lease register of department (or sender) D: its last point
//	report_lease_want,department=D holder="C"
//	    a replica asking the holder of D to release it
//
// and, written by the holder of the department's (resp. sender's) lease (latest.go,
// checkpoint.go, keys.go):
//
//	report_latest,department=D,indicator=I revision=…i,point="[JSON of the revision]"
//	    the checkpoint: the latest revision of (I, period), overwritten in place: time =
//	    period end + form ns; the JSON carries the first arrival of (I, period).
//	    Written every CheckpointEvery (and before a lease is released), one point per
//	    (I, period) whose latest changed since the last checkpoint, not with each round
//	report_checkpoint,department=D collector="C",n=…i
//	    after the checkpoint of D's values (stamped by InfluxDB): the change points of D
//	    stamped before it, less ChangeOverlap, are in the checkpoint
//	report_schema checkpoints=1i
//	    the checkpoint epoch: written with every round of a replica until one is
//	    acknowledged; a department without a marker is read from its first point on
//
// and in the same request as the revisions:
//
//	report_key,sender=S,bucket=HH idempotency_key="…",indicator,period,id,revision,
//	    received_at,content: one entry per keyed revision, in one of 256 series per
//	    sender (HH = FNV-1a of the key mod 256), stamped above the bucket's last entry
//	report_schema version=2i[,feed=2i]
//	    written once the latest and key measurements hold everything stored; feed=2
//	    when the change feed may be compact (a new database, or feed: compact)
//
// and, by the office closing or reopening a plan (closures.go):
//
//	report_closure,plan=PL closed=true|false,by="…",reason="…" <at>
//	    one point per close or reopen, read whole at every refresh
//
// A replica that finds reports but no schema marker (a database written before the
// latest and key measurements existed) reads every revision once, as that version did,
// and converts: it writes both measurements department by department under each lease,
// then the marker (TestStartsOnADatabaseOfTheFirstSchema).
//
// # Numbering: leases
//
// A replica numbers the revisions of a department's indicators only while it holds
// that department's lease (and checks a sender's idempotency keys only while it holds
// the sender's lease: the department's own, or the one named "admin"). Revision N+1 of
// one (indicator, period) can therefore be written by one replica only: two replicas
// correcting it at the same moment serialize on the lease
// (TestTwoReplicasCorrectingAtOnceNeverShareARevision).
//
// The lease is Fischer's timed mutual exclusion over InfluxDB's points. To acquire: read
// the register; if it is free (no point, released, unchanged for a whole LeaseTTL by
// this replica's monotonic clock, or a claim this replica won and still holds or held
// before a restart, kept in leases.json), write a claim with a fresh nonce. If the read
// and the write together took longer than 4/5 of LeaseSettle, the claim is not trusted
// (it expires unused; meanwhile appends are spooled as in an outage); else wait
// LeaseSettle and read again: the claim is won if it is still the last point. Two
// claimers that both read "free" both wait longer than either took to claim, so the
// later claim is seen by both and only its writer wins. A holder starts no write later
// than LeaseTTL − Timeout after sending its claim, so every write it starts ends before
// any other replica can see the lease expired; it renews (the same protocol) while it
// uses the lease and releases it when unused for LeaseTTL/2, when another replica asks
// (a want newer than its claim), and at Close, never while it holds spooled reports of
// that department. After winning a lease a replica reads the change feed, so it
// numbers above whatever the previous holder wrote.
//
// What the protocol assumes, and so what "cannot" rests on: InfluxDB answers a read
// with every point whose write it acknowledged before the read (true of one node; of a
// cluster, for writes acknowledged to the same database); a write is not applied by
// InfluxDB after its Timeout has passed on the writer's side; and a replica is not
// paused between checking its lease and sending a write for longer than Timeout. Only
// rates of the replicas' clocks matter, not their settings.
//
// Routing each department's pushes to one replica (hash the Authorization header at the
// load balancer) keeps leases where they are; with round-robin routing every push to
// another replica moves the lease (a want, a release, a claim: about two LeaseSettle),
// which is correct but slow.
//
// # Idempotency
//
// The key index (sender, key → receipt) is a cache in memory of report_key, read one
// bucket (a 256th of a sender's keys, one series) at a time, the first time a key of
// that bucket is asked; a bucket read whole is "full": with the sender's lease held, a
// key a full bucket lacks is new, no read. The cache is kept current by this replica's
// writes and the change feed and capped (Config.KeyCache, default 2,000,000 keys).
// So the first keyed push after a restart reads one bucket, not every key. Beside each receipt the index keeps a 64-bit hash of
// the content the key stood for (indicator, period, value, stage, percent), so that a
// key sent again with other content refuses the batch (collector.IdempotencyConflict)
// instead of replaying; the department's lease makes that check, and MustBeFirst's
// "revision 1 or refuse", atomic across replicas, as the numbering is. A round that
// holds a refused batch is split and its batches committed one by one, in order.
//
// # Outages: the spool
//
// When InfluxDB is unreachable, answers 5xx or 429, or times out, Append writes the
// batch to a durable local spool (one fsynced file per batch, package spool) and
// acknowledges it, numbering revisions from what this replica knows (its latest values,
// kept in latest.json; a journal of the revision numbers it reserved before each write,
// revisions.jsonl; and the spool). While anything is spooled, later batches are spooled
// behind it, so InfluxDB receives them in order; only a round numbered while the failed
// one was in flight may already be in InfluxDB, above it. A background replayer retries the
// oldest batches with backoff (up to Config.ReplayPoints reports per read and write),
// and at once when a read succeeds again. A replay holds the batches' leases, asks
// InfluxDB which point ids it already holds (a crash between the write and the spool
// file's removal) and writes only the others, so a batch is never stored twice. If
// InfluxDB gained revisions of the same (indicator, period) meanwhile from another
// replica (it held the lease during the outage), or holds a spooled point's number, the
// replay renumbers the spooled points above them,
// keeping their order; the receipt's revision was then provisional. A spooled report
// whose (sender, key) InfluxDB holds under another id is dropped, not duplicated. A
// revision of this collector above a spooled one is no clash: it is a later round that
// reached InfluxDB while the spooled one could not, and the spooled points keep their
// numbers, below it (TestARoundSpooledBehindALaterOneKeepsItsNumbers).
// Readers see spooled reports: Latest, History and FirstArrivals merge the spool into
// what InfluxDB returns; while InfluxDB is down Latest serves the values this replica
// holds and History the latest revision per period plus the spooled ones.
//
// # Costs
//
// Append: no read in the steady state, one write per round (group commit: concurrent
// batches share it; up to four requests at once, two rounds in flight) carrying the
// report points, their key entries and one change point per department and request; every CheckpointEvery, one write of the latest values that changed
// (coalesced: one point per (indicator, period), however many revisions it had). Latest and Changes
// (each refresh): two reads of the change feed since the last point seen (stamps first,
// then only the points not yet seen; a department that changed more than it holds
// reads its checkpoint and its change points since it instead). Start: latest.json plus
// the change feed since it; a replica without it reads the checkpoint, then, one
// InfluxQL statement per department (64 per request), the change points since the
// department's last marker: what changed since then, not the history. History: one read by the indicator
// tag. FirstArrivals: a refresh, then memory (a read per period end only for values of
// the first schema). bench/influx.sh measures each beside the raw client.
//
// The spool's size, its oldest batch's age and failed InfluxDB writes are exported by
// Metrics; Ready reports "degraded" while anything is spooled or the last InfluxDB call
// failed.
package influx
