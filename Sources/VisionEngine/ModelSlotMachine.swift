/// The loading state of one model slot (one per model type), as a value type that returns
/// actions: the actor that owns it performs them. Concurrent requests for the model that is
/// loading wait for that one load; a request for another model replaces the slot's model once
/// the current load settles. A failed load leaves the previous model in place.
struct ModelSlotMachine<Key: Hashable & Sendable, Model> {
    enum State {
        case empty
        /// Loading `Key`; `previous` is restored if the load fails.
        case loading(Key, previous: (key: Key, model: Model)?)
        case ready(Key, Model)
    }

    /// What the owner must do for a request.
    enum RequestAction {
        /// The model is ready: use it.
        case use(Model)
        /// Start loading `Key`; the requester waits for `loadFinished`.
        case startLoading(Key)
        /// A load is in progress: wait, then ask again.
        case wait
    }

    private(set) var state: State = .empty

    var loadingKey: Key? {
        if case .loading(let key, _) = state { return key }
        return nil
    }

    var readyModel: (key: Key, model: Model)? {
        if case .ready(let key, let model) = state { return (key, model) }
        return nil
    }

    mutating func request(_ key: Key) -> RequestAction {
        switch state {
        case .empty:
            state = .loading(key, previous: nil)
            return .startLoading(key)
        case .loading:
            return .wait
        case .ready(let current, let model):
            if current == key { return .use(model) }
            state = .loading(key, previous: (current, model))
            return .startLoading(key)
        }
    }

    /// Records the end of a load. Returns false if the result is stale (an unload happened).
    mutating func loadFinished(_ key: Key, model: Model?) -> Bool {
        guard case .loading(let loading, let previous) = state, loading == key else { return false }
        if let model {
            state = .ready(key, model)
        } else if let previous {
            state = .ready(previous.key, previous.model)
        } else {
            state = .empty
        }
        return true
    }

    /// Drops the ready model. Returns the key that was unloaded, if any. A load in progress is
    /// left to finish (its waiters need its result) and is then kept; only the model it would
    /// fall back to on failure is dropped.
    mutating func unload() -> Key? {
        switch state {
        case .ready(let key, _):
            state = .empty
            return key
        case .loading(let key, let previous):
            state = .loading(key, previous: nil)
            return previous?.key
        case .empty:
            return nil
        }
    }
}
