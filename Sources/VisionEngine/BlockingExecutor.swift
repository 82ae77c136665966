import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VisionCore

/// A fixed set of dedicated threads with a bounded queue, for blocking C work (inference, image
/// decoding) that must never run on event-loop threads or Swift's cooperative pool.
///
/// `@unchecked Sendable`: all mutable state (`queue`, `stopped`) is guarded by `condition`.
public final class BlockingExecutor: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [() -> Void] = []
    private var stopped = false
    private var running = 0
    private let queueLimit: Int
    public let name: String
    public let threadCount: Int

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { value in if let value { Unmanaged<NSString>.fromOpaque(value).release() } }
        return key
    }()

    /// "<executor>-<index>" when the caller runs on an executor's thread, else nil.
    public static var currentThreadName: String? {
        guard let value = pthread_getspecific(threadKey) else { return nil }
        return Unmanaged<NSString>.fromOpaque(value).takeUnretainedValue() as String
    }

    /// Starts `threads` threads. `queueLimit` bounds the work waiting for a thread; beyond it,
    /// `run` fails with an overload error (HTTP 429).
    public init(name: String, threads: Int, queueLimit: Int) {
        self.name = name
        self.threadCount = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        for i in 0..<threadCount {
            let threadName = "\(name)-\(i)"
            let thread = Thread { [self] in
                // Named from inside: on Linux a name set before start() is not applied. Foundation's
                // name does not always reach the kernel (a new thread keeps its creator's, often a
                // dispatch queue's), so the executor also marks its threads in thread-local storage.
                Thread.current.name = threadName
                pthread_setspecific(Self.threadKey, Unmanaged.passRetained(threadName as NSString).toOpaque())
                self.workLoop()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Work queued or running now.
    public var load: (queued: Int, running: Int) {
        condition.lock(); defer { condition.unlock() }
        return (queue.count, running)
    }

    /// Runs `work` on one of the executor's threads and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            condition.lock()
            if stopped {
                condition.unlock()
                continuation.resume(throwing: VisionError.notReady("the server is shutting down"))
                return
            }
            if queue.count + running >= queueLimit + threadCount {
                condition.unlock()
                continuation.resume(throwing: VisionError.queueFull(
                    "the \(name) queue is full (\(queueLimit) waiting); retry shortly", retryAfter: 1))
                return
            }
            queue.append {
                continuation.resume(with: Result { try work() })
            }
            condition.signal()
            condition.unlock()
        }
    }

    /// Lets queued work finish, then stops the threads. Later `run` calls fail with 503.
    public func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func workLoop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty && stopped {
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            running += 1
            condition.unlock()
            job()
            condition.lock()
            running -= 1
            condition.unlock()
        }
    }
}
