import Foundation
import VisionCore

/// Writes into the model cache that can fail for want of space, and how that is told: a full
/// disk (ENOSPC, EDQUOT) is a 507 naming the file, what it needs and what is free, never a path
/// of the server's; the part already downloaded stays for the next try to resume.
enum DiskSpace {
    /// A write that failed with `code` (an errno).
    struct WriteFailure: Error {
        let code: Int32
    }

    /// Whether an errno says the disk (or the writer's quota) is full.
    static func isFull(_ code: Int32) -> Bool { code == ENOSPC || code == EDQUOT }

    /// Bytes free to an unprivileged writer on the file system holding `folder`, if known.
    static func free(at folder: String) -> Int? {
        var s = statvfs()
        guard statvfs(folder, &s) == 0 else { return nil }
        return Int(s.f_bavail) * Int(s.f_frsize)
    }

    /// `1.5 MB`, `200 kB`, `12 B`.
    static func describe(_ bytes: Int) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// The error for a download of `path` of `repoID` that could not be written: a full disk as
    /// `VisionError.diskFull`, any other failure as an internal error without the server's paths.
    static func downloadFailure(_ code: Int32, repoID: String, path: String, needed: Int?, kept: Int,
                                cacheFolder: String) -> VisionError {
        guard isFull(code) else {
            return VisionError.internalError("cannot write the download of '\(path)' of '\(repoID)' into the model cache "
                                             + "(\(String(cString: strerror(code))))")
        }
        let free = free(at: cacheFolder).map { ", \(describe($0)) free" } ?? ""
        let needs = needed.map { "needs \(describe($0))" } ?? "does not fit"
        let keptText = kept > 0 ? "; the \(describe(kept)) downloaded so far are kept and the next try resumes from there" : ""
        return VisionError.diskFull("the disk holding the model cache is full: '\(path)' of '\(repoID)' \(needs)\(free)\(keptText). "
                                    + "Free space on it (or point HF_ROOT_FOLDER at a larger disk) and try again")
    }

    /// A failure of `FileManager` or a POSIX call while writing the cache's small files (refs,
    /// links, folders): a full disk as `diskFull`, anything else unchanged.
    static func mapped(_ error: any Error, repoID: String, cacheFolder: String) -> any Error {
        let code: Int32?
        switch error {
        case let failure as WriteFailure: code = failure.code
        case let cocoa as CocoaError:
            code = (cocoa.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? Int32($0.code) : nil }
                ?? (cocoa.code == .fileWriteOutOfSpace ? ENOSPC : nil)
        case let posix as POSIXError: code = posix.code.rawValue
        default: code = nil
        }
        guard let code, isFull(code) else { return error }
        let free = free(at: cacheFolder).map { " (\(describe($0)) free)" } ?? ""
        return VisionError.diskFull("the disk holding the model cache is full\(free): files of '\(repoID)' cannot be written. "
                                    + "Free space on it (or point HF_ROOT_FOLDER at a larger disk) and try again")
    }
}
