import Foundation
import JobQueue
import VisionCore
import VisionEngine

/// Runs queued jobs through the families' routes, and prepares submitted requests: validated now
/// (a bad request is a 4xx at submit, not a failed job later) and stored with their images as
/// bytes (URLs fetched once, through the URL policy). The stored request is the JSON of the
/// family's first route.
public struct InferenceJobs: JobExecuting {
    let families: FamilyRegistry
    let images: ImagePipeline
    /// Where results are encoded to JSON (off the cooperative pool).
    let work: BlockingExecutor

    public init(families: FamilyRegistry, images: ImagePipeline, work: BlockingExecutor) {
        self.families = families
        self.images = images
        self.work = work
    }

    /// Decoding failures as the 422 the routes give, saying where.
    private static func decoding<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DecodingError {
            throw VisionError.invalidRequest("the request does not match its schema: \(APIError.describe(error))")
        }
    }

    /// Validates a request and returns what to store: the same JSON with every image as base64.
    public func prepare(modelType: ModelType, body: [UInt8]) async throws -> [UInt8] {
        guard let family = families.family(modelType) else {
            throw VisionError.unknownModelType("model type '\(modelType.rawValue.prefix(40))' is not served here")
        }
        // JSON work runs on the request-work threads, off the cooperative pool. Only a body that names
        // image URLs is rewritten (its URLs fetched now and stored as bytes); any other is stored
        // as it came.
        let hasURLs = try await work.run { try Self.referencesURLs(body) }
        let stored = hasURLs ? try await inliningURLs(body) : body
        let inputs = try await Self.decoding { try await work.run { try family.jobs.validate(stored) } }
        // Every image must decode now.
        _ = try await images.load(inputs.map(\.source))
        return stored
    }

    /// Whether an image entry of the body is a URL; a body that is not a JSON object is a 422.
    static func referencesURLs(_ body: [UInt8]) throws -> Bool {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw VisionError.invalidRequest("the request body must be a JSON object")
        }
        let entries = ((object["images"] as? [Any]) ?? []) + (object["inputs"].map { [$0] } ?? [])
        return entries.contains { entry in
            if let text = entry as? String { return ImageSource.namesURL(text) }
            return ((entry as? [String: Any])?["format"] as? String)?.lowercased() == "url"
        }
    }

    /// The body with every image entry as base64 of its bytes, URLs fetched through the policy.
    private func inliningURLs(_ body: [UInt8]) async throws -> [UInt8] {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw VisionError.invalidRequest("the request body must be a JSON object")
        }
        if let entries = object["images"] as? [Any] {
            var inlined: [Any] = []
            for (i, entry) in entries.enumerated() { inlined.append(try await inline(entry, label: "image \(i): ")) }
            object["images"] = inlined
        }
        // The Hugging Face task form's one image.
        if let entry = object["inputs"] { object["inputs"] = try await inline(entry, label: "inputs: ") }
        return [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]))
    }

    /// An image entry as base64 of its bytes (a URL fetched now); an entry of the wrong shape is
    /// left for the typed decode to report.
    private func inline(_ entry: Any, label: String) async throws -> Any {
        let source: ImageSource
        do {
            // JSONSerialization writes only arrays and objects at the top: wrap the entry in one.
            guard let input = try JSONDecoder().decode([ImageInput].self, from: JSONSerialization.data(
                withJSONObject: [entry])).first else { return entry }
            source = input.source
        } catch let error as VisionError {
            throw error.prefixed(label)
        } catch {
            return entry
        }
        return Data(try await images.bytes(source)).base64EncodedString()
    }

    public func execute(modelType: String, request: [UInt8]) async throws -> [UInt8] {
        let type = try families.modelType(modelType)
        let route = families.family(type)!.routes[0]
        let response = try await Self.decoding { try await route.handle(request) }
        return try await work.run { response.json() }
    }

    public func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? VisionError else { return true }
        switch error.category {
        case .overloaded, .notReady, .insufficientStorage, .internalFailure: return true
        default: return false
        }
    }

    public func describe(_ error: any Error) -> String {
        (error as? VisionError)?.publicMessage ?? "internal error"
    }
}
