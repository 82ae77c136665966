import Foundation
import Logging
import ServiceLifecycle

/// Settings of the workers.
public struct JobWorkerConfiguration: Sendable {
    public var workers: Int
    public var leaseSeconds: Double
    public var heartbeatSeconds: Double
    public var pollSeconds: Double
    public var maxAttempts: Int
    public var retentionSeconds: Double
    public var cleanupSeconds: Double

    public init(workers: Int = 2, leaseSeconds: Double = 30, heartbeatSeconds: Double = 10, pollSeconds: Double = 0.2,
                maxAttempts: Int = 3, retentionSeconds: Double = 3600, cleanupSeconds: Double = 60) {
        self.workers = workers
        self.leaseSeconds = leaseSeconds
        self.heartbeatSeconds = heartbeatSeconds
        self.pollSeconds = pollSeconds
        self.maxAttempts = maxAttempts
        self.retentionSeconds = retentionSeconds
        self.cleanupSeconds = cleanupSeconds
    }
}

/// `JOB_WORKERS` workers that claim jobs under leases, renew them while running and record the
/// outcome; plus the retention cleanup. On graceful shutdown the workers stop claiming and finish
/// the jobs they hold (the engine, shut down after them, keeps running until they are done).
public struct JobWorkerPool: Service {
    let store: any JobStore
    let executor: any JobExecuting
    let callbacks: (any JobCallbackSending)?
    let configuration: JobWorkerConfiguration
    let metrics: JobMetrics
    let logger: Logger
    /// Distinguishes this process's workers in lease owners.
    let instance = String(UUID().uuidString.prefix(8))

    public init(store: any JobStore, executor: any JobExecuting, callbacks: (any JobCallbackSending)?,
                configuration: JobWorkerConfiguration, metrics: JobMetrics, logger: Logger) {
        self.store = store
        self.executor = executor
        self.callbacks = callbacks
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    public func run() async throws {
        // The schema first; a database server may still be starting: retry for a while.
        var tries = 0
        while true {
            do {
                try await store.migrate()
                break
            } catch {
                tries += 1
                if tries >= 30 || Task.isShuttingDownGracefully { throw error }
                logger.warning("job store not ready; retrying", metadata: ["error": "\(error)"])
                await pause(1)
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<configuration.workers {
                group.addTask { await self.work(owner: "\(self.instance)-\(index)") }
            }
            group.addTask { await self.cleanUp() }
        }
    }

    /// Sleeps in short steps so a graceful shutdown is noticed quickly.
    private func pause(_ seconds: Double) async {
        var left = seconds
        while left > 0 && !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(Int(min(left, 0.2) * 1000)))
            left -= 0.2
        }
    }

