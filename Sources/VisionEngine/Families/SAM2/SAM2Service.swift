import Foundation
import VisionCore

/// Click-to-segment: each image runs the vision encoder once (or not at all when the embedding
/// cache has it), then the prompt decoder once for its objects without boxes and once for those
/// with boxes (the two forms transformers' processor cannot batch together).
public struct SAM2Service: Sendable {
    let context: EngineContext
    let cache: ImageEmbeddingCache
    let encoder: any PNGEncoding
    let deflater: any Deflating
    let limits: SAM2Limits

    public init(context: EngineContext, cache: ImageEmbeddingCache, encoder: any PNGEncoding, deflater: any Deflating,
                limits: SAM2Limits = SAM2Limits()) {
        self.context = context
        self.cache = cache
        self.encoder = encoder
        self.deflater = deflater
        self.limits = limits
    }

    func validate(_ request: SAM2Request) throws {
        try request.validate(imageCount: request.images.count, limits: limits)
    }

    public func run(_ request: SAM2Request) async throws -> SAM2Response {
        let start = ContinuousClock.now
        try validate(request)
        let images = try await context.images.load(request.images.map(\.source))
        // Every mask is the image's size: an answer too large is refused before the model loads.
        for (index, image) in images.enumerated() {
            let objects = request.objects(forImage: index).count
            let maskPixels = objects * (request.bestMaskOnly ? 1 : 3) * image.width * image.height
            guard maskPixels <= limits.maxMaskPixelsPerImage else {
                throw VisionError.invalidInput("image \(index) (\(image.width)×\(image.height)) with \(objects) objects "
                    + "would answer \(maskPixels) mask pixels; at most \(limits.maxMaskPixelsPerImage): ask best_mask_only, "
                    + "fewer objects, or a smaller image")
            }
        }
        let model = try await context.models.model(SAM2Family.loader, request.selection)
        var results: [SAM2ImageResult] = []
        for (index, image) in images.enumerated() {
            let objects = request.objects(forImage: index)

            let digest = try await context.images.compute { ImageEmbeddingCache.digest(image) }
            let key = model.reference.description + ":" + digest
            var encoderTime = 0.0
            let embeddings: [String: Tensor]
            let cached = await cache.features(key)
            if let cached {
                embeddings = cached
            } else {
                let pixels = try await context.images.compute { model.processor.processBatch([image]).pixelValues }
                let encoderStart = ContinuousClock.now
                embeddings = try await context.inference.run { try model.embeddings(pixels) }
                encoderTime = (ContinuousClock.now - encoderStart).seconds
                await cache.store(key, embeddings)
            }
            // Objects with boxes and without are separate decoder calls, each padded as Sam2Processor pads.
            let groups = [objects.indices.filter { objects[$0].box == nil }, objects.indices.filter { objects[$0].box != nil }]
            var raws: [(indices: [Int], raw: SAM2Model.Raw)] = []
            let decoderStart = ContinuousClock.now
            for group in groups where !group.isEmpty {
                let prompts = SAM2Prompts(group.map { objects[$0] }, width: image.width, height: image.height,
                                          size: model.inputSize)
                raws.append((group, try await context.inference.run { try model.decode(embeddings, prompts: prompts) }))
            }
            let decoderTime = (ContinuousClock.now - decoderStart).seconds
            let (threshold, bestOnly, format) = (request.maskThreshold, request.bestMaskOnly, request.outputFormat)
            let encoder = self.encoder, deflater = self.deflater, done = raws
            let answers = try await context.images.compute {
                var byObject = [SAM2ObjectResult?](repeating: nil, count: objects.count)
                for (indices, raw) in done {
                    for (row, objectIndex) in indices.enumerated() {
                        byObject[objectIndex] = try Self.object(raw, row: row, index: objectIndex, width: image.width,
                                                                height: image.height, threshold: threshold,
                                                                bestOnly: bestOnly, format: format, encoder: encoder,
                                                                deflater: deflater)
                    }
                }
                return byObject.compactMap { $0 }
            }
            results.append(SAM2ImageResult(objects: answers, embeddingCached: cached != nil, encoderTime: encoderTime,
                                           decoderTime: decoderTime, width: image.width, height: image.height))
        }
        return SAM2Response(results: results, format: request.outputFormat, modelID: model.reference.description,
                            processingTime: (ContinuousClock.now - start).seconds)
    }

    /// One object's masks as post_process_masks makes them (bilinear to the image, > threshold),
    /// its scores and best mask. CPU work.
    static func object(_ raw: SAM2Model.Raw, row: Int, index: Int, width: Int, height: Int, threshold: Float,
                       bestOnly: Bool, format: MaskFormat, encoder: any PNGEncoding,
                       deflater: any Deflating) throws -> SAM2ObjectResult {
        let k = raw.masksPerObject, plane = raw.maskHeight * raw.maskWidth
        // A decoder that answered fewer rows than objects asked (a runtime fault) is an error, not a crash.
        guard (row + 1) * k <= raw.iouScores.count, (row + 1) * k * plane <= raw.masks.count, row < raw.objectScores.count else {
            throw VisionError.runtimeFailure("the SAM 2 decoder answered \(raw.objectScores.count) objects where \(row + 1) or more were asked")
        }
        let scores = Array(raw.iouScores[(row * k)..<((row + 1) * k)])
        let best = scores.indices.max { scores[$0] < scores[$1] } ?? 0
        let chosen = bestOnly ? [best] : Array(0..<k)
        let masks = chosen.map { m -> BinaryMask in
            let offset = (row * k + m) * plane
            let logits = Array(raw.masks[offset..<(offset + plane)])
            return BinaryMask(width: width, height: height, pixels: BilinearMask.above(
                logits, height: raw.maskHeight, width: raw.maskWidth, outHeight: height, outWidth: width, threshold: threshold))
        }
        return SAM2ObjectResult(objectIndex: index, scores: chosen.map { scores[$0] }, bestMask: bestOnly ? 0 : best,
                                objectScoreLogit: raw.objectScores[row], masks: masks,
                                encodedMasks: try MaskFormat.encode(masks, format: format, encoder: encoder, deflater: deflater))
    }
}
