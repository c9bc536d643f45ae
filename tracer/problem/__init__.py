"""The problem stage: what a spec says, validated into an immutable Problem.

    spec.py        load a spec file or mapping; dispatch to its kind's parser
    kinds.py       the kinds of problem and the hooks each implements (the seam)
    network.py     layered-network problems: the Problem dataclass and its parser
    perceptron.py  the perceptron rule's problems (rule: perceptron), their paths and cost
    folded.py      params written with the bias folded into W (layered, node) -> canonical W, b
    graph.py       computational-graph problems: the GraphProblem dataclass and its parser
    expr.py        the expression grammar of graph nodes and spec numbers (an ast whitelist, no eval)
    validate.py    small field validators shared by every kind (and randomize:)
    fields.py      the spec's field names, choices and limits (no numpy: the schema reads them)
    schema.py      the JSON Schema of a spec (`bptrace schema`), for editors
    notation.py    notation profiles: how a course writes the symbols (part of a spec)
    symbols.py     the LaTeX a notation symbol may contain (a whitelist)
    quantities.py  the quantity paths, with meaning, formula and shape
    paths.py       element paths: `iter1.W1[2,1]`
    published.py   the spec's published: numbers a source printed, checked against the paths
    figures.py     the spec's figures: (and --figures): which pictures a handout shows
    safeload.py    YAML/JSON loading for input from anyone
    plain.py       safeload's checks that need no parser (plain, finite values; the capped read)
    spec_cache.py  parsed YAML specs kept in the cache folder, so a warm handout skips PyYAML
    examples.py    the built-in examples
    conventions.py the textbooks' conventions: loss none, loss_half, batch_loss, sig_figs, show

Imports nothing above itself: every later stage may read a Problem.
"""
