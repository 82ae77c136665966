import VisionCore
import VisionEngine

/// The families this server serves, in registration order: routes, jobs, `/models/*` model
/// types, `/health`, `/metrics` and the OpenAPI document all come from here.
public struct FamilyRegistry: Sendable {
    public let families: [ServedFamily]

    public init(_ families: [ServedFamily]) {
        precondition(Set(families.map(\.type)).count == families.count, "a model type is registered twice")
        self.families = families
    }

    public var types: [ModelType] { families.map(\.type) }

    public func family(_ type: ModelType) -> ServedFamily? { families.first { $0.type == type } }

    /// The served model type a request or URL names (`grounding-dino` and `grounding_dino` alike);
    /// a 400 naming the served ones otherwise.
    public func modelType(_ name: String) throws -> ModelType {
        let type = ModelType(rawValue: name.replacingOccurrences(of: "-", with: "_"))
        guard family(type) != nil else {
            throw VisionError.unknownModelType(
                "unknown model type '\(name.prefix(40))'; one of \(types.map(\.rawValue).joined(separator: ", "))")
        }
        return type
    }
}