    private func work(owner: String) async {
        let policy = ClaimPolicy(leaseSeconds: configuration.leaseSeconds, maxAttempts: configuration.maxAttempts)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let lease: JobLease?
            do {
                lease = try await store.claim(owner: owner, policy: policy, now: Self.now())
            } catch {
                // An unavailable store is logged once by the store's guard, not every second here.
                if error is JobStoreUnavailable {
                    logger.debug("job claim failed", metadata: ["error": "\(error)"])
                } else {
                    logger.error("job claim failed", metadata: ["error": "\(error)"])
                }
                await pause(1)
                continue
            }
            guard let lease else {
                await pause(configuration.pollSeconds)
                continue
            }
            await process(lease)
        }
    }

    /// What the heartbeat saw while the job ran.
    actor LeaseWatch {
        var state = LeaseState.held
        func update(_ s: LeaseState) { if state != .lost { state = s } }
    }

    func process(_ lease: JobLease) async {
        let start = ContinuousClock.now
        let watch = LeaseWatch()
        let execution = Task { () throws -> [UInt8] in
            try await executor.execute(modelType: lease.modelType, request: lease.request)
        }
        // Renews the lease; a cancel request or a lost lease cancels the execution (the wait for
        // inference ends at once, and a result that still arrives is discarded below).
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(configuration.heartbeatSeconds * 1000)))
                if Task.isCancelled { break }
                let state = (try? await store.heartbeat(lease, leaseSeconds: configuration.leaseSeconds, now: Self.now()))
                    ?? .held
                await watch.update(state)
                if state != .held {
                    execution.cancel()
                    break
                }
            }
        }
        // Past the shutdown grace period the service is cancelled: the execution stops with it.
        let outcome: Result<[UInt8], any Error> = await withTaskCancellationHandler {
            await execution.result
        } onCancel: {
            execution.cancel()
        }
        heartbeat.cancel()
        let seconds = (ContinuousClock.now - start).seconds
        let metadata: Logger.Metadata = ["job_id": "\(lease.jobID)", "attempt": "\(lease.attempt)"]
        if Task.isCancelled, case .failure = outcome {
            // The job goes back to pending (its attempt not counted) for another replica, or this
            // one after a restart; outside this cancelled task, within the store's deadline.
            let store = self.store
            let released = await Task { () -> Bool in (try? await store.release(lease)) != nil }.value
            logger.notice(released ? "job released at shutdown; it runs again on a replica"
                                   : "job could not be released at shutdown; it runs again once its lease expires",
                          metadata: metadata)
            return
        }
        // Recorded outside this task: a result that arrived is kept even if a shutdown cancels the
        // pool meanwhile.
        await Task { await record(lease, outcome: outcome, watch: watch, seconds: seconds, metadata: metadata) }.value
    }

    /// Writes a run's outcome to the store: completed, failed (or back to pending for a retry),
    /// cancelled, or nothing when the lease was lost.
    private func record(_ lease: JobLease, outcome: Result<[UInt8], any Error>, watch: LeaseWatch, seconds: Double,
                        metadata: Logger.Metadata) async {
        await persisting(metadata) {
            // The final word on cancellation and lease comes from the store, not the last beat.
            let state = try await store.heartbeat(lease, leaseSeconds: configuration.leaseSeconds, now: Self.now())
            await watch.update(state)
            switch (await watch.state, outcome) {
            case (.lost, _):
                logger.warning("job lease lost; its result is discarded", metadata: metadata)
                await metrics.record(nil, lost: true, seconds: seconds)
            case (.cancelRequested, _):
                _ = try await store.markCancelled(lease, now: Self.now())
                await metrics.record(.cancelled, seconds: seconds)
                logger.info("job cancelled", metadata: metadata)
            case (.held, .success(let result)):
                if try await store.complete(lease, result: result, processingTime: seconds, now: Self.now()) {
                    await metrics.record(.completed, seconds: seconds)
                    logger.info("job completed", metadata: metadata.merging(["seconds": "\(seconds)"]) { a, _ in a })
                    if let url = lease.callbackURL, let callbacks, let job = try? await store.job(lease.jobID) {
                        await callbacks.send(job, to: url)
                    }
                }
            case (.held, .failure(let error)):
                let retry = executor.isTransient(error) && lease.attempt < configuration.maxAttempts
                let text = executor.describe(error)
                if try await store.fail(lease, error: text, retry: retry, now: Self.now()) {
                    await metrics.record(retry ? nil : .failed, retried: retry, seconds: seconds)
                    logger.info(retry ? "job failed; will retry" : "job failed",
                                metadata: metadata.merging(["error": "\(error)"]) { a, _ in a })
                    if !retry, let url = lease.callbackURL, let callbacks, let job = try? await store.job(lease.jobID) {
                        await callbacks.send(job, to: url)
                    }
                }
            }
        }
    }

    /// Runs `record` (a job's outcome written to the store), again after a pause while the store is
    /// unavailable and the lease has time left: a short database outage does not cost a finished
    /// job its result. Past that the lease expires and the job runs again.
    private func persisting(_ metadata: Logger.Metadata, _ record: () async throws -> Void) async {
        let deadline = ContinuousClock.now + .milliseconds(Int(configuration.leaseSeconds * 1000))
        var delay = Duration.milliseconds(250)
        while true {
            do {
                try await record()
                return
            } catch is JobStoreUnavailable where ContinuousClock.now + delay < deadline && !Task.isCancelled {
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(4))
            } catch {
                logger.error("recording the job's outcome failed; its lease will expire and it will run again",
                             metadata: metadata.merging(["error": "\(error)"]) { a, _ in a })
                return
            }
        }
    }

    private func cleanUp() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let removed = try await store.deleteFinished(before: Self.now() - configuration.retentionSeconds)
                if removed > 0 { logger.info("removed finished jobs past retention", metadata: ["count": "\(removed)"]) }
            } catch {
                logger.error("job retention cleanup failed", metadata: ["error": "\(error)"])
            }
            await pause(configuration.cleanupSeconds)
        }
    }
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
