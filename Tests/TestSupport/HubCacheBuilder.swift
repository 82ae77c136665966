import Foundation

/// Lays a model folder into a Hugging Face hub cache exactly as huggingface_hub does:
/// `models--org--name/blobs/<hash>`, `snapshots/<commit>/<path>` as relative symlinks into
/// blobs, and `refs/main` holding the commit (no trailing newline).
public enum HubCacheBuilder {
    /// Copies every file under `folder` into `hubCache` as repository `repoID`; returns the commit.
    @discardableResult
    public static func place(folder: URL, repoID: String, in hubCache: String, revision: String = "main") throws -> String {
        let fm = FileManager.default
        let repo = hubCache + "/models--" + repoID.replacingOccurrences(of: "/", with: "--")
        let files = try (fm.subpathsOfDirectory(atPath: folder.path)).filter {
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: folder.appendingPathComponent($0).path, isDirectory: &isDir) && !isDir.boolValue
        }.sorted()
        var commitHash = FNV()
        var contents: [(String, Data, String)] = []
        for file in files {
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            var h = FNV(); h.add(data)
            let blob = h.hex(64)
            commitHash.add(Data(file.utf8)); commitHash.add(Data(blob.utf8))
            contents.append((file, data, blob))
        }
        let commit = commitHash.hex(40)
        try fm.createDirectory(atPath: repo + "/blobs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        for (file, data, blob) in contents {
            try data.write(to: URL(fileURLWithPath: repo + "/blobs/" + blob))
            let link = repo + "/snapshots/" + commit + "/" + file
            try fm.createDirectory(atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let depth = file.split(separator: "/").count - 1
            let up = String(repeating: "../", count: depth + 2)
            try? fm.removeItem(atPath: link)
            try fm.createSymbolicLink(atPath: link, withDestinationPath: up + "blobs/" + blob)
        }
        try Data(commit.utf8).write(to: URL(fileURLWithPath: repo + "/refs/" + revision))
        return commit
    }

    /// A fresh temporary folder.
    public static func temporaryFolder(_ prefix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A 64-bit FNV-1a hash stretched to hex; stands in for the etag/commit names (which only
    /// need to be stable and hex-shaped here).
    struct FNV {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        mutating func add(_ data: Data) {
            for b in data { state = (state ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        func hex(_ length: Int) -> String {
            var out = ""
            var s = state
            while out.count < length {
                out += String(format: "%016llx", s)
                s = s &* 0x100_0000_01b3 ^ 0x9E37_79B9_7F4A_7C15
            }
            return String(out.prefix(length))
        }
    }
}
