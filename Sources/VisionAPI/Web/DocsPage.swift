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

    /// Starts Swagger UI with the stored key on every request it makes.
    static let swaggerScript = #"""
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      requestInterceptor: (request) => {
        const key = VMAKey.get();
        if (key) request.headers["X-API-Key"] = key;
        return request;
      },
    });
    """#

    /// The project's own reference: every operation of `/openapi.json` by tag, with its
    /// parameters, body schema and responses.
    static let liteScript = #"""
    document.addEventListener("vma-key-changed", () => location.reload());
    (async () => {
      const main = document.getElementById("reference");
      const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
      const response = await fetch("/openapi.json", { headers: VMAKey.headers() });
      if (!response.ok) {
        let detail = response.statusText;
        try { detail = (await response.json()).detail; } catch (_) {}
        main.append(el("p", `openapi.json: ${response.status} ${detail}`, "error"));
        return;
      }
      const doc = await response.json();
      const ref = (schema) => schema && schema.$ref ? schema.$ref.split("/").pop() : (schema ? JSON.stringify(schema) : "");
      main.append(el("h1", `${doc.info.title} ${doc.info.version}`));
      if (doc.info.description) main.append(el("p", doc.info.description));
      main.append(el("p", "Swagger UI's assets are not installed (scripts/setup.sh puts them in .deps/swagger-ui); this is the plain reference.", "note"));
      const byTag = new Map();
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          if (typeof op !== "object" || !op.responses) continue;
          const tag = (op.tags && op.tags[0]) || "other";
          if (!byTag.has(tag)) byTag.set(tag, []);
          byTag.get(tag).push([method, path, op]);
        }
      }
      for (const [tag, ops] of byTag) {
        main.append(el("h2", tag));
        for (const [method, path, op] of ops) {
          const section = el("section", undefined, "operation");
          const title = el("h3");
          title.append(el("span", method.toUpperCase(), `method ${method}`), el("code", ` ${path}`));
          section.append(title);
          if (op.summary) section.append(el("p", op.summary));
          if (op.description) section.append(el("p", op.description, "description"));
          for (const p of op.parameters || []) section.append(el("p", `${p.in} ${p.name}${p.required ? " (required)" : ""}: ${p.description || ref(p.schema)}`, "param"));
          const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
          if (body) section.append(el("p", `body: ${ref(body.schema)}`, "param"));
          const list = el("ul");
          for (const [status, r] of Object.entries(op.responses)) {
            const content = r.content && Object.values(r.content)[0];
            list.append(el("li", `${status} ${r.description || ""}${content ? " — " + ref(content.schema) : ""}`));
          }
          section.append(list);
          main.append(section);
        }
      }
      main.append(el("h2", "schemas"));
      for (const [name, schema] of Object.entries((doc.components || {}).schemas || {})) {
        const details = el("details");
        details.append(el("summary", name), el("pre", JSON.stringify(schema, null, 2)));
        main.append(details);
      }
    })();
    """#

    /// The key field of the page header: read from and saved to local storage.
    static let keyScript = #"""
    const VMAKey = {
      get: () => localStorage.getItem("vma.apiKey") || "",
      headers: (extra = {}) => { const k = VMAKey.get(); return k ? { ...extra, "X-API-Key": k } : extra; },
    };
    (() => {
      const input = document.getElementById("api-key");
      if (!input) return;
      input.value = VMAKey.get();
      input.addEventListener("change", () => {
        if (input.value) localStorage.setItem("vma.apiKey", input.value); else localStorage.removeItem("vma.apiKey");
        if (window.ui && window.ui.specActions) window.ui.specActions.download("/openapi.json");
        document.dispatchEvent(new Event("vma-key-changed"));
      });
    })();
    """#
}
