/// Runs `operation` and returns its value, or throws `onTimeout()` once `limit` has passed. The
/// operation runs in its own task: at the deadline that task is cancelled and left behind (a
/// database driver may not notice cancellation while it waits on a dead connection), so the
/// caller is never held past the deadline. A caller cancelled while waiting cancels it too.
public func withDeadline<T: Sendable>(_ limit: Duration, onTimeout: @escaping @Sendable () -> any Error,
                                      _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = DeadlineRace<T>()
    let work = Task { await race.finish(await Result(awaiting: operation)) }
    let timer = Task {
        // Cancelled once the operation has finished, or with the caller: then no timeout.
        guard (try? await Task.sleep(for: limit)) != nil else { return }
        await race.finish(.failure(onTimeout()))
    }
    let outcome = await withTaskCancellationHandler {
        await race.outcome()
    } onCancel: {
        work.cancel()
        timer.cancel()
        Task { await race.finish(.failure(CancellationError())) }
    }
    work.cancel()
    timer.cancel()
    return try outcome.get()
}

/// The first of the operation's outcome and the deadline wins; later ones are ignored.
private actor DeadlineRace<T: Sendable> {
    private var result: Result<T, any Error>?
    private var waiter: CheckedContinuation<Result<T, any Error>, Never>?

    func finish(_ outcome: Result<T, any Error>) {
        guard result == nil else { return }
        result = outcome
        waiter?.resume(returning: outcome)
        waiter = nil
    }

    func outcome() async -> Result<T, any Error> {
        if let result { return result }
        return await withCheckedContinuation { waiter = $0 }
    }
}

extension Result where Failure == any Error {
    init(awaiting body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
