"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  };
  // Fields the page fills from its own controls; each family's `x-page.fields` (the encodings its
  // renderer reads) are set too.
  const OWN = new Set(["images", "inputs", "parameters", "prompts", "texts", "objects", "model_id", "variant", "callback_url"]);
  const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45",
                   "#fabed4", "#469990", "#dcbeff", "#9a6324", "#800000", "#aaffc3", "#808000", "#000075"];
  const state = { doc: null, images: [], lastResult: null, objectURLs: [], clicks: [] };

  async function api(path, options = {}) {
    const headers = VMAKey.headers(options.body ? { "Content-Type": "application/json" } : {});
    const response = await fetch(path, { ...options, headers });
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
    if (!response.ok) {
      const detail = body && body.detail !== undefined ? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail)) : text || response.statusText;
      const error = new Error(`${response.status}: ${detail}`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function showError(error) {
    const box = $("error");
    box.textContent = error ? error.message : "";
    box.hidden = !error;
  }

  function setStatus(text) { $("status").textContent = text; }

  // ---- model types, models and the request's fields (from /openapi.json) ----
  function resolve(schema) {
    if (schema && schema.$ref) return state.doc.components.schemas[schema.$ref.split("/").pop()];
    return schema || {};
  }

  // A model type's route, as the document declares it: the operation whose `x-page` names the type
  // (its family's first route), with how the page draws its answers.
  function requestSchema(type) {
    for (const [path, op] of Object.entries(state.doc.paths)) {
      const page = op.post && op.post["x-page"];
      if (!page || page.model_type !== type) continue;
      return { path, schema: resolve(op.post.requestBody.content["application/json"].schema),
               renderer: page.renderer, fixed: page.fields || {} };
    }
    return null;
  }

  async function loadTypes() {
    state.doc = await api("/openapi.json");
    $("server-version").textContent = `v${state.doc.info.version}`;
    const status = await api("/models/status");
    const select = $("model-type");
    const previous = select.value;
    select.replaceChildren();
    for (const type of Object.keys(status.models)) {
      if (requestSchema(type)) select.append(el("option", { value: type, text: type }));
    }
    if ([...select.options].some((o) => o.value === previous)) select.value = previous;
    state.status = status;
    await onTypeChange();
  }

  async function onTypeChange() {
    const type = $("model-type").value;
    const found = requestSchema(type);
    const list = $("model-ids");
    list.replaceChildren();
    const defaultID = state.status.models[type] ? state.status.models[type].model_id : "";
    $("model-id").placeholder = defaultID ? `default: ${defaultID}` : "default";
    const seen = new Set();
    const available = [];  // loaded first, then cached: what runs without a download
    for (const row of state.status.instances.filter((r) => r.model_type === type && r.loaded)) {
      seen.add(row.model_id);
      available.push(row.model_id);
      list.append(el("option", { value: row.model_id, text: "loaded" }));
    }
    let cached = 0, listed = true;
    try {
      const cache = await api("/models/cache");
      for (const repo of cache.repositories.filter((r) => r.model_types.includes(type))) {
        cached += 1;
        available.push(repo.model_id);
        if (!seen.has(repo.model_id)) list.append(el("option", { value: repo.model_id, text: `cached, ${repo.size_mb} MB` }));
      }
    } catch (error) { listed = false; /* the cache listing is optional */ }
    if ($("model-type").value !== type) return;  // another type was picked meanwhile
    const bare = (id) => id.split("@")[0].toLowerCase();
    const input = $("model-id");
    if (input.dataset.preselected !== undefined && input.value === input.dataset.preselected) input.value = "";
    delete input.dataset.preselected;
    if (listed && defaultID && available.length > 0 && !available.some((id) => bare(id) === bare(defaultID))
        && input.value === "") {
      // The default would be downloaded first: offer what is here instead.
      input.value = available[0];
      input.dataset.preselected = available[0];
      $("model-note").textContent = `The default, ${defaultID}, is not cached; ${available[0]} is `
        + `(${cached} cached model(s) of this type). Clear the field to use the default.`;
    } else {
      $("model-note").textContent = `${cached} cached model(s) of this type; leave empty for the default.`;
    }
    buildFields(found, type);
  }

  function buildFields(found, type) {
    const schema = found ? found.schema : null;
    const box = $("fields");
    box.replaceChildren(el("legend", { text: "Options" }));
    const props = (schema && schema.properties) || {};
    // The prompt box fills the request's text list: `prompts`, or an embedding model's `texts`.
    $("prompts-row").hidden = !("prompts" in props || "texts" in props);
    $("prompts-row").dataset.field = "texts" in props ? "texts" : "prompts";
    $("prompts-row").firstChild.textContent = "texts" in props ? "Texts to compare, one per line " : "Prompts, one per line ";
    for (const [name, raw] of Object.entries(props)) {
      if (OWN.has(name) || (found && name in found.fixed)) continue;
      const prop = resolve(raw);
      let input = null;
      if (prop.enum) {
        input = el("select", { name });
        if (prop.default === undefined) input.append(el("option", { value: "", text: "(unset)" }));
        for (const v of prop.enum) input.append(el("option", { value: v, text: v }));
        if (prop.default !== undefined) input.value = prop.default;
      } else if (prop.type === "number" || prop.type === "integer") {
        input = el("input", { name, type: "number", step: prop.type === "integer" ? "1" : "0.01" });
        if (prop.minimum !== undefined) input.min = prop.minimum;
        if (prop.maximum !== undefined) input.max = prop.maximum;
        if (prop.default !== undefined) input.value = prop.default;
        input.dataset.kind = prop.type;
      } else if (prop.type === "boolean") {
        input = el("input", { name, type: "checkbox" });
        input.checked = prop.default === true;
        input.dataset.kind = "boolean";
      } else {
        continue;
      }
      const label = el("label", { title: prop.description || name }, name, input);
      box.append(label);
    }
    box.hidden = box.children.length <= 1;
    box.dataset.type = type;
  }

  // ---- images ----
  function addFiles(files) {
    for (const file of files) {
      if (!file.type.startsWith("image/")) continue;
      const reader = new FileReader();
      reader.onload = () => {
        state.images.push({ name: file.name, dataURL: reader.result });
        $("thumbs").append(el("img", { src: reader.result, alt: file.name, title: file.name }));
      };
      reader.readAsDataURL(file);
    }
  }

  // ---- the request ----
  function requestBody(type) {
    const found = requestSchema(type);
    const body = { images: state.images.map((i) => i.dataURL), ...(found ? found.fixed : {}) };
    const model = $("model-id").value.trim();
    if (model) body.model_id = model;
    if (!$("prompts-row").hidden) {
      body[$("prompts-row").dataset.field] = $("prompts").value.split(/\n|,/).map((s) => s.trim()).filter(Boolean);
    }
    for (const input of $("fields").querySelectorAll("input, select")) {
      if (input.dataset.kind === "boolean") { body[input.name] = input.checked; continue; }
      if (input.value === "") continue;
      body[input.name] = input.dataset.kind ? Number(input.value) : input.value;
    }
    return body;
  }

  async function run(event) {
    event.preventDefault();
    showError(null);
    const type = $("model-type").value;
    if (!state.images.length) { showError(new Error("choose at least one image")); return; }
    const found = requestSchema(type);
    if (found && found.renderer === "clicks") {
      // Click-to-segment: the images become clickable; each click or dragged box is a request.
      setStatus("click an image: a positive point; shift-click: a negative one; drag: a box");
      render("clicks", { results: [] });
      return;
    }
    const body = JSON.stringify(requestBody(type));
    $("run").disabled = true;
    const started = performance.now();
    try {
      let result;
      if ($("as-job").checked) {
        const job = await api(`/jobs/submit/${type}`, { method: "POST", body });
        result = await waitForJob(job.job_id);
      } else {
        setStatus("running…");
        result = await api(found.path, { method: "POST", body });
      }
      setStatus(`done in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      render(found ? found.renderer : null, result);
    } catch (error) {
      setStatus("");
      showError(error);
    } finally {
      $("run").disabled = false;
    }
  }

  async function waitForJob(id) {
    const bar = el("progress", { max: "1" });
    $("status").replaceChildren(`job ${id}: queued `, bar);
    for (;;) {
      const job = await api(`/jobs/${id}`);
      if (typeof job.progress === "number") bar.value = job.progress;
      $("status").firstChild.textContent = `job ${id}: ${job.status} `;
      if (job.status === "completed") return job.result;
      if (job.status === "failed" || job.status === "cancelled") throw new Error(`job ${job.status}: ${job.error || ""}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  // ---- drawing ----
  function loadImage(src) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = () => reject(new Error("the image could not be shown"));
      img.src = src;
    });
  }

  function base64Floats(text) {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    return new Float32Array(bytes.buffer, 0, bytes.length >> 2);
  }

  function stage(img) {
    const canvas = el("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    canvas.getContext("2d").drawImage(img, 0, 0);
    return canvas;
  }

  function drawBoxes(canvas, boxes, labels, scores) {
    const ctx = canvas.getContext("2d");
    const line = Math.max(2, Math.round(Math.min(canvas.width, canvas.height) / 200));
    ctx.font = `${Math.max(12, line * 6)}px system-ui, sans-serif`;
    boxes.forEach((b, i) => {
      const colour = PALETTE[i % PALETTE.length];
      ctx.strokeStyle = colour; ctx.lineWidth = line;
      ctx.strokeRect(b[0], b[1], b[2] - b[0], b[3] - b[1]);
      const text = `${labels ? labels[i] + " " : ""}${scores ? scores[i].toFixed(2) : ""}`.trim();
      if (text) {
        const w = ctx.measureText(text).width + 6, h = line * 6 + 6;
        ctx.fillStyle = colour; ctx.fillRect(b[0], Math.max(0, b[1] - h), w, h);
        ctx.fillStyle = "#fff"; ctx.fillText(text, b[0] + 3, Math.max(h - 4, b[1] - 4));
      }
    });
  }

  async function maskCanvas(png, colour, width, height) {
    const mask = await loadImage(`data:image/png;base64,${png}`);
    const layer = el("canvas", { class: "mask-layer" });
    layer.width = width; layer.height = height;
    const ctx = layer.getContext("2d");
    ctx.drawImage(mask, 0, 0, width, height);
    const pixels = ctx.getImageData(0, 0, width, height);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
    for (let p = 0; p < pixels.data.length; p += 4) {
      const on = pixels.data[p] > 127;
      pixels.data[p] = r; pixels.data[p + 1] = g; pixels.data[p + 2] = b; pixels.data[p + 3] = on ? 115 : 0;
    }
    ctx.putImageData(pixels, 0, 0);
    return layer;
  }

  function colourMap(t) {
    // A perceptual ramp (dark blue, teal, yellow) sampled at five stops.
    const stops = [[48, 18, 59], [50, 101, 215], [27, 207, 212], [164, 252, 60], [249, 235, 20]];
    const x = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1), i = Math.floor(x), f = x - i;
    return stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * f));
  }

  function scaleBar(min, max, unit) {
    const bar = el("canvas", { width: "200", height: "12" });
    const ctx = bar.getContext("2d");
    for (let x = 0; x < 200; x++) { const [r, g, b] = colourMap(x / 199); ctx.fillStyle = `rgb(${r},${g},${b})`; ctx.fillRect(x, 0, 1, 12); }
    return el("div", { class: "scale" }, el("span", { text: min.toPrecision(4) }), bar, el("span", { text: `${max.toPrecision(4)} ${unit}` }));
  }

  function depthCanvas(values, width, height) {
    let min = Infinity, max = -Infinity;
    for (const v of values) { if (Number.isFinite(v)) { if (v < min) min = v; if (v > max) max = v; } }
    const canvas = el("canvas", { class: "depth-map" });
    canvas.width = width; canvas.height = height;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(width, height);
    const span = max - min || 1;
    for (let i = 0; i < width * height; i++) {
      const [r, g, b] = colourMap((values[i] - min) / span);
      image.data.set([r, g, b, 255], i * 4);
    }
    ctx.putImageData(image, 0, 0);
    return { canvas, min, max };
  }

  // Three principal components of the patch features, by power iteration with deflation.
  function pcaRGB(tokens, count, dim) {
    const mean = new Float64Array(dim);
    for (let t = 0; t < count; t++) for (let d = 0; d < dim; d++) mean[d] += tokens[t * dim + d] / count;
    const centred = new Float64Array(count * dim);
    for (let t = 0; t < count; t++) for (let d = 0; d < dim; d++) centred[t * dim + d] = tokens[t * dim + d] - mean[d];
    const components = [];
    for (let c = 0; c < 3; c++) {
      let v = new Float64Array(dim).map((_, i) => Math.sin(i * 12.9898 + c * 78.233));
      for (let iter = 0; iter < 60; iter++) {
        const proj = new Float64Array(count);
        for (let t = 0; t < count; t++) { let s = 0; for (let d = 0; d < dim; d++) s += centred[t * dim + d] * v[d]; proj[t] = s; }
        const next = new Float64Array(dim);
        for (let t = 0; t < count; t++) for (let d = 0; d < dim; d++) next[d] += centred[t * dim + d] * proj[t];
        for (const u of components) { let dot = 0; for (let d = 0; d < dim; d++) dot += next[d] * u[d]; for (let d = 0; d < dim; d++) next[d] -= dot * u[d]; }
        const norm = Math.hypot(...next) || 1;
        v = next.map((x) => x / norm);
      }
      components.push(v);
    }
    const out = components.map((u) => {
      const p = new Float64Array(count);
      for (let t = 0; t < count; t++) { let s = 0; for (let d = 0; d < dim; d++) s += centred[t * dim + d] * u[d]; p[t] = s; }
      let lo = Infinity, hi = -Infinity; for (const x of p) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
      return p.map((x) => (x - lo) / ((hi - lo) || 1));
    });
    return out;
  }

  function featureCanvas(tensor, index) {
    const [batch, tokens, dim] = tensor.shape;
    const values = base64Floats(tensor.data);
    const perImage = values.subarray(index * tokens * dim, (index + 1) * tokens * dim);
    // ViTs put a class token and register tokens first; the rest is the patch grid.
    let skip = [5, 1, 0].find((s) => Number.isInteger(Math.sqrt(tokens - s)));
    if (skip === undefined) return null;
    const side = Math.sqrt(tokens - skip);
    const rgb = pcaRGB(perImage.subarray(skip * dim), side * side, dim);
    const canvas = el("canvas", { class: "pca" });
    canvas.width = side; canvas.height = side;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(side, side);
    for (let i = 0; i < side * side; i++) image.data.set([rgb[0][i] * 255, rgb[1][i] * 255, rgb[2][i] * 255, 255], i * 4);
    ctx.putImageData(image, 0, 0);
    return canvas;
  }

  function download(label, data, mediaType, name) {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const url = URL.createObjectURL(new Blob([bytes], { type: mediaType }));
    state.objectURLs.push(url);
    return el("a", { href: url, download: name, class: "download" }, label);
  }

  // The page's renderers by name (PageView.Renderer): each draws image i's part of an answer.
  const RENDERERS = {
    masks: (box, img, result, i) => renderSAM3(box, img, result.results[i] || []),
    detections: (box, img, result, i) => renderDetections(box, img, result.results[i]),
    depth: (box, img, result, i) => renderDepth(box, img, result.results[i], i),
    features: (box, img, result, i) => renderFeatures(box, img, result.features, i),
    labels: (box, img, result, i) => renderClasses(box, img, result.results[i]),
    clicks: (box, img, result, i) => renderClicks(box, img, i),
    embeddings: (box, img, result, i) => renderSimilarity(box, img, result, i),
  };

  async function render(renderer, result) {
    for (const url of state.objectURLs) URL.revokeObjectURL(url);
    state.objectURLs = [];
    const out = $("results");
    out.replaceChildren();
    const json = JSON.stringify(result, null, 2);
    const jsonURL = URL.createObjectURL(new Blob([json], { type: "application/json" }));
    state.objectURLs.push(jsonURL);
    $("download-json").href = jsonURL;
    $("downloads").replaceChildren();
    $("timing").textContent = result && result.processing_time !== undefined ? `server: ${(result.processing_time * 1000).toFixed(0)} ms, ${result.model_id || ""}` : "";
    $("toolbar").hidden = false;
    for (let i = 0; i < state.images.length; i++) {
      const img = await loadImage(state.images[i].dataURL);
      const box = el("div", { class: "result", "data-image": String(i) });
      box.append(el("h3", { text: state.images[i].name }));
      out.append(box);
      if (RENDERERS[renderer]) await RENDERERS[renderer](box, img, result, i);
      else box.append(el("pre", { text: JSON.stringify(result, null, 2).slice(0, 4000) }));
    }
  }

  async function renderSAM3(box, img, prompts) {
    const base = stage(img);
    const holder = el("div", { class: "stage" }, base);
    const toggles = el("div", { class: "layers" });
    let layers = 0, colourIndex = 0;
    for (const item of prompts) {
      const result = item.result;
      const masks = result.masks_png || [];
      const group = [];
      for (let k = 0; k < masks.length; k++) {
        const colour = PALETTE[colourIndex++ % PALETTE.length];
        const layer = await maskCanvas(masks[k], colour, base.width, base.height);
        layer.dataset.prompt = String(item.prompt_index);
        layer.style.cssText = "position:absolute;left:0;top:0;width:100%;height:100%;";
        holder.append(layer);
        group.push(layer);
        layers += 1;
      }
      drawBoxes(base, result.boxes, result.boxes.map(() => item.prompt), result.scores);
      const check = el("input", { type: "checkbox" });
      check.checked = true;
      check.addEventListener("change", () => group.forEach((g) => { g.hidden = !check.checked; }));
      toggles.append(el("label", {}, check, ` ${item.prompt} (${masks.length})`));
    }
    box.dataset.maskLayers = String(layers);
    box.dataset.boxes = String(prompts.reduce((n, p) => n + p.result.boxes.length, 0));
    box.append(toggles, holder);
  }

  // Click-to-segment on image i: clicks add points (shift: negative), a drag sets the box; after
  // each, the image's one object is sent and its best mask drawn. The server keeps the image's
  // embedding, so every click after the first runs only the decoder.
  function renderClicks(box, img, i) {
    const base = stage(img);
    const marks = el("canvas", { class: "marks" });
    marks.width = base.width; marks.height = base.height;
    marks.style.cssText = "position:absolute;left:0;top:0;width:100%;height:100%;cursor:crosshair;";
    const holder = el("div", { class: "stage" }, base, marks);
    const info = el("p", { class: "note", text: "no clicks yet" });
    const clear = el("button", { type: "button", text: "Clear clicks" });
    const object = { points: [], labels: [], box: null };
    state.clicks[i] = object;
    box.dataset.clicks = "0";
    const toImage = (e) => {
      const r = marks.getBoundingClientRect();
      return [Math.round((e.clientX - r.left) * marks.width / r.width), Math.round((e.clientY - r.top) * marks.height / r.height)];
    };
    const drawMarks = () => {
      const ctx = marks.getContext("2d");
      ctx.clearRect(0, 0, marks.width, marks.height);
      // Marks a few screen pixels wide, however the image is scaled on the page.
      const rect = marks.getBoundingClientRect();
      const size = 5 * (rect.width ? marks.width / rect.width : 1);
      if (object.box) {
        ctx.strokeStyle = "#ffd400"; ctx.lineWidth = Math.max(2, size / 2);
        ctx.strokeRect(object.box[0], object.box[1], object.box[2] - object.box[0], object.box[3] - object.box[1]);
      }
      object.points.forEach((p, k) => {
        ctx.beginPath(); ctx.arc(p[0], p[1], size, 0, 2 * Math.PI);
        ctx.fillStyle = object.labels[k] === 1 ? "#3cb44b" : "#e6194b"; ctx.fill();
        ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.stroke();
      });
    };
    let layer = null, pending = 0;
    const segment = async () => {
      const ticket = ++pending;
      const type = $("model-type").value;
      const found = requestSchema(type);
      const body = requestBody(type);
      body.images = [state.images[i].dataURL];
      const sent = object.points.length ? { points: object.points, labels: object.labels } : {};
      if (object.box) sent.box = object.box;
      body.objects = [sent];
      showError(null);
      try {
        const result = await api(found.path, { method: "POST", body: JSON.stringify(body) });
        if (ticket !== pending) return;  // a later click's answer will be drawn
        const answer = result.results[0], first = answer.objects[0];
        const next = await maskCanvas(first.masks_png[first.best_mask], PALETTE[2], base.width, base.height);
        next.style.cssText = "position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none;";
        if (layer) layer.replaceWith(next); else holder.insertBefore(next, marks);
        layer = next;
        box.dataset.maskLayers = "1";
        box.dataset.cached = String(answer.embedding_cached);
        box.dataset.segmented = String(Number(box.dataset.segmented || 0) + 1);
        info.textContent = `IoU ${first.scores[first.best_mask].toFixed(3)} · `
          + (answer.embedding_cached ? "image embedding cached" : `encoder ${(answer.encoder_time * 1000).toFixed(0)} ms`)
          + ` · decoder ${(answer.decoder_time * 1000).toFixed(0)} ms · ${result.model_id}`;
        state.lastResult = result;
      } catch (error) { showError(error); }
    };
    let down = null;
    marks.addEventListener("pointerdown", (e) => { down = toImage(e); });
    marks.addEventListener("pointerup", (e) => {
      if (!down) return;
      const up = toImage(e), start = down;
      down = null;
      const dragged = Math.abs(up[0] - start[0]) > 4 && Math.abs(up[1] - start[1]) > 4;
      if (dragged) {
        object.box = [Math.min(start[0], up[0]), Math.min(start[1], up[1]), Math.max(start[0], up[0]), Math.max(start[1], up[1])];
      } else {
        object.points.push(up);
        object.labels.push(e.shiftKey ? 0 : 1);
      }
      box.dataset.clicks = String(object.points.length + (object.box ? 1 : 0));
      drawMarks();
      segment();
    });
    clear.addEventListener("click", () => {
      object.points = []; object.labels = []; object.box = null;
      pending += 1;
      if (layer) { layer.remove(); layer = null; }
      box.dataset.clicks = "0"; box.dataset.maskLayers = "0";
      info.textContent = "no clicks yet";
      drawMarks();
    });
    box.append(el("div", { class: "layers" }, clear, info), holder);
  }

  // Image i against the request's texts, scored as zero-shot classification scores them: the
  // model's logit scale × cosine (+ bias), softmax over the texts (CLIP) or sigmoid (SigLIP).
  function renderSimilarity(box, img, result, i) {
    const image = result.image_embeddings[i], texts = result.text_embeddings || [];
    const labels = $("prompts").value.split(/\n|,/).map((s) => s.trim()).filter(Boolean);
    const thumb = stage(img); thumb.style.maxWidth = "320px";
    box.append(el("p", { class: "note", text: `${result.dimensions}-dimensional embedding, logit scale ${result.logit_scale === null ? "unknown" : result.logit_scale.toFixed(2)}` }));
    if (!image || !texts.length || result.logit_scale === null) { box.dataset.classes = "0"; box.append(thumb); return; }
    const logits = texts.map((t) => t.reduce((sum, v, k) => sum + v * image[k], 0) * result.logit_scale + (result.logit_bias || 0));
    let scores;
    if (result.logit_bias === null) {
      const top = Math.max(...logits), e = logits.map((l) => Math.exp(l - top)), total = e.reduce((a, b) => a + b, 0);
      scores = e.map((v) => v / total);
    } else {
      scores = logits.map((l) => 1 / (1 + Math.exp(-l)));
    }
    const order = scores.map((s, k) => k).sort((a, b) => scores[b] - scores[a]);
    renderClasses(box, thumb, order.map((k) => ({ label: labels[k] || `text ${k}`, score: scores[k] })), true);
  }

  function renderDetections(box, img, detections) {
    const canvas = stage(img);
    drawBoxes(canvas, detections.boxes, detections.labels, detections.scores);
    box.dataset.boxes = String(detections.boxes.length);
    const list = el("div", { class: "layers" });
    detections.labels.forEach((label, i) => list.append(el("span", {}, el("span", { class: "swatch", style: `background:${PALETTE[i % PALETTE.length]}` }), `${label} ${detections.scores[i].toFixed(3)}`)));
    box.append(list, el("div", { class: "stage" }, canvas));
  }

  function renderDepth(box, img, item, index) {
    const [height, width] = item.metadata.shape;
    const { canvas, min, max } = depthCanvas(base64Floats(item.depth_data), width, height);
    box.dataset.depth = `${width}x${height}`;
    const unit = item.metadata.depth_type === "metric" ? "m" : "(relative)";
    box.append(el("div", { class: "stage" }, canvas), scaleBar(min, max, unit));
    if (item.export) {
      const name = `view${index}.${item.export.format === "gs_ply" ? "ply" : item.export.format}`;
      const link = download(`Download ${item.export.format}${item.export.points ? ` (${item.export.points} points)` : ""}`, item.export.data, item.export.media_type, name);
      box.append(link);
      $("downloads").append(download(`${item.export.format} ${index}`, item.export.data, item.export.media_type, name));
    }
    if (item.metadata.intrinsics) box.append(el("p", { class: "note", text: `intrinsics ${JSON.stringify(item.metadata.intrinsics)}` }));
  }

  function renderFeatures(box, img, features, index) {
    const tensor = features.last_hidden_state;
    box.append(el("p", { class: "note", text: `last_hidden_state ${JSON.stringify(tensor.shape)}, pooler_output ${JSON.stringify(features.pooler_output.shape)}` }));
    const canvas = tensor && tensor.data ? featureCanvas(tensor, index) : null;
    if (canvas) { box.dataset.pca = `${canvas.width}x${canvas.height}`; box.append(el("div", { class: "stage" }, canvas)); }
    const thumb = stage(img); thumb.style.width = "320px";
    box.append(thumb);
  }

  function renderClasses(box, img, classes, staged = false) {
    const thumb = staged ? img : stage(img); thumb.style.maxWidth = "320px";
    const bars = el("div", { class: "bars" });
    for (const c of classes) {
      bars.append(el("div", { class: "row" }, el("span", { text: c.label }),
                     el("div", {}, el("div", { class: "fill", style: `width:${(c.score * 100).toFixed(1)}%` })),
                     el("span", { text: c.score.toFixed(3) })));
    }
    box.dataset.classes = String(classes.length);
    box.append(thumb, bars);
  }

  // ---- wiring ----
  $("model-type").addEventListener("change", () => onTypeChange().catch(showError));
  $("files").addEventListener("change", (e) => addFiles(e.target.files));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); addFiles(e.dataTransfer.files); });
  $("form").addEventListener("submit", run);
  document.addEventListener("vma-key-changed", () => loadTypes().then(() => showError(null)).catch(showError));
  loadTypes().catch(showError);
})();
