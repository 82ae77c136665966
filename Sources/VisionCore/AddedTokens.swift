/// A tokenizer.json's special tokens, matched verbatim in raw text before normalisation (as the
/// `tokenizers` library does), longest first.
public struct AddedTokens: Sendable {
    let tokens: [(content: String, id: Int)]

    /// A tokenizer.json's `added_tokens` entries as (content, id), in file order.
    static func entries(in root: [String: Any]) -> [(String, Int)] {
        (root["added_tokens"] as? [[String: Any]] ?? []).compactMap { entry in
            guard let content = entry["content"] as? String, let id = entry["id"] as? Int else { return nil }
            return (content, id)
        }
    }

    /// A special token's text in `tokenizer_config.json`: the plain string, or an AddedToken object's `content`.
    public static func name(_ key: String, in config: [String: Any]) -> String? {
        (config[key] as? String) ?? ((config[key] as? [String: Any])?["content"] as? String)
    }

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
