import Foundation
import VisionCore

/// The on-disk layout huggingface_hub uses for one model repository in a hub cache:
///
///     models--org--name/blobs/<etag>
///     models--org--name/snapshots/<commit>/<path>   (relative symlink to ../../blobs/<etag>)
///     models--org--name/refs/<revision>             (the commit, no trailing newline)
///     models--org--name/.no_exist/<commit>/<path>   (marks a file the hub said does not exist)
///     .locks/models--org--name/<etag>.lock
public struct HubCacheLayout: Sendable {
    public let cacheFolder: String
    public let repoID: String
    /// `models--org--name`. Hub ids are case-insensitive (`depth-anything/da3-base` is the hub's
    /// `DA3-BASE`): when the cache holds the repository under another spelling (written by a
    /// client that used the hub's), that folder is this repository's, so nothing is fetched twice.
    public let folderName: String

    public init(cacheFolder: String, repoID: String) {
        self.cacheFolder = cacheFolder
        self.repoID = repoID
        folderName = Self.existingFolder(in: cacheFolder, for: "models--" + repoID.replacingOccurrences(of: "/", with: "--"))
    }

    /// `name`, or the cache folder whose name equals it but for letter case.
    static func existingFolder(in cacheFolder: String, for name: String) -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: cacheFolder + "/" + name) { return name }
        let lowered = name.lowercased()
        return ((try? fm.contentsOfDirectory(atPath: cacheFolder)) ?? []).sorted().first { $0.lowercased() == lowered } ?? name
    }
    public var repoFolder: String { cacheFolder + "/" + folderName }
    public func blob(_ etag: String) -> String { repoFolder + "/blobs/" + etag }
    public func incomplete(_ etag: String) -> String { blob(etag) + ".incomplete" }
    public func snapshotFolder(_ commit: String) -> String { repoFolder + "/snapshots/" + commit }
    public func snapshotFile(_ commit: String, _ path: String) -> String { snapshotFolder(commit) + "/" + path }
    public func ref(_ revision: String) -> String { repoFolder + "/refs/" + revision }
    public func noExist(_ commit: String, _ path: String) -> String { repoFolder + "/.no_exist/" + commit + "/" + path }
    public func lock(_ etag: String) -> String { cacheFolder + "/.locks/" + folderName + "/" + etag + ".lock" }

    /// The commit a ref points at, if cached.
    public func readRef(_ revision: String) -> String? {
        guard let data = FileManager.default.contents(atPath: ref(revision)),
              let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              text.count == 40, text.allSatisfy(\.isHexDigit) else { return nil }
        return text
    }

    /// Writes `refs/<revision>` atomically (temporary file, then rename), without a newline.
    public func writeRef(_ revision: String, commit: String) throws {
        let path = ref(revision)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let temporary = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        try Data(commit.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw VisionError.internalError("could not write ref \(revision) for \(repoID)")
        }
    }

    /// Points `snapshots/<commit>/<path>` at `blobs/<etag>` with a relative symlink.
    public func linkSnapshot(commit: String, path: String, etag: String) throws {
        let link = snapshotFile(commit, path)
        let fm = FileManager.default
        try fm.createDirectory(atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let depth = path.split(separator: "/").count - 1
        let target = String(repeating: "../", count: depth + 2) + "blobs/" + etag
        if let existing = try? fm.destinationOfSymbolicLink(atPath: link), existing == target { return }
        try? fm.removeItem(atPath: link)
        try fm.createSymbolicLink(atPath: link, withDestinationPath: target)
    }

    /// Records that `path` does not exist at `commit`.
    public func markNoExist(commit: String, path: String) {
        let marker = noExist(commit, path)
        try? FileManager.default.createDirectory(atPath: (marker as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: marker, contents: Data())
    }

    /// Files present in a cached snapshot (relative paths).
    public func snapshotFiles(_ commit: String) -> [String] { Self.files(in: snapshotFolder(commit)) }

    /// Files under `folder` (relative paths, sorted; symlinks followed), none when it is absent.
    public static func files(in folder: String) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: folder)) ?? []).filter {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder + "/" + $0, isDirectory: &isDir) && !isDir.boolValue
        }.sorted()
    }
}
