/// Which writes go to the store now: at most one batch is being written at a time, and every item
/// that arrives meanwhile waits for the next batch, written together (group commit). A value
/// type, so its rules are tested without a store or tasks.
public struct GroupCommitState<Item> {
    public let maxBatch: Int
    private var waiting: [Item] = []
    public private(set) var writing = false

    public init(maxBatch: Int) {
        precondition(maxBatch >= 1)
        self.maxBatch = maxBatch
    }

    /// Items waiting for a batch.
    public var queued: Int { waiting.count }

    /// An item arrived: the batch to write now when nothing is being written, else nil (it waits).
    public mutating func arrive(_ item: Item) -> [Item]? {
        waiting.append(item)
        guard !writing else { return nil }
        return nextBatch()
    }

    /// The batch being written is done: the next one (oldest first, at most `maxBatch`), or nil
    /// when nothing waits and the writer goes idle.
    public mutating func written() -> [Item]? {
        precondition(writing, "written() without a batch being written")
        writing = false
        return waiting.isEmpty ? nil : nextBatch()
    }

    private mutating func nextBatch() -> [Item] {
        let batch = Array(waiting.prefix(maxBatch))
        waiting.removeFirst(batch.count)
        writing = true
        return batch
    }
}

/// Writes items through `write` in batches (see `GroupCommitState`): a flood of submits becomes a
/// few transactions in a row instead of one per submit, so the store's single writer stays free
/// for the workers' claims and completions between them. A batch that does not finish within
/// `timeout` answers its items with `timeoutError()` and the next batch starts: one write stuck on
/// a dead database connection never holds up the submits behind it.
public actor GroupCommitter<Item: Sendable, Outcome: Sendable> {
    private struct Entry: Sendable {
        let item: Item
        let reply: CheckedContinuation<Outcome, any Error>
    }

    private var state: GroupCommitState<Entry>
    /// Writes one batch in one transaction; one outcome per item, in order.
    private let write: @Sendable ([Item]) async throws -> [Outcome]
    private let timeout: Duration
    private let timeoutError: @Sendable () -> any Error

    public init(maxBatch: Int = 64, timeout: Duration = .seconds(10),
                timeoutError: @escaping @Sendable () -> any Error = { JobStoreUnavailable.timedOut("submit") },
                write: @escaping @Sendable ([Item]) async throws -> [Outcome]) {
        state = GroupCommitState(maxBatch: maxBatch)
        self.write = write
        self.timeout = timeout
        self.timeoutError = timeoutError
    }

    /// Writes `item` (with whatever else is waiting) and returns its outcome. Once queued the item
    /// is written even if the caller stops waiting.
    public func submit(_ item: Item) async throws -> Outcome {
        try await withCheckedThrowingContinuation { reply in
            if let batch = state.arrive(Entry(item: item, reply: reply)) {
                Task { await self.drain(from: batch) }
            }
        }
    }

    private func drain(from first: [Entry]) async {
        var batch: [Entry]? = first
        while let entries = batch {
            let items = entries.map(\.item), write = self.write
            do {
                let outcomes = try await withDeadline(timeout, onTimeout: timeoutError) { try await write(items) }
                precondition(outcomes.count == entries.count, "a batch write returned \(outcomes.count) outcomes for \(entries.count) items")
                for (entry, outcome) in zip(entries, outcomes) { entry.reply.resume(returning: outcome) }
            } catch {
                for entry in entries { entry.reply.resume(throwing: error) }
            }
            batch = state.written()
        }
    }
}
