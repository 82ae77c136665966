import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import VisionCore

/// Fetches image URLs under a server-side-request-forgery guard: only http(s); the host's every
/// resolved address must pass `AddressPolicy`; redirects are followed by hand so every hop is
/// checked the same way; bodies are size- and time-limited.
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

    private let client: HTTPClient
    private let policy: AddressPolicy
    private let limits: Limits
    private let resolver: @Sendable (String) async throws -> [[UInt8]]

    public init(policy: AddressPolicy, limits: Limits = Limits(),
                resolver: (@Sendable (String) async throws -> [[UInt8]])? = nil) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(min(limits.timeoutSeconds, 10)), read: .seconds(limits.timeoutSeconds))
        configuration.decompression = .disabled
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.policy = policy
        self.limits = limits
        self.resolver = resolver ?? Self.systemResolve
    }

    /// Closes the HTTP client's connections.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    public func fetch(_ url: String) async throws -> [UInt8] {
        var current = url
        for _ in 0...limits.maxRedirects {
            guard let parsed = URL(string: current), let scheme = parsed.scheme?.lowercased(),
                  scheme == "http" || scheme == "https", let host = parsed.host, !host.isEmpty else {
                throw VisionError.invalidInput("image URL is not a valid http(s) URL")
            }
            try await checkHost(host)
            var request = HTTPClientRequest(url: current)
            request.method = .GET
            request.headers.add(name: "User-Agent", value: "vision-models-api")
            request.headers.add(name: "Accept", value: "image/*")
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: .seconds(limits.timeoutSeconds))
            } catch {
                throw VisionError.fetchFailed("could not fetch image URL host '\(host)': \(Self.describe(error))")
            }
            if (300..<400).contains(response.status.code), let location = response.headers.first(name: "location") {
                guard let next = URL(string: location, relativeTo: parsed)?.absoluteString else {
                    throw VisionError.fetchFailed("image URL redirected to an invalid location")
                }
                current = next
                continue
            }
            guard response.status == .ok else {
                throw VisionError.fetchFailed("image URL returned HTTP \(response.status.code)")
            }
            if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limits.maxBytes {
                throw VisionError.imageTooLarge("image URL body is \(length) bytes; the limit is \(limits.maxBytes)")
            }
            do {
                let body = try await response.body.collect(upTo: limits.maxBytes)
                return Array(body.readableBytesView)
            } catch is NIOTooManyBytesError {
                throw VisionError.imageTooLarge("image URL body exceeds the limit of \(limits.maxBytes) bytes")
            } catch {
                throw VisionError.fetchFailed("reading image URL body failed: \(Self.describe(error))")
            }
        }
        throw VisionError.fetchFailed("image URL redirected more than \(limits.maxRedirects) times")
    }

    /// POSTs JSON to a URL under the same address policy (a job's completion webhook); redirects
    /// are not followed. Returns the HTTP status.
    public func postJSON(_ url: String, body: [UInt8], headers: [(String, String)] = []) async throws -> Int {
        try await checkURL(url)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "User-Agent", value: "vision-models-api")
        request.body = .bytes(body)
        let response = try await client.execute(request, timeout: .seconds(limits.timeoutSeconds))
        return Int(response.status.code)
    }

    /// Checks a URL's host against the policy without fetching (callback URLs at submit time).
    public func checkURL(_ url: String) async throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parsed.host, !host.isEmpty else {
            throw VisionError.invalidInput("callback_url is not a valid http(s) URL")
        }
        try await checkHost(host)
    }

    private func checkHost(_ rawHost: String) async throws {
        let host = rawHost.hasPrefix("[") ? String(rawHost.dropFirst().dropLast()) : rawHost
        if policy.hostIsAllowListed(host) { return }
        let addresses: [[UInt8]]
        if let literal = AddressPolicy.parseIP(host) {
            addresses = [literal]
        } else {
            addresses = try await resolver(host)
        }
        guard !addresses.isEmpty else { throw VisionError.fetchFailed("image URL host '\(host)' does not resolve") }
        for address in addresses where !policy.permits(address) {
            throw VisionError.forbiddenURL(
                "image URL host '\(host)' resolves to a loopback, private, link-local or otherwise non-public "
                + "address; such URLs are refused (see IMAGE_URL_ALLOWLIST)")
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
