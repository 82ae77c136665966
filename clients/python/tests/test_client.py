"""The client against the real server on the committed tiny models (bench/fixture_server.py), and
its decoders against encodings made by the real Python stack (Tests/Fixtures/sam3/manifest.json:
the original server's RLE and pycocotools' COCO RLE)."""
import asyncio
import json
import time

import httpx
import numpy as np
import pytest
from PIL import Image

from vision_models_client import AsyncClient, Client, JobFailed, VisionAPIError, decode
from vision_models_client.client import retry_after_seconds

from conftest import ROOT, fixture_server

FIXTURES = ROOT / "Tests" / "Fixtures"
MANIFEST = json.loads((FIXTURES / "sam3" / "manifest.json").read_text())
CASE = MANIFEST["cases"][0]
IMAGE = FIXTURES / "preprocessing" / CASE["image"]
CAT = next(r for r in CASE["results"] if r["prompt"] == "a red cat")


@pytest.fixture()
def client(server):
    with Client(server.url, timeout=60) as c:
        yield c


def test_decoders_read_the_python_stacks_encodings():
    height, width = CASE["shape"]
    assert len(CAT["masks_coco"]) == len(CAT["masks_rle"]) == len(CAT["mask_pixels"]) > 0
    for coco, rle, pixels in zip(CAT["masks_coco"], CAT["masks_rle"], CAT["mask_pixels"]):
        from_coco = decode.coco_rle_mask({"size": [height, width], "counts": coco})
        from_rle = decode.original_rle_mask(rle)
        assert from_coco.shape == (height, width) and from_coco.dtype == bool
        assert int(from_coco.sum()) == pixels
        assert np.array_equal(from_coco, from_rle)


def test_sam3_masks_are_the_same_in_every_format(client):
    height, width = CASE["shape"]
    want = [decode.original_rle_mask(m) for m in CAT["masks_rle"]]
    seen = {}
    for fmt in ["rle", "coco_rle", "png", "dense"]:
        result = client.sam3(IMAGE, ["a red cat"], threshold=MANIFEST["threshold"], output_format=fmt)
        prompt = result.images[0][0]
        assert prompt.prompt == "a red cat" and prompt.scores.shape == (len(CAT["scores"]),)
        assert prompt.boxes.shape == (len(CAT["scores"]), 4)
        assert prompt.masks.shape == (len(CAT["scores"]), height, width) and prompt.masks.dtype == bool
        seen[fmt] = prompt.masks
    assert len(seen) == 4
    for fmt, masks in seen.items():
        assert np.array_equal(masks, seen["rle"]), fmt
    # The masks transformers + the original server's encoder made on the same weights.
    assert len(want) == len(seen["rle"])
    for got, expected in zip(seen["rle"], want):
        assert np.array_equal(got, expected)
    polygons = client.sam3(str(IMAGE), "a red cat", threshold=MANIFEST["threshold"], output_format="polygons")
    assert polygons.images[0][0].masks.shape == seen["rle"].shape  # the size came from the image


def test_sam3_box_exemplars(client):
    case = next(c for c in MANIFEST["box_cases"] if c["text"] is None and c["scores"])
    result = client.sam3(FIXTURES / "preprocessing" / case["image"], boxes=case["boxes"], box_labels=case["box_labels"],
                         threshold=MANIFEST["threshold"])
    entry = result.images[0][0]
    assert entry.prompt == "visual" and entry.masks.shape[0] == len(case["scores"])
    want = [decode.original_rle_mask(m) for m in case["masks_rle"]]
    assert all(np.mean(got != w) < 0.005 for got, w in zip(entry.masks, want))


