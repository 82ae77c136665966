"""The original stack, for comparison: a small FastAPI + transformers (PyTorch) server answering
`POST /inference/dinov3` as the original Python server did (PIL decode, the transformers image
processor, the PyTorch model, nested-list JSON).

    python3 bench/original_server.py <transformers_model_folder> <port>
"""
import base64
import io
import sys
import time

import torch
import uvicorn
from fastapi import FastAPI, HTTPException
from PIL import Image
from pydantic import BaseModel
from transformers import AutoImageProcessor, AutoModel

folder, port = sys.argv[1], int(sys.argv[2])
processor = AutoImageProcessor.from_pretrained(folder)
model = AutoModel.from_pretrained(folder).eval()
app = FastAPI(title="Vision Models API (original stack)")


class DINOv3Request(BaseModel):
    images: list[str]
    model_id: str | None = None


def decode(item: str) -> Image.Image:
    if item.startswith("data:"):
        item = item.split(",", 1)[1]
    try:
        return Image.open(io.BytesIO(base64.b64decode(item))).convert("RGB")
    except Exception as e:  # noqa: BLE001
        raise HTTPException(status_code=400, detail=f"Invalid image: {e}")


@app.get("/health")
def health():
    return {"status": "healthy", "loaded_models": ["dinov3"]}


@app.post("/inference/dinov3")
def dinov3(request: DINOv3Request):
    start = time.time()
    images = [decode(i) for i in request.images]
    inputs = processor(images=images, return_tensors="pt")
    with torch.no_grad():
        out = model(**inputs)
    return {
        "features": {
            "last_hidden_state": out.last_hidden_state.tolist(),
            "pooler_output": out.pooler_output.tolist(),
            "last_hidden_state_shape": list(out.last_hidden_state.shape),
            "pooler_output_shape": list(out.pooler_output.shape),
        },
        "model_id": request.model_id or folder,
        "processing_time": time.time() - start,
    }


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
