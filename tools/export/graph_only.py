"""Writes a graph WITHOUT weights for one architecture configuration, for the server to bind a
checkpoint's safetensors to at load (issue 26: the exporter makes graphs, the server binds weights).

    python3 tools/export/graph_only.py dinov3 <config.json> <output_folder> [--opset 17]

The model is built from the config with random weights and traced with constant folding off, so
every weight stays an initializer of its own; each initializer named by a state-dict key (the
key `save_pretrained` writes to model.safetensors) is turned into external data that is never
shipped: the graph holds the computation, the checkpoint the numbers. Buffers that are not in the
checkpoint (non-persistent ones such as RoPE tables) stay in the graph. Written beside the graph:
fingerprint.json, the config fields the graph was made for (every field but the ones that cannot
change a graph: ids, labels, dtype, versions), which the server matches a checkpoint's config.json
against. Checked before writing: the weightless graph, with the model's own weights bound through
onnxruntime's add_external_initializers, gives PyTorch's outputs.
"""
import argparse
import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from export import DepthAnythingWrapper, DINOv3Wrapper, image_size_from_processor  # noqa: E402

# Fields that never change a graph: names, labels, bookkeeping, training-only settings.
IGNORED = {"_name_or_path", "architectures", "dtype", "torch_dtype", "transformers_version", "id2label", "label2id",
           "initializer_range", "drop_path_rate", "attention_dropout", "hidden_dropout_prob",
           "attention_probs_dropout_prob", "out_features", "stage_names", "use_cache", "return_dict",
           "output_hidden_states", "output_attentions", "problem_type", "chunk_size_feed_forward", "is_encoder_decoder"}
# Training-only settings by name: losses, matching costs, dropout, initialisation, token ids.
TRAINING_ONLY = ("_cost", "_loss_coefficient", "dropout", "droppath", "init_std", "init_target", "focal_alpha",
                 "auxiliary_loss", "disable_custom_kernels", "_token_id", "is_decoder", "add_cross_attention",
                 "tie_word_embeddings")
# Ignored at the top level only: a model's own backbone outputs; a nested backbone's out_indices
# choose the layers its head reads.
TOP_LEVEL_IGNORED = {"out_indices"}

# Checkpoints that wrap the served model: the wrapper's architecture → the config field holding the
# served model's config, and the prefix of the served model's keys in such a checkpoint.
WRAPPERS = {"sam3": {"Sam3VideoModel": "detector_config"}, "sam2": {"Sam3VideoModel": "tracker_config"}}
KEY_PREFIXES = {"sam3": ["detector_model."], "sam2": []}
# The server family that serves a family's graphs (Depth Anything 3 is served as depth_anything).
SERVED_BY = {"depth_anything_3": "depth_anything"}
FAMILIES = ["depth_anything", "depth_anything_3", "dinov3", "grounding_dino", "sam2", "sam3"]


def fingerprint(config):
    """The fields config.json carries (save_pretrained drops those equal to the generic defaults),
    and the config class's default of each: a checkpoint's config.json written by another
    transformers version may omit a field, which then has its default."""
    from transformers import PretrainedConfig

    fields, defaults = {}, {}

    def walk(cfg, prefix):
        own = cfg.to_diff_dict()
        class_defaults = type(cfg)().to_dict()
        for key, value in sorted(own.items()):
            if (key in IGNORED or key.startswith("_") or (not prefix and key in TOP_LEVEL_IGNORED)
                    or any(part in key for part in TRAINING_ONLY)):
                continue
            nested = getattr(cfg, key, None)
            if isinstance(nested, PretrainedConfig):
                walk(nested, prefix + key + ".")
                continue
            fields[prefix + key] = value
            if key in class_defaults and not isinstance(class_defaults[key], dict):
                defaults[prefix + key] = class_defaults[key]

    walk(config, "")
    return fields, defaults


