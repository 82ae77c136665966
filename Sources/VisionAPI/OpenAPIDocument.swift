import Foundation

/// The OpenAPI 3.1 description of every route (a test checks it against the router) and the
/// Swagger UI page that renders it.
enum OpenAPIDocument {
    static func json(version: String, modelTypes: [String]) -> [UInt8] {
        let data = try! JSONSerialization.data(withJSONObject: document(version: version, modelTypes: modelTypes),
                                               options: [.sortedKeys])
        return [UInt8](data)
    }

    private static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    private static func jsonContent(_ schema: [String: Any]) -> [String: Any] {
        ["application/json": ["schema": schema]]
    }

    private static func errors(_ codes: [Int]) -> [String: Any] {
        let text: [Int: String] = [
            400: "Bad input (invalid base64, refused URL, unknown model type, ...)",
            404: "Model not in the cache", 413: "Body or image too large", 415: "Not a decodable image",
            422: "Body does not match the schema", 429: "Overloaded; see Retry-After",
            500: "Server fault", 503: "Starting or stopping",
        ]
        var out: [String: Any] = [:]
        for code in codes {
            out[String(code)] = ["description": text[code] ?? "Error", "content": jsonContent(ref("Error"))]
        }
        return out
    }

    private static func operation(_ summary: String, request: String? = nil, response: String,
                                  errorCodes: [Int] = [500], tag: String) -> [String: Any] {
        var op: [String: Any] = [
            "summary": summary, "tags": [tag],
            "responses": errors(errorCodes).merging(["200": ["description": "OK", "content": jsonContent(ref(response))]]) { a, _ in a },
        ]
        if let request {
            op["requestBody"] = ["required": true, "content": jsonContent(ref(request))]
        }
        return op
    }

    private static func jobOperation(_ summary: String, request: String? = nil, response: String, errorCodes: [Int],
                                     parameters: [[String: Any]]) -> [String: Any] {
        var op = operation(summary, request: request, response: response, errorCodes: errorCodes + [500], tag: "jobs")
        op["parameters"] = parameters
        return op
    }

    private static func pathParameter(_ name: String) -> [String: Any] {
        ["name": name, "in": "path", "required": true, "schema": ["type": "string"]]
    }

    private static func queryParameter(_ name: String, integer: Bool = false) -> [String: Any] {
        ["name": name, "in": "query", "required": false, "schema": ["type": integer ? "integer" : "string"]]
    }

