import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import TestSupport

/// The real `vision-models-api serve` binary, started on a free loopback port.
final class ServerProcess: Sendable {
    let process: Process
    let port: Int
    let root: String
    private let output: OutputBuffer

    /// The executable built next to the test bundle.
    static var executable: String {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("vision-models-api").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        return FixtureFiles.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/vision-models-api").path
    }

    /// Starts the server with `environment` (on top of a minimal base) in `workingDirectory`.
    init(root: String, environment: [String: String] = [:], workingDirectory: String? = nil,
         passRoot: Bool = true) async throws {
        self.root = root
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0"]
        // Offline unless a test points HF_ENDPOINT at its mock hub: tests never reach the network.
        // ONNX Runtime's CPU provider unless a test asks for another: `auto` would time both
        // providers on each graph's first runs (compiling every graph twice) and, where OpenVINO
        // wins, answer within 1e-3 of the CPU provider, not byte for byte as the tests compare
        // (a job's result against the same request's direct answer).
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "INTRA_OP_THREADS": "1",
                   "HF_HUB_OFFLINE": "1", "EXECUTION_PROVIDER": "cpu"]
        if passRoot { env["HF_ROOT_FOLDER"] = root }
        env.merge(environment) { _, new in new }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory ?? root)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = OutputBuffer()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { output.append(data) }
        }
        try process.run()
        self.process = process
        self.output = output
        let deadline = ContinuousClock.now + .seconds(20)
        var found: Int?
        // The output is read once more after the deadline: a test process whose threads are all
        // busy can wake this loop late, after the server had long announced its port.
        while true {
            if let range = output.text.range(of: #"Server listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(output.text[range].split(separator: ":").last!)
                break
            }
            if !process.isRunning || ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard let found else {
            process.terminate()
            throw ServerError("server did not start:\n\(output.text)")
        }
        self.port = found
    }

    var log: String { output.text }

    /// SIGTERM, then waits for the exit; returns the exit status.
    @discardableResult
    func stop() async throws -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(15)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.interrupt(); kill(process.processIdentifier, SIGKILL) }
        // Reaped asynchronously: terminationStatus traps while the process still counts as running
        // (a loaded machine can take longer than a fixed pause).
        let reaped = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < reaped { try await Task.sleep(for: .milliseconds(20)) }
        guard !process.isRunning else { throw ServerError("server \(process.processIdentifier) did not exit after SIGKILL") }
        return process.terminationStatus
    }

    struct Reply {
        let status: Int
        let headers: [(String, String)]
        let body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:],
                 timeout: Int64 = 60) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .init(rawValue: method)
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeout))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                     body: Data(bytes.readableBytesView))
    }

    func post(_ path: String, json object: Any) async throws -> Reply {
        try await request("POST", path, body: try JSONSerialization.data(withJSONObject: object))
    }

    func get(_ path: String) async throws -> Reply { try await request("GET", path) }

    /// Runs `body` with a started server and always stops it.
    static func with<T>(root: String? = nil, environment: [String: String] = [:], workingDirectory: String? = nil,
                        passRoot: Bool = true, _ body: (ServerProcess) async throws -> T) async throws -> T {
        let server = try await ServerProcess(root: try root ?? HubCacheBuilder.temporaryFolder("root"),
                                             environment: environment, workingDirectory: workingDirectory, passRoot: passRoot)
        do {
            let result = try await body(server)
            try await server.stop()
            return result
        } catch {
            try? await server.stop()
            throw error
        }
    }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Thread-safe accumulation of the child's output.
final class OutputBuffer: Sendable {
    private let data = Mutex(Data())
    func append(_ d: Data) { data.withLock { $0.append(d) } }
    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}

/// A root folder whose hub cache holds every tiny fixture model (Tests/Fixtures/models/<name>) as
/// tests/<name>: a new family's fixture model is in it without editing this.
func rootWithModels() throws -> String {
    let root = try HubCacheBuilder.temporaryFolder("root")
    let hub = root + "/content/hf_cache/hub"
    for name in try FileManager.default.contentsOfDirectory(atPath: FixtureFiles.root.appendingPathComponent("models").path).sorted() {
        try HubCacheBuilder.place(folder: FixtureFiles.root.appendingPathComponent("models/" + name),
                                  repoID: "tests/" + name, in: hub)
    }
    return root
}
