import CoreMetrics
import Crypto
import Foundation
import VisionCore

/// Least-recently-used entries bounded by their total size in bytes: the decision logic, free of
/// locking, so it can be tested on its own.
struct ByteBoundedLRU<Value> {
    let capacityBytes: Int
    private(set) var entries: [String: (value: Value, bytes: Int, used: UInt64)] = [:]
    private(set) var totalBytes = 0
    private var clock: UInt64 = 0

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    mutating func get(_ key: String) -> Value? {
        guard var entry = entries[key] else { return nil }
        clock += 1
        entry.used = clock
        entries[key] = entry
        return entry.value
    }

    /// Stores the value unless it alone exceeds the capacity; evicts least recently used entries
    /// to make room. Returns the number evicted.
    @discardableResult
    mutating func put(_ key: String, _ value: Value, bytes: Int) -> Int {
        guard bytes <= capacityBytes else { return 0 }
        if let old = entries.removeValue(forKey: key) { totalBytes -= old.bytes }
        var evicted = 0
        while totalBytes + bytes > capacityBytes, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
            totalBytes -= oldest.value.bytes
            entries.removeValue(forKey: oldest.key)
            evicted += 1
        }
        clock += 1
        entries[key] = (value, bytes, clock)
        totalBytes += bytes
        return evicted
    }
}

/// Hit/miss counters and size of the image-embedding cache.
public struct EmbeddingCacheStats: Sendable, Equatable {
    public var hits = 0
    public var misses = 0
    public var evictions = 0
    public var entries = 0
    public var bytes = 0
    public var capacityBytes = 0
}

/// A promptable family's vision-encoder outputs by image content (a SHA-256 of the decoded pixels
/// and the model), so the same image prompted again skips the vision pass. Bounded by memory. Its
/// counters go to `/metrics` as `vma_<family>_embedding_cache_{hits,misses,evictions}_total` and
/// `_bytes`.
public actor ImageEmbeddingCache {
    private var lru: ByteBoundedLRU<[String: Tensor]>
    private var stats = EmbeddingCacheStats()
    private let hits, misses, evictions: Counter
    private let bytes: Gauge

    /// A cache of `capacityMB` whose metrics are named after `family` (`vma_<family>_embedding_cache_*`).
    public init(family: String, capacityMB: Int, metrics: EngineMetrics = .none) {
        lru = ByteBoundedLRU(capacityBytes: max(0, capacityMB) * 1_048_576)
        stats.capacityBytes = lru.capacityBytes
        let prefix = "vma_\(family)_embedding_cache"
        hits = Counter(label: prefix + "_hits_total", factory: metrics.factory)
        misses = Counter(label: prefix + "_misses_total", factory: metrics.factory)
        evictions = Counter(label: prefix + "_evictions_total", factory: metrics.factory)
        bytes = Gauge(label: prefix + "_bytes", factory: metrics.factory)
    }

    func features(_ key: String) -> [String: Tensor]? {
        if let value = lru.get(key) {
            stats.hits += 1
            hits.increment()
            return value
        }
        stats.misses += 1
        misses.increment()
        return nil
    }

    func store(_ key: String, _ features: [String: Tensor]) {
        let size = features.values.reduce(0) { $0 + $1.count * 4 }
        let evicted = lru.put(key, features, bytes: size)
        stats.evictions += evicted
        evictions.increment(by: evicted)
        stats.entries = lru.entries.count
        stats.bytes = lru.totalBytes
        bytes.record(lru.totalBytes)
    }

    public func snapshot() -> EmbeddingCacheStats { stats }

    /// The cache's part of `/health` (`<name>`: its counters), and that part's schema.
    public static func health(_ name: String, _ cache: ImageEmbeddingCache, setting: String)
        -> (value: @Sendable () async -> [(String, JSONValue)], schema: [(String, Schema)]) {
        let value: @Sendable () async -> [(String, JSONValue)] = {
            let s = await cache.snapshot()
            return [(name, [
                "hits": .int(s.hits), "misses": .int(s.misses), "evictions": .int(s.evictions),
                "entries": .int(s.entries), "bytes": .int(s.bytes), "capacity_bytes": .int(s.capacityBytes),
            ])]
        }
        let schema: [(String, Schema)] = [(name, .object([
            "hits": .integer(), "misses": .integer(), "evictions": .integer(), "entries": .integer(), "bytes": .integer(),
            "capacity_bytes": .integer(),
        ], required: ["hits", "misses", "evictions", "entries", "bytes", "capacity_bytes"],
           description: "The image-embedding cache (\(setting))"))]
        return (value, schema)
    }

    /// Content key of a decoded image (SHA-256 of its size and pixels). CPU work: off the cooperative pool.
    public static func digest(_ image: RGBImage) -> String {
        var hasher = SHA256()
        withUnsafeBytes(of: (image.width, image.height)) { hasher.update(bufferPointer: $0) }
        image.pixels.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
