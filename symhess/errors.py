"""The one exception type symhess raises for problems with what the user asked for."""


class SymhessError(ValueError):
    """A problem with the user's input, stated in one line.

    The CLI prints ``symhess: error: <message>`` and exits with status 2; library users
    catch it like any ``ValueError``.
    """


class SymhessWarning(UserWarning):
    """Something the user should know that does not stop the computation (a cache folder
    that cannot be written, a derivation that will take a while).

    The CLI prints ``symhess: warning: <message>`` on stderr; library users see an ordinary
    Python warning.
    """
