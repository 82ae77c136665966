"""`Client` and `AsyncClient`: one method per model type, jobs, models; retries on 429 and 503."""
from __future__ import annotations

import asyncio
import email.utils
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import httpx
import numpy as np

from . import images as image_inputs
from .results import (PARSERS, ClassificationResult, DepthResult, DetectionResult, Embeddings, Features, Job,
                      SAM2Result, SAM3Result)

__all__ = ["Client", "AsyncClient", "VisionAPIError", "JobFailed"]

#: The client's defaults where they differ from the server's: arrays come back exact and compact.
DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "depth_anything": {"depth_format": "float32"},
    "embeddings": {"encoding_format": "base64"},
    "dinov3": {"tensor_format": "base64"},
}

ROUTES: Mapping[str, str] = {
    "sam3": "/inference/sam3",
    "sam2": "/inference/sam2",
    "grounding_dino": "/inference/grounding-dino",
    "depth_anything": "/inference/depth-anything",
    "dinov3": "/inference/dinov3",
    "image_classification": "/inference/image-classification",
    "object_detection": "/inference/object-detection",
    "embeddings": "/inference/embeddings",
}


class VisionAPIError(Exception):
    """A non-2xx answer: its status, the server's `detail`, and `Retry-After` seconds if sent."""

    def __init__(self, status: int, detail: str, retry_after: Optional[float] = None):
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


class JobFailed(Exception):
    """`result` of a job that failed or was cancelled."""

    def __init__(self, job: Job):
        super().__init__(f"job {job.job_id} {job.status}: {job.error}")
        self.job = job


