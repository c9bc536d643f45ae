"""Expressions in specs: `v: x*y`, `f: sigmoid(w1*x1 + w2*x2)`, `learning_rate: "1/3"`.

A small grammar of our own, read with Python's `ast` and a whitelist of node types:
numbers, names, `+ - * / **` (and `^`, read as `**`), unary minus, parentheses, the
calls FUNCTIONS and the constants `pi` and `e`. Nothing is ever evaluated by Python
(no eval, no sympify): the text becomes a small immutable tree of tuples, and the
stages each read that tree their own way (this module evaluates it in float for
validation and for numbers in a spec, the engine with its derivative rules, the
presenter as a sympy expression).

The cost is bounded before and while reading: the text's length, the tree's depth
and size, and every value met while evaluating (an exponent above MAX_EXPONENT,
an argument of exp that would overflow, a value beyond MAX_MAGNITUDE) is refused
with SpecError naming the field.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..errors import SpecError

FUNCTIONS = {"exp": 1, "log": 1, "sqrt": 1, "sin": 1, "cos": 1, "tanh": 1, "sigmoid": 1, "relu": 1,
             "max": 2, "min": 2, "abs": 1}  # name -> number of arguments
CONSTANTS = ("pi", "e")
MAX_CHARS = 400
MAX_DEPTH = 100
MAX_NODES = 200
MAX_LITERAL_DIGITS = 30
MAX_EXPONENT = 1024.0
MAX_MAGNITUDE = 1e300  # every value met while evaluating stays inside the float range
MAX_EXP_ARG = 690.0  # exp(690) ~ 1e299

# The tree: tuples, tagged by their first element.
#   ("num", text)   a literal, kept as written ("0.1"), so exact arithmetic reads 1/10
#   ("const", name) pi or e
#   ("name", name)  an input or an earlier node
#   ("neg", a)      unary minus
#   ("+", a, b), ("-", a, b), ("*", a, b), ("/", a, b), ("**", a, b)
#   ("call", fn, (args...))
Expr = tuple

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def parse(text: Any, where: str) -> Expr:
    """The tree of `text`; SpecError(where, ...) for anything outside the grammar."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise SpecError(where, f"expected an expression (text or a number), got {_describe(text)}")
    if not isinstance(text, str):
        return _literal(text, where)
    if len(text) > MAX_CHARS:
        raise SpecError(where, f"expression of {len(text)} characters; at most {MAX_CHARS}")
    if not text.strip():
        raise SpecError(where, "empty expression")
    if not text.isascii() or any(ch < " " for ch in text):  # Python would fold ｘ into x (NFKC)
        raise SpecError(where, "an expression is plain ASCII text: letters, digits, + - * / ^ ( ) , . and spaces")
    source = text.replace("^", "**")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise SpecError(where, f"not an expression: {_quote(text)}") from None
    count = [0]
    return _build(tree.body, where, 1, count)


