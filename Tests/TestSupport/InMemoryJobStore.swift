import Foundation
import JobQueue

/// The in-memory twin of the durable stores, for unit tests: the same semantics, nothing kept.
public actor InMemoryJobStore: JobStore {
    private var jobs: [String: JobRecord] = [:]

    public init() {}

    public func migrate() async throws {}

    public func submit(_ job: JobRecord, maxPending: Int) async throws -> SubmitOutcome {
        if let key = job.idempotencyKey, let existing = jobs.values.first(where: { $0.idempotencyKey == key }) {
            return .existing(existing)
        }
        let pending = jobs.values.filter { $0.status == .pending }.count
        if pending >= maxPending { return .queueFull(pending: pending) }
        jobs[job.id] = job
        return .created(job)
    }

    public func job(_ id: String) async throws -> JobRecord? { jobs[id] }

    public func list(status: JobStatus?, modelType: String?, limit: Int, offset: Int) async throws -> JobPage {
        let matching = jobs.values
            .filter { (status == nil || $0.status == status) && (modelType == nil || $0.modelType == modelType) }
            .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        let page = matching.dropFirst(offset).prefix(limit).map { job -> JobRecord in
            var summary = job
            summary.request = []
            summary.result = nil
            return summary
        }
        return JobPage(jobs: Array(page), total: matching.count)
    }

    public func claim(owner: String, policy: ClaimPolicy, now: Double) async throws -> JobLease? {
        // Jobs whose worker stopped heartbeating too often fail first.
        for (id, job) in jobs where job.status == .running && (job.leaseExpiresAt ?? .infinity) < now
            && job.attempts >= policy.maxAttempts {
            jobs[id]?.status = .failed
            jobs[id]?.error = JobErrors.abandoned(attempts: job.attempts)
            jobs[id]?.completedAt = now
            jobs[id]?.leaseToken = nil
        }
        let candidates = jobs.values.filter {
            $0.status == .pending || ($0.status == .running && ($0.leaseExpiresAt ?? .infinity) < now)
        }
        guard let next = candidates.min(by: { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }) else { return nil }
        var job = next
        job.status = .running
        job.attempts += 1
        job.startedAt = now
        job.leaseOwner = owner
        job.leaseToken = UUID().uuidString
        job.leaseExpiresAt = now + policy.leaseSeconds
        jobs[job.id] = job
        return JobLease(jobID: job.id, modelType: job.modelType, request: job.request, owner: owner,
                        token: job.leaseToken!, attempt: job.attempts, callbackURL: job.callbackURL)
    }

    private func held(_ lease: JobLease) -> Bool {
        jobs[lease.jobID].map { $0.status == .running && $0.leaseToken == lease.token } ?? false
    }

    public func heartbeat(_ lease: JobLease, leaseSeconds: Double, now: Double) async throws -> LeaseState {
        guard held(lease) else { return .lost }
        jobs[lease.jobID]?.leaseExpiresAt = now + leaseSeconds
        return jobs[lease.jobID]!.cancelRequested ? .cancelRequested : .held
    }

    public func complete(_ lease: JobLease, result: [UInt8], processingTime: Double, now: Double) async throws -> Bool {
        guard held(lease) else { return false }
        finish(lease.jobID, .completed, now: now)
        jobs[lease.jobID]?.result = result
        jobs[lease.jobID]?.processingTime = processingTime
        return true
    }

    public func fail(_ lease: JobLease, error: String, retry: Bool, now: Double) async throws -> Bool {
        guard held(lease) else { return false }
        jobs[lease.jobID]?.error = error
        if retry {
            jobs[lease.jobID]?.status = .pending
            jobs[lease.jobID]?.leaseToken = nil
            jobs[lease.jobID]?.leaseExpiresAt = nil
        } else {
            finish(lease.jobID, .failed, now: now)
        }
        return true
    }

    public func markCancelled(_ lease: JobLease, now: Double) async throws -> Bool {
        guard held(lease) else { return false }
        finish(lease.jobID, .cancelled, now: now)
        return true
    }

    public func release(_ lease: JobLease) async throws {
        guard held(lease) else { return }
        jobs[lease.jobID]?.status = .pending
        jobs[lease.jobID]?.attempts -= 1
        jobs[lease.jobID]?.leaseToken = nil
        jobs[lease.jobID]?.leaseExpiresAt = nil
    }

    private func finish(_ id: String, _ status: JobStatus, now: Double) {
        jobs[id]?.status = status
        jobs[id]?.completedAt = now
        jobs[id]?.leaseToken = nil
        jobs[id]?.leaseExpiresAt = nil
    }

    public func cancel(_ id: String, now: Double) async throws -> (found: Bool, job: JobRecord?) {
        guard let job = jobs[id] else { return (false, nil) }
        switch job.status {
        case .pending:
            finish(id, .cancelled, now: now)
        case .running:
            jobs[id]?.cancelRequested = true
        case .completed, .failed, .cancelled:
            jobs[id] = nil
            return (true, nil)
        }
        return (true, jobs[id])
    }

    public func deleteFinished(before: Double) async throws -> Int {
        let old = jobs.values.filter { $0.status.isFinished && ($0.completedAt ?? 0) < before }.map(\.id)
        for id in old { jobs[id] = nil }
        return old.count
    }

    public func counts() async throws -> [JobStatus: Int] {
        Dictionary(grouping: jobs.values, by: \.status).mapValues(\.count)
    }
}
