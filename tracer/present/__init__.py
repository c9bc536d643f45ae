"""The presenting stage: a Trace as a handout (LaTeX, Markdown, PDF, HTML) or as JSON.

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
    formulas.py      the network's formulas as handles: sympy derives and prints each once, as a template
    formula_store.py where those are kept: memory, the wheel's pre-filled file, the user's cache folder
    formulas_prefill.py regenerates the wheel's pre-filled file (formulas_builtin.json)
    numfmt.py        every number shown is formatted here
    figures.py       the View's figures: each chosen figure's layout and drawings; Markdown's file names
    figure_layout.py the network figure as data: units, edges and label places, computed once
    figure_graph.py  the computational-graph figure as data: gates, wires, values and gradients
    figure_tikz.py   a layout as TikZ (LaTeX)
    figure_svg.py    a layout as SVG (Markdown's files, HTML)
    figure_curve.py  the loss and the outputs per iteration as data: points, ranges, ticks
    figure_curve_pgf.py a curve as a pgfplots axis (LaTeX)
    figure_curve_svg.py a curve as SVG (Markdown's files, HTML)
    tex_text.py      a figure label's LaTeX as text runs, for SVG
    mathml.py        LaTeX math -> MathML for the HTML page (latex2mathml, the [html] extra)
    equation_images.py  LaTeX math -> Canvas equation images, for the Canvas QTI texts
    pdf.py           LaTeX -> PDF with latexmk, no shell escape, in a temporary folder
    render.py        View -> text through the Jinja2 templates; a Document (text, its files, a PDF)
    export_json.py   Trace -> JSON, every value at full precision
    float_text.py    float arrays as repr writes them, through orjson (the JSON's numbers)

Templates lay out a View; they never compute.
"""
