/// The job store could not do what was asked, for a reason that passes: the database is down,
/// restarting, refusing connections, read-only, busy, out of disk, or it did not answer within
/// the store's deadline. Clients get a 503 with `Retry-After` (a full disk: 507) and may retry;
/// with the same `Idempotency-Key` a retried submit returns the job if the first one was stored.
/// The message is safe to show: it names the kind of fault, never a library's text.
public struct JobStoreUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: String, Sendable, Equatable {
        case unreachable, terminated, timedOut, readOnly, tooManyConnections, busy, io, full
    }

    private let code: Code
    /// What the store was doing (`submit`, `claim`, ...).
    public let operation: String

    private init(_ code: Code, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The database cannot be reached (connection refused, reset, closed, DNS).
    public static func unreachable(_ operation: String) -> Self { .init(.unreachable, operation: operation) }
    /// The database ended the connection (shutdown, restart, administrator command).
    public static func terminated(_ operation: String) -> Self { .init(.terminated, operation: operation) }
    /// The call did not finish within the store's deadline.
    public static func timedOut(_ operation: String) -> Self { .init(.timedOut, operation: operation) }
    /// The database accepts reads only (a replica, recovery, a read-only file).
    public static func readOnly(_ operation: String) -> Self { .init(.readOnly, operation: operation) }
    /// The database refuses more connections.
    public static func tooManyConnections(_ operation: String) -> Self { .init(.tooManyConnections, operation: operation) }
    /// The database is locked by another writer for longer than its busy timeout.
    public static func busy(_ operation: String) -> Self { .init(.busy, operation: operation) }
    /// The database's file could not be read or written (an I/O error).
    public static func io(_ operation: String) -> Self { .init(.io, operation: operation) }
    /// The disk holding the database is full.
    public static func full(_ operation: String) -> Self { .init(.full, operation: operation) }

    /// The kind of fault, for metrics and logs: `unreachable`, `terminated`, `timed_out`, ...
    public var kind: String {
        switch code {
        case .timedOut: "timed_out"
        case .readOnly: "read_only"
        case .tooManyConnections: "too_many_connections"
        default: code.rawValue
        }
    }

    /// Whether the disk holding the store is full (HTTP 507 rather than 503).
    public var isStorageFull: Bool { code == .full }

    /// Whether a write may have been stored although the caller was not told so (a timeout or a
    /// connection lost mid-transaction): a retry should carry the same `Idempotency-Key`.
    public var outcomeUnknown: Bool { code == .timedOut || code == .terminated || code == .unreachable }

    /// Seconds a client should wait before retrying.
    public var retryAfterSeconds: Int {
        switch code {
        case .busy, .tooManyConnections: 1
        case .full: 30
        default: 2
        }
    }

    public var description: String {
        let unknown = outcomeUnknown && operation == "submit"
            ? "; the job may have been stored: retry with the same Idempotency-Key to get it back, not a second one" : ""
        return "\(summary)\(unknown); try again later"
    }

    /// What happened and to which call, without advice: `the job database closed the connection (…) (claim)`.
    public var summary: String {
        let what: String
        switch code {
        case .unreachable: what = "the job database cannot be reached"
        case .terminated: what = "the job database closed the connection (it is restarting or shutting down)"
        case .timedOut: what = "the job database did not answer in time"
        case .readOnly: what = "the job database is read-only"
        case .tooManyConnections: what = "the job database refuses more connections"
        case .busy: what = "the job database is busy"
        case .io: what = "the job database's file cannot be read or written"
        case .full: what = "the disk holding the job database is full"
        }
        return "\(what) (\(operation))"
    }
}
