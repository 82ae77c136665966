import Foundation
import GRDB
import JobQueue

/// Jobs in an SQLite file (GRDB, WAL mode): the embedded default. Claims run in IMMEDIATE
/// transactions, so several workers and processes on one file never take the same job.
public final class SQLiteJobStore: JobStore {
    // DatabasePool is thread-safe (GRDB serialises writes and pools readers).
    private let pool: DatabasePool

    /// Opens (creating) the database file at `path`. `timeout`: how long a write waits for
    /// another process's lock, and the longest one batch of submits may take before its
    /// submitters are answered with a retryable error.
    public init(path: String, timeout: Duration = .seconds(10)) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(Double(timeout.components.seconds))
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let pool = try DatabasePool(path: path, configuration: configuration)
        self.pool = pool
        submits = GroupCommitter(timeout: timeout) { requests in
            try await Self.immediate(pool) { db in try Self.submitBatch(requests, in: db) }
        }
    }

    public func migrate() async throws { try migrateNow() }

    /// Creates or migrates the schema now (the app builder calls it before serving).
    public func migrateNow() throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 jobs") { db in
            try db.execute(sql: """
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY,
                    model_type TEXT NOT NULL,
                    status TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    started_at REAL,
                    completed_at REAL,
                    processing_time REAL,
                    request BLOB NOT NULL,
                    result BLOB,
                    error TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    idempotency_key TEXT UNIQUE,
                    callback_url TEXT,
                    cancel_requested INTEGER NOT NULL DEFAULT 0,
                    lease_owner TEXT,
                    lease_token TEXT,
                    lease_expires_at REAL
                );
                CREATE INDEX jobs_status_created ON jobs (status, created_at);
                CREATE INDEX jobs_created ON jobs (created_at);
                """)
        }
        try migrator.migrate(pool)
    }

    private func immediate<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await Self.immediate(pool, work)
    }

    /// `work` in one IMMEDIATE transaction on the pool's writer.
    private static func immediate<T: Sendable>(_ pool: DatabasePool, _ work: @escaping @Sendable (Database) throws -> T)
        async throws -> T {
        try await pool.writeWithoutTransaction { db in
            var value: T?
            try db.inTransaction(.immediate) {
                value = try work(db)
                return .commit
            }
            return value!
        }
    }

    static let columns = """
        id, model_type, status, created_at, started_at, completed_at, processing_time, request, result, error,
        attempts, idempotency_key, callback_url, cancel_requested, lease_owner, lease_token, lease_expires_at
        """

    static func record(_ row: Row) -> JobRecord {
        JobRecord(id: row["id"], modelType: row["model_type"],
                  status: JobStatus(rawValue: row["status"]) ?? .failed, createdAt: row["created_at"],
                  startedAt: row["started_at"], completedAt: row["completed_at"], processingTime: row["processing_time"],
                  request: [UInt8]((row["request"] as Data?) ?? Data()), result: (row["result"] as Data?).map { [UInt8]($0) },
                  error: row["error"], attempts: row["attempts"], idempotencyKey: row["idempotency_key"],
                  callbackURL: row["callback_url"], cancelRequested: row["cancel_requested"],
                  leaseOwner: row["lease_owner"], leaseToken: row["lease_token"], leaseExpiresAt: row["lease_expires_at"])
    }

    /// Submits are group-committed: while one batch is written, the submits that arrive wait and
    /// go in the next transaction together. The database has one writer, taken in arrival order,
    /// so one transaction per submit would put a flood's every submit ahead of each claim and
    /// completion (workers starved: 16 jobs/s completed during a 64-client flood, 126/s after).
    private let submits: GroupCommitter<SubmitRequest, SubmitOutcome>

    public func submit(_ job: JobRecord, maxPending: Int) async throws -> SubmitOutcome {
        try await submits.submit(SubmitRequest(job: job, maxPending: maxPending))
    }

    /// One transaction for a batch of submits, each decided as if alone and in order: an existing
    /// idempotency key (also one an earlier submit of the batch just stored), the pending limit
    /// (counting the batch's own inserts), else a new pending job.
    private static func submitBatch(_ requests: [SubmitRequest], in db: Database) throws -> [SubmitOutcome] {
        var pending = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE status = 'pending'") ?? 0
        return try requests.map { request in
            let job = request.job
            if let key = job.idempotencyKey,
               let row = try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM jobs WHERE idempotency_key = ?",
                                          arguments: [key]) {
                return .existing(Self.record(row))
            }
            if pending >= request.maxPending { return .queueFull(pending: pending) }
            try db.execute(sql: """
                INSERT INTO jobs (id, model_type, status, created_at, request, attempts, idempotency_key, callback_url)
                VALUES (?, ?, 'pending', ?, ?, 0, ?, ?)
                """, arguments: [job.id, job.modelType, job.createdAt, Data(job.request), job.idempotencyKey,
                                 job.callbackURL])
            pending += 1
            return .created(job)
        }
    }

    public func job(_ id: String) async throws -> JobRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM jobs WHERE id = ?", arguments: [id]).map(Self.record)
        }
    }

    public func list(status: JobStatus?, modelType: String?, limit: Int, offset: Int) async throws -> JobPage {
        try await pool.read { db in
            let filter = "WHERE (? IS NULL OR status = ?) AND (? IS NULL OR model_type = ?)"
            let args: StatementArguments = [status?.rawValue, status?.rawValue, modelType, modelType]
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs \(filter)", arguments: args) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, model_type, status, created_at, started_at, completed_at, processing_time, X'' AS request,
                       NULL AS result, error, attempts, idempotency_key, callback_url, cancel_requested, lease_owner,
                       lease_token, lease_expires_at
                FROM jobs \(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?
                """, arguments: args + [limit, offset])
            return JobPage(jobs: rows.map(Self.record), total: total)
        }
    }

    public func claim(owner: String, policy: ClaimPolicy, now: Double) async throws -> JobLease? {
        try await immediate { db in
            try db.execute(sql: """
                UPDATE jobs SET status = 'failed', error = ?, completed_at = ?, lease_token = NULL
                WHERE status = 'running' AND lease_expires_at < ? AND attempts >= ?
                """, arguments: [JobErrors.abandoned(attempts: policy.maxAttempts), now, now, policy.maxAttempts])
            // The oldest pending job and the oldest running one whose lease expired, each one step
            // down the (status, created_at) index, and the older of the two. (One query with
            // `status = 'pending' OR ...` sorted every pending row on each claim: with 50,000
            // queued, claims slowed the drain to 88 jobs/s.)
            let filters: [(sql: String, arguments: StatementArguments)] = [
                ("status = 'pending'", []), ("status = 'running' AND lease_expires_at < ?", [now]),
            ]
            let candidates = try filters.compactMap { filter in
                try Row.fetchOne(db, sql: """
                    SELECT id, model_type, request, attempts, callback_url, created_at FROM jobs
                    WHERE \(filter.sql) ORDER BY created_at, id LIMIT 1
                    """, arguments: filter.arguments)
            }
            guard let row = candidates.min(by: { a, b in
                (a["created_at"] as Double, a["id"] as String) < (b["created_at"] as Double, b["id"] as String)
            }) else { return nil }
            let token = UUID().uuidString
            let id: String = row["id"], attempts: Int = row["attempts"]
            try db.execute(sql: """
                UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ?, lease_owner = ?,
                                lease_token = ?, lease_expires_at = ?
                WHERE id = ?
                """, arguments: [now, owner, token, now + policy.leaseSeconds, id])
            return JobLease(jobID: id, modelType: row["model_type"], request: [UInt8]((row["request"] as Data?) ?? Data()),
                            owner: owner, token: token, attempt: attempts + 1, callbackURL: row["callback_url"])
        }
    }

    public func heartbeat(_ lease: JobLease, leaseSeconds: Double, now: Double) async throws -> LeaseState {
        try await immediate { db in
            try db.execute(sql: "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_token = ? AND status = 'running'",
                           arguments: [now + leaseSeconds, lease.jobID, lease.token])
            guard db.changesCount == 1 else { return .lost }
            let cancel = try Bool.fetchOne(db, sql: "SELECT cancel_requested FROM jobs WHERE id = ?",
                                           arguments: [lease.jobID]) ?? false
            return cancel ? .cancelRequested : .held
        }
    }

    private func finish(_ lease: JobLease, status: JobStatus, now: Double, extra: String = "",
                        arguments: StatementArguments = []) async throws -> Bool {
        try await immediate { db in
            try db.execute(sql: """
                UPDATE jobs SET status = ?, completed_at = ?, lease_token = NULL, lease_expires_at = NULL\(extra)
                WHERE id = ? AND lease_token = ? AND status = 'running'
                """, arguments: [status.rawValue, now] + arguments + [lease.jobID, lease.token])
            return db.changesCount == 1
        }
    }

    public func complete(_ lease: JobLease, result: [UInt8], processingTime: Double, now: Double) async throws -> Bool {
        try await finish(lease, status: .completed, now: now, extra: ", result = ?, processing_time = ?",
                         arguments: [Data(result), processingTime])
    }

    public func fail(_ lease: JobLease, error: String, retry: Bool, now: Double) async throws -> Bool {
        if !retry { return try await finish(lease, status: .failed, now: now, extra: ", error = ?", arguments: [error]) }
        return try await immediate { db in
            try db.execute(sql: """
                UPDATE jobs SET status = 'pending', error = ?, lease_token = NULL, lease_expires_at = NULL
                WHERE id = ? AND lease_token = ? AND status = 'running'
                """, arguments: [error, lease.jobID, lease.token])
            return db.changesCount == 1
        }
    }

    public func markCancelled(_ lease: JobLease, now: Double) async throws -> Bool {
        try await finish(lease, status: .cancelled, now: now)
    }

    public func release(_ lease: JobLease) async throws {
        try await immediate { db in
            try db.execute(sql: """
                UPDATE jobs SET status = 'pending', attempts = attempts - 1, lease_token = NULL, lease_expires_at = NULL
                WHERE id = ? AND lease_token = ? AND status = 'running'
                """, arguments: [lease.jobID, lease.token])
        }
    }

    public func cancel(_ id: String, now: Double) async throws -> (found: Bool, job: JobRecord?) {
        try await immediate { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT status FROM jobs WHERE id = ?", arguments: [id]) else {
                return (false, nil)
            }
            switch JobStatus(rawValue: row["status"]) ?? .failed {
            case .pending:
                try db.execute(sql: "UPDATE jobs SET status = 'cancelled', completed_at = ? WHERE id = ?", arguments: [now, id])
            case .running:
                try db.execute(sql: "UPDATE jobs SET cancel_requested = 1 WHERE id = ?", arguments: [id])
            case .completed, .failed, .cancelled:
                try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [id])
                return (true, nil)
            }
            return (true, try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM jobs WHERE id = ?", arguments: [id]).map(Self.record))
        }
    }

    public func deleteFinished(before: Double) async throws -> Int {
        try await immediate { db in
            try db.execute(sql: """
                DELETE FROM jobs WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at < ?
                """, arguments: [before])
            return db.changesCount
        }
    }

    public func counts() async throws -> [JobStatus: Int] {
        try await pool.read { db in
            var out: [JobStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status") {
                if let s = JobStatus(rawValue: row["status"]) { out[s] = row["n"] }
            }
            return out
        }
    }
}

extension SQLiteJobStore {
    /// SQLite's errors that pass (another writer's lock, an I/O error, a full disk, a read-only
    /// file) as the store's passing fault: the API answers 503 with Retry-After (a full disk 507),
    /// and the transaction was rolled back, so nothing half-written stays.
    public func unavailability(of error: any Error, operation: String) -> JobStoreUnavailable? {
        Self.classify(error, operation: operation)
    }

    static func classify(_ error: any Error, operation: String) -> JobStoreUnavailable? {
        if let fault = error as? JobStoreUnavailable { return fault }
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .busy(operation)
        case .SQLITE_FULL: return .full(operation)
        case .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_PROTOCOL, .SQLITE_NOLFS: return .io(operation)
        case .SQLITE_READONLY: return .readOnly(operation)
        default: return nil
        }
    }
}
