/// `/docs`: Swagger UI over `/openapi.json` from the server's own copy of its assets, or, when
/// they are not installed, the project's own reference page. Either way no request leaves the
/// server's origin; the API key the page asks for (kept in the browser's local storage, shared
/// with `/ui`) goes with every call.
enum DocsPage {
    static func html(swagger: Bool) -> String {
        let head = swagger ? #"<link rel="stylesheet" href="/static/swagger-ui.css">"# : ""
        let scripts = swagger
            ? #"<script src="/static/swagger-ui-bundle.js"></script><script src="/static/docs.js"></script>"#
            : #"<script src="/static/docs-lite.js"></script>"#
        return #"""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Vision Models API — reference</title>
          <link rel="stylesheet" href="/static/site.css">
          <link rel="icon" href="data:,">
          \#(head)
        </head>
        <body>
          <header class="bar">
            <strong>Vision Models API</strong>
            <a href="/ui">Try it</a>
            <a href="/openapi.json">openapi.json</a>
            <label class="key">API key <input id="api-key" type="password" autocomplete="off" placeholder="only if the server requires one"></label>
          </header>
          <div id="swagger-ui"></div>
          <main id="reference"></main>
          <noscript>The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
          <script src="/static/key.js"></script>
          \#(scripts)
        </body>
        </html>
        """#
    }
}
