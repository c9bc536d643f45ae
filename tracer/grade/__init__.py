"""The grading stage: student answer files judged against a Trace.

    answer_values.py    the answer model: numbers as written, entries, sheets, limits
    answers.py          reading untrusted answer files (YAML, JSON; CSV in answers_csv.py)
    grading.py          tolerances, the spec's ask: and grading:, answer keys in a notation
    recompute.py        the network's local formula of every quantity (follow-through, rounding)
    recompute_perceptron.py the perceptron's local formulas
    recompute_graph.py  the graph's local formula of every quantity
    world.py            the student's world: each quantity as the student holds it (follow-through)
    check.py            a verdict per answered element, the first error, the score
    diagnosis.py        the named mistake (misconception) that reproduces a wrong answer
    report.py           a check Report as text, Markdown or JSON
    gradebook.py        many answer files to one CSV gradebook
    lms_csv.py          LMS responses exports (Moodle Responses, Canvas Student Analysis) read as untrusted CSV
    answer_template.py  the blank answer file a homework hands out
    published.py        a source's published: numbers graded like an answer sheet; its slips
"""
