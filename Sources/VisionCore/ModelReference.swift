/// A model named by its Hugging Face repository id, an optional revision (`org/name@rev`) and an
/// optional ONNX variant (`fp16`, `quantized`, ...). Validated so it can never escape the cache.
public struct ModelReference: Sendable, Hashable, CustomStringConvertible {
    public let repoID: String
    public let revision: String
    /// `nil` selects `onnx/model.onnx`; `"fp16"` selects `onnx/model_fp16.onnx`, and so on.
    public let variant: String?

    public init(parsing text: String, variant: String? = nil) throws {
        var id = text
        var revision = "main"
        if let at = text.firstIndex(of: "@") {
            id = String(text[..<at])
            revision = String(text[text.index(after: at)...])
        }
        guard Self.isValidRepoID(id) else {
            throw VisionError.invalidInput(
                "model_id '\(text.prefix(200))' is not a valid Hugging Face repository id (expected 'org/name' or 'org/name@revision')")
        }
        guard Self.isValidRevision(revision) else {
            throw VisionError.invalidInput("revision '\(revision.prefix(100))' is not a valid branch, tag or commit")
        }
        if let variant {
            guard !variant.isEmpty, variant.count <= 32,
                  variant.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw VisionError.invalidInput("variant '\(variant.prefix(40))' is not valid (letters, digits and '_' only)")
            }
        }
        self.repoID = id
        self.revision = revision
        self.variant = variant
    }

    public var description: String {
        (revision == "main" ? repoID : "\(repoID)@\(revision)") + (variant.map { " (\($0))" } ?? "")
    }

    /// The ONNX graph file inside the repository for this variant.
    public func onnxPath(graph: String = "model") -> String {
        "onnx/" + graph + (variant.map { "_" + $0 } ?? "") + ".onnx"
    }

    /// A 40-hex commit hash.
    public var isCommitHash: Bool {
        revision.count == 40 && revision.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    static func isValidRepoID(_ id: String) -> Bool {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), id.count <= 96 + 40 else { return false }
        for part in parts {
            guard !part.isEmpty, part.count <= 96,
                  part.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }),
                  !part.hasPrefix("-"), !part.hasPrefix("."), !part.hasSuffix("."), !part.hasSuffix("-"),
                  !part.contains("--"), !part.contains("..") else { return false }
        }
        return true
    }

    static func isValidRevision(_ rev: String) -> Bool {
        guard !rev.isEmpty, rev.count <= 255, !rev.hasPrefix("/"), !rev.hasSuffix("/"),
              !rev.contains(".."), !rev.contains("//") else { return false }
        return rev.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }
    }
}

/// A resolved snapshot of a repository: a folder of files (symlinks into the cache's blobs).
public struct ModelSnapshot: Sendable, Equatable {
    public let reference: ModelReference
    public let folder: String
    public let commit: String

    public init(reference: ModelReference, folder: String, commit: String) {
        self.reference = reference
        self.folder = folder
        self.commit = commit
    }

    public func path(_ relative: String) -> String { folder + "/" + relative }
}

/// Finds model snapshots (the Hugging Face cache, in production).
public protocol ModelRepository: Sendable {
    /// The snapshot holding the reference's files, fetching them first where the repository can.
    /// `exporter` names the exporter to suggest when the repository has no graphs.
    func snapshot(for reference: ModelReference, exporter: ExportHint) async throws -> ModelSnapshot
}

/// Which `tools/export/export.py` family to suggest for a repository that holds weights only,
/// chosen from the repository's file list (a family may have several exporters).
public struct ExportHint: Sendable {
    /// Every exporter it may name.
    public let names: [String]
    public let choose: @Sendable (_ files: [String]) -> String

    public init(names: [String], choose: @escaping @Sendable (_ files: [String]) -> String) {
        self.names = names
        self.choose = choose
    }

    /// Always the exporter `name`.
    public static func named(_ name: String) -> ExportHint { ExportHint(names: [name]) { _ in name } }

    /// One of `names`, for a caller that does not know the family (`<a|b|c>`).
    public static func oneOf(_ names: [String]) -> ExportHint {
        ExportHint(names: names) { _ in "<" + names.joined(separator: "|") + ">" }
    }
}
