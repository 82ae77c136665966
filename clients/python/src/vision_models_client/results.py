"""Typed results: each keeps the server's JSON as `raw` and exposes numpy arrays."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

import numpy as np

from . import decode


def _boxes(rows: Any) -> np.ndarray:
    return np.asarray(rows, dtype=np.float32).reshape(-1, 4)


@dataclass
class PromptMasks:
    """One prompt's instances on one image: scores (N,), boxes (N, 4) x1 y1 x2 y2, masks (N, H, W) bool."""
    prompt: str
    prompt_index: int
    scores: np.ndarray
    boxes: np.ndarray
    masks: np.ndarray


@dataclass
class SAM3Result:
    """`images[i][j]`: image i, prompt j."""
    images: list[list[PromptMasks]]
    model_id: str
    processing_time: float
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: Mapping[str, Any], sizes: Optional[list[tuple[int, int]]] = None) -> "SAM3Result":
        images = []
        for i, prompts in enumerate(body["results"]):
            hw = sizes[i] if sizes and i < len(sizes) else (None, None)
            images.append([PromptMasks(prompt=p["prompt"], prompt_index=p["prompt_index"],
                                       scores=np.asarray(p["result"]["scores"], dtype=np.float32),
                                       boxes=_boxes(p["result"]["boxes"]),
                                       masks=decode.masks(p["result"], *hw)) for p in prompts])
        return cls(images, body["model_id"], body["processing_time"], body)


@dataclass
class ClickMasks:
    """One object's answer on one image: masks (K, H, W) bool (K = 3, or 1 with best_mask_only),
    scores (K,) predicted IoU, `best` the index of the highest, `object_score_logit` (> 0: present)."""
    object_index: int
    scores: np.ndarray
    best: int
    object_score_logit: float
    masks: np.ndarray

    @property
    def best_mask(self) -> np.ndarray:
        return self.masks[self.best]


@dataclass
class ClickImage:
    """One image's objects, whether its embedding came from the server's cache, and the seconds
    spent in the encoder (0 when cached) and in the decoder."""
    objects: list[ClickMasks]
    embedding_cached: bool
    encoder_time: float
    decoder_time: float


@dataclass
class SAM2Result:
    """`images[i].objects[k]`: image i, object k."""
    images: list[ClickImage]
    model_id: str
    processing_time: float
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: Mapping[str, Any], sizes: Optional[list[tuple[int, int]]] = None) -> "SAM2Result":
        images = []
        for i, image in enumerate(body["results"]):
            hw = sizes[i] if sizes and i < len(sizes) else (None, None)
            objects = [ClickMasks(object_index=o["object_index"], scores=np.asarray(o["scores"], dtype=np.float32),
                                  best=o["best_mask"], object_score_logit=o["object_score_logit"],
                                  masks=decode.masks(o, *hw)) for o in image["objects"]]
            images.append(ClickImage(objects, image["embedding_cached"], image["encoder_time"], image["decoder_time"]))
        return cls(images, body["model_id"], body["processing_time"], body)


@dataclass
class Embeddings:
    """L2-normalised vectors: images (N, D) and texts (M, D) float32, in one space; `similarity()`
    scores them as the model's zero-shot head does (logit_scale x cosine + logit_bias)."""
    images: np.ndarray
    texts: np.ndarray
    logit_scale: Optional[float]
    logit_bias: Optional[float]
    model_id: str
    processing_time: float
    raw: Mapping[str, Any] = field(repr=False)

    def similarity(self) -> np.ndarray:
        """(N, M) logits: image i against text j."""
        return (self.images @ self.texts.T) * (self.logit_scale or 1.0) + (self.logit_bias or 0.0)

    @classmethod
    def from_json(cls, body: Mapping[str, Any], sizes: Any = None) -> "Embeddings":
        def vectors(rows: Any) -> np.ndarray:
            dim = body.get("dimensions", 0)
            out = [np.frombuffer(base64.b64decode(r), dtype="<f4") if isinstance(r, str) else np.asarray(r, np.float32)
                   for r in rows]
            return np.stack(out).astype(np.float32) if out else np.zeros((0, dim), np.float32)
        return cls(vectors(body["image_embeddings"]), vectors(body["text_embeddings"]), body.get("logit_scale"),
                   body.get("logit_bias"), body["model_id"], body["processing_time"], body)


