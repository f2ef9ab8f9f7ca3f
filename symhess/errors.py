"""The one exception type symhess raises for problems with what the user asked for."""


class SymhessError(ValueError):
    """A problem with the user's input, stated in one line.

    The CLI prints ``symhess: error: <message>`` and exits with status 2; library users
    catch it like any ``ValueError``.
    """
