"""The Constraint base class (kept apart so that the constraint modules share it)."""


class Constraint:
    """A region over which a variable is valid."""
    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError

    def __repr__(self):
        return type(self).__name__[1:] + "()"
