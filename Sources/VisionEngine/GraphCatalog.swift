import Foundation
import VisionCore

/// A graph the server ships without weights, for one architecture configuration: the `config.json`
/// fields that shape the graph (its fingerprint) decide which checkpoints it serves.
public struct ShippedGraph: Sendable, Equatable {
    /// The graph's own name, e.g. `dinov3-vits16` (what `/models/status` reports).
    public let name: String
    /// The model type it serves, e.g. `dinov3`.
    public let family: String
    /// `architectures[0]` of the configs it serves (else their `model_type`).
    public let architecture: String
    /// Dotted `config.json` path (`backbone_config.hidden_size`) → the value, as canonical JSON.
    public let fingerprint: [String: String]
    /// The config class's default of fingerprint fields: what a config.json that omits one means.
    public var defaults: [String: String] = [:]
    /// The folder holding its graph files.
    public let folder: String
    /// Other names a weight may be stored under (modules shared between places, stored once).
    public var aliases: [String: [String]] = [:]
    /// Prefixes a checkpoint may put before every key (a wrapper's, e.g. `detector_model.`).
    public var keyPrefixes: [String] = []
    /// Its graph files (`model.onnx`, or one per stage of a split model).
    public var files: [String] = ["model.onnx"]
    /// Checkpoints that wrap the served model: the wrapper's architecture → the `config.json` field
    /// holding the served model's config (`Sam3VideoModel` → `detector_config`).
    public var wrappers: [String: String] = [:]
    /// Settings the family needs to serve the graphs that the checkpoint's own config does not say
    /// (a JSON object; Depth Anything 3's outputs, camera inputs, preprocessing).
    public var modelConfig: Data?

    /// Whether it serves checkpoints of this architecture (its own, or a wrapper's).
    func serves(_ architecture: String) -> Bool { self.architecture == architecture || wrappers[architecture] != nil }

    /// The part of a checkpoint's config its fingerprint applies to (a wrapper's nested config).
    func servedConfig(_ config: [String: Any], architecture: String) -> [String: Any] {
        guard self.architecture != architecture, let field = wrappers[architecture] else { return config }
        return config[field] as? [String: Any] ?? [:]
    }
}

/// The shipped graphs: one folder each under the catalog's folder, with `fingerprint.json`
/// (`{"name", "family", "architecture", "fields": {dotted path: value}, "defaults": {...}}`, and
/// optionally `"graphs": [file names]`, `"aliases": {key: [other keys]}`, `"key_prefixes": [...]`,
/// `"wrappers": {architecture: config field}`)
/// beside the graph files.
public struct GraphCatalog: Sendable {
    public let graphs: [ShippedGraph]

    public init(graphs: [ShippedGraph]) { self.graphs = graphs }

    /// Reads every `*/fingerprint.json` under `folder` (none: an empty catalog).
    public init(folder: String) throws {
        let fm = FileManager.default
        var graphs: [ShippedGraph] = []
        for entry in ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
            let path = folder + "/" + entry + "/fingerprint.json"
            guard let data = fm.contents(atPath: path) else { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let name = object["name"] as? String, let family = object["family"] as? String,
                  let architecture = object["architecture"] as? String, let fields = object["fields"] as? [String: Any] else {
                throw VisionError.internalError("shipped graph '\(entry)' has no valid fingerprint.json")
            }
            var graph = ShippedGraph(name: name, family: family, architecture: architecture,
                                     fingerprint: fields.mapValues(Self.canonical), folder: folder + "/" + entry)
            graph.defaults = (object["defaults"] as? [String: Any] ?? [:]).mapValues(Self.canonical)
            graph.aliases = object["aliases"] as? [String: [String]] ?? [:]
            graph.keyPrefixes = object["key_prefixes"] as? [String] ?? []
            graph.files = object["graphs"] as? [String] ?? ["model.onnx"]
            graph.wrappers = object["wrappers"] as? [String: String] ?? [:]
            graph.modelConfig = (object["model_config"] as? [String: Any]).flatMap { try? JSONSerialization.data(withJSONObject: $0) }
            graphs.append(graph)
        }
        self.graphs = graphs
    }

