"""Import TensorFlow and Keras once, quietly.

TensorFlow 2.21 writes its start-up lines (oneDNN, CUDA drivers, absl) to the
process's stderr from C++ before `TF_CPP_MIN_LOG_LEVEL` is read, so a
notebook or a site build fills with them. Every topic that needs TensorFlow
imports it through this module, which silences file descriptor 2 for the
duration of the import only: errors still raise normally afterwards.
"""

from __future__ import annotations

import contextlib
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _quiet_stderr():
    if "tensorflow" in sys.modules:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (some embedded consoles)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


with _quiet_stderr():
    import keras  # noqa: F401
    import tensorflow as tf  # noqa: F401

    # Device discovery logs a CUDA error on machines without a GPU; do it now, quietly.
    tf.config.list_physical_devices()

__all__ = ["keras", "tf"]
