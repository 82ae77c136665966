import Logging
import VisionCore
import VisionEngine

extension AppBuilder {
    /// Records download progress and logs each finished file.
    static func progressLogger(_ board: DownloadBoard, _ logger: Logger) -> @Sendable (DownloadProgress) -> Void {
        { progress in
            board.record(progress)
            if let total = progress.bytesTotal, progress.bytesDone >= total {
                logger.info("downloaded", metadata: ["repo": "\(progress.repoID)", "file": "\(progress.path)",
                                                     "bytes": "\(total)"])
            } else {
                logger.debug("downloading", metadata: ["repo": "\(progress.repoID)", "file": "\(progress.path)",
                                                       "bytes": "\(progress.bytesDone)/\(progress.bytesTotal.map(String.init) ?? "?")"])
            }
        }
    }
}
