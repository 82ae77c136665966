import Foundation

/// File sizes through `stat`, which follows symlinks (a snapshot entry gives its blob's size).
public enum FileSize {
    /// The size of the file `path` names, or nil when there is none.
    public static func of(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }
}
