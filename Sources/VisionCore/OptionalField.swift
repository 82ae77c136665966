extension KeyedDecodingContainer {
    /// The value at `key`, or `nil` when the key is absent. An explicit `null` is refused like any
    /// other wrong type: request documents declare optional fields as absent-or-typed, not nullable,
    /// and the decoder must say the same as the document.
    public func decodeOptional<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        return try decode(T.self, forKey: key)
    }
}
