import Foundation
import VisionCore

/// Text-prompted instance segmentation. With the split graphs each image runs the vision encoder
/// once (or not at all when the embedding cache has it), each distinct prompt the text encoder
/// once, and the decoder once per image × prompt. The single graph runs once per image × prompt.
public struct SAM3Service: Sendable {
    let context: EngineContext
    let limits: SAM3Limits
    let cache: ImageEmbeddingCache
    let encoder: any PNGEncoding
    let deflater: any Deflating

    public init(context: EngineContext, cache: ImageEmbeddingCache, encoder: any PNGEncoding, deflater: any Deflating,
                limits: SAM3Limits = SAM3Limits()) {
        self.context = context
        self.cache = cache
        self.encoder = encoder
        self.deflater = deflater
        self.limits = limits
    }

    func validate(_ request: SAM3Request, imageCount: Int) throws {
        if !request.sharedPrompts && request.prompts.count != imageCount {
            throw VisionError.invalidInput("prompts has \(request.prompts.count) lists for \(imageCount) images; "
                                           + "give one list per image or one list for all")
        }
        if !request.sharedExemplars && request.exemplars.count != imageCount {
            throw VisionError.invalidInput("boxes has \(request.exemplars.count) lists for \(imageCount) images; "
                                           + "give one list per image (null for none) or one list for all")
        }
        if !request.promptsGiven {
            for i in 0..<imageCount where request.exemplars(forImage: i) == nil {
                throw VisionError.invalidInput("image \(i) has neither prompts nor boxes: give prompts, or boxes for every image")
            }
        }
        for case let set? in request.exemplars {
            guard set.boxes.count <= limits.maxPromptsPerImage else {
                throw VisionError.invalidInput("\(set.boxes.count) boxes for an image; at most \(limits.maxPromptsPerImage)")
            }
            guard set.labels.count == set.boxes.count else {
                throw VisionError.invalidInput("box_labels has \(set.labels.count) labels for \(set.boxes.count) boxes")
            }
            for box in set.boxes {
                guard box.count == 4, box.allSatisfy(\.isFinite), box[2] > box[0], box[3] > box[1] else {
                    throw VisionError.invalidInput("a box is [x1, y1, x2, y2] in pixels with x2 > x1 and y2 > y1, got \(box)")
                }
            }
            guard set.labels.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw VisionError.invalidInput("box_labels are 1 (positive) or 0 (negative)")
            }
        }
        for list in request.prompts {
            guard !list.isEmpty else { throw VisionError.invalidInput("prompts must name at least one prompt per image") }
            guard list.count <= limits.maxPromptsPerImage else {
                throw VisionError.invalidInput("\(list.count) prompts for an image; at most \(limits.maxPromptsPerImage)")
            }
            for p in list where p.count > limits.maxPromptCharacters {
                throw VisionError.invalidInput("a prompt has \(p.count) characters; at most \(limits.maxPromptCharacters)")
            }
        }
        if case .weights(let w?) = request.resolveOverlaps {
            let counts = Set(request.prompts.map(\.count))
            guard counts.count == 1, w.count == counts.first else {
                throw VisionError.invalidInput("resolve_overlaps has \(w.count) weights; give one per prompt")
            }
            guard w.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw VisionError.invalidInput("resolve_overlaps weights are finite numbers of at least 0")
            }
        }
    }

    public func run(_ request: SAM3Request) async throws -> SAM3Response {
        let start = ContinuousClock.now
        try validate(request, imageCount: request.images.count)
        let images = try await context.images.load(request.images.map(\.source))
        let model = try await context.models.model(SAM3Family.loader, request.selection)
        if request.exemplars.contains(where: { $0 != nil }) && !model.takesBoxes {
            throw VisionError.invalidInput(
                "'\(model.reference.repoID)' takes no box exemplars: its export has no box decoder (the split graphs "
                + "with onnx/box_decoder.onnx); re-export it with tools/export/export.py sam3")
        }
        // Tokens for every distinct prompt, refused when longer than the model reads.
        var tokens: [String: (ids: [Int], mask: [Int])] = [:]
        for prompt in Set(request.prompts.joined()) {
            guard let t = model.tokens(prompt) else {
                throw VisionError.invalidInput("prompt '\(prompt.prefix(40))' needs more than \(model.textLength) tokens")
            }
            tokens[prompt] = t
        }
        var textFeatures: [String: Tensor] = [:]
        if model.isSplit {
            let distinct = Array(tokens.keys).sorted()
            let ids = distinct.map { tokens[$0]!.ids }, masks = distinct.map { tokens[$0]!.mask }
            let all = try await context.inference.run { try model.textFeatures(ids: ids, masks: masks) }
            textFeatures = Self.split(all, names: distinct)
        }
        var results: [[SAM3PromptResult]] = []
        for (index, image) in images.enumerated() {
            let prompts = request.prompts(forImage: index)
            // The image's SHA-256 (the embedding cache key) is CPU work too: off the cooperative pool.
            let (pixels, digest) = try await context.images.compute {
                (model.processor.processBatch([image]).pixelValues, model.isSplit ? ImageEmbeddingCache.digest(image) : "")
            }
            var vision: [String: Tensor] = [:]
            if model.isSplit {
                let key = model.reference.description + ":" + digest
                if let cached = await cache.features(key) {
                    vision = cached
                } else {
                    vision = try await context.inference.run { try model.visionFeatures(pixels) }
                    await cache.store(key, vision)
                }
            }
            var segmentations: [InstanceSegmentation] = []
            let boxes = request.exemplars(forImage: index).map {
                (values: $0.normalized(width: image.width, height: image.height), labels: $0.labels)
            }
            for prompt in prompts {
                let t = tokens[prompt]!
                let raw: SAM3Model.Raw
                if model.isSplit {
                    let text = textFeatures[prompt]!, features = vision
                    raw = try await context.inference.run {
                        try model.decode(vision: features, text: text, mask: t.mask, boxes: boxes)
                    }
                } else {
                    raw = try await context.inference.run { try model.runSingle(pixelValues: pixels, ids: t.ids, mask: t.mask) }
                }
                let (threshold, maskThreshold) = (request.threshold, request.maskThreshold)
                let maxMaskPixels = limits.maxMaskPixelsPerPrompt
                segmentations.append(try await context.images.compute {
                    try SAM3PostProcess.instances(raw, width: image.width, height: image.height, threshold: threshold,
                                                  maskThreshold: maskThreshold, maxMaskPixels: maxMaskPixels)
                })
            }
            if case .weights(let weights) = request.resolveOverlaps {
                let w = weights ?? [Float](repeating: 1, count: prompts.count)
                segmentations = try await context.images.compute { [segmentations] in
                    var resolved = segmentations
                    SAM3PostProcess.resolveOverlaps(&resolved, weights: w)
                    return resolved
                }
            }
            let format = request.outputFormat, encoder = self.encoder, deflater = self.deflater
            let encoded = try await context.images.compute { [segmentations] in
                try segmentations.map { try MaskFormat.encode($0.masks, format: format, encoder: encoder, deflater: deflater) }
            }
            results.append(prompts.enumerated().map { i, prompt in
                SAM3PromptResult(promptIndex: i, prompt: prompt, segmentation: segmentations[i], encodedMasks: encoded[i])
            })
        }
        return SAM3Response(results: results, format: request.outputFormat, modelID: model.reference.description,
                            processingTime: (ContinuousClock.now - start).seconds,
                            imageSizes: images.map { ($0.width, $0.height) })
    }

    /// Rows of a [P, ...] tensor, by prompt.
    static func split(_ tensor: Tensor, names: [String]) -> [String: Tensor] {
        let values = tensor.floats
        let per = values.count / max(1, names.count)
        var out: [String: Tensor] = [:]
        for (i, name) in names.enumerated() {
            out[name] = .float32(Array(values[(i * per)..<((i + 1) * per)]), shape: [1] + tensor.shape.dropFirst())
        }
        return out
    }
}
