"""What the client accepts as an image: a path, bytes, a PIL image, a numpy array or a URL."""
from __future__ import annotations

import base64
import io
import os
from typing import Any, Optional, Tuple

import numpy as np
from PIL import Image


def encode(image: Any) -> Tuple[str, Optional[Tuple[int, int]]]:
    """The request's image string (base64, or an http(s)/data URL passed on) and, where known
    here, its (height, width) (what polygon masks need)."""
    if isinstance(image, str) and image.startswith(("http://", "https://", "data:")):
        return image, None
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as f:
            data = f.read()
        return base64.b64encode(data).decode("ascii"), _size(data)
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
        return base64.b64encode(data).decode("ascii"), _size(data)
    if isinstance(image, Image.Image):
        return _png(image), (image.height, image.width)
    if isinstance(image, np.ndarray):
        array = image
        if array.dtype != np.uint8:
            if np.issubdtype(array.dtype, np.floating) and array.size and float(array.max()) <= 1.0:
                array = array * 255.0
            array = np.clip(array, 0, 255).astype(np.uint8)
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
            raise ValueError(f"an image array is H×W, H×W×3 or H×W×4, got shape {image.shape}")
        picture = Image.fromarray(array)
        return _png(picture), (picture.height, picture.width)
    raise TypeError(f"not an image: {type(image).__name__} (a path, bytes, PIL image, numpy array or URL)")


def _png(image: Image.Image) -> str:
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _size(data: bytes) -> Optional[Tuple[int, int]]:
    try:
        with Image.open(io.BytesIO(data)) as picture:
            # The server applies EXIF orientation; 5-8 turn the picture a quarter.
            if picture.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                return picture.width, picture.height
            return picture.height, picture.width
    except Exception:  # the server decides what is an image; the size is only a convenience
        return None
