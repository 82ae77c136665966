"""Python client for vision-models-api: results as numpy arrays.

    from vision_models_client import Client
    with Client("http://localhost:8000") as client:
        result = client.sam3("photo.jpg", ["cat"])
        masks = result.images[0][0].masks   # (N, H, W) bool
"""
from .client import AsyncClient, Client, JobFailed, VisionAPIError
from .results import (Classification, ClassificationResult, DepthMap, DepthResult, DetectionResult, Detections,
                      Features, Job, PromptMasks, SAM3Result)

__version__ = "0.1.0"

__all__ = ["Client", "AsyncClient", "VisionAPIError", "JobFailed", "SAM3Result", "PromptMasks", "DetectionResult",
           "Detections", "DepthResult", "DepthMap", "Features", "ClassificationResult", "Classification", "Job"]