def randomized(model, seed, std):
    """Every weight drawn at random, so that no two are equal: the exporter merges initializers of
    equal values (all-ones norms, zero biases at init), which would leave one graph name for
    several checkpoint keys. Matrices and kernels ~ N(0, 1/fan_in) keep activations alive through
    deep stacks; scales (norm weights, layer scales) ~ 1 + N(0, std); other vectors ~ N(0, std)."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() >= 2:
                fan_in = max(1, parameter[0].numel())
                parameter.normal_(0.0, fan_in ** -0.5)
            elif any(part in name for part in ("norm", "lambda", "gamma", "scale")) and name.endswith(("weight", "lambda1", "gamma")):
                parameter.normal_(1.0, std)
            else:
                parameter.normal_(0.0, std)
    return model


class GraphSpec:
    """One graph of a family: the module traced, its inputs' and outputs' names, example inputs (the
    first traced, all checked), dynamic axes, the patches tracing needs and how outputs compare."""

    def __init__(self, wrapper, inputs, outputs, examples, axes, file="model.onnx", tracing=None, compare=None, opset=None,
                 references=None, prefix="model.", key_prefix="", finish=None, check_feeds=None, fuse_attention=False):
        self.wrapper, self.inputs, self.outputs, self.examples, self.axes = wrapper, inputs, outputs, examples, axes
        self.file, self.tracing, self.compare = file, tracing or contextlib.nullcontext, compare or compare_outputs
        self.opset = opset
        # The expected outputs of each example (default: the wrapper's, untraced).
        self.references = references
        # Initializer names are `prefix` + the name under the wrapper's module; `key_prefix` + that
        # name is the state-dict key of the whole model (a sub-network's graph).
        self.prefix, self.key_prefix = prefix, key_prefix
        # A rewrite of the stripped graph before its check (e.g. outputs computed on request), and
        # feeds the check adds.
        self.finish, self.check_feeds = finish, check_feeds or {}
        # The exporter's attention fusion (attention_fusion.py) after folding constant-only nodes.
        self.fuse_attention = fuse_attention


def compare_outputs(got, expected, tolerance):
    for got_one, want in zip(got, expected):
        diff = float(np.max(np.abs(got_one - want))) if want.size else 0.0
        print(f"    max |bound graph - torch| = {diff:.2e} on {list(want.shape)}")
        if got_one.shape != want.shape or diff > tolerance * max(1.0, float(np.max(np.abs(want)))):
            sys.exit(f"graph-only check failed: an output differs by {diff}")


def build(family, config_path):
    """The config, the randomly initialised model and the graphs it ships as."""
    from transformers import AutoConfig, AutoModel

    folder = os.path.dirname(os.path.abspath(config_path))
    if family == "depth_anything_3":
        return depth_anything_3_graphs(folder)
    config = AutoConfig.from_pretrained(config_path)

    def pixels(*shape):
        return torch.randn(*shape, generator=torch.Generator().manual_seed(1))

    if family == "dinov3":
        model = randomized(AutoModel.from_config(config).eval(), seed=0, std=0.02)
        h, w = image_size_from_processor(folder)
        names = ["last_hidden_state", "pooler_output"]
        return config, model, [GraphSpec(DINOv3Wrapper(model).eval(), ["pixel_values"], names, [(pixels(2, 3, h, w),)],
                                         {"pixel_values": {0: "batch_size"}, **{n: {0: "batch_size"} for n in names}},
                                         fuse_attention=True)]
    if family == "depth_anything":
        from transformers import AutoModelForDepthEstimation

        model = randomized(AutoModelForDepthEstimation.from_config(config).eval(), seed=0, std=0.02)
        # Any image size (multiples of 14): checked on three, the last the size a 640x480 image is served at.
        examples = [(pixels(*shape),) for shape in [(1, 3, 98, 126), (2, 3, 140, 84), (1, 3, 518, 686)]]
        axes = {"pixel_values": {0: "batch_size", 2: "height", 3: "width"},
                "predicted_depth": {0: "batch_size", 1: "height", 2: "width"}}
        return config, model, [GraphSpec(DepthAnythingWrapper(model).eval(), ["pixel_values"], ["predicted_depth"],
                                         examples, axes, fuse_attention=True)]
    if family == "grounding_dino":
        return (config,) + grounding_dino_graphs(config)
    if family == "sam3":
        return sam3_graphs(config)
    if family == "sam2":
        return sam2_graphs(config)
    sys.exit(f"graph-only export of {family} is not written yet")


def grounding_dino_graphs(config):
    """transformers' GroundingDinoForObjectDetection as grounding_dino_export.py traces it (any
    number of phrases, any image size); the example prompts are tokenized with the tiny fixture's
    BERT tokenizer (its ids are valid in the real vocabulary) and the images preprocessed at the
    official processor's sizes (800 shortest, 1333 longest)."""
    import grounding_dino_export as gd
    from transformers import AutoProcessor, GroundingDinoForObjectDetection

    model = randomized(GroundingDinoForObjectDetection(config).eval(), seed=0, std=0.02)
    processor = AutoProcessor.from_pretrained(os.path.join(ROOT, "Tests", "Fixtures", "models", "grounding-dino-tiny"))
    processor.image_processor.size = {"shortest_edge": 800, "longest_edge": 1333}
    cases = [([(800, 1066)], "a cat. a dog."), ([(1333, 800)], "remote control. a cat. a dog."),
             ([(837, 890), (800, 780)], "a dog. a red ball.")]
    examples = [tuple(gd.example_inputs(processor, sizes, text, seed)) for seed, (sizes, text) in enumerate(cases)]
    return model, [GraphSpec(gd.GraphWrapper(model).eval(), gd.INPUTS, gd.OUTPUTS, examples, gd.AXES,
                             tracing=gd.traceable, compare=gd.compare_outputs)]


