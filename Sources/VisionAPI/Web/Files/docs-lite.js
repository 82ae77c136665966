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
