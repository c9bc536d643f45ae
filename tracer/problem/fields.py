"""The spec's fields as data: names, choices, limits and defaults, and nothing else.

The validators enforce these (network.py for the network fields, and the
homework sections' readers, tracer.homework.randomize for `randomize:`,
tracer.homework.sheet for `sheet:` and tracer.grade.grading for `grading:`);
schema.py turns the same constants into a JSON Schema and docs/spec.md
describes them, so the three cannot drift apart.
Pure Python with no imports: `bptrace schema` and `bptrace --help` load neither
numpy nor sympy.
"""

# -- the top-level fields ----------------------------------------------------------------

KNOWN_KEYS = (
    "title", "description", "layers", "activation", "loss", "params", "init", "data",
    "learning_rate", "iterations", "mode", "batch_size", "shuffle_seed", "decimals",
    "l2", "frozen", "ask", "grading", "arithmetic", "notation", "randomize", "sheet", "published",
    "figures",
)
# In the order parse reports a missing one. `params` or `init` (exactly one) is required too.
REQUIRED_KEYS = ("layers", "loss", "data", "learning_rate", "iterations", "activation")
# KNOWN_KEYS by topic, in the order docs/spec.md describes them.
GROUPS = (
    ("problem", ("title", "description")),
    ("network", ("layers", "activation", "loss", "params", "init")),
    ("data and training", ("data", "learning_rate", "iterations", "mode", "batch_size", "shuffle_seed",
                           "l2", "frozen")),
    ("display", ("decimals", "arithmetic", "notation", "published", "figures")),
    ("homework", ("ask", "grading", "randomize", "sheet")),
)

# -- choices -----------------------------------------------------------------------------

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear", "softmax")
LOSSES = ("bce", "ce", "mse", "sse", "mae")
MODES = ("sgd", "gd", "minibatch")
ARITHMETIC = ("float", "exact", "by-hand")

FIGURE_NAMES = ("network",)  # figures: (read by tracer.problem.figures)
FIGURE_EDGES = ("weights", "gradients", "updated")  # what an iteration's figure writes on its edges
FIGURES_DEFAULT = ("network",)

# -- limits and defaults -----------------------------------------------------------------

MAX_UNITS = 64
MAX_LAYERS = 12  # layer sizes, input included: at most MAX_LAYERS - 1 weight matrices
MAX_ITERATIONS = 100_000
MAX_EXAMPLES = 10_000
MAX_DECIMALS = 12
DEFAULT_TITLE = "Backpropagation worked example"
DEFAULT_MODE = "sgd"
DEFAULT_DECIMALS = 4
DEFAULT_ARITHMETIC = "float"

EXAMPLE_KEYS = ("x", "y")  # one entry of `data:`

INIT_KEYS = ("seed", "low", "high", "decimals")
INIT_DEFAULTS = {"low": -1.0, "high": 1.0, "decimals": 1}
INIT_MAX = 1000.0  # far beyond any hand-sized weight
MAX_INIT_DECIMALS = 6

# -- grading: (read by tracer.grade.grading) ---------------------------------------------

GRADING_KEYS = ("points", "follow_through", "abs_tol", "rel_tol", "sig_figs")
DEFAULT_POINTS = 1.0
DEFAULT_FOLLOW_THROUGH = 0.5
MAX_SIG_FIGS = 15

# -- randomize: (read by tracer.homework.randomize) --------------------------------------

RANDOMIZE_KEYS = ("params", "data", "grids", "nonzero", "constraints", "attempts")
RANDOMIZE_CONSTRAINT_KEYS = ("max_preactivation", "min_gradient", "balanced_labels", "distinct_examples")
RANDOMIZE_GRID_KEYS = ("low", "high", "step")
RANDOMIZE_ENTRY_KEYS = ("grid", "nonzero")
RANDOMIZE_DEFAULT_GRIDS = {
    "params": {"low": -1, "high": 1, "step": 0.1},
    "x": {"low": 0, "high": 3, "step": 1},
    "y": {"low": 0, "high": 1, "step": 0.1},
}
RANDOMIZE_DEFAULT_CONSTRAINTS = {
    "max_preactivation": 3.0, "min_gradient": 1.0, "balanced_labels": True, "distinct_examples": True,
}
RANDOMIZE_DEFAULT_ATTEMPTS = 1000
RANDOMIZE_MAX_ATTEMPTS = 100_000
RANDOMIZE_GRID_MAX = 1000.0
RANDOMIZE_MIN_STEP = 1e-6
RANDOMIZE_LABELS = "labels"  # y drawn as 0/1 labels (one-hot for ce)

# -- sheet: (read by tracer.homework.sheet) ----------------------------------------------

SHEET_KEYS = ("space", "title", "description", "solution")
SHEET_SOLUTIONS = ("asked", "full")  # asked: the solution cut to what the sheet asks; full: the whole handout
SHEET_DEFAULT_SOLUTION = "asked"
SHEET_DEFAULT_SPACE = 4  # blank lines of working room under each question
SHEET_MAX_SPACE = 60
