import VisionCore

/// One image's detections: scores, labels (GroundingDINO: the matched phrase text), corner boxes in
/// original-image pixels.
public struct Detections: Sendable, Equatable {
    public var scores: [Float] = []
    public var labels: [String] = []
    /// [x1, y1, x2, y2] per detection.
    public var boxes: [[Float]] = []

    public init() {}

    public init(scores: [Float], labels: [String], boxes: [[Float]]) {
        self.scores = scores
        self.labels = labels
        self.boxes = boxes
    }

    mutating func append(_ other: Detections) {
        scores += other.scores; labels += other.labels; boxes += other.boxes
    }
}

extension Detections {
    /// `{"scores": [...], "labels": [...], "boxes": [[x1, y1, x2, y2], ...]}`.
    public func write(to w: inout JSONWriter) {
        w.raw("{"); w.key("scores"); w.raw("[")
        for (j, s) in scores.enumerated() { if j > 0 { w.raw(",") }; w.number(s) }
        w.raw("],"); w.key("labels"); w.raw("[")
        for (j, l) in labels.enumerated() { if j > 0 { w.raw(",") }; w.string(l) }
        w.raw("],"); w.key("boxes"); w.raw("[")
        for (j, b) in boxes.enumerated() {
            if j > 0 { w.raw(",") }
            w.raw("[")
            for (k, v) in b.enumerated() { if k > 0 { w.raw(",") }; w.number(v) }
            w.raw("]")
        }
        w.raw("]}")
    }
}
