"""Opens /ui and /docs in headless Chromium (Debian's chromium + chromium-driver, through Selenium)
on a server running the committed tiny models, as a user would: picks each model type, uploads a
fixture image, runs it, and checks what the page drew against what the API answers for the same
request. Also: a job run with progress, an error shown as the server's `detail`, API keys, /docs
rendered by the server's own Swagger UI, and that no request went to another host. Screenshots go
to --artefacts (default bench/out/ui-check).

    .deps/pytools/bin/python tools/checks/ui_browser_check.py [--binary .build/debug/vision-models-api]

Exits non-zero on the first failed check; prints one line per check passed and how many ran.
"""
import argparse
import base64
import json
import os
import socket
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from fixture_server import FixtureServer  # noqa: E402

IMAGE = os.path.join(ROOT, "Tests", "Fixtures", "codecs", "baseline_420.jpg")
CHECKS = []


def check(name, condition, detail=""):
    if not condition:
        raise SystemExit(f"FAIL {name}: {detail}")
    CHECKS.append(name)
    print(f"ok   {name}" + (f" ({detail})" if detail else ""), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, path, body, key=None):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-default-apps", "--disable-sync", "--metrics-recording-only"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = webdriver.ChromeService(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def requested_urls(driver):
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def wait(driver, condition, seconds=60):
    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda d: condition(d))


