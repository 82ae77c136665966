import Synchronization
import VisionCore

/// The latest download progress per repository and file, written by the hub client's progress
/// callbacks (any thread) and read for `/models/status`.
public final class DownloadBoard: Sendable {
    private let entries = Mutex<[String: [String: DownloadProgress]]>([:])

    public init() {}

    public func record(_ progress: DownloadProgress) {
        entries.withLock { $0[progress.repoID, default: [:]][progress.path] = progress }
    }

    /// Files of `repoID` still downloading (done < total), by path.
    public func inFlight(repoID: String) -> [DownloadProgress] {
        entries.withLock { all in
            (all[repoID] ?? [:]).values.filter { p in p.bytesTotal.map { p.bytesDone < $0 } ?? true }
                .sorted { $0.path < $1.path }
        }
    }

    public func clear(repoID: String) {
        _ = entries.withLock { $0.removeValue(forKey: repoID) }
    }
}