def retry_after_seconds(value: Optional[str]) -> Optional[float]:
    """`Retry-After` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _image_list(images: Any) -> list:
    return list(images) if isinstance(images, (list, tuple)) else [images]


def _body(**fields: Any) -> dict:
    return {k: v for k, v in fields.items() if v is not None}


class _Call:
    """One request to make: method, path, JSON body, headers, and how its answer is read."""

    def __init__(self, method: str, path: str, body: Any = None, parse: Callable[[Any], Any] = lambda j: j,
                 headers: Optional[Mapping[str, str]] = None):
        self.method, self.path, self.body, self.parse = method, path, body, parse
        self.headers = dict(headers or {})

    def may_resend(self, error: httpx.TransportError) -> bool:
        """Whether to send again after `error`: a request that never reached the server, or one whose
        repeat is harmless (a GET, or a submit carrying its Idempotency-Key: the server returns the job
        if the first one was stored, and stores it once if not)."""
        if isinstance(error, httpx.ConnectError):
            return True
        return self.method == "GET" or "Idempotency-Key" in self.headers


class _Waiter:
    """What `wait` does with each polled job: progress on a change, done, or out of time."""

    def __init__(self, timeout: Optional[float], progress: Optional[Callable[[Job], None]]):
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.progress = progress
        self.seen: Optional[tuple] = None

    def finished(self, job: Job) -> bool:
        if self.progress and (job.status, job.attempts) != self.seen:
            self.seen = (job.status, job.attempts)
            self.progress(job)
        if job.done:
            return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise TimeoutError(f"job {job.job_id} still {job.status} after {self.timeout} s")
        return False


class _API:
    """The API, as calls; `Client` runs them blocking, `AsyncClient` as coroutines."""

    def __init__(self, url: str = "http://localhost:8000", api_key: Optional[str] = None, timeout: float = 120.0,
                 retries: int = 3, max_retry_wait: float = 60.0):
        self.url = url.rstrip("/")
        self.retries = retries
        self.max_retry_wait = max_retry_wait
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout

    def __repr__(self) -> str:  # never the key
        return f"{type(self).__name__}({self.url!r}, api_key={'***' if self._headers else None})"

    def _run(self, call: _Call) -> Any:
        raise NotImplementedError

    def _wait_seconds(self, attempt: int, response: Optional[httpx.Response]) -> float:
        after = retry_after_seconds(response.headers.get("retry-after")) if response is not None else None
        return min(self.max_retry_wait, after if after is not None else 0.5 * 2 ** attempt)

    @staticmethod
    def _answer(response: httpx.Response, parse: Callable[[Any], Any]) -> Any:
        if response.is_success:
            return parse(response.json())
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise VisionAPIError(response.status_code, str(detail),
                             retry_after_seconds(response.headers.get("retry-after")))

    # Inference, one method per model type.

    def _inference(self, model_type: str, images: Any, fields: Mapping[str, Any],
                   parse: Callable[[Any, list], Any]) -> Any:
        encoded = [image_inputs.encode(i) for i in _image_list(images)]
        body = dict(DEFAULTS.get(model_type, {}))
        body.update(_body(**fields))
        body["images"] = [e[0] for e in encoded]
        sizes = [e[1] for e in encoded]
        return self._run(_Call("POST", ROUTES[model_type], body, lambda j: parse(j, sizes)))

    def sam3(self, images: Any, prompts: Union[str, Sequence[str], Sequence[Sequence[str]], None] = None, *,
             boxes: Optional[Sequence[Any]] = None, box_labels: Optional[Sequence[Any]] = None,
             threshold: Optional[float] = None, mask_threshold: Optional[float] = None,
             resolve_overlaps: Union[bool, Sequence[float], None] = None, output_format: Optional[str] = None,
             model_id: Optional[str] = None, **fields: Any) -> SAM3Result:
        """Instance segmentation from text prompts and/or box exemplars: `result.images[i][j].masks` is
        (N, H, W) bool for image i, prompt j. `prompts`: one list for every image, or one list per
        image. `boxes`: [[x1, y1, x2, y2], ...] in pixels for every image, or one such list per image
        (None for none), with `box_labels` 1 (positive) / 0 (negative); without prompts an image's
        one entry is the prompt "visual"."""
        return self._inference("sam3", images, dict(
            prompts=prompts, boxes=boxes, box_labels=box_labels, threshold=threshold, mask_threshold=mask_threshold,
            resolve_overlaps=resolve_overlaps, output_format=output_format, model_id=model_id, **fields),
            SAM3Result.from_json)

    def sam2(self, images: Any, objects: Sequence[Any], *, best_mask_only: Optional[bool] = None,
             mask_threshold: Optional[float] = None, output_format: Optional[str] = None,
             model_id: Optional[str] = None, **fields: Any) -> SAM2Result:
        """Click-to-segment: `objects` is one list for every image, or one list per image, of
        {"points": [[x, y], ...], "labels": [1 or 0, ...], "box": [x1, y1, x2, y2]} (points, a box, or
        both, in pixels). `result.images[i].objects[k].masks` is (3, H, W) bool with their predicted
        IoU in `scores`; the server keeps each image's embedding, so the next click on the same image
        runs only the decoder (`images[i].embedding_cached`)."""
        return self._inference("sam2", images, dict(
            objects=objects, best_mask_only=best_mask_only, mask_threshold=mask_threshold,
            output_format=output_format, model_id=model_id, **fields), SAM2Result.from_json)

    def grounding_dino(self, images: Any, prompts: Union[str, Sequence[str]], *, box_threshold: Optional[float] = None,
                       text_threshold: Optional[float] = None, model_id: Optional[str] = None,
                       **fields: Any) -> DetectionResult:
        """Open-vocabulary detection: per image scores, labels and (N, 4) boxes."""
        return self._inference("grounding_dino", images, dict(
            prompts=prompts, box_threshold=box_threshold, text_threshold=text_threshold, model_id=model_id, **fields),
            lambda j, _: DetectionResult.from_json(j))

    def depth_anything(self, images: Any, *, depth_format: Optional[str] = None, export_format: Optional[str] = None,
                       include_confidence: Optional[bool] = None, extrinsics: Any = None, intrinsics: Any = None,
                       scene: Optional[bool] = None, focal_length: Optional[float] = None,
                       model_id: Optional[str] = None, **fields: Any) -> DepthResult:
        """Depth per image as (H, W) float32 (exact with the default float32 transfer); Depth
        Anything 3 adds confidence, camera and, with `export_format` ply/glb/npz, the file's bytes.
        Known cameras (Depth Anything 3): `extrinsics` (N, 4, 4) or (N, 3, 4) world-to-camera and
        `intrinsics` (N, 3, 3) in the images' pixels, arrays or nested lists, one per image.
        `scene=False` runs each image alone; `focal_length` (pixels) gives the metric preset metres."""
        def matrices(m: Any) -> Any:
            return None if m is None else np.asarray(m, dtype=np.float64).tolist()
        return self._inference("depth_anything", images, dict(
            depth_format=depth_format, export_format=export_format, include_confidence=include_confidence,
            extrinsics=matrices(extrinsics), intrinsics=matrices(intrinsics), scene=scene, focal_length=focal_length,
            model_id=model_id, **fields),
            lambda j, _: DepthResult.from_json(j))

    def dinov3(self, images: Any, *, tensor_format: Optional[str] = None, model_id: Optional[str] = None,
               **fields: Any) -> Features:
        """DINOv3 features: last_hidden_state (B, tokens, D), pooler_output (B, D)."""
        return self._inference("dinov3", images, dict(tensor_format=tensor_format, model_id=model_id, **fields),
                               lambda j, _: Features.from_json(j))

    def image_classification(self, images: Any, *, top_k: Optional[int] = None,
                             function_to_apply: Optional[str] = None, model_id: Optional[str] = None,
                             **fields: Any) -> ClassificationResult:
        """Labels and scores per image, best first."""
        return self._inference("image_classification", images, dict(
            top_k=top_k, function_to_apply=function_to_apply, model_id=model_id, **fields),
            lambda j, _: ClassificationResult.from_json(j))

    def object_detection(self, images: Any, *, threshold: Optional[float] = None, model_id: Optional[str] = None,
                         **fields: Any) -> DetectionResult:
        """DETR-style detection: per image scores, labels and (N, 4) boxes."""
        return self._inference("object_detection", images, dict(threshold=threshold, model_id=model_id, **fields),
                               lambda j, _: DetectionResult.from_json(j))

    def embeddings(self, images: Any = None, texts: Union[str, Sequence[str], None] = None, *,
                   encoding_format: Optional[str] = None, model_id: Optional[str] = None, **fields: Any) -> Embeddings:
        """Images and/or texts to L2-normalised float32 vectors in one space (CLIP):
        `.images` (N, D), `.texts` (M, D), `.similarity()` (N, M) logits as zero-shot scores them."""
        if isinstance(texts, str):
            texts = [texts]
        encoded = [image_inputs.encode(i) for i in _image_list(images)] if images is not None else []
        body = dict(DEFAULTS["embeddings"])
        body.update(_body(texts=texts, encoding_format=encoding_format, model_id=model_id, **fields))
        if encoded:
            body["images"] = [e[0] for e in encoded]
        return self._run(_Call("POST", ROUTES["embeddings"], body, lambda j: Embeddings.from_json(j)))

    # Jobs.

    def submit(self, model_type: str, images: Any, *, callback_url: Optional[str] = None,
               idempotency_key: Optional[str] = None, **fields: Any) -> Job:
        """Queues a job with the body `model_type`'s method would send (images encoded the same way).
        Every submit carries an `Idempotency-Key` (a new UUID unless given), so the retries of a submit
        through a database outage (503) or a dropped connection never make a second job."""
        model_type = model_type.replace("-", "_")
        body = dict(DEFAULTS.get(model_type, {}))
        body.update(_body(callback_url=callback_url, **fields))
        body["images"] = [image_inputs.encode(i)[0] for i in _image_list(images)]
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        return self._run(_Call("POST", f"/jobs/submit/{model_type}", body, Job.from_json, headers))

    def job(self, job_id: str) -> Job:
        return self._run(_Call("GET", f"/jobs/{job_id}", parse=Job.from_json))

    def cancel(self, job_id: str) -> Any:
        return self._run(_Call("DELETE", f"/jobs/{job_id}"))

    def jobs(self, *, status: Optional[str] = None, model_type: Optional[str] = None, limit: Optional[int] = None,
             offset: Optional[int] = None) -> Any:
        query = "&".join(f"{k}={v}" for k, v in _body(status=status, model_type=model_type, limit=limit,
                                                         offset=offset).items())
        return self._run(_Call("GET", "/jobs" + (f"?{query}" if query else "")))

    @staticmethod
    def parse_result(job: Job) -> Any:
        """A finished job's result as the model type's typed result; `JobFailed` if it did not complete."""
        if job.status != "completed":
            raise JobFailed(job)
        parse = PARSERS.get(job.model_type)
        return parse(job.result) if parse else job.result

    # Models and the server.

    def health(self) -> Any:
        return self._run(_Call("GET", "/health"))

    def models_status(self) -> Any:
        return self._run(_Call("GET", "/models/status"))

    def models_cache(self) -> Any:
        """The repositories in the server's Hugging Face cache."""
        return self._run(_Call("GET", "/models/cache"))

    def load_model(self, model_type: str, model_id: Optional[str] = None, *, device: Optional[str] = None,
                   variant: Optional[str] = None) -> Any:
        return self._run(_Call("POST", "/models/load", _body(model_type=model_type, model_id=model_id, device=device,
                                                              variant=variant)))

    def unload_model(self, model_type: str) -> Any:
        return self._run(_Call("POST", "/models/unload", {"model_type": model_type}))


