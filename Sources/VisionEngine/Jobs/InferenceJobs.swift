import Foundation
import JobQueue
import VisionCore

/// Runs queued jobs through the model families' services, and prepares submitted requests:
/// validated now (a bad request is a 4xx at submit, not a failed job later) and stored with their
/// images as bytes (URLs fetched once, through the URL policy).
public struct InferenceJobs: JobExecuting {
    let context: EngineContext
    let dinov3: DINOv3Service
    let depthAnything: DepthAnythingService
    let groundingDINO: GroundingDINOService
    let sam3: SAM3Service

    public init(context: EngineContext, dinov3: DINOv3Service, depthAnything: DepthAnythingService,
                groundingDINO: GroundingDINOService, sam3: SAM3Service) {
        self.context = context
        self.dinov3 = dinov3
        self.depthAnything = depthAnything
        self.groundingDINO = groundingDINO
        self.sam3 = sam3
    }

    /// The model type named in a jobs URL (`grounding-dino` and `grounding_dino` alike).
    public static func modelType(_ name: String) throws -> ModelType {
        guard let type = ModelType(rawValue: name.replacingOccurrences(of: "-", with: "_")) else {
            throw VisionError.unknownModelType(
                "unknown model type '\(name.prefix(40))'; one of \(ModelType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return type
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as VisionError {
            throw error
        } catch {
            throw VisionError.invalidRequest("the request does not match the \(T.self) shape: \(Self.describe(decoding: error))")
        }
    }

    static func describe(decoding error: any Error) -> String {
        guard let e = error as? DecodingError else { return "invalid JSON" }
        switch e {
        case .keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return c.codingPath.map(\.stringValue).joined(separator: ".") + ": " + c.debugDescription
        @unknown default: return "invalid JSON"
        }
    }

    /// Validates a request and returns what to store: the same JSON with every image as base64.
    public func prepare(modelType: ModelType, body: [UInt8]) async throws -> [UInt8] {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw VisionError.invalidRequest("the request body must be a JSON object")
        }
        if let images = object["images"] as? [Any] {
            var inlined: [Any] = []
            for (i, entry) in images.enumerated() {
                let source: ImageSource
                do {
                    source = try JSONDecoder().decode(ImageInput.self, from: JSONSerialization.data(
                        withJSONObject: [entry], options: [.fragmentsAllowed])).source
                } catch let error as VisionError {
                    throw error.prefixed("image \(i): ")
                } catch {
                    // Shape errors are reported by the typed decode below.
                    inlined.append(entry)
                    continue
                }
                inlined.append(Data(try await context.images.bytes(source)).base64EncodedString())
            }
            object["images"] = inlined
        }
        let stored = [UInt8](try JSONSerialization.data(withJSONObject: object))
        let images: [ImageInput]
        switch modelType {
        case .dinov3:
            images = try Self.decode(DINOv3Request.self, stored).images
        case .depthAnything:
            images = try Self.decode(DepthAnythingRequest.self, stored).images
        case .groundingDINO:
            let r = try Self.decode(GroundingDINORequest.self, stored)
            try groundingDINO.validate(prompts: r.prompts, boxThreshold: r.boxThreshold, textThreshold: r.textThreshold)
            images = r.images
        case .sam3:
            let r = try Self.decode(SAM3Request.self, stored)
            try sam3.validate(r, imageCount: r.images.count)
            images = r.images
        }
        // Every image must decode now.
        _ = try await context.images.load(images.map(\.source))
        return stored
    }

    public func execute(modelType: String, request: [UInt8]) async throws -> [UInt8] {
        switch try Self.modelType(modelType) {
        case .dinov3: return try await dinov3.run(Self.decode(DINOv3Request.self, request)).json()
        case .depthAnything: return try await depthAnything.run(Self.decode(DepthAnythingRequest.self, request)).json()
        case .groundingDINO: return try await groundingDINO.run(Self.decode(GroundingDINORequest.self, request)).json()
        case .sam3: return try await sam3.run(Self.decode(SAM3Request.self, request)).json()
        }
    }

    public func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? VisionError else { return true }
        switch error.category {
        case .overloaded, .notReady, .internalFailure: return true
        default: return false
        }
    }

    public func describe(_ error: any Error) -> String {
        (error as? VisionError)?.message ?? "internal error"
    }
}
