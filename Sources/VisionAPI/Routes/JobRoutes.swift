import Foundation
import HTTPTypes
import Hummingbird
import JobQueue
import NIOCore
import VisionCore
import VisionEngine

/// What the job routes need. Built by the app builder.
public struct JobsDependencies: Sendable {
    public let store: any JobStore
    public let jobs: InferenceJobs
    public let metrics: JobMetrics
    public let maxPending: Int
    /// Checks a `callback_url` against the URL policy at submit time.
    public let checkCallback: @Sendable (String) async throws -> Void
    /// Whether the store answers (`/health/ready`); with `readyRequiresStore` an unavailable store
    /// makes the replica not ready.
    public let health: JobStoreHealth
    public let readyRequiresStore: Bool

    public init(store: any JobStore, jobs: InferenceJobs, metrics: JobMetrics, maxPending: Int,
                health: JobStoreHealth = JobStoreHealth(), readyRequiresStore: Bool = true,
                checkCallback: @escaping @Sendable (String) async throws -> Void) {
        self.store = store
        self.health = health
        self.readyRequiresStore = readyRequiresStore
        self.jobs = jobs
        self.metrics = metrics
        self.maxPending = maxPending
        self.checkCallback = checkCallback
    }
}

/// `/jobs`: submit an inference request to run later, poll it, cancel it, list jobs.
struct JobRoutes {
    let dependencies: JobsDependencies
    let configuration: APIConfiguration

    func register(on router: Router<BasicRequestContext>) {
        let deps = dependencies, limit = configuration.maxBodyBytes, timeout = configuration.bodyTimeout
        router.post("/jobs/submit/:model_type") { request, context in
            let type = try deps.jobs.families.modelType(try context.parameters.require("model_type"))
            let bytes = try await JSONIO.body(of: request, limit: limit, timeout: timeout)
            let callback = ((try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any])?["callback_url"]
            if let callback, !(callback is String) { throw VisionError.invalidRequest("callback_url must be a string") }
            if let url = callback as? String { try await deps.checkCallback(url) }
            let key = request.headers[HTTPField.Name("Idempotency-Key")!]
            if let key, key.count > 200 { throw VisionError.invalidInput("Idempotency-Key is longer than 200 characters") }
            let stored = try await deps.jobs.prepare(modelType: type, body: bytes)
            let job = JobRecord(id: UUID().uuidString.lowercased(), modelType: type.rawValue,
                                createdAt: Date().timeIntervalSince1970, request: stored, idempotencyKey: key,
                                callbackURL: callback as? String)
            switch try await deps.store.submit(job, maxPending: deps.maxPending) {
            case .created(let created): return JSONIO.response(JobJSON.job(created), status: .accepted)
            case .existing(let existing): return JSONIO.response(JobJSON.job(existing))
            case .queueFull(let pending):
                throw VisionError.queueFull("\(pending) jobs are waiting (MAX_PENDING_JOBS); try again later", retryAfter: 5)
            }
        }
        router.get("/jobs/:job_id") { _, context in
            let id = try context.parameters.require("job_id")
            guard let job = try await deps.store.job(id) else { throw VisionError.jobNotFound(id) }
            return JSONIO.response(JobJSON.job(job))
        }
        router.delete("/jobs/:job_id") { _, context in
            let id = try context.parameters.require("job_id")
            let (found, job) = try await deps.store.cancel(id, now: Date().timeIntervalSince1970)
            guard found else { throw VisionError.jobNotFound(id) }
            guard let job else { return JSONIO.response(JobJSON.deleted.json(id)) }
            return JSONIO.response(JobJSON.job(job, includeResult: false))
        }
        router.get("/jobs") { request, _ in
            let query = request.uri.queryParameters
            let status = try query.get("status").map { name in
                guard let s = JobStatus(rawValue: String(name)) else {
                    throw VisionError.invalidInput("unknown status '\(name.prefix(20))'; one of "
                                                   + JobStatus.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return s
            }
            let type = try query.get("model_type").map { try deps.jobs.families.modelType(String($0)).rawValue }
            let limit = try JobListQuery.integer(query.get("limit"), name: "limit", default: 50,
                                                 range: 1...JobListQuery.maxLimit)
            let offset = try JobListQuery.integer(query.get("offset"), name: "offset", default: 0,
                                                  range: 0...JobListQuery.maxOffset)
            let page = try await deps.store.list(status: status, modelType: type, limit: limit, offset: offset)
            let answer = JobJSON.Page(jobs: page.jobs, total: page.total, limit: limit, offset: offset)
            return JSONIO.response(JobJSON.listWithoutResults.json(answer, capacity: 256 + page.jobs.count * 256))
        }
    }
}

/// The bounds of `GET /jobs`' paging parameters, as the document declares them.
enum JobListQuery {
    static let maxLimit = 500
    static let maxOffset = Int(Int32.max)

    /// A query integer: absent is `fallback`; not an integer, or outside `range`, is a 400 (query
    /// parameters are validated like bodies).
    static func integer(_ text: String?, name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw VisionError.invalidInput("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), "
                                           + "got '\(text.prefix(20))'")
        }
        return value
    }
}
