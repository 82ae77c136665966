import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// A local stand-in for the Hugging Face hub and its CDN, speaking the headers huggingface_hub
/// relies on: X-Repo-Commit, ETag / X-Linked-Etag, X-Linked-Size, X-Error-Code, redirects of LFS
/// files to a second host, Range requests, and (once, on request) a connection cut mid-file.
public final class MockHub: Sendable {
    public struct File: Sendable {
        public let path: String
        public let bytes: [UInt8]
        public let lfs: Bool
        public init(path: String, bytes: [UInt8], lfs: Bool) { self.path = path; self.bytes = bytes; self.lfs = lfs }
        public var etag: String {
            if lfs { return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }
            var h = Insecure.SHA1()
            h.update(data: Data("blob \(bytes.count)\u{0}".utf8))
            h.update(data: bytes)
            return h.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }

    public struct State: Sendable {
        public var hubPort = 0
        public var cdnPort = 0
        public var hubAuthorizations: [String] = []
        public var cdnAuthorizations: [String] = []
        public var cdnRanges: [String] = []
        public var cutNextCDNTransfer = false
        public var corruptCDN = false
        public var requests = 0
    }

    public let commit = String(repeating: "c0ffee", count: 7).prefix(40).description
    public let files: [File]
    public let state = Mutex(State())
    private let tasks = Mutex<[Task<Void, any Error>]>([])
    private let groups = Mutex<[ServiceGroup]>([])

    /// A hub serving `files` as repository `org/model`.
    public init(files: [File]) {
        self.files = files
    }

