"""Training deeper models: why a deep sigmoid MLP fails on MNIST, and how to fix it.

The assignment's model is a multi-layer perceptron on flattened MNIST digits:
`Dense(512, sigmoid) + Dropout(0.2)`, then `depth - 1` more
`Dense(512) + sigmoid + Dropout(0.2)` blocks, then `Dense(10) + softmax`,
trained with categorical cross-entropy and plain SGD (learning rate 0.01),
batch 128, for 10 epochs. The deeper it is, the *worse* it gets: the error
signal reaching the first layers is multiplied, layer after layer, by the
sigmoid's derivative, which is at most 1/4, so the early layers barely learn.

This module lets you reproduce that, see it, and fix it:

- `build_mlp` builds the assignment's model exactly by default, with the
  knobs a learner wants to turn (activation, units, dropout, initializer,
  normalization, residual connections).
- `RECIPES` holds named, documented bundles of model and optimizer choices:
  the assignment's `"baseline"`, the seed notebook's `"relu"` fix, our
  `"improved"` recipe, and `"sigmoid_adamw"` and `"sigmoid_bn"`, sigmoid
  networks that do train at depth 3.
- `depth_study` trains one model per depth and returns a `DepthStudy` with
  accuracies, histories, parameter counts, timings, a plot and a table.
- `gradient_norms`, `GradientNormHistory` and `hidden_activations` make the
  cause visible; `plot_gradient_norms`, `plot_gradient_norm_history` and
  `plot_activation_histograms` draw them.

Examples:
    >>> from fdmlearn import deep
    >>> [deep.build_mlp(depth).count_params() for depth in (1, 2, 3)]
    [407050, 669706, 932362]
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import tensorflow as tf

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "ACTIVATIONS",
    "DepthStudy",
    "GradientNormHistory",
    "RECIPES",
    "Recipe",
    "build_mlp",
    "depth_study",
    "get_recipe",
    "gradient_norms",
    "hidden_activations",
    "mnist_flat",
    "plot_activation_histograms",
    "plot_gradient_norm_history",
    "plot_gradient_norms",
]

#: Activation names `build_mlp` accepts (all are Keras activation names).
ACTIVATIONS: tuple[str, ...] = (
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
)

_NORMALIZATIONS = (None, "batch", "layer")
_OPTIMIZERS = ("sgd", "adam", "adamw")
_SCHEDULES = (None, "cosine")
NUM_CLASSES = 10
INPUT_DIM = 784

Data = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


# --------------------------------------------------------------------------- data


def mnist_flat(train_size: int | None = None, test_size: int | None = None) -> Data:
    """MNIST as the assignment feeds it: 784 floats in [0, 1] per image.

    Images are flattened and divided by 255; labels stay integer class
    indices (the training helpers one-hot encode them). MNIST's files are
    already shuffled, so the first `train_size` / `test_size` images are a
    fair subset for quick runs.

    Args:
        train_size: Keep only the first this many training images (1..60000);
            `None` keeps all 60,000.
        test_size: Keep only the first this many test images (1..10000);
            `None` keeps all 10,000.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 arrays of shape
        (N, 784) with values in [0, 1], and int64 labels of shape (N,).

    Raises:
        TypeError: If a size is not an integer.
        ValueError: If a size is out of range.

    Examples:
        >>> (x, y), (xt, yt) = mnist_flat(train_size=100, test_size=20)
        >>> x.shape, x.dtype, float(x.min()), float(x.max()), yt.shape
        ((100, 784), dtype('float32'), 0.0, 1.0, (20,))
    """
    from fdmlearn.datasets import mnist_split

    sizes = {}
    for name, value, limit in (("train_size", train_size, 60000), ("test_size", test_size, 10000)):
        if value is None:
            sizes[name] = limit
            continue
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an integer or None, got {type(value).__name__}")
        if not 1 <= value <= limit:
            raise ValueError(f"{name} must be between 1 and {limit}, got {value}")
        sizes[name] = int(value)

    def flat(split: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        images, labels = mnist_split(split)
        x = images[:n].reshape(n, INPUT_DIM).astype(np.float32) / np.float32(255)
        return x, labels[:n].astype(np.int64)

    return flat("train", sizes["train_size"]), flat("test", sizes["test_size"])


def _check_xy(x: Any, y: Any, input_dim: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate one (x, y) pair and return x as float32 and y one-hot."""
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 2 or x.shape[1] != input_dim:
        raise ValueError(
            f"{what} images must have shape (N, {input_dim}) (flattened, see "
            f"fdmlearn.deep.mnist_flat), got shape {x.shape}"
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"{what} images must be floats in [0, 1] (divide uint8 pixels by 255), "
            f"got dtype {x.dtype}"
        )
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"{what} labels must be integer class indices, got dtype {y.dtype}")
        if y.size and (y.min() < 0 or y.max() >= NUM_CLASSES):
            raise ValueError(f"{what} labels must be in 0..{NUM_CLASSES - 1}")
        y = np.eye(NUM_CLASSES, dtype=np.float32)[y]
    elif y.ndim != 2 or y.shape[1] != NUM_CLASSES:
        raise ValueError(
            f"{what} labels must have shape (N,) (class indices) or (N, {NUM_CLASSES}) "
            f"(one-hot), got shape {y.shape}"
        )
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"{what} images and labels must be non-empty and of equal length, "
            f"got {len(x)} images and {len(y)} labels"
        )
    return x.astype(np.float32, copy=False), y.astype(np.float32, copy=False)