class Client(_API):
    """Blocking client. `Client(url, api_key=None, timeout=120.0, retries=3)`; use as a context manager
    or call `close()`."""

    def __init__(self, url: str = "http://localhost:8000", api_key: Optional[str] = None, timeout: float = 120.0,
                 retries: int = 3, max_retry_wait: float = 60.0, transport: Optional[httpx.BaseTransport] = None):
        super().__init__(url, api_key, timeout, retries, max_retry_wait)
        self._http = httpx.Client(base_url=self.url, headers=self._headers, timeout=timeout, transport=transport)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _run(self, call: _Call) -> Any:
        for attempt in range(self.retries + 1):
            try:
                response = self._http.request(call.method, call.path, json=call.body, headers=call.headers)
            except httpx.TransportError as error:
                if attempt == self.retries or not call.may_resend(error):
                    raise
                time.sleep(self._wait_seconds(attempt, None))
                continue
            if response.status_code in (429, 503) and attempt < self.retries:
                time.sleep(self._wait_seconds(attempt, response))
                continue
            return self._answer(response, call.parse)

    def wait(self, job_id: str, *, timeout: Optional[float] = None, poll: float = 0.5,
             progress: Optional[Callable[[Job], None]] = None) -> Job:
        """Polls until the job is done (completed, failed or cancelled); `progress(job)` on each change
        of status or attempts. `TimeoutError` after `timeout` seconds."""
        waiter = _Waiter(timeout, progress)
        while True:
            job = self.job(job_id)
            if waiter.finished(job):
                return job
            time.sleep(poll)

    def result(self, job_id: str, *, timeout: Optional[float] = None, progress: Optional[Callable[[Job], None]] = None):
        """Waits for the job and returns its typed result (`JobFailed` if it failed or was cancelled)."""
        return self.parse_result(self.wait(job_id, timeout=timeout, progress=progress))


