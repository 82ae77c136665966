import Foundation
import VisionCore

/// Depth estimation. Depth Anything V2: each image alone, post-processed as transformers'
/// `post_process_depth_estimation` (bicubic to the original size). Depth Anything 3: the
/// depth-anything-3 package's outputs at the processed size with confidence, camera and, on
/// request, a point cloud or npz built from them; a request's images are views of one scene by
/// default (one pass, one world frame, one export of every view), or each alone with `scene: false`.
public struct DepthAnythingService: Sendable {
    let context: EngineContext
    let encoder: any PNGEncoding
    /// Views one scene may have (`DA3_MAX_SCENE_VIEWS`): global attention grows with the square
    /// of the views' tokens.
    let maxSceneViews: Int

    public init(context: EngineContext, encoder: any PNGEncoding, maxSceneViews: Int = 8) {
        self.context = context
        self.encoder = encoder
        self.maxSceneViews = maxSceneViews
    }

    public func run(_ request: DepthAnythingRequest) async throws -> DepthAnythingResponse {
        let start = ContinuousClock.now
        if request.exportFormat == .gsVideo {
            throw VisionError.invalidInput(
                "export_format 'gs_video' is not offered: the package renders its fly-through with gsplat's CUDA "
                + "rasteriser, and the server has no 3D Gaussian renderer; ask for 'gs_ply' (Gaussian splats, on "
                + "presets with a Gaussian head) and render it in any 3DGS viewer; offered: "
                + DepthExportFormat.offered.map(\.rawValue).joined(separator: ", "))
        }
        let images = try await context.images.load(request.images.map(\.source))
        let loaded = try await context.models.model(DepthAnythingFamily.loader, request.selection)
        let results: [DepthResult]
        let depthKind: String
        switch loaded.generation {
        case .v3(let model):
            let cameras = try check(request, for: model, images: images.count)
            results = try await runV3(model, images: images, request: request, cameras: cameras)
            depthKind = switch model.kind {
            case .mono(metric: true): request.focalLength == nil ? "metric_canonical" : "metric"
            case .nested: "metric"
            default: "relative"
            }
        case .v2(let model):
            if let format = request.exportFormat {
                throw VisionError.invalidInput(
                    "export_format '\(format.rawValue)' is not offered by '\(model.reference.repoID)': it is Depth Anything V2, "
                    + "which predicts \(model.depthKind) depth only, so it offers no export formats; "
                    + DepthExportFormat.offered.map(\.rawValue).joined(separator: ", ")
                    + " are offered by Depth Anything 3 models. Leave export_format out for the depth map.")
            }
            if request.focalLength != nil {
                throw VisionError.invalidInput("focal_length applies to Depth Anything 3's metric preset; '\(model.reference.repoID)' is Depth Anything V2")
            }
            if request.extrinsics != nil || request.intrinsics != nil {
                throw VisionError.invalidInput("extrinsics and intrinsics apply to Depth Anything 3's any-view presets; "
                                               + "'\(model.reference.repoID)' is Depth Anything V2")
            }
            results = try await runV2(model, images: images, request: request)
            depthKind = model.depthKind
        }
        return DepthAnythingResponse(results: results, modelID: loaded.reference.description, depthKind: depthKind,
                                     processingTime: (ContinuousClock.now - start).seconds)
    }

    private func runV2(_ model: DepthAnythingModel, images: [RGBImage], request: DepthAnythingRequest) async throws
        -> [DepthResult] {
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
        return results
    }