def run_on_page(driver, model_type, prompts=None, fields=None, as_job=False):
    """Fills the form for one run and waits for a result or an error; returns (result element, error text)."""
    Select(driver.find_element(By.ID, "model-type")).select_by_value(model_type)
    try:
        wait(driver, lambda d: d.find_element(By.ID, "fields").get_attribute("data-type") == model_type, 20)
    except Exception:
        raise SystemExit(f"FAIL the form for {model_type} did not appear: {driver.find_element(By.ID, 'error').text} "
                         f"{driver.get_log('browser')[-3:]}")
    if prompts is not None:
        area = driver.find_element(By.ID, "prompts")
        area.clear()
        area.send_keys("\n".join(prompts))
    for name, value in (fields or {}).items():
        box = driver.find_element(By.CSS_SELECTOR, f"#fields [name='{name}']")
        if box.tag_name == "select":
            Select(box).select_by_value(str(value))
        else:
            box.clear()
            box.send_keys(str(value))
    job = driver.find_element(By.ID, "as-job")
    if job.is_selected() != as_job:
        job.click()
    driver.execute_script("document.getElementById('results').replaceChildren(); document.getElementById('error').hidden = true;")
    driver.find_element(By.ID, "run").click()
    try:
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .result canvas")
             or d.find_element(By.ID, "error").is_displayed())
    except Exception:
        return None, (f"no result drawn for {model_type}: status '{driver.find_element(By.ID, 'status').text}', "
                      f"results {driver.find_element(By.ID, 'results').get_attribute('innerHTML')[:300]}, "
                      f"{[e['message'] for e in driver.get_log('browser') if e['level'] == 'SEVERE'][-3:]}")
    time.sleep(0.5)  # the last layers of a multi-image render
    error = driver.find_element(By.ID, "error")
    if error.is_displayed():
        return None, error.text
    return driver.find_element(By.CSS_SELECTOR, "#results .result"), None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary")
    parser.add_argument("--artefacts", default=os.path.join(ROOT, "bench", "out", "ui-check"))
    args = parser.parse_args()
    os.makedirs(args.artefacts, exist_ok=True)
    image = "data:image/jpeg;base64," + base64.b64encode(open(IMAGE, "rb").read()).decode()

    with FixtureServer(free_port(), args.binary) as server:
        url = server.url
        driver = browser()
        try:
            driver.get(url + "/ui")
            wait(driver, lambda d: len(Select(d.find_element(By.ID, "model-type")).options) >= 6)
            types = [o.get_attribute("value") for o in Select(driver.find_element(By.ID, "model-type")).options]
            check("the page lists the served model types", {"sam3", "grounding_dino", "depth_anything", "dinov3"} <= set(types),
                  ", ".join(types))
            Select(driver.find_element(By.ID, "model-type")).select_by_value("sam3")
            wait(driver, lambda d: "facebook/sam3" in d.execute_script(
                "return [...document.querySelectorAll('#model-ids option')].map(o => o.value)"), 10)
            models = driver.execute_script("return [...document.querySelectorAll('#model-ids option')].map(o => o.value)")
            check("the model list offers the cached SAM3 model", "facebook/sam3" in models, ", ".join(models))
            driver.find_element(By.ID, "files").send_keys(IMAGE)
            wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#thumbs img"))

            # GroundingDINO: the boxes drawn are the API's boxes.
            _, expected = post(url, "/inference/grounding-dino", {"images": [image], "prompts": ["a cat"],
                                                                 "box_threshold": 0, "text_threshold": 0})
            result, error = run_on_page(driver, "grounding_dino", ["a cat"], {"box_threshold": 0, "text_threshold": 0})
            check("grounding_dino runs", error is None, error or "")
            boxes = int(result.get_attribute("data-boxes"))
            check("grounding_dino: one box drawn per detection", boxes == len(expected["results"][0]["boxes"]) > 0,
                  f"{boxes} boxes")
            driver.save_screenshot(os.path.join(args.artefacts, "ui-grounding-dino.png"))

            # SAM3: one mask layer per instance, and the layers hold mask pixels.
            _, expected = post(url, "/inference/sam3", {"images": [image], "prompts": ["a cat", "a dog"], "threshold": 0,
                                                        "output_format": "png"})
            want = sum(len(p["result"]["masks_png"]) for p in expected["results"][0])
            result, error = run_on_page(driver, "sam3", ["a cat", "a dog"], {"threshold": 0})
            check("sam3 runs", error is None, error or "")
            layers = int(result.get_attribute("data-mask-layers"))
            dom_layers = len(result.find_elements(By.CSS_SELECTOR, "canvas.mask-layer"))
            check("sam3: one mask layer per instance", layers == dom_layers == want > 0, f"{layers} layers")
            painted = driver.execute_script("""
                let n = 0;
                for (const c of document.querySelectorAll('canvas.mask-layer')) {
                  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
                }
                return n;""")
            check("sam3: mask layers hold painted pixels", painted > 0, f"{painted} pixels")
            toggles = result.find_elements(By.CSS_SELECTOR, ".layers input[type=checkbox]")
            check("sam3: one toggle per prompt", len(toggles) == 2)
            toggles[0].click()
            hidden = driver.execute_script("return [...document.querySelectorAll('canvas.mask-layer[data-prompt=\"0\"]')].every(c => c.hidden)")
            check("sam3: a prompt's toggle hides its masks", hidden)
            driver.save_screenshot(os.path.join(args.artefacts, "ui-sam3.png"))

            # Depth: a colour map the size of the depth map, with its scale.
            _, expected = post(url, "/inference/depth-anything", {"images": [image], "depth_format": "float32"})
            result, error = run_on_page(driver, "depth_anything", fields={"export_format": "ply"})
            check("depth_anything runs", error is None, error or "")
            h, w = expected["results"][0]["metadata"]["shape"]
            check("depth: the colour map has the depth map's size", result.get_attribute("data-depth") == f"{w}x{h}",
                  result.get_attribute("data-depth"))
            colours = driver.execute_script("""
                const c = document.querySelector('canvas.depth-map');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                const seen = new Set(); for (let i = 0; i < d.length; i += 4) seen.add(d[i] << 16 | d[i+1] << 8 | d[i+2]);
                return seen.size;""")
            check("depth: the map is not one colour", colours > 8, f"{colours} colours")
            check("depth: the scale is shown", len(result.find_elements(By.CSS_SELECTOR, ".scale")) == 1)
            links = [a.get_attribute("download") for a in result.find_elements(By.CSS_SELECTOR, "a.download")]
            check("depth: the point cloud is offered for download", links == ["view0.ply"], ", ".join(links))
            driver.save_screenshot(os.path.join(args.artefacts, "ui-depth.png"))

            # DINOv3: patch features as a PCA picture.
            _, expected = post(url, "/inference/dinov3", {"images": [image], "tensor_format": "base64"})
            result, error = run_on_page(driver, "dinov3")
            check("dinov3 runs", error is None, error or "")
            tokens = expected["features"]["last_hidden_state"]["shape"][1]
            side = next(int((tokens - s) ** 0.5) for s in (5, 1, 0) if int((tokens - s) ** 0.5) ** 2 == tokens - s)
            check("dinov3: a PCA picture of the patch grid", result.get_attribute("data-pca") == f"{side}x{side}",
                  result.get_attribute("data-pca"))
            driver.save_screenshot(os.path.join(args.artefacts, "ui-dinov3.png"))

            # Classification bars.
            _, expected = post(url, "/inference/image-classification", {"images": [image]})
            result, error = run_on_page(driver, "image_classification")
            check("image_classification: one bar per class", error is None and
                  int(result.get_attribute("data-classes")) == len(expected["results"][0]), error or "")

            # Every registered family, as the document lists them (x-page): each is drawn by the
            # renderer its family declares, not shown as raw JSON. A new family is checked here too.
            document = json.loads(urllib.request.urlopen(url + "/openapi.json").read())
            pages = [(op["post"]["x-page"], op["post"]) for op in document["paths"].values()
                     if "post" in op and "x-page" in op["post"]]
            for page, op in pages:
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                properties = document["components"]["schemas"][schema["$ref"].split("/")[-1]].get("properties", {})
                prompts = ["a cat"] if "prompts" in properties or "texts" in properties else None
                result, error = run_on_page(driver, page["model_type"], prompts)
                drawn = error is None and not result.find_elements(By.TAG_NAME, "pre")
                check(f"{page['model_type']}: drawn by its declared renderer ({page.get('renderer')})",
                      drawn and page.get("renderer"), error or ("" if drawn else "shown as JSON"))
            check("every registered family has a page view", len(pages) >= 7, f"{len(pages)} families")

            # Embeddings: the texts scored against the image as zero-shot classification scores them.
            labels = ["a cat", "a dog", "a red car"]
            _, expected = post(url, "/inference/zero-shot-image-classification",
                               {"inputs": image, "parameters": {"candidate_labels": labels, "hypothesis_template": "{}"}})
            result, error = run_on_page(driver, "embeddings", labels)
            shown = [row.find_elements(By.TAG_NAME, "span")[0].text for row in result.find_elements(By.CSS_SELECTOR, ".bars .row")] \
                if result else []
            check("embeddings: the texts as bars, in the zero-shot route's order",
                  error is None and shown == [e["label"] for e in expected], f"{error or ''} {shown} vs {expected}")
            driver.save_screenshot(os.path.join(args.artefacts, "ui-embeddings.png"))

            # Click-to-segment: each click on the image is a request whose best mask is drawn; the
            # second click reuses the image's embedding (only the decoder runs); a drag is a box.
            result, error = run_on_page(driver, "sam2")
            check("sam2: the images become clickable stages", error is None, error or "")
            marks = result.find_element(By.CSS_SELECTOR, "canvas.marks")
            ActionChains(driver).move_to_element_with_offset(marks, 5, 5).click().perform()
            wait(driver, lambda d: result.get_attribute("data-segmented") == "1" or d.find_element(By.ID, "error").is_displayed(), 30)
            check("sam2: a click draws its best mask", result.get_attribute("data-mask-layers") == "1",
                  driver.find_element(By.ID, "error").text)
            ActionChains(driver).key_down(Keys.SHIFT).move_to_element_with_offset(marks, -20, -15).click() \
                .key_up(Keys.SHIFT).perform()
            wait(driver, lambda d: result.get_attribute("data-segmented") == "2", 30)
            check("sam2: the second click reuses the image embedding", result.get_attribute("data-cached") == "true",
                  result.text)
            ActionChains(driver).move_to_element_with_offset(marks, -30, -30).click_and_hold().move_by_offset(40, 40) \
                .release().perform()
            wait(driver, lambda d: result.get_attribute("data-segmented") == "3", 30)
            check("sam2: a drag adds a box to the clicks", result.get_attribute("data-clicks") == "3",
                  result.get_attribute("data-clicks"))
            driver.save_screenshot(os.path.join(args.artefacts, "ui-sam2-clicks.png"))

            # A job, with its progress, drawn like a direct run.
            _, expected = post(url, "/inference/object-detection", {"images": [image], "threshold": 0})
            result, error = run_on_page(driver, "object_detection", fields={"threshold": 0}, as_job=True)
            check("object_detection as a job", error is None and
                  int(result.get_attribute("data-boxes")) == len(expected["results"][0]["boxes"]), error or "")
            status = driver.find_element(By.ID, "status").text
            check("the job's status line was shown", "done" in status, status)

            # An error is the server's detail.
            status, expected = post(url, "/inference/sam3", {"images": [image], "prompts": [], "threshold": 0,
                                                             "output_format": "png"})
            _, error = run_on_page(driver, "sam3", [], {"threshold": 0})
            check("a refused request shows the server's detail", status >= 400 and error and expected["detail"] in error,
                  error or "")
            driver.save_screenshot(os.path.join(args.artefacts, "ui-error.png"))

            # /docs: Swagger UI from this server.
            driver.get(url + "/docs")
            wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock")) > 10
                 or d.find_elements(By.CSS_SELECTOR, "#reference .operation"))
            operations = len(driver.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock"))
            check("/docs renders the API (Swagger UI served by the server)", operations > 10, f"{operations} operations")
            driver.save_screenshot(os.path.join(args.artefacts, "docs.png"))

            urls = requested_urls(driver)
            foreign = [u for u in urls if not (u.startswith(url) or u.startswith(("data:", "blob:")))]
            check("no request went to another host", not foreign, ", ".join(foreign[:5]))
            # The pages name an empty icon: no /favicon.ico request (a 401 with API keys, a 404 without).
            check("no favicon request", not any(u.startswith(url + "/favicon.ico") for u in urls))
        finally:
            driver.quit()

    # With API keys: the page asks for one, and works once it is given. The operator's default
    # for dinov3 (DEFAULT_MODELS) is not cached: the page offers a cached one instead.
    with FixtureServer(free_port(), args.binary, env={"API_KEYS": "ui-check-key",
                                                       "DEFAULT_MODELS": "dinov3:org/not-cached"}) as server:
        driver = browser()
        try:
            driver.get(server.url + "/ui")
            wait(driver, lambda d: d.find_element(By.ID, "error").is_displayed())
            check("with API keys, the page says a key is needed", "401" in driver.find_element(By.ID, "error").text,
                  driver.find_element(By.ID, "error").text)
            key = driver.find_element(By.ID, "api-key")
            key.send_keys("ui-check-key\t")  # leaving the field saves the key, as a user's click elsewhere does
            wait(driver, lambda d: len(Select(d.find_element(By.ID, "model-type")).options) >= 6)
            driver.find_element(By.ID, "files").send_keys(IMAGE)
            wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#thumbs img"))
            result, error = run_on_page(driver, "object_detection", fields={"threshold": 0})
            check("with the key given, a run works", error is None and result is not None, error or "")
            Select(driver.find_element(By.ID, "model-type")).select_by_value("dinov3")
            wait(driver, lambda d: d.find_element(By.ID, "model-id").get_attribute("value"), 20)
            chosen = driver.find_element(By.ID, "model-id").get_attribute("value")
            note = driver.find_element(By.ID, "model-note").text
            placeholder = driver.find_element(By.ID, "model-id").get_attribute("placeholder")
            check("the operator's default is the placeholder", placeholder == "default: org/not-cached", placeholder)
            check("a default not cached: a cached model is preselected and the note says why",
                  chosen.startswith("facebook/dinov3-") and "org/not-cached" in note and "not cached" in note,
                  f"{chosen!r}: {note}")
            result, error = run_on_page(driver, "dinov3")
            check("the preselected model runs", error is None and result is not None, error or "")
        finally:
            driver.quit()
    print(f"{len(CHECKS)} checks passed")


if __name__ == "__main__":
    main()