class AsyncClient(_API):
    """The same API as coroutines: `await client.sam3(...)`. Use `async with` or `await aclose()`."""

    def __init__(self, url: str = "http://localhost:8000", api_key: Optional[str] = None, timeout: float = 120.0,
                 retries: int = 3, max_retry_wait: float = 60.0, transport: Optional[httpx.AsyncBaseTransport] = None):
        super().__init__(url, api_key, timeout, retries, max_retry_wait)
        self._http = httpx.AsyncClient(base_url=self.url, headers=self._headers, timeout=timeout, transport=transport)

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _run(self, call: _Call) -> Any:
        for attempt in range(self.retries + 1):
            try:
                response = await self._http.request(call.method, call.path, json=call.body, headers=call.headers)
            except httpx.TransportError as error:
                if attempt == self.retries or not call.may_resend(error):
                    raise
                await asyncio.sleep(self._wait_seconds(attempt, None))
                continue
            if response.status_code in (429, 503) and attempt < self.retries:
                await asyncio.sleep(self._wait_seconds(attempt, response))
                continue
            return self._answer(response, call.parse)

    async def wait(self, job_id: str, *, timeout: Optional[float] = None, poll: float = 0.5,
                   progress: Optional[Callable[[Job], None]] = None) -> Job:
        """As `Client.wait`."""
        waiter = _Waiter(timeout, progress)
        while True:
            job = await self.job(job_id)
            if waiter.finished(job):
                return job
            await asyncio.sleep(poll)

    async def result(self, job_id: str, *, timeout: Optional[float] = None,
                     progress: Optional[Callable[[Job], None]] = None):
        return self.parse_result(await self.wait(job_id, timeout=timeout, progress=progress))