def test_sam2_clicks_match_transformers_and_the_second_click_is_cached(client):
    """A click sequence on one image over HTTP (the served default: the tiny Sam2Model fixture), against
    Sam2Processor + Sam2Model + post_process_masks (Tests/Fixtures/sam2/manifest.json)."""
    cases = json.loads((FIXTURES / "sam2" / "manifest.json").read_text())["models"]["sam2.1-tiny"]["cases"]
    first, second = cases[0], cases[1]
    assert first["image"] == second["image"]
    image = FIXTURES / "preprocessing" / first["image"]
    answers = [client.sam2(image, case["objects"], output_format=fmt)
               for case, fmt in [(first, "coco_rle"), (second, "png")]]
    assert [a.images[0].embedding_cached for a in answers] == [False, True]
    assert answers[0].images[0].encoder_time > 0 and answers[1].images[0].encoder_time == 0
    checked = 0
    for answer, case in zip(answers, [first, second]):
        height, width = case["shape"]
        got, want = answer.images[0].objects[0], case["results"][0]
        assert got.masks.shape == (3, height, width) and got.masks.dtype == bool
        assert np.allclose(got.scores, want["iou_scores"], atol=1e-3)
        assert got.best == int(np.argmax(want["iou_scores"]))
        for mask, counts in zip(got.masks, want["masks_coco"]):
            reference = decode.coco_rle_mask({"size": [height, width], "counts": counts})
            assert np.logical_and(mask, reference).sum() / max(1, np.logical_or(mask, reference).sum()) >= 0.995
            checked += 1
    assert checked == 6


def test_embeddings_match_transformers(client):
    """Images and texts over HTTP (the served default: the tiny CLIP fixture) against CLIPModel's
    normalised features and exp(logit_scale) (Tests/Fixtures/embeddings/manifest.json)."""
    manifest = json.loads((FIXTURES / "embeddings" / "manifest.json").read_text())
    images = [FIXTURES / "preprocessing" / e["image"] for e in manifest["images"]]
    texts = [t["text"] for t in manifest["texts"]]
    got = client.embeddings(images, texts)  # base64 float32 by default
    as_floats = client.embeddings(images[:1], texts[:1], encoding_format="float")
    assert got.images.shape == (3, 16) and got.texts.shape == (8, 16) and got.images.dtype == np.float32
    want = np.array([e["embedding"] for e in manifest["images"]] + [t["embedding"] for t in manifest["texts"]])
    cosines = np.sum(np.concatenate([got.images, got.texts]) * want, axis=1) / np.linalg.norm(want, axis=1)
    assert cosines.min() >= 0.9999 and len(cosines) == 11
    assert np.allclose(as_floats.images[0], got.images[0], atol=1e-6)
    assert abs(got.logit_scale - manifest["logit_scale"]) < 1e-3 and got.logit_bias is None
    # similarity() is the zero-shot head: its softmax over labels is the pipeline's score.
    labels = manifest["labels"]
    scored = client.embeddings(images[0], [f"This is a photo of {label}." for label in labels])
    logits = scored.similarity()[0]
    probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    pipeline = {e["label"]: e["score"] for e in manifest["images"][0]["zero_shot"]}
    assert np.allclose(probs, [pipeline[label] for label in labels], atol=1e-3)


def test_images_as_path_bytes_pil_and_numpy_give_one_answer(client):
    picture = Image.open(IMAGE).convert("RGB")
    inputs = [IMAGE, IMAGE.read_bytes(), picture, np.asarray(picture)]
    answers = [client.dinov3(i).pooler_output for i in inputs]
    assert len(answers) == 4
    for a in answers[1:]:
        assert np.array_equal(a, answers[0])
    with pytest.raises(TypeError):
        client.dinov3(42)


def test_features_base64_equal_the_nested_lists(client):
    fast = client.dinov3([IMAGE, IMAGE])
    lists = client.dinov3([IMAGE, IMAGE], tensor_format="list")
    assert fast.last_hidden_state.ndim == 3 and fast.last_hidden_state.shape[0] == 2
    assert fast.pooler_output.shape == (2, fast.last_hidden_state.shape[2])
    assert fast.raw["tensor_format"] == "base64"
    assert np.array_equal(fast.last_hidden_state, lists.last_hidden_state)


def test_depth_float32_png16_camera_and_point_cloud(client):
    exact = client.depth_anything(IMAGE, export_format="ply")
    image = exact.images[0]
    assert image.depth.dtype == np.float32 and list(image.depth.shape) == image.metadata["shape"]
    assert image.confidence is not None and image.confidence.shape == image.depth.shape
    assert image.intrinsics.shape == (3, 3) and image.extrinsics.shape == (3, 4)
    assert image.export_format == "ply" and image.export.startswith(b"ply\n")
    png16 = client.depth_anything(IMAGE, depth_format="png16").images[0]
    step = png16.metadata["scale"]
    assert np.max(np.abs(png16.depth - image.depth)) <= step  # 16-bit quantisation
    v2 = client.depth_anything(IMAGE, model_id="depth-anything/Depth-Anything-V2-Small-hf").images[0]
    assert v2.confidence is None and v2.intrinsics is None and v2.depth.shape == tuple(CASE["shape"])


