"""The interactive explorer (`papcheck explore SPEC`): walk a spec's state space by hand in a browser.

:mod:`.explorer` replays paths of choices and describes the state they reach (reusing the trace
builder and the sequence chart renderer); :mod:`.server` serves that as JSON beside a static page
(``static/``) on 127.0.0.1.  May import the api, the engine and the views; never prints.
"""
