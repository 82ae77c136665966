import Foundation
import VisionCore

/// One prompt's instances on one image: scores, corner boxes in image pixels, masks at image size.
public struct InstanceSegmentation: Sendable, Equatable {
    public var scores: [Float] = []
    public var boxes: [[Float]] = []
    public var masks: [BinaryMask] = []
}

/// transformers' `post_process_instance_segmentation` for one image and prompt.
enum SAM3PostProcess {
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// score = sigmoid(logit) × sigmoid(presence), kept when > threshold (query order); boxes
    /// (relative x1 y1 x2 y2) × (W, H, W, H), not clamped; masks = sigmoid(mask logits) resized
    /// as torch's upsample_bilinear2d (align_corners=False) to H×W, then > maskThreshold.
    /// More than `maxMaskPixels` (instances × width × height) is a 400 before any mask is made.
    static func instances(_ raw: SAM3Model.Raw, width: Int, height: Int, threshold: Float,
                          maskThreshold: Float, maxMaskPixels: Int = .max) throws -> InstanceSegmentation {
        var out = InstanceSegmentation()
        let presence = sigmoid(raw.presence)
        let plane = raw.maskHeight * raw.maskWidth
        let scores = (0..<raw.queries).map { sigmoid(raw.logits[$0]) * presence }
        let kept = scores.indices.filter { scores[$0] > threshold }
        guard kept.count * width * height <= maxMaskPixels else {
            throw VisionError.invalidInput("\(kept.count) instances at \(width)×\(height) would answer "
                + "\(kept.count * width * height) mask pixels; at most \(maxMaskPixels): raise threshold or send a smaller image")
        }
        for q in kept {
            out.scores.append(scores[q])
            let b = raw.boxes[(q * 4)..<(q * 4 + 4)].map { $0 }
            out.boxes.append([b[0] * Float(width), b[1] * Float(height), b[2] * Float(width), b[3] * Float(height)])
            let probabilities = raw.masks[(q * plane)..<((q + 1) * plane)].map(sigmoid)
            out.masks.append(BinaryMask(width: width, height: height, pixels: BilinearMask.above(
                probabilities, height: raw.maskHeight, width: raw.maskWidth, outHeight: height, outWidth: width,
                threshold: maskThreshold)))
        }
        return out
    }

    /// Gives each pixel covered by several instances (of all prompts of one image) to the one with
    /// the highest score × its prompt's weight (the first on ties); the others lose it.
    static func resolveOverlaps(_ perPrompt: inout [InstanceSegmentation], weights: [Float]) {
        var owners: [(prompt: Int, instance: Int, rank: Float)] = []
        for (p, seg) in perPrompt.enumerated() {
            for (i, score) in seg.scores.enumerated() { owners.append((p, i, score * weights[p])) }
        }
        guard owners.count > 1, let first = perPrompt.first(where: { !$0.masks.isEmpty })?.masks.first else { return }
        let count = first.width * first.height
        for pixel in 0..<count {
            var best: Int?
            for (k, o) in owners.enumerated() where perPrompt[o.prompt].masks[o.instance].pixels[pixel] != 0 {
                if best == nil || o.rank > owners[best!].rank { best = k }
            }
            guard let winner = best else { continue }
            for (k, o) in owners.enumerated() where k != winner {
                perPrompt[o.prompt].masks[o.instance].pixels[pixel] = 0
            }
        }
    }
}
