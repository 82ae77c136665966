import Foundation
import TestSupport
import Testing

/// Full disks, for real: a tmpfs of a few hundred kB as the model cache or the job database's
/// folder (mounting needs root, as CI runs; elsewhere these tests report skipped).
@Suite(.serialized) struct DiskFullTests {
    /// Whether this process may mount a tmpfs (tried once on a scratch folder).
    static let canMount: Bool = {
        guard let folder = try? HubCacheBuilder.temporaryFolder("mount-probe") else { return false }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", folder]) else { return false }
        return run("/bin/umount", [folder])
    }()

    /// `tool` started with its output discarded; nil when it cannot start.
    static func launch(_ tool: String, _ arguments: [String]) -> Process? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return (try? process.run()) != nil ? process : nil
    }

    /// For the `canMount` probe only, which runs before any test.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        guard let process = launch(tool, arguments) else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// `run` for the tests themselves: the exit is polled, never waited for, so no cooperative
    /// thread is blocked (a blocked one starves the mock hubs and servers of the tests beside it).
    @discardableResult
    static func runPolled(_ tool: String, _ arguments: [String]) async -> Bool {
        guard let process = launch(tool, arguments) else { return false }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        return process.terminationStatus == 0
    }

    static func mount(_ folder: String, size: String) async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        guard await runPolled("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", folder]) else {
            throw ServerError("cannot mount a tmpfs on \(folder)")
        }
    }

    static func resize(_ folder: String, to size: String) async throws {
        guard await runPolled("/bin/mount", ["-o", "remount,size=\(size)", folder]) else { throw ServerError("cannot resize \(folder)") }
    }

    /// Runs `body` with a mock hub serving the tiny DINOv3 as `org/model` and a fresh root whose
    /// model cache is a tmpfs with room for the small files, not for the 250 kB graph.
    static func withFullCache(_ body: (MockHub, _ root: String, _ cache: String) async throws -> Void) async throws {
        let hub = try MockHub(folder: FixtureFiles.root.appendingPathComponent("models/dinov3-vit-tiny"))
        try await hub.start()
        defer { hub.stop() }
        let root = try HubCacheBuilder.temporaryFolder("root")
        let cache = root + "/content/hf_cache"
        try await mount(cache, size: "160k")
        do {
            try await body(hub, root, cache)
        } catch {
            await runPolled("/bin/umount", ["-l", cache])
            throw error
        }
        await runPolled("/bin/umount", ["-l", cache])
    }

    /// A model download that fills the disk: a 507 naming the file, what it needs and the lack of
    /// space, with no server path; the part written is kept; once there is room the next load
    /// resumes it with `Range` and the blob is the hub's bytes (sha256 checked).
    @Test(.enabled(if: canMount, "mounting a tmpfs is not allowed here (needs root)"))
    func aModelDownloadOnAFullDiskSaysSoAndResumesLater() async throws {
      try await Self.withFullCache { hub, root, cache in
        let graph = try #require(hub.file("onnx/model.onnx"))
        try await ServerProcess.with(root: root, environment: ["HF_ENDPOINT": hub.endpoint, "HF_HUB_OFFLINE": "0"]) { server in
            let full = try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "org/model"])
            let detail = full.json["detail"] as? String ?? ""
            #expect(full.status == 507, "\(full.status) \(full.text)")
            #expect(detail.contains("disk holding the model cache is full") && detail.contains("onnx/model.onnx")
                    && detail.contains("needs 249.5 kB"), "\(detail)")
            #expect(!detail.contains(root) && !detail.contains("/tmp") && !detail.contains("errno"), "no server path: \(detail)")
            let blobs = cache + "/hub/models--org--model/blobs/"
            let partial = ((try? FileManager.default.attributesOfItem(atPath: blobs + graph.etag + ".incomplete"))?[.size] as? Int) ?? 0
            #expect(partial > 0 && partial < graph.bytes.count, "the part written is kept (\(partial) bytes)")
            #expect(!FileManager.default.fileExists(atPath: blobs + graph.etag), "no partial file passed off as complete")

            try await Self.resize(cache, to: "4m")
            var load = full
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                // A failed load is retried after a backoff of a second or two.
                load = try await server.post("/models/load", json: ["model_type": "dinov3", "model_id": "org/model"])
                if load.status == 200 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(load.status == 200, "\(load.text.prefix(300))")
            #expect(hub.state.withLock { $0.cdnRanges }.contains("bytes=\(partial)-"), "resumed from the kept part")
            #expect(FileManager.default.contents(atPath: blobs + graph.etag) == Data(graph.bytes))
        }
      }
    }

    /// `vision-models-api download` on a full disk: exit status 1 and the same message.
    @Test(.enabled(if: canMount, "mounting a tmpfs is not allowed here (needs root)"))
    func theDownloadCommandOnAFullDiskSaysSo() async throws {
      try await Self.withFullCache { hub, root, _ in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.executable)
        process.arguments = ["download", "org/model"]
        process.environment = ["PATH": "/usr/bin:/bin", "HF_ROOT_FOLDER": root, "HF_ENDPOINT": hub.endpoint]
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let output = root + "/download.out"
        FileManager.default.createFile(atPath: output, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: output)
        try process.run()
        // Polled, not waited for: a blocked cooperative thread would stall the mock hub in this process.
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 1, "\(text)")
        #expect(text.contains("disk holding the model cache is full"), "\(text)")
      }
    }

    /// The SQLite job database on a full disk: a submit is a 507 saying so, nothing accepted is
    /// lost, the file passes SQLite's integrity check, and submits work again once there is room.
    @Test(.enabled(if: canMount, "mounting a tmpfs is not allowed here (needs root)"))
    func theJobDatabaseOnAFullDiskRefusesSubmitsAndLosesNothing() async throws {
        let root = try rootWithModels()
        let folder = root + "/jobs-disk"
        try await Self.mount(folder, size: "1m")
        do {
            try await fillTheDisk(root: root, folder: folder)
            // After the server stopped, before the tmpfs goes.
            #expect(await Self.integrityCheck(folder + "/jobs.sqlite") == "ok")
        } catch {
            await Self.runPolled("/bin/umount", ["-l", folder])
            throw error
        }
        await Self.runPolled("/bin/umount", ["-l", folder])
    }

    /// The job database's part of `theJobDatabaseOnAFullDiskRefusesSubmitsAndLosesNothing`.
    private func fillTheDisk(root: String, folder: String) async throws {
        let database = folder + "/jobs.sqlite"
        let image = try FixtureFiles.data("preprocessing/grey_41x67.png").base64EncodedString()
        var accepted: [String] = []
        try await ServerProcess.with(root: root, environment: ["JOBS_DATABASE_PATH": database, "JOB_WORKERS": "0",
                                                               "MAX_PENDING_JOBS": "100000"]) { server in
            // Fill the disk but for about 96 kB.
            let filler = folder + "/filler"
            let free = try #require(Self.freeBytes(folder))
            FileManager.default.createFile(atPath: filler, contents: Data(count: max(0, free - 96_000)))
            var full: ServerProcess.Reply?
            for i in 0..<400 {
                // Each request carries 8 copies of the image and a distinct key: about 28 kB stored.
                let body = try JSONSerialization.data(withJSONObject: ["images": Array(repeating: image, count: 8),
                                                                       "model_id": "tests/dinov3-vit-tiny"])
                let reply = try await server.request("POST", "/jobs/submit/dinov3", body: body, headers: ["Idempotency-Key": "d\(i)"])
                if reply.status == 202, let id = reply.json["job_id"] as? String { accepted.append(id); continue }
                full = reply
                break
            }
            let refused = try #require(full, "the disk never filled")
            #expect(refused.status == 507, "\(refused.status) \(refused.text)")
            #expect((refused.json["detail"] as? String ?? "").contains("disk holding the job database is full"), "\(refused.text)")
            #expect(!refused.text.contains(folder) && !refused.text.contains("SQLite error"))
            #expect(!accepted.isEmpty)
            try FileManager.default.removeItem(atPath: filler)
            let again = try await server.request("POST", "/jobs/submit/dinov3", body: try JSONSerialization.data(
                withJSONObject: ["images": [image], "model_id": "tests/dinov3-vit-tiny"]))
            #expect(again.status == 202, "\(again.text)")
            if let id = again.json["job_id"] as? String { accepted.append(id) }
            for id in accepted { #expect(try await server.get("/jobs/\(id)").json["status"] as? String == "pending") }
            #expect(try await server.get("/jobs?limit=1").json["total"] as? Int == accepted.count)
        }
    }

    static func freeBytes(_ folder: String) -> Int? {
        var s = statvfs()
        guard statvfs(folder, &s) == 0 else { return nil }
        return Int(s.f_bavail) * Int(s.f_frsize)
    }

    /// SQLite's `PRAGMA integrity_check` of the file, through Python's sqlite3 module.
    static func integrityCheck(_ path: String) async -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('pragma integrity_check').fetchone()[0])", path]
        let output = path + ".check"
        FileManager.default.createFile(atPath: output, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: output)
        guard (try? process.run()) != nil else { return "python3 not found" }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        return ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
