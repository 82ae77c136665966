/// Whether two providers' answers to the same run agree: the same outputs, shapes and element
/// types; floating-point values within 1e-3 of the reference output's largest magnitude (at least
/// 1); integers and booleans equal.
public enum OutputAgreement {
    public static let relativeTolerance: Float = 1e-3

    /// Nil when `got` agrees with `want`, else what differs first (output names and numbers only).
    public static func disagreement(_ got: [String: Tensor], _ want: [String: Tensor]) -> String? {
        for name in want.keys.sorted() {
            let expected = want[name]!
            guard let actual = got[name] else { return "output '\(name)' missing" }
            guard actual.shape == expected.shape else { return "output '\(name)' shape \(actual.shape) vs \(expected.shape)" }
            guard actual.elementType == expected.elementType else {
                return "output '\(name)' type \(actual.elementType) vs \(expected.elementType)"
            }
            switch (actual.storage, expected.storage) {
            case (.float32, .float32), (.float16, .float16):
                let a = actual.floats, b = expected.floats
                let scale = max(1, b.lazy.map { abs($0) }.filter(\.isFinite).max() ?? 1)
                for i in b.indices where !(abs(a[i] - b[i]) <= relativeTolerance * scale || (a[i].isNaN && b[i].isNaN) || a[i] == b[i]) {
                    return "output '\(name)' differs by \(abs(a[i] - b[i])) at \(i) (tolerance \(relativeTolerance * scale))"
                }
            default:
                guard actual.storage == expected.storage else { return "output '\(name)' values differ" }
            }
        }
        return nil
    }
}
