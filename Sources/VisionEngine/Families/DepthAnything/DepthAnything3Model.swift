import Foundation
import VisionCore

/// Depth Anything 3 as tools/export/export.py `depth_anything_3` writes it: `pixel_values`
/// [B scenes, N views, 3, H, W] → `depth`, `depth_conf` [B, N, H, W] and `pose_enc` [B, N, 9]
/// (config.json `scene_views: true`), or, exported before scenes, [B, 3, H, W] → [B, H, W] and
/// [B, 9], one view per image. Exports with camera input also take `camera_pose` [B, N, 9] and
/// `camera_given` [B]; with a Gaussian head they give `gs_raw` [B, N, H, W, C] and `gs_density`
/// [B, N, H, W] when the bool input `gaussians` is true. config.json carries `architecture:
/// "DepthAnything3"`, `process_res`, `patch_size`, the normalisation and `gaussians`.
public final class DepthAnything3Model: LoadedModel {
    public let reference: ModelReference
    public let device: ComputeDevice
    public let memoryBytes: Int
    let preprocessor: DepthAnything3Preprocessor
    let session: any InferenceSession
    /// The graph takes scenes of views (its views attend to each other).
    let sceneViews: Bool
    /// What the graph is: an any-view preset (depth, confidence, camera) or a monocular one.
    let kind: Kind

    /// The package's presets as exported: any-view (DualDPT + camera decoder), or monocular
    /// (DPT depth + sky heads, config.json `depth_kind`): `da3mono-large` (relative) or
    /// `da3metric-large` (metric: metres = focal / 300 × output, the focal in processed pixels).
    enum Kind: Sendable, Equatable {
        case anyView
        case mono(metric: Bool)
        /// `da3nested-giant-large`: the any-view graph and a metric graph that scales it to metres.
        case nested

        var isMonocular: Bool { if case .mono = self { true } else { false } }
    }
    /// A monocular preset (depth and sky, no camera; each image alone).
    var isMonocular: Bool { kind.isMonocular }
    /// The nested preset's metric graph (`onnx/metric.onnx`: depth, sky).
    let metricSession: (any InferenceSession)?
    /// The graph takes known cameras (`camera_pose` [B, N, 9], `camera_given` [B]) for its
    /// camera encoder; exports from before that do not.
    let cameraInput: Bool
    /// The graph's Gaussian head (`gs_raw`, `gs_density`) and the adapter settings, for gs_ply.
    let gaussians: GaussianSettings?
    /// The head runs only when the bool input `gaussians` is true (the exporter's `If`).
    let gaussiansOnRequest: Bool
    /// The shipped graph the checkpoint's weights were bound to (nil: the repository's own graphs).
    let shippedGraph: String?

    public var statusDetails: [(String, JSONValue)] { [ModelFiles.graphDetail(shippedGraph)] }

    init(reference: ModelReference, preprocessor: DepthAnything3Preprocessor, session: any InferenceSession,
         memoryBytes: Int, sceneViews: Bool, kind: Kind = .anyView, metricSession: (any InferenceSession)? = nil,
         gaussians: GaussianSettings? = nil, shippedGraph: String? = nil) {
        self.shippedGraph = shippedGraph
        self.gaussians = Set(session.outputs.map(\.name)).isSuperset(of: ["gs_raw", "gs_density"]) ? gaussians : nil
        self.cameraInput = Set(session.inputs.map(\.name)).subtracting(["gaussians"]) == Self.cameraInputs
        self.gaussiansOnRequest = session.inputs.contains { $0.name == "gaussians" }
        self.sceneViews = sceneViews
        self.kind = kind
        self.metricSession = metricSession
        self.reference = reference
        self.preprocessor = preprocessor
        self.session = session
        self.device = session.device
        self.memoryBytes = memoryBytes
    }

    static let cameraInputs: Set<String> = ["pixel_values", "camera_pose", "camera_given"]

