import VisionCore

/// The life of one model (one id, revision, variant and device): absent → downloading → loading →
/// ready, or failed with its error (retried only after a backoff that doubles with each failure in
/// a row: a burst of requests for a missing model asks the hub once per window); unloaded back to
/// absent. A value type that returns actions for
/// its owner to perform, so every race (concurrent first requests, unload during a load, a failed
/// download) is decided here and unit-tested.
struct ModelLifecycle<Model> {
    enum State {
        case absent
        case downloading
        case loading
        case ready(Model)
        case failed(VisionError)
    }

    /// What the owner must do for a request.
    enum RequestAction {
        /// Ready: use this model.
        case use(Model)
        /// Nobody is fetching it: start (download, then load); the requester waits for the result.
        case start
        /// A download or load is under way: wait for its outcome.
        case wait
        /// It failed and its backoff has not passed: answer with the same error, ask nobody.
        case fail(VisionError)
    }

    /// The first retry waits this long; each failure in a row doubles it, up to `maxBackoff`.
    let backoff: Duration
    let maxBackoff: Duration
    /// Failures in a row, and when the next attempt may start.
    private(set) var failures = 0
    private(set) var retryAt: ContinuousClock.Instant?

    init(backoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(300)) {
        self.backoff = backoff
        self.maxBackoff = maxBackoff
    }

    private(set) var state: State = .absent
    /// Set when an unload arrives while the model is being prepared: it is dropped on arrival.
    private(set) var unloadRequested = false

    var isBusy: Bool {
        switch state {
        case .downloading, .loading: true
        default: false
        }
    }

    var model: Model? {
        if case .ready(let m) = state { return m }
        return nil
    }

    var stateName: String {
        switch state {
        case .absent: "absent"
        case .downloading: "downloading"
        case .loading: "loading"
        case .ready: "ready"
        case .failed: "failed"
        }
    }

    var error: VisionError? {
        if case .failed(let e) = state { return e }
        return nil
    }

    /// A request for the model. A failed model is retried by the first request after its backoff.
    mutating func request(now: ContinuousClock.Instant = .now) -> RequestAction {
        switch state {
        case .ready(let m):
            return .use(m)
        case .downloading, .loading:
            return .wait
        case .failed(let error) where retryAt.map { now < $0 } ?? false:
            return .fail(error)
        case .absent, .failed:
            state = .downloading
            unloadRequested = false
            return .start
        }
    }

    /// The files are in the cache; the owner now loads them.
    mutating func downloaded() {
        if case .downloading = state { state = .loading }
    }

    /// The outcome of the download and load. Returns the model waiters should get (nil with an
    /// error), and whether the owner must drop it at once (an unload came in meanwhile).
    mutating func finished(_ result: Result<Model, VisionError>,
                           now: ContinuousClock.Instant = .now) -> (result: Result<Model, VisionError>, dropNow: Bool) {
        switch result {
        case .success(let m):
            failures = 0
            retryAt = nil
            if unloadRequested {
                state = .absent
                unloadRequested = false
                return (.success(m), true)
            }
            state = .ready(m)
        case .failure(let e):
            state = .failed(e)
            unloadRequested = false
            failures += 1
            let wait = backoff * (1 << min(failures - 1, 20))
            retryAt = now + min(wait, maxBackoff)
        }
        return (result, false)
    }

    /// An unload. Returns true if a ready model was dropped now; a model being prepared is
    /// dropped when it arrives (its waiters still get it for their requests).
    mutating func unload() -> Bool {
        switch state {
        case .ready:
            state = .absent
            return true
        case .downloading, .loading:
            unloadRequested = true
            return false
        case .absent, .failed:
            state = .absent
            failures = 0
            retryAt = nil
            return false
        }
    }
}