    /// The architecture a `config.json` declares: `architectures[0]`, else `model_type`; a Depth
    /// Anything 3 config (the package's: it names a preset, `model_name`) is `DepthAnything3`.
    public static func architecture(of config: [String: Any]) -> String? {
        (config["architectures"] as? [String])?.first ?? config["model_type"] as? String
            ?? ConfigArchitectures.declared(in: config).first
    }

    /// The value at a dotted path of a config (`backbone_config.hidden_size`), as canonical JSON
    /// (`null` for null); nil when absent.
    public static func value(_ path: String, in config: [String: Any]) -> String? {
        var current: Any = config
        for key in path.split(separator: ".") {
            guard let object = current as? [String: Any], let next = object[String(key)] else { return nil }
            current = next
        }
        return canonical(current)
    }

    /// One spelling per JSON value: sorted keys, 384 and 384.0 alike, booleans as booleans.
    static func canonical(_ value: Any) -> String {
        // JSON booleans come as NSNumbers of type `c` (char); every other number is compared as a value.
        if let number = value as? NSNumber, String(cString: number.objCType) != "c" {
            let double = number.doubleValue
            if double.rounded() == double, abs(double) < 1e15 { return String(Int64(double)) }
            return String(double)
        }
        guard let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) else { return "\(value)" }
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    /// Whether some shipped graph serves a checkpoint with this `config.json` (any family), judged
    /// before its weights are downloaded: none of its architecture is a 404 naming the export
    /// command, one of its architecture that does not fit is the 422 of `graph(for:family:...)`.
    public func check(config data: Data, repoID: String, exportCommand: String) throws {
        let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let architecture = Self.architecture(of: config) ?? "?"
        guard let family = graphs.first(where: { $0.serves(architecture) })?.family else {
            throw VisionError.modelNotFound("model '\(repoID)' holds a \(architecture) checkpoint and no ONNX graph, and no graph "
                                            + "is shipped for \(architecture); export it with `\(exportCommand)`")
        }
        _ = try graph(for: config, family: family, repoID: repoID, exportCommand: exportCommand)
    }

    /// The shipped graph that serves a checkpoint with this `config.json` as `family`: every field
    /// of its fingerprint equal. None: a 422 naming the closest graph of the architecture and each
    /// field that differs, and how to export a graph for this configuration.
    public func graph(for config: [String: Any], family: String, repoID: String, exportCommand: String) throws -> ShippedGraph {
        let architecture = Self.architecture(of: config) ?? "?"
        let candidates = graphs.filter { $0.family == family && $0.serves(architecture) }
        var best: (graph: ShippedGraph, differences: [String])?
        for graph in candidates {
            let served = graph.servedConfig(config, architecture: architecture)
            let differences = graph.fingerprint.keys.sorted().compactMap { path -> String? in
                let here = Self.value(path, in: served) ?? graph.defaults[path]
                guard here != graph.fingerprint[path] else { return nil }
                return "\(path): \(here ?? "absent") here, \(graph.fingerprint[path] ?? "absent") there"
            }
            if differences.isEmpty { return graph }
            if best == nil || differences.count < best!.differences.count { best = (graph, differences) }
        }
        let known = Set(graphs.filter { $0.family == family }.map(\.architecture)).sorted()
        guard let best else {
            throw VisionError.unsupportedModel(
                "'\(repoID)' is a \(architecture) checkpoint; the graphs shipped for \(family) serve "
                + (known.isEmpty ? "no architecture yet" : known.joined(separator: ", "))
                + ". Export a graph for it with `\(exportCommand)`")
        }
        throw VisionError.unsupportedModel(
            "no shipped graph fits the configuration of '\(repoID)' (\(architecture)); the closest is '\(best.graph.name)', "
            + "which differs in " + best.differences.prefix(6).joined(separator: "; ")
            + (best.differences.count > 6 ? "; ..." : "") + ". Export a graph for it with `\(exportCommand)`")
    }
}
