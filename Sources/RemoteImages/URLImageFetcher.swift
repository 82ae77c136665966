import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import VisionCore

/// Fetches image URLs under a server-side-request-forgery guard: only http(s); the host's every
/// resolved address must pass `AddressPolicy`, and the connection goes to the address that was
/// checked (no second resolution, so no DNS-rebinding window), with the original name as Host and
/// TLS SNI; redirects are followed by hand so every hop is resolved and checked the same way;
/// bodies are size- and time-limited.
public final class URLImageFetcher: ImageFetching {
    public struct Limits: Sendable {
        public var maxBytes: Int
        public var timeoutSeconds: Int64
        public var maxRedirects: Int
        public init(maxBytes: Int = 32 << 20, timeoutSeconds: Int64 = 15, maxRedirects: Int = 3) {
            self.maxBytes = maxBytes
            self.timeoutSeconds = timeoutSeconds
            self.maxRedirects = maxRedirects
        }
    }

    /// A URL whose host passed the policy, and the address to connect to (nil: connect by name,
    /// for hosts allow-listed by name and for literal addresses).
    struct VettedTarget {
        let parsed: URL
        let host: String
        let connectTo: String?
    }

    private let policy: AddressPolicy
    private let limits: Limits
    private let resolver: @Sendable (String) async throws -> [[UInt8]]

    /// `resolver` turns a host name into its addresses (4 or 16 bytes each); tests pass their own.
    public init(policy: AddressPolicy, limits: Limits = Limits(),
                resolver: (@Sendable (String) async throws -> [[UInt8]])? = nil) {
        self.policy = policy
        self.limits = limits
        self.resolver = resolver ?? Self.systemResolve
    }

    public func fetch(_ url: String) async throws -> [UInt8] {
        var current = url
        for _ in 0...limits.maxRedirects {
            let target = try await vet(current, what: "image URL")
            var request = HTTPClientRequest(url: current)
            request.method = .GET
            request.headers.add(name: "User-Agent", value: "vision-models-api")
            request.headers.add(name: "Accept", value: "image/*")
            let outcome: FetchStep = try await withClient(for: target) { client in
                let response: HTTPClientResponse
                do {
                    response = try await client.execute(request, timeout: .seconds(limits.timeoutSeconds))
                } catch {
                    throw VisionError.fetchFailed("could not fetch image URL host '\(target.host)': \(Self.describe(error))")
                }
                if (300..<400).contains(response.status.code), let location = response.headers.first(name: "location") {
                    guard let next = URL(string: location, relativeTo: target.parsed)?.absoluteString else {
                        throw VisionError.fetchFailed("image URL redirected to an invalid location")
                    }
                    return .redirect(next)
                }
                guard response.status == .ok else {
                    throw VisionError.fetchFailed("image URL returned HTTP \(response.status.code)")
                }
                if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limits.maxBytes {
                    throw VisionError.imageTooLarge("image URL body is \(length) bytes; the limit is \(limits.maxBytes)")
                }
                do {
                    let body = try await response.body.collect(upTo: limits.maxBytes)
                    return .body(Array(body.readableBytesView))
                } catch is NIOTooManyBytesError {
                    throw VisionError.imageTooLarge("image URL body exceeds the limit of \(limits.maxBytes) bytes")
                } catch {
                    throw VisionError.fetchFailed("reading image URL body failed: \(Self.describe(error))")
                }
            }
            switch outcome {
            case .body(let bytes): return bytes
            case .redirect(let next): current = next
            }
        }
        throw VisionError.fetchFailed("image URL redirected more than \(limits.maxRedirects) times")
    }

    enum FetchStep: Sendable {
        case body([UInt8])
        case redirect(String)
    }

    /// POSTs JSON to a URL under the same address policy and to the vetted address (a job's
    /// completion webhook); redirects are not followed. Returns the HTTP status.
    public func postJSON(_ url: String, body: [UInt8], headers: [(String, String)] = []) async throws -> Int {
        let target = try await vet(url, what: "callback_url")
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "User-Agent", value: "vision-models-api")
        request.body = .bytes(body)
        return try await withClient(for: target) { client in
            Int(try await client.execute(request, timeout: .seconds(limits.timeoutSeconds)).status.code)
        }
    }

    /// Checks a URL's host against the policy without fetching (callback URLs at submit time).
    public func checkURL(_ url: String) async throws {
        _ = try await vet(url, what: "callback_url")
    }

    /// Parses `url`, resolves its host once and checks every address.
    func vet(_ url: String, what: String) async throws -> VettedTarget {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let rawHost = parsed.host, !rawHost.isEmpty else {
            throw VisionError.invalidInput("\(what) is not a valid http(s) URL")
        }
        let host = rawHost.hasPrefix("[") ? String(rawHost.dropFirst().dropLast()) : rawHost
        if policy.hostIsAllowListed(host) {
            return VettedTarget(parsed: parsed, host: host, connectTo: nil)
        }
        if let literal = AddressPolicy.parseIP(host) {
            guard policy.permits(literal) else { throw Self.refused(host, what: what) }
            return VettedTarget(parsed: parsed, host: host, connectTo: nil)
        }
        let addresses = try await resolver(host)
        guard let first = addresses.first else { throw VisionError.fetchFailed("\(what) host '\(host)' does not resolve") }
        for address in addresses where !policy.permits(address) {
            throw Self.refused(host, what: what)
        }
        guard let text = AddressPolicy.format(first) else {
            throw VisionError.fetchFailed("\(what) host '\(host)' resolves to an unusable address")
        }
        return VettedTarget(parsed: parsed, host: host, connectTo: text)
    }

    private static func refused(_ host: String, what: String) -> VisionError {
        VisionError.forbiddenURL(
            "\(what) host '\(host)' resolves to a loopback, private, link-local or otherwise non-public "
            + "address; such URLs are refused (see IMAGE_URL_ALLOWLIST)")
    }

    /// Runs `body` with a client that connects `target.host` to its vetted address (AsyncHTTPClient's
    /// DNS override keeps the name for the Host header, SNI and certificate checks), then shuts it down.
    private func withClient<T: Sendable>(for target: VettedTarget,
                                         _ body: (HTTPClient) async throws -> T) async throws -> T {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(min(limits.timeoutSeconds, 10)), read: .seconds(limits.timeoutSeconds))
        configuration.decompression = .disabled
        if let address = target.connectTo { configuration.dnsOverride = [target.host: address] }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError { return "\(e)" }
        return String(describing: type(of: error))
    }

    /// getaddrinfo on NIO's blocking-I/O thread pool (never on the cooperative pool).
    @Sendable static func systemResolve(_ host: String) async throws -> [[UInt8]] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &result)
            guard status == 0 else {
                throw VisionError.fetchFailed("image URL host '\(host)' does not resolve")
            }
            defer { freeaddrinfo(result) }
            var addresses: [[UInt8]] = []
            var node = result
            while let info = node {
                if let addr = info.pointee.ai_addr {
                    if info.pointee.ai_family == AF_INET {
                        addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                            var a = sin.pointee.sin_addr
                            addresses.append(withUnsafeBytes(of: &a) { Array($0) })
                        }
                    } else if info.pointee.ai_family == AF_INET6 {
                        addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                            var a = sin.pointee.sin6_addr
                            addresses.append(withUnsafeBytes(of: &a) { Array($0) })
                        }
                    }
                }
                node = info.pointee.ai_next
            }
            return addresses
        }
    }
}
