import ArgumentParser
import Foundation
import ImageCodecs
import Logging
import Synchronization
import VisionAPI
import VisionCore
import VisionEngine

/// `vision-models-api predict`: one prediction in-process, from the Hugging Face cache (models
/// missing there are downloaded as `serve` would), no server. The answer is the JSON the model
/// type's route returns; `--out NAME.<ext>` writes it, or a file the model type draws from it.
struct PredictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run one prediction in-process from the Hugging Face cache (no server).",
        discussion: """
            The request is the model type's route body (see /docs): IMAGE files become `images`, \
            --prompt values `prompts`, --model-id `model_id`, and --set adds any other field. The \
            answer's JSON goes to stdout, or to --out NAME.json. Files drawn from the answer, by \
            --out's extension: \(fileOutputsHelp). With several files they are NAME_0.<ext>, \
            NAME_1.<ext>, ... and the JSON still goes to stdout. Progress (downloads, loading, \
            running) goes to stderr. Settings as for serve (environment, then .env).
            """)

    /// Every family's files, from the registry: `sam3 NAME.png (per image, ...)`.
    static var fileOutputsHelp: String {
        AppBuilder.families.flatMap { family in
            family.fileOutputs.map { "\(family.erasedLoader.type.rawValue) NAME.\($0.fileExtension) (\($0.summary))" }
        }.joined(separator: "; ")
    }

    @Argument(help: ArgumentHelp("Model type: " + AppBuilder.families.map { $0.erasedLoader.type.rawValue }.joined(separator: ", ") + "."))
    var modelType: String

    @Argument(help: "Image files (or http(s) URLs, fetched under the server's URL rules).")
    var images: [String]

    @Option(name: .customLong("prompt"), help: "A text prompt (repeat for several): sam3 and grounding_dino.")
    var prompts: [String] = []

    @Option(help: "Hub id of the model, optionally @revision (default: the model type's default).")
    var modelId: String?

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: "A request field as key=value, repeatable (the value is read as JSON when it parses, else as a string): --set threshold=0.3")
    var fields: [String] = []

    @Option(help: "Write here instead of stdout: NAME.json, or a file the model type draws (see above).")
    var out: String?

    @Option(help: "The .env file to read.")
    var envFile: String = ".env"

    func run() async throws {
        let settings = try loadSettings(envFile: envFile)
        // Only errors in the log unless LOG_LEVEL asks for more: stderr carries the progress lines.
        let logger = bootstrapLogging(settings, toStandardError: true,
                                      level: settings.values["LOG_LEVEL"] == nil ? .error : settings.logLevel)
        let progress = PredictProgress()
        let engine: Engine
        do {
            try HFEnvironment.configure(settings, logger: logger)
            try AppBuilder.checkFamilySettings(settings)
            engine = try AppBuilder.makeEngine(settings: settings, logger: logger, downloadProgress: progress.download)
        } catch {
            progress.line("error: \(error)")
            throw ExitCode(1)
        }
        let code: Int32
        do {
            try await predict(engine, progress: progress)
            code = 0
        } catch let error as PredictFailure {
            progress.line("error: \(error.message)")
            code = 2
        } catch {
            progress.line("error: " + (errorReport(error).map { "\($0.detail) (HTTP \($0.status))" } ?? "\(error)"))
            code = 1
        }
        await engine.shutdown()
        if code != 0 { throw ExitCode(code) }
    }

    private func predict(_ engine: Engine, progress: PredictProgress) async throws {
        let type = try engine.registry.modelType(modelType)
        let family = engine.registry.family(type)!
        let route = family.routes[0]
        let outputs = AppBuilder.families.first { $0.erasedLoader.type == type }?.fileOutputs ?? []
        let target = try PredictTarget(out: out, type: type, outputs: outputs)
        var body = try requestBody(family: family, requestSchema: route.requestSchema)
        for (key, value) in target.output?.requestFields ?? [] where body[key] == nil {
            body[key] = try JSONSerialization.jsonObject(with: Data(value.bytes), options: [.fragmentsAllowed])
        }

        let device = (body["device"] as? String).flatMap(ComputeDevice.init(rawValue:))
        let clock = ContinuousClock()
        var started = clock.now
        progress.line("loading \(type.rawValue) \(modelId ?? "(default model)")")
        let model = try await engine.models.model(type, modelID: modelId, variant: body["variant"] as? String, device: device)
        progress.line("loaded \(model.reference.description) in \(PredictProgress.seconds(clock.now - started))")

        started = clock.now
        progress.line("running on \(images.count) image\(images.count == 1 ? "" : "s")")
        let bytes = try JSONSerialization.data(withJSONObject: body)
        let response = try await progress.whileRunning { try await route.handle([UInt8](bytes)) }
        progress.line("done in \(PredictProgress.seconds(clock.now - started))")

        // Encoding a large answer is CPU work: on the decode threads, as the server does.
        let json = try await engine.requestWork.run { [response] in response.json() }
        if let output = target.output, let path = target.path {
            let files = try await engine.requestWork.run { [response] in try output.files(response, PNGEncoder()) }
            for (i, file) in files.enumerated() {
                let name = files.count == 1 ? path : PredictTarget.numbered(path, i)
                try write(file, to: name)
                progress.line("wrote \(name) (\(file.count) bytes)")
            }
            FileHandle.standardOutput.write(Data(json + [0x0A]))
        } else if let path = target.path {
            try write(json + [0x0A], to: path)
            progress.line("wrote \(path)")
        } else {
            FileHandle.standardOutput.write(Data(json + [0x0A]))
        }
    }

    /// The route's body as a JSON object: images, prompts, model id, then the --set fields.
    private func requestBody(family: ServedFamily, requestSchema: String) throws -> [String: Any] {
        var body: [String: Any] = [:]
        body["images"] = try images.map { source -> String in
            if source.hasPrefix("http://") || source.hasPrefix("https://") { return source }
            guard let data = FileManager.default.contents(atPath: source) else {
                throw PredictFailure("cannot read image '\(source)'")
            }
            return data.base64EncodedString()
        }
        if !prompts.isEmpty {
            let schema = family.schemas.first { $0.key == requestSchema }?.value
            guard let schema, Self.declares("prompts", schema.json) else {
                throw PredictFailure("\(family.type.rawValue) takes no prompts")
            }
            body["prompts"] = prompts
        }
        if let modelId { body["model_id"] = modelId }
        for field in fields {
            guard let eq = field.firstIndex(of: "="), eq != field.startIndex else {
                throw PredictFailure("--set takes key=value, got '\(field)'")
            }
            let key = String(field[..<eq]), text = String(field[field.index(after: eq)...])
            body[key] = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? text
        }
        return body
    }

    /// Whether an object schema (or one of its `allOf` parts) has the property.
    static func declares(_ property: String, _ schema: JSONValue) -> Bool {
        if case .object(let fields)? = schema["properties"], fields.contains(where: { $0.0 == property }) { return true }
        if case .array(let parts)? = schema["allOf"] { return parts.contains { declares(property, $0) } }
        return false
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw PredictFailure("cannot write '\(path)'")
        }
    }
}