def _build(node: ast.AST, where: str, depth: int, count: list[int]) -> Expr:
    count[0] += 1
    if depth > MAX_DEPTH:
        raise SpecError(where, f"expression nested deeper than {MAX_DEPTH} levels")
    if count[0] > MAX_NODES:
        raise SpecError(where, f"expression of more than {MAX_NODES} parts")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise SpecError(where, f"unexpected {_describe(node.value)} in an expression")
        return _literal(node.value, where)
    if isinstance(node, ast.Name):
        return ("const", node.id) if node.id in CONSTANTS else ("name", node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _build(node.operand, where, depth + 1, count)
        return ("neg", inner) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return (_BINOPS[type(node.op)], _build(node.left, where, depth + 1, count),
                _build(node.right, where, depth + 1, count))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise SpecError(where, "a call is a function name and its arguments, e.g. exp(x)")
        fn = node.func.id
        if fn not in FUNCTIONS:
            raise SpecError(where, f"unknown function {fn!r}; functions are {', '.join(FUNCTIONS)}")
        if len(node.args) != FUNCTIONS[fn] or any(isinstance(a, ast.Starred) for a in node.args):
            n = FUNCTIONS[fn]
            raise SpecError(where, f"{fn} takes {n} argument{'s' if n > 1 else ''}, got {len(node.args)}")
        return ("call", fn, tuple(_build(a, where, depth + 1, count) for a in node.args))
    what = type(node).__name__
    raise SpecError(where, f"not allowed in an expression: {what} (only numbers, names, + - * / ^, "
                           f"parentheses and the functions {', '.join(FUNCTIONS)})")


def _literal(value: int | float, where: str) -> Expr:
    if isinstance(value, int):
        text = str(value) if abs(value) < 10**MAX_LITERAL_DIGITS else None
        if text is None:
            raise SpecError(where, f"a number of more than {MAX_LITERAL_DIGITS} digits")
    else:
        if not math.isfinite(value):
            raise SpecError(where, "expected a finite number")
        text = repr(value)  # the shortest text of the double: what was written, for 0.1
    if abs(float(value)) > MAX_MAGNITUDE:
        raise SpecError(where, f"a number larger than {MAX_MAGNITUDE:g}")
    if text.startswith("-"):
        return ("neg", ("num", text[1:]))
    return ("num", text)


def names(tree: Expr) -> list[str]:
    """The names an expression uses, each once, in order of first appearance."""
    out: dict[str, None] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        tag = node[0]
        if tag == "name":
            out.setdefault(node[1])
        elif tag == "neg":
            stack.append(node[1])
        elif tag == "call":
            stack.extend(reversed(node[2]))
        elif tag not in ("num", "const"):
            stack.extend((node[2], node[1]))
    return list(out)


def to_text(tree: Expr) -> str:
    """The expression written back in the grammar (fully parenthesized where it matters)."""
    tag = tree[0]
    if tag in ("num", "const", "name"):
        return tree[1]
    if tag == "neg":
        return f"(-({to_text(tree[1])}))"
    if tag == "call":
        return f"{tree[1]}({', '.join(to_text(a) for a in tree[2])})"
    return f"({to_text(tree[1])} {tag} {to_text(tree[2])})"


# -- evaluation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Numbers:
    """A number system to evaluate in: how a literal reads and each function's value."""

    literal: Callable[[str], Any]
    constant: Callable[[str], Any]
    functions: Mapping[str, Callable[..., Any]]
    isfinite: Callable[[Any], bool]
    is_integer: Callable[[Any], bool]


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


FLOAT = Numbers(
    literal=float,
    constant=lambda name: {"pi": math.pi, "e": math.e}[name],
    functions={"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos,
               "tanh": math.tanh, "sigmoid": _sigmoid, "relu": lambda x: x if x > 0 else 0.0 * x,
               "max": lambda a, b: a if a >= b else b, "min": lambda a, b: a if a <= b else b, "abs": abs},
    isfinite=lambda x: math.isfinite(x),
    is_integer=lambda x: float(x).is_integer(),
)


class EvalError(ValueError):
    """A value the expression cannot take at these numbers (division by zero, log of 0, ...)."""


def check_domain(tag: str, args: tuple) -> None:
    """Refuse the arguments `tag` is not defined at (or would overflow at), before computing."""
    if tag == "/" and args[1] == 0:
        raise EvalError("division by zero")
    if tag == "**":
        base, power = args
        if abs(power) > MAX_EXPONENT:
            raise EvalError(f"an exponent larger than {MAX_EXPONENT:g} in size")
        if base == 0 and power < 0:
            raise EvalError("division by zero (0 to a negative power)")
        if base < 0 and not float(power).is_integer():
            raise EvalError("a negative number to a non-integer power")
    elif tag == "log" and args[0] <= 0:
        raise EvalError(f"log of a non-positive number ({float(args[0]):g})")
    elif tag == "sqrt" and args[0] < 0:
        raise EvalError(f"sqrt of a negative number ({float(args[0]):g})")
    elif tag == "exp" and args[0] > MAX_EXP_ARG:
        raise EvalError(f"exp of {float(args[0]):g} overflows")


def evaluate(tree: Expr, env: Mapping[str, Any], numbers: Numbers = FLOAT, memo: dict | None = None):
    """The value of `tree` with names read from `env`; EvalError if it is undefined there.

    `memo`, if given, receives the value of every subtree by id (the engine's local
    derivatives reuse them)."""
    tag = tree[0]
    if tag == "num":
        value = numbers.literal(tree[1])
    elif tag == "const":
        value = numbers.constant(tree[1])
    elif tag == "name":
        value = env[tree[1]]
    elif tag == "neg":
        value = -evaluate(tree[1], env, numbers, memo)
    elif tag == "call":
        args = tuple(evaluate(a, env, numbers, memo) for a in tree[2])
        check_domain(tree[1], args)
        try:
            value = numbers.functions[tree[1]](*args)
        except OverflowError:
            raise EvalError(f"a value beyond {MAX_MAGNITUDE:g} (overflow)") from None
    else:
        a, b = evaluate(tree[1], env, numbers, memo), evaluate(tree[2], env, numbers, memo)
        check_domain(tag, (a, b))
        try:
            value = a + b if tag == "+" else a - b if tag == "-" else a * b if tag == "*" else a / b if tag == "/" else a**b
        except OverflowError:
            raise EvalError(f"a value beyond {MAX_MAGNITUDE:g} (overflow)") from None
    if not numbers.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise EvalError(f"a value beyond {MAX_MAGNITUDE:g} (overflow)")
    if memo is not None:
        memo[id(tree)] = value
    return value


# -- numbers in a spec ----------------------------------------------------------------------

class Written(float):
    """A spec number given as an expression ("1/3"): its float value, and its tree, so that
    exact arithmetic can evaluate it again with every digit."""

    tree: Expr
    text: str

    def __new__(cls, value: float, tree: Expr, text: str):
        obj = super().__new__(cls, value)
        obj.tree, obj.text = tree, text
        return obj

    def __reduce__(self):
        return (Written, (float(self), self.tree, self.text))


def constant(text: str, where: str) -> Written:
    """A number written as an expression over constants only (`"1 + sin(pi/4)"`)."""
    tree = parse(text, where)
    used = names(tree)
    if used:
        raise SpecError(where, f"unknown name {used[0]!r}: a number may use only pi, e and the functions "
                               f"{', '.join(FUNCTIONS)}")
    try:
        value = evaluate(tree, {})
    except (EvalError, OverflowError, ValueError, ZeroDivisionError) as err:
        raise SpecError(where, f"{err} in {_quote(text)}") from None
    return Written(value, tree, text)


def _quote(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:57] + "...")


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    return {list: "a list", dict: "a mapping", str: "text", bytes: "bytes"}.get(type(value), repr(value)[:40])