def sam3_graphs(config):
    """SAM3's detector (transformers' Sam3Model) as the four graphs sam3_export.py writes:
    vision_encoder, text_encoder, decoder, box_decoder. A `sam3_video` config (facebook/sam3's) is
    served through its `detector_config`, its checkpoint keys under `detector_model.`. The example
    prompts are tokenized with the tiny fixture's CLIP tokenizer (its ids are valid in the real
    vocabulary); the decoders are checked on three prompts over one image's features, as served."""
    import sam3_export as s3
    from transformers import AutoTokenizer, Sam3Config, Sam3Model
    from transformers.models.sam3.modeling_sam3 import Sam3VisionEncoderOutput

    if getattr(config, "detector_config", None) is not None:
        config = config.detector_config
        config = Sam3Config(**config) if isinstance(config, dict) else config
    model = randomized(Sam3Model(config).eval(), seed=0, std=0.02)
    tokenizer = AutoTokenizer.from_pretrained(os.path.join(ROOT, "Tests", "Fixtures", "models", "sam3-tiny"))
    size = config.vision_config.backbone_config.image_size
    size = size if isinstance(size, int) else size[0]
    g = torch.Generator().manual_seed(1)

    def text(prompts):
        enc = tokenizer(prompts, padding="max_length", max_length=32, truncation=True, return_tensors="pt")
        return enc["input_ids"], enc["attention_mask"]

    levels = [f"fpn_hidden_states_{i}" for i in range(s3.LEVELS)] + [f"fpn_position_encoding_{i}" for i in range(s3.LEVELS)]
    batch = {n: {0: "batch_size"} for n in ["pixel_values", "input_ids", "attention_mask", "text_features"] + levels + s3.OUTPUTS}
    pixels = torch.randn(1, 3, size, size, generator=g)
    ids, mask = text(["a cat", "remote control", "the red ball on a table"])
    vision, text_encoder = s3.VisionEncoder(model).eval(), s3.TextEncoder(model).eval()
    with torch.no_grad():
        one = list(vision(pixels))
        text_features = text_encoder(ids, mask)
    # The decoders are traced on one prompt and checked on one and on three over the same image
    # features (expanded views, not copies: at 1008 px the features of three prompts take 1.5 GB).
    three = [f.expand(3, *f.shape[1:]) for f in one]
    boxes = [(torch.tensor([[[0.5, 0.5, 0.4, 0.3], [0.3, 0.6, 0.2, 0.2], [0.7, 0.3, 0.3, 0.5]]]), torch.tensor([[1, 0, 1]])),
             (torch.tensor([[[0.4, 0.4, 0.5, 0.5]]]), torch.tensor([[1]]))]
    box_axes = dict(batch, input_boxes={0: "batch_size", 1: "boxes"}, input_boxes_labels={0: "batch_size", 1: "boxes"})
    decoder_inputs = levels + ["text_features", "attention_mask"]
    specs = [
        GraphSpec(vision, ["pixel_values"], levels, [(pixels,)], batch, file="vision_encoder.onnx", fuse_attention=True),
        GraphSpec(text_encoder, ["input_ids", "attention_mask"], ["text_features"], [(ids, mask), (ids[:1], mask[:1])],
                  batch, file="text_encoder.onnx"),
        GraphSpec(s3.Decoder(model).eval(), decoder_inputs, s3.OUTPUTS,
                  [tuple(one) + (text_features[:1], mask[:1]), tuple(three) + (text_features, mask)], batch,
                  file="decoder.onnx", fuse_attention=True),
        GraphSpec(s3.BoxDecoder(model).eval(), decoder_inputs + ["input_boxes", "input_boxes_labels"], s3.OUTPUTS,
                  [tuple(one) + (text_features[i:i + 1], mask[i:i + 1], b, lab.long()) for i, (b, lab) in enumerate(boxes)],
                  box_axes, file="box_decoder.onnx", tracing=s3.traceable, opset=16, fuse_attention=True),
    ]
    return config, model, specs


