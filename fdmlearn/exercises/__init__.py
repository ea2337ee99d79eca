"""Exercises: learners check their own answers; teachers hand out variants with answer keys.

The five exercises of the assignment fdmlearn is built around, each with
`statement()`, `solution()` and a `check` that reads an answer part by part
and names the known mistakes it matches:

- `backprop()`: backpropagation by hand on a chain of one-neuron layers;
- `deep()`: parameter counts, shapes and the vanishing gradient of deep MLPs;
- `filters()`: a CNN that applies sepia and a Gaussian blur (`check_model`
  probes a student's Keras model with test images);
- `captioning()`: the six design questions of a video caption model;
- `calculator()`: the MNIST calculator (`evaluate` measures a student's model).

Each takes a `seed`: `None` is the assignment's own exercise, an integer a
variant with other numbers (the same seed, the same variant). `sheet` makes
one variant per student and an answer key.

`import fdmlearn.exercises` does not import TensorFlow; only
`filters(...).check_model` and `calculator(...).evaluate` load it, to run
the student's model.

Examples:
    >>> from fdmlearn import exercises
    >>> ex = exercises.backprop()
    >>> fb = ex.check(loss="(yhat - y)**2 / 2", dL_dw1="relu(w0*x) * (yhat - y)", w0=0.6, w1=1.8)
    >>> fb.ok
    False
    >>> print(fb["dL_dw1"].diagnoses[0])
    backprop.dropped_activation_derivative
    >>> len(exercises.DIAGNOSES) >= 20
    True
"""

from __future__ import annotations

from fdmlearn.exercises.backprop import BackpropExercise, backprop
from fdmlearn.exercises.calculator import CalculatorExercise, calculator
from fdmlearn.exercises.captioning import CaptionDesign, CaptioningExercise, captioning
from fdmlearn.exercises.deep import DeepExercise, deep
from fdmlearn.exercises.feedback import DIAGNOSES, Diagnosis, Document, Feedback, Part
from fdmlearn.exercises.filters import FiltersExercise, filters
from fdmlearn.exercises.sheet import EXERCISES, Sheet, sheet

__all__ = [
    "DIAGNOSES",
    "EXERCISES",
    "BackpropExercise",
    "CalculatorExercise",
    "CaptionDesign",
    "CaptioningExercise",
    "DeepExercise",
    "Diagnosis",
    "Document",
    "Feedback",
    "FiltersExercise",
    "Part",
    "Sheet",
    "backprop",
    "calculator",
    "captioning",
    "deep",
    "filters",
    "sheet",
]
