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
    /// The one definition of `{scores, labels, boxes}`.
    public static let shape = JSONShape<Detections>([
        .numbers("scores") { $0.scores },
        .strings("labels", description: "The class label (GroundingDINO: the matched phrase text)") { $0.labels },
        .rows("boxes", description: "[x1, y1, x2, y2] in original-image pixels") { $0.boxes },
    ])

    public func write(to w: inout JSONWriter) { Self.shape.write(self, to: &w) }
}

/// One detection in the transformers pipelines' form (object-detection, zero-shot-object-detection).
public struct PipelineDetection: Sendable, Equatable {
    public let label: String
    public let score: Float
    /// xmin, ymin, xmax, ymax: the box corners truncated to integers, as the pipelines do.
    public let box: [Int]

    public init(label: String, score: Float, box: [Int]) {
        self.label = label
        self.score = score
        self.box = box
    }

    /// The corners truncated toward zero, as torch's `.int()`.
    public init(label: String, score: Float, corners: [Float]) {
        self.init(label: label, score: score, box: corners.map { Int($0.rounded(.towardZero)) })
    }

    /// `{"score", "label", "box": {"xmin", "ymin", "xmax", "ymax"}}`.
    public static let shape = JSONShape<PipelineDetection>([
        .float("score") { $0.score },
        .string("label") { $0.label },
        .object("box", JSONShape<[Int]>([
            .integer("xmin") { $0[0] }, .integer("ymin") { $0[1] }, .integer("xmax") { $0[2] }, .integer("ymax") { $0[3] },
        ])) { $0.box },
    ])

    /// A bare list, as the pipelines return it.
    public static func json(_ detections: [PipelineDetection]) -> [UInt8] {
        var w = JSONWriter(capacity: 64 + detections.count * 96)
        shape.writeList(detections, to: &w)
        return w.bytes
    }
}