# --------------------------------------------------------------------------- model


def build_mlp(
    depth: int,
    activation: str = "sigmoid",
    *,
    units: int = 512,
    dropout: float = 0.2,
    initializer: str | keras.initializers.Initializer = "glorot_uniform",
    normalization: str | None = None,
    residual: bool = False,
    input_dim: int = INPUT_DIM,
    num_classes: int = NUM_CLASSES,
    name: str | None = None,
) -> keras.Model:
    """Build the assignment's MLP, exactly by default, with knobs to turn.

    The default is the assignment's model: `Dense(units, activation)` +
    `Dropout`, then `depth - 1` blocks of `Dense(units)` + `Activation` +
    `Dropout`, then `Dense(num_classes)` + softmax. Layers are named
    `hidden1`, `hidden1_act`, `hidden1_dropout`, ..., `output`, `softmax`.

    Args:
        depth: Number of hidden layers (>= 1).
        activation: Hidden activation, one of `ACTIVATIONS`.
        units: Width of every hidden layer.
        dropout: Dropout rate after every hidden layer, in [0, 1).
        initializer: Kernel initializer of the Dense layers, a Keras name such
            as `"glorot_uniform"` (the Keras default) or `"he_normal"`, or an
            initializer object.
        normalization: `None`, `"batch"` (BatchNormalization between each
            hidden Dense and its activation; that Dense then has no bias,
            which the normalization would cancel) or `"layer"`
            (LayerNormalization, same place).
        residual: Add each hidden block's output to its input (from the
            second hidden layer on, where widths match), a skip connection
            that gives the gradient a path around every block.
        input_dim: Length of an input vector.
        num_classes: Number of output classes.
        name: Model name; defaults to `mlp_depth{depth}`.

    Returns:
        An uncompiled `keras.Model` mapping `(N, input_dim)` floats to
        `(N, num_classes)` class probabilities.

    Raises:
        TypeError: If `depth`, `units` or `residual` has the wrong type.
        ValueError: If `depth` or `units` is < 1, `dropout` is outside
            [0, 1), or `activation`, `initializer` or `normalization` is unknown.

    Examples:
        >>> model = build_mlp(depth=2)
        >>> [layer.name for layer in model.layers[1:]]  # doctest: +NORMALIZE_WHITESPACE
        ['hidden1', 'hidden1_dropout', 'hidden2', 'hidden2_act', 'hidden2_dropout',
         'output', 'softmax']
        >>> model.count_params()
        669706
        >>> build_mlp(3, "relu", initializer="he_normal", normalization="batch").count_params()
        936970
    """
    for arg, value in (("depth", depth), ("units", units), ("input_dim", input_dim)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{arg} must be an integer, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{arg} must be >= 1, got {value}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if not isinstance(dropout, int | float) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    if normalization not in _NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {_NORMALIZATIONS}, got {normalization!r}")
    if not isinstance(residual, bool):
        raise TypeError(f"residual must be True or False, got {type(residual).__name__}")
    try:
        keras.initializers.get(initializer)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"initializer must be a Keras initializer name such as 'glorot_uniform' or "
            f"'he_normal', or an initializer object; got {initializer!r}"
        ) from err

    def dense(units_: int, layer_name: str, index: int, **kwargs: Any) -> keras.layers.Dense:
        init = keras.initializers.get(initializer)
        if isinstance(initializer, keras.initializers.Initializer):
            # One object shared by every layer would give each the same
            # starting weights: clone it, offsetting an integer seed per layer.
            config = initializer.get_config()
            if isinstance(config.get("seed"), int):
                config["seed"] += index
            init = initializer.__class__.from_config(config)
        return keras.layers.Dense(units_, kernel_initializer=init, name=layer_name, **kwargs)

    inputs = keras.Input(shape=(int(input_dim),), name="pixels")
    x = inputs
    for i in range(1, int(depth) + 1):
        block_input = x
        if normalization is None and i == 1:
            # The assignment fuses the first layer's activation into its Dense.
            x = dense(units, f"hidden{i}", i, activation=activation)(x)
        else:
            x = dense(units, f"hidden{i}", i, use_bias=normalization is None)(x)
            if normalization == "batch":
                x = keras.layers.BatchNormalization(name=f"hidden{i}_norm")(x)
            elif normalization == "layer":
                x = keras.layers.LayerNormalization(name=f"hidden{i}_norm")(x)
            x = keras.layers.Activation(activation, name=f"hidden{i}_act")(x)
        x = keras.layers.Dropout(dropout, name=f"hidden{i}_dropout")(x)
        if residual and i > 1:
            x = keras.layers.Add(name=f"hidden{i}_skip")([block_input, x])
    x = dense(num_classes, "output", int(depth) + 1)(x)
    outputs = keras.layers.Activation("softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name=name or f"mlp_depth{int(depth)}")


# --------------------------------------------------------------------------- recipes


@dataclass(frozen=True)
class Recipe:
    """A named bundle of model and optimizer choices for `build_mlp`.

    Make your own with `dataclasses.replace(RECIPES["improved"], ...)`.

    Attributes:
        name: Short name, used in tables and plots.
        description: One sentence saying what the recipe is and why.
        activation: Hidden activation (see `ACTIVATIONS`).
        initializer: Kernel initializer name.
        normalization: `None`, `"batch"` or `"layer"`.
        residual: Skip connections around hidden blocks 2..depth.
        dropout: Dropout rate after every hidden layer.
        optimizer: `"sgd"`, `"adam"` or `"adamw"`.
        learning_rate: Initial learning rate.
        schedule: `None` (constant) or `"cosine"` (decays to 0 over training).
        weight_decay: AdamW's decoupled weight decay (ignored by the others).
        label_smoothing: Cross-entropy label smoothing in [0, 1).
    """

    name: str
    description: str
    activation: str = "sigmoid"
    initializer: str = "glorot_uniform"
    normalization: str | None = None
    residual: bool = False
    dropout: float = 0.2
    optimizer: str = "sgd"
    learning_rate: float = 0.01
    schedule: str | None = None
    weight_decay: float = 0.004
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {_OPTIMIZERS}, got {self.optimizer!r}")
        if self.schedule not in _SCHEDULES:
            raise ValueError(f"schedule must be one of {_SCHEDULES}, got {self.schedule!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.normalization not in _NORMALIZATIONS:
            raise ValueError(
                f"normalization must be one of {_NORMALIZATIONS}, got {self.normalization!r}"
            )

    def build(self, depth: int, *, total_steps: int | None = None) -> keras.Model:
        """Build and compile this recipe's model.

        Args:
            depth: Number of hidden layers (>= 1).
            total_steps: Number of training steps (batches x epochs); needed
                by the `"cosine"` schedule, ignored otherwise.

        Returns:
            A `keras.Model` compiled with categorical cross-entropy and accuracy.

        Raises:
            ValueError: If the schedule needs `total_steps` and it is missing
                or < 1, or `depth` is invalid (see `build_mlp`).

        Examples:
            >>> model = RECIPES["baseline"].build(1)
            >>> type(model.optimizer).__name__, float(model.optimizer.learning_rate)
            ('SGD', 0.01)
        """
        lr: float | keras.optimizers.schedules.LearningRateSchedule = self.learning_rate
        if self.schedule == "cosine":
            if total_steps is None or total_steps < 1:
                raise ValueError(
                    f"recipe {self.name!r} uses a cosine schedule: total_steps must be a "
                    f"positive number of training steps, got {total_steps!r}"
                )
            lr = keras.optimizers.schedules.CosineDecay(self.learning_rate, int(total_steps))
        model = build_mlp(
            depth,
            self.activation,
            dropout=self.dropout,
            initializer=self.initializer,
            normalization=self.normalization,
            residual=self.residual,
        )
        if self.optimizer == "sgd":
            opt = keras.optimizers.SGD(lr)
        elif self.optimizer == "adam":
            opt = keras.optimizers.Adam(lr)
        else:
            opt = keras.optimizers.AdamW(lr, weight_decay=self.weight_decay)
        model.compile(
            optimizer=opt,
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=self.label_smoothing),
            metrics=["accuracy"],
        )
        return model


#: The named recipes. `"improved"` was chosen by measurement (see the
#: ablation table in the "Training deeper models" tutorial).
RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            "baseline",
            "The assignment: sigmoid, Glorot-uniform init, plain SGD with learning rate 0.01.",
        ),
        Recipe(
            "relu",
            "The seed notebook's fix: the baseline with ReLU instead of sigmoid.",
            activation="relu",
        ),
        Recipe(
            "improved",
            "ReLU with He init, AdamW (lr 1e-3) with a cosine decay to 0, label smoothing 0.1.",
            activation="relu",
            initializer="he_normal",
            optimizer="adamw",
            learning_rate=1e-3,
            schedule="cosine",
            label_smoothing=0.1,
        ),
        Recipe(
            "sigmoid_adamw",
            "Sigmoid kept, with AdamW and cosine decay: the optimizer's per-weight step size "
            "makes up for the small gradients of the early layers, so it trains at depth 3.",
            optimizer="adamw",
            learning_rate=1e-3,
            schedule="cosine",
        ),
        Recipe(
            "sigmoid_bn",
            "Sigmoid kept, but batch normalization before each sigmoid and AdamW with "
            "cosine decay: a sigmoid network that trains at depth 3.",
            normalization="batch",
            optimizer="adamw",
            learning_rate=1e-3,
            schedule="cosine",
        ),
    )
}