def sam2_graphs(config):
    """Click-to-segment (transformers' Sam2Model) as the two graphs sam2_export.py writes in the
    onnx-community layout: vision_encoder and prompt_encoder_mask_decoder, the decoder checked on
    points, boxes and both, as served."""
    import sam2_export as s2
    from transformers import Sam2Model, Sam3TrackerModel

    # facebook/sam3's `sam3_video` config serves its tracker (tracker_config, over the detector's
    # backbone): Sam3TrackerModel reads it as it is.
    tracker = getattr(config, "tracker_config", None) is not None or config.model_type.startswith("sam3_tracker")
    model = randomized((Sam3TrackerModel if tracker else Sam2Model)(config).eval(), seed=0, std=0.02)
    if getattr(config, "tracker_config", None) is not None:
        config = model.config
    size = model.config.prompt_encoder_config.image_size
    names = [f"image_embeddings.{i}" for i in range(3)]
    pixels = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    vision = s2.VisionEncoder(model).eval()
    with torch.no_grad():
        embeddings = tuple(vision(pixels))
    prompts = ["input_points", "input_labels", "input_boxes"]
    axes = dict({n: {0: "batch_size"} for n in ["pixel_values"] + names},
                input_points={0: "batch_size", 1: "point_batch_size", 2: "num_points"},
                input_labels={0: "batch_size", 1: "point_batch_size", 2: "num_points"},
                input_boxes={0: "batch_size", 1: "num_boxes"},
                **{n: {0: "batch_size", 1: "point_batch_size"} for n in s2.OUTPUTS})
    specs = [
        GraphSpec(vision, ["pixel_values"], names, [(pixels,)], axes, file="vision_encoder.onnx", fuse_attention=True),
        GraphSpec(s2.PromptEncoderMaskDecoder(model).eval(), prompts + names, s2.OUTPUTS,
                  [feeds + embeddings for _, feeds, _ in s2.prompt_cases(size)], axes,
                  file="prompt_encoder_mask_decoder.onnx"),
    ]
    return config, model, specs


class DA3Config:
    """A Depth Anything 3 config.json (the package's, not transformers'): `model_name` names the
    preset; `overrides` (the project's tiny test models) resize it. The fingerprint is those two;
    `model_config` is what the server needs to serve the graphs (the exporter's config.json fields)."""

    def __init__(self, spec, model_config):
        self.spec, self.model_config = spec, model_config
        self.architectures = ["DepthAnything3"]


