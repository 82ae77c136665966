import Crypto
import Foundation

/// A file the server serves as it is (a page, a script, a style sheet), held in memory, with the
/// entity tag of its content.
public struct StaticAsset: Sendable {
    public let bytes: [UInt8]
    public let contentType: String
    /// A strong entity tag: the first 16 bytes of the content's SHA-256, in hex.
    public let etag: String

    public init(bytes: [UInt8], contentType: String) {
        self.bytes = bytes
        self.contentType = contentType
        etag = "\"" + SHA256.hash(data: bytes).prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
    }

    public init(_ text: String, contentType: String) {
        self.init(bytes: Array(text.utf8), contentType: contentType)
    }
}

/// Swagger UI's script and style sheet, installed by `scripts/setup.sh` into `.deps/swagger-ui`
/// (or next to the executable in the image). Without them `/docs` is the project's own reference
/// page, rendered from `/openapi.json` in the browser.
public struct SwaggerUIAssets: Sendable {
    public let script: StaticAsset
    public let styleSheet: StaticAsset

    /// Reads `swagger-ui-bundle.js` and `swagger-ui.css` from `folder`; nil when either is missing.
    public init?(folder: String) {
        guard let js = FileManager.default.contents(atPath: folder + "/swagger-ui-bundle.js"),
              let css = FileManager.default.contents(atPath: folder + "/swagger-ui.css") else { return nil }
        script = StaticAsset(bytes: Array(js), contentType: "text/javascript; charset=utf-8")
        styleSheet = StaticAsset(bytes: Array(css), contentType: "text/css; charset=utf-8")
    }
}
