import Foundation

/// How images are resized before they reach a model, in the forms `preprocessor_config.json` uses.
public enum ResizeRule: Sendable, Equatable {
    /// Exactly this size; aspect ratio not kept.
    case exact(height: Int, width: Int)
    /// Shortest edge to `shortest`, the other edge scaled and truncated.
    case shortestEdge(Int)
    /// Shortest edge to `shortest` unless the long edge would pass `longest` (DETR, GroundingDINO).
    case shortestLongest(shortest: Int, longest: Int)
    /// DPT-style: scale as little as possible towards `height`×`width` keeping the aspect ratio,
    /// each side rounded to a multiple of `multiple`.
    case keepAspectMultiple(height: Int, width: Int, multiple: Int)
    /// DPT-style without keeping the aspect ratio.
    case exactMultiple(height: Int, width: Int, multiple: Int)
    /// SigLIP 2 NaFlex: the aspect ratio kept, each side a multiple of the patch size, as many
    /// patches as fit in `maxPatches` (transformers' `get_image_size_for_max_num_patches`).
    case maxPatches(patchSize: Int, maxPatches: Int)

    /// Whether images are sized by a patch budget (SigLIP 2 NaFlex).
    public var isPatchBudget: Bool {
        if case .maxPatches = self { return true }
        return false
    }

    /// The output (height, width) for an input of `height`×`width`.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        switch self {
        case .exact(let h, let w):
            return (h, w)
        case .shortestEdge(let size):
            let short = min(height, width), long = max(height, width)
            let newLong = Int(Double(size) * Double(long) / Double(short))
            return width <= height ? (newLong, size) : (size, newLong)
        case .shortestLongest(let shortest, let longest):
            let minSide = Double(min(height, width)), maxSide = Double(max(height, width))
            var size = shortest
            var raw: Double?
            if maxSide / minSide * Double(shortest) > Double(longest) {
                let r = Double(longest) * minSide / maxSide
                raw = r
                size = Int(r.rounded(.toNearestOrEven))
            }
            if (height <= width && height == size) || (width <= height && width == size) {
                return (height, width)
            } else if width < height {
                let oh = raw.map { Int($0 * Double(height) / Double(width)) } ?? Int(Double(size) * Double(height) / Double(width))
                return (oh, size)
            } else {
                let ow = raw.map { Int($0 * Double(width) / Double(height)) } ?? Int(Double(size) * Double(width) / Double(height))
                return (size, ow)
            }
        case .keepAspectMultiple(let h, let w, let multiple), .exactMultiple(let h, let w, let multiple):
            var scaleH = Double(h) / Double(height)
            var scaleW = Double(w) / Double(width)
            if case .keepAspectMultiple = self {
                if abs(1 - scaleW) < abs(1 - scaleH) { scaleH = scaleW } else { scaleW = scaleH }
            }
            func constrain(_ value: Double) -> Int {
                let m = Double(multiple)
                var x = (value / m).rounded(.toNearestOrEven) * m
                if x < 0 { x = (value / m).rounded(.up) * m }
                return Int(x)
            }
            return (constrain(scaleH * Double(height)), constrain(scaleW * Double(width)))
        case .maxPatches(let patch, let maxPatches):
            return Self.sizeForMaxPatches(height: height, width: width, patch: patch, maxPatches: maxPatches)
        }
    }

    /// transformers' binary search over the scale (from 1e-6 to 100, to a step under 1e-5): each
    /// side scaled, rounded up to a multiple of the patch, at least one patch.
    static func sizeForMaxPatches(height: Int, width: Int, patch: Int, maxPatches: Int) -> (height: Int, width: Int) {
        let eps = 1e-5, p = Double(patch)
        func scaled(_ scale: Double, _ size: Int) -> Double { max(p, ((Double(size) * scale) / p).rounded(.up) * p) }
        var low = eps / 10, high = 100.0
        while high - low >= eps {
            let scale = (low + high) / 2
            if (scaled(scale, height) / p) * (scaled(scale, width) / p) <= Double(maxPatches) { low = scale } else { high = scale }
        }
        return (Int(scaled(low, height)), Int(scaled(low, width)))
    }
}