def depth_anything_3_graphs(folder):
    """The package's DepthAnything3Net as da3_export.py traces it: the any-view presets one scene
    graph (camera inputs; the Gaussian head's outputs computed on request), the monocular ones one
    mono graph, the nested preset its any-view branch (model.onnx) and metric branch (metric.onnx).
    Checked against the unpatched package network, as the exporter checks."""
    import da3_export as da3
    from on_request import outputs_on_request

    net, name = da3.build_network(folder)
    net = randomized(net, seed=0, std=0.02)

    def scene_spec(branch, key_prefix):
        gs = branch.gs_head is not None
        outputs = ["depth", "depth_conf", "pose_enc"] + (da3.GS_OUTPUTS if gs else [])
        examples, references = [], []
        cases = [((1, 3, 3, 98, 140), False), ((1, 1, 3, 98, 140), False), ((1, 4, 3, 70, 84), False),
                 ((2, 3, 3, 56, 84), False), ((1, 2, 3, 56, 84), True), ((2, 4, 3, 84, 70), True)]
        for shape, cameras in cases:
            x = torch.randn(*shape, generator=torch.Generator().manual_seed(sum(shape)))
            ext, ixt = da3.random_cameras(shape[0], shape[1], shape[3], shape[4], sum(shape)) if cameras else (None, None)
            feeds = da3.camera_feeds(shape[0], shape[1], ext, ixt, shape[3:] if cameras else None)
            examples.append((x, torch.from_numpy(feeds["camera_pose"]), torch.from_numpy(feeds["camera_given"])))
            references.append(da3.scene_reference_outputs(branch, x, ext, ixt))
        axes = {"pixel_values": da3.PIXELS_AXES, "camera_pose": {0: "scenes", 1: "views"}, "camera_given": {0: "scenes"},
                "pose_enc": {0: "scenes", 1: "views"}, **{n: da3.MAPS for n in outputs if n != "pose_enc"}}
        return GraphSpec(da3.SceneGraphWrapper(branch).eval(), ["pixel_values", "camera_pose", "camera_given"], outputs,
                         examples, axes, tracing=da3.traceable, references=references, prefix="net.",
                         key_prefix=key_prefix,
                         finish=(lambda path: outputs_on_request(path, da3.GS_OUTPUTS, "gaussians")) if gs else None,
                         check_feeds={"gaussians": np.array([True])} if gs else None)

    def mono_spec(branch, key_prefix, file):
        examples = [(torch.randn(*shape, generator=torch.Generator().manual_seed(sum(shape))),)
                    for shape in [(1, 1, 3, 98, 140), (2, 1, 3, 154, 84), (1, 2, 3, 56, 70)]]
        return GraphSpec(da3.MonoGraphWrapper(branch).eval(), ["pixel_values"], ["depth", "sky"], examples,
                         {"pixel_values": da3.PIXELS_AXES, "depth": da3.MAPS, "sky": da3.MAPS}, file=file,
                         tracing=da3.traceable, references=[da3.mono_reference_outputs(branch, x) for (x,) in examples],
                         prefix="net.", key_prefix=key_prefix)

    config = {"architecture": "DepthAnything3", "patch_size": 14, "process_res": 504,
              "process_res_method": "upper_bound_resize", "image_mean": [0.485, 0.456, 0.406],
              "image_std": [0.229, 0.224, 0.225]}
    if name in da3.MONO_PRESETS:
        specs = [mono_spec(net, "", "model.onnx")]
        config.update(outputs=["depth", "sky"], scene_views=False, depth_kind=da3.MONO_PRESETS[name])
    elif name in da3.NESTED_PRESETS:
        specs = [scene_spec(net.da3, "da3."), mono_spec(net.da3_metric, "da3_metric.", "metric.onnx")]
        config.update(outputs=["depth", "depth_conf", "pose_enc"], scene_views=True, camera_input=True,
                      depth_kind="nested", metric_graph="metric.onnx", **da3._gaussian_config(net.da3))
    else:
        specs = [scene_spec(net, "")]
        config.update(outputs=["depth", "depth_conf", "pose_enc"], scene_views=True, camera_input=True,
                      **da3._gaussian_config(net))
    spec = da3.read_folder_config(folder)
    fields = {"model_name": name, **({"overrides": spec["overrides"]} if spec.get("overrides") else {})}
    return DA3Config(fields, config), net, specs


def save_like_the_package(net, folder):
    """What the package's save_pretrained writes: safetensors' save_model of the DepthAnything3
    wrapper, whose network is its `model` (keys `model.*`; a module shared between places stored once)."""
    from safetensors.torch import save_model

    holder = torch.nn.Module()
    holder.model = net
    save_model(holder, os.path.join(folder, "model.safetensors"))


