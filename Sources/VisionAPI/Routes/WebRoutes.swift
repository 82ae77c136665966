import Hummingbird
import NIOCore
import VisionCore

/// The pages: `/ui` (try the models) and `/docs` (the API reference), and the scripts and style
/// sheets they load from `/static/`. Everything comes from this server: the pages' content
/// security policy lets them load and call nothing from another host.
struct WebRoutes {
    let configuration: APIConfiguration

    /// Every path these routes answer (open without an API key: they hold no data).
    static let paths = Set(["/ui", "/docs", "/static/{name}"]).union(staticNames.map { "/static/" + $0 })
    static let staticNames = ["site.css", "key.js", "docs.js", "docs-lite.js", "ui.js", "swagger-ui.css",
                              "swagger-ui-bundle.js"]

    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        + "script-src 'self'; connect-src 'self'; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"

    func register(on router: Router<BasicRequestContext>) {
        let swagger = configuration.swaggerUI
        var assets: [String: StaticAsset] = [
            "site.css": PageFiles.styleSheet, "key.js": PageFiles.keyScript, "docs.js": PageFiles.swaggerScript,
            "docs-lite.js": PageFiles.liteScript, "ui.js": PageFiles.uiScript,
        ]
        if let swagger {
            assets["swagger-ui.css"] = swagger.styleSheet
            assets["swagger-ui-bundle.js"] = swagger.script
        }
        let files = assets
        let docs = StaticAsset(DocsPage.html(swagger: swagger != nil), contentType: "text/html; charset=utf-8")
        let ui = PageFiles.uiHTML
        router.get("/docs") { request, _ in Self.response(docs, for: request) }
        router.get("/ui") { request, _ in Self.response(ui, for: request) }
        router.get("/static/{name}") { request, context in
            let name = context.parameters.get("name") ?? ""
            guard let asset = files[name] else { throw VisionError.fileNotFound(name) }
            return Self.response(asset, for: request)
        }
    }

    /// The asset, or 304 when the browser holds this version.
    static func response(_ asset: StaticAsset, for request: Request) -> Response {
        var headers: HTTPFields = [.contentType: asset.contentType, .eTag: asset.etag, .cacheControl: "no-cache",
                                   .init("Content-Security-Policy")!: contentSecurityPolicy,
                                   .init("X-Content-Type-Options")!: "nosniff"]
        if request.headers[.ifNoneMatch] == asset.etag {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
