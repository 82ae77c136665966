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
    /// Waiting work, each with the ticket its caller can withdraw it by.
    private var queue: [(ticket: UInt64, work: () -> Void)] = []
    private var nextTicket: UInt64 = 0
    private var stopped = false
    private var running = 0
    private var completed = 0
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

    /// Work items that have run to their end since the executor started.
    public var completedCount: Int {
        condition.lock(); defer { condition.unlock() }
        return completed
    }

    /// Runs `work` on one of the executor's threads and returns its result. Cancelling the
    /// calling task ends the wait at once with `CancellationError`: work still queued is taken out
    /// of the queue (its slot is free for the next caller), work already running finishes on its
    /// thread and its result is discarded.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let waiter = Waiter<T>()
        let ticket = takeTicket()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                guard waiter.install(continuation) else { return }
                condition.lock()
                if stopped {
                    condition.unlock()
                    waiter.finish(.failure(VisionError.notReady("the server is shutting down")))
                    return
                }
                if queue.count + running >= queueLimit + threadCount {
                    condition.unlock()
                    waiter.finish(.failure(VisionError.queueFull(
                        "the \(name) queue is full (\(queueLimit) waiting); retry shortly", retryAfter: 1)))
                    return
                }
                queue.append((ticket, {
                    // Dropped without running when the caller gave up while it was queued (and
                    // cancellation came too early to take it out).
                    guard !waiter.isFinished else { return }
                    waiter.finish(Result { try work() })
                }))
                condition.signal()
                condition.unlock()
            }
        } onCancel: {
            waiter.finish(.failure(CancellationError()))
            withdraw(ticket)
        }
    }

    private func takeTicket() -> UInt64 {
        condition.lock(); defer { condition.unlock() }
        nextTicket &+= 1
        return nextTicket
    }

    /// Takes the work with `ticket` out of the queue, if it is still waiting there.
    private func withdraw(_ ticket: UInt64) {
        condition.lock(); defer { condition.unlock() }
        queue.removeAll { $0.ticket == ticket }
    }

    /// One caller's continuation, resumed exactly once: by the work's result or by cancellation,
    /// whichever comes first. `@unchecked Sendable`: its state is guarded by `lock`.
    final class Waiter<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<T, any Error>?
        private var finished = false

        /// Stores the continuation; false (after resuming it) when cancellation came first.
        func install(_ c: CheckedContinuation<T, any Error>) -> Bool {
            lock.lock()
            if finished {
                lock.unlock()
                c.resume(throwing: CancellationError())
                return false
            }
            continuation = c
            lock.unlock()
            return true
        }

        var isFinished: Bool {
            lock.lock(); defer { lock.unlock() }
            return finished
        }

        func finish(_ result: Result<T, any Error>) {
            lock.lock()
            guard !finished else { lock.unlock(); return }
            finished = true
            let c = continuation
            continuation = nil
            lock.unlock()
            c?.resume(with: result)
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
            let job = queue.removeFirst().work
            running += 1
            condition.unlock()
            job()
            condition.lock()
            running -= 1
            completed += 1
            condition.unlock()
        }
    }
}
