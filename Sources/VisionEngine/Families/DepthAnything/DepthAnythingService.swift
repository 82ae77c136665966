import Foundation
import VisionCore

/// Depth estimation: each image runs alone (sizes differ), is post-processed as transformers'
/// `post_process_depth_estimation` (bicubic to the original size) and encoded as asked.
public struct DepthAnythingService: Sendable {
    let context: EngineContext
    let encoder: any PNGEncoding

    public init(context: EngineContext, encoder: any PNGEncoding) {
        self.context = context
        self.encoder = encoder
    }

    static let exportFormats = ["glb", "npz", "ply", "gs_ply", "gs_video"]

    public func run(_ request: DepthAnythingRequest) async throws -> DepthAnythingResponse {
        let start = ContinuousClock.now
        if let format = request.exportFormat {
            guard Self.exportFormats.contains(format) else {
                throw VisionError.invalidInput("unknown export_format '\(format.prefix(20))'; the original's were: "
                                               + Self.exportFormats.joined(separator: ", "))
            }
            throw VisionError.invalidInput(
                "export_format '\(format)' is not offered: point clouds (ply, glb) and npz need the camera that Depth "
                + "Anything 3 predicts, which this server does not serve yet, and Depth Anything V2 predicts depth only; "
                + "Gaussian-splat formats (gs_ply, gs_video) are not offered. Leave export_format out for the depth map.")
        }
        let images = try await context.images.load(request.images.map(\.source))
        let loaded = try await context.models.model(.depthAnything, request.selection)
        guard let model = loaded as? DepthAnythingModel else {
            throw VisionError.internalError("the depth_anything slot holds another kind of model")
        }
        var results: [DepthResult] = []
        for image in images {
            let pixels = try await context.images.compute { model.pixelValues(image) }
            let raw = try await context.inference.run { try model.depth(pixels) }
            let encoder = self.encoder, format = request.depthFormat
            results.append(try await context.images.compute {
                let depth = BicubicUpsample.resize(raw.values, height: raw.height, width: raw.width,
                                                   outHeight: image.height, outWidth: image.width)
                return try Self.encode(depth, height: image.height, width: image.width, format: format, encoder: encoder)
            })
        }
        return DepthAnythingResponse(results: results, modelID: model.reference.description, depthKind: model.depthKind,
                                     processingTime: (ContinuousClock.now - start).seconds)
    }

    static func encode(_ depth: [Float], height: Int, width: Int, format: DepthFormat,
                       encoder: any PNGEncoding) throws -> DepthResult {
        let lo = depth.min() ?? 0, hi = depth.max() ?? 0
        var scale: Float?
        let encoded: [UInt8]
        switch format {
        case .png8:
            // As the pipeline: (d - min) / (max - min) * 255, truncated to uint8.
            let range = hi - lo
            let pixels = depth.map { range > 0 ? UInt8(clamping: Int((($0 - lo) / range) * 255)) : 0 }
            encoded = try encoder.grey8(pixels, width: width, height: height)
        case .png16:
            let step = hi > lo ? (hi - lo) / 65535 : 1
            let pixels = depth.map { UInt16(clamping: Int((($0 - lo) / step).rounded())) }
            encoded = try encoder.grey16(pixels, width: width, height: height)
            scale = step
        case .float32:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(depth.count * 4)
            for v in depth { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            encoded = bytes
        }
        return DepthResult(depth: depth, height: height, width: width, encoded: encoded, format: format,
                           minimum: lo, maximum: hi, scale: scale, offset: scale == nil ? nil : lo)
    }
}
