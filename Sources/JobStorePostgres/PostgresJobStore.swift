import Foundation
import JobQueue
import Logging
import NIOCore
import PostgresNIO

/// Jobs in PostgreSQL (postgres-nio), for several replicas sharing one queue: workers claim with
/// `FOR UPDATE SKIP LOCKED`, so two processes never take the same job. Every value is a bound
/// parameter. The client's connection pool runs as a service (`client.run()`) beside the server.
public final class PostgresJobStore: JobStore {
    public let client: PostgresClient
    let logger: Logger

    /// Submits are group-committed (one transaction per batch of waiting submits): otherwise a
    /// flood's submits, each holding a pooled connection while it waits for the submit lock, take
    /// every connection and the workers' claims and completions wait behind them.
    private let submits: GroupCommitter<SubmitRequest, SubmitOutcome>

    /// `timeout`: the longest one batch of submits may take before its submitters are answered
    /// with a retryable error and the next batch starts.
    public init(client: PostgresClient, logger: Logger, timeout: Duration = .seconds(10)) {
        self.client = client
        self.logger = logger
        submits = GroupCommitter(timeout: timeout) { requests in
            try await Self.submitBatch(requests, client: client, logger: logger)
        }
    }

    /// `postgres://user:password@host:port/database` (also `postgresql://`); `?sslmode=disable` or
    /// none for plain TCP, anything else requires TLS.
    public static func configuration(url: String) throws -> PostgresClient.Configuration {
        guard let c = URLComponents(string: url), ["postgres", "postgresql"].contains(c.scheme ?? ""),
              let host = c.host, !host.isEmpty else {
            throw JobStoreError("JOBS_DATABASE_URL must look like postgres://user:password@host:5432/database")
        }
        let database = String(c.path.dropFirst())
        let sslmode = c.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        var configuration = PostgresClient.Configuration(
            host: host, port: c.port ?? 5432, username: c.user ?? "postgres", password: c.password,
            database: database.isEmpty ? nil : database, tls: sslmode == "disable" ? .disable : .require(.makeClientConfiguration()))
        configuration.options.minimumConnections = 0
        configuration.options.maximumConnections = 8
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    public func migrate() async throws {
        try await client.query("""
            CREATE TABLE IF NOT EXISTS jobs (
                id TEXT PRIMARY KEY,
                model_type TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                started_at DOUBLE PRECISION,
                completed_at DOUBLE PRECISION,
                processing_time DOUBLE PRECISION,
                request BYTEA NOT NULL,
                result BYTEA,
                error TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                idempotency_key TEXT UNIQUE,
                callback_url TEXT,
                cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
                lease_owner TEXT,
                lease_token TEXT,
                lease_expires_at DOUBLE PRECISION
            )
            """, logger: logger)
        try await client.query("CREATE INDEX IF NOT EXISTS jobs_status_created ON jobs (status, created_at)", logger: logger)
        try await client.query("CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at)", logger: logger)
    }

    static let columns = """
        id, model_type, status, created_at, started_at, completed_at, processing_time, request, result, error,
        attempts, idempotency_key, callback_url, cancel_requested, lease_owner, lease_token, lease_expires_at
        """

    static func record(_ row: PostgresRow) throws -> JobRecord {
        let r = row.makeRandomAccess()
        func bytes(_ name: String) throws -> [UInt8]? {
            try r[name].decode(ByteBuffer?.self).map { Array($0.readableBytesView) }
        }
        return JobRecord(
            id: try r["id"].decode(String.self), modelType: try r["model_type"].decode(String.self),
            status: JobStatus(rawValue: try r["status"].decode(String.self)) ?? .failed,
            createdAt: try r["created_at"].decode(Double.self), startedAt: try r["started_at"].decode(Double?.self),
            completedAt: try r["completed_at"].decode(Double?.self),
            processingTime: try r["processing_time"].decode(Double?.self), request: try bytes("request") ?? [],
            result: try bytes("result"), error: try r["error"].decode(String?.self),
            attempts: try r["attempts"].decode(Int.self), idempotencyKey: try r["idempotency_key"].decode(String?.self),
            callbackURL: try r["callback_url"].decode(String?.self),
            cancelRequested: try r["cancel_requested"].decode(Bool.self),
            leaseOwner: try r["lease_owner"].decode(String?.self), leaseToken: try r["lease_token"].decode(String?.self),
            leaseExpiresAt: try r["lease_expires_at"].decode(Double?.self))
    }

    private func records(_ query: PostgresQuery) async throws -> [JobRecord] {
        try await Self.records(client, logger, query)
    }

    private static func records(_ client: PostgresClient, _ logger: Logger, _ query: PostgresQuery) async throws -> [JobRecord] {
        var out: [JobRecord] = []
        for try await row in try await client.query(query, logger: logger) { out.append(try Self.record(row)) }
        return out
    }

    private func count(_ query: PostgresQuery) async throws -> Int {
        for try await (n) in try await client.query(query, logger: logger).decode(Int.self) { return n }
        return 0
    }

    public func submit(_ job: JobRecord, maxPending: Int) async throws -> SubmitOutcome {
        try await submits.submit(SubmitRequest(job: job, maxPending: maxPending))
    }

    /// One transaction for a batch: a transaction-scoped advisory lock serialises batches (of this
    /// and every other replica), so the pending count each insert is checked against includes every
    /// earlier submit (a hard limit), and each idempotency key is looked up and inserted with no
    /// other submit in between. Each submit is decided as if alone, in order.
    private static func submitBatch(_ requests: [SubmitRequest], client: PostgresClient,
                                    logger: Logger) async throws -> [SubmitOutcome] {
        enum Decision: Sendable { case existing(String), created, full(Int) }
        let decisions: [Decision] = try await transaction(client, logger) { connection in
            try await connection.checkedQuery("SELECT pg_advisory_xact_lock(\(Self.submitLock))", logger: logger)
            var pending = 0
            for try await n in try await connection.checkedQuery(
                "SELECT COUNT(*)::BIGINT FROM jobs WHERE status = 'pending'", logger: logger).decode(Int.self) { pending = n }
            var decisions: [Decision] = []
            var storedKeys: Set<String> = []
            for request in requests {
                let job = request.job
                if let key = job.idempotencyKey {
                    var exists = storedKeys.contains(key)
                    if !exists {
                        for try await _ in try await connection.checkedQuery(
                            "SELECT 1 FROM jobs WHERE idempotency_key = \(key)", logger: logger) { exists = true }
                    }
                    if exists { decisions.append(.existing(key)); continue }
                }
                if pending >= request.maxPending { decisions.append(.full(pending)); continue }
                try await connection.checkedQuery("""
                    INSERT INTO jobs (id, model_type, status, created_at, request, attempts, idempotency_key, callback_url)
                    VALUES (\(job.id), \(job.modelType), 'pending', \(job.createdAt), \(ByteBuffer(bytes: job.request)), 0,
                            \(job.idempotencyKey), \(job.callbackURL))
                    """, logger: logger)
                if let key = job.idempotencyKey { storedKeys.insert(key) }
                pending += 1
                decisions.append(.created)
            }
            return decisions
        }
        var outcomes: [SubmitOutcome] = []
        for (request, decision) in zip(requests, decisions) {
            switch decision {
            case .created: outcomes.append(.created(request.job))
            case .full(let pending): outcomes.append(.queueFull(pending: pending))
            case .existing(let key):
                guard let existing = try await records(client, logger,
                    "SELECT \(unescaped: Self.columns) FROM jobs WHERE idempotency_key = \(key)").first else {
                    throw JobStoreError("the job with idempotency key '\(key.prefix(40))' disappeared while submitting")
                }
                outcomes.append(.existing(existing))
            }
        }
        return outcomes
    }

    /// The advisory-lock key of submits (any fixed 64-bit number the application owns).
    private static let submitLock: Int64 = 0x766D_615F_7375_626D  // "vma_subm"

    public func job(_ id: String) async throws -> JobRecord? {
        try await records("SELECT \(unescaped: Self.columns) FROM jobs WHERE id = \(id)").first
    }

    public func list(status: JobStatus?, modelType: String?, limit: Int, offset: Int) async throws -> JobPage {
        let s = status?.rawValue
        let total = try await count("""
            SELECT COUNT(*)::BIGINT FROM jobs
            WHERE (\(s)::TEXT IS NULL OR status = \(s)) AND (\(modelType)::TEXT IS NULL OR model_type = \(modelType))
            """)
        let jobs = try await records("""
            SELECT id, model_type, status, created_at, started_at, completed_at, processing_time, ''::BYTEA AS request,
                   NULL::BYTEA AS result, error, attempts, idempotency_key, callback_url, cancel_requested, lease_owner,
                   lease_token, lease_expires_at
            FROM jobs
            WHERE (\(s)::TEXT IS NULL OR status = \(s)) AND (\(modelType)::TEXT IS NULL OR model_type = \(modelType))
            ORDER BY created_at DESC, id DESC LIMIT \(limit) OFFSET \(offset)
            """)
        return JobPage(jobs: jobs, total: total)
    }

    public func claim(owner: String, policy: ClaimPolicy, now: Double) async throws -> JobLease? {
        let abandoned = JobErrors.abandoned(attempts: policy.maxAttempts)
        try await client.query("""
            UPDATE jobs SET status = 'failed', error = \(abandoned), completed_at = \(now), lease_token = NULL
            WHERE status = 'running' AND lease_expires_at < \(now) AND attempts >= \(policy.maxAttempts)
            """, logger: logger)
        let token = UUID().uuidString
        let rows = try await client.query("""
            UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = \(now), lease_owner = \(owner),
                            lease_token = \(token), lease_expires_at = \(now + policy.leaseSeconds)
            WHERE id = (
                SELECT id FROM jobs
                WHERE status = 'pending' OR (status = 'running' AND lease_expires_at < \(now))
                ORDER BY created_at, id LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING id, model_type, request, attempts, callback_url
            """, logger: logger)
        for try await row in rows {
            let r = row.makeRandomAccess()
            return JobLease(jobID: try r["id"].decode(String.self), modelType: try r["model_type"].decode(String.self),
                            request: Array(try r["request"].decode(ByteBuffer.self).readableBytesView), owner: owner,
                            token: token, attempt: try r["attempts"].decode(Int.self),
                            callbackURL: try r["callback_url"].decode(String?.self))
        }
        return nil
    }

    /// Runs an UPDATE … RETURNING and counts the rows it changed.
    private func changed(_ query: PostgresQuery) async throws -> Int {
        var n = 0
        for try await _ in try await client.query(query, logger: logger) { n += 1 }
        return n
    }

    public func heartbeat(_ lease: JobLease, leaseSeconds: Double, now: Double) async throws -> LeaseState {
        let rows = try await client.query("""
            UPDATE jobs SET lease_expires_at = \(now + leaseSeconds)
            WHERE id = \(lease.jobID) AND lease_token = \(lease.token) AND status = 'running'
            RETURNING cancel_requested
            """, logger: logger)
        for try await (cancel) in rows.decode(Bool.self) { return cancel ? .cancelRequested : .held }
        return .lost
    }

    public func complete(_ lease: JobLease, result: [UInt8], processingTime: Double, now: Double) async throws -> Bool {
        try await changed("""
            UPDATE jobs SET status = 'completed', completed_at = \(now), result = \(ByteBuffer(bytes: result)),
                            processing_time = \(processingTime), lease_token = NULL, lease_expires_at = NULL
            WHERE id = \(lease.jobID) AND lease_token = \(lease.token) AND status = 'running' RETURNING 1
            """) == 1
    }

    public func fail(_ lease: JobLease, error: String, retry: Bool, now: Double) async throws -> Bool {
        if retry {
            return try await changed("""
                UPDATE jobs SET status = 'pending', error = \(error), lease_token = NULL, lease_expires_at = NULL
                WHERE id = \(lease.jobID) AND lease_token = \(lease.token) AND status = 'running' RETURNING 1
                """) == 1
        }
        return try await changed("""
            UPDATE jobs SET status = 'failed', error = \(error), completed_at = \(now), lease_token = NULL,
                            lease_expires_at = NULL
            WHERE id = \(lease.jobID) AND lease_token = \(lease.token) AND status = 'running' RETURNING 1
            """) == 1
    }

    public func markCancelled(_ lease: JobLease, now: Double) async throws -> Bool {
        try await changed("""
            UPDATE jobs SET status = 'cancelled', completed_at = \(now), lease_token = NULL, lease_expires_at = NULL
            WHERE id = \(lease.jobID) AND lease_token = \(lease.token) AND status = 'running' RETURNING 1
            """) == 1
    }

    public func release(_ lease: JobLease) async throws {
        _ = try await changed("""
            UPDATE jobs SET status = 'pending', attempts = attempts - 1, lease_token = NULL, lease_expires_at = NULL
            WHERE id = \(lease.jobID) AND lease_token = \(lease.token) AND status = 'running' RETURNING 1
            """)
    }

    /// One statement: the row is locked and its status read once; a pending job is cancelled, a
    /// running one asked to stop, a finished one deleted — never a job that changed state between
    /// two statements (the old third step could delete a job just put back to pending).
    public func cancel(_ id: String, now: Double) async throws -> (found: Bool, job: JobRecord?) {
        var outcome: String?
        for try await (value) in try await client.query("""
            WITH target AS (SELECT id, status FROM jobs WHERE id = \(id) FOR UPDATE),
            cancelled AS (
                UPDATE jobs SET status = 'cancelled', completed_at = \(now) FROM target
                WHERE jobs.id = target.id AND target.status = 'pending' RETURNING 'cancelled'::TEXT AS outcome),
            requested AS (
                UPDATE jobs SET cancel_requested = TRUE FROM target
                WHERE jobs.id = target.id AND target.status = 'running' RETURNING 'requested'::TEXT AS outcome),
            deleted AS (
                DELETE FROM jobs USING target
                WHERE jobs.id = target.id AND target.status IN ('completed', 'failed', 'cancelled')
                RETURNING 'deleted'::TEXT AS outcome)
            SELECT outcome FROM cancelled UNION ALL SELECT outcome FROM requested UNION ALL SELECT outcome FROM deleted
            """, logger: logger).decode(String.self) {
            outcome = value
        }
        switch outcome {
        case "cancelled", "requested": return (true, try await job(id))
        case "deleted": return (true, nil)
        default: return (false, nil)
        }
    }

    public func deleteFinished(before: Double) async throws -> Int {
        try await changed("""
            DELETE FROM jobs WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at < \(before) RETURNING 1
            """)
    }

    public func counts() async throws -> [JobStatus: Int] {
        var out: [JobStatus: Int] = [:]
        let rows = try await client.query("SELECT status, COUNT(*)::BIGINT FROM jobs GROUP BY status", logger: logger)
        for try await (status, n) in rows.decode((String, Int).self) {
            if let s = JobStatus(rawValue: status) { out[s] = n }
        }
        return out
    }
}

extension PostgresJobStore {
    /// `BEGIN`, `body`, `COMMIT` on one pooled connection. Unlike postgres-nio's own
    /// `withTransaction`, it sends no `ROLLBACK` on a connection the server has closed (the server
    /// rolled the transaction back as it closed it): postgres-nio 1.33 writes a query to a closed
    /// connection and then never answers it, so a submit batch that failed as PostgreSQL shut down
    /// waited forever on its `ROLLBACK`, and every submit after it behind that batch.
    static func transaction<T: Sendable>(_ client: PostgresClient, _ logger: Logger,
                                         _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await connection.checkedQuery("BEGIN", logger: logger)
            let value: T
            do {
                value = try await body(connection)
            } catch {
                if !connection.isClosed { _ = try? await connection.checkedQuery("ROLLBACK", logger: logger) }
                throw error
            }
            try await connection.checkedQuery("COMMIT", logger: logger)
            return value
        }
    }

