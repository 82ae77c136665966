"""Hugging Face's own client, huggingface_hub.InferenceClient, pointed at the real server on the
committed tiny models (bench/fixture_server.py installs them under the hub ids below): the model in
the URL (/models/ORG/NAME, /hf-inference/models/ORG/NAME) or a task route; the image sent as its
bytes (a call without parameters) or as the JSON task form (with parameters). Each answer is the
one the server's task route gives for the same image and model, which the Swift suite checks
against transformers' pipelines."""
import base64

import httpx
import pytest
from huggingface_hub import InferenceClient
from huggingface_hub.errors import HfHubHTTPError

from conftest import ROOT

IMAGE = ROOT / "Tests" / "Fixtures" / "preprocessing" / "wide_90x151.png"
CLASSIFIER = "Xenova/vit-base-patch16-224"
DETECTOR = "Xenova/detr-resnet-50"
CLIP = "Xenova/clip-vit-base-patch32"


def task_route(server, path, model_id, parameters=None):
    """The server's own task route on the same image: the reference answer."""
    body = {"inputs": base64.b64encode(IMAGE.read_bytes()).decode(), "model_id": model_id,
            "parameters": parameters or {}}
    reply = httpx.post(server.url + path, json=body, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def labels(elements):
    return [(e.label, round(e.score, 5)) for e in elements]


@pytest.mark.parametrize("prefix", ["/models", "/hf-inference/models"])
def test_image_classification_with_the_model_in_the_url(server, prefix):
    client = InferenceClient(model=f"{server.url}{prefix}/{CLASSIFIER}", timeout=60)
    want = task_route(server, "/inference/image-classification", CLASSIFIER)
    # No parameters: the client posts the image's bytes.
    got = client.image_classification(IMAGE)
    assert labels(got) == [(w["label"], round(w["score"], 5)) for w in want] and len(got) == 5
    # With parameters: the JSON task form.
    want2 = task_route(server, "/inference/image-classification", CLASSIFIER, {"top_k": 2})
    got2 = client.image_classification(IMAGE.read_bytes(), top_k=2)
    assert labels(got2) == [(w["label"], round(w["score"], 5)) for w in want2] and len(got2) == 2


def test_object_detection_with_the_model_in_the_url(server):
    client = InferenceClient(model=f"{server.url}/models/{DETECTOR}", timeout=60)
    want = task_route(server, "/inference/object-detection", DETECTOR, {"threshold": 0.0})
    got = client.object_detection(IMAGE, threshold=0.0)
    assert len(got) == len(want) > 0
    for g, w in zip(got, want):
        assert g.label == w["label"] and abs(g.score - w["score"]) < 1e-6
        assert (g.box.xmin, g.box.ymin, g.box.xmax, g.box.ymax) == (w["box"]["xmin"], w["box"]["ymin"],
                                                                    w["box"]["xmax"], w["box"]["ymax"])


@pytest.mark.parametrize("where", ["model", "task"])
def test_zero_shot_image_classification(server, where):
    """CLIP's task: the model in the URL, or the task route (its default model)."""
    url = f"{server.url}/models/{CLIP}" if where == "model" else f"{server.url}/inference/zero-shot-image-classification"
    client = InferenceClient(model=url, timeout=60)
    candidates = ["cat", "dog", "a red car"]
    want = task_route(server, "/inference/zero-shot-image-classification", CLIP, {"candidate_labels": candidates})
    got = client.zero_shot_image_classification(IMAGE, candidate_labels=candidates)
    assert labels(got) == [(w["label"], round(w["score"], 5)) for w in want] and len(got) == 3
    assert abs(sum(e.score for e in got) - 1) < 1e-5  # CLIP: a softmax over the labels


def test_a_task_route_takes_the_image_bytes(server):
    client = InferenceClient(model=f"{server.url}/inference/image-classification", timeout=60)
    want = task_route(server, "/inference/image-classification", CLASSIFIER)  # the route's default model
    assert labels(client.image_classification(IMAGE)) == [(w["label"], round(w["score"], 5)) for w in want]


def test_a_model_without_a_task_form_is_a_clear_4xx(server):
    client = InferenceClient(model=f"{server.url}/models/facebook/dinov3-vits16-pretrain-lvd1689m", timeout=60)
    with pytest.raises(HfHubHTTPError) as raised:
        client.image_classification(IMAGE)
    assert raised.value.response.status_code == 400
    assert "/inference/dinov3" in raised.value.response.json()["detail"]
    missing = InferenceClient(model=f"{server.url}/models/org/not-there", timeout=60)
    with pytest.raises(HfHubHTTPError) as raised:
        missing.object_detection(IMAGE)
    assert raised.value.response.status_code == 404
    assert "org/not-there" in raised.value.response.json()["detail"]
