"""The presenting stage: a Trace as a handout (LaTeX, Markdown) or as JSON.

    view.py          Trace -> View, for any kind (its kind's builder does the work)
    view_network.py  the network View: problem section, iterations, summary
    view_passes.py   the network View's per-iteration sections
    view_factored.py the backward pass factor by factor (`backward: factored`)
    view_perceptron.py the perceptron View: forward pass, error, update
    view_context.py  what those builders share: operands, chains, labels
    view_graph.py    the graph View: forward pass, local derivatives, backward pass, gradients
    symbolic_graph.py a graph node's expression as sympy, its derivatives and their printer
    steps.py         the step model: Step, Part, Section, IterationView, Table, View
    layout.py        each step on one line or broken at =, per medium; the summary's tables
    width.py         a LaTeX math string's rough width in em, calibrated against pdflatex
    notes.py         notes on a source's slips (published: numbers that differ), hung on steps
    derivation.py    the Derivation section: the chain rule, simplified by sympy
    symbolic.py      formulas derived by sympy and their LaTeX printer
    numfmt.py        every number shown is formatted here
    render.py        View -> text through the Jinja2 templates
    export_json.py   Trace -> JSON, every value at full precision

Templates lay out a View; they never compute.
"""
