import Crypto
import Foundation
import PostgresNIO
import Logging
import TestSupport
import Testing

/// `/jobs` over real HTTP, with real crashes (SIGKILL) and real stores.
@Suite(.serialized) struct JobsEndpointTests {
    static let model = "tests/dinov3-vit-tiny"

    static func image(_ i: Int) throws -> String {
        let names = ["small_37x53.png", "wide_90x151.png", "tall_160x96.png", "rgba_50x40.png"]
        return try FixtureFiles.data("preprocessing/" + names[i % names.count]).base64EncodedString()
    }

    static func body(_ i: Int) throws -> [String: Any] {
        ["images": [try image(i)], "model_id": model, "tensor_format": "base64"]
    }

    /// The response without its timing, for comparing a job's result with the synchronous endpoint's.
    static func features(_ object: Any?) -> String {
        guard var o = object as? [String: Any] else { return "none" }
        o["processing_time"] = nil
        return String(decoding: (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }

    static func waitAll(_ server: ServerProcess, _ ids: [String], timeout: Duration = .seconds(120)) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var jobs: [[String: Any]] = []
            for id in ids { jobs.append(try await server.get("/jobs/\(id)").json) }
            if jobs.allSatisfy({ ["completed", "failed", "cancelled"].contains($0["status"] as? String) }) { return jobs }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ServerError("jobs did not finish in time")
    }

    @Test func submitPollListCancelAndValidate() async throws {
        try await ServerProcess.with(root: try rootWithModels(), environment: ["JOB_WORKERS": "1"]) { server in
            let submitted = try await server.post("/jobs/submit/dinov3", json: try Self.body(0))
            #expect(submitted.status == 202, "\(submitted.text.prefix(300))")
            let id = try #require(submitted.json["job_id"] as? String)
            #expect(submitted.json["status"] as? String == "pending")
            let done = try await Self.waitAll(server, [id])[0]
            #expect(done["status"] as? String == "completed" && done["attempts"] as? Int == 1)
            let sync = try await server.post("/inference/dinov3", json: try Self.body(0))
            #expect(Self.features(done["result"]) == Self.features(sync.json), "a job's result equals the synchronous response")

            // Bad requests are 4xx at submit, not failed jobs later.
            let bad = try await server.post("/jobs/submit/dinov3", json: ["images": ["bm90IGFuIGltYWdl"], "model_id": Self.model])
            #expect(bad.status == 415)
            let shape = try await server.post("/jobs/submit/sam3", json: ["images": [try Self.image(0)]])
            #expect(shape.status == 422 && (shape.json["detail"] as? String ?? "").contains("prompts"))
            let prompts = try await server.post("/jobs/submit/grounding-dino", json: ["images": [try Self.image(0)], "prompts": []])
            #expect(prompts.status == 400)
            let unknown = try await server.post("/jobs/submit/yolo", json: ["images": []])
            #expect(unknown.status == 400)
            let hostile = try await server.post("/jobs/submit/dinov3", json: [
                "images": [try Self.image(0)], "model_id": Self.model, "callback_url": "http://169.254.169.254/latest"])
            #expect(hostile.status == 403 || hostile.status == 400, "\(hostile.text)")

            // Idempotency-Key: the same job back, not a second one.
            let a = try await server.request("POST", "/jobs/submit/dinov3", body: try JSONSerialization.data(withJSONObject: try Self.body(1)),
                                             headers: ["Idempotency-Key": "k-1"])
            let b = try await server.request("POST", "/jobs/submit/dinov3", body: try JSONSerialization.data(withJSONObject: try Self.body(1)),
                                             headers: ["Idempotency-Key": "k-1"])
            #expect(a.json["job_id"] as? String == b.json["job_id"] as? String && b.status == 200)

            // Listing: filters and pages, never results.
            let list = try await server.get("/jobs?status=completed&model_type=dinov3&limit=1")
            let jobs = try #require(list.json["jobs"] as? [[String: Any]])
            #expect(jobs.count == 1 && jobs[0]["result"] == nil && (list.json["total"] as? Int ?? 0) >= 1)
            #expect(try await server.get("/jobs?status=nope").status == 400)

            // Delete: a finished job is removed; an unknown one is a 404.
            #expect(try await server.request("DELETE", "/jobs/\(id)").json["deleted"] as? Bool == true)
            #expect(try await server.get("/jobs/\(id)").status == 404)
            #expect(try await server.request("DELETE", "/jobs/\(id)").status == 404)
            let metrics = try await server.get("/metrics")
            #expect(metrics.text.contains("vma_jobs{status=\"completed\"}") && metrics.text.contains("vma_jobs_finished_total"))
        }
    }

    /// Completed and failed jobs are posted to their callback URL, signed with CALLBACK_SECRET, and
    /// retried when the receiver refuses (its first post here is answered 500).
    @Test func finishedJobsArePostedToTheirCallbackURL() async throws {
        let receiver = CallbackReceiver(failing: 1)
        try await receiver.start()
        defer { receiver.stop() }
        let secret = "callback-secret-Kilo-77"
        // The URL guard refuses loopback unless told otherwise.
        try await ServerProcess.with(root: try rootWithModels(), environment: ["ALLOW_PRIVATE_IMAGE_URLS": "1",
                                                                               "CALLBACK_SECRET": secret]) { server in
            var body = try Self.body(0)
            body["callback_url"] = receiver.url
            let submitted = try await server.post("/jobs/submit/dinov3", json: body)
            let id = try #require(submitted.json["job_id"] as? String)
            // A job that fails when it runs (its model is not in the cache) is posted too.
            body["model_id"] = "nobody/not-cached"
            let failing = try await server.post("/jobs/submit/dinov3", json: body)
            let failedID = try #require(failing.json["job_id"] as? String)
            _ = try await Self.waitAll(server, [id, failedID])
            let deadline = ContinuousClock.now + .seconds(15)
            while receiver.bodies.count < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            let posted = receiver.bodies.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            #expect(posted.count == 2, "\(posted.count) callbacks")
            let byID = Dictionary(posted.map { ($0["job_id"] as? String ?? "", $0) }) { a, _ in a }
            #expect(byID[id]?["status"] as? String == "completed" && byID[id]?["result"] != nil)
            #expect(byID[failedID]?["status"] as? String == "failed" && byID[failedID]?["error"] is String)
            let key = SymmetricKey(data: Data(secret.utf8))
            for (data, signature) in zip(receiver.bodies, receiver.signatures) {
                let expected = "sha256=" + HMAC<SHA256>.authenticationCode(for: data, using: key).map { String(format: "%02x", $0) }.joined()
                #expect(signature == expected)
            }
            let log = server.log
            #expect(log.contains("job callback refused") && !log.contains(secret))
        }
    }

    @Test func pendingJobsCancelAndTheQueueIsBounded() async throws {
        // No workers: jobs stay pending.
        try await ServerProcess.with(root: try rootWithModels(), environment: ["JOB_WORKERS": "0", "MAX_PENDING_JOBS": "2"]) { server in
            let first = try await server.post("/jobs/submit/dinov3", json: try Self.body(0))
            _ = try await server.post("/jobs/submit/dinov3", json: try Self.body(1))
            let full = try await server.post("/jobs/submit/dinov3", json: try Self.body(2))
            #expect(full.status == 429 && full.header("Retry-After") != nil)
            let id = try #require(first.json["job_id"] as? String)
            let cancelled = try await server.request("DELETE", "/jobs/\(id)")
            #expect(cancelled.json["status"] as? String == "cancelled")
            #expect(try await server.post("/jobs/submit/dinov3", json: try Self.body(2)).status == 202)
        }
    }

    /// 100 jobs, the server killed with SIGKILL mid-way and restarted: all 100 complete, each
    /// with the synchronous endpoint's result.
    @Test func jobsSurviveSIGKILL() async throws {
        let root = try rootWithModels()
        let env = ["JOB_WORKERS": "2", "JOB_LEASE_SECONDS": "2"]
        var ids: [String] = []
        var expected: [String] = []
        try await ServerProcess.with(root: root, environment: env) { server in
            for i in 0..<4 { expected.append(Self.features(try await server.post("/inference/dinov3", json: try Self.body(i)).json)) }
        }
        let first = try await ServerProcess(root: root, environment: env)
        var second: ServerProcess?
        do {
        for i in 0..<100 {
            let r = try await first.post("/jobs/submit/dinov3", json: try Self.body(i))
            ids.append(try #require(r.json["job_id"] as? String))
        }
        // Kill it once some jobs are done and others are running or waiting.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let done = try await first.get("/jobs?status=completed&limit=1").json["total"] as? Int ?? 0
            if done >= 10 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let restarted = try await ServerProcess(root: root, environment: env)
        second = restarted
        let jobs = try await Self.waitAll(restarted, ids)
        #expect(jobs.allSatisfy { $0["status"] as? String == "completed" }, "\(jobs.filter { $0["status"] as? String != "completed" }.prefix(3))")
        for (i, job) in jobs.enumerated() { #expect(Self.features(job["result"]) == expected[i % 4], "job \(i)") }
        let logged = Self.completions(first) + Self.completions(restarted)
        #expect((100 - 2)...100 ~= logged, "\(logged) logged completions for 100 jobs")
        try await restarted.stop()
        } catch {
            try? await first.stop()
            try? await second?.stop()
            throw error
        }
    }

    /// Two replicas on one PostgreSQL database share 100 jobs; one is killed; all complete, none twice.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["JOBS_TEST_DATABASE_URL"] != nil,
                   "JOBS_TEST_DATABASE_URL is not set (scripts/test.sh starts PostgreSQL)"))
    func replicasShareAPostgreSQLQueue() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["JOBS_TEST_DATABASE_URL"])
        // A database of its own: other suites use the server's default one concurrently.
        let database = "replicas_" + UUID().uuidString.prefix(8).lowercased()
        try await Self.createDatabase(url, database)
        var own = try #require(URLComponents(string: url))
        own.path = "/" + database
        let root = try rootWithModels()
        let env = ["JOB_WORKERS": "2", "JOB_LEASE_SECONDS": "2", "JOBS_DATABASE_URL": own.string!]
        let a = try await ServerProcess(root: root, environment: env)
        let b = try await ServerProcess(root: root, environment: env)
        do {
        var ids: [String] = []
        for i in 0..<100 {
            let server = i % 2 == 0 ? a : b
            let r = try await server.post("/jobs/submit/dinov3", json: try Self.body(i))
            ids.append(try #require(r.json["job_id"] as? String, "\(r.text.prefix(200))"))
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if (try await b.get("/jobs?status=completed&limit=1").json["total"] as? Int ?? 0) >= 10 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(a.process.processIdentifier, SIGKILL)
        a.process.waitUntilExit()
        let jobs = try await Self.waitAll(b, ids)
        #expect(jobs.allSatisfy { $0["status"] as? String == "completed" })
        // None twice: every completion is logged by the process that made it, and completing
        // needs the job's current lease, so the two logs together never hold more than 100. The
        // killed process may have committed a completion and died before logging it: at most one
        // per worker (JOB_WORKERS=2) goes unlogged.
        let completions = Self.completions(a) + Self.completions(b)
        #expect((100 - 2)...100 ~= completions, "\(completions) logged completions for 100 jobs")
        try await b.stop()
        } catch {
            try? await a.stop()
            try? await b.stop()
            throw error
        }
    }

    /// Completions a process logged. Each is logged after its commit, so a SIGKILL in between
    /// leaves a completed job unlogged; a job completed twice would show as more than one line.
    static func completions(_ server: ServerProcess) -> Int {
        server.log.components(separatedBy: "job completed").count - 1
    }

    static func createDatabase(_ url: String, _ name: String) async throws {
        guard let c = URLComponents(string: url), let host = c.host else { return }
        let config = PostgresClient.Configuration(host: host, port: c.port ?? 5432, username: c.user ?? "postgres",
                                                  password: c.password, database: String(c.path.dropFirst()), tls: .disable)
        let client = PostgresClient(configuration: config, backgroundLogger: Logger(label: "pg"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            // CREATE DATABASE takes no bind parameters; the name is generated above, not user input.
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "pg"))
        }
    }
}