def test_depth_with_known_cameras(client):
    # Three views with cameras (numpy arrays): the server returns them, the intrinsics at the
    # processed size; a lone intrinsics array is a 400 naming what is missing.
    angles = [0.0, 2.0, 4.0]
    ext = np.stack([np.array([[np.cos(a), 0, -np.sin(a), 0.3 * i], [0, 1, 0, 0.1], [np.sin(a), 0, np.cos(a), 2.0], [0, 0, 0, 1]])
                    for i, a in enumerate(angles)])
    ixt = np.stack([np.array([[60.0, 0, 30], [0, 60, 25], [0, 0, 1]])] * 3)
    result = client.depth_anything([IMAGE, IMAGE, IMAGE], extrinsics=ext, intrinsics=ixt)
    assert len(result.images) == 3
    for image, given in zip(result.images, ext):
        assert np.allclose(image.extrinsics, given[:3], atol=1e-9)
        assert image.intrinsics[2, 2] == 1 and np.all(np.isfinite(image.depth))
    with pytest.raises(VisionAPIError) as err:
        client.depth_anything([IMAGE], intrinsics=ixt[:1])
    assert err.value.status == 400 and "go together" in err.value.detail


def test_detection_and_classification(client):
    dino = client.grounding_dino([IMAGE, IMAGE], ["cat", "remote control"], box_threshold=0.0)
    assert len(dino.images) == 2
    first = dino.images[0]
    assert first.boxes.shape == (len(first.labels), 4) and first.scores.shape == (len(first.labels),)
    assert len(first.labels) > 0
    detr = client.object_detection(IMAGE, threshold=0.0).images[0]
    assert detr.boxes.shape == (len(detr.labels), 4) and len(detr.labels) > 0
    labels = client.image_classification(IMAGE, top_k=3).images[0]
    assert len(labels) == 3 and labels[0].score >= labels[1].score >= labels[2].score


def test_errors_carry_the_servers_detail(client):
    with pytest.raises(VisionAPIError) as missing:
        client.dinov3(IMAGE, model_id="nobody/not-in-the-cache")
    assert missing.value.status == 404 and "not-in-the-cache" in missing.value.detail
    with pytest.raises(VisionAPIError) as bad:
        client.sam3(IMAGE, ["cat"], output_format="svg")
    assert bad.value.status == 422 and "output_format" in bad.value.detail


def test_jobs_submit_wait_with_progress_and_typed_result(client):
    job = client.submit("sam3", IMAGE, prompts=["a red cat"], threshold=MANIFEST["threshold"])
    assert job.status in ("pending", "running", "completed")
    statuses = []
    done = client.wait(job.job_id, timeout=60, poll=0.05, progress=lambda j: statuses.append(j.status))
    assert done.status == "completed" and statuses[-1] == "completed"
    result = client.result(job.job_id)
    sync = client.sam3(IMAGE, ["a red cat"], threshold=MANIFEST["threshold"])
    assert np.array_equal(result.images[0][0].masks, sync.images[0][0].masks)
    again = client.submit("sam3", IMAGE, prompts=["cat"], idempotency_key="k-1")
    same = client.submit("sam3", IMAGE, prompts=["cat"], idempotency_key="k-1")
    assert again.job_id == same.job_id
    with pytest.raises(VisionAPIError) as refused:
        client.submit("sam3", IMAGE)  # no prompts: refused at submit, not failed later
    assert refused.value.status == 422


def test_async_client(server):
    async def run():
        async with AsyncClient(server.url, timeout=60) as client:
            results = await asyncio.gather(client.dinov3(IMAGE), client.sam3(IMAGE, ["a red cat"],
                                                                             threshold=MANIFEST["threshold"]))
            job = await client.submit("depth_anything", IMAGE)
            depth = await client.result(job.job_id, timeout=60)
            return results, depth
    (features, masks), depth = asyncio.run(run())
    assert features.pooler_output.shape[0] == 1
    assert masks.images[0][0].masks.shape[0] == len(CAT["scores"])
    assert depth.images[0].depth.dtype == np.float32


