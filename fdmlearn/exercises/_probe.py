"""Probing a student's filter CNN with test images, to say what it computes.

A model made of convolutions without activations is linear and shift
invariant: `model(img) = bias + E * img` for one effective kernel `E`. A
black image gives the bias; an image with a single lit pixel in channel `c`
gives `E[:, :, c, :]` (flipped: Keras convolutions are cross-correlations).
From `E` the colour mix (its sum over space, a 3x3 matrix) and the blur (its
shape) are read off and compared with sepia and the Gaussian, and with the
known wrong versions of each. Everything is one batch through the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from fdmlearn.exercises.feedback import Feedback, Part

if TYPE_CHECKING:
    from fdmlearn.exercises.filters import FiltersExercise


def _run(model: Any, images: np.ndarray) -> np.ndarray:
    try:
        out = model(images, training=False)
    except TypeError:
        out = model(images)
    return np.asarray(out, dtype=np.float64)


def _layers(model: Any) -> list:
    found = []
    for layer in getattr(model, "layers", []):
        if hasattr(layer, "layers"):  # a nested model
            found += _layers(layer)
        else:
            found.append(layer)
    return found


def _kind(layer: Any) -> str:
    return type(layer).__name__


def _convs(model: Any) -> list:
    return [layer for layer in _layers(model) if _kind(layer) in ("Conv2D", "DepthwiseConv2D")]


def _activation_layers(model: Any) -> list[str]:
    """Names of the layers that apply a non-identity activation."""
    names = []
    for layer in _layers(model):
        act = getattr(layer, "activation", None)
        name = getattr(act, "__name__", None)
        if _kind(layer) == "ReLU" or (
            _kind(layer) == "Activation" and name not in (None, "linear")
        ):
            names.append(f"{layer.name} ({name or 'relu'})")
        elif name not in (None, "linear") and _kind(layer) != "Activation":
            names.append(f"{layer.name} (activation={name!r})")
    return names


def _support(response: np.ndarray) -> tuple[slice, slice] | None:
    mask = np.abs(response).max(axis=-1) > 1e-7
    if not mask.any():
        return None
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def probe_filter_model(ex: FiltersExercise, model: Any, D: dict[str, str]) -> Feedback:
    from fdmlearn.exercises.filters import (
        _MIXES,
        CHANNELS,
        SEPIA,
        TABLE,
        _match_mix,
        _mix_difference,
        _sampled,
    )

    parts: list[Part] = []
    notes: list[str] = []
    shape = getattr(model, "input_shape", (None, None, None, 3))
    if isinstance(shape, list):
        shape = shape[0]
    if len(shape) != 4 or (shape[-1] != 3 and shape[1] == 3):
        tags = (D["channels_first"],) if len(shape) == 4 and shape[1] == 3 else ()
        parts.append(
            Part(
                "input",
                "wrong",
                f"the model takes {tuple(shape[1:])}; the images are (height, width, 3), "
                "channels last",
                tags,
            )
        )
        return Feedback(ex.title + ": your model", tuple(parts))
    h = shape[1] or ex.size
    w = shape[2] or ex.size
    if h != ex.size or w != ex.size:
        parts.append(
            Part(
                "input",
                "wrong",
                f"the model takes {h}x{w} images; the exercise's are {ex.size}x{ex.size}",
            )
        )
    else:
        parts.append(Part("input", "right", f"{h}x{w}x3 images, channels last"))

    rng = np.random.default_rng(0)
    ci, cj = h // 2, w // 2
    zero = np.zeros((h, w, 3))
    impulses = []
    for c in range(3):
        img = zero.copy()
        img[ci, cj, c] = 1.0
        impulses.append(img)
    a = rng.uniform(0, 0.3, (h, w, 3))  # dim: sepia keeps them below 1, so clipping is silent
    b = rng.uniform(0, 0.3, (h, w, 3))
    bright = np.full((h, w, 3), 0.95)
    batch = np.stack([zero, *impulses, a, b, a + b, bright]).astype(np.float32)
    out = _run(model, batch)
    if out.ndim != 4 or out.shape[-1] != 3:
        parts.append(
            Part("output size", "wrong", f"the model outputs {out.shape[1:]}, not an RGB image")
        )
        return Feedback(ex.title + ": your model", tuple(parts))
    bias = out[0]
    oh, ow = out.shape[1:3]
    k = ex.kernel_size
    want = (h - k + 1, w - k + 1, 3)  # for the size the model takes (the input part says if wrong)
    if (oh, ow) == want[:2]:
        parts.append(Part("output size", "right", f"{oh}x{ow}x3"))
    elif (oh, ow) == (h, w):
        parts.append(
            Part(
                "output size",
                "wrong",
                f"{oh}x{ow}x3: 'same' padding keeps the size; with the default ('valid') a "
                f"{k}x{k} kernel gives {want[0]}x{want[1]}",
                (D["same_padding"],),
            )
        )
    else:
        k_found = h - oh + 1
        parts.append(
            Part(
                "output size",
                "wrong",
                f"{oh}x{ow}x3 is the output of a {k_found}x{k_found} kernel, not {k}x{k}",
                (D["wrong_kernel_size"],),
            )
        )

    # Biases: what a black image gives, and which layers carry any.
    with_bias = [
        layer.name
        for layer in _layers(model)
        if getattr(layer, "use_bias", False) and layer.weights
    ]
    offset = np.abs(bias).max()
    if offset > 1e-6:
        per_channel = ", ".join(f"{CHANNELS[c]} {bias[..., c].mean():+.3f}" for c in range(3))
        if with_bias:
            parts.append(
                Part(
                    "biases",
                    "wrong",
                    f"a black image comes out at {per_channel} instead of 0: the biases of "
                    f"{', '.join(with_bias)} shift every pixel; use use_bias=False",
                    (D["biases_left_on"],),
                )
            )
        else:
            parts.append(
                Part(
                    "biases",
                    "wrong",
                    f"a black image comes out at {per_channel} instead of 0; no layer has a "
                    "bias, so an activation shifts it",
                )
            )
    elif with_bias:
        parts.append(
            Part(
                "biases",
                "incomplete",
                f"layers {', '.join(with_bias)} have biases (all zero, so no pixel changes), which "
                "adds parameters the answer does not need: use_bias=False",
                (D["biases_left_on"],),
            )
        )
    else:
        parts.append(Part("biases", "right", "no biases: a black image stays black"))

    fa, fb, fab, fbright = (out[i] - bias for i in (4, 5, 6, 7))
    nonlinear = np.abs(fab - fa - fb).max() > 1e-4 * max(1.0, np.abs(fab).max())
    acts = _activation_layers(model)
    if nonlinear:
        parts.append(
            Part(
                "linear",
                "wrong",
                "the model is not linear (f(a + b) ≠ f(a) + f(b) on dim images), so it is no "
                f"filter; activations: {', '.join(acts) or 'none found'}. Use no activation",
                (D["nonlinear_activation"],),
            )
        )
    else:
        parts.append(Part("linear", "right", "linear on dim images, as two filters are"))
        impulse = np.stack([out[1 + c] - bias for c in range(3)])  # (in, H', W', out)
        scale_full = impulse.sum(axis=(1, 2))  # (in, out)
        pred_bright = 0.95 * scale_full.sum(axis=0)
        centre = fbright[oh // 2, ow // 2]
        if np.abs(centre - pred_bright).max() > 1e-3:
            notes.append("the model clips bright pixels (fine: sepia can exceed 1)")

    if nonlinear:
        return Feedback(ex.title + ": your model", tuple(parts), tuple(notes))

    # The effective kernel, from the impulse responses.
    boxes = [_support(impulse[c]) for c in range(3)]
    if all(box is None for box in boxes):
        parts.append(
            Part("colour mix", "wrong", "a lit pixel gives no response: the model outputs 0")
        )
        return Feedback(ex.title + ": your model", tuple(parts), tuple(notes))
    r0 = min(b[0].start for b in boxes if b)
    r1 = max(b[0].stop for b in boxes if b)
    c0 = min(b[1].start for b in boxes if b)
    c1 = max(b[1].stop for b in boxes if b)
    patch = impulse[:, r0:r1, c0:c1, :][:, ::-1, ::-1, :]  # flip: cross-correlation
    mix = patch.sum(axis=(1, 2)).T  # (out, in)

    found = _match_mix(mix, atol=2e-3)
    convs = _convs(model)
    if found is None:
        where = _where_sepia(convs, SEPIA)
        parts.append(Part("colour mix", "wrong", _mix_difference(mix / _scale(mix)) + where))
    elif found[0] == "right":
        parts.append(Part("colour mix", "right", "sepia, rows in R, G, B order"))
    else:
        name = _MIXES[found[0]][1]
        layer1 = f" (layer {convs[0].name!r})" if convs else ""
        why = {
            "sepia_transposed": "the colour mix is the sepia matrix transposed: output "
            f"{CHANNELS[0]} takes 0.393 R + 0.349 G + 0.272 B{layer1}. In Keras kernel[0, 0, i, o] "
            "is input i to output o: set it to SEPIA.T",
            "bgr_order": "the colour mix treats channel 0 as blue: the coefficients are in B, G, R "
            f"order{layer1}; [:, :, 0] is red",
            "blur_mixes_channels": "every output channel is the same mix (the sum of the sepia "
            "rows): the blur layer's filters hold the Gaussian on all 3 input channels, not on "
            f"channel o only{' (layer ' + repr(convs[-1].name) + ')' if convs else ''}",
        }[name]
        parts.append(Part("colour mix", "wrong", why, (D[name],)))
    scale = found[1] if found else _scale(mix)

    # The blur: the spatial shape of each (in, out) pair that carries weight.
    weights = np.abs(mix) > 1e-3 * np.abs(mix).max()
    shapes = [patch[i, :, :, o] / mix[o, i] for o in range(3) for i in range(3) if weights[o, i]]
    spatial = np.mean(shapes, axis=0)
    consistent = all(np.allclose(s, spatial, atol=1e-4) for s in shapes)
    g = ex.kernel
    size_found = spatial.shape[0]
    tags: tuple[str, ...] = ()
    if abs(scale - 273) < 1:
        tags = (D["gaussian_not_normalized"],)
        parts.append(
            Part(
                "blur",
                "wrong",
                "the blur multiplies the brightness by 273: divide the table by 273",
                tags,
            )
        )
    elif abs(scale - 1) > 2e-3 and found is not None:
        parts.append(Part("blur", "wrong", f"the blur kernel sums to {scale:.4g}, not 1"))
    elif spatial.shape == g.shape and consistent and np.allclose(spatial, g, atol=2e-4):
        parts.append(Part("blur", "right", f"the {g.shape[0]}x{g.shape[0]} Gaussian, summing to 1"))
    elif ex.table and spatial.shape == (5, 5) and np.allclose(spatial, _sampled(5, 1.0), atol=2e-4):
        parts.append(
            Part(
                "blur",
                "wrong",
                "the blur is the sampled formula; the assignment gives the table over 273 (they "
                f"differ by up to {np.abs(_sampled(5, 1.0) - TABLE / 273).max():.3f} per weight)",
                (D["gaussian_formula_not_table"],),
            )
        )
    elif size_found != g.shape[0]:
        parts.append(
            Part(
                "blur",
                "wrong",
                f"the blur kernel is {size_found}x{size_found}, not {g.shape[0]}x{g.shape[0]}",
                (D["wrong_kernel_size"],),
            )
        )
    else:
        i, j = np.unravel_index(np.abs(spatial - g).argmax(), g.shape)
        layer2 = f" in layer {convs[-1].name!r}" if len(convs) >= 2 else ""
        parts.append(
            Part(
                "blur",
                "wrong",
                f"blur weight ({i}, {j}){layer2} is {spatial[i, j]:.4f}, expected {g[i, j]:.4f}"
                + ("" if consistent else "; and the channels are blurred differently"),
            )
        )
    return Feedback(ex.title + ": your model", tuple(parts), tuple(notes))


def _scale(mix: np.ndarray) -> float:
    from fdmlearn.exercises.filters import SEPIA

    return float((mix * SEPIA).sum() / (SEPIA * SEPIA).sum()) or 1.0


def _where_sepia(convs: list, sepia: np.ndarray) -> str:
    """Point at the first conv layer's differing weight, if it is a 1x1 colour mix."""
    if not convs:
        return ""
    first = convs[0]
    weights = first.get_weights()
    if not weights or weights[0].shape != (1, 1, 3, 3):
        return ""
    kernel = weights[0][0, 0]  # (in, out)
    diff = np.abs(kernel - sepia.T)
    i, o = np.unravel_index(diff.argmax(), diff.shape)
    if diff[i, o] < 1e-4:
        return ""
    return (
        f" (layer {first.name!r}, kernel[0, 0, {i}, {o}] = {kernel[i, o]:.3f}, "
        f"expected {sepia[o, i]:.3f})"
    )
