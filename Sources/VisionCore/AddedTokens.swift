/// A tokenizer.json's special tokens, matched verbatim in raw text before normalisation (as the
/// `tokenizers` library does), longest first.
struct AddedTokens: Sendable {
    let tokens: [(content: String, id: Int)]

    init(_ tokens: [(String, Int)]) {
        self.tokens = tokens.sorted { $0.0.count > $1.0.count }.map { (content: $0.0, id: $0.1) }
    }

    enum Segment { case text(String), added(Int) }

    /// The text cut around occurrences of the tokens.
    func split(_ text: String) -> [Segment] {
        guard !tokens.isEmpty else { return [.text(text)] }
        var segments: [Segment] = [], pending = ""
        var rest = Substring(text)
        while !rest.isEmpty {
            if let match = tokens.first(where: { rest.hasPrefix($0.content) }) {
                if !pending.isEmpty { segments.append(.text(pending)); pending = "" }
                segments.append(.added(match.id))
                rest = rest.dropFirst(match.content.count)
            } else {
                pending.append(rest.removeFirst())
            }
        }
        if !pending.isEmpty { segments.append(.text(pending)) }
        return segments
    }
}
