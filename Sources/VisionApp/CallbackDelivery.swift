import Crypto
import Foundation
import JobQueue
import Logging
import RemoteImages
import ServiceLifecycle
import VisionAPI

/// Delivers finished jobs (completed or failed) to their callback URL, off the workers: `send`
/// only enqueues; this service posts through the image URL policy (no redirects), retrying with
/// backoff (1 s, 4 s, 16 s) until a 2xx. With `CALLBACK_SECRET` each post carries
/// `X-Signature: sha256=<hex HMAC-SHA256 of the body>`; the secret is never logged.
final class CallbackDelivery: JobCallbackSending, Service, Sendable {
    private let fetcher: URLImageFetcher
    private let secret: SymmetricKey?
    private let logger: Logger
    private let stream: AsyncStream<(JobRecord, String)>
    private let continuation: AsyncStream<(JobRecord, String)>.Continuation
    static let delays: [Duration] = [.seconds(1), .seconds(4), .seconds(16)]

    init(fetcher: URLImageFetcher, secret: String?, logger: Logger) {
        self.fetcher = fetcher
        self.secret = secret.map { SymmetricKey(data: Data($0.utf8)) }
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: (JobRecord, String).self, bufferingPolicy: .bufferingOldest(4096))
    }

    func send(_ job: JobRecord, to url: String) async {
        if case .dropped = continuation.yield((job, url)) {
            logger.warning("job callback dropped: 4096 are waiting", metadata: ["job_id": "\(job.id)"])
        }
    }

    /// `sha256=<hex>` of the body under the secret.
    static func signature(_ body: [UInt8], key: SymmetricKey) -> String {
        "sha256=" + HMAC<SHA256>.authenticationCode(for: body, using: key).map { String(format: "%02x", $0) }.joined()
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for await (job, url) in stream.cancelOnGracefulShutdown() {
                group.addTask { await self.deliver(job, to: url) }
            }
        }
    }

    private func deliver(_ job: JobRecord, to url: String) async {
        let body = JobJSON.job(job)
        let headers = secret.map { [("X-Signature", Self.signature(body, key: $0))] } ?? []
        for attempt in 0...Self.delays.count {
            do {
                let status = try await fetcher.postJSON(url, body: body, headers: headers)
                if (200..<300).contains(status) {
                    logger.info("job callback sent", metadata: ["job_id": "\(job.id)", "status": "\(status)"])
                    return
                }
                logger.warning("job callback refused", metadata: ["job_id": "\(job.id)", "status": "\(status)", "attempt": "\(attempt + 1)"])
            } catch {
                logger.warning("job callback failed", metadata: ["job_id": "\(job.id)", "error": "\(error)", "attempt": "\(attempt + 1)"])
            }
            guard attempt < Self.delays.count else { break }
            do { try await Task.sleep(for: Self.delays[attempt]) } catch { return }
        }
        logger.error("job callback given up", metadata: ["job_id": "\(job.id)", "attempts": "\(Self.delays.count + 1)"])
    }
}