def saved_keys(model):
    """In-memory state-dict key → the key save_pretrained writes (transformers renames some on save,
    e.g. DINOv3's `model.layer.N` → `layer.N`), found by value: every weight is distinct."""
    import tempfile

    from safetensors.numpy import load_file

    with tempfile.TemporaryDirectory() as folder:
        if hasattr(model, "save_pretrained"):
            model.save_pretrained(folder)
        else:
            save_like_the_package(model, folder)
        saved = {}
        for name in sorted(os.listdir(folder)):
            if name.endswith(".safetensors"):
                saved.update(load_file(os.path.join(folder, name)))
    def digest(array):
        return array.dtype.str, array.shape, hashlib.sha256(np.ascontiguousarray(array).tobytes()).digest()

    by_bytes = {}
    for key in list(saved):
        by_bytes.setdefault(digest(saved.pop(key)), []).append(key)
    saved = {key for keys in by_bytes.values() for key in keys}
    mapping = {}
    state = model.state_dict()
    for key, value in state.items():
        found = by_bytes.get(digest(value.detach().contiguous().numpy()))
        if found:
            mapping[key] = found[0]
    # Modules shared between places (tied heads) are stored once, under whichever of their names
    # the saving tool chose: every name of a shared tensor is an alias the server accepts.
    tied = {}
    for key, value in state.items():
        tied.setdefault((value.data_ptr(), tuple(value.shape)), []).append(key)
    aliases = {}
    for names in tied.values():
        if len(names) > 1 and names[0] in mapping:
            aliases[mapping[names[0]]] = sorted(set(names) - {mapping[names[0]]})
    return mapping, saved, aliases


