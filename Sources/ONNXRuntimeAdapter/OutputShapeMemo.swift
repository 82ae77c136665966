/// Remembers, per input-shape signature, the shapes a session's outputs came out with, so that the
/// next run with the same input shapes can hand ONNX Runtime Swift arrays to write into (no copy
/// of the outputs afterwards).
///
/// A graph whose output shapes depend on the values (NonZero, TopK over a threshold...) gives a
/// different shape for the same signature: the run into the arrays then fails, the signature is
/// marked dynamic and is never bound again. A value type: the session keeps it under a lock.
struct OutputShapeMemo: Equatable {
    /// The input names and shapes of a run and the outputs it asked for.
    struct Signature: Hashable {
        let inputs: [String]
        let shapes: [[Int]]
        let outputs: [String]
    }

    enum Plan: Equatable {
        /// Let ONNX Runtime allocate the outputs and copy them out (first run of a signature, or
        /// one whose shapes change with the values).
        case allocate
        /// Allocate the outputs in Swift with these shapes, in the order asked for.
        case bind([[Int]])
    }

    /// Signatures kept at most; beyond that the memo starts over (a server sees a few image sizes,
    /// a client sending every size should not grow it without bound).
    let capacity: Int
    private var known: [Signature: [[Int]]] = [:]
    private var dynamic: Set<Signature> = []

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    func plan(for signature: Signature) -> Plan {
        if dynamic.contains(signature) { return .allocate }
        return known[signature].map(Plan.bind) ?? .allocate
    }

    /// Records the shapes a run with ONNX Runtime's own allocation produced. A signature seen with
    /// other shapes before is dynamic from now on.
    mutating func record(_ signature: Signature, shapes: [[Int]]) {
        guard !dynamic.contains(signature) else { return }
        if let before = known[signature], before != shapes {
            markDynamic(signature)
            return
        }
        if known[signature] == nil && known.count + dynamic.count >= capacity {
            known.removeAll(keepingCapacity: true)
            dynamic.removeAll(keepingCapacity: true)
        }
        known[signature] = shapes
    }

    /// A run into bound arrays failed: never bind this signature again.
    mutating func markDynamic(_ signature: Signature) {
        known[signature] = nil
        dynamic.insert(signature)
    }
}