    /// A hub serving a random 300 kB graph and its companions as `org/model`.
    public convenience init() {
        var rng = SystemRandomNumberGenerator()
        let graph = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        self.init(files: [
            File(path: "config.json", bytes: Array(#"{"model_type": "dinov3_vit"}"#.utf8), lfs: false),
            File(path: "preprocessor_config.json", bytes: Array(#"{"size": {"height": 224, "width": 224}}"#.utf8), lfs: false),
            File(path: "onnx/model.onnx", bytes: graph, lfs: true),
            File(path: "onnx/model_fp16.onnx", bytes: Array(graph.prefix(1000)), lfs: true),
            File(path: "README.md", bytes: Array("# model".utf8), lfs: false),
        ])
    }

    /// A hub serving the files of a model folder as `org/model` (ONNX graphs stored as LFS).
    public convenience init(folder: URL) throws {
        let fm = FileManager.default
        let paths = try fm.subpathsOfDirectory(atPath: folder.path).filter {
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: folder.appendingPathComponent($0).path, isDirectory: &isDir) && !isDir.boolValue
        }.sorted()
        self.init(files: try paths.map {
            File(path: $0, bytes: [UInt8](try Data(contentsOf: folder.appendingPathComponent($0))), lfs: $0.hasSuffix(".onnx"))
        })
    }

    public var endpoint: String { "http://127.0.0.1:\(state.withLock { $0.hubPort })" }

    public func file(_ path: String) -> File? { files.first { $0.path == path } }

    public func start() async throws {
        let hub = Router()
        hub.get("/api/models/:org/:name/revision/:rev") { [self] request, context in
            state.withLock { $0.hubAuthorizations.append(request.headers[.authorization] ?? ""); $0.requests += 1 }
            let repo = "\(context.parameters.get("org")!)/\(context.parameters.get("name")!)"
            if let denied = self.denied(repo) { return denied }
            let siblings = self.files.map { ["rfilename": $0.path] }
            let body = try JSONSerialization.data(withJSONObject: ["sha": self.commit, "siblings": siblings])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        let resolve: @Sendable (Request, BasicRequestContext) async throws -> Response = { [self] request, context in
            state.withLock { $0.hubAuthorizations.append(request.headers[.authorization] ?? ""); $0.requests += 1 }
            let repo = "\(context.parameters.get("org")!)/\(context.parameters.get("name")!)"
            if let denied = self.denied(repo) { return denied }
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard let file = self.file(path) else {
                return Response(status: .notFound, headers: [HTTPField.Name("X-Error-Code")!: "EntryNotFound",
                                                             HTTPField.Name("X-Repo-Commit")!: self.commit])
            }
            var headers: HTTPFields = [HTTPField.Name("X-Repo-Commit")!: self.commit]
            if file.lfs {
                headers[HTTPField.Name("X-Linked-Etag")!] = "\"\(file.etag)\""
                headers[HTTPField.Name("X-Linked-Size")!] = String(file.bytes.count)
                headers[.eTag] = "\"some-other-etag\""
                headers[.location] = "http://127.0.0.1:\(self.state.withLock { $0.cdnPort })/blobs/\(file.etag)"
                return Response(status: .found, headers: headers)
            }
            headers[.eTag] = "W/\"\(file.etag)\""
            headers[.contentLength] = String(file.bytes.count)
            if request.method == .head { return Response(status: .ok, headers: headers) }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
        hub.get("/:org/:name/resolve/:rev/**", use: resolve)
        hub.head("/:org/:name/resolve/:rev/**", use: resolve)

        let cdn = Router()
        cdn.get("/blobs/:etag") { [self] request, context in
            let etag = context.parameters.get("etag")!
            guard let file = self.files.first(where: { $0.etag == etag }) else { return Response(status: .notFound) }
            let (cut, corrupt) = state.withLock { s -> (Bool, Bool) in
                s.cdnAuthorizations.append(request.headers[.authorization] ?? "")
                s.cdnRanges.append(request.headers[.range] ?? "")
                let cut = s.cutNextCDNTransfer
                s.cutNextCDNTransfer = false
                return (cut, s.corruptCDN)
            }
            var bytes = file.bytes
            if corrupt { bytes[bytes.count / 2] ^= 0xFF }
            var status = HTTPResponse.Status.ok
            var start = 0
            if let range = request.headers[.range], range.hasPrefix("bytes="),
               let from = Int(range.dropFirst(6).split(separator: "-").first ?? "") {
                start = from
                status = .partialContent
            }
            let body = Array(bytes[start...])
            var headers: HTTPFields = [.contentLength: String(body.count)]
            if status == .partialContent { headers[.contentRange] = "bytes \(start)-\(bytes.count - 1)/\(bytes.count)" }
            if cut {
                return Response(status: status, headers: headers, body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(bytes: body.prefix(body.count / 2)))
                    throw CancellationError()
                })
            }
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        try await run(hub) { port in self.state.withLock { $0.hubPort = port } }
        try await run(cdn) { port in self.state.withLock { $0.cdnPort = port } }
    }

    private func denied(_ repo: String) -> Response? {
        switch repo {
        case "org/gated": return Response(status: .forbidden, headers: [HTTPField.Name("X-Error-Code")!: "GatedRepo"])
        case "org/private": return Response(status: .unauthorized, headers: [HTTPField.Name("X-Error-Code")!: "RepoNotFound"])
        case "org/model": return nil
        default: return Response(status: .notFound, headers: [HTTPField.Name("X-Error-Code")!: "RepoNotFound"])
        }
    }

    private func run(_ router: Router<BasicRequestContext>, onPort: @escaping @Sendable (Int) -> Void) async throws {
        let ready = Mutex(false)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  onPort(channel.localAddress?.port ?? 0)
                                  ready.withLock { $0 = true }
                              })
        // In a service group, so that stop() is a graceful shutdown: cancelling the server task with
        // a connection open crashed in NIO ("Deinited NIOAsyncWriter without calling finish()").
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "mock-hub")))
        groups.withLock { $0.append(group) }
        tasks.withLock { $0.append(Task { try await group.run() }) }
        for _ in 0..<500 where !ready.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
    }

    /// Shuts the hub down gracefully (in-flight requests answered, connections closed), in the
    /// background.
    public func stop() {
        for group in groups.withLock({ $0 }) { Task { await group.triggerGracefulShutdown() } }
    }
}