    static func document(version: String, modelTypes: [String]) -> [String: Any] {
        let imageInput: [String: Any] = [
            "description": "A base64 string, a data: URI, an http(s) URL, or {data, format}",
            "oneOf": [
                ["type": "string"],
                ["type": "object", "required": ["data"], "properties": [
                    "data": ["type": "string"], "format": ["type": "string", "enum": ["base64", "url"]],
                ]],
            ],
        ]
        let tensor: [String: Any] = [
            "description": "Nested lists (tensor_format=list) or base64 little-endian float32 (tensor_format=base64)",
            "oneOf": [
                ["type": "array", "items": [:]],
                ["type": "object", "properties": [
                    "dtype": ["type": "string"], "shape": ["type": "array", "items": ["type": "integer"]],
                    "encoding": ["type": "string"], "data": ["type": "string"],
                ]],
            ],
        ]
        let schemas: [String: Any] = [
            "Error": ["type": "object", "required": ["detail"], "properties": ["detail": ["type": "string"]]],
            "Root": ["type": "object", "properties": [
                "name": ["type": "string"], "version": ["type": "string"], "docs": ["type": "string"],
                "openapi": ["type": "string"],
            ]],
            "Health": ["type": "object", "properties": [
                "status": ["type": "string"], "loaded_models": ["type": "array", "items": ["type": "string"]],
                "available_memory_gb": ["type": ["number", "null"]], "gpu_available": ["type": "boolean"],
                "resident_memory_mb": ["type": ["number", "null"], "description": "This process's resident memory"],
                "devices": ["type": "array", "items": ["type": "string"]], "onnxruntime_version": ["type": "string"],
                "version": ["type": "string"],
            ]],
            "ModelInstance": ["type": "object", "properties": [
                "model_type": ["type": "string"], "model_id": ["type": "string"], "device": ["type": "string"],
                "loaded": ["type": "boolean"], "loading": ["type": "boolean"],
                "state": ["type": "string", "enum": ["absent", "downloading", "loading", "ready", "failed"]],
                "memory_mb": ["type": "number", "description": "Measured resident memory the load added"],
                "load_time": ["type": "number"], "idle_seconds": ["type": "number"], "error": ["type": "string"],
                "downloads": ["type": "array", "items": ["type": "object", "properties": [
                    "file": ["type": "string"], "bytes_done": ["type": "integer"],
                    "bytes_total": ["type": ["integer", "null"]],
                ]]],
            ]],
            "ModelStatus": ["type": "object", "properties": [
                "models": ["type": "object", "description": "Per model type, as the original",
                           "additionalProperties": ref("ModelInstance")],
                "instances": ["type": "array", "items": ref("ModelInstance")],
                "total_memory_mb": ["type": "number"],
            ]],
            "Status": ["type": "object", "properties": ["status": ["type": "string"]]],
            "LoadRequest": ["type": "object", "required": ["model_type"], "properties": [
                "model_type": ["type": "string", "enum": modelTypes], "model_id": ["type": "string"],
                "device": ["type": "string", "enum": ["cpu", "cuda"]], "variant": ["type": "string"],
            ]],
            "LoadResponse": ["type": "object", "properties": [
                "status": ["type": "string"], "model_type": ["type": "string"], "model_id": ["type": "string"],
                "device": ["type": "string"], "memory_mb": ["type": "number"], "load_time": ["type": "number"],
            ]],
            "UnloadRequest": ["type": "object", "description": "model_type (all models of that type) or model_id",
                              "properties": [
                                  "model_type": ["type": "string", "enum": modelTypes], "model_id": ["type": "string"],
                              ]],
            "UnloadResponse": ["type": "object", "properties": [
                "status": ["type": "string"], "model_type": ["type": "string"], "model_id": ["type": "string"],
                "unloaded": ["type": "array", "items": ["type": "string"]],
            ]],
            "UnloadAllResponse": ["type": "object", "properties": [
                "status": ["type": "string"], "model_types": ["type": "array", "items": ["type": "string"]],
            ]],
            "ImageInput": imageInput,
            "Tensor": tensor,
            "DINOv3Request": ["type": "object", "required": ["images"], "properties": [
                "images": ["type": "array", "items": ref("ImageInput"), "minItems": 1],
                "model_id": ["type": "string", "description": "Hub id, optionally @revision"],
                "variant": ["type": "string", "description": "ONNX variant: fp16, quantized, ..."],
                "device": ["type": "string", "enum": ["cpu", "cuda"]],
                "tensor_format": ["type": "string", "enum": ["list", "base64"], "default": "list"],
            ]],
            "DepthAnythingRequest": ["type": "object", "required": ["images"], "properties": [
                "images": ["type": "array", "items": ref("ImageInput"), "minItems": 1],
                "model_id": ["type": "string", "description": "Hub id of a Depth Anything V2 or 3 export, optionally @revision"],
                "variant": ["type": "string"], "device": ["type": "string", "enum": ["cpu", "cuda"]],
                "depth_format": ["type": "string", "enum": ["png8", "png16", "float32"], "default": "png8"],
                "export_format": ["type": "string", "enum": ["glb", "npz", "ply", "gs_ply", "gs_video"],
                                  "description": "Depth Anything 3: ply, glb (point clouds) or npz; gs_* and any "
                                  + "format on Depth Anything V2 are a 400 naming what is offered"],
                "include_confidence": ["type": "boolean", "default": true,
                                       "description": "Depth Anything 3: return the confidence map too"],
            ]],
            "EncodedMap": ["type": "object", "properties": [
                "data": ["type": "string"], "format": ["type": "string"], "min": ["type": "number"],
                "max": ["type": "number"], "scale": ["type": "number"], "offset": ["type": "number"],
            ]],
            "DepthExport": ["type": "object", "properties": [
                "format": ["type": "string", "enum": ["ply", "glb", "npz"]],
                "media_type": ["type": "string"], "points": ["type": "integer"],
                "data": ["type": "string", "description": "base64 file"],
            ]],
            "DepthResult": ["type": "object", "properties": [
                "depth_data": ["type": "string", "description": "base64 PNG (png8/png16) or little-endian float32 H×W"],
                "format": ["type": "string", "enum": ["png_base64", "png16_base64", "float32_base64"]],
                "metadata": ["type": "object", "properties": [
                    "shape": ["type": "array", "items": ["type": "integer"]], "depth_type": ["type": "string"],
                    "min": ["type": "number"], "max": ["type": "number"],
                    "scale": ["type": "number", "description": "png16: value = pixel * scale + offset"],
                    "offset": ["type": "number"],
                    "original_shape": ["type": "array", "items": ["type": "integer"]],
                    "intrinsics": ["type": "array", "description": "Depth Anything 3: 3×3, processed-image pixels"],
                    "extrinsics": ["type": "array", "description": "Depth Anything 3: 3×4 world-to-camera [R|t]"],
                ]],
                "confidence": ref("EncodedMap"), "export": ref("DepthExport"),
            ]],
            "DepthAnythingResponse": ["type": "object", "description": "The first image's fields, and results for every image",
                                      "properties": [
                                          "depth_data": ["type": "string"], "format": ["type": "string"],
                                          "metadata": ["type": "object"],
                                          "results": ["type": "array", "items": ref("DepthResult")],
                                          "model_id": ["type": "string"], "processing_time": ["type": "number"],
                                      ]],
            "DINOv3Response": ["type": "object", "properties": [
                "features": ["type": "object", "properties": [
                    "last_hidden_state": ref("Tensor"), "pooler_output": ref("Tensor"),
                    "last_hidden_state_shape": ["type": "array", "items": ["type": "integer"]],
                    "pooler_output_shape": ["type": "array", "items": ["type": "integer"]],
                ]],
                "model_id": ["type": "string"], "processing_time": ["type": "number"],
                "tensor_format": ["type": "string"],
            ]],
            "Job": ["type": "object", "properties": [
                "job_id": ["type": "string"],
                "status": ["type": "string", "enum": ["pending", "running", "completed", "failed", "cancelled"]],
                "model_type": ["type": "string"], "created_at": ["type": "string", "format": "date-time"],
                "started_at": ["type": ["string", "null"]], "completed_at": ["type": ["string", "null"]],
                "processing_time": ["type": ["number", "null"]], "attempts": ["type": "integer"],
                "result": ["description": "The inference response (GET /jobs/{job_id} only)"],
                "error": ["type": ["string", "null"]],
            ]],
            "JobList": ["type": "object", "properties": [
                "jobs": ["type": "array", "items": ref("Job")], "total": ["type": "integer"],
                "limit": ["type": "integer"], "offset": ["type": "integer"],
            ]],
            "JobSubmission": ["type": "object", "description": "The model type's inference request (e.g. "
                              + "SAM3Request), optionally with callback_url: a URL POSTed the finished job (through "
                              + "the image URL guard)"],
            "SAM3Request": ["type": "object", "required": ["images", "prompts"], "properties": [
                "images": ["type": "array", "items": ref("ImageInput"), "minItems": 1],
                "prompts": ["description": "One list shared by every image, or one list per image",
                            "oneOf": [["type": "array", "items": ["type": "string"]],
                                      ["type": "array", "items": ["type": "array", "items": ["type": "string"]]]]],
                "threshold": ["type": "number", "default": 0.5], "mask_threshold": ["type": "number", "default": 0.5],
                "resolve_overlaps": ["description": "false, true, or one weight per prompt: each pixel goes to the "
                                     + "instance with the highest score × weight",
                                     "oneOf": [["type": "boolean"], ["type": "array", "items": ["type": "number"]]]],
                "output_format": ["type": "string", "enum": ["rle", "polygons", "dense", "coco_rle", "png"],
                                  "default": "rle"],
                "model_id": ["type": "string"], "variant": ["type": "string"],
                "device": ["type": "string", "enum": ["cpu", "cuda"]],
            ]],
            "SAM3Response": ["type": "object", "properties": [
                "results": ["type": "array", "description": "results[image][prompt]",
                            "items": ["type": "array", "items": ["type": "object", "properties": [
                                "prompt_index": ["type": "integer"], "prompt": ["type": "string"],
                                "result": ["type": "object", "description": "scores, boxes [x1,y1,x2,y2], and "
                                           + "masks_rle | masks_polygon | masks | masks_coco_rle | masks_png"],
                            ]]]],
                "model_id": ["type": "string"], "processing_time": ["type": "number"],
            ]],
            "GroundingDINORequest": ["type": "object", "required": ["images", "prompts"], "properties": [
                "images": ["type": "array", "items": ref("ImageInput"), "minItems": 1],
                "prompts": ["type": "array", "items": ["type": "string"],
                            "description": "Phrases; each lower-cased, a trailing '.' dropped, '.' appended, joined"],
                "box_threshold": ["type": "number", "default": 0.4], "text_threshold": ["type": "number", "default": 0.3],
                "model_id": ["type": "string"], "variant": ["type": "string"],
                "device": ["type": "string", "enum": ["cpu", "cuda"]],
            ]],
            "Detections": ["type": "object", "properties": [
                "scores": ["type": "array", "items": ["type": "number"]],
                "labels": ["type": "array", "items": ["type": "string"], "description": "The matched phrase text"],
                "boxes": ["type": "array", "items": ["type": "array", "items": ["type": "number"]],
                          "description": "[x1, y1, x2, y2] in original-image pixels"],
            ]],
            "GroundingDINOResponse": ["type": "object", "properties": [
                "results": ["type": "array", "items": ref("Detections")],
                "model_id": ["type": "string"], "processing_time": ["type": "number"],
            ]],
            "ZeroShotDetectionRequest": ["type": "object", "description": "Hugging Face task form; also accepts "
                                         + "image/candidate_labels/threshold/top_k at the top level",
                                         "properties": [
                "inputs": ref("ImageInput"),
                "parameters": ["type": "object", "properties": [
                    "candidate_labels": ["type": "array", "items": ["type": "string"]],
                    "threshold": ["type": "number", "default": 0.1], "top_k": ["type": "integer"],
                ]],
                "model_id": ["type": "string"],
            ]],
            "ZeroShotDetectionResponse": ["type": "array", "items": ["type": "object", "properties": [
                "label": ["type": "string"], "score": ["type": "number"],
                "box": ["type": "object", "properties": [
                    "xmin": ["type": "integer"], "ymin": ["type": "integer"],
                    "xmax": ["type": "integer"], "ymax": ["type": "integer"],
                ]],
            ]]],
        ]
        let paths: [String: Any] = [
            "/": ["get": operation("Service name and version", response: "Root", tag: "system")],
            "/health": ["get": operation("Health, loaded models, memory and GPU", response: "Health", tag: "system")],
            "/health/live": ["get": operation("Liveness: the process answers", response: "Status", tag: "system")],
            "/health/ready": ["get": operation("Readiness: preloads done and the engine works", response: "Status",
                                               errorCodes: [503], tag: "system")],
            "/openapi.json": ["get": ["summary": "This document", "tags": ["system"],
                                      "responses": ["200": ["description": "OpenAPI 3.1 document"]]]],
            "/docs": ["get": ["summary": "Interactive API docs (Swagger UI)", "tags": ["system"],
                              "responses": ["200": ["description": "HTML page", "content": ["text/html": [:]]]]]],
            "/models/status": ["get": operation("Per model type: model id, device, loaded, memory", response: "ModelStatus", tag: "models")],
            "/models/load": ["post": operation("Load a model now (models also load on first use)", request: "LoadRequest",
                                               response: "LoadResponse", errorCodes: [400, 404, 422, 500], tag: "models")],
            "/models/unload": ["post": operation("Unload a model type", request: "UnloadRequest", response: "UnloadResponse",
                                                 errorCodes: [400, 422], tag: "models")],
            "/models/unload-all": ["post": operation("Unload every model", response: "UnloadAllResponse", tag: "models")],
            "/inference/depth-anything": ["post": operation("Depth maps (Depth Anything V2 and 3), one per image",
                                                            request: "DepthAnythingRequest", response: "DepthAnythingResponse",
                                                            errorCodes: [400, 404, 413, 415, 422, 429, 500, 503],
                                                            tag: "inference")],
            "/jobs/submit/{model_type}": ["post": jobOperation(
                "Queue an inference request (validated now; images stored with the job). Idempotency-Key header: "
                + "the same key returns the same job", request: "JobSubmission", response: "Job",
                errorCodes: [400, 403, 413, 415, 422, 429, 500], parameters: [pathParameter("model_type")])],
            "/jobs/{job_id}": [
                "get": jobOperation("A job, with its result once completed", response: "Job", errorCodes: [404],
                                    parameters: [pathParameter("job_id")]),
                "delete": jobOperation("Cancel a pending job; ask a running one to stop at its next safe point; "
                                       + "delete a finished one", response: "Job", errorCodes: [404],
                                       parameters: [pathParameter("job_id")]),
            ],
            "/jobs": ["get": jobOperation("Jobs, newest first, without results", response: "JobList", errorCodes: [400],
                                          parameters: [queryParameter("status"), queryParameter("model_type"),
                                                       queryParameter("limit", integer: true),
                                                       queryParameter("offset", integer: true)])],
            "/metrics": ["get": ["summary": "Prometheus metrics: SAM3 embedding cache; jobs by status, finished jobs, run times",
                                 "tags": ["system"],
                                 "responses": ["200": ["description": "text/plain; version=0.0.4",
                                                       "content": ["text/plain": [:]]]]]],
            "/inference/sam3": ["post": operation("Text-prompted instance segmentation (SAM3)",
                                                  request: "SAM3Request", response: "SAM3Response",
                                                  errorCodes: [400, 404, 413, 415, 422, 429, 500, 503], tag: "inference")],
            "/inference/grounding-dino": ["post": operation("Open-vocabulary detection (all images as one batch)",
                                                            request: "GroundingDINORequest", response: "GroundingDINOResponse",
                                                            errorCodes: [400, 404, 413, 415, 422, 429, 500, 503],
                                                            tag: "inference")],
            "/inference/zero-shot-object-detection": ["post": operation(
                "GroundingDINO in the Hugging Face zero-shot-object-detection task form",
                request: "ZeroShotDetectionRequest", response: "ZeroShotDetectionResponse",
                errorCodes: [400, 404, 413, 415, 422, 429, 500, 503], tag: "inference")],
            "/inference/dinov3": ["post": operation("DINOv3 features (all images as one batch)", request: "DINOv3Request",
                                                    response: "DINOv3Response",
                                                    errorCodes: [400, 404, 413, 415, 422, 429, 500, 503], tag: "inference")],
        ]
        return [
            "openapi": "3.1.0",
            "info": ["title": "Vision Models API", "version": version,
                     "description": "Hugging Face vision foundation models over HTTP, on ONNX Runtime."],
            "paths": paths,
            "components": ["schemas": schemas],
        ]
    }

    static let swaggerPage = """
    <!doctype html>
    <html lang="en">
    <head>
      <meta charset="utf-8">
      <title>Vision Models API</title>
      <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
    </head>
    <body>
      <div id="swagger-ui"></div>
      <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
      <script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});</script>
      <noscript>The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
    </body>
    </html>
    """
}
