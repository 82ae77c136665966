/// `/ui`: a page to try the served models. Pick a model type and a model (the loaded ones and
/// those in the cache), drop images, fill the request's fields (made from the OpenAPI request
/// schema, so every family's options appear), run it (at once or as a job with its progress), and
/// see the result drawn over each image. Its script is `UIScript.source`, its style `styleSheet`.
enum UIPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>Vision Models API — try it</title>
      <link rel="stylesheet" href="/static/site.css">
      <link rel="icon" href="data:,">
    </head>
    <body>
      <header class="bar">
        <strong>Vision Models API</strong>
        <a href="/docs">API reference</a>
        <span id="server-version"></span>
        <label class="key">API key <input id="api-key" type="password" autocomplete="off" placeholder="only if the server requires one"></label>
      </header>
      <main class="ui">
        <form id="form" class="panel">
          <label>Model type <select id="model-type" name="model_type"></select></label>
          <label>Model <input id="model-id" list="model-ids" placeholder="default"></label>
          <datalist id="model-ids"></datalist>
          <p id="model-note" class="note"></p>
          <div id="drop" class="drop" tabindex="0">
            <p>Drop images here or <label class="link">choose files<input id="files" type="file" accept="image/*" multiple hidden></label></p>
            <div id="thumbs"></div>
          </div>
          <label id="prompts-row">Prompts, one per line <textarea id="prompts" rows="3" placeholder="a cat&#10;a remote control"></textarea></label>
          <fieldset id="fields"><legend>Options</legend></fieldset>
          <label class="inline"><input id="as-job" type="checkbox"> Run as a job (queued, with progress)</label>
          <button id="run" type="submit">Run</button>
          <p id="status" role="status"></p>
          <p id="error" class="error" role="alert" hidden></p>
        </form>
        <section id="output" class="panel">
          <div id="toolbar" hidden>
            <a id="download-json" download="result.json" href="#">Download JSON</a>
            <span id="downloads"></span>
            <span id="timing"></span>
          </div>
          <div id="results"></div>
        </section>
      </main>
      <script src="/static/key.js"></script>
      <script src="/static/ui.js"></script>
    </body>
    </html>
    """#

    static let styleSheet = #"""
    :root { --fg: #1d2330; --muted: #5f6b7a; --line: #d8dde5; --accent: #2f6fde; --bad: #b3261e; --bg: #f6f7f9; }
    * { box-sizing: border-box; }
    [hidden] { display: none !important; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
    .bar { display: flex; gap: 1.2em; align-items: center; padding: .6em 1.2em; background: #fff; border-bottom: 1px solid var(--line); }
    .bar a { color: var(--accent); text-decoration: none; }
    .bar .key { margin-left: auto; color: var(--muted); }
    .bar input { width: 16em; }
    .ui { display: grid; grid-template-columns: minmax(280px, 360px) 1fr; gap: 1em; padding: 1em; }
    .panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1em; }
    form label { display: block; margin: .5em 0; }
    form label.inline { display: flex; gap: .4em; align-items: center; }
    form select, form input:not([type=checkbox]), form textarea { display: block; width: 100%; margin-top: .2em; padding: .35em; font: inherit; }
    fieldset { border: 1px solid var(--line); border-radius: 6px; margin: .6em 0; }
    fieldset label { display: grid; grid-template-columns: 1fr 8em; align-items: center; gap: .5em; margin: .3em 0; }
    fieldset label input, fieldset label select { margin: 0; }
    .drop { border: 2px dashed var(--line); border-radius: 8px; padding: .8em; text-align: center; color: var(--muted); }
    .drop.over { border-color: var(--accent); background: #eef3fd; }
    .link { color: var(--accent); cursor: pointer; display: inline; }
    #thumbs img { max-height: 56px; margin: 4px; border-radius: 4px; }
    button { background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: .55em 1.4em; font: inherit; cursor: pointer; }
    button:disabled { opacity: .5; cursor: default; }
    .note { color: var(--muted); font-size: 12px; margin: .2em 0; }
    .error { color: var(--bad); white-space: pre-wrap; }
    #toolbar { display: flex; gap: 1em; align-items: center; margin-bottom: .8em; }
    #toolbar a { color: var(--accent); }
    .result { margin-bottom: 1.4em; }
    .result h3 { margin: .2em 0 .4em; font-size: 14px; }
    .stage { position: relative; display: inline-block; width: min(100%, 720px); }
    .stage canvas { width: 100%; height: auto; display: block; image-rendering: pixelated; }
    .layers { display: flex; flex-wrap: wrap; gap: .3em 1em; margin: .4em 0; }
    .swatch { display: inline-block; width: .9em; height: .9em; border-radius: 2px; vertical-align: -1px; margin-right: .3em; }
    .bars .row { display: grid; grid-template-columns: 12em 1fr 4em; gap: .5em; align-items: center; margin: .15em 0; }
    .bars .fill { height: .9em; background: var(--accent); border-radius: 2px; }
    .scale { display: flex; align-items: center; gap: .5em; margin-top: .3em; }
    .scale canvas { width: 200px; height: 12px; }
    progress { width: 100%; }
    #reference { padding: 0 1.2em 2em; max-width: 1100px; }
    #reference .operation { border-top: 1px solid var(--line); padding: .4em 0; }
    #reference .method { font-weight: 600; text-transform: uppercase; margin-right: .4em; }
    #reference .param { color: var(--muted); margin: .1em 0; }
    #reference pre { background: #fff; border: 1px solid var(--line); padding: .6em; overflow: auto; }
    @media (max-width: 800px) { .ui { grid-template-columns: 1fr; } }
    """#

    static var script: String { UIScript.source }
}