def test_api_keys():
    with fixture_server(API_KEYS="client-test-key") as keyed:
        with Client(keyed.url) as anonymous:
            with pytest.raises(VisionAPIError) as refused:
                anonymous.models_status()
            assert refused.value.status == 401
        with Client(keyed.url, api_key="client-test-key") as c:
            assert "client-test-key" not in repr(c)
            assert c.models_status() is not None
            assert c.image_classification(IMAGE).images[0]


def test_retries_honour_retry_after():
    calls = []

    def answer(request):
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "1"}, json={"detail": "queue full"})
        return httpx.Response(200, json={"status": "ok"})

    with Client("http://vma.test", transport=httpx.MockTransport(answer)) as c:
        assert c.health() == {"status": "ok"}
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.95

    def unavailable(request):
        return httpx.Response(503, headers={"Retry-After": "0"}, json={"detail": "not ready: preloading"})

    with Client("http://vma.test", retries=2, transport=httpx.MockTransport(unavailable)) as c:
        with pytest.raises(VisionAPIError) as gave_up:
            c.health()
    assert gave_up.value.status == 503 and gave_up.value.detail == "not ready: preloading"
    assert gave_up.value.retry_after == 0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after_seconds("2.5") == 2.5 and retry_after_seconds(None) is None


def test_a_submit_crosses_a_database_outage_with_one_key():
    """A submit answered 503 (the job database restarting) and then cut off mid-answer is sent again
    with the same Idempotency-Key each time, so the server stores it once."""
    seen = []

    def answer(request):
        seen.append(request.headers.get("idempotency-key"))
        if len(seen) == 1:
            return httpx.Response(503, headers={"Retry-After": "0"},
                                  json={"detail": "the job database closed the connection (submit); try again later"})
        if len(seen) == 2:
            raise httpx.ReadError("connection reset", request=request)
        return httpx.Response(202, json={"job_id": "j1", "status": "pending", "model_type": "dinov3", "attempts": 0})

    with Client("http://vma.test", retries=3, max_retry_wait=0, transport=httpx.MockTransport(answer)) as c:
        job = c.submit("dinov3", IMAGE)
    assert job.job_id == "j1" and len(seen) == 3
    assert seen[0] and len(set(seen)) == 1, seen
    # A POST without a key is not sent again once it may have reached the server.
    posts = []

    def cut(request):
        posts.append(request)
        raise httpx.ReadError("connection reset", request=request)

    with Client("http://vma.test", retries=3, max_retry_wait=0, transport=httpx.MockTransport(cut)) as c:
        with pytest.raises(httpx.ReadError):
            c.dinov3(IMAGE)
    assert len(posts) == 1


def test_failed_job_result_raises():
    def answer(request):
        return httpx.Response(200, json={"job_id": "j", "status": "failed", "model_type": "sam3", "attempts": 3,
                                         "error": "inference failed", "result": None})
    with Client("http://vma.test", transport=httpx.MockTransport(answer)) as c:
        with pytest.raises(JobFailed) as failed:
            c.result("j")
    assert failed.value.job.error == "inference failed"


def test_the_client_follows_the_servers_document(server):
    """Every model type the server documents has a method and a route here, and each route's
    request fields are that method's named arguments (model selection's variant and device go
    through **fields on every method): a field the server adds or renames fails this test."""
    import inspect

    from vision_models_client.client import DEFAULTS, ROUTES

    document = httpx.get(server.url + "/openapi.json", timeout=30).json()
    schemas = document["components"]["schemas"]
    served = sorted(p.rsplit("/", 1)[1] for p in document["paths"] if p.startswith("/jobs/submit/"))
    assert served == sorted(ROUTES) and len(served) == 8
    common = {"images", "inputs", "parameters", "variant", "device"}
    for model_type, path in ROUTES.items():
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        documented = set(schemas[body["$ref"].rsplit("/", 1)[1]]["properties"]) - common
        parameters = inspect.signature(getattr(Client, model_type)).parameters.values()
        named = {p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)} - {"self", "images"}
        assert named == documented, (model_type, sorted(named ^ documented))
        assert set(DEFAULTS.get(model_type, {})) <= documented