def get_recipe(recipe: str | Recipe) -> Recipe:
    """Look a recipe up by name (a `Recipe` is returned as is).

    Args:
        recipe: A key of `RECIPES` or a `Recipe`.

    Returns:
        The `Recipe`.

    Raises:
        ValueError: If the name is not a key of `RECIPES`.
        TypeError: If `recipe` is neither a string nor a `Recipe`.

    Examples:
        >>> get_recipe("relu").activation
        'relu'
    """
    if isinstance(recipe, Recipe):
        return recipe
    if not isinstance(recipe, str):
        raise TypeError(f"recipe must be a name or a Recipe, got {type(recipe).__name__}")
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {sorted(RECIPES)}, got {recipe!r}")
    return RECIPES[recipe]


# --------------------------------------------------------------------------- study


@dataclass
class DepthStudy:
    """What `depth_study` measured: one trained model per depth.

    Attributes:
        recipe: The recipe's name.
        epochs: Epochs trained per depth.
        test_accuracy: `{depth: accuracy on the test set after the last epoch}`.
        train_accuracy: `{depth: training accuracy of the last epoch}`, as
            Keras reports it (averaged over the epoch, with dropout active).
        history: `{depth: Keras history dict}` with per-epoch `accuracy`,
            `loss`, `val_accuracy`, `val_loss`.
        params: `{depth: number of parameters}`.
        seconds: `{depth: wall-clock seconds of model.fit}`.
        models: `{depth: trained keras.Model}`.
        gradient_history: `{depth: GradientNormHistory}` when the study was
            run with `track_gradients=True`, else empty.
    """

    recipe: str
    epochs: int
    test_accuracy: dict[int, float] = field(default_factory=dict)
    train_accuracy: dict[int, float] = field(default_factory=dict)
    history: dict[int, dict[str, list[float]]] = field(default_factory=dict, repr=False)
    params: dict[int, int] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)
    models: dict[int, keras.Model] = field(default_factory=dict, repr=False)
    gradient_history: dict[int, GradientNormHistory] = field(default_factory=dict, repr=False)

    def plot(self, title: str | None = None) -> Figure:
        """One panel per depth: train and test accuracy per epoch, y in [0, 1].

        Args:
            title: Figure title; defaults to the recipe's name.

        Returns:
            A matplotlib `Figure`.

        Examples:
            >>> h = {"accuracy": [0.5, 0.8], "val_accuracy": [0.6, 0.85]}
            >>> fig = DepthStudy("baseline", 2, history={1: h, 3: h}).plot()
            >>> [ax.get_title() for ax in fig.axes], tuple(map(float, fig.axes[0].get_ylim()))
            (['depth = 1', 'depth = 3'], (0.0, 1.0))
        """
        from matplotlib.figure import Figure

        depths = sorted(self.history)
        fig = Figure(figsize=(4 * max(len(depths), 1), 3.4), layout="constrained")
        axes = fig.subplots(1, max(len(depths), 1), sharey=True, squeeze=False)[0]
        for ax, depth in zip(axes, depths, strict=False):
            h = self.history[depth]
            epochs = np.arange(1, len(h["accuracy"]) + 1)
            ax.plot(epochs, h["accuracy"], "o-", label="train")
            ax.plot(epochs, h["val_accuracy"], "s--", label="test")
            ax.set_title(f"depth = {depth}")
            ax.set_xlabel("epoch")
            ax.set_ylim(0, 1)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("accuracy")
        axes[0].legend(loc="lower right")
        fig.suptitle(title or f"recipe: {self.recipe}")
        return fig

    def to_markdown(self) -> str:
        """A Markdown table: depth, parameters, final train/test accuracy, seconds.

        Returns:
            The table as a string.

        Examples:
            >>> study = DepthStudy("relu", 10, test_accuracy={1: 0.9297}, train_accuracy={1: 0.95},
            ...                    params={1: 407050}, seconds={1: 31.4})
            >>> print(study.to_markdown())
            | depth | parameters | train accuracy | test accuracy | seconds |
            |---:|---:|---:|---:|---:|
            | 1 | 407,050 | 95.00% | 92.97% | 31.4 |
        """
        rows = [
            "| depth | parameters | train accuracy | test accuracy | seconds |",
            "|---:|---:|---:|---:|---:|",
        ]
        for d in sorted(self.test_accuracy):
            rows.append(
                f"| {d} | {self.params[d]:,} | {self.train_accuracy[d]:.2%} | "
                f"{self.test_accuracy[d]:.2%} | {self.seconds[d]:.1f} |"
            )
        return "\n".join(rows)