    /// True for a config.json the project's exporter wrote for Depth Anything 3.
    static func isExport(_ config: [String: Any]) -> Bool {
        (config["architecture"] as? String) == "DepthAnything3"
    }

    static let exportCommand = "python3 tools/export/graph_only.py depth_anything_3 <config.json> graphs/<name>"

    /// The package's checkpoint (config.json naming a preset + model.safetensors, no graphs) served
    /// through the shipped graph its preset picks, with the settings the graph was made with.
    static func loadShipped(snapshot: ModelSnapshot, context: ModelLoadContext) throws -> DepthAnything3Model? {
        guard let shipped = try ModelFiles.shippedSessions(snapshot, family: .depthAnything, context: context,
                                                           exportCommand: exportCommand,
                                                           ownGraphs: [snapshot.reference.onnxPath()]),
              let session = shipped.sessions["model"] else { return nil }
        let config = ModelFiles.jsonObject("config.json", in: snapshot).merging(shipped.modelConfig) { own, _ in own }
        return try load(snapshot: snapshot, config: config, context: context,
                        graphs: Graphs(main: session, metric: shipped.sessions["metric"], bytes: shipped.bytes,
                                       shippedName: shipped.name))
    }

    /// The sessions a model runs: its main graph, the nested preset's metric graph, the bytes they
    /// hold, and the shipped graph's name when a checkpoint was bound to one.
    struct Graphs {
        let main: any InferenceSession
        let metric: (any InferenceSession)?
        let bytes: Int
        let shippedName: String?

        /// The repository's own graphs: `onnx/model.onnx`, and for the nested preset its metric graph.
        static func own(_ snapshot: ModelSnapshot, config: [String: Any], context: ModelLoadContext) throws -> Graphs {
            let graph = try ModelFiles.graph(snapshot.reference.onnxPath(), in: snapshot)
            let main = try context.runtime.makeSession(modelPath: graph.path, options: context.sessionOptions)
            guard config["depth_kind"] as? String == "nested" else {
                return Graphs(main: main, metric: nil, bytes: graph.bytes, shippedName: nil)
            }
            let metric = try ModelFiles.graph((config["metric_graph"] as? String) ?? "onnx/metric.onnx", in: snapshot)
            return Graphs(main: main, metric: try context.runtime.makeSession(modelPath: metric.path, options: context.sessionOptions),
                          bytes: graph.bytes + metric.bytes, shippedName: nil)
        }
    }

    static func load(snapshot: ModelSnapshot, config: [String: Any], context: ModelLoadContext,
                     graphs shipped: Graphs? = nil) throws -> DepthAnything3Model {
        let graphs = try shipped ?? .own(snapshot, config: config, context: context)
        let session = graphs.main
        let outputs = Set(session.outputs.map(\.name))
        let kind: Kind = switch config["depth_kind"] as? String {
        case "metric": .mono(metric: true)
        case "relative": .mono(metric: false)
        case "nested": .nested
        default: .anyView
        }
        let wanted: Set<String> = if case .mono = kind { ["depth", "sky"] } else { ["depth", "depth_conf", "pose_enc"] }
        let inputs = session.inputs.map(\.name)
        guard inputs == ["pixel_values"] || (!kind.isMonocular && Set(inputs).subtracting(["gaussians"]) == cameraInputs),
              outputs.isSuperset(of: wanted) else {
            throw VisionError.modelNotFound(
                "'\(snapshot.reference.repoID)' is not a Depth Anything 3 export (inputs \(session.inputs.map(\.name)), "
                + "outputs \(session.outputs.map(\.name).sorted())); export it with tools/export/export.py depth_anything_3")
        }
        func floats(_ key: String, _ fallback: [Float]) -> [Float] {
            ((config[key] as? [Double])?.map(Float.init)).flatMap { $0.count == 3 ? $0 : nil } ?? fallback
        }
        let preprocessor = DepthAnything3Preprocessor(
            processRes: (config["process_res"] as? Int) ?? 504, patchSize: (config["patch_size"] as? Int) ?? 14,
            mean: floats("image_mean", [0.485, 0.456, 0.406]), std: floats("image_std", [0.229, 0.224, 0.225]))
        var metricSession: (any InferenceSession)?
        if kind == .nested {
            guard let session = graphs.metric else {
                throw VisionError.internalError("shipped graph '\(graphs.shippedName ?? "?")' has no metric graph")
            }
            guard Set(session.outputs.map(\.name)).isSuperset(of: ["depth", "sky"]) else {
                throw VisionError.modelNotFound("'\(snapshot.reference.repoID)': its metric graph returns no depth and sky")
            }
            metricSession = session
        }
        let scenes = (config["scene_views"] as? Bool) ?? false
        return DepthAnything3Model(reference: snapshot.reference, preprocessor: preprocessor, session: session,
                                   memoryBytes: graphs.bytes, sceneViews: !kind.isMonocular && scenes,
                                   kind: kind, metricSession: metricSession,
                                   gaussians: GaussianSettings(config["gaussians"]), shippedGraph: graphs.shippedName)
    }