    /// What a Depth Anything 3 request may ask of this model; its known cameras, checked.
    private func check(_ request: DepthAnythingRequest, for model: DepthAnything3Model, images: Int) throws
        -> KnownCameras? {
        if let focal = request.focalLength {
            guard focal.isFinite, focal > 0 else { throw VisionError.invalidInput("focal_length must be a positive number of pixels") }
            guard model.kind == .mono(metric: true) else {
                throw VisionError.invalidInput("focal_length applies to the metric preset (da3metric-large); "
                                               + "'\(model.reference.repoID)' predicts relative depth")
            }
        }
        if request.exportFormat == .gsPLY, model.gaussians == nil {
            throw VisionError.invalidInput(
                "export_format 'gs_ply' needs a Gaussian head, which '\(model.reference.repoID)' has not: the presets "
                + "with one are \(DepthExportFormat.gaussianPresets.joined(separator: " and ")) (exported by "
                + "tools/export/export.py depth_anything_3); ply, glb and npz work on every any-view preset")
        }
        if case .mono = model.kind, let format = request.exportFormat {
            throw VisionError.invalidInput(
                "export_format '\(format.rawValue)' needs the camera the any-view presets predict; '\(model.reference.repoID)' "
                + "is a monocular preset (depth only). Leave export_format out")
        }
        guard request.extrinsics != nil || request.intrinsics != nil else { return nil }
        if model.isMonocular {
            throw VisionError.invalidInput(
                "extrinsics and intrinsics feed the camera encoder of the any-view presets; '\(model.reference.repoID)' "
                + "is a monocular preset without one (for metres from the metric preset give focal_length)")
        }
        guard model.cameraInput else {
            throw VisionError.invalidInput(
                "'\(model.reference.repoID)' was exported before camera input: re-export it with tools/export/export.py "
                + "depth_anything_3 to give extrinsics and intrinsics")
        }
        return try KnownCameras(extrinsics: request.extrinsics, intrinsics: request.intrinsics, images: images)
    }

    private func runV3(_ model: DepthAnything3Model, images: [RGBImage], request: DepthAnythingRequest,
                       cameras: KnownCameras?) async throws -> [DepthResult] {
        // Monocular presets have no cross-view attention: each image is its own scene.
        guard request.scene, images.count > 1, !model.isMonocular else {
            var results: [DepthResult] = []
            for (i, image) in images.enumerated() {
                results += try await runScene(model, images: [image], request: request, cameras: cameras?.view(i))
            }
            return results
        }
        guard model.sceneViews else {
            throw VisionError.invalidInput(
                "'\(model.reference.repoID)' was exported before multi-view scenes (one view per image): re-export it "
                + "with tools/export/export.py depth_anything_3 for the \(images.count) images as one scene, or send "
                + "\"scene\": false to run each image alone")
        }
        guard images.count <= maxSceneViews else {
            throw VisionError.invalidInput(
                "a scene has at most \(maxSceneViews) views (DA3_MAX_SCENE_VIEWS), got \(images.count); send fewer "
                + "images or \"scene\": false")
        }
        return try await runScene(model, images: images, request: request, cameras: cameras)
    }

    /// One pass over `images` as the views of one scene (one image: its own scene). Views of
    /// different sizes are center-cropped to the smallest, as the package does. The scene's
    /// export (every view's points in the one world frame) goes with the first view's result.
    /// Known cameras are conditioned on as the package does (`DepthAnything3.inference` with
    /// extrinsics and intrinsics): intrinsics through the resizes and crop, extrinsics relative to
    /// the first view with unit median distance, encoded for the camera encoder; afterwards depth
    /// in the input cameras' scale and the input cameras returned.
    private func runScene(_ model: DepthAnything3Model, images: [RGBImage], request: DepthAnythingRequest,
                          cameras: KnownCameras?) async throws -> [DepthResult] {
        let monocular = model.isMonocular
        let (processed, pixels, known) = try await context.images.compute {
            let resized = try images.map { try model.preprocessor.resized($0) }
            let views = DepthAnything3Preprocessor.unified(resized)
            var known: (poses: [Float], intrinsics: [[[Double]]], normalized: [[[Double]]])?
            if let cameras {
                let crop = (views[0].width, views[0].height)
                let intrinsics = try zip(images, resized).enumerated().map { i, pair in
                    DepthAnything3Preprocessor.unifiedIntrinsics(
                        try model.preprocessor.intrinsics(cameras.intrinsics[i], width: pair.0.width, height: pair.0.height),
                        size: (pair.1.width, pair.1.height), to: crop)
                }
                let normalized = CameraConditioning.normalized(cameras.extrinsics)
                let poses = zip(normalized, intrinsics).flatMap { e, k in
                    CameraConditioning.poseEncoding(extrinsics: e, intrinsics: k, height: crop.1, width: crop.0)
                }
                known = (poses, intrinsics, normalized)
            }
            return (views, views.map { model.preprocessor.pixelValues($0) }, known)
        }
        let splats = request.exportFormat == .gsPLY
        let raw = try await context.inference.run {
            try model.runScene(pixels, cameraPoses: known?.poses, gaussians: splats)
        }
        let encoder = self.encoder, format = request.depthFormat, focal = request.focalLength
        let withConfidence = request.includeConfidence, export = request.exportFormat
        return try await context.images.compute {
            var results: [DepthResult] = []
            var outs = raw
            if splats, let known { outs.scaleGaussians(onto: known.normalized) }
            if model.kind == .nested { _ = try outs.alignNested() }
            if let cameras, let known { _ = outs.alignToInput(extrinsics: cameras.extrinsics, intrinsics: known.intrinsics) }
            for (i, image) in images.enumerated() {
                if monocular { outs[i].applySky() }
                if let focal {
                    // The focal at the processed size (the mean of fx and fy there), as the package's
                    // `focal * net_output / 300` takes it.
                    let scaled = (focal * Double(outs[i].width) / Double(image.width)
                                  + focal * Double(outs[i].height) / Double(image.height)) / 2
                    let factor = Float(scaled / 300)
                    outs[i].depth = outs[i].depth.map { $0 * factor }
                }
            }
            for (out, image) in zip(outs, images) {
                var result = try Self.encode(out.depth, height: out.height, width: out.width, format: format,
                                             encoder: encoder)
                if withConfidence, let confidence = out.confidence {
                    result.confidence = try Self.encode(confidence, height: out.height, width: out.width,
                                                        format: format, encoder: encoder).map
                }
                result.camera = out.camera
                result.originalShape = [image.height, image.width]
                results.append(result)
            }
            if let export { results[0].export = Self.exportFile(export, outs, colors: processed) }
            return results
        }
    }

