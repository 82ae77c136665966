/// A model type's wire name (`sam3`, `grounding_dino`, ...), declared by its family (each family
/// folder adds its constant); the served types are the registered families'.
public struct ModelType: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static func < (a: ModelType, b: ModelType) -> Bool { a.rawValue < b.rawValue }
}
