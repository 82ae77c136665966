import Foundation

/// Where a job is in its life.
public enum JobStatus: String, Sendable, CaseIterable, Codable {
    case pending, running, completed, failed, cancelled

    /// Completed, failed and cancelled jobs are finished: kept for the retention time, then removed.
    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// A job as stored. Times are seconds since 1970.
public struct JobRecord: Sendable, Equatable {
    public var id: String
    public var modelType: String
    public var status: JobStatus
    public var createdAt: Double
    public var startedAt: Double?
    public var completedAt: Double?
    public var processingTime: Double?
    /// The inference request as JSON, images inlined as bytes.
    public var request: [UInt8]
    /// The response JSON of a completed job.
    public var result: [UInt8]?
    public var error: String?
    /// Times a worker has taken the job.
    public var attempts: Int
    public var idempotencyKey: String?
    public var callbackURL: String?
    public var cancelRequested: Bool
    public var leaseOwner: String?
    public var leaseToken: String?
    public var leaseExpiresAt: Double?

    public init(id: String, modelType: String, status: JobStatus = .pending, createdAt: Double, startedAt: Double? = nil,
                completedAt: Double? = nil, processingTime: Double? = nil, request: [UInt8], result: [UInt8]? = nil,
                error: String? = nil, attempts: Int = 0, idempotencyKey: String? = nil, callbackURL: String? = nil,
                cancelRequested: Bool = false, leaseOwner: String? = nil, leaseToken: String? = nil,
                leaseExpiresAt: Double? = nil) {
        self.id = id
        self.modelType = modelType
        self.status = status
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.processingTime = processingTime
        self.request = request
        self.result = result
        self.error = error
        self.attempts = attempts
        self.idempotencyKey = idempotencyKey
        self.callbackURL = callbackURL
        self.cancelRequested = cancelRequested
        self.leaseOwner = leaseOwner
        self.leaseToken = leaseToken
        self.leaseExpiresAt = leaseExpiresAt
    }
}

/// A job a worker holds: valid while `token` is the job's lease token and the lease has not expired.
public struct JobLease: Sendable, Equatable {
    public let jobID: String
    public let modelType: String
    public let request: [UInt8]
    public let owner: String
    public let token: String
    public let attempt: Int
    public let callbackURL: String?

    public init(jobID: String, modelType: String, request: [UInt8], owner: String, token: String, attempt: Int,
                callbackURL: String?) {
        self.jobID = jobID
        self.modelType = modelType
        self.request = request
        self.owner = owner
        self.token = token
        self.attempt = attempt
        self.callbackURL = callbackURL
    }
}

/// What a submit did.
public enum SubmitOutcome: Sendable, Equatable {
    case created(JobRecord)
    /// A job with the same idempotency key already exists.
    case existing(JobRecord)
    /// `pending` jobs are at the limit.
    case queueFull(pending: Int)
}

/// What a heartbeat found.
public enum LeaseState: Sendable, Equatable {
    case held
    case cancelRequested
    /// The lease expired and another worker took the job, or the job is gone.
    case lost
}

/// One page of jobs without their requests and results.
public struct JobPage: Sendable, Equatable {
    public let jobs: [JobRecord]
    public let total: Int

    public init(jobs: [JobRecord], total: Int) {
        self.jobs = jobs
        self.total = total
    }
}

/// What a claim may also find: jobs whose worker stopped heartbeating `maxAttempts` times.
public struct ClaimPolicy: Sendable {
    public var leaseSeconds: Double
    public var maxAttempts: Int

    public init(leaseSeconds: Double = 30, maxAttempts: Int = 3) {
        self.leaseSeconds = leaseSeconds
        self.maxAttempts = maxAttempts
    }
}

/// Error texts the stores share.
public enum JobErrors {
    public static func abandoned(attempts: Int) -> String {
        "the job's worker stopped (lease expired) \(attempts) times; giving up"
    }
}