    /// The package's GLB exporter keeps pixels whose confidence reaches
    /// clamp(1.05, 40th percentile, 90th percentile); the server uses the same rule for ply and glb.
    /// For a scene of N views the threshold is taken over every view's confidence and the views'
    /// points go into one cloud; npz holds depth and conf [H, W] for one view, [N, H, W] for more
    /// (extrinsics [N, 3, 4], intrinsics [N, 3, 3]), as the package's npz.
    static func exportFile(_ format: DepthExportFormat, _ outs: [DepthAnything3Model.Output], colors: [RGBImage])
        -> DepthExportFile {
        let lead = outs.count == 1 ? [] : [outs.count]
        switch format {
        case .gsPLY:
            // The Gaussians come from the network's own depth and camera; the pruning uses the
            // final depth (as the package's export, which reads prediction.depth).
            let ply = GaussianPLY.file(outs.compactMap(\.gaussians), depths: outs.map(\.depth))
            return DepthExportFile(format: .gsPLY, data: ply.data, points: ply.count)
        case .npz:
            var npz = NPZWriter()
            let (h, w) = (outs[0].height, outs[0].width)
            npz.add("depth", floats: outs.flatMap(\.depth), shape: lead + [h, w])
            npz.add("conf", floats: outs.flatMap { $0.confidence ?? [] }, shape: lead + [h, w])
            npz.add("extrinsics", floats: outs.flatMap { $0.camera?.extrinsics.flatMap { $0.map(Float.init) } ?? [] }, shape: lead + [3, 4])
            npz.add("intrinsics", floats: outs.flatMap { $0.camera?.intrinsics.flatMap { $0.map(Float.init) } ?? [] }, shape: lead + [3, 3])
            return DepthExportFile(format: .npz, data: npz.archive(), points: nil)
        default:
            // Any-view presets only (checked before the run): every view has confidence and a camera.
            let all = outs.flatMap { $0.confidence ?? [] }
            let threshold = min(max(1.05, percentile(all, 40)), percentile(all, 90))
            var cloud = PointCloud()
            for (out, image) in zip(outs, colors) {
                guard let camera = out.camera else { continue }
                let view = PointCloud.backProject(depth: out.depth, confidence: out.confidence, width: out.width,
                                                  height: out.height, intrinsics: camera.intrinsics,
                                                  extrinsics: camera.extrinsics, image: image,
                                                  minimumConfidence: threshold)
                cloud.positions += view.positions
                cloud.colors += view.colors
            }
            return DepthExportFile(format: format, data: format == .glb ? PointCloudFiles.glb(cloud) : PointCloudFiles.ply(cloud),
                                   points: cloud.count)
        }
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
        return DepthResult(depth: depth, height: height, width: width,
                           map: EncodedMap(encoded: encoded, format: format, minimum: lo, maximum: hi, scale: scale,
                                           offset: scale == nil ? nil : lo))
    }
}
