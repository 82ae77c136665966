import Foundation
import NIOPosix
import VisionCore

/// An exclusive advisory lock on a file (flock), as huggingface_hub takes under `.locks/`, so two
/// processes downloading the same blob end with one correct file. Acquired on NIO's blocking
/// thread pool, never on the caller's thread.
final class FileLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    static func acquire(_ path: String) async throws -> FileLock {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let fd = try await NIOThreadPool.singleton.runIfActive { () throws -> Int32 in
            let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            // Never the path in a message: it is the server's.
            guard fd >= 0 else {
                let code = errno
                if DiskSpace.isFull(code) { throw DiskSpace.WriteFailure(code: code) }
                throw VisionError.internalError("cannot open a download lock in the model cache (\(String(cString: strerror(code))))")
            }
            guard flock(fd, LOCK_EX) == 0 else {
                let code = errno
                close(fd)
                throw VisionError.internalError("cannot lock a download in the model cache (\(String(cString: strerror(code))))")
            }
            return fd
        }
        return FileLock(descriptor: fd)
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
