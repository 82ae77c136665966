/// What the server may say about a graph ONNX Runtime refused, read from its message: names from
/// the graph, never the runtime's own wording.
enum GraphFailure {
    /// The operator and opset of ONNX Runtime's "Could not find an implementation for Op(13) node
    /// with name '...'", as "Op (opset 13)"; nil when the message does not name one.
    static func unimplementedOperator(in message: String) -> String? {
        guard let match = message.firstMatch(of: /implementation for ([A-Za-z0-9_]+)\((\d+)\)/) else { return nil }
        return "\(match.1) (opset \(match.2))"
    }
}
