import CoreMetrics
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

/// SAM3 vision-encoder outputs by image content (a SHA-256 of the decoded pixels and the model),
/// so the same image prompted again skips the vision pass. Bounded by memory. Its counters go to
/// `/metrics` as `vma_sam3_embedding_cache_{hits,misses,evictions}_total` and `_bytes`.
public actor SAM3EmbeddingCache {
    private var lru: ByteBoundedLRU<[String: Tensor]>
    private var stats = EmbeddingCacheStats()
    private let hits, misses, evictions: Counter
    private let bytes: Gauge

    public init(capacityMB: Int, metrics: EngineMetrics = .none) {
        lru = ByteBoundedLRU(capacityBytes: max(0, capacityMB) * 1_048_576)
        stats.capacityBytes = lru.capacityBytes
        hits = Counter(label: "vma_sam3_embedding_cache_hits_total", factory: metrics.factory)
        misses = Counter(label: "vma_sam3_embedding_cache_misses_total", factory: metrics.factory)
        evictions = Counter(label: "vma_sam3_embedding_cache_evictions_total", factory: metrics.factory)
        bytes = Gauge(label: "vma_sam3_embedding_cache_bytes", factory: metrics.factory)
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
}
