"""Turns the server's encodings back into numpy arrays: masks (the original server's RLE, COCO RLE,
PNG, dense lists, polygons), base64 float32 tensors and depth maps."""
from __future__ import annotations

import base64
import io
import zlib
from typing import Any, Mapping, Sequence

import numpy as np
from PIL import Image, ImageDraw


def _runs_to_mask(runs: Sequence[int], height: int, width: int) -> np.ndarray:
    """Column-major run lengths, starting with a run of zeros (COCO order), as an H×W bool mask."""
    runs = np.asarray(runs, dtype=np.int64)
    if runs.sum() != height * width:
        raise ValueError(f"run lengths add up to {int(runs.sum())}, not {height}×{width}")
    values = (np.arange(len(runs)) % 2).astype(bool)
    return np.repeat(values, runs).reshape((height, width), order="F")


def original_rle_mask(rle: Mapping[str, Any]) -> np.ndarray:
    """`{"encoding": "rle", "size": [H, W], "counts": base64(zlib(uint32 LE runs))}` (output_format rle)."""
    height, width = rle["size"]
    runs = np.frombuffer(zlib.decompress(base64.b64decode(rle["counts"])), dtype="<u4")
    return _runs_to_mask(runs, height, width)


def coco_rle_counts(counts: str) -> list[int]:
    """pycocotools' compressed counts string → run lengths (its `rleFrString`)."""
    runs: list[int] = []
    data = counts.encode("ascii")
    p = 0
    while p < len(data):
        x, k, more = 0, 0, True
        while more:
            c = data[p] - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    return runs


def coco_rle_mask(rle: Mapping[str, Any]) -> np.ndarray:
    """`{"size": [H, W], "counts": "..."}` (output_format coco_rle; also pycocotools' own, str or bytes)."""
    height, width = rle["size"]
    counts = rle["counts"]
    if isinstance(counts, (bytes, bytearray)):
        counts = counts.decode("ascii")
    if isinstance(counts, list):  # uncompressed RLE
        return _runs_to_mask(counts, height, width)
    return _runs_to_mask(coco_rle_counts(counts), height, width)


def png_mask(data: str) -> np.ndarray:
    """A base64 greyscale PNG (0 / 255) → bool mask (output_format png)."""
    with Image.open(io.BytesIO(base64.b64decode(data))) as image:
        return np.asarray(image.convert("L")) > 127


def polygon_mask(polygons: Sequence[Sequence[Sequence[int]]], height: int, width: int) -> np.ndarray:
    """Outlines `[[x, y], ...]` filled (output_format polygons: simplified, so approximate)."""
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for polygon in polygons:
        if len(polygon) >= 2:
            draw.polygon([tuple(p) for p in polygon], fill=255, outline=255)
    return np.asarray(canvas) > 127


def masks(result: Mapping[str, Any], height: int | None = None, width: int | None = None) -> np.ndarray:
    """The masks of one SAM3 prompt result, in whichever format the server sent, as (N, H, W) bool.

    Polygons carry no size: pass the image's `height` and `width` for them."""
    if "masks_rle" in result:
        decoded = [original_rle_mask(m) for m in result["masks_rle"]]
    elif "masks_coco_rle" in result:
        decoded = [coco_rle_mask(m) for m in result["masks_coco_rle"]]
    elif "masks_png" in result:
        decoded = [png_mask(m) for m in result["masks_png"]]
    elif "masks" in result:
        decoded = [np.asarray(m, dtype=np.uint8).astype(bool) for m in result["masks"]]
    elif "masks_polygon" in result:
        if height is None or width is None:
            raise ValueError("polygon masks need the image's height and width")
        decoded = [polygon_mask(p, height, width) for p in result["masks_polygon"]]
    else:
        raise ValueError("the result has no masks field")
    if not decoded:
        shape = (0, height or 0, width or 0)
        return np.zeros(shape, dtype=bool)
    return np.stack(decoded)


def tensor(value: Any) -> np.ndarray:
    """`{"dtype": "float32", "shape": [...], "encoding": "base64", "data": ...}` or nested lists → array."""
    if isinstance(value, Mapping) and value.get("encoding") == "base64":
        if value.get("dtype", "float32") != "float32":
            raise ValueError(f"unsupported dtype {value.get('dtype')!r}")
        flat = np.frombuffer(base64.b64decode(value["data"]), dtype="<f4")
        return flat.reshape(value["shape"]).astype(np.float32)
    return np.asarray(value, dtype=np.float32)


def encoded_map(data: str, fmt: str, shape: Sequence[int], scale: float | None = None,
                offset: float | None = None) -> np.ndarray:
    """A depth or confidence map as float32 H×W: float32_base64 exactly; png16 restored with
    `scale` and `offset`; png8 (the pipeline's min-max scaled picture) as its 0..255 values."""
    raw = base64.b64decode(data)
    if fmt == "float32_base64":
        return np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float32)
    with Image.open(io.BytesIO(raw)) as image:
        pixels = np.asarray(image).astype(np.float32)
    if fmt == "png16_base64":
        return pixels * np.float32(scale if scale is not None else 1.0) + np.float32(offset or 0.0)
    if fmt == "png_base64":
        return pixels
    raise ValueError(f"unknown map format {fmt!r}")
