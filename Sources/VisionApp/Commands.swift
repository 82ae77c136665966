import ArgumentParser
import Foundation
import HubClient
import Logging
import VisionCore
import VisionEngine

/// `vision-models-api`: the command line.
public struct VisionModelsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vision-models-api",
        abstract: "Serves Hugging Face vision models (DINOv3, ...) over HTTP on ONNX Runtime.",
        version: AppBuilder.version,
        subcommands: [ServeCommand.self, DownloadCommand.self, PredictCommand.self])

    public init() {}
}

/// `vision-models-api serve`: starts the HTTP server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Start the HTTP server (settings: environment, then ./.env; see CONFIG.md).")

    @Option(help: "Address to bind (overrides HOST; default 0.0.0.0).")
    var host: String?

    @Option(help: "Port to listen on (overrides PORT; default 8000; 0 picks a free port).")
    var port: Int?

    @Option(help: "The .env file to read (default: .env in the working directory).")
    var envFile: String = ".env"

    func run() async throws {
        var settings = try loadSettings(envFile: envFile)
        if let host { settings.host = host }
        if let port { settings.port = port }
        let logger = bootstrapLogging(settings)
        logger.info("Starting Vision Models API Server", metadata: ["version": "\(AppBuilder.version)"])
        let group: ServiceGroupRunner
        do {
            group = ServiceGroupRunner(group: try AppBuilder.build(settings: settings, logger: logger))
        } catch {
            logger.critical("startup failed: \(error)")
            throw ExitCode(1)
        }
        try await group.run()
    }
}

extension VisionModelsCommand {
    /// Parses the command line and runs the chosen subcommand, awaiting async ones.
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// `vision-models-api download`: fetches a model's files into the hub cache.
struct DownloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download a model's ONNX graphs and companion files into the Hugging Face cache.")

    @Argument(help: "Repository id, e.g. onnx-community/dinov3-vits16-pretrain-lvd1689m-ONNX.")
    var repoID: String

    @Option(help: "Branch, tag or 40-hex commit.")
    var revision: String = "main"

    @Option(help: "ONNX variant: fp16, quantized, q4, ... (default: the unsuffixed graphs).")
    var variant: String?

    @Option(help: "The .env file to read.")
    var envFile: String = ".env"

    func run() async throws {
        let settings = try loadSettings(envFile: envFile)
        let logger = bootstrapLogging(settings)
        try HFEnvironment.configure(settings, logger: logger)
        let reference = try ModelReference(parsing: "\(repoID)@\(revision)", variant: variant)
        let hub = AppBuilder.makeHubClient(settings: settings, logger: logger)
        do {
            let snapshot = try await AppBuilder.makeRepository(settings: settings, hub: hub,
                                                                progress: AppBuilder.progressLogger(DownloadBoard(), logger),
                                                                graphs: try AppBuilder.loadGraphs(settings: settings, logger: logger))
                .snapshot(for: reference, exporter: AppBuilder.exporterHint)
            try? await hub.shutdown()
            print(snapshot.folder)
        } catch {
            try? await hub.shutdown()
            logger.error("download failed: \(error)")
            throw ExitCode(1)
        }
    }
}

func loadSettings(envFile: String) throws -> Settings {
    do {
        return try Settings(environment: ProcessInfo.processInfo.environment, dotEnv: DotEnv.load(path: envFile))
    } catch {
        throw ValidationError("\(error)")
    }
}

/// Logs to stdout (the server), or to stderr where stdout carries the answer (`predict`).
func bootstrapLogging(_ settings: Settings, toStandardError: Bool = false, level: Logger.Level? = nil) -> Logger {
    let level = level ?? settings.logLevel
    LoggingSystem.bootstrap { label in
        var handler = toStandardError ? StreamLogHandler.standardError(label: label) : StreamLogHandler.standardOutput(label: label)
        handler.logLevel = level
        return handler
    }
    return Logger(label: "vision-models-api")
}
