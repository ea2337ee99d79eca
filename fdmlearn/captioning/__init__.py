"""Video captioning: describe a short clip of moving MNIST digits in words.

The assignment's fourth exercise asks for a model that writes a 5 to 10 word
caption for a short video. Its answer, a CNN run on every frame, the frame
vectors mean-pooled into one video vector, and an LSTM that emits one word per
step from the previous word and that video vector, is the mean-pool model of
Venugopalan et al., "Translating Videos to Natural Language Using Deep
Recurrent Neural Networks" (NAACL 2015). This package makes it a working
model, one short file per part:

- `data.py`: `moving_digits` generates the data set offline: MNIST digits
  (from one split only) moving over a black canvas, each clip with its
  caption, e.g. ``"the digit 7 moves horizontally"``; `Clips` holds them.
- `vocabulary.py`: `Vocabulary` turns captions into token ids with
  ``<pad>``, ``<start>``, ``<end>`` and ``<unk>``.
- `metrics.py`: `exact_match` (the assignment's 0/1 metric), `word_accuracy`
  and `bleu4`.
- `encoders.py`: the small strided CNN applied to every frame, and the digit
  detector of ``pooling="digits"``.
- `layers.py`: the model's own Keras layers: frame positions, the digit
  slots (laid out as `layers.SlotLayout` says) and the LSTM decoder, which
  pools the frames by their mean (the notebook's design), attends over them
  at every word, or attends over one slot per digit, each with a key.
- `decoding.py`: greedy decoding and beam search, as pure functions over a
  step function: read them to see how beam search works.
- `network.py`, `training.py`, `model.py`: the Keras network, how it is
  trained (teacher forcing and per-word cross-entropy; the exact-match loss
  has zero gradient almost everywhere, so it is the *metric*), and
  `Captioner` with its typed settings `CaptionerConfig`, `build_captioner`
  and `load_captioner` (one `.keras` file).
- `stages.py`: `DigitStages`, the three stages in which `fit` trains a
  digit-slot model by itself.
- `reinforce.py`: `fit(..., objective="exact_match")`, self-critical
  training on the 0/1 reward (REINFORCE with the greedy caption as baseline).
- `plots.py`: `show_clips` draws clips as frame strips, `animate_clips`
  plays them as a GIF, `draw_architecture` draws a model (or the seed
  notebook's design).

Mean pooling forgets the order of the frames: a clip and its time-reversal
give the same video vector. `moving_digits(..., order_dependent=True)` makes
captions such as ``"the digit 7 moves left then up"`` whose time-reversed clip
(``"... moves down then right"``) is exactly as likely, so mean pooling cannot
tell them apart while attention over position-tagged frames can.

With two digits, a frame vector that keeps *what* and *where* apart cannot
say which digit made which motion. ``pooling="digits"`` binds them: a
detector, first trained alone on frames (`Captioner.pretrain`), gives one map
per digit class, so the slot of digit 7 holds only digit 7's track.
"""

from __future__ import annotations

import fdmlearn._tf  # noqa: F401  (first: TensorFlow imported quietly, before any `import keras`)
from fdmlearn.captioning.data import Clips, moving_digits
from fdmlearn.captioning.decoding import beam_search, greedy_search
from fdmlearn.captioning.metrics import bleu4, exact_match, word_accuracy
from fdmlearn.captioning.model import Captioner, CaptionerConfig, build_captioner, load_captioner
from fdmlearn.captioning.plots import AnimatedClips, animate_clips, draw_architecture, show_clips
from fdmlearn.captioning.stages import DigitStages
from fdmlearn.captioning.vocabulary import Vocabulary

__all__ = [
    "AnimatedClips",
    "Captioner",
    "CaptionerConfig",
    "Clips",
    "DigitStages",
    "Vocabulary",
    "animate_clips",
    "beam_search",
    "bleu4",
    "build_captioner",
    "draw_architecture",
    "exact_match",
    "greedy_search",
    "load_captioner",
    "moving_digits",
    "show_clips",
    "word_accuracy",
]