def depth_study(
    depths: Iterable[int] = (1, 2, 3),
    recipe: str | Recipe = "baseline",
    epochs: int = 10,
    *,
    batch_size: int = 128,
    data: Data | None = None,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int | None = 0,
    track_gradients: bool = False,
    verbose: str | int = "auto",
    strategy: tf.distribute.Strategy | None = None,
) -> DepthStudy:
    """Train one model per depth with a recipe, the assignment's experiment.

    Each depth is a plain `model.fit` with the test set as validation data,
    after `fdmlearn.set_seed(seed)`, so a depth's result does not depend on
    which depths ran before it.

    Args:
        depths: Hidden-layer counts to train, each >= 1.
        recipe: A key of `RECIPES` or a `Recipe`.
        epochs: Epochs per depth (>= 1).
        batch_size: Batch size (>= 1).
        data: `(x_train, y_train), (x_test, y_test)` as `mnist_flat` returns
            them (labels may be class indices or one-hot). Defaults to MNIST.
        train_size: With `data=None`, use this many training images.
        test_size: With `data=None`, use this many test images.
        seed: Seed set before each depth; `None` leaves the seeds alone.
        track_gradients: Record per-layer gradient norms during training on a
            fixed batch of 256 training images (`GradientNormHistory`, every
            50 steps); costs a little time.
        verbose: Passed to `model.fit`: `"auto"` (Keras's progress bar), 0, 1 or 2.
        strategy: Optional `tf.distribute.Strategy` to build and train under
            (e.g. `MirroredStrategy` over several GPUs).

    Returns:
        A `DepthStudy`.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If a depth, `epochs` or `batch_size` is < 1, the recipe is
            unknown, or the data has the wrong shape.

    Examples:
        >>> study = depth_study((1, 2), "relu", epochs=1, train_size=512, test_size=128,
        ...                     verbose=0)
        >>> sorted(study.test_accuracy), study.params
        ([1, 2], {1: 407050, 2: 669706})
        >>> all(0.0 <= a <= 1.0 for a in study.test_accuracy.values())
        True
    """
    import fdmlearn

    if isinstance(depths, int | str):
        raise TypeError(f"depths must be an iterable of integers, got {depths!r}")
    depths = tuple(depths)
    if not depths:
        raise ValueError("depths must name at least one depth")
    for d in depths:
        if isinstance(d, bool) or not isinstance(d, int | np.integer) or d < 1:
            raise ValueError(f"every depth must be an integer >= 1, got {d!r}")
    for arg, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{arg} must be an integer >= 1, got {value!r}")
    rec = get_recipe(recipe)
    if strategy is not None and not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(f"strategy must be a tf.distribute.Strategy, got {type(strategy).__name__}")
    if data is None:
        data = mnist_flat(train_size, test_size)
    try:
        (x_train, y_train), (x_test, y_test) = data
    except (TypeError, ValueError) as err:
        raise ValueError(
            "data must be ((x_train, y_train), (x_test, y_test)), as mnist_flat returns"
        ) from err
    x_train, y_train = _check_xy(x_train, y_train, INPUT_DIM, "training")
    x_test, y_test = _check_xy(x_test, y_test, INPUT_DIM, "test")

    steps = -(-len(x_train) // batch_size) * epochs
    study = DepthStudy(recipe=rec.name, epochs=int(epochs))
    for depth in depths:
        depth = int(depth)
        if seed is not None:
            fdmlearn.set_seed(seed)
        if strategy is None:
            model = rec.build(depth, total_steps=steps)
        else:
            with strategy.scope():
                model = rec.build(depth, total_steps=steps)
        callbacks = []
        if track_gradients:
            tracker = GradientNormHistory(x_train[:256], y_train[:256], every=50)
            callbacks.append(tracker)
            study.gradient_history[depth] = tracker
        start = time.perf_counter()
        hist = model.fit(
            x_train,
            y_train,
            batch_size=batch_size,
            epochs=epochs,
            validation_data=(x_test, y_test),
            callbacks=callbacks,
            verbose=verbose,
        )
        study.seconds[depth] = time.perf_counter() - start
        study.history[depth] = {k: [float(v) for v in vs] for k, vs in hist.history.items()}
        study.train_accuracy[depth] = study.history[depth]["accuracy"][-1]
        study.test_accuracy[depth] = study.history[depth]["val_accuracy"][-1]
        study.params[depth] = int(model.count_params())
        study.models[depth] = model
    return study


# --------------------------------------------------------------------------- diagnostics


def _dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if not dense:
        raise ValueError(f"model {model.name!r} has no Dense layer to report on")
    return dense


def gradient_norms(
    model: keras.Model, x: Any, y: Any, *, training: bool = False
) -> dict[str, float]:
    """Per-layer gradient norms of the cross-entropy loss on one batch.

    For every Dense layer, from input to output, the L2 norm of the gradient
    of the mean categorical cross-entropy with respect to its kernel. In a
    deep sigmoid network these shrink sharply towards the input: the
    vanishing gradient, measured.

    Args:
        model: A model mapping (N, 784) floats to class probabilities, such as
            `build_mlp` returns (trained or not).
        x: Images, shape (N, 784), floats in [0, 1].
        y: Labels, class indices (N,) or one-hot (N, 10).
        training: Run the forward pass in training mode (dropout active,
            batch normalization using batch statistics). The default,
            `False`, makes the result deterministic.

    Returns:
        `{layer name: gradient norm}` in input-to-output order.

    Raises:
        ValueError: If the data has the wrong shape or the model has no Dense layer.
        TypeError: If the data has the wrong dtype.

    Examples:
        >>> import fdmlearn
        >>> fdmlearn.set_seed(0)
        >>> (x, y), _ = mnist_flat(train_size=256, test_size=1)
        >>> norms = gradient_norms(build_mlp(3), x, y)
        >>> list(norms)
        ['hidden1', 'hidden2', 'hidden3', 'output']
        >>> norms["hidden1"] < norms["hidden3"]  # smaller towards the input
        True
    """
    x, y = _check_xy(x, y, model.input_shape[-1], "batch")
    dense = _dense_layers(model)
    kernels = [layer.kernel for layer in dense]
    loss_fn = keras.losses.CategoricalCrossentropy()
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=training))
    grads = tape.gradient(loss, kernels)
    return {layer.name: float(tf.norm(g)) for layer, g in zip(dense, grads, strict=True)}


