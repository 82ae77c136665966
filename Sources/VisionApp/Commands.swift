import ArgumentParser
import Foundation
import Logging

/// `vision-models-api`: the command line.
public struct VisionModelsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vision-models-api",
        abstract: "Serves Hugging Face vision models (DINOv3, ...) over HTTP on ONNX Runtime.",
        version: AppBuilder.version,
        subcommands: [ServeCommand.self])

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
        var settings: Settings
        do {
            settings = try Settings(environment: ProcessInfo.processInfo.environment, dotEnv: DotEnv.load(path: envFile))
        } catch {
            throw ValidationError("\(error)")
        }
        if let host { settings.host = host }
        if let port { settings.port = port }
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "vision-models-api")
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
