#!/usr/bin/env bash
# The venv for tools/fixtures/make_community_fixtures.py: optimum's ONNX exporter, pinned, with the
# transformers it supports (below 4.58), OUTSIDE the repository (default ~/.venvs/vma-optimum).
# torch, onnx and onnxruntime are borrowed from the tools venv (tools/setup-venv.sh, run first)
# through a .pth file, so torch is installed once per machine; this venv's own packages come first.
# Never run by CI.
set -euo pipefail
tools="${TOOLS_VENV:-$HOME/.venvs/vision-models-api}"
venv="${VENV:-$HOME/.venvs/vma-optimum}"
[ -x "$tools/bin/python" ] || { echo "run tools/setup-venv.sh first (torch comes from $tools)" >&2; exit 1; }
python3 -m venv "$venv"
borrowed="$("$tools/bin/python" -c 'import site; print(site.getsitepackages()[0])')"
own="$("$venv/bin/python" -c 'import site; print(site.getsitepackages()[0])')"
echo "$borrowed" > "$own/borrowed-tools-venv.pth"
"$venv/bin/pip" install -q "optimum-onnx==0.1.0" "optimum==2.1.0" "transformers==4.57.3"
"$venv/bin/python" -c "import optimum.exporters.onnx, transformers, torch; print('venv ready:', '$venv', 'transformers', transformers.__version__, 'torch', torch.__version__)"