class GradientNormHistory(keras.callbacks.Callback):
    """A Keras callback recording per-layer gradient norms during training.

    Every `every` training steps (and once before the first), it computes
    `gradient_norms` on a fixed batch, so the curves show how gradient flow
    changes as the network learns.

    Args:
        x: A fixed batch of images, (N, 784) floats.
        y: Its labels, class indices or one-hot.
        every: Record every this many training steps (>= 1).

    Attributes:
        steps: The training steps at which norms were recorded.
        norms: `{layer name: [norm at each recorded step]}`.

    Raises:
        ValueError: If `every` < 1 or the batch has the wrong shape.

    Examples:
        >>> import fdmlearn
        >>> fdmlearn.set_seed(0)
        >>> (x, y), _ = mnist_flat(train_size=512, test_size=1)
        >>> model = RECIPES["baseline"].build(2)
        >>> tracker = GradientNormHistory(x[:64], y[:64], every=2)
        >>> y_onehot = keras.utils.to_categorical(y, 10)
        >>> _ = model.fit(x, y_onehot, batch_size=128, epochs=1, callbacks=[tracker], verbose=0)
        >>> tracker.steps
        [0, 2, 4]
        >>> sorted(tracker.norms)
        ['hidden1', 'hidden2', 'output']
    """

    def __init__(self, x: Any, y: Any, every: int = 50) -> None:
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be an integer >= 1, got {every!r}")
        self.x, self.y = _check_xy(x, y, INPUT_DIM, "tracked batch")
        self.every = every
        self.steps: list[int] = []
        self.norms: dict[str, list[float]] = {}
        self._step = 0

    def _record(self) -> None:
        for name, value in gradient_norms(self.model, self.x, self.y).items():
            self.norms.setdefault(name, []).append(value)
        self.steps.append(self._step)

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not self.steps:
            self._record()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._step += 1
        if self._step % self.every == 0:
            self._record()


