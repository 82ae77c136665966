import AsyncHTTPClient
import Crypto
import Foundation
import HubCache
import NIOCore
import NIOHTTP1
import NIOPosix
import VisionCore

/// What the hub says about one file at one revision.
public struct HubFileMetadata: Sendable, Equatable {
    public let commit: String
    public let etag: String
    public let size: Int?
    /// Where to GET the bytes (the CDN location when the hub redirects there).
    public let location: String
}

/// A client of the Hugging Face hub that writes huggingface_hub's cache layout byte for byte:
/// HEAD `/{repo}/resolve/{revision}/{path}` for the commit, etag and size; GET with `Range`
/// resume into `blobs/<etag>.incomplete`; size and sha256 (LFS) or git-sha1 checks; atomic rename;
/// snapshot symlinks and refs. The token goes to the endpoint's host only, never to a redirect
/// target elsewhere (the CDN).
public final class HubClient: Sendable {
    public let configuration: HubConfiguration
    private let http: HTTPClient

    public init(configuration: HubConfiguration) {
        self.configuration = configuration
        var config = HTTPClient.Configuration()
        config.redirectConfiguration = .disallow
        config.decompression = .disabled
        config.timeout = .init(connect: .seconds(min(10, configuration.readTimeoutSeconds)),
                               read: .seconds(configuration.readTimeoutSeconds))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    public func shutdown() async throws { try await http.shutdown() }

    // MARK: - URLs and headers

    static func quote(_ text: String, keepSlash: Bool) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~" + (keepSlash ? "/" : ""))
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    func resolveURL(_ repoID: String, revision: String, path: String) -> String {
        "\(configuration.endpoint)/\(repoID)/resolve/\(Self.quote(revision, keepSlash: false))/\(Self.quote(path, keepSlash: true))"
    }

    /// Whether `url` is on the endpoint's scheme, host and port: only then is the token sent.
    func isEndpointHost(_ url: String) -> Bool {
        guard let a = URL(string: configuration.endpoint), let b = URL(string: url) else { return false }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased()
            && (a.port ?? defaultPort(a)) == (b.port ?? defaultPort(b))
    }

    private func defaultPort(_ url: URL) -> Int { url.scheme?.lowercased() == "https" ? 443 : 80 }

    private func request(_ url: String, method: HTTPMethod, headers extra: [(String, String)] = []) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "vision-models-api/0.1; hf_hub-compatible")
        if isEndpointHost(url), let token = configuration.token {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        for (k, v) in extra { request.headers.add(name: k, value: v) }
        return request
    }

