import Foundation
import Synchronization
import TestSupport
import Testing

/// The faults production brings, injected for real: PostgreSQL stopped and started under a submit
/// flood, SIGKILL under a mixed flood. Each test counts: every accepted job completes exactly once,
/// every request is answered within a bound.
@Suite(.serialized) struct StoreFaultTests {
    static let model = "tests/dinov3-vit-tiny"

    /// A Debian PostgreSQL server this machine can start (scripts/test.sh installs one).
    static var postgresInstalled: Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .contains { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/pg_ctl") }
    }

    static func body(_ i: Int) throws -> Data {
        let names = ["small_37x53.png", "rgba_50x40.png"]
        let image = try FixtureFiles.data("preprocessing/" + names[i % names.count]).base64EncodedString()
        return try JSONSerialization.data(withJSONObject: ["images": [image], "model_id": model, "tensor_format": "base64"])
    }

    /// What a flood saw: accepted job ids by idempotency key, the slowest answer, every answer that
    /// was neither accepted nor retryable, and when each accepted submit was first tried.
    final class Ledger: Sendable {
        struct State {
            var accepted: [String: String] = [:]
            var firstTried: [String: ContinuousClock.Instant] = [:]
            var slowest: Duration = .zero
            var unanswered = 0
            var refused: [String] = []
            var retryable = 0
            /// Submits whose answer was lost when the server died.
            var unknown: [String] = []
            var syncAnswers = 0
            /// When the flood stops (set once the outages are over).
            var stopAt: ContinuousClock.Instant?
        }
        let state = Mutex(State())
    }