    /// PostgreSQL's and postgres-nio's errors that mean the database is down, restarting, refusing,
    /// read-only or full, as the store's passing fault (the API answers 503 with Retry-After).
    public func unavailability(of error: any Error, operation: String) -> JobStoreUnavailable? {
        Self.classify(error, operation: operation)
    }

    static func classify(_ error: any Error, operation: String) -> JobStoreUnavailable? {
        switch error {
        case let fault as JobStoreUnavailable:
            return fault
        case let transaction as PostgresTransactionError:
            return (transaction.beginError ?? transaction.closureError ?? transaction.commitError)
                .flatMap { classify($0, operation: operation) }
        case let psql as PSQLError:
            switch psql.code {
            case .server:
                return classify(sqlState: psql.serverInfo?[.sqlState] ?? "", operation: operation)
            case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
                return .terminated(operation)
            case .connectionError, .poolClosed:
                return .unreachable(operation)
            case .queryCancelled:
                return .timedOut(operation)
            default:
                return nil
            }
        case is IOError, is ChannelError:
            return .unreachable(operation)
        default:
            return nil
        }
    }

    /// SQLSTATE classes of passing faults (PostgreSQL's appendix A).
    public static func classify(sqlState: String, operation: String) -> JobStoreUnavailable? {
        switch sqlState {
        case "57P01", "57P02": return .terminated(operation)  // admin_shutdown, crash_shutdown
        case "57P03": return .unreachable(operation)  // cannot_connect_now (starting up, recovering)
        case "53300": return .tooManyConnections(operation)
        case "53100": return .full(operation)  // disk_full
        case "25006": return .readOnly(operation)  // read_only_sql_transaction (a standby)
        case "40001", "40P01", "55P03": return .busy(operation)  // serialization, deadlock, lock not available
        case "57014": return .timedOut(operation)  // query_canceled (statement_timeout)
        case let s where s.hasPrefix("08"): return .unreachable(operation)  // connection exceptions
        case let s where s.hasPrefix("58"): return .io(operation)  // system errors (I/O)
        default: return nil
        }
    }
}

extension PostgresConnection {
    /// `query`, refused at once on a connection already closed (postgres-nio would write it to the
    /// closed channel and never answer).
    @discardableResult
    func checkedQuery(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        if isClosed { throw JobStoreUnavailable.terminated("submit") }
        return try await self.query(query, logger: logger)
    }
}

/// A store configuration error.
public struct JobStoreError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