    /// What one image gives at the processed size: depth and, from an any-view preset, confidence
    /// and the camera; from a monocular one the sky head's output.
    struct Output: Sendable {
        var depth: [Float]
        var confidence: [Float]?
        let height: Int
        let width: Int
        var camera: CameraParameters?
        var sky: [Float]? = nil
        /// The nested preset: the metric branch's depth for this view.
        var metricDepth: [Float]? = nil
        /// The Gaussians of this view (asked for: the graph's head through the adapter), from the
        /// network's own depth and camera.
        var gaussians: ViewGaussians? = nil
    }

    /// Runs processed views of one size as one scene ([1, 3, H, W] each): one pass, one world
    /// frame; with `cameraPoses` (9 per view, `CameraConditioning.poseEncoding`) the graph's camera
    /// encoder conditions on them. An export from before scenes takes one view only. Blocking:
    /// call on an inference thread.
    func runScene(_ views: [Tensor], cameraPoses: [Float]? = nil, gaussians wantGaussians: Bool = false) throws
        -> [Output] {
        precondition(!views.isEmpty && (sceneViews || views.count == 1), "scene of \(views.count) views")
        precondition(cameraPoses == nil || (cameraInput && cameraPoses!.count == 9 * views.count), "camera poses")
        if case .mono = kind { return try [runMono(views[0])] }
        let shape = views[0].shape
        let input: Tensor = sceneViews
            ? .float32(views.flatMap(\.floats), shape: [1, views.count] + Array(shape.dropFirst()))
            : views[0]
        var feeds = ["pixel_values": input]
        if cameraInput {
            feeds["camera_pose"] = .float32(cameraPoses ?? [Float](repeating: 0, count: 9 * views.count),
                                            shape: [1, views.count, 9])
            feeds["camera_given"] = .bool([cameraPoses != nil], shape: [1])
        }
        if gaussiansOnRequest { feeds["gaussians"] = .bool([wantGaussians], shape: [1]) }
        let splats = wantGaussians ? gaussians : nil
        let out = try session.run(feeds, outputNames: ["depth", "depth_conf", "pose_enc"]
                                  + (splats == nil ? [] : ["gs_raw", "gs_density"]))
        let rank = sceneViews ? 4 : 3
        guard let depth = out["depth"], depth.shape.count == rank, let conf = out["depth_conf"],
              conf.shape == depth.shape, let pose = out["pose_enc"], pose.count == 9 * views.count,
              depth.count % views.count == 0 else {
            throw VisionError.runtimeFailure("the Depth Anything 3 graph did not return depth, depth_conf "
                                             + (sceneViews ? "[1, N, H, W] and pose_enc [1, N, 9]" : "[1, H, W] and pose_enc [1, 9]"))
        }
        let height = depth.shape[rank - 2], width = depth.shape[rank - 1], plane = height * width
        guard depth.count == plane * views.count else {
            throw VisionError.runtimeFailure("the Depth Anything 3 graph returned \(depth.count / max(1, plane)) maps for \(views.count) views")
        }
        let depths = depth.floats, confidences = conf.floats, poses = pose.floats
        var outs = (0..<views.count).map { v in
            Output(depth: Array(depths[(v * plane)..<((v + 1) * plane)]),
                   confidence: Array(confidences[(v * plane)..<((v + 1) * plane)]), height: height, width: width,
                   camera: CameraParameters(poseEncoding: Array(poses[(v * 9)..<((v + 1) * 9)]), height: height,
                                            width: width))
        }
        if let splats {
            guard let raw = out["gs_raw"], raw.count == plane * views.count * splats.channels,
                  let density = out["gs_density"], density.count == plane * views.count else {
                throw VisionError.runtimeFailure("the Depth Anything 3 graph did not return gs_raw [1, N, H, W, "
                                                 + "\(splats.channels)] and gs_density [1, N, H, W]")
            }
            let raws = raw.floats, densities = density.floats, c = splats.channels
            for v in 0..<views.count {
                outs[v].gaussians = splats.gaussians(
                    raw: Array(raws[(v * plane * c)..<((v + 1) * plane * c)]),
                    density: Array(densities[(v * plane)..<((v + 1) * plane)]), depth: outs[v].depth,
                    camera: outs[v].camera!, height: height, width: width)
            }
        }
        if let metricSession {
            let metric = try metricSession.run(["pixel_values": input], outputNames: ["depth", "sky"])
            guard let md = metric["depth"], md.count == plane * views.count, let sky = metric["sky"], sky.count == md.count else {
                throw VisionError.runtimeFailure("the Depth Anything 3 metric graph did not return depth and sky [1, N, H, W]")
            }
            let mds = md.floats, skies = sky.floats
            for v in 0..<views.count {
                outs[v].metricDepth = Array(mds[(v * plane)..<((v + 1) * plane)])
                outs[v].sky = Array(skies[(v * plane)..<((v + 1) * plane)])
            }
        }
        return outs
    }