    /// Submits with `key` until the server accepts it, retrying 429/503/507 (after Retry-After,
    /// at most 1 s here) and dropped connections with the same key, as the Python client does.
    static func submit(_ server: ServerProcess, key: String, body: Data, ledger: Ledger, until: ContinuousClock.Instant) async {
        let started = ContinuousClock.now
        while ContinuousClock.now < until {
            let sent = ContinuousClock.now
            do {
                let reply = try await server.request("POST", "/jobs/submit/dinov3", body: body,
                                                     headers: ["Idempotency-Key": key], timeout: 30)
                let took = ContinuousClock.now - sent
                ledger.state.withLock { $0.slowest = max($0.slowest, took) }
                if reply.status == 202 || reply.status == 200, let id = reply.json["job_id"] as? String {
                    ledger.state.withLock { $0.accepted[key] = id; $0.firstTried[key] = started }
                    return
                }
                guard [429, 503, 507].contains(reply.status) else {
                    ledger.state.withLock { $0.refused.append("\(reply.status) \(reply.text.prefix(200))") }
                    return
                }
                #expect(reply.header("Retry-After") != nil, "\(reply.status) without Retry-After")
                #expect(!reply.text.contains("PSQLError") && !reply.text.contains("57P01"), "\(reply.text)")
                ledger.state.withLock { $0.retryable += 1 }
                let wait = min(Double(reply.header("Retry-After") ?? "1") ?? 1, 1)
                try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
            } catch {
                // No answer within 30 s (or the connection dropped): counted, then retried.
                ledger.state.withLock { $0.unanswered += 1; $0.slowest = max($0.slowest, ContinuousClock.now - sent) }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    static let script = FixtureFiles.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/postgres-test-server.sh").path

    /// Runs `bash scripts/postgres-test-server.sh <action> <folder>` and returns its output.
    @discardableResult
    static func postgres(_ action: String, _ folder: String) async throws -> String {
        // Through system(3), not Process: the PostgreSQL server the script starts inherits the
        // descriptors Foundation watches for the child's exit, and Process would wait for it too.
        let output = folder + "/script-\(action).out"
        let command = "bash '\(Self.script)' \(action) '\(folder)' > '\(output)'"
        // On a thread of its own: a blocked cooperative thread would stall the flood beside it.
        let status = await withCheckedContinuation { done in
            Thread.detachNewThread { done.resume(returning: system(command)) }
        }
        guard status == 0 else {
            throw ServerError("postgres-test-server.sh \(action) failed")
        }
        return ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Job ids the server logged as completed (each logged once, after its commit).
    static func completedIDs(_ log: String) -> [String] {
        log.split(separator: "\n").filter { $0.contains("job completed") }.compactMap { line in
            line.range(of: #"job_id=[0-9a-f-]+"#, options: .regularExpression).map { String(line[$0].dropFirst(7)) }
        }
    }

    /// Sends SIGTERM and returns how long the process took to exit (SIGKILL after 30 s).
    static func terminate(_ server: ServerProcess) async throws -> Duration {
        let start = ContinuousClock.now
        kill(server.process.processIdentifier, SIGTERM)
        while server.process.isRunning && ContinuousClock.now - start < .seconds(30) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let took = ContinuousClock.now - start
        if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) }
        return took
    }

    /// PostgreSQL stopped (fast shutdown: sessions get 57P01) twice under a flood of 8 clients
    /// submitting with idempotency keys: every submit is answered within 30 s with 202 or a
    /// retryable 503, a submit is accepted after each outage, every accepted job completes exactly
    /// once, and SIGTERM stops the server within 20 s.
    @Test(.enabled(if: postgresInstalled, "no PostgreSQL server binaries (scripts/test.sh installs Debian's postgresql)"))
    func postgresRestartsUnderASubmitFlood() async throws {
        let folder = try HubCacheBuilder.temporaryFolder("pg-fault")
        let url = try await Self.postgres("start", folder)
        defer { _ = system("bash '\(Self.script)' stop '\(folder)' > /dev/null") }
        let server = try await ServerProcess(root: try rootWithModels(), environment: [
            "JOBS_DATABASE_URL": url, "JOB_WORKERS": "2", "JOB_STORE_TIMEOUT_SECONDS": "2", "JOB_LEASE_SECONDS": "6"])
        do {
            let ledger = Ledger()
            let bodies = [try Self.body(0), try Self.body(1)]
            var backUp: [ContinuousClock.Instant] = []
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<8 {
                    group.addTask {
                        var i = 0
                        while ledger.state.withLock({ $0.stopAt.map { ContinuousClock.now < $0 } ?? true }) {
                            await Self.submit(server, key: "c\(client)-\(i)", body: bodies[i % 2], ledger: ledger,
                                              until: ContinuousClock.now + .seconds(40))
                            i += 1
                            try await Task.sleep(for: .milliseconds(40))
                        }
                    }
                }
                for _ in 0..<2 {
                    try await Task.sleep(for: .seconds(2))
                    try await Self.postgres("down", folder)
                    try await Task.sleep(for: .seconds(3))
                    try await Self.postgres("up", folder)
                    backUp.append(.now)
                }
                // Submits go on after the second outage until one first tried after it is accepted
                // (at least 3 s, at most 30 s: a loaded machine reconnects slower).
                let lastUp = backUp.last!, settle = ContinuousClock.now + .seconds(30)
                try await Task.sleep(for: .seconds(3))
                while !ledger.state.withLock({ $0.firstTried.values.contains { $0 > lastUp } }) && ContinuousClock.now < settle {
                    try await Task.sleep(for: .milliseconds(100))
                }
                ledger.state.withLock { $0.stopAt = .now }
                try await group.waitForAll()
            }
            let state = ledger.state.withLock { $0 }
            #expect(state.refused.isEmpty, "answers that were neither accepted nor retryable: \(state.refused.prefix(3))")
            #expect(state.unanswered == 0, "\(state.unanswered) submits got no answer within 30 s")
            #expect(state.slowest < .seconds(30), "slowest answer \(state.slowest)")
            #expect(state.retryable > 0, "the outages were seen by no submit: nothing was tested")
            for (n, up) in backUp.enumerated() {
                #expect(state.firstTried.values.contains { $0 > up }, "no submit accepted after outage \(n + 1)")
            }
            // Every accepted job completes; a key never made two jobs.
            let ids = Array(state.accepted.values)
            #expect(Set(ids).count == ids.count, "two keys share a job")
            let total = try await server.get("/jobs?limit=1").json["total"] as? Int
            #expect(total == ids.count, "\(total ?? -1) jobs stored for \(ids.count) accepted keys")
            let deadline = ContinuousClock.now + .seconds(120)
            var completed = 0
            while ContinuousClock.now < deadline {
                completed = try await server.get("/jobs?status=completed&limit=1").json["total"] as? Int ?? 0
                if completed == ids.count { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(completed == ids.count, "\(completed) of \(ids.count) accepted jobs completed")
            let logged = Self.completedIDs(server.log)
            #expect(Set(logged).count == logged.count, "a job completed twice")
            #expect(Set(logged).isSubset(of: Set(ids)))
            // Operators see the outage: errors by kind, and the store available again.
            let metrics = try await server.get("/metrics").text
            #expect(metrics.contains("vma_job_store_errors_total") && metrics.contains("vma_job_store_available 1"),
                    "\(metrics.split(separator: "\n").filter { $0.contains("job_store") })")
            #expect(try await server.get("/health/ready").status == 200)
            let stopping = try await Self.terminate(server)
            #expect(stopping < .seconds(20), "SIGTERM took \(stopping)\n\(server.log.suffix(3000))")
            print("postgres restarts: \(ids.count) accepted, \(state.retryable) retryable answers, slowest \(state.slowest), SIGTERM \(stopping)")
        } catch {
            try? await server.stop()
            throw error
        }
    }

    /// With PostgreSQL down, `/health/ready` is a 503 naming the job store, then ready again by
    /// itself once PostgreSQL is back; a submit meanwhile is a 503 with Retry-After.
    @Test(.enabled(if: postgresInstalled, "no PostgreSQL server binaries (scripts/test.sh installs Debian's postgresql)"))
    func readinessFollowsTheStore() async throws {
        let folder = try HubCacheBuilder.temporaryFolder("pg-ready")
        let url = try await Self.postgres("start", folder)
        defer { _ = system("bash '\(Self.script)' stop '\(folder)' > /dev/null") }
        try await ServerProcess.with(root: try rootWithModels(), environment: [
            "JOBS_DATABASE_URL": url, "JOB_WORKERS": "0", "JOB_STORE_TIMEOUT_SECONDS": "2"]) { server in
            let deadline = ContinuousClock.now + .seconds(20)
            while try await server.get("/health/ready").status != 200 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            try await Self.postgres("down", folder)
            let submit = try await server.request("POST", "/jobs/submit/dinov3", body: try Self.body(0))
            #expect(submit.status == 503 && submit.header("Retry-After") != nil, "\(submit.status) \(submit.text)")
            #expect((submit.json["detail"] as? String ?? "").contains("job database"), "\(submit.text)")
            let ready = try await server.get("/health/ready")
            #expect(ready.status == 503 && (ready.json["detail"] as? String ?? "").contains("job database"), "\(ready.text)")
            try await Self.postgres("up", folder)
            var back = 0
            let again = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < again {
                back = try await server.get("/health/ready").status
                if back == 200 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(back == 200, "not ready again after PostgreSQL came back")
            #expect(try await server.request("POST", "/jobs/submit/dinov3", body: try Self.body(0)).status == 202)
            #expect(server.log.contains("job store unavailable") && server.log.contains("job store available again"))
        }
    }

    /// SIGKILL in the middle of a flood of submits (each with its own key) and synchronous calls,
    /// on SQLite: after the restart, submits whose answer was lost are sent again with their keys;
    /// every key has exactly one job, every job completes exactly once, and the database passes
    /// SQLite's integrity check.
    @Test func sigkillUnderAMixedFloodLosesNothing() async throws {
        let root = try rootWithModels()
        let env = ["JOB_WORKERS": "2", "JOB_LEASE_SECONDS": "3"]
        let first = try await ServerProcess(root: root, environment: env)
        let ledger = Ledger()
        let bodies = [try Self.body(0), try Self.body(1)]
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<4 {
                group.addTask {
                    for i in 0..<400 {
                        let key = "k\(client)-\(i)"
                        do {
                            let reply = try await first.request("POST", "/jobs/submit/dinov3", body: bodies[i % 2],
                                                                headers: ["Idempotency-Key": key], timeout: 30)
                            if let id = reply.json["job_id"] as? String { ledger.state.withLock { $0.accepted[key] = id } }
                        } catch {
                            // The server died with this submit in flight: stored or not, nobody knows.
                            ledger.state.withLock { $0.unknown.append(key) }
                            return
                        }
                    }
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    while true {
                        guard let reply = try? await first.request("POST", "/inference/dinov3", body: bodies[0], timeout: 30) else { return }
                        #expect(reply.status == 200)
                        ledger.state.withLock { $0.syncAnswers += 1 }
                    }
                }
            }
            group.addTask {
                // Kill it once jobs are being completed while submits keep coming.
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    let done = (try? await first.get("/jobs?status=completed&limit=1").json["total"] as? Int) ?? 0
                    if done >= 20 { break }
                    try? await Task.sleep(for: .milliseconds(50))
                }
                kill(first.process.processIdentifier, SIGKILL)
            }
        }
        while first.process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        let second = try await ServerProcess(root: root, environment: env)
        do {
            for key in ledger.state.withLock({ $0.unknown }) {
                let reply = try await second.request("POST", "/jobs/submit/dinov3", body: bodies[0], headers: ["Idempotency-Key": key])
                #expect(reply.status == 200 || reply.status == 202, "\(reply.text)")
                if let id = reply.json["job_id"] as? String { ledger.state.withLock { $0.accepted[key] = id } }
            }
            let ids = ledger.state.withLock { Array($0.accepted.values) }
            #expect(ids.count > 20 && Set(ids).count == ids.count, "\(ids.count) keys, \(Set(ids).count) jobs")
            #expect(ledger.state.withLock { $0.syncAnswers } > 0, "synchronous calls ran beside the submits")
            #expect(try await second.get("/jobs?limit=1").json["total"] as? Int == ids.count, "one job per key, none lost")
            let deadline = ContinuousClock.now + .seconds(120)
            var completed = 0
            while ContinuousClock.now < deadline {
                completed = try await second.get("/jobs?status=completed&limit=1").json["total"] as? Int ?? 0
                if completed == ids.count { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(completed == ids.count, "\(completed) of \(ids.count) jobs completed")
            let logged = Self.completedIDs(first.log) + Self.completedIDs(second.log)
            #expect(Set(logged).count == logged.count, "a job completed twice")
            print("kill -9 flood: \(ids.count) jobs (\(ledger.state.withLock { $0.unknown.count }) resent after the restart), \(ledger.state.withLock { $0.syncAnswers }) synchronous answers")
            try await second.stop()
        } catch {
            try? await second.stop()
            throw error
        }
        #expect(await DiskFullTests.integrityCheck(root + "/content/jobs.sqlite") == "ok")
    }
}
