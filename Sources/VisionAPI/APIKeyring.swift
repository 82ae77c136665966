import Crypto
import Foundation
import Synchronization

/// The API keys a request may present. Keys are kept only as SHA-256 digests and compared in
/// constant time (every stored digest, every byte); they never appear in a description, log
/// line or error. Replaced as a whole on reload (SIGHUP re-reads `API_KEYS_FILE`).
public final class APIKeyring: Sendable {
    private let digests: Mutex<[[UInt8]]>

    /// `keys`: the keys themselves (empty: the server is open).
    public init(keys: [String]) {
        digests = Mutex(Self.digests(keys))
    }

    private static func digests(_ keys: [String]) -> [[UInt8]] {
        Array(Set(keys.filter { !$0.isEmpty })).map { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    /// Whether any key is set (no keys: every route is open, as the original server).
    public var isEnabled: Bool { digests.withLock { !$0.isEmpty } }

    public var count: Int { digests.withLock { $0.count } }

    /// Replaces every key.
    public func replace(with keys: [String]) {
        let new = Self.digests(keys)
        digests.withLock { $0 = new }
    }

    /// Whether `presented` is one of the keys, in time that does not depend on which key or how
    /// much of it matched.
    public func accepts(_ presented: String) -> Bool {
        let candidate = Array(SHA256.hash(data: Data(presented.utf8)))
        return digests.withLock { stored in
            var found: UInt8 = 0
            for digest in stored {
                var difference: UInt8 = 0
                for (a, b) in zip(digest, candidate) { difference |= a ^ b }
                found |= difference == 0 ? 1 : 0
            }
            return found == 1
        }
    }

    /// The keys of an `API_KEYS_FILE`: one per line; blank lines and lines starting with `#` skipped.
    public static func keys(inFile text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// The keys of `API_KEYS`: comma-separated.
    public static func keys(inList text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

extension APIKeyring: CustomStringConvertible {
    /// Never the keys.
    public var description: String { "APIKeyring(\(count) keys)" }
}