    /// A monocular preset on one view ([1, 3, H, W] fed as [1, 1, 3, H, W]): depth and sky.
    private func runMono(_ view: Tensor) throws -> Output {
        let input = Tensor.float32(view.floats, shape: [1, 1] + Array(view.shape.dropFirst()))
        let out = try session.run(["pixel_values": input], outputNames: ["depth", "sky"])
        guard let depth = out["depth"], depth.shape.count == 4, let sky = out["sky"], sky.shape == depth.shape else {
            throw VisionError.runtimeFailure("the Depth Anything 3 monocular graph did not return depth and sky [1, 1, H, W]")
        }
        return Output(depth: depth.floats, confidence: nil, height: depth.shape[2], width: depth.shape[3], camera: nil,
                      sky: sky.floats)
    }
}

extension [DepthAnything3Model.Output] {
    /// The nested preset's combination (NestedDepthAnything3Net), over every view of the scene at
    /// once: the metric branch's sky handling; its depth times each view's focal (the mean of fx
    /// and fy) / 300; the any-view depth scaled by least squares onto it over pixels that are not
    /// sky, at least the median confidence of those, and above 1e-3 (any-view) and 1e-2 (metric);
    /// extrinsics' translations by the same scale; sky pixels then at min(0.99 quantile of the
    /// rest, 200) with confidence 1. Returns the scale.
    mutating func alignNested() throws -> Double {
        guard allSatisfy({ $0.metricDepth != nil && $0.sky != nil && $0.confidence != nil && $0.camera != nil }) else {
            throw VisionError.internalError("the nested preset's outputs are incomplete")
        }
        let sky = flatMap { $0.sky! }
        let ground = sky.map { $0 < 0.3 }
        var metric = flatMap { $0.metricDepth! }
        DepthAnything3Model.Output.fillSky(&metric, sky: sky)
        let groundCount = ground.filter { $0 }.count
        guard groundCount > 10 else {
            throw VisionError.invalidInput("the images are nearly all sky: the nested preset has too little ground to "
                                           + "align its metric scale on")
        }
        var offset = 0
        for view in self {
            let k = view.camera!.intrinsics
            let factor = Float((k[0][0] + k[1][1]) / 2 / 300)
            for i in offset..<(offset + view.depth.count) { metric[i] *= factor }
            offset += view.depth.count
        }
        let depth = flatMap(\.depth), conf = flatMap { $0.confidence! }
        let median = percentile(zip(conf, ground).filter(\.1).map(\.0), 50)
        var num = 0.0, den = 0.0
        for i in depth.indices where conf[i] >= median && ground[i] && metric[i] > 1e-2 && depth[i] > 1e-3 {
            num += Double(metric[i]) * Double(depth[i])
            den += Double(depth[i]) * Double(depth[i])
        }
        let scale = num / Swift.max(den, 1e-12)
        let scaledGround = zip(depth, ground).filter(\.1).map { $0.0 * Float(scale) }
        let far = Swift.min(percentile(scaledGround, 99), 200)
        offset = 0
        for v in indices {
            let n = self[v].depth.count
            for i in 0..<n {
                if ground[offset + i] {
                    self[v].depth[i] *= Float(scale)
                } else {
                    self[v].depth[i] = far
                    self[v].confidence![i] = 1
                }
            }
            self[v].camera = self[v].camera!.scalingTranslation(by: scale)
            offset += n
        }
        return scale
    }

