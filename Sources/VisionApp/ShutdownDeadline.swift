import Foundation
import Logging
import ServiceLifecycle

/// The last word on shutdown: once a graceful shutdown has begun, the process exits at most
/// `grace` + 5 s later, whatever still waits (the service group cancels everything after `grace`;
/// this covers work that does not answer cancellation, such as a database driver waiting on a
/// dead connection).
struct ShutdownDeadline: Service {
    let grace: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        let limit = grace + .seconds(5)
        let logger = self.logger
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(limit.components.seconds) * 1000)) {
            logger.critical("shutdown did not finish within SHUTDOWN_GRACE_SECONDS + 5 s; exiting now")
            exit(1)
        }
    }
}