def hidden_activations(model: keras.Model, x: Any) -> dict[str, np.ndarray]:
    """Outputs of every hidden activation, in inference mode.

    Args:
        model: A model built by `build_mlp`.
        x: Images, shape (N, 784), floats.

    Returns:
        `{layer name: array (N, units)}` for each hidden layer, input to output.

    Raises:
        ValueError: If `x` has the wrong shape or the model has no hidden layer.
        TypeError: If `x` is not floating point.

    Examples:
        >>> (x, _), _ = mnist_flat(train_size=8, test_size=1)
        >>> acts = hidden_activations(build_mlp(2), x)
        >>> {name: a.shape for name, a in acts.items()}
        {'hidden1': (8, 512), 'hidden2': (8, 512)}
    """
    x, _ = _check_xy(x, np.zeros(len(np.asarray(x)), np.int64), model.input_shape[-1], "input")
    taps: dict[str, keras.KerasTensor] = {}
    names = {layer.name for layer in model.layers}
    i = 1
    while f"hidden{i}" in names:
        # The first layer of the assignment's model fuses its activation into the Dense.
        act = f"hidden{i}_act" if f"hidden{i}_act" in names else f"hidden{i}"
        taps[f"hidden{i}"] = model.get_layer(act).output
        i += 1
    if not taps:
        raise ValueError(f"model {model.name!r} has no hidden activation layer (see build_mlp)")
    probe = keras.Model(model.input, list(taps.values()))
    outs = probe(x, training=False)
    if not isinstance(outs, list | tuple):
        outs = [outs]
    return {name: keras.ops.convert_to_numpy(out) for name, out in zip(taps, outs, strict=True)}