def strip(path, keys, prefix, key_prefix=""):
    """Every initializer named `<prefix><state-dict key>` becomes the external tensor named by the
    key save_pretrained writes for it (`keys`: saved_keys' mapping and saved names)."""
    from onnx.external_data_helper import load_external_data_for_tensor

    mapping, saved = keys
    graph = onnx.load(path, load_external_data=False)  # a traced model over 2 GB keeps its weights in files
    stripped, kept = [], []
    renames = {}
    for tensor in graph.graph.initializer:
        memory_key = key_prefix + (tensor.name[len(prefix):] if tensor.name.startswith(prefix) else tensor.name)
        key = mapping.get(memory_key)
        if key is None:
            kept.append(tensor.name)
            if tensor.data_location == onnx.TensorProto.EXTERNAL:
                load_external_data_for_tensor(tensor, os.path.dirname(path))
                tensor.data_location = onnx.TensorProto.DEFAULT
                del tensor.external_data[:]
            continue
        if tensor.data_type != onnx.TensorProto.FLOAT:
            sys.exit(f"weight {key} is not float32 in the graph")
        renames[tensor.name] = key
        tensor.name = key
        tensor.ClearField("raw_data")
        tensor.ClearField("float_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
        del tensor.external_data[:]
        for k, v in (("location", "checkpoint-bound-at-load"), ("offset", "0"),
                     ("length", str(4 * int(np.prod(tensor.dims))))):
            entry = tensor.external_data.add()
            entry.key, entry.value = k, v
        stripped.append(key)
    def rename(nodes):
        # Subgraphs (an If's branches, traced from shape-dependent code) read the weights too.
        for node in nodes:
            for i, name in enumerate(node.input):
                if name in renames:
                    node.input[i] = renames[name]
            for attribute in node.attribute:
                if attribute.type == onnx.AttributeProto.GRAPH:
                    rename(attribute.g.node)
                for sub in attribute.graphs:
                    rename(sub.node)

    rename(graph.graph.node)
    inverse = {saved_key: memory_key for memory_key, saved_key in mapping.items()}
    return graph, stripped, kept, inverse


def fold_weight_transposes(graph):
    """`MatMul(x, Transpose(W))` with W a bound weight becomes `FusedMatMul(x, W, transB=1)`
    (onnxruntime's contrib op): the weight is read in the checkpoint's own layout, so ONNX Runtime
    does not fold a transposed copy of it at every load. Returns how many were rewritten."""
    weights = {t.name for t in graph.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL}
    consumers = {}
    for node in graph.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    removed, rewritten = [], 0
    for node in graph.graph.node:
        if node.op_type != "Transpose" or node.input[0] not in weights:
            continue
        perm = next((list(a.ints) for a in node.attribute if a.name == "perm"), None)
        users = consumers.get(node.output[0], [])
        if perm != [1, 0] or not users or any(u.op_type != "MatMul" or u.input[1] != node.output[0] for u in users):
            continue
        for user in users:
            user.op_type = "FusedMatMul"
            user.domain = "com.microsoft"
            user.input[1] = node.input[0]
            user.attribute.extend([onnx.helper.make_attribute("transB", 1), onnx.helper.make_attribute("alpha", 1.0)])
            rewritten += 1
        removed.append(node)
    for node in removed:
        graph.graph.node.remove(node)
    if rewritten and not any(o.domain == "com.microsoft" for o in graph.opset_import):
        graph.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    return rewritten


def export_graph(spec, keys, output, opset, tolerance, model):
    """Traces one graph, strips its weights, checks it with the model's weights bound; returns the
    checkpoint keys it binds."""
    os.makedirs(output, exist_ok=True)
    # Traced into a scratch folder: a model over 2 GB is written with one external-data file per
    # tensor beside the graph, and none of them belongs in the output.
    scratch = tempfile.mkdtemp(prefix="graph-only-")
    traced = os.path.join(scratch, "traced.onnx")
    with spec.tracing(), torch.no_grad():
        torch.onnx.export(spec.wrapper, spec.examples[0], traced, opset_version=max(opset, spec.opset or 0), dynamo=False,
                          do_constant_folding=False, input_names=spec.inputs, output_names=spec.outputs,
                          dynamic_axes=spec.axes)
    with torch.no_grad():
        expected = spec.references or []
        for example in ([] if spec.references else spec.examples):
            out = spec.wrapper(*example)
            expected.append([t.numpy() for t in (out if isinstance(out, tuple) else (out,))])
    if all(float(np.std(out[np.isfinite(out)])) == 0.0 for outs in expected for out in outs):
        sys.exit("the model's outputs are constant on the examples: the check would prove nothing")
    graph, stripped, kept, memory_key = strip(traced, keys, spec.prefix, spec.key_prefix)
    shutil.rmtree(scratch, ignore_errors=True)
    foreign = [t.name for t in graph.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL
               and any(e.key == "location" and e.value != "checkpoint-bound-at-load" for e in t.external_data)]
    if foreign:
        sys.exit(f"initializers would point at files that are not shipped: {foreign[:5]}")
    folded = fold_weight_transposes(graph)
    if folded:
        print(f"  {folded} MatMul(x, Transpose(W)) read W as stored (FusedMatMul transB)")
    if spec.fuse_attention:
        from attention_fusion import fuse_attention

        folded = fold_constant_only_nodes(graph)
        fused = fuse_attention(graph)
        print(f"  {folded} constant-only nodes folded, {fused} attentions fused (MultiHeadAttention)")
    merged = merge_equal_constants(graph)
    if merged:
        print(f"  equal constants merged: {merged / 1e6:.1f} MB fewer")
    path = os.path.join(output, spec.file)
    onnx.save(graph, path)
    if spec.finish:
        spec.finish(path)

    # The check: the weightless graph with this model's weights bound gives PyTorch's outputs.
    import onnxruntime as ort

    state = model.state_dict()
    options = ort.SessionOptions()
    values = [ort.OrtValue.ortvalue_from_numpy(state[memory_key[k]].detach().contiguous().numpy()) for k in stripped]
    options.add_external_initializers(stripped, values)
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    for example, want in zip(spec.examples, expected):
        feeds = {name: np.ascontiguousarray(t.numpy()) for name, t in zip(spec.inputs, example) if name in wanted}
        feeds.update({k: v for k, v in spec.check_feeds.items() if k in wanted})
        print(f"  {spec.file} on {[list(t.shape) for t in example]}:")
        spec.compare(session.run(spec.outputs[:len(want)], feeds), want, tolerance)
    print(f"wrote {path}: {len(stripped)} weights bound at load, {len(kept)} constants kept "
          f"({os.path.getsize(path)} bytes)")
    return set(stripped)


def fold_constant_only_nodes(graph):
    """Replaces each node whose inputs all come from Constant nodes (never from an initializer, so
    no weight is baked in) by a Constant of its value, computed with onnx's reference evaluator:
    the shape arithmetic and scale factors that tracing with constant folding off leaves as
    nodes, which the attention fusion's pattern needs as constants. Returns the count folded."""
    from onnx import helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    known, nodes, folded = {}, [], 0
    for node in graph.graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            known[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        elif (node.input and all(not name or name in known for name in node.input) and node.domain in ("", "ai.onnx")
              and not any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute)):
            single = helper.make_model(helper.make_graph(
                [node], "fold", [], [helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None) for o in node.output],
                [numpy_helper.from_array(np.asarray(known[name]), name) for name in dict.fromkeys(node.input) if name]),
                opset_imports=graph.opset_import)
            try:
                values = ReferenceEvaluator(single).run(None, {})
            except Exception:  # an op the evaluator lacks: left as it is
                nodes.append(node)
                continue
            for name, value in zip(node.output, values):
                known[name] = np.asarray(value)
                nodes.append(helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value))))
            folded += 1
            continue
        nodes.append(node)
    del graph.graph.node[:]
    graph.graph.node.extend(nodes)
    return folded


