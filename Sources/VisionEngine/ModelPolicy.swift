/// Which hub ids the server may load (`ALLOWED_MODELS`): exact ids and `org/*` patterns; no
/// patterns allows any. Checked before the cache or the hub is asked.
public struct ModelPolicy: Sendable, Equatable {
    public let patterns: [String]

    public init(patterns: [String] = []) { self.patterns = patterns }

    /// Any model.
    public static let any = ModelPolicy()

    public func allows(_ repoID: String) -> Bool {
        patterns.isEmpty || patterns.contains { pattern in
            pattern.hasSuffix("/*") ? repoID.hasPrefix(pattern.dropLast()) : pattern == repoID
        }
    }
}
