import Foundation
import Logging
import VisionAPI
import VisionEngine

extension AppBuilder {
    /// Where a resource folder is looked for, in order: the setting, next to the executable (as the
    /// image has them), the checkout this binary was built from.
    static func resourceFolders(explicit: String?, besideBinary: String, inCheckout: String) -> [String] {
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        // This file lives at <project>/Sources/VisionApp/.
        let project = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (explicit.map { [$0] } ?? []) + [executable.deletingLastPathComponent().path + "/" + besideBinary,
                                               project.path + "/" + inCheckout]
    }

    /// Swagger UI's assets for `/docs`, from `SWAGGER_UI_DIR`, else next to the executable
    /// (`swagger-ui/`, as the image has them), else the checkout's `.deps/swagger-ui` (written by
    /// `scripts/setup.sh`). Without them `/docs` is the project's own reference page.
    static func loadSwaggerUI(settings: Settings, logger: Logger) -> SwaggerUIAssets? {
        for folder in resourceFolders(explicit: settings.swaggerUIDir, besideBinary: "swagger-ui", inCheckout: ".deps/swagger-ui") {
            if let assets = SwaggerUIAssets(folder: folder) {
                logger.debug("Swagger UI for /docs", metadata: ["folder": "\(folder)"])
                return assets
            }
        }
        if settings.swaggerUIDir != nil {
            logger.warning("SWAGGER_UI_DIR has no swagger-ui-bundle.js and swagger-ui.css; /docs is the plain reference page")
        }
        return nil
    }

    /// The graphs shipped without weights: `GRAPHS_DIR`, else `graphs/` next to the executable (as
    /// the image has them), else the checkout's `graphs/`.
    static func loadGraphs(settings: Settings, logger: Logger) throws -> GraphCatalog {
        for folder in resourceFolders(explicit: settings.graphsDir, besideBinary: "graphs", inCheckout: "graphs")
        where FileManager.default.fileExists(atPath: folder) {
            let catalog = try GraphCatalog(folder: folder)
            logger.info("shipped graphs", metadata: ["count": "\(catalog.graphs.count)",
                                                     "graphs": "\(catalog.graphs.map(\.name).joined(separator: ","))"])
            return catalog
        }
        return GraphCatalog(graphs: [])
    }
}
