import VisionCore
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

extension GraphFailure {
    /// Why a provider could not take a graph, in the server's words: the graph checks' own message
    /// (an operator it lacks, an invalid graph), else that the provider refused it.
    static func summary(of error: any Error) -> String {
        if let error = error as? VisionError, error.category != .internalFailure, !error.message.hasPrefix("ONNX Runtime:") {
            return error.message
        }
        return "the provider refused it while compiling"
    }
}
