/// A BPE model's merge table (tokenizer.json `model.merges`) and the merge loop the `tokenizers`
/// library runs over one word: the adjacent pair of lowest rank is merged, every occurrence left
/// to right, until no pair has a rank.
struct BPEMerges: Sendable {
    let ranks: [String: Int]

    /// Merges as tokenizers writes them: "a b" strings (older files) or ["a", "b"] pairs (newer);
    /// a pair listed twice keeps its later rank, as the library's table does.
    init(_ merges: [Any]) {
        var ranks: [String: Int] = [:]
        for (rank, merge) in merges.enumerated() {
            if let text = merge as? String {
                ranks[text] = rank
            } else if let pair = merge as? [String], pair.count == 2 {
                ranks[pair[0] + " " + pair[1]] = rank
            }
        }
        self.ranks = ranks
    }

    /// The word's pieces after every merge that applies.
    func apply(_ start: [String]) -> [String] {
        var pieces = start
        while pieces.count > 1 {
            var best: (rank: Int, index: Int)?
            for k in 0..<(pieces.count - 1) {
                if let rank = ranks[pieces[k] + " " + pieces[k + 1]], rank < (best?.rank ?? .max) { best = (rank, k) }
            }
            guard let (_, k) = best else { break }
            let first = pieces[k], second = pieces[k + 1]
            var merged: [String] = [], m = 0
            while m < pieces.count {
                if m < pieces.count - 1 && pieces[m] == first && pieces[m + 1] == second {
                    merged.append(first + second); m += 2
                } else {
                    merged.append(pieces[m]); m += 1
                }
            }
            pieces = merged
        }
        return pieces
    }
}
