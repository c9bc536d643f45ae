"""The homework stage: a problem of its own for every student, and its delivery.

    randomize.py  the spec's randomize: section (grids, constraints)
    randomize_graph.py  randomize: for a graph (its inputs; conditions on its values)
    grids.py      the grids and entry readers both share
    variants.py   drawing variants; sheets, solutions and keys; checking by variant
    asking.py     what a homework asks: default questions, key entries, their symbols
    sheet.py      the spec's sheet: section; what a sheet asks in words; the solution cut to it
    roster.py     class rosters (CSV) naming the variants
    moodle.py     Moodle XML: the asked elements as questions (value, tolerance), a question per element
    moodle_cloze.py  Moodle XML: a Cloze question per variant, with its figure and worked solution
    lms.py        an LMS responses export's rows as the answer sheets its students would hand in
    canvas.py     the Canvas QTI 1.2 package: a quiz per variant (docs/lms.md)
    canvas_numbers.py  a numerical answer as Canvas grades it: scale, exact value, margin
"""