# --------------------------------------------------------------------------- plots


def plot_gradient_norms(
    norms: Mapping[str, Mapping[str, float]] | Mapping[str, float], title: str | None = None
) -> Figure:
    """Plot per-layer gradient norms (log scale), one line per network.

    Args:
        norms: `{label: gradient_norms(...)}` to compare several networks, or
            a single `gradient_norms(...)` result.
        title: Figure title.

    Returns:
        A matplotlib `Figure`; the x-axis goes from the input layer to the output.

    Raises:
        ValueError: If `norms` is empty.

    Examples:
        >>> fig = plot_gradient_norms({"a": {"hidden1": 1e-3, "output": 1e-1}})
        >>> fig.axes[0].get_yscale()
        'log'
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if not norms:
        raise ValueError("norms must not be empty")
    first = next(iter(norms.values()))
    series = {"": norms} if not isinstance(first, Mapping) else norms
    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.subplots()
    for label, per_layer in series.items():
        values = list(per_layer.values())
        ax.plot(range(1, len(values) + 1), values, "o-", label=label or None)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yscale("log")
    ax.set_xlabel("layer (1 = first hidden layer, last = output layer)")
    ax.set_ylabel("gradient norm of the kernel")
    ax.grid(alpha=0.3, which="both")
    if any(series):
        ax.legend()
    ax.set_title(title or "Gradient norm per layer")
    return fig


def plot_gradient_norm_history(history: GradientNormHistory, title: str | None = None) -> Figure:
    """Plot how each layer's gradient norm evolves during training (log scale).

    Args:
        history: A `GradientNormHistory` that was used in `model.fit`.
        title: Figure title.

    Returns:
        A matplotlib `Figure` with one line per Dense layer.

    Raises:
        ValueError: If nothing was recorded yet.

    Examples:
        >>> (x, y), _ = mnist_flat(train_size=256, test_size=1)
        >>> model = RECIPES["baseline"].build(2)
        >>> tracker = GradientNormHistory(x[:32], y[:32], every=1)
        >>> _ = model.fit(x, keras.utils.to_categorical(y, 10), batch_size=128, epochs=1,
        ...               callbacks=[tracker], verbose=0)
        >>> fig = plot_gradient_norm_history(tracker)
        >>> len(fig.axes[0].get_lines())  # one line per Dense layer
        3
    """
    from matplotlib.figure import Figure

    if not history.steps:
        raise ValueError("history has no recorded step: pass it to model.fit(callbacks=[...])")
    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.subplots()
    for name, values in history.norms.items():
        ax.plot(history.steps, values, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("gradient norm of the kernel")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    ax.set_title(title or "Gradient norm per layer during training")
    return fig


def plot_activation_histograms(
    activations: Mapping[str, np.ndarray], bins: int = 50, title: str | None = None
) -> Figure:
    """Histogram of each hidden layer's activations, one panel per layer.

    Sigmoid units near 0 or 1 are saturated: their derivative is close to 0,
    so little gradient passes through them.

    Args:
        activations: `{layer name: array}`, as `hidden_activations` returns.
        bins: Number of histogram bins (>= 1).
        title: Figure title.

    Returns:
        A matplotlib `Figure`.

    Raises:
        ValueError: If `activations` is empty or `bins` < 1.

    Examples:
        >>> fig = plot_activation_histograms({"hidden1": np.random.rand(10, 4)})
        >>> len(fig.axes)
        1
    """
    from matplotlib.figure import Figure

    if not activations:
        raise ValueError("activations must not be empty")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be an integer >= 1, got {bins!r}")
    n = len(activations)
    fig = Figure(figsize=(3.2 * n, 2.8), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (name, values) in zip(axes, activations.items(), strict=True):
        values = np.ravel(values)
        ax.hist(values, bins=bins, color="tab:blue")
        if values.size and 0 <= values.min() and values.max() <= 1:
            # Sigmoid-like outputs: show the whole range, so that saturation
            # (mass piled up near 0 or 1) or its absence is visible at a glance.
            ax.set_xlim(0, 1)
        ax.set_title(name)
        ax.set_xlabel("activation")
        ax.set_yticks([])
    axes[0].set_ylabel("count")
    if title:
        fig.suptitle(title)
    return fig
