/// Wall-clock time of the stages of one request (decode, preprocess, inference, ...), for logs.
public struct StageTimings: Sendable, CustomStringConvertible {
    public private(set) var stages: [(name: String, seconds: Double)] = []

    public init() {}

    public mutating func record(_ name: String, since start: ContinuousClock.Instant) {
        stages.append((name, (ContinuousClock.now - start).seconds))
    }

    public var description: String {
        stages.map { "\($0.name)=\(String(format: "%.1f", $0.seconds * 1000))ms" }.joined(separator: " ")
    }
}