    /// The package's `_align_to_input_extrinsics_intrinsics` (align_to_input_ext_scale): depth
    /// divided by the Umeyama scale from the input cameras' centres onto the predicted ones, and
    /// each view's camera the input one (its processed intrinsics, its world-to-camera rows).
    /// Returns the scale.
    mutating func alignToInput(extrinsics: [[[Double]]], intrinsics: [[[Double]]]) -> Double {
        let scale = CameraConditioning.umeyamaScale(from: extrinsics, onto: map { $0.camera!.extrinsics })
        for v in indices {
            self[v].depth = self[v].depth.map { Float(Double($0) / scale) }
            self[v].camera = CameraParameters(extrinsics: [[Double]](extrinsics[v][0..<3]), intrinsics: intrinsics[v])
        }
        return scale
    }

    /// GaussianAdapter with known cameras: the Gaussians scaled by the Umeyama scale from the
    /// network's cameras onto the given (normalised) ones, clamped to [1/3, 3]; 1 where evo
    /// refuses the fit (fewer than 3 views, collinear centres). Call before `alignToInput`.
    mutating func scaleGaussians(onto normalized: [[[Double]]]) {
        let fit = CameraConditioning.evoUmeyamaScale(from: map { $0.camera!.extrinsics }, onto: normalized) ?? 1
        let scale = Swift.min(Swift.max(fit, 1.0 / 3), 3)
        for v in indices { self[v].gaussians = self[v].gaussians?.scaled(by: scale) }
    }
}

extension DepthAnything3Model.Output {
    /// The package's sky handling for monocular presets (`_process_mono_sky_estimation`): pixels
    /// whose sky output is 0.3 or more take the 0.99 quantile of the other pixels' depth (linear
    /// interpolation, as torch.quantile), unless either side has 10 pixels or fewer. Above 100,000
    /// non-sky pixels the package estimates that quantile from a random sample of 100,000; here
    /// it is exact.
    mutating func applySky() {
        if let sky { Self.fillSky(&depth, sky: sky) }
    }

    /// That rule on any depth and its sky output (the nested preset's metric branch runs it over
    /// every view of a scene at once).
    static func fillSky(_ depth: inout [Float], sky: [Float]) {
        let ground = zip(depth, sky).filter { $0.1 < 0.3 }.map(\.0)
        guard ground.count > 10, depth.count - ground.count > 10 else { return }
        let far = percentile(ground, 99)
        for i in depth.indices where sky[i] >= 0.3 { depth[i] = far }
    }
}
