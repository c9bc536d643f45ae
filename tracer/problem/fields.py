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
    "title", "description", "layers", "activation", "loss", "rule", "params", "init", "graph", "data",
    "learning_rate", "iterations", "mode", "batch_size", "shuffle_seed", "decimals",
    "l2", "frozen", "ask", "grading", "arithmetic", "notation", "randomize", "sheet", "published",
    "loss_half", "batch_loss", "sig_figs", "show", "figures",
)
# In the order parse reports a missing one. `params` or `init` (exactly one) is required too.
# `learning_rate` is required too, except with loss none (then no update is made without it).
REQUIRED_KEYS = ("layers", "loss", "data", "iterations", "activation")
# KNOWN_KEYS by topic, in the order docs/spec.md describes them.
GROUPS = (
    ("problem", ("title", "description")),
    ("network", ("layers", "activation", "loss", "loss_half", "rule", "params", "init")),
    ("graph", ("graph",)),
    ("data and training", ("data", "learning_rate", "iterations", "mode", "batch_size", "shuffle_seed",
                           "batch_loss", "l2", "frozen")),
    ("display", ("decimals", "sig_figs", "show", "arithmetic", "notation", "published", "figures")),
    ("homework", ("ask", "grading", "randomize", "sheet")),
)

# -- graph: a computational graph instead of layers (read by tracer.problem.graph) -------

GRAPH_SECTION_KEYS = ("inputs", "nodes", "output")
# The top-level fields a graph problem has (the network's training fields do not apply).
GRAPH_SPEC_KEYS = ("title", "description", "graph", "decimals", "arithmetic", "ask", "grading", "randomize", "sheet",
                   "figures")
MAX_GRAPH_NODES = 2000
MAX_GRAPH_INPUTS = 2000
MAX_NAME_LENGTH = 24

# -- choices -----------------------------------------------------------------------------

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear", "softmax")
LOSSES = ("bce", "ce", "mse", "sse", "mae", "none")  # none: the output itself, dyhat/dyhat = 1
SQUARED_LOSSES = ("mse", "sse")  # the losses `loss_half` applies to
LOSS_HALF_DEFAULTS = {"sse": True, "mse": False}  # sse = 1/2 sum, mse = mean, without loss_half
BATCH_LOSSES = ("mean", "sum")  # how an iteration combines its examples' losses and gradients
DEFAULT_BATCH_LOSS = "mean"
SHOW = ("error", "grad.x", "loss_terms")  # extra quantities a handout shows when the spec asks
MODES = ("sgd", "gd", "minibatch")
ARITHMETIC = ("float", "exact", "by-hand")
# `rule:` how the weights learn. perceptron: a single layer with a threshold output (tracer.problem.perceptron)
RULES = ("backprop", "perceptron")
DEFAULT_RULE = "backprop"
PERCEPTRON_ACTIVATIONS = ("step", "sign")  # step: labels 0/1; sign: labels -1/+1
PERCEPTRON_LABELS = {"step": (0.0, 1.0), "sign": (-1.0, 1.0)}

FIGURE_NAMES = ("network", "graph", "loss", "yhat")  # figures: (read by tracer.problem.figures)
CURVE_NAMES = ("loss", "yhat")  # the figures plotted over the iterations: no @T; on by default past one iteration
FIGURE_EDGES = ("weights", "gradients", "updated")  # what an iteration's figure writes on its edges
FIGURES_DEFAULT = ("network",)
# a graph problem's figure: `graph` writes every value above its wire and every gradient below;
# graph:values, graph:gradients one of the two, graph:given only the inputs' values (a problem sheet's)
GRAPH_FIGURE_LABELS = ("values", "gradients", "given")
GRAPH_FIGURES_DEFAULT = ("graph",)

# -- limits and defaults -----------------------------------------------------------------

MAX_UNITS = 64
MAX_LAYERS = 12  # layer sizes, input included: at most MAX_LAYERS - 1 weight matrices
MAX_ITERATIONS = 100_000
MAX_EXAMPLES = 10_000
MAX_DECIMALS = 12
MAX_SIG_FIGS_SHOWN = 12  # sig_figs: significant figures shown (and kept by by-hand arithmetic)
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

GRADING_KEYS = ("points", "follow_through", "imprecise", "abs_tol", "rel_tol", "sig_figs")
DEFAULT_POINTS = 1.0
DEFAULT_FOLLOW_THROUGH = 0.5
DEFAULT_IMPRECISE = 1.0  # an answer right to fewer digits than asked: full credit unless the spec says
MAX_SIG_FIGS = 15

# -- randomize: (read by tracer.homework.randomize) --------------------------------------

RANDOMIZE_KEYS = ("params", "data", "inputs", "grids", "nonzero", "constraints", "attempts")
RANDOMIZE_NETWORK_KEYS = ("params", "data", "grids", "nonzero", "constraints", "attempts")
RANDOMIZE_GRAPH_KEYS = ("inputs", "grids", "nonzero", "constraints", "attempts")  # a graph draws its inputs
RANDOMIZE_CONSTRAINT_KEYS = ("max_preactivation", "min_gradient", "balanced_labels", "distinct_examples", "require")
RANDOMIZE_NETWORK_CONSTRAINTS = ("max_preactivation", "min_gradient", "balanced_labels", "distinct_examples")
RANDOMIZE_GRAPH_CONSTRAINTS = ("min_gradient", "require")
RANDOMIZE_MAX_REQUIRE = 50  # conditions in constraints.require
RANDOMIZE_GRID_KEYS = ("low", "high", "step")
RANDOMIZE_ENTRY_KEYS = ("grid", "nonzero")
RANDOMIZE_DEFAULT_GRIDS = {
    "params": {"low": -1, "high": 1, "step": 0.1},
    "x": {"low": 0, "high": 3, "step": 1},
    "y": {"low": 0, "high": 1, "step": 0.1},
    "inputs": {"low": -5, "high": 5, "step": 1},  # a graph's inputs
}
RANDOMIZE_NETWORK_GRIDS = ("params", "x", "y")
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