@dataclass
class Detections:
    """One image's detections: scores (N,), labels, boxes (N, 4) x1 y1 x2 y2 in image pixels."""
    scores: np.ndarray
    labels: list[str]
    boxes: np.ndarray

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> "Detections":
        return cls(np.asarray(item["scores"], dtype=np.float32), list(item["labels"]), _boxes(item["boxes"]))


@dataclass
class DetectionResult:
    images: list[Detections]
    model_id: str
    processing_time: float
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "DetectionResult":
        return cls([Detections.from_json(r) for r in body["results"]], body["model_id"], body["processing_time"], body)


@dataclass
class DepthMap:
    """One image's depth (H, W) float32 and, for Depth Anything 3, confidence, camera and export."""
    depth: np.ndarray
    depth_type: str
    confidence: Optional[np.ndarray]
    intrinsics: Optional[np.ndarray]
    extrinsics: Optional[np.ndarray]
    export_format: Optional[str]
    export: Optional[bytes]
    metadata: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> "DepthMap":
        meta = item["metadata"]
        shape = meta["shape"]
        depth = decode.encoded_map(item["depth_data"], item["format"], shape, meta.get("scale"), meta.get("offset"))
        conf = item.get("confidence")
        confidence = None if conf is None else decode.encoded_map(conf["data"], conf["format"], shape,
                                                                  conf.get("scale"), conf.get("offset"))
        export = item.get("export")
        return cls(depth=depth, depth_type=meta.get("depth_type", "relative"), confidence=confidence,
                   intrinsics=None if "intrinsics" not in meta else np.asarray(meta["intrinsics"], dtype=np.float64),
                   extrinsics=None if "extrinsics" not in meta else np.asarray(meta["extrinsics"], dtype=np.float64),
                   export_format=None if export is None else export["format"],
                   export=None if export is None else base64.b64decode(export["data"]), metadata=meta)


@dataclass
class DepthResult:
    images: list[DepthMap]
    model_id: str
    processing_time: float
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "DepthResult":
        return cls([DepthMap.from_json(r) for r in body["results"]], body["model_id"], body["processing_time"], body)


@dataclass
class Features:
    """DINOv3: last_hidden_state (B, tokens, D) and pooler_output (B, D), float32."""
    last_hidden_state: np.ndarray
    pooler_output: np.ndarray
    model_id: str
    processing_time: float
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "Features":
        f = body["features"]
        return cls(decode.tensor(f["last_hidden_state"]), decode.tensor(f["pooler_output"]), body["model_id"],
                   body["processing_time"], body)


@dataclass
class Classification:
    label: str
    score: float


@dataclass
class ClassificationResult:
    """`images[i]`: image i's labels, best first."""
    images: list[list[Classification]]
    model_id: str
    processing_time: float
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "ClassificationResult":
        return cls([[Classification(c["label"], float(c["score"])) for c in image] for image in body["results"]],
                   body["model_id"], body["processing_time"], body)


#: How a job's result (the synchronous route's answer) is read, by model type.
PARSERS = {
    "sam3": SAM3Result.from_json,
    "sam2": SAM2Result.from_json,
    "embeddings": Embeddings.from_json,
    "grounding_dino": DetectionResult.from_json,
    "object_detection": DetectionResult.from_json,
    "depth_anything": DepthResult.from_json,
    "dinov3": Features.from_json,
    "image_classification": ClassificationResult.from_json,
}


@dataclass
class Job:
    """A job as `GET /jobs/{id}` returns it; `result` is the raw JSON (see `Client.result`)."""
    job_id: str
    status: str
    model_type: str
    attempts: int
    error: Optional[str]
    result: Any
    processing_time: Optional[float]
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def done(self) -> bool:
        return self.status in ("completed", "failed", "cancelled")

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "Job":
        return cls(body["job_id"], body["status"], body["model_type"], body.get("attempts", 0), body.get("error"),
                   body.get("result"), body.get("processing_time"), body)
