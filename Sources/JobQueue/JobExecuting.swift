/// Runs a job's inference request. The app builder wires it to the model families, so the queue
/// knows neither HTTP nor any family.
public protocol JobExecuting: Sendable {
    /// The response JSON for `request` (a JSON inference request of `modelType`).
    func execute(modelType: String, request: [UInt8]) async throws -> [UInt8]
    /// Whether running again may succeed (overload, not ready, a runtime fault) rather than the
    /// request itself being wrong.
    func isTransient(_ error: any Error) -> Bool
    /// The error as a job's `error` text (no internals; the log has the error in full).
    func describe(_ error: any Error) -> String
}

/// Posts a finished job to its `callback_url` (through the server's URL guard).
public protocol JobCallbackSending: Sendable {
    /// Posts the finished `job` to `url` (the sender chooses the wire format).
    func send(_ job: JobRecord, to url: String) async
}
