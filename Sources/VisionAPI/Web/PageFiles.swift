/// The pages' files (Web/Files/: `/ui`'s markup, script and style sheet, `/docs`' scripts), kept
/// as the files they are and embedded in the binary by SwiftPM (`.embedInCode`), so the server
/// needs nothing beside its executable to serve them.
enum PageFiles {
    static let uiHTML = StaticAsset(bytes: PackageResources.ui_html, contentType: "text/html; charset=utf-8")
    static let uiScript = StaticAsset(bytes: PackageResources.ui_js, contentType: "text/javascript; charset=utf-8")
    static let styleSheet = StaticAsset(bytes: PackageResources.site_css, contentType: "text/css; charset=utf-8")
    static let keyScript = StaticAsset(bytes: PackageResources.key_js, contentType: "text/javascript; charset=utf-8")
    static let swaggerScript = StaticAsset(bytes: PackageResources.docs_js, contentType: "text/javascript; charset=utf-8")
    static let liteScript = StaticAsset(bytes: PackageResources.docs_lite_js, contentType: "text/javascript; charset=utf-8")
}
