import Hummingbird
import VisionCore
import VisionEngine

/// `/inference/<family>`: one route per served model family.
struct InferenceRoutes {
    let dependencies: APIDependencies
    let configuration: APIConfiguration

    func register(on router: Router<BasicRequestContext>) {
        let limit = configuration.maxBodyBytes
        let encoder = dependencies.responseEncoder
        /// Encodes a result on the encoder's threads, off the cooperative pool.
        @Sendable func encoded<R: Sendable>(_ result: R, _ json: @escaping @Sendable (R) -> [UInt8]) async throws -> Response {
            JSONIO.response(try await encoder.run { json(result) })
        }
        let dinov3 = dependencies.dinov3
        router.post("/inference/dinov3") { request, _ in
            let body = try await JSONIO.decode(DINOv3Request.self, from: request, limit: limit)
            return try await encoded(try await dinov3.run(body)) { $0.json() }
        }
        let depth = dependencies.depthAnything
        router.post("/inference/depth-anything") { request, _ in
            let body = try await JSONIO.decode(DepthAnythingRequest.self, from: request, limit: limit)
            return try await encoded(try await depth.run(body)) { $0.json() }
        }
        let segmentation = dependencies.sam3
        router.post("/inference/sam3") { request, _ in
            let body = try await JSONIO.decode(SAM3Request.self, from: request, limit: limit)
            return try await encoded(try await segmentation.run(body)) { $0.json() }
        }
        let detection = dependencies.groundingDINO
        router.post("/inference/grounding-dino") { request, _ in
            let body = try await JSONIO.decode(GroundingDINORequest.self, from: request, limit: limit)
            return try await encoded(try await detection.run(body)) { $0.json() }
        }
        router.post("/inference/zero-shot-object-detection") { request, _ in
            let body = try await JSONIO.decode(ZeroShotDetectionRequest.self, from: request, limit: limit)
            return try await encoded(try await detection.zeroShot(body)) { $0.json() }
        }
    }
}
