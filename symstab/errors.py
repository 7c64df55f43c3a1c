"""Every exception symstab raises on purpose.

All derive from :class:`SymstabError`; the command line prints their message on
one line and exits with status 2.
"""


class SymstabError(Exception):
    """Base class of symstab's own errors."""


class InvalidInputError(SymstabError, ValueError):
    """An argument is malformed: wrong shape, non-numeric, NaN/inf, out of range."""


class ShapeError(InvalidInputError):
    """Matrix or parameter dimensions do not agree with the network's widths."""


class SingularDataError(InvalidInputError):
    """Sigma = X X^T is singular, so the least-squares problem is ill-posed."""


class ParseError(InvalidInputError):
    """A matrix or number given as text could not be parsed strictly."""


class SymbolicDataError(SymstabError):
    """A computation needs numbers but the data carries free symbols (a family)."""


class TooLargeError(SymstabError):
    """A symbolic job would take too long; it is refused unless forced."""


class PrecisionLimitError(SymstabError, ArithmeticError):
    """A certified computation could not decide within its precision cap (e.g. roots that never separated)."""


class InexactInputWarning(UserWarning):
    """A float was converted to its exact binary value."""
