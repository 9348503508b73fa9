"""The instructor's class console (`python kit.py class ...`): prepare, watch, reset and clear a class.

A class is a list of participants sharing one account, each with a participant prefix of their own
(``WORKSHOP_PREFIX``). The modules, one concept each:

- ``roster``: the participants, their prefixes and invoke URLs, kept in the participants file;
- ``connections``: the class's connection, and from it each participant's and the shared endpoint's;
- ``plan``: how long prepare and clear take on a real account, from API Gateway's quotas;
- ``progress``: the progress bars of prepare (one per participant and one overall);
- ``prepare``: every participant's prerequisites with ``prepare_for``, in parallel, with a shared endpoint;
- ``board`` and ``seen``: each participant's steps, read from the cloud, and when each was first seen;
- ``board_render``: the board as text and as a self-refreshing HTML page;
- ``reset``: one participant back to the start of a step;
- ``inventory`` and ``clear``: delete every participant's resources, then prove nothing of the class is left;
- ``cli``: the command line.
"""
