/// Asks `condition` up to `tries` times, sleeping `interval` between asks; whether it held. Counted
/// in tries, not wall time: on a loaded machine each sleep runs long and the wait stretches with it.
/// A pass returns at once, so a generous count costs nothing on a fast machine.
public func eventually(tries: Int, every interval: Duration = .milliseconds(20),
                       _ condition: () async throws -> Bool) async throws -> Bool {
    for _ in 0..<tries {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return false
}
