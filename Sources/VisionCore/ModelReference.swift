/// A model named by its Hugging Face repository id, an optional revision (`org/name@rev`) and an
/// optional ONNX variant (`fp16`, `quantized`, ...). Validated so it can never escape the cache.
public struct ModelReference: Sendable, Hashable, CustomStringConvertible {
    public let repoID: String
    public let revision: String
    /// `nil` selects `onnx/model.onnx`; `"fp16"` selects `onnx/model_fp16.onnx`, and so on.
    public let variant: String?

    /// `model_id` as the OpenAPI document declares it and this parser enforces it (ECMA-262 and
    /// Swift regex alike): `org/name` or `name`, each part letters, digits and `_` with single `.`
    /// or `-` between them, then an optional `@revision` of such segments joined by `/`. Nothing
    /// that matches can leave the cache folder (no `..`, no leading `/` or `.`).
    public static let idPattern = "^[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*(?:/[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*)?"
        + "(?:@[A-Za-z0-9_-]+(?:[.][A-Za-z0-9_-]+)*(?:/[A-Za-z0-9_-]+(?:[.][A-Za-z0-9_-]+)*)*)?$"
    /// The two path segments of an id in a URL (`/models/{org}/{name}`): the owner, and the name
    /// with its optional `@revision` (a revision with `/` cannot be given this way).
    public static let ownerPattern = "^[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*$"
    public static let namePattern = "^[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*(?:@[A-Za-z0-9_-]+(?:[.][A-Za-z0-9_-]+)*)?$"
    /// The longest `model_id`, revision included.
    public static let idMaxLength = 200
    /// `variant` as declared and enforced: what goes between `model_` and `.onnx`.
    public static let variantPattern = "^[A-Za-z0-9_]{1,32}$"

    /// The schema of a `model_id` field.
    public static func idSchema(description: String = "Hub id, optionally @revision") -> Schema {
        .string(maxLength: idMaxLength, pattern: idPattern, description: description)
    }

    /// The schema of a `variant` field.
    public static let variantSchema = Schema.string(pattern: variantPattern, description: "ONNX variant: fp16, quantized, ...")

    public init(parsing text: String, variant: String? = nil) throws {
        guard text.count <= Self.idMaxLength, Self.matches(text, Self.idPattern) else {
            throw VisionError.invalidInput(
                "model_id '\(text.prefix(200))' is not a valid Hugging Face repository id (expected 'org/name' or "
                + "'org/name@revision', at most \(Self.idMaxLength) characters)")
        }
        if let variant {
            guard Self.matches(variant, Self.variantPattern) else {
                throw VisionError.invalidInput("variant '\(variant.prefix(40))' is not valid (1 to 32 letters, digits and '_')")
            }
        }
        var id = text
        var revision = "main"
        if let at = text.firstIndex(of: "@") {
            id = String(text[..<at])
            revision = String(text[text.index(after: at)...])
        }
        self.repoID = id
        self.revision = revision
        self.variant = variant
    }

    /// Whether all of `text` matches `pattern` (one of the anchored patterns above).
    private static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? Regex(pattern) else { preconditionFailure("invalid pattern \(pattern)") }
        return (try? regex.wholeMatch(in: text)) != nil
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