    private func execute(_ request: HTTPClientRequest, timeout: Int64) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: .seconds(timeout))
        } catch {
            throw VisionError.upstreamUnavailable(
                "the Hugging Face hub (\(configuration.endpoint)) could not be reached: \(Self.describe(error)); "
                + "set HF_HUB_OFFLINE=1 to serve from the cache only")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError { return "\(e)" }
        if let e = error as? VisionError { return e.message }
        return String(describing: error)
    }

    /// Turns a hub error answer into a user-facing error, as huggingface_hub's hf_raise_for_status.
    func hubError(_ response: HTTPClientResponse, repoID: String, revision: String, path: String?) -> VisionError {
        let code = response.headers.first(name: "X-Error-Code")
        let message = response.headers.first(name: "X-Error-Message")
        switch (code, response.status.code) {
        case ("GatedRepo", _):
            return .accessDenied("model '\(repoID)' is gated: accept its conditions on the hub with your account and set "
                                 + "HF_TOKEN to a token of that account")
        case ("RepoNotFound", _), (_, 401):
            return .modelNotFound("model '\(repoID)' was not found on the hub (it may be private: set HF_TOKEN to a token "
                                  + "that can read it)")
        case ("RevisionNotFound", _):
            return .modelNotFound("revision '\(revision)' of model '\(repoID)' was not found on the hub")
        case ("EntryNotFound", _), (_, 404):
            return .modelNotFound("file '\(path ?? "")' of model '\(repoID)' was not found at revision '\(revision)'")
        case (_, 403):
            return .accessDenied("the hub refused access to model '\(repoID)'" + (message.map { ": \($0)" } ?? ""))
        default:
            return .upstreamUnavailable("the hub answered HTTP \(response.status.code) for '\(repoID)'")
        }
    }

    // MARK: - Metadata

    static func normalizeETag(_ raw: String) -> String {
        var e = raw.trimmingCharacters(in: .whitespaces)
        if e.hasPrefix("W/") { e.removeFirst(2) }
        return e.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// HEAD the file; follows relative redirects (renamed repos), reads the first absolute
    /// redirect's headers without following it.
    public func metadata(repoID: String, revision: String, path: String) async throws -> HubFileMetadata {
        var url = resolveURL(repoID, revision: revision, path: path)
        for _ in 0..<10 {
            let response = try await execute(request(url, method: .HEAD, headers: [("Accept-Encoding", "identity")]),
                                              timeout: configuration.readTimeoutSeconds)
            let status = response.status.code
            if (300..<400).contains(status), let location = response.headers.first(name: "Location"), location.hasPrefix("/") {
                url = (URL(string: location, relativeTo: URL(string: url))?.absoluteString) ?? url
                continue
            }
            guard status < 400 else {
                // As huggingface_hub: a file the hub says is absent at a known commit is marked, so
                // offline lookups know it is not merely missing from the cache.
                if response.headers.first(name: "X-Error-Code") == "EntryNotFound",
                   let commit = response.headers.first(name: "X-Repo-Commit"), commit.count == 40 {
                    HubCacheLayout(cacheFolder: configuration.cacheFolder, repoID: repoID).markNoExist(commit: commit, path: path)
                }
                throw hubError(response, repoID: repoID, revision: revision, path: path)
            }
            guard let commit = response.headers.first(name: "X-Repo-Commit"),
                  let rawETag = response.headers.first(name: "X-Linked-Etag") ?? response.headers.first(name: "ETag") else {
                throw VisionError.upstreamUnavailable("the hub's answer for '\(repoID)/\(path)' lacks X-Repo-Commit or ETag")
            }
            let size = (response.headers.first(name: "X-Linked-Size") ?? response.headers.first(name: "Content-Length")).flatMap(Int.init)
            let location = (300..<400).contains(status) ? (response.headers.first(name: "Location") ?? url) : url
            return HubFileMetadata(commit: commit, etag: Self.normalizeETag(rawETag), size: size, location: location)
        }
        throw VisionError.upstreamUnavailable("too many redirects resolving '\(repoID)/\(path)'")
    }

    /// The commit of `revision` and the repository's file list.
    public func repositoryFiles(repoID: String, revision: String) async throws -> (commit: String, files: [String]) {
        let url = "\(configuration.endpoint)/api/models/\(repoID)/revision/\(Self.quote(revision, keepSlash: false))"
        let response = try await execute(request(url, method: .GET), timeout: configuration.readTimeoutSeconds)
        guard response.status == .ok else { throw hubError(response, repoID: repoID, revision: revision, path: nil) }
        let body = try await response.body.collect(upTo: 32 << 20)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let sha = object["sha"] as? String else {
            throw VisionError.upstreamUnavailable("the hub's repository listing for '\(repoID)' is not readable")
        }
        let files = (object["siblings"] as? [[String: Any]] ?? []).compactMap { $0["rfilename"] as? String }
        return (sha, files)
    }

    // MARK: - Download

    /// Makes `path` of `repoID` at `revision` present in the cache and returns its snapshot path.
    /// A cached commit needs no network; offline mode never touches it.
    public func ensureFile(repoID: String, revision: String, path: String,
                           progress: (@Sendable (DownloadProgress) -> Void)? = nil) async throws -> String {
        let layout = HubCacheLayout(cacheFolder: configuration.cacheFolder, repoID: repoID)
        let isCommit = revision.count == 40 && revision.allSatisfy(\.isHexDigit)
        let cachedCommit = isCommit ? revision : layout.readRef(revision)
        if let commit = cachedCommit, FileManager.default.fileExists(atPath: layout.snapshotFile(commit, path)),
           isCommit || configuration.offline {
            return layout.snapshotFile(commit, path)
        }
        if configuration.offline {
            throw VisionError.modelNotFound("'\(path)' of model '\(repoID)' (revision \(revision)) is not in the cache and "
                                            + "HF_HUB_OFFLINE is set")
        }
        let meta = try await metadata(repoID: repoID, revision: revision, path: path)
        do {
            return try await store(meta, layout: layout, isCommit: isCommit, revision: revision, repoID: repoID,
                                   path: path, progress: progress)
        } catch {
            throw DiskSpace.mapped(error, repoID: repoID, cacheFolder: configuration.cacheFolder)
        }
    }

    /// Puts the file `meta` describes into the cache (downloading its blob unless present) and
    /// links it into its snapshot.
    private func store(_ meta: HubFileMetadata, layout: HubCacheLayout, isCommit: Bool, revision: String,
                       repoID: String, path: String, progress: (@Sendable (DownloadProgress) -> Void)?) async throws -> String {
        if !isCommit { try layout.writeRef(revision, commit: meta.commit) }
        let target = layout.snapshotFile(meta.commit, path)
        if blobIsComplete(layout.blob(meta.etag), size: meta.size) {
            try layout.linkSnapshot(commit: meta.commit, path: path, etag: meta.etag)
            return target
        }
        let lock = try await FileLock.acquire(layout.lock(meta.etag))
        defer { lock.release() }
        if !blobIsComplete(layout.blob(meta.etag), size: meta.size) {
            try await fetchBlob(meta, layout: layout, repoID: repoID, path: path, progress: progress)
        }
        try layout.linkSnapshot(commit: meta.commit, path: path, etag: meta.etag)
        return target
    }

    private func blobIsComplete(_ path: String, size: Int?) -> Bool {
        guard let actual = FileSize.of(path) else { return false }
        return size.map { actual == $0 } ?? true
    }

    private func fileSize(_ path: String) -> Int { FileSize.of(path) ?? 0 }

    /// Downloads into `<etag>.incomplete`, resuming with `Range` after a break, then verifies and
    /// renames into place. A half-written or corrupt file never becomes a blob.
    private func fetchBlob(_ meta: HubFileMetadata, layout: HubCacheLayout, repoID: String, path: String,
                           progress: (@Sendable (DownloadProgress) -> Void)?) async throws {
        let partial = layout.incomplete(meta.etag)
        try FileManager.default.createDirectory(atPath: (partial as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        var lastError: (any Error)?
        for _ in 0..<max(1, configuration.maxAttempts) {
            do {
                try await transfer(from: meta.location, to: partial, expected: meta.size, repoID: repoID, path: path,
                                   progress: progress)
                lastError = nil
                break
            } catch let error as VisionError where error.category != .notReady {
                throw error
            } catch {
                lastError = error
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        if let lastError { throw lastError }
        let got = fileSize(partial)
        if let expected = meta.size, got != expected {
            unlink(partial)
            throw VisionError.upstreamUnavailable("download of '\(repoID)/\(path)' ended at \(got) of \(expected) bytes")
        }
        try await verify(partial, etag: meta.etag, repoID: repoID, path: path)
        guard rename(partial, layout.blob(meta.etag)) == 0 else {
            throw VisionError.internalError("could not move the download of '\(path)' of '\(repoID)' into the cache")
        }
    }

    /// GET with redirects followed by hand (token only on the endpoint's host) and `Range` resume.
    private func transfer(from start: String, to partial: String, expected: Int?, repoID: String, path: String,
                          progress: (@Sendable (DownloadProgress) -> Void)?) async throws {
        var url = start
        for _ in 0..<10 {
            let have = fileSize(partial)
            if let expected, have == expected { return }
            var extra: [(String, String)] = [("Accept-Encoding", "identity")]
            if have > 0 { extra.append(("Range", "bytes=\(have)-")) }
            let response = try await execute(request(url, method: .GET, headers: extra), timeout: configuration.readTimeoutSeconds)
            let status = response.status.code
            if (300..<400).contains(status), let location = response.headers.first(name: "Location") {
                url = URL(string: location, relativeTo: URL(string: url))?.absoluteString ?? location
                continue
            }
            guard status == 200 || status == 206 else {
                if status == 416, let expected, have >= expected { return }
                throw hubError(response, repoID: repoID, revision: "", path: path)
            }
            let append = status == 206 && have > 0
            guard let handle = FileHandle(forWritingAtPath: partial) ?? {
                FileManager.default.createFile(atPath: partial, contents: nil)
                return FileHandle(forWritingAtPath: partial)
            }() else { throw DiskSpace.WriteFailure(code: errno) }
            defer { try? handle.close() }
            if append { try handle.seekToEnd() } else { try handle.truncate(atOffset: 0) }
            var done = append ? have : 0
            var reported = 0
            // Chunks are gathered into 4 MiB writes made on NIO's blocking-I/O pool, never on the
            // cooperative pool.
            let fd = handle.fileDescriptor
            var pending: [UInt8] = []
            pending.reserveCapacity(4 << 20)
            do {
                for try await chunk in response.body {
                    pending.append(contentsOf: chunk.readableBytesView)
                    done += chunk.readableBytes
                    if pending.count >= 4 << 20 {
                        try await Self.write(pending, to: fd)
                        pending.removeAll(keepingCapacity: true)
                    }
                    if let progress, done - reported >= 1 << 20 || (expected.map { done >= $0 } ?? false) {
                        reported = done
                        progress(DownloadProgress(repoID: repoID, path: path, bytesDone: done, bytesTotal: expected))
                    }
                }
                if !pending.isEmpty { try await Self.write(pending, to: fd) }
            } catch let failure as DiskSpace.WriteFailure {
                // What was written stays in the partial file: the next try resumes from there.
                throw DiskSpace.downloadFailure(failure.code, repoID: repoID, path: path, needed: expected,
                                                kept: fileSize(partial), cacheFolder: configuration.cacheFolder)
            } catch {
                // A cut connection: keep what arrived, so the next attempt resumes from there.
                if !pending.isEmpty { try? await Self.write(pending, to: fd) }
                throw error
            }
            return
        }
        throw VisionError.upstreamUnavailable("too many redirects downloading '\(repoID)/\(path)'")
    }

    /// Writes all of `bytes` at the descriptor's offset, on NIO's blocking-I/O pool.
    private static func write(_ bytes: [UInt8], to fd: Int32) async throws {
        try await NIOThreadPool.singleton.runIfActive {
            try bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw DiskSpace.WriteFailure(code: n < 0 ? errno : ENOSPC) }
                    offset += n
                }
            }
        }
    }

    /// An LFS etag is the file's sha256; a regular file's is its git blob sha1.
    private func verify(_ file: String, etag: String, repoID: String, path: String) async throws {
        let isSHA256 = etag.count == 64 && etag.allSatisfy(\.isHexDigit)
        let isSHA1 = etag.count == 40 && etag.allSatisfy(\.isHexDigit)
        guard isSHA256 || isSHA1 else { return }
        let size = fileSize(file)
        let digest = try await NIOThreadPool.singleton.runIfActive { () throws -> String in
            guard let handle = FileHandle(forReadingAtPath: file) else {
                throw VisionError.internalError("cannot read back the download of '\(path)' of '\(repoID)'")
            }
            defer { try? handle.close() }
            if isSHA256 {
                var hasher = SHA256()
                while let data = try handle.read(upToCount: 4 << 20), !data.isEmpty { hasher.update(data: data) }
                return hasher.finalize().map { String(format: "%02x", $0) }.joined()
            }
            var hasher = Insecure.SHA1()
            hasher.update(data: Data("blob \(size)\u{0}".utf8))
            while let data = try handle.read(upToCount: 4 << 20), !data.isEmpty { hasher.update(data: data) }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
        guard digest == etag.lowercased() else {
            unlink(file)
            throw VisionError.upstreamUnavailable(
                "download of '\(repoID)/\(path)' is corrupt (checksum \(digest.prefix(12))… does not match \(etag.prefix(12))…)")
        }
    }
}