/// The image-processor settings transformers stores in `preprocessor_config.json` (or nested
/// under `image_processor` in transformers 5's `processor_config.json`).
public struct ImageProcessorConfig: Sendable, Equatable {
    public var doResize = true
    public var resize: ResizeRule = .exact(height: 224, width: 224)
    public var resample: ResampleFilter = .bilinear
    public var doCenterCrop = false
    public var cropSize: (height: Int, width: Int) = (224, 224)
    public var doRescale = true
    public var rescaleFactor: Double = 1.0 / 255.0
    public var doNormalize = true
    public var imageMean: [Double] = [0.485, 0.456, 0.406]
    public var imageStd: [Double] = [0.229, 0.224, 0.225]
    /// Rescale before resizing, resizing floats (DINOv3's processor order).
    public var rescaleBeforeResize = false
    /// The processor class named in the file, e.g. `DINOv3ViTImageProcessorFast`.
    public var processorClass: String?

    public init() {}

    public static func == (a: ImageProcessorConfig, b: ImageProcessorConfig) -> Bool {
        a.doResize == b.doResize && a.resize == b.resize && a.resample == b.resample
            && a.doCenterCrop == b.doCenterCrop && a.cropSize == b.cropSize && a.doRescale == b.doRescale
            && a.rescaleFactor == b.rescaleFactor && a.doNormalize == b.doNormalize
            && a.imageMean == b.imageMean && a.imageStd == b.imageStd
            && a.rescaleBeforeResize == b.rescaleBeforeResize && a.processorClass == b.processorClass
    }

    /// Parses the JSON of `preprocessor_config.json` or `processor_config.json`.
    public init(json data: Data) throws {
        guard var object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw VisionError.invalidInput("preprocessor config is not a JSON object")
        }
        if let nested = object["image_processor"] as? [String: Any] { object = nested }
        self.init()
        let type = (object["image_processor_type"] as? String) ?? (object["processor_class"] as? String)
        processorClass = type
        if let v = object["do_resize"] as? Bool { doResize = v }
        if let v = object["resample"] as? Int, let f = ResampleFilter(rawValue: v) { resample = f }
        if let v = object["do_center_crop"] as? Bool { doCenterCrop = v }
        if let v = object["do_rescale"] as? Bool { doRescale = v }
        if let v = object["rescale_factor"] as? Double { rescaleFactor = v }
        if let v = object["do_normalize"] as? Bool { doNormalize = v }
        if let v = Self.doubles(object["image_mean"]) { imageMean = v }
        if let v = Self.doubles(object["image_std"]) { imageStd = v }
        if let crop = object["crop_size"] {
            if let c = crop as? [String: Any], let h = c["height"] as? Int, let w = c["width"] as? Int {
                cropSize = (h, w)
            } else if let s = crop as? Int {
                cropSize = (s, s)
            }
        }
        let keepAspect = object["keep_aspect_ratio"] as? Bool ?? false
        let multiple = object["ensure_multiple_of"] as? Int ?? 1
        if let size = object["size"] as? [String: Any] {
            let h = size["height"] as? Int, w = size["width"] as? Int
            let shortest = size["shortest_edge"] as? Int, longest = size["longest_edge"] as? Int
            if let h, let w {
                if multiple > 1 || keepAspect {
                    resize = keepAspect ? .keepAspectMultiple(height: h, width: w, multiple: multiple)
                        : .exactMultiple(height: h, width: w, multiple: multiple)
                } else {
                    resize = .exact(height: h, width: w)
                }
            } else if let shortest, let longest {
                resize = .shortestLongest(shortest: shortest, longest: longest)
            } else if let shortest {
                resize = .shortestEdge(shortest)
            } else {
                throw VisionError.invalidInput("preprocessor config has an unsupported size form: \(size.keys.sorted())")
            }
        } else if let s = object["size"] as? Int {
            resize = .exact(height: s, width: s)
        }
        if type?.hasPrefix("Siglip2ImageProcessor") == true || object["max_num_patches"] != nil {
            // SigLIP 2 NaFlex: no size, a patch budget; the class's mean and std are 0.5.
            resize = .maxPatches(patchSize: object["patch_size"] as? Int ?? 16, maxPatches: object["max_num_patches"] as? Int ?? 256)
            if object["image_mean"] == nil { imageMean = [0.5, 0.5, 0.5] }
            if object["image_std"] == nil { imageStd = [0.5, 0.5, 0.5] }
        }
        guard imageMean.count == 3, imageStd.count == 3 else {
            throw VisionError.invalidInput("image_mean and image_std must have 3 values")
        }
    }

    private static func doubles(_ value: Any?) -> [Double]? {
        if let a = value as? [Double] { return a }
        if let a = value as? [NSNumber] { return a.map(\.doubleValue) }
        if let d = value as? Double { return [d, d, d] }
        return nil
    }
}
