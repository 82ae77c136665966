import Foundation

/// transformers' `post_process_grounded_object_detection`, for one image of a batch.
enum GroundingDINOPostProcess {
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// - score: max over all text columns of sigmoid(logit) (columns past the text are -inf: 0);
    /// - kept when score > boxThreshold, in query order;
    /// - label: the tokens whose sigmoid > textThreshold, the first and last column excluded,
    ///   decoded as the tokenizer decodes them;
    /// - box: (cx, cy, w, h) → corners, times the original width/height, not clamped.
    static func detections(logits: ArraySlice<Float>, boxes: ArraySlice<Float>, queries: Int, columns: Int,
                           ids: [Int], width: Int, height: Int, boxThreshold: Float, textThreshold: Float,
                           decode: ([Int]) -> String) -> Detections {
        var result = Detections()
        let logitBase = logits.startIndex, boxBase = boxes.startIndex
        let w = Float(width), h = Float(height)
        for q in 0..<queries {
            let row = logitBase + q * columns
            var best: Float = 0
            for c in 0..<columns { best = max(best, sigmoid(logits[row + c])) }
            guard best > boxThreshold else { continue }
            var tokens: [Int] = []
            for c in 1..<(columns - 1) where c < ids.count && sigmoid(logits[row + c]) > textThreshold {
                tokens.append(ids[c])
            }
            let b = boxBase + q * 4
            let cx = boxes[b], cy = boxes[b + 1], bw = boxes[b + 2], bh = boxes[b + 3]
            result.scores.append(best)
            result.labels.append(decode(tokens))
            result.boxes.append([(cx - 0.5 * bw) * w, (cy - 0.5 * bh) * h, (cx + 0.5 * bw) * w, (cy + 0.5 * bh) * h])
        }
        return result
    }
}