/// A mistake on the command line (exit status 2), as opposed to a failed prediction (1).
struct PredictFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Where `--out` goes and, for an extension other than .json, the family's file it names.
struct PredictTarget {
    let path: String?
    let output: FamilyFileOutput?

    init(out: String?, type: ModelType, outputs: [FamilyFileOutput]) throws {
        path = out
        guard let out else { output = nil; return }
        let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
        if ext == "json" { output = nil; return }
        guard let output = outputs.first(where: { $0.fileExtension == ext }) else {
            let offered = ["json"] + outputs.map(\.fileExtension)
            throw PredictFailure("\(type.rawValue) writes " + offered.map { ".\($0)" }.joined(separator: ", ")
                                 + "; --out '\(out)' is none of them")
        }
        self.output = output
    }

    /// `masks.png` → `masks_2.png`.
    static func numbered(_ path: String, _ i: Int) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let stem = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return "\(stem)_\(i)" + (ext.isEmpty ? "" : ".\(ext)")
    }
}

/// Progress lines on stderr: downloads (per file, every 10 %), loading, running (every 10 s).
final class PredictProgress: Sendable {
    private let lastDecile = Mutex<[String: Int]>([:])

    func line(_ text: String) {
        FileHandle.standardError.write(Data(("predict: " + text + "\n").utf8))
    }

    static func seconds(_ d: Duration) -> String { String(format: "%.2f s", d.seconds) }

    /// A download's progress, drawn when a file starts, crosses each tenth, and ends.
    @Sendable func download(_ p: DownloadProgress) {
        let key = p.repoID + "/" + p.path
        let decile = p.bytesTotal.map { $0 > 0 ? min(10, p.bytesDone * 10 / $0) : 10 } ?? -1
        let draw = lastDecile.withLock { seen -> Bool in
            if seen[key] == decile { return false }
            seen[key] = decile
            return true
        }
        guard draw else { return }
        let mb = String(format: "%.1f", Double(p.bytesDone) / 1_048_576)
        let total = p.bytesTotal.map { String(format: "%.1f MB", Double($0) / 1_048_576) } ?? "? MB"
        line("downloading \(key): \(decile >= 0 ? "\(decile * 10) %, " : "")\(mb) of \(total)")
    }

    /// Runs `work`, saying every 10 s that it still runs.
    func whileRunning<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        let ticker = Task { [self] in
            var elapsed = 0
            while true {
                try await Task.sleep(for: .seconds(10))
                elapsed += 10
                line("still running (\(elapsed) s)")
            }
        }
        defer { ticker.cancel() }
        return try await work()
    }
}