def merge_equal_constants(graph):
    """Constant nodes of equal value become one (the tracer writes a table a module computes, e.g.
    SAM3's RoPE cos/sin per attention layer, once per layer): the first of each value stays and its
    output feeds every consumer of the others. Returns the bytes saved."""
    first, renames, removed = {}, {}, []
    for node in graph.graph.node:
        if node.op_type != "Constant" or len(node.attribute) != 1 or node.attribute[0].name != "value":
            continue
        t = node.attribute[0].t
        if len(t.raw_data) < 1024:
            continue
        key = (t.data_type, tuple(t.dims), hashlib.sha256(t.raw_data).digest())
        if key in first:
            renames[node.output[0]] = first[key]
            removed.append(node)
        else:
            first[key] = node.output[0]
    for node in graph.graph.node:
        for i, name in enumerate(node.input):
            if name in renames:
                node.input[i] = renames[name]
    graph_outputs = {o.name for o in graph.graph.output}
    saved = 0
    for node in removed:
        if node.output[0] in graph_outputs:
            continue
        saved += len(node.attribute[0].t.raw_data)
        graph.graph.node.remove(node)
    return saved


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("family", choices=FAMILIES)
    parser.add_argument("config")
    parser.add_argument("output")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--tolerance", type=float, default=1e-3, help="relative, as export.py checks")
    args = parser.parse_args()
    config, model, specs = build(args.family, args.config)
    mapping, saved, aliases = saved_keys(model)
    for key in mapping.values():
        # Sam3TrackerModel saves its checkpoint mapping reverted onto every key
        # (`tracker_model.detector_model.vision_encoder.backbone.*`, `tracker_model.tracker_neck.*`);
        # facebook/sam3 stores those as `detector_model.vision_encoder.backbone.*`, `tracker_neck.*`.
        for stacked in ("tracker_model.detector_model.", "tracker_model.tracker_neck."):
            if key.startswith(stacked):
                aliases.setdefault(key, []).append(key[len("tracker_model."):])
    bound = set()
    for spec in specs:
        bound |= export_graph(spec, (mapping, saved), args.output, args.opset, args.tolerance, model)
    missing = sorted(saved - bound)
    if missing:
        print(f"  {len(missing)} checkpoint keys the forward pass does not use (not bound): {missing[:6]}"
              f"{' ...' if len(missing) > 6 else ''}")
    fields, defaults = (config.spec, {}) if isinstance(config, DA3Config) else fingerprint(config)
    with open(os.path.join(args.output, "fingerprint.json"), "w") as f:
        json.dump({"name": os.path.basename(os.path.normpath(args.output)),
                   "family": SERVED_BY.get(args.family, args.family),
                   "architecture": (config.architectures or [type(model).__name__])[0],
                   "graphs": [spec.file for spec in specs],
                   **({"model_config": config.model_config} if isinstance(config, DA3Config) else {}),
                   **({"wrappers": WRAPPERS[args.family], "key_prefixes": KEY_PREFIXES[args.family]}
                      if args.family in WRAPPERS else {}),
                   "aliases": {k: v for k, v in sorted(aliases.items()) if k in bound},
                   "fields": fields, "defaults": defaults}, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
