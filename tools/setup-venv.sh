#!/usr/bin/env bash
# Creates the Python venv for tools/ and bench/ OUTSIDE the repository (default ~/.venvs/vision-models-api).
# torch is ~3 GB from PyPI: install it once per machine. Never run by CI.
#   TORCH_WHEEL=/path/to/torch-*.whl  use a local (e.g. CPU-only) torch wheel instead of PyPI's.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-$HOME/.venvs/vision-models-api}"
python3 -m venv "$venv"
if [ -n "${TORCH_WHEEL:-}" ]; then "$venv/bin/pip" install -q "$TORCH_WHEEL"; fi
"$venv/bin/pip" install -q -r "$root/tools/export/requirements.txt"
# Depth Anything 3 is defined by this package only (not transformers); its own pins (numpy<2,
# xformers, gradio...) are for training and the demo app, so install it without them.
"$venv/bin/pip" install -q --no-deps depth-anything-3==0.1.1
# PyPI's torchvision wheel links CUDA torch; with a CPU-only torch its compiled ops cannot load and
# `import torchvision` fails registering fake kernels for them. The processors only use pure-torch
# functions (resize, normalize), so guard those registrations. Changes no computation.
"$venv/bin/python" - <<'PY'
import importlib.util, pathlib
spec = importlib.util.find_spec("torchvision")
path = pathlib.Path(spec.submodule_search_locations[0]) / "_meta_registrations.py"
text = path.read_text()
guard = '@torch.library.register_fake("torchvision::'
if guard in text and "_vma_guarded_fake" not in text:
    text = text.replace(guard, '@_vma_guarded_fake("torchvision::')
    text += '''
'''
    header = '''
def _vma_guarded_fake(name):
    def wrap(fn):
        if torchvision.extension._has_ops():
            return torch.library.register_fake(name)(fn)
        return fn
    return wrap
'''
    marker = "def register_meta("
    text = text.replace(marker, header.lstrip() + "\n\n" + marker, 1)
    path.write_text(text)
    print("patched", path)
PY
echo "venv ready: $venv"
